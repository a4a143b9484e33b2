//! Finding the article body: the generic (readability-class) scorer.
//!
//! In: a flattened page ([`Dom`]). Out: the indices of the subtrees that make
//! the article and a mask of nodes inside them to leave out. Each block of
//! running text (a paragraph, or text directly inside a container) scores its
//! container and, decreasingly, the containers above it, by length and commas;
//! containers start from a tag prior and a class/id hint, and their score is
//! scaled down by the share of their text that sits in links. The best
//! container, moved up when its ancestors hold comparable text, plus siblings
//! that look like more of the same, is the article. Boilerplate (navigation,
//! share bars, related links, comments, forms, hidden nodes) is excluded before
//! scoring; a second, relaxed pass runs when the strict one finds too little.

use super::dom::{Dom, Role};

/// Per-node aggregates over non-excluded descendants.
#[derive(Default, Clone, Copy)]
pub(crate) struct Stat {
    /// Visible characters, whitespace runs counted as one.
    pub text: u32,
    /// Of which inside links.
    pub link: u32,
    /// Commas (any script's).
    pub commas: u32,
    /// Characters of text flowing directly in this element (not in child blocks).
    pub inline: u32,
    /// `<p>` elements below.
    pub paras: u32,
    /// Images below.
    pub imgs: u32,
    /// Characters of running prose below: paragraphs (and text flowing in
    /// containers) that are mostly not links, each counted once.
    pub prose: u32,
    /// Excluded (itself or an ancestor is boilerplate).
    pub excluded: bool,
}

/// How hard to throw away likely boilerplate.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Also drop containers whose class/id names boilerplate.
    Strict,
    /// Only drop what can never be content (scripts, navigation tags, hidden).
    Relaxed,
    /// A second look: as relaxed, but keep furniture boxes (`nav`, `aside`,
    /// …) and hidden nodes, for pages whose markup hides or misfiles the
    /// article; drop reader comments, which are prose but never the article.
    Rescue,
}

/// Length and comma count of a text node: characters, with each whitespace
/// run counted as one; commas in Latin, CJK (`，`, `、`) and Arabic (`،`) scripts.
pub(crate) fn measure(s: &str) -> (u32, u32) {
    let mut n = 0u32;
    let mut commas = 0u32;
    let mut in_ws = true;
    let mut prev = 0u8;
    for &b in s.as_bytes() {
        if b.is_ascii_whitespace() {
            if !in_ws {
                n += 1;
                in_ws = true;
            }
        } else if b & 0xC0 != 0x80 {
            // A character's first byte.
            n += 1;
            in_ws = false;
            commas += u32::from(b == b',');
        } else {
            // Last bytes of `，` (EF BC 8C), `、` (E3 80 81), `،` (D8 8C).
            commas += u32::from(
                (prev == 0xBC && b == 0x8C)
                    || (prev == 0x80 && b == 0x81)
                    || (prev == 0xD8 && b == 0x8C),
            );
        }
        prev = b;
    }
    (n, commas)
}

/// Compute the per-node aggregates for one mode.
///
/// In strict mode `relaxed` (the relaxed stats) protects page-wide wrappers:
/// a boilerplate-named node holding most of the page's text is not dropped.
pub(crate) fn stats(
    dom: &Dom<'_>,
    mode: Mode,
    removed: Option<&[bool]>,
    relaxed: Option<&[Stat]>,
) -> Vec<Stat> {
    let n = dom.nodes.len();
    let mut st = vec![Stat::default(); n];
    let page_text = relaxed.map_or(0, |r| r.first().map_or(0, |s| s.text));
    let wrapper = |i: usize| relaxed.is_some_and(|r| r[i].text as f32 >= 0.8 * page_text as f32);
    for i in 0..n {
        let node = &dom.nodes[i];
        let parent_excluded = node.parent != u32::MAX && st[node.parent as usize].excluded;
        let own = node.text.is_none()
            && (node.role == Role::Drop
                || (mode != Mode::Rescue && (node.role == Role::Aside || node.hidden))
                || (mode == Mode::Rescue && is_comments(dom, i) && !wrapper(i))
                || (mode == Mode::Strict
                    && (node.unlikely || node.tag == "header")
                    && !matches!(node.tag, "body" | "html" | "article" | "main" | "a")
                    && !wrapper(i)));
        st[i].excluded = parent_excluded || own || removed.is_some_and(|m| m[i]);
    }
    for i in (0..n).rev() {
        if st[i].excluded {
            continue;
        }
        let node = &dom.nodes[i];
        if node.text.is_some() {
            let (len, commas) = node.measure;
            st[i].text = len;
            st[i].commas = commas;
            st[i].inline = len;
        } else {
            match node.tag {
                "a" => st[i].link = st[i].text,
                "p" => st[i].paras += 1,
                "img" => st[i].imgs += 1,
                _ => {}
            }
        }
        // The subtree is complete here (children come after their parent).
        let s = &mut st[i];
        if node.text.is_none() && link_density(s) < 0.5 {
            if node.role == Role::Para && !node.tag.starts_with('h') && s.text >= 25 {
                s.prose = s.text;
            } else if node.role == Role::Container && s.inline >= 25 {
                s.prose += s.inline;
            }
        }
        if node.parent == u32::MAX {
            continue;
        }
        let p = node.parent as usize;
        let s = st[i];
        let flows = node.text.is_some() || node.role == Role::Inline;
        let ps = &mut st[p];
        ps.text += s.text;
        ps.link += s.link;
        ps.commas += s.commas;
        ps.paras += s.paras;
        ps.imgs += s.imgs;
        ps.prose += s.prose;
        if flows {
            ps.inline += s.text;
        }
    }
    st
}

/// Whether an element's class or id names reader comments.
fn is_comments(dom: &Dom<'_>, i: usize) -> bool {
    ["class", "id"].iter().any(|a| {
        dom.attr(i, a).is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("comment") || v.contains("disqus") || v.contains("replies")
        })
    })
}

/// The chosen article: subtree roots in document order.
pub(crate) struct Selection {
    /// Subtree roots to render.
    pub roots: Vec<usize>,
}

fn tag_prior(tag: &str) -> f32 {
    match tag {
        "div" | "article" | "main" | "section" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    }
}

pub(crate) fn link_density(s: &Stat) -> f32 {
    if s.text == 0 {
        0.0
    } else {
        s.link as f32 / s.text as f32
    }
}

/// Whether an element holds block children (non-excluded `Para`/`Container`).
fn has_block_child(dom: &Dom<'_>, st: &[Stat], i: usize) -> bool {
    dom.children(i)
        .any(|c| !st[c].excluded && matches!(dom.nodes[c].role, Role::Para | Role::Container))
}

/// Score containers and choose the article subtrees.
pub(crate) fn select(dom: &Dom<'_>, st: &[Stat]) -> Option<Selection> {
    let n = dom.nodes.len();
    let body = (0..n).find(|&i| dom.nodes[i].tag == "body")?;
    let mut score: Vec<f32> = vec![f32::NAN; n];
    let init = |score: &mut Vec<f32>, i: usize| {
        if score[i].is_nan() {
            score[i] = tag_prior(dom.nodes[i].tag) + dom.nodes[i].weight as f32;
        }
    };
    let end = dom.nodes[body].end as usize;
    for i in body + 1..end {
        let node = &dom.nodes[i];
        if st[i].excluded || node.text.is_some() {
            continue;
        }
        let (start, len) = match node.role {
            Role::Para
                if !matches!(
                    node.tag,
                    "li" | "h1" | "th" | "dt" | "figcaption" | "caption"
                ) =>
            {
                if st[i].text < 25 {
                    continue;
                }
                (node.parent as usize, st[i].text)
            }
            Role::Container => {
                if st[i].inline < 25 {
                    continue;
                }
                if has_block_child(dom, st, i) {
                    (i, st[i].inline)
                } else {
                    (node.parent as usize, st[i].inline)
                }
            }
            _ => continue,
        };
        let commas = st[i].commas.min(len / 10) as f32;
        let s = 1.0 + commas + (len as f32 / 100.0).min(3.0);
        let mut a = start;
        for level in 0..5 {
            if a == usize::MAX || a < body {
                break;
            }
            init(&mut score, a);
            let div = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f32 * 3.0,
            };
            score[a] += s / div;
            let p = dom.nodes[a].parent;
            if p == u32::MAX {
                break;
            }
            a = p as usize;
        }
    }
    // Final scores: scale by the non-link share.
    let mut cands: Vec<(usize, f32)> = Vec::new();
    for i in body..end {
        if !score[i].is_nan() {
            score[i] *= 1.0 - link_density(&st[i]);
            cands.push((i, score[i]));
        }
    }
    if cands.is_empty() {
        return Some(Selection { roots: vec![body] });
    }
    cands.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (mut top, top_score) = cands[0];
    let is_ancestor = |anc: usize, i: usize| anc <= i && i < dom.nodes[anc].end as usize;

    // Several near-best candidates under one ancestor: the ancestor is the article.
    let alts: Vec<usize> = cands
        .iter()
        .skip(1)
        .take(4)
        .filter(|c| c.1 >= top_score * 0.75)
        .map(|c| c.0)
        .collect();
    if alts.len() >= 3 {
        let mut p = dom.nodes[top].parent as usize;
        while p > body {
            let count = alts.iter().filter(|&&a| is_ancestor(p, a)).count();
            if count >= 3 {
                top = p;
                break;
            }
            p = dom.nodes[p].parent as usize;
        }
    }
    // Move up while the parent scores comparably.
    let mut last = if score[top].is_nan() { 0.0 } else { score[top] };
    let threshold = last / 3.0;
    let mut p = dom.nodes[top].parent as usize;
    while p > body {
        if score[p].is_nan() {
            p = dom.nodes[p].parent as usize;
            continue;
        }
        if score[p] < threshold {
            break;
        }
        if score[p] > last {
            top = p;
            break;
        }
        last = score[p];
        p = dom.nodes[p].parent as usize;
    }
    // A lone child adds nothing: take its parent.
    loop {
        let p = dom.nodes[top].parent as usize;
        if p <= body {
            break;
        }
        let elems = dom
            .children(p)
            .filter(|&c| dom.nodes[c].text.is_none() && !st[c].excluded)
            .count();
        if elems != 1 {
            break;
        }
        top = p;
    }
    let top_score = if score[top].is_nan() { 0.0 } else { score[top] };

    // Siblings that look like more of the article.
    let mut roots = Vec::new();
    let parent = dom.nodes[top].parent;
    if parent == u32::MAX || (parent as usize) < body {
        return Some(Selection { roots: vec![top] });
    }
    let threshold = (top_score * 0.2).max(10.0);
    let top_class = dom.attr(top, "class").unwrap_or("");
    for c in dom.children(parent as usize) {
        if c == top {
            roots.push(c);
            continue;
        }
        if st[c].excluded || dom.nodes[c].text.is_some() {
            continue;
        }
        let bonus = if !top_class.is_empty() && dom.attr(c, "class") == Some(top_class) {
            top_score * 0.2
        } else {
            0.0
        };
        if !score[c].is_nan() && score[c] + bonus >= threshold {
            roots.push(c);
            continue;
        }
        let para_like = dom.nodes[c].tag == "p"
            || (dom.nodes[c].role == Role::Container && !has_block_child(dom, st, c));
        if para_like {
            let ld = link_density(&st[c]);
            let len = st[c].text;
            if (len > 80 && ld < 0.25)
                || (len > 0 && len <= 80 && ld == 0.0 && ends_sentence(dom, c))
            {
                roots.push(c);
            }
        }
    }
    Some(Selection { roots })
}

/// Whether the last text inside `i` ends like a sentence.
fn ends_sentence(dom: &Dom<'_>, i: usize) -> bool {
    let end = dom.nodes[i].end as usize;
    for j in (i..end).rev() {
        if let Some(t) = dom.nodes[j].text {
            let t = t.trim_end();
            if t.is_empty() {
                continue;
            }
            return t.ends_with(['.', '!', '?', '…', '"', '”', '»']);
        }
    }
    false
}
