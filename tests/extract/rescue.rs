//! Pages whose first choice is a wrong block (a bio box, a standfirst, a
//! loading shell): the second look must find the whole article, and record
//! that it did (`Article::path`). Each fixture is a made-up page modelled on
//! a class of real page where the scorer alone kept 5–120 words of a long article.

use newswire::extract::{BodyPath, extract};

use super::{expected, page, paragraphs, url};

/// Extract a fixture page and compare its text with the expected paragraphs.
fn check(name: &str, page_url: &str) -> newswire::extract::Article {
    let a = extract(&page(name), &url(page_url), None);
    assert_eq!(
        paragraphs(&a.text),
        expected(name),
        "{name}: text was\n{}",
        a.text
    );
    a
}

#[test]
fn page_builder_widgets_beat_a_dense_author_bio() {
    // Every text block sits in an `elementor-widget` (a boilerplate-sounding
    // name), so the strict pass saw only the bio box; comments stay out.
    let a = check(
        "page_builder_article",
        "https://crumb.example/guides/starter-on-holiday/",
    );
    assert_eq!(a.path, BodyPath::Rescue);
    assert!(!a.text.contains("Gothenburg"), "author bio kept");
    assert!(!a.text.contains("Portugal"), "reader comment kept");
}

#[test]
fn article_streamed_into_a_hidden_placeholder_is_found() {
    // Streaming server rendering sends a loading shell first and the article
    // in a `hidden` element that a script swaps in: no script runs here.
    let a = check(
        "streamed_article",
        "https://lattice.example/blog/build-times",
    );
    assert_eq!(a.path, BodyPath::Rescue);
    assert!(!a.text.contains("Loading"), "loading shell kept");
}

#[test]
fn article_inside_an_unclosed_navigation_menu_is_found() {
    // The menu's `<ul>`, `<li>` and `<nav>` are never closed, so the parser
    // puts `<main>` inside the last menu item: the article is in a `<nav>`.
    let a = check(
        "unclosed_nav_article",
        "https://urbandesk.example/2026/03/seven-podcasts/",
    );
    assert_eq!(a.path, BodyPath::Rescue);
    assert!(!a.text.contains("Transport"), "menu kept");
}

#[test]
fn turkish_wire_story_keeps_its_body_not_only_the_standfirst() {
    // The body sits in a share-on-select wrapper (`selectionShareable`, a
    // boilerplate-sounding name), so the strict pass kept only the
    // 40-word standfirst; the second look takes standfirst and body.
    let a = check(
        "turkish_wire",
        "https://haber.example/tr/ekonomi/karadenizde-findik-hasadi/123456",
    );
    assert_eq!(a.path, BodyPath::Rescue);
    assert_eq!(a.language.as_deref(), Some("tr"));
    assert_eq!(a.author.as_deref(), Some("Elif Yılmaz"));
    assert!(!a.text.contains("Son dakika"), "sidebar kept");
}

#[test]
fn a_data_tables_short_rows_are_kept() {
    // Each row (a date and a figure) is shorter than the smallest block
    // cleaning keeps on its own; the table is one piece of the article.
    let rows: String = (1..=12)
        .map(|m| format!("<tr><td>{m}/1/2025</td><td>+{m}.5%</td></tr>"))
        .collect();
    let para = "Prices rose again this year in most of the metro areas we track, \
                though far more slowly than during the pandemic boom, and the \
                table below gives the change for each month of the year.";
    let html = format!(
        "<html><body><article><h1>Home prices</h1><p>{para}</p><p>{para}</p>\
         <table><thead><tr><th>Date</th><th>Change</th></tr></thead><tbody>{rows}</tbody></table>\
         <p>{para}</p></article></body></html>"
    );
    let a = extract(&html, &url("https://homes.example/prices"), None);
    for m in 1..=12 {
        assert!(
            a.text.contains(&format!("{m}/1/2025")),
            "row {m} missing:\n{}",
            a.text
        );
    }
    assert!(a.html.contains("<td>12/1/2025</td>"), "{}", a.html);
}
