-- 011: newswire's writer indexes the items of a write together.
--
-- A row inserted into items_fts between other statements makes FTS5 flush its
-- pending terms into a new segment at the next statement, so the trigger's
-- row per item cost a segment per item. newswire's own writes now insert the
-- index rows of all their new items just before they commit, with terms made
-- off the writer thread; while they do, newswire_fts_deferred() is true on
-- that connection and the trigger skips the row. Every other insert (and every
-- program that writes items) goes through the trigger as before; a program
-- without newswire's functions still fails with "no such function".
DROP TRIGGER items_fts_insert;

CREATE TRIGGER items_fts_insert AFTER INSERT ON items WHEN NOT newswire_fts_deferred() BEGIN
    INSERT INTO items_fts (rowid, title, content_text)
    VALUES (new.id,
            newswire_terms(new.title, new.language, new.content_text),
            newswire_terms(new.content_text, new.language, new.content_text));
END;
