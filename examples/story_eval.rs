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

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use newswire::dedup::{Fingerprint, MemoryIndex, assign_story, compare, default_window};
use newswire::model::Extraction;
use newswire::store::stories_hook::is_teaser;
use serde::Deserialize;

#[derive(Deserialize)]
struct Side {
    title: Option<String>,
    text: String,
    story: Option<String>,
    extraction: Option<String>,
}

#[derive(Deserialize)]
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
fn assign(
    index: &mut MemoryIndex,
    id: i64,
    side: &Side,
    at: DateTime<Utc>,
) -> (Fingerprint, i64) {
    let fp = Fingerprint::from_parts(side.title.as_deref(), &side.text);
    let story = if is_teaser(extraction(side), &fp) {
        use newswire::dedup::StoryIndex;
        let Ok(()) = index.insert(id, id, at, &fp, &[], &[]);
        id
    } else {
        let Ok(d) = assign_story(index, id, &fp, at, default_window());
        d.story_for(id)
    };
    (fp, story)
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
            .entry(format!("{} ({})", pair.kind, if pair.same { "same" } else { "apart" }))
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

fn run(path: &str) -> anyhow::Result<()> {
    let data = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    let mut pairs = Vec::new();
    for (n, line) in data.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let pair: Pair =
            serde_json::from_str(line).map_err(|e| anyhow::anyhow!("{path}:{}: {e}", n + 1))?;
        pairs.push(pair);
    }
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
    let mut index = MemoryIndex::new();
    let mut label_of: HashMap<i64, String> = HashMap::new();
    let mut wrong_joins = 0u32;
    let mut at = t0;
    let mut next_id = 0i64;
    for pair in &pairs {
        let mut ids = [0i64; 2];
        for (k, side) in [&pair.a, &pair.b].into_iter().enumerate() {
            next_id += 1;
            at += TimeDelta::minutes(1);
            let label = side.story.clone().unwrap_or_else(|| format!("{}-{k}", pair.id));
            label_of.insert(next_id, label.clone());
            let (_, story) = assign(&mut index, next_id, side, at);
            if story != next_id && label_of.get(&story) != Some(&label) {
                wrong_joins += 1;
            }
            ids[k] = story;
        }
        // A pair is "joined" when b went into a's story.
        stream.add(pair, ids[0] == ids[1]);
    }

    println!("story matching on {path} ({} pairs)\n", pairs.len());
    isolated.print("pair by pair (fresh index per pair):");
    println!();
    stream.print("one stream (every text through one index):");
    if pairs.iter().all(|p| p.a.story.is_some() && p.b.story.is_some()) {
        println!("  texts joined to another story's item: {wrong_joins}");
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
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let paths = if paths.is_empty() {
        vec![
            "fixtures/stories/pairs.jsonl".to_owned(),
            "fixtures/dedup/pairs.jsonl".to_owned(),
        ]
    } else {
        paths
    };
    for p in &paths {
        run(p)?;
    }
    Ok(())
}
