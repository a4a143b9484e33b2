//! Accepting and bounding the API's connections.
//!
//! `axum::serve` keeps every connection for as long as the client likes: 1,100
//! idle ones, past systemd's default of 1,024 open files, stopped the API and
//! made feed fetches fail with "Too many open files" (issue 15). Here each
//! connection is served by hyper's HTTP/1 server with:
//!
//! - a header timeout ([`Limits::header_timeout`]) that also closes idle
//!   keep-alive connections: hyper starts it whenever it waits for a request
//!   head, so a client that connects and sends nothing, sends headers a byte
//!   at a time, or keeps a connection idle between requests is cut off;
//! - a cap on open connections ([`Limits::max_connections`]), derived from
//!   the process's open-file limit so feed fetches and the store keep room;
//!   a connection past the cap is closed at once (the backlog never fills);
//! - request heads of at most [`MAX_REQUEST_HEAD`] bytes (a longer request
//!   line or headers is refused with 431/414), so a connection holds little
//!   memory;
//! - on shutdown, idle connections closed, requests in flight given a grace
//!   period, then dropped (a dropped request cancels its query, see
//!   [`super::reader`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Connection limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once; more are closed on arrival.
    pub max_connections: usize,
    /// Time allowed for a request's head to arrive, counted from when the
    /// connection is ready for it (so also the idle timeout).
    pub header_timeout: Duration,
}

/// The header and idle timeout.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head (request line and headers) read, in bytes.
pub const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// The connection cap when the file limit cannot be read.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

impl Limits {
    /// Half the process's soft open-file limit (the other half is for feed
    /// fetches, the store and logs), between 16 and 8,192.
    pub fn for_this_process() -> Limits {
        let max_connections =
            open_file_limit().map_or(DEFAULT_MAX_CONNECTIONS, |n| (n / 2).clamp(16, 8_192));
        Limits {
            max_connections,
            header_timeout: HEADER_TIMEOUT,
        }
    }
}

/// The soft `RLIMIT_NOFILE`, from `/proc/self/limits` (Linux; None elsewhere).
fn open_file_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Accepts on `listener` and serves `app` until `shutdown`, then waits at
/// most `grace` for the connections still busy.
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: CancellationToken,
    grace: Duration,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let tracker = TaskTracker::new();
    let mut refused_logged: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors (EMFILE) or a connection reset before
                // accept: wait a little rather than spin.
                tracing::warn!(error = %e, "http server: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            if refused_logged.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                refused_logged = Some(Instant::now());
                tracing::warn!(
                    max_connections = limits.max_connections,
                    "http server: connection limit reached; closing new connections"
                );
            }
            drop(stream);
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        let stop = shutdown.clone();
        tracker.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                // A GET needs little: 16 KiB of request line and headers
                // (hyper's default buffer is 400 KB per connection).
                .max_buf_size(MAX_REQUEST_HEAD)
                .keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                () = stop.cancelled() => {
                    // Idle connections close now; a request in flight may
                    // finish within the grace period.
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(grace, conn.as_mut()).await;
                }
            }
            drop(permit);
        });
    }
    tracker.close();
    if tokio::time::timeout(grace + Duration::from_secs(1), tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_s = grace.as_secs(),
            "http server: requests still running at the deadline were dropped"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_half_the_files_to_the_rest_of_the_daemon() {
        let l = Limits::for_this_process();
        assert!(l.max_connections >= 16);
        if let Some(n) = open_file_limit() {
            assert!(
                l.max_connections <= n / 2 || n < 32,
                "{} of {n}",
                l.max_connections
            );
        }
    }
}
