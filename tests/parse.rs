//! Feed fixtures through `parse_feed` and `entry_keys`, compared with the
//! expected output stored beside each fixture (`<name>.expected.json`).
//!
//! `NEWSWIRE_BLESS=1 cargo test --test parse` rewrites the expected files from
//! the current output; read the diff before committing it.

use std::path::{Path, PathBuf};

use newswire::identity::entry_keys;
use newswire::model::FeedFormat;
use newswire::parse::{ParseError, ParsedFeed, parse_feed};
use serde_json::{Value, json};
use url::Url;

/// A fixture, the `Content-Type` it is served with and the URL it is fetched from.
struct Case {
    file: &'static str,
    content_type: Option<&'static str>,
    feed_url: &'static str,
}

const CASES: &[Case] = &[
    Case {
        file: "rt.rss",
        content_type: Some("application/rss+xml; charset=utf-8"),
        feed_url: "https://www.rt.com/rss/",
    },
    Case {
        file: "tass-cp1251.rss",
        content_type: Some("application/rss+xml"),
        feed_url: "https://tass.ru/rss/v2.xml",
    },
    Case {
        file: "koi8r.rss",
        content_type: Some("text/xml; charset=KOI8-R"),
        feed_url: "https://ria.ru/export/rss2/index.xml",
    },
    Case {
        file: "un-news.atom",
        content_type: Some("application/atom+xml"),
        feed_url: "https://news.un.org/feed/subscribe/en/news/all/atom.xml",
    },
    Case {
        file: "atom03.xml",
        content_type: Some("application/xml"),
        feed_url: "https://www.globaltimes.cn/rss/china.xml",
    },
    Case {
        file: "xinhua.rdf",
        content_type: Some("application/rdf+xml"),
        feed_url: "https://english.news.cn/rss/worldrss.xml",
    },
    Case {
        file: "feed.json",
        content_type: Some("application/feed+json"),
        feed_url: "https://www.aa.com.tr/en/feed.json",
    },
    Case {
        file: "rss091.xml",
        content_type: Some("text/xml"),
        feed_url: "https://tass.com/rss/economy.xml",
    },
    Case {
        file: "no-guids.rss",
        content_type: None,
        feed_url: "https://tass.com/rss/politics.xml",
    },
    Case {
        file: "repeated-guids.rss",
        content_type: None,
        feed_url: "https://www.rt.com/rss/russia/",
    },
    Case {
        file: "bare-rss.xml",
        content_type: Some("text/xml"),
        feed_url: "https://news.un.org/feed/subscribe/en/news/topic/humanitarian-aid/feed/rss.xml",
    },
    Case {
        file: "broken.xml",
        content_type: Some("application/rss+xml"),
        feed_url: "https://tass.com/rss/russia.xml",
    },
    Case {
        file: "html-page.html",
        content_type: Some("text/html; charset=utf-8"),
        feed_url: "https://news.un.org/en/",
    },
    Case {
        file: "empty.xml",
        content_type: Some("application/xml"),
        feed_url: "https://tass.com/rss/empty.xml",
    },
];

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/feeds")
}

fn read(file: &str) -> Vec<u8> {
    let path = fixture_dir().join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap_or_else(|e| panic!("bad test URL {s}: {e}"))
}

fn parse_case(case: &Case) -> Result<ParsedFeed, ParseError> {
    parse_feed(&read(case.file), case.content_type, &url(case.feed_url))
}

fn parse_ok(case: &Case) -> ParsedFeed {
    parse_case(case).unwrap_or_else(|e| panic!("{}: {e}", case.file))
}

fn case(file: &str) -> &'static Case {
    CASES
        .iter()
        .find(|c| c.file == file)
        .unwrap_or_else(|| panic!("no case {file}"))
}

fn keys_of(case: &Case, feed: &ParsedFeed) -> Vec<String> {
    entry_keys(&url(case.feed_url), &feed.entries)
        .into_iter()
        .map(|k| k.0)
        .collect()
}

/// The observable output for one fixture, as stored in `<name>.expected.json`.
fn snapshot(case: &Case) -> Value {
    match parse_case(case) {
        Ok(feed) => {
            let keys = keys_of(case, &feed);
            let entries: Vec<Value> = feed
                .entries
                .iter()
                .zip(keys)
                .map(|(e, key)| {
                    json!({
                        "key": key,
                        "guid": e.guid,
                        "title": e.title,
                        "link": e.link,
                        "published": e.published.map(|d| d.to_rfc3339()),
                        "updated": e.updated.map(|d| d.to_rfc3339()),
                        "authors": e.authors,
                        "categories": e.categories,
                        "image": e.image,
                        "language": e.language,
                        "has_summary": e.summary.is_some(),
                        "has_content": e.content.is_some(),
                    })
                })
                .collect();
            json!({
                "format": feed.format.as_str(),
                "title": feed.title,
                "site_url": feed.site_url,
                "language": feed.language,
                "ttl_secs": feed.ttl.map(|d| d.as_secs()),
                "entries": entries,
            })
        }
        Err(ParseError::NotAFeed { detail, alternates }) => {
            json!({ "error": "not_a_feed", "detail": detail, "alternates": alternates })
        }
        Err(ParseError::Empty) => json!({ "error": "empty" }),
        Err(ParseError::Malformed(detail)) => json!({ "error": "malformed", "detail": detail }),
        Err(ParseError::Panicked(detail)) => json!({ "error": "panicked", "detail": detail }),
    }
}

#[test]
fn fixtures_match_expected_output() {
    let bless = std::env::var_os("NEWSWIRE_BLESS").is_some_and(|v| v == "1");
    let mut mismatches = Vec::new();
    for case in CASES {
        let actual = snapshot(case);
        let expected_path = fixture_dir().join(format!("{}.expected.json", case.file));
        if bless {
            let text = serde_json::to_string_pretty(&actual).expect("serialisable") + "\n";
            std::fs::write(&expected_path, text).expect("write expected file");
            continue;
        }
        let stored = std::fs::read_to_string(&expected_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with NEWSWIRE_BLESS=1)",
                expected_path.display()
            )
        });
        let expected: Value = serde_json::from_str(&stored).expect("expected file is JSON");
        if expected != actual {
            mismatches.push(format!(
                "{}:\n--- expected\n{}\n--- actual\n{}",
                case.file,
                serde_json::to_string_pretty(&expected).unwrap_or_default(),
                serde_json::to_string_pretty(&actual).unwrap_or_default()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
}

#[test]
fn every_fixture_parses_the_same_twice() {
    for case in CASES {
        assert_eq!(snapshot(case), snapshot(case), "{}", case.file);
    }
}

#[test]
fn keys_are_distinct_and_links_absolute() {
    for case in CASES {
        let Ok(feed) = parse_case(case) else { continue };
        let keys = keys_of(case, &feed);
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            sorted.len(),
            keys.len(),
            "{}: repeated keys {keys:?}",
            case.file
        );
        for entry in &feed.entries {
            for link in entry.link.iter().chain(entry.image.iter()) {
                let parsed = url(link);
                assert!(
                    matches!(parsed.scheme(), "http" | "https"),
                    "{}: {link}",
                    case.file
                );
            }
        }
    }
}

#[test]
fn main_fixtures_have_their_format_and_entry_count() {
    let expected = [
        ("rt.rss", FeedFormat::Rss, 15),
        ("tass-cp1251.rss", FeedFormat::Rss, 12),
        ("koi8r.rss", FeedFormat::Rss, 10),
        ("un-news.atom", FeedFormat::Atom, 12),
        ("atom03.xml", FeedFormat::Atom, 5),
        ("xinhua.rdf", FeedFormat::Rdf, 10),
        ("feed.json", FeedFormat::Json, 10),
        ("rss091.xml", FeedFormat::Rss, 6),
        ("no-guids.rss", FeedFormat::Rss, 10),
        ("repeated-guids.rss", FeedFormat::Rss, 9),
        ("bare-rss.xml", FeedFormat::Rss, 5),
        // Truncated inside the seventh item: the six whole ones are kept.
        ("broken.xml", FeedFormat::Rss, 6),
    ];
    for (file, format, count) in expected {
        let feed = parse_ok(case(file));
        assert_eq!((feed.format, feed.entries.len()), (format, count), "{file}");
        assert!(
            feed.entries.iter().all(|e| e.title.is_some()),
            "{file}: an entry lost its title"
        );
    }
}

#[test]
fn windows_1251_declared_in_xml_is_decoded() {
    let feed = parse_ok(case("tass-cp1251.rss"));
    assert_eq!(
        feed.title.as_deref(),
        Some("ТАСС — Информационное агентство России")
    );
    let first = &feed.entries[0];
    assert_eq!(
        first.title.as_deref(),
        Some("Песков: Кремль изучает предложения по энергетическому перемирию")
    );
    assert!(first.summary.as_deref().is_some_and(|s| s.contains("ждёт")));
    assert!(
        feed.entries
            .iter()
            .all(|e| !e.title.as_deref().unwrap_or_default().contains('\u{FFFD}'))
    );
}

#[test]
fn koi8r_from_header_and_from_sniffing_agree() {
    let body = read("koi8r.rss");
    let feed_url = url(case("koi8r.rss").feed_url);
    let declared = parse_feed(&body, Some("text/xml; charset=KOI8-R"), &feed_url).expect("parses");
    let sniffed = parse_feed(&body, None, &feed_url).expect("parses");
    assert_eq!(declared, sniffed);
    assert_eq!(
        declared.entries[0].title.as_deref(),
        Some("Правительство утвердило план развития Северного морского пути до 2035 года")
    );
}

#[test]
fn header_charset_outranks_sniffing() {
    // The same KOI8-R bytes with a wrong header: the header is believed (it is
    // evidence, sniffing is a guess), so the text comes out as mojibake.
    let body = read("koi8r.rss");
    let feed_url = url(case("koi8r.rss").feed_url);
    let wrong =
        parse_feed(&body, Some("text/xml; charset=windows-1251"), &feed_url).expect("parses");
    let title = wrong.entries[0].title.clone().unwrap_or_default();
    assert_ne!(
        title,
        "Правительство утвердило план развития Северного морского пути до 2035 года"
    );
    assert!(!title.is_empty());
}

#[test]
fn utf8_feed_reencoded_with_bom_or_junk_parses_identically() {
    let rt = case("rt.rss");
    let body = read(rt.file);
    let feed_url = url(rt.feed_url);
    let plain = parse_feed(&body, rt.content_type, &feed_url).expect("parses");

    let mut with_bom = vec![0xEF, 0xBB, 0xBF];
    with_bom.extend_from_slice(&body);
    assert_eq!(
        parse_feed(&with_bom, None, &feed_url).expect("parses"),
        plain
    );

    let mut with_junk =
        b"\n<br />\n<b>Warning</b>: Cannot modify header information in feed.php on line 3<br />\n"
            .to_vec();
    with_junk.extend_from_slice(&body);
    assert_eq!(
        parse_feed(&with_junk, rt.content_type, &feed_url).expect("parses"),
        plain
    );

    // Served with an HTML content type, but the document is RSS: still a feed.
    assert_eq!(
        parse_feed(&body, Some("text/html"), &feed_url).expect("parses"),
        plain
    );
}

#[test]
fn generated_ids_are_never_used() {
    let case = case("no-guids.rss");
    let first = parse_ok(case);
    let second = parse_ok(case);
    assert!(first.entries.iter().all(|e| e.guid.is_none()));
    let keys = keys_of(case, &first);
    assert_eq!(keys, keys_of(case, &second));
    // Entries with a link are keyed by it; the two without one by the hash.
    let linked = keys
        .iter()
        .filter(|k| k.starts_with("url:https://tass.com/politics/"))
        .count();
    let hashed = keys.iter().filter(|k| k.starts_with("sha:")).count();
    assert_eq!((linked, hashed), (8, 2), "{keys:?}");
    // RDF items carry no guid either (rdf:about is not an id).
    assert!(
        parse_ok(self::case("xinhua.rdf"))
            .entries
            .iter()
            .all(|e| e.guid.is_none())
    );
}

#[test]
fn repeated_guids_are_kept_apart() {
    let case = case("repeated-guids.rss");
    let feed = parse_ok(case);
    let keys = keys_of(case, &feed);
    assert_eq!(
        keys[0],
        "id:https://www.rt.com/russia/ url:https://www.rt.com/russia/614001-moscow-region-hospital/"
    );
    assert_eq!(
        keys[3],
        "id:https://www.rt.com/russia/ url:https://www.rt.com/russia/613961-petersburg-metro-anniversary/"
    );
    assert!(
        keys[4].starts_with("id:rt-live-613950 sha:")
            && keys[5].starts_with("id:rt-live-613950 sha:")
    );
    assert_ne!(keys[4], keys[5]);
    assert_eq!(
        keys[6],
        "id:https://www.rt.com/russia/613940-kamchatka-volcano/"
    );
    assert_eq!(keys[7], "id:rt-dup-613930 n:1");
    assert_eq!(keys[8], "id:rt-dup-613930 n:2");
}

#[test]
fn html_page_reports_its_feed_alternates() {
    let case = case("html-page.html");
    match parse_case(case) {
        Err(ParseError::NotAFeed { alternates, .. }) => assert_eq!(
            alternates,
            vec![
                "https://news.un.org/feed/subscribe/en/news/all/rss.xml",
                "https://news.un.org/feed/subscribe/en/news/all/atom.xml",
            ]
        ),
        other => panic!("expected NotAFeed, got {other:?}"),
    }
    // Served without a content type, the <html> root still gives it away.
    let untyped = parse_feed(&read(case.file), None, &url(case.feed_url));
    assert!(
        matches!(untyped, Err(ParseError::NotAFeed { ref alternates, .. }) if alternates.len() == 2),
        "{untyped:?}"
    );
}

#[test]
fn empty_body_is_empty() {
    assert_eq!(parse_case(case("empty.xml")), Err(ParseError::Empty));
}

#[test]
fn truncated_without_a_whole_entry_is_malformed() {
    let body = read("broken.xml");
    let text = String::from_utf8(body).expect("utf-8 fixture");
    let cut = text.find("<item>").map(|at| at + 20).expect("has an item");
    let result = parse_feed(
        &text.as_bytes()[..cut],
        None,
        &url("https://tass.com/rss/russia.xml"),
    );
    assert!(
        matches!(result, Err(ParseError::Malformed(_))),
        "{result:?}"
    );
}

#[test]
fn every_prefix_of_a_feed_parses_or_errs_without_panicking() {
    // Cut the RT fixture at many points (including inside multi-byte text of
    // the TASS one): each must give a value or an error, never a panic.
    for file in ["rt.rss", "tass-cp1251.rss", "feed.json", "un-news.atom"] {
        let body = read(file);
        let step = (body.len() / 97).max(1);
        for cut in (0..body.len()).step_by(step) {
            let result = parse_feed(&body[..cut], None, &url("https://www.rt.com/rss/"));
            assert!(
                !matches!(result, Err(ParseError::Panicked(_))),
                "{file} cut at {cut}: {result:?}"
            );
        }
    }
}

/// Hand-made feeds often carry a bare `&` in links and titles, or `&nbsp;`,
/// which XML does not define; the whole document used to be refused.
#[test]
fn bare_ampersands_do_not_lose_the_feed() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Markets & Economy</title><link>https://m.example/</link>
<item><title>Q&A: grain&nbsp;prices</title><link>https://m.example/a?x=1&y=2</link><guid>a</guid></item>
</channel></rss>"#;
    let url = url::Url::parse("https://m.example/rss").expect("url");
    let feed = newswire::parse::parse_feed(body, None, &url).expect("repaired");
    assert_eq!(feed.title.as_deref(), Some("Markets & Economy"));
    assert_eq!(feed.entries[0].title.as_deref(), Some("Q&A: grain prices"));
    assert_eq!(
        feed.entries[0].link.as_deref(),
        Some("https://m.example/a?x=1&y=2")
    );
}
