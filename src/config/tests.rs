use super::*;

fn load_str(src: &str) -> Result<Config, ConfigError> {
    Config::from_toml(src, "test.toml", Some(Path::new("/etc/newswire")))
}

fn invalid(src: &str) -> (usize, Option<String>, String) {
    match load_str(src) {
        Err(ConfigError::Invalid {
            line, key, message, ..
        }) => (line, key, message),
        other => panic!("expected an invalid-config error, got {other:?}"),
    }
}

const FEED: &str = "[[feeds]]\nname = \"rt\"\nurl = \"https://www.rt.com/rss/\"\n";

#[test]
fn shipped_example_loads() {
    let src = include_str!("../../config/newswire.toml");
    let config = load_str(src).expect("shipped config is valid");
    assert!(config.feeds.len() >= 4);
    assert_eq!(config.fetch.max_body, 10 * 1024 * 1024);
    assert!(!config.fetch.allow_private_networks);
    assert_eq!(
        config.storage.sqlite_path().expect("sqlite"),
        Path::new("/etc/data/newswire.db")
    );
    let rt = config.feed("rt").expect("rt configured");
    assert_eq!(rt.schedule.source(), "*/10 * * * *");
    let tass = config.feed("tass").expect("tass configured");
    assert_eq!(
        tass.schedule.source(),
        "*/15 * * * *",
        "falls back to [defaults]"
    );
}

#[test]
fn defaults_when_empty() {
    let config = load_str("").expect("empty config is valid");
    assert!(config.feeds.is_empty());
    assert_eq!(config.fetch.timeout, Duration::from_secs(20));
    assert_eq!(config.fetch.concurrency, 16);
    assert!(config.defaults.full_text);
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let (line, key, msg) = invalid("[fetch]\ntimeout = \"5s\"\ntimout = \"5s\"\n");
    assert_eq!(line, 3);
    assert_eq!(key.as_deref(), Some("fetch.timout"));
    assert!(msg.contains("unknown field"), "{msg}");
}

#[test]
fn bad_values_name_key_and_line() {
    let cases = [
        (
            format!("{FEED}schedule = \"61 * * * *\"\n"),
            4,
            "feeds[0].schedule",
            "invalid schedule",
        ),
        (
            "[[feeds]]\nname = \"x\"\nurl = \"ftp://example.com/feed\"\n".to_string(),
            3,
            "feeds[0].url",
            "only http and https",
        ),
        (
            "[fetch]\ntimeout = 20\n".to_string(),
            2,
            "fetch.timeout",
            "string",
        ),
        (
            "[fetch]\nmax_body = \"ten megs\"\n".to_string(),
            2,
            "fetch.max_body",
            "size",
        ),
        (
            "[fetch]\nconcurrency = 0\n".to_string(),
            2,
            "fetch.concurrency",
            "at least 1",
        ),
        (
            "[defaults]\ntimezone = \"Mars/Olympus\"\n".to_string(),
            2,
            "defaults.timezone",
            "unknown time zone",
        ),
        (
            format!("{FEED}{FEED}"),
            5,
            "feeds[1].name",
            "duplicate feed name",
        ),
        (
            "[[feeds]]\nname = \"a b\"\nurl = \"https://a.example/\"\n".to_string(),
            2,
            "feeds[0].name",
            "contains",
        ),
        (
            format!("{FEED}selector = \"div[\"\n"),
            4,
            "feeds[0].selector",
            "invalid CSS selector",
        ),
        (
            "[[feeds]]\nname = \"x\"\n".to_string(),
            1,
            "feeds[0]",
            "missing field `url`",
        ),
    ];
    for (src, want_line, want_key, want_msg) in cases {
        let (line, key, msg) = invalid(&src);
        assert_eq!(key.as_deref(), Some(want_key), "{src}");
        assert_eq!(line, want_line, "{src}");
        assert!(msg.contains(want_msg), "{src}: {msg}");
    }
}

#[test]
fn error_display_names_file_line_and_key() {
    let err = load_str("[fetch]\ntimout = \"5s\"\n").expect_err("invalid");
    let text = err.to_string();
    assert!(
        text.starts_with("test.toml:2:1: `fetch.timout`: unknown field"),
        "{text}"
    );
}

#[test]
fn retention_is_opt_in_per_table() {
    let config = load_str(&format!(
        "[storage]\nretain = \"90d\"\nretain_fetches = \"30d\"\n{FEED}"
    ))
    .expect("valid");
    assert_eq!(
        config.storage.retain,
        Some(Duration::from_secs(90 * 86_400))
    );
    assert_eq!(
        config.storage.retain_fetches,
        Some(Duration::from_secs(30 * 86_400))
    );
    let (line, key, message) = invalid(&format!("[storage]\nretain_fetches = \"often\"\n{FEED}"));
    assert_eq!((line, key.as_deref()), (2, Some("storage.retain_fetches")));
    assert!(!message.is_empty());
}

#[test]
fn feed_overrides_and_relative_paths() {
    let src = format!(
        "[storage]\npath = \"db/n.db\"\n[defaults]\nfull_text = false\ntimezone = \"Europe/Moscow\"\n{FEED}full_text = true\nenabled = false\ntags = [\"a\"]\n"
    );
    let config = load_str(&src).expect("valid");
    assert_eq!(
        config.storage.sqlite_path().expect("sqlite"),
        Path::new("/etc/newswire/db/n.db")
    );
    assert_eq!(
        (config.storage.retain, config.storage.retain_fetches),
        (None, None)
    );
    let rt = &config.feeds[0];
    assert!(rt.full_text && !rt.enabled);
    assert_eq!(rt.timezone, chrono_tz::Europe::Moscow);
    assert_eq!(rt.tags, ["a"]);
}

#[test]
fn a_postgres_url_is_the_store_and_excludes_a_path() {
    let config = load_str(
        "[storage]\nurl = \"postgres://news:s3cret@db.internal:5433/wire?sslmode=verify-full\"\n\
         [cluster]\nlease = \"90s\"\ninstance = \"edge-1\"\n",
    )
    .expect("valid");
    let StoreLocation::Postgres(url) = &config.storage.location else {
        panic!("expected a PostgreSQL store: {:?}", config.storage.location);
    };
    assert_eq!(url.host(), "db.internal");
    assert_eq!(url.port(), 5433);
    assert_eq!(url.dbname(), "wire");
    assert_eq!(url.sslmode(), crate::model::SslMode::VerifyFull);
    assert_eq!(
        config.storage.location.to_string(),
        "postgres://news@db.internal:5433/wire"
    );
    assert_eq!(config.cluster.lease, Duration::from_secs(90));
    assert_eq!(config.cluster.instance, "edge-1");

    let (_, key, message) = invalid("[storage]\npath = \"n.db\"\nurl = \"postgres://u@h/db\"\n");
    assert_eq!(key.as_deref(), Some("storage.url"));
    assert!(message.contains("exclusive"), "{message}");
    let (_, key, message) = invalid("[storage]\nurl = \"postgres://u:pw@h/db?sslmode=sure\"\n");
    assert_eq!(key.as_deref(), Some("storage.url"));
    assert!(message.contains("sslmode `sure`"), "{message}");
    assert!(!message.contains("pw"), "{message}");
    let (_, key, _) = invalid("[storage]\nurl = \"postgres://u:pw@h\"\n");
    assert_eq!(key.as_deref(), Some("storage.url"));
    let (_, key, message) = invalid("[cluster]\nlease = \"1s\"\n");
    assert_eq!(key.as_deref(), Some("cluster.lease"));
    assert!(message.contains("at least 3s"), "{message}");
    let (_, key, _) = invalid("[cluster]\ninstance = \" \"\n");
    assert_eq!(key.as_deref(), Some("cluster.instance"));
}

#[test]
fn the_cluster_defaults_to_a_one_minute_lease_and_host_pid() {
    let config = load_str("").expect("valid");
    assert_eq!(config.cluster.lease, Duration::from_secs(60));
    assert!(
        config
            .cluster
            .instance
            .ends_with(&format!("-{}", std::process::id())),
        "{}",
        config.cluster.instance
    );
    assert_eq!(config.storage.location.kind(), "sqlite");
}
