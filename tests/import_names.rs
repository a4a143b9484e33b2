//! `feeds import`: names made unique with one counter per base name (an OPML
//! of many feeds from one site used to rescan `-2`, `-3`, ... per feed), the
//! same names the scan gave, and a config that loads after the edit.

use newswire::config::Config;
use newswire::config::edit::{NewFeed, import_feeds};

fn new(url: &str, name: Option<&str>) -> NewFeed {
    NewFeed {
        url: url.into(),
        name: name.map(str::to_string),
        schedule: None,
        tags: Vec::new(),
        full_text: None,
    }
}

#[test]
fn clashing_names_take_the_next_free_suffix_of_their_base() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("newswire.toml");
    std::fs::write(
        &path,
        "[[feeds]]\nname = \"example\"\nurl = \"https://example.com/a\"\n\n\
         [[feeds]]\nname = \"example-3\"\nurl = \"https://example.com/z\"\n",
    )
    .expect("write");
    let feeds = vec![
        new("https://example.com/b", None),
        new("https://example.com/c", None),
        new("https://example.com/a", None),
        new("https://example.com/d", Some("example")),
        new("https://example.com/e", Some("desk")),
        new("https://example.com/f", Some("desk")),
        new("https://example.com/g", None),
    ];
    let report = import_feeds(&path, &feeds, true).expect("import");
    let names: Vec<&str> = report.added.iter().map(|(n, _)| n.as_str()).collect();
    // `example-3` was taken before the import: skipped, never reused.
    assert_eq!(
        names,
        [
            "example-2",
            "example-4",
            "example-5",
            "desk",
            "desk-2",
            "example-6"
        ]
    );
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    let config = Config::load(&path).expect("loads after the edit");
    assert_eq!(config.feeds.len(), 8);
}

#[test]
fn many_feeds_of_one_site_get_distinct_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("newswire.toml");
    std::fs::write(&path, "").expect("write");
    let feeds: Vec<NewFeed> = (0..2000)
        .map(|i| new(&format!("https://news.example.org/feed/{i}.xml"), None))
        .collect();
    let report = import_feeds(&path, &feeds, true).expect("import");
    assert_eq!(report.added.len(), 2000);
    assert_eq!(report.added[0].0, "news-example");
    assert_eq!(report.added[1999].0, "news-example-2000");
    let config = Config::load(&path).expect("loads");
    let mut names: Vec<&str> = config.feeds.iter().map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 2000);
}
