//! Atom text constructs (`title`, `subtitle`, `summary`, `content`, `rights`
//! and Atom 0.3's `tagline`, `copyright`, `info`): the `type` feed-rs accepts.
//!
//! In: the element's local name, `type` and `mode` attributes. Out: what to
//! do ([`TextType`]). Atom 1.0 (RFC 4287 §3.1) allows only `text`, `html` and
//! `xhtml` on text constructs; Atom 0.3 used MIME types plus a `mode`
//! (`xml`, `escaped`, `base64`), and real feeds mix the two.

/// The change a text construct needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextType {
    /// Already what feed-rs reads.
    Keep,
    /// Set `type` to this Atom 1.0 value.
    Set(&'static str),
    /// Inline markup: `type="xhtml"`, its children copied as XHTML.
    Xhtml,
    /// Base64 text: decoded, then `type` set to this value.
    Base64(&'static str),
}

/// Local names of Atom text constructs.
const TEXT_CONSTRUCTS: &[&str] = &[
    "title",
    "subtitle",
    "tagline",
    "summary",
    "content",
    "rights",
    "copyright",
    "info",
];

/// True for an Atom text construct: unprefixed or `atom:`-prefixed.
pub fn is_text_construct(qname: &str) -> bool {
    let local = match qname.split_once(':') {
        Some(("atom", local)) => local,
        Some(_) => return false,
        None => qname,
    };
    TEXT_CONSTRUCTS.contains(&local)
}

/// What `type`/`mode` on element `local` mean in Atom 1.0 terms.
pub fn classify(local: &str, ty: Option<&str>, mode: Option<&str>, has_src: bool) -> TextType {
    if has_src {
        return TextType::Keep;
    }
    let ty = ty.map(|t| t.trim().to_ascii_lowercase());
    let mode = mode.map(|m| m.trim().to_ascii_lowercase());
    let is_html = ty.as_deref().is_some_and(|t| t.contains("html"));
    if mode.as_deref() == Some("base64") {
        return TextType::Base64(if is_html { "html" } else { "text" });
    }
    let escaped = mode.as_deref() == Some("escaped");
    let inline_xml = mode.as_deref() == Some("xml");
    match ty.as_deref() {
        None | Some("text") if inline_xml => TextType::Xhtml,
        None | Some("text") | Some("html") => TextType::Keep,
        Some("xhtml") => TextType::Xhtml,
        Some("text/plain") => TextType::Set("text"),
        Some("text/html") if inline_xml => TextType::Xhtml,
        Some("text/html") => TextType::Set("html"),
        Some("application/xhtml+xml") if escaped => TextType::Set("html"),
        Some("application/xhtml+xml") => TextType::Xhtml,
        Some(t) if t.starts_with("text/") => TextType::Set("text"),
        // Other XML in `content` is feed-rs's to read; elsewhere it is markup.
        Some(t) if (t.ends_with("+xml") || t.ends_with("/xml")) && local == "content" => {
            TextType::Keep
        }
        Some(t) if t.ends_with("+xml") || t.ends_with("/xml") => TextType::Xhtml,
        // A base64 document (RFC 4287 §4.1.3.3 rule 6): content keeps it as
        // is (an image has no text to show), other constructs are decoded.
        Some(_) if local == "content" => TextType::Keep,
        Some(_) => TextType::Base64("text"),
    }
}

/// Decodes base64 (standard alphabet, whitespace ignored, padding optional)
/// to UTF-8 text; `None` when it is not base64 or not text.
pub fn decode_base64(text: &str) -> Option<String> {
    let mut bits: u32 = 0;
    let mut count = 0u32;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        let value = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' => 62,
            '/' => 63,
            '=' => break,
            _ => return None,
        };
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atom03_and_mime_types() {
        assert_eq!(classify("title", None, None, false), TextType::Keep);
        assert_eq!(
            classify("title", Some("text/plain"), None, false),
            TextType::Set("text")
        );
        assert_eq!(
            classify("summary", Some("application/xhtml+xml"), None, false),
            TextType::Xhtml
        );
        assert_eq!(
            classify("content", Some("text/html"), Some("escaped"), false),
            TextType::Set("html")
        );
        assert_eq!(
            classify("content", None, Some("xml"), false),
            TextType::Xhtml
        );
        assert_eq!(
            classify("title", Some("text/html"), Some("base64"), false),
            TextType::Base64("html")
        );
        assert_eq!(
            classify("title", Some("application/octet-stream"), None, false),
            TextType::Base64("text")
        );
        assert_eq!(
            classify("content", Some("image/png"), None, false),
            TextType::Keep
        );
        assert_eq!(
            classify("content", Some("image/png"), None, true),
            TextType::Keep
        );
        assert!(is_text_construct("atom:title") && !is_text_construct("media:title"));
    }

    #[test]
    fn base64() {
        assert_eq!(
            decode_base64("RXhhbXBsZSA8Yj5BdG9tPC9iPg==").as_deref(),
            Some("Example <b>Atom</b>")
        );
        assert_eq!(
            decode_base64(" 0J/RgNC40LLQtdGC\n").as_deref(),
            Some("Привет")
        );
        assert_eq!(decode_base64("not base64!"), None);
    }
}
