//! Credentials in feed URLs stay in the config (issue 15): not in the logs,
//! not in the stored error text, not in `/feeds`.

mod common;
mod harness;

use std::io::{Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Reply, TestServer};
use harness::{Setup, describe, feed};

#[test]
fn feed_credentials_are_redacted_in_logs_store_errors_and_the_api() {
    let srv = TestServer::start();
    srv.route("/private.rss", Reply::status(500));
    let url = srv.url("/private.rss?token=s3cr3t-token&lang=en").replacen(
        "http://",
        "http://reader:hunter2@",
        1,
    );
    let setup = Setup::new(&[feed("private", url)]);
    let out = setup.run(&["poll"]);
    let logs =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(logs.contains("private"), "{}", describe(&out));
    for secret in ["hunter2", "s3cr3t-token"] {
        assert!(!logs.contains(secret), "log shows {secret}: {logs}");
    }
    let stored = setup.query_text("SELECT group_concat(coalesce(last_error, ''), ' ') FROM feeds");
    let stored = stored.unwrap_or_default()
        + &setup
            .query_text("SELECT group_concat(coalesce(error, ''), ' ') FROM fetches")
            .unwrap_or_default();
    assert!(
        !stored.contains("hunter2") && !stored.contains("s3cr3t"),
        "{stored}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let mut serve = setup
        .cmd(&["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let end = Instant::now() + Duration::from_secs(15);
    let body = loop {
        let answer = std::net::TcpStream::connect(("127.0.0.1", port))
            .ok()
            .and_then(|mut s| {
                s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
                s.write_all(b"GET /feeds HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .ok()?;
                let mut text = String::new();
                s.read_to_string(&mut text).ok()?;
                Some(text)
            });
        match answer {
            Some(text) if text.starts_with("HTTP/1.1 200") => break text,
            _ if Instant::now() > end => panic!("serve never answered"),
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(body.contains("reader:***@"), "{body}");
    assert!(body.contains("token=***&lang=en"), "{body}");
    assert!(
        !body.contains("hunter2") && !body.contains("s3cr3t"),
        "{body}"
    );
}
