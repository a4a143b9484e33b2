//! The PostgreSQL store against a real server: `NEWSWIRE_TEST_POSTGRES`
//! names it (CI: `postgres://postgres@127.0.0.1:5432/postgres`); without it
//! every test here says it is skipped and passes. Each test works in a
//! schema of its own, `nw_<pid>_<n>`, dropped at the end.
//!
//! Behaviour both backends share is checked once, on both, by the suite in
//! `store::suite`; what is here is PostgreSQL's own: migrations, connection
//! errors and TLS (`behaviour`), leases (`leases`), races between instances,
//! each with a control run showing it needs its guard (`races`), and
//! `store copy` (`copy`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;

use super::{PgStore, Target};
use crate::store::FeedId;
// The fixtures every store test uses (`store::suite`).
pub(super) use crate::store::suite::{entry, feed_config, item, poll, story_text};

mod behaviour;
mod copy;
mod leases;
mod races;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// One test's schema on the test server, dropped with it (the behaviour
/// suite in `store::suite` uses it too).
pub(crate) struct TestDb {
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

    /// The first column of `sql`'s rows, read as text on a connection of
    /// its own (`NULL` as `None`).
    pub fn texts(&self, sql: &str) -> Vec<Option<String>> {
        self.store("reader")
            .client()
            .expect("client")
            .query(sql, &[])
            .expect("query")
            .iter()
            .map(|r| r.get(0))
            .collect()
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
