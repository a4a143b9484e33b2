//! Measures story matching on labelled pairs.
//!
//! `cargo run --release --example story_eval [pairs.jsonl ...]` (default
//! `fixtures/stories/pairs.jsonl` and `fixtures/dedup/pairs.jsonl`). Each line
//! is `{"id", "kind", "lang", "same", "a": {"title", "text", "story"?,
//! "extraction"?}, "b": {...}}`; `fixtures/stories/generate.py` writes the
//! multilingual set.
//!
//! Two runs over the same pairs, both through the whole matching path (index
//! lookups, boilerplate keys, the pure decision, the teaser rule):
//!
//! - **pair by pair**: a fresh index holding only `a`, then `b` is matched;
//! - **one stream**: every text of the file goes through one index in order
//!   (as a day of feeds would), so recurring boilerplate is seen as such and a
//!   text may join a wrong story from another pair: such a join is counted
//!   as a false positive of that text's pair.
//!
//! Prints pair precision and recall overall, per kind and per language, and
//! every misclassified pair of the pair-by-pair run.
//!
//! `--real GROUND_TRUTH.json` builds the same kinds of pairs from real
//! article texts instead (the `articleBody` of each entry of an
//! extraction-benchmark ground truth, e.g. `/work/shared/extraction-bench/
//! ground-truth.json`), with the transforms of `fixtures/stories/generate.py`
//! written here in Rust: a benchmark only, never a test input.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use newswire::model::Extraction;
use newswire::store::stories_hook::is_teaser;
use newswire::stories::{Fingerprint, MemoryIndex, assign_story, compare, default_window};
use serde::Deserialize;

#[derive(Deserialize, Clone)]
struct Side {
    title: Option<String>,
    text: String,
    story: Option<String>,
    extraction: Option<String>,
}

#[derive(Deserialize, Clone)]
struct Pair {
    id: String,
    kind: String,
    lang: Option<String>,
    same: bool,
    a: Side,
    b: Side,
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: u32,
    fp: u32,
    tn: u32,
    fn_: u32,
}

impl Counts {
    fn add(&mut self, truth: bool, said: bool) {
        match (truth, said) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (false, false) => self.tn += 1,
            (true, false) => self.fn_ += 1,
        }
    }
    fn ratio(num: u32, den: u32) -> String {
        if den == 0 {
            "  -  ".to_owned()
        } else {
            format!("{:.3}", f64::from(num) / f64::from(den))
        }
    }
    fn line(&self, name: &str) -> String {
        format!(
            "  {name:<34} precision {}  recall {}  (tp {:>3} fp {:>3} tn {:>3} fn {:>3})",
            Counts::ratio(self.tp, self.tp + self.fp),
            Counts::ratio(self.tp, self.tp + self.fn_),
            self.tp,
            self.fp,
            self.tn,
            self.fn_
        )
    }
}

fn extraction(side: &Side) -> Extraction {
    match side.extraction.as_deref() {
        Some("feed") => Extraction::Feed,
        Some("failed") => Extraction::Failed,
        Some("site_rule") => Extraction::SiteRule,
        _ => Extraction::Extracted,
    }
}

/// Matches one text the way the store does (teasers recorded without keys).
fn assign(index: &mut MemoryIndex, id: i64, side: &Side, at: DateTime<Utc>) -> (Fingerprint, i64) {
    let (fp, story, _) = assign_matched(index, id, side, at);
    (fp, story)
}

/// [`assign`], also returning the item matched.
fn assign_matched(
    index: &mut MemoryIndex,
    id: i64,
    side: &Side,
    at: DateTime<Utc>,
) -> (Fingerprint, i64, Option<i64>) {
    let fp = Fingerprint::from_parts(side.title.as_deref(), &side.text);
    if is_teaser(extraction(side), &fp) {
        use newswire::stories::StoryIndex;
        let Ok(()) = index.insert(id, id, at, &fp, &[], &[]);
        return (fp, id, None);
    }
    let Ok(d) = assign_story(index, id, &fp, at, default_window());
    (fp, d.story_for(id), d.matched_item)
}

#[derive(Default)]
struct Report {
    all: Counts,
    kinds: BTreeMap<String, Counts>,
    langs: BTreeMap<String, Counts>,
}

impl Report {
    fn add(&mut self, pair: &Pair, said: bool) {
        self.all.add(pair.same, said);
        self.kinds
            .entry(format!(
                "{} ({})",
                pair.kind,
                if pair.same { "same" } else { "apart" }
            ))
            .or_default()
            .add(pair.same, said);
        self.langs
            .entry(pair.lang.clone().unwrap_or_else(|| "?".into()))
            .or_default()
            .add(pair.same, said);
    }
    fn print(&self, title: &str) {
        println!("{title}");
        println!("{}", self.all.line("all pairs"));
        println!(" by kind:");
        for (k, c) in &self.kinds {
            println!("{}", c.line(k));
        }
        println!(" by language:");
        for (k, c) in &self.langs {
            println!("{}", c.line(k));
        }
    }
}

fn read_pairs(path: &str) -> anyhow::Result<Vec<Pair>> {
    let data = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    let mut pairs = Vec::new();
    for (n, line) in data
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let pair: Pair =
            serde_json::from_str(line).map_err(|e| anyhow::anyhow!("{path}:{}: {e}", n + 1))?;
        pairs.push(pair);
    }
    Ok(pairs)
}

const PROMO: &str = "Subscribe to our morning newsletter for the day's most important stories, \
    exclusive interviews with newsmakers, analysis from our correspondents in forty countries and \
    special offers from our partners, delivered to your inbox before breakfast every day of the \
    week, free of charge and with no advertising.";
const FOOTER: &str = "Global Wire Service is an independent news agency founded in 1991 that \
    distributes text, photo and video reports to more than two thousand media clients in ninety \
    countries; its materials may be republished only under a licence agreement.";
const NOTE: &str = "Editor's note: this article was updated with new figures.";

/// Replaces `share` of the words of each paragraph with words from `pool`.
fn edit(paras: &[String], share: f64, pool: &[&str], rng: &mut fastrand::Rng) -> Vec<String> {
    paras
        .iter()
        .map(|p| {
            p.split(' ')
                .map(|w| {
                    if rng.f64() < share {
                        pool[rng.usize(..pool.len())].to_owned()
                    } else {
                        w.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn side(story: &str, paras: &[String], extraction: &str) -> Side {
    Side {
        title: None,
        text: paras.join("\n\n"),
        story: Some(story.to_owned()),
        extraction: Some(extraction.to_owned()),
    }
}

/// The pair kinds of `fixtures/stories/generate.py` built from real texts.
fn real_pairs(path: &str) -> anyhow::Result<Vec<Pair>> {
    #[derive(Deserialize)]
    struct Truth {
        #[serde(rename = "articleBody")]
        body: String,
    }
    let data = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    let truth: BTreeMap<String, Truth> = serde_json::from_str(&data)?;
    let articles: Vec<(String, Vec<String>)> = truth
        .into_iter()
        .map(|(id, t)| {
            let paras: Vec<String> = t
                .body
                .lines()
                .map(str::trim)
                .filter(|l| l.split_whitespace().count() >= 8)
                .map(str::to_owned)
                .collect();
            (id, paras)
        })
        .filter(|(_, p)| p.len() >= 6)
        .collect();
    let pool_text: String = articles
        .iter()
        .flat_map(|(_, p)| p.iter().take(2))
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    let pool: Vec<&str> = pool_text.split_whitespace().collect();
    let mut rng = fastrand::Rng::with_seed(20_261_202);
    let mut out = Vec::new();
    for (i, (id, base)) in articles.iter().enumerate() {
        let (other_id, other) = &articles[(i + 1) % articles.len()];
        let mut push = |kind: &str, same: bool, a: Side, b: Side| {
            out.push(Pair {
                id: format!("{id:.12}-{kind}"),
                kind: kind.to_owned(),
                lang: Some("en (real)".to_owned()),
                same,
                a,
                b,
            });
        };
        let a = side(id, base, "extracted");
        let k = 2 + rng.usize(..2);
        push(
            "pickup",
            true,
            a.clone(),
            side(id, &edit(&base[..k], 0.05, &pool, &mut rng), "extracted"),
        );
        let mut keep: Vec<String> = base
            .iter()
            .enumerate()
            .filter(|(j, _)| *j == 0 || rng.f64() > 0.34)
            .map(|(_, p)| p.clone())
            .collect();
        if keep.len() > 3 {
            let (x, y) = (
                1 + rng.usize(..keep.len() - 1),
                1 + rng.usize(..keep.len() - 1),
            );
            keep.swap(x, y);
        }
        let mut rewrite = vec![NOTE.to_owned()];
        rewrite.extend(edit(&keep, 0.10, &pool, &mut rng));
        push(
            "cut_rewrite",
            true,
            a.clone(),
            side(id, &rewrite, "extracted"),
        );
        push(
            "reprint",
            true,
            a.clone(),
            side(id, &edit(base, 0.05, &pool, &mut rng), "extracted"),
        );
        let mut opening = vec![base[0].clone()];
        opening.extend(other[1..].iter().cloned());
        push(
            "shared_opening",
            false,
            a.clone(),
            side(other_id, &opening, "extracted"),
        );
        let half = base.len() / 2;
        let mut background = other.clone();
        let at = (background.len() / 2).max(2).min(background.len());
        background.splice(at..at, base[half..half + 2].iter().cloned());
        push(
            "shared_background",
            false,
            a.clone(),
            side(other_id, &background, "extracted"),
        );
        let brief = |p: &[String]| {
            let mut v = p[..1].to_vec();
            v.push(PROMO.to_owned());
            v
        };
        push(
            "promo_tail",
            false,
            side(id, &brief(base), "extracted"),
            side(other_id, &brief(other), "extracted"),
        );
        let wire = |p: &[String]| {
            let mut v = p[..2].to_vec();
            v.extend([
                FOOTER.to_owned(),
                "Follow us on Telegram".to_owned(),
                "© 2026 Global Wire Service. All rights reserved.".to_owned(),
            ]);
            v
        };
        push(
            "wire_boilerplate",
            false,
            side(id, &wire(base), "extracted"),
            side(other_id, &wire(other), "extracted"),
        );
        let teaser: String = base[0]
            .split_whitespace()
            .take(35)
            .collect::<Vec<_>>()
            .join(" ");
        push("teaser", false, a, side(id, &[teaser], "failed"));
    }
    Ok(out)
}

fn run(path: &str, real: bool) -> anyhow::Result<()> {
    let pairs = if real {
        real_pairs(path)?
    } else {
        read_pairs(path)?
    };
    let t0 = DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();

    // Pair by pair.
    let mut isolated = Report::default();
    let mut ranges: BTreeMap<String, [f64; 4]> = BTreeMap::new();
    let mut wrong = Vec::new();
    for pair in &pairs {
        let mut index = MemoryIndex::new();
        let (fa, sa) = assign(&mut index, 1, &pair.a, t0);
        let (fb, sb) = assign(&mut index, 2, &pair.b, t0 + TimeDelta::minutes(30));
        let said = sa == sb;
        isolated.add(pair, said);
        let sim = compare(&fa, &fb);
        let r = ranges
            .entry(pair.kind.clone())
            .or_insert([f64::MAX, 0.0, f64::MAX, 0.0]);
        r[0] = r[0].min(sim.jaccard_estimate);
        r[1] = r[1].max(sim.jaccard_estimate);
        r[2] = r[2].min(sim.containment_estimate);
        r[3] = r[3].max(sim.containment_estimate);
        if said != pair.same {
            let sim = compare(&fa, &fb);
            wrong.push(format!(
                "  {} ({}, same={}): jaccard {:.3} containment {:.3} figures {:?} samples {:?} words {}/{}",
                pair.id,
                pair.kind,
                pair.same,
                sim.jaccard_estimate,
                sim.containment_estimate,
                sim.number_containment,
                sim.samples,
                fa.words,
                fb.words
            ));
        }
    }

    // One stream: a's and b's interleaved in file order, a minute apart.
    let mut stream = Report::default();
    // b joined a story of its own article (a's, or one started by another
    // text of the same article that a did not join).
    let mut stream_article = Report::default();
    let mut index = MemoryIndex::new();
    let mut label_of: HashMap<i64, String> = HashMap::new();
    let mut wrong_joins = 0u32;
    let mut fps: HashMap<i64, Fingerprint> = HashMap::new();
    let mut kind_of: HashMap<i64, String> = HashMap::new();
    let mut at = t0;
    let mut next_id = 0i64;
    for pair in &pairs {
        let mut ids = [0i64; 2];
        for (k, side) in [&pair.a, &pair.b].into_iter().enumerate() {
            next_id += 1;
            at += TimeDelta::minutes(1);
            let label = side
                .story
                .clone()
                .unwrap_or_else(|| format!("{}-{k}", pair.id));
            label_of.insert(next_id, label.clone());
            let (fp, story, matched) = assign_matched(&mut index, next_id, side, at);
            if story != next_id && label_of.get(&story) != Some(&label) {
                wrong_joins += 1;
                if std::env::var_os("STORY_EVAL_DEBUG").is_some() {
                    let m = matched.unwrap_or_default();
                    let sim = fps.get(&m).map(|o| compare(&fp, o));
                    eprintln!(
                        "wrong join: {} side {k} into story of {:?} via item {m} ({:?}): {sim:?}",
                        pair.id,
                        label_of.get(&story),
                        kind_of.get(&m),
                    );
                }
            }
            if std::env::var_os("STORY_EVAL_DEBUG").is_some()
                || std::env::var_os("STORY_EVAL_MISSES").is_some()
            {
                fps.insert(next_id, fp);
                kind_of.insert(next_id, format!("{} side {k}", pair.id));
            }
            ids[k] = story;
        }
        // A pair is "joined" when b went into a's story.
        stream.add(pair, ids[0] == ids[1]);
        let b_label = label_of.get(&next_id).cloned();
        let a_label = label_of.get(&(next_id - 1)).cloned();
        let own_article = ids[0] == ids[1]
            || (ids[1] != next_id
                && a_label == b_label
                && label_of.get(&ids[1]) == b_label.as_ref());
        stream_article.add(pair, own_article);
        if pair.same && ids[0] != ids[1] && std::env::var_os("STORY_EVAL_MISSES").is_some() {
            let fa = Fingerprint::from_parts(pair.a.title.as_deref(), &pair.a.text);
            let fb = Fingerprint::from_parts(pair.b.title.as_deref(), &pair.b.text);
            let sim = compare(&fa, &fb);
            let other = fps.get(&ids[1]).map(|o| {
                let s = compare(&fb, o);
                (newswire::stories::judge(&fb, o, &s), s)
            });
            eprintln!(
                "stream miss: {} ({}): a in story {} b in story {} ({:?}); head {:?}\n   vs b's story: {other:?}",
                pair.id,
                pair.kind,
                ids[0],
                ids[1],
                kind_of.get(&ids[1]),
                sim.head
            );
        }
    }

    println!("story matching on {path} ({} pairs)\n", pairs.len());
    isolated.print("pair by pair (fresh index per pair):");
    println!();
    stream.print("one stream (every text through one index):");
    if pairs
        .iter()
        .all(|p| p.a.story.is_some() && p.b.story.is_some())
    {
        println!("  texts joined to another story's item: {wrong_joins}");
        println!();
        stream_article.print(
            "one stream, b joined a story of its own article (a's, or another copy's that a did not join):",
        );
    } else {
        println!("  (texts carry no story labels: wrong joins across pairs not counted)");
    }
    println!("\nsimilarity by kind, pair by pair (Jaccard min-max, containment min-max):");
    for (kind, r) in &ranges {
        println!(
            "  {kind:<24} J {:.2}-{:.2}  C {:.2}-{:.2}",
            r[0], r[1], r[2], r[3]
        );
    }
    println!("\nmisclassified pair by pair ({}):", wrong.len());
    for w in &wrong {
        println!("{w}");
    }
    println!();
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.first().is_some_and(|a| a == "--real") {
        for p in &paths[1..] {
            run(p, true)?;
        }
        return Ok(());
    }
    paths.retain(|p| !p.is_empty());
    let paths = if paths.is_empty() {
        vec![
            "fixtures/stories/pairs.jsonl".to_owned(),
            "fixtures/dedup/pairs.jsonl".to_owned(),
        ]
    } else {
        paths
    };
    for p in &paths {
        run(p, false)?;
    }
    Ok(())
}
