//! Stable entry keys: which entry of a feed is which, from one poll to the next.
//!
//! In: the feed URL and the entries parsed from one document. Out: one
//! [`EntryKey`] per entry, same order. Keys are stored in
//! `item_sources.entry_key`; a key seen before means "known entry". **The rules
//! below are a stored format: they must never change meaning between
//! versions.** A new rule needs a new prefix.
//!
//! Base key of one entry, first rule that applies:
//! 1. `id:<guid>`: the entry has a guid (RSS `<guid>`, Atom `<id>`, JSON Feed
//!    `id`), exactly as the document gave it, trimmed. Ids invented by the
//!    parser are never used (the parse module makes sure there are none).
//! 2. `url:<link>`: the entry's link, normalised only by `url::Url` parsing and
//!    serialisation (scheme and host lower-cased, default port dropped, path
//!    dot-segments resolved, percent-encoding normalised). No tracking-parameter
//!    stripping, no other canonicalisation: those lists evolve, keys must not.
//!    A link that does not parse is used trimmed, as given.
//! 3. `sha:<hex>`: lower-case hex SHA-256 of the UTF-8 string
//!    `<feed url>` LF `<title>` LF `<published>`, where the feed URL is as
//!    serialised by `url::Url`, the title is the plain-text title (empty when
//!    absent; it never contains LF) and `published` is
//!    `YYYY-MM-DDTHH:MM:SSZ` in UTC (empty when absent). When both title and
//!    date are absent, the summary, else the content, takes the title's place
//!    so untitled undated entries still differ.
//!
//! Repeated base keys within one document are disambiguated, never collapsed.
//! Every entry of a repeated group (not just the later ones, so the result
//! does not depend on the order of entries) gets a suffix, first that makes
//! it unique within the group:
//! - ` url:<link>` (as in rule 2) when its link is unique within the group;
//! - else ` sha:<hex>` (as in rule 3) when that hash is unique within the group;
//! - else ` n:<k>`, its 1-based occurrence number among the group's entries
//!   still undecided, in document order (last resort).
//!
//! If a suffixed key still equals another key of the document, ` n:<k>` is
//! appended to the later ones in document order until all keys are distinct.
//! Keys are deterministic: the same bytes parsed twice give the same keys.

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};
use url::Url;

use crate::model::{Entry, EntryKey};

/// The key of each entry, in the same order as `entries` (see the module doc).
pub fn entry_keys(feed_url: &Url, entries: &[Entry]) -> Vec<EntryKey> {
    let bases: Vec<String> = entries.iter().map(|e| base_key(feed_url, e)).collect();
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, base) in bases.iter().enumerate() {
        groups.entry(base.as_str()).or_default().push(index);
    }

    let mut keys = bases.clone();
    for members in groups.values().filter(|m| m.len() > 1) {
        disambiguate(feed_url, entries, &bases, members, &mut keys);
    }
    make_distinct(&mut keys);
    keys.into_iter().map(EntryKey).collect()
}

/// Gives each member of one group of repeated base keys a suffix.
fn disambiguate(
    feed_url: &Url,
    entries: &[Entry],
    bases: &[String],
    members: &[usize],
    keys: &mut [String],
) {
    let links: Vec<Option<String>> = members
        .iter()
        .map(|&i| entries[i].link.as_deref().map(normalise_link))
        .collect();
    let hashes: Vec<String> = members
        .iter()
        .map(|&i| content_hash(feed_url, &entries[i]))
        .collect();
    let mut occurrence = 0usize;
    for (pos, &index) in members.iter().enumerate() {
        let base = &bases[index];
        let unique_link = links[pos]
            .as_ref()
            .filter(|link| links.iter().filter(|l| l.as_ref() == Some(*link)).count() == 1);
        keys[index] = if let Some(link) = unique_link {
            format!("{base} url:{link}")
        } else if hashes.iter().filter(|h| **h == hashes[pos]).count() == 1 {
            format!("{base} sha:{}", hashes[pos])
        } else {
            occurrence += 1;
            format!("{base} n:{occurrence}")
        };
    }
}

/// Appends ` n:<k>` to later copies of any key that is still repeated.
fn make_distinct(keys: &mut [String]) {
    let mut seen: HashSet<String> = HashSet::new();
    for key in keys.iter_mut() {
        if seen.contains(key.as_str()) {
            let mut k = 2usize;
            while seen.contains(&format!("{key} n:{k}")) {
                k += 1;
            }
            *key = format!("{key} n:{k}");
        }
        seen.insert(key.clone());
    }
}

/// Rules 1–3 for one entry.
fn base_key(feed_url: &Url, entry: &Entry) -> String {
    if let Some(guid) = entry
        .guid
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        return format!("id:{guid}");
    }
    if let Some(link) = entry
        .link
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        return format!("url:{}", normalise_link(link));
    }
    format!("sha:{}", content_hash(feed_url, entry))
}

/// A link as `url::Url` serialises it, else trimmed as given.
fn normalise_link(link: &str) -> String {
    let link = link.trim();
    Url::parse(link)
        .map(String::from)
        .unwrap_or_else(|_| link.to_string())
}

/// Rule 3's hash: feed URL, title (or summary/content) and published date.
fn content_hash(feed_url: &Url, entry: &Entry) -> String {
    let published = entry
        .published
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    let title = match (&entry.title, entry.published) {
        (Some(title), _) => title.clone(),
        (None, Some(_)) => String::new(),
        (None, None) => entry
            .summary
            .clone()
            .or_else(|| entry.content.clone())
            .unwrap_or_default(),
    };
    let mut hasher = Sha256::new();
    hasher.update(feed_url.as_str().as_bytes());
    hasher.update(b"\n");
    hasher.update(title.as_bytes());
    hasher.update(b"\n");
    hasher.update(published.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn feed() -> Url {
        Url::parse("https://tass.com/rss/v2.xml").expect("valid URL")
    }

    fn entry(guid: Option<&str>, link: Option<&str>, title: Option<&str>) -> Entry {
        Entry {
            guid: guid.map(String::from),
            link: link.map(String::from),
            title: title.map(String::from),
            published: Some(
                Utc.with_ymd_and_hms(2025, 3, 14, 9, 30, 0)
                    .single()
                    .expect("valid date"),
            ),
            ..Entry::default()
        }
    }

    fn keys(entries: &[Entry]) -> Vec<String> {
        entry_keys(&feed(), entries)
            .into_iter()
            .map(|k| k.0)
            .collect()
    }

    #[test]
    fn rule_order_guid_then_link_then_hash() {
        let got = keys(&[
            entry(Some(" g-1 "), Some("https://tass.com/a"), Some("A")),
            entry(
                None,
                Some("HTTPS://TASS.com:443/b/../c?utm_source=rss"),
                Some("B"),
            ),
            entry(None, None, Some("C")),
        ]);
        assert_eq!(got[0], "id:g-1");
        assert_eq!(got[1], "url:https://tass.com/c?utm_source=rss");
        assert!(
            got[2].starts_with("sha:") && got[2].len() == 4 + 64,
            "{}",
            got[2]
        );
    }

    #[test]
    fn hash_is_fixed_format() {
        // The stored format: SHA-256 of "feed\ntitle\ndate". Computed independently:
        // printf 'https://tass.com/rss/v2.xml\nC\n2025-03-14T09:30:00Z' | sha256sum
        let got = keys(&[entry(None, None, Some("C"))]);
        assert_eq!(
            got[0],
            "sha:5265e7f5acd9757f850c796291c3a125685dba8bdbb48d0fc5c51be5a6b2e67f"
        );
    }

    #[test]
    fn repeated_guids_are_disambiguated_by_link_then_hash_then_number() {
        let got = keys(&[
            entry(Some("x"), Some("https://tass.com/1"), Some("One")),
            entry(Some("x"), Some("https://tass.com/2"), Some("Two")),
            entry(Some("y"), Some("https://tass.com/3"), Some("Three")),
            entry(Some("y"), Some("https://tass.com/3"), Some("Four")),
            entry(Some("z"), None, Some("Same")),
            entry(Some("z"), None, Some("Same")),
        ]);
        assert_eq!(got[0], "id:x url:https://tass.com/1");
        assert_eq!(got[1], "id:x url:https://tass.com/2");
        assert!(got[2].starts_with("id:y sha:"));
        assert!(got[3].starts_with("id:y sha:"));
        assert_ne!(got[2], got[3]);
        assert_eq!(got[4], "id:z n:1");
        assert_eq!(got[5], "id:z n:2");
        let distinct: HashSet<&String> = got.iter().collect();
        assert_eq!(distinct.len(), got.len());
    }

    #[test]
    fn repeated_group_keys_do_not_depend_on_order() {
        let a = entry(Some("x"), Some("https://tass.com/1"), Some("One"));
        let b = entry(Some("x"), Some("https://tass.com/2"), Some("Two"));
        let forward = keys(&[a.clone(), b.clone()]);
        let backward = keys(&[b, a]);
        assert_eq!(forward[0], backward[1]);
        assert_eq!(forward[1], backward[0]);
    }

    #[test]
    fn untitled_undated_entries_use_summary() {
        let mut a = Entry {
            summary: Some("first".into()),
            ..Entry::default()
        };
        let b = Entry {
            summary: Some("second".into()),
            ..Entry::default()
        };
        let got = keys(&[a.clone(), b]);
        assert_ne!(got[0], got[1]);
        a.summary = None;
        let empty = keys(&[a.clone(), a]);
        assert_ne!(empty[0], empty[1]);
    }

    #[test]
    fn collisions_after_suffixing_are_resolved() {
        let got = keys(&[
            entry(Some("x"), Some("https://tass.com/1"), Some("A")),
            entry(Some("x"), Some("https://tass.com/2"), Some("B")),
            entry(Some("x url:https://tass.com/1"), None, Some("C")),
        ]);
        let distinct: HashSet<&String> = got.iter().collect();
        assert_eq!(distinct.len(), 3, "{got:?}");
    }
}
