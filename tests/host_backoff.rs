//! A host's back-off defers its other feeds and pages; it never fails them
//! (issue 16). Polls run one after another through the library, so the order
//! is fixed: one feed's 429 with `Retry-After` starts the back-off, then a
//! second feed on that host, and a feed on another host whose pages are on
//! that host, are polled while it lasts.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Reply, TestServer};
use newswire::config::Config;
use newswire::pipeline::{self, Context, article_queue};

fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>http://example.org/</link>\
         <description>t</description>{items}</channel></rss>"
    )
}

fn entry(title: &str, link: &str) -> String {
    format!(
        "<item><title>{title}</title><link>{link}</link><guid>{link}</guid>\
         <description>Teaser of {title}.</description></item>"
    )
}

fn page(title: &str) -> Reply {
    let text = "The committee met again on Monday and agreed a timetable for the new budget, \
                with a first reading in January and a final vote before the spring recess. ";
    Reply::ok(format!(
        "<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{}</p><p>{}</p></article></body></html>",
        text.repeat(3),
        text.repeat(2)
    ))
    .header("Content-Type", "text/html")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_backing_off_defers_its_feeds_and_pages_without_an_error() {
    let srv = TestServer::start();
    srv.route("/busy/rss", Reply::status(429).header("Retry-After", "2"));
    srv.route(
        "/calm/rss",
        Reply::ok(rss(&entry("Calm", &srv.url("/calm/1"))))
            .header("Content-Type", "application/rss+xml"),
    );
    srv.route("/calm/1", page("Calm"));
    // A feed on another host name whose pages live on the busy host.
    srv.route(
        "/other/rss",
        Reply::ok(rss(&[
            entry("Page one", &srv.url("/pages/1")),
            entry("Page two", &srv.url("/pages/2")),
        ]
        .concat()))
        .header("Content-Type", "application/rss+xml"),
    );
    srv.route("/pages/1", page("Page one"));
    srv.route("/pages/2", page("Page two"));

    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "[storage]\npath = \"news.db\"\n[fetch]\nallow_private_networks = true\nper_host_interval = \"0s\"\n\
         timeout = \"3s\"\n[defaults]\nfull_text = true\n\
         [[feeds]]\nname = \"busy\"\nurl = \"{}\"\n\
         [[feeds]]\nname = \"calm\"\nurl = \"{}\"\n\
         [[feeds]]\nname = \"other\"\nurl = \"{}\"\n",
        srv.url("/busy/rss"),
        srv.url("/calm/rss"),
        srv.url_with_host("localhost", "/other/rss"),
    );
    let config = Config::from_toml(&text, "test.toml", Some(dir.path())).expect("config");
    let config = Arc::new(config);
    let store = newswire::daemon::open_store(&config).expect("store");
    let ctx = Context::new(Arc::clone(&config), store).expect("context");
    let feed = |name: &str| config.feed(name).expect("feed").clone();

    let busy = pipeline::poll_feed(&ctx, &feed("busy"))
        .await
        .expect("poll");
    assert_eq!(
        busy.status, "error",
        "the 429 itself is the busy feed's error"
    );

    // Same host, during the back-off: deferred, not failed.
    let calm = pipeline::poll_feed(&ctx, &feed("calm"))
        .await
        .expect("poll");
    assert_eq!(calm.status, "deferred", "{calm:?}");
    assert_eq!(calm.error, None);
    assert_eq!(srv.hits("/calm/rss"), 0, "no request during the back-off");
    let until = calm.next_due_at;
    assert!(
        until > chrono::Utc::now(),
        "due again when the back-off ends"
    );
    assert!(until <= chrono::Utc::now() + chrono::Duration::seconds(3));

    // Another host's feed whose pages are on the busy host: stored, pages
    // deferred with no error.
    let other = pipeline::poll_feed(&ctx, &feed("other"))
        .await
        .expect("poll");
    assert_eq!(other.status, "ok", "{other:?}");
    assert_eq!(other.new_items, 2);
    assert_eq!(srv.hits("/pages/1") + srv.hits("/pages/2"), 0);

    let db = rusqlite::Connection::open(dir.path().join("news.db")).expect("db");
    let one = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).expect(sql) };
    assert_eq!(
        one(
            "SELECT count(*) FROM feeds WHERE name = 'calm' AND last_error IS NULL AND error_count = 0"
        ),
        1,
        "no error recorded on the deferred feed"
    );
    assert_eq!(
        one(
            "SELECT count(*) FROM fetches f JOIN feeds d ON d.id = f.feed_id WHERE d.name = 'calm'"
        ),
        0,
        "a deferred poll is not a failed poll"
    );
    assert_eq!(
        one(
            "SELECT count(*) FROM article_queue WHERE state = 'pending' AND attempts = 0 AND last_error IS NULL"
        ),
        2,
        "pages deferred, not failed"
    );
    assert_eq!(
        one("SELECT count(*) FROM items WHERE extraction_error IS NULL AND extraction = 'feed'"),
        2
    );

    // When the back-off ends, everything runs. The store keeps whole
    // seconds and rounds a deferral up, so the pages are due at most two
    // seconds after the back-off ends.
    tokio::time::sleep(Duration::from_millis(4200)).await;
    let calm = pipeline::poll_feed(&ctx, &feed("calm"))
        .await
        .expect("poll");
    assert_eq!(calm.status, "ok", "{calm:?}");
    assert_eq!(calm.new_items, 1);
    let claimed = article_queue::run_due(&ctx, "test", 16)
        .await
        .expect("round");
    assert_eq!(claimed, 2, "the two deferred pages are due");
    assert_eq!(
        one("SELECT count(*) FROM items WHERE extraction = 'extracted'"),
        3,
        "the deferred pages and the calm feed's page have their text"
    );
    assert_eq!(srv.hits("/pages/1"), 1);
    assert_eq!(srv.hits("/pages/2"), 1);
}
