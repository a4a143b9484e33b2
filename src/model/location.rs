//! Where a store lives: a SQLite file, or a PostgreSQL database named by a
//! URL (`[storage] path` or `[storage] url`).
//!
//! [`PgUrl`] keeps the URL as written, for the backend to connect with, and
//! shows it without its password (`postgres://user@host:5432/db`) wherever
//! it is displayed: in messages, logs, `newswire check` and `/healthz`.

use std::path::{Path, PathBuf};

/// Where a store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A SQLite file (created on first use).
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(PgUrl),
}

impl StoreLocation {
    /// `sqlite` or `postgres`, as `check` and `/healthz` report it.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreLocation::Sqlite(_) => "sqlite",
            StoreLocation::Postgres(_) => "postgres",
        }
    }

    /// The SQLite file, if the store is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            StoreLocation::Sqlite(path) => Some(path),
            StoreLocation::Postgres(_) => None,
        }
    }

    /// Whether the store may already hold data: a SQLite file that exists, or
    /// any server database (only connecting tells).
    pub fn may_exist(&self) -> bool {
        match self {
            StoreLocation::Sqlite(path) => path.exists(),
            StoreLocation::Postgres(_) => true,
        }
    }
}

impl std::fmt::Display for StoreLocation {
    /// The file path, or the URL without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Sqlite(path) => write!(f, "{}", path.display()),
            StoreLocation::Postgres(url) => write!(f, "{url}"),
        }
    }
}

impl From<PathBuf> for StoreLocation {
    fn from(path: PathBuf) -> StoreLocation {
        StoreLocation::Sqlite(path)
    }
}

impl From<&PathBuf> for StoreLocation {
    fn from(path: &PathBuf) -> StoreLocation {
        StoreLocation::Sqlite(path.clone())
    }
}

impl From<&Path> for StoreLocation {
    fn from(path: &Path) -> StoreLocation {
        StoreLocation::Sqlite(path.to_path_buf())
    }
}

impl From<&StoreLocation> for StoreLocation {
    fn from(location: &StoreLocation) -> StoreLocation {
        location.clone()
    }
}

impl From<PgUrl> for StoreLocation {
    fn from(url: PgUrl) -> StoreLocation {
        StoreLocation::Postgres(url)
    }
}

/// How a PostgreSQL connection uses TLS (`sslmode=` in the URL, as libpq
/// spells it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, without checking its certificate
    /// (libpq's default).
    Prefer,
    /// TLS always; the certificate is not checked (libpq's meaning).
    Require,
    /// TLS always, the certificate checked against the system roots and the
    /// host name.
    VerifyFull,
}

impl SslMode {
    /// The URL's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// A checked `postgres://user:password@host:port/dbname?sslmode=...` URL.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl {
    url: url::Url,
    host: String,
    port: u16,
    dbname: String,
    sslmode: SslMode,
}

impl PgUrl {
    /// Parses and checks `text`; the error says what is wrong and never
    /// quotes the password.
    pub fn parse(text: &str) -> Result<PgUrl, String> {
        let url = url::Url::parse(text.trim()).map_err(|e| {
            format!(
                "`{}` is not a URL ({e}); expected postgres://user:password@host:5432/dbname",
                crate::redact::url(text)
            )
        })?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(format!(
                "`{}`: the scheme must be postgres:// (a SQLite store is set with `path`)",
                crate::redact::url(text)
            ));
        }
        let host = match url.host_str() {
            Some(h) if !h.is_empty() => h.trim_matches(['[', ']']).to_string(),
            _ => return Err("the URL names no host (postgres://user@host:5432/dbname)".into()),
        };
        let dbname = url.path().trim_start_matches('/').to_string();
        if dbname.is_empty() || dbname.contains('/') {
            return Err(format!(
                "postgres://{host}/…: the URL must name one database after the host (…/dbname)"
            ));
        }
        let dbname = percent_decode(&dbname);
        let mut sslmode = SslMode::Prefer;
        for (key, value) in url.query_pairs() {
            if key == "sslmode" {
                sslmode = match value.as_ref() {
                    "disable" => SslMode::Disable,
                    "prefer" => SslMode::Prefer,
                    "require" => SslMode::Require,
                    "verify-full" => SslMode::VerifyFull,
                    other => {
                        return Err(format!(
                            "sslmode `{other}` is not one of disable, prefer, require, verify-full"
                        ));
                    }
                };
            }
        }
        Ok(PgUrl {
            port: url.port().unwrap_or(5432),
            url,
            host,
            dbname,
            sslmode,
        })
    }

    /// The URL as written, password included: for connecting, never for showing.
    pub fn connect_str(&self) -> &str {
        self.url.as_str()
    }

    /// The server's host name or address.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The server's port (5432 when the URL gives none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The database.
    pub fn dbname(&self) -> &str {
        &self.dbname
    }

    /// The user, if the URL names one.
    pub fn user(&self) -> Option<&str> {
        Some(self.url.username()).filter(|u| !u.is_empty())
    }

    /// Whether the URL carries a password.
    pub fn has_password(&self) -> bool {
        self.url.password().is_some()
    }

    /// How TLS is used.
    pub fn sslmode(&self) -> SslMode {
        self.sslmode
    }

    /// The query parameters other than `sslmode` (`options`,
    /// `application_name`, `connect_timeout`...), for the backend.
    pub fn params(&self) -> Vec<(String, String)> {
        self.url
            .query_pairs()
            .filter(|(k, _)| k != "sslmode")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

impl std::fmt::Display for PgUrl {
    /// `postgres://user@host:port/dbname`: no password, no parameters.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.user() {
            Some(user) => write!(f, "postgres://{user}@{host}:{}/{}", self.port, self.dbname),
            None => write!(f, "postgres://{host}:{}/{}", self.port, self.dbname),
        }
    }
}

impl std::fmt::Debug for PgUrl {
    /// As `Display`: the password never reaches a log through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgUrl({self} sslmode={})", self.sslmode.as_str())
    }
}

impl std::str::FromStr for PgUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<PgUrl, String> {
        PgUrl::parse(s)
    }
}

/// Decodes `%XX` escapes (a database name may hold any character).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_shown_without_its_password() {
        let url = PgUrl::parse("postgres://news:s3cret@db.example:6543/wire?sslmode=require")
            .expect("valid");
        assert_eq!(url.to_string(), "postgres://news@db.example:6543/wire");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(url.sslmode(), SslMode::Require);
        assert!(url.has_password());
        assert!(url.connect_str().contains("s3cret"));
        let location = StoreLocation::Postgres(url);
        assert_eq!(location.kind(), "postgres");
        assert!(!location.to_string().contains("s3cret"));
    }

    #[test]
    fn wrong_urls_are_refused_with_a_reason_and_no_password() {
        for (text, says) in [
            ("postgres://u:pw@host", "one database"),
            ("mysql://u:pw@host/db", "scheme"),
            ("postgres://u:pw@host/db?sslmode=maybe", "sslmode `maybe`"),
            ("postgres:///db", "no host"),
            ("not a url :pw", "not a URL"),
        ] {
            let err = PgUrl::parse(text).expect_err(text);
            assert!(err.contains(says), "{text}: {err}");
            assert!(!err.contains(":pw@"), "{text}: {err}");
        }
        let plain = PgUrl::parse("postgresql://127.0.0.1/postgres").expect("valid");
        assert_eq!(plain.port(), 5432);
        assert_eq!(plain.sslmode(), SslMode::Prefer);
        assert_eq!(plain.to_string(), "postgres://127.0.0.1:5432/postgres");
    }
}
