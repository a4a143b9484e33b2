#!/usr/bin/env python3
"""The pipeline a user would write instead of newswire, for comparison.

feedparser for the feeds, trafilatura for the article text, sqlite3 for the
store, 16 threads: fetch and parse every feed, then fetch and extract every
entry's page, and store the items in one SQLite file (one transaction per
feed, a unique canonical URL, an FTS5 index, like newswire's store).

Usage: python_pipeline.py FEEDS_FILE DB [--threads 16]
Needs: pip install feedparser trafilatura lxml_html_clean requests
Prints: feeds, items, seconds. Part of benches/run.sh (BENCHMARKS.md).
"""
import argparse
import sqlite3
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import feedparser
import requests
import trafilatura

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY, feed TEXT, url TEXT UNIQUE, title TEXT, published TEXT,
  summary TEXT, content_text TEXT);
CREATE VIRTUAL TABLE IF NOT EXISTS items_fts USING fts5(title, content_text, content='items', content_rowid='id');
CREATE TRIGGER IF NOT EXISTS items_ai AFTER INSERT ON items BEGIN
  INSERT INTO items_fts(rowid, title, content_text) VALUES (new.id, new.title, new.content_text);
END;
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("feeds")
    ap.add_argument("db")
    ap.add_argument("--threads", type=int, default=16)
    args = ap.parse_args()
    feeds = [line.strip() for line in open(args.feeds) if line.strip()]

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=256, pool_maxsize=args.threads)
    session.mount("http://", adapter)
    session.mount("https://", adapter)

    def get(url):
        r = session.get(url, timeout=60)
        r.raise_for_status()
        return r

    def poll(feed_url):
        r = get(feed_url)
        return feed_url, feedparser.parse(r.content)

    def article(entry):
        try:
            html = get(entry.link).text
            text = trafilatura.extract(html, url=entry.link)
        except Exception as e:  # a broken page keeps the feed's summary
            print(f"{entry.link}: {e}", file=sys.stderr)
            text = None
        return entry, text

    start = time.time()
    db = sqlite3.connect(args.db)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.executescript(SCHEMA)
    items = 0
    with ThreadPoolExecutor(args.threads) as pool:
        parsed = list(pool.map(poll, feeds))
        # Every page is queued at once so the threads never wait at a feed's end.
        jobs = [(feed_url, pool.submit(article, e)) for feed_url, doc in parsed for e in doc.entries]
        by_feed = {}
        for feed_url, job in jobs:
            entry, text = job.result()
            by_feed.setdefault(feed_url, []).append(
                (feed_url, entry.link, entry.get("title"), entry.get("published"),
                 entry.get("summary"), text or entry.get("summary")))
        for feed_url, rows in by_feed.items():
            with db:
                cur = db.executemany(
                    "INSERT OR IGNORE INTO items (feed, url, title, published, summary, content_text)"
                    " VALUES (?, ?, ?, ?, ?, ?)", rows)
                items += cur.rowcount
    db.close()
    print(f"python: {len(feeds)} feeds, {items} items, {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
