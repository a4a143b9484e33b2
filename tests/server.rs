//! The HTTP API end to end: a store written through `Store::record_poll` on a
//! temporary file, the router served on 127.0.0.1, requests made with reqwest.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use newswire::metrics::Metrics;
use newswire::model::{EntryKey, Extraction, NewItem};
use newswire::server::{AppState, ServerOptions, router, serve};
use newswire::store::{FeedMeta, LinkedEntry, PollOutcome, PollRecord, Store, StoredEntry};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// A title with every character XML must escape, and one it forbids.
const NASTY_TITLE: &str = "Grain deal & \"ships\" <leave> 'Odesa'\u{1}";
/// The same title as a feed reader should see it (the control character dropped).
const NASTY_TITLE_CLEAN: &str = "Grain deal & \"ships\" <leave> 'Odesa'";

const GRAIN_TEXT: &str = "Three ships carrying grain left the port of Odesa on Monday under the \
    extended Black Sea arrangement, officials said. The convoy is bound for Istanbul, where \
    inspectors from both sides will check the cargo before it continues to ports in Africa \
    and Asia. Wheat futures fell in Chicago after the announcement.";

fn feeds_config() -> Vec<newswire::config::FeedConfig> {
    let toml = "[[feeds]]\nname = \"rt\"\nurl = \"https://rt.example/rss\"\ntags = [\"world\", \"russia\"]\n\
                [[feeds]]\nname = \"tass\"\nurl = \"https://tass.example/rss\"\ntags = [\"russia\"]\n\
                [[feeds]]\nname = \"un\"\nurl = \"https://news.un.example/feed\"\ntags = [\"world\"]\n";
    newswire::config::Config::from_toml(toml, "test.toml", None)
        .expect("valid config")
        .feeds
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0)
        .single()
        .expect("valid time")
}

struct ItemSpec<'a> {
    key: &'a str,
    url: &'a str,
    title: &'a str,
    text: &'a str,
    html: Option<&'a str>,
    published: DateTime<Utc>,
    language: &'a str,
}

fn entry(spec: &ItemSpec<'_>) -> StoredEntry {
    StoredEntry {
        key: EntryKey(spec.key.into()),
        entry_url: Some(format!("{}?utm_source=rss", spec.url)),
        item: NewItem {
            url: spec.url.into(),
            canonical_url: spec.url.into(),
            title: Some(spec.title.into()),
            author: Some("Desk & Wire".into()),
            published_at: Some(spec.published),
            updated_at: None,
            summary: Some(format!("Summary: {}", spec.title)),
            content_html: spec.html.map(str::to_string),
            content_text: Some(spec.text.into()),
            language: Some(spec.language.into()),
            image: None,
            site_name: None,
            extraction: Extraction::Extracted,
            extraction_error: None,
        },
    }
}

fn poll(
    feed_id: i64,
    started: DateTime<Utc>,
    entries: Vec<StoredEntry>,
    linked: Vec<LinkedEntry>,
) -> PollRecord {
    PollRecord {
        feed_id,
        started_at: started,
        elapsed: Duration::from_millis(120),
        outcome: PollOutcome::Fetched {
            http_status: 200,
            bytes: 2048,
            etag: None,
            last_modified: None,
            meta: FeedMeta::default(),
            permanent_redirect: None,
        },
        entries: entries.len() + linked.len(),
        new_entries: entries,
        linked,
        next_due_at: started + chrono::TimeDelta::minutes(15),
        error_count: 0,
    }
}

/// Ids of the stored items, by name.
struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    grain: i64,
    kremlin: i64,
    tass_grain: i64,
    un: i64,
}

/// rt: the grain article (HTML body, nasty title) and a Russian one;
/// tass: a rewrite of the grain article (same text: the same story), and rt's
/// grain article again (a second source); un: one article without HTML, then a
/// failed poll.
fn build_store() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("news.db");
    let mut store = Store::open(&path).expect("open store");
    store
        .sync_feeds(&feeds_config(), at(20, 0))
        .expect("sync feeds");
    let id_of = |store: &Store, name: &str| store.feed_state(name).expect("query").expect(name).id;
    let (rt, tass, un) = (
        id_of(&store, "rt"),
        id_of(&store, "tass"),
        id_of(&store, "un"),
    );

    store
        .record_poll(&poll(
            rt,
            at(20, 11),
            vec![
                entry(&ItemSpec {
                    key: "id:rt-1",
                    url: "https://rt.example/news/grain-deal",
                    title: NASTY_TITLE,
                    text: GRAIN_TEXT,
                    html: Some("<p>Three ships carrying <b>grain</b> left &amp; sailed.</p>"),
                    published: at(20, 10),
                    language: "en",
                }),
                entry(&ItemSpec {
                    key: "id:rt-2",
                    url: "https://rt.example/russian/kremlin",
                    title: "Переговоры в Кремле",
                    text: "Делегации обсудили зерновую сделку и поставки удобрений в Кремле во вторник.",
                    html: Some("<p>Делегации обсудили зерновую сделку.</p>"),
                    published: at(22, 9),
                    language: "ru-RU",
                }),
            ],
            vec![],
        ))
        .expect("rt poll");
    let grain = store
        .item_by_canonical("https://rt.example/news/grain-deal")
        .expect("query")
        .expect("grain stored");
    store
        .record_poll(&poll(
            tass,
            at(21, 8),
            vec![entry(&ItemSpec {
                key: "id:tass-77",
                url: "https://tass.example/economy/grain",
                title: "Grain ships leave Odesa",
                text: GRAIN_TEXT,
                html: Some("<p>Grain ships left Odesa.</p>"),
                published: at(21, 7),
                language: "en",
            })],
            vec![LinkedEntry {
                key: EntryKey("id:tass-78".into()),
                entry_url: Some("https://rt.example/news/grain-deal".into()),
                item_id: grain,
            }],
        ))
        .expect("tass poll");
    store
        .record_poll(&poll(
            un,
            at(25, 12),
            vec![entry(&ItemSpec {
                key: "id:un-5",
                url: "https://news.un.example/story/2026/11/climate",
                title: "Climate talks open in Belém",
                text: "Delegates from nearly two hundred countries gathered for the opening session.",
                html: None,
                published: at(25, 11),
                language: "en",
            })],
            vec![],
        ))
        .expect("un poll");
    let mut failed = poll(un, at(26, 12), vec![], vec![]);
    failed.outcome = PollOutcome::Failed {
        http_status: Some(503),
        error: "HTTP 503 from https://news.un.example/feed".into(),
        gone: false,
    };
    failed.error_count = 1;
    store.record_poll(&failed).expect("failed poll");

    let by_url = |url: &str| store.item_by_canonical(url).expect("query").expect(url);
    Fixture {
        kremlin: by_url("https://rt.example/russian/kremlin"),
        tass_grain: by_url("https://tass.example/economy/grain"),
        un: by_url("https://news.un.example/story/2026/11/climate"),
        grain,
        path,
        _dir: dir,
    }
}

/// Serves the router for `path` on 127.0.0.1; returns the base URL.
async fn start(path: &Path, metrics: Arc<Metrics>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(AppState::new(path.to_path_buf(), None, metrics));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// A plain-HTTP client (reqwest is built without a default TLS provider).
fn client() -> reqwest::Client {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn get(url: &str) -> Answer {
    let resp = client().get(url).send().await.expect("request");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = resp.text().await.expect("body");
    Answer {
        status,
        content_type,
        body,
    }
}

async fn get_json(url: &str) -> Value {
    let answer = get(url).await;
    assert_eq!(answer.status, 200, "{url}: {}", answer.body);
    assert_eq!(answer.content_type, "application/json", "{url}");
    answer.json()
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|v| v["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn items_filter_limit_and_page() {
    let fx = build_store();
    let base = start(&fx.path, Arc::new(Metrics::new())).await;

    let all = get_json(&format!("{base}/items")).await;
    assert_eq!(
        ids(&all["items"]),
        vec![fx.un, fx.kremlin, fx.tass_grain, fx.grain],
        "newest first"
    );
    assert_eq!(all["limit"], 50);
    assert_eq!(all["next_offset"], Value::Null);
    let grain = &all["items"][3];
    assert_eq!(grain["title"], NASTY_TITLE);
    assert_eq!(grain["feeds"].as_array().map(Vec::len), Some(2));
    assert!(
        grain.get("content_text").is_none(),
        "lists carry no article text"
    );

    let page = get_json(&format!("{base}/items?limit=2")).await;
    assert_eq!(ids(&page["items"]), vec![fx.un, fx.kremlin]);
    assert_eq!(page["next_offset"], 2);
    let page = get_json(&format!("{base}/items?limit=2&offset=2")).await;
    assert_eq!(ids(&page["items"]), vec![fx.tass_grain, fx.grain]);

    let by_feed = get_json(&format!("{base}/items?feed=tass")).await;
    assert_eq!(ids(&by_feed["items"]), vec![fx.tass_grain, fx.grain]);
    let by_tag = get_json(&format!("{base}/items?tag=world")).await;
    assert_eq!(ids(&by_tag["items"]), vec![fx.un, fx.kremlin, fx.grain]);
    let by_lang = get_json(&format!("{base}/items?language=ru")).await;
    assert_eq!(ids(&by_lang["items"]), vec![fx.kremlin]);
    let window = get_json(&format!("{base}/items?since=2026-11-21&until=2026-11-22")).await;
    assert_eq!(
        ids(&window["items"]),
        vec![fx.kremlin, fx.tass_grain],
        "until's day is included"
    );
    let window = get_json(&format!(
        "{base}/items?since=2026-11-21T08%3A00%3A00%2B01%3A00&until=2026-11-22T09:00:00Z"
    ))
    .await;
    assert_eq!(ids(&window["items"]), vec![fx.tass_grain]);
    let story = get_json(&format!("{base}/items?story={}", fx.grain)).await;
    assert_eq!(ids(&story["items"]), vec![fx.tass_grain, fx.grain]);

    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("since=last+week", "since"),
        ("until=2026-13-01", "until"),
        ("story=abc", "story"),
        ("feeds=rt", "feeds"),
    ] {
        let answer = get(&format!("{base}/items?{query}")).await;
        assert_eq!(answer.status, 400, "{query}");
        assert_eq!(answer.content_type, "application/json");
        let error = answer.json()["error"].as_str().unwrap_or("").to_string();
        assert!(error.contains(&format!("`{param}`")), "{query}: {error}");
    }
}

#[tokio::test]
async fn one_item_in_full_or_404() {
    let fx = build_store();
    let base = start(&fx.path, Arc::new(Metrics::new())).await;

    let item = get_json(&format!("{base}/items/{}", fx.grain)).await;
    assert_eq!(item["id"], fx.grain);
    assert_eq!(item["title"], NASTY_TITLE);
    assert_eq!(item["story_id"], fx.grain);
    assert!(
        item["content_html"]
            .as_str()
            .is_some_and(|h| h.contains("<b>grain</b>"))
    );
    assert!(
        item["content_text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Three ships"))
    );
    let sources: Vec<(String, String)> = item["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| {
            (
                s["feed"].as_str().unwrap_or("").to_string(),
                s["entry_url"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        sources,
        vec![
            (
                "rt".into(),
                "https://rt.example/news/grain-deal?utm_source=rss".into()
            ),
            ("tass".into(), "https://rt.example/news/grain-deal".into()),
        ]
    );

    let missing = get(&format!("{base}/items/999999")).await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("999999"))
    );
    let bad = get(&format!("{base}/items/grain")).await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("`id`"))
    );
    let unknown = get(&format!("{base}/nothing-here")).await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.json()["error"].is_string());
    let post = client()
        .post(format!("{base}/items"))
        .send()
        .await
        .expect("post");
    assert_eq!(post.status().as_u16(), 405);
}

#[tokio::test]
async fn search_ranks_and_snippets() {
    let fx = build_store();
    let base = start(&fx.path, Arc::new(Metrics::new())).await;

    let found = get_json(&format!("{base}/search?q=grain+ships")).await;
    assert_eq!(found["query"], "grain ships");
    let hits = found["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 2, "{found}");
    assert_eq!(
        hits[0]["id"], fx.tass_grain,
        "both words in the title rank first"
    );
    assert!(hits[0]["rank"].as_f64() <= hits[1]["rank"].as_f64());
    assert!(
        hits.iter()
            .all(|h| h["snippet"].as_str().is_some_and(|s| s.contains("[grain]"))),
        "{found}"
    );

    let one_feed = get_json(&format!("{base}/search?q=grain&feed=rt")).await;
    assert_eq!(ids(&one_feed["hits"]), vec![fx.grain]);
    let later = get_json(&format!("{base}/search?q=grain&since=2026-11-21")).await;
    assert_eq!(ids(&later["hits"]), vec![fx.tass_grain]);
    let cyrillic = get_json(&format!(
        "{base}/search?q=%D0%BA%D1%80%D0%B5%D0%BC%D0%BB%D0%B5"
    ))
    .await;
    assert_eq!(ids(&cyrillic["hits"]), vec![fx.kremlin]);
    let paged = get_json(&format!("{base}/search?q=grain&limit=1&offset=1")).await;
    assert_eq!(paged["hits"].as_array().map(Vec::len), Some(1));
    assert_eq!(paged["hits"][0]["id"], hits[1]["id"]);

    let missing = get(&format!("{base}/search")).await;
    assert_eq!(missing.status, 400);
    assert!(
        missing.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("`q`"))
    );
    let broken_syntax = get_json(&format!("{base}/search?q=%22grain+(ships")).await;
    assert_eq!(broken_syntax["hits"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn stories_and_feeds() {
    let fx = build_store();
    let base = start(&fx.path, Arc::new(Metrics::new())).await;

    let stories = get_json(&format!("{base}/stories")).await;
    let list = stories["stories"].as_array().expect("stories");
    assert_eq!(list.len(), 3, "{stories}");
    let grain = list
        .iter()
        .find(|s| s["id"] == fx.grain)
        .expect("grain story");
    assert_eq!(grain["item_count"], 2);
    assert_eq!(grain["outlets"], serde_json::json!(["rt", "tass"]));
    assert_eq!(grain["title"], NASTY_TITLE);
    assert_eq!(grain["url"], "https://rt.example/news/grain-deal");
    assert_eq!(grain["first_seen_at"], "2026-11-20T11:00:00Z");

    let big = get_json(&format!("{base}/stories?min_items=2")).await;
    assert_eq!(ids(&big["stories"]), vec![fx.grain]);
    let recent = get_json(&format!("{base}/stories?since=2026-11-25")).await;
    assert_eq!(ids(&recent["stories"]), vec![fx.un]);
    let bad = get(&format!("{base}/stories?min_items=two")).await;
    assert_eq!(bad.status, 400);

    let feeds = get_json(&format!("{base}/feeds")).await;
    let list = feeds["feeds"].as_array().expect("feeds");
    let names: Vec<&str> = list.iter().filter_map(|f| f["name"].as_str()).collect();
    assert_eq!(names, vec!["rt", "tass", "un"]);
    let un = &list[2];
    assert_eq!(un["last_status"], "error");
    assert_eq!(un["error_count"], 1);
    assert_eq!(un["last_http_status"], 503);
    assert_eq!(un["next_due_at"], "2026-11-26T12:15:00Z");
    assert_eq!(un["tags"], serde_json::json!(["world"]));
    assert_eq!(list[0]["last_status"], "ok");
    assert_eq!(list[0]["items"], 2);
    let page = get_json(&format!("{base}/feeds?limit=1&offset=1")).await;
    assert_eq!(page["feeds"][0]["name"], "tass");
}

#[tokio::test]
async fn healthz_reports_the_store() {
    let fx = build_store();
    let base = start(&fx.path, Arc::new(Metrics::new())).await;
    let health = get_json(&format!("{base}/healthz")).await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["store"], "reachable");
    assert_eq!(health["last_poll_at"], "2026-11-26T12:00:00Z");
    assert!(
        health["last_poll_age_s"]
            .as_i64()
            .is_some_and(|age| age >= 0)
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let nowhere = dir.path().join("not-yet").join("news.db");
    let base = start(&nowhere, Arc::new(Metrics::new())).await;
    let down = get(&format!("{base}/healthz")).await;
    assert_eq!(down.status, 503);
    assert_eq!(down.json()["store"], "unreachable");
    let items = get(&format!("{base}/items")).await;
    assert_eq!(items.status, 503);
    assert!(
        items.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("store"))
    );
    assert!(!nowhere.exists(), "the API never creates the store");
    // Metrics still answer, saying the store is down.
    let metrics = get(&format!("{base}/metrics")).await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.body.contains("\nnewswire_store_up 0\n"));
}

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
        store_path: fx.path.clone(),
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
