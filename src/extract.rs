//! Article extraction (placeholder until the extractor lands): the page's HTML
//! is kept as its text so the rest of the pipeline can be built and tested.
#![allow(missing_docs, unused_variables)]
use chrono::{DateTime, Utc};
pub struct Article {
    pub title: Option<String>,
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub modified: Option<DateTime<Utc>>,
    pub language: Option<String>,
    pub site_name: Option<String>,
    pub canonical_url: Option<String>,
    pub image: Option<String>,
    pub text: String,
    pub html: String,
    pub method: Method,
}
pub enum Method {
    Generic,
    SiteRule,
}
pub struct SiteRule {
    pub selector: Option<String>,
    pub remove: Vec<String>,
}
pub fn decode_html(body: &[u8], content_type: Option<&str>) -> String {
    String::from_utf8_lossy(body).into()
}
pub fn extract(html: &str, page_url: &url::Url, rule: Option<&SiteRule>) -> Article {
    Article {
        title: None,
        author: None,
        published: None,
        modified: None,
        language: None,
        site_name: None,
        canonical_url: None,
        image: None,
        text: html.into(),
        html: html.into(),
        method: Method::Generic,
    }
}
pub fn sanitize_html(html: &str, base: &url::Url) -> String {
    html.into()
}
pub fn html_to_text(html: &str) -> String {
    html.into()
}
pub fn builtin_rule(host: &str) -> Option<SiteRule> {
    None
}
