//! URL canonicalisation: one spelling per article address.
//!
//! The same article reaches us under many spellings: with tracking parameters
//! appended by each feed (`utm_source=rss`), with a fragment, through an AMP or
//! mobile mirror, with query parameters in a different order. [`canonical_url`]
//! maps all of these to one URL, which is the item's identity in the store;
//! [`canonical_str`] does the same for a raw (possibly relative) link and returns
//! `None` when it is not an `http`/`https` URL. Pure: no I/O.
//!
//! The rules, in order (all conservative: when in doubt a URL is left alone):
//!
//! 1. scheme and host lower-case, default port dropped, percent-encoding and
//!    dot segments normalised (all done by the `url` crate's parser);
//! 2. the fragment is dropped;
//! 3. tracking parameters are removed: the names in [`TRACKING_PARAMS`] exactly
//!    and any name starting with one of [`TRACKING_PREFIXES`] (case-insensitive);
//!    AMP switches `amp`, `amp=1`, `amp=true` and `outputType=amp` are removed too;
//! 4. the remaining parameters are sorted by name (stable: repeated names keep
//!    their order, values keep their encoding); an empty query and a trailing `?`
//!    disappear;
//! 5. a path segment that is exactly `amp` (`/amp/…` or a trailing `/amp`) is
//!    removed;
//! 6. a leading `amp.`, `m.` or `mobile.` host label is removed only when what
//!    remains still has a dot and is not a bare second-level public suffix such
//!    as `co.uk` or `com.ru` (so `m.rt.com` → `rt.com`, but `m.co.uk` stays);
//!    hosts that are IP addresses are never touched.
//!
//! Deliberately NOT done: `www.` is kept (the bare domain and `www.` are
//! different hosts in general), trailing slashes are kept, `http` is not
//! upgraded to `https`, and parameters such as `ref`, `from` or `id` are kept
//! (some sites route articles with them).

use url::Url;

/// Query parameter names removed wherever they appear (compared lower-case).
///
/// Click identifiers of ad and social platforms and mailing tools; none of
/// them ever selects content.
pub const TRACKING_PARAMS: &[&str] = &[
    "fbclid",      // Facebook click id
    "gclid",       // Google Ads click id
    "gclsrc",      // Google Ads click source
    "dclid",       // Google Display click id
    "gbraid",      // Google Ads (iOS)
    "wbraid",      // Google Ads (web-to-app)
    "msclkid",     // Microsoft Ads click id
    "mc_cid",      // Mailchimp campaign id
    "mc_eid",      // Mailchimp recipient id
    "yclid",       // Yandex.Direct click id
    "ysclid",      // Yandex search click id
    "_openstat",   // Yandex / Openstat campaign marker
    "_ga",         // Google Analytics cross-domain linker
    "_gl",         // Google Analytics linker
    "igshid",      // Instagram share id
    "igsh",        // Instagram share id (newer)
    "ref_src",     // Twitter / X referral source
    "ref_url",     // Twitter / X referral URL
    "twclid",      // Twitter / X click id
    "ttclid",      // TikTok click id
    "li_fat_id",   // LinkedIn first-party ad tracking
    "cmpid",       // campaign id (many news sites)
    "ocid",        // Microsoft / MSN campaign id
    "s_cid",       // Adobe campaign id
    "icid",        // internal campaign id (news sites)
    "mkt_tok",     // Marketo
    "_hsenc",      // HubSpot
    "_hsmi",       // HubSpot
    "oly_anon_id", // Omeda
    "oly_enc_id",  // Omeda
    "vero_id",     // Vero
    "rb_clickid",  // Rakuten
    "wt_mc",       // Webtrends
    "at_medium",   // AT Internet
    "at_campaign", // AT Internet
    "xtor",        // AT Internet (XiTi)
    "sr_share",    // share widgets
    "share",       // share widgets (`?share=1`), never content
];

/// Query parameter name prefixes removed wherever they appear (lower-case).
pub const TRACKING_PREFIXES: &[&str] = &[
    "utm_",                 // Google Analytics campaign parameters
    "pk_",                  // Piwik / Matomo campaign parameters
    "mtm_",                 // Matomo campaign parameters
    "hsa_",                 // HubSpot ads
    "__twitter_impression", // Twitter embeds
];

/// Second-level labels that are public suffixes under many country TLDs
/// (`co.uk`, `com.ru`, `org.au`): a host that would become one of these after
/// dropping `m.` keeps its prefix.
const SECOND_LEVEL_SUFFIXES: &[&str] = &[
    "co", "com", "org", "net", "gov", "edu", "ac", "ne", "or", "go", "gv", "mil", "nic",
];

/// Host prefixes of mobile and AMP mirrors.
const MIRROR_PREFIXES: &[&str] = &["amp.", "m.", "mobile."];

/// The canonical form of an absolute URL (see the module rules).
///
/// URLs that are not `http`/`https` only lose their fragment.
pub fn canonical_url(url: &Url) -> Url {
    let mut out = url.clone();
    out.set_fragment(None);
    if !matches!(out.scheme(), "http" | "https") {
        return out;
    }
    strip_mirror_host(&mut out);
    strip_amp_path(&mut out);
    clean_query(&mut out);
    out
}

/// Parses `raw` (trimmed, resolved against `base` when relative) and returns its
/// canonical form as a string; `None` when it does not parse or is not an
/// `http`/`https` URL.
pub fn canonical_str(raw: &str, base: Option<&Url>) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let parsed = Url::options().base_url(base).parse(raw).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return None;
    }
    Some(canonical_url(&parsed).into())
}

/// True when a query parameter (its decoded name and value) is tracking or an
/// AMP switch.
fn is_noise_param(name: &str, value: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if TRACKING_PARAMS.contains(&name.as_str())
        || TRACKING_PREFIXES.iter().any(|p| name.starts_with(p))
    {
        return true;
    }
    let value = value.to_ascii_lowercase();
    match name.as_str() {
        "amp" => matches!(value.as_str(), "" | "1" | "true"),
        "outputtype" => value == "amp",
        _ => false,
    }
}

/// Removes noise parameters and sorts the rest by name, keeping raw encoding.
fn clean_query(url: &mut Url) {
    let Some(query) = url.query() else {
        return;
    };
    let mut kept: Vec<(String, &str)> = Vec::new();
    for piece in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
        let name = decode_component(raw_name);
        let value = decode_component(raw_value);
        if !is_noise_param(&name, &value) {
            kept.push((name, piece));
        }
    }
    // Stable: repeated names keep their relative order.
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    if kept.is_empty() {
        url.set_query(None);
    } else {
        let joined: Vec<&str> = kept.iter().map(|(_, piece)| *piece).collect();
        url.set_query(Some(&joined.join("&")));
    }
}

/// Decodes one `application/x-www-form-urlencoded` component.
fn decode_component(raw: &str) -> String {
    url::form_urlencoded::parse(format!("x={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Removes path segments that are exactly `amp`.
fn strip_amp_path(url: &mut Url) {
    if url.cannot_be_a_base() {
        return;
    }
    let path = url.path();
    if !path.split('/').any(|s| s.eq_ignore_ascii_case("amp")) {
        return;
    }
    let trailing_slash = path.ends_with('/');
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("amp"))
        .collect();
    let mut new_path = format!("/{}", segments.join("/"));
    if trailing_slash && new_path.len() > 1 {
        new_path.push('/');
    }
    url.set_path(&new_path);
}

/// Drops a mobile / AMP mirror host prefix when that is safe (module rule 6).
fn strip_mirror_host(url: &mut Url) {
    let Some(url::Host::Domain(host)) = url.host() else {
        return;
    };
    let Some(rest) = MIRROR_PREFIXES
        .iter()
        .find_map(|p| host.strip_prefix(p))
        .map(str::to_owned)
    else {
        return;
    };
    let labels: Vec<&str> = rest.split('.').filter(|l| !l.is_empty()).collect();
    if labels.len() < 2 {
        return;
    }
    if labels.len() == 2 && SECOND_LEVEL_SUFFIXES.contains(&labels[0]) {
        return;
    }
    // Setting a shorter valid domain cannot fail; if it somehow does, keep the original.
    let _ = url.set_host(Some(&rest));
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn canonical_table() {
        let cases: &[(&str, &str)] = &[
            // case, default port, fragment
            (
                "HTTPS://WWW.RT.COM:443/news/1/#top",
                "https://www.rt.com/news/1/",
            ),
            ("http://Example.org:80/a", "http://example.org/a"),
            ("http://example.org:8080/a", "http://example.org:8080/a"),
            // empty query and trailing ?
            ("https://tass.com/world/1?", "https://tass.com/world/1"),
            ("https://tass.com/world/1?&", "https://tass.com/world/1"),
            // tracking parameters, exact and prefix
            (
                "https://www.rt.com/news/5?utm_source=rss&utm_medium=rss&utm_campaign=RSS",
                "https://www.rt.com/news/5",
            ),
            (
                "https://news.un.org/en/story/2026/11/1?fbclid=abc&gclid=x&id=7",
                "https://news.un.org/en/story/2026/11/1?id=7",
            ),
            (
                "https://x.org/a?UTM_Source=a&mc_cid=1&mc_eid=2&yclid=3&_ga=4&igshid=5&ref_src=6&cmpid=7&ocid=8&msclkid=9&dclid=10",
                "https://x.org/a",
            ),
            (
                "https://x.org/a?pk_campaign=feed&page=2",
                "https://x.org/a?page=2",
            ),
            // sorted, stable for repeated names, encoding kept
            ("https://x.org/s?b=2&a=1&b=1", "https://x.org/s?a=1&b=2&b=1"),
            (
                "https://x.org/s?q=a%20b&id=3",
                "https://x.org/s?id=3&q=a%20b",
            ),
            ("https://x.org/s?flag", "https://x.org/s?flag"),
            // ref / from are kept: not safe to drop in general
            ("https://x.org/s?ref=home", "https://x.org/s?ref=home"),
            // AMP query switches
            ("https://x.org/a?amp=1", "https://x.org/a"),
            ("https://x.org/a?amp", "https://x.org/a"),
            ("https://x.org/a?outputType=amp", "https://x.org/a"),
            ("https://x.org/a?amp=0", "https://x.org/a?amp=0"),
            // AMP path segments
            (
                "https://www.x.org/news/amp/story-1",
                "https://www.x.org/news/story-1",
            ),
            (
                "https://www.x.org/news/story-1/amp",
                "https://www.x.org/news/story-1",
            ),
            (
                "https://www.x.org/news/story-1/amp/",
                "https://www.x.org/news/story-1/",
            ),
            (
                "https://www.x.org/news/ampere",
                "https://www.x.org/news/ampere",
            ),
            ("https://www.x.org/amp", "https://www.x.org/"),
            // mirror hosts
            ("https://m.rt.com/news/1", "https://rt.com/news/1"),
            (
                "https://amp.theguardian.com/world/1",
                "https://theguardian.com/world/1",
            ),
            ("https://mobile.reuters.com/a", "https://reuters.com/a"),
            ("https://m.co.uk/a", "https://m.co.uk/a"),
            ("https://m.com.ru/a", "https://m.com.ru/a"),
            ("https://m.bbc.co.uk/news", "https://bbc.co.uk/news"),
            ("https://m.localhost/a", "https://m.localhost/a"),
            ("https://mail.ru/a", "https://mail.ru/a"),
            // www is kept
            ("https://www.tass.ru/a", "https://www.tass.ru/a"),
            // percent-encoding normalised by url, Cyrillic path
            (
                "https://ria.ru/новости/1",
                "https://ria.ru/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/1",
            ),
            ("https://x.org/a/../b/./c", "https://x.org/b/c"),
        ];
        for (input, want) in cases {
            let url = Url::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(canonical_url(&url).as_str(), *want, "input {input}");
        }
    }

    #[test]
    fn canonical_is_idempotent() {
        for input in [
            "https://m.rt.com/news/amp/1?utm_source=x&b=1&a=2#f",
            "https://x.org/s?q=a+b&amp=1",
        ] {
            let once = canonical_url(&Url::parse(input).unwrap());
            assert_eq!(canonical_url(&once), once, "{input}");
        }
    }

    #[test]
    fn canonical_str_resolves_and_refuses() {
        let base = Url::parse("https://www.rt.com/news/").unwrap();
        assert_eq!(
            canonical_str(" /russia/1-story/?utm_source=rss ", Some(&base)).as_deref(),
            Some("https://www.rt.com/russia/1-story/")
        );
        assert_eq!(
            canonical_str("story-2#x", Some(&base)).as_deref(),
            Some("https://www.rt.com/news/story-2")
        );
        assert_eq!(canonical_str("/relative", None), None);
        assert_eq!(canonical_str("mailto:desk@rt.com", None), None);
        assert_eq!(canonical_str("", Some(&base)), None);
        assert_eq!(canonical_str("http://[::1", None), None);
    }

    #[test]
    fn non_http_keeps_everything_but_fragment() {
        let url = Url::parse("tag:example.org,2026:item-1#x").unwrap();
        assert_eq!(canonical_url(&url).as_str(), "tag:example.org,2026:item-1");
    }
}
