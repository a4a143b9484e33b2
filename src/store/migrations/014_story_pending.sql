-- 014: the story-index keys of recent items, merged into story_bands and
-- story_samples in key order a few thousand items at a time.
--
-- Each new item's band and sample keys land at random places in those two
-- b-trees, so every commit dirtied about one index page per key (80 MB of
-- WAL per group of 128 polls at 300,000 items). Keys now wait here, one row
-- per item in id order (appended, a few pages per commit), and the writer
-- keeps them in memory for lookups; once enough items wait they are
-- inserted into the index sorted, each index page written once for many
-- keys, in one transaction (`store::stories`). A lookup reads both.
CREATE TABLE story_pending (
    item_id INTEGER PRIMARY KEY REFERENCES story_fingerprints(item_id) ON DELETE CASCADE,
    seen_at INTEGER NOT NULL,  -- Unix seconds, as story_fingerprints.seen_at
    bands   TEXT NOT NULL,     -- JSON array of the item's band keys
    samples TEXT NOT NULL      -- JSON array of the item's sample keys
);
