//! Full-text search on PostgreSQL: the query is analysed in Rust exactly as
//! for SQLite ([`crate::store::fts`]) and sent as `to_tsquery('simple', …)`
//! against the generated `items.search` vector (GIN index). Title terms
//! weigh ten times the text's (`ts_rank_cd` weights A 1, B 0.1); the rank is
//! negated so that, as with BM25 on SQLite, lower is better.

use super::PgStore;
use super::query::{Args, FEEDS_OF_ITEM, filters};
use crate::store::query::SearchHit;
use crate::store::{ItemQuery, StoreError, fts};
use crate::stories::analyse::Lang;

impl PgStore {
    /// See [`crate::store::Store::search`]: the same syntax, the same
    /// analysed words.
    pub fn search(&self, text: &str, q: &ItemQuery) -> Result<Vec<SearchHit>, StoreError> {
        let lang = q.language.as_deref().and_then(Lang::from_tag);
        let Some(expr) = fts::tsquery(text, lang).or_else(|| fts::tsquery_plain(text, lang)) else {
            return Ok(Vec::new());
        };
        let highlight = fts::highlight_terms(text, lang);
        let wrap = self.wrap();
        let mut args = Args::default();
        let n = args.push(expr);
        let mut sql = format!(
            "SELECT i.id, i.title, i.url, COALESCE(i.published_at, i.first_seen_at), {FEEDS_OF_ITEM},
                    i.story_id, i.content_text, i.language,
                    -ts_rank_cd('{{0, 0, 0.1, 1}}', i.search, q.q)::float8 AS rank
             FROM items i, to_tsquery('simple', {n}) AS q(q)
             WHERE i.search @@ q.q"
        );
        filters(q, &mut sql, &mut args);
        sql.push_str(&format!(
            " ORDER BY rank, i.id DESC LIMIT {}",
            super::big(q.limit)
        ));
        let rows = self.client()?.query(&sql, &args.refs()).map_err(wrap)?;
        Ok(rows
            .iter()
            .map(|r| {
                let body: Option<String> = r.get(6);
                let tag: Option<String> = r.get(7);
                let snippet = body.as_deref().and_then(|t| {
                    let lang = fts::item_language(tag.as_deref(), || Some(t.to_owned()));
                    fts::snippet(t, lang, &highlight)
                });
                SearchHit {
                    id: r.get(0),
                    title: r.get(1),
                    url: r.get(2),
                    published_at: super::text(r.get(3)),
                    feeds: r.get(4),
                    story_id: r.get(5),
                    snippet,
                    rank: r.get(8),
                }
            })
            .collect())
    }
}
