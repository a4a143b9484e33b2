-- 009: the article queue. One row per item whose page newswire fetches for
-- its full text, written in the same transaction as the item. A page that
-- failed for a reason that may pass (timeout, 429, 503, ...) stays
-- 'pending' with a next attempt time, so a bad minute, a host's back-off or
-- a daemon stopped mid-fetch never loses an article's text.
--
-- state: pending (waiting for next_attempt_at), running (claimed by a
--   worker until lease_until), done (the page was fetched; `extraction`
--   says which path produced the text), failed (a permanent failure or the
--   retry limit; `last_error` says why; only `newswire refetch` retries it).
-- lease_owner, lease_until, lease_token: who is fetching the page and until
--   when, as for feeds on a shared PostgreSQL store (docs/schema.md). On
--   SQLite one daemon writes, so a lease only guards against a second
--   process (`newswire poll` beside `newswire run`) and a row left
--   'running' by a killed daemon is simply taken again.
CREATE TABLE article_queue (
    id               INTEGER PRIMARY KEY,
    item_id          INTEGER NOT NULL UNIQUE REFERENCES items (id) ON DELETE CASCADE,
    url              TEXT NOT NULL,
    feed_id          INTEGER REFERENCES feeds (id),
    state            TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    last_error       TEXT,
    last_http_status INTEGER,
    extraction       TEXT,
    lease_owner      TEXT,
    lease_until      TEXT,
    lease_token      INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
-- The claim (due rows by state and time) and the gauges (rows and oldest
-- age by state) read only this index.
CREATE INDEX article_queue_due ON article_queue (state, next_attempt_at, created_at);

-- When newswire last wrote the item row: its first store, or its full text
-- arriving later. `items.updated_at` stays the article's own modification
-- time. Readers poll `changed_at` (`newswire items --updated-since`,
-- `/items?updated_since=`) to see late full text.
ALTER TABLE items ADD COLUMN changed_at TEXT;
UPDATE items SET changed_at = first_seen_at;
CREATE INDEX items_changed_at ON items (changed_at);
