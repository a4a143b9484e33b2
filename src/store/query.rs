//! Read queries shared by the command line (`newswire items`, `search`, `stories`) and the HTTP API.

use rusqlite::params_from_iter;

use super::{SqliteStore, StoreError, fts};
use crate::model::ts;
pub use crate::model::{ItemCursor, ItemQuery, ItemRow, SearchHit, StoryQuery, StoryRow};
use crate::stories::analyse::Lang;

impl SqliteStore {
    /// Newest items first (by publication time, else first-seen time); with
    /// `after_id`, in the order they were stored.
    ///
    /// The page is chosen first by ids and sort keys alone (an index walk),
    /// then only its rows are read in full: skipped rows cost no text.
    pub fn items(&self, q: &ItemQuery) -> Result<Vec<ItemRow>, StoreError> {
        let wrap = self.wrap();
        let text = if q.omit_text {
            "NULL"
        } else {
            "i.content_text"
        };
        let order = if q.updated_since.is_some() {
            "COALESCE(i.changed_at, i.first_seen_at), i.id"
        } else if q.after_id.is_some() {
            "i.id"
        } else {
            "COALESCE(i.published_at, i.first_seen_at) DESC, i.id DESC"
        };
        let mut page = String::from("SELECT i.id FROM items i WHERE 1 = 1");
        let mut args: Vec<String> = Vec::new();
        filters(q, &mut page, &mut args);
        if let Some(c) = &q.before {
            args.push(c.at.clone());
            args.push(c.id.to_string());
            page.push_str(&format!(
                " AND (COALESCE(i.published_at, i.first_seen_at), i.id) < (?{}, CAST(?{} AS INTEGER))",
                args.len() - 1,
                args.len()
            ));
        }
        page.push_str(&format!(
            " ORDER BY {order} LIMIT {} OFFSET {}",
            q.limit.min(i64::MAX as usize),
            q.offset.min(i64::MAX as usize)
        ));
        let sql = format!(
            "SELECT i.id, i.title, i.url, i.canonical_url, i.author, i.published_at, i.first_seen_at,
                    (SELECT group_concat(f.name, char(31)) FROM item_sources s JOIN feeds f ON f.id = s.feed_id
                      WHERE s.item_id = i.id),
                    i.story_id, i.extraction, i.language, i.summary, {text},
                    COALESCE(i.changed_at, i.first_seen_at)
             FROM items i WHERE i.id IN ({page}) ORDER BY {order}"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(&wrap)?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), |r| {
                let feeds: Option<String> = r.get(7)?;
                Ok(ItemRow {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    url: r.get(2)?,
                    canonical_url: r.get(3)?,
                    author: r.get(4)?,
                    published_at: r.get(5)?,
                    first_seen_at: r.get(6)?,
                    feeds: split_names(feeds),
                    story_id: r.get(8)?,
                    extraction: r.get(9)?,
                    language: r.get(10)?,
                    summary: r.get(11)?,
                    content_text: r.get(12)?,
                    changed_at: r.get(13)?,
                })
            })
            .map_err(&wrap)?;
        rows.collect::<Result<_, _>>().map_err(wrap)
    }

    /// Full-text search over titles and article text, best matches first
    /// (BM25, title weighted ten times the text), with a snippet per hit.
    ///
    /// `text` uses the FTS5 operators (`putin AND visit`, `"black sea"`,
    /// `sanction*`, `OR`, `NOT`, parentheses) over analysed words (see
    /// [`super::fts`]): a Chinese word is found inside a sentence, a Russian,
    /// Turkish or Arabic word in any inflected form. Text that is not valid
    /// syntax is searched as plain words; a query without any word finds
    /// nothing.
    pub fn search(&self, text: &str, q: &ItemQuery) -> Result<Vec<SearchHit>, StoreError> {
        let lang = q.language.as_deref().and_then(Lang::from_tag);
        let Some(expr) = fts::translate(text, lang) else {
            return Ok(Vec::new());
        };
        let highlight = fts::highlight_terms(text, lang);
        match self.search_raw(&expr, q, &highlight) {
            Err(StoreError::Backend { source, .. })
                if source
                    .downcast_ref::<rusqlite::Error>()
                    .is_some_and(is_fts_syntax_error) =>
            {
                match fts::translate_plain(text, lang) {
                    Some(plain) => self.search_raw(&plain, q, &highlight),
                    None => Ok(Vec::new()),
                }
            }
            other => other,
        }
    }

    fn search_raw(
        &self,
        expr: &str,
        q: &ItemQuery,
        highlight: &[(String, bool)],
    ) -> Result<Vec<SearchHit>, StoreError> {
        let wrap = self.wrap();
        let mut sql = String::from(
            "SELECT i.id, i.title, i.url, COALESCE(i.published_at, i.first_seen_at),
                    (SELECT group_concat(f.name, char(31)) FROM item_sources s JOIN feeds f ON f.id = s.feed_id
                      WHERE s.item_id = i.id),
                    i.story_id, i.content_text, i.language,
                    bm25(items_fts, 10.0, 1.0) AS rank
             FROM items_fts JOIN items i ON i.id = items_fts.rowid
             WHERE items_fts MATCH ?1",
        );
        let mut args = vec![expr.to_string()];
        filters(q, &mut sql, &mut args);
        sql.push_str(&format!(
            " ORDER BY rank LIMIT {}",
            q.limit.min(i64::MAX as usize)
        ));
        let mut stmt = self.conn.prepare(&sql).map_err(&wrap)?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), |r| {
                let feeds: Option<String> = r.get(4)?;
                let text: Option<String> = r.get(6)?;
                let tag: Option<String> = r.get(7)?;
                // The index holds terms, not text: the snippet is cut from
                // the stored article in the language it was indexed in.
                let snippet = text.as_deref().and_then(|t| {
                    let lang = fts::item_language(tag.as_deref(), || Some(t.to_owned()));
                    fts::snippet(t, lang, highlight)
                });
                Ok(SearchHit {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    url: r.get(2)?,
                    published_at: r.get(3)?,
                    feeds: split_names(feeds),
                    story_id: r.get(5)?,
                    snippet,
                    rank: r.get(8)?,
                })
            })
            .map_err(&wrap)?;
        rows.collect::<Result<_, _>>().map_err(wrap)
    }

    /// Counts rows of `items`, `item_sources` and `fetches` (for summaries and tests).
    pub fn counts(&self) -> Result<(i64, i64, i64), StoreError> {
        let wrap = self.wrap();
        self.conn
            .query_row(
                "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM item_sources), (SELECT count(*) FROM fetches)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(wrap)
    }
}

/// Appends the `WHERE` clauses for `q` (table alias `i`) and their arguments.
fn filters(q: &ItemQuery, sql: &mut String, args: &mut Vec<String>) {
    let mut add = |clause: &str, value: String, sql: &mut String| {
        args.push(value);
        sql.push_str(&clause.replace("?N", &format!("?{}", args.len())));
    };
    if let Some(feed) = &q.feed {
        add(
            " AND i.id IN (SELECT s.item_id FROM item_sources s JOIN feeds f ON f.id = s.feed_id WHERE f.name = ?N)",
            feed.clone(),
            sql,
        );
    }
    if let Some(tag) = &q.tag {
        add(
            " AND i.id IN (SELECT s.item_id FROM item_sources s JOIN feeds f ON f.id = s.feed_id, json_each(f.tags) t WHERE t.value = ?N)",
            tag.clone(),
            sql,
        );
    }
    if let Some(lang) = &q.language {
        // `en` matches `en` and `en-GB`; a `%` or `_` in the value is a
        // character to match, not a wildcard (a prefix test, not LIKE).
        add(
            " AND (lower(i.language) = lower(?N) OR substr(lower(i.language), 1, length(?N) + 1) = lower(?N) || '-')",
            lang.clone(),
            sql,
        );
    }
    if let Some(since) = q.since {
        add(
            " AND COALESCE(i.published_at, i.first_seen_at) >= ?N",
            ts(since),
            sql,
        );
    }
    if let Some(until) = q.until {
        add(
            " AND COALESCE(i.published_at, i.first_seen_at) < ?N",
            ts(until),
            sql,
        );
    }
    if let Some(changed) = q.updated_since {
        add(
            " AND COALESCE(i.changed_at, i.first_seen_at) >= ?N",
            ts(changed),
            sql,
        );
    }
    if let Some(after) = q.after_id {
        add(" AND i.id > CAST(?N AS INTEGER)", after.to_string(), sql);
    }
    if let Some(story) = q.story {
        add(
            " AND i.story_id = CAST(?N AS INTEGER)",
            story.to_string(),
            sql,
        );
    }
}

fn split_names(joined: Option<String>) -> Vec<String> {
    joined
        .map(|f| f.split('\u{1f}').map(str::to_string).collect())
        .unwrap_or_default()
}

fn is_fts_syntax_error(e: &rusqlite::Error) -> bool {
    let text = e.to_string();
    text.contains("fts5: syntax error")
        || text.contains("no such column")
        || text.contains("unterminated string")
}

impl SqliteStore {
    /// Stories, newest first. A story whose items were never fingerprinted
    /// (no text) counts as first seen when its first item was.
    pub fn stories(&self, q: &StoryQuery) -> Result<Vec<StoryRow>, StoreError> {
        let wrap = self.wrap();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT s.id, COALESCE(s.first_seen_at, i.first_seen_at) AS seen, s.item_count,
                        s.outlets, i.title, i.url
                 FROM stories s LEFT JOIN items i ON i.id = s.id
                 WHERE (?1 IS NULL OR COALESCE(s.first_seen_at, i.first_seen_at) >= ?1)
                   AND s.item_count >= ?2
                 ORDER BY seen DESC, s.id DESC LIMIT ?3 OFFSET ?4",
            )
            .map_err(&wrap)?;
        let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(
                rusqlite::params![
                    q.since.map(ts),
                    int(q.min_items),
                    int(q.limit as u64),
                    int(q.offset as u64)
                ],
                |r| {
                    let outlets: String = r.get(3)?;
                    Ok(StoryRow {
                        id: r.get(0)?,
                        first_seen_at: r.get(1)?,
                        item_count: r.get(2)?,
                        outlets: serde_json::from_str(&outlets).unwrap_or_default(),
                        title: r.get(4)?,
                        url: r.get(5)?,
                    })
                },
            )
            .map_err(&wrap)?;
        rows.collect::<Result<_, _>>().map_err(wrap)
    }
}
