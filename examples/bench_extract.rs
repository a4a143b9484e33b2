//! The extraction limit of the pipeline benchmark: newswire's extractor alone
//! over the very pages a poll fetched.
//!
//! `bench_extract URLS_FILE [--rounds N] [--threads T]` first GETs every URL
//! from the feed farm (not timed; identical bodies, told apart by `ETag`, are
//! kept once), then runs `decode_html` + `extract` for every URL, with that
//! URL as the page address, on `T` threads (default 1; the pages dealt out
//! in turn), `N` times (default 1), and prints the best round: pages,
//! seconds, pages/s, MB/s of HTML, text characters out.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use newswire::extract::{decode_html, extract};

const CONTENT_TYPE: &str = "text/html; charset=utf-8";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench_extract URLS_FILE [--rounds N] [--threads T]";
    let Some(file) = args.next() else {
        anyhow::bail!(usage);
    };
    let (mut rounds, mut threads) = (1usize, 1usize);
    while let Some(flag) = args.next() {
        let value: usize = args.next().unwrap_or_default().parse()?;
        match flag.as_str() {
            "--rounds" => rounds = value.max(1),
            "--threads" => threads = value.max(1),
            _ => anyhow::bail!(usage),
        }
    }
    let urls: Vec<url::Url> = std::fs::read_to_string(&file)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(url::Url::parse)
        .collect::<Result<_, _>>()?;
    let pages = download(&urls)?;

    let mut best = f64::MAX;
    let mut chars = 0usize;
    let bytes: usize = pages.iter().map(|p| p.len()).sum();
    let work: Vec<_> = urls.iter().zip(&pages).collect();
    for _ in 0..rounds {
        let clock = Instant::now();
        chars = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let work = &work;
                    s.spawn(move || {
                        let mut chars = 0;
                        for (url, body) in work.iter().skip(t).step_by(threads) {
                            let html = decode_html(body, Some(CONTENT_TYPE));
                            chars += extract(&html, url, None).text.len();
                        }
                        chars
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
        });
        best = best.min(clock.elapsed().as_secs_f64());
    }
    println!(
        "extract: {} pages, {best:.2} s, {:.0} pages/s, {:.1} MB/s of HTML, {} MB of text out ({threads} threads, best of {rounds})",
        urls.len(),
        urls.len() as f64 / best,
        bytes as f64 / 1e6 / best,
        chars / 1_000_000,
    );
    Ok(())
}

/// Every URL's body, in order; equal bodies (same `ETag`) share one buffer.
fn download(urls: &[url::Url]) -> anyhow::Result<Vec<Arc<Vec<u8>>>> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        // newswire's reqwest has no default TLS provider; install the same one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder().no_proxy().build()?;
        let mut by_etag: HashMap<String, Arc<Vec<u8>>> = HashMap::new();
        let mut out = Vec::with_capacity(urls.len());
        for url in urls {
            let resp = client.get(url.clone()).send().await?.error_for_status()?;
            let etag = resp
                .headers()
                .get("etag")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let body = Arc::new(resp.bytes().await?.to_vec());
            let body = match etag {
                Some(tag) => Arc::clone(by_etag.entry(tag).or_insert(body)),
                None => body,
            };
            out.push(body);
        }
        Ok(out)
    })
}
