-- Which daemon polled (`[cluster] instance`): one SQLite file has one
-- daemon, but the poll log reads the same on every store, and a store
-- copied to PostgreSQL keeps its history's names. NULL for polls recorded
-- before this column existed.
ALTER TABLE fetches ADD COLUMN instance TEXT;
