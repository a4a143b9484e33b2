-- 007: one row per story with what a reader wants to show: the first item's
-- title and link, when the story was first and last seen, and its outlets.
CREATE VIEW story_summary AS
SELECT s.id,
       i.title,
       i.url,
       s.first_seen_at,
       (SELECT max(m.first_seen_at) FROM items m WHERE m.story_id = s.id) AS last_seen_at,
       s.item_count,
       s.outlets
FROM stories s
LEFT JOIN items i ON i.id = s.id;
