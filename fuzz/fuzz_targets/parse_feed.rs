//! `parse::parse_feed` on arbitrary bytes: it must return a feed or a
//! `ParseError`, never panic, for any body and any of the content types
//! servers send. The first byte picks the content type.
#![no_main]

use libfuzzer_sys::fuzz_target;
use url::Url;

const CONTENT_TYPES: [Option<&str>; 6] = [
    None,
    Some("application/rss+xml; charset=utf-8"),
    Some("text/xml; charset=windows-1251"),
    Some("text/html"),
    Some("application/json"),
    Some("application/atom+xml; charset=koi8-r"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(pick) % CONTENT_TYPES.len()];
    let Ok(url) = Url::parse("https://www.example.org/rss/news.xml") else {
        return;
    };
    if let Ok(feed) = newswire::parse::parse_feed(body, content_type, &url) {
        // Keys are computed for every parsed feed in a poll.
        let keys = newswire::identity::entry_keys(&url, &feed.entries);
        assert_eq!(keys.len(), feed.entries.len());
    }
});
