//! Editing the feed list in the config file, in place.
//!
//! `newswire feeds add/remove/enable/disable` go through here. The file is
//! edited with `toml_edit`, so the user's comments, ordering and layout stay as
//! they were; the edited text is validated as a whole config before it is
//! written, and written atomically (a temporary file in the same directory,
//! then a rename), so a mistake never leaves a half-written or invalid file.
//!
//! Concurrent edits (two `feeds add` at once, a script adding twenty) are
//! serialised by an exclusive lock on `.NAME.lock` beside the config, held
//! from the read to the rename, so each edit starts from the one before and
//! none is lost (issue 15: 20 concurrent adds kept 2 to 5 feeds). The
//! temporary file is created exclusively (`O_EXCL`, so never through a
//! planted symlink) under an unpredictable name, with the file's owner,
//! group and mode. A config that is a symlink is edited where it points: the
//! link stays a link.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

use super::{Config, ConfigError, check_feed_name, parse_feed_url};

/// A feed to append with [`add_feed`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewFeed {
    /// Feed URL.
    pub url: String,
    /// Name; derived from the URL's host when absent.
    pub name: Option<String>,
    /// Cron schedule; the `[defaults]` one when absent.
    pub schedule: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Full-text override.
    pub full_text: Option<bool>,
}

/// Why an edit was refused. The file is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The file as it is, or as it would be after the edit, is not a valid config.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No feed has that name.
    #[error("no feed named `{0}` in the config")]
    UnknownFeed(String),
    /// The name or URL is already configured.
    #[error("{0}")]
    Conflict(String),
    /// The request itself is invalid (bad URL or name).
    #[error("{0}")]
    Invalid(String),
    /// The file's `feeds` key is not an array of `[[feeds]]` tables.
    #[error("`feeds` in {0} is not written as [[feeds]] tables; edit it by hand")]
    Layout(String),
}

/// Appends a `[[feeds]]` table; returns the name used.
pub fn add_feed(path: &Path, feed: &NewFeed) -> Result<String, EditError> {
    locked(path, || add(path, feed, true))
}

/// Checks that [`add_feed`] would accept `feed`, without writing; returns the
/// name it would use.
pub fn check_new_feed(path: &Path, feed: &NewFeed) -> Result<String, EditError> {
    add(path, feed, false)
}

fn add(path: &Path, feed: &NewFeed, write: bool) -> Result<String, EditError> {
    let url = parse_feed_url(&feed.url).map_err(EditError::Invalid)?;
    let current = Config::load(path)?;
    if let Some(existing) = current.feeds.iter().find(|f| f.url == url) {
        return Err(EditError::Conflict(format!(
            "{url} is already configured as feed `{}`",
            existing.name
        )));
    }
    let name = match &feed.name {
        Some(n) => {
            check_feed_name(n).map_err(EditError::Invalid)?;
            if current.feed(n).is_some() {
                return Err(EditError::Conflict(format!(
                    "a feed named `{n}` already exists"
                )));
            }
            n.clone()
        }
        None => {
            let base = name_from_url(&url);
            (1..)
                .map(|i| {
                    if i == 1 {
                        base.clone()
                    } else {
                        format!("{base}-{i}")
                    }
                })
                .find(|n| current.feed(n).is_none())
                .unwrap_or(base)
        }
    };
    edit(path, write, |doc| {
        let feeds = feeds_mut(doc, path, true)?;
        let mut table = Table::new();
        table.insert("name", value(name.as_str()));
        table.insert("url", value(url.as_str()));
        if let Some(s) = &feed.schedule {
            table.insert("schedule", value(s.as_str()));
        }
        if let Some(ft) = feed.full_text {
            table.insert("full_text", value(ft));
        }
        if !feed.tags.is_empty() {
            let mut tags = Array::new();
            for t in &feed.tags {
                tags.push(t.as_str());
            }
            table.insert("tags", value(tags));
        }
        feeds.push(table);
        Ok(())
    })?;
    Ok(name)
}

/// What [`import_feeds`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    /// `(name, url)` of each feed added.
    pub added: Vec<(String, String)>,
    /// `(url, reason)` of each feed left out.
    pub skipped: Vec<(String, String)>,
}

/// Adds many feeds in one edit (OPML import). Feeds already configured (same
/// URL) and invalid URLs are skipped with a reason; names are made unique.
/// With `write = false` nothing is written (a dry run).
pub fn import_feeds(
    path: &Path,
    feeds: &[NewFeed],
    write: bool,
) -> Result<ImportReport, EditError> {
    if write {
        locked(path, || import(path, feeds, true))
    } else {
        import(path, feeds, false)
    }
}

fn import(path: &Path, feeds: &[NewFeed], write: bool) -> Result<ImportReport, EditError> {
    let current = Config::load(path)?;
    let mut names: std::collections::HashSet<String> =
        current.feeds.iter().map(|f| f.name.clone()).collect();
    let mut urls: std::collections::HashMap<String, String> = current
        .feeds
        .iter()
        .map(|f| (f.url.to_string(), f.name.clone()))
        .collect();
    let mut report = ImportReport::default();
    let mut tables = Vec::new();
    let mut suffixes: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for feed in feeds {
        let url = match parse_feed_url(&feed.url) {
            Ok(u) => u,
            Err(why) => {
                report.skipped.push((feed.url.clone(), why));
                continue;
            }
        };
        if let Some(existing) = urls.get(url.as_str()) {
            report.skipped.push((
                url.to_string(),
                format!("already configured as `{existing}`"),
            ));
            continue;
        }
        let base = feed
            .name
            .clone()
            .filter(|n| check_feed_name(n).is_ok())
            .unwrap_or_else(|| name_from_url(&url));
        // The next suffix to try per base name: one clash costs one lookup,
        // not a scan from `-2` (which made an OPML of many same-site feeds
        // quadratic).
        let next = suffixes.entry(base.clone()).or_insert(1);
        let name = loop {
            let candidate = if *next == 1 {
                base.clone()
            } else {
                format!("{base}-{next}")
            };
            *next += 1;
            if !names.contains(&candidate) {
                break candidate;
            }
        };
        names.insert(name.clone());
        urls.insert(url.to_string(), name.clone());
        let mut table = Table::new();
        table.insert("name", value(name.as_str()));
        table.insert("url", value(url.as_str()));
        if !feed.tags.is_empty() {
            let mut tags = Array::new();
            for t in &feed.tags {
                tags.push(t.as_str());
            }
            table.insert("tags", value(tags));
        }
        tables.push(table);
        report.added.push((name, url.to_string()));
    }
    if !tables.is_empty() {
        edit(path, write, |doc| {
            let list = feeds_mut(doc, path, true)?;
            for t in tables {
                list.push(t);
            }
            Ok(())
        })?;
    }
    Ok(report)
}

/// Removes the feed called `name` from the config (its stored items stay).
pub fn remove_feed(path: &Path, name: &str) -> Result<(), EditError> {
    locked(path, || {
        edit(path, true, |doc| {
            let feeds = feeds_mut(doc, path, false)?;
            let idx = position(feeds, name)?;
            feeds.remove(idx);
            Ok(())
        })
    })
}

/// Sets `enabled` on the feed called `name`.
pub fn set_enabled(path: &Path, name: &str, enabled: bool) -> Result<(), EditError> {
    locked(path, || {
        edit(path, true, |doc| {
            let feeds = feeds_mut(doc, path, false)?;
            let idx = position(feeds, name)?;
            if let Some(table) = feeds.get_mut(idx) {
                table.insert("enabled", value(enabled));
            }
            Ok(())
        })
    })
}

/// A short name from a feed URL's host: `www.rt.com` → `rt`,
/// `news.un.org` → `news-un`.
pub fn name_from_url(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("feed");
    let host = host.strip_prefix("www.").unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    let keep = if labels.len() > 1 {
        &labels[..labels.len() - 1]
    } else {
        &labels[..]
    };
    let name: String = keep
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if name.is_empty() { "feed".into() } else { name }
}

fn position(feeds: &ArrayOfTables, name: &str) -> Result<usize, EditError> {
    feeds
        .iter()
        .position(|t| t.get("name").and_then(Item::as_str) == Some(name))
        .ok_or_else(|| EditError::UnknownFeed(name.to_string()))
}

fn feeds_mut<'a>(
    doc: &'a mut DocumentMut,
    path: &Path,
    create: bool,
) -> Result<&'a mut ArrayOfTables, EditError> {
    if doc.get("feeds").is_none() {
        if !create {
            return Err(EditError::Layout(path.display().to_string()));
        }
        doc.insert("feeds", Item::ArrayOfTables(ArrayOfTables::new()));
    }
    doc.get_mut("feeds")
        .and_then(Item::as_array_of_tables_mut)
        .ok_or_else(|| EditError::Layout(path.display().to_string()))
}

/// Reads, edits, validates the result as a whole, then replaces the file atomically.
fn edit(
    path: &Path,
    write: bool,
    change: impl FnOnce(&mut DocumentMut) -> Result<(), EditError>,
) -> Result<(), EditError> {
    let io = |source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(io)?;
    // Refuse to edit a file that is already invalid: the user should see that error first.
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    Config::from_toml(&text, &path.display().to_string(), abs.parent())?;
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        EditError::Invalid(format!("{}: {e}", path.display()))
    })?;
    change(&mut doc)?;
    let new_text = doc.to_string();
    Config::from_toml(&new_text, &path.display().to_string(), abs.parent())?;
    if !write {
        return Ok(());
    }
    write_atomically(path, new_text.as_bytes()).map_err(io)?;
    Ok(())
}

/// The file an edit of `path` replaces: where a symlinked config points.
fn edit_target(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Runs `f` holding the exclusive edit lock of the config at `path`: a
/// `.NAME.lock` file beside the (symlink-resolved) config, never replaced,
/// so every editor locks the same file. The lock is released when `f`
/// returns (the file closes); a crashed editor's lock goes with its process.
fn locked<T>(path: &Path, f: impl FnOnce() -> Result<T, EditError>) -> Result<T, EditError> {
    let target = edit_target(path);
    let (dir, name) = dir_and_name(&target);
    let lock_path = dir.join(format!(".{name}.lock"));
    let io = |source| ConfigError::Io {
        path: lock_path.clone(),
        source,
    };
    let lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(io)?;
    lock.lock().map_err(io)?;
    let result = f();
    drop(lock);
    result
}

fn dir_and_name(path: &Path) -> (PathBuf, String) {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (dir, name)
}

/// Replaces the file `path` (or the file it links to) with `bytes`: written
/// to a new, exclusively created file beside it, given the old file's
/// owner, group and mode, synced, then renamed over it.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = edit_target(path);
    let (dir, name) = dir_and_name(&target);
    let old = std::fs::metadata(&target).ok();
    let (tmp, mut f) = create_temp(&dir, &name)?;
    let result = (|| {
        keep_owner_and_mode(&f, old.as_ref())?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)?;
        // The rename itself survives a crash once the directory is synced.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A new file `.NAME.RANDOM.tmp` in `dir`, created with `O_EXCL` (it cannot
/// exist already, nor be a symlink someone planted), readable by the owner only
/// until its mode is set.
fn create_temp(dir: &Path, name: &str) -> std::io::Result<(PathBuf, File)> {
    let mut last = None;
    for _ in 0..16 {
        let tmp = dir.join(format!(".{name}.{:016x}.tmp", fastrand::u64(..)));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

/// Gives `f` the owner, group and mode of the file it replaces. Changing the
/// owner takes privileges: when that is refused, the group alone is tried,
/// and the mode is set either way.
fn keep_owner_and_mode(f: &File, old: Option<&std::fs::Metadata>) -> std::io::Result<()> {
    let Some(old) = old else {
        return Ok(());
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if std::os::unix::fs::fchown(f, Some(old.uid()), Some(old.gid())).is_err() {
            let _ = std::os::unix::fs::fchown(f, None, Some(old.gid()));
        }
    }
    f.set_permissions(old.permissions())
}
