//! Per-host politeness: how many requests may be in flight to one host, how
//! far apart their starts must be, and whether the host asked us to back off.
//!
//! Each host has a semaphore (`per_host_concurrency` permits, held for the
//! whole request including the body) and a next-allowed-start time that every
//! request start pushes forward by `per_host_interval`. A 429/503 with
//! `Retry-After` sets a backoff time before which no request is sent: the
//! fetcher returns `FetchError::HostBackoff` at once (never holding a slot
//! for hours), and its callers *defer* the work to the end of the back-off,
//! a feed to its next due time and a page to its queue row, recording no
//! error on either (issue 16: a back-off once failed every other feed and
//! page of the host).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Past this many hosts, idle entries are dropped from the table.
const PRUNE_ABOVE: usize = 1024;

/// The politeness state of every host seen.
#[derive(Debug)]
pub(crate) struct Politeness {
    concurrency: usize,
    interval: Duration,
    hosts: Mutex<Hosts>,
}

/// The host table, and the size at which idle hosts are next dropped: twice
/// what survived the last pruning, so pruning costs O(1) per request however
/// many hosts are busy.
#[derive(Debug)]
struct Hosts {
    slots: HashMap<String, Arc<HostSlot>>,
    prune_above: usize,
}

#[derive(Debug)]
struct HostSlot {
    permits: Arc<Semaphore>,
    timing: Mutex<Timing>,
}

#[derive(Debug)]
struct Timing {
    next_start: Instant,
    backoff_until: Option<Instant>,
}

/// A request's right to run against one host; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct HostPermit {
    _permit: Option<OwnedSemaphorePermit>,
}

/// Lock a mutex, recovering the data if a panicking thread poisoned it: the
/// state here is plain times and stays consistent after any panic.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Politeness {
    pub(crate) fn new(concurrency: usize, interval: Duration) -> Self {
        Politeness {
            concurrency: concurrency.max(1),
            interval,
            hosts: Mutex::new(Hosts {
                slots: HashMap::new(),
                prune_above: PRUNE_ABOVE,
            }),
        }
    }

    fn slot(&self, host: &str) -> Arc<HostSlot> {
        let mut hosts = lock(&self.hosts);
        if hosts.slots.len() > hosts.prune_above {
            let now = Instant::now();
            hosts.slots.retain(|_, slot| {
                let t = lock(&slot.timing);
                Arc::strong_count(slot) > 1
                    || t.next_start > now
                    || t.backoff_until.is_some_and(|u| u > now)
            });
            hosts.prune_above = PRUNE_ABOVE.max(2 * hosts.slots.len());
        }
        hosts
            .slots
            .entry(host.to_ascii_lowercase())
            .or_insert_with(|| {
                Arc::new(HostSlot {
                    permits: Arc::new(Semaphore::new(self.concurrency)),
                    timing: Mutex::new(Timing {
                        next_start: Instant::now(),
                        backoff_until: None,
                    }),
                })
            })
            .clone()
    }

    /// The time before which `host` must not be contacted, if it is still ahead.
    pub(crate) fn backoff_until(&self, host: &str) -> Option<Instant> {
        let slot = self.slot(host);
        let t = lock(&slot.timing);
        t.backoff_until.filter(|u| *u > Instant::now())
    }

    /// Mark `host` as backing off for `wait` from now (never shortening a
    /// longer backoff already in force).
    pub(crate) fn back_off(&self, host: &str, wait: Duration) {
        let slot = self.slot(host);
        let mut t = lock(&slot.timing);
        let until = Instant::now() + wait;
        if t.backoff_until.is_none_or(|u| u < until) {
            t.backoff_until = Some(until);
        }
    }

    /// Wait for a free slot for `host`, then for its next allowed start.
    pub(crate) async fn acquire(&self, host: &str) -> HostPermit {
        let slot = self.slot(host);
        // The semaphore is never closed, so acquiring only fails if it were;
        // going on without a permit is then the harmless fallback.
        let permit = slot.permits.clone().acquire_owned().await.ok();
        let start = {
            let mut t = lock(&slot.timing);
            let start = t.next_start.max(Instant::now());
            t.next_start = start + self.interval;
            start
        };
        tokio::time::sleep_until(start).await;
        HostPermit { _permit: permit }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_table_stays_bounded_and_keeps_hosts_backing_off() {
        let p = Politeness::new(1, Duration::ZERO);
        p.back_off("slow.example", Duration::from_secs(3600));
        let held = p.slot("busy.example");
        for i in 0..20_000 {
            drop(p.slot(&format!("site{i}.example")));
        }
        let hosts = lock(&p.hosts);
        assert!(
            hosts.slots.len() <= 2 * PRUNE_ABOVE + 1,
            "{} hosts kept",
            hosts.slots.len()
        );
        assert!(hosts.slots.contains_key("slow.example"), "backing off");
        assert!(hosts.slots.contains_key("busy.example"), "in use");
        drop(hosts);
        drop(held);
        assert!(p.backoff_until("slow.example").is_some());
    }
}
