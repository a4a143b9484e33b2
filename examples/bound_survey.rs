//! What the HTML bounds (`bound_markup` for feed content, `bound_nesting`
//! for pages) change on real documents, what they cost, and what they save
//! on hostile ones.
//!
//! `cargo run --release --example bound_survey -- [SHARED_DIR]`
//!
//! SHARED_DIR (default `../shared`, or `../../shared` from a worktree) holds
//! `feedparser-tests/` (feeds: every entry's content and summary is bounded)
//! and `extraction-bench/pages/`, `extraction-corpora/*/pages/` (gzipped
//! pages: bounded whole). Prints, per corpus, how many documents the bound
//! changed (it should be none), its time, and then the sanitiser's time on
//! unclosed `<div>` of growing depth.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use newswire::extract::{bound_markup, bound_nesting, sanitize_html};
use url::Url;

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.to_string_lossy().ends_with(ext) {
            out.push(p);
        }
    }
}

/// Counts documents, changed ones, bytes, and the time the bound took.
#[derive(Default)]
struct Tally {
    docs: usize,
    changed: usize,
    bytes: usize,
    took: Duration,
}

impl Tally {
    fn add(&mut self, html: &str, bound: fn(&str) -> std::borrow::Cow<'_, str>) {
        let t = Instant::now();
        let out = bound(html);
        self.took += t.elapsed();
        self.docs += 1;
        self.bytes += html.len();
        if out != html {
            self.changed += 1;
        }
    }

    fn print(&self, name: &str) {
        println!(
            "{name}: {} documents, {:.1} MB, changed {}, bound took {:.1} ms ({:.0} MB/s)",
            self.docs,
            self.bytes as f64 / 1e6,
            self.changed,
            self.took.as_secs_f64() * 1e3,
            self.bytes as f64 / 1e6 / self.took.as_secs_f64().max(1e-9)
        );
    }
}

fn main() {
    let shared = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .or_else(|| {
            ["../shared", "../../shared"]
                .iter()
                .map(PathBuf::from)
                .find(|d| d.exists())
        })
        .unwrap_or_else(|| PathBuf::from("../shared"));
    let base = Url::parse("https://feeds.example/rss").expect("static URL");

    let mut feeds = Vec::new();
    files(&shared.join("feedparser-tests"), ".xml", &mut feeds);
    let mut entries = Tally::default();
    for f in &feeds {
        let Ok(bytes) = std::fs::read(f) else {
            continue;
        };
        let Ok(parsed) = newswire::parse::parse_feed(&bytes, None, &base) else {
            continue;
        };
        for e in &parsed.entries {
            for html in [e.content.as_deref(), e.summary.as_deref()]
                .into_iter()
                .flatten()
            {
                entries.add(html, bound_markup);
            }
        }
    }
    entries.print(&format!(
        "feedparser-tests ({} feeds), entry HTML",
        feeds.len()
    ));

    for corpus in ["extraction-bench", "extraction-corpora"] {
        let mut pages = Vec::new();
        files(&shared.join(corpus), ".html.gz", &mut pages);
        let mut tally = Tally::default();
        for p in &pages {
            let Ok(file) = std::fs::File::open(p) else {
                continue;
            };
            let mut html = Vec::new();
            if flate2::read::GzDecoder::new(file)
                .read_to_end(&mut html)
                .is_err()
            {
                continue;
            }
            let html = newswire::extract::decode_html(&html, None);
            tally.add(&html, bound_nesting);
        }
        tally.print(&format!("{corpus}, whole pages"));
    }

    println!(
        "\nsanitize_html on unclosed <div> (bounded at {} levels):",
        newswire::extract::MAX_DEPTH
    );
    for depth in [1_000, 10_000, 60_000, 100_000] {
        let html = format!("{}text", "<div>".repeat(depth));
        let t = Instant::now();
        let out = sanitize_html(&html, &base);
        println!(
            "  {depth:>7} levels ({:>3} KB): {:>7.1} ms, {} bytes out",
            html.len() / 1024,
            t.elapsed().as_secs_f64() * 1e3,
            out.len()
        );
    }
}
