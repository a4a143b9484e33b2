-- 013: what proves the file sound without reading all of it (issue 17).
--
-- One row. `closed_stamp` is the database file's identity (device, inode,
-- size, modification and change times) as the writer left it at a clean
-- close; it is cleared whenever a writer opens the file, so a file that was
-- not closed cleanly, or was changed by anything else since, does not match
-- and is checked whole. `checked_at` and `checked_bytes` say when the last
-- full check (`PRAGMA quick_check`) passed and how large the file was then.
CREATE TABLE store_check (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    closed_stamp  TEXT,
    closed_at     TEXT,
    checked_at    TEXT,
    checked_bytes INTEGER
);

INSERT INTO store_check (id) VALUES (1);
