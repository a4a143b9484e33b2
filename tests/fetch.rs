//! The HTTP layer against a local test server: conditional GET, compression,
//! limits, redirects, backoff, politeness and the address guard.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use common::{Reply, TestServer, gzip_zeros};
use newswire::fetch::guard::{check_literal, filter_resolved, is_forbidden};
use newswire::fetch::{FetchError, FetchOptions, Fetcher, Request};
use url::Url;

const RSS: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>UN News - Global perspective</title>
<link>https://news.example.org/</link>
<item><title>Security Council meets on humanitarian access</title>
<link>https://news.example.org/story/2026/11/1001</link>
<guid isPermaLink="false">un-1001</guid>
<pubDate>Fri, 27 Nov 2026 09:30:00 GMT</pubDate></item>
</channel></rss>"#;

/// Options for tests against 127.0.0.1: guard off, no spacing.
fn opts() -> FetchOptions {
    FetchOptions {
        allow_private_networks: true,
        per_host_interval: Duration::ZERO,
        timeout: Duration::from_secs(10),
        ..FetchOptions::default()
    }
}

fn fetcher(opts: FetchOptions) -> Fetcher {
    Fetcher::new(opts).expect("client builds")
}

fn url(srv: &TestServer, path: &str) -> Url {
    Url::parse(&srv.url(path)).expect("test URL parses")
}

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
async fn huge_retry_after_is_capped() {
    let srv = TestServer::start();
    srv.route(
        "/busy",
        Reply::status(503).header("Retry-After", "99999999999999999999"),
    );
    let f = fetcher(opts());
    let err = f
        .get(&url(&srv, "/busy"), &Request::default())
        .await
        .expect_err("503");
    let wait = err.retry_after().expect("retry-after");
    assert!(wait <= Duration::from_secs(24 * 3600), "{wait:?}");
    let err = f
        .get(&url(&srv, "/busy"), &Request::default())
        .await
        .expect_err("backoff");
    assert!(matches!(err, FetchError::HostBackoff { .. }), "{err:?}");
    assert!(!err.to_string().is_empty());
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

#[tokio::test]
async fn retry_after_backs_off_the_host() {
    let srv = TestServer::start();
    srv.route("/limited", Reply::status(429).header("Retry-After", "120"));
    srv.route("/other", Reply::ok(RSS));
    let f = fetcher(opts());
    let err = f
        .get(&url(&srv, "/limited"), &Request::default())
        .await
        .expect_err("429");
    assert!(
        matches!(err, FetchError::Status { status: 429, retry_after: Some(d), .. } if d == Duration::from_secs(120)),
        "{err:?}"
    );
    // Any path on that host now fails at once, without a request.
    let err = f
        .get(&url(&srv, "/other"), &Request::default())
        .await
        .expect_err("backing off");
    assert!(matches!(err, FetchError::HostBackoff { .. }), "{err:?}");
    let wait = err.retry_after().expect("backoff has a wait");
    assert!(
        wait > Duration::from_secs(60) && wait <= Duration::from_secs(120),
        "{wait:?}"
    );
    assert!(!err.is_permanent());
    assert_eq!(srv.requests().len(), 1);
    assert_eq!(srv.hits("/other"), 0);

    // A clone shares the backoff; a new fetcher does not.
    let err = f
        .clone()
        .get(&url(&srv, "/other"), &Request::default())
        .await
        .expect_err("clone");
    assert!(matches!(err, FetchError::HostBackoff { .. }), "{err:?}");
    let fresh = fetcher(opts());
    fresh
        .get(&url(&srv, "/other"), &Request::default())
        .await
        .expect("fresh fetcher");
    assert_eq!(srv.hits("/other"), 1);
}

#[tokio::test]
async fn unavailable_with_http_date_retry_after() {
    let srv = TestServer::start();
    let later = chrono::Utc::now() + chrono::Duration::seconds(600);
    let date = later.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    srv.route("/maint", Reply::status(503).header("Retry-After", &date));
    let f = fetcher(opts());
    let err = f
        .get(&url(&srv, "/maint"), &Request::default())
        .await
        .expect_err("503");
    let wait = err.retry_after().expect("date parsed");
    assert!(
        wait > Duration::from_secs(500) && wait <= Duration::from_secs(600),
        "{wait:?}"
    );
    let err = f
        .get(&url(&srv, "/maint"), &Request::default())
        .await
        .expect_err("backing off");
    assert!(matches!(err, FetchError::HostBackoff { .. }), "{err:?}");
    assert_eq!(srv.hits("/maint"), 1);
}

#[tokio::test]
async fn rate_limit_without_retry_after_does_not_back_off() {
    let srv = TestServer::start();
    srv.route("/limited", Reply::status(429));
    let f = fetcher(opts());
    for _ in 0..2 {
        let err = f
            .get(&url(&srv, "/limited"), &Request::default())
            .await
            .expect_err("429");
        assert_eq!(err.status(), Some(429));
    }
    assert_eq!(srv.hits("/limited"), 2);
}

#[tokio::test]
async fn guard_refuses_loopback_literals_and_names() {
    let srv = TestServer::start();
    srv.route("/feed.xml", Reply::ok(RSS));
    let f = fetcher(FetchOptions {
        per_host_interval: Duration::ZERO,
        ..FetchOptions::default()
    });
    for target in [
        srv.url("/feed.xml"),
        srv.url_with_host("localhost", "/feed.xml"),
        srv.url_with_host("[::1]", "/feed.xml"),
        srv.url_with_host("[::ffff:127.0.0.1]", "/feed.xml"),
        srv.url_with_host("0x7f.1", "/feed.xml"),
    ] {
        let u = Url::parse(&target).expect("url");
        let err = f.get(&u, &Request::default()).await.expect_err("blocked");
        match &err {
            FetchError::Blocked { url, addr } => {
                assert_eq!(url, u.as_str());
                let ip: Vec<IpAddr> = addr
                    .split(", ")
                    .map(|a| a.parse().expect("addr is an IP"))
                    .collect();
                assert!(
                    ip.iter().all(|ip| ip.is_loopback() || is_forbidden(*ip)),
                    "{addr}"
                );
            }
            other => panic!("{target}: expected Blocked, got {other:?}"),
        }
        assert!(err.is_permanent());
    }
    assert!(srv.requests().is_empty(), "no request reached the server");

    // The same server is reachable once private networks are allowed.
    let open = fetcher(opts());
    open.get(&url(&srv, "/feed.xml"), &Request::default())
        .await
        .expect("allowed");
    open.get(
        &Url::parse(&srv.url_with_host("localhost", "/feed.xml")).expect("url"),
        &Request::default(),
    )
    .await
    .expect("localhost allowed");
    assert_eq!(srv.hits("/feed.xml"), 2);
}

#[test]
fn literal_check_covers_redirect_targets() {
    // Each redirect hop goes through the same check as the first URL.
    for (target, blocked) in [
        ("http://169.254.169.254/latest/meta-data/", true),
        ("http://10.1.2.3:8080/feed", true),
        ("http://[fd00::1]/", true),
        ("http://[::ffff:192.168.1.1]/", true),
        ("http://0177.0.0.1/", true),
        ("http://2130706433/", true),
        ("http://93.184.216.34/", false),
        ("http://[2606:4700::1111]/", false),
        ("http://news.example.org/", false),
    ] {
        let u = Url::parse(target).expect("url");
        assert_eq!(check_literal(&u).is_some(), blocked, "{target}");
    }
}

#[test]
fn resolver_filter_keeps_public_addresses_only() {
    let sa = |s: &str| -> SocketAddr { SocketAddr::new(s.parse().expect("ip"), 0) };
    let mixed = vec![
        sa("127.0.0.1"),
        sa("93.184.216.34"),
        sa("::1"),
        sa("2606:4700::1111"),
    ];
    let kept = filter_resolved("mixed.example", mixed.clone(), false).expect("some public");
    assert_eq!(kept, vec![sa("93.184.216.34"), sa("2606:4700::1111")]);
    assert_eq!(
        filter_resolved("mixed.example", mixed.clone(), true).expect("all"),
        mixed
    );

    let rebinding = vec![sa("169.254.169.254"), sa("10.0.0.5")];
    let err = filter_resolved("evil.example", rebinding, false).expect_err("all forbidden");
    assert_eq!(err.host, "evil.example");
    assert_eq!(err.addr_list(), "169.254.169.254, 10.0.0.5");
    assert!(err.to_string().contains("evil.example"));
}

#[test]
fn address_classifier_table() {
    let table: &[(&str, bool)] = &[
        // IPv4
        ("0.0.0.0", true),
        ("0.1.2.3", true),
        ("127.0.0.1", true),
        ("127.255.255.254", true),
        ("10.0.0.1", true),
        ("172.16.0.1", true),
        ("172.31.255.255", true),
        ("172.15.255.255", false),
        ("172.32.0.1", false),
        ("192.168.0.1", true),
        ("169.254.169.254", true),
        ("100.64.0.1", true),
        ("100.127.255.255", true),
        ("100.63.255.255", false),
        ("100.128.0.1", false),
        ("192.0.0.8", true),
        ("192.0.2.1", true),
        ("198.51.100.7", true),
        ("203.0.113.9", true),
        ("198.18.0.1", true),
        ("198.19.255.255", true),
        ("198.20.0.1", false),
        ("224.0.0.1", true),
        ("239.255.255.250", true),
        ("240.0.0.1", true),
        ("255.255.255.255", true),
        ("8.8.8.8", false),
        ("93.184.216.34", false),
        ("185.199.108.153", false),
        // IPv6
        ("::", true),
        ("::1", true),
        ("fc00::1", true),
        ("fd12:3456::1", true),
        ("fe80::1", true),
        ("febf::1", true),
        ("fec0::1", true),
        ("ff02::1", true),
        ("2001:db8::1", true),
        ("2606:4700::1111", false),
        ("2a00:1450:4001::200e", false),
        // IPv6 embedding IPv4
        ("::ffff:127.0.0.1", true),
        ("::ffff:10.0.0.1", true),
        ("::ffff:169.254.169.254", true),
        ("::ffff:8.8.8.8", false),
        ("::127.0.0.1", true),
        ("::192.168.1.1", true),
        ("::8.8.8.8", false),
        ("64:ff9b::7f00:1", true),
        ("64:ff9b::808:808", false),
        ("2002:7f00:1::", true),
        ("2002:c0a8:101::1", true),
        ("2002:808:808::1", false),
    ];
    for (text, forbidden) in table {
        let ip: IpAddr = text.parse().expect("table entry is an IP");
        assert_eq!(is_forbidden(ip), *forbidden, "{text}");
    }
}

#[tokio::test]
async fn per_host_interval_spaces_request_starts() {
    let srv = TestServer::start();
    srv.route("/a", Reply::ok(RSS));
    srv.route("/b", Reply::ok(RSS));
    let f = fetcher(FetchOptions {
        per_host_interval: Duration::from_millis(300),
        ..opts()
    });
    let (ua, ub, req) = (url(&srv, "/a"), url(&srv, "/b"), Request::default());
    let (ra, rb) = tokio::join!(f.get(&ua, &req), f.get(&ub, &req));
    ra.expect("a");
    rb.expect("b");
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at.duration_since(reqs[0].at);
    assert!(
        gap >= Duration::from_millis(250),
        "requests only {gap:?} apart"
    );
}

#[tokio::test]
async fn per_host_concurrency_limits_requests_in_flight() {
    let srv = TestServer::start();
    srv.route("/slow", Reply::ok(RSS).delay(Duration::from_millis(300)));
    let f = fetcher(FetchOptions {
        per_host_concurrency: 1,
        ..opts()
    });
    let u = url(&srv, "/slow");
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let (f, u) = (f.clone(), u.clone());
        tasks.push(tokio::spawn(
            async move { f.get(&u, &Request::default()).await },
        ));
    }
    for t in tasks {
        t.await.expect("task").expect("fetch");
    }
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 3);
    // With one slot, each request starts only after the previous answered.
    for pair in reqs.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(
            gap >= Duration::from_millis(250),
            "overlapping requests, {gap:?} apart"
        );
    }
}
