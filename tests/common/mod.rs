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
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
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

#[derive(Debug, Clone)]
enum Body {
    /// A complete body with `Content-Length`.
    Full(Vec<u8>),
    /// A body with `Content-Length`, sent one byte every `every`.
    Trickle { bytes: Vec<u8>, every: Duration },
    /// A body without length that never ends.
    Endless,
    /// A status line followed by header lines forever.
    HeadersNeverEnd,
    /// These bytes as the whole response, nothing added.
    Raw(Vec<u8>),
}

/// What the server answers on a route. Built with the constructors and
/// chained setters: `Reply::ok(b"hi").header("Content-Type", "text/plain")`.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Body,
    etag: Option<String>,
    last_modified: Option<String>,
    delay: Duration,
}

impl Reply {
    /// 200 with this body.
    pub fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: Vec::new(),
            body: Body::Full(body.into()),
            etag: None,
            last_modified: None,
            delay: Duration::ZERO,
        }
    }

    /// This status with an empty body.
    pub fn status(code: u16) -> Reply {
        Reply::ok(Vec::new()).with_status(code)
    }

    /// A redirect (`code` 301, 302, 303, 307 or 308) to `location`.
    pub fn redirect(code: u16, location: &str) -> Reply {
        Reply::status(code).header("Location", location)
    }

    /// 200 whose body is sent one byte every `every` (with a correct
    /// `Content-Length`).
    pub fn trickle(body: impl Into<Vec<u8>>, every: Duration) -> Reply {
        Reply {
            body: Body::Trickle {
                bytes: body.into(),
                every,
            },
            ..Reply::ok(Vec::new())
        }
    }

    /// 200 with a body that never ends (no `Content-Length`).
    pub fn endless() -> Reply {
        Reply {
            body: Body::Endless,
            ..Reply::ok(Vec::new())
        }
    }

    /// A status line, then header lines forever.
    pub fn headers_never_end() -> Reply {
        Reply {
            body: Body::HeadersNeverEnd,
            ..Reply::ok(Vec::new())
        }
    }

    /// Exactly these bytes as the response (status line and all), then close.
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply {
            body: Body::Raw(bytes.into()),
            ..Reply::ok(Vec::new())
        }
    }

    /// Change the status.
    pub fn with_status(mut self, code: u16) -> Reply {
        self.status = code;
        self
    }

    /// Replace the body (keeps a trickle a trickle).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = match self.body {
            Body::Trickle { every, .. } => Body::Trickle {
                bytes: body.into(),
                every,
            },
            _ => Body::Full(body.into()),
        };
        self
    }

    /// Add a header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Send this `ETag` and answer 304 to a matching `If-None-Match`.
    pub fn etag(mut self, etag: &str) -> Reply {
        self.etag = Some(etag.to_owned());
        self
    }

    /// Send this `Last-Modified` and answer 304 to an equal `If-Modified-Since`.
    pub fn last_modified(mut self, date: &str) -> Reply {
        self.last_modified = Some(date.to_owned());
        self
    }

    /// Wait this long before answering.
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// Compress the body with gzip and say so in `Content-Encoding`.
    pub fn gzip(self) -> Reply {
        self.encoded("gzip", gzip)
    }

    /// Compress the body with zlib ("deflate") and say so.
    pub fn deflate(self) -> Reply {
        self.encoded("deflate", |b| {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(b).expect("zlib into memory");
            e.finish().expect("zlib into memory")
        })
    }

    /// Compress the body with brotli and say so.
    pub fn brotli(self) -> Reply {
        self.encoded("br", |b| {
            let mut out = Vec::new();
            {
                let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
                w.write_all(b).expect("brotli into memory");
            }
            out
        })
    }

    fn encoded(mut self, name: &str, encode: impl Fn(&[u8]) -> Vec<u8>) -> Reply {
        self.body = match self.body {
            Body::Full(b) => Body::Full(encode(&b)),
            Body::Trickle { bytes, every } => Body::Trickle {
                bytes: encode(&bytes),
                every,
            },
            other => other,
        };
        self.header("Content-Encoding", name)
    }
}

/// Gzip `data` in memory.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip into memory");
    e.finish().expect("gzip into memory")
}

/// Gzip `n` zero bytes without holding them in memory (a "gzip bomb":
/// 100 MB compress to about 100 KB).
pub fn gzip_zeros(n: usize) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(block.len());
        e.write_all(&block[..k]).expect("gzip into memory");
        left -= k;
    }
    e.finish().expect("gzip into memory")
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
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let _ = answer(&mut stream, &request, reply).await;
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

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Whether the request's validators match the reply's (RFC 9110 §13.1).
fn not_modified(request: &RecordedRequest, reply: &Reply) -> bool {
    if reply.status != 200 {
        return false;
    }
    if let Some(inm) = request.header("if-none-match") {
        let Some(etag) = &reply.etag else {
            return false;
        };
        let weak = |s: &str| s.trim().trim_start_matches("W/").to_owned();
        return inm
            .split(',')
            .any(|t| t.trim() == "*" || weak(t) == weak(etag));
    }
    match (request.header("if-modified-since"), &reply.last_modified) {
        (Some(ims), Some(lm)) => ims.trim() == lm.trim(),
        _ => false,
    }
}

fn head_text(status: u16, reply: &Reply, extra: &[(String, String)]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", status, reason(status));
    for (k, v) in reply.headers.iter().chain(extra) {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(etag) = &reply.etag {
        head.push_str(&format!("ETag: {etag}\r\n"));
    }
    if let Some(lm) = &reply.last_modified {
        head.push_str(&format!("Last-Modified: {lm}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    head.into_bytes()
}

async fn answer(
    stream: &mut TcpStream,
    request: &RecordedRequest,
    reply: Reply,
) -> std::io::Result<()> {
    if not_modified(request, &reply) {
        let mut bare = reply.clone();
        bare.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("content-encoding"));
        return stream.write_all(&head_text(304, &bare, &[])).await;
    }
    let head_only = request.method == "HEAD";
    match &reply.body {
        Body::Full(body) => {
            let len = [("Content-Length".to_owned(), body.len().to_string())];
            stream
                .write_all(&head_text(reply.status, &reply, &len))
                .await?;
            if !head_only {
                stream.write_all(body).await?;
            }
        }
        Body::Trickle { bytes, every } => {
            let len = [("Content-Length".to_owned(), bytes.len().to_string())];
            stream
                .write_all(&head_text(reply.status, &reply, &len))
                .await?;
            for b in bytes {
                stream.write_all(&[*b]).await?;
                stream.flush().await?;
                tokio::time::sleep(*every).await;
            }
        }
        Body::Endless => {
            stream
                .write_all(&head_text(reply.status, &reply, &[]))
                .await?;
            let block = vec![b'x'; 64 * 1024];
            loop {
                stream.write_all(&block).await?;
            }
        }
        Body::HeadersNeverEnd => {
            stream
                .write_all(
                    format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status)).as_bytes(),
                )
                .await?;
            for i in 0u64.. {
                stream
                    .write_all(format!("X-Filler-{i}: never ends\r\n").as_bytes())
                    .await?;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Body::Raw(bytes) => stream.write_all(bytes).await?,
    }
    stream.flush().await
}
