//! `canonical::canonical_str` and `canonical_url` on arbitrary text: no
//! panic, and canonicalising is idempotent (the store compares canonical
//! URLs, and a page's declared canonical URL is canonicalised again).
#![no_main]

use libfuzzer_sys::fuzz_target;
use newswire::canonical::{canonical_str, canonical_url};
use url::Url;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(base) = Url::parse("https://www.rt.com/news/") else {
        return;
    };
    for with_base in [None, Some(&base)] {
        if let Some(once) = canonical_str(&text, with_base) {
            let twice = canonical_str(&once, None);
            assert_eq!(
                twice.as_deref(),
                Some(once.as_str()),
                "not idempotent: {text:?}"
            );
        }
    }
    if let Ok(url) = Url::parse(&text) {
        let once = canonical_url(&url);
        assert_eq!(canonical_url(&once), once, "not idempotent: {text:?}");
    }
});
