//! `newswire store copy`: a SQLite store copied into PostgreSQL, every
//! table, ids kept, resumable, counts verified.
//!
//! Tables go in foreign-key order, each in batches of [`BATCH`] rows read in
//! key order and written with one `INSERT … SELECT FROM unnest(…) ON CONFLICT
//! DO NOTHING` per batch, each batch its own transaction. A copy stopped
//! half-way is run again: tables with an id go on after the highest id
//! already copied, the others are read again and what is there is skipped.
//! The items' search terms are made on the way (as SQLite's triggers make
//! them). At the end every table's row count is compared, and the identity
//! sequences are moved past the copied ids.

use std::path::Path;

use chrono::{DateTime, Utc};
use postgres::types::ToSql;
use rusqlite::types::ValueRef;

use super::PgStore;
use crate::store::{StoreError, parse_ts};

/// Rows per batch (one transaction each).
pub const BATCH: usize = 2000;

/// How a column is read from SQLite and written to PostgreSQL.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    Time,
    Bool,
    Json,
    Bytes,
}

/// One table: name, key for resuming (an id column) and its columns.
struct Table {
    name: &'static str,
    id: Option<&'static str>,
    columns: &'static [(&'static str, Kind)],
}

use Kind::{Bool, Bytes, Int, Json, Text, Time};

const TABLES: &[Table] = &[
    Table {
        name: "feeds",
        id: Some("id"),
        columns: &[
            ("id", Int),
            ("name", Text),
            ("url", Text),
            ("effective_url", Text),
            ("title", Text),
            ("site_url", Text),
            ("format", Text),
            ("tags", Json),
            ("enabled", Bool),
            ("etag", Text),
            ("last_modified", Text),
            ("last_polled_at", Time),
            ("last_success_at", Time),
            ("last_status", Text),
            ("last_http_status", Int),
            ("last_error", Text),
            ("error_count", Int),
            ("next_due_at", Time),
            ("created_at", Time),
            ("disabled_reason", Text),
            ("redirect_to", Text),
            ("redirect_seen", Int),
        ],
    },
    Table {
        name: "items",
        id: Some("id"),
        columns: &[
            ("id", Int),
            ("url", Text),
            ("canonical_url", Text),
            ("title", Text),
            ("author", Text),
            ("published_at", Time),
            ("updated_at", Time),
            ("first_seen_at", Time),
            ("summary", Text),
            ("content_html", Text),
            ("content_text", Text),
            ("language", Text),
            ("image", Text),
            ("site_name", Text),
            ("extraction", Text),
            ("extraction_error", Text),
            ("story_id", Int),
            ("changed_at", Time),
            ("extraction_path", Text),
        ],
    },
    Table {
        name: "item_sources",
        id: None,
        columns: &[
            ("feed_id", Int),
            ("item_id", Int),
            ("entry_key", Text),
            ("entry_url", Text),
            ("first_seen_at", Time),
        ],
    },
    Table {
        name: "fetches",
        id: Some("id"),
        columns: &[
            ("id", Int),
            ("feed_id", Int),
            ("started_at", Time),
            ("elapsed_ms", Int),
            ("status", Text),
            ("http_status", Int),
            ("bytes", Int),
            ("entries", Int),
            ("new_items", Int),
            ("error", Text),
            ("instance", Text),
        ],
    },
    Table {
        name: "story_fingerprints",
        id: Some("item_id"),
        columns: &[
            ("item_id", Int),
            ("story_id", Int),
            ("seen_at", Int),
            ("fingerprint", Bytes),
        ],
    },
    Table {
        name: "story_bands",
        id: None,
        columns: &[("band_key", Int), ("seen_at", Int), ("item_id", Int)],
    },
    Table {
        name: "story_samples",
        id: None,
        columns: &[("sample_key", Int), ("seen_at", Int), ("item_id", Int)],
    },
    Table {
        name: "pruned_sources",
        id: None,
        columns: &[("feed_id", Int), ("entry_key", Text), ("pruned_at", Time)],
    },
    Table {
        name: "tombstones",
        id: None,
        columns: &[("canonical_url", Text), ("pruned_at", Time)],
    },
    Table {
        name: "article_queue",
        id: Some("id"),
        columns: &[
            ("id", Int),
            ("item_id", Int),
            ("url", Text),
            ("feed_id", Int),
            ("state", Text),
            ("attempts", Int),
            ("next_attempt_at", Time),
            ("last_error", Text),
            ("last_http_status", Int),
            ("extraction", Text),
            ("lease_owner", Text),
            ("lease_until", Time),
            ("lease_token", Int),
            ("created_at", Time),
            ("updated_at", Time),
        ],
    },
];

/// One table's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedTable {
    /// The table.
    pub table: &'static str,
    /// Rows in the SQLite store.
    pub source_rows: i64,
    /// Rows in PostgreSQL afterwards.
    pub target_rows: i64,
}

/// Column values of one batch, as arrays.
enum Values {
    Int(Vec<Option<i64>>),
    Text(Vec<Option<String>>),
    Time(Vec<Option<DateTime<Utc>>>),
    Bool(Vec<Option<bool>>),
    Json(Vec<Option<serde_json::Value>>),
    Bytes(Vec<Option<Vec<u8>>>),
}

impl Values {
    fn new(kind: Kind) -> Values {
        match kind {
            Int => Values::Int(Vec::new()),
            Text => Values::Text(Vec::new()),
            Time => Values::Time(Vec::new()),
            Bool => Values::Bool(Vec::new()),
            Json => Values::Json(Vec::new()),
            Bytes => Values::Bytes(Vec::new()),
        }
    }

    fn push(&mut self, v: ValueRef<'_>) {
        let text = || match v {
            ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Integer(i) => Some(i.to_string()),
            ValueRef::Real(r) => Some(r.to_string()),
            _ => None,
        };
        match self {
            Values::Int(a) => a.push(match v {
                ValueRef::Integer(i) => Some(i),
                _ => None,
            }),
            Values::Text(a) => a.push(text()),
            Values::Time(a) => a.push(text().as_deref().and_then(parse_ts)),
            Values::Bool(a) => a.push(match v {
                ValueRef::Integer(i) => Some(i != 0),
                _ => None,
            }),
            Values::Json(a) => a.push(text().and_then(|t| serde_json::from_str(&t).ok())),
            Values::Bytes(a) => a.push(match v {
                ValueRef::Blob(b) => Some(b.to_vec()),
                _ => None,
            }),
        }
    }

    fn sql_type(&self) -> &'static str {
        match self {
            Values::Int(_) => "bigint[]",
            Values::Text(_) => "text[]",
            Values::Time(_) => "timestamptz[]",
            Values::Bool(_) => "boolean[]",
            Values::Json(_) => "jsonb[]",
            Values::Bytes(_) => "bytea[]",
        }
    }

    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Values::Int(a) => a,
            Values::Text(a) => a,
            Values::Time(a) => a,
            Values::Bool(a) => a,
            Values::Json(a) => a,
            Values::Bytes(a) => a,
        }
    }
}

/// Appends every row of `rows` to `values`, a column each; the rows read.
fn read_rows(
    rows: rusqlite::Result<rusqlite::Rows<'_>>,
    values: &mut [Values],
) -> rusqlite::Result<i64> {
    let mut rows = rows?;
    let mut n = 0;
    while let Some(row) = rows.next()? {
        for (i, v) in values.iter_mut().enumerate() {
            v.push(row.get_ref(i)?);
        }
        n += 1;
    }
    Ok(n)
}

/// The `story_pending` column holding keys that belong to `table` (SQLite
/// keeps the keys of recent items there until it merges them into the
/// index; PostgreSQL writes them to the index at once).
fn pending_keys(table: &str) -> Option<&'static str> {
    match table {
        "story_bands" => Some("bands"),
        "story_samples" => Some("samples"),
        _ => None,
    }
}

/// `newswire store copy`: the SQLite store at `sqlite` copied into the
/// PostgreSQL database at `to` (migrated first); each table's counts.
pub fn copy_sqlite_to_postgres(
    sqlite: &Path,
    to: &crate::model::PgUrl,
    progress: impl FnMut(&str, i64),
) -> Result<Vec<CopiedTable>, StoreError> {
    super::outside_async(|| PgStore::connect(to)?.copy_from_sqlite(sqlite, progress))
}

impl PgStore {
    /// Copies the SQLite store at `sqlite` into this database (see the
    /// module notes); `progress(table, rows_so_far)` after each batch.
    pub fn copy_from_sqlite(
        &mut self,
        sqlite: &Path,
        mut progress: impl FnMut(&str, i64),
    ) -> Result<Vec<CopiedTable>, StoreError> {
        let shown = sqlite.display().to_string();
        let lite = rusqlite::Connection::open_with_flags(
            sqlite,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| lite_err(&shown, e))?;
        crate::store::migrate::check_version(&lite, &shown)?;
        let lwrap = |e| lite_err(&shown, e);
        let wrap = self.wrap();
        self.check_feeds_agree(&lite, &shown)?;
        let mut report = Vec::new();
        for table in TABLES {
            let names: Vec<&str> = table.columns.iter().map(|c| c.0).collect();
            let order = table.id.map_or_else(|| names.join(", "), str::to_owned);
            let mut after: i64 = match table.id {
                Some(id) => self
                    .client()?
                    .query_one(
                        &format!("SELECT COALESCE(max({id}), 0) FROM {}", table.name),
                        &[],
                    )
                    .map_err(&wrap)?
                    .get(0),
                None => i64::MIN,
            };
            let mut copied = 0i64;
            let mut pending_done = false;
            loop {
                let mut values: Vec<Values> =
                    table.columns.iter().map(|c| Values::new(c.1)).collect();
                let filter = match table.id {
                    Some(id) => format!("WHERE {id} > ?1"),
                    None => "WHERE ?1 IS NOT NULL".to_owned(),
                };
                let offset = if table.id.is_some() { 0 } else { copied };
                let sql = format!(
                    "SELECT {} FROM {} {filter} ORDER BY {order} LIMIT {BATCH} OFFSET {offset}",
                    names.join(", "),
                    table.name
                );
                let mut stmt = lite.prepare(&sql).map_err(lwrap)?;
                let mut n = read_rows(stmt.query([after]), &mut values).map_err(lwrap)?;
                if n == 0 {
                    // The keys of recent items still waiting in
                    // `story_pending` belong to this table too: one pass
                    // after the rest (a few thousand items' keys at most).
                    let Some(column) = pending_keys(table.name).filter(|_| !pending_done) else {
                        break;
                    };
                    pending_done = true;
                    let mut stmt = lite
                        .prepare(&format!(
                            "SELECT j.value, p.seen_at, p.item_id FROM story_pending p, \
                             json_each(p.{column}) j ORDER BY 1, 2, 3"
                        ))
                        .map_err(lwrap)?;
                    n = read_rows(stmt.query([]), &mut values).map_err(lwrap)?;
                    if n == 0 {
                        break;
                    }
                }
                if let (Some(_), Values::Int(ids)) = (table.id, &values[0]) {
                    after = ids.last().copied().flatten().unwrap_or(after);
                }
                let mut cols: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
                if table.name == "items" {
                    let (titles, texts) = item_search_terms(&values);
                    values.push(Values::Text(titles));
                    values.push(Values::Text(texts));
                    cols.push("search_title".into());
                    cols.push("search_text".into());
                }
                let unnest: Vec<String> = values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| format!("${}::{}", i + 1, v.sql_type()))
                    .collect();
                let insert = format!(
                    "INSERT INTO {} ({}) SELECT * FROM unnest({}) ON CONFLICT DO NOTHING",
                    table.name,
                    cols.join(", "),
                    unnest.join(", ")
                );
                let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(Values::as_sql).collect();
                self.client()?.execute(&insert, &params).map_err(&wrap)?;
                copied += n;
                progress(table.name, copied);
            }
            let source_count = match pending_keys(table.name) {
                Some(column) => format!(
                    "SELECT (SELECT count(*) FROM {}) + \
                     (SELECT count(*) FROM story_pending p, json_each(p.{column}))",
                    table.name
                ),
                None => format!("SELECT count(*) FROM {}", table.name),
            };
            let source_rows: i64 = lite
                .query_row(&source_count, [], |r| r.get(0))
                .map_err(lwrap)?;
            let target_rows: i64 = self
                .client()?
                .query_one(&format!("SELECT count(*) FROM {}", table.name), &[])
                .map_err(&wrap)?
                .get(0);
            if let Some(id) = table.id.filter(|id| *id == "id") {
                self.client()?
                    .execute(
                        &format!(
                            "SELECT setval(pg_get_serial_sequence('{0}', '{id}'), GREATEST((SELECT max({id}) FROM {0}), 1))",
                            table.name
                        ),
                        &[],
                    )
                    .map_err(&wrap)?;
            }
            report.push(CopiedTable {
                table: table.name,
                source_rows,
                target_rows,
            });
        }
        Ok(report)
    }

    /// A feed in both stores must have one id, or sources would point at
    /// the wrong feed: a database that synced its own feeds is refused.
    fn check_feeds_agree(
        &self,
        lite: &rusqlite::Connection,
        shown: &str,
    ) -> Result<(), StoreError> {
        let wrap = self.wrap();
        let rows = self
            .client()?
            .query("SELECT id, name FROM feeds", &[])
            .map_err(wrap)?;
        for r in rows {
            let (id, name): (i64, String) = (r.get(0), r.get(1));
            let there: Option<i64> = lite
                .query_row("SELECT id FROM feeds WHERE name = ?1", [&name], |r| {
                    r.get(0)
                })
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(lite_err(shown, e)),
                })?;
            if there.is_some_and(|t| t != id) {
                return Err(super::pg_message(
                    self.path(),
                    format!(
                        "feed `{name}` already has id {id} here but {} in {shown}: copy into an empty database",
                        there.unwrap_or_default()
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn lite_err(path: &str, source: rusqlite::Error) -> StoreError {
    StoreError::sqlite(path, source)
}

/// The items' analysed search terms, from the batch's title, text and
/// language columns.
fn item_search_terms(values: &[Values]) -> (Vec<Option<String>>, Vec<Option<String>>) {
    let text = |i: usize| match &values[i] {
        Values::Text(v) => v.as_slice(),
        _ => &[],
    };
    let (titles, bodies, langs) = (text(3), text(10), text(11));
    titles
        .iter()
        .zip(bodies)
        .zip(langs)
        .map(|((t, b), l)| super::write::search_terms(t.as_deref(), b.as_deref(), l.as_deref()))
        .unzip()
}
