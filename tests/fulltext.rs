//! End to end: teaser feeds get their articles' full text.
//!
//! An RT-style feed whose entries carry only a teaser ("… Read Full Article at
//! RT.com") points at article pages served on 127.0.0.1: an article page with
//! navigation, share buttons and related blocks, a windows-1251 page, a page
//! whose declared canonical URL differs from its link, a PDF, a 404 and a page
//! robots.txt forbids. One `newswire poll`; the stored text is the article,
//! not the teaser, and every failure keeps the teaser with its reason.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Reply, TestServer};

const BIN: &str = env!("CARGO_BIN_EXE_newswire");

fn page(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/pages")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn item(title: &str, link: &str) -> String {
    format!(
        "<item><title>{title}</title><link>{link}</link><guid>{link}</guid>\
         <pubDate>Thu, 26 Nov 2026 10:00:00 GMT</pubDate>\
         <description><![CDATA[A short teaser about {title}.<br/><a href=\"{link}\">Read Full Article at RT.com</a>]]></description></item>"
    )
}

#[test]
fn teasers_are_replaced_by_the_article_and_failures_keep_the_teaser() {
    let srv = TestServer::start();
    srv.route(
        "/robots.txt",
        Reply::ok("User-agent: *\nDisallow: /private/\n").header("Content-Type", "text/plain"),
    );
    srv.route(
        "/russia/600001-moscow-river-terminal/",
        Reply::ok(page("rt_article.html")).header("Content-Type", "text/html; charset=utf-8"),
    );
    srv.route(
        "/ru/grain",
        Reply::ok(page("cp1251_article.html")).header("Content-Type", "text/html"),
    );
    srv.route(
        "/business/2026/11/grain-exports-rise-amp",
        Reply::ok(page("canonical.html")).header("Content-Type", "text/html"),
    );
    srv.route(
        "/files/report.pdf",
        Reply::ok(b"%PDF-1.7\n...".to_vec()).header("Content-Type", "application/pdf"),
    );
    srv.route(
        "/private/secret",
        Reply::ok(page("rt_article.html")).header("Content-Type", "text/html"),
    );
    let items = [
        item(
            "River terminal reopens",
            &srv.url("/russia/600001-moscow-river-terminal/?utm_source=rss&amp;utm_medium=feed"),
        ),
        item("Grain in cp1251", &srv.url("/ru/grain")),
        item(
            "Exports rise",
            &srv.url("/business/2026/11/grain-exports-rise-amp"),
        ),
        item("Annual report", &srv.url("/files/report.pdf")),
        item("Missing page", &srv.url("/news/gone")),
        item("Private page", &srv.url("/private/secret")),
    ]
    .concat();
    let feed = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>RT - Daily news</title>\
         <link>https://www.rt.com</link><description>RT</description>{items}</channel></rss>"
    );
    srv.route(
        "/rss/",
        Reply::ok(feed).header("Content-Type", "application/rss+xml"),
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("newswire.toml");
    std::fs::write(
        &config,
        format!(
            "[storage]\npath = \"news.db\"\n[fetch]\nallow_private_networks = true\nper_host_interval = \"0s\"\n\
             per_host_concurrency = 4\n[[feeds]]\nname = \"rt\"\nurl = \"{}\"\nfull_text = true\n",
            srv.url("/rss/")
        ),
    )
    .expect("config");
    let poll = || {
        let out = Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .arg("poll")
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    poll();

    let db = rusqlite::Connection::open(dir.path().join("news.db")).expect("db");
    let row = |title: &str| -> (String, String, String, Option<String>) {
        db.query_row(
            "SELECT canonical_url, COALESCE(content_text, ''), extraction, extraction_error FROM items WHERE title = ?1",
            [title],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap_or_else(|e| panic!("{title}: {e}"))
    };

    let (canonical, text, how, _) = row("River terminal reopens");
    assert_eq!(how, "extracted");
    let path: Option<String> = db
        .query_row(
            "SELECT extraction_path FROM items WHERE title = 'River terminal reopens'",
            [],
            |r| r.get(0),
        )
        .expect("extraction_path");
    assert_eq!(
        path.as_deref(),
        Some("strict"),
        "the pass that chose the text is recorded"
    );
    let expected = String::from_utf8(page("rt_article.expected.txt")).expect("utf8");
    assert_eq!(
        words(&text),
        words(&expected),
        "the article, not the teaser or the page chrome"
    );
    assert_eq!(
        canonical, "https://www.rt.com/russia/600001-moscow-river-terminal/",
        "the page's declared canonical URL is the identity"
    );

    let (_, text, how, _) = row("Grain in cp1251");
    assert_eq!(how, "extracted");
    let expected = String::from_utf8(page("cp1251_article.expected.txt")).expect("utf8");
    assert_eq!(
        words(&text),
        words(&expected),
        "windows-1251 decoded from <meta charset>"
    );

    let (canonical, _, how, _) = row("Exports rise");
    assert_eq!(how, "extracted");
    assert_eq!(
        canonical,
        srv.url("/business/2026/11/grain-exports-rise"),
        "relative canonical resolved against the page"
    );

    for (title, reason) in [
        ("Annual report", "not an HTML page"),
        ("Missing page", "404"),
        ("Private page", "robots.txt"),
    ] {
        let (_, text, how, error) = row(title);
        assert_eq!(how, "failed", "{title}");
        let error = error.unwrap_or_default();
        assert!(error.contains(reason), "{title}: {error}");
        assert!(
            text.contains(&format!("A short teaser about {title}")),
            "{title} keeps the feed's text: {text}"
        );
    }
    assert_eq!(
        srv.hits("/private/secret"),
        0,
        "robots.txt is obeyed: no request"
    );

    // A second poll fetches no page again.
    let pages_before = srv.hits("/russia/600001-moscow-river-terminal/");
    srv.route("/rss/", Reply::ok(format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>RT</title><link>https://www.rt.com</link>\
         <description>RT</description>{}</channel></rss>",
        item("River terminal reopens", &srv.url("/russia/600001-moscow-river-terminal/?utm_source=rss&amp;utm_medium=feed"))
    )).header("Content-Type", "application/rss+xml"));
    poll();
    assert_eq!(
        srv.hits("/russia/600001-moscow-river-terminal/"),
        pages_before
    );
    let count: i64 = db
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .expect("count");
    assert_eq!(count, 6);
}
