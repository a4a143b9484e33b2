//! What bounds the cost of a request (issue 15): search caps answered 400
//! without paths, a deadline on every query that cancels it (also when the
//! request is dropped), probes that never queue behind queries, keyset pages,
//! only web links served, health on a damaged store. Connections:
//! `connections.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use newswire::metrics::Metrics;
use newswire::server::error::ApiError;
use newswire::server::reader::{QUERY_DEADLINE, Reader};

use crate::fixture::{build_store, get, start};

/// A query that never ends by itself.
pub const ENDLESS: &str =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

pub fn endless(store: &newswire::store::Store) -> Result<i64, ApiError> {
    store
        .sqlite()
        .expect("a SQLite store")
        .connection()
        .query_row(ENDLESS, [], |r| r.get(0))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

#[tokio::test]
async fn search_text_is_capped_and_refused_with_a_400_that_names_no_path() {
    let fx = build_store();
    let base = start(&fx.path, Arc::new(Metrics::new())).await;
    let many = (0..40)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join("+OR+");
    let long = "grain+".repeat(120);
    for (q, says) in [
        (many.as_str(), "at most 20"),
        (long.as_str(), "at most 500"),
        ("%22%22", "no words"),
        ("()", "no words"),
        ("***", "no words"),
        ("%22", "no words"),
        ("AND+OR", "no words"),
    ] {
        let answer = get(&format!("{base}/search?q={q}")).await;
        assert_eq!(answer.status, 400, "{q}: {}", answer.body);
        let error = answer.json()["error"].as_str().unwrap_or("").to_string();
        assert!(
            error.contains("`q`") && error.contains(says),
            "{q}: {error}"
        );
        assert!(!answer.body.contains(&*fx.path.to_string_lossy()), "{q}");
    }
    let deep = get(&format!("{base}/search?q=grain&offset=1001")).await;
    assert_eq!(deep.status, 400);
    assert!(deep.body.contains("`offset`"), "{}", deep.body);
    // Twenty words still search, and unbalanced text is searched as words.
    let twenty = (0..19).map(|_| "grain").collect::<Vec<_>>().join("+");
    assert_eq!(
        get(&format!("{base}/search?q={twenty}+ships")).await.status,
        200
    );
    assert_eq!(
        get(&format!("{base}/search?q=grain+(%22ships"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_query_past_its_deadline_is_cancelled_and_answered_503() {
    let fx = build_store();
    let reader = Arc::new(Reader::new(fx.path.clone()));
    let asked = Instant::now();
    let result = reader.run(endless).await;
    let took = asked.elapsed();
    assert!(matches!(result, Err(ApiError::TimedOut(_))), "{result:?}");
    assert!(took < QUERY_DEADLINE + Duration::from_secs(3), "{took:?}");
    assert_eq!(
        result.err().map(|e| e.status().as_u16()),
        Some(503),
        "a deadline is the server's to keep"
    );
    // The reader is usable again at once.
    let n = reader
        .run(|s| {
            s.sqlite()
                .expect("a SQLite store")
                .connection()
                .query_row("SELECT count(*) FROM items", [], |r| r.get::<_, i64>(0))
                .map_err(|e| ApiError::Internal(e.to_string()))
        })
        .await;
    assert_eq!(n.ok(), Some(4));
}

#[tokio::test]
async fn probes_answer_while_every_query_slot_is_taken() {
    let fx = build_store();
    let reader = Arc::new(Reader::new(fx.path.clone()));
    let mut busy = Vec::new();
    for _ in 0..12 {
        let r = Arc::clone(&reader);
        busy.push(tokio::spawn(async move { r.run(endless).await }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = Instant::now();
    let probe = reader
        .probe(|s| {
            s.sqlite()
                .expect("a SQLite store")
                .connection()
                .query_row("SELECT max(last_polled_at) FROM feeds", [], |r| {
                    r.get::<_, Option<String>>(0)
                })
                .map_err(|e| ApiError::Internal(e.to_string()))
        })
        .await;
    assert!(probe.is_ok(), "{probe:?}");
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "{:?}",
        asked.elapsed()
    );
    for b in busy {
        let result = b.await.expect("task");
        assert!(matches!(result, Err(ApiError::TimedOut(_))), "{result:?}");
    }
}

#[tokio::test]
async fn a_request_dropped_by_its_client_cancels_its_query() {
    let fx = build_store();
    let reader = Arc::new(Reader::new(fx.path.clone()));
    let returned = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&returned);
    let r = Arc::clone(&reader);
    let request = tokio::spawn(async move {
        r.run(move |s| {
            let result = endless(s);
            flag.store(true, Ordering::SeqCst);
            result
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // What hyper does when the client closes the connection.
    request.abort();
    let end = Instant::now() + Duration::from_secs(2);
    while !returned.load(Ordering::SeqCst) && Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        returned.load(Ordering::SeqCst),
        "the query ran on after its request was gone"
    );
}

/// A store of `n` items of one feed, all at a few distinct times (so the
/// cursor's id tie-break matters), and the dangerous links of finding 5.
fn paged_store(n: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    use crate::fixture::{ItemSpec, at, entry, feeds_config, poll};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("news.db");
    let mut store = newswire::store::Store::open(&path).expect("open");
    store.sync_feeds(&feeds_config(), at(20, 0)).expect("sync");
    let rt = store.feed_state("rt").expect("query").expect("rt").id;
    let urls: Vec<String> = (0..n)
        .map(|i| format!("https://rt.example/a/{i}"))
        .collect();
    let keys: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
    let entries = (0..n)
        .map(|i| {
            let mut e = entry(&ItemSpec {
                key: &keys[i],
                url: &urls[i],
                title: "Paged",
                text: "Some article text.",
                html: Some("<p>Some article text.</p>"),
                published: at(21, (i % 5) as u32),
                language: "en",
            });
            if i == 0 {
                // As an older release could have stored it.
                e.item.url = "javascript:alert(document.cookie)".into();
                e.item.image = Some("data:text/html,<script>alert(1)</script>".into());
                e.entry_url = Some("vbscript:msgbox(1)".into());
            }
            e
        })
        .collect();
    store
        .record_poll(&poll(rt, at(22, 0), entries, vec![]))
        .expect("write");
    (dir, path)
}

#[tokio::test]
async fn cursor_pages_walk_every_item_once_and_match_offset_pages() {
    let (_dir, path) = paged_store(120);
    let base = start(&path, Arc::new(Metrics::new())).await;
    let mut seen = Vec::new();
    let mut url = format!("{base}/items?limit=25");
    loop {
        let page = get(&url).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let page = page.json();
        let ids = crate::fixture::ids(&page["items"]);
        seen.extend(ids);
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("{base}/items?limit=25&cursor={c}"),
            None => break,
        }
    }
    let by_offset = get(&format!("{base}/items?limit=500")).await.json();
    assert_eq!(seen, crate::fixture::ids(&by_offset["items"]));
    assert_eq!(seen.len(), 120);
    let deep = get(&format!("{base}/items?limit=10&offset=100"))
        .await
        .json();
    assert_eq!(crate::fixture::ids(&deep["items"]), seen[100..110].to_vec());
    let bad = get(&format!("{base}/items?cursor=yesterday")).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("`cursor`"), "{}", bad.body);
}

#[tokio::test]
async fn no_link_of_another_scheme_leaves_the_server() {
    let (_dir, path) = paged_store(3);
    let base = start(&path, Arc::new(Metrics::new())).await;
    let first = get(&format!("{base}/items?limit=500")).await.json();
    let bad_id = first["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|i| i["canonical_url"] == "https://rt.example/a/0")
        })
        .and_then(|i| i["id"].as_i64())
        .expect("the item");
    for path in [
        "/items?limit=500".to_string(),
        format!("/items/{bad_id}"),
        "/feed.atom".to_string(),
        "/feed.json".to_string(),
    ] {
        let answer = get(&format!("{base}{path}")).await;
        assert_eq!(answer.status, 200, "{path}");
        let body = answer.body.to_ascii_lowercase();
        for scheme in ["javascript:", "data:text/html", "vbscript:"] {
            assert!(
                !body.contains(scheme),
                "{path} serves {scheme}: {}",
                answer.body
            );
        }
        // The item is still there, under its canonical (web) URL.
        assert!(answer.body.contains("https://rt.example/a/0"), "{path}");
    }
}

#[tokio::test]
async fn health_reports_a_store_found_damaged_and_language_takes_no_wildcards() {
    let fx = build_store();
    let metrics = Arc::new(Metrics::new());
    let base = start(&fx.path, Arc::clone(&metrics)).await;
    assert_eq!(get(&format!("{base}/healthz")).await.status, 200);
    // What the daemon does when a write finds the file damaged.
    metrics.set_store_fault("store damaged: database disk image is malformed".into());
    let health = get(&format!("{base}/healthz")).await;
    assert_eq!(health.status, 503);
    assert_eq!(health.json()["store"], "damaged");

    // `%` and `_` are characters, not wildcards: no language is "e%".
    for q in ["e%25", "_n", "%25"] {
        let list = get(&format!("{base}/items?language={q}")).await.json();
        assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{q}");
    }
    let en = get(&format!("{base}/items?language=en")).await.json();
    assert!(en["items"].as_array().is_some_and(|a| !a.is_empty()));
}
