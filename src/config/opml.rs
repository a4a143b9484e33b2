//! OPML 2.0, the format feed lists move between readers in.
//!
//! [`parse`] reads an OPML document into feeds to add: every `<outline>` with
//! an `xmlUrl`, named from its `title`/`text`, tagged with its `category`
//! attribute and the titles of the folders (outlines without `xmlUrl`) it sits
//! in. [`parse_bytes`] first decodes a file with the crate's one charset
//! decoder ([`crate::charset`]: BOM, XML declaration, valid UTF-8, a guess), so
//! a list exported in windows-1251 or UTF-16 reads as well as a UTF-8 one.
//! [`render`] writes the configured feeds as OPML, tags as `category`.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::Config;
use super::edit::NewFeed;

/// An OPML document that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("OPML at byte {position}: {message}")]
pub struct OpmlError {
    /// Byte offset of the problem.
    pub position: u64,
    /// What is wrong.
    pub message: String,
}

/// One feed found in an OPML document.
#[derive(Debug, Clone, PartialEq)]
pub struct OpmlFeed {
    /// The feed to add (URL, suggested name, tags).
    pub feed: NewFeed,
    /// The title the document gave it.
    pub title: Option<String>,
}

/// Reads the feeds of an OPML file's bytes, whatever their encoding.
pub fn parse_bytes(bytes: &[u8]) -> Result<Vec<OpmlFeed>, OpmlError> {
    let decoded = crate::charset::decode(bytes, None, crate::charset::DocumentKind::Xml);
    parse(&decoded.text)
}

/// Reads the feeds of an OPML document, in document order.
pub fn parse(text: &str) -> Result<Vec<OpmlFeed>, OpmlError> {
    let mut reader = Reader::from_str(text);
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut feeds = Vec::new();
    let mut saw_opml = false;
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event().map_err(|e| OpmlError {
            position,
            message: e.to_string(),
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "opml" => {
                saw_opml = true;
                let _ = e;
            }
            Event::Start(e) if e.name().as_ref() == "outline" => {
                let outline = Outline::read(&e, position)?;
                match outline.url {
                    Some(_) => {
                        feeds.push(outline.into_feed(&folders));
                        folders.push(None);
                    }
                    None => folders.push(outline.title),
                }
            }
            Event::Empty(e) if e.name().as_ref() == "outline" => {
                let outline = Outline::read(&e, position)?;
                if outline.url.is_some() {
                    feeds.push(outline.into_feed(&folders));
                }
            }
            Event::End(e) if e.name().as_ref() == "outline" => {
                folders.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_opml {
        return Err(OpmlError {
            position: 0,
            message: "no <opml> element: not an OPML document".into(),
        });
    }
    Ok(feeds)
}

struct Outline {
    url: Option<String>,
    title: Option<String>,
    categories: Vec<String>,
}

impl Outline {
    fn read(e: &BytesStart<'_>, position: u64) -> Result<Outline, OpmlError> {
        let mut outline = Outline {
            url: None,
            title: None,
            categories: Vec::new(),
        };
        let mut text = None;
        for attr in e.attributes() {
            let attr = attr.map_err(|err| OpmlError {
                position,
                message: err.to_string(),
            })?;
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| OpmlError {
                    position,
                    message: err.to_string(),
                })?
                .trim()
                .to_string();
            if value.is_empty() {
                continue;
            }
            match attr.key.as_ref() {
                "xmlUrl" | "xmlurl" => outline.url = Some(value),
                "title" => outline.title = Some(value),
                "text" => text = Some(value),
                // OPML 2.0: comma-separated, each possibly a /path.
                "category" => outline.categories.extend(
                    value
                        .split(',')
                        .flat_map(|c| c.split('/'))
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_string),
                ),
                _ => {}
            }
        }
        outline.title = outline.title.or(text);
        Ok(outline)
    }

    fn into_feed(self, folders: &[Option<String>]) -> OpmlFeed {
        let mut tags: Vec<String> = folders.iter().flatten().cloned().collect();
        tags.extend(self.categories);
        let mut seen = std::collections::HashSet::new();
        tags.retain(|t| seen.insert(t.to_lowercase()));
        OpmlFeed {
            feed: NewFeed {
                url: self.url.unwrap_or_default(),
                name: self
                    .title
                    .as_deref()
                    .map(name_from_title)
                    .filter(|n| !n.is_empty()),
                schedule: None,
                tags,
                full_text: None,
            },
            title: self.title,
        }
    }
}

/// A feed name from a title: lower case, words joined by `-`, only the
/// characters feed names allow, at most 48 characters.
pub fn name_from_title(title: &str) -> String {
    let mut name = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '_' || c == '.' {
            name.push(c);
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
        if name.chars().count() >= 48 {
            break;
        }
    }
    name.trim_matches('-').to_string()
}

/// The configured feeds as an OPML 2.0 document.
pub fn render(config: &Config) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n    <title>newswire feeds</title>\n  </head>\n  <body>\n",
    );
    for feed in &config.feeds {
        out.push_str(&format!(
            "    <outline type=\"rss\" text=\"{name}\" title=\"{name}\" xmlUrl=\"{url}\"",
            name = escape(&feed.name),
            url = escape(feed.url.as_str())
        ));
        if !feed.tags.is_empty() {
            out.push_str(&format!(" category=\"{}\"", escape(&feed.tags.join(","))));
        }
        out.push_str("/>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
  <outline text="World">
    <outline type="rss" text="RT News" xmlUrl="https://www.rt.com/rss/"/>
    <outline type="rss" title="UN &amp; Co" text="ignored" xmlUrl="https://news.un.org/feed/subscribe/en/news/all/rss.xml" category="/un,agencies"/>
  </outline>
  <outline type="rss" text="Синьхуа" xmlUrl="https://english.news.cn/rss/worldrss.xml"/>
  <outline text="empty folder"></outline>
</body></opml>"#;

    #[test]
    fn reads_feeds_folders_and_categories() {
        let feeds = parse(DOC).expect("valid OPML");
        assert_eq!(feeds.len(), 3);
        assert_eq!(feeds[0].feed.url, "https://www.rt.com/rss/");
        assert_eq!(feeds[0].feed.name.as_deref(), Some("rt-news"));
        assert_eq!(feeds[0].feed.tags, ["World"]);
        assert_eq!(feeds[1].title.as_deref(), Some("UN & Co"));
        assert_eq!(feeds[1].feed.tags, ["World", "un", "agencies"]);
        assert_eq!(feeds[2].feed.name.as_deref(), Some("синьхуа"));
        assert!(feeds[2].feed.tags.is_empty());
    }

    #[test]
    fn legacy_and_utf16_files_are_decoded() {
        let doc = DOC.replace(
            "<?xml version=\"1.0\"?>",
            "<?xml version=\"1.0\" encoding=\"windows-1251\"?>",
        );
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode(&doc);
        let feeds = parse_bytes(&cp1251).expect("windows-1251 OPML");
        assert_eq!(feeds[2].feed.name.as_deref(), Some("синьхуа"));
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(DOC.encode_utf16().flat_map(u16::to_le_bytes));
        let feeds = parse_bytes(&utf16).expect("UTF-16 OPML");
        assert_eq!(feeds.len(), 3);
        assert_eq!(feeds[2].feed.name.as_deref(), Some("синьхуа"));
    }

    #[test]
    fn refuses_what_is_not_opml() {
        assert!(parse("<rss><channel/></rss>").is_err());
        assert!(parse("<opml><body><outline text=\"x\"></body></opml>").is_err());
    }

    #[test]
    fn renders_and_reads_back() {
        let config = Config::from_toml(
            "[[feeds]]\nname = \"a\"\nurl = \"https://a.example/rss?x=1&y=2\"\ntags = [\"world\", \"q&a\"]\n",
            "t",
            None,
        )
        .expect("valid");
        let text = render(&config);
        let back = parse(&text).expect("own output parses");
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].feed.url, "https://a.example/rss?x=1&y=2");
        assert_eq!(back[0].feed.tags, ["world", "q&a"]);
        assert_eq!(back[0].feed.name.as_deref(), Some("a"));
    }
}
