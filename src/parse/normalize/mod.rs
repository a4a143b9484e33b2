//! An XML-aware pass that rewrites a feed into the canonical form feed-rs
//! reads, and records what feed-rs cannot see.
//!
//! In: the decoded document (UTF-8, declaration already saying so) and the
//! feed URL. Out: a [`Normalized`] document plus, per entry, the `xml:base`
//! and `xml:lang` in force there, or an [`XmlBreak`] when the XML breaks before
//! any entry is complete.
//!
//! One streaming pass with quick-xml, copying events through and changing
//! only what feed-rs refuses or misreads (each case is a feed seen in the wild
//! or in feedparser's test suite):
//! - Atom text constructs typed as MIME types (`text/plain`,
//!   `application/xhtml+xml`, Atom 0.3's `mode="xml"`/`"escaped"`/`"base64"`)
//!   are given the Atom 1.0 `type` (`text`, `html`, `xhtml`), base64 decoded
//!   (`atom_text`); feed-rs refuses the whole feed on any other type;
//! - an element that is empty and carries no attribute of substance
//!   (`<media:description/>`, `<media:credit role="author"/>`, `<title></title>`)
//!   is dropped: feed-rs refuses the feed with "missing text";
//! - a `<rss>` without a `<channel>` (empty, or holding its items directly)
//!   gets one; a default namespace on `<rss>` (the userland
//!   `http://backend.userland.com/rss2` of many Russian regional feeds) is
//!   removed, since RSS 2.0 has none and feed-rs then sees no elements; the
//!   RSS 0.90 namespace becomes RSS 1.0's;
//! - CDF (Microsoft's Channel Definition Format) becomes RSS 2.0 (`cdf`);
//! - relative URLs (Atom `link@href`, `url` attributes of enclosures and
//!   media, the text of `<link>`, `<url>`, `<uri>`, `<comments>`, `href`/`src`
//!   inside inline XHTML) are resolved against the `xml:base` in force, itself
//!   resolved against the feed URL (`links`);
//! - entity references: the five of XML and character references stay, those
//!   declared in the DOCTYPE are expanded, HTML ones (`&nbsp;`) become
//!   character references, anything else and a bare `&` are escaped to show as
//!   written; the DOCTYPE and comments are dropped;
//! - salvage: where the XML breaks (a truncated download, an unescaped `<`, a
//!   mismatched end tag), the document is cut after the last complete entry and
//!   what was open there is closed, and the error is kept in
//!   [`Normalized::broken`], as feedparser's "bozo" bit does.

mod atom_text;
mod cdf;
mod links;

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::escape::{escape, unescape};
use quick_xml::events::{BytesStart, Event};
use url::Url;

pub use links::resolve_html_links;

use atom_text::TextType;

/// The `xml:base` and `xml:lang` in force on one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryContext {
    /// The base URL relative links in the entry resolve against.
    pub base: Url,
    /// The inherited `xml:lang`, if any; `Some("")` when an `xml:lang=""`
    /// reset it (the entry has no language, whatever the feed says).
    pub lang: Option<String>,
}

/// A document rewritten for feed-rs.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// The rewritten document.
    pub text: String,
    /// One context per entry (`<item>` or `<entry>`), in document order.
    pub entries: Vec<EntryContext>,
    /// The `xml:lang` of the feed element (root, or RSS `<channel>`).
    pub feed_lang: Option<String>,
    /// Where the XML broke, when the document was cut after its last complete
    /// entry (salvage mode).
    pub broken: Option<XmlBreak>,
}

/// A well-formedness error: where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at byte {position}")]
pub struct XmlBreak {
    /// Byte offset in the decoded document.
    pub position: u64,
    /// quick-xml's description of the error.
    pub message: String,
}

/// The kind of document, from its root element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Root {
    Unknown,
    Rss,
    Rdf,
    Atom,
    Cdf,
}

/// What is done with an element's text while it is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Capture {
    /// A URL: resolved against the base at the end tag.
    Link,
    /// Base64: decoded at the end tag.
    Base64,
}

#[derive(Debug)]
struct Frame {
    /// The text written at its end (`</title>`, `</channel></rss>`).
    close: String,
    base: Url,
    lang: Option<String>,
    /// Output offset of its start tag, for dropping it when empty.
    out_start: usize,
    droppable: bool,
    has_content: bool,
    capture: Option<Capture>,
    /// Raw (escaped) text captured.
    captured: String,
    /// Its children are inline XHTML.
    xhtml_inside: bool,
    is_entry: bool,
    /// Root `<rss>` only: whether a child element was seen.
    children_seen: bool,
    /// RSS 1.0 and 0.90 entries: the `<link>` to add if the item has none
    /// (feed-rs drops such items): its `rdf:about`, else the feed URL, which
    /// `convert` reads as "no link".
    link_if_missing: Option<String>,
    link_seen: bool,
}

/// The output state at the end of the last complete entry.
#[derive(Debug, Clone)]
struct Checkpoint {
    len: usize,
    closers: Vec<String>,
    entries: usize,
}

/// Attributes that carry nothing when the element itself is empty.
const INSUBSTANTIAL_ATTRIBUTES: &[&str] = &[
    "type", "mode", "xml:lang", "xml:base", "role", "scheme", "lang",
];

/// Elements kept even when empty: the structure feed-rs dispatches on.
const STRUCTURAL: &[&str] = &["rss", "channel", "item", "entry", "feed", "RDF"];

/// Namespaces some RSS 2.0 feeds put their elements in, though RSS 2.0 has
/// none (feedparser treats them as plain RSS): UserLand's, and two others
/// seen in the wild.
const RSS2_NAMESPACES: &[&str] = &[
    "http://backend.userland.com/rss2",
    "http://backend.userland.com/rss",
    "http://purl.org/rss/2.0/",
    "http://blogs.law.harvard.edu/tech/rss",
];

/// The Atom 1.0 namespace (RFC 4287), given to a `<feed>` in an unknown one.
const ATOM10_NS: &str = "http://www.w3.org/2005/Atom";

/// The RSS 0.90 namespace, which feed-rs does not know; RSS 1.0 is read alike.
const RSS090_NS: &str = "http://my.netscape.com/rdf/simple/0.9/";
const RSS10_NS: &str = "http://purl.org/rss/1.0/";

/// Rewrites `text` (see the module doc); `feed_url` is the base of last resort.
pub fn normalize(text: &str, feed_url: &Url) -> Result<Normalized, XmlBreak> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().allow_dangling_amp = true;
    let mut pass = Pass {
        out: String::with_capacity(text.len() + text.len() / 8),
        stack: Vec::new(),
        root: Root::Unknown,
        feed_url: feed_url.clone(),
        entries: Vec::new(),
        feed_lang: None,
        checkpoint: None,
        element_checkpoint: None,
        entities: HashMap::new(),
        rss_prefixes: Vec::new(),
    };
    loop {
        match reader.read_event() {
            Err(error) => {
                let position = reader.error_position();
                let message = error.to_string();
                return pass.salvage(XmlBreak { position, message });
            }
            Ok(Event::Eof) => {
                if let Some(open) = pass.stack.last() {
                    let message = format!(
                        "the document ends inside an open element ({})",
                        open.close.trim_start_matches("</").trim_end_matches('>')
                    );
                    let position = text.len() as u64;
                    return pass.salvage(XmlBreak { position, message });
                }
                break;
            }
            Ok(event) => pass.event(event),
        }
    }
    Ok(Normalized {
        text: pass.out,
        entries: pass.entries,
        feed_lang: pass.feed_lang,
        broken: None,
    })
}

struct Pass {
    out: String,
    stack: Vec<Frame>,
    root: Root,
    feed_url: Url,
    entries: Vec<EntryContext>,
    feed_lang: Option<String>,
    checkpoint: Option<Checkpoint>,
    /// The output state after the last complete element outside any entry
    /// (a `<lastBuildDate>` after the items), when later than `checkpoint`.
    element_checkpoint: Option<Checkpoint>,
    /// Entities declared in the DOCTYPE's internal subset.
    entities: HashMap<String, String>,
    /// Prefixes bound to an RSS 2.0 namespace on the root (`r:` in
    /// `<r:rss xmlns:r="http://backend.userland.com/rss2">`): removed.
    rss_prefixes: Vec<String>,
}

impl Pass {
    /// Cuts the output at the last safe point. Only a document with at least
    /// one complete entry is salvaged: a feed broken before its first entry
    /// ends has nothing worth storing, and failing the poll gets it retried
    /// with backoff and shown as an error.
    fn salvage(mut self, error: XmlBreak) -> Result<Normalized, XmlBreak> {
        let checkpoint = match (self.checkpoint.take(), self.element_checkpoint.take()) {
            (Some(entry), Some(element)) if element.len > entry.len => element,
            (Some(entry), _) => entry,
            (None, _) => return Err(error),
        };
        self.out.truncate(checkpoint.len);
        for closer in checkpoint.closers.iter().rev() {
            self.out.push_str(closer);
        }
        self.entries.truncate(checkpoint.entries);
        Ok(Normalized {
            text: self.out,
            entries: self.entries,
            feed_lang: self.feed_lang,
            broken: Some(error),
        })
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(e) => self.start(&e, false),
            Event::Empty(e) => self.start(&e, true),
            Event::End(_) => self.end(),
            Event::Text(t) => {
                if t.trim().is_empty() && !self.capturing() {
                    self.out.push_str(&t);
                } else {
                    // A bare `&` (allowed through by the reader) is escaped.
                    self.push_text(&t.replace('&', "&amp;"));
                }
            }
            Event::GeneralRef(r) => {
                let written = self.reference(&r);
                self.push_text(&written);
            }
            Event::CData(c) => {
                if self.capturing() {
                    self.push_text(&escape(&*c));
                } else {
                    self.mark_content();
                    self.out.push_str("<![CDATA[");
                    self.out.push_str(&c);
                    self.out.push_str("]]>");
                }
            }
            Event::Decl(d) => {
                self.out.push_str("<?");
                self.out.push_str(&d);
                self.out.push_str("?>");
            }
            Event::PI(p) => {
                self.out.push_str("<?");
                self.out.push_str(&p);
                self.out.push_str("?>");
            }
            Event::DocType(d) => self.entities = declared_entities(&d),
            Event::Comment(_) | Event::Eof => {}
        }
    }

    fn capturing(&self) -> bool {
        self.stack.last().is_some_and(|f| f.capture.is_some())
    }

    fn mark_content(&mut self) {
        if let Some(top) = self.stack.last_mut() {
            top.has_content = true;
        }
    }

    /// Writes escaped text, or adds it to the open capture.
    fn push_text(&mut self, escaped: &str) {
        match self.stack.last_mut() {
            Some(top) if top.capture.is_some() => {
                top.has_content = true;
                top.captured.push_str(escaped);
            }
            Some(top) => {
                top.has_content = true;
                self.out.push_str(escaped);
            }
            None => self.out.push_str(escaped),
        }
    }

    /// How an entity reference is written out (see the module doc).
    fn reference(&self, name: &str) -> String {
        if matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
            return format!("&{name};");
        }
        if let Some(number) = name.strip_prefix('#') {
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => number.parse::<u32>().ok(),
            };
            return match code.and_then(char::from_u32) {
                Some(c) if c != '\0' => format!("&#{};", u32::from(c)),
                _ => format!("&amp;{name};"),
            };
        }
        if let Some(value) = self.entities.get(name) {
            return escape(value.as_str()).into_owned();
        }
        if let Some(code) = super::fixup::html_entity(name) {
            return format!("&#{code};");
        }
        format!("&amp;{name};")
    }

    /// The base and language in force for children of the top frame.
    fn context(&self) -> (Url, Option<String>) {
        match self.stack.last() {
            Some(top) => (top.base.clone(), top.lang.clone()),
            None => (self.feed_url.clone(), None),
        }
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool) {
        self.abort_capture();
        self.mark_content();
        let mut qname = e.name().0.to_string();
        let local = qname.rsplit(':').next().unwrap_or(&qname).to_string();
        let mut attributes: Vec<(String, String)> = Vec::new();
        for attribute in e.attributes().with_checks(false) {
            match attribute {
                Ok(a) => attributes.push((a.key.0.to_string(), a.value.into_owned())),
                Err(_) => {
                    // Attributes quick-xml cannot split: copied as written.
                    self.copy_raw(e, empty);
                    return;
                }
            }
        }
        let (parent_base, parent_lang) = self.context();
        let depth = self.stack.len();
        if depth == 0 {
            self.root = root_kind(&local);
            if self.root == Root::Rss {
                self.rss_prefixes = attributes
                    .iter()
                    .filter(|(_, v)| RSS2_NAMESPACES.contains(&v.trim()))
                    .filter_map(|(k, _)| k.strip_prefix("xmlns:").map(str::to_string))
                    .collect();
            }
        }
        if let Some((prefix, _)) = qname.split_once(':')
            && self.rss_prefixes.iter().any(|p| p == prefix)
        {
            qname.clone_from(&local);
        }
        let parent_xhtml = self.stack.last().is_some_and(|f| f.xhtml_inside);
        let in_cdf = self.root == Root::Cdf;
        let base_attr = if in_cdf { "BASE" } else { "xml:base" };
        let base = attr(&attributes, base_attr)
            .and_then(|b| parent_base.join(b.trim()).ok())
            .unwrap_or(parent_base);
        let lang = match attr(&attributes, "xml:lang") {
            Some(l) if l.trim().is_empty() => Some(String::new()),
            // `en_US` is a POSIX locale; the language tag is `en-US` (BCP 47).
            Some(l) => Some(l.trim().replace('_', "-")),
            None => parent_lang,
        };

        if parent_xhtml {
            links::resolve_attributes(&mut attributes, &["href", "src"], &base);
            let flags = Flags {
                xhtml_inside: true,
                ..Flags::default()
            };
            self.open(&qname, &attributes, empty, base, lang, flags);
            return;
        }
        if in_cdf {
            self.start_cdf(&local, depth, &attributes, empty, base, lang);
            return;
        }

        // A `<rss>` whose first child is not `<channel>`: open one.
        if depth == 1
            && self.root == Root::Rss
            && let Some(root) = self.stack.first_mut()
            && !root.children_seen
        {
            root.children_seen = true;
            if local != "channel" {
                self.out.push_str("<channel>");
                root.close = "</channel></rss>".to_string();
            }
        }
        if depth == 0 {
            match self.root {
                Root::Rss => {
                    let prefixes = &self.rss_prefixes;
                    attributes.retain(|(k, _)| {
                        k != "xmlns"
                            && !k
                                .strip_prefix("xmlns:")
                                .is_some_and(|p| prefixes.iter().any(|q| q == p))
                    });
                }
                Root::Atom => {
                    for (k, v) in &mut attributes {
                        if k == "xmlns" && v.trim() != ATOM10_NS {
                            *v = ATOM10_NS.to_string();
                        }
                    }
                }
                Root::Rdf => {
                    for (k, v) in &mut attributes {
                        if k == "xmlns" && v.trim() == RSS090_NS {
                            *v = RSS10_NS.to_string();
                        }
                    }
                }
                _ => {}
            }
        }
        if depth <= 1 && matches!(local.as_str(), "channel" | "feed") && self.feed_lang.is_none() {
            self.feed_lang = lang.clone().filter(|l| !l.is_empty());
        }

        let mut flags = Flags::default();
        if self.root == Root::Atom && atom_text::is_text_construct(&qname) {
            let ty = attr(&attributes, "type").map(str::to_string);
            let mode = attr(&attributes, "mode").map(str::to_string);
            let has_src = attr(&attributes, "src").is_some();
            let class = atom_text::classify(&local, ty.as_deref(), mode.as_deref(), has_src);
            let set = |attributes: &mut Vec<(String, String)>, value: &str| {
                attributes.retain(|(k, _)| k != "type" && k != "mode");
                attributes.push(("type".to_string(), value.to_string()));
            };
            match class {
                TextType::Keep => {}
                TextType::Set(value) => set(&mut attributes, value),
                TextType::Xhtml => {
                    set(&mut attributes, "xhtml");
                    flags.xhtml_inside = true;
                }
                TextType::Base64(value) => {
                    set(&mut attributes, value);
                    flags.capture = Some(Capture::Base64);
                }
            }
        }
        links::resolve_attributes(&mut attributes, &["href"], &base);
        if matches!(
            local.as_str(),
            "enclosure" | "content" | "thumbnail" | "player"
        ) {
            links::resolve_attributes(&mut attributes, &["url"], &base);
        }
        if flags.capture.is_none()
            && attr(&attributes, "href").is_none()
            && matches!(local.as_str(), "link" | "url" | "uri" | "comments")
        {
            flags.capture = Some(Capture::Link);
        }
        let entry_name = if self.root == Root::Atom {
            "entry"
        } else {
            "item"
        };
        // Atom 0.3 feeds that call their entries `<item>`, as RSS does
        // (feedparser reads them as entries).
        let (qname, local) = if self.root == Root::Atom && depth == 1 && qname == "item" {
            ("entry".to_string(), "entry".to_string())
        } else {
            (qname, local)
        };
        if local == "link"
            && let Some(parent) = self.stack.last_mut()
            && parent.is_entry
        {
            parent.link_seen = true;
        }
        flags.is_entry = local == entry_name && !self.stack.iter().any(|f| f.is_entry);
        if flags.is_entry && self.root == Root::Rdf {
            let about = attr(&attributes, "rdf:about")
                .and_then(|a| links::resolve(&base, a).or_else(|| Some(a.trim().to_string())))
                .filter(|a| !a.is_empty());
            flags.link_if_missing = Some(about.unwrap_or_else(|| self.feed_url.to_string()));
        }
        flags.droppable = !STRUCTURAL.contains(&local.as_str())
            && attributes
                .iter()
                .all(|(k, _)| INSUBSTANTIAL_ATTRIBUTES.contains(&k.as_str()));
        if depth == 0 && self.root == Root::Rss && empty {
            // `<rss/>`: a feed with no entries.
            self.open(&qname, &attributes, false, base, lang, flags);
            self.out.push_str("<channel></channel>");
            if let Some(root) = self.stack.first_mut() {
                root.children_seen = true;
            }
            self.end();
            return;
        }
        self.open(&qname, &attributes, empty, base, lang, flags);
    }

    /// CDF: `<CHANNEL>`/`<ITEM>` with `HREF`, `LASTMOD` and `BASE` attributes
    /// and `<TITLE>`/`<ABSTRACT>` children, written as RSS 2.0.
    fn start_cdf(
        &mut self,
        local: &str,
        depth: usize,
        attributes: &[(String, String)],
        empty: bool,
        base: Url,
        lang: Option<String>,
    ) {
        let element = cdf::map(local, depth);
        let Some(name) = element.name else {
            // Unknown CDF elements (LOGO, SCHEDULE, USAGE) are skipped as an
            // unknown element without content.
            let flags = Flags {
                droppable: true,
                ..Flags::default()
            };
            self.open("x-cdf", &[], empty, base, lang, flags);
            return;
        };
        let out_start = self.out.len();
        self.out.push_str(element.open_prefix);
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        for (child, value) in cdf::attribute_children(local, attributes, &base) {
            self.out
                .push_str(&format!("<{child}>{}</{child}>", escape(value.as_str())));
        }
        let close = format!("</{name}>{}", element.close_suffix);
        let flags = Flags {
            is_entry: name == "item",
            ..Flags::default()
        };
        self.push_frame(close, out_start, base, lang, flags);
        if empty {
            self.end();
        }
    }

    /// Writes a start (or empty) tag and opens its frame.
    fn open(
        &mut self,
        qname: &str,
        attributes: &[(String, String)],
        empty: bool,
        base: Url,
        lang: Option<String>,
        flags: Flags,
    ) {
        if empty && flags.droppable && !flags.is_entry {
            return;
        }
        let out_start = self.out.len();
        self.out.push('<');
        self.out.push_str(qname);
        for (key, value) in attributes {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            // Values are kept escaped as written; a `"` inside a value quoted
            // with `'` must be escaped now that the quote is `"`.
            self.out.push_str(&value.replace('"', "&quot;"));
            self.out.push('"');
        }
        if empty {
            self.out.push_str("/>");
            if flags.is_entry {
                self.entries.push(EntryContext { base, lang });
                self.checkpoint();
            }
            return;
        }
        self.out.push('>');
        self.push_frame(format!("</{qname}>"), out_start, base, lang, flags);
    }

    fn push_frame(
        &mut self,
        close: String,
        out_start: usize,
        base: Url,
        lang: Option<String>,
        flags: Flags,
    ) {
        if flags.is_entry {
            self.entries.push(EntryContext {
                base: base.clone(),
                lang: lang.clone(),
            });
        }
        self.stack.push(Frame {
            close,
            base,
            lang,
            out_start,
            droppable: flags.droppable,
            has_content: false,
            capture: flags.capture,
            captured: String::new(),
            xhtml_inside: flags.xhtml_inside,
            is_entry: flags.is_entry,
            children_seen: false,
            link_if_missing: flags.link_if_missing,
            link_seen: false,
        });
    }

    /// Copies a tag whose attributes could not be read, unchanged.
    fn copy_raw(&mut self, e: &BytesStart<'_>, empty: bool) {
        let (base, lang) = self.context();
        let out_start = self.out.len();
        self.out.push('<');
        self.out.push_str(e);
        if empty {
            self.out.push_str("/>");
        } else {
            self.out.push('>');
            let close = format!("</{}>", e.name().0);
            self.push_frame(close, out_start, base, lang, Flags::default());
        }
    }

    /// Markup inside an element whose text was being captured: the capture
    /// is given up and its text written as it came.
    fn abort_capture(&mut self) {
        if let Some(top) = self.stack.last_mut()
            && top.capture.take().is_some()
        {
            let captured = std::mem::take(&mut top.captured);
            self.out.push_str(&captured);
        }
    }

    fn end(&mut self) {
        let Some(mut frame) = self.stack.pop() else {
            return;
        };
        if let Some(capture) = frame.capture {
            let text = unescape(&frame.captured)
                .map_or_else(|_| frame.captured.clone(), std::borrow::Cow::into_owned);
            let written = match capture {
                Capture::Link => links::resolve(&frame.base, text.trim()).map_or_else(
                    || frame.captured.clone(),
                    |u| escape(u.as_str()).into_owned(),
                ),
                Capture::Base64 => match atom_text::decode_base64(&text) {
                    Some(decoded) => escape(decoded.as_str()).into_owned(),
                    None => frame.captured.clone(),
                },
            };
            frame.has_content |= !written.trim().is_empty();
            self.out.push_str(&written);
        }
        if frame.droppable && !frame.has_content {
            self.out.truncate(frame.out_start);
            return;
        }
        if let Some(link) = frame.link_if_missing.as_deref()
            && !frame.link_seen
        {
            self.out.push_str("<link>");
            self.out.push_str(&escape(link));
            self.out.push_str("</link>");
        }
        if self.root == Root::Rss && self.stack.is_empty() && !frame.children_seen {
            self.out.push_str("<channel></channel>");
        }
        self.out.push_str(&frame.close);
        if frame.is_entry {
            self.checkpoint();
        } else if self.stack.len() <= 2 && !self.stack.iter().any(|f| f.is_entry) {
            self.element_checkpoint = Some(self.mark());
        }
    }

    /// Records the state after a complete entry.
    fn checkpoint(&mut self) {
        self.checkpoint = Some(self.mark());
    }

    fn mark(&self) -> Checkpoint {
        Checkpoint {
            len: self.out.len(),
            closers: self.stack.iter().map(|f| f.close.clone()).collect(),
            entries: self.entries.len(),
        }
    }
}

/// Per-element choices made at its start tag.
#[derive(Debug, Default, Clone)]
struct Flags {
    droppable: bool,
    capture: Option<Capture>,
    xhtml_inside: bool,
    is_entry: bool,
    link_if_missing: Option<String>,
}

fn root_kind(local: &str) -> Root {
    match local {
        "rss" => Root::Rss,
        "RDF" => Root::Rdf,
        "feed" | "entry" => Root::Atom,
        other if other.eq_ignore_ascii_case("channel") => Root::Cdf,
        _ => Root::Unknown,
    }
}

fn attr<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `<!ENTITY name "value">` declarations of a DOCTYPE's internal subset
/// (general, internal entities only; a value's own references are kept).
fn declared_entities(doctype: &str) -> HashMap<String, String> {
    let mut found = HashMap::new();
    let mut rest = doctype;
    while let Some(at) = rest.find("<!ENTITY") {
        rest = &rest[at + "<!ENTITY".len()..];
        let mut words = rest.trim_start();
        if words.starts_with('%') {
            continue;
        }
        let name_len = words
            .find(|c: char| c.is_whitespace())
            .unwrap_or(words.len());
        let name = &words[..name_len];
        words = words[name_len..].trim_start();
        let Some(quote) = words.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let Some(close) = words[1..].find(quote) else {
            break;
        };
        let value = &words[1..1 + close];
        let value = unescape(value).map_or_else(|_| value.to_string(), |v| v.into_owned());
        found.insert(name.to_string(), value);
    }
    found
}

#[cfg(test)]
mod tests;
