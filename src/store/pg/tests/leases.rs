//! Feed leases on PostgreSQL: claimed once, extended, released, taken over
//! at expiry (the article queue is in the suite, `store::suite`).

use chrono::Utc;

use super::*;

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
