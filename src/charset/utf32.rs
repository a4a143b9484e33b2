//! UTF-32 to UTF-8, which encoding_rs does not do (the WHATWG standard left
//! UTF-32 out, but XML allows it and feedparser's suite has such feeds).
//!
//! In: the bytes after any BOM and the byte order. Out: text; a unit that is
//! no Unicode scalar value, and a trailing partial unit, become U+FFFD.

/// Decodes UTF-32 `bytes`, big-endian when `big_endian`.
pub fn decode(bytes: &[u8], big_endian: bool) -> String {
    let mut out = String::with_capacity(bytes.len() / 4);
    let mut units = bytes.chunks_exact(4);
    for unit in &mut units {
        let array = [unit[0], unit[1], unit[2], unit[3]];
        let value = if big_endian {
            u32::from_be_bytes(array)
        } else {
            u32::from_le_bytes(array)
        };
        out.push(char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    if !units.remainder().is_empty() {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_byte_orders_and_damage() {
        assert_eq!(decode(&[b'<', 0, 0, 0, 0x16, 0x04, 0, 0], false), "<Ж");
        assert_eq!(decode(&[0, 0, 0, b'<', 0, 0, 0x04, 0x16], true), "<Ж");
        assert_eq!(decode(&[0, 0, 0xD8, 0, 1], true), "\u{FFFD}\u{FFFD}");
    }
}
