//! The store's behaviour suite: each case is written once against the
//! [`Store`] facade and run on every backend, SQLite and PostgreSQL, from
//! the list at the end of this file (`store_suite!` makes a `sqlite` and a
//! `postgres` module with one test per case, so a failure names both the
//! backend and the behaviour: `store::suite::postgres::search_…`).
//!
//! - **SQLite** runs on a private in-memory store, as the store tests always
//!   have.
//! - **PostgreSQL** runs against the server `NEWSWIRE_TEST_POSTGRES` names
//!   (CI: `postgres://postgres@127.0.0.1:5432/postgres`), each test in a
//!   schema of its own, dropped at the end (`pg::tests::TestDb`). Without the
//!   variable each PostgreSQL test says it is skipped and passes.
//!
//! The cases (`cases/`) cover what a user relies on: a poll storing items,
//! sources and the feed's state; one canonical URL through two feeds stored
//! once; conditional-GET validators kept between polls; `after_id` paging;
//! search in several scripts; a reprint joining its original's story; a
//! teaser joining its story when its page arrives; the
//! article queue; retention and its tombstones; the poll log. What only one
//! backend has stays with it: SQLite's pragmas and plans in `store/tests.rs`,
//! PostgreSQL's migrations, TLS, leases and races in `store/pg/tests/`.
//!
//! The fixtures below (feeds, items, entries, polls) are the ones the
//! backend-only tests use too.

use std::time::Duration;

use chrono::{TimeDelta, Utc};

use crate::model::{EntryKey, NewItem};
use crate::store::{FeedId, FeedMeta, LinkedEntry, PollOutcome, PollRecord, Store, StoredEntry};

mod cases;

/// One backend's store for one test, and a way to read the columns the
/// facade does not show (`fetches.instance`).
pub(crate) struct TestStore {
    /// The store under test.
    pub store: Store,
    /// The test's schema on the PostgreSQL test server (dropped after the
    /// store closes: fields drop in order).
    #[cfg(feature = "postgres")]
    pg: Option<super::pg::tests::TestDb>,
}

impl TestStore {
    /// A private in-memory SQLite store.
    pub fn sqlite() -> TestStore {
        TestStore {
            store: Store::open_in_memory().expect("in-memory store"),
            #[cfg(feature = "postgres")]
            pg: None,
        }
    }

    /// A store in a fresh schema of the PostgreSQL test server, connected as
    /// instance `node-a`; `None` (after saying so) when no server is set.
    #[cfg(feature = "postgres")]
    pub fn postgres(test: &str) -> Option<TestStore> {
        let db = super::pg::tests::TestDb::new(test)?;
        Some(TestStore {
            store: Store::from(db.store("node-a")),
            pg: Some(db),
        })
    }

    /// The first column of `sql`'s rows as text (`NULL` as `None`). The SQL
    /// must read the same on both backends.
    pub fn texts(&self, sql: &str) -> Vec<Option<String>> {
        #[cfg(feature = "postgres")]
        if let Some(db) = &self.pg {
            return db.texts(sql);
        }
        let lite = self.store.sqlite().expect("a SQLite store");
        let mut stmt = lite.connection().prepare(sql).expect("prepare");
        stmt.query_map([], |r| r.get::<_, Option<String>>(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    }

    /// Feeds `names` configured (tag `world`) and synced; their ids in order.
    pub fn feeds(&mut self, names: &[&str]) -> Vec<FeedId> {
        let configs: Vec<_> = names
            .iter()
            .map(|n| feed_config(n, &format!("http://127.0.0.1:9/{n}.xml")))
            .collect();
        self.store.sync_feeds(&configs, Utc::now()).expect("sync");
        names
            .iter()
            .map(|n| self.store.feed_state(n).expect("read").expect("stored").id)
            .collect()
    }
}

/// One feed's configuration, tagged `world`.
pub(crate) fn feed_config(name: &str, url: &str) -> crate::config::FeedConfig {
    let config = crate::config::Config::from_toml(
        &format!("[[feeds]]\nname = \"{name}\"\nurl = \"{url}\"\ntags = [\"world\"]\n"),
        "t",
        None,
    )
    .expect("valid");
    config.feeds[0].clone()
}

/// An extracted item at `url` (its own canonical URL).
pub(crate) fn item(url: &str, title: &str, text: &str) -> NewItem {
    NewItem::new(url, title, text)
}

/// A new entry under `key` carrying `item`.
pub(crate) fn entry(key: &str, item: NewItem) -> StoredEntry {
    StoredEntry {
        key: EntryKey(key.into()),
        entry_url: Some(item.url.clone()),
        item,
        fingerprint: None,
        search_terms: None,
    }
}

/// An entry under `key` pointing at the stored item `item_id`.
pub(crate) fn link(key: &str, item_id: i64) -> LinkedEntry {
    LinkedEntry {
        key: EntryKey(key.into()),
        entry_url: None,
        item_id,
    }
}

/// A successful poll of `feed_id` now (a 200 with etag `"e1"`), due again in
/// ten minutes.
pub(crate) fn poll(
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
pub(crate) fn story_text(words: &str, n: usize) -> String {
    (0..n)
        .map(|i| format!("{words} {i} {}.", i * 31 % 17))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `mod sqlite` and `mod postgres`, one test per case in each.
macro_rules! store_suite {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $case() {
                    super::cases::$case(&mut super::TestStore::sqlite());
                }
            )*
        }

        #[cfg(feature = "postgres")]
        mod postgres {
            $(
                #[test]
                fn $case() {
                    let Some(mut t) = super::TestStore::postgres(stringify!($case)) else {
                        return;
                    };
                    super::cases::$case(&mut t);
                }
            )*
        }
    };
}

store_suite!(
    a_poll_stores_new_items_their_sources_and_the_feed_state,
    one_canonical_url_through_two_feeds_is_one_item_with_two_sources,
    conditional_get_validators_are_kept_between_polls,
    after_id_paging_never_skips_and_newest_first_pages_do_not_overlap,
    search_finds_words_in_every_script_and_ranks_titles_first,
    a_reprint_joins_the_story_of_its_original,
    the_article_queue_claims_once_and_fences_a_stale_finish,
    a_teaser_joins_its_story_when_its_page_arrives,
    retention_leaves_tombstones_and_a_pruned_article_is_not_stored_again,
    the_poll_log_names_the_instance_and_is_pruned_by_age,
);
