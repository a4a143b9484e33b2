//! Conformance of the feed parser with the test suite of Python's feedparser.
//!
//! `cargo run --example feed_conformance -- ../shared/feedparser-tests [--all-failures]`
//!
//! Every file under `tests/` is served over 127.0.0.1 by a small server started
//! here, with the HTTP headers its leading comment asks for (`Header:` lines,
//! e.g. a `Content-type` carrying a charset), fetched through newswire's own
//! [`Fetcher`] and handed to [`parse_feed`] exactly as a poll would.
//!
//! The figure that counts is the share of the `wellformed/` and `encoding/`
//! files marked `Expect: not bozo` (feedparser parses them cleanly) that
//! newswire parses: `parse_feed` returns a feed, and when the document holds
//! items or entries that feed has at least one. The number of panics is
//! counted over all files (a panic contained by the parser still counts). The
//! other files (`illformed/`, `entities/`, the `bozo` ones) are reported as
//! "parsed" for information: feedparser salvages many of them.
//!
//! A second figure checks values, not just parsing: the `Expect:` clauses of
//! counted files that compare a field newswire has (`feed['title']`,
//! `feed['link']`, `feed['language']`, and per entry `title`, `link`, `id`
//! and the language of its title, summary or content) with a string literal.
//! Titles are compared as plain text (newswire stores titles without markup),
//! so the expected value goes through the same `plain_text`.
//!
//! Output: a pass rate per folder, the totals, then the failures (the first 40
//! unless `--all-failures`) with the reason, then the value checks and their
//! mismatches.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use newswire::fetch::{FetchOptions, Fetcher, Request};
use newswire::parse::{ParseError, parse_feed};
use url::Url;

mod expect;

use expect::value_checks;

/// One test file and what its comment says.
struct Case {
    /// Path relative to `tests/`, with `/` separators.
    rel: String,
    body: Vec<u8>,
    /// `Header:` lines as (name, value).
    headers: Vec<(String, String)>,
    /// feedparser parses it cleanly.
    not_bozo: bool,
    /// The document holds an `<item>` or `<entry>` (any case), so a feed
    /// with no entries is wrong.
    has_entries: bool,
    /// The `Expect:` expression.
    expect: String,
}

#[derive(Default)]
struct Tally {
    counted: usize,
    passed: usize,
    other: usize,
    other_parsed: usize,
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "../shared/feedparser-tests".into()),
    );
    let all_failures = args.any(|a| a == "--all-failures");
    let tests = root.join("tests");
    let mut files = Vec::new();
    walk(&tests, &mut files)?;
    files.sort();
    let cases: Vec<Case> = files
        .iter()
        .map(|path| read_case(&tests, path))
        .collect::<anyhow::Result<_>>()?;
    anyhow::ensure!(!cases.is_empty(), "no test files under {}", tests.display());

    let cases = Arc::new(cases);
    let port = serve(Arc::clone(&cases))?;
    // Parser panics are counted, not printed: the default hook would bury the report.
    std::panic::set_hook(Box::new(|_| {}));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let fetcher = Fetcher::new(FetchOptions {
        allow_private_networks: true,
        per_host_interval: Duration::ZERO,
        per_host_concurrency: 64,
        ..FetchOptions::default()
    })?;

    let mut folders: BTreeMap<String, Tally> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    let mut others_refused: Vec<String> = Vec::new();
    let mut panics: Vec<String> = Vec::new();
    let (mut checked, mut agreed) = (0usize, 0usize);
    let mut mismatches: Vec<String> = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let url = Url::parse(&format!("http://127.0.0.1:{port}/{index}/{}", case.rel))?;
        let response = runtime.block_on(fetcher.get(&url, &Request::default()))?;
        let outcome = std::panic::catch_unwind(|| {
            parse_feed(
                &response.body,
                response.content_type.as_deref(),
                &response.final_url,
            )
        });
        let verdict: Result<(), String> = match outcome {
            Err(_) => {
                panics.push(case.rel.clone());
                Err("panic escaped parse_feed".to_string())
            }
            Ok(Err(ParseError::Panicked(message))) => {
                panics.push(case.rel.clone());
                Err(format!("contained panic: {message}"))
            }
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok(feed)) if case.has_entries && feed.entries.is_empty() => {
                Err("parsed, but 0 entries".to_string())
            }
            Ok(Ok(feed)) => {
                if case.not_bozo {
                    for check in value_checks(&case.expect) {
                        checked += 1;
                        let got = check.actual(&feed);
                        let want = check.normalised_expected();
                        // newswire says "none" where feedparser says "".
                        if got.as_deref().unwrap_or_default() == want {
                            agreed += 1;
                        } else {
                            mismatches.push(format!(
                                "{}: {} expected {want:?}, got {got:?}",
                                case.rel, check.field
                            ));
                        }
                    }
                }
                Ok(())
            }
        };
        let top = case.rel.split('/').next().unwrap_or_default();
        let folder = match top {
            "wellformed" | "illformed" => case
                .rel
                .rsplit_once('/')
                .map_or(top, |(dir, _)| dir)
                .to_string(),
            _ => top.to_string(),
        };
        let tally = folders.entry(folder).or_default();
        let counted = case.not_bozo && matches!(top, "wellformed" | "encoding");
        if counted {
            tally.counted += 1;
            match &verdict {
                Ok(()) => tally.passed += 1,
                Err(reason) => failures.push(format!("{}: {reason}", case.rel)),
            }
        } else {
            tally.other += 1;
            match &verdict {
                Ok(()) => tally.other_parsed += 1,
                Err(reason) => others_refused.push(format!("{}: {reason}", case.rel)),
            }
        }
    }

    println!(
        "{:<28} {:>9} {:>7} {:>8}   {:>14}",
        "folder", "not bozo", "passed", "rate", "other parsed"
    );
    let (mut counted, mut passed) = (0, 0);
    for (folder, t) in &folders {
        counted += t.counted;
        passed += t.passed;
        let rate = if t.counted == 0 {
            "-".to_string()
        } else {
            format!("{:.1}%", 100.0 * t.passed as f64 / t.counted as f64)
        };
        println!(
            "{folder:<28} {:>9} {:>7} {rate:>8}   {:>6} of {:<5}",
            t.counted, t.passed, t.other_parsed, t.other
        );
    }
    println!(
        "\nwellformed + encoding, not bozo: {passed} of {counted} parsed ({:.2}%)",
        100.0 * passed as f64 / counted.max(1) as f64
    );
    println!("panics over all {} files: {}", cases.len(), panics.len());
    for p in &panics {
        println!("  panic: {p}");
    }
    println!("\nfailures ({}):", failures.len());
    let shown = if all_failures { failures.len() } else { 40 };
    for f in failures.iter().take(shown) {
        println!("  {f}");
    }
    if failures.len() > shown {
        println!("  … {} more (--all-failures)", failures.len() - shown);
    }
    if all_failures {
        println!(
            "\nrefused among the other files ({}):",
            others_refused.len()
        );
        for r in &others_refused {
            println!("  {r}");
        }
    }
    println!(
        "\nvalue checks (Expect clauses on fields newswire has): {agreed} of {checked} agree ({:.1}%)",
        100.0 * agreed as f64 / checked.max(1) as f64
    );
    let shown = if all_failures { mismatches.len() } else { 40 };
    for m in mismatches.iter().take(shown) {
        println!("  {m}");
    }
    if mismatches.len() > shown {
        println!("  … {} more (--all-failures)", mismatches.len() - shown);
    }
    Ok(())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

fn read_case(tests: &Path, path: &Path) -> anyhow::Result<Case> {
    let body = std::fs::read(path)?;
    let rel = path
        .strip_prefix(tests)?
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    // The comment is ASCII; in UTF-16 and UTF-32 files dropping the NUL
    // bytes makes it readable.
    let ascii: String = body
        .iter()
        .filter(|&&b| b != 0 && b < 0x80)
        .map(|&b| b as char)
        .collect();
    let comment = ascii
        .find("<!--")
        .and_then(|start| {
            let rest = &ascii[start..];
            rest.find("-->").map(|end| &rest[..end])
        })
        .unwrap_or_default();
    let mut headers = Vec::new();
    let mut not_bozo = false;
    let mut expect_text = String::new();
    for line in comment.lines() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix("Header:") {
            if let Some((name, value)) = header.split_once(':') {
                headers.push((name.trim().to_string(), value.trim().to_string()));
            }
        } else if let Some(expect) = line.strip_prefix("Expect:") {
            not_bozo = expect.trim_start().starts_with("not bozo");
            expect_text = expect.trim().to_string();
        }
    }
    let lower = ascii.to_ascii_lowercase();
    let has_entries = lower.contains("<item") || lower.contains("<entry");
    Ok(Case {
        rel,
        body,
        headers,
        not_bozo,
        has_entries,
        expect: expect_text,
    })
}

/// Serves `/{index}/{path}` with the case's body and its `Header:` headers,
/// one connection at a time, on a free port of 127.0.0.1.
fn serve(cases: Arc<Vec<Case>>) -> anyhow::Result<u16> {
    // feedparser's harness serves on port 8097, and the expected values of
    // the `*_docuri` files carry that port: use it when it is free.
    let listener =
        TcpListener::bind("127.0.0.1:8097").or_else(|_| TcpListener::bind("127.0.0.1:0"))?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            // A failed exchange only fails that one case, reported by the client.
            let _ = answer(stream, &cases);
        }
    });
    Ok(port)
}

fn answer(stream: TcpStream, cases: &[Case]) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let case = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| cases.get(i));
    let mut out = stream;
    let Some(case) = case else {
        return out.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    };
    let mut head = String::from("HTTP/1.1 200 OK\r\n");
    for (name, value) in &case.headers {
        // Validators would turn a later request into a conditional one; not
        // what is measured here.
        if !name.eq_ignore_ascii_case("content-length") && !name.eq_ignore_ascii_case("connection")
        {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        case.body.len()
    ));
    out.write_all(head.as_bytes())?;
    out.write_all(&case.body)
}
