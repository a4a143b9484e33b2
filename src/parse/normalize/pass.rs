//! The normalising pass's state: the open elements, the output written so
//! far, the checkpoints salvage cuts at, and the writing of every event
//! except start tags (`start`).

use std::collections::HashMap;

use quick_xml::escape::{escape, unescape};
use quick_xml::events::{BytesStart, Event};
use url::Url;

use super::{EntryContext, Normalized, XmlBreak, atom_text, entities, links};

/// The kind of document, from its root element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Root {
    Unknown,
    Rss,
    Rdf,
    Atom,
    Cdf,
}

/// What is done with an element's text while it is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Capture {
    /// A URL: resolved against the base at the end tag.
    Link,
    /// Base64: decoded at the end tag.
    Base64,
}

#[derive(Debug)]
pub(super) struct Frame {
    /// The text written at its end (`</title>`, `</channel></rss>`).
    pub(super) close: String,
    pub(super) base: Url,
    pub(super) lang: Option<String>,
    /// Output offset of its start tag, for dropping it when empty.
    pub(super) out_start: usize,
    pub(super) droppable: bool,
    pub(super) has_content: bool,
    pub(super) capture: Option<Capture>,
    /// Raw (escaped) text captured.
    pub(super) captured: String,
    /// Its children are inline XHTML.
    pub(super) xhtml_inside: bool,
    pub(super) is_entry: bool,
    /// Root `<rss>` only: whether a child element was seen.
    pub(super) children_seen: bool,
    /// RSS 1.0 and 0.90 entries: the `<link>` to add if the item has none
    /// (feed-rs drops such items): its `rdf:about`, else the feed URL, which
    /// `convert` reads as "no link".
    pub(super) link_if_missing: Option<String>,
    pub(super) link_seen: bool,
}

/// The output state at the end of the last complete entry.
#[derive(Debug, Clone)]
pub(super) struct Checkpoint {
    pub(super) len: usize,
    pub(super) closers: Vec<String>,
    pub(super) entries: usize,
}

pub(super) struct Pass {
    pub(super) out: String,
    pub(super) stack: Vec<Frame>,
    pub(super) root: Root,
    pub(super) feed_url: Url,
    pub(super) entries: Vec<EntryContext>,
    pub(super) feed_lang: Option<String>,
    pub(super) checkpoint: Option<Checkpoint>,
    /// The output state after the last complete element outside any entry
    /// (a `<lastBuildDate>` after the items), when later than `checkpoint`.
    pub(super) element_checkpoint: Option<Checkpoint>,
    /// Entities declared in the DOCTYPE's internal subset.
    pub(super) entities: HashMap<String, String>,
    /// Prefixes bound to an RSS 2.0 namespace on the root (`r:` in
    /// `<r:rss xmlns:r="http://backend.userland.com/rss2">`): removed.
    pub(super) rss_prefixes: Vec<String>,
}

impl Pass {
    /// A pass over a document of `len` bytes fetched from `feed_url`.
    pub(super) fn new(len: usize, feed_url: &Url) -> Pass {
        Pass {
            out: String::with_capacity(len + len / 8),
            stack: Vec::new(),
            root: Root::Unknown,
            feed_url: feed_url.clone(),
            entries: Vec::new(),
            feed_lang: None,
            checkpoint: None,
            element_checkpoint: None,
            entities: HashMap::new(),
            rss_prefixes: Vec::new(),
        }
    }

    /// Cuts the output at the last safe point. Only a document with at least
    /// one complete entry is salvaged: a feed broken before its first entry
    /// ends has nothing worth storing, and failing the poll gets it retried
    /// with backoff and shown as an error.
    pub(super) fn salvage(mut self, error: XmlBreak) -> Result<Normalized, XmlBreak> {
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

    pub(super) fn event(&mut self, event: Event<'_>) {
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
                let written = entities::written(&r, &self.entities);
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
            Event::DocType(d) => self.entities = entities::declared(&d),
            Event::Comment(_) | Event::Eof => {}
        }
    }

    pub(super) fn capturing(&self) -> bool {
        self.stack.last().is_some_and(|f| f.capture.is_some())
    }

    pub(super) fn mark_content(&mut self) {
        if let Some(top) = self.stack.last_mut() {
            top.has_content = true;
        }
    }

    /// Writes escaped text, or adds it to the open capture.
    pub(super) fn push_text(&mut self, escaped: &str) {
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

    /// The base and language in force for children of the top frame.
    pub(super) fn context(&self) -> (Url, Option<String>) {
        match self.stack.last() {
            Some(top) => (top.base.clone(), top.lang.clone()),
            None => (self.feed_url.clone(), None),
        }
    }

    /// Writes a start (or empty) tag and opens its frame.
    pub(super) fn open(
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

    pub(super) fn push_frame(
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
    pub(super) fn copy_raw(&mut self, e: &BytesStart<'_>, empty: bool) {
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
    pub(super) fn abort_capture(&mut self) {
        if let Some(top) = self.stack.last_mut()
            && top.capture.take().is_some()
        {
            let captured = std::mem::take(&mut top.captured);
            self.out.push_str(&captured);
        }
    }

    pub(super) fn end(&mut self) {
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

    /// How many entries are complete so far (the salvage checkpoint's).
    pub(super) fn complete_entries(&self) -> usize {
        self.checkpoint.as_ref().map_or(0, |c| c.entries)
    }

    /// Records the state after a complete entry.
    pub(super) fn checkpoint(&mut self) {
        self.checkpoint = Some(self.mark());
    }

    pub(super) fn mark(&self) -> Checkpoint {
        Checkpoint {
            len: self.out.len(),
            closers: self.stack.iter().map(|f| f.close.clone()).collect(),
            entries: self.entries.len(),
        }
    }
}

/// Per-element choices made at its start tag.
#[derive(Debug, Default, Clone)]
pub(super) struct Flags {
    pub(super) droppable: bool,
    pub(super) capture: Option<Capture>,
    pub(super) xhtml_inside: bool,
    pub(super) is_entry: bool,
    pub(super) link_if_missing: Option<String>,
}

pub(super) fn attr<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
