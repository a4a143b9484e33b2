//! A cheap, linear pre-pass that bounds HTML before the HTML parser sees it.
//!
//! In: untrusted HTML of any size and shape. Out: the same text, at most
//! [`MAX_HTML_BYTES`] long, in which no more than [`MAX_DEPTH`] elements are
//! ever open at once; start tags past that depth are dropped (their text and
//! everything else kept), which is how browsers flatten absurdly deep
//! documents too (Blink stops nesting at 512).
//!
//! Why: html5ever's tree builder looks through the stack of open elements for
//! most tags, so its time grows with depth × tags. An entry of 60,000 unclosed
//! `<div>` (300 KB) took minutes and held a thread that long (issue 15).
//!
//! The pass keeps its own model of the parser's stack of open elements. The
//! model may believe more elements are open than the parser would (then it
//! flattens a little early: never worse than losing some tags of a page that
//! is hundreds of levels deep), but never fewer: it pops an element only
//! where the HTML standard's tree builder surely pops it too (a matching end
//! tag not blocked by a scope boundary, `<p>` closed by a block, `<li>` by the
//! next `<li>`, ...), and it looks at most [`LOOKBACK`] elements down, so the
//! pass stays linear.

use std::borrow::Cow;

use super::tags::{BREAKOUT, CLOSES_P, FORMATTING, INTEGRATION, RAW_TEXT, SCOPE, SPECIAL, VOID};

/// Largest HTML fragment kept (bytes); longer input is cut at a tag boundary.
/// Feed content is an article at most: the longest in the test corpora is
/// under 200 KB.
pub const MAX_HTML_BYTES: usize = 512 * 1024;

/// Most elements open at once; start tags beyond are dropped.
pub const MAX_DEPTH: usize = 512;

/// How far down the stack an end tag or an implied close may look.
const LOOKBACK: usize = 16;

/// `html` cut to [`MAX_HTML_BYTES`] and flattened past [`MAX_DEPTH`] (see
/// the module docs); borrowed when nothing had to change.
pub fn bound_markup(html: &str) -> Cow<'_, str> {
    match cut_at(html, MAX_HTML_BYTES) {
        Cow::Borrowed(whole) => bound_nesting(whole),
        Cow::Owned(cut) => Cow::Owned(bound_nesting(&cut).into_owned()),
    }
}

/// `html` flattened past [`MAX_DEPTH`] open elements, whatever its size (for
/// whole pages, whose size the fetch already bounds); borrowed when nothing
/// had to change.
pub fn bound_nesting(cut: &str) -> Cow<'_, str> {
    let mut model = Model::default();
    let b = cut.as_bytes();
    // Bytes of `cut` before `copied` are in `out` already (or dropped).
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(off) = memchr(b'<', &b[i..]) {
        let p = i + off;
        if b[p..].starts_with(b"<!--") {
            match comment_end(b, p + 4) {
                Some(e) => {
                    i = e;
                    continue;
                }
                None => break,
            }
        }
        let closing = b.get(p + 1) == Some(&b'/');
        let name_at = p + 1 + usize::from(closing);
        if !b.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
            // `<` that starts no tag (`a < b`, `<!DOCTYPE`, `<?xml`): text.
            i = p + 1;
            continue;
        }
        let name_end = name_at
            + b[name_at..]
                .iter()
                .position(|c| c.is_ascii_whitespace() || matches!(c, b'/' | b'>'))
                .unwrap_or(b.len() - name_at);
        let Some(tag_end) = tag_end(b, name_end) else {
            // An unterminated tag runs to the end: the parser drops it.
            break;
        };
        let name = b[name_at..name_end].to_ascii_lowercase();
        if closing {
            model.end(&name);
            i = tag_end;
            continue;
        }
        let self_closing = b[tag_end - 2] == b'/';
        if !model.in_foreign()
            && let Some(close) = raw_text_end(b, &name, tag_end)
        {
            // Script, style, textarea...: no tags inside, nothing opens.
            i = close;
            continue;
        }
        if !model.start(name, self_closing) {
            let o = out.get_or_insert_with(|| String::with_capacity(cut.len()));
            // Both ends sit on ASCII `<` and `>`: char boundaries.
            o.push_str(&cut[copied..p]);
            copied = tag_end;
        }
        i = tag_end;
    }
    match out {
        Some(mut o) => {
            o.push_str(&cut[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(cut),
    }
}

/// `html` cut to at most `max` bytes, before the last `<` so no tag is cut
/// in half, on a char boundary.
fn cut_at(html: &str, max: usize) -> Cow<'_, str> {
    if html.len() <= max {
        return Cow::Borrowed(html);
    }
    let mut end = max;
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let head = &html[..end];
    let end = head.rfind('<').unwrap_or(end);
    Cow::Owned(html[..end].to_string())
}

/// The parser's stack of open elements as far as this pass can tell.
#[derive(Default)]
struct Model {
    /// Open elements, outermost first: name and whether inside SVG/MathML.
    open: Vec<(Vec<u8>, bool)>,
}

impl Model {
    /// Whether the current node is SVG or MathML (not an integration point).
    fn in_foreign(&self) -> bool {
        self.open.last().is_some_and(|(_, f)| *f)
    }

    /// A start tag: `false` when it must be dropped (too deep).
    fn start(&mut self, name: Vec<u8>, self_closing: bool) -> bool {
        // In SVG and MathML `/>` closes the element, except for the HTML
        // elements that break out of foreign content; elsewhere the slash
        // means nothing (`<div/>` opens a div).
        let foreign = self.in_foreign() && !BREAKOUT.contains(&name.as_slice());
        if VOID.contains(&name.as_slice()) && !foreign {
            return true;
        }
        let opens_foreign = name == b"svg" || name == b"math";
        if (foreign || opens_foreign) && self_closing {
            return true;
        }
        if !foreign {
            self.implied_closes(&name);
        }
        if self.open.len() >= super::MAX_DEPTH {
            return false;
        }
        // The children of an integration point are HTML again.
        let child_foreign =
            (foreign && !INTEGRATION.contains(&name.as_slice())) || (!foreign && opens_foreign);
        self.open.push((name, child_foreign));
        true
    }

    /// What the standard's "in body" insertion mode closes when `name` starts.
    fn implied_closes(&mut self, name: &[u8]) {
        if CLOSES_P.contains(&name) {
            self.close_down_to(|n| n == b"p", |n| n == b"button");
        }
        let same: &[&[u8]] = match name {
            b"li" => &[b"li"],
            b"dd" | b"dt" => &[b"dd", b"dt"],
            b"option" => &[b"option"],
            b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" => {
                // Only when a heading is the current node.
                if self.open.last().is_some_and(|(n, _)| is_heading(n)) {
                    self.open.pop();
                }
                return;
            }
            _ => return,
        };
        self.close_down_to(
            |n| same.contains(&n),
            |n| n == b"ul" || n == b"ol" || n == b"dl",
        );
    }

    /// An end tag: pops down to the matching element when the parser surely would.
    fn end(&mut self, name: &[u8]) {
        if FORMATTING.contains(&name) {
            // The adoption agency may move or keep these elsewhere in the
            // stack: only the plain case, closing the current node, is sure.
            if self.open.last().is_some_and(|(n, _)| n == name) {
                self.open.pop();
            }
            return;
        }
        let special = SPECIAL.contains(&name);
        self.close_down_to(
            |n| n == name,
            |n| {
                (!special && SPECIAL.contains(&n))
                    || (name == b"p" && n == b"button")
                    || (name == b"li" && (n == b"ul" || n == b"ol"))
            },
        );
    }

    /// Within [`LOOKBACK`] of the top, finds the nearest element `target`
    /// accepts with nothing `blocks` or a scope boundary above it, and pops
    /// it and everything above.
    fn close_down_to(&mut self, target: impl Fn(&[u8]) -> bool, blocks: impl Fn(&[u8]) -> bool) {
        let len = self.open.len();
        for depth in (len.saturating_sub(LOOKBACK)..len).rev() {
            let n = self.open[depth].0.as_slice();
            if target(n) {
                self.open.truncate(depth);
                return;
            }
            if blocks(n) || SCOPE.contains(&n) || self.open[depth].1 {
                return;
            }
        }
    }
}

fn is_heading(n: &[u8]) -> bool {
    n.len() == 2 && n[0] == b'h' && (b'1'..=b'6').contains(&n[1])
}

/// The end of the tag whose name ends at `from`: the index after its `>`.
/// A quote opens an attribute value only right after `=` (and spaces), as
/// in the tokenizer; a `>` inside a quoted value does not end the tag.
fn tag_end(b: &[u8], from: usize) -> Option<usize> {
    enum State {
        Tag,
        AfterEquals,
        Quoted(u8),
    }
    let mut state = State::Tag;
    for (k, &c) in b.iter().enumerate().skip(from) {
        state = match (state, c) {
            (State::Tag | State::AfterEquals, b'>') => return Some(k + 1),
            (State::Tag, b'=') => State::AfterEquals,
            (State::Tag, _) => State::Tag,
            (State::AfterEquals, b'"' | b'\'') => State::Quoted(c),
            (State::AfterEquals, c) if c.is_ascii_whitespace() => State::AfterEquals,
            (State::AfterEquals, _) => State::Tag,
            (State::Quoted(q), c) if c == q => State::Tag,
            (s @ State::Quoted(_), _) => s,
        };
    }
    None
}

/// The index after the comment whose text starts at `from` (after `<!--`):
/// `<!-->`, `<!--->`, `-->` and `--!>` all end one.
fn comment_end(b: &[u8], from: usize) -> Option<usize> {
    let rest = b.get(from..)?;
    if rest.starts_with(b">") {
        return Some(from + 1);
    }
    if rest.starts_with(b"->") {
        return Some(from + 2);
    }
    // One pass: the first `--` followed by `>` or `!>`.
    let mut k = from;
    while let Some(at) = find(b, k, b"--") {
        match b.get(at + 2) {
            Some(b'>') => return Some(at + 3),
            Some(b'!') if b.get(at + 3) == Some(&b'>') => return Some(at + 4),
            _ => k = at + 1,
        }
    }
    None
}

/// For a raw-text element starting at `tag_end`, the index after its end tag
/// (or the end of input); None for other elements.
fn raw_text_end(b: &[u8], name: &[u8], tag_end: usize) -> Option<usize> {
    if !RAW_TEXT.contains(&name) {
        return None;
    }
    let mut k = tag_end;
    while let Some(off) = find(b, k, b"</") {
        let after = off + 2;
        if b.len() >= after + name.len() && b[after..after + name.len()].eq_ignore_ascii_case(name)
        {
            return Some(self::tag_end(b, after + name.len()).unwrap_or(b.len()));
        }
        k = after;
    }
    Some(b.len())
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

/// The index of `pat` in `b` at or after `from`.
fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    let (&first, rest) = pat.split_first()?;
    let mut k = from;
    while let Some(off) = memchr(first, b.get(k..)?) {
        let at = k + off;
        if b[at + 1..].starts_with(rest) {
            return Some(at);
        }
        k = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The deepest nesting a real HTML parser builds from `html`.
    fn parsed_depth(html: &str) -> usize {
        let doc = scraper::Html::parse_fragment(html);
        doc.tree
            .nodes()
            .map(|n| n.ancestors().count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn sixty_thousand_unclosed_divs_are_flattened_and_their_text_kept() {
        let html = format!("{}deep text", "<div>".repeat(60_000));
        let bounded = bound_markup(&html);
        assert!(bounded.contains("deep text"));
        assert_eq!(bounded.matches("<div>").count(), MAX_DEPTH);
        assert!(parsed_depth(&bounded) <= MAX_DEPTH + 4);
    }

    #[test]
    fn misnested_end_tags_cannot_reopen_room_below_the_cap() {
        // `</span>` cannot close past a `<div>`: the parser ignores it, and so
        // must the model, or each round would add two real levels unseen.
        let html = "<span><div></span>".repeat(20_000);
        let bounded = bound_markup(&html);
        assert!(
            parsed_depth(&bounded) <= MAX_DEPTH + 4,
            "{}",
            parsed_depth(&bounded)
        );
        // Stray end tags of elements never opened do not either.
        let html = format!("{}{}", "<b>".repeat(400), "</i><div>".repeat(2_000));
        assert!(parsed_depth(&bound_markup(&html)) <= MAX_DEPTH + 4);
        // `<div/>` is not self-closing in HTML: it opens a div, also after
        // it broke out of SVG, and inside an SVG integration point.
        for html in [
            "<div/>".repeat(5_000),
            format!("<svg>{}", "<div/>".repeat(5_000)),
            format!("<svg><div>{}", "<path/>".repeat(5_000)),
            format!("<svg><foreignObject>{}", "<path/>".repeat(5_000)),
            format!("<svg><title>{}", "<div>".repeat(5_000)),
            format!("<!-->{}", "<div>".repeat(5_000)),
            format!("<!-- a --!>{}", "<div>".repeat(5_000)),
            format!("<a title=x \"y>{}", "<div>".repeat(5_000)),
            "<b><div></b></div><span></b>".repeat(5_000),
        ] {
            let depth = parsed_depth(&bound_markup(&html));
            assert!(depth <= MAX_DEPTH + 4, "{depth}: {}", &html[..40]);
        }
    }

    #[test]
    fn ordinary_and_sloppy_markup_pass_unchanged() {
        let ok = [
            "<p>one<p>two<ul><li>a<li>b</ul><div><b>bold</div>",
            "<table><tr><td>1<td>2</table><p>a &lt; b, x<y</p>",
            "<svg><path d='M0 0'/><path/></svg><dl><dt>t<dd>d</dl>",
            "<script>if (a<b) { '<div>' }</script><div>x</div><!-- <div> -->",
        ];
        for html in ok {
            assert!(matches!(bound_markup(html), Cow::Borrowed(_)), "{html}");
        }
        // Thousands of sibling paragraphs and list items, never closed, are
        // not deep: nothing is dropped.
        let html = "<p><font>text".repeat(3_000) + &"<li>item".repeat(3_000);
        assert!(matches!(bound_markup(&html), Cow::Borrowed(_)));
    }

    #[test]
    fn long_input_is_cut_at_a_tag_boundary() {
        let html = "<p>ÿ word</p>".repeat(100_000);
        let bounded = bound_markup(&html);
        assert!(bounded.len() <= MAX_HTML_BYTES);
        assert!(
            bounded.ends_with("</p>"),
            "{}",
            &bounded[bounded.len() - 20..]
        );
        // Whole pages are flattened, never cut.
        assert!(matches!(bound_nesting(&html), Cow::Borrowed(_)));
    }
}
