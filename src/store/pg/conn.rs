//! The connection: the URL (password never shown), TLS per `sslmode`,
//! session settings, and which driver errors are transient.

use std::sync::Arc;
use std::time::Duration;

use postgres::config::SslMode;
use postgres::error::SqlState;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::model::PgUrl;
use crate::store::{ErrorKind, StoreError};

/// How long a connection attempt may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `sslmode` as libpq reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, certificate not checked.
    Prefer,
    /// TLS required, certificate not checked (libpq's `require`).
    Require,
    /// TLS required, certificate checked against the platform's roots and
    /// the host name.
    VerifyFull,
}

/// A [`PgUrl`] made ready to connect: the driver's configuration, the TLS
/// mode, and how the store is shown (`postgres://user@host:port/db`).
#[derive(Clone)]
pub struct Target {
    config: postgres::Config,
    tls: TlsMode,
    shown: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl std::str::FromStr for Target {
    type Err = String;

    /// Parses the URL; the error names host and database, never the password.
    fn from_str(s: &str) -> Result<Target, String> {
        let checked = PgUrl::parse(s)?;
        let mut url =
            url::Url::parse(s).map_err(|e| format!("{}: not a postgres:// URL: {e}", redact(s)))?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(format!(
                "{}: not a postgres:// URL (scheme `{}`)",
                redact(s),
                url.scheme()
            ));
        }
        let mut tls = TlsMode::Prefer;
        let mut kept: Vec<(String, String)> = Vec::new();
        for (k, v) in url.query_pairs() {
            if k == "sslmode" {
                tls = match v.as_ref() {
                    "disable" => TlsMode::Disable,
                    "prefer" | "allow" => TlsMode::Prefer,
                    "require" => TlsMode::Require,
                    "verify-full" | "verify-ca" => TlsMode::VerifyFull,
                    other => {
                        return Err(format!(
                            "{}: sslmode `{other}` is not one of disable, prefer, require, verify-full",
                            redact(s)
                        ));
                    }
                };
            } else {
                kept.push((k.into_owned(), v.into_owned()));
            }
        }
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
        let mut config: postgres::Config = url
            .as_str()
            .parse()
            .map_err(|e| format!("{}: {}", redact(s), one_line(&e)))?;
        config.ssl_mode(match tls {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            TlsMode::Require | TlsMode::VerifyFull => SslMode::Require,
        });
        if config.get_dbname().is_none() {
            let user = config.get_user().unwrap_or("postgres").to_owned();
            config.dbname(&user);
        }
        let shown = checked.to_string();
        Ok(Target { config, tls, shown })
    }
}

impl Target {
    /// The connection for a checked URL.
    pub fn new(url: &PgUrl) -> Result<Target, StoreError> {
        url.connect_str()
            .parse()
            .map_err(|message| pg_message(&url.to_string(), message))
    }

    /// `postgres://user@host:port/dbname`, as every message shows the store.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The TLS mode asked for.
    pub fn tls(&self) -> TlsMode {
        self.tls
    }

    /// The same database with every connection's `search_path` set to
    /// `schema` (tests give each a schema of its own).
    pub fn with_schema(&self, schema: &str) -> Target {
        let mut url = self.clone();
        url.config.options(&format!("-csearch_path={schema}"));
        url
    }

    /// Opens one connection with the session settings the store relies on.
    pub(super) fn open(&self, instance: &str) -> Result<postgres::Client, StoreError> {
        let wrap = |source| pg_error(&self.shown, source);
        let mut config = self.config.clone();
        config
            .application_name(instance)
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .keepalives_interval(Duration::from_secs(10))
            .keepalives_retries(3);
        let mut client = match self.tls {
            TlsMode::Disable => config.connect(postgres::NoTls),
            mode => config.connect(
                connector(mode == TlsMode::VerifyFull)
                    .map_err(|e| pg_message(&self.shown, format!("TLS: {e}")))?,
            ),
        }
        .map_err(wrap)?;
        // A lost machine cannot keep a lock: an idle transaction is ended
        // after a minute, a lock wait fails after 30 s (SCALE-OUT §4.3).
        // No JIT: every statement here runs in a millisecond or two, and the
        // planner's cost guesses for the story index's lookups (arrays of
        // keys) pass the JIT threshold, where compiling took 15-50 ms each.
        client
            .batch_execute(
                "SET idle_in_transaction_session_timeout = '60s';
                 SET lock_timeout = '30s';
                 SET jit = off;
                 SET default_transaction_isolation = 'read committed';
                 SET TIME ZONE 'UTC'",
            )
            .map_err(wrap)?;
        Ok(client)
    }
}

impl Target {
    /// Asks the server to cancel what `token`'s connection is running, over
    /// the same TLS mode as the connection (a server that accepts only TLS
    /// refuses a plain cancel request). Best effort: a request that cannot
    /// reach the server changes nothing.
    pub(super) fn cancel(&self, token: &postgres::CancelToken) {
        let outcome = match self.tls {
            TlsMode::Disable => token.cancel_query(postgres::NoTls),
            mode => match connector(mode == TlsMode::VerifyFull) {
                Ok(tls) => token.cancel_query(tls),
                Err(e) => {
                    tracing::debug!(store = %self.shown, error = %e, "cancel: no TLS connector");
                    return;
                }
            },
        };
        if let Err(e) = outcome {
            tracing::debug!(store = %self.shown, error = %e, "cancel request failed");
        }
    }
}

/// The URL with any password replaced, for a message about a URL that did
/// not parse.
fn redact(s: &str) -> String {
    match url::Url::parse(s) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ignored = u.set_password(Some("***"));
            }
            u.set_query(None);
            u.to_string()
        }
        Err(_) => match s.split_once('@') {
            Some((_, rest)) => format!("postgres://***@{rest}"),
            None => s.to_owned(),
        },
    }
}

fn connector(verify: bool) -> Result<tokio_postgres_rustls::MakeRustlsConnect, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let config = if verify {
        use rustls_platform_verifier::BuilderVerifierExt;
        builder.with_platform_verifier()?.with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth()
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// `sslmode=require`/`prefer`: the link is encrypted, the certificate is not
/// checked (libpq's meaning); the handshake signatures still are.
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The driver's error on one line: its kind, the server's message, and the
/// cause of a connection failure (refused, unknown host).
pub fn one_line(e: &postgres::Error) -> String {
    let text = match (e.as_db_error(), std::error::Error::source(e)) {
        (Some(db), _) => format!("{}: {}", db.severity(), db.message()),
        (None, Some(cause)) => format!("{e}: {cause}"),
        (None, None) => e.to_string(),
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True when a later attempt may succeed: the connection was lost or
/// refused, the server is shutting down, a lock wait timed out, a deadlock
/// or serialisation failure.
pub fn is_transient_error(e: &postgres::Error) -> bool {
    match e.code() {
        Some(code) => {
            code.code().starts_with("08")
                || [
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                    SqlState::T_R_DEADLOCK_DETECTED,
                    SqlState::T_R_SERIALIZATION_FAILURE,
                    SqlState::LOCK_NOT_AVAILABLE,
                    SqlState::QUERY_CANCELED,
                    SqlState::TOO_MANY_CONNECTIONS,
                    SqlState::DISK_FULL,
                ]
                .contains(code)
        }
        // No SQLSTATE: the socket failed or closed.
        None => {
            e.is_closed() || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
        }
    }
}

/// Deadlock or serialisation failure: the transaction is run once more.
pub(super) fn is_retryable(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
    })
}

/// The disk of the database server is full.
pub fn is_full_error(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| *c == SqlState::DISK_FULL)
}

/// The database reports damaged data.
pub fn is_corrupt_error(e: &postgres::Error) -> bool {
    e.code()
        .is_some_and(|c| *c == SqlState::DATA_CORRUPTED || *c == SqlState::INDEX_CORRUPTED)
}

/// The backend's error as the store carries it: one line, the driver's
/// error as its source.
#[derive(Debug)]
pub enum PgError {
    /// The driver failed.
    Driver(postgres::Error),
    /// The URL or TLS setup is unusable.
    Setup(String),
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PgError::Driver(e) => f.write_str(&one_line(e)),
            PgError::Setup(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for PgError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PgError::Driver(e) => Some(e),
            PgError::Setup(_) => None,
        }
    }
}

/// A driver error on the store shown as `store`, classified.
pub fn pg_error(store: &str, source: postgres::Error) -> StoreError {
    let kind = if is_full_error(&source) {
        ErrorKind::Full
    } else if is_transient_error(&source) {
        ErrorKind::Transient
    } else if is_corrupt_error(&source) {
        ErrorKind::Corrupt
    } else {
        ErrorKind::Other
    };
    StoreError::Backend {
        store: store.to_owned(),
        kind,
        source: Box::new(PgError::Driver(source)),
    }
}

/// A setup problem (URL, TLS) on the store shown as `store`.
pub fn pg_message(store: &str, message: String) -> StoreError {
    StoreError::Backend {
        store: store.to_owned(),
        kind: ErrorKind::Other,
        source: Box::new(PgError::Setup(message)),
    }
}

/// A deadlock or serialisation failure, worth one more try.
pub(super) fn is_retryable_store_error(e: &StoreError) -> bool {
    match e {
        StoreError::Backend { source, .. } => source
            .downcast_ref::<PgError>()
            .is_some_and(|p| matches!(p, PgError::Driver(d) if is_retryable(d))),
        _ => false,
    }
}
