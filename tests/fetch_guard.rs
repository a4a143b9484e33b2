//! The address guard: the classifier over a table of addresses, the resolver
//! filter, the IP-literal check used on every redirect hop, and refusals
//! against a local server that must never see a request.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use common::fetching::{RSS, fetcher, opts, url};
use common::{Reply, TestServer};
use newswire::fetch::guard::{check_literal, filter_resolved, is_forbidden};
use newswire::fetch::{FetchError, FetchOptions, Request};
use url::Url;

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
