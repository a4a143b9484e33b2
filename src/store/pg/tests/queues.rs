//! The article queue and the feed leases on PostgreSQL.

use chrono::Utc;

use super::*;
use crate::store::ItemQuery;
use crate::store::articles::{ArticleOutcome, PageJob, PageState};

#[test]
fn the_article_queue_claims_finishes_and_fences() {
    let Some(db) = TestDb::new("articles") else {
        return;
    };
    let mut store = db.store("t");
    let ids = feeds(&mut store, &["alpha"]);
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
    teaser.extraction = Extraction::Feed;
    store
        .record_poll_with_pages(&poll(ids[0], vec![entry("1", teaser)], vec![]), &[page])
        .expect("write");
    let jobs = store
        .claim_articles("w1", 5, Duration::from_secs(60), now)
        .expect("claim");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].feed.as_deref(), Some("alpha"));
    assert!(
        store
            .claim_articles("w2", 5, Duration::from_secs(60), now)
            .expect("claim")
            .is_empty()
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
    assert!(!store.finish_article(&stale, &outcome, now).expect("fenced"));
    assert!(
        store
            .finish_article(&jobs[0], &outcome, now)
            .expect("finish")
    );
    let stats = store.article_stats(now).expect("stats");
    assert_eq!((stats.pending, stats.running, stats.done), (0, 0, 1));
    let q = ItemQuery {
        limit: 10,
        ..ItemQuery::default()
    };
    assert_eq!(store.search("geneva", &q).expect("search").len(), 1);
    assert_eq!(store.list_articles(&["done"], 10).expect("list").len(), 1);
    assert_eq!(
        store.requeue_articles(&[999], now).expect("requeue"),
        vec![999]
    );
}

#[test]
fn leases_are_claimed_once_extended_released_and_taken_over_at_expiry() {
    let Some(db) = TestDb::new("leases") else {
        return;
    };
    let mut a = db.store("a");
    let mut b = db.store("b");
    let ids = feeds(&mut a, &["alpha", "beta"]);
    let names = vec!["alpha".to_owned(), "beta".to_owned()];
    let lease = Duration::from_secs(60);
    let got = a.claim_due("a", &names, 1, lease).expect("claim");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1.token, 1);
    let got_b = b.claim_due("b", &names, 5, lease).expect("claim");
    assert_eq!(got_b.len(), 1, "b takes only the feed a does not hold");
    assert_ne!(got_b[0].0.id, got[0].0.id);
    assert!(
        b.claim_due("b", &names, 5, lease)
            .expect("claim")
            .is_empty()
    );
    assert_eq!(a.extend_leases("a", &ids, lease).expect("extend"), 1);
    assert!(a.next_due_at(&names).expect("next").expect("some") > Utc::now());
    // Expiry is the database's clock: backdate a's lease, b takes it over.
    a.client()
        .expect("client")
        .execute(
            "UPDATE feeds SET lease_until = now() - interval '1 second' WHERE lease_owner = 'a'",
            &[],
        )
        .expect("backdate");
    let taken = b.claim_due("b", &names, 5, lease).expect("claim");
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].1.token, 2);
    assert_eq!(a.extend_leases("a", &ids, lease).expect("extend"), 0);
    assert_eq!(b.release_leases("b").expect("release"), 2);
    // Leases given back (as a poll's write does) are not lost to another.
    assert_eq!(a.extend_leases("a", &ids, lease).expect("extend"), 2);
    assert!(
        a.try_periodic("housekeeping", Duration::from_secs(3600), "a")
            .expect("job")
    );
    assert!(
        !b.try_periodic("housekeeping", Duration::from_secs(3600), "b")
            .expect("job")
    );
    assert!(a.is_clustered());
}
