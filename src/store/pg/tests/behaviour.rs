//! What only the PostgreSQL store has: migrations, connection errors, TLS
//! and the cap on search terms. The behaviour it shares with SQLite is the
//! suite in `store::suite`.

use super::*;
use crate::store::StoreError;

#[test]
fn migrations_run_once_and_a_newer_schema_is_refused() {
    let Some(db) = TestDb::new("migrations") else {
        return;
    };
    drop(db.store("a"));
    let store = db.store("b");
    let v: i64 = store
        .client()
        .expect("client")
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .expect("version")
        .get(0);
    assert_eq!(v, super::super::migrate::latest());
    store
        .client()
        .expect("client")
        .execute(
            "INSERT INTO schema_migrations (version, name) VALUES (999, 'future')",
            &[],
        )
        .expect("bump");
    let err = PgStore::open(&db.url, "c", true).expect_err("too new is refused");
    assert!(
        matches!(err, StoreError::TooNew { found: 999, .. }),
        "{err}"
    );
    let err = PgStore::open(&db.url, "c", false).expect_err("too new is refused");
    assert!(
        matches!(err, StoreError::TooNew { found: 999, .. }),
        "{err}"
    );
}

#[test]
fn connection_errors_are_one_line_and_never_show_the_password() {
    let Some(db) = TestDb::new("connection_errors") else {
        return;
    };
    let port: Target = "postgres://newswire:s3cret-pw@127.0.0.1:1/news?sslmode=disable"
        .parse()
        .expect("url");
    let err = PgStore::open(&port, "t", true).expect_err("nothing listens on port 1");
    let msg = err.to_string();
    assert!(
        msg.starts_with("store postgres://newswire@127.0.0.1:1/news: "),
        "{msg}"
    );
    assert!(!msg.contains("s3cret") && !msg.contains('\n'), "{msg}");
    assert!(err.is_transient(), "{msg}");

    let missing =
        db.url.shown().rsplit_once('/').expect("db").0.to_owned() + "/nw_no_such_database";
    let missing: Target = missing.parse().expect("url");
    let err = PgStore::open(&missing, "t", true).expect_err("no such database");
    let msg = err.to_string();
    assert!(
        msg.contains("/nw_no_such_database: ") && msg.contains("does not exist"),
        "{msg}"
    );
    assert!(!msg.contains('\n'), "{msg}");

    let bad = "mysql://u:pw@h/db"
        .parse::<Target>()
        .expect_err("not postgres");
    assert!(!bad.contains("pw@"), "{bad}");
    let bad = "postgres://u:pw@h/db?sslmode=sometimes"
        .parse::<Target>()
        .expect_err("bad sslmode");
    assert!(bad.contains("sslmode") && !bad.contains(":pw@"), "{bad}");
}

#[test]
fn tls_modes_encrypt_and_verify_full_checks_the_certificate() {
    let Some(db) = TestDb::new("tls") else {
        return;
    };
    let ssl_on: String = db
        .store("t")
        .client()
        .expect("client")
        .query_one("SHOW ssl", &[])
        .expect("show")
        .get(0);
    if ssl_on != "on" {
        eprintln!("tls: skipped: the test server has no TLS");
        return;
    }
    let base = db.url.shown().to_owned();
    let require: Target = format!("{base}?sslmode=require").parse().expect("url");
    let store = PgStore::open(&require.with_schema(&db.schema), "t", true).expect("TLS connect");
    let encrypted: bool = store
        .client()
        .expect("client")
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .expect("ssl")
        .get(0);
    assert!(encrypted);
    // A self-signed test certificate is not trusted by verify-full.
    let verify: Target = format!("{base}?sslmode=verify-full").parse().expect("url");
    if let Err(err) = PgStore::open(&verify.with_schema(&db.schema), "t", true) {
        let msg = err.to_string();
        eprintln!("verify-full: {msg}");
        assert!(!msg.contains('\n') && msg.contains("TLS"), "{msg}");
    }
}

#[test]
fn long_search_terms_are_cut_at_a_word_and_never_inside_a_character() {
    use crate::store::pg::write::{SEARCH_TERMS_MAX, cap_terms};
    // Two-byte Cyrillic letters: the byte limit falls inside a letter (this
    // panicked before the cut looked for a boundary).
    let terms = "мир ".repeat(SEARCH_TERMS_MAX / 7 + 10);
    assert!(!terms.is_char_boundary(SEARCH_TERMS_MAX));
    let cut = cap_terms(&terms);
    assert!(cut.len() <= SEARCH_TERMS_MAX);
    assert!(
        cut.ends_with("мир"),
        "cut at a word: …{:?}",
        &cut[cut.len() - 8..]
    );
    assert_eq!(cap_terms("short terms"), "short terms");
}
