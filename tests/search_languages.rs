//! End to end: search in Chinese, Russian, Arabic and Turkish through the
//! real binary (`newswire search`) and the HTTP API (`GET /search`).
//!
//! Three feeds on a 127.0.0.1 server carry one article each (texts written
//! for this test); one `newswire poll` stores them, then a word inside a
//! Chinese sentence and Russian and Arabic dictionary forms of inflected
//! words are searched for.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Reply, TestServer};

const BIN: &str = env!("CARGO_BIN_EXE_newswire");

const ZH: &str = "新华社北京电 中国航天员乘组今天完成第三次出舱活动，航天员在机械臂支持下安装了新的设备。\n\n\
    这是空间站建成以来规模最大的一次出舱任务，来自多所大学的留学生也在地面观看了直播。";
const RU: &str = "Власти Малайзии заявили во вторник, что переговоры о поставках пальмового масла продолжатся.\n\n\
    По данным правительства Малайзии, новые контракты будут подписаны до конца года.";
const AR: &str = "أعلنت الحكومة اليوم أن المفاوضات مع الشركاء الإقليميين ستُستأنف الأسبوع المقبل.\n\n\
    وقال مسؤولون إن الاتفاق الجديد سيشمل إمدادات المياه والكهرباء إلى المدن الساحلية.";

fn rss(channel: &str, lang: &str, title: &str, link: &str, body: &str) -> Vec<u8> {
    let paragraphs: String = body
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", p.trim()))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>{channel}</title><link>https://{channel}.example/</link><description>{channel}</description>
<language>{lang}</language>
<item><title>{title}</title><link>{link}</link><guid isPermaLink="false">{channel}-1</guid>
<pubDate>Tue, 24 Nov 2026 09:30:00 GMT</pubDate>
<description>{title}</description>
<content:encoded><![CDATA[{paragraphs}]]></content:encoded></item>
</channel></rss>"#
    )
    .into_bytes()
}

/// Percent-encodes a query parameter value (every byte outside A-Z a-z 0-9).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A plain HTTP/1.1 GET with the standard library: (status, body).
fn http_get(addr: std::net::SocketAddr, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

#[test]
fn words_are_found_in_every_script_through_the_cli_and_the_api() {
    let srv = TestServer::start();
    let feeds = [
        (
            "xinhua",
            rss(
                "xinhua",
                "zh-CN",
                "空间站出舱任务完成",
                "https://xinhua.example/a",
                ZH,
            ),
        ),
        (
            "kommersant",
            rss(
                "kommersant",
                "ru",
                "Переговоры продолжатся",
                "https://kommersant.example/a",
                RU,
            ),
        ),
        (
            "wam",
            rss(
                "wam",
                "ar",
                "استئناف المحادثات",
                "https://wam.example/a",
                AR,
            ),
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = String::from(
        "[storage]\npath = \"news.db\"\n[fetch]\nallow_private_networks = true\nper_host_interval = \"0s\"\n\
         [defaults]\nfull_text = false\n",
    );
    for (name, body) in &feeds {
        let path = format!("/{name}.rss");
        srv.route(
            &path,
            Reply::ok(body.clone()).header("Content-Type", "application/rss+xml"),
        );
        config.push_str(&format!(
            "[[feeds]]\nname = \"{name}\"\nurl = \"{}\"\n",
            srv.url(&path)
        ));
    }
    let config_path = dir.path().join("newswire.toml");
    std::fs::write(&config_path, config).expect("config");
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .arg("--config")
            .arg(&config_path)
            .args(args)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&["poll"]);

    let search = |q: &str| -> Vec<String> {
        let out = run(&["search", q, "--format", "json"]);
        let hits: serde_json::Value = serde_json::from_slice(&out).expect("json");
        hits.as_array()
            .expect("array")
            .iter()
            .map(|h| h["feeds"][0].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        search("航天"),
        ["xinhua"],
        "a word inside a Chinese sentence"
    );
    assert_eq!(search("留学生"), ["xinhua"]);
    assert_eq!(search("Малайзия"), ["kommersant"], "the dictionary form");
    assert_eq!(search("مفاوضات"), ["wam"], "without the article");
    assert_eq!(search("الإمدادات"), ["wam"], "with the article and hamza");
    assert!(search("宇航员").is_empty());
    let out = run(&["search", "Малайзия"]);
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains("[Малайзии]"),
        "snippet highlights the inflected form: {text}"
    );

    // The same through the API.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(&config_path)
        .args(["serve", "--listen", &addr.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    let api = |q: &str| -> Option<Vec<String>> {
        let (status, body) = http_get(addr, &format!("/search?q={}", encode(q)))?;
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        Some(
            v["hits"]
                .as_array()
                .expect("hits")
                .iter()
                .map(|h| h["feeds"][0].as_str().unwrap_or_default().to_owned())
                .collect(),
        )
    };
    let first = loop {
        if let Some(hits) = api("航天") {
            break hits;
        }
        assert!(Instant::now() < deadline, "the API did not start");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(first, ["xinhua"]);
    assert_eq!(api("Малайзия").expect("api"), ["kommersant"]);
    assert_eq!(api("مفاوضات").expect("api"), ["wam"]);
    let _ = child.kill();
    let _ = child.wait();
}
