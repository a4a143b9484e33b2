-- 010: which pass of the extractor chose an item's text (`strict`, `relaxed`,
-- `rescue`, `site_rule`, `description`), NULL when the text is not from the
-- page (`extraction` is `feed` or `failed`) or was stored before this column.
ALTER TABLE items ADD COLUMN extraction_path TEXT;
