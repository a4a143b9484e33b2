//! The story decision: a fingerprint and its candidates in, a story out.
//!
//! Pure: no index, no clock, no I/O. Every store backend (SQLite today,
//! PostgreSQL later) looks up the candidates and the boilerplate keys its own
//! way and hands them to [`choose`], so the same item joins the same story
//! on every backend.
//!
//! How two fingerprints are judged ([`judge`]), in order:
//!
//! 1. an empty text matches nothing; identical normalised text is the same
//!    story;
//! 2. a short text (a feed teaser, [`Fingerprint::is_short`]) never joins by
//!    itself: it matches nothing until its full text arrives;
//! 3. texts that both carry at least [`MIN_NUMBERS`] figures must share at
//!    least [`MIN_NUMBER_CONTAINMENT`] of the smaller set: daily market or
//!    weather reports on one template share nearly every word, not figures;
//! 4. **boilerplate is set aside**: a sample key found in at least
//!    [`BOILERPLATE_STORIES`] different stories of the window, in a
//!    paragraph mostly made of such keys (a promotional paragraph, a wire's
//!    standard footer; [`boilerplate_keys`]), is known to the caller, and
//!    counts neither for nor against a match. A stock phrase inside a
//!    paragraph of the story's own words stays evidence. When such keys are
//!    shared, resemblance is also measured on the remaining samples, so a
//!    long shared footer cannot lift two briefs over the threshold;
//! 5. **resemblance**: Jaccard ≥ [`MIN_JACCARD`] (a reprint with light
//!    edits), with the shared samples spread over at least two paragraphs of
//!    the smaller text when it has two;
//! 6. **containment**: at least [`MIN_CONTAINMENT`] of the smaller text's
//!    samples (and at least [`MIN_SHARED_SAMPLES`]) are in the larger, spread
//!    over at least two of its paragraphs, and either the shared text includes
//!    the larger text's lead (its first two paragraphs: a pick-up runs the top
//!    of the story) or the two still resemble each other (Jaccard ≥
//!    [`MIN_JACCARD_CONTAINED`]: a cut rewrite). An article that opens with
//!    another's first paragraph shares one paragraph; one that reuses two
//!    background paragraphs shares neither the lead nor enough overall.
//!    When both texts carry a head, the whole texts' samples are compared
//!    (the lead view is the head's job), and a text whose head covers it
//!    whole needs two of its paragraphs in the other's head;
//! 7. **pick-up** ([`HeadOverlap::is_pickup`]): the heads (the first
//!    `HEAD_SHINGLES` shingle positions, every shingle, not samples) are
//!    compared shingle for shingle, each found only near its own position.
//!    A text whose head is all of it joins when at least
//!    [`MIN_HEAD_CONTAINED_PCT`] of it (and [`MIN_HEAD_SHARED`] shingles) is
//!    in the other's head, two of its paragraphs are shared, both texts'
//!    first paragraphs are, and the other's top as long as it is at least
//!    [`MIN_HEAD_PREFIX_PCT`] in it: the copy is the top of the original,
//!    however long the original. An article that opens with another's first
//!    paragraph shares one paragraph; a promotional or wire tail is not the
//!    top of anything.
//!
//! Among accepted candidates, an exact copy wins, then the highest Jaccard,
//! then the earliest item.

use std::collections::HashSet;

use super::fingerprint::{EMPTY_SLOT, Fingerprint, Sample};
use super::index::Candidate;

/// Jaccard estimate above which two (non-short) texts are the same story.
pub const MIN_JACCARD: f64 = 0.45;
/// Share of the smaller text's samples found in the larger above which it
/// counts as contained.
pub const MIN_CONTAINMENT: f64 = 0.5;
/// Fewest shared samples a containment match needs (about 24 shingles).
pub const MIN_SHARED_SAMPLES: u32 = 4;
/// Jaccard a contained text needs unless it runs the other's lead whole.
pub const MIN_JACCARD_CONTAINED: f64 = 0.28;
/// Share of a lead (percent) that makes a contained text a pick-up.
pub const PICKUP_LEAD_SHARED_PCT: u32 = 55;
/// Jaccard at which two texts match without sharing their lead.
pub const MIN_JACCARD_NO_LEAD: f64 = 0.55;
/// A text's lead: its first paragraphs, until they hold this many comparable
/// samples (a one-line dateline alone says nothing).
pub const LEAD_SAMPLES: usize = 4;
/// Share of a lead that must be in the other text (percent).
pub const MIN_LEAD_SHARED_PCT: u32 = 40;
/// Share of the smaller text's head found in the other's head for a
/// pick-up (percent).
pub const MIN_HEAD_CONTAINED_PCT: u32 = 60;
/// Share of the other text's head prefix (as long as the smaller head) found
/// in the smaller head for a pick-up (percent): the copy runs the top.
pub const MIN_HEAD_PREFIX_PCT: u32 = 50;
/// Fewest shared head shingles a pick-up needs.
pub const MIN_HEAD_SHARED: u32 = 15;
/// A head paragraph is shared when at least this share of its shingles is in
/// the other head (percent), and at least [`MIN_PARAGRAPH_SHINGLES`] are.
pub const MIN_PARAGRAPH_SHARED_PCT: u32 = 50;
/// Shingles a head paragraph needs to count at all.
pub const MIN_PARAGRAPH_SHINGLES: u32 = 5;
/// How far (in shingle positions, plus a quarter of the position) a head
/// shingle may sit from where it is found in the other head.
pub const HEAD_SLACK: usize = 16;
/// A sample key seen in this many different stories is boilerplate.
pub const BOILERPLATE_STORIES: u32 = 5;
/// A paragraph is boilerplate when at least this share of its samples
/// (percent) are common keys (in [`BOILERPLATE_STORIES`] stories or more).
pub const BOILERPLATE_PARAGRAPH_PCT: u32 = 50;
/// Texts that both carry at least this many numeric tokens (bits of
/// `Fingerprint::numbers`) must agree on their figures.
pub const MIN_NUMBERS: u32 = 4;
/// Share of the smaller numeric-token set that must appear in the other:
/// below it, two texts are different reports built on one template.
pub const MIN_NUMBER_CONTAINMENT: f64 = 0.6;

/// The sample keys of `fp` to set aside as boilerplate, given `spread`, the
/// number of stories of the window each of its samples (in order) was
/// seen in (capped, [`super::StoryIndex::sample_spread`]).
///
/// A common key is boilerplate only inside a paragraph that is mostly made
/// of common keys ([`BOILERPLATE_PARAGRAPH_PCT`]): a promotional paragraph
/// or a wire's footer is common as a whole, while a stock phrase ("said in
/// a statement") inside a paragraph of the story's own words is not, and
/// setting each such phrase aside would thin the evidence of every copy.
pub fn boilerplate_keys(fp: &Fingerprint, spread: &[u32]) -> HashSet<i64> {
    let common = |n: &u32| *n >= BOILERPLATE_STORIES;
    // Per paragraph: (samples, common samples).
    let mut per_paragraph: std::collections::HashMap<u16, (u32, u32)> =
        std::collections::HashMap::new();
    for (s, n) in fp.samples.iter().zip(spread) {
        let e = per_paragraph.entry(s.paragraph).or_default();
        e.0 += 1;
        e.1 += u32::from(common(n));
    }
    fp.samples
        .iter()
        .zip(spread)
        .filter(|(s, n)| {
            common(n)
                && per_paragraph
                    .get(&s.paragraph)
                    .is_some_and(|(all, c)| c * 100 >= all * BOILERPLATE_PARAGRAPH_PCT)
        })
        .map(|(s, _)| s.key as i64)
        .collect()
}

/// How similar two fingerprints are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// Estimated Jaccard similarity of the shingle sets (share of equal
    /// MinHash slots), 0 to 1.
    pub jaccard_estimate: f64,
    /// Estimated share of the smaller shingle set found in the larger, 0 to 1
    /// (from the samples when both have them, else from Jaccard and sizes).
    pub containment_estimate: f64,
    /// Identical normalised text.
    pub exact: bool,
    /// Hamming distance of the SimHashes (0 to 64), for diagnostics.
    pub simhash_distance: u32,
    /// Share of the smaller set of numeric tokens found in the other; `None`
    /// when either text has fewer than [`MIN_NUMBERS`].
    pub number_containment: Option<f64>,
    /// Sample comparison, `None` when either fingerprint has no samples.
    pub samples: Option<SampleOverlap>,
    /// Head comparison, `None` when either fingerprint has no head or
    /// neither head covers its whole text (then neither is a pick-up).
    pub head: Option<HeadOverlap>,
}

/// What the heads (the first [`super::fingerprint::HEAD_SHINGLES`] shingles,
/// every one) of two texts share: the pick-up view. The smaller text is the
/// one with the shorter head (ties: fewer words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeadOverlap {
    /// Shingle positions in the smaller head.
    pub smaller: u32,
    /// Of those, the ones found anywhere in the other head.
    pub shared: u32,
    /// The smaller head covers its whole text.
    pub smaller_complete: bool,
    /// Paragraphs of the smaller head with at least
    /// [`MIN_PARAGRAPH_SHINGLES`] shingles.
    pub paragraphs: u32,
    /// Of those, the ones shared ([`MIN_PARAGRAPH_SHARED_PCT`]) near the
    /// same position in the other head.
    pub shared_paragraphs: u32,
    /// Of those, the ones shared anywhere in the other head (a cut rewrite
    /// moves paragraphs).
    pub loose_shared_paragraphs: u32,
    /// The first counted paragraph of each head is shared with the other
    /// head (the smaller's, the larger's).
    pub first_shared: (bool, bool),
    /// Percentage of the other head's first `smaller` positions found in the
    /// smaller head: the copy is the top of the other text.
    pub prefix_pct: u32,
}

impl HeadOverlap {
    /// Percentage of the smaller head found in the other.
    pub fn contained_pct(&self) -> u32 {
        (self.shared * 100).checked_div(self.smaller).unwrap_or(0)
    }

    /// The pick-up rule: the whole smaller text is (nearly) the top of the
    /// other, over at least two of its paragraphs, both texts' first
    /// paragraphs included.
    pub fn is_pickup(&self) -> bool {
        self.smaller_complete
            && self.contained_pct() >= MIN_HEAD_CONTAINED_PCT
            && self.shared >= MIN_HEAD_SHARED
            && self.shared_paragraphs >= 2
            && self.first_shared == (true, true)
            && self.prefix_pct >= MIN_HEAD_PREFIX_PCT
    }
}

/// What the samples of two texts share, boilerplate set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SampleOverlap {
    /// Comparable non-boilerplate samples of the smaller text.
    pub smaller: u32,
    /// Comparable non-boilerplate samples of the larger text.
    pub larger: u32,
    /// Non-boilerplate samples in both.
    pub shared: u32,
    /// Boilerplate samples in both.
    pub shared_boilerplate: u32,
    /// Paragraphs of the smaller text holding a shared sample.
    pub shared_paragraphs: u32,
    /// Paragraphs of the smaller text holding any comparable sample.
    pub paragraphs: u32,
    /// The same three counts over the two texts' leads (their first
    /// `LEAD_WORDS` words, every sample kept): the smaller lead's samples,
    /// those also in the other lead, and the smaller lead's paragraphs that
    /// hold one. A pick-up fits in a lead, so this is its containment however
    /// long the original.
    pub lead_view: (u32, u32, u32),
    /// Percentage of a lead's samples found in the other text, the better of
    /// the two texts' leads (a lead: the first paragraphs holding at least
    /// [`LEAD_SAMPLES`] comparable samples).
    pub lead_shared_pct: u32,
}

impl SampleOverlap {
    /// Shared share of the smaller set, over the whole texts.
    pub fn whole_containment(&self) -> f64 {
        if self.smaller == 0 {
            0.0
        } else {
            f64::from(self.shared) / f64::from(self.smaller)
        }
    }

    /// Shared share of the smaller lead within the other lead.
    pub fn lead_containment(&self) -> f64 {
        let (smaller, shared, _) = self.lead_view;
        if smaller == 0 {
            0.0
        } else {
            f64::from(shared) / f64::from(smaller)
        }
    }

    /// The better containment of the two views, with its shared samples and
    /// shared paragraphs.
    pub fn contained(&self) -> (f64, u32, u32) {
        let whole = (
            self.whole_containment(),
            self.shared,
            self.shared_paragraphs,
        );
        let lead = (self.lead_containment(), self.lead_view.1, self.lead_view.2);
        if lead.0 > whole.0 { lead } else { whole }
    }

    /// Shared share of the smaller set (the better of the two views).
    pub fn containment(&self) -> f64 {
        self.contained().0
    }

    /// Jaccard of the two non-boilerplate sample sets.
    pub fn jaccard(&self) -> f64 {
        let union = self.smaller + self.larger - self.shared;
        if union == 0 {
            0.0
        } else {
            f64::from(self.shared) / f64::from(union)
        }
    }
}

/// Compares two fingerprints, ignoring no key.
pub fn compare(a: &Fingerprint, b: &Fingerprint) -> Similarity {
    compare_with(a, b, &HashSet::new())
}

/// Compares two fingerprints, `boilerplate` sample keys set aside.
pub fn compare_with(a: &Fingerprint, b: &Fingerprint, boilerplate: &HashSet<i64>) -> Similarity {
    let jaccard = minhash_jaccard(a, b);
    let (na, nb) = (f64::from(a.tokens), f64::from(b.tokens));
    let smaller = na.min(nb);
    let mut containment = if smaller == 0.0 {
        0.0
    } else {
        // |A∩B| = J·(|A|+|B|)/(1+J)
        (jaccard * (na + nb) / (1.0 + jaccard) / smaller).min(1.0)
    };
    let samples = (a.has_samples() && b.has_samples()).then(|| overlap(a, b, boilerplate));
    if let Some(s) = &samples {
        containment = s.containment();
    }
    // Only a complete smaller head can make a pick-up or weigh on
    // containment; an incomplete head is as long as any other.
    let head = (a.has_head() && b.has_head() && (a.head_complete || b.head_complete))
        .then(|| head_overlap(a, b));
    Similarity {
        head,
        jaccard_estimate: jaccard,
        containment_estimate: containment,
        exact: a.text_hash == b.text_hash && !a.is_empty(),
        simhash_distance: (a.simhash ^ b.simhash).count_ones(),
        number_containment: number_containment(a.numbers, b.numbers),
        samples,
    }
}

/// The Jaccard estimate of two fingerprints: the share of MinHash slots that
/// agree.
fn minhash_jaccard(a: &Fingerprint, b: &Fingerprint) -> f64 {
    let slots = a.minhash.len().min(b.minhash.len());
    let agree = a
        .minhash
        .iter()
        .zip(&b.minhash)
        .filter(|(x, y)| x == y && **x != EMPTY_SLOT)
        .count();
    if slots == 0 {
        0.0
    } else {
        agree as f64 / slots as f64
    }
}

/// Entries of `small` (sorted by key) whose key is in `large` (sorted too).
fn sorted_hits<T, K: Ord>(small: &[T], large: &[T], key: impl Fn(&T) -> K) -> u32 {
    let mut j = 0;
    let mut hits = 0;
    for x in small {
        let k = key(x);
        while j < large.len() && key(&large[j]) < k {
            j += 1;
        }
        hits += u32::from(j < large.len() && key(&large[j]) == k);
    }
    hits
}

/// False only when [`judge`] is sure to find no match between `a` and `b`,
/// read from bounds that cost a merge of sorted lists, before the full
/// [`compare_with`]: a resemblance needs the MinHash estimate at
/// [`MIN_JACCARD`], a containment [`MIN_SHARED_SAMPLES`] shared samples
/// (whatever is set aside, the shared samples are fewer than the keys in
/// both lists), and a pick-up a complete smaller head with
/// [`MIN_HEAD_SHARED`] and [`MIN_HEAD_CONTAINED_PCT`] of its shingles in the
/// other head (near their position or not). Most candidates a lookup
/// returns share a template's key or two and fail all three.
pub fn may_match(a: &Fingerprint, b: &Fingerprint) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a.text_hash == b.text_hash {
        return true;
    }
    if a.is_short() || b.is_short() {
        return false;
    }
    if !(a.has_samples() && b.has_samples()) || minhash_jaccard(a, b) >= MIN_JACCARD {
        return true;
    }
    let samples = |x: &Fingerprint, y: &Fingerprint| sorted_hits(&x.samples, &y.samples, |s| s.key);
    if samples(a, b).max(samples(b, a)) >= MIN_SHARED_SAMPLES {
        return true;
    }
    if !(a.has_head() && b.has_head()) {
        return false;
    }
    let (small, large) = head_order(a, b);
    if !small.head_complete {
        return false;
    }
    let shared = sorted_hits(&small.head, &large.head, |h| h.0);
    let smaller = small.head.len() as u32;
    shared >= MIN_HEAD_SHARED
        && (shared * 100).checked_div(smaller).unwrap_or(0) >= MIN_HEAD_CONTAINED_PCT
}

/// The two fingerprints as (smaller head, other) for the head comparison:
/// the shorter head, ties to the fewer words.
fn head_order<'f>(a: &'f Fingerprint, b: &'f Fingerprint) -> (&'f Fingerprint, &'f Fingerprint) {
    if (a.head.len(), a.words) <= (b.head.len(), b.words) {
        (a, b)
    } else {
        (b, a)
    }
}

/// The sample overlap of two fingerprints (both with samples).
fn overlap(a: &Fingerprint, b: &Fingerprint, boilerplate: &HashSet<i64>) -> SampleOverlap {
    // Only keys both lists are complete for can be compared.
    let limit = a.sample_limit.min(b.sample_limit);
    let usable = |fp: &'_ Fingerprint| -> Vec<Sample> {
        fp.samples
            .iter()
            .filter(|s| s.key <= limit)
            .copied()
            .collect()
    };
    let (sa, sb) = (usable(a), usable(b));
    let is_bp = |s: &Sample| boilerplate.contains(&(s.key as i64));
    let count = |v: &[Sample]| v.iter().filter(|s| !is_bp(s)).count() as u32;
    let (ca, cb) = (count(&sa), count(&sb));
    // The smaller text is the one with fewer comparable samples (ties: fewer
    // shingles), and its paragraphs are the ones counted.
    let a_smaller = (ca, a.tokens) <= (cb, b.tokens);
    let (small, large) = if a_smaller { (&sa, &sb) } else { (&sb, &sa) };
    let mut out = SampleOverlap {
        smaller: ca.min(cb),
        larger: ca.max(cb),
        ..SampleOverlap::default()
    };
    let mut shared_paras: Vec<u16> = Vec::new();
    let mut all_paras: Vec<u16> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < small.len() {
        let s = small[i];
        if !is_bp(&s) {
            all_paras.push(s.paragraph);
        }
        while j < large.len() && large[j].key < s.key {
            j += 1;
        }
        if j < large.len() && large[j].key == s.key {
            if is_bp(&s) {
                out.shared_boilerplate += 1;
            } else {
                out.shared += 1;
                shared_paras.push(s.paragraph);
            }
        }
        i += 1;
    }
    let distinct = |v: &mut Vec<u16>| {
        v.sort_unstable();
        v.dedup();
        v.len() as u32
    };
    out.shared_paragraphs = distinct(&mut shared_paras);
    out.paragraphs = distinct(&mut all_paras);
    let leads = |fp: &'_ Fingerprint| -> Vec<Sample> {
        fp.samples
            .iter()
            .filter(|s| s.lead && !is_bp(s))
            .copied()
            .collect()
    };
    let (la, lb) = (leads(a), leads(b));
    let (ls, ll) = if la.len() <= lb.len() {
        (&la, &lb)
    } else {
        (&lb, &la)
    };
    let mut lead_paras: Vec<u16> = ls
        .iter()
        .filter(|s| ll.binary_search_by_key(&s.key, |o| o.key).is_ok())
        .map(|s| s.paragraph)
        .collect();
    let lead_shared = lead_paras.len() as u32;
    out.lead_view = (ls.len() as u32, lead_shared, distinct(&mut lead_paras));
    out.lead_shared_pct =
        lead_shared_pct(&la, &b.samples, &is_bp).max(lead_shared_pct(&lb, &a.samples, &is_bp));
    out
}

/// The head overlap of two fingerprints (both with a head).
///
/// A shingle of one head counts as found in the other only near the same
/// position (within [`HEAD_SLACK`] plus a quarter of its position): a copy
/// of the top keeps its order, while a phrase that recurs further on (a
/// subhead repeating the opening's words) is not the copy.
fn head_overlap(a: &Fingerprint, b: &Fingerprint) -> HeadOverlap {
    let (small, large) = head_order(a, b);
    // Per paragraph of a head, over its positions below `upto`: (shingles,
    // found near the same position in `other`, found anywhere in it). Heads
    // are sorted by hash, so one merge walk finds every hit.
    let per_paragraph = |fp: &Fingerprint, upto: usize, other: &[(u32, u16)]| {
        let mut out = vec![(0u32, 0u32, 0u32); fp.head_paragraphs.len()];
        let mut j = 0;
        for (h, at) in &fp.head {
            let at = usize::from(*at);
            while j < other.len() && other[j].0 < *h {
                j += 1;
            }
            if at >= upto {
                continue;
            }
            let para = fp
                .head_paragraphs
                .partition_point(|start| usize::from(*start) <= at)
                .saturating_sub(1);
            let Some(slot) = out.get_mut(para) else {
                continue;
            };
            slot.0 += 1;
            let hits = other[j..].iter().take_while(|(x, _)| x == h);
            let (mut any, mut near) = (false, false);
            for (_, p) in hits {
                any = true;
                near |= usize::from(*p).abs_diff(at) <= HEAD_SLACK + at / 4;
            }
            slot.1 += u32::from(near);
            slot.2 += u32::from(any);
        }
        out
    };
    let counted = |p: &(u32, u32, u32)| p.0 >= MIN_PARAGRAPH_SHINGLES;
    let shared_para =
        |p: &(u32, u32, u32)| counted(p) && p.1 * 100 >= p.0 * MIN_PARAGRAPH_SHARED_PCT;
    let loosely_shared =
        |p: &(u32, u32, u32)| counted(p) && p.2 * 100 >= p.0 * MIN_PARAGRAPH_SHARED_PCT;
    let small_paras = per_paragraph(small, usize::MAX, &large.head);
    let large_paras = per_paragraph(large, small.head.len(), &small.head);
    let first_shared =
        |v: &[(u32, u32, u32)]| v.iter().find(|p| counted(p)).is_some_and(shared_para);
    let k = small.head.len().min(large.head.len());
    let prefix: u32 = large_paras.iter().map(|p| p.1).sum();
    HeadOverlap {
        smaller: small.head.len() as u32,
        shared: small_paras.iter().map(|p| p.1).sum(),
        smaller_complete: small.head_complete,
        paragraphs: small_paras.iter().filter(|p| counted(p)).count() as u32,
        shared_paragraphs: small_paras.iter().filter(|p| shared_para(p)).count() as u32,
        loose_shared_paragraphs: small_paras.iter().filter(|p| loosely_shared(p)).count() as u32,
        first_shared: (first_shared(&small_paras), first_shared(&large_paras)),
        prefix_pct: (prefix * 100).checked_div(k as u32).unwrap_or(0),
    }
}

/// Percentage of the lead of `text` (module notes) whose samples are in
/// `other`; both sorted by key.
fn lead_shared_pct(text: &[Sample], other: &[Sample], is_bp: &impl Fn(&Sample) -> bool) -> u32 {
    let mut by_paragraph: Vec<&Sample> = text.iter().filter(|s| !is_bp(s)).collect();
    by_paragraph.sort_by_key(|s| s.paragraph);
    let mut lead = 0u32;
    let mut shared = 0u32;
    let mut current = None;
    for s in by_paragraph {
        if lead as usize >= LEAD_SAMPLES && current != Some(s.paragraph) {
            break;
        }
        current = Some(s.paragraph);
        lead += 1;
        if other.binary_search_by_key(&s.key, |o| o.key).is_ok() {
            shared += 1;
        }
    }
    (shared * 100).checked_div(lead).unwrap_or(0)
}

/// Containment of numeric-token bit sets, when both are large enough to judge.
fn number_containment(a: u64, b: u64) -> Option<f64> {
    let smaller = a.count_ones().min(b.count_ones());
    (smaller >= MIN_NUMBERS).then(|| f64::from((a & b).count_ones()) / f64::from(smaller))
}

/// Why a pair was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// Identical normalised text.
    Exact,
    /// Similar as wholes (rule 5).
    Resemblance,
    /// The smaller is mostly inside the larger (rule 6).
    Containment,
    /// The smaller is the top of the larger, compared shingle for shingle
    /// (rule 7).
    Pickup,
}

/// The decision rule of the module notes applied to a computed similarity:
/// how the pair matched, or `None`.
pub fn judge(a: &Fingerprint, b: &Fingerprint, sim: &Similarity) -> Option<Match> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    if sim.exact {
        return Some(Match::Exact);
    }
    if a.is_short() || b.is_short() {
        return None;
    }
    if sim
        .number_containment
        .is_some_and(|c| c < MIN_NUMBER_CONTAINMENT)
    {
        return None;
    }
    let Some(s) = sim.samples else {
        // A fingerprint stored before samples existed: the earlier rule.
        let ok = sim.jaccard_estimate >= MIN_JACCARD
            || (sim.containment_estimate >= 0.70 && sim.jaccard_estimate >= MIN_JACCARD_CONTAINED);
        return ok.then_some(Match::Resemblance);
    };
    let jaccard = if s.shared_boilerplate > 0 {
        sim.jaccard_estimate.min(s.jaccard())
    } else {
        sim.jaccard_estimate
    };
    // Copies of one story share more than one paragraph, and their lead (the
    // top of the story is what a pick-up runs and a rewrite keeps) unless
    // they are plainly similar as wholes.
    let spread = s.shared_paragraphs >= s.paragraphs.min(2);
    let lead = s.lead_shared_pct >= MIN_LEAD_SHARED_PCT;
    if spread && jaccard >= MIN_JACCARD && (lead || jaccard >= MIN_JACCARD_NO_LEAD) {
        return Some(Match::Resemblance);
    }
    // A contained text either runs the other's lead nearly whole (a
    // pick-up) or still resembles it somewhat (a cut rewrite); a text that
    // reuses background paragraphs does neither.
    // Two paragraphs at least: one shared paragraph is an opening or a
    // quote reused, never a copy (also when boilerplate set aside leaves a
    // brief with a single paragraph of its own).
    // With heads on both sides a pick-up is judged on them (rule 7), and
    // the sampled lead view, which cannot tell where in the lead the shared
    // samples sit, is left out.
    let (containment, shared, shared_paragraphs) = if a.has_head() && b.has_head() {
        (s.whole_containment(), s.shared, s.shared_paragraphs)
    } else {
        s.contained()
    };
    // A short text (its whole text in its head) is read shingle for
    // shingle: two of its paragraphs must really be in the other, not just a
    // sampled stock phrase in the second.
    let head_spread = sim
        .head
        .is_none_or(|h| !h.smaller_complete || h.loose_shared_paragraphs >= 2);
    let contained = containment >= MIN_CONTAINMENT
        && shared >= MIN_SHARED_SAMPLES
        && shared_paragraphs >= 2
        && head_spread
        && lead
        && (s.lead_shared_pct >= PICKUP_LEAD_SHARED_PCT || jaccard >= MIN_JACCARD_CONTAINED);
    if contained {
        return Some(Match::Containment);
    }
    sim.head
        .is_some_and(|h| h.is_pickup())
        .then_some(Match::Pickup)
}

/// True when two fingerprints are judged to be the same story (no key set
/// aside as boilerplate).
pub fn same_story(a: &Fingerprint, b: &Fingerprint) -> bool {
    judge(a, b, &compare(a, b)).is_some()
}

/// The outcome of matching one new item.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryDecision {
    /// The existing story the item joins; `None` when it starts its own.
    pub story_id: Option<i64>,
    /// The indexed item it matched best.
    pub matched_item: Option<i64>,
    /// Score against the matched item (1 for an exact copy, Jaccard or
    /// containment otherwise, 0 when nothing matched).
    pub score: f64,
}

impl StoryDecision {
    /// The story id to store for `item_id`: the matched story, else its own id.
    pub fn story_for(&self, item_id: i64) -> i64 {
        self.story_id.unwrap_or(item_id)
    }

    /// No story joined.
    pub fn none() -> StoryDecision {
        StoryDecision {
            story_id: None,
            matched_item: None,
            score: 0.0,
        }
    }
}

/// The story of item `item_id` with fingerprint `fp`, given the candidates
/// the index found and the sample keys it knows as boilerplate (module
/// notes). The item itself among the candidates is ignored.
pub fn choose(
    item_id: i64,
    fp: &Fingerprint,
    candidates: &[Candidate],
    boilerplate: &HashSet<i64>,
) -> StoryDecision {
    let mut best: Option<(f64, &Candidate)> = None;
    for cand in candidates.iter().filter(|c| c.item_id != item_id) {
        if !may_match(fp, &cand.fingerprint) {
            continue;
        }
        let sim = compare_with(fp, &cand.fingerprint, boilerplate);
        let score = match judge(fp, &cand.fingerprint, &sim) {
            None => continue,
            Some(Match::Exact) => 2.0,
            Some(Match::Resemblance | Match::Containment | Match::Pickup) => sim.jaccard_estimate,
        };
        let better = match best {
            None => true,
            Some((s, b)) => {
                score > s || (score == s && (cand.seen_at, cand.item_id) < (b.seen_at, b.item_id))
            }
        };
        if better {
            best = Some((score, cand));
        }
    }
    match best {
        Some((score, cand)) => StoryDecision {
            story_id: Some(cand.story_id),
            matched_item: Some(cand.item_id),
            score: score.min(1.0),
        },
        None => StoryDecision::none(),
    }
}
