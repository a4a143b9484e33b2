//! Document-level repairs applied to a decoded feed before feed-rs sees it.
//!
//! In: the document as UTF-8 text. Out: the same document without the quirks
//! feed-rs trips on: leading junk before the XML (PHP warnings, stray
//! whitespace, a BOM decoded as U+FEFF), the XML declaration's `encoding` (the
//! text is UTF-8 by now), a bare `<rss>` with no or an unknown `version`, Atom
//! 0.3 (old namespace and element names), and a document truncated mid-entry
//! (cut after the last complete entry, what was open closed).

use std::borrow::Cow;

use super::scan::{
    attribute, first_element, local_name, open_elements, remove_attribute, rename_element,
    start_tag_len,
};

/// The Atom 0.3 namespace (<http://purl.org/atom/ns#>), which feed-rs does not know.
const ATOM03_NS: &str = "http://purl.org/atom/ns#";
/// The Atom 1.0 namespace (RFC 4287).
const ATOM10_NS: &str = "http://www.w3.org/2005/Atom";

/// Removes anything before the document proper: whitespace, a decoded BOM,
/// and junk text or markup printed ahead of `<?xml` (a server-side warning).
pub fn strip_leading_junk(text: &str) -> &str {
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.starts_with("<?xml") || trimmed.starts_with('{') {
        return trimmed;
    }
    // `<?xml` further in: everything before it is junk (a declaration is only
    // legal at the very start).
    let head_end = floor_char_boundary(trimmed, 8192);
    if let Some(at) = trimmed[..head_end].find("<?xml") {
        // Only junk may precede it: not when a feed's root element comes
        // first (a `<?xml` quoted inside an entry's CDATA).
        let before = &trimmed[..at];
        if !["<rss", "<feed", "<rdf", "<RDF"]
            .iter()
            .any(|root| before.contains(root))
        {
            return &trimmed[at..];
        }
    }
    if trimmed.starts_with('<') {
        return trimmed;
    }
    // Text before the first tag, e.g. "Warning: ..." then `<rss>`.
    match trimmed.find('<') {
        Some(at) => &trimmed[at..],
        None => trimmed,
    }
}

fn floor_char_boundary(s: &str, index: usize) -> usize {
    if index >= s.len() {
        return s.len();
    }
    (0..=index)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

/// Rewrites the XML declaration (if any) to say UTF-8: the text has been
/// decoded already and quick-xml would otherwise decode it a second time.
pub fn declare_utf8(text: &str) -> Cow<'_, str> {
    if !text.starts_with("<?xml") {
        return Cow::Borrowed(text);
    }
    match text.find("?>") {
        Some(end) => {
            let mut out = String::with_capacity(text.len());
            out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
            out.push_str(&text[end + 2..]);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(text),
    }
}

/// Gives a root `<rss>` a version feed-rs dispatches on: none, empty or an
/// unknown one (`0.93`, `0.94`, `2.01`) becomes `2.0`; `0.91`/`0.92` stay.
pub fn fix_rss_version(text: &str) -> Cow<'_, str> {
    let Some((start, name)) = first_element(text) else {
        return Cow::Borrowed(text);
    };
    if !name.eq_ignore_ascii_case("rss") {
        return Cow::Borrowed(text);
    }
    let Some(tag_len) = start_tag_len(&text[start..]) else {
        return Cow::Borrowed(text);
    };
    let tag = &text[start..start + tag_len];
    let version = attribute(tag, "version");
    if matches!(version.as_deref(), Some("2.0" | "0.91" | "0.92")) && name == "rss" {
        return Cow::Borrowed(text);
    }
    let mut rebuilt = String::from("<rss version=\"2.0\"");
    let attrs_start = 1 + name.len();
    let attrs = &tag[attrs_start..tag.len() - 1];
    rebuilt.push_str(&remove_attribute(attrs, "version"));
    rebuilt.push('>');
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..start]);
    out.push_str(&rebuilt);
    out.push_str(&text[start + tag_len..]);
    // A lower-case-insensitive `<RSS>` root needs a matching end tag.
    if name != "rss" {
        out = out.replace(&format!("</{name}>"), "</rss>");
    }
    Cow::Owned(out)
}

/// True when the document is Atom 0.3 (old namespace or `version="0.3"` on `<feed>`).
pub fn is_atom03(text: &str) -> bool {
    let Some((start, name)) = first_element(text) else {
        return false;
    };
    if local_name(name) != "feed" {
        return false;
    }
    let tag = start_tag_len(&text[start..]).map_or("", |len| &text[start..start + len]);
    tag.contains(ATOM03_NS) || attribute(tag, "version").as_deref() == Some("0.3")
}

/// Rewrites Atom 0.3 into the Atom 1.0 feed-rs reads: the namespace, and the
/// renamed elements (`issued` → `published`, `modified` → `updated`,
/// `tagline` → `subtitle`). `created` is dropped in favour of `issued`.
pub fn atom03_to_atom10(text: &str) -> String {
    let mut out = if text.contains(ATOM03_NS) {
        text.replace(ATOM03_NS, ATOM10_NS)
    } else {
        // `version="0.3"` with no namespace: feed-rs defaults to Atom 1.0.
        text.to_string()
    };
    for (old, new) in [
        ("issued", "published"),
        ("modified", "updated"),
        ("tagline", "subtitle"),
    ] {
        out = rename_element(&out, old, new);
    }
    out
}

/// Repairs a document truncated mid-entry: cuts it after the last complete
/// `</item>` or `</entry>` and closes the elements still open there. `None`
/// when there is no complete entry or nothing needs closing.
pub fn close_truncated(text: &str) -> Option<String> {
    let cut = ["</item>", "</entry>"]
        .iter()
        .filter_map(|end| text.rfind(end).map(|at| at + end.len()))
        .max()?;
    let prefix = &text[..cut];
    let open = open_elements(prefix)?;
    if open.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(cut + 64);
    out.push_str(prefix);
    for name in open.iter().rev() {
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_junk_before_declaration() {
        let doc = "\n\n<br />\n<b>Warning</b>: headers sent\n<?xml version=\"1.0\"?><rss/>";
        assert!(strip_leading_junk(doc).starts_with("<?xml"));
        assert_eq!(strip_leading_junk("  \u{feff}<rss/>"), "<rss/>");
        assert_eq!(strip_leading_junk("garbage<rss/>"), "<rss/>");
        let quoted = "<rss><channel><item><description><![CDATA[<?xml version=\"1.0\"?>]]></description></item></channel></rss>";
        assert_eq!(strip_leading_junk(quoted), quoted);
    }

    #[test]
    fn declaration_rewritten_to_utf8() {
        let doc = "<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n<rss/>";
        assert_eq!(
            declare_utf8(doc),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss/>"
        );
    }

    #[test]
    fn bare_and_odd_rss_versions() {
        assert_eq!(
            fix_rss_version("<rss><channel/></rss>"),
            "<rss version=\"2.0\"><channel/></rss>"
        );
        let odd = "<rss xmlns:dc=\"d\" version='0.94'><channel/></rss>";
        assert_eq!(
            fix_rss_version(odd),
            "<rss version=\"2.0\" xmlns:dc=\"d\" ><channel/></rss>"
        );
        let fine = "<rss version=\"0.91\"><channel/></rss>";
        assert!(matches!(fix_rss_version(fine), Cow::Borrowed(_)));
    }

    #[test]
    fn atom03_rewrite() {
        let doc = "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><tagline>t</tagline><entry><issued>2024-01-01T00:00:00Z</issued><modified>x</modified></entry></feed>";
        assert!(is_atom03(doc));
        let out = atom03_to_atom10(doc);
        assert!(out.contains(ATOM10_NS));
        assert!(out.contains("<published>2024-01-01T00:00:00Z</published>"));
        assert!(out.contains("<updated>x</updated>"));
        assert!(out.contains("<subtitle>t</subtitle>"));
        assert!(!is_atom03("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
    }

    #[test]
    fn truncated_document_closed_after_last_entry() {
        let doc = "<rss version=\"2.0\"><channel><title>a > b</title><item><title>1</title></item><item><title>2</ti";
        assert_eq!(
            close_truncated(doc).as_deref(),
            Some(
                "<rss version=\"2.0\"><channel><title>a > b</title><item><title>1</title></item></channel></rss>"
            )
        );
        let rdf = "<rdf:RDF><channel></channel><item><![CDATA[<x>]]></item><item>";
        assert_eq!(
            close_truncated(rdf).as_deref(),
            Some("<rdf:RDF><channel></channel><item><![CDATA[<x>]]></item></rdf:RDF>")
        );
        assert_eq!(close_truncated("<rss><channel><item>"), None);
    }
}

/// The HTML 4 named entities (HTML 4.01 §24: Latin-1, symbols and special
/// characters) with their code points. Feeds use them in XML, where only the
/// five XML ones are defined: `&nbsp;` in a title, `&eacute;` in an RSS 0.91
/// feed that declared Netscape's DTD.
const HTML_ENTITIES: &[(&str, u32)] = &[
    ("nbsp", 0xA0),
    ("iexcl", 0xA1),
    ("cent", 0xA2),
    ("pound", 0xA3),
    ("curren", 0xA4),
    ("yen", 0xA5),
    ("brvbar", 0xA6),
    ("sect", 0xA7),
    ("uml", 0xA8),
    ("copy", 0xA9),
    ("ordf", 0xAA),
    ("laquo", 0xAB),
    ("not", 0xAC),
    ("shy", 0xAD),
    ("reg", 0xAE),
    ("macr", 0xAF),
    ("deg", 0xB0),
    ("plusmn", 0xB1),
    ("sup2", 0xB2),
    ("sup3", 0xB3),
    ("acute", 0xB4),
    ("micro", 0xB5),
    ("para", 0xB6),
    ("middot", 0xB7),
    ("cedil", 0xB8),
    ("sup1", 0xB9),
    ("ordm", 0xBA),
    ("raquo", 0xBB),
    ("frac14", 0xBC),
    ("frac12", 0xBD),
    ("frac34", 0xBE),
    ("iquest", 0xBF),
    ("Agrave", 0xC0),
    ("Aacute", 0xC1),
    ("Acirc", 0xC2),
    ("Atilde", 0xC3),
    ("Auml", 0xC4),
    ("Aring", 0xC5),
    ("AElig", 0xC6),
    ("Ccedil", 0xC7),
    ("Egrave", 0xC8),
    ("Eacute", 0xC9),
    ("Ecirc", 0xCA),
    ("Euml", 0xCB),
    ("Igrave", 0xCC),
    ("Iacute", 0xCD),
    ("Icirc", 0xCE),
    ("Iuml", 0xCF),
    ("ETH", 0xD0),
    ("Ntilde", 0xD1),
    ("Ograve", 0xD2),
    ("Oacute", 0xD3),
    ("Ocirc", 0xD4),
    ("Otilde", 0xD5),
    ("Ouml", 0xD6),
    ("times", 0xD7),
    ("Oslash", 0xD8),
    ("Ugrave", 0xD9),
    ("Uacute", 0xDA),
    ("Ucirc", 0xDB),
    ("Uuml", 0xDC),
    ("Yacute", 0xDD),
    ("THORN", 0xDE),
    ("szlig", 0xDF),
    ("agrave", 0xE0),
    ("aacute", 0xE1),
    ("acirc", 0xE2),
    ("atilde", 0xE3),
    ("auml", 0xE4),
    ("aring", 0xE5),
    ("aelig", 0xE6),
    ("ccedil", 0xE7),
    ("egrave", 0xE8),
    ("eacute", 0xE9),
    ("ecirc", 0xEA),
    ("euml", 0xEB),
    ("igrave", 0xEC),
    ("iacute", 0xED),
    ("icirc", 0xEE),
    ("iuml", 0xEF),
    ("eth", 0xF0),
    ("ntilde", 0xF1),
    ("ograve", 0xF2),
    ("oacute", 0xF3),
    ("ocirc", 0xF4),
    ("otilde", 0xF5),
    ("ouml", 0xF6),
    ("divide", 0xF7),
    ("oslash", 0xF8),
    ("ugrave", 0xF9),
    ("uacute", 0xFA),
    ("ucirc", 0xFB),
    ("uuml", 0xFC),
    ("yacute", 0xFD),
    ("thorn", 0xFE),
    ("yuml", 0xFF),
    ("OElig", 0x152),
    ("oelig", 0x153),
    ("Scaron", 0x160),
    ("scaron", 0x161),
    ("Yuml", 0x178),
    ("fnof", 0x192),
    ("circ", 0x2C6),
    ("tilde", 0x2DC),
    ("Alpha", 0x391),
    ("Beta", 0x392),
    ("Gamma", 0x393),
    ("Delta", 0x394),
    ("Epsilon", 0x395),
    ("Zeta", 0x396),
    ("Eta", 0x397),
    ("Theta", 0x398),
    ("Iota", 0x399),
    ("Kappa", 0x39A),
    ("Lambda", 0x39B),
    ("Mu", 0x39C),
    ("Nu", 0x39D),
    ("Xi", 0x39E),
    ("Omicron", 0x39F),
    ("Pi", 0x3A0),
    ("Rho", 0x3A1),
    ("Sigma", 0x3A3),
    ("Tau", 0x3A4),
    ("Upsilon", 0x3A5),
    ("Phi", 0x3A6),
    ("Chi", 0x3A7),
    ("Psi", 0x3A8),
    ("Omega", 0x3A9),
    ("alpha", 0x3B1),
    ("beta", 0x3B2),
    ("gamma", 0x3B3),
    ("delta", 0x3B4),
    ("epsilon", 0x3B5),
    ("zeta", 0x3B6),
    ("eta", 0x3B7),
    ("theta", 0x3B8),
    ("iota", 0x3B9),
    ("kappa", 0x3BA),
    ("lambda", 0x3BB),
    ("mu", 0x3BC),
    ("nu", 0x3BD),
    ("xi", 0x3BE),
    ("omicron", 0x3BF),
    ("pi", 0x3C0),
    ("rho", 0x3C1),
    ("sigmaf", 0x3C2),
    ("sigma", 0x3C3),
    ("tau", 0x3C4),
    ("upsilon", 0x3C5),
    ("phi", 0x3C6),
    ("chi", 0x3C7),
    ("psi", 0x3C8),
    ("omega", 0x3C9),
    ("thetasym", 0x3D1),
    ("upsih", 0x3D2),
    ("piv", 0x3D6),
    ("ensp", 0x2002),
    ("emsp", 0x2003),
    ("thinsp", 0x2009),
    ("zwnj", 0x200C),
    ("zwj", 0x200D),
    ("lrm", 0x200E),
    ("rlm", 0x200F),
    ("ndash", 0x2013),
    ("mdash", 0x2014),
    ("lsquo", 0x2018),
    ("rsquo", 0x2019),
    ("sbquo", 0x201A),
    ("ldquo", 0x201C),
    ("rdquo", 0x201D),
    ("bdquo", 0x201E),
    ("dagger", 0x2020),
    ("Dagger", 0x2021),
    ("bull", 0x2022),
    ("hellip", 0x2026),
    ("permil", 0x2030),
    ("prime", 0x2032),
    ("Prime", 0x2033),
    ("lsaquo", 0x2039),
    ("rsaquo", 0x203A),
    ("oline", 0x203E),
    ("frasl", 0x2044),
    ("euro", 0x20AC),
    ("image", 0x2111),
    ("weierp", 0x2118),
    ("real", 0x211C),
    ("trade", 0x2122),
    ("alefsym", 0x2135),
    ("larr", 0x2190),
    ("uarr", 0x2191),
    ("rarr", 0x2192),
    ("darr", 0x2193),
    ("harr", 0x2194),
    ("crarr", 0x21B5),
    ("lArr", 0x21D0),
    ("uArr", 0x21D1),
    ("rArr", 0x21D2),
    ("dArr", 0x21D3),
    ("hArr", 0x21D4),
    ("forall", 0x2200),
    ("part", 0x2202),
    ("exist", 0x2203),
    ("empty", 0x2205),
    ("nabla", 0x2207),
    ("isin", 0x2208),
    ("notin", 0x2209),
    ("ni", 0x220B),
    ("prod", 0x220F),
    ("sum", 0x2211),
    ("minus", 0x2212),
    ("lowast", 0x2217),
    ("radic", 0x221A),
    ("prop", 0x221D),
    ("infin", 0x221E),
    ("ang", 0x2220),
    ("and", 0x2227),
    ("or", 0x2228),
    ("cap", 0x2229),
    ("cup", 0x222A),
    ("int", 0x222B),
    ("there4", 0x2234),
    ("sim", 0x223C),
    ("cong", 0x2245),
    ("asymp", 0x2248),
    ("ne", 0x2260),
    ("equiv", 0x2261),
    ("le", 0x2264),
    ("ge", 0x2265),
    ("sub", 0x2282),
    ("sup", 0x2283),
    ("nsub", 0x2284),
    ("sube", 0x2286),
    ("supe", 0x2287),
    ("oplus", 0x2295),
    ("otimes", 0x2297),
    ("perp", 0x22A5),
    ("sdot", 0x22C5),
    ("lceil", 0x2308),
    ("rceil", 0x2309),
    ("lfloor", 0x230A),
    ("rfloor", 0x230B),
    ("lang", 0x2329),
    ("rang", 0x232A),
    ("loz", 0x25CA),
    ("spades", 0x2660),
    ("clubs", 0x2663),
    ("hearts", 0x2665),
    ("diams", 0x2666),
];

/// The code point of an HTML entity feeds use in XML (`nbsp` → 0xA0).
pub fn html_entity(name: &str) -> Option<u32> {
    HTML_ENTITIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, cp)| *cp)
}

/// Repairs the commonest XML well-formedness fault of hand-made feeds: a bare
/// `&` (`?a=1&b=2` in a link, "Q&A" in a title) becomes `&amp;`, and an HTML
/// entity such as `&nbsp;` becomes a character reference. CDATA sections,
/// comments and the five XML entities are left alone. `None` when there was
/// nothing to repair.
pub fn escape_bare_ampersands(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut changed = false;
    let mut rest = text;
    while let Some(pos) = rest.find(['&', '<']) {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        if rest.starts_with('<') {
            // Copy CDATA sections and comments through untouched.
            let end = if rest.starts_with("<![CDATA[") {
                rest.find("]]>").map(|e| e + 3)
            } else if rest.starts_with("<!--") {
                rest.find("-->").map(|e| e + 3)
            } else {
                Some(1)
            };
            let end = end.unwrap_or(rest.len());
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        // `rest` starts with '&'.
        let name_len = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .unwrap_or(rest.len() - 1);
        let name = &rest[1..1 + name_len];
        let terminated = rest[1 + name_len..].starts_with(';');
        let xml_ok = terminated
            && (matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
                || name
                    .strip_prefix("#x")
                    .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
                || name
                    .strip_prefix('#')
                    .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit())));
        if xml_ok {
            out.push_str(&rest[..name_len + 2]);
            rest = &rest[name_len + 2..];
        } else if let Some((_, cp)) = HTML_ENTITIES.iter().find(|(n, _)| terminated && *n == name) {
            out.push_str(&format!("&#{cp};"));
            rest = &rest[name_len + 2..];
            changed = true;
        } else {
            out.push_str("&amp;");
            rest = &rest[1..];
            changed = true;
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

#[cfg(test)]
mod ampersand_tests {
    use super::escape_bare_ampersands;

    #[test]
    fn bare_ampersands_and_html_entities_are_repaired() {
        assert_eq!(
            escape_bare_ampersands("<link>https://a.example/?x=1&y=2</link><title>Q&A&nbsp;now &amp; then &#233; &#xE9;</title>")
                .as_deref(),
            Some("<link>https://a.example/?x=1&amp;y=2</link><title>Q&amp;A&#160;now &amp; then &#233; &#xE9;</title>")
        );
        assert_eq!(escape_bare_ampersands("<a>&amp; &lt;</a>"), None);
        assert_eq!(
            escape_bare_ampersands("<d><![CDATA[a & b]]></d><!-- x & y --><t>&</t>").as_deref(),
            Some("<d><![CDATA[a & b]]></d><!-- x & y --><t>&amp;</t>")
        );
    }
}
