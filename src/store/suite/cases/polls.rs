//! What a poll writes (items, sources, the feed's state, the poll log) and
//! what retention removes.

use chrono::{TimeDelta, Utc};

use super::{TestStore, days_ago, list};
use crate::model::EntryKey;
use crate::store::suite::{entry, feed_config, item, link, poll};
use crate::store::{ItemQuery, PollOutcome, PollSummary};

pub(crate) fn a_poll_stores_new_items_their_sources_and_the_feed_state(t: &mut TestStore) {
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
    // The daemon's narrow read agrees with the states.
    let schedules = t.store.feed_schedules().expect("schedules");
    assert_eq!(
        schedules
            .iter()
            .map(|s| (s.name.as_str(), s.enabled, s.gone, s.next_due_at))
            .collect::<Vec<_>>(),
        states
            .iter()
            .map(|s| {
                let gone = s.disabled_reason.is_some();
                (s.name.as_str(), s.enabled, gone, s.next_due_at)
            })
            .collect::<Vec<_>>()
    );
    assert!(schedules[0].next_due_at.is_some(), "{schedules:?}");
}

pub(crate) fn one_canonical_url_through_two_feeds_is_one_item_with_two_sources(t: &mut TestStore) {
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

pub(crate) fn conditional_get_validators_are_kept_between_polls(t: &mut TestStore) {
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

pub(crate) fn retention_leaves_tombstones_and_a_pruned_article_is_not_stored_again(
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

pub(crate) fn the_poll_log_names_the_instance_and_is_pruned_by_age(t: &mut TestStore) {
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
