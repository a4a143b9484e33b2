//! The article queue through the real binary (issue 16): a page that fails
//! for a passing reason gets its full text on a later attempt and its item
//! joins its story then; a permanent failure is recorded once and asked for
//! again only on `newswire refetch`; a daemon killed with pages pending
//! resumes them; one page linked by 1,000 entries, or by feeds polled at
//! once, is fetched once; robots.txt is fetched once per origin.

mod common;
mod harness;

use std::time::Duration;

use common::{Reply, TestServer};
use harness::{Setup, config_text, describe, feed};

/// Invented article paragraphs (not a real article), long enough for story
/// matching to see two copies as one story.
const PARAGRAPHS: [&str; 6] = [
    "The river port at Kestrel Bend reopened on Tuesday after eleven weeks of dredging, \
     letting the first grain barges of the season tie up at the eastern quay.",
    "Harbour officials said the channel now holds a depth of four metres along its whole \
     length, enough for the larger push convoys that stopped calling in the summer.",
    "Farmers upstream had trucked their harvest to rail depots two hundred kilometres away \
     while the port was shut, and several co-operatives said the extra cost ate their margin.",
    "The regional transport office put the cost of the dredging at nineteen million, shared \
     between the port authority and a fund for inland waterways set up three years ago.",
    "Barge operators welcomed the reopening but asked for a second dredger to stay on \
     station through the winter, when silt from the tributaries builds up fastest.",
    "The first convoy, six barges carrying wheat and sunflower seed, is due to leave for \
     the coast on Thursday morning if the weather holds.",
];

fn article_page(title: &str) -> String {
    let body: String = PARAGRAPHS.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><nav><a href=\"/\">Home</a> <a href=\"/world\">World</a></nav>\
         <article><h1>{title}</h1>\n{body}</article>\
         <footer>Share this story. Related: weather, markets.</footer></body></html>"
    )
}

fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Test</title>\
         <link>http://example.org/</link><description>t</description>{items}</channel></rss>"
    )
}

/// An RT-style entry: a teaser and a link.
fn teaser(title: &str, link: &str, guid: &str) -> String {
    format!(
        "<item><title>{title}</title><link>{link}</link><guid isPermaLink=\"false\">{guid}</guid>\
         <pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate>\
         <description><![CDATA[A short teaser about {title}. <a href=\"{link}\">Read the full article</a>]]></description></item>"
    )
}

fn serve_feed(srv: &TestServer, path: &str, items: &str) {
    srv.route(
        path,
        Reply::ok(rss(items)).header("Content-Type", "application/rss+xml"),
    );
}

fn html(body: String) -> Reply {
    Reply::ok(body).header("Content-Type", "text/html; charset=utf-8")
}

fn poll(setup: &Setup) {
    let out = harness::bounded_poll(setup);
    assert!(out.status.success(), "{}", describe(&out));
}

#[test]
fn a_503_then_200_gives_the_full_text_later_and_the_story_join() {
    let srv = TestServer::start();
    // The original: a teaser whose page first answers 503 with Retry-After.
    serve_feed(
        &srv,
        "/rt/rss",
        &teaser("Port reopens", &srv.url("/rt/port-reopens"), "rt-1"),
    );
    srv.route(
        "/rt/port-reopens",
        Reply::status(503).header("Retry-After", "1"),
    );
    // A republication on another host name carries the whole text in its feed.
    let full: String = PARAGRAPHS.iter().map(|p| format!("<p>{p}</p>")).collect();
    let republished = format!(
        "<item><title>Port reopens (republished)</title><link>{}</link><guid>troib-1</guid>\
         <pubDate>Tue, 01 Dec 2026 10:30:00 GMT</pubDate><description><![CDATA[{full}]]></description></item>",
        srv.url_with_host("localhost", "/troib/port-reopens")
    );
    serve_feed(&srv, "/troib/rss", &republished);
    let setup = Setup::with_config(&config_text(
        "",
        "",
        &[
            feed("rt", srv.url("/rt/rss")).with("full_text = true"),
            feed("troib", srv.url_with_host("localhost", "/troib/rss")),
        ],
    ));

    poll(&setup);
    let rt_item = "(SELECT id FROM items WHERE title = 'Port reopens')";
    assert_eq!(
        setup.query_text(&format!(
            "SELECT state FROM article_queue WHERE item_id = {rt_item}"
        )),
        Some("pending".into()),
        "a 503 is a reason to try again"
    );
    let error = setup
        .query_text(&format!(
            "SELECT last_error FROM article_queue WHERE item_id = {rt_item}"
        ))
        .unwrap_or_default();
    assert!(error.contains("503"), "{error}");
    let stories = "SELECT count(DISTINCT story_id) FROM items";
    assert_eq!(
        setup.query_i64(stories),
        2,
        "the teaser is not yet the same story"
    );
    let before = setup
        .query_text(&format!(
            "SELECT changed_at FROM items WHERE id = {rt_item}"
        ))
        .expect("changed_at");

    // The site is back; the next poll's queue round gets the page.
    srv.route("/rt/port-reopens", html(article_page("Port reopens")));
    // Retry-After plus jitter, rounded up to whole seconds as stored.
    std::thread::sleep(Duration::from_millis(3100));
    poll(&setup);
    assert_eq!(srv.hits("/rt/port-reopens"), 2, "one retry");
    let (extraction, text): (String, String) = setup
        .conn()
        .query_row(
            &format!("SELECT extraction, content_text FROM items WHERE id = {rt_item}"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("item");
    assert_eq!(extraction, "extracted");
    assert!(text.contains("Kestrel Bend"), "{text}");
    assert!(!text.contains("Share this story"), "{text}");
    assert_eq!(
        setup.query_i64(stories),
        1,
        "with its text, the original joins the republication's story"
    );
    assert_eq!(
        setup.query_i64(&format!(
            "SELECT count(*) FROM items_fts WHERE items_fts MATCH 'dredger' AND rowid = {rt_item}"
        )),
        1,
        "the search index has the new text"
    );
    assert_eq!(
        setup.query_text(&format!(
            "SELECT state || ' ' || attempts || ' ' || extraction FROM article_queue WHERE item_id = {rt_item}"
        )),
        Some("done 2 extracted".into())
    );

    // Readers see the change.
    let after = setup
        .query_text(&format!(
            "SELECT changed_at FROM items WHERE id = {rt_item}"
        ))
        .expect("changed_at");
    assert!(after > before, "{after} > {before}");
    let out = setup.run(&[
        "items",
        "--updated-since",
        &after,
        "--format",
        "json",
        "--limit",
        "10",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let titles: Vec<&str> = listed
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|i| i["title"].as_str())
        .collect();
    assert_eq!(titles, ["Port reopens"], "only the item that changed");

    // The API says the same.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut serve = setup
        .cmd(&["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve");
    let query = format!("/items?updated_since={}", after.replace(':', "%3A"));
    let body = http_get(port, &query);
    let _ = serve.kill();
    let _ = serve.wait();
    let page: serde_json::Value = serde_json::from_str(&body).expect("json");
    let titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .filter_map(|i| i["title"].as_str())
        .collect();
    assert_eq!(titles, ["Port reopens"], "{page}");
}

/// The body of `GET path` from 127.0.0.1:`port`, retrying while the server starts.
fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let end = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut conn) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let request =
                format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            conn.write_all(request.as_bytes()).expect("send");
            let mut response = String::new();
            conn.read_to_string(&mut response).expect("read");
            let (head, body) = response.split_once("\r\n\r\n").expect("head");
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            return body.to_string();
        }
        assert!(std::time::Instant::now() < end, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_404_fails_once_is_never_asked_again_and_refetch_asks_again() {
    let srv = TestServer::start();
    serve_feed(
        &srv,
        "/rss",
        &teaser("Missing page", &srv.url("/news/gone"), "gone-1"),
    );
    let setup = Setup::with_config(&config_text(
        "",
        "",
        &[feed("site", srv.url("/rss")).with("full_text = true")],
    ));
    for _ in 0..3 {
        poll(&setup);
    }
    assert_eq!(srv.hits("/news/gone"), 1, "a 404 is asked once");
    assert_eq!(
        setup.query_text("SELECT state || ' ' || last_http_status FROM article_queue"),
        Some("failed 404".into())
    );
    let out = setup.run(&["articles"]);
    assert!(out.status.success(), "{}", describe(&out));
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("failed") && listing.contains("HTTP 404"),
        "{listing}"
    );

    // Unknown ids are refused and queue nothing.
    let out = setup.run(&["refetch", "999999"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("999999"));
    assert_eq!(
        setup.query_text("SELECT state FROM article_queue"),
        Some("failed".into())
    );

    // The page exists now; the user asks again.
    srv.route("/news/gone", html(article_page("Missing page")));
    let id = setup.query_i64("SELECT item_id FROM article_queue");
    let out = setup.run(&["refetch", &id.to_string()]);
    assert!(out.status.success(), "{}", describe(&out));
    poll(&setup);
    assert_eq!(srv.hits("/news/gone"), 2);
    assert_eq!(
        setup.query_text("SELECT extraction FROM items"),
        Some("extracted".into())
    );
    assert_eq!(
        setup.query_text("SELECT state FROM article_queue"),
        Some("done".into())
    );
}

#[test]
fn a_daemon_killed_with_pages_pending_resumes_them() {
    let srv = TestServer::start();
    serve_feed(
        &srv,
        "/rss",
        &[
            teaser("Waiting page", &srv.url("/a/waiting"), "w-1"),
            teaser(
                "Hanging page",
                &srv.url_with_host("localhost", "/b/hanging"),
                "h-1",
            ),
        ]
        .concat(),
    );
    // One page waits for its retry, the other hangs on its retry when the
    // daemon is killed (its row is `running`).
    srv.route("/a/waiting", Reply::status(503).header("Retry-After", "30"));
    srv.route("/b/hanging", Reply::status(502));
    let setup = Setup::with_config(&config_text(
        "timeout = \"20s\"",
        "schedule = \"0 0 1 1 *\"",
        &[feed("site", srv.url("/rss")).with("full_text = true")],
    ));
    poll(&setup);
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM article_queue WHERE state = 'pending'"),
        2
    );
    // Make the 502 page due now, and let it hang once asked.
    setup
        .conn()
        .execute_batch(
            "UPDATE article_queue SET next_attempt_at = '2000-01-01T00:00:00Z'
             WHERE url LIKE '%/b/hanging'",
        )
        .expect("due now");
    srv.route(
        "/b/hanging",
        html(article_page("Hanging page")).delay(Duration::from_secs(60)),
    );
    let mut daemon = setup.spawn_daemon();
    assert!(
        srv.wait_for_hits("/b/hanging", 2, Duration::from_secs(20)),
        "{}",
        daemon.log_text()
    );
    setup.wait_for(
        "SELECT count(*) FROM article_queue WHERE state = 'running'",
        1,
        Duration::from_secs(10),
    );
    daemon.signal("KILL");
    daemon.wait(Duration::from_secs(10));

    // Both pages work now; the waiting one is due at once.
    srv.route("/a/waiting", html(article_page("Waiting page")));
    srv.route("/b/hanging", html(article_page("Hanging page")));
    setup
        .conn()
        .execute_batch(
            "UPDATE article_queue SET next_attempt_at = '2000-01-01T00:00:00Z'
             WHERE state = 'pending'",
        )
        .expect("due now");
    let mut daemon = setup.spawn_daemon();
    setup.wait_for(
        "SELECT count(*) FROM items WHERE extraction = 'extracted'",
        2,
        Duration::from_secs(30),
    );
    daemon.stop();
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM article_queue WHERE state = 'done'"),
        2
    );
    assert_eq!(setup.query_i64("SELECT count(*) FROM items"), 2);
}

#[test]
fn one_page_linked_by_a_thousand_entries_or_two_feeds_at_once_is_fetched_once() {
    let srv = TestServer::start();
    let many: String = (0..1000)
        .map(|i| {
            teaser(
                &format!("Copy {i}"),
                &srv.url(&format!("/one/page?utm_source=feed&amp;utm_campaign={i}")),
                &format!("copy-{i}"),
            )
        })
        .collect();
    serve_feed(&srv, "/many", &many);
    srv.route("/one/page", html(article_page("One page")));
    // Two feeds polled at once whose entries link to one slow page.
    for name in ["left", "right"] {
        serve_feed(
            &srv,
            &format!("/{name}"),
            &teaser(
                &format!("Shared from {name}"),
                &srv.url("/shared/page"),
                name,
            ),
        );
    }
    srv.route(
        "/shared/page",
        html(article_page("Shared page")).delay(Duration::from_millis(700)),
    );
    let setup = Setup::with_config(&config_text(
        "",
        "",
        &[
            feed("many", srv.url("/many")).with("full_text = true"),
            feed("left", srv.url("/left")).with("full_text = true"),
            feed("right", srv.url("/right")).with("full_text = true"),
        ],
    ));
    poll(&setup);
    assert_eq!(srv.hits("/one/page"), 1, "1,000 entries, one fetch");
    assert_eq!(srv.hits("/shared/page"), 1, "two feeds at once, one fetch");
    let one = "(SELECT id FROM items WHERE canonical_url LIKE '%/one/page')";
    assert_eq!(
        setup.query_i64(&format!(
            "SELECT count(*) FROM item_sources WHERE item_id = {one}"
        )),
        1000,
        "every entry is a source of the one item"
    );
    assert_eq!(setup.query_i64("SELECT count(*) FROM items"), 2);
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM items WHERE extraction = 'extracted'"),
        2
    );
}

#[test]
fn robots_txt_is_fetched_once_per_origin_when_pages_start_at_once() {
    let srv = TestServer::start();
    let entries: String = (0..12)
        .map(|i| {
            teaser(
                &format!("Story {i}"),
                &srv.url(&format!("/story/{i}")),
                &format!("s-{i}"),
            )
        })
        .collect();
    serve_feed(&srv, "/a", &entries);
    serve_feed(&srv, "/b", &teaser("Story b", &srv.url("/story/b"), "b-1"));
    srv.route(
        "/robots.txt",
        Reply::ok("User-agent: *\nDisallow: /private/\n")
            .header("Content-Type", "text/plain")
            .delay(Duration::from_millis(400)),
    );
    for i in (0..12).map(|i| i.to_string()).chain(["b".to_string()]) {
        srv.route(
            &format!("/story/{i}"),
            html(article_page(&format!("Story {i}"))),
        );
    }
    let setup = Setup::with_config(&config_text(
        "respect_robots = true",
        "",
        &[
            feed("a", srv.url("/a")).with("full_text = true"),
            feed("b", srv.url("/b")).with("full_text = true"),
        ],
    ));
    poll(&setup);
    assert_eq!(srv.hits("/robots.txt"), 1, "{:?}", srv.requests());
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM article_queue WHERE state = 'done'"),
        13
    );
}

/// The scenario of issue 16 under `newswire run`: two outlets on one host,
/// the original's page answers 503 with `Retry-After` to its first request.
/// The host's other pages and feeds wait for the back-off instead of
/// failing, every page gets its text, and the two copies become one story.
#[test]
fn under_the_daemon_a_bad_minute_costs_no_text_and_no_errors() {
    let srv = TestServer::start();
    let rt_items: String = ["a", "b", "c"]
        .iter()
        .map(|p| {
            teaser(
                &format!("RT story {p}"),
                &srv.url(&format!("/rt/{p}")),
                &format!("rt-{p}"),
            )
        })
        .collect();
    serve_feed(&srv, "/rt/rss", &rt_items);
    srv.route("/rt/a", Reply::status(503).header("Retry-After", "2"));
    srv.route(
        "/rt/b",
        html(article_page("RT story b")).delay(Duration::from_millis(50)),
    );
    srv.route(
        "/rt/c",
        html(article_page("RT story c")).delay(Duration::from_millis(50)),
    );
    let full: String = PARAGRAPHS.iter().map(|p| format!("<p>{p}</p>")).collect();
    serve_feed(
        &srv,
        "/troib/rss",
        &format!(
            "<item><title>Republished</title><link>{}</link><guid>troib-a</guid>\
             <description><![CDATA[{full}]]></description></item>",
            srv.url("/troib/a")
        ),
    );
    let setup = Setup::with_config(&config_text(
        "per_host_concurrency = 1",
        "schedule = \"*/3 * * * * *\"",
        &[
            feed("rt", srv.url("/rt/rss")).with("full_text = true"),
            feed("troib", srv.url("/troib/rss")),
        ],
    ));
    let mut daemon = setup.spawn_daemon();
    assert!(
        srv.wait_for_hits("/rt/a", 1, Duration::from_secs(15)),
        "{}",
        daemon.log_text()
    );
    srv.route("/rt/a", html(article_page("RT story a")));
    setup.wait_for(
        "SELECT count(*) FROM items WHERE extraction = 'extracted'",
        3,
        Duration::from_secs(30),
    );
    setup.wait_for(
        "SELECT count(*) FROM items a JOIN items b ON a.story_id = b.story_id
         WHERE a.title = 'RT story a' AND b.title = 'Republished'",
        1,
        Duration::from_secs(10),
    );
    daemon.stop();
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM fetches WHERE status = 'error'"),
        0,
        "no feed failed because of the back-off"
    );
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM article_queue WHERE state = 'done'"),
        3
    );
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM items WHERE title = 'Republished'"),
        1
    );
}
