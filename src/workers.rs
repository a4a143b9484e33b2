//! A few dedicated threads for the blocking work that allocates the most:
//! parsing feeds, extracting pages, fingerprints (one thread per core), the
//! store's writes (one thread), and the pipeline's reads of the store (one
//! thread, its own read-only connection: `pipeline::Context::reader`).
//!
//! tokio's blocking pool would run the same jobs, but on whichever of its
//! threads is free, up to hundreds of them (DNS lookups share it). Each
//! thread that allocates gets a malloc arena of its own, and freed memory
//! stays cached in every arena it passed through: a cold poll spread over
//! sixteen threads peaked at twice the memory of the same poll on a few.
//! Fixed threads keep that to a handful of arenas, and the CPU-bound work to
//! one job per core, which finishes no later than sixteen jobs on two cores.
//!
//! [`Batcher`] groups requests for one such thread: whatever arrives while
//! the thread is busy goes into its next job together (the store's group
//! commit: one transaction for every finished poll that is waiting).

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

/// What a [`Batcher`] runs on a group of inputs: one output per input, in order.
pub type BatchFn<In, Out> = dyn Fn(Vec<In>) -> Vec<Out> + Send + Sync + 'static;

/// Hands inputs to one function in groups, on [`Workers`]: the first input
/// queues a job; every input that arrives before that job starts joins it.
/// So a busy thread takes everything waiting at once, and an idle one takes
/// each input alone, with no timer and no added latency.
pub struct Batcher<In, Out> {
    state: Arc<Mutex<BatchState<In, Out>>>,
    workers: Workers,
    run: Arc<BatchFn<In, Out>>,
    max: usize,
}

struct BatchState<In, Out> {
    waiting: Vec<(In, oneshot::Sender<Out>)>,
    /// A job that will take `waiting` is queued and has not started.
    queued: bool,
}

impl<In, Out> Clone for Batcher<In, Out> {
    fn clone(&self) -> Self {
        Batcher {
            state: Arc::clone(&self.state),
            workers: self.workers.clone(),
            run: Arc::clone(&self.run),
            max: self.max,
        }
    }
}

impl<In, Out> std::fmt::Debug for Batcher<In, Out> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").field("max", &self.max).finish()
    }
}

impl<In: Send + 'static, Out: Send + 'static> Batcher<In, Out> {
    /// Runs `run` on `workers` with groups of at most `max` inputs.
    pub fn new(
        workers: Workers,
        max: usize,
        run: impl Fn(Vec<In>) -> Vec<Out> + Send + Sync + 'static,
    ) -> Batcher<In, Out> {
        Batcher {
            state: Arc::new(Mutex::new(BatchState {
                waiting: Vec::new(),
                queued: false,
            })),
            workers,
            run: Arc::new(run),
            max: max.max(1),
        }
    }

    /// Submits `input` and waits for its output. `Err` if the group's run
    /// panicked (every caller of the group gets `Err`) or the threads are
    /// gone.
    pub async fn submit(&self, input: In) -> Result<Out, Crashed> {
        let (done, output) = oneshot::channel();
        let start = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.waiting.push((input, done));
            !std::mem::replace(&mut state.queued, true)
        };
        if start {
            self.queue_job();
        }
        output
            .await
            .map_err(|_| Box::new("batch was not run") as Crashed)
    }

    fn queue_job(&self) {
        let this = self.clone();
        let job: Job = Box::new(move || this.run_group());
        if let Err(mpsc::SendError(job)) = self.workers.jobs.send(job) {
            // The threads are gone: dropping the job drops nobody's sender
            // (they are still waiting); clear them so callers see `Err`.
            drop(job);
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.waiting.clear();
            state.queued = false;
        }
    }

    /// Takes up to `max` waiting inputs, runs them, answers each caller.
    fn run_group(&self) {
        let (group, more): (Vec<(In, oneshot::Sender<Out>)>, bool) = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let n = state.waiting.len().min(self.max);
            let group = state.waiting.drain(..n).collect();
            // More than `max` were waiting: the rest are the next job's,
            // queued now (`queued` stays true); else the next input queues one.
            state.queued = !state.waiting.is_empty();
            (group, state.queued)
        };
        if more {
            self.queue_job();
        }
        if group.is_empty() {
            return;
        }
        let (inputs, senders): (Vec<In>, Vec<_>) = group.into_iter().unzip();
        let run = Arc::clone(&self.run);
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || run(inputs))) {
            Ok(outputs) => {
                for (sender, out) in senders.into_iter().zip(outputs) {
                    let _ = sender.send(out);
                }
            }
            // A panic drops every sender: each caller gets `Err`.
            Err(_) => tracing::error!("a batched job panicked"),
        }
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

    #[tokio::test]
    async fn a_busy_thread_takes_everything_waiting_as_one_group() {
        let w = Workers::new("test-batch", 1).expect("threads");
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&sizes);
        let b = Batcher::new(w.clone(), 3, move |xs: Vec<u32>| {
            seen.lock().expect("lock").push(xs.len());
            xs.into_iter().map(|x| x * 10).collect()
        });
        // Hold the one thread so that the submissions pile up behind it.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let blocker = tokio::spawn({
            let w = w.clone();
            async move { w.run(move || hold.recv().ok()).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let calls: Vec<_> = (1..=5u32)
            .map(|x| {
                let b = b.clone();
                tokio::spawn(async move { b.submit(x).await.expect("ran") })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        release.send(()).expect("release");
        blocker.await.expect("joined").expect("ran");
        let mut outs = Vec::new();
        for c in calls {
            outs.push(c.await.expect("joined"));
        }
        assert_eq!(outs, vec![10, 20, 30, 40, 50]);
        // Five waiting, at most three a group: two groups, not five runs.
        assert_eq!(*sizes.lock().expect("lock"), vec![3, 2]);
        // An idle thread runs one input alone, at once.
        assert_eq!(b.submit(7).await.expect("ran"), 70);
        assert_eq!(sizes.lock().expect("lock").last(), Some(&1));
    }
}
