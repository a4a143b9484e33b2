//! Reading what was stored: paging, search, stories, and the article
//! queue that fills items in later.

use std::time::Duration;

use chrono::{TimeDelta, Utc};

use super::{TestStore, days_ago, list};
use crate::store::articles::{ArticleOutcome, PageJob, PageState};
use crate::store::suite::{entry, item, poll, story_text};
use crate::store::{ItemQuery, StoryQuery};

pub(crate) fn after_id_paging_never_skips_and_newest_first_pages_do_not_overlap(t: &mut TestStore) {
    let ids = t.feeds(&["alpha", "beta"]);
    // Publication times out of storing order, two of them equal (the id
    // breaks the tie), one item without a date.
    let published = [Some(3), Some(1), None, Some(5), Some(5), Some(2)];
    let mut stored = 0;
    let mut write = |t: &mut TestStore, feed, n: usize| {
        let entries = (0..n)
            .map(|_| {
                let i = stored;
                stored += 1;
                let url = format!("https://x.test/{i}");
                let mut it = item(&url, &format!("Item {i}"), "text");
                it.published_at = published[i % published.len()].map(days_ago);
                entry(&url, it)
            })
            .collect();
        t.store
            .record_poll(&poll(feed, entries, vec![]))
            .expect("write");
    };
    write(t, ids[0], 3);
    write(t, ids[1], 2);

    // A reader paging by `after_id`, two at a time, while polls are written
    // between its pages, sees every item once, in storing order.
    let mut seen: Vec<i64> = Vec::new();
    let mut polls_left = 3;
    loop {
        let page = t
            .store
            .items(&ItemQuery {
                after_id: Some(seen.last().copied().unwrap_or(0)),
                omit_text: true,
                ..list(2)
            })
            .expect("page");
        seen.extend(page.iter().map(|r| r.id));
        if polls_left > 0 {
            write(t, ids[polls_left % 2], 2);
            polls_left -= 1;
        } else if page.is_empty() {
            break;
        }
    }
    let all = t.store.items(&list(100)).expect("all");
    assert_eq!(all.len(), 11);
    let mut by_id: Vec<i64> = all.iter().map(|r| r.id).collect();
    by_id.sort_unstable();
    assert_eq!(seen, by_id, "after_id skipped or repeated an item");
    let beta_after = t
        .store
        .items(&ItemQuery {
            after_id: Some(seen[4]),
            feed: Some("beta".into()),
            tag: Some("world".into()),
            ..list(100)
        })
        .expect("filtered");
    assert!(!beta_after.is_empty());
    assert!(
        beta_after
            .iter()
            .all(|r| r.id > seen[4] && r.feeds == ["beta"])
    );

    // Newest first, page by page with the cursor: the same items as one
    // long list, in the same order.
    let mut pages: Vec<i64> = Vec::new();
    let mut before = None;
    loop {
        let page = t
            .store
            .items(&ItemQuery {
                before: before.clone(),
                ..list(3)
            })
            .expect("page");
        let Some(last) = page.last() else { break };
        before = Some(last.cursor());
        pages.extend(page.iter().map(|r| r.id));
    }
    assert_eq!(pages, all.iter().map(|r| r.id).collect::<Vec<_>>());
    let offset = t
        .store
        .items(&ItemQuery {
            offset: 9,
            ..list(5)
        })
        .expect("offset");
    assert_eq!(offset.iter().map(|r| r.id).collect::<Vec<_>>(), pages[9..]);
}

pub(crate) fn search_finds_words_in_every_script_and_ranks_titles_first(t: &mut TestStore) {
    let ids = t.feeds(&["alpha"]);
    let mut ru = item(
        "https://x.test/ru",
        "Переговоры",
        "Власти Малайзии заявили во вторник, что переговоры продолжатся.",
    );
    ru.language = Some("ru".into());
    // No language tag: stemmed as its script allows.
    let ru2 = item(
        "https://x.test/ru2",
        "Переговоры в Стамбуле",
        "Делегации обсудили зерновую сделку.",
    );
    let zh = item(
        "https://x.test/zh",
        "航天",
        "新华社消息，中国航天员今天完成出舱活动，这是航天事业的新进展。",
    );
    let en = item(
        "https://x.test/en",
        "Grain ports reopen",
        "Ships left the Black Sea ports with grain on Monday.",
    );
    let en2 = item(
        "https://x.test/en2",
        "Storm",
        "A storm closed the ports along the coast; grain exports were delayed.",
    );
    t.store
        .record_poll(&poll(
            ids[0],
            vec![
                entry("1", ru),
                entry("2", ru2),
                entry("3", zh),
                entry("4", en),
                entry("5", en2),
            ],
            vec![],
        ))
        .expect("write");
    let q = list(10);
    let urls = |text: &str| -> Vec<String> {
        t.store
            .search(text, &q)
            .expect("search")
            .into_iter()
            .map(|h| h.url)
            .collect()
    };
    // A Chinese word inside a sentence (no spaces), and not a word that is
    // not there.
    assert_eq!(urls("航天员"), ["https://x.test/zh"]);
    assert!(urls("宇航员").is_empty());
    // Russian nouns by their dictionary form (the text has "Малайзии" and
    // "сделку"), case-folded.
    assert_eq!(urls("Малайзия"), ["https://x.test/ru"]);
    assert_eq!(urls("сделка"), ["https://x.test/ru2"]);
    assert_eq!(urls("стамбуле"), ["https://x.test/ru2"]);
    assert_eq!(urls("переговоры").len(), 2);
    // The operators.
    assert_eq!(urls("\"black sea\""), ["https://x.test/en"]);
    assert_eq!(urls("grain NOT storm"), ["https://x.test/en"]);
    assert_eq!(urls("(storm OR sea) AND grain").len(), 2);
    assert_eq!(urls("gra*").len(), 2);
    // A word in a title ranks first.
    assert_eq!(urls("grain")[0], "https://x.test/en");
    // Broken syntax is searched as plain words; no words find nothing.
    assert_eq!(urls("(grain AND"), urls("grain"));
    assert_eq!(urls("\"grain ports").len(), 2, "not the phrase: both words");
    assert!(urls("-- ,").is_empty());
    assert!(urls("nothing-like-this").is_empty());
    let hit = &t.store.search("Малайзия", &q).expect("search")[0];
    assert_eq!(
        hit.snippet.as_deref(),
        Some("Власти [Малайзии] заявили во вторник, что переговоры продолжатся.")
    );
    assert_eq!(hit.feeds, ["alpha"]);
    // `after_id` filters hits too.
    let en = t
        .store
        .item_by_canonical("https://x.test/en")
        .expect("read")
        .expect("stored");
    let later = ItemQuery {
        after_id: Some(en),
        ..list(10)
    };
    let hits = t.store.search("grain", &later).expect("search");
    assert_eq!(
        hits.iter().map(|h| h.url.as_str()).collect::<Vec<_>>(),
        ["https://x.test/en2"]
    );
}

pub(crate) fn a_reprint_joins_the_story_of_its_original(t: &mut TestStore) {
    let ids = t.feeds(&["alpha", "beta"]);
    let text = story_text("talks in geneva resumed with envoys", 30);
    t.store
        .record_poll(&poll(
            ids[0],
            vec![entry("1", item("https://a.test/1", "Talks", &text))],
            vec![],
        ))
        .expect("write");
    t.store
        .record_poll(&poll(
            ids[1],
            vec![
                entry(
                    "1",
                    item(
                        "https://b.test/1",
                        "Talks resume",
                        &(text.clone() + " Reuters contributed."),
                    ),
                ),
                entry(
                    "2",
                    item(
                        "https://b.test/2",
                        "Floods",
                        &story_text("flooding closed roads across the north", 30),
                    ),
                ),
            ],
            vec![],
        ))
        .expect("write");
    let story_of = |t: &TestStore, url: &str| id_and_story(t, url).1;
    let original = story_of(t, "https://a.test/1");
    assert!(original.is_some());
    assert_eq!(
        story_of(t, "https://b.test/1"),
        original,
        "the reprint joins"
    );
    assert_ne!(story_of(t, "https://b.test/2"), original, "another story");
    let stories = t
        .store
        .stories(&StoryQuery {
            since: None,
            min_items: 2,
            limit: 10,
            offset: 0,
        })
        .expect("stories");
    assert_eq!(stories.len(), 1, "{stories:?}");
    assert_eq!(Some(stories[0].id), original);
    assert_eq!(stories[0].item_count, 2);
    assert_eq!(stories[0].outlets, ["alpha", "beta"]);
    assert_eq!(stories[0].url.as_deref(), Some("https://a.test/1"));
    let story_items = t
        .store
        .items(&ItemQuery {
            story: original,
            ..list(10)
        })
        .expect("items");
    assert_eq!(story_items.len(), 2);
    // The story index keeps only the matching window's keys.
    assert!(
        t.store
            .prune_story_index(Utc::now() + TimeDelta::days(30))
            .expect("prune")
            > 0
    );
}

pub(crate) fn the_article_queue_claims_once_and_fences_a_stale_finish(t: &mut TestStore) {
    let ids = t.feeds(&["alpha"]);
    let now = Utc::now();
    let page = PageJob {
        canonical_url: "https://x.test/1".into(),
        url: "https://x.test/1".into(),
        state: PageState::Pending {
            attempts: 1,
            next_attempt_at: now,
            error: Some("timeout".into()),
            http_status: None,
        },
    };
    let mut teaser = item("https://x.test/1", "Talks", "A teaser.");
    teaser.extraction = crate::model::Extraction::Feed;
    t.store
        .record_poll_with_pages(&poll(ids[0], vec![entry("1", teaser)], vec![]), &[page])
        .expect("write");
    let lease = Duration::from_secs(60);
    assert!(
        t.store
            .claim_articles("w1", 5, lease, now - TimeDelta::seconds(10))
            .expect("claim")
            .is_empty(),
        "not due yet"
    );
    let jobs = t.store.claim_articles("w1", 5, lease, now).expect("claim");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].feed.as_deref(), Some("alpha"));
    assert!(
        t.store
            .claim_articles("w2", 5, lease, now)
            .expect("claim")
            .is_empty(),
        "a leased row is claimed once"
    );
    let full = item(
        "https://x.test/1",
        "Talks",
        &story_text("talks in geneva resumed", 30),
    );
    let outcome = ArticleOutcome::Fetched {
        fingerprint: crate::store::stories_hook::fingerprint_of(&full),
        item: Box::new(full),
    };
    let mut stale = jobs[0].clone();
    stale.lease_token += 1;
    assert!(
        !t.store
            .finish_article(&stale, &outcome, now)
            .expect("fenced"),
        "a finish under a lost lease writes nothing"
    );
    assert!(
        t.store
            .search("geneva", &list(10))
            .expect("search")
            .is_empty()
    );
    assert!(
        t.store
            .finish_article(&jobs[0], &outcome, now)
            .expect("finish")
    );
    let stats = t.store.article_stats(now).expect("stats");
    assert_eq!((stats.pending, stats.running, stats.done), (0, 0, 1));
    assert_eq!(
        t.store.search("geneva", &list(10)).expect("search").len(),
        1
    );
    assert_eq!(t.store.list_articles(&["done"], 10).expect("list").len(), 1);
    assert_eq!(t.store.next_article_due().expect("next"), None);
    let id = jobs[0].item_id;
    assert_eq!(
        t.store.requeue_articles(&[id + 100], now).expect("requeue"),
        [id + 100],
        "an unknown item is named and nothing is queued"
    );
    assert!(
        t.store
            .requeue_articles(&[id], now)
            .expect("requeue")
            .is_empty()
    );
    assert_eq!(t.store.article_stats(now).expect("stats").pending, 1);
}

pub(crate) fn a_teaser_joins_its_story_when_its_page_arrives(t: &mut TestStore) {
    let ids = t.feeds(&["alpha", "beta", "gamma"]);
    let text = story_text("talks in geneva resumed with envoys", 30);
    t.store
        .record_poll(&poll(
            ids[0],
            vec![entry("1", item("https://a.test/1", "Talks", &text))],
            vec![],
        ))
        .expect("write");
    // Two teasers of the same story: one whose page the article queue
    // fetches later, one whose text `refresh_story` replaces.
    let teaser = |url: &str| {
        let mut t = item(url, "Talks resume", "Envoys met again in Geneva.");
        t.extraction = crate::model::Extraction::Feed;
        t
    };
    let now = Utc::now();
    let page = PageJob {
        canonical_url: "https://b.test/1".into(),
        url: "https://b.test/1".into(),
        state: PageState::Pending {
            attempts: 1,
            next_attempt_at: now,
            error: Some("503".into()),
            http_status: Some(503),
        },
    };
    t.store
        .record_poll_with_pages(
            &poll(ids[1], vec![entry("1", teaser("https://b.test/1"))], vec![]),
            &[page],
        )
        .expect("write");
    t.store
        .record_poll(&poll(
            ids[2],
            vec![entry("1", teaser("https://c.test/1"))],
            vec![],
        ))
        .expect("write");
    let story_of = id_and_story;
    let (original, story) = story_of(t, "https://a.test/1");
    let (b, b_story) = story_of(t, "https://b.test/1");
    let (c, c_story) = story_of(t, "https://c.test/1");
    assert_ne!(b_story, story, "a teaser never joins by itself");
    assert_ne!(c_story, story, "a teaser never joins by itself");

    let jobs = t
        .store
        .claim_articles("w1", 5, Duration::from_secs(60), now)
        .expect("claim");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].item_id, b);
    let full = item(
        "https://b.test/1",
        "Talks resume",
        &(text.clone() + " Reuters contributed."),
    );
    let outcome = ArticleOutcome::Fetched {
        fingerprint: crate::store::stories_hook::fingerprint_of(&full),
        item: Box::new(full),
    };
    assert!(
        t.store
            .finish_article(&jobs[0], &outcome, now)
            .expect("finish")
    );
    assert_eq!(story_of(t, "https://b.test/1").1, Some(original));

    let refreshed = t
        .store
        .refresh_story(
            c,
            &crate::store::stories_hook::NewItemText {
                title: None,
                content_html: None,
                content_text: Some(text.clone() + " AP contributed."),
                language: None,
                extraction: crate::model::Extraction::Extracted,
                extraction_error: None,
                fingerprint: None,
            },
        )
        .expect("refresh")
        .expect("stored");
    assert_eq!(refreshed.story_id, original);
    assert_eq!(refreshed.previous_story_id, c);
    assert!(!refreshed.teaser);
    assert_eq!(story_of(t, "https://c.test/1").1, Some(original));
    assert_eq!(story, Some(original));
}

/// The id of the item stored under `canonical_url`, and its story.
fn id_and_story(t: &TestStore, canonical_url: &str) -> (i64, Option<i64>) {
    let id = t
        .store
        .item_by_canonical(canonical_url)
        .expect("read")
        .expect("stored");
    let story = t
        .store
        .item_detail(id)
        .expect("read")
        .expect("stored")
        .story_id;
    (id, story)
}
