//! Bytes to text: choosing a page's character encoding.
//!
//! In: the response body and its `Content-Type` header. Out: a `String`.
//! Order (as the HTML standard's encoding sniffing): a byte order mark wins,
//! then the HTTP `charset`, then a `<meta charset>` or `http-equiv` declaration
//! in the first few kilobytes, else a guess: valid UTF-8 is UTF-8, otherwise
//! the byte statistics pick windows-1251, KOI8-R or windows-1252.

use encoding_rs::{Encoding, KOI8_R, UTF_8, WINDOWS_1251, WINDOWS_1252};

/// How far into the body to look for a `<meta>` charset declaration.
const PRESCAN: usize = 4096;

/// Decode an HTML body to a string (see the module docs for the order of evidence).
pub fn decode_html(body: &[u8], content_type: Option<&str>) -> String {
    let enc = Encoding::for_bom(body)
        .map(|(e, _)| e)
        .or_else(|| content_type.and_then(charset_param).and_then(label))
        .or_else(|| meta_charset(&body[..body.len().min(PRESCAN)]))
        .unwrap_or_else(|| sniff(body));
    // `decode` strips a BOM matching `enc` and replaces malformed sequences.
    let (text, _, _) = enc.decode(body);
    text.into_owned()
}

/// An encoding for a label, with the standard's substitutions for `<meta>`:
/// UTF-16 declared in bytes we are reading as ASCII-compatible means UTF-8.
fn label(l: &str) -> Option<&'static Encoding> {
    let e = Encoding::for_label(l.trim().trim_matches(['"', '\'']).as_bytes())?;
    if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE {
        return Some(UTF_8);
    }
    if e == encoding_rs::X_USER_DEFINED {
        return Some(WINDOWS_1252);
    }
    Some(e)
}

/// The `charset=` parameter of a `Content-Type` value.
fn charset_param(ct: &str) -> Option<&str> {
    let lower = ct.to_ascii_lowercase();
    let pos = lower.find("charset=")?;
    let rest = &ct[pos + "charset=".len()..];
    let end = rest.find([';', ' ', ',']).unwrap_or(rest.len());
    let v = rest[..end].trim_matches(['"', '\'']);
    (!v.is_empty()).then_some(v)
}

/// Look for `<meta charset=…>` or `<meta http-equiv=content-type content="…charset=…">`.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos + 5;
        let end = lower[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let mut rest = &tag[c + 7..];
            while let [b' ' | b'\t' | b'\n' | b'\r', r @ ..] = rest {
                rest = r;
            }
            if let [b'=', r @ ..] = rest {
                let r = trim_start(r);
                let r = r
                    .strip_prefix(b"\"")
                    .or_else(|| r.strip_prefix(b"'"))
                    .unwrap_or(r);
                let len = r
                    .iter()
                    .position(|&b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>'))
                    .unwrap_or(r.len());
                if let Ok(s) = std::str::from_utf8(&r[..len])
                    && let Some(e) = label(s)
                {
                    return Some(e);
                }
            }
        }
        from = end.max(start);
    }
    None
}

fn trim_start(mut r: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\n' | b'\r', rest @ ..] = r {
        r = rest;
    }
    r
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Guess for bodies with no declaration.
fn sniff(body: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(body).is_ok() {
        return UTF_8;
    }
    // Cyrillic text in a single-byte encoding is runs of bytes >= 0xC0. In
    // windows-1251 lower-case letters (the majority) are 0xE0..=0xFF; in KOI8-R
    // they are 0xC0..=0xDF. Western text has isolated accented letters instead.
    let (mut upper_half, mut lower_half, mut high, mut paired) = (0usize, 0usize, 0usize, 0usize);
    let mut prev_high = false;
    for &b in body {
        let is_high = b >= 0x80;
        if is_high {
            high += 1;
            if prev_high {
                paired += 1;
            }
            if b >= 0xE0 {
                upper_half += 1;
            } else if b >= 0xC0 {
                lower_half += 1;
            }
        }
        prev_high = is_high;
    }
    if high == 0 {
        return WINDOWS_1252;
    }
    if paired * 2 < high {
        return WINDOWS_1252;
    }
    if lower_half > upper_half {
        KOI8_R
    } else {
        WINDOWS_1251
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_param_variants() {
        assert_eq!(
            charset_param("text/html; charset=\"KOI8-R\""),
            Some("KOI8-R")
        );
        assert_eq!(charset_param("text/html"), None);
    }

    #[test]
    fn meta_variants() {
        assert_eq!(
            meta_charset(b"<meta charset=windows-1251>"),
            Some(WINDOWS_1251)
        );
        assert_eq!(
            meta_charset(
                b"<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=koi8-r\">"
            ),
            Some(KOI8_R)
        );
        assert_eq!(meta_charset(b"<meta name=x content=y>"), None);
    }

    #[test]
    fn sniff_cyrillic() {
        let (b, _, _) = WINDOWS_1251.encode("Привет, как дела у вас сегодня?");
        assert_eq!(sniff(&b), WINDOWS_1251);
        let (b, _, _) = KOI8_R.encode("Привет, как дела у вас сегодня?");
        assert_eq!(sniff(&b), KOI8_R);
        let (b, _, _) = WINDOWS_1252.encode("Café déjà vu à Genève");
        assert_eq!(sniff(&b), WINDOWS_1252);
    }
}
