//! The syndicated feeds (parsed back with feed-rs), `/metrics` (parsed line
//! by line) and `serve` (binds, answers, stops when cancelled).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use newswire::metrics::Metrics;
use newswire::server::{ServerOptions, serve};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::fixture::{NASTY_TITLE, NASTY_TITLE_CLEAN, at, build_store, client, get, start};

/// Checks the text format line by line; returns the samples (name with labels, value).
fn parse_exposition(text: &str) -> Vec<(String, String, f64)> {
    let mut helped = Vec::new();
    let mut typed = Vec::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().expect("name");
            helped.push(name.to_string());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let name = parts.next().expect("name").to_string();
            let kind = parts.next().expect("kind");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            assert_eq!(helped.last(), Some(&name), "HELP before TYPE: {line}");
            typed.push(name);
            continue;
        }
        assert!(
            !line.starts_with('#') && !line.is_empty(),
            "stray line {line:?}"
        );
        let (series, value) = line.rsplit_once(' ').expect("name value");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value in {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => {
                let labels = labels.strip_suffix('}').expect("closing brace");
                for pair in labels.split(',') {
                    let (k, v) = pair.split_once('=').expect("label=value");
                    assert!(
                        k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                        "{line}"
                    );
                    assert!(
                        v.starts_with('"') && v.ends_with('"') && v.len() >= 2,
                        "{line}"
                    );
                }
                (name, labels.to_string())
            }
            None => (series, String::new()),
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .filter(|f| typed.iter().any(|t| t == f))
            .unwrap_or(name);
        assert!(
            typed.iter().any(|t| t == family),
            "TYPE declared for {line}"
        );
        samples.push((name.to_string(), labels, value));
    }
    samples
}

#[tokio::test]
async fn metrics_parse_and_histograms_are_cumulative() {
    let fx = build_store();
    let metrics = Arc::new(Metrics::new());
    metrics.poll_finished("rt", "ok", 2, Duration::from_millis(80));
    metrics.poll_finished("un", "error", 0, Duration::from_secs(3));
    metrics.poll_finished("tass", "not_modified", 0, Duration::from_millis(300));
    metrics.page_fetched(true, Duration::from_millis(700));
    metrics.set_feeds(3);
    metrics.set_queue_depth(1);
    let base = start(&fx.path, Arc::clone(&metrics)).await;

    let answer = get(&format!("{base}/metrics")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.content_type,
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let samples = parse_exposition(&answer.body);
    let value = |name: &str, labels: &str| {
        samples
            .iter()
            .find(|(n, l, _)| n == name && l == labels)
            .map(|(_, _, v)| *v)
            .unwrap_or_else(|| panic!("{name}{{{labels}}} in\n{}", answer.body))
    };
    assert_eq!(value("newswire_polls_total", "status=\"ok\""), 1.0);
    assert_eq!(value("newswire_polls_total", "status=\"error\""), 1.0);
    assert_eq!(value("newswire_poll_errors_total", ""), 1.0);
    assert_eq!(value("newswire_items_new_total", ""), 2.0);
    assert_eq!(value("newswire_page_fetches_total", "result=\"ok\""), 1.0);
    assert_eq!(value("newswire_feeds", ""), 3.0);
    assert_eq!(value("newswire_queue_depth", ""), 1.0);
    assert_eq!(value("newswire_store_up", ""), 1.0);
    assert_eq!(value("newswire_store_items", ""), 4.0);
    assert_eq!(value("newswire_store_stories", ""), 3.0);

    for kind in ["feed", "page"] {
        let buckets: Vec<(f64, f64)> = samples
            .iter()
            .filter(|(n, l, _)| {
                n == "newswire_fetch_duration_seconds_bucket"
                    && l.starts_with(&format!("kind=\"{kind}\","))
            })
            .map(|(_, l, v)| {
                let le = l
                    .split("le=\"")
                    .nth(1)
                    .and_then(|s| s.strip_suffix('"'))
                    .expect("le");
                let le = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().expect("le number")
                };
                (le, *v)
            })
            .collect();
        assert!(buckets.len() > 2, "{kind} buckets");
        assert!(
            buckets
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
            "cumulative: {buckets:?}"
        );
        let (last_le, last) = buckets.last().copied().expect("+Inf");
        assert!(last_le.is_infinite());
        assert_eq!(
            last,
            value(
                "newswire_fetch_duration_seconds_count",
                &format!("kind=\"{kind}\"")
            )
        );
    }
    assert_eq!(
        value("newswire_fetch_duration_seconds_count", "kind=\"feed\""),
        3.0
    );
    let sum = value("newswire_fetch_duration_seconds_sum", "kind=\"feed\"");
    assert!((sum - 3.38).abs() < 1e-9, "{sum}");
}

/// Every `&` starts a predefined or numeric entity, and no character XML 1.0
/// forbids is present.
fn assert_well_formed_text(xml: &str) {
    for c in xml.chars() {
        assert!(
            ((c as u32) >= 0x20 || matches!(c, '\t' | '\n' | '\r'))
                && !matches!(c, '\u{FFFE}' | '\u{FFFF}'),
            "forbidden character {c:?}"
        );
    }
    for (i, _) in xml.match_indices('&') {
        let rest = &xml[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#"]
                .iter()
                .any(|e| rest.starts_with(e)),
            "bare ampersand at {}",
            &rest[..rest.len().min(20)]
        );
    }
}

#[tokio::test]
async fn atom_feed_round_trips_through_a_parser() {
    let fx = build_store();
    let base = start(&fx.path, Arc::new(Metrics::new())).await;

    let answer = get(&format!("{base}/feed.atom")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type, "application/atom+xml; charset=utf-8");
    assert!(
        answer
            .body
            .starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
    );
    assert_well_formed_text(&answer.body);

    let feed = feed_rs::parser::parse(answer.body.as_bytes()).expect("Atom parses");
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    let titles: Vec<String> = feed
        .entries
        .iter()
        .map(|e| {
            e.title
                .as_ref()
                .map(|t| t.content.clone())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        titles,
        vec![
            "Climate talks open in Belém",
            "Переговоры в Кремле",
            "Grain ships leave Odesa",
            NASTY_TITLE_CLEAN
        ]
    );
    let grain = &feed.entries[3];
    assert_eq!(grain.id, "https://rt.example/news/grain-deal");
    assert_eq!(
        grain.links.first().map(|l| l.href.as_str()),
        Some("https://rt.example/news/grain-deal")
    );
    assert_eq!(
        grain.published.map(|t| t.to_rfc3339()),
        Some(at(20, 10).to_rfc3339())
    );
    let content = grain
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .expect("content");
    assert!(
        content.contains("<b>grain</b>") && content.contains("&amp; sailed"),
        "{content}"
    );
    assert_eq!(
        grain.authors.first().and_then(|a| a.name.as_deref()),
        Some("Desk & Wire")
    );
    let self_link = feed
        .links
        .iter()
        .find(|l| l.rel.as_deref() == Some("self"))
        .expect("self link");
    assert_eq!(self_link.href, format!("{base}/feed.atom"));

    let filtered = get(&format!("{base}/feed.atom?feed=tass&limit=1")).await;
    let feed = feed_rs::parser::parse(filtered.body.as_bytes()).expect("Atom parses");
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(feed.entries[0].id, "https://tass.example/economy/grain");
    let self_link = feed
        .links
        .iter()
        .find(|l| l.rel.as_deref() == Some("self"))
        .expect("self link");
    assert_eq!(
        self_link.href,
        format!("{base}/feed.atom?feed=tass&limit=1")
    );
    assert!(
        filtered.body.contains("feed.atom?feed=tass&amp;limit=1"),
        "escaped in the attribute"
    );

    let story = get(&format!("{base}/feed.atom?story={}", fx.grain)).await;
    let feed = feed_rs::parser::parse(story.body.as_bytes()).expect("Atom parses");
    assert_eq!(feed.entries.len(), 2);
    let bad = get(&format!("{base}/feed.atom?tag=")).await;
    assert_eq!(bad.status, 200, "an empty filter is no filter");
    let bad = get(&format!("{base}/feed.atom?since=2026-11-01")).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn feed_documents_revalidate_with_etags() {
    let fx = build_store();
    let base = start(&fx.path, Arc::new(Metrics::new())).await;
    for path in ["feed.atom", "feed.json?tag=russia"] {
        let url = format!("{base}/{path}");
        let first = client().get(&url).send().await.expect("request");
        assert_eq!(first.status().as_u16(), 200);
        let etag = first
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .expect("ETag")
            .to_string();
        let again = client()
            .get(&url)
            .header("If-None-Match", &etag)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status().as_u16(), 304, "{path}");
        assert!(again.text().await.expect("body").is_empty());
        let other = client()
            .get(&url)
            .header("If-None-Match", "\"something-else\"")
            .send()
            .await
            .expect("request");
        assert_eq!(other.status().as_u16(), 200, "{path}");
    }
    // Another selection is another document, with another tag.
    let a = client()
        .get(format!("{base}/feed.atom?feed=rt"))
        .send()
        .await
        .expect("request");
    let b = client()
        .get(format!("{base}/feed.atom?feed=un"))
        .send()
        .await
        .expect("request");
    assert_ne!(a.headers().get("etag"), b.headers().get("etag"));
}

#[tokio::test]
async fn json_feed_round_trips_through_a_parser() {
    let fx = build_store();
    let base = start(&fx.path, Arc::new(Metrics::new())).await;

    let answer = get(&format!("{base}/feed.json?tag=world")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type, "application/feed+json");
    let doc = answer.json();
    assert_eq!(doc["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(doc["feed_url"], format!("{base}/feed.json?tag=world"));
    let items = doc["items"].as_array().expect("items");
    assert!(
        items
            .iter()
            .all(|i| i["content_html"].is_string() || i["content_text"].is_string())
    );
    let un = items
        .iter()
        .find(|i| i["_newswire"]["item_id"] == fx.un)
        .expect("un item");
    assert!(
        un["content_text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Delegates"))
    );

    let feed = feed_rs::parser::parse(answer.body.as_bytes()).expect("JSON Feed parses");
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::JSON);
    let titles: Vec<String> = feed
        .entries
        .iter()
        .map(|e| {
            e.title
                .as_ref()
                .map(|t| t.content.clone())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        titles,
        vec![
            "Climate talks open in Belém",
            "Переговоры в Кремле",
            NASTY_TITLE
        ]
    );
    let links: Vec<&str> = feed
        .entries
        .iter()
        .filter_map(|e| e.links.first().map(|l| l.href.as_str()))
        .collect();
    assert_eq!(
        links,
        vec![
            "https://news.un.example/story/2026/11/climate",
            "https://rt.example/russian/kremlin",
            "https://rt.example/news/grain-deal"
        ]
    );
}

#[tokio::test]
async fn serve_binds_answers_and_stops_when_cancelled() {
    let fx = build_store();
    // Find a free port, then let `serve` bind it.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
    let addr: SocketAddr = probe.local_addr().expect("addr");
    drop(probe);
    let shutdown = CancellationToken::new();
    let opts = ServerOptions {
        listen: addr,
        store: fx.path.clone().into(),
        public_url: Some(url::Url::parse("https://news.example.org/api").expect("url")),
    };
    let task = tokio::spawn(serve(opts, Arc::new(Metrics::new()), shutdown.clone()));
    let mut answer = None;
    for _ in 0..100 {
        match client()
            .get(format!("http://{addr}/feed.json"))
            .send()
            .await
        {
            Ok(resp) => {
                answer = Some(resp.text().await.expect("body"));
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    let doc: Value = serde_json::from_str(&answer.expect("server answered")).expect("json");
    assert_eq!(doc["feed_url"], "https://news.example.org/api/feed.json");
    assert_eq!(doc["home_page_url"], "https://news.example.org/api/");
    shutdown.cancel();
    let result = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("stops after cancel")
        .expect("task");
    assert!(result.is_ok(), "{result:?}");
}
