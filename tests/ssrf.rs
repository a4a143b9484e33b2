//! Server-side request forgery: with `allow_private_networks = false`, feed
//! URLs and article links that point at loopback (in any spelling) are
//! refused before a request is sent, the refusal is recorded, and an article
//! page refused this way still leaves its entry stored with the feed's own
//! content.

mod common;
mod harness;

use std::sync::Arc;

use common::{Reply, TestServer};
use harness::{Setup, config_text, describe, feed, wire_feed};
use newswire::config::Config;
use newswire::model::Extraction;
use newswire::pipeline::{Context, article};
use newswire::store::{FeedMeta, PollOutcome, PollRecord, Store};

#[test]
fn feeds_on_private_addresses_are_refused_without_a_request() {
    let srv = TestServer::start();
    srv.route(
        "/feed.rss",
        Reply::ok(wire_feed(&srv.url(""), "world", 3, 0))
            .header("Content-Type", "application/rss+xml"),
    );
    let port = srv.addr().port();
    // Each spelling of a loopback address, and the address guard's view of it.
    let cases = [
        ("literal", srv.url("/feed.rss"), "127.0.0.1"),
        (
            "name",
            srv.url_with_host("localhost", "/feed.rss"),
            "127.0.0.1",
        ),
        (
            "decimal",
            format!("http://2130706433:{port}/feed.rss"),
            "127.0.0.1",
        ),
        (
            "unspecified",
            format!("http://0.0.0.0:{port}/feed.rss"),
            "0.0.0.0",
        ),
        (
            "v6-loopback",
            format!("http://[::1]:{port}/feed.rss"),
            "::1",
        ),
        (
            "v4-mapped",
            format!("http://[::ffff:127.0.0.1]:{port}/feed.rss"),
            "127.0.0.1",
        ),
    ];
    let feeds: Vec<_> = cases
        .iter()
        .map(|(name, url, _)| feed(name, url.clone()))
        .collect();
    let setup = Setup::with_config(&config_text("allow_private_networks = false", "", &feeds));
    let out = setup.run(&["poll"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "every feed refused: {}",
        describe(&out)
    );
    for (name, _, addr) in cases {
        let error = setup
            .query_text(&format!(
                "SELECT last_error FROM feeds WHERE name = '{name}'"
            ))
            .unwrap_or_default();
        assert!(
            error.contains("not public") && error.contains(addr),
            "{name}: {error:?} should name {addr} as not public"
        );
        assert_eq!(
            setup
                .query_text(&format!(
                    "SELECT last_status FROM feeds WHERE name = '{name}'"
                ))
                .as_deref(),
            Some("error")
        );
    }
    assert!(
        srv.requests().is_empty(),
        "no request may reach the server: {:?}",
        srv.requests()
    );
    assert_eq!(setup.query_i64("SELECT count(*) FROM items"), 0);

    // The same config with the switch on reaches the server: the refusal
    // above came from the guard, not from a broken setup.
    setup.rewrite_config(&config_text(
        "allow_private_networks = true",
        "",
        &feeds[..1],
    ));
    let out = setup.run(&["poll"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(srv.hits("/feed.rss"), 1);
}

/// The pipeline's article stage with the fetcher a guarded config builds:
/// the feed is parsed here (it cannot be served from a public address in a
/// test), its entries link to pages on 127.0.0.1, and the page fetches must
/// be refused, each entry kept with `extraction = 'failed'` and the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn article_pages_on_private_addresses_are_refused_and_entries_kept() {
    let srv = TestServer::start();
    let base = srv.url("");
    for i in 0..3 {
        srv.route(
            &format!("/world/{i}"),
            Reply::ok("<html><body><article><p>secret intranet page</p></article></body></html>")
                .header("Content-Type", "text/html"),
        );
    }
    let text = "[storage]\npath = \"unused.db\"\n[fetch]\nallow_private_networks = false\n\
         respect_robots = true\ntimeout = \"3s\"\n[defaults]\nfull_text = true\n\
         [[feeds]]\nname = \"wire\"\nurl = \"https://wire.example/rss\"\n";
    let config = Arc::new(Config::from_toml(text, "test.toml", None).expect("config"));
    let feed_cfg = config.feeds[0].clone();
    let mut store = Store::open_in_memory().expect("store");
    store
        .sync_feeds(&config.feeds, chrono::Utc::now())
        .expect("sync");
    let ctx = Context::new(Arc::clone(&config), store).expect("context");

    let body = wire_feed(&base, "world", 3, 0);
    let parsed = newswire::parse::parse_feed(&body, None, &feed_cfg.url).expect("feed parses");
    let keys = newswire::identity::entry_keys(&feed_cfg.url, &parsed.entries);
    let fresh: Vec<_> = keys.into_iter().zip(parsed.entries.clone()).collect();
    let (stored, linked) = article::build_items(&ctx, &feed_cfg, &feed_cfg.url, fresh).await;

    assert!(linked.is_empty());
    assert_eq!(stored.len(), 3, "every entry is kept");
    for s in &stored {
        assert_eq!(s.item.extraction, Extraction::Failed, "{:?}", s.item);
        let reason = s.item.extraction_error.as_deref().unwrap_or_default();
        assert!(
            reason.contains("127.0.0.1") && reason.contains("not public"),
            "{reason}"
        );
        // The feed's own content is kept.
        assert!(
            s.item
                .content_text
                .as_deref()
                .is_some_and(|t| t.contains("Delegations met")),
            "{:?}",
            s.item.content_text
        );
    }
    assert!(
        srv.requests().is_empty(),
        "neither robots.txt nor the pages may be requested: {:?}",
        srv.requests()
    );

    // And the refusal lands in the store's columns.
    let feed_id = ctx
        .with_store(|s| s.feed_state("wire"))
        .await
        .expect("state")
        .expect("feed row")
        .id;
    let record = PollRecord {
        feed_id,
        started_at: chrono::Utc::now(),
        elapsed: std::time::Duration::ZERO,
        outcome: PollOutcome::Fetched {
            http_status: 200,
            bytes: body.len() as u64,
            etag: None,
            last_modified: None,
            meta: FeedMeta::default(),
            permanent_redirect: None,
        },
        entries: 3,
        new_entries: stored,
        linked,
        next_due_at: chrono::Utc::now(),
        error_count: 0,
        instance: None,
        lease: None,
    };
    ctx.with_store(move |s| s.record_poll(&record))
        .await
        .expect("record");
    let failed: i64 = ctx
        .with_store(|s| {
            Ok(s.sqlite()
                .expect("a SQLite store")
                .connection()
                .query_row(
                    "SELECT count(*) FROM items WHERE extraction = 'failed' \
                     AND extraction_error LIKE '%not public%'",
                    [],
                    |r| r.get(0),
                )
                .expect("count"))
        })
        .await
        .expect("query");
    assert_eq!(failed, 3);
}
