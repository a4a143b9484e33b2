//! The daemon's side of a clustered store: several `newswire run` sharing
//! one PostgreSQL database and one feed list.
//!
//! On such a store the due queue lives in the database, not in the process:
//! the daemon claims due feeds with [`Store::claim_due`](crate::store::Store::claim_due)
//! (as many as it has free workers), polls each under its [`Lease`], and
//! keeps the leases of polls in flight alive with a heartbeat every third
//! of `[cluster] lease` ([`Store::extend_leases`](crate::store::Store::extend_leases)).
//! A daemon that dies keeps its feeds only until their leases end; one
//! stopped with SIGTERM hands them back at once
//! ([`Store::release_leases`](crate::store::Store::release_leases)). Between
//! claims it sleeps until the next feed is due, at most [`MAX_CLAIM_WAIT`],
//! so a feed freed by a dead daemon is picked up soon. A SQLite store is
//! never clustered: its one daemon keeps the in-process due queue.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{FeedId, FeedState, Lease};
use crate::pipeline::Context;
use crate::store::StoreError;

/// The longest the daemon waits between two looks at the shared due queue.
pub const MAX_CLAIM_WAIT: Duration = Duration::from_secs(5);

/// How long to wait before looking again when something is due but every
/// due feed is leased by another daemon.
const LEASED_ELSEWHERE_WAIT: Duration = Duration::from_secs(1);

/// The periodic job that runs retention and index pruning once per cluster.
pub const HOUSEKEEPING_JOB: &str = "housekeeping";

/// What this daemon holds of the shared queue.
pub struct Cluster {
    /// This daemon's name in leases and `fetches.instance`.
    pub owner: String,
    /// How long a claim or a heartbeat keeps a feed.
    pub lease: Duration,
    /// The feeds being polled under a lease, by name.
    held: HashMap<String, FeedId>,
    /// When to claim next.
    next_claim: DateTime<Utc>,
}

impl Cluster {
    /// A daemon called `owner` holding nothing yet, claiming at once.
    pub fn new(owner: String, lease: Duration) -> Cluster {
        Cluster {
            owner,
            lease,
            held: HashMap::new(),
            next_claim: DateTime::<Utc>::MIN_UTC,
        }
    }

    /// How often the leases of polls in flight are extended.
    pub fn heartbeat_every(&self) -> Duration {
        (self.lease / 3).max(Duration::from_secs(1))
    }

    /// Whether it is time to claim.
    pub fn claim_due_now(&self, now: DateTime<Utc>) -> bool {
        self.next_claim <= now
    }

    /// Claim again at once (a worker came free after a full claim, or the
    /// feed list changed).
    pub fn claim_soon(&mut self) {
        self.next_claim = DateTime::<Utc>::MIN_UTC;
    }

    /// How long the loop may sleep before its next claim.
    pub fn wait(&self, now: DateTime<Utc>) -> Duration {
        (self.next_claim - now)
            .to_std()
            .unwrap_or_default()
            .min(MAX_CLAIM_WAIT)
    }

    /// Claims up to `free` due feeds among `names` and records them as held.
    /// Sets the next claim: at once when the claim was full (more may be
    /// due), else when the next feed is due, at most [`MAX_CLAIM_WAIT`] away.
    pub async fn claim(
        &mut self,
        ctx: &Context,
        names: &[String],
        free: usize,
    ) -> Result<Vec<(FeedState, Lease)>, StoreError> {
        let now = Utc::now();
        let (owner, lease, wanted) = (self.owner.clone(), self.lease, names.to_vec());
        let result = ctx
            .with_store(move |s| {
                let claimed = s.claim_due(&owner, &wanted, free, lease)?;
                let next = if claimed.len() < free {
                    s.next_due_at(&wanted)?
                } else {
                    None
                };
                Ok((claimed, next))
            })
            .await;
        let (claimed, next) = match result {
            Ok(found) => found,
            Err(e) => {
                self.next_claim = now + wait_delta(MAX_CLAIM_WAIT);
                return Err(e);
            }
        };
        self.next_claim = if claimed.len() >= free {
            now
        } else {
            match next {
                // Due already yet not claimed: leased by another daemon.
                Some(at) if at <= now => now + wait_delta(LEASED_ELSEWHERE_WAIT),
                Some(at) => at.min(now + wait_delta(MAX_CLAIM_WAIT)),
                None => now + wait_delta(MAX_CLAIM_WAIT),
            }
        };
        for (state, _) in &claimed {
            self.held.insert(state.name.clone(), state.id);
        }
        Ok(claimed)
    }

    /// The poll of `name` has ended: its lease is no longer this daemon's
    /// to keep.
    pub fn finished(&mut self, name: &str) {
        self.held.remove(name);
    }

    /// Extends the leases of the polls in flight. A lease that another
    /// daemon holds now has passed to it: its poll's write will be refused
    /// ([`StoreError::LeaseLost`]). One that a poll gave back with its write
    /// before this loop heard that it finished is not lost.
    pub async fn heartbeat(&self, ctx: &Context) {
        if self.held.is_empty() {
            return;
        }
        let ids: Vec<FeedId> = self.held.values().copied().collect();
        let (owner, lease, held) = (self.owner.clone(), self.lease, ids.len());
        match ctx
            .with_store(move |s| s.extend_leases(&owner, &ids, lease))
            .await
        {
            Ok(n) if n < held => tracing::warn!(
                held,
                lost = held - n,
                "some leases had already ended; those feeds belong to another instance now"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "lease heartbeat failed; will retry"),
        }
    }

    /// Hands back every lease this daemon holds (after the shutdown grace).
    pub async fn release(&self, ctx: &Context) {
        let owner = self.owner.clone();
        match ctx.with_store(move |s| s.release_leases(&owner)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(feeds = n, "released leases for the other instances"),
            Err(e) => tracing::warn!(
                error = %e,
                "could not release leases; they end by themselves within the lease time"
            ),
        }
    }
}

fn wait_delta(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_bounded_and_the_heartbeat_is_a_third_of_the_lease() {
        let mut c = Cluster::new("a".into(), Duration::from_secs(60));
        assert_eq!(c.heartbeat_every(), Duration::from_secs(20));
        let now = Utc::now();
        assert!(c.claim_due_now(now));
        assert_eq!(c.wait(now), Duration::ZERO);
        c.next_claim = now + chrono::TimeDelta::hours(1);
        assert!(!c.claim_due_now(now));
        assert_eq!(c.wait(now), MAX_CLAIM_WAIT);
        c.claim_soon();
        assert!(c.claim_due_now(now));
        c.held.insert("x".into(), 1);
        c.finished("x");
        assert!(c.held.is_empty());
    }
}
