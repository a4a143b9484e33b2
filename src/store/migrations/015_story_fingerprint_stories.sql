-- 015: each fingerprinted item's story, in a narrow index.
--
-- Counting in how many stories a sample key recurs (the boilerplate test run
-- for every new item, `store::stories`) reads the story of each item filed
-- under the key. From the rows of story_fingerprints, a kilobyte or two each
-- with the fingerprint, that was about one page read per item at 300,000
-- items; entries of this index take some 20 bytes, so all of them fit the
-- writer's page cache (a few MB at that size).
CREATE INDEX story_fingerprints_item_story ON story_fingerprints(item_id, story_id);
