//! Guessing an encoding from the bytes, and the UTF-8 tests the decoder's
//! exceptions rest on.
//!
//! In: body bytes. Out: an encoding, or a yes/no on UTF-8.

use encoding_rs::{Encoding, KOI8_R, UTF_8, WINDOWS_1251, WINDOWS_1252};

/// True when `body` is valid UTF-8, holds at least one multi-byte sequence,
/// and is whole apart from a sequence cut off at the very end (a truncated
/// download). This is the evidence that beats a legacy label.
pub fn is_multibyte_utf8(body: &[u8]) -> bool {
    // The common case, checked at SIMD speed before walking chunks.
    if let Ok(text) = std::str::from_utf8(body) {
        return !text.is_ascii();
    }
    let mut multibyte = false;
    let mut chunks = body.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        multibyte |= !chunk.valid().is_ascii();
        let invalid = chunk.invalid();
        let tolerated = invalid.is_empty() || (chunks.peek().is_none() && is_cut_off(invalid));
        if !tolerated {
            return false;
        }
    }
    multibyte
}

/// A multi-byte sequence cut off by the end of the body: at most 3 bytes,
/// all of them ≥ 0x80.
fn is_cut_off(invalid: &[u8]) -> bool {
    invalid.len() < 4 && invalid.iter().all(|b| *b >= 0x80)
}

/// True when `body` is UTF-8 apart from a few damaged bytes: a sequence cut
/// off at the very end, or invalid bytes outnumbered four to one by
/// well-formed multi-byte characters. Legacy single-byte text almost never
/// forms well-formed multi-byte UTF-8 sequences by accident.
pub fn looks_like_utf8(body: &[u8]) -> bool {
    if std::str::from_utf8(body).is_ok() {
        return true;
    }
    let mut multibyte = 0usize;
    let mut invalid = 0usize;
    let mut chunks = body.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        let at_end = chunks.peek().is_none();
        if !(at_end && is_cut_off(chunk.invalid())) {
            invalid += chunk.invalid().len();
        }
    }
    invalid == 0 || multibyte >= 4 * invalid
}

/// Guesses the encoding of a body that declares none.
///
/// (Nearly) valid UTF-8 is UTF-8 (see [`looks_like_utf8`]). Otherwise, if the
/// high bytes mostly come in runs (words of a non-Latin script) it is taken as
/// Cyrillic: in windows-1251 the lower-case letters а–я are 0xE0–0xFF and the
/// capitals 0xC0–0xDF, in KOI8-R it is the other way round, and running text
/// is mostly lower case. Isolated high bytes between ASCII letters (é in
/// "café") point to windows-1252.
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
    fn damaged_utf8_is_still_utf8() {
        let text = RUSSIAN.as_bytes();
        assert!(looks_like_utf8(&text[..text.len() - 1]));
        assert!(is_multibyte_utf8(&text[..text.len() - 1]));
        let mut stray = text.to_vec();
        stray.insert(10, 0xFF);
        assert_eq!(sniff(&stray), UTF_8);
        // One stray byte is enough to doubt a label-beating claim.
        assert!(!is_multibyte_utf8(&stray));
        assert!(!looks_like_utf8(&WINDOWS_1251.encode(RUSSIAN).0));
        assert!(!is_multibyte_utf8(b"plain ASCII"));
    }
}
