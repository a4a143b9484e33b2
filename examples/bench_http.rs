//! The HTTP limit of the pipeline benchmark: how fast one client can GET a
//! list of URLs (the feed farm's article pages) at a given concurrency.
//!
//! `bench_http URLS_FILE [--concurrency 16]` runs twice over the same URLs:
//! once with a bare `reqwest::Client` (gzip on, like newswire's), once through
//! newswire's own [`Fetcher`] (address guard, body cap, deadline; per-host
//! politeness set wide open so that only the layer's overhead shows). Each
//! prints one line: requests, seconds, requests/s, MB/s after decompression,
//! and CPU seconds of this process. Part of `benches/run.sh`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use newswire::fetch::{FetchOptions, Fetcher, PAGE_ACCEPT, Request};
use tokio::sync::Semaphore;

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |n: usize| {
        fields
            .get(n)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 100.0
    };
    tick(11) + tick(12)
}

async fn run<F, Fut>(label: &str, urls: &[String], concurrency: usize, get: F)
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<usize, String>> + Send + 'static,
{
    let limit = Arc::new(Semaphore::new(concurrency));
    let cpu = cpu_seconds();
    let clock = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for url in urls {
        let Ok(permit) = Arc::clone(&limit).acquire_owned().await else {
            break;
        };
        let fut = get(url.clone());
        tasks.spawn(async move {
            let r = fut.await;
            drop(permit);
            r
        });
    }
    let (mut bytes, mut errors) = (0usize, 0usize);
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(n)) => bytes += n,
            Ok(Err(e)) => {
                if errors == 0 {
                    eprintln!("{label}: {e}");
                }
                errors += 1;
            }
            Err(_) => errors += 1,
        }
    }
    let secs = clock.elapsed().as_secs_f64();
    println!(
        "http {label}: {} requests, {errors} errors, {secs:.2} s, {:.0} req/s, {:.1} MB/s, cpu {:.2} s",
        urls.len(),
        urls.len() as f64 / secs,
        bytes as f64 / 1e6 / secs,
        cpu_seconds() - cpu
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(file) = args.next() else {
        anyhow::bail!("usage: bench_http URLS_FILE [--concurrency N]");
    };
    let concurrency = match (args.next().as_deref(), args.next()) {
        (Some("--concurrency"), Some(n)) => n.parse()?,
        _ => 16,
    };
    let urls: Vec<String> = std::fs::read_to_string(&file)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();

    // newswire's reqwest has no default TLS provider; install the same one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()?;
    run("reqwest", &urls, concurrency, |url| {
        let client = client.clone();
        async move {
            let resp = client
                .get(&url)
                .header("Accept", PAGE_ACCEPT)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            Ok(resp.bytes().await.map_err(|e| e.to_string())?.len())
        }
    })
    .await;

    let fetcher = Fetcher::new(FetchOptions {
        timeout: Duration::from_secs(60),
        per_host_concurrency: concurrency,
        per_host_interval: Duration::ZERO,
        allow_private_networks: true,
        ..FetchOptions::default()
    })?;
    run("newswire-fetch", &urls, concurrency, |url| {
        let fetcher = fetcher.clone();
        async move {
            let url = url::Url::parse(&url).map_err(|e| e.to_string())?;
            let req = Request {
                accept: Some(PAGE_ACCEPT.to_owned()),
                ..Request::default()
            };
            let resp = fetcher.get(&url, &req).await.map_err(|e| e.to_string())?;
            Ok(resp.body.len())
        }
    })
    .await;
    Ok(())
}
