//! Unit tests of the decision rule and of `assign_story` over `MemoryIndex`.

use chrono::{TimeZone, Utc};

use super::*;

fn para(topic: &str, sentences: usize) -> String {
    // Deterministic pseudo-random sentences from a shared vocabulary, seeded by topic.
    const WORDS: &[&str] = &[
        "the",
        "minister",
        "said",
        "on",
        "talks",
        "would",
        "resume",
        "next",
        "week",
        "in",
        "capital",
        "officials",
        "border",
        "agreement",
        "security",
        "council",
        "vote",
        "after",
        "months",
        "of",
        "negotiations",
        "between",
        "two",
        "sides",
        "over",
        "energy",
        "prices",
        "and",
        "trade",
        "sanctions",
        "a",
        "spokesman",
        "for",
        "ministry",
        "told",
        "reporters",
        "that",
        "delegation",
        "arrived",
        "late",
        "tuesday",
        "government",
        "plans",
        "budget",
        "army",
        "region",
        "police",
        "court",
        "ruled",
        "company",
        "shares",
        "fell",
        "bank",
        "rate",
        "rose",
        "storm",
        "flooding",
        "villages",
        "residents",
        "evacuated",
        "rescue",
        "teams",
        "hospital",
        "doctors",
        "election",
        "parliament",
        "opposition",
        "protest",
        "thousands",
        "streets",
        "president",
        "visit",
        "summit",
        "leaders",
        "statement",
        "gas",
        "oil",
        "pipeline",
        "exports",
        "grain",
        "port",
    ];
    let mut state = super::hash::hash64(topic.as_bytes(), 7);
    (0..sentences)
        .map(|_| {
            let words: Vec<&str> = (0..12)
                .map(|_| {
                    state = super::hash::mix64(state.wrapping_add(super::hash::GOLDEN));
                    WORDS[(state % WORDS.len() as u64) as usize]
                })
                .collect();
            format!("{}.", words.join(" "))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn verbatim_and_credit_line_reprints_match() {
    let a = para("harbour", 20);
    let b = format!("{a}\n\nReuters contributed to this report.\nFollow us on Telegram");
    let (fa, fb) = (Fingerprint::from_text(&a), Fingerprint::from_text(&b));
    assert!(compare(&fa, &fb).exact);
    assert!(same_story(&fa, &fb));
}

#[test]
fn trimmed_reprint_matches_and_different_story_does_not() {
    let full = para("harbour", 30);
    let trimmed: String = full.split(". ").take(20).collect::<Vec<_>>().join(". ");
    let (ff, ft) = (
        Fingerprint::from_text(&full),
        Fingerprint::from_text(&trimmed),
    );
    let sim = compare(&ff, &ft);
    assert!(sim.containment_estimate > 0.85, "{sim:?}");
    assert!(same_story(&ff, &ft));

    let other = para("railway", 30);
    let fo = Fingerprint::from_text(&other);
    assert!(!same_story(&ff, &fo), "{:?}", compare(&ff, &fo));
}

#[test]
fn shared_background_paragraph_is_not_enough() {
    let background = para("pipeline", 8);
    let a = format!("{}\n\n{background}", para("harbour", 22));
    let b = format!("{}\n\n{background}", para("election", 22));
    let (fa, fb) = (Fingerprint::from_text(&a), Fingerprint::from_text(&b));
    assert!(!same_story(&fa, &fb), "{:?}", compare(&fa, &fb));
}

#[test]
fn empty_and_short_texts_need_exactness() {
    let e = Fingerprint::from_text("");
    assert!(!same_story(&e, &e));
    let t1 = Fingerprint::from_parts(
        Some("Quake hits coast"),
        "A strong earthquake struck the coast on Monday.",
    );
    let t2 = Fingerprint::from_parts(
        Some("Quake hits coast"),
        "A strong earthquake struck the coast on Monday.",
    );
    let t3 = Fingerprint::from_parts(
        Some("Quake hits coast"),
        "A strong earthquake struck the coast on Tuesday.",
    );
    assert!(same_story(&t1, &t2));
    assert!(!same_story(&t1, &t3));
}

#[test]
fn assign_story_links_within_window_only() {
    let mut index = MemoryIndex::new();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
    let text = para("harbour", 25);
    let fp = Fingerprint::from_text(&text);
    let reprint = Fingerprint::from_text(&format!(
        "{text}\nAdditional reporting by A. Writer for Example News"
    ));
    let other = Fingerprint::from_text(&para("railway", 25));

    let d1 = assign_story(&mut index, 1, &fp, t0, default_window()).unwrap();
    assert_eq!(
        d1,
        StoryDecision {
            story_id: None,
            matched_item: None,
            score: 0.0
        }
    );
    assert_eq!(d1.story_for(1), 1);

    let d2 = assign_story(
        &mut index,
        2,
        &other,
        t0 + TimeDelta::hours(1),
        default_window(),
    )
    .unwrap();
    assert_eq!(d2.story_id, None);

    let d3 = assign_story(
        &mut index,
        3,
        &reprint,
        t0 + TimeDelta::days(2),
        default_window(),
    )
    .unwrap();
    assert_eq!(d3.story_id, Some(1));
    assert_eq!(d3.matched_item, Some(1));

    // A copy of item 3 joins story 1 through it.
    let d4 = assign_story(
        &mut index,
        4,
        &reprint,
        t0 + TimeDelta::days(8),
        default_window(),
    )
    .unwrap();
    assert_eq!(d4.story_id, Some(1));
    assert_eq!(d4.matched_item, Some(3));

    // Beyond the window of every indexed copy: a new story.
    let d5 = assign_story(
        &mut index,
        5,
        &fp,
        t0 + TimeDelta::days(30),
        default_window(),
    )
    .unwrap();
    assert_eq!(d5.story_id, None);
    assert_eq!(index.len(), 5);
    assert_eq!(index.prune_before(t0 + TimeDelta::days(3)), 3);
    assert_eq!(index.len(), 2);
}

/// A long article of `n` paragraphs of 5 sentences each, seeded by topic.
fn article(topic: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| para(&format!("{topic}-{i}"), 5)).collect()
}

#[test]
fn pickup_of_the_top_of_a_long_article_joins_on_the_head() {
    let original = article("harbour", 40);
    // The first two paragraphs, a word changed, a credit line.
    let mut top = original[..2]
        .join("\n\n")
        .replacen("minister", "premier", 1);
    top.push_str("\n\nReuters contributed to this report.");
    let (fo, fp) = (
        Fingerprint::from_text(&original.join("\n\n")),
        Fingerprint::from_text(&top),
    );
    let sim = compare(&fo, &fp);
    let head = sim.head.expect("both have heads");
    assert!(head.is_pickup(), "{head:?}");
    assert_eq!(judge(&fo, &fp, &sim), Some(Match::Pickup));

    // Its first paragraph on top of another article: one paragraph shared.
    let mut opening = article("railway", 6);
    opening[0] = original[0].clone();
    let fs = Fingerprint::from_text(&opening.join("\n\n"));
    assert!(!same_story(&fo, &fs), "{:?}", compare(&fo, &fs));
    // The same opening and a subhead that repeats its words further on.
    let subhead = original[0]
        .split(' ')
        .skip(3)
        .take(9)
        .collect::<Vec<_>>()
        .join(" ");
    let brief = format!("{}\n\n{subhead}\n\n{}", original[0], para("court", 2));
    let fb = Fingerprint::from_text(&brief);
    assert!(!same_story(&fo, &fb), "{:?}", compare(&fo, &fb));
}

#[test]
fn candidates_sharing_the_most_keys_are_kept_when_there_are_too_many() {
    use super::index::{MAX_CANDIDATES, MIN_CANDIDATE_SAMPLES, candidate_ids};
    // 100 items under one band key each (a template), the oldest item under
    // three, and items under sample keys only: two shared make a candidate,
    // one does not.
    let template: Vec<Vec<i64>> = (1000..1100).map(|id| vec![id]).collect();
    let copy = [vec![7], vec![7], vec![7]];
    let bands = template
        .iter()
        .map(Vec::as_slice)
        .chain(copy.iter().map(Vec::as_slice));
    let samples = [vec![8, 9], vec![8]];
    let ids = candidate_ids(bands, samples.iter().map(Vec::as_slice));
    assert_eq!(ids.len(), MAX_CANDIDATES);
    assert_eq!(ids[0], 7, "three shared keys outrank one: {ids:?}");
    assert_eq!(ids[1], 8, "two shared sample keys: {ids:?}");
    // The rest are the newest of the template's carriers.
    let newest: Vec<i64> = (1100 - (MAX_CANDIDATES as i64 - 2)..1100).collect();
    assert_eq!(&ids[2..], newest.as_slice());
    assert!(!ids.contains(&9), "one shared sample key is no candidate");
    assert_eq!(MIN_CANDIDATE_SAMPLES, 2);

    // Under the bound, every admitted item is kept.
    let few = candidate_ids(
        [[1i64, 2].as_slice()],
        [[3i64].as_slice(), [3i64, 4].as_slice()],
    );
    assert_eq!(few, vec![1, 2, 3]);
}

#[test]
fn the_cheap_screen_never_turns_away_a_pair_the_rules_accept() {
    // Every pair of a mix of copies, cuts, pick-ups and unrelated texts with
    // shared parts: wherever `may_match` says no, `judge` says no too; and
    // it does say no to most unrelated pairs, which is what it is for.
    let original = article("harbour", 12);
    let mut texts = vec![
        original.join("\n\n"),
        original[..8].join("\n\n"),
        original[..2].join("\n\n") + "\n\nReuters contributed to this report.",
        original[1..]
            .join("\n\n")
            .replacen("minister", "premier", 3),
        format!("{}\n\n{}", original[0], article("railway", 5).join("\n\n")),
        format!("{}\n\n{}", article("court", 5).join("\n\n"), original[4]),
        para("harbour-0", 3),
        String::new(),
    ];
    for topic in ["election", "drought", "summit", "strike"] {
        texts.push(article(topic, 6).join("\n\n"));
    }
    let fps: Vec<Fingerprint> = texts.iter().map(|t| Fingerprint::from_text(t)).collect();
    let (mut screened, mut matched) = (0, 0);
    for a in &fps {
        for b in &fps {
            let verdict = judge(a, b, &compare(a, b));
            matched += usize::from(verdict.is_some());
            if !decide::may_match(a, b) {
                screened += 1;
                assert_eq!(verdict, None, "{:?}", compare(a, b));
            }
        }
    }
    assert!(matched > fps.len(), "the mix holds matching pairs");
    assert!(screened * 2 > fps.len() * fps.len(), "{screened} screened");
}
