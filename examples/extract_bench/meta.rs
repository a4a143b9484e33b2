//! Metadata beside trafilatura's: how often each field is found, and how
//! often the two agree where both found it.
//!
//! Neither corpus here carries expected metadata, so this is coverage and
//! agreement, not accuracy: a disagreement names a page to look at, and
//! either side may be the wrong one. Titles agree when one (letters and
//! digits only, lower case) contains the other, since one side often keeps
//! a " | Site" suffix; authors when they share a name word; dates when they
//! are at most one day apart (trafilatura gives the local calendar date,
//! newswire the UTC instant); site names as titles; images when the URLs
//! match without their query strings.

use newswire::extract::Article;
use serde_json::Value;

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn contains_either(a: &str, b: &str) -> bool {
    let (a, b) = (norm(a), norm(b));
    !a.is_empty() && !b.is_empty() && (a.contains(&b) || b.contains(&a))
}

fn share_a_word(a: &str, b: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() > 1)
            .map(str::to_lowercase)
            .collect()
    };
    let wb = words(b);
    words(a).iter().any(|w| wb.contains(w))
}

fn days_apart(ours: &chrono::DateTime<chrono::Utc>, theirs: &str) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(theirs.get(..10)?, "%Y-%m-%d").ok()?;
    Some((ours.date_naive() - d).num_days().abs())
}

fn strip_query(u: &str) -> &str {
    u.split(['?', '#']).next().unwrap_or(u)
}

/// One field: pages where newswire found it, where trafilatura did, where
/// both did, and where both did and agree.
#[derive(Default)]
struct Tally {
    ours: usize,
    theirs: usize,
    both: usize,
    agree: usize,
}

/// Print the coverage and agreement table for the corpus.
pub fn compare(articles: &[Article], theirs: &[Option<&Value>]) {
    let names = [
        "title",
        "author",
        "published date",
        "site name",
        "lead image",
        "language",
    ];
    let mut t: Vec<Tally> = names.iter().map(|_| Tally::default()).collect();
    for (a, m) in articles.iter().zip(theirs) {
        let get = |k: &str| {
            m.and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
        };
        let fields: [(bool, Option<&str>, Option<bool>); 6] = [
            (
                a.title.is_some(),
                get("title"),
                a.title
                    .as_deref()
                    .zip(get("title"))
                    .map(|(x, y)| contains_either(x, y)),
            ),
            (
                a.author.is_some(),
                get("author"),
                a.author
                    .as_deref()
                    .zip(get("author"))
                    .map(|(x, y)| share_a_word(x, y)),
            ),
            (
                a.published.is_some(),
                get("date"),
                a.published
                    .as_ref()
                    .zip(get("date"))
                    .and_then(|(x, y)| days_apart(x, y))
                    .map(|d| d <= 1),
            ),
            (
                a.site_name.is_some(),
                get("sitename"),
                a.site_name
                    .as_deref()
                    .zip(get("sitename"))
                    .map(|(x, y)| contains_either(x, y)),
            ),
            (
                a.image.is_some(),
                get("image"),
                a.image
                    .as_deref()
                    .zip(get("image"))
                    .map(|(x, y)| strip_query(x) == strip_query(y)),
            ),
            // Trafilatura reports no language without an extra detector.
            (a.language.is_some(), None, None),
        ];
        for (tally, (ours, theirs, agree)) in t.iter_mut().zip(fields) {
            tally.ours += usize::from(ours);
            tally.theirs += usize::from(theirs.is_some());
            if let Some(agree) = agree {
                tally.both += 1;
                tally.agree += usize::from(agree);
            }
        }
    }
    let n = articles.len().max(1) as f64;
    let pct = |x: usize, of: f64| format!("{:.1} %", 100.0 * x as f64 / of);
    println!("\n| field | newswire found | trafilatura found | agree where both found |");
    println!("| --- | --- | --- | --- |");
    for (name, t) in names.iter().zip(&t) {
        println!(
            "| {name} | {} | {} | {} |",
            pct(t.ours, n),
            pct(t.theirs, n),
            if t.both == 0 {
                "–".to_string()
            } else {
                format!("{} of {}", pct(t.agree, t.both as f64), t.both)
            }
        );
    }
}
