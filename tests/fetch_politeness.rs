//! Per-host manners: backoff after 429/503 with `Retry-After`, spacing of
//! request starts, and the limit on requests in flight. Timing bounds are
//! loose on purpose: they only tell "spaced" from "not spaced at all".

mod common;

use std::time::Duration;

use common::fetching::{RSS, fetcher, opts, url};
use common::{Reply, TestServer};
use newswire::fetch::{FetchError, FetchOptions, Request};

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
