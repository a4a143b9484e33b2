//! The endpoints beside the JSON API: `/` (an index), `/healthz`, `/metrics`, `/feed.atom`, `/feed.json`.
//!
//! `/healthz` answers 200 when the store can be read (with the age of the last
//! poll, for alerting on a stalled daemon) and 503 when it cannot.
//! `/metrics` renders the process [`Metrics`](crate::metrics::Metrics) plus
//! store gauges read at scrape time; it still answers when the store cannot be
//! read (`newswire_store_up 0`). The feed documents list the newest items,
//! filtered like `/items`, through [`super::syndication`].

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Serialize;

use super::AppState;
use super::error::{ApiError, json};
use super::handlers::{item_query, items_page};
use super::params::Params;
use super::sql;
use super::syndication::{self, FeedHead, FeedItem};
use crate::model::parse_ts;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    store: &'static str,
    /// `sqlite` or `postgres`.
    store_kind: &'static str,
    last_poll_at: Option<String>,
    last_poll_age_s: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// `GET /`: what this server is and which paths it answers.
pub async fn index() -> Response {
    #[derive(Serialize)]
    struct Index {
        name: &'static str,
        version: &'static str,
        endpoints: [&'static str; 10],
    }
    json(&Index {
        name: "newswire",
        version: env!("CARGO_PKG_VERSION"),
        endpoints: [
            "/items",
            "/items/{id}",
            "/stories",
            "/feeds",
            "/search?q=",
            "/feed.atom",
            "/feed.json",
            "/healthz",
            "/metrics",
            "/",
        ],
    })
}

/// `GET /healthz`.
pub async fn healthz(State(st): State<AppState>) -> Response {
    if let Some(fault) = st.metrics().store_fault() {
        let mut response = json(&Health {
            status: "unavailable",
            store: "damaged",
            store_kind: st.reader().store_kind(),
            last_poll_at: None,
            last_poll_age_s: None,
            error: Some(fault),
        });
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        return response;
    }
    match st.reader().probe(sql::last_poll_at).await {
        Ok(last) => {
            let age = last
                .as_deref()
                .and_then(parse_ts)
                .map(|t| (Utc::now() - t).num_seconds().max(0));
            json(&Health {
                status: "ok",
                store: "reachable",
                store_kind: st.reader().store_kind(),
                last_poll_at: last,
                last_poll_age_s: age,
                error: None,
            })
        }
        Err(e) => {
            let mut response = json(&Health {
                status: "unavailable",
                store: "unreachable",
                store_kind: st.reader().store_kind(),
                last_poll_at: None,
                last_poll_age_s: None,
                // The detail (which can name the store's path) goes to the log.
                error: Some(match &e {
                    ApiError::TimedOut(_) => e.to_string(),
                    _ => {
                        tracing::warn!(error = %e, "health check: store unreadable");
                        "the store cannot be read (the server log has the detail)".to_string()
                    }
                }),
            });
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response
        }
    }
}

/// `GET /metrics`.
pub async fn metrics(State(st): State<AppState>) -> Response {
    let gauges = st.reader().probe(sql::gauges).await.ok();
    let text = st.metrics().render_with(gauges);
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response()
}

/// Which document a feed request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    /// Atom 1.0.
    Atom,
    /// JSON Feed 1.1.
    Json,
}

/// `GET /feed.atom`.
pub async fn feed_atom(
    st: State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    raw: RawQuery,
) -> Result<Response, ApiError> {
    feed(st, headers, uri, raw, FeedKind::Atom).await
}

/// `GET /feed.json`.
pub async fn feed_json(
    st: State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    raw: RawQuery,
) -> Result<Response, ApiError> {
    feed(st, headers, uri, raw, FeedKind::Json).await
}

async fn feed(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
    kind: FeedKind,
) -> Result<Response, ApiError> {
    let p = Params::parse(
        raw.as_deref(),
        &["feed", "tag", "story", "language", "limit"],
    )?;
    let (q, page) = (item_query(&p)?, p.page()?);
    let items = st
        .reader()
        .run(move |store| {
            let rows = items_page(store, q, page)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let mut bodies = sql::item_bodies(store, &ids)?;
            Ok(rows
                .into_iter()
                .map(|mut row| {
                    // Only web links leave the server (see `handlers::web_link`).
                    row.url = super::handlers::shown_url(&row.url, &row.canonical_url);
                    FeedItem {
                        body: bodies.remove(&row.id).unwrap_or_default(),
                        row,
                    }
                })
                .collect::<Vec<_>>())
        })
        .await?;

    let base = st.base_url(&headers)?;
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let join = |name: &str| {
        base.join(&format!("{name}{query}"))
            .map_err(|e| ApiError::Internal(format!("feed link: {e}")))
    };
    let (self_name, other_name) = match kind {
        FeedKind::Atom => ("feed.atom", "feed.json"),
        FeedKind::Json => ("feed.json", "feed.atom"),
    };
    let mut title = String::from("newswire");
    for (name, value) in [
        ("feed", p.text("feed")),
        ("tag", p.text("tag")),
        ("story", p.text("story")),
    ] {
        if let Some(value) = value {
            title.push_str(&format!(" · {name} {value}"));
        }
    }
    let head = FeedHead {
        title,
        self_url: join(self_name)?,
        alternate_url: join(other_name)?,
        base,
        now: Utc::now(),
    };
    let (content_type, body) = match kind {
        FeedKind::Atom => (
            syndication::ATOM_CONTENT_TYPE,
            syndication::atom(&head, &items),
        ),
        FeedKind::Json => (
            syndication::JSON_FEED_CONTENT_TYPE,
            syndication::json_feed(&head, &items)
                .map_err(|e| ApiError::Internal(format!("JSON Feed: {e}")))?,
        ),
    };
    Ok(conditional(&headers, content_type, body))
}

/// Answers `body` with a strong `ETag` (a hash of the body), or `304 Not
/// Modified` when the request's `If-None-Match` names that tag, so feed
/// readers polling an unchanged selection download nothing.
fn conditional(headers: &HeaderMap, content_type: &'static str, body: String) -> Response {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(body.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"{hex}\"");
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*");
    if matches {
        (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response()
    } else {
        (
            [
                (header::CONTENT_TYPE, content_type.to_string()),
                (header::ETAG, etag),
            ],
            body,
        )
            .into_response()
    }
}
