//! The store the tests serve, and small HTTP helpers.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use newswire::metrics::Metrics;
use newswire::model::{EntryKey, Extraction, NewItem};
use newswire::server::{AppState, router};
use newswire::store::{FeedMeta, LinkedEntry, PollOutcome, PollRecord, Store, StoredEntry};
use serde_json::Value;

/// A title with every character XML must escape, and one it forbids.
pub const NASTY_TITLE: &str = "Grain deal & \"ships\" <leave> 'Odesa'\u{1}";
/// The same title as a feed reader should see it (the control character dropped).
pub const NASTY_TITLE_CLEAN: &str = "Grain deal & \"ships\" <leave> 'Odesa'";

pub const GRAIN_TEXT: &str = "Three ships carrying grain left the port of Odesa on Monday under the \
    extended Black Sea arrangement, officials said. The convoy is bound for Istanbul, where \
    inspectors from both sides will check the cargo before it continues to ports in Africa \
    and Asia. Wheat futures fell in Chicago after the announcement.";

pub fn feeds_config() -> Vec<newswire::config::FeedConfig> {
    let toml = "[[feeds]]\nname = \"rt\"\nurl = \"https://rt.example/rss\"\ntags = [\"world\", \"russia\"]\n\
                [[feeds]]\nname = \"tass\"\nurl = \"https://tass.example/rss\"\ntags = [\"russia\"]\n\
                [[feeds]]\nname = \"un\"\nurl = \"https://news.un.example/feed\"\ntags = [\"world\"]\n";
    newswire::config::Config::from_toml(toml, "test.toml", None)
        .expect("valid config")
        .feeds
}

pub fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0)
        .single()
        .expect("valid time")
}

pub struct ItemSpec<'a> {
    pub key: &'a str,
    pub url: &'a str,
    pub title: &'a str,
    pub text: &'a str,
    pub html: Option<&'a str>,
    pub published: DateTime<Utc>,
    pub language: &'a str,
}

pub fn entry(spec: &ItemSpec<'_>) -> StoredEntry {
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
            extraction_path: None,
        },
        fingerprint: None,
        search_terms: None,
    }
}

pub fn poll(
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
        instance: None,
        lease: None,
    }
}

/// Ids of the stored items, by name.
pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub grain: i64,
    pub kremlin: i64,
    pub tass_grain: i64,
    pub un: i64,
}

/// rt: the grain article (HTML body, nasty title) and a Russian one;
/// tass: a rewrite of the grain article (same text: the same story), and rt's
/// grain article again (a second source); un: one article without HTML, then a
/// failed poll.
pub fn build_store() -> Fixture {
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
pub async fn start(path: &Path, metrics: Arc<Metrics>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(AppState::new(path.to_path_buf(), None, metrics));
    // The server's own accept loop, limits and all.
    tokio::spawn(newswire::server::conn::serve_connections(
        listener,
        app,
        newswire::server::conn::Limits::for_this_process(),
        tokio_util::sync::CancellationToken::new(),
        Duration::from_secs(1),
    ));
    format!("http://{addr}")
}

pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// A plain-HTTP client (reqwest is built without a default TLS provider).
pub fn client() -> reqwest::Client {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub async fn get(url: &str) -> Answer {
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

pub async fn get_json(url: &str) -> Value {
    let answer = get(url).await;
    assert_eq!(answer.status, 200, "{url}: {}", answer.body);
    assert_eq!(answer.content_type, "application/json", "{url}");
    answer.json()
}

pub fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|v| v["id"].as_i64().expect("id"))
        .collect()
}
