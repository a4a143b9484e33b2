//! Printing results as tables, JSON or NDJSON.

use std::io::Write;

use serde::Serialize;
use serde_json::json;
use url::Url;

use super::{Format, TextFormat};
use crate::config::Config;
use crate::extract::Article;
use crate::model::EntryKey;
use crate::model::{FeedState, ItemRow, ts};
use crate::model::{SearchHit, StoryRow};
use crate::parse::ParsedFeed;
use crate::pipeline::PollReport;

/// Cuts `s` to `width` characters, marking the cut with `…`.
fn fit(s: &str, width: usize) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= width {
        return one_line;
    }
    let mut out: String = one_line.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One CSV field (RFC 4180): quoted when it holds a comma, quote or line break.
fn csv_field(v: &serde_json::Value) -> String {
    let text = match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn emit<T: Serialize>(
    rows: &[T],
    format: Format,
    table: impl Fn(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    // Buffered: stdout alone writes line by line, a system call per row.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match format {
        Format::Table => table(&mut out)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, rows)?;
            writeln!(out)?;
        }
        Format::Ndjson => {
            for row in rows {
                serde_json::to_writer(&mut out, row)?;
                writeln!(out)?;
            }
        }
        Format::Csv => {
            // A row at a time; the columns are the first row's keys.
            let mut columns: Option<Vec<String>> = None;
            for row in rows {
                let v = serde_json::to_value(row)?;
                let columns = match &mut columns {
                    Some(columns) => columns,
                    None => {
                        let names: Vec<String> = v
                            .as_object()
                            .map(|o| o.keys().cloned().collect())
                            .unwrap_or_default();
                        writeln!(out, "{}", names.join(","))?;
                        columns.insert(names)
                    }
                };
                let line: Vec<String> = columns.iter().map(|c| csv_field(&v[c.as_str()])).collect();
                writeln!(out, "{}", line.join(","))?;
            }
            if columns.is_none() {
                writeln!(out)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// `newswire search`.
pub fn print_hits(hits: &[SearchHit], format: Format) -> anyhow::Result<()> {
    emit(hits, format, |out| {
        for h in hits {
            writeln!(
                out,
                "{:>6} {:<20} {:<14} {}",
                h.id,
                h.published_at,
                fit(&h.feeds.join(","), 14),
                fit(h.title.as_deref().unwrap_or("(untitled)"), 80)
            )?;
            if let Some(snippet) = &h.snippet {
                writeln!(out, "       {}", fit(snippet, 110))?;
            }
            writeln!(out, "       {}", h.url)?;
        }
        Ok(())
    })
}

/// `newswire poll` summary.
pub fn print_polls(reports: &[PollReport], format: Format) -> anyhow::Result<()> {
    /// One row of the JSON, NDJSON and CSV output, borrowed from its report
    /// (a JSON value per report held 1.4 KB each: 144 MB after a poll of
    /// 100,000 feeds).
    #[derive(Serialize)]
    struct Row<'a> {
        feed: &'a str,
        url: &'a str,
        status: &'a str,
        http_status: Option<u16>,
        entries: usize,
        new_items: usize,
        linked: usize,
        elapsed_ms: u64,
        next_due_at: String,
        error: Option<&'a str>,
    }
    let rows: Vec<Row<'_>> = match format {
        // The table reads the reports themselves.
        Format::Table => Vec::new(),
        _ => reports
            .iter()
            .map(|r| Row {
                feed: &r.feed,
                url: &r.url,
                status: r.status,
                http_status: r.http_status,
                entries: r.entries,
                new_items: r.new_items,
                linked: r.linked,
                elapsed_ms: u64::try_from(r.elapsed.as_millis()).unwrap_or(u64::MAX),
                next_due_at: ts(r.next_due_at),
                error: r.error.as_deref(),
            })
            .collect(),
    };
    emit(&rows, format, |out| {
        writeln!(
            out,
            "{:<16} {:<12} {:>7} {:>5} {:>6} {:>8}  ERROR",
            "FEED", "STATUS", "ENTRIES", "NEW", "LINKED", "MS"
        )?;
        for r in reports {
            writeln!(
                out,
                "{:<16} {:<12} {:>7} {:>5} {:>6} {:>8}  {}",
                fit(&r.feed, 16),
                r.status,
                r.entries,
                r.new_items,
                r.linked,
                r.elapsed.as_millis(),
                r.error.as_deref().map(|e| fit(e, 80)).unwrap_or_default()
            )?;
        }
        let new: usize = reports.iter().map(|r| r.new_items).sum();
        let failed = reports.iter().filter(|r| r.status == "error").count();
        writeln!(
            out,
            "{} feeds polled, {new} new items, {failed} failed",
            reports.len()
        )
    })
}

/// `newswire items`.
pub fn print_items(rows: &[ItemRow], format: Format) -> anyhow::Result<()> {
    emit(rows, format, |out| {
        writeln!(
            out,
            "{:>6} {:<20} {:<14} {:<60} URL",
            "ID", "PUBLISHED", "FEEDS", "TITLE"
        )?;
        for r in rows {
            writeln!(
                out,
                "{:>6} {:<20} {:<14} {:<60} {}",
                r.id,
                r.published_at.as_deref().unwrap_or(&r.first_seen_at),
                fit(&r.feeds.join(","), 14),
                fit(r.title.as_deref().unwrap_or("(untitled)"), 60),
                r.url
            )?;
        }
        Ok(())
    })
}

/// `newswire articles`.
pub fn print_articles(rows: &[crate::store::ArticleRow], format: Format) -> anyhow::Result<()> {
    emit(rows, format, |out| {
        writeln!(
            out,
            "{:>6} {:<8} {:>4} {:<20} {:<40} LAST ERROR",
            "ITEM", "STATE", "TRY", "NEXT ATTEMPT", "TITLE"
        )?;
        for r in rows {
            writeln!(
                out,
                "{:>6} {:<8} {:>4} {:<20} {:<40} {}",
                r.item_id,
                r.state,
                r.attempts,
                r.next_attempt_at.as_deref().unwrap_or("-"),
                fit(r.title.as_deref().unwrap_or("(untitled)"), 40),
                r.last_error.as_deref().unwrap_or("-")
            )?;
        }
        Ok(())
    })
}

/// `newswire stories`.
pub fn print_stories(rows: &[StoryRow], format: Format) -> anyhow::Result<()> {
    emit(rows, format, |out| {
        writeln!(
            out,
            "{:>6} {:<20} {:>5} {:<24} TITLE",
            "STORY", "FIRST SEEN", "ITEMS", "OUTLETS"
        )?;
        for r in rows {
            writeln!(
                out,
                "{:>6} {:<20} {:>5} {:<24} {}",
                r.id,
                r.first_seen_at.as_deref().unwrap_or("-"),
                r.item_count,
                fit(&r.outlets.join(","), 24),
                fit(r.title.as_deref().unwrap_or("(untitled)"), 70)
            )?;
        }
        Ok(())
    })
}

/// `newswire feeds list`.
pub fn print_feeds(config: &Config, states: &[FeedState], format: Format) -> anyhow::Result<()> {
    // By name: a scan of `states` per feed is quadratic on a large config.
    let by_name: std::collections::HashMap<&str, &FeedState> =
        states.iter().map(|s| (s.name.as_str(), s)).collect();
    if matches!(format, Format::Table) {
        // Straight to the table: a JSON value per feed first was a fifth of
        // `feeds list` on a 100,000-feed config.
        return emit::<serde_json::Value>(&[], format, |out| {
            writeln!(
                out,
                "{:<16} {:<8} {:<14} {:<12} {:<20} {:<16} URL",
                "NAME", "ENABLED", "SCHEDULE", "LAST", "NEXT DUE", "LEASED BY"
            )?;
            for f in &config.feeds {
                let s = by_name.get(f.name.as_str()).copied();
                writeln!(
                    out,
                    "{:<16} {:<8} {:<14} {:<12} {:<20} {:<16} {}",
                    fit(&f.name, 16),
                    if f.enabled { "yes" } else { "no" },
                    fit(f.schedule.source(), 14),
                    s.and_then(|s| s.last_status.as_deref()).unwrap_or("-"),
                    s.and_then(|s| s.next_due_at)
                        .map_or_else(|| "-".to_owned(), ts),
                    fit(s.and_then(|s| s.lease_owner.as_deref()).unwrap_or("-"), 16),
                    f.url
                )?;
            }
            Ok(())
        });
    }
    let rows: Vec<_> = config
        .feeds
        .iter()
        .map(|f| {
            let s = by_name.get(f.name.as_str()).copied();
            json!({
                "name": f.name, "url": f.url.as_str(), "schedule": f.schedule.source(),
                "enabled": f.enabled, "full_text": f.full_text, "tags": f.tags,
                "last_polled_at": s.and_then(|s| s.last_polled_at).map(ts),
                "last_status": s.and_then(|s| s.last_status.clone()),
                "last_error": s.and_then(|s| s.last_error.clone()),
                "error_count": s.map_or(0, |s| s.error_count),
                "next_due_at": s.and_then(|s| s.next_due_at).map(ts),
                "lease_owner": s.and_then(|s| s.lease_owner.clone()),
                "lease_until": s.and_then(|s| s.lease_until).map(ts),
            })
        })
        .collect();
    emit(&rows, format, |_| Ok(()))
}

/// `newswire inspect`.
pub fn print_inspect(
    url: &Url,
    feed: &ParsedFeed,
    keys: &[EntryKey],
    format: TextFormat,
) -> anyhow::Result<()> {
    let entries: Vec<_> = feed
        .entries
        .iter()
        .zip(keys)
        .map(|(e, k)| {
            json!({
                "key": k, "title": e.title, "link": e.link,
                "published": e.published.map(ts), "updated": e.updated.map(ts),
                "authors": e.authors, "has_content": e.content.is_some(),
            })
        })
        .collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        TextFormat::Json => {
            let doc = json!({
                "url": url.as_str(), "format": feed.format, "title": feed.title,
                "site_url": feed.site_url, "language": feed.language,
                "ttl_s": feed.ttl.map(|t| t.as_secs()), "broken": feed.broken,
                "entries": entries,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        TextFormat::Text => {
            writeln!(out, "url:      {url}")?;
            writeln!(out, "format:   {}", feed.format.as_str())?;
            writeln!(out, "title:    {}", feed.title.as_deref().unwrap_or("-"))?;
            writeln!(out, "site:     {}", feed.site_url.as_deref().unwrap_or("-"))?;
            writeln!(out, "language: {}", feed.language.as_deref().unwrap_or("-"))?;
            writeln!(out, "entries:  {}", feed.entries.len())?;
            if let Some(broken) = &feed.broken {
                writeln!(
                    out,
                    "broken:   the XML breaks ({broken}); the entries complete before it are kept"
                )?;
            }
            for (e, k) in feed.entries.iter().zip(keys) {
                writeln!(out)?;
                writeln!(out, "  key:       {k}")?;
                writeln!(out, "  title:     {}", e.title.as_deref().unwrap_or("-"))?;
                writeln!(out, "  link:      {}", e.link.as_deref().unwrap_or("-"))?;
                writeln!(
                    out,
                    "  published: {}",
                    e.published.map(ts).unwrap_or_else(|| "-".into())
                )?;
                if let Some(u) = e.updated {
                    writeln!(out, "  updated:   {}", ts(u))?;
                }
            }
        }
    }
    Ok(())
}

/// `newswire extract`.
pub fn print_article(a: &Article, format: TextFormat) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        TextFormat::Json => {
            let doc = json!({
                "title": a.title, "author": a.author, "published": a.published.map(ts),
                "modified": a.modified.map(ts), "language": a.language, "site_name": a.site_name,
                "canonical_url": a.canonical_url, "image": a.image, "text": a.text, "html": a.html,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        TextFormat::Text => {
            for (label, value) in [
                ("title", a.title.clone()),
                ("author", a.author.clone()),
                ("published", a.published.map(ts)),
                ("language", a.language.clone()),
                ("canonical", a.canonical_url.clone()),
                ("image", a.image.clone()),
            ] {
                if let Some(v) = value {
                    writeln!(out, "{label:<10} {v}")?;
                }
            }
            writeln!(out)?;
            writeln!(out, "{}", a.text)?;
        }
    }
    Ok(())
}
