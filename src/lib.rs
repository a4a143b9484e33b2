//! newswire: a feed aggregator daemon.
//!
//! The data path for one feed poll, each step a module:
//!
//! ```text
//! config ─▶ scheduler ─▶ fetch(feed) ─▶ parse ─▶ identity ─▶ fetch(article) ─▶ extract ─▶ dedup ─▶ store
//!                                         │          └─ known entry? update or skip, never re-fetch
//!                                         └─ 304 Not Modified: record it, reschedule, done
//! ```
//!
//! `parse`, `identity`, `canonical`, `extract` and `dedup` are pure: bytes in,
//! values out. `fetch` knows only HTTP and `store` only SQL. [`pipeline`] is the
//! one place that knows the order of the steps for one feed; [`daemon`] runs it on
//! the schedule; [`cli`] is the command line. A module uses only those listed
//! above it in this file.

pub mod canonical;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod dedup;
pub mod extract;
pub mod fetch;
pub mod identity;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod schedule;
pub mod scheduler;
pub mod store;
