//! Measures story matching on labelled pairs.
//!
//! `cargo run --release --example story_eval [pairs.jsonl]` (default
//! `fixtures/dedup/pairs.jsonl`). Each line is `{"id", "kind", "same", "a":
//! {"title", "text"}, "b": {...}}`. Prints pair precision and recall of the
//! decision rule alone (`same_story`) and of the full path (the pair must also
//! share an LSH band key, i.e. be found by the index lookup), the similarity
//! ranges per kind, and every misclassified pair.

use std::collections::BTreeMap;

use newswire::dedup::{Fingerprint, band_keys, compare, same_story_given};
use serde::Deserialize;

#[derive(Deserialize)]
struct Side {
    title: Option<String>,
    text: String,
}

#[derive(Deserialize)]
struct Pair {
    id: String,
    kind: String,
    same: bool,
    a: Side,
    b: Side,
}

/// Jaccard min, max, containment min, max, pair count.
type Range = (f64, f64, f64, f64, u32);

#[derive(Default)]
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
    fn precision(&self) -> f64 {
        let said = self.tp + self.fp;
        if said == 0 {
            1.0
        } else {
            f64::from(self.tp) / f64::from(said)
        }
    }
    fn recall(&self) -> f64 {
        let truth = self.tp + self.fn_;
        if truth == 0 {
            1.0
        } else {
            f64::from(self.tp) / f64::from(truth)
        }
    }
    fn line(&self, name: &str) -> String {
        format!(
            "{name:<28} precision {:.3}  recall {:.3}  (tp {} fp {} tn {} fn {})",
            self.precision(),
            self.recall(),
            self.tp,
            self.fp,
            self.tn,
            self.fn_
        )
    }
}

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fixtures/dedup/pairs.jsonl".to_owned());
    let data = std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    let mut rule = Counts::default();
    let mut full = Counts::default();
    let mut ranges: BTreeMap<(String, bool), Range> = BTreeMap::new();
    let mut wrong = Vec::new();
    for (n, line) in data
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let pair: Pair =
            serde_json::from_str(line).map_err(|e| anyhow::anyhow!("{path}:{}: {e}", n + 1))?;
        let fa = Fingerprint::from_parts(pair.a.title.as_deref(), &pair.a.text);
        let fb = Fingerprint::from_parts(pair.b.title.as_deref(), &pair.b.text);
        let sim = compare(&fa, &fb);
        let said = same_story_given(&fa, &fb, &sim);
        let (ka, kb) = (band_keys(&fa), band_keys(&fb));
        let found = ka.iter().zip(&kb).any(|(x, y)| x == y);
        rule.add(pair.same, said);
        full.add(pair.same, said && found);
        let r = ranges.entry((pair.kind.clone(), pair.same)).or_insert((
            f64::MAX,
            0.0,
            f64::MAX,
            0.0,
            0,
        ));
        r.0 = r.0.min(sim.jaccard_estimate);
        r.1 = r.1.max(sim.jaccard_estimate);
        r.2 = r.2.min(sim.containment_estimate);
        r.3 = r.3.max(sim.containment_estimate);
        r.4 += 1;
        if pair.same != (said && found) {
            wrong.push(format!(
                "  {} ({}, same={}): jaccard {:.3} containment {:.3} exact {} shingles {}/{} band hit {}",
                pair.id, pair.kind, pair.same, sim.jaccard_estimate, sim.containment_estimate, sim.exact,
                fa.tokens, fb.tokens, found
            ));
        }
    }
    println!("story matching on {path}");
    println!("{}", rule.line("decision rule alone:"));
    println!("{}", full.line("rule + index lookup:"));
    println!("\nsimilarity by kind (jaccard min-max, containment min-max):");
    for ((kind, same), (jmin, jmax, cmin, cmax, n)) in &ranges {
        println!(
            "  {kind:<24} same={same:<5} n={n:<3} J {jmin:.2}-{jmax:.2}  C {cmin:.2}-{cmax:.2}"
        );
    }
    println!("\nmisclassified ({}):", wrong.len());
    for w in &wrong {
        println!("{w}");
    }
    Ok(())
}
