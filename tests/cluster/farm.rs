//! The farm: 100 feeds of invented articles with full text, some carried
//! by several feeds, some reprinted under another URL, and their config.

use std::time::Duration;

use crate::common::{Reply, TestServer};
use crate::harness::{config_text, feed};

/// Feeds in the farm.
pub const FEEDS: usize = 100;
/// Articles each feed carries alone.
pub const OWN: usize = 3;
/// Articles each carried by [`CARRIERS`] feeds under their own guids.
pub const SHARED: usize = 10;
/// Feeds carrying each shared article.
pub const CARRIERS: usize = 3;
/// Original/reprint pairs: one text on two URLs from two feeds.
pub const REPRINTS: usize = 10;
/// Every article page answers after this long.
pub const PAGE_DELAY: Duration = Duration::from_millis(80);

/// A farm article: its path on the server, title and text.
pub struct Article {
    pub path: String,
    pub title: String,
    pub text: Vec<String>,
}

/// Invented prose: words made of syllables from a seeded generator, so two
/// articles share no passage unless one is a copy of the other.
pub fn prose(seed: u64) -> Vec<String> {
    const ONSETS: [&str; 16] = [
        "b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st",
    ];
    const VOWELS: [&str; 6] = ["a", "e", "i", "o", "u", "ai"];
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..6)
        .map(|_| {
            let words: Vec<String> = (0..45)
                .map(|_| {
                    (0..rng.usize(1..=3))
                        .map(|_| {
                            format!(
                                "{}{}",
                                ONSETS[rng.usize(..ONSETS.len())],
                                VOWELS[rng.usize(..VOWELS.len())]
                            )
                        })
                        .collect::<String>()
                })
                .collect();
            let mut sentence = words.join(" ");
            sentence.push('.');
            let mut chars = sentence.chars();
            match chars.next() {
                Some(c) => c.to_uppercase().chain(chars).collect(),
                None => sentence,
            }
        })
        .collect()
}

/// The farm: every article, and each feed's entries as (guid, article index).
pub struct Farm {
    pub articles: Vec<Article>,
    pub feeds: Vec<Vec<(String, usize)>>,
    /// Indexes of (original, reprint).
    pub reprint_pairs: Vec<(usize, usize)>,
    /// Index of each shared article and the feeds that carry it.
    pub shared: Vec<(usize, Vec<usize>)>,
}

pub fn farm() -> Farm {
    let mut articles = Vec::new();
    let mut feeds: Vec<Vec<(String, usize)>> = vec![Vec::new(); FEEDS];
    let mut seed = 1u64;
    let mut add = |path: String, title: String, text: Vec<String>| {
        articles.push(Article { path, title, text });
        articles.len() - 1
    };
    for (f, entries) in feeds.iter_mut().enumerate() {
        for i in 0..OWN {
            seed += 1;
            let a = add(
                format!("/desk{f:03}/{i}"),
                format!("Desk {f} report {i}"),
                prose(seed),
            );
            entries.push((format!("desk{f:03}-{i}"), a));
        }
    }
    let mut shared = Vec::new();
    for j in 0..SHARED {
        seed += 1;
        let a = add(
            format!("/shared/{j}"),
            format!("Shared report {j}"),
            prose(seed),
        );
        let carriers: Vec<usize> = (0..CARRIERS).map(|k| (j * 7 + k * 31) % FEEDS).collect();
        for &f in &carriers {
            feeds[f].push((format!("desk{f:03}-shared-{j}"), a));
        }
        shared.push((a, carriers));
    }
    let mut reprint_pairs = Vec::new();
    for p in 0..REPRINTS {
        seed += 1;
        let text = prose(seed);
        let original = add(
            format!("/orig/{p}"),
            format!("Original report {p}"),
            text.clone(),
        );
        let reprint = add(
            format!("/reprint/{p}"),
            format!("Reprinted: a new headline {p}"),
            text,
        );
        let (f, g) = ((p * 11) % FEEDS, (p * 11 + 50) % FEEDS);
        feeds[f].push((format!("orig-{p}"), original));
        feeds[g].push((format!("reprint-{p}"), reprint));
        reprint_pairs.push((original, reprint));
    }
    Farm {
        articles,
        feeds,
        reprint_pairs,
        shared,
    }
}

pub fn serve(srv: &TestServer, farm: &Farm) {
    for a in &farm.articles {
        let body: String = a.text.iter().map(|p| format!("<p>{p}</p>\n")).collect();
        srv.route(
            &a.path,
            Reply::ok(format!(
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
                 <body><nav><a href=\"/\">Home</a></nav><article><h1>{}</h1>\n{body}</article>\
                 <footer>Share this story.</footer></body></html>",
                a.title, a.title
            ))
            .header("Content-Type", "text/html; charset=utf-8")
            .delay(PAGE_DELAY),
        );
    }
    for (f, entries) in farm.feeds.iter().enumerate() {
        let items: String = entries
            .iter()
            .map(|(guid, a)| {
                let a = &farm.articles[*a];
                format!(
                    "<item><title>{}</title><link>{}</link><guid isPermaLink=\"false\">{guid}</guid>\
                     <pubDate>Mon, 07 Dec 2026 01:00:00 GMT</pubDate>\
                     <description>A short teaser.</description></item>\n",
                    a.title,
                    srv.url(&a.path)
                )
            })
            .collect();
        srv.route(
            &format!("/feeds/desk{f:03}.rss"),
            Reply::ok(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>\
                 <title>Desk {f}</title><link>{}</link><description>d</description>\n{items}</channel></rss>",
                srv.url("/")
            ))
            .header("Content-Type", "application/rss+xml"),
        );
    }
}

/// The config text for `storage` (`path = …` or `url = …`) and `cluster`.
pub fn config(srv: &TestServer, storage: &str, cluster: &str) -> String {
    let feeds: Vec<_> = (0..FEEDS)
        .map(|f| {
            feed(
                &format!("desk{f:03}"),
                srv.url(&format!("/feeds/desk{f:03}.rss")),
            )
        })
        .collect();
    let text = config_text(
        "per_host_concurrency = 8",
        "full_text = true\nschedule = \"*/2 * * * * *\"",
        &feeds,
    );
    text.replacen(
        "[storage]\npath = \"news.db\"\n",
        &format!("[storage]\n{storage}\n\n{cluster}\n"),
        1,
    )
}
