//! Single-flight: concurrent calls for one key share one run of the work.
//!
//! [`SingleFlight::run`] takes a key and a closure that makes the value. The
//! first caller for a key runs it; callers that arrive while it runs wait
//! for that run and get a clone of its value; a caller arriving after it has
//! finished starts a new run (this is not a cache: results are not kept).
//! Used for robots.txt per origin and for article pages per canonical URL,
//! so 1,000 entries linking to one page, or ten feeds polled at once that
//! carry one story, cost one request.
//!
//! If the running caller is cancelled (its task dropped), one of the waiters
//! runs the closure it brought instead, so nobody waits forever.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::OnceCell;

/// Calls in flight, by key.
#[derive(Debug)]
pub struct SingleFlight<K, V> {
    calls: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        SingleFlight {
            calls: Mutex::new(HashMap::new()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The map holds only handles; a panic elsewhere cannot leave it torn.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<K: Eq + Hash + Clone, V: Clone> SingleFlight<K, V> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `make` for `key`, or waits for the run already in flight for it.
    pub async fn run<F, Fut>(&self, key: K, make: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let cell = Arc::clone(lock(&self.calls).entry(key.clone()).or_default());
        let value = cell.get_or_init(make).await.clone();
        let mut calls = lock(&self.calls);
        // Only the run we took part in is removed: a newer one may have
        // started under the same key since.
        if calls.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            calls.remove(&key);
        }
        value
    }

    /// How many keys have a run in flight.
    pub fn in_flight(&self) -> usize {
        lock(&self.calls).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn concurrent_calls_share_one_run_and_later_calls_run_again() {
        let flight = Arc::new(SingleFlight::<String, usize>::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let (flight, runs) = (Arc::clone(&flight), Arc::clone(&runs));
            tasks.push(tokio::spawn(async move {
                flight
                    .run("page".to_string(), || async {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        runs.fetch_add(1, Ordering::SeqCst) + 1
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.expect("task"), 1, "every caller sees the one run");
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(flight.in_flight(), 0, "nothing kept after the run");
        let again = flight
            .run("page".to_string(), || async {
                runs.fetch_add(1, Ordering::SeqCst) + 1
            })
            .await;
        assert_eq!(again, 2, "a call after the run is a new run");
    }

    #[tokio::test]
    async fn a_cancelled_leader_hands_over_to_a_waiter() {
        let flight = Arc::new(SingleFlight::<u8, &'static str>::new());
        let leader = {
            let flight = Arc::clone(&flight);
            tokio::spawn(async move {
                flight
                    .run(1, || async {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        "leader"
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let waiter = {
            let flight = Arc::clone(&flight);
            tokio::spawn(async move { flight.run(1, || async { "waiter" }).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        leader.abort();
        let got = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the waiter is not stranded")
            .expect("task");
        assert_eq!(got, "waiter");
    }
}
