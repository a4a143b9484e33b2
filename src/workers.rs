//! A few dedicated threads for the blocking work that allocates the most:
//! parsing feeds, extracting pages, fingerprints (one thread per core), and
//! the store's writes (one thread).
//!
//! tokio's blocking pool would run the same jobs, but on whichever of its
//! threads is free, up to hundreds of them (DNS lookups share it). Each
//! thread that allocates gets a malloc arena of its own, and freed memory
//! stays cached in every arena it passed through: a cold poll spread over
//! sixteen threads peaked at twice the memory of the same poll on a few.
//! Fixed threads keep that to a handful of arenas, and the CPU-bound work to
//! one job per core, which finishes no later than sixteen jobs on two cores.

use std::any::Any;
use std::sync::{Arc, Mutex, mpsc};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Why a job gave no result: it panicked (the payload), or the threads are gone.
pub type Crashed = Box<dyn Any + Send + 'static>;

/// A fixed set of named threads taking jobs in turn. Cloning shares them;
/// they stop when the last clone is dropped and their queue is empty.
#[derive(Debug, Clone)]
pub struct Workers {
    jobs: mpsc::Sender<Job>,
}

impl Workers {
    /// Starts `threads` threads (at least one) named `name-0`, `name-1`, ...
    pub fn new(name: &str, threads: usize) -> std::io::Result<Workers> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    loop {
                        // Jobs never panic out (see `run`), so the lock is
                        // never poisoned; recover anyway rather than stop.
                        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match next {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(Workers { jobs })
    }

    /// Runs `f` on one of the threads once it is free and waits for it. A
    /// panic in `f` is caught (the thread lives on) and returned as `Err`.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Crashed> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
        });
        self.jobs
            .send(job)
            .map_err(|_| Box::new("worker threads stopped") as Crashed)?;
        result
            .await
            .map_err(|_| Box::new("worker thread stopped") as Crashed)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_on_the_named_thread_and_a_panic_is_returned() {
        let w = Workers::new("test-worker", 1).expect("threads");
        let name = w
            .run(|| std::thread::current().name().map(str::to_string))
            .await
            .expect("ran");
        assert_eq!(name.as_deref(), Some("test-worker-0"));
        let crashed = w.run(|| -> u8 { panic!("bad page") }).await;
        let payload = crashed.expect_err("panicked");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"bad page"));
        // The one thread lives on and takes the next job.
        assert_eq!(w.clone().run(|| 2 + 2).await.expect("ran"), 4);
    }
}
