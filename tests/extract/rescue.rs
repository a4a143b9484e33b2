//! Pages whose first choice is a wrong block (a bio box, a standfirst, a
//! loading shell): the second look must find the whole article, and record
//! that it did (`Article::path`). Each fixture is a made-up page modelled on
//! a class of real page where the scorer alone kept 5–120 words of a long article.

use newswire::extract::{BodyPath, extract};

use super::{expected, page, paragraphs, url};

/// Extract a fixture page and compare its text with the expected paragraphs.
fn check(name: &str, page_url: &str) -> newswire::extract::Article {
    let a = extract(&page(name), &url(page_url), None);
    assert_eq!(paragraphs(&a.text), expected(name), "{name}: text was\n{}", a.text);
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
