-- 003: full-text search over items, kept in step by triggers, and a view of
-- the newest items with the feeds that carried them.

CREATE VIRTUAL TABLE items_fts USING fts5(
    title,
    content_text,
    content = 'items',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, title, content_text) VALUES (new.id, new.title, new.content_text);
END;

CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, content_text)
    VALUES ('delete', old.id, old.title, old.content_text);
END;

CREATE TRIGGER items_fts_update AFTER UPDATE OF title, content_text ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, content_text)
    VALUES ('delete', old.id, old.title, old.content_text);
    INSERT INTO items_fts (rowid, title, content_text) VALUES (new.id, new.title, new.content_text);
END;

-- Index what earlier versions stored.
INSERT INTO items_fts (items_fts) VALUES ('rebuild');

-- The newest items first, with the names of the feeds that carried them.
CREATE VIEW latest_items AS
SELECT i.id, i.title, i.url, i.canonical_url, i.author,
       COALESCE(i.published_at, i.first_seen_at) AS published_at,
       i.first_seen_at, i.language, i.story_id, i.extraction, i.summary,
       (SELECT json_group_array(f.name) FROM item_sources s JOIN feeds f ON f.id = s.feed_id
         WHERE s.item_id = i.id) AS feeds
FROM items i
ORDER BY COALESCE(i.published_at, i.first_seen_at) DESC, i.id DESC;
