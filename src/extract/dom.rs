//! A flat, pre-order copy of the parsed page that the extractor scores.
//!
//! In: a `scraper::Html` document. Out: [`Dom`], one [`DomNode`] per element or
//! text node in document order, each knowing its parent and where its subtree
//! ends, plus the per-element flags (tag class, class/id weight, hidden) that
//! scoring and rendering read many times. Comments, doctypes and whitespace-free
//! bookkeeping are dropped here so later passes are plain index loops.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use scraper::{ElementRef, Html, Node};

use super::hints::{Attrs, class_hints};

/// What kind of box an element makes, as far as extraction cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Phrasing content: text flows through it (`a`, `span`, `em`, …).
    Inline,
    /// A paragraph-like block whose text is one unit (`p`, `pre`, `li`, `td`, headings, …).
    Para,
    /// A container of blocks (`div`, `section`, `article`, `ul`, `table`, …).
    Container,
    /// Never content: scripts, styles, forms controls, embedded objects.
    Drop,
    /// A box that usually holds page furniture (`nav`, `aside`, `footer`,
    /// `fieldset`, `menu`, `dialog`): left out like `Drop`, except by the
    /// rescue pass, because broken markup or odd templates sometimes wrap the
    /// whole article in one (an unclosed `<nav>`, a page-wide `<aside>`).
    Aside,
    /// A line break.
    Break,
    /// An image.
    Image,
}

/// One node of the flat tree.
pub(crate) struct DomNode<'a> {
    /// Index of the parent, `u32::MAX` for the root.
    pub parent: u32,
    /// One past the last index of this node's subtree.
    pub end: u32,
    /// The original element (None for text), for site rules and attribute access.
    pub el: Option<ElementRef<'a>>,
    /// Element local name (lower case) or "" for text.
    pub tag: &'a str,
    /// Text content for text nodes.
    pub text: Option<&'a str>,
    /// For text nodes: visible length and comma count (see `content::measure`).
    pub measure: (u32, u32),
    /// Box kind.
    pub role: Role,
    /// Class/id hint: positive for article-like names, negative for boilerplate names.
    pub weight: i32,
    /// Class/id/role name says this is boilerplate (navigation, share, related, …).
    pub unlikely: bool,
    /// Hidden by attribute or inline style.
    pub hidden: bool,
}

/// The whole page as a flat list in document order.
pub(crate) struct Dom<'a> {
    /// Nodes in pre-order; index 0 is the `<html>` element.
    pub nodes: Vec<DomNode<'a>>,
}

impl<'a> Dom<'a> {
    /// Flatten the document below its root element.
    pub fn build(doc: &'a Html) -> Dom<'a> {
        let mut nodes: Vec<DomNode<'a>> = Vec::with_capacity(4096);
        let root = doc.root_element();
        // Iterative pre-order walk; the stack holds (node, parent index).
        let mut stack: Vec<(Item<'a>, u32)> = vec![(Item::El(root), u32::MAX)];
        // Indices whose `end` is still open, in ancestor order.
        let mut open: Vec<u32> = Vec::new();
        // Pages repeat the same class strings many times: score each once.
        let mut hints: HashMap<(&'a str, &'a str), (i32, bool), BuildHasherDefault<Fnv>> =
            HashMap::default();
        while let Some((node, parent)) = stack.pop() {
            // Close the subtrees that this node is not part of.
            while let Some(&top) = open.last() {
                if top == parent {
                    break;
                }
                open.pop();
                nodes[top as usize].end = nodes.len() as u32;
            }
            let idx = nodes.len() as u32;
            match node {
                Item::Text(t) => {
                    nodes.push(DomNode {
                        parent,
                        end: idx + 1,
                        el: None,
                        tag: "",
                        text: Some(t),
                        // Script and style bodies are never content: skip measuring them.
                        measure: if parent != u32::MAX && nodes[parent as usize].role == Role::Drop
                        {
                            (0, 0)
                        } else {
                            super::content::measure(t)
                        },
                        role: Role::Inline,
                        weight: 0,
                        unlikely: false,
                        hidden: false,
                    });
                }
                Item::El(eref) => {
                    let el = eref.value();
                    let tag = el.name();
                    let role = role_of(tag);
                    let a = Attrs::of(el);
                    let key = (a.class, a.id);
                    let (mut weight, mut unlikely) = if key == ("", "") {
                        (0, false)
                    } else {
                        *hints
                            .entry(key)
                            .or_insert_with(|| class_hints(key.0, key.1))
                    };
                    a.hints(&mut weight, &mut unlikely);
                    let hidden = a.hidden(tag);
                    nodes.push(DomNode {
                        parent,
                        end: idx + 1,
                        el: Some(eref),
                        tag,
                        text: None,
                        measure: (0, 0),
                        role,
                        weight,
                        unlikely,
                        hidden,
                    });
                    open.push(idx);
                    // Push children in reverse so the first child pops first.
                    let mut child = eref.last_child();
                    while let Some(c) = child {
                        match c.value() {
                            Node::Text(t) => stack.push((Item::Text(t), idx)),
                            Node::Element(_) => {
                                if let Some(e) = ElementRef::wrap(c) {
                                    stack.push((Item::El(e), idx));
                                }
                            }
                            _ => {}
                        }
                        child = c.prev_sibling();
                    }
                }
            }
        }
        let len = nodes.len() as u32;
        for top in open {
            nodes[top as usize].end = len;
        }
        Dom { nodes }
    }

    /// Indices of the direct children of `i`.
    pub fn children(&self, i: usize) -> Children<'_, 'a> {
        Children {
            dom: self,
            next: i + 1,
            end: self.nodes[i].end as usize,
        }
    }

    /// An attribute of element `i`.
    pub fn attr(&self, i: usize, name: &str) -> Option<&'a str> {
        self.nodes[i].el.and_then(|e| e.value().attr(name))
    }
}

/// FNV-1a: a fast hasher for the short class strings of one page (the map is
/// per page and bounded by its size, so flooding resistance buys nothing here).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A node waiting on the walk stack.
enum Item<'a> {
    El(ElementRef<'a>),
    Text(&'a str),
}

/// Iterator over the direct children of one node.
pub(crate) struct Children<'d, 'a> {
    dom: &'d Dom<'a>,
    next: usize,
    end: usize,
}

impl Iterator for Children<'_, '_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        if self.next >= self.end {
            return None;
        }
        let i = self.next;
        self.next = self.dom.nodes[i].end as usize;
        Some(i)
    }
}

fn role_of(tag: &str) -> Role {
    match tag {
        "a" | "abbr" | "b" | "bdi" | "bdo" | "cite" | "code" | "data" | "del" | "dfn" | "em"
        | "font" | "i" | "ins" | "kbd" | "mark" | "q" | "s" | "samp" | "small" | "span"
        | "strong" | "sub" | "sup" | "time" | "u" | "var" | "big" | "tt" | "strike" | "label"
        | "nobr" | "wbr" => Role::Inline,
        "p" | "pre" | "li" | "td" | "th" | "dd" | "dt" | "h1" | "h2" | "h3" | "h4" | "h5"
        | "h6" | "blockquote" | "figcaption" | "caption" | "address" | "summary" => Role::Para,
        "br" => Role::Break,
        "img" | "picture" => Role::Image,
        "script" | "style" | "noscript" | "template" | "iframe" | "svg" | "math" | "canvas"
        | "object" | "embed" | "video" | "audio" | "source" | "track" | "map" | "area"
        | "button" | "input" | "select" | "option" | "textarea" | "head" | "title" | "meta"
        | "link" | "base" | "hr" | "frame" | "frameset" | "output" | "progress" | "meter"
        | "datalist" => Role::Drop,
        "nav" | "aside" | "footer" | "fieldset" | "menu" | "dialog" => Role::Aside,
        "div" | "section" | "article" | "main" | "header" | "ul" | "ol" | "dl" | "table"
        | "tbody" | "thead" | "tfoot" | "tr" | "form" | "figure" | "center" | "body" | "html"
        | "details" | "hgroup" | "colgroup" | "col" | "legend" | "search" => Role::Container,
        // Unknown and custom elements (`<my-widget>`) render inline by default.
        _ => Role::Inline,
    }
}
