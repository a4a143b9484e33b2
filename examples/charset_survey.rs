//! Survey of the charset decoder and the double-encoding repair on saved pages.
//!
//! `cargo run --example charset_survey -- DIR...` reads every `*.html.gz` (or
//! `*.html`) under each DIR (for instance `../shared/extraction-bench/pages`
//! and `../shared/extraction-corpora/wcxb-dev/pages`), decodes it as a page
//! with no HTTP header, and prints: how many pages each kind of evidence
//! decided (BOM, declaration, valid UTF-8 over a legacy label, guess), the
//! encodings chosen, how many pages hold U+FFFD after decoding (bytes invalid
//! in the chosen encoding), and how many pages the double-encoded UTF-8
//! repair would change, with a sample of each change (the false-positive
//! check: on correctly encoded pages it should change nothing).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use newswire::charset::{CharsetSource, DocumentKind, decode, meta_charset_label};
use newswire::parse::repair_double_utf8;

fn main() -> anyhow::Result<()> {
    let dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    anyhow::ensure!(!dirs.is_empty(), "usage: charset_survey DIR...");
    let mut files = Vec::new();
    for dir in &dirs {
        collect(dir, &mut files)?;
    }
    files.sort();
    let mut sources: BTreeMap<String, usize> = BTreeMap::new();
    let mut encodings: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut with_replacement, mut repaired) = (0usize, 0usize);
    for path in &files {
        let bytes = read(path)?;
        let decoded = decode(&bytes, None, DocumentKind::Html);
        *sources.entry(format!("{:?}", decoded.source)).or_default() += 1;
        *encodings.entry(decoded.charset.name()).or_default() += 1;
        if decoded.source == CharsetSource::Utf8OverLabel {
            println!(
                "valid UTF-8 over the label {:?}: {}",
                meta_charset_label(&bytes).unwrap_or_default(),
                path.display()
            );
        }
        if decoded.text.contains('\u{FFFD}') {
            with_replacement += 1;
        }
        let fixed = repair_double_utf8(&decoded.text);
        if fixed != decoded.text {
            repaired += 1;
            let at = decoded
                .text
                .chars()
                .zip(fixed.chars())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            let before: String = decoded
                .text
                .chars()
                .skip(at.saturating_sub(20))
                .take(50)
                .collect();
            let after: String = fixed.chars().skip(at.saturating_sub(20)).take(50).collect();
            println!(
                "repair changes {}: {before:?} -> {after:?}",
                path.file_name().unwrap_or_default().to_string_lossy()
            );
        }
    }
    println!("\npages: {}", files.len());
    println!("evidence: {sources:?}");
    println!("encodings: {encodings:?}");
    println!("pages holding U+FFFD after decoding: {with_replacement}");
    println!("pages the double-encoding repair changes: {repaired}");
    Ok(())
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else {
            let name = path.to_string_lossy();
            if name.ends_with(".html.gz") || name.ends_with(".html") {
                out.push(path);
            }
        }
    }
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    let raw = std::fs::read(path)?;
    if !path.to_string_lossy().ends_with(".gz") {
        return Ok(raw);
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(raw.as_slice()).read_to_end(&mut out)?;
    Ok(out)
}
