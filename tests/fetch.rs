//! The HTTP layer against a local test server: conditional GET, compression,
//! limits, redirects and errors. Guard and politeness tests live beside it.

mod common;

use std::time::Duration;

use common::fetching::{RSS, fetcher, opts, url};
use common::{Reply, TestServer, gzip_zeros};
use newswire::fetch::{FetchError, FetchOptions, Request};
use url::Url;

#[tokio::test]
async fn ok_with_validators_and_headers() {
    let srv = TestServer::start();
    srv.route(
        "/feed.xml",
        Reply::ok(RSS)
            .header("Content-Type", "application/rss+xml; charset=utf-8")
            .header("Cache-Control", "public, max-age=300")
            .etag("\"v1\"")
            .last_modified("Fri, 27 Nov 2026 09:30:00 GMT"),
    );
    let f = fetcher(FetchOptions {
        user_agent: "newswire-test/1".into(),
        ..opts()
    });
    let resp = f
        .get(&url(&srv, "/feed.xml"), &Request::default())
        .await
        .expect("fetch ok");
    assert_eq!(resp.status, 200);
    assert!(!resp.not_modified());
    assert_eq!(resp.body, RSS);
    assert_eq!(resp.final_url, url(&srv, "/feed.xml"));
    assert_eq!(resp.permanent_redirect, None);
    assert_eq!(
        resp.content_type.as_deref(),
        Some("application/rss+xml; charset=utf-8")
    );
    assert_eq!(resp.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        resp.last_modified.as_deref(),
        Some("Fri, 27 Nov 2026 09:30:00 GMT")
    );
    assert_eq!(resp.max_age, Some(Duration::from_secs(300)));

    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].header("user-agent"), Some("newswire-test/1"));
    assert!(
        reqs[0]
            .header("accept")
            .is_some_and(|a| a.contains("application/rss+xml"))
    );
    let enc = reqs[0].header("accept-encoding").unwrap_or_default();
    assert!(
        enc.contains("gzip") && enc.contains("br"),
        "accept-encoding: {enc}"
    );
    assert_eq!(reqs[0].header("if-none-match"), None);
}

#[tokio::test]
async fn conditional_get_gets_304() {
    let srv = TestServer::start();
    srv.route(
        "/feed.xml",
        Reply::ok(RSS)
            .etag("\"v1\"")
            .last_modified("Fri, 27 Nov 2026 09:30:00 GMT"),
    );
    let f = fetcher(opts());
    let u = url(&srv, "/feed.xml");
    let first = f.get(&u, &Request::default()).await.expect("first fetch");
    let req = Request {
        etag: first.etag.clone(),
        last_modified: first.last_modified.clone(),
        accept: Some("application/rss+xml".into()),
    };
    let second = f.get(&u, &req).await.expect("second fetch");
    assert_eq!(second.status, 304);
    assert!(second.not_modified());
    assert!(second.body.is_empty());
    assert_eq!(second.etag.as_deref(), Some("\"v1\""));

    let reqs = srv.requests_for("/feed.xml");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        reqs[1].header("if-modified-since"),
        Some("Fri, 27 Nov 2026 09:30:00 GMT")
    );
    assert_eq!(reqs[1].header("accept"), Some("application/rss+xml"));

    // A changed resource answers 200 again despite the old validator.
    srv.route(
        "/feed.xml",
        Reply::ok(&b"<rss version=\"2.0\"/>"[..]).etag("\"v2\""),
    );
    let third = f.get(&u, &req).await.expect("third fetch");
    assert_eq!(third.status, 200);
    assert_eq!(third.etag.as_deref(), Some("\"v2\""));
}

#[tokio::test]
async fn bare_304_keeps_request_validators() {
    let srv = TestServer::start();
    srv.route("/bare", Reply::status(304));
    let f = fetcher(opts());
    let req = Request {
        etag: Some("W/\"abc\"".into()),
        last_modified: Some("Thu, 26 Nov 2026 00:00:00 GMT".into()),
        accept: None,
    };
    let resp = f
        .get(&url(&srv, "/bare"), &req)
        .await
        .expect("304 is success");
    assert!(resp.not_modified());
    assert_eq!(resp.etag.as_deref(), Some("W/\"abc\""));
    assert_eq!(
        resp.last_modified.as_deref(),
        Some("Thu, 26 Nov 2026 00:00:00 GMT")
    );
}

#[tokio::test]
async fn compressed_bodies_are_decoded() {
    let srv = TestServer::start();
    srv.route("/gz", Reply::ok(RSS).gzip());
    srv.route("/br", Reply::ok(RSS).brotli());
    srv.route("/zz", Reply::ok(RSS).deflate());
    let f = fetcher(opts());
    for path in ["/gz", "/br", "/zz"] {
        let resp = f
            .get(&url(&srv, path), &Request::default())
            .await
            .expect("fetch ok");
        assert_eq!(resp.body, RSS, "body of {path}");
    }
}

#[tokio::test]
async fn gzip_bomb_stops_at_the_cap() {
    let bomb = gzip_zeros(100 << 20);
    assert!(
        bomb.len() < 1 << 20,
        "bomb is small on the wire: {}",
        bomb.len()
    );
    let srv = TestServer::start();
    srv.route("/bomb", Reply::ok(bomb).header("Content-Encoding", "gzip"));
    let f = fetcher(FetchOptions {
        max_body: 1 << 20,
        ..opts()
    });
    let err = f
        .get(&url(&srv, "/bomb"), &Request::default())
        .await
        .expect_err("bomb refused");
    assert!(
        matches!(err, FetchError::TooLarge { limit, .. } if limit == 1 << 20),
        "{err:?}"
    );
}

#[tokio::test]
async fn body_exactly_at_cap_is_accepted() {
    let srv = TestServer::start();
    srv.route("/fit", Reply::ok(vec![b'a'; 1000]));
    srv.route("/over", Reply::ok(vec![b'a'; 1001]));
    let f = fetcher(FetchOptions {
        max_body: 1000,
        ..opts()
    });
    assert_eq!(
        f.get(&url(&srv, "/fit"), &Request::default())
            .await
            .expect("fits")
            .body
            .len(),
        1000
    );
    let err = f
        .get(&url(&srv, "/over"), &Request::default())
        .await
        .expect_err("over");
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn endless_body_is_too_large() {
    let srv = TestServer::start();
    srv.route("/endless", Reply::endless());
    let f = fetcher(FetchOptions {
        max_body: 1 << 20,
        ..opts()
    });
    let err = f
        .get(&url(&srv, "/endless"), &Request::default())
        .await
        .expect_err("endless refused");
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn declared_length_over_cap_is_refused_before_reading() {
    let srv = TestServer::start();
    srv.route(
        "/huge",
        Reply::raw(&b"HTTP/1.1 200 OK\r\nContent-Length: 5000000000\r\n\r\nabc"[..]),
    );
    let f = fetcher(FetchOptions {
        max_body: 1 << 20,
        ..opts()
    });
    let err = f
        .get(&url(&srv, "/huge"), &Request::default())
        .await
        .expect_err("refused");
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn trickle_hits_the_overall_deadline() {
    let srv = TestServer::start();
    // 200 bytes at one per 50 ms would take 10 s; the deadline is 600 ms.
    srv.route(
        "/slow",
        Reply::trickle(vec![b'x'; 200], Duration::from_millis(50)),
    );
    let f = fetcher(FetchOptions {
        timeout: Duration::from_millis(600),
        ..opts()
    });
    let started = std::time::Instant::now();
    let err = f
        .get(&url(&srv, "/slow"), &Request::default())
        .await
        .expect_err("trickle times out");
    assert!(matches!(err, FetchError::Timeout { .. }), "{err:?}");
    // Generous bound: far below the 10 s the trickle would take.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn headers_that_never_end_time_out() {
    let srv = TestServer::start();
    srv.route("/hdr", Reply::headers_never_end());
    let f = fetcher(FetchOptions {
        timeout: Duration::from_millis(600),
        ..opts()
    });
    let err = f
        .get(&url(&srv, "/hdr"), &Request::default())
        .await
        .expect_err("never-ending head fails");
    // hyper may give up on the oversized head before the deadline; either way no response.
    assert!(
        matches!(err, FetchError::Timeout { .. } | FetchError::Connect { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn garbage_response_is_an_error_not_a_panic() {
    let srv = TestServer::start();
    srv.route("/junk", Reply::raw(&b"\x00\x01NOT HTTP AT ALL\r\n\r\n"[..]));
    srv.route(
        "/cut",
        Reply::raw(&b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"[..]),
    );
    let f = fetcher(opts());
    let err = f
        .get(&url(&srv, "/junk"), &Request::default())
        .await
        .expect_err("junk");
    assert!(matches!(err, FetchError::Connect { .. }), "{err:?}");
    let err = f
        .get(&url(&srv, "/cut"), &Request::default())
        .await
        .expect_err("truncated body");
    assert!(matches!(err, FetchError::Body { .. }), "{err:?}");
}

#[tokio::test]
async fn redirect_loop_is_too_many_redirects() {
    let srv = TestServer::start();
    srv.route("/a", Reply::redirect(302, "/b"));
    srv.route("/b", Reply::redirect(302, "/a"));
    let f = fetcher(FetchOptions {
        max_redirects: 5,
        ..opts()
    });
    let err = f
        .get(&url(&srv, "/a"), &Request::default())
        .await
        .expect_err("loop");
    assert!(
        matches!(err, FetchError::TooManyRedirects { .. }),
        "{err:?}"
    );
    // The first request plus exactly max_redirects hops reached the server.
    assert_eq!(srv.requests().len(), 6);
}

#[tokio::test]
async fn redirect_limit_counts_hops() {
    let srv = TestServer::start();
    srv.route("/r1", Reply::redirect(307, "/r2"));
    srv.route("/r2", Reply::redirect(307, "/r3"));
    srv.route("/r3", Reply::ok(RSS));
    let two = fetcher(FetchOptions {
        max_redirects: 2,
        ..opts()
    });
    assert_eq!(
        two.get(&url(&srv, "/r1"), &Request::default())
            .await
            .expect("2 hops")
            .body,
        RSS
    );
    let one = fetcher(FetchOptions {
        max_redirects: 1,
        ..opts()
    });
    let err = one
        .get(&url(&srv, "/r1"), &Request::default())
        .await
        .expect_err("1 hop max");
    assert!(
        matches!(err, FetchError::TooManyRedirects { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn permanent_redirect_only_when_every_hop_is_permanent() {
    let srv = TestServer::start();
    srv.route("/old.rss", Reply::redirect(301, "/older.rss"));
    srv.route("/older.rss", Reply::redirect(308, &srv.url("/new.rss")));
    srv.route("/new.rss", Reply::ok(RSS).etag("\"n1\""));
    srv.route("/temp.rss", Reply::redirect(301, "/temp2.rss"));
    srv.route("/temp2.rss", Reply::redirect(302, "/new.rss"));
    let f = fetcher(opts());

    let resp = f
        .get(&url(&srv, "/old.rss"), &Request::default())
        .await
        .expect("301 chain");
    assert_eq!(resp.final_url, url(&srv, "/new.rss"));
    assert_eq!(resp.permanent_redirect, Some(url(&srv, "/new.rss")));
    assert_eq!(resp.body, RSS);

    let resp = f
        .get(&url(&srv, "/temp.rss"), &Request::default())
        .await
        .expect("mixed chain");
    assert_eq!(resp.final_url, url(&srv, "/new.rss"));
    assert_eq!(resp.permanent_redirect, None);
}

#[tokio::test]
async fn redirect_to_other_scheme_is_invalid() {
    let srv = TestServer::start();
    srv.route(
        "/ftp",
        Reply::redirect(302, "ftp://files.example.org/feed.xml"),
    );
    let f = fetcher(opts());
    let err = f
        .get(&url(&srv, "/ftp"), &Request::default())
        .await
        .expect_err("ftp refused");
    assert!(matches!(err, FetchError::InvalidUrl { .. }), "{err:?}");
    assert!(err.is_permanent());
    let err = f
        .get(
            &Url::parse("file:///etc/passwd").expect("url"),
            &Request::default(),
        )
        .await
        .expect_err("file refused");
    assert!(matches!(err, FetchError::InvalidUrl { .. }), "{err:?}");
}

#[tokio::test]
async fn status_errors_and_permanence() {
    let srv = TestServer::start();
    srv.route("/gone", Reply::status(410));
    srv.route("/missing", Reply::status(404));
    srv.route("/broken", Reply::status(500).body("oops"));
    let f = fetcher(opts());
    for (path, code, permanent) in [
        ("/gone", 410, true),
        ("/missing", 404, true),
        ("/broken", 500, false),
    ] {
        let err = f
            .get(&url(&srv, path), &Request::default())
            .await
            .expect_err("status error");
        assert_eq!(err.status(), Some(code), "{err:?}");
        assert_eq!(err.is_permanent(), permanent, "{err:?}");
        assert_eq!(err.retry_after(), None);
        assert!(
            err.to_string().contains(path),
            "message names the URL: {err}"
        );
    }
}
