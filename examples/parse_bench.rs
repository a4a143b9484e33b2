//! What the parsing shim costs: `parse_feed` (decode, normalising pass,
//! feed-rs, conversion) against feed-rs alone on the same documents.
//!
//! `CARGO_TARGET_DIR=/work/target-release cargo run --release --example parse_bench`
//!
//! The documents are generated here: an RSS 2.0 feed and an Atom 1.0 feed
//! of 500 entries each, with HTML descriptions and media elements, about
//! 1 MB apiece, the size of a large news site's feed. Each is parsed 40
//! times; the figures are MB/s of input and the shim's share of the time.

use std::time::Instant;

use newswire::parse::parse_feed;
use url::Url;

fn rss(items: usize) -> String {
    let mut doc = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>\
         <title>Wire service</title><link>https://wire.example.com/</link><description>All news</description>\n",
    );
    for i in 0..items {
        doc.push_str(&format!(
            "<item><title>Report {i}: talks resume and delegations meet</title>\
             <link>https://wire.example.com/news/{i}</link><guid isPermaLink=\"false\">wire-{i}</guid>\
             <pubDate>Fri, 14 Mar 2025 10:{:02}:00 +0000</pubDate><dc:creator>Desk {i}</dc:creator>\
             <description><![CDATA[<p>Delegations met on day {i}. <a href=\"/news/{i}/more\">More</a></p>{}]]></description>\
             <media:content url=\"https://img.example.com/{i}.jpg\" medium=\"image\"/><media:credit/></item>\n",
            i % 60,
            "<p>Background paragraph with some words about the negotiations and their history.</p>".repeat(15)
        ));
    }
    doc.push_str("</channel></rss>\n");
    doc
}

fn atom(entries: usize) -> String {
    let mut doc = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"https://wire.example.com/\" xml:lang=\"en\">\
         <title>Wire service</title><id>tag:wire.example.com,2025:all</id><updated>2025-03-14T10:00:00Z</updated>\n",
    );
    for i in 0..entries {
        doc.push_str(&format!(
            "<entry><title type=\"html\">Report {i}: talks resume</title>\
             <id>tag:wire.example.com,2025:{i}</id><updated>2025-03-14T10:{:02}:00Z</updated>\
             <link rel=\"alternate\" href=\"news/{i}\"/><author><name>Desk {i}</name></author>\
             <content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Delegations met on day {i}. <a href=\"news/{i}/more\">More</a></p>{}</div></content></entry>\n",
            i % 60,
            "<p>Background paragraph with some words about the negotiations and their history.</p>".repeat(15)
        ));
    }
    doc.push_str("</feed>\n");
    doc
}

fn main() -> anyhow::Result<()> {
    let url = Url::parse("https://wire.example.com/feed")?;
    const RUNS: usize = 40;
    println!(
        "{:<6} {:>8} {:>14} {:>14} {:>8}",
        "feed", "MB", "feed-rs MB/s", "newswire MB/s", "shim"
    );
    for (name, doc) in [("rss", rss(500)), ("atom", atom(500))] {
        let mb = doc.len() as f64 / 1e6;
        let parser = feed_rs::parser::Builder::new()
            .base_uri(Some(url.as_str()))
            .sanitize_content(false)
            .build();
        let start = Instant::now();
        let mut entries = 0;
        for _ in 0..RUNS {
            entries += parser.parse(doc.as_bytes())?.entries.len();
        }
        let alone = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let mut ours = 0;
        for _ in 0..RUNS {
            ours += parse_feed(doc.as_bytes(), Some("application/xml"), &url)?
                .entries
                .len();
        }
        let full = start.elapsed().as_secs_f64();
        anyhow::ensure!(entries == ours, "{name}: {entries} vs {ours} entries");
        println!(
            "{name:<6} {mb:>8.2} {:>14.1} {:>14.1} {:>7.0}%",
            mb * RUNS as f64 / alone,
            mb * RUNS as f64 / full,
            100.0 * (full - alone) / full
        );
    }
    Ok(())
}
