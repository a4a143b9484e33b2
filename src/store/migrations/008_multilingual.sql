-- 008: stories that hold on partial copies; search in every language.
--
-- story_samples: the sampled-shingle keys of each fingerprint (format 2),
-- keyed like story_bands for the candidate lookup and for counting in how
-- many stories a key recurs (boilerplate).
CREATE TABLE story_samples (
    sample_key INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL,
    item_id    INTEGER NOT NULL REFERENCES story_fingerprints(item_id) ON DELETE CASCADE,
    PRIMARY KEY (sample_key, seen_at, item_id)
) WITHOUT ROWID;
CREATE INDEX story_samples_item ON story_samples(item_id);

-- items_fts now holds analysed terms made in Rust (newswire_terms: Chinese and
-- Japanese as character bigrams, Arabic normalised, words stemmed in the
-- item's language, Latin diacritics folded), one space between terms, so the
-- plain ascii tokenizer reads them back exactly. It is contentless: the text
-- stays in items, snippets are made from it. Writers of items therefore need
-- the newswire_terms function, which every newswire connection registers.
DROP TRIGGER items_fts_insert;
DROP TRIGGER items_fts_delete;
DROP TRIGGER items_fts_update;
DROP TABLE items_fts;

CREATE VIRTUAL TABLE items_fts USING fts5(
    title,
    content_text,
    content = '',
    contentless_delete = 1,
    tokenize = 'ascii'
);

CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, title, content_text)
    VALUES (new.id,
            newswire_terms(new.title, new.language, new.content_text),
            newswire_terms(new.content_text, new.language, new.content_text));
END;

CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    DELETE FROM items_fts WHERE rowid = old.id;
END;

CREATE TRIGGER items_fts_update AFTER UPDATE OF title, content_text, language ON items BEGIN
    DELETE FROM items_fts WHERE rowid = old.id;
    INSERT INTO items_fts (rowid, title, content_text)
    VALUES (new.id,
            newswire_terms(new.title, new.language, new.content_text),
            newswire_terms(new.content_text, new.language, new.content_text));
END;

-- Re-index what earlier versions stored.
INSERT INTO items_fts (rowid, title, content_text)
SELECT id,
       newswire_terms(title, language, content_text),
       newswire_terms(content_text, language, content_text)
FROM items;
