//! The read-only HTTP API over the store, with Prometheus metrics.
//!
//! [`serve`] binds [`ServerOptions::listen`], logs `listening` and answers
//! until its cancellation token fires, then finishes the requests in flight
//! (at most [`SHUTDOWN_GRACE`]). Connections are bounded (see [`conn`]): a
//! header and idle timeout, and a cap on open connections below the process's
//! file limit, so idle clients cannot take the descriptors feed fetches need.
//! [`router`] builds the routes (tests start it on their own listener):
//!
//! | path | answer |
//! | --- | --- |
//! | `/items`, `/items/{id}` | newest items (filtered, paged); one item in full |
//! | `/stories` | stories with their outlets |
//! | `/feeds` | feeds with their health |
//! | `/search?q=` | full-text hits with snippets |
//! | `/feed.atom`, `/feed.json` | an aggregated full-text feed |
//! | `/healthz`, `/metrics` | liveness of the store; Prometheus text |
//! | `/` | the name, version and paths of the API |
//!
//! Requests read through short-lived read-only SQLite connections
//! ([`reader`]), never the daemon's writer, so the API can run in the daemon's
//! process or beside it. A store that does not exist yet is a 503, not a
//! crash. Everything is documented for users in `docs/api.md`.

pub mod conn;
pub mod error;
mod handlers;
mod ops;
pub mod params;
pub mod reader;
mod sql;
pub mod syndication;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, header};
use axum::routing::get;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::metrics::Metrics;
use crate::model::StoreLocation;
use reader::Reader;

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Address to listen on (`127.0.0.1:8080` by default in the config).
    pub listen: SocketAddr,
    /// The store to read (a SQLite file need not exist yet).
    pub store: StoreLocation,
    /// The public base URL of the API (behind a reverse proxy), for the self
    /// links of the syndicated feeds; without it the request's `Host` is used.
    pub public_url: Option<Url>,
}

/// What every handler shares: the store reader, the metrics and the public URL.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

struct Shared {
    reader: Arc<Reader>,
    metrics: Arc<Metrics>,
    public_url: Option<Url>,
}

impl AppState {
    /// State reading the store at `store`.
    pub fn new(
        store: impl Into<StoreLocation>,
        public_url: Option<Url>,
        metrics: Arc<Metrics>,
    ) -> AppState {
        AppState {
            inner: Arc::new(Shared {
                reader: Arc::new(Reader::new(store)),
                metrics,
                public_url: public_url.map(with_trailing_slash),
            }),
        }
    }

    fn reader(&self) -> &Arc<Reader> {
        &self.inner.reader
    }

    fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The API's base URL (ending in `/`): the configured public URL, else
    /// `http://` and the request's `Host` when it is a plain host[:port],
    /// else `http://localhost/`.
    fn base_url(&self, headers: &HeaderMap) -> Result<Url, error::ApiError> {
        if let Some(url) = &self.inner.public_url {
            return Ok(url.clone());
        }
        let from_host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty() && !h.contains(['/', '@', '?', '#', '\\', ' ']))
            .and_then(|h| Url::parse(&format!("http://{h}/")).ok())
            .filter(|u| u.host_str().is_some() && u.path() == "/");
        match from_host {
            Some(url) => Ok(url),
            None => Url::parse("http://localhost/")
                .map_err(|e| error::ApiError::Internal(format!("base URL: {e}"))),
        }
    }
}

/// `url` with its path ending in `/`, so relative joins stay under it.
fn with_trailing_slash(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

/// The API's routes over `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(ops::index))
        .route("/items", get(handlers::items))
        .route("/items/{id}", get(handlers::item))
        .route("/stories", get(handlers::stories))
        .route("/feeds", get(handlers::feeds))
        .route("/search", get(handlers::search))
        .route("/feed.atom", get(ops::feed_atom))
        .route("/feed.json", get(ops::feed_json))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Headers on every answer that keep a browser from reading more into it
/// than data: no MIME sniffing (a JSON body quoting HTML is never rendered),
/// no active content, no referrer leaking the API's URLs.
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::HeaderValue;
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// How long requests in flight may take to finish once shutdown starts.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves the API on `opts.listen` until `shutdown` is cancelled, then lets
/// the requests in flight finish (within [`SHUTDOWN_GRACE`]).
pub async fn serve(
    opts: ServerOptions,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("http server: cannot listen on {}", opts.listen))?;
    let local = listener.local_addr().unwrap_or(opts.listen);
    let limits = conn::Limits::for_this_process();
    tracing::info!(
        addr = %local,
        store = %opts.store,
        max_connections = limits.max_connections,
        "listening"
    );
    let app = router(AppState::new(opts.store, opts.public_url, metrics));
    conn::serve_connections(listener, app, limits, shutdown, SHUTDOWN_GRACE).await;
    tracing::info!(addr = %local, "http server stopped");
    Ok(())
}
