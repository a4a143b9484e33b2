//! `extract::decode_html`, `extract::extract`, `sanitize_html` and
//! `html_to_text` on arbitrary page bytes: no panic. The first byte picks the
//! content type and whether a site rule is used.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newswire::extract::{SiteRule, decode_html, extract, html_to_text, sanitize_html};
use url::Url;

const CONTENT_TYPES: [Option<&str>; 4] = [
    None,
    Some("text/html; charset=utf-8"),
    Some("text/html; charset=windows-1251"),
    Some("application/xhtml+xml"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let Ok(url) = Url::parse("https://tass.com/politics/1234567") else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(pick) % CONTENT_TYPES.len()];
    let html = decode_html(body, content_type);
    let rule = (pick & 0x80 != 0).then(|| SiteRule {
        selector: Some("div.text-content, article".to_string()),
        remove: vec![".ads".to_string(), "script".to_string()],
    });
    let article = extract(&html, &url, rule.as_ref());
    let _ = html_to_text(&article.html);
    let clean = sanitize_html(&html, &url);
    let _ = html_to_text(&clean);
});
