//! The farm's HTTP/1.1 server: keep-alive connections, GET only, on one
//! listener per loopback address.
//!
//! Routes: `/feeds/{i}.xml` (feed `i`, with `ETag`/`Last-Modified` and 304s),
//! `/a/{i}/{j}` (article `j` of feed `i`, a real page), `/robots.txt`
//! (everything allowed) and `/_farm/stats` (request counts and the farm's own
//! CPU time, so a benchmark can tell the farm's share of the machine).
//! Bodies are gzip-compressed when the request accepts gzip.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::content::{self, Page};

/// The largest request head read.
const MAX_HEAD: usize = 64 * 1024;

/// What the farm serves, and its counters.
pub struct Farm {
    /// Feeds served (`0..feeds`).
    pub feeds: usize,
    /// Entries per feed.
    pub entries: usize,
    /// The article pages.
    pub pages: Vec<Page>,
    /// Counters.
    pub stats: Stats,
}

/// Request counters.
#[derive(Default)]
pub struct Stats {
    requests: AtomicU64,
    feeds_200: AtomicU64,
    feeds_304: AtomicU64,
    pages: AtomicU64,
    robots: AtomicU64,
    not_found: AtomicU64,
    bytes_out: AtomicU64,
}

impl Stats {
    fn json(&self) -> String {
        let (user, sys) = cpu_seconds();
        format!(
            "{{\"requests\":{},\"feeds_200\":{},\"feeds_304\":{},\"pages\":{},\"robots\":{},\
             \"not_found\":{},\"bytes_out\":{},\"cpu_user_s\":{user:.2},\"cpu_sys_s\":{sys:.2}}}\n",
            self.requests.load(Relaxed),
            self.feeds_200.load(Relaxed),
            self.feeds_304.load(Relaxed),
            self.pages.load(Relaxed),
            self.robots.load(Relaxed),
            self.not_found.load(Relaxed),
            self.bytes_out.load(Relaxed),
        )
    }
}

/// User and system CPU seconds of this process, from `/proc/self/stat`
/// (fields 14 and 15, in USER_HZ = 100 ticks per second on Linux).
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name (field 2) may hold spaces; fields after it are plain.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |n: usize| {
        fields
            .get(n)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 100.0
    };
    // `after` starts at field 3, so field 14 is index 11.
    (tick(11), tick(12))
}

/// Accepts connections on `listener` forever.
pub async fn accept_loop(listener: TcpListener, farm: Arc<Farm>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream, Arc::clone(&farm)));
            }
            Err(e) => {
                eprintln!("feedfarm: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

/// The parts of a request the farm looks at.
struct Head {
    path: String,
    keep_alive: bool,
    gzip: bool,
    if_none_match: Option<String>,
    if_modified_since: Option<String>,
    host: String,
}

fn parse_head(head: &str) -> Option<Head> {
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let _method = request_line.next()?;
    let path = request_line.next()?.to_owned();
    let version = request_line.next().unwrap_or("HTTP/1.0");
    let mut h = Head {
        path,
        keep_alive: version == "HTTP/1.1",
        gzip: false,
        if_none_match: None,
        if_modified_since: None,
        host: String::new(),
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "connection" => h.keep_alive = !value.eq_ignore_ascii_case("close"),
            "accept-encoding" => h.gzip = value.to_ascii_lowercase().contains("gzip"),
            "if-none-match" => h.if_none_match = Some(value.to_owned()),
            "if-modified-since" => h.if_modified_since = Some(value.to_owned()),
            "host" => h.host = value.to_owned(),
            _ => {}
        }
    }
    Some(h)
}

/// One keep-alive connection.
async fn serve(mut stream: TcpStream, farm: Arc<Farm>) {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let end = loop {
            if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            if buf.len() > MAX_HEAD {
                return;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        let Some(head) = parse_head(&head) else {
            return;
        };
        farm.stats.requests.fetch_add(1, Relaxed);
        let reply = route(&farm, &head);
        let sent = reply.body.len() as u64;
        if write_reply(&mut stream, &reply, &head).await.is_err() {
            return;
        }
        farm.stats.bytes_out.fetch_add(sent, Relaxed);
        if !head.keep_alive {
            return;
        }
    }
}

/// A response before it is written.
struct Reply<'a> {
    status: &'static str,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    body: std::borrow::Cow<'a, [u8]>,
    gzipped: bool,
}

impl<'a> Reply<'a> {
    fn new(
        status: &'static str,
        content_type: &'static str,
        body: impl Into<std::borrow::Cow<'a, [u8]>>,
    ) -> Self {
        Reply {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
            gzipped: false,
        }
    }
}

async fn write_reply(stream: &mut TcpStream, r: &Reply<'_>, h: &Head) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {}\r\nServer: feedfarm\r\nContent-Length: {}\r\n",
        r.status,
        r.body.len()
    );
    if !r.content_type.is_empty() {
        head.push_str("Content-Type: ");
        head.push_str(r.content_type);
        head.push_str("\r\n");
    }
    if r.gzipped {
        head.push_str("Content-Encoding: gzip\r\n");
    }
    head.push_str("Vary: Accept-Encoding\r\n");
    for (name, value) in &r.headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    if !h.keep_alive {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    if r.body.len() < 16 * 1024 {
        let mut all = head.into_bytes();
        all.extend_from_slice(&r.body);
        stream.write_all(&all).await
    } else {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&r.body).await
    }
}

fn route<'a>(farm: &'a Farm, h: &Head) -> Reply<'a> {
    let path = h.path.split('?').next().unwrap_or_default();
    if let Some(i) = path
        .strip_prefix("/feeds/")
        .and_then(|rest| rest.strip_suffix(".xml"))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|i| *i < farm.feeds)
    {
        return feed(farm, i, h);
    }
    if let Some((i, j)) = path.strip_prefix("/a/").and_then(|rest| {
        let (i, j) = rest.split_once('/')?;
        Some((i.parse::<usize>().ok()?, j.parse::<usize>().ok()?))
    }) && i < farm.feeds
        && j < farm.entries
    {
        farm.stats.pages.fetch_add(1, Relaxed);
        let page = &farm.pages[content::page_for(i, j, farm.pages.len())];
        let mut r = if h.gzip {
            let mut r = Reply::new("200 OK", "text/html; charset=utf-8", &page.gz[..]);
            r.gzipped = true;
            r
        } else {
            Reply::new("200 OK", "text/html; charset=utf-8", &page.raw[..])
        };
        r.headers.push(("ETag", page.etag.clone()));
        return r;
    }
    match path {
        "/robots.txt" => {
            farm.stats.robots.fetch_add(1, Relaxed);
            Reply::new("200 OK", "text/plain", &b"User-agent: *\nAllow: /\n"[..])
        }
        "/_farm/stats" => Reply::new("200 OK", "application/json", farm.stats.json().into_bytes()),
        _ => {
            farm.stats.not_found.fetch_add(1, Relaxed);
            Reply::new("404 Not Found", "text/plain", &b"not found\n"[..])
        }
    }
}

fn feed<'a>(farm: &'a Farm, i: usize, h: &Head) -> Reply<'a> {
    let etag = content::feed_etag(i, farm.entries);
    let last_modified = content::last_modified();
    // RFC 9110 13.2.2: If-None-Match, when present, decides; else If-Modified-Since.
    let fresh = match (&h.if_none_match, &h.if_modified_since) {
        (Some(inm), _) => inm.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
        (None, Some(ims)) => *ims == last_modified,
        (None, None) => false,
    };
    let validators = vec![("ETag", etag), ("Last-Modified", last_modified)];
    if fresh {
        farm.stats.feeds_304.fetch_add(1, Relaxed);
        let mut r = Reply::new("304 Not Modified", "", &b""[..]);
        r.headers = validators;
        return r;
    }
    farm.stats.feeds_200.fetch_add(1, Relaxed);
    let origin = format!("http://{}", h.host);
    let xml = content::feed_xml(i, farm.entries, &origin);
    let mut r = if h.gzip {
        let mut r = Reply::new(
            "200 OK",
            "application/rss+xml; charset=utf-8",
            content::gzip(xml.as_bytes(), flate2::Compression::fast()),
        );
        r.gzipped = true;
        r
    } else {
        Reply::new(
            "200 OK",
            "application/rss+xml; charset=utf-8",
            xml.into_bytes(),
        )
    };
    r.headers = validators;
    r
}
