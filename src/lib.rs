//! newswire: a feed aggregator daemon.
//!
//! The data path for one feed poll, each step a module:
//!
//! ```text
//! config ─▶ scheduler ─▶ fetch(feed) ─▶ parse ─▶ identity ─▶ fetch(article) ─▶ extract ─▶ stories ─▶ store
//!                                         │          └─ known entry? update or skip, never re-fetch
//!                                         └─ 304 Not Modified: record it, reschedule, done
//! ```
//!
//! `charset`, `parse`, `identity`, `canonical`, `extract` and `stories` are pure: bytes in,
//! values out. [`charset`] is the one decoder of feed, page and OPML bytes. `fetch` knows only HTTP and `store` only SQL. [`pipeline`] is the
//! one place that knows the order of the steps for one feed; [`daemon`] runs it on
//! the schedule; [`cli`] is the command line.
//!
//! Layering, lowest first; a module uses only those before it:
//! `model`, `charset`, `metrics`, `workers`, `schedule`, `config`, `parse`, `canonical`, `identity`, `extract`,
//! `stories`, `fetch`, `store`, `server`, `scheduler`, `pipeline`, `daemon`, `cli`.
//! One exception: [`model`], the vocabulary the store, pipeline and readers
//! share, names two pure leaves: a poll's new entry carries its
//! `stories::Fingerprint`, and a store location is shown through `redact`.
//! The store is one interface over two backends (`store::Store`: SQLite, or
//! PostgreSQL for several daemons sharing one feed list).

pub mod canonical;
pub mod charset;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod extract;
pub mod fetch;
pub mod identity;
pub mod metrics;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod redact;
pub mod schedule;
pub mod scheduler;
pub mod server;
pub mod store;
pub mod stories;
pub mod workers;
