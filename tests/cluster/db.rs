//! The test's own schema on the test server, and reading it.

use std::collections::{BTreeMap, BTreeSet};

/// A schema of its own on the test server, dropped on drop.
pub struct Schema {
    base: String,
    name: String,
}

impl Schema {
    pub fn create(base: &str) -> Schema {
        let name = format!("nw_cluster_{}", std::process::id());
        let mut admin = connect(base);
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            ))
            .expect("create schema");
        Schema {
            base: base.to_owned(),
            name,
        }
    }

    /// The URL the daemons use: the test database, this schema first.
    pub fn url(&self) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}options=-csearch_path%3D{}", self.base, self.name)
    }

    pub fn client(&self) -> postgres::Client {
        let mut c = connect(&self.base);
        c.batch_execute(&format!("SET search_path = {}", self.name))
            .expect("search_path");
        c
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.base, postgres::NoTls) {
            let _dropped =
                admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

pub fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("NEWSWIRE_TEST_POSTGRES unreachable: {e}"))
}

/// One integer from `sql`, or 0 while the tables are not there yet.
pub fn try_i64(db: &mut postgres::Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).map(|r| r.get(0)).unwrap_or(0)
}

pub fn i64_of(db: &mut postgres::Client, sql: &str) -> i64 {
    db.query_one(sql, &[])
        .map(|r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub fn strings(db: &mut postgres::Client, sql: &str) -> Vec<String> {
    db.query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// The grouping of canonical URLs into stories: each story's URLs, sorted.
pub fn grouping(pairs: impl IntoIterator<Item = (i64, String)>) -> BTreeSet<BTreeSet<String>> {
    let mut by_story: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for (story, url) in pairs {
        by_story.entry(story).or_default().insert(url);
    }
    by_story.into_values().collect()
}
