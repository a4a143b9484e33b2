//! The PostgreSQL store against a real server: `NEWSWIRE_TEST_POSTGRES`
//! names it (CI: `postgres://postgres@127.0.0.1:5432/postgres`); without it
//! every test here says it is skipped and passes. Each test works in a
//! schema of its own, `nw_<pid>_<n>`, dropped at the end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{TimeDelta, Utc};

use super::{PgStore, Target};
use crate::model::{EntryKey, Extraction, NewItem};
use crate::store::{FeedId, FeedMeta, LinkedEntry, PollOutcome, PollRecord, StoredEntry};

mod behaviour;
mod copy;
mod queues;
mod races;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// One test's schema on the test server, dropped with it.
pub(super) struct TestDb {
    base: Target,
    pub url: Target,
    schema: String,
}

impl TestDb {
    /// The test database, or `None` (after saying so) when none is set.
    pub fn new(test: &str) -> Option<TestDb> {
        let Ok(raw) = std::env::var("NEWSWIRE_TEST_POSTGRES") else {
            eprintln!("{test}: skipped: NEWSWIRE_TEST_POSTGRES is not set");
            return None;
        };
        let base: Target = raw
            .parse()
            .expect("NEWSWIRE_TEST_POSTGRES is a postgres:// URL");
        let schema = format!(
            "nw_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = base.open("newswire-test").expect("test server reachable");
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .expect("create schema");
        Some(TestDb {
            url: base.with_schema(&schema),
            base,
            schema,
        })
    }

    /// A store connected as `instance`.
    pub fn store(&self, instance: &str) -> PgStore {
        PgStore::open(&self.url, instance, true).expect("connect")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = self.base.open("newswire-test") {
            let _dropped =
                admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

pub(super) fn feed_config(name: &str, url: &str) -> crate::config::FeedConfig {
    let config = crate::config::Config::from_toml(
        &format!("[[feeds]]\nname = \"{name}\"\nurl = \"{url}\"\ntags = [\"world\"]\n"),
        "t",
        None,
    )
    .expect("valid");
    config.feeds[0].clone()
}

pub(super) fn item(url: &str, title: &str, text: &str) -> NewItem {
    NewItem {
        url: url.into(),
        canonical_url: url.into(),
        title: Some(title.into()),
        author: None,
        published_at: None,
        updated_at: None,
        summary: None,
        content_html: None,
        content_text: Some(text.into()),
        language: None,
        image: None,
        site_name: None,
        extraction: Extraction::Extracted,
        extraction_error: None,
        extraction_path: None,
    }
}

pub(super) fn entry(key: &str, item: NewItem) -> StoredEntry {
    StoredEntry {
        key: EntryKey(key.into()),
        entry_url: Some(item.url.clone()),
        item,
        fingerprint: None,
        search_terms: None,
    }
}

pub(super) fn link(key: &str, item_id: i64) -> LinkedEntry {
    LinkedEntry {
        key: EntryKey(key.into()),
        entry_url: None,
        item_id,
    }
}

pub(super) fn poll(
    feed_id: FeedId,
    entries: Vec<StoredEntry>,
    linked: Vec<LinkedEntry>,
) -> PollRecord {
    PollRecord {
        feed_id,
        started_at: Utc::now(),
        elapsed: Duration::from_millis(5),
        outcome: PollOutcome::Fetched {
            http_status: 200,
            bytes: 100,
            etag: Some("\"e1\"".into()),
            last_modified: None,
            meta: FeedMeta::default(),
            permanent_redirect: None,
        },
        entries: entries.len() + linked.len(),
        new_entries: entries,
        linked,
        next_due_at: Utc::now() + TimeDelta::minutes(10),
        error_count: 0,
        instance: None,
        lease: None,
    }
}

/// A text of `n` sentences on `words` (long enough to be matched, not a teaser).
pub(super) fn story_text(words: &str, n: usize) -> String {
    (0..n)
        .map(|i| format!("{words} {i} {}.", i * 31 % 17))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Feeds `names` configured and synced; their ids in order.
pub(super) fn feeds(store: &mut PgStore, names: &[&str]) -> Vec<FeedId> {
    let configs: Vec<_> = names
        .iter()
        .map(|n| feed_config(n, &format!("http://127.0.0.1:9/{n}.xml")))
        .collect();
    store.sync_feeds(&configs, Utc::now()).expect("sync");
    names
        .iter()
        .map(|n| store.feed_state(n).expect("read").expect("stored").id)
        .collect()
}
