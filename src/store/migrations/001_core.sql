-- newswire store, migration 1: feeds, items, item_sources, fetches.
-- Timestamps are UTC text, 'YYYY-MM-DDTHH:MM:SSZ' (sortable as text).
-- Documented for readers in docs/schema.md.

CREATE TABLE feeds (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    url              TEXT NOT NULL,
    effective_url    TEXT,
    title            TEXT,
    site_url         TEXT,
    format           TEXT,
    tags             TEXT NOT NULL DEFAULT '[]',
    enabled          INTEGER NOT NULL DEFAULT 1,
    etag             TEXT,
    last_modified    TEXT,
    last_polled_at   TEXT,
    last_success_at  TEXT,
    last_status      TEXT,
    last_http_status INTEGER,
    last_error       TEXT,
    error_count      INTEGER NOT NULL DEFAULT 0,
    next_due_at      TEXT,
    created_at       TEXT NOT NULL
);

CREATE TABLE items (
    id               INTEGER PRIMARY KEY,
    url              TEXT NOT NULL,
    canonical_url    TEXT NOT NULL UNIQUE,
    title            TEXT,
    author           TEXT,
    published_at     TEXT,
    updated_at       TEXT,
    first_seen_at    TEXT NOT NULL,
    summary          TEXT,
    content_html     TEXT,
    content_text     TEXT,
    language         TEXT,
    image            TEXT,
    site_name        TEXT,
    extraction       TEXT NOT NULL DEFAULT 'feed',
    extraction_error TEXT,
    story_id         INTEGER
);
CREATE INDEX items_published_at ON items (published_at);
CREATE INDEX items_first_seen_at ON items (first_seen_at);
CREATE INDEX items_story_id ON items (story_id);

CREATE TABLE item_sources (
    feed_id       INTEGER NOT NULL REFERENCES feeds (id),
    item_id       INTEGER NOT NULL REFERENCES items (id),
    entry_key     TEXT NOT NULL,
    entry_url     TEXT,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
);
CREATE INDEX item_sources_item_id ON item_sources (item_id);

CREATE TABLE fetches (
    id            INTEGER PRIMARY KEY,
    feed_id       INTEGER NOT NULL REFERENCES feeds (id),
    started_at    TEXT NOT NULL,
    elapsed_ms    INTEGER NOT NULL,
    status        TEXT NOT NULL,
    http_status   INTEGER,
    bytes         INTEGER,
    entries       INTEGER,
    new_items     INTEGER,
    error         TEXT
);
CREATE INDEX fetches_feed_id_started_at ON fetches (feed_id, started_at);
