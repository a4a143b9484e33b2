-- 002: story matching.
--
-- story_fingerprints: one row per fingerprinted item (the item's text
-- fingerprint, its story and when it was first seen, as Unix seconds).
-- story_bands: the LSH band keys of each fingerprint, keyed for the one lookup
-- story matching does per new item: `band_key IN (...) AND seen_at >= ?`.
-- stories: one row per story, derived from items (never written directly).

CREATE TABLE story_fingerprints (
    item_id     INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    story_id    INTEGER NOT NULL,
    seen_at     INTEGER NOT NULL,  -- Unix seconds, UTC
    fingerprint BLOB NOT NULL      -- dedup::Fingerprint::to_bytes, format version in byte 0
);
CREATE INDEX story_fingerprints_story ON story_fingerprints(story_id);
CREATE INDEX story_fingerprints_seen ON story_fingerprints(seen_at);

CREATE TABLE story_bands (
    band_key INTEGER NOT NULL,
    seen_at  INTEGER NOT NULL,     -- copy of story_fingerprints.seen_at, for the range scan
    item_id  INTEGER NOT NULL REFERENCES story_fingerprints(item_id) ON DELETE CASCADE,
    PRIMARY KEY (band_key, seen_at, item_id)
) WITHOUT ROWID;
-- By item: replacing an item's keys, and the ON DELETE CASCADE, without a scan.
CREATE INDEX story_bands_item ON story_bands(item_id);

-- One row per story: its id (the id of its first item), when its first item
-- was seen (ISO 8601 UTC, NULL when none was fingerprinted), how many items
-- carry it, and the names of the feeds that carried them (JSON array, sorted).
CREATE VIEW stories AS
WITH members AS (
    SELECT COALESCE(i.story_id, i.id) AS story_id, i.id AS item_id
    FROM items i
),
outlet_lists AS (
    SELECT story_id, json_group_array(name) AS outlets
    FROM (
        SELECT DISTINCT m.story_id, f.name
        FROM members m
        JOIN item_sources s ON s.item_id = m.item_id
        JOIN feeds f ON f.id = s.feed_id
        ORDER BY m.story_id, f.name
    )
    GROUP BY story_id
),
counts AS (
    SELECT m.story_id, COUNT(*) AS item_count, MIN(sf.seen_at) AS first_seen
    FROM members m
    LEFT JOIN story_fingerprints sf ON sf.item_id = m.item_id
    GROUP BY m.story_id
)
SELECT c.story_id AS id,
       strftime('%Y-%m-%dT%H:%M:%SZ', c.first_seen, 'unixepoch') AS first_seen_at,
       c.item_count AS item_count,
       COALESCE(o.outlets, '[]') AS outlets
FROM counts c
LEFT JOIN outlet_lists o ON o.story_id = c.story_id;
