//! Salvage mode through the real binary: a feed whose XML breaks after some
//! complete items is stored with those items, the poll counts as a success,
//! and the error is recorded on the feed row and the fetch, as feedparser's
//! "bozo" bit records it. Before, the whole feed was refused.

mod common;
mod harness;

use common::{Reply, TestServer};
use harness::{Setup, bounded_poll, describe, feed, fixture};

#[test]
fn complete_items_before_a_break_are_stored_and_the_error_recorded() {
    let srv = TestServer::start();
    srv.route(
        "/business.rss",
        Reply::ok(fixture("salvage-unescaped.rss")).header("Content-Type", "application/rss+xml"),
    );
    let setup = Setup::new(&[feed("business", srv.url("/business.rss"))]);
    let out = bounded_poll(&setup);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(setup.query_i64("SELECT count(*) FROM items"), 2);
    assert_eq!(
        setup.query_text("SELECT last_status FROM feeds").as_deref(),
        Some("ok")
    );
    assert_eq!(setup.query_i64("SELECT error_count FROM feeds"), 0);
    let error = setup
        .query_text("SELECT last_error FROM feeds")
        .expect("the break is recorded on the feed");
    assert!(error.contains("at byte"), "{error}");
    let fetch_error = setup
        .query_text("SELECT error FROM fetches")
        .expect("and on the fetch");
    assert_eq!(fetch_error, error);
}
