//! Cheap pre-parse pass: empty the elements extraction never reads, so the
//! HTML parser does not have to tokenise them.
//!
//! In: a page's HTML. Out: the same HTML with the bodies of `<script>` (except
//! JSON-LD, which metadata reads), `<style>` and inline `<svg>` elements cut
//! out, start and end tags kept, so the parsed tree has the same elements in
//! the same places, only without their (never used) contents. News pages are
//! often half script and style by size. The scan skips comments and honours
//! quoted attribute values; anything it cannot make sense of (an unclosed tag
//! or element) is left as it is, so the worst case is the original page.

use std::borrow::Cow;

/// Elements whose contents are cut.
const INERT: [&[u8]; 3] = [b"script", b"style", b"svg"];

/// `html` with the bodies of scripts (not JSON-LD), styles and SVGs removed.
pub(crate) fn strip_inert(html: &str) -> Cow<'_, str> {
    let b = html.as_bytes();
    let mut out = String::new();
    // Bytes of `html` before this index are already in `out` (or cut).
    let mut copied = 0;
    let mut i = 0;
    while let Some(p) = find_byte(html, i, b'<') {
        if b[p..].starts_with(b"<!--") {
            match html.get(p + 4..).and_then(|r| r.find("-->")) {
                Some(e) => {
                    i = p + 4 + e + 3;
                    continue;
                }
                None => break,
            }
        }
        let Some((name, name_end)) = inert_name(b, p + 1) else {
            i = p + 1;
            continue;
        };
        let Some(tag_end) = tag_end(html, name_end) else {
            break;
        };
        // `<svg/>` and `<svg ... />` have no body.
        if b[tag_end - 2] == b'/' && name == b"svg" {
            i = tag_end;
            continue;
        }
        let Some(close) = closing(html, tag_end, name) else {
            break;
        };
        let keep = name == b"script" && contains_ci(&b[p..tag_end], b"ld+json");
        if !keep && close > tag_end {
            // Both cut points sit next to ASCII `<`/`>`, so they are char boundaries.
            out.push_str(&html[copied..tag_end]);
            copied = close;
        }
        i = close + 2;
    }
    if copied == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

/// If an inert element's name starts at `at` (followed by a space, `/` or
/// `>`), that name and the index just past it.
fn inert_name(b: &[u8], at: usize) -> Option<(&'static [u8], usize)> {
    INERT.iter().find_map(|&n| {
        let end = at + n.len();
        (b.len() > end
            && b[at..end].eq_ignore_ascii_case(n)
            && matches!(b[end], b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>'))
        .then_some((n, end))
    })
}

/// Index just past the `>` that closes a start tag whose attributes begin at
/// `from`; quoted attribute values may hold `>`.
fn tag_end(h: &str, from: usize) -> Option<usize> {
    let b = h.as_bytes();
    let mut i = from;
    let mut after_eq = false;
    while i < b.len() {
        match b[i] {
            b'>' => return Some(i + 1),
            q @ (b'"' | b'\'') if after_eq => {
                i = find_byte(h, i + 1, q)? + 1;
                after_eq = false;
                continue;
            }
            b'=' => after_eq = true,
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => {}
            _ => after_eq = false,
        }
        i += 1;
    }
    None
}

/// Index of the `</name` that ends the element whose body starts at `from`
/// (nested `<svg>`s counted), or None when it is never closed.
fn closing(h: &str, from: usize, name: &[u8]) -> Option<usize> {
    let b = h.as_bytes();
    let mut depth = 0usize;
    let mut i = from;
    while let Some(p) = find_byte(h, i, b'<') {
        let end = p + 2 + name.len();
        if b.len() > end
            && b[p + 1] == b'/'
            && b[p + 2..end].eq_ignore_ascii_case(name)
            && matches!(b[end], b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>')
        {
            if depth == 0 {
                return Some(p);
            }
            depth -= 1;
        } else if name == b"svg" && inert_name(b, p + 1).is_some_and(|(n, _)| n == b"svg") {
            depth += 1;
        }
        i = p + 1;
    }
    None
}

/// First `c` at or after `from`, eight bytes at a time (a word holding `c`
/// has a zero byte after XOR with `c` repeated, which the classic bit trick
/// detects without false positives when there is none). `c` is ASCII, so the
/// index found is a char boundary.
fn find_byte(h: &str, from: usize, c: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let hay = h.as_bytes().get(from..)?;
    let rep = LO * u64::from(c);
    let mut chunks = hay.chunks_exact(8);
    let mut i = 0;
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let x = u64::from_le_bytes(w) ^ rep;
        if x.wrapping_sub(LO) & !x & HI != 0 {
            break;
        }
        i += 8;
    }
    hay[i..].iter().position(|&x| x == c).map(|p| p + i + from)
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::strip_inert;

    #[test]
    fn cuts_script_style_svg_bodies_keeps_json_ld() {
        let html = "<head><style>p{color:red}</style>\
            <script type=\"application/ld+json\">{\"a\":1}</script>\
            <SCRIPT src=\"x.js\" data-x=\"a>b\">var s = '<p>no</p>';</SCRIPT ></head>\
            <body><p>One<svg viewBox=\"0 0 1 1\"><svg><path d=\"M0\"/></svg><title>Icon</title></svg>two</p>\
            <svg/><p>three</p></body>";
        assert_eq!(
            strip_inert(html),
            "<head><style></style>\
            <script type=\"application/ld+json\">{\"a\":1}</script>\
            <SCRIPT src=\"x.js\" data-x=\"a>b\"></SCRIPT ></head>\
            <body><p>One<svg viewBox=\"0 0 1 1\"></svg>two</p>\
            <svg/><p>three</p></body>"
        );
    }

    #[test]
    fn find_byte_in_every_position() {
        let s = "abcdefghijklmnopqrstuvwxyz<0123456789<";
        for from in 0..s.len() + 2 {
            let want = s.get(from..).and_then(|r| r.find('<')).map(|p| p + from);
            assert_eq!(super::find_byte(s, from, b'<'), want, "from {from}");
        }
        assert_eq!(
            super::find_byte("\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}<", 0, b'<'),
            Some(10)
        );
    }

    #[test]
    fn leaves_comments_text_and_unclosed_elements() {
        let html = "<!-- <script>not a tag</script> --><p>scripts &lt;script&gt; are fun</p>\
            <p>a <scripted> word</p><script>never closed";
        assert_eq!(strip_inert(html), html);
        assert_eq!(strip_inert("<style>"), "<style>");
        assert_eq!(strip_inert("<svg"), "<svg");
    }
}
