//! Latency figures on a larger store (ignored by default; prints, asserts nothing
//! about time): `cargo test --test server bench -- --ignored --nocapture`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use newswire::metrics::Metrics;
use newswire::store::Store;

use crate::fixture::{ItemSpec, at, client, entry, poll, start};

#[tokio::test]
#[ignore = "benchmark: prints figures"]
async fn bench_requests_on_five_thousand_items() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("news.db");
    let mut store = Store::open(&path).expect("open");
    store
        .sync_feeds(&crate::fixture::feeds_config(), at(1, 0))
        .expect("sync");
    let rt = store.feed_state("rt").expect("q").expect("rt").id;
    let words = [
        "grain",
        "ships",
        "talks",
        "sanctions",
        "summit",
        "harvest",
        "port",
        "envoy",
    ];
    for batch in 0..50u32 {
        let specs: Vec<(String, String, String)> = (0..100u32)
            .map(|i| {
                let n = batch * 100 + i;
                let w = words[(n as usize) % words.len()];
                (
                    format!("id:{n}"),
                    format!("https://rt.example/news/{n}"),
                    format!(
                        "Report {n} on {w}: delegations met in city {} and discussed {w} for the {} time.",
                        n % 97,
                        n % 13
                    ),
                )
            })
            .collect();
        let entries = specs
            .iter()
            .map(|(key, url, text)| {
                let mut e = entry(&ItemSpec {
                    key,
                    url,
                    title: text,
                    text,
                    html: Some("<p>Body</p>"),
                    published: at(1 + batch % 28, 0),
                    language: "en",
                });
                e.item.content_html = Some(format!("<p>{}</p>", text.repeat(20)));
                e.item.content_text = Some(text.repeat(20));
                e
            })
            .collect();
        store
            .record_poll(&poll(rt, at(1 + batch % 28, 1), entries, vec![]))
            .expect("write");
    }
    drop(store);
    let base = start(&path, Arc::new(Metrics::new())).await;
    let http = client();
    for path in [
        "/items?limit=50",
        "/items?limit=500",
        "/items?tag=world&limit=50&offset=2000",
        "/items/2500",
        "/search?q=grain+ships&limit=50",
        "/stories?limit=50",
        "/stories?min_items=2&limit=50",
        "/feeds",
        "/feed.atom?limit=50",
        "/feed.json?limit=500",
        "/metrics",
        "/healthz",
    ] {
        let url = format!("{base}{path}");
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..20 {
            let t = Instant::now();
            let resp = http.get(&url).send().await.expect("request");
            assert!(resp.status().is_success(), "{path}");
            bytes = resp.bytes().await.expect("body").len();
            times.push(t.elapsed());
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{path:45} median {:7.2} ms  p95 {:7.2} ms  {bytes} bytes",
            ms(times[10]),
            ms(times[18])
        );
    }
}
