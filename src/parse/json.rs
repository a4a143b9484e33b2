//! JSON Feed input: repairs feed-rs needs, and what it does not read.
//!
//! In: the decoded body (starting with `{`) and the feed URL. Out: a
//! [`ParsedFeed`] or a [`ParseError`]. Item ids given as numbers become
//! strings, a missing feed `title` or `items` is supplied, items that are not
//! objects are dropped (feed-rs would reject the whole feed for them), e-mail
//! addresses in author names are padded (feed-rs can panic on them, see
//! `elements::pad_person_emails`), and item images (`image`, else
//! `banner_image`) plus `home_page_url` are read on the side.

use url::Url;

use super::{ParseError, ParsedFeed, clean_error, convert, elements, run_feed_rs};

/// JSON Feed, after repairs feed-rs needs: item ids given as numbers become
/// strings, a missing feed `title` or `items` is supplied. Item images
/// (`image`, else `banner_image`) are read here since feed-rs ignores them.
pub fn parse_json(text: &str, feed_url: &Url) -> Result<ParsedFeed, ParseError> {
    let mut value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ParseError::Malformed(format!("invalid JSON: {e}")))?;
    let Some(object) = value.as_object_mut() else {
        return Err(ParseError::NotAFeed {
            detail: "a JSON document that is not an object".to_string(),
            alternates: Vec::new(),
        });
    };
    let is_json_feed = object
        .get("version")
        .and_then(|v| v.as_str())
        .is_some_and(|v| {
            v.starts_with("https://jsonfeed.org/version/1")
                || v.starts_with("http://jsonfeed.org/version/1")
        });
    if !is_json_feed {
        return Err(ParseError::NotAFeed {
            detail: "a JSON document that is not a JSON Feed 1.x (no jsonfeed.org version)"
                .to_string(),
            alternates: Vec::new(),
        });
    }
    object.insert("version".into(), "https://jsonfeed.org/version/1.1".into());
    if !object.get("title").is_some_and(|t| t.is_string()) {
        object.insert("title".into(), "".into());
    }
    if !object.get("items").is_some_and(|i| i.is_array()) {
        object.insert("items".into(), serde_json::Value::Array(Vec::new()));
    }
    let home_page_url = object
        .get("home_page_url")
        .and_then(|u| u.as_str())
        .map(str::to_string);
    let mut item_images = Vec::new();
    if let Some(items) = object.get_mut("items").and_then(|i| i.as_array_mut()) {
        // An item that is not an object cannot be an entry; feed-rs would
        // reject the whole feed for it.
        items.retain(|item| item.is_object());
        for item in items.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                item_images.push(None);
                continue;
            };
            pad_json_author_emails(item);
            if let Some(id) = item
                .get("id")
                .filter(|id| id.is_number())
                .map(|id| id.to_string())
            {
                item.insert("id".into(), id.into());
            }
            let image = ["image", "banner_image"]
                .iter()
                .find_map(|k| item.get(*k).and_then(|v| v.as_str()).map(str::to_string));
            item_images.push(image);
        }
    }
    let repaired = value.to_string();
    let extras = convert::Extras {
        home_page_url,
        item_images,
        ..convert::Extras::default()
    };
    match run_feed_rs(repaired.as_bytes(), feed_url)? {
        Ok(feed) => Ok(convert::to_parsed_feed(feed, feed_url, &extras)),
        Err(e) => Err(ParseError::Malformed(clean_error(&e))),
    }
}

/// Pads e-mail addresses in JSON Feed author names (see
/// `elements::pad_person_emails`: feed-rs can panic on them otherwise).
fn pad_json_author_emails(object: &mut serde_json::Map<String, serde_json::Value>) {
    let pad = |author: &mut serde_json::Value| {
        if let Some(name) = author.get_mut("name")
            && let Some(text) = name.as_str()
            && text.contains('@')
        {
            *name = elements::pad_emails(text).into();
        }
    };
    if let Some(author) = object.get_mut("author") {
        pad(author);
    }
    if let Some(authors) = object.get_mut("authors").and_then(|a| a.as_array_mut()) {
        authors.iter_mut().for_each(pad);
    }
}
