//! Site rules: CSS selectors that pick an article body on a known site.
//!
//! In: a host name or a configured [`SiteRule`]. Out: the built-in rule for a
//! host (from `rules.toml`, parsed once), or whether a rule's selectors compile.

use std::collections::HashMap;
use std::sync::OnceLock;

use scraper::Selector;
use serde::Deserialize;

/// CSS selectors that extract the article on one site (from the config or built in).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteRule {
    /// Selects the article body; every match is taken, in document order.
    /// `None` keeps the generic extractor and only applies `remove`.
    #[serde(default)]
    pub selector: Option<String>,
    /// Elements to leave out of the article.
    #[serde(default)]
    pub remove: Vec<String>,
}

static RULES_TOML: &str = include_str!("rules.toml");

fn table() -> &'static HashMap<String, SiteRule> {
    static TABLE: OnceLock<HashMap<String, SiteRule>> = OnceLock::new();
    // The file is part of the source and a unit test parses and validates it,
    // so the empty-table fallback only guards against an edit that breaks it.
    TABLE.get_or_init(|| toml::from_str(RULES_TOML).unwrap_or_default())
}

/// The built-in rule for `host` (exact host, or the host without `www.`).
pub fn builtin_rule(host: &str) -> Option<SiteRule> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let t = table();
    t.get(&host)
        .or_else(|| t.get(&format!("www.{host}")))
        .or_else(|| host.strip_prefix("www.").and_then(|h| t.get(h)))
        .cloned()
}

/// Check that every selector of `rule` compiles.
pub fn validate_rule(rule: &SiteRule) -> Result<(), String> {
    if let Some(s) = &rule.selector {
        compile(s)?;
    }
    for r in &rule.remove {
        compile(r)?;
    }
    Ok(())
}

/// Compile one selector, with a message naming it.
pub(crate) fn compile(s: &str) -> Result<Selector, String> {
    Selector::parse(s).map_err(|e| format!("invalid CSS selector {s:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_parses_and_validates() {
        let t: HashMap<String, SiteRule> = toml::from_str(RULES_TOML).expect("rules.toml parses");
        assert_eq!(t.len(), 4);
        for (host, rule) in &t {
            validate_rule(rule).unwrap_or_else(|e| panic!("{host}: {e}"));
            assert!(rule.selector.is_some(), "{host}");
        }
        assert!(builtin_rule("rt.com").is_some());
        assert!(builtin_rule("TASS.com").is_some());
        assert!(builtin_rule("example.org").is_none());
    }
}
