-- 006: listing items newest first (`newswire items`, `/items`, `latest_items`)
-- reads this index in order instead of sorting the whole table.
CREATE INDEX items_newest ON items (COALESCE(published_at, first_seen_at), id);
