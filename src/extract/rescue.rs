//! The second look: when the scorer's choice is doubtful, find where the
//! page's prose actually is.
//!
//! In: the flattened page, the relaxed stats, the chosen text's length and
//! what the page promises (the JSON-LD `articleBody` length). Out: whether
//! to look again ([`doubtful`]) and, on the rescue stats (which keep
//! furniture boxes and hidden nodes, see `content::Mode::Rescue`), the
//! deepest element holding most of the page's running prose
//! ([`largest_block`]). The scorer picks the densest block; that is wrong
//! when the article is cut into many small widgets that each score little
//! (page builders), when a dense bio or sign-up box outscores it, or when
//! broken or odd markup puts it inside a `<nav>`, an `<aside>` or a
//! `hidden` streaming placeholder. Prose volume is blind to all three.

use super::content::Stat;
use super::dom::Dom;

/// The chosen text holds less than this share of the page's prose: look again.
const SMALL_SHARE: f32 = 0.4;
/// The chosen text is shorter than this share of the `articleBody` the page declares.
const SHORT_OF_PROMISE: f32 = 0.5;
/// The element found must hold this share of all the page's prose.
const MOST_PROSE: f32 = 0.6;
/// And the alternative must be this many times longer than the first choice.
pub(crate) const FAR_LONGER: usize = 2;

/// Whether a first choice of `chosen` characters deserves a second look.
pub(crate) fn doubtful(chosen: usize, page_prose: u32, promised: usize) -> bool {
    chosen < super::SHORT_TEXT
        || (chosen as f32) < SMALL_SHARE * page_prose as f32
        || (promised > 0 && (chosen as f32) < SHORT_OF_PROMISE * promised as f32)
}

/// The deepest element under `body` holding most of the page's prose, if
/// any holds enough. Prose only grows towards the root, so the elements
/// above the bar form one chain and the deepest is the last in document order.
pub(crate) fn largest_block(dom: &Dom<'_>, st: &[Stat], body: usize) -> Option<usize> {
    let total = st[body].prose;
    if total == 0 {
        return None;
    }
    let bar = MOST_PROSE * total as f32;
    let end = dom.nodes[body].end as usize;
    let mut top = (body..end)
        .filter(|&i| !st[i].excluded && dom.nodes[i].text.is_none())
        .rfind(|&i| st[i].prose as f32 >= bar)?;
    // Climb while the parent adds more prose than other text: a standfirst or
    // an opening paragraph beside the body, not a sidebar or a link list.
    let other = |i: usize| st[i].text.saturating_sub(st[i].prose);
    while top > body {
        let p = dom.nodes[top].parent as usize;
        let more_prose = st[p].prose.saturating_sub(st[top].prose);
        let more_other = other(p).saturating_sub(other(top));
        if more_prose == 0 || more_other > more_prose {
            break;
        }
        top = p;
    }
    Some(top)
}
