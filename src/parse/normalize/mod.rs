//! An XML-aware pass that rewrites a feed into the canonical form feed-rs
//! reads, and records what feed-rs cannot see.
//!
//! In: the decoded document (UTF-8, declaration already saying so) and the
//! feed URL. Out: a [`Normalized`] document plus, per entry, the `xml:base`
//! and `xml:lang` in force there, or an [`XmlBreak`] when the XML breaks before
//! any entry is complete.
//!
//! One streaming pass with quick-xml, copying events through and changing
//! only what feed-rs refuses or misreads (each case is a feed seen in the wild
//! or in feedparser's test suite):
//! - Atom text constructs typed as MIME types (`text/plain`,
//!   `application/xhtml+xml`, Atom 0.3's `mode="xml"`/`"escaped"`/`"base64"`)
//!   are given the Atom 1.0 `type` (`text`, `html`, `xhtml`), base64 decoded
//!   (`atom_text`); feed-rs refuses the whole feed on any other type;
//! - an element that is empty and carries no attribute of substance
//!   (`<media:description/>`, `<media:credit role="author"/>`, `<title></title>`)
//!   is dropped: feed-rs refuses the feed with "missing text";
//! - a `<rss>` without a `<channel>` (empty, or holding its items directly)
//!   gets one; a default namespace on `<rss>` (the userland
//!   `http://backend.userland.com/rss2` of many Russian regional feeds) is
//!   removed, since RSS 2.0 has none and feed-rs then sees no elements; the
//!   RSS 0.90 namespace becomes RSS 1.0's;
//! - CDF (Microsoft's Channel Definition Format) becomes RSS 2.0 (`cdf`);
//! - relative URLs (Atom `link@href`, `url` attributes of enclosures and
//!   media, the text of `<link>`, `<url>`, `<uri>`, `<comments>`, `href`/`src`
//!   inside inline XHTML) are resolved against the `xml:base` in force, itself
//!   resolved against the feed URL (`links`);
//! - entity references: the five of XML and character references stay, those
//!   declared in the DOCTYPE are expanded, HTML ones (`&nbsp;`) become
//!   character references, anything else and a bare `&` are escaped to show as
//!   written; the DOCTYPE and comments are dropped;
//! - salvage: where the XML breaks (a truncated download, an unescaped `<`, a
//!   mismatched end tag), the document is cut after the last complete entry and
//!   what was open there is closed, and the error is kept in
//!   [`Normalized::broken`], as feedparser's "bozo" bit does.
//!
//! Submodules: `pass` (the event loop's state, writing and salvage), `start`
//! (what each start tag becomes), `atom_text`, `cdf`, `links`, `entities`.

mod atom_text;
mod cdf;
mod entities;
mod links;
mod pass;
mod start;

use quick_xml::Reader;
use quick_xml::events::Event;
use url::Url;

pub use links::resolve_html_links;

use pass::Pass;

/// The `xml:base` and `xml:lang` in force on one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryContext {
    /// The base URL relative links in the entry resolve against.
    pub base: Url,
    /// The inherited `xml:lang`, if any; `Some("")` when an `xml:lang=""`
    /// reset it (the entry has no language, whatever the feed says).
    pub lang: Option<String>,
}

/// A document rewritten for feed-rs.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// The rewritten document.
    pub text: String,
    /// One context per entry (`<item>` or `<entry>`), in document order.
    pub entries: Vec<EntryContext>,
    /// The `xml:lang` of the feed element (root, or RSS `<channel>`).
    pub feed_lang: Option<String>,
    /// Where the XML broke, when the document was cut after its last complete
    /// entry (salvage mode).
    pub broken: Option<XmlBreak>,
}

/// A well-formedness error: where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at byte {position}, in \"{context}\"")]
pub struct XmlBreak {
    /// Byte offset in the decoded document.
    pub position: u64,
    /// quick-xml's description of the error.
    pub message: String,
    /// The start of the broken part (from the end of the last complete
    /// entry), on one line, so that a user can find the cause: quick-xml
    /// names what it expected where it noticed, often a little later.
    pub context: String,
}

/// Up to 80 characters of `text` from byte `from` towards byte `to`,
/// whitespace collapsed.
fn context_between(text: &str, from: u64, to: u64) -> String {
    let floor = |at: u64| {
        let at = usize::try_from(at).unwrap_or(usize::MAX).min(text.len());
        (0..=at)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0)
    };
    let (start, end) = (floor(from), floor(to));
    let slice = text.get(start..end.max(start)).unwrap_or_default();
    let collapsed = slice.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > 80 {
        let cut: String = collapsed.chars().take(80).collect();
        format!("{cut}…")
    } else {
        collapsed
    }
}

/// Rewrites `text` (see the module doc); `feed_url` is the base of last resort.
pub fn normalize(text: &str, feed_url: &Url) -> Result<Normalized, XmlBreak> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().allow_dangling_amp = true;
    let mut pass = Pass::new(text.len(), feed_url);
    // Where the input stood after the last complete entry.
    let mut broken_from = 0u64;
    loop {
        match reader.read_event() {
            Err(error) => {
                let position = reader.error_position();
                let message = error.to_string();
                let context = context_between(text, broken_from, position);
                return pass.salvage(XmlBreak {
                    position,
                    message,
                    context,
                });
            }
            Ok(Event::Eof) => {
                if let Some(open) = pass.stack.last() {
                    let message = format!(
                        "the document ends inside an open element ({})",
                        open.close.trim_start_matches("</").trim_end_matches('>')
                    );
                    let position = text.len() as u64;
                    let context = context_between(text, broken_from, position);
                    return pass.salvage(XmlBreak {
                        position,
                        message,
                        context,
                    });
                }
                break;
            }
            Ok(event) => {
                let entries = pass.complete_entries();
                pass.event(event);
                if pass.complete_entries() != entries {
                    broken_from = reader.buffer_position();
                }
            }
        }
    }
    Ok(Normalized {
        text: pass.out,
        entries: pass.entries,
        feed_lang: pass.feed_lang,
        broken: None,
    })
}

#[cfg(test)]
mod tests;
