//! Article-extraction benchmark: quality (F1 against ground truth) and speed.
//!
//! `cargo run --release --example extract_bench -- [DIR] [--passes N] [--per-page]`
//!
//! DIR (default `../shared/extraction-bench`) holds `pages/<id>.html.gz`,
//! `ground-truth.json` and `score.py`. Every page is decompressed up front,
//! then extracted on this one thread N times (default 5); the best pass gives
//! pages/second. Predictions go to `target/extract-bench-predictions.json` and
//! `python3 DIR/score.py` scores them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use newswire::extract::extract;

fn main() -> ExitCode {
    // The default is relative to a checkout beside `shared/`; a worktree one level
    // deeper finds it too.
    let mut dir = [
        "../shared/extraction-bench",
        "../../shared/extraction-bench",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|d| d.exists())
    .unwrap_or_else(|| PathBuf::from("../shared/extraction-bench"));
    let mut passes = 5usize;
    let mut per_page = false;
    let mut show: Option<String> = None;
    let mut parse_only = false;
    let mut with_rules = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--passes" => passes = args.next().and_then(|v| v.parse().ok()).unwrap_or(5).max(1),
            "--per-page" => per_page = true,
            "--show" => show = args.next(),
            "--parse-only" => parse_only = true,
            "--with-rules" => with_rules = true,
            _ => dir = PathBuf::from(a),
        }
    }
    let missing: Vec<String> = ["pages", "ground-truth.json", "score.py"]
        .iter()
        .filter(|p| !dir.join(p).exists())
        .map(|p| dir.join(p).display().to_string())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "extraction benchmark data not found; missing: {}\n\
             usage: extract_bench [DIR] (DIR holds pages/<id>.html.gz, ground-truth.json, score.py)",
            missing.join(", ")
        );
        return ExitCode::from(2);
    }
    let truth: serde_json::Value = match std::fs::read_to_string(dir.join("ground-truth.json"))
        .map_err(|e| e.to_string())
        .and_then(|s| serde_json::from_str(&s).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("cannot read ground-truth.json: {e}");
            return ExitCode::from(2);
        }
    };
    let pages = match load_pages(&dir.join("pages"), &truth) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot load pages: {e}");
            return ExitCode::from(2);
        }
    };
    let rules: Vec<Option<newswire::extract::SiteRule>> = pages
        .iter()
        .map(|p| {
            with_rules
                .then(|| p.url.host_str().and_then(newswire::extract::builtin_rule))
                .flatten()
        })
        .collect();
    if let Some(prefix) = show {
        for (p, rule) in pages
            .iter()
            .zip(&rules)
            .filter(|(p, _)| p.id.starts_with(&prefix))
        {
            let a = extract(&p.html, &p.url, rule.as_ref());
            println!("== {} {}\n{a:#?}", p.id, p.url);
        }
        return ExitCode::SUCCESS;
    }
    if parse_only {
        let mut best = Duration::MAX;
        let mut best_cpu = f64::MAX;
        for _ in 0..passes {
            let cpu0 = cpu_seconds();
            let start = Instant::now();
            for p in &pages {
                std::hint::black_box(scraper::Html::parse_document(&p.html));
            }
            best = best.min(start.elapsed());
            if let (Some(a), Some(b)) = (cpu0, cpu_seconds()) {
                best_cpu = best_cpu.min(b - a);
            }
        }
        println!(
            "parse only: {:.0} pages/s (wall), {:.0} pages/s (cpu time)",
            pages.len() as f64 / best.as_secs_f64(),
            pages.len() as f64 / best_cpu
        );
        return ExitCode::SUCCESS;
    }
    let bytes: usize = pages.iter().map(|p| p.html.len()).sum();
    let mut best = Duration::MAX;
    let mut best_cpu = f64::MAX;
    let mut preds = serde_json::Map::new();
    for pass in 0..passes {
        let cpu0 = cpu_seconds();
        let start = Instant::now();
        let mut out = Vec::with_capacity(pages.len());
        for (p, rule) in pages.iter().zip(&rules) {
            out.push(extract(&p.html, &p.url, rule.as_ref()));
        }
        let took = start.elapsed();
        best = best.min(took);
        if let (Some(a), Some(b)) = (cpu0, cpu_seconds()) {
            best_cpu = best_cpu.min(b - a);
        }
        if pass == 0 {
            for (p, a) in pages.iter().zip(&out) {
                preds.insert(p.id.clone(), serde_json::json!({ "articleBody": a.text }));
            }
        }
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let _ = std::fs::create_dir_all(&target);
    let pred_path = target.join("extract-bench-predictions.json");
    if let Err(e) = std::fs::write(&pred_path, serde_json::Value::Object(preds).to_string()) {
        eprintln!("cannot write {}: {e}", pred_path.display());
        return ExitCode::from(1);
    }
    let mut cmd = Command::new("python3");
    cmd.arg(dir.join("score.py")).arg(&pred_path);
    if per_page {
        cmd.arg("--per-page");
    }
    let status = cmd.status();
    let rate = pages.len() as f64 / best.as_secs_f64();
    println!(
        "pages={} bytes={:.1}MB passes={} best_pass={:.1}ms pages/s(one core, wall)={:.0} pages/s(cpu time)={:.0}  predictions: {}",
        pages.len(),
        bytes as f64 / 1e6,
        passes,
        best.as_secs_f64() * 1e3,
        rate,
        pages.len() as f64 / best_cpu,
        pred_path.display()
    );
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        _ => {
            eprintln!("score.py failed (is python3 installed?)");
            ExitCode::from(1)
        }
    }
}

/// This process's user+system CPU time (Linux `/proc/self/stat`, 10 ms ticks),
/// which a busy machine disturbs less than wall time.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

struct Page {
    id: String,
    url: url::Url,
    html: String,
}

fn load_pages(dir: &Path, truth: &serde_json::Value) -> Result<Vec<Page>, String> {
    let obj = truth.as_object().ok_or("ground truth is not an object")?;
    let mut pages = Vec::new();
    for (id, gold) in obj {
        let path = dir.join(format!("{id}.html.gz"));
        let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut raw = Vec::new();
        flate2_free_gunzip(file, &mut raw).map_err(|e| format!("{}: {e}", path.display()))?;
        let html = newswire::extract::decode_html(&raw, None);
        let url = gold
            .get("url")
            .and_then(|u| u.as_str())
            .and_then(|u| url::Url::parse(u).ok())
            .unwrap_or_else(|| url::Url::parse("https://example.com/").expect("static URL parses"));
        pages.push(Page {
            id: id.clone(),
            url,
            html,
        });
    }
    Ok(pages)
}

/// Decompress with the system `gzip` (keeps the crate free of a gzip dependency).
fn flate2_free_gunzip(file: std::fs::File, out: &mut Vec<u8>) -> std::io::Result<()> {
    let mut child = Command::new("gzip")
        .arg("-dc")
        .stdin(file)
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    if let Some(mut so) = child.stdout.take() {
        so.read_to_end(out)?;
    }
    child.wait()?;
    Ok(())
}
