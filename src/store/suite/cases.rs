//! The cases of the store suite: each takes a fresh [`TestStore`] of any
//! backend and checks one behaviour through the [`Store`](crate::store::Store)
//! facade only (SQL only where the facade shows nothing, and then SQL both
//! backends read alike).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::{TestStore, entry, feed_config, item, link, poll, story_text};
use crate::model::EntryKey;
use crate::store::articles::{ArticleOutcome, PageJob, PageState};
use crate::store::{ItemQuery, PollOutcome, PollSummary, StoryQuery};

fn list(limit: usize) -> ItemQuery {
    ItemQuery {
        limit,
        ..ItemQuery::default()
    }
}

/// A time `days` ago, in whole seconds (as items store it).
fn days_ago(days: i64) -> DateTime<Utc> {
    let t = Utc::now() - TimeDelta::days(days);
    DateTime::from_timestamp(t.timestamp(), 0).expect("in range")
}

pub(super) fn a_poll_stores_new_items_their_sources_and_the_feed_state(t: &mut TestStore) {
    let ids = t.feeds(&["alpha", "beta"]);
    let summary = t
        .store
        .record_poll(&poll(
            ids[0],
            vec![
                entry("a1", item("https://x.test/1", "One", "first text here")),
                entry("a2", item("https://x.test/2", "Two", "second text here")),
            ],
            vec![],
        ))
        .expect("write");
    assert_eq!(
        summary,
        PollSummary {
            new_items: 2,
            linked: 0
        }
    );
    assert_eq!(t.store.counts().expect("counts"), (2, 2, 1));
    let one = t
        .store
        .item_by_canonical("https://x.test/1")
        .expect("read")
        .expect("stored");
    let known = t
        .store
        .known_entries(ids[0], &[EntryKey("a1".into()), EntryKey("zz".into())])
        .expect("known");
    assert_eq!(known.len(), 1);
    assert_eq!(known["a1"], one);
    assert!(
        t.store
            .known_entries(ids[1], &[EntryKey("a1".into())])
            .expect("known")
            .is_empty(),
        "keys are per feed"
    );

    let state = t.store.feed_state("alpha").expect("read").expect("stored");
    assert_eq!(state.last_status.as_deref(), Some("ok"));
    assert_eq!(state.error_count, 0);
    assert!(state.last_polled_at.is_some() && state.next_due_at.is_some() && state.enabled);
    let never = t.store.feed_state("beta").expect("read").expect("stored");
    assert_eq!((never.last_polled_at, never.last_status), (None, None));

    let rows = t.store.items(&list(10)).expect("items");
    assert_eq!(rows.len(), 2);
    let row = rows.iter().find(|r| r.id == one).expect("item 1");
    assert_eq!(row.feeds, ["alpha"]);
    assert_eq!(row.title.as_deref(), Some("One"));
    assert_eq!(row.story_id, Some(one), "a first copy starts its own story");
    let detail = t.store.item_detail(one).expect("read").expect("stored");
    assert_eq!(detail.content_text.as_deref(), Some("first text here"));
    assert_eq!(detail.sources.len(), 1);
    assert_eq!(
        (
            detail.sources[0].feed.as_str(),
            detail.sources[0].entry_key.as_str()
        ),
        ("alpha", "a1")
    );
    assert!(t.store.item_detail(one + 100).expect("read").is_none());

    // A config without beta: beta is disabled, not deleted.
    t.store
        .sync_feeds(
            &[feed_config("alpha", "http://127.0.0.1:9/alpha.xml")],
            Utc::now(),
        )
        .expect("sync");
    let states = t.store.feed_states().expect("states");
    assert_eq!(
        states
            .iter()
            .map(|s| (s.name.as_str(), s.enabled))
            .collect::<Vec<_>>(),
        [("alpha", true), ("beta", false)]
    );
}

pub(super) fn one_canonical_url_through_two_feeds_is_one_item_with_two_sources(t: &mut TestStore) {
    let ids = t.feeds(&["alpha", "beta"]);
    t.store
        .record_poll(&poll(
            ids[0],
            vec![entry("a1", item("https://x.test/1", "One", "the text"))],
            vec![],
        ))
        .expect("write");
    // Beta carries the same article under its own key (its link had a
    // tracking parameter the canonical URL drops): no second item.
    let mut copy = item("https://x.test/1?utm_source=beta", "One", "the text");
    copy.canonical_url = "https://x.test/1".into();
    let summary = t
        .store
        .record_poll(&poll(ids[1], vec![entry("b1", copy)], vec![]))
        .expect("write");
    assert_eq!(
        summary,
        PollSummary {
            new_items: 0,
            linked: 1
        }
    );
    let id = t
        .store
        .item_by_canonical("https://x.test/1")
        .expect("read")
        .expect("stored");
    // The pipeline links an entry it matched to a stored item; a link the
    // feed already has counts once. (A second later: sources are listed by
    // when they were first seen.)
    let mut links = poll(ids[1], vec![], vec![link("b2", id), link("b1", id)]);
    links.started_at += TimeDelta::seconds(1);
    let summary = t.store.record_poll(&links).expect("write");
    assert_eq!(summary.linked, 1);
    assert_eq!(t.store.counts().expect("counts"), (1, 3, 3));
    let detail = t.store.item_detail(id).expect("read").expect("stored");
    assert_eq!(
        detail
            .sources
            .iter()
            .map(|s| (s.feed.as_str(), s.entry_key.as_str()))
            .collect::<Vec<_>>(),
        [("alpha", "a1"), ("beta", "b1"), ("beta", "b2")]
    );
    assert_eq!(
        detail.sources[1].entry_url.as_deref(),
        Some("https://x.test/1?utm_source=beta")
    );
    let rows = t.store.items(&list(10)).expect("items");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].feeds, ["alpha", "beta", "beta"]);
    assert_eq!(rows[0].url, "https://x.test/1", "the first copy's URL");
    let beta = t
        .store
        .items(&ItemQuery {
            feed: Some("beta".into()),
            ..list(10)
        })
        .expect("items");
    assert_eq!(beta.len(), 1, "the item is listed under either feed");
}

pub(super) fn conditional_get_validators_are_kept_between_polls(t: &mut TestStore) {
    let ids = t.feeds(&["alpha"]);
    let state = |t: &TestStore| t.store.feed_state("alpha").expect("read").expect("stored");
    assert_eq!((state(t).etag, state(t).last_modified), (None, None));
    let lm = "Tue, 01 Dec 2026 10:00:00 GMT";
    let mut fetched = poll(ids[0], vec![], vec![]);
    fetched.outcome = PollOutcome::Fetched {
        http_status: 200,
        bytes: 100,
        etag: Some("W/\"v1\"".into()),
        last_modified: Some(lm.into()),
        meta: crate::store::FeedMeta::default(),
        permanent_redirect: None,
    };
    t.store.record_poll(&fetched).expect("write");
    let s = state(t);
    assert_eq!(s.etag.as_deref(), Some("W/\"v1\""));
    assert_eq!(s.last_modified.as_deref(), Some(lm));

    // A 304 without validators keeps the stored ones.
    let not_modified = |etag: Option<&str>| {
        let mut p = poll(ids[0], vec![], vec![]);
        p.outcome = PollOutcome::NotModified {
            etag: etag.map(Into::into),
            last_modified: None,
        };
        p
    };
    t.store.record_poll(&not_modified(None)).expect("write");
    let s = state(t);
    assert_eq!(s.etag.as_deref(), Some("W/\"v1\""));
    assert_eq!(s.last_modified.as_deref(), Some(lm));
    assert_eq!(s.last_status.as_deref(), Some("not_modified"));
    // A 304 with a new etag replaces that one only.
    t.store
        .record_poll(&not_modified(Some("\"v2\"")))
        .expect("write");
    let s = state(t);
    assert_eq!(s.etag.as_deref(), Some("\"v2\""));
    assert_eq!(s.last_modified.as_deref(), Some(lm));
    // A 200 without validators clears them: the next request is unconditional.
    let mut plain = poll(ids[0], vec![], vec![]);
    plain.outcome = PollOutcome::Fetched {
        http_status: 200,
        bytes: 100,
        etag: None,
        last_modified: None,
        meta: crate::store::FeedMeta::default(),
        permanent_redirect: None,
    };
    t.store.record_poll(&plain).expect("write");
    let s = state(t);
    assert_eq!((s.etag, s.last_modified), (None, None));
    assert_eq!(s.last_status.as_deref(), Some("ok"));
    assert_eq!(t.store.counts().expect("counts").2, 4, "each poll logged");
}

pub(super) fn after_id_paging_never_skips_and_newest_first_pages_do_not_overlap(t: &mut TestStore) {
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

pub(super) fn search_finds_words_in_every_script_and_ranks_titles_first(t: &mut TestStore) {
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

pub(super) fn a_reprint_joins_the_story_of_its_original(t: &mut TestStore) {
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
    let story_of = |t: &TestStore, url: &str| {
        let id = t
            .store
            .item_by_canonical(url)
            .expect("read")
            .expect("stored");
        t.store
            .item_detail(id)
            .expect("read")
            .expect("stored")
            .story_id
    };
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

pub(super) fn the_article_queue_claims_once_and_fences_a_stale_finish(t: &mut TestStore) {
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

pub(super) fn retention_leaves_tombstones_and_a_pruned_article_is_not_stored_again(
    t: &mut TestStore,
) {
    let ids = t.feeds(&["alpha"]);
    let mut old = poll(
        ids[0],
        vec![entry(
            "k-old",
            item("https://x.test/old", "Harbour", "the harbour closed"),
        )],
        vec![],
    );
    old.started_at = days_ago(100);
    t.store.record_poll(&old).expect("write old");
    t.store
        .record_poll(&poll(
            ids[0],
            vec![entry(
                "k-new",
                item("https://x.test/new", "Market", "the market opened"),
            )],
            vec![],
        ))
        .expect("write new");
    assert_eq!(t.store.prune(days_ago(90), 1).expect("prune"), 1);
    assert_eq!(
        t.store.counts().expect("counts").0,
        1,
        "the recent item stays"
    );
    assert!(t.store.is_tombstoned("https://x.test/old").expect("read"));
    assert!(!t.store.is_tombstoned("https://x.test/new").expect("read"));
    assert_eq!(
        t.store
            .item_by_canonical("https://x.test/old")
            .expect("read"),
        None
    );
    assert!(
        t.store
            .search("harbour", &list(10))
            .expect("search")
            .is_empty(),
        "the search index follows deletions"
    );
    let known = t
        .store
        .known_entries(
            ids[0],
            &[EntryKey("k-old".into()), EntryKey("k-other".into())],
        )
        .expect("known");
    assert!(
        known.contains_key("k-old"),
        "a pruned entry still counts as known"
    );
    assert!(!known.contains_key("k-other"));
    // The article offered again, under another key: nothing is stored.
    let summary = t
        .store
        .record_poll(&poll(
            ids[0],
            vec![entry(
                "k-again",
                item("https://x.test/old", "Harbour", "the harbour closed"),
            )],
            vec![],
        ))
        .expect("write");
    // (SQLite stored it again until this suite ran the case on both
    // backends: it checked only the entry key, PostgreSQL the tombstone.)
    assert_eq!(summary, PollSummary::default());
    assert_eq!(t.store.counts().expect("counts").0, 1);
    assert!(
        t.store
            .known_entries(ids[0], &[EntryKey("k-again".into())])
            .expect("known")
            .contains_key("k-again"),
        "the new key is remembered as pruned too"
    );
    assert_eq!(t.store.prune(days_ago(90), 1).expect("prune again"), 0);
}

pub(super) fn the_poll_log_names_the_instance_and_is_pruned_by_age(t: &mut TestStore) {
    let ids = t.feeds(&["alpha"]);
    for days in [40, 35, 31, 2, 0] {
        let url = format!("https://x.test/{days}");
        let mut p = poll(ids[0], vec![entry(&url, item(&url, "T", "text"))], vec![]);
        p.started_at = days_ago(days);
        p.instance = (days == 0).then(|| "node-b".to_owned());
        t.store.record_poll(&p).expect("write");
    }
    // A poll that names no instance is logged under the store's own on a
    // cluster (the connection's `node-a`), under none on SQLite.
    let own = t.store.is_clustered().then(|| "node-a".to_owned());
    assert_eq!(
        t.texts("SELECT instance FROM fetches ORDER BY started_at"),
        [
            own.clone(),
            own.clone(),
            own.clone(),
            own,
            Some("node-b".into())
        ]
    );
    let pruned = t.store.prune_fetches(days_ago(30), 2).expect("prune");
    assert_eq!(
        pruned, 3,
        "three polls are older than 30 days, in two batches"
    );
    assert_eq!(t.store.counts().expect("counts"), (5, 5, 2), "items stay");
    assert_eq!(t.store.prune_fetches(days_ago(30), 2).expect("again"), 0);
    assert!(t.store.last_poll_at().expect("read").is_some());
}
