//! Metadata read from the page itself when no JSON-LD or `<meta>` names it.

use newswire::extract::extract;

use super::url;

fn author_of(byline: &str) -> Option<String> {
    let html = format!(
        "<html><head><title>Harbour works</title></head><body><article>\
         <h1>Harbour works</h1>{byline}\
         <p>The harbour wall will be rebuilt over the winter, the port authority said on Monday, \
         and the ferry will use the north quay until the work is done in the spring.</p>\
         </article></body></html>"
    );
    extract(&html, &url("https://port.example/news/harbour"), None).author
}

#[test]
fn author_from_a_byline_in_the_page() {
    assert_eq!(
        author_of(r#"<p>By <a rel="author" href="/staff/jo">Jo Marsh</a></p>"#).as_deref(),
        Some("Jo Marsh")
    );
    assert_eq!(
        author_of(r#"<span itemprop="author">By Ana Ruiz</span>"#).as_deref(),
        Some("Ana Ruiz")
    );
    assert_eq!(
        author_of(r#"<div class="meta"><span class="byline">Tomás Reyes</span></div>"#).as_deref(),
        Some("Tomás Reyes")
    );
    // A long block that merely has the class is not a name.
    assert_eq!(
        author_of(
            r#"<div class="author">Our reporters cover the port, the ferries and the fishing fleet every day of the year.</div>"#
        ),
        None
    );
    assert_eq!(author_of(""), None);
}

#[test]
fn character_references_in_json_ld_and_meta_are_decoded() {
    // JSON-LD is script text, which the HTML parser leaves undecoded.
    let html = r#"<html><head>
        <script type="application/ld+json">{"@type":"NewsArticle","headline":"Review &#8211; a &#x201C;quiet&#x201D; triumph","author":{"@type":"Person","name":"Zo&euml; &amp; Sam"}}</script>
        <meta property="og:site_name" content="Arts &amp;amp; Letters">
        </head><body><p>Text.</p></body></html>"#;
    let a = extract(html, &url("https://arts.example/review"), None);
    assert_eq!(a.title.as_deref(), Some("Review – a “quiet” triumph"));
    // Unknown names stay as written; `&amp;` is decoded.
    assert_eq!(a.author.as_deref(), Some("Zo&euml; & Sam"));
    assert_eq!(a.site_name.as_deref(), Some("Arts & Letters"));
    // A bare `&` just before multi-byte text (this once panicked).
    let html =
        "<html><head><title>R&amp;D overviewé — «звёзды»;</title></head><body></body></html>";
    let a = extract(html, &url("https://sky.example/"), None);
    assert_eq!(a.title.as_deref(), Some("R&D overviewé — «звёзды»;"));
}
