//! The feed-content sanitiser on arbitrary HTML: `bound_markup` never keeps
//! more than `MAX_HTML_BYTES`, never leaves more than `MAX_DEPTH` elements
//! open as an HTML parser builds them (with a little slack for the ones the
//! parser adds itself), and `sanitize_html` and `html_to_text` never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newswire::extract::{MAX_DEPTH, MAX_HTML_BYTES, bound_markup, html_to_text, sanitize_html};
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(html) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(base) = Url::parse("https://news.un.org/feed/rss") else {
        return;
    };
    let bounded = bound_markup(html);
    assert!(bounded.len() <= MAX_HTML_BYTES);
    let doc = scraper::Html::parse_fragment(&bounded);
    let depth = doc
        .tree
        .nodes()
        .map(|n| n.ancestors().count())
        .max()
        .unwrap_or(0);
    assert!(depth <= MAX_DEPTH + 8, "{depth} levels from {} bytes", html.len());
    let clean = sanitize_html(html, &base);
    let _ = html_to_text(&clean);
});
