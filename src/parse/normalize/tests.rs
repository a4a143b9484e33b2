use super::*;

fn url() -> Url {
    Url::parse("http://feeds.example/news/rss.xml").expect("valid URL")
}

fn norm(text: &str) -> Normalized {
    normalize(text, &url()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn rss_without_channel_gets_one() {
    assert_eq!(
        norm("<rss version=\"2.0\">\n</rss>").text,
        "<rss version=\"2.0\">\n<channel></channel></rss>"
    );
    assert_eq!(
        norm("<rss version=\"2.0\"/>").text,
        "<rss version=\"2.0\"><channel></channel></rss>"
    );
    assert_eq!(
        norm("<rss version=\"2.0\"><item><title>a</title></item></rss>").text,
        "<rss version=\"2.0\"><channel><item><title>a</title></item></channel></rss>"
    );
}

#[test]
fn default_namespace_on_rss_is_removed() {
    let text = "<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel/></rss>";
    assert_eq!(
        norm(text).text,
        "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel/></rss>"
    );
}

#[test]
fn rss2_namespace_prefix_is_removed() {
    let text = "<r:rss version=\"2.0\" xmlns:r=\"http://backend.userland.com/rss2\"><r:channel><r:item><r:title>T</r:title></r:item></r:channel></r:rss>";
    assert_eq!(
        norm(text).text,
        "<rss version=\"2.0\"><channel><item><title>T</title></item></channel></rss>"
    );
}

#[test]
fn atom_feed_in_an_unknown_namespace_is_atom() {
    let n = norm("<feed xmlns=\"http://example.com/newformat#\"><title>T</title></feed>");
    assert_eq!(
        n.text,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>T</title></feed>"
    );
}

#[test]
fn empty_text_elements_are_dropped_but_not_structure_or_attributes() {
    let text = "<rss><channel><item><title>t</title><media:description/>\
                <media:credit role=\"author\"></media:credit><description> </description>\
                <media:content url=\"http://x.example/a.jpg\"/><category></category></item></channel></rss>";
    assert_eq!(
        norm(text).text,
        "<rss><channel><item><title>t</title><media:content url=\"http://x.example/a.jpg\"/></item></channel></rss>"
    );
}

#[test]
fn entities_are_made_safe() {
    let text = "<!DOCTYPE rss [<!ENTITY brand \"News &amp; Co\">]><rss><channel><title>&brand; &nbsp;&mdash;&aacute; &amp; &#233; &unknown; a & b</title></channel></rss>";
    assert_eq!(
        norm(text).text,
        "<rss><channel><title>News &amp; Co &#160;&#8212;&#225; &amp; &#233; &amp;unknown; a &amp; b</title></channel></rss>"
    );
}

#[test]
fn atom_text_types_become_atom10() {
    let text = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"text/plain\">T</title>\
                <entry><title type=\"application/octet-stream\">RXhhbXBsZSA8Yj5BdG9tPC9iPg==</title>\
                <summary type=\"application/xhtml+xml\" mode=\"xml\"><div>a<br/>b</div></summary></entry></feed>";
    assert_eq!(
        norm(text).text,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"text\">T</title>\
         <entry><title type=\"text\">Example &lt;b&gt;Atom&lt;/b&gt;</title>\
         <summary type=\"xhtml\"><div>a<br/>b</div></summary></entry></feed>"
    );
}

#[test]
fn xml_base_and_lang_are_inherited() {
    let text = "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"http://example.org/base/\" xml:lang=\"en\">\
                <entry xml:base=\"sub/\"><link href=\"a.html\"/><content type=\"xhtml\"><div><a href=\"b.html\">b</a></div></content></entry>\
                <entry xml:lang=\"\"><link rel=\"alternate\" href=\"/c.html\"/></entry></feed>";
    let n = norm(text);
    assert!(
        n.text
            .contains("href=\"http://example.org/base/sub/a.html\""),
        "{}",
        n.text
    );
    assert!(
        n.text
            .contains("href=\"http://example.org/base/sub/b.html\""),
        "{}",
        n.text
    );
    assert!(
        n.text.contains("href=\"http://example.org/c.html\""),
        "{}",
        n.text
    );
    assert_eq!(n.feed_lang.as_deref(), Some("en"));
    assert_eq!(n.entries.len(), 2);
    assert_eq!(n.entries[0].base.as_str(), "http://example.org/base/sub/");
    assert_eq!(n.entries[0].lang.as_deref(), Some("en"));
    assert_eq!(n.entries[1].lang.as_deref(), Some(""));
}

#[test]
fn rss_link_text_resolves_against_the_feed_url() {
    let n = norm("<rss><channel><item><link> ../story/1 </link></item></channel></rss>");
    assert_eq!(
        n.text,
        "<rss><channel><item><link>http://feeds.example/story/1</link></item></channel></rss>"
    );
}

#[test]
fn salvage_keeps_complete_entries_and_records_the_break() {
    let text = "<rss version=\"2.0\"><channel><title>T</title>\
                <item><title>1</title></item><item><title>2</title></item>\
                <item><title>3 a < b</title></item></channel></rss>";
    let n = norm(text);
    assert_eq!(
        n.text,
        "<rss version=\"2.0\"><channel><title>T</title>\
         <item><title>1</title></item><item><title>2</title></item></channel></rss>"
    );
    assert_eq!(n.entries.len(), 2);
    assert!(n.broken.is_some());
    // Truncated download.
    let n = norm("<rss><channel><item><title>1</title></item><item><title>2</ti");
    assert_eq!(
        n.text,
        "<rss><channel><item><title>1</title></item></channel></rss>"
    );
    // A mismatched end tag.
    let n = norm("<feed><entry><title>1</title></entry><entry><title>2</b></entry></feed>");
    assert_eq!(n.text, "<feed><entry><title>1</title></entry></feed>");
    // Nothing complete and broken mid-document: an error.
    assert!(
        normalize(
            "<rss><channel><title>T</title><item><title>1</b></item>",
            &url()
        )
        .is_err()
    );
    // Truncated before the first entry ends: nothing worth keeping.
    assert!(normalize("<rss><channel><title>T</title><item><title><![CD", &url()).is_err());
    // A channel element complete after the last entry is kept too.
    let n = norm("<rss><channel><item><title>1</title></item><ttl>5</ttl><item><title>2");
    assert_eq!(
        n.text,
        "<rss><channel><item><title>1</title></item><ttl>5</ttl></channel></rss>"
    );
}

#[test]
fn cdf_becomes_rss() {
    let text = "<CHANNEL HREF=\"http://www.example.org/\" BASE=\"http://base.example.org/\">\
                <TITLE>channel title</TITLE><ABSTRACT>about</ABSTRACT><LOGO HREF=\"x.gif\"/>\
                <ITEM HREF=\"/item/1\" LASTMOD=\"2004-04-06T23:05:43-05:00\"><TITLE>item</TITLE></ITEM></CHANNEL>";
    assert_eq!(
        norm(text).text,
        "<rss version=\"2.0\"><channel><link>http://www.example.org/</link>\
         <title>channel title</title><description>about</description>\
         <item><link>http://base.example.org/item/1</link><pubDate>2004-04-06T23:05:43-05:00</pubDate>\
         <title>item</title></item></channel></rss>"
    );
}

#[test]
fn rss090_namespace_becomes_rss10() {
    let n = norm(
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://my.netscape.com/rdf/simple/0.9/\"><item/></rdf:RDF>",
    );
    assert!(
        n.text.contains("xmlns=\"http://purl.org/rss/1.0/\""),
        "{}",
        n.text
    );
    assert_eq!(n.entries.len(), 1);
}
