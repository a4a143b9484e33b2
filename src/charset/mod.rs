//! The one character-set decoder: feed, page and OPML bytes to UTF-8 text.
//!
//! In: the body bytes, the HTTP `Content-Type` header (if any) and what kind
//! of document it is ([`DocumentKind`]). Out: a [`Decoded`] text with the
//! encoding chosen and the evidence it came from. Decoding never fails: bytes
//! invalid in the chosen encoding become U+FFFD.
//!
//! The order of evidence is a browser's (the WHATWG Encoding standard and the
//! HTML standard's "determining the character encoding"):
//!
//! 1. a byte-order mark (UTF-8, UTF-16 LE/BE, and UTF-32 LE/BE, which feeds
//!    use and browsers no longer do); without a BOM, the NUL-byte pattern of
//!    `<` in UTF-16 or UTF-32 (XML 1.0 appendix F): ASCII-compatible text never
//!    holds NUL bytes, so the pattern is as conclusive as a BOM;
//! 2. the `charset` parameter of the HTTP header;
//! 3. the document's own declaration: the XML declaration's `encoding` for
//!    feeds and OPML, the `<meta charset>` / `http-equiv` prescan for pages
//!    (then an XML declaration, for XHTML);
//! 4. a guess from the bytes (`sniff`): valid UTF-8 is UTF-8; otherwise
//!    Cyrillic runs are told apart as windows-1251 or KOI8-R by letter case,
//!    and anything else is windows-1252.
//!
//! Two exceptions that real servers force:
//! - bytes that are valid UTF-8 and hold multi-byte sequences are UTF-8,
//!   whatever legacy label (`gb2312`, `windows-1251`, `iso-8859-1`) the header
//!   or the document gives: a CMS template that still says `gb2312` over
//!   content it now writes in UTF-8 is common, and legacy text is practically
//!   never valid multi-byte UTF-8 by accident;
//! - a UTF-8 label over bytes that are not UTF-8 (beyond a few damaged bytes)
//!   is ignored and the next evidence consulted: Russian sites that send
//!   `charset=utf-8` for every file serve windows-1251 feeds that way.
//!
//! A UTF-16 or UTF-32 label over bytes that show neither a BOM nor the NUL
//! pattern is ignored (the bytes were readable as ASCII, so the label is wrong);
//! `x-user-defined` is read as windows-1252, as the HTML standard says.
//!
//! Submodules: `declared` (reading labels from the header and the document),
//! `sniff` (the guess and the UTF-8 test), `utf32` (the decoder encoding_rs lacks).

mod declared;
mod sniff;
mod utf32;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, X_USER_DEFINED};

pub use declared::{header_charset, meta_charset_label, xml_declared_encoding};
pub use sniff::{is_multibyte_utf8, looks_like_utf8, sniff};

/// What kind of document the bytes are, which decides where its own
/// declaration is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// A feed or OPML file: the XML declaration.
    Xml,
    /// A web page: `<meta charset>` / `http-equiv`, then an XML declaration.
    Html,
}

/// An encoding the decoder can read: one of encoding_rs's, or UTF-32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// An encoding of the WHATWG Encoding standard.
    Whatwg(&'static Encoding),
    /// UTF-32, little-endian.
    Utf32Le,
    /// UTF-32, big-endian.
    Utf32Be,
}

impl Charset {
    /// The encoding's canonical name (`UTF-8`, `windows-1251`, `UTF-32LE`).
    pub fn name(self) -> &'static str {
        match self {
            Charset::Whatwg(encoding) => encoding.name(),
            Charset::Utf32Le => "UTF-32LE",
            Charset::Utf32Be => "UTF-32BE",
        }
    }
}

/// Where the chosen encoding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharsetSource {
    /// A byte-order mark at the start of the body.
    Bom,
    /// The NUL-byte pattern of UTF-16 or UTF-32 text without a BOM.
    NullPattern,
    /// The `charset` parameter of the HTTP `Content-Type` header.
    Header,
    /// The document's own declaration (XML `encoding`, HTML `<meta>`).
    Declaration,
    /// The bytes are valid multi-byte UTF-8, over a legacy label.
    Utf8OverLabel,
    /// Guessed from the bytes themselves.
    Sniffed,
}

/// A body decoded to UTF-8.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The document text, without any byte-order mark.
    pub text: String,
    /// The encoding used to decode it.
    pub charset: Charset,
    /// Why that encoding was chosen.
    pub source: CharsetSource,
}

/// Decodes `body` following the order of evidence in the module doc.
pub fn decode(body: &[u8], content_type: Option<&str>, kind: DocumentKind) -> Decoded {
    let (charset, source, skip) = detect(body, content_type, kind);
    let rest = body.get(skip..).unwrap_or_default();
    let text = match charset {
        Charset::Whatwg(encoding) => encoding.decode_without_bom_handling(rest).0.into_owned(),
        Charset::Utf32Le => utf32::decode(rest, false),
        Charset::Utf32Be => utf32::decode(rest, true),
    };
    Decoded {
        text,
        charset,
        source,
    }
}

/// A web page's bytes as text (see [`decode`]); what article extraction reads.
pub fn decode_html(body: &[u8], content_type: Option<&str>) -> String {
    decode(body, content_type, DocumentKind::Html).text
}

/// Chooses an encoding for `body`; also returns how many leading bytes (a
/// byte-order mark) to skip.
pub fn detect(
    body: &[u8],
    content_type: Option<&str>,
    kind: DocumentKind,
) -> (Charset, CharsetSource, usize) {
    if let Some((charset, len)) = bom(body) {
        return (charset, CharsetSource::Bom, len);
    }
    if let Some(charset) = null_pattern(body) {
        return (charset, CharsetSource::NullPattern, 0);
    }
    let header = content_type
        .and_then(header_charset)
        .map(|label| (label, CharsetSource::Header));
    let document = match kind {
        DocumentKind::Xml => xml_declared_encoding(body),
        DocumentKind::Html => meta_charset_label(body).or_else(|| xml_declared_encoding(body)),
    }
    .map(|label| (label, CharsetSource::Declaration));
    for (label, source) in header.into_iter().chain(document) {
        let Some(encoding) = ascii_compatible(&label) else {
            continue;
        };
        if encoding == UTF_8 {
            if looks_like_utf8(body) {
                return (Charset::Whatwg(UTF_8), source, 0);
            }
            // A UTF-8 claim over bytes that are not: see the module doc.
            continue;
        }
        if is_multibyte_utf8(body) {
            return (Charset::Whatwg(UTF_8), CharsetSource::Utf8OverLabel, 0);
        }
        return (Charset::Whatwg(encoding), source, 0);
    }
    (Charset::Whatwg(sniff(body)), CharsetSource::Sniffed, 0)
}

/// The encoding a label names, when it can describe bytes that were readable
/// as ASCII (no BOM, no NUL pattern): UTF-16 labels cannot, and
/// `x-user-defined` is windows-1252 (HTML standard, "prescan").
fn ascii_compatible(label: &str) -> Option<&'static Encoding> {
    let lower = label.trim().to_ascii_lowercase();
    if lower.starts_with("utf-32") || lower.starts_with("ucs-4") || lower == "utf32" {
        return None;
    }
    let encoding = Encoding::for_label(lower.as_bytes())?;
    if encoding == UTF_16LE || encoding == UTF_16BE {
        return None;
    }
    if encoding == X_USER_DEFINED {
        return Some(WINDOWS_1252);
    }
    Some(encoding)
}

/// A byte-order mark and its length. UTF-32 LE is tested before UTF-16 LE,
/// whose BOM is its prefix.
fn bom(body: &[u8]) -> Option<(Charset, usize)> {
    match body {
        [0xFF, 0xFE, 0, 0, ..] => Some((Charset::Utf32Le, 4)),
        [0, 0, 0xFE, 0xFF, ..] => Some((Charset::Utf32Be, 4)),
        _ => Encoding::for_bom(body).map(|(encoding, len)| (Charset::Whatwg(encoding), len)),
    }
}

/// UTF-16 or UTF-32 without a BOM, recognised by where the NUL bytes of the
/// first characters fall (XML 1.0 appendix F; a document starts with `<` or
/// whitespace). Two ASCII characters are enough to tell.
fn null_pattern(body: &[u8]) -> Option<Charset> {
    match body {
        [0, 0, 0, a, ..] if *a != 0 => Some(Charset::Utf32Be),
        [a, 0, 0, 0, ..] if *a != 0 => Some(Charset::Utf32Le),
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => Some(Charset::Whatwg(UTF_16BE)),
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => Some(Charset::Whatwg(UTF_16LE)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{KOI8_R, WINDOWS_1251};

    const RUSSIAN: &str = "Президент России провёл совещание с членами правительства в Москве";

    fn xml(body: &[u8], ct: Option<&str>) -> (Charset, CharsetSource) {
        let (charset, source, _) = detect(body, ct, DocumentKind::Xml);
        (charset, source)
    }

    #[test]
    fn bom_wins_over_everything() {
        let mut body = vec![0xEF, 0xBB, 0xBF];
        body.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss/>");
        let found = detect(&body, Some("text/xml; charset=koi8-r"), DocumentKind::Xml);
        assert_eq!(found, (Charset::Whatwg(UTF_8), CharsetSource::Bom, 3));
        let utf32 = [0xFF, 0xFE, 0, 0, b'<', 0, 0, 0];
        assert_eq!(bom(&utf32), Some((Charset::Utf32Le, 4)));
    }

    #[test]
    fn header_wins_over_declaration() {
        let (body, _, _) = WINDOWS_1251.encode(RUSSIAN);
        let mut doc = b"<?xml version=\"1.0\" encoding=\"koi8-r\"?><t>".to_vec();
        doc.extend_from_slice(&body);
        let ct = Some("application/rss+xml; charset=\"windows-1251\"");
        assert_eq!(
            xml(&doc, ct),
            (Charset::Whatwg(WINDOWS_1251), CharsetSource::Header)
        );
    }

    #[test]
    fn false_utf8_claim_falls_through() {
        let (body, _, _) = WINDOWS_1251.encode(RUSSIAN);
        let mut doc = b"<?xml version=\"1.0\" encoding=\"windows-1251\"?><t>".to_vec();
        doc.extend_from_slice(&body);
        assert_eq!(
            xml(&doc, Some("text/xml; charset=utf-8")),
            (Charset::Whatwg(WINDOWS_1251), CharsetSource::Declaration)
        );
    }

    #[test]
    fn valid_utf8_beats_a_legacy_label() {
        let doc = format!("<?xml version=\"1.0\" encoding=\"koi8-r\"?><t>{RUSSIAN}</t>");
        assert_eq!(
            xml(doc.as_bytes(), None),
            (Charset::Whatwg(UTF_8), CharsetSource::Utf8OverLabel)
        );
        // Pure ASCII is no evidence either way: the label stands.
        let ascii = b"<?xml version=\"1.0\" encoding=\"koi8-r\"?><t>plain</t>";
        assert_eq!(
            xml(ascii, None),
            (Charset::Whatwg(KOI8_R), CharsetSource::Declaration)
        );
    }

    #[test]
    fn utf16_labels_over_ascii_bytes_are_ignored() {
        let doc = b"<?xml version=\"1.0\" encoding=\"utf-16\"?><rss/>";
        assert_eq!(
            xml(doc, Some("text/xml; charset=utf-16")),
            (Charset::Whatwg(UTF_8), CharsetSource::Sniffed)
        );
    }

    #[test]
    fn unknown_labels_are_ignored() {
        let doc = b"<?xml version=\"1.0\" encoding=\"x-no-such\"?><rss/>";
        assert_eq!(
            xml(doc, Some("text/xml; charset=bogus")),
            (Charset::Whatwg(UTF_8), CharsetSource::Sniffed)
        );
    }

    #[test]
    fn null_patterns() {
        assert_eq!(
            null_pattern(&[0, b'<', 0, b'?']),
            Some(Charset::Whatwg(UTF_16BE))
        );
        assert_eq!(
            null_pattern(&[b'<', 0, b'?', 0]),
            Some(Charset::Whatwg(UTF_16LE))
        );
        assert_eq!(null_pattern(&[0, 0, 0, b'<']), Some(Charset::Utf32Be));
        assert_eq!(null_pattern(&[b'<', 0, 0, 0]), Some(Charset::Utf32Le));
        assert_eq!(null_pattern(b"<?xm"), None);
    }
}
