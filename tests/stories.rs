//! End to end: one story through several outlets, grouped in the store.
//!
//! Four feeds on a 127.0.0.1 server: a wire service's two feeds carrying the
//! same article under different tracking parameters, another outlet's reprint
//! (new headline, trimmed ending, a credit line), and an unrelated story that
//! shares one background paragraph with it. One `newswire poll`, then the
//! grouping is read back from the database and through the CLI.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Reply, TestServer};

const BIN: &str = env!("CARGO_BIN_EXE_newswire");

fn text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/stories")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An RSS 2.0 document with one entry whose `content:encoded` holds `body`.
fn rss(channel: &str, title: &str, link: &str, guid: &str, body: &str) -> Vec<u8> {
    let paragraphs: String = body
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", p.trim()))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>{channel}</title><link>https://{channel}.example/</link><description>{channel}</description>
<item><title>{title}</title><link>{link}</link><guid isPermaLink="false">{guid}</guid>
<pubDate>Tue, 24 Nov 2026 09:30:00 GMT</pubDate>
<description>{title}</description>
<content:encoded><![CDATA[{paragraphs}]]></content:encoded></item>
</channel></rss>"#
    )
    .into_bytes()
}

#[test]
fn copies_of_one_story_are_grouped_and_nothing_is_dropped() {
    let srv = TestServer::start();
    let wire = text("wire.txt");
    let feeds = [
        (
            "wire",
            rss(
                "wire",
                "Grain loadings resume at Novorossiysk after storm",
                "https://wire.example/news/grain-port?utm_source=rss&amp;utm_medium=feed",
                "wire-1001",
                &wire,
            ),
        ),
        (
            "wire-business",
            rss(
                "wire",
                "Grain loadings resume at Novorossiysk after storm",
                "https://WIRE.example:443/news/grain-port?utm_campaign=biz#top",
                "biz-77",
                &wire,
            ),
        ),
        (
            "harbour",
            rss(
                "harbour",
                "Black Sea port reopens to grain ships",
                "https://harbour.example/2026/11/port-reopens",
                "h-5",
                &text("reprint.txt"),
            ),
        ),
        (
            "markets",
            rss(
                "markets",
                "Wheat extends losses on Argentine crop outlook",
                "https://markets.example/wheat-falls",
                "m-9",
                &text("other.txt"),
            ),
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = String::from(
        "[storage]\npath = \"news.db\"\n[fetch]\nallow_private_networks = true\nper_host_interval = \"0s\"\n\
         [defaults]\nfull_text = false\n",
    );
    for (name, body) in &feeds {
        let path = format!("/{name}.rss");
        srv.route(
            &path,
            Reply::ok(body.clone()).header("Content-Type", "application/rss+xml"),
        );
        config.push_str(&format!(
            "[[feeds]]\nname = \"{name}\"\nurl = \"{}\"\n",
            srv.url(&path)
        ));
    }
    let config_path = dir.path().join("newswire.toml");
    std::fs::write(&config_path, config).expect("config");
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .arg("--config")
            .arg(&config_path)
            .args(args)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&["poll"]);

    let db = rusqlite::Connection::open(dir.path().join("news.db")).expect("db");
    let one = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).expect(sql) };
    assert_eq!(
        one("SELECT count(*) FROM items"),
        3,
        "the wire article once, the reprint, the other story"
    );
    assert_eq!(
        one("SELECT count(*) FROM item_sources"),
        4,
        "every feed that carried an article is kept"
    );
    let story = |host: &str| -> i64 {
        db.query_row(
            "SELECT story_id FROM items WHERE canonical_url LIKE ?1",
            [format!("https://{host}/%")],
            |r| r.get(0),
        )
        .expect(host)
    };
    assert_eq!(
        story("wire.example"),
        story("harbour.example"),
        "the reprint joins the wire story"
    );
    assert_ne!(
        story("wire.example"),
        story("markets.example"),
        "a shared background paragraph is not a match"
    );
    assert_eq!(
        one(
            "SELECT count(*) FROM items WHERE canonical_url = 'https://wire.example/news/grain-port'"
        ),
        1,
        "tracking parameters, host case, default port and fragment are not identity"
    );

    let out = run(&["stories", "--min-items", "2", "--format", "json"]);
    let stories: serde_json::Value = serde_json::from_slice(&out).expect("json");
    let stories = stories.as_array().expect("array");
    assert_eq!(stories.len(), 1, "{stories:?}");
    assert_eq!(stories[0]["item_count"], 2);
    assert_eq!(
        stories[0]["outlets"],
        serde_json::json!(["harbour", "wire", "wire-business"])
    );
    let id = stories[0]["id"].as_i64().expect("id").to_string();
    let out = run(&["items", "--story", &id, "--format", "json"]);
    let items: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(items.as_array().map(Vec::len), Some(2));

    // Polling again changes nothing.
    run(&["poll"]);
    assert_eq!(one("SELECT count(*) FROM items"), 3);
    assert_eq!(one("SELECT count(*) FROM item_sources"), 4);
}

#[test]
fn story_summary_view_names_the_first_item() {
    let store = newswire::store::Store::open_in_memory().expect("open");
    let cols: Vec<String> = store
        .sqlite()
        .expect("a SQLite store")
        .connection()
        .prepare("SELECT * FROM story_summary")
        .expect("view exists")
        .column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        cols,
        [
            "id",
            "title",
            "url",
            "first_seen_at",
            "last_seen_at",
            "item_count",
            "outlets"
        ]
    );
}

/// The multilingual labelled set (`fixtures/stories/generate.py`): every
/// kind of copy joins, every kind of look-alike stays apart, in each of the
/// five languages, through the whole matching path (`assign_story`, the
/// teaser rule).
#[test]
fn labelled_multilingual_pairs_meet_the_targets() {
    use std::collections::BTreeMap;

    use chrono::{TimeDelta, TimeZone, Utc};
    use newswire::model::Extraction;
    use newswire::store::stories_hook::is_teaser;
    use newswire::stories::{Fingerprint, MemoryIndex, StoryIndex, assign_story, default_window};

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/stories/pairs.jsonl");
    let data = std::fs::read_to_string(&path).expect("pairs");
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 24, 8, 0, 0)
        .single()
        .expect("time");
    // (kind, lang) -> (joined, pairs)
    let mut seen: BTreeMap<(String, String, bool), (u32, u32)> = BTreeMap::new();
    for line in data.lines().filter(|l| !l.trim().is_empty()) {
        let pair: serde_json::Value = serde_json::from_str(line).expect("json");
        let mut index = MemoryIndex::new();
        let mut story = |id: i64, side: &serde_json::Value, at| {
            let fp = Fingerprint::from_parts(
                side["title"].as_str(),
                side["text"].as_str().unwrap_or(""),
            );
            let extraction = match side["extraction"].as_str() {
                Some("failed") => Extraction::Failed,
                _ => Extraction::Extracted,
            };
            if is_teaser(extraction, &fp) {
                index.insert(id, id, at, &fp, &[], &[]).expect("insert");
                return id;
            }
            assign_story(&mut index, id, &fp, at, default_window())
                .expect("assign")
                .story_for(id)
        };
        let a = story(1, &pair["a"], t0);
        let b = story(2, &pair["b"], t0 + TimeDelta::minutes(30));
        let key = (
            pair["kind"].as_str().expect("kind").to_owned(),
            pair["lang"].as_str().expect("lang").to_owned(),
            pair["same"].as_bool().expect("same"),
        );
        let e = seen.entry(key).or_default();
        e.0 += u32::from(a == b);
        e.1 += 1;
    }
    assert!(seen.len() >= 9 * 5, "{seen:?}");
    let mut per_kind: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for ((kind, lang, same), (joined, n)) in &seen {
        if *same {
            let k = per_kind.entry(kind).or_default();
            k.0 += joined;
            k.1 += n;
            assert!(
                f64::from(*joined) >= 0.85 * f64::from(*n),
                "{kind} in {lang}: {joined} of {n} joined"
            );
        } else {
            assert_eq!(
                *joined, 0,
                "{kind} in {lang}: {joined} of {n} wrongly joined"
            );
        }
    }
    for (kind, (joined, n)) in per_kind {
        assert!(
            f64::from(joined) >= 0.95 * f64::from(n),
            "{kind}: recall {joined}/{n}"
        );
    }
}

/// The same set as one stream, every text through one index in file order
/// (recurring passages become boilerplate, and a text may join any earlier
/// story): no apart pair joined, no text joined to another article's story,
/// and every kind of copy joins its original at least 95 % of the time.
#[test]
fn labelled_multilingual_pairs_meet_the_targets_as_one_stream() {
    use std::collections::{BTreeMap, HashMap};

    use chrono::{TimeDelta, TimeZone, Utc};
    use newswire::model::Extraction;
    use newswire::store::stories_hook::is_teaser;
    use newswire::stories::{Fingerprint, MemoryIndex, StoryIndex, assign_story, default_window};

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/stories/pairs.jsonl");
    let data = std::fs::read_to_string(&path).expect("pairs");
    let mut at = Utc
        .with_ymd_and_hms(2026, 11, 24, 8, 0, 0)
        .single()
        .expect("time");
    let mut index = MemoryIndex::new();
    let mut label_of: HashMap<i64, String> = HashMap::new();
    let mut next_id = 0i64;
    let mut wrong_joins = Vec::new();
    // kind -> (joined, pairs), same-story kinds only
    let mut recall: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let mut apart_joined = Vec::new();
    for line in data.lines().filter(|l| !l.trim().is_empty()) {
        let pair: serde_json::Value = serde_json::from_str(line).expect("json");
        let mut stories = [0i64; 2];
        for (k, side) in [&pair["a"], &pair["b"]].into_iter().enumerate() {
            next_id += 1;
            at += TimeDelta::minutes(1);
            let label = side["story"].as_str().expect("story label").to_owned();
            label_of.insert(next_id, label.clone());
            let fp = Fingerprint::from_parts(
                side["title"].as_str(),
                side["text"].as_str().unwrap_or(""),
            );
            let extraction = match side["extraction"].as_str() {
                Some("failed") => Extraction::Failed,
                _ => Extraction::Extracted,
            };
            let story = if is_teaser(extraction, &fp) {
                index
                    .insert(next_id, next_id, at, &fp, &[], &[])
                    .expect("insert");
                next_id
            } else {
                assign_story(&mut index, next_id, &fp, at, default_window())
                    .expect("assign")
                    .story_for(next_id)
            };
            if story != next_id && label_of.get(&story) != Some(&label) {
                wrong_joins.push(format!("{} side {k}", pair["id"]));
            }
            stories[k] = story;
        }
        let kind = pair["kind"].as_str().expect("kind").to_owned();
        let joined = stories[0] == stories[1];
        if pair["same"].as_bool().expect("same") {
            let e = recall.entry(kind).or_default();
            e.0 += u32::from(joined);
            e.1 += 1;
        } else if joined {
            apart_joined.push(format!("{} ({kind})", pair["id"]));
        }
    }
    assert!(
        wrong_joins.is_empty(),
        "joined another story: {wrong_joins:?}"
    );
    assert!(
        apart_joined.is_empty(),
        "apart pairs joined: {apart_joined:?}"
    );
    assert!(recall.len() >= 4, "{recall:?}");
    for (kind, (joined, n)) in recall {
        assert!(
            f64::from(joined) >= 0.95 * f64::from(n),
            "{kind}: recall {joined}/{n} in the stream"
        );
    }
}
