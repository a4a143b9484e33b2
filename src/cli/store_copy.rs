//! `newswire store copy --to postgres://…`: the configured SQLite store
//! copied into a PostgreSQL database, resumably, with every table's counts
//! compared at the end (exit 1 when they differ).

use std::path::Path;
use std::process::ExitCode;

use anyhow::anyhow;

use super::Failure;
use crate::model::PgUrl;

/// Copies `[storage] path` into the database at `to`.
pub(super) fn copy(explicit: Option<&Path>, to: &str) -> Result<ExitCode, Failure> {
    let config = super::commands::load(explicit)?;
    let Some(path) = config.storage.location.sqlite_path() else {
        return Err(Failure {
            error: anyhow!(
                "the configured store is {}, not a SQLite file: `store copy` reads `[storage] path`",
                config.storage.location
            ),
            code: 2,
        });
    };
    if !path.exists() {
        return Err(Failure {
            error: anyhow!("no store at {}", path.display()),
            code: 1,
        });
    }
    let to = PgUrl::parse(to).map_err(|e| Failure {
        error: anyhow!("--to: {e}"),
        code: 2,
    })?;
    run(path, &to)
}

#[cfg(feature = "postgres")]
fn run(path: &Path, to: &PgUrl) -> Result<ExitCode, Failure> {
    let report = crate::store::copy_sqlite_to_postgres(path, to, |table, rows| {
        // Batches are 2,000 rows: a line every 50,000.
        if rows % 50_000 == 0 {
            eprintln!("  {table}: {rows} rows");
        }
    })?;
    let mut differ = Vec::new();
    println!("{:<20} {:>12} {:>12}", "TABLE", "SQLITE", "POSTGRES");
    for t in &report {
        println!(
            "{:<20} {:>12} {:>12}",
            t.table, t.source_rows, t.target_rows
        );
        if t.source_rows != t.target_rows {
            differ.push(t.table);
        }
    }
    if !differ.is_empty() {
        return Err(Failure {
            error: anyhow!(
                "counts differ in {} (rows written to {} since the copy began?); run the copy again with the daemon stopped",
                differ.join(", "),
                to
            ),
            code: 1,
        });
    }
    println!(
        "copied {} into {to}; set `[storage] url` to it (and remove `path`)",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "postgres"))]
fn run(_path: &Path, to: &PgUrl) -> Result<ExitCode, Failure> {
    Err(Failure {
        error: anyhow!("{to}: this newswire was built without PostgreSQL support"),
        code: 1,
    })
}
