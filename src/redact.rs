//! Credentials out of URLs before they are logged, stored as error text or
//! served: `https://user:secret@host/feed?token=abc` becomes
//! `https://user:***@host/feed?token=***`.
//!
//! Feed URLs may carry credentials (basic-auth userinfo, an API key in the
//! query) and the config is the only place meant to hold them: `/feeds`,
//! the logs and `feeds.last_error` (which quotes the URL of a failed
//! request) are read by more people. Pure; in: text, out: text.

/// Query parameters whose values are secrets (compared case-insensitively).
const SECRET_PARAMS: [&str; 12] = [
    "token",
    "access_token",
    "api_key",
    "apikey",
    "key",
    "password",
    "passwd",
    "secret",
    "auth",
    "sig",
    "signature",
    "session",
];

/// Shown instead of a secret.
pub const MASK: &str = "***";

/// `url` with its password and secret query values masked; other text as it is.
pub fn url(url: &str) -> String {
    text(url)
}

/// `text` with every URL in it redacted as [`url()`] does.
pub fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let start = at + 3;
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        // The URL runs to whitespace or a closing bracket or quote.
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | '<'))
            .unwrap_or(after.len());
        out.push_str(&redact_rest(&after[..end]));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Redacts the part of a URL after `scheme://`.
fn redact_rest(s: &str) -> String {
    let authority_end = s.find(['/', '?', '#']).unwrap_or(s.len());
    let (authority, tail) = s.split_at(authority_end);
    let mut out = String::with_capacity(s.len());
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    out.push_str(user);
                    out.push(':');
                    out.push_str(MASK);
                }
                // A lone user part is often a token itself.
                None => out.push_str(MASK),
            }
            out.push_str(&authority[at..]);
        }
        None => out.push_str(authority),
    }
    let (path_query, fragment) = match tail.find('#') {
        Some(h) => tail.split_at(h),
        None => (tail, ""),
    };
    match path_query.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if is_secret(k) => format!("{k}={MASK}"),
                    _ => pair.to_string(),
                })
                .collect();
            out.push_str(&pairs.join("&"));
        }
        None => out.push_str(path_query),
    }
    out.push_str(fragment);
    out
}

fn is_secret(name: &str) -> bool {
    SECRET_PARAMS.iter().any(|s| s.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_tokens_and_keys_are_masked_and_the_rest_kept() {
        assert_eq!(
            url("https://reader:hunter2@feeds.example/rss?token=abc&lang=en#top"),
            "https://reader:***@feeds.example/rss?token=***&lang=en#top"
        );
        assert_eq!(
            url("https://sk_live_123@api.example/feed"),
            "https://***@api.example/feed"
        );
        assert_eq!(
            url("https://tass.com/rss/v2.xml"),
            "https://tass.com/rss/v2.xml"
        );
        assert_eq!(
            text("error sending request for url (https://u:p@h.example/x?API_KEY=9): timed out"),
            "error sending request for url (https://u:***@h.example/x?API_KEY=***): timed out"
        );
        assert_eq!(text("no url here"), "no url here");
    }
}
