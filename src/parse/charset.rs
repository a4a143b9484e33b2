//! Character-set detection and decoding of a feed body to UTF-8.
//!
//! In: the raw body bytes and the HTTP `Content-Type` header, if any. Out: the
//! document as a `String` plus the encoding that was chosen and why. The order
//! of evidence is fixed: a byte-order mark, then the `charset` parameter of the
//! HTTP header, then the `encoding` of the XML declaration, then sniffing (valid
//! UTF-8 is UTF-8; otherwise Cyrillic text is told apart as windows-1251 or
//! KOI8-R by letter-case statistics, and anything else is windows-1252).
//!
//! One deliberate exception to "first evidence wins": a declaration of UTF-8
//! (header or XML) over bytes that are not valid UTF-8 is treated as a lie and
//! the next source of evidence is consulted. Servers that send
//! `text/xml; charset=utf-8` for every file whatever it holds are common among
//! Russian-language sites serving windows-1251 feeds.
//!
//! Decoding never fails: bytes invalid in the chosen encoding become U+FFFD.

use encoding_rs::{Encoding, KOI8_R, UTF_8, WINDOWS_1251, WINDOWS_1252};

/// Where the chosen encoding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharsetSource {
    /// A byte-order mark at the start of the body.
    Bom,
    /// The `charset` parameter of the HTTP `Content-Type` header.
    Header,
    /// The `encoding` pseudo-attribute of the XML declaration.
    XmlDeclaration,
    /// Guessed from the bytes themselves.
    Sniffed,
}

/// A body decoded to UTF-8.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The document text, without any byte-order mark.
    pub text: String,
    /// The encoding used to decode it.
    pub encoding: &'static Encoding,
    /// Why that encoding was chosen.
    pub source: CharsetSource,
}

/// Decodes `body` to UTF-8 following the order of evidence in the module doc.
pub fn decode(body: &[u8], content_type: Option<&str>) -> Decoded {
    let (encoding, source, skip) = detect(body, content_type);
    let rest = body.get(skip..).unwrap_or_default();
    let (text, _had_errors) = encoding.decode_without_bom_handling(rest);
    Decoded {
        text: text.into_owned(),
        encoding,
        source,
    }
}

/// Chooses an encoding for `body`; also returns how many leading bytes (a
/// byte-order mark) to skip.
pub fn detect(
    body: &[u8],
    content_type: Option<&str>,
) -> (&'static Encoding, CharsetSource, usize) {
    if let Some((encoding, bom_len)) = Encoding::for_bom(body) {
        return (encoding, CharsetSource::Bom, bom_len);
    }
    let declared = [
        (
            content_type
                .and_then(header_charset)
                .and_then(|label| label_to_encoding(&label)),
            CharsetSource::Header,
        ),
        (
            xml_declared_encoding(body).and_then(|label| label_to_encoding(&label)),
            CharsetSource::XmlDeclaration,
        ),
    ];
    for (encoding, source) in declared {
        let Some(encoding) = encoding else { continue };
        if encoding == UTF_8 && !looks_like_utf8(body) {
            // A UTF-8 claim over invalid UTF-8: see the module doc.
            continue;
        }
        return (encoding, source, 0);
    }
    (sniff(body), CharsetSource::Sniffed, 0)
}

/// Maps a charset label to an encoding. UTF-16 labels without a BOM are
/// ignored: a document that reached this point is ASCII-compatible (its XML
/// declaration was readable as ASCII), so the label is wrong.
fn label_to_encoding(label: &str) -> Option<&'static Encoding> {
    let encoding = Encoding::for_label(label.trim().as_bytes())?;
    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        return None;
    }
    Some(encoding)
}

/// The `charset` parameter of a `Content-Type` header value, unquoted.
pub fn header_charset(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        (!value.is_empty()).then(|| value.to_string())
    })
}

/// The `encoding` pseudo-attribute of the XML declaration, if the body starts
/// (after whitespace or stray bytes) with one.
pub fn xml_declared_encoding(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(1024)];
    let start = find(head, b"<?xml")?;
    let end = start + find(&head[start..], b"?>")?;
    let decl = &head[start..end];
    let at = find(decl, b"encoding")? + "encoding".len();
    let rest = &decl[at..];
    let rest = trim_ascii_start(rest).strip_prefix(b"=")?;
    let rest = trim_ascii_start(rest);
    let quote = *rest.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value = &rest[1..];
    let close = value.iter().position(|&b| b == quote)?;
    let label = std::str::from_utf8(&value[..close]).ok()?.trim();
    (!label.is_empty()).then(|| label.to_string())
}

fn trim_ascii_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[skip..]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// True when `body` is UTF-8 apart from a few damaged bytes: a sequence cut
/// off at the very end (a truncated download), or invalid bytes outnumbered
/// four to one by well-formed multi-byte characters. Legacy single-byte text
/// almost never forms well-formed multi-byte UTF-8 sequences by accident.
pub fn looks_like_utf8(body: &[u8]) -> bool {
    let mut multibyte = 0usize;
    let mut invalid = 0usize;
    let mut chunks = body.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        let at_end = chunks.peek().is_none();
        // A multi-byte sequence cut off by the end of the body is not evidence
        // against UTF-8 (at most 3 bytes, all of them ≥ 0x80).
        let cut_off =
            at_end && chunk.invalid().len() < 4 && chunk.invalid().iter().all(|b| *b >= 0x80);
        if !cut_off {
            invalid += chunk.invalid().len();
        }
    }
    invalid == 0 || multibyte >= 4 * invalid
}

/// Guesses the encoding of a body that declares none.
///
/// (Nearly) valid UTF-8 is UTF-8 (see [`looks_like_utf8`]). Otherwise, if the high bytes mostly come in runs
/// (words of a non-Latin script) it is taken as Cyrillic: in windows-1251 the
/// lower-case letters а–я are 0xE0–0xFF and the capitals 0xC0–0xDF, in KOI8-R
/// it is the other way round, and running text is mostly lower case. Isolated
/// high bytes between ASCII letters (é in "café") point to windows-1252.
pub fn sniff(body: &[u8]) -> &'static Encoding {
    if looks_like_utf8(body) {
        return UTF_8;
    }
    let mut high = 0usize;
    let mut high_in_runs = 0usize;
    let mut upper_block = 0usize; // 0xC0..=0xDF
    let mut lower_block = 0usize; // 0xE0..=0xFF
    for (i, &b) in body.iter().enumerate() {
        if b < 0x80 {
            continue;
        }
        high += 1;
        let prev_high = i > 0 && body[i - 1] >= 0x80;
        let next_high = body.get(i + 1).is_some_and(|&n| n >= 0x80);
        if prev_high || next_high {
            high_in_runs += 1;
        }
        match b {
            0xC0..=0xDF => upper_block += 1,
            0xE0..=0xFF => lower_block += 1,
            _ => {}
        }
    }
    if high == 0 || high_in_runs * 2 < high {
        return WINDOWS_1252;
    }
    if upper_block > lower_block {
        KOI8_R
    } else {
        WINDOWS_1251
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUSSIAN: &str = "Президент России провёл совещание с членами правительства в Москве";

    #[test]
    fn bom_wins_over_everything() {
        let mut body = vec![0xEF, 0xBB, 0xBF];
        body.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss/>");
        let (enc, source, skip) = detect(&body, Some("text/xml; charset=koi8-r"));
        assert_eq!((enc, source, skip), (UTF_8, CharsetSource::Bom, 3));
    }

    #[test]
    fn header_wins_over_declaration() {
        let (body, _, _) = WINDOWS_1251.encode(RUSSIAN);
        let mut doc = b"<?xml version=\"1.0\" encoding=\"koi8-r\"?><t>".to_vec();
        doc.extend_from_slice(&body);
        let (enc, source, _) = detect(&doc, Some("application/rss+xml; charset=\"windows-1251\""));
        assert_eq!((enc, source), (WINDOWS_1251, CharsetSource::Header));
    }

    #[test]
    fn declaration_used_without_header_charset() {
        let doc = b"<?xml version='1.0' encoding = 'KOI8-R' ?><rss/>";
        let (enc, source, _) = detect(doc, Some("text/xml"));
        assert_eq!((enc, source), (KOI8_R, CharsetSource::XmlDeclaration));
    }

    #[test]
    fn false_utf8_claim_falls_through() {
        let (body, _, _) = WINDOWS_1251.encode(RUSSIAN);
        let mut doc = b"<?xml version=\"1.0\" encoding=\"windows-1251\"?><t>".to_vec();
        doc.extend_from_slice(&body);
        let (enc, source, _) = detect(&doc, Some("text/xml; charset=utf-8"));
        assert_eq!((enc, source), (WINDOWS_1251, CharsetSource::XmlDeclaration));
    }

    #[test]
    fn sniffs_utf8_cp1251_koi8r_and_latin() {
        assert_eq!(sniff(RUSSIAN.as_bytes()), UTF_8);
        assert_eq!(sniff(&WINDOWS_1251.encode(RUSSIAN).0), WINDOWS_1251);
        assert_eq!(sniff(&KOI8_R.encode(RUSSIAN).0), KOI8_R);
        let latin = WINDOWS_1252
            .encode("Le café à Genève, déclaration du président")
            .0;
        assert_eq!(sniff(&latin), WINDOWS_1252);
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let decoded = decode(b"<t>ok \xFF\xFE bad</t>", Some("text/xml; charset=utf-8"));
        // The UTF-8 claim is refused (invalid), sniffing picks a single-byte
        // encoding, and decoding still yields text.
        assert!(decoded.text.starts_with("<t>ok "));
        let forced = UTF_8.decode_without_bom_handling(b"a\xFFb").0;
        assert_eq!(forced, "a\u{FFFD}b");
    }

    #[test]
    fn damaged_utf8_is_still_utf8() {
        let text = RUSSIAN.as_bytes();
        // Cut inside the last character, as a truncated download would be.
        assert!(looks_like_utf8(&text[..text.len() - 1]));
        assert_eq!(sniff(&text[..text.len() - 1]), UTF_8);
        // One stray byte in a long Russian text.
        let mut stray = text.to_vec();
        stray.insert(10, 0xFF);
        assert_eq!(sniff(&stray), UTF_8);
        // A UTF-8 header over damaged UTF-8 is still believed.
        let (enc, source, _) = detect(&stray, Some("text/xml; charset=utf-8"));
        assert_eq!((enc, source), (UTF_8, CharsetSource::Header));
        assert!(!looks_like_utf8(&WINDOWS_1251.encode(RUSSIAN).0));
    }

    #[test]
    fn header_charset_parsing() {
        assert_eq!(
            header_charset("text/xml; charset=UTF-8").as_deref(),
            Some("UTF-8")
        );
        assert_eq!(
            header_charset("text/xml;charset='cp1251'").as_deref(),
            Some("cp1251")
        );
        assert_eq!(header_charset("text/xml"), None);
        assert_eq!(header_charset("text/xml; charset="), None);
    }

    #[test]
    fn unknown_labels_are_ignored() {
        let doc = b"<?xml version=\"1.0\" encoding=\"x-no-such\"?><rss/>";
        let (enc, source, _) = detect(doc, Some("text/xml; charset=bogus"));
        assert_eq!((enc, source), (UTF_8, CharsetSource::Sniffed));
    }
}
