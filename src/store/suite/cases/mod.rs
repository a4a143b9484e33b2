//! The cases of the store suite: each takes a fresh [`TestStore`] of any
//! backend and checks one behaviour through the [`Store`](crate::store::Store)
//! facade only (SQL only where the facade shows nothing, and then SQL both
//! backends read alike). `polls`: what a poll writes and retention removes;
//! `reads`: paging, search, stories and the article queue.

use chrono::{DateTime, TimeDelta, Utc};

use super::TestStore;
use crate::store::ItemQuery;

mod polls;
mod reads;

pub(super) use polls::*;
pub(super) use reads::*;

/// The first `limit` items, newest first.
fn list(limit: usize) -> ItemQuery {
    ItemQuery {
        limit,
        ..ItemQuery::default()
    }
}

/// A time `days` ago, in whole seconds (as items store it).
fn days_ago(days: i64) -> DateTime<Utc> {
    let t = Utc::now() - TimeDelta::days(days);
    DateTime::from_timestamp(t.timestamp(), 0).expect("in range")
}
