//! What the test server answers: [`Reply`] (built by tests) and the code
//! that writes it to the socket, including the hostile kinds (trickle,
//! endless body, headers that never end, raw bytes) and 304 handling.

use std::io::Write;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::RecordedRequest;

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

pub(super) async fn answer(
    stream: &mut TcpStream,
    request: &RecordedRequest,
    reply: Reply,
) -> std::io::Result<()> {
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
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
