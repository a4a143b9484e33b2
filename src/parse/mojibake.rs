//! Repair of double-encoded UTF-8 ("Ã©" for "é", "Ð¿Ñ€Ð¸" for "при").
//!
//! In: text. Out: the same text with each double-encoded character put back.
//! Some CMSs take UTF-8 bytes for windows-1252 (or ISO-8859-1) and encode them
//! to UTF-8 again; every non-ASCII character then shows as two to four Latin
//! ones. The repair is local: a lead character U+00C2–U+00F4 followed by the
//! number of continuation characters its byte announces (characters whose
//! windows-1252 or Latin-1 byte is 0x80–0xBF), which together decode as one
//! valid UTF-8 character, is replaced by that character. Genuine Latin text
//! practically never has that shape for three or four characters ("â€™" for
//! "’"), but two-character pairs occur in correct text ("×" before a no-break
//! space, "ß’", "É®"): a pair is repaired only when it stands for a Latin,
//! Greek or Cyrillic letter (on 801 saved news pages, those three pairs were
//! the only false repairs, decoding to Hebrew, N'Ko and IPA letters),
//! or when it touches another repaired sequence (a double-encoded Hebrew or
//! Arabic word). Text that is correct is returned unchanged (borrowed).

use std::borrow::Cow;

/// windows-1252's characters at bytes 0x80–0x9F, where Latin-1 has C1
/// controls (both forms of double encoding occur).
const CP1252_HIGH: [(char, u8); 27] = [
    ('€', 0x80),
    ('‚', 0x82),
    ('ƒ', 0x83),
    ('„', 0x84),
    ('…', 0x85),
    ('†', 0x86),
    ('‡', 0x87),
    ('ˆ', 0x88),
    ('‰', 0x89),
    ('Š', 0x8A),
    ('‹', 0x8B),
    ('Œ', 0x8C),
    ('Ž', 0x8E),
    ('‘', 0x91),
    ('’', 0x92),
    ('“', 0x93),
    ('”', 0x94),
    ('•', 0x95),
    ('–', 0x96),
    ('—', 0x97),
    ('˜', 0x98),
    ('™', 0x99),
    ('š', 0x9A),
    ('›', 0x9B),
    ('œ', 0x9C),
    ('ž', 0x9E),
    ('Ÿ', 0x9F),
];

/// The byte `c` stands for in windows-1252 / Latin-1, if any.
fn byte_of(c: char) -> Option<u8> {
    let code = u32::from(c);
    if code < 0x100 {
        return u8::try_from(code).ok();
    }
    CP1252_HIGH.iter().find(|(ch, _)| *ch == c).map(|(_, b)| *b)
}

/// How many continuation bytes a UTF-8 lead byte announces (`None` if it
/// leads no multi-byte sequence; 0xC0, 0xC1 and 0xF5+ never occur).
fn continuation_count(lead: u8) -> Option<usize> {
    match lead {
        0xC2..=0xDF => Some(1),
        0xE0..=0xEF => Some(2),
        0xF0..=0xF4 => Some(3),
        _ => None,
    }
}

/// `text` with double-encoded UTF-8 characters repaired (see the module doc).
pub fn repair_double_utf8(text: &str) -> Cow<'_, str> {
    // Every double-encoded character starts with U+00C2..U+00F4, written
    // in UTF-8 as 0xC3 0x82..=0xB4: a byte search, not a char walk.
    let has_lead = text
        .as_bytes()
        .windows(2)
        .any(|w| w[0] == 0xC3 && (0x82..=0xB4).contains(&w[1]));
    if !has_lead {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    // Where the last repaired sequence ended, to accept a neighbouring pair.
    let mut last_end = usize::MAX;
    while i < chars.len() {
        let c = chars[i];
        if let Some((repaired, span)) = sequence_at(&chars[i..]) {
            let accepted = span > 2
                || is_plausible_pair(repaired)
                || last_end == i
                || sequence_at(&chars[i + span..]).is_some();
            if accepted {
                out.push(repaired);
                i += span;
                last_end = i;
                changed = true;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// A two-byte character that a lone double-encoded pair is trusted to be:
/// Latin-1 Supplement and Latin Extended-A/B, Greek, Cyrillic.
fn is_plausible_pair(c: char) -> bool {
    matches!(u32::from(c), 0xA0..=0x24F | 0x370..=0x52F)
}

/// The character a double-encoded sequence at the start of `chars` stands
/// for, and how many characters the sequence spans.
fn sequence_at(chars: &[char]) -> Option<(char, usize)> {
    let lead = byte_of(*chars.first()?).filter(|b| *b >= 0xC2)?;
    let count = continuation_count(lead)?;
    let mut bytes = vec![lead];
    for c in chars.get(1..=count)? {
        let b = byte_of(*c).filter(|b| (0x80..=0xBF).contains(b))?;
        bytes.push(b);
    }
    let decoded = std::str::from_utf8(&bytes).ok()?;
    let mut it = decoded.chars();
    let c = it.next()?;
    it.next().is_none().then_some((c, count + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes `s` to UTF-8, reads the bytes as windows-1252, as the CMSs do.
    fn double_encode(s: &str) -> String {
        encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(s.as_bytes())
            .0
            .into_owned()
    }

    #[test]
    fn repairs_latin_cyrillic_cjk_and_punctuation() {
        for text in [
            "Le café de l’été à Genève — déjà",
            "Президент провёл совещание",
            "新华社北京电",
            "Ελλάδα",
            "emoji 🎉 and “quotes”",
        ] {
            let broken = double_encode(text);
            assert_ne!(broken, text);
            assert_eq!(repair_double_utf8(&broken), text, "{broken}");
        }
        // Latin-1 flavour: C1 controls instead of windows-1252 punctuation.
        assert_eq!(
            repair_double_utf8("l\u{c3}\u{a9}t\u{c3}\u{a9}"),
            "l\u{e9}t\u{e9}"
        );
    }

    #[test]
    fn correct_text_is_left_alone() {
        for text in [
            "Le café de l’été à Genève",
            "São Paulo, Zürich, Øresund, Ærø, Ñandú",
            "À «bientôt» — ½ € ©",
            "Rosa\u{a0}×\u{a0}medioccidentis, ‘ß’ masks, NESCAFÉ® Classic",
            "Президент",
            "plain ASCII",
        ] {
            assert!(
                matches!(repair_double_utf8(text), Cow::Borrowed(_)),
                "{text}"
            );
        }
    }
}
