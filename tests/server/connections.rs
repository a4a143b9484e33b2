//! What bounds a connection (issue 15): header and idle timeouts, a cap on
//! open connections, request heads capped, security headers, a query
//! cancelled when its client disconnects, and a bounded shutdown, all
//! through the server's own accept loop.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use newswire::metrics::Metrics;
use newswire::server::conn::{Limits, serve_connections};
use newswire::server::reader::Reader;
use newswire::server::{AppState, router};
use tokio_util::sync::CancellationToken;

use crate::fixture::{build_store, start};
use crate::limits::endless;

/// Connects and returns the socket (blocking, with a read timeout).
fn connect(addr: std::net::SocketAddr) -> std::net::TcpStream {
    let s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s
}

/// True when the server closed `s` (EOF or a reset) before its read timeout;
/// whatever it sent first (a 408, say) is read past.
fn closed_by_server(s: &mut std::net::TcpStream) -> bool {
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_surplus_connections_are_closed_and_shutdown_is_bounded() {
    let fx = build_store();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(AppState::new(
        fx.path.clone(),
        None,
        Arc::new(Metrics::new()),
    ));
    let limits = Limits {
        max_connections: 4,
        header_timeout: Duration::from_secs(1),
    };
    let stop = CancellationToken::new();
    let server = tokio::spawn(serve_connections(
        listener,
        app,
        limits,
        stop.clone(),
        Duration::from_secs(2),
    ));
    let outcome = tokio::task::spawn_blocking(move || {
        let mut idle: Vec<_> = (0..4).map(|_| connect(addr)).collect();
        std::thread::sleep(Duration::from_millis(200));
        // The fifth is past the cap: closed on arrival.
        let mut surplus = connect(addr);
        let asked = Instant::now();
        assert!(closed_by_server(&mut surplus), "surplus connection kept");
        assert!(asked.elapsed() < Duration::from_secs(1));
        // The idle ones (one of them mid-headers) are cut at the timeout.
        let _ = idle[0].write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n");
        let asked = Instant::now();
        for s in &mut idle {
            assert!(closed_by_server(s), "idle connection kept");
        }
        assert!(
            asked.elapsed() < Duration::from_secs(3),
            "{:?}",
            asked.elapsed()
        );
        // Room again: a request is served.
        let mut s = connect(addr);
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .expect("write");
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // A connection left idle when shutdown comes does not hold it up.
        connect(addr)
    })
    .await
    .expect("client thread");
    stop.cancel();
    let asked = Instant::now();
    tokio::time::timeout(Duration::from_secs(4), server)
        .await
        .expect("server stopped within its grace")
        .expect("server task");
    assert!(asked.elapsed() < Duration::from_secs(4));
    drop(outcome);
}

#[tokio::test]
async fn answers_carry_security_headers_and_huge_request_heads_are_refused() {
    let fx = build_store();
    let base = start(&fx.path, Arc::new(Metrics::new())).await;
    let resp = crate::fixture::client()
        .get(format!("{base}/items"))
        .send()
        .await
        .expect("request");
    let h = resp.headers();
    assert_eq!(
        h.get("x-content-type-options").map(|v| v.as_bytes()),
        Some(&b"nosniff"[..])
    );
    assert!(h.get("content-security-policy").is_some());
    let huge = "a".repeat(64 * 1024);
    let resp = crate::fixture::client()
        .get(format!("{base}/search?q={huge}"))
        .send()
        .await;
    // hyper refuses the head (431/414) or closes the connection: never 200.
    assert!(resp.map(|r| r.status().as_u16()).unwrap_or(431) >= 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_cancels_its_query_through_the_server() {
    let fx = build_store();
    let reader = Arc::new(Reader::new(fx.path.clone()));
    let returned = Arc::new(AtomicBool::new(false));
    let (r, flag) = (Arc::clone(&reader), Arc::clone(&returned));
    // A route whose query never ends by itself, served by the real loop.
    let app = axum::Router::new().route(
        "/slow",
        axum::routing::get(move || {
            let (r, flag) = (Arc::clone(&r), Arc::clone(&flag));
            async move {
                let _ = r
                    .run(move |s| {
                        let result = endless(s);
                        flag.store(true, Ordering::SeqCst);
                        result
                    })
                    .await;
                "done"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(serve_connections(
        listener,
        app,
        Limits::for_this_process(),
        CancellationToken::new(),
        Duration::from_secs(1),
    ));
    let waited = tokio::task::spawn_blocking(move || {
        let mut s = connect(addr);
        s.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("write");
        std::thread::sleep(Duration::from_millis(500));
        // The client gives up, well before the 5 s deadline.
        drop(s);
        let asked = Instant::now();
        while !returned.load(Ordering::SeqCst) && asked.elapsed() < Duration::from_secs(3) {
            std::thread::sleep(Duration::from_millis(20));
        }
        (returned.load(Ordering::SeqCst), asked.elapsed())
    })
    .await
    .expect("client");
    assert!(waited.0, "the query outlived its client");
    assert!(waited.1 < Duration::from_secs(3), "{:?}", waited.1);
}
