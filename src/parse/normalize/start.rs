//! What each start tag becomes: the document kind read from the root, the
//! namespace fixes, Atom text types, link resolution, the entry bookkeeping,
//! and CDF's mapping to RSS.

use quick_xml::escape::escape;
use quick_xml::events::BytesStart;
use url::Url;

use super::atom_text::{self, TextType};
use super::pass::{Capture, Flags, Pass, Root, attr};
use super::{cdf, links};

/// Attributes that carry nothing when the element itself is empty.
pub(super) const INSUBSTANTIAL_ATTRIBUTES: &[&str] = &[
    "type", "mode", "xml:lang", "xml:base", "role", "scheme", "lang",
];

/// Elements kept even when empty: the structure feed-rs dispatches on.
pub(super) const STRUCTURAL: &[&str] = &["rss", "channel", "item", "entry", "feed", "RDF"];

/// Namespaces some RSS 2.0 feeds put their elements in, though RSS 2.0 has
/// none (feedparser treats them as plain RSS): UserLand's, and two others
/// seen in the wild.
pub(super) const RSS2_NAMESPACES: &[&str] = &[
    "http://backend.userland.com/rss2",
    "http://backend.userland.com/rss",
    "http://purl.org/rss/2.0/",
    "http://blogs.law.harvard.edu/tech/rss",
];

/// The Atom 1.0 namespace (RFC 4287), given to a `<feed>` in an unknown one.
pub(super) const ATOM10_NS: &str = "http://www.w3.org/2005/Atom";

/// The RSS 0.90 namespace, which feed-rs does not know; RSS 1.0 is read alike.
pub(super) const RSS090_NS: &str = "http://my.netscape.com/rdf/simple/0.9/";
pub(super) const RSS10_NS: &str = "http://purl.org/rss/1.0/";

impl Pass {
    pub(super) fn start(&mut self, e: &BytesStart<'_>, empty: bool) {
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
    pub(super) fn start_cdf(
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
