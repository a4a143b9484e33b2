//! The article stage of a poll: for each new entry, find or build its item,
//! and make the first attempt at its page.
//!
//! An entry whose canonical URL is already stored becomes a new source of that
//! item (no page fetch); so does an entry whose canonical URL an earlier
//! entry of the same poll carries (1,000 entries linking to one page cost one
//! fetch). Otherwise, with `full_text` on, its page is fetched (robots.txt
//! permitting), decoded and extracted, with the feed's per-site rule or the
//! built-in one; the page's declared canonical URL joins the item to a stored
//! one when they match. Concurrent fetches of one page, from this poll or
//! from feeds polled at the same time, share one request ([`fetch_page`],
//! single-flight by canonical URL).
//!
//! Every page attempt also gives the item's article-queue row
//! ([`PageState`]): `done` when the page came, `failed` for a failure that
//! waiting will not fix, `pending` with a next attempt time for one it may
//! ([`super::article_queue`] makes the later attempts). While the page is
//! missing the feed's content is kept, and the reason recorded in
//! `items.extraction_error`.

use chrono::Utc;
use url::Url;

mod page;

pub use page::{PAGE_ACCEPT, PageError, PageResult, fetch_page, with_article};

use super::article_queue::{self, RetryPolicy};
use super::{Context, feed_item};
use crate::config::FeedConfig;
use crate::extract::SiteRule;
use crate::model::{Entry, EntryKey, Extraction, NewItem};
use crate::model::{LinkedEntry, StoredEntry};
use crate::store::{PageJob, PageState};

/// What the article stage hands the store: new items, new links, and the
/// page rows of the new items.
pub type Built = (Vec<StoredEntry>, Vec<LinkedEntry>, Vec<PageJob>);

/// Builds the new items and new links for the entries this feed has not
/// stored (their page rows dropped: see [`build_items_with_pages`]).
pub async fn build_items(
    ctx: &Context,
    feed: &FeedConfig,
    feed_url: &Url,
    fresh: Vec<(EntryKey, Entry)>,
) -> (Vec<StoredEntry>, Vec<LinkedEntry>) {
    let (stored, linked, _) = build_items_with_pages(ctx, feed, feed_url, fresh).await;
    (stored, linked)
}

/// Builds the new items and new links for the entries this feed has not
/// stored, with the queue rows of their pages.
pub async fn build_items_with_pages(
    ctx: &Context,
    feed: &FeedConfig,
    feed_url: &Url,
    fresh: Vec<(EntryKey, Entry)>,
) -> Built {
    let mut stored = Vec::new();
    let mut linked = Vec::new();
    let mut jobs = Vec::new();
    let mut pages = tokio::task::JoinSet::new();
    // Entries of this poll whose canonical URL an earlier entry carries:
    // they become sources of that entry's item, whatever it turns out to be.
    let mut leaders = std::collections::HashMap::<String, usize>::new();
    let mut followers: Vec<(usize, EntryKey, Option<String>)> = Vec::new();
    let policy = RetryPolicy::from_config(&ctx.config.fetch);
    for (key, entry) in fresh {
        let link = entry
            .link
            .as_deref()
            .and_then(|l| Url::parse(l).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        let canonical = match &link {
            Some(u) => crate::canonical::canonical_url(u).to_string(),
            // An entry without a usable link is still stored, under a URL
            // that names the feed and the entry key.
            None => format!("{feed_url}#{}", key.as_str()),
        };
        if let Some(&leader) = leaders.get(&canonical) {
            followers.push((leader, key, entry.link.clone()));
            continue;
        }
        let lookup = canonical.clone();
        let found = ctx
            .read_store(move |s| Ok((s.item_by_canonical(&lookup)?, s.is_tombstoned(&lookup)?)))
            .await;
        match found {
            // Pruned by retention while still in the feed: never stored again.
            Ok((_, true)) => continue,
            Ok((Some(item_id), false)) => {
                linked.push(LinkedEntry {
                    key,
                    entry_url: entry.link.clone(),
                    item_id,
                });
                continue;
            }
            Ok((None, false)) => {}
            Err(e) => {
                tracing::warn!(feed = %feed.name, error = %e, "store lookup failed; storing entry as new")
            }
        }
        let leader = leaders.len();
        leaders.insert(canonical.clone(), leader);
        let shown_url = entry.link.clone().unwrap_or_else(|| canonical.clone());
        let base = link.clone().unwrap_or_else(|| feed_url.clone());
        let item = feed_item(ctx, &entry, &shown_url, canonical, &base).await;
        match link.filter(|_| feed.full_text) {
            Some(page_url) => {
                let ctx = ctx.clone();
                let rule = site_rule(feed, &page_url);
                let feed_name = feed.name.clone();
                pages.spawn(async move {
                    let result = fetch_page(&ctx, &page_url, rule).await;
                    let (item, state) = first_attempt(&feed_name, item, &page_url, result, policy);
                    (leader, key, entry.link, item, Some((page_url, state)))
                });
            }
            None => {
                pages.spawn(async move { (leader, key, entry.link, item, None) });
            }
        }
    }
    let mut built = Vec::with_capacity(leaders.len());
    while let Some(done) = pages.join_next().await {
        let Ok(one) = done else {
            // A panicking page task loses only that entry; it comes back as
            // new on the next poll.
            tracing::error!(feed = %feed.name, "article task failed");
            continue;
        };
        built.push(one);
    }
    // The order of the feed, so that a leader is written before its followers.
    built.sort_by_key(|b| b.0);
    let mut leader_slot = std::collections::HashMap::new();
    let mut leader_linked = std::collections::HashMap::new();
    for (leader, key, entry_url, item, page) in built {
        let lookup = item.canonical_url.clone();
        let existing = if page.is_some() {
            // The page's declared canonical URL may name a stored item.
            ctx.read_store(move |s| s.item_by_canonical(&lookup))
                .await
                .ok()
                .flatten()
        } else {
            None
        };
        match existing {
            Some(item_id) => {
                leader_linked.insert(leader, item_id);
                linked.push(LinkedEntry {
                    key,
                    entry_url,
                    item_id,
                });
            }
            None => {
                if let Some((page_url, state)) = page {
                    jobs.push(PageJob {
                        canonical_url: item.canonical_url.clone(),
                        url: page_url.to_string(),
                        state,
                    });
                }
                leader_slot.insert(leader, stored.len());
                stored.push(StoredEntry {
                    key,
                    entry_url,
                    item,
                    fingerprint: None,
                    search_terms: None,
                });
            }
        }
    }
    // Story fingerprints and search-index terms are CPU work: do it here, on
    // the CPU threads and in parallel across feeds, not later inside the
    // store's one writer. An item whose fingerprint cannot be made is stored
    // without one (its own story); one whose terms cannot be made has them
    // made by the writer.
    let mut stored = ctx
        .on_cpu(move || {
            let mut stored = stored;
            for entry in &mut stored {
                let item = &entry.item;
                entry.fingerprint = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    crate::store::stories_hook::fingerprint_of(item)
                }))
                .ok();
                entry.search_terms = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    crate::store::fts::item_terms(item)
                }))
                .ok();
            }
            stored
        })
        .await
        .unwrap_or_default();
    // Followers carry a copy of their leader's item: the store finds the
    // leader's row by canonical URL and records them as its sources.
    for (leader, key, entry_url) in followers {
        if let Some(&slot) = leader_slot.get(&leader) {
            let copy = StoredEntry {
                key,
                entry_url,
                ..stored[slot].clone()
            };
            stored.push(copy);
        } else if let Some(&item_id) = leader_linked.get(&leader) {
            linked.push(LinkedEntry {
                key,
                entry_url,
                item_id,
            });
        }
    }
    (stored, linked, jobs)
}

fn site_rule(feed: &FeedConfig, page: &Url) -> Option<SiteRule> {
    if feed.selector.is_some() || !feed.remove.is_empty() {
        return Some(SiteRule {
            selector: feed.selector.clone(),
            remove: feed.remove.clone(),
        });
    }
    page.host_str().and_then(crate::extract::builtin_rule)
}

/// The rule for a page queued by `feed` (a feed no longer configured has
/// none of its own; the built-in rules still apply).
pub(super) fn rule_for(feed: Option<&FeedConfig>, page: &Url) -> Option<SiteRule> {
    match feed {
        Some(f) => site_rule(f, page),
        None => page.host_str().and_then(crate::extract::builtin_rule),
    }
}

/// The item and its queue row after the poll's attempt at its page.
fn first_attempt(
    feed: &str,
    item: NewItem,
    url: &Url,
    result: PageResult,
    policy: RetryPolicy,
) -> (NewItem, PageState) {
    let now = Utc::now();
    match result {
        Ok(article) => {
            let item = with_article(feed, item, url, article);
            let extraction = if item.extraction == Extraction::Failed {
                Extraction::Feed
            } else {
                item.extraction
            };
            (item, PageState::Done { extraction })
        }
        Err(error) => {
            let step = article_queue::after_failure(&error, 1, now, now, policy);
            let state = article_queue::page_state(1, step);
            let mut item = item;
            match &state {
                // Deferred before any request: nothing went wrong yet.
                PageState::Pending { error: None, .. } => {}
                PageState::Pending {
                    error: Some(e),
                    next_attempt_at,
                    ..
                } => {
                    tracing::info!(feed, url = %url, error = %e, next_attempt_at = %crate::model::ts(*next_attempt_at),
                        "full text unavailable for now; kept feed content, will retry");
                    item.extraction = Extraction::Failed;
                    item.extraction_error = Some(format!("{e} (will retry)"));
                }
                PageState::Failed { error, .. } => {
                    tracing::info!(feed, url = %url, error = %error, "full text unavailable; kept feed content");
                    item.extraction = Extraction::Failed;
                    item.extraction_error = Some(error.clone());
                }
                PageState::Done { .. } => {}
            }
            (item, state)
        }
    }
}
