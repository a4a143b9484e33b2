//! The server's view of the store's API reads ([`Store::item_detail`],
//! [`Store::feed_rows`], [`Store::item_bodies`], [`Store::last_poll_at`],
//! [`Store::gauges`]): what may leave the server. Only web links are shown
//! (see `handlers::web_link`) and credentials stay in the config (see
//! [`crate::redact`]).
//!
//! Each takes a read-only [`Store`] inside the request's read snapshot and
//! returns plain serialisable rows.

use std::collections::HashMap;

use super::error::ApiError;
use super::reader::store_error;
use crate::metrics::StoreGauges;
pub use crate::model::{FeedRow, ItemBody, ItemDetail};
use crate::store::Store;

/// The item `id`, if stored.
pub fn item_detail(store: &Store, id: i64) -> Result<Option<ItemDetail>, ApiError> {
    let Some(mut item) = store.item_detail(id).map_err(store_error)? else {
        return Ok(None);
    };
    item.url = super::handlers::shown_url(&item.url, &item.canonical_url);
    item.image = item
        .image
        .filter(|u| super::handlers::web_link(u).is_some());
    for source in &mut item.sources {
        source.entry_url = source
            .entry_url
            .take()
            .filter(|u| super::handlers::web_link(u).is_some());
    }
    Ok(Some(item))
}

/// Every feed, by name.
pub fn feeds(store: &Store) -> Result<Vec<FeedRow>, ApiError> {
    let mut rows = store.feed_rows().map_err(store_error)?;
    for row in &mut rows {
        row.url = crate::redact::url(&row.url);
        row.effective_url = row.effective_url.as_deref().map(crate::redact::url);
        row.last_error = row.last_error.as_deref().map(crate::redact::text);
    }
    Ok(rows)
}

/// The bodies of the items `ids`, by id.
pub fn item_bodies(store: &Store, ids: &[i64]) -> Result<HashMap<i64, ItemBody>, ApiError> {
    let mut bodies = store.item_bodies(ids).map_err(store_error)?;
    for body in bodies.values_mut() {
        body.image = body
            .image
            .take()
            .filter(|u| super::handlers::web_link(u).is_some());
    }
    Ok(bodies)
}

/// When any feed was last polled.
pub fn last_poll_at(store: &Store) -> Result<Option<String>, ApiError> {
    store.last_poll_at().map_err(store_error)
}

/// Item and story counts for `/metrics`.
pub fn gauges(store: &Store) -> Result<StoreGauges, ApiError> {
    store.gauges().map_err(store_error)
}
