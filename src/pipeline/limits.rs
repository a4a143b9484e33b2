//! What a poll may store: field lengths and link schemes, applied to the
//! whole [`PollRecord`] just before it is written.
//!
//! Feeds are untrusted input and the store is read by other programs (the
//! API, Datasette, a web app), so every stored link or image is an `http` or
//! `https` URL (a `javascript:`, `data:` or `vbscript:` link is dropped; an
//! item's own `url` falls back to its canonical URL, which is always http(s))
//! and every text field has a ceiling (a 5 MB title was stored whole). The
//! limits are documented in `docs/hardening.md`; text is cut on a character
//! boundary, HTML before its last `<` so no tag is cut in half.

use crate::model::NewItem;
use crate::model::{PollOutcome, PollRecord};

/// Longest title kept (characters): feed, item.
pub const MAX_TITLE: usize = 1_000;
/// Longest author or byline, site name (characters).
pub const MAX_NAME: usize = 500;
/// Longest summary (characters).
pub const MAX_SUMMARY: usize = 10_000;
/// Longest URL kept (bytes); longer ones are dropped, not cut.
pub const MAX_URL: usize = 4_096;
/// Longest article text or HTML (bytes).
pub const MAX_CONTENT: usize = 1 << 20;
/// Longest stored error message (characters).
pub const MAX_ERROR: usize = 1_000;

/// Applies the limits to everything `record` would store.
pub fn vet_record(record: &mut PollRecord) {
    for e in &mut record.new_entries {
        vet_item(&mut e.item);
        e.entry_url = e.entry_url.take().and_then(web_url);
    }
    for e in &mut record.linked {
        e.entry_url = e.entry_url.take().and_then(web_url);
    }
    match &mut record.outcome {
        PollOutcome::Fetched { meta, .. } => {
            cap_opt(&mut meta.title, MAX_TITLE);
            meta.site_url = meta.site_url.take().and_then(web_url);
        }
        PollOutcome::Failed { error, .. } => {
            // The error quotes the request's URL, credentials and all.
            *error = crate::redact::text(error);
            cap(error, MAX_ERROR);
        }
        PollOutcome::NotModified { .. } | PollOutcome::Deferred => {}
    }
}

/// Applies the limits to one item.
pub fn vet_item(item: &mut NewItem) {
    if web_url(item.url.clone()).is_none() {
        item.url = item.canonical_url.clone();
    }
    item.image = item.image.take().and_then(web_url);
    cap_opt(&mut item.title, MAX_TITLE);
    cap_opt(&mut item.author, MAX_NAME);
    cap_opt(&mut item.site_name, MAX_NAME);
    cap_opt(&mut item.summary, MAX_SUMMARY);
    cap_opt(&mut item.extraction_error, MAX_ERROR);
    if let Some(t) = &mut item.content_text {
        cut_bytes(t, MAX_CONTENT);
    }
    if let Some(h) = &mut item.content_html
        && h.len() > MAX_CONTENT
    {
        cut_bytes(h, MAX_CONTENT);
        let end = h.rfind('<').unwrap_or(h.len());
        h.truncate(end);
    }
    item.language = item.language.take().filter(|l| is_language_tag(l));
}

/// `raw` when it is an absolute `http`/`https` URL of sane length.
pub fn web_url(raw: String) -> Option<String> {
    let ok = raw.len() <= MAX_URL
        && url::Url::parse(&raw).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    ok.then_some(raw)
}

/// A BCP 47 shaped tag (`en`, `pt-BR`, `zh-Hant-TW`): letters, then
/// alphanumeric subtags of at most 8, 35 characters in all.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split(['-', '_']);
    tag.len() <= 35
        && parts.next().is_some_and(|p| {
            (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphabetic())
        })
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphanumeric()))
}

fn cap_opt(field: &mut Option<String>, max_chars: usize) {
    if let Some(s) = field {
        cap(s, max_chars);
    }
}

/// Cuts `s` to `max_chars` characters.
fn cap(s: &mut String, max_chars: usize) {
    if s.len() <= max_chars {
        return;
    }
    if let Some((at, _)) = s.char_indices().nth(max_chars) {
        s.truncate(at);
    }
}

/// Cuts `s` to at most `max` bytes, on a character boundary.
fn cut_bytes(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> NewItem {
        NewItem {
            url: "javascript:alert(1)".into(),
            canonical_url: "https://tass.com/world/1".into(),
            title: Some("й".repeat(5_000_000 / 2)),
            author: None,
            published_at: None,
            updated_at: None,
            summary: None,
            content_html: Some(format!("<p>{}</p><a href=\"x\">", "a".repeat(MAX_CONTENT))),
            content_text: None,
            language: Some("en%".into()),
            image: Some("data:text/html,<script>alert(1)</script>".into()),
            site_name: None,
            extraction: crate::model::Extraction::Feed,
            extraction_error: None,
            extraction_path: None,
        }
    }

    #[test]
    fn only_web_links_and_bounded_fields_are_kept() {
        let mut it = item();
        vet_item(&mut it);
        assert_eq!(it.url, "https://tass.com/world/1");
        assert_eq!(it.image, None);
        assert_eq!(
            it.title.as_deref().map(|t| t.chars().count()),
            Some(MAX_TITLE)
        );
        let html = it.content_html.unwrap_or_default();
        assert!(
            html.len() <= MAX_CONTENT && !html.contains("<a"),
            "{}",
            html.len()
        );
        assert_eq!(it.language, None);
        for bad in [
            "vbscript:msgbox",
            "JaVaScRiPt:x",
            "data:image/png;base64,AA",
            "ftp://x/y",
        ] {
            assert_eq!(web_url(bad.into()), None, "{bad}");
        }
        assert!(web_url("https://ria.ru/a?b=1".into()).is_some());
        for ok in ["en", "pt-BR", "zh-Hant-TW", "ru"] {
            assert!(is_language_tag(ok), "{ok}");
        }
    }
}
