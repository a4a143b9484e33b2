//! The HTTP API end to end: a store written through `Store::record_poll` on a
//! temporary file, the router served on 127.0.0.1, requests made with reqwest.
//! This file: the JSON endpoints and `/healthz`; `syndication.rs`: the feed
//! documents, `/metrics` and `serve`; `limits.rs` and `connections.rs`: what
//! bounds a request's and a connection's cost (issue 15).

mod bench;
mod connections;
mod fixture;
mod limits;
mod syndication;

use std::sync::Arc;

use fixture::{
    ItemSpec, NASTY_TITLE, at, build_store, client, entry, get, get_json, ids, poll, start,
};
use newswire::metrics::Metrics;
use serde_json::Value;

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

    // Reading everything new since the last visit: by id, oldest first.
    let mut stored = [fx.un, fx.kremlin, fx.tass_grain, fx.grain];
    stored.sort_unstable();
    let first = get_json(&format!("{base}/items?after_id=0&limit=3")).await;
    assert_eq!(ids(&first["items"]), stored[..3]);
    let rest = get_json(&format!("{base}/items?after_id={}", stored[2])).await;
    assert_eq!(ids(&rest["items"]), stored[3..]);
    let none = get_json(&format!("{base}/items?after_id={}", stored[3])).await;
    assert!(ids(&none["items"]).is_empty());
    let tass = get_json(&format!("{base}/items?after_id=0&feed=tass")).await;
    let mut expected = [fx.tass_grain, fx.grain];
    expected.sort_unstable();
    assert_eq!(ids(&tass["items"]), expected, "filters still apply");

    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("since=last+week", "since"),
        ("until=2026-13-01", "until"),
        ("story=abc", "story"),
        ("after_id=-3", "after_id"),
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
    let index = get_json(&format!("{base}/")).await;
    assert_eq!(index["name"], "newswire");
    assert!(
        index["endpoints"]
            .as_array()
            .is_some_and(|e| e.iter().any(|p| p == "/feed.atom"))
    );
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

#[tokio::test]
async fn a_poll_written_while_serving_is_seen_by_the_next_request() {
    let fx = build_store();
    let base = start(&fx.path, Arc::new(Metrics::new())).await;
    // Warm the connection pool with a read before the write.
    let before = get_json(&format!("{base}/items?feed=rt")).await;
    assert_eq!(ids(&before["items"]), vec![fx.kremlin, fx.grain]);

    let mut writer = newswire::store::Store::open(&fx.path).expect("writer");
    let rt = writer.feed_state("rt").expect("query").expect("rt").id;
    writer
        .record_poll(&poll(
            rt,
            at(27, 6),
            vec![entry(&ItemSpec {
                key: "id:rt-3",
                url: "https://rt.example/news/black-sea-talks",
                title: "Black Sea talks resume",
                text: "Negotiators met again in Istanbul on Friday.",
                html: None,
                published: at(27, 5),
                language: "en",
            })],
            vec![],
        ))
        .expect("write");
    let fresh = writer
        .item_by_canonical("https://rt.example/news/black-sea-talks")
        .expect("query")
        .expect("stored");

    let after = get_json(&format!("{base}/items?feed=rt")).await;
    assert_eq!(ids(&after["items"]), vec![fresh, fx.kremlin, fx.grain]);
    let health = get_json(&format!("{base}/healthz")).await;
    assert_eq!(health["last_poll_at"], "2026-11-27T06:00:00Z");
}
