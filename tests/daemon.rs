//! The daemon and its config: `newswire run` refuses a bad config before
//! starting; a SIGHUP with a bad file keeps the running config (and its
//! polls); a SIGHUP with a good file that adds a feed gets that feed polled;
//! a feed is polled at its schedule's firings, not in a loop; good feeds
//! keep being polled beside hostile ones, and SIGTERM still exits 0; a
//! backlog of due feeds beyond the workers is worked off in turn; the poll
//! log is pruned only when `retain_fetches` asks for it.

mod common;
mod harness;

use std::time::Duration;

use common::{Reply, TestServer};
use harness::{Setup, config_text, describe, feed, wire_feed};

#[test]
fn run_refuses_a_bad_config_with_the_key_named() {
    let cases = [
        ("timeout = \"soon\"", "", "fetch.timeout"),
        ("max_body = \"lots\"", "", "fetch.max_body"),
        ("", "max_backof = \"1h\"", "max_backof"),
    ];
    for (fetch, defaults, key) in cases {
        let setup = Setup::with_config(&config_text(
            fetch,
            defaults,
            &[feed("rt", "https://www.rt.com/rss/")],
        ));
        let out = setup.run(&["run"]);
        assert_eq!(out.status.code(), Some(2), "{key}: {}", describe(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(key) && err.contains("newswire.toml:"),
            "{key}: {err}"
        );
        assert!(
            !setup.db().exists(),
            "{key}: no store created for a refused config"
        );
    }
}

#[test]
fn sighup_keeps_the_old_config_on_a_bad_file_and_adopts_a_good_one() {
    let srv = TestServer::start();
    let base = srv.url("");
    srv.route(
        "/world.rss",
        Reply::ok(wire_feed(&base, "world", 4, 0)).header("Content-Type", "application/rss+xml"),
    );
    srv.route(
        "/business.rss",
        Reply::ok(wire_feed(&base, "business", 6, 0)).header("Content-Type", "application/rss+xml"),
    );
    let every_second = "schedule = \"*/1 * * * * *\"";
    let world = || feed("world", srv.url("/world.rss")).with(every_second);
    let setup = Setup::with_config(&config_text("", "", &[world()]));
    let mut daemon = setup.spawn_daemon();
    let world_fetches =
        "SELECT count(*) FROM fetches WHERE feed_id = (SELECT id FROM feeds WHERE name = 'world')";
    setup.wait_for(world_fetches, 2, Duration::from_secs(30));

    // A bad file: refused, logged, and the running config goes on.
    setup.rewrite_config(&config_text(
        "",
        "",
        &[
            world(),
            feed("business", srv.url("/business.rss")).with("schedule = \"every minute\""),
        ],
    ));
    daemon.signal("HUP");
    let end = std::time::Instant::now() + Duration::from_secs(20);
    while !daemon.log_text().contains("config reload refused") {
        assert!(
            std::time::Instant::now() < end,
            "no refusal logged:\n{}",
            daemon.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        daemon.log_text().contains("feeds[1].schedule"),
        "{}",
        daemon.log_text()
    );
    let seen = setup.query_i64(world_fetches);
    setup.wait_for(world_fetches, seen + 2, Duration::from_secs(30));
    assert_eq!(srv.hits("/business.rss"), 0);
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM feeds WHERE name = 'business'"),
        0,
        "the refused file left no trace in the store"
    );

    // A good file that adds a feed: it is polled.
    setup.rewrite_config(&config_text(
        "",
        "",
        &[
            world(),
            feed("business", srv.url("/business.rss")).with(every_second),
        ],
    ));
    daemon.signal("HUP");
    setup.wait_for(
        "SELECT count(*) FROM item_sources WHERE feed_id = (SELECT id FROM feeds WHERE name = 'business')",
        6,
        Duration::from_secs(30),
    );
    let seen = setup.query_i64(world_fetches);
    setup.wait_for(world_fetches, seen + 1, Duration::from_secs(30));
    let status = daemon.stop();
    let log = daemon.log_text();
    assert!(status.success(), "exit {status:?}\n{log}");
    assert!(log.contains("config reloaded"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn the_daemon_polls_on_schedule_not_in_a_loop() {
    let srv = TestServer::start();
    srv.route(
        "/world.rss",
        Reply::ok(wire_feed(&srv.url(""), "world", 2, 0))
            .header("Content-Type", "application/rss+xml"),
    );
    let setup = Setup::with_config(&config_text(
        "",
        "",
        &[feed("world", srv.url("/world.rss")).with("schedule = \"*/2 * * * * *\"")],
    ));
    let mut daemon = setup.spawn_daemon();
    setup.wait_for("SELECT count(*) FROM fetches", 1, Duration::from_secs(30));
    // Four seconds of an every-2-seconds schedule: the first poll and two
    // or three firings. A feed re-polled as soon as it finishes makes hundreds.
    std::thread::sleep(Duration::from_secs(4));
    let status = daemon.stop();
    assert!(status.success(), "{}", daemon.log_text());
    let polls = srv.hits("/world.rss");
    assert!(
        polls <= 6,
        "{polls} polls in about 4 s of an every-2-seconds schedule"
    );
}

#[test]
fn the_daemon_keeps_polling_good_feeds_beside_hostile_ones() {
    let srv = TestServer::start();
    srv.route(
        "/good.rss",
        Reply::ok(wire_feed(&srv.url(""), "world", 5, 0))
            .header("Content-Type", "application/rss+xml"),
    );
    srv.route("/endless.xml", Reply::endless());
    srv.route("/headers", Reply::headers_never_end());
    let every_second = "schedule = \"*/1 * * * * *\"";
    let setup = Setup::new(&[
        feed("good", srv.url("/good.rss")).with(every_second),
        feed("endless", srv.url("/endless.xml")).with(every_second),
        feed("headers", srv.url("/headers")).with(every_second),
    ]);
    let mut daemon = setup.spawn_daemon();
    let good_fetches =
        "SELECT count(*) FROM fetches x JOIN feeds f ON f.id = x.feed_id WHERE f.name = 'good'";
    setup.wait_for(good_fetches, 4, Duration::from_secs(30));
    setup.wait_for(
        "SELECT count(*) FROM feeds WHERE name IN ('endless', 'headers') AND last_status = 'error'",
        2,
        Duration::from_secs(30),
    );
    // The good feed goes on while the hostile ones back off.
    let seen = setup.query_i64(good_fetches);
    setup.wait_for(good_fetches, seen + 2, Duration::from_secs(30));
    let status = daemon.stop();
    let log = daemon.log_text();
    assert!(status.success(), "exit {status:?}\n{log}");
    assert!(log.contains("newswire stopped"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM item_sources"),
        5,
        "the good feed's entries, once each"
    );
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM fetches WHERE status = 'error' AND feed_id = (SELECT id FROM feeds WHERE name = 'good')"),
        0
    );
}

#[test]
fn a_backlog_beyond_the_workers_is_polled_in_turn_within_the_limit() {
    // Six feeds due every second, two workers, 400 ms a poll: every firing
    // leaves a backlog. Each feed must still be polled again and again, and
    // never more than two requests may be in flight.
    let srv = TestServer::start();
    let names = ["a", "b", "c", "d", "e", "f"];
    let feeds: Vec<_> = names
        .iter()
        .map(|name| {
            let path = format!("/{name}.rss");
            srv.route(
                &path,
                Reply::ok(wire_feed(&srv.url(""), name, 1, 0))
                    .header("Content-Type", "application/rss+xml")
                    .delay(Duration::from_millis(400)),
            );
            feed(name, srv.url(&path)).with("schedule = \"*/1 * * * * *\"")
        })
        .collect();
    let setup = Setup::with_config(&config_text("concurrency = 2", "", &feeds));
    let mut daemon = setup.spawn_daemon();
    setup.wait_for(
        "SELECT count(*) FROM (SELECT feed_id FROM fetches GROUP BY feed_id HAVING count(*) >= 3)",
        6,
        Duration::from_secs(60),
    );
    let status = daemon.stop();
    assert!(status.success(), "{}", daemon.log_text());
    let mut arrivals: Vec<_> = srv.requests().iter().map(|r| r.at).collect();
    arrivals.sort();
    // A third request can only start once one of two in flight has ended.
    for w in arrivals.windows(3) {
        let span = w[2] - w[0];
        assert!(
            span >= Duration::from_millis(300),
            "three requests started within {span:?}: more than two in flight"
        );
    }
}

#[test]
fn the_daemon_prunes_the_poll_log_only_when_configured_and_keeps_items() {
    let srv = TestServer::start();
    srv.route(
        "/world.rss",
        Reply::ok(wire_feed(&srv.url(""), "world", 2, 0))
            .header("Content-Type", "application/rss+xml"),
    );
    let feeds = [feed("world", srv.url("/world.rss"))];
    let plain = config_text("", "", &feeds);
    let storage = "[storage]\npath = \"news.db\"\n";
    assert!(plain.starts_with(storage));
    let setup = Setup::with_config(&plain);
    let out = harness::bounded_poll(&setup);
    assert!(out.status.success(), "{}", describe(&out));
    setup
        .conn()
        .execute_batch(
            "INSERT INTO fetches (feed_id, started_at, elapsed_ms, status)
             SELECT id, '2020-01-0' || n || 'T00:00:00Z', 5, 'ok'
             FROM feeds, (SELECT 1 AS n UNION SELECT 2 UNION SELECT 3)",
        )
        .expect("old poll rows");
    let old = "SELECT count(*) FROM fetches WHERE started_at < '2021'";
    assert_eq!(setup.query_i64(old), 3);

    // Without `retain_fetches` the daemon keeps every row.
    let mut daemon = setup.spawn_daemon();
    std::thread::sleep(Duration::from_secs(2));
    assert!(daemon.stop().success(), "{}", daemon.log_text());
    assert_eq!(
        setup.query_i64(old),
        3,
        "nothing is deleted unless configured"
    );

    // With it, the upkeep at start-up deletes the old rows, and only them.
    setup.rewrite_config(&plain.replacen(
        storage,
        &format!("{storage}retain_fetches = \"30d\"\n"),
        1,
    ));
    let mut daemon = setup.spawn_daemon();
    setup.wait_for(
        "SELECT count(*) = 0 FROM fetches WHERE started_at < '2021'",
        1,
        Duration::from_secs(30),
    );
    assert!(daemon.stop().success(), "{}", daemon.log_text());
    assert!(daemon.log_text().contains("pruned the poll log"));
    assert!(setup.query_i64("SELECT count(*) FROM fetches") >= 1);
    assert_eq!(setup.query_i64("SELECT count(*) FROM items"), 2);
}
