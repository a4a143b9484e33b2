//! A small HTTP/1.1 server for tests, hand-written on tokio so that it can
//! also misbehave on purpose (trickle, endless body, headers that never end,
//! raw bytes).
//!
//! It listens on 127.0.0.1 on a free port and runs on its own thread with its
//! own runtime, so async tests and sync tests that spawn the `newswire`
//! binary can both use it. Routes can be set and changed while it runs; every
//! request is logged. Each connection serves one request and is closed.
//!
//! ```ignore
//! let srv = TestServer::start();
//! srv.route("/feed.xml", Reply::ok(xml).header("Content-Type", "application/rss+xml").etag("\"v1\""));
//! let url = srv.url("/feed.xml");
//! // ... fetch it ...
//! assert_eq!(srv.hits("/feed.xml"), 1);
//! ```
#![allow(dead_code, unused_imports)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub mod fetching;
mod reply;

pub use reply::{Reply, gzip, gzip_zeros};
use tokio::net::{TcpListener, TcpStream};

/// The largest request head the server reads.
const MAX_HEAD: usize = 64 * 1024;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// The request target as sent: path and query.
    pub path: String,
    /// Header names (lower-cased) and values, in order.
    pub headers: Vec<(String, String)>,
    /// When the request head was complete.
    pub at: Instant,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path without the query.
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or(&self.path)
    }
}
#[derive(Default)]
struct Shared {
    routes: Mutex<HashMap<String, Reply>>,
    log: Mutex<Vec<RecordedRequest>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The running server; stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Start a server on 127.0.0.1 on a free port. Unknown paths get 404.
    pub fn start() -> TestServer {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        std_listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = std_listener.local_addr().expect("listener address");
        let shared = Arc::new(Shared::default());
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let server_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("test-http-{}", addr.port()))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("test server runtime");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(std_listener).expect("tokio listener");
                    loop {
                        tokio::select! {
                            _ = &mut stopped => break,
                            accepted = listener.accept() => {
                                if let Ok((stream, _)) = accepted {
                                    tokio::spawn(serve(stream, server_shared.clone()));
                                }
                            }
                        }
                    }
                });
            })
            .expect("spawn test server thread");
        TestServer {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Set (or replace) the reply for `path`. A path with a query matches
    /// only that exact target; a path without one matches any query.
    pub fn route(&self, path: &str, reply: Reply) {
        lock(&self.shared.routes).insert(path.to_owned(), reply);
    }

    /// Remove the reply for `path` (it answers 404 again).
    pub fn unroute(&self, path: &str) {
        lock(&self.shared.routes).remove(path);
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The same URL with another host name, e.g. `localhost`.
    pub fn url_with_host(&self, host: &str, path: &str) -> String {
        format!("http://{}:{}{}", host, self.addr.port(), path)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).clone()
    }

    /// The requests for `path` (query ignored unless `path` has one).
    pub fn requests_for(&self, path: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| {
                if path.contains('?') {
                    r.path == path
                } else {
                    r.path_only() == path
                }
            })
            .collect()
    }

    /// How many requests for `path` arrived.
    pub fn hits(&self, path: &str) -> usize {
        self.requests_for(path).len()
    }

    /// Forget the request log.
    pub fn clear_log(&self) {
        lock(&self.shared.log).clear();
    }

    /// Wait (blocking, polling) until `path` has at least `n` hits or
    /// `timeout` passes; true if it got them.
    pub fn wait_for_hits(&self, path: &str, n: usize, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        loop {
            if self.hits(path) >= n {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Read one request head, log it, answer it, close.
async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let Some(request) = read_head(&mut stream).await else {
        return;
    };
    lock(&shared.log).push(request.clone());
    let reply = {
        let routes = lock(&shared.routes);
        routes
            .get(&request.path)
            .or_else(|| routes.get(request.path_only()))
            .cloned()
    };
    let reply = reply.unwrap_or_else(|| Reply::status(404).body("not found"));
    let _ = reply::answer(&mut stream, &request, reply).await;
    let _ = stream.shutdown().await;
}

async fn read_head(stream: &mut TcpStream) -> Option<RecordedRequest> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(RecordedRequest {
        method,
        path,
        headers,
        at: Instant::now(),
    })
}
