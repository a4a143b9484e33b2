//! The SQLite store (placeholder module root: only story indexing so far).

pub mod stories;
