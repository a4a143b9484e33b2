//! Article-extraction benchmark: quality against any corpus, side by side with
//! trafilatura, and speed.
//!
//! `cargo run --release --example extract_bench -- [DIR] [--passes N] [--worst N]
//!  [--no-trafilatura] [--refresh-trafilatura] [--show ID_PREFIX] [--parse-only] [--with-rules]`
//!
//! DIR (default `../shared/extraction-bench`) is any folder in that layout:
//! `pages/<id>.html.gz` and `ground-truth.json` (`{id: {"articleBody", "url"}}`),
//! such as `../shared/extraction-corpora/wcxb-dev`. Every page is decompressed up
//! front, then extracted on this one thread N times (default 3); the best pass
//! gives pages/second. Scores use the corpus metric (word 4-shingle F1, see
//! `score.rs`), computed here; when a `score.py` is found (in DIR, or in a
//! sibling `extraction-bench`) it scores the same predictions as a cross-check.
//! When `python3` can import trafilatura, `benches/trafilatura_extract.py`
//! extracts the corpus once (cached under the target dir) and its figures are
//! printed beside newswire's, with the pages where newswire misses outright
//! (F1 < 0.5 where trafilatura's is > 0.9), and how often each metadata
//! field is found by either and agrees (`meta.rs`). Per-page results go to
//! `$CARGO_TARGET_DIR/extract-bench/<corpus>.tsv`.

mod marks;
mod meta;
mod score;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use newswire::extract::{Article, extract};

use score::{Counts, Summary, has_word, summarise};

struct Options {
    dir: PathBuf,
    passes: usize,
    worst: usize,
    trafilatura: bool,
    refresh: bool,
    show: Option<String>,
    parse_only: bool,
    with_rules: bool,
}

fn options() -> Options {
    // The default is relative to a checkout beside `shared/`; a worktree one level
    // deeper finds it too.
    let dir = [
        "../shared/extraction-bench",
        "../../shared/extraction-bench",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|d| d.exists())
    .unwrap_or_else(|| PathBuf::from("../shared/extraction-bench"));
    let mut o = Options {
        dir,
        passes: 3,
        worst: 15,
        trafilatura: true,
        refresh: false,
        show: None,
        parse_only: false,
        with_rules: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--passes" => o.passes = args.next().and_then(|v| v.parse().ok()).unwrap_or(3).max(1),
            "--worst" => o.worst = args.next().and_then(|v| v.parse().ok()).unwrap_or(15),
            // Kept for old command lines: the worst pages are always listed.
            "--per-page" => {}
            "--no-trafilatura" => o.trafilatura = false,
            "--refresh-trafilatura" => o.refresh = true,
            "--show" => o.show = args.next(),
            "--parse-only" => o.parse_only = true,
            "--with-rules" => o.with_rules = true,
            _ => o.dir = PathBuf::from(a),
        }
    }
    o
}

fn main() -> ExitCode {
    let o = options();
    let dir = &o.dir;
    let missing: Vec<String> = ["pages", "ground-truth.json"]
        .iter()
        .filter(|p| !dir.join(p).exists())
        .map(|p| dir.join(p).display().to_string())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "extraction corpus not found; missing: {}\n\
             usage: extract_bench [DIR] (DIR holds pages/<id>.html.gz and ground-truth.json)",
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
            o.with_rules
                .then(|| p.url.host_str().and_then(newswire::extract::builtin_rule))
                .flatten()
        })
        .collect();
    if let Some(prefix) = &o.show {
        for (p, rule) in pages
            .iter()
            .zip(&rules)
            .filter(|(p, _)| p.id.starts_with(prefix.as_str()))
        {
            let a = extract(&p.html, &p.url, rule.as_ref());
            println!("== {} {}\n{a:#?}", p.id, p.url);
        }
        return ExitCode::SUCCESS;
    }
    if o.parse_only {
        let (wall, cpu) = timed(o.passes, || {
            for p in &pages {
                std::hint::black_box(scraper::Html::parse_document(&p.html));
            }
        });
        println!(
            "parse only: {:.0} pages/s (wall), {:.0} pages/s (cpu time)",
            pages.len() as f64 / wall.as_secs_f64(),
            pages.len() as f64 / cpu
        );
        return ExitCode::SUCCESS;
    }

    let out: Vec<Article> = pages
        .iter()
        .zip(&rules)
        .map(|(p, rule)| extract(&p.html, &p.url, rule.as_ref()))
        .collect();
    let (wall, cpu) = timed(o.passes, || {
        for (p, rule) in pages.iter().zip(&rules) {
            std::hint::black_box(extract(&p.html, &p.url, rule.as_ref()));
        }
    });

    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "corpus".into());
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let work = target.join("extract-bench");
    let _ = std::fs::create_dir_all(&work);

    let ours: Vec<&str> = out.iter().map(|a| a.text.as_str()).collect();
    let pred_path = work.join(format!("{name}.newswire.json"));
    let preds: serde_json::Map<String, serde_json::Value> = pages
        .iter()
        .zip(&out)
        .map(|(p, a)| {
            let meta = serde_json::json!({
                "title": a.title, "author": a.author, "site_name": a.site_name,
                "published": a.published.map(|d| d.to_rfc3339()), "language": a.language,
                "image": a.image, "path": a.path.as_str(),
            });
            (
                p.id.clone(),
                serde_json::json!({ "articleBody": a.text, "meta": meta }),
            )
        })
        .collect();
    if let Err(e) = std::fs::write(&pred_path, serde_json::Value::Object(preds).to_string()) {
        eprintln!("cannot write {}: {e}", pred_path.display());
        return ExitCode::from(1);
    }
    let our_counts: Vec<Counts> = pages
        .iter()
        .zip(&ours)
        .map(|(p, t)| Counts::of(&p.truth, t))
        .collect();
    let our_sum = summary(&our_counts, &ours);

    let traf_map = if o.trafilatura {
        trafilatura(
            dir,
            &work.join(format!("{name}.trafilatura.json")),
            o.refresh,
        )
    } else {
        None
    };
    let traf_texts: Option<Vec<String>> = traf_map.as_ref().map(|m| {
        pages
            .iter()
            .map(|p| {
                m.get(&p.id)
                    .and_then(|v| v.get("articleBody"))
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    });
    let traf_counts: Option<Vec<Counts>> = traf_texts.as_ref().map(|t| {
        pages
            .iter()
            .zip(t)
            .map(|(p, t)| Counts::of(&p.truth, t))
            .collect()
    });

    let bytes: usize = pages.iter().map(|p| p.html.len()).sum();
    println!(
        "corpus {name}: {} pages, {:.1} MB of HTML",
        pages.len(),
        bytes as f64 / 1e6
    );
    println!("| extractor | F1 | P | R | empty | pages/s, one core (cpu time) |");
    println!("| --- | --- | --- | --- | --- | --- |");
    print_row("newswire", &our_sum, Some(pages.len() as f64 / cpu));
    if let (Some(tc), Some(tt)) = (&traf_counts, &traf_texts) {
        let refs: Vec<&str> = tt.iter().map(String::as_str).collect();
        print_row("trafilatura", &summary(tc, &refs), None);
    }
    println!(
        "passes={} best pass: {:.1} ms wall, {:.0} pages/s wall",
        o.passes,
        wall.as_secs_f64() * 1e3,
        pages.len() as f64 / wall.as_secs_f64()
    );
    cross_check(dir, &pred_path, &our_sum);

    // Per-page table and the worst pages.
    let mut rows: Vec<usize> = (0..pages.len()).collect();
    rows.sort_by(|&a, &b| our_counts[a].f1().total_cmp(&our_counts[b].f1()));
    let traf_f1 = |i: usize| traf_counts.as_ref().map(|t| t[i].f1());
    let words = |s: &str| s.split_whitespace().count();
    let mut tsv = String::from("id\tf1\tp\tr\ttrafilatura_f1\ttruth_words\twords\tpath\turl\n");
    for &i in &rows {
        let c = our_counts[i];
        tsv.push_str(&format!(
            "{}\t{:.3}\t{:.3}\t{:.3}\t{}\t{}\t{}\t{}\t{}\n",
            pages[i].id,
            c.f1(),
            c.precision(),
            c.recall(),
            traf_f1(i).map_or("-".into(), |f| format!("{f:.3}")),
            words(&pages[i].truth),
            words(ours[i]),
            out[i].path.as_str(),
            pages[i].url
        ));
    }
    let tsv_path = work.join(format!("{name}.tsv"));
    let _ = std::fs::write(&tsv_path, tsv);
    println!("\nworst pages (newswire F1, trafilatura F1, words: truth / newswire, how, url):");
    for &i in rows.iter().take(o.worst) {
        print_page(&pages[i], our_counts[i].f1(), traf_f1(i), ours[i], &out[i]);
    }
    if traf_counts.is_some() {
        let misses: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| our_counts[i].f1() < 0.5 && traf_f1(i).is_some_and(|f| f > 0.9))
            .collect();
        println!(
            "\noutright misses (newswire F1 < 0.5, trafilatura > 0.9): {}",
            misses.len()
        );
        for &i in &misses {
            print_page(&pages[i], our_counts[i].f1(), traf_f1(i), ours[i], &out[i]);
        }
    }
    if let Some(m) = &traf_map {
        let theirs: Vec<Option<&serde_json::Value>> = pages
            .iter()
            .map(|p| m.get(&p.id).and_then(|v| v.get("meta")))
            .collect();
        meta::compare(&out, &theirs);
    }
    println!("per-page results: {}", tsv_path.display());
    ExitCode::SUCCESS
}

fn summary(counts: &[Counts], texts: &[&str]) -> Summary {
    let rows: Vec<(Counts, bool)> = counts
        .iter()
        .zip(texts)
        .map(|(c, t)| (*c, has_word(t)))
        .collect();
    summarise(&rows)
}

fn print_row(name: &str, s: &Summary, rate: Option<f64>) {
    println!(
        "| {name} | {:.4} | {:.4} | {:.4} | {} | {} |",
        s.f1,
        s.precision,
        s.recall,
        s.empty,
        rate.map_or("–".into(), |r| format!("{r:.0}"))
    );
}

fn print_page(p: &Page, f1: f64, traf: Option<f64>, text: &str, a: &Article) {
    println!(
        "  {:<18} {:.3}  {}  {:>5} / {:<5} {:<11} {}",
        p.id.chars().take(18).collect::<String>(),
        f1,
        traf.map_or("  -  ".into(), |f| format!("{f:.3}")),
        p.truth.split_whitespace().count(),
        text.split_whitespace().count(),
        a.path.as_str(),
        p.url
    );
}

/// Score the same predictions with `score.py` when one is at hand, and say
/// whether it agrees with the figure computed here.
fn cross_check(dir: &Path, pred: &Path, ours: &Summary) {
    let Some(script) = [
        dir.join("score.py"),
        dir.join("../extraction-bench/score.py"),
        dir.join("../../extraction-bench/score.py"),
    ]
    .into_iter()
    .find(|p| p.exists()) else {
        return;
    };
    let out = Command::new("python3")
        .arg(&script)
        .arg(pred)
        .arg("--truth")
        .arg(dir.join("ground-truth.json"))
        .output();
    let Ok(out) = out else { return };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(line) = text.lines().last() else {
        return;
    };
    let here = format!(
        "F1={:.4} P={:.4} R={:.4}",
        ours.f1, ours.precision, ours.recall
    );
    let agrees = line.starts_with(&here);
    println!(
        "score.py: {line} ({})",
        if agrees {
            "agrees"
        } else {
            "DIFFERS from the figure above"
        }
    );
}

/// Trafilatura's predictions for the corpus: read from `cache` unless it is
/// missing, older than the ground truth, or `refresh`; None when no Python
/// with trafilatura is available.
fn trafilatura(
    dir: &Path,
    cache: &Path,
    refresh: bool,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let fresh = !refresh
        && modified(cache)
            .zip(modified(&dir.join("ground-truth.json")))
            .is_some_and(|(c, t)| c >= t);
    if !fresh {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/trafilatura_extract.py");
        eprintln!(
            "running trafilatura over {} (cached for next time)…",
            dir.display()
        );
        let ok = Command::new("python3")
            .arg(script)
            .arg(dir)
            .arg(cache)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("trafilatura unavailable (pip install trafilatura); newswire figures only");
            return None;
        }
    }
    let text = std::fs::read_to_string(cache).ok()?;
    match serde_json::from_str(&text).ok()? {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Best wall time and best CPU seconds of `passes` runs of `f`.
fn timed(passes: usize, mut f: impl FnMut()) -> (Duration, f64) {
    let mut best = Duration::MAX;
    let mut best_cpu = f64::MAX;
    for _ in 0..passes {
        let cpu0 = cpu_seconds();
        let start = Instant::now();
        f();
        best = best.min(start.elapsed());
        if let (Some(a), Some(b)) = (cpu0, cpu_seconds()) {
            best_cpu = best_cpu.min(b - a);
        }
    }
    (best, best_cpu)
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
    truth: String,
}

fn load_pages(dir: &Path, truth: &serde_json::Value) -> Result<Vec<Page>, String> {
    let obj = truth.as_object().ok_or("ground truth is not an object")?;
    let mut pages = Vec::new();
    for (id, gold) in obj {
        let path = dir.join(format!("{id}.html.gz"));
        let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut raw)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let html = newswire::extract::decode_html(&raw, None);
        let url = gold
            .get("url")
            .and_then(|u| u.as_str())
            .and_then(|u| url::Url::parse(u).ok())
            .unwrap_or_else(|| url::Url::parse("https://example.com/").expect("static URL parses"));
        let truth = gold
            .get("articleBody")
            .and_then(|t| t.as_str())
            .unwrap_or("")
            .to_string();
        pages.push(Page {
            id: id.clone(),
            url,
            html,
            truth,
        });
    }
    Ok(pages)
}
