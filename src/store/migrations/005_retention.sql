-- 005: retention (opt-in, `[storage] retain`).
-- When old items are pruned, what identified them is kept so that an entry
-- still present in its feed is recognised and never stored again.

CREATE TABLE pruned_sources (
    feed_id   INTEGER NOT NULL,
    entry_key TEXT NOT NULL,
    pruned_at TEXT NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
) WITHOUT ROWID;

CREATE TABLE tombstones (
    canonical_url TEXT PRIMARY KEY,
    pruned_at     TEXT NOT NULL
) WITHOUT ROWID;
