//! XML declarations inside the document: dropped before feed-rs sees them.
//!
//! In: the decoded document text. Out: the same text without any
//! `<?xml …?>` declaration other than the one at its very start. A
//! declaration is legal only there (XML 1.0 §2.8), but feeds assembled from
//! fragments carry more, typically one per pasted entry. feed-rs passes a
//! later declaration's `encoding` to quick-xml, which panics once decoding
//! has begun ("set_encoding() called after prefix buffer was drained"); the
//! text is UTF-8 by now anyway, so the declarations carry nothing we need.
//! Other processing instructions (`<?xml-stylesheet …?>`) are kept.

use std::borrow::Cow;

/// `text` without the XML declarations that follow its start.
pub fn drop_inner_declarations(text: &str) -> Cow<'_, str> {
    // The declaration at offset 0, if any, is the document's own.
    let mut search = if text.starts_with("<?xml") { 5 } else { 0 };
    let mut out: Option<String> = None;
    let mut copied = 0;
    while let Some(found) = text[search..].find("<?xml") {
        let at = search + found;
        let after = &text[at + 5..];
        // quick-xml's rule: `<?xml` then whitespace is a declaration.
        if !after.starts_with([' ', '\t', '\r', '\n']) {
            search = at + 5;
            continue;
        }
        let end = after.find("?>").map_or(text.len(), |e| at + 5 + e + 2);
        let kept = out.get_or_insert_with(|| String::with_capacity(text.len()));
        kept.push_str(&text[copied..at]);
        copied = end;
        search = end;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut kept) => {
            kept.push_str(&text[copied..]);
            Cow::Owned(kept)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_declarations_go_the_first_and_other_instructions_stay() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><?xml-stylesheet href=\"a.xsl\"?>\
                    <item>a<?xml version=\"1.0\" encoding=\"windows-1251\"?>b</item>\
                    <?xml\nversion=\"1.0\"?></rss>";
        assert_eq!(
            drop_inner_declarations(text),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><?xml-stylesheet href=\"a.xsl\"?>\
             <item>ab</item></rss>"
        );
        assert!(matches!(
            drop_inner_declarations("<rss><item/></rss>"),
            Cow::Borrowed(_)
        ));
        // Unterminated: everything from the declaration on is dropped.
        assert_eq!(drop_inner_declarations("<rss>x<?xml version"), "<rss>x");
        assert_eq!(drop_inner_declarations("<?xml"), "<?xml");
    }
}
