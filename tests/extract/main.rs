//! Article extraction on fixture pages (`fixtures/pages/<name>.html` with the
//! expected text in `<name>.expected.txt`), metadata, site rules, charset
//! decoding and the HTML sanitiser; `rescue` holds the pages where the
//! scorer's first choice is wrong and the second look must find the article.

mod meta;
mod rescue;

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use newswire::extract::{
    Method, SiteRule, builtin_rule, decode_html, extract, html_to_text, sanitize_html,
    validate_rule,
};
use url::Url;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/pages")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn page(name: &str) -> String {
    decode_html(&fixture(&format!("{name}.html")), None)
}

/// Paragraphs (split on blank lines), each with whitespace collapsed.
fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

fn expected(name: &str) -> Vec<String> {
    let raw = fixture(&format!("{name}.expected.txt"));
    paragraphs(&String::from_utf8(raw).expect("expected text is UTF-8"))
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("test URL parses")
}

#[test]
fn rt_article_generic_drops_navigation_share_related_comments_and_teasers() {
    let u = url("https://www.rt.com/russia/600001-moscow-river-terminal/");
    let a = extract(&page("rt_article"), &u, None);
    assert_eq!(a.method, Method::Generic);
    assert_eq!(paragraphs(&a.text), expected("rt_article"));
    assert!(
        a.text.contains("\n\nA landmark returns\n\n"),
        "heading is its own paragraph"
    );
    assert_eq!(a.title.as_deref(), Some("Moscow opens new river terminal"));
    assert_eq!(a.author.as_deref(), Some("Anna Petrova"));
    assert_eq!(a.site_name.as_deref(), Some("RT International"));
    assert_eq!(a.language.as_deref(), Some("en"));
    assert_eq!(
        a.published,
        Some(Utc.with_ymd_and_hms(2026, 11, 20, 6, 15, 0).unwrap())
    );
    assert_eq!(
        a.modified,
        Some(Utc.with_ymd_and_hms(2026, 11, 20, 8, 40, 0).unwrap())
    );
    assert_eq!(
        a.image.as_deref(),
        Some("https://www.rt.com/static/img/terminal-lead.jpg")
    );
    assert_eq!(a.canonical_url.as_deref(), Some(u.as_str()));
    assert!(a.html.contains("<p>"), "{}", a.html);
    assert!(!a.html.contains("<script"), "{}", a.html);
}

#[test]
fn rt_article_with_builtin_rule() {
    let u = url("https://www.rt.com/russia/600001-moscow-river-terminal/");
    let rule =
        builtin_rule(u.host_str().expect("URL has a host")).expect("rt.com has a built-in rule");
    let a = extract(&page("rt_article"), &u, Some(&rule));
    assert_eq!(a.method, Method::SiteRule);
    assert_eq!(paragraphs(&a.text), expected("rt_article"));
}

#[test]
fn un_news_json_ld_metadata() {
    let u = url("https://news.un.org/en/story/2026/11/1160001?utm_source=rss");
    let a = extract(&page("un_news"), &u, None);
    assert_eq!(paragraphs(&a.text), expected("un_news"));
    assert_eq!(
        a.title.as_deref(),
        Some("Climate talks: nations agree on adaptation fund")
    );
    assert_eq!(a.author.as_deref(), Some("UN News"));
    assert_eq!(a.site_name.as_deref(), Some("United Nations"));
    assert_eq!(
        a.published,
        Some(Utc.with_ymd_and_hms(2026, 11, 21, 14, 30, 0).unwrap())
    );
    assert_eq!(
        a.modified,
        Some(Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap())
    );
    assert_eq!(a.language.as_deref(), Some("en"));
    assert_eq!(
        a.image.as_deref(),
        Some(
            "https://news.un.org/sites/news.un.org/files/styles/large/public/2026/11/delegates.jpg"
        )
    );
    assert_eq!(
        a.canonical_url.as_deref(),
        Some("https://news.un.org/en/story/2026/11/1160001")
    );
    // The caption and photo credit do not reach the text.
    assert!(!a.text.contains("UN Photo"));
    assert!(!a.html.contains("src=\"/"), "{}", a.html);
}

#[test]
fn un_news_with_builtin_rule() {
    let u = url("https://news.un.org/en/story/2026/11/1160001");
    let rule = builtin_rule("news.un.org").expect("UN News has a built-in rule");
    let a = extract(&page("un_news"), &u, Some(&rule));
    assert_eq!(a.method, Method::SiteRule);
    assert_eq!(paragraphs(&a.text), expected("un_news"));
}

#[test]
fn canonical_link_differs_from_page_url() {
    let u = url("https://wire.example/amp/grain?id=77&utm_medium=feed");
    let a = extract(&page("canonical"), &u, None);
    assert_eq!(
        a.canonical_url.as_deref(),
        Some("https://wire.example/business/2026/11/grain-exports-rise")
    );
    assert_eq!(paragraphs(&a.text), expected("canonical"));
    assert_eq!(
        a.published,
        Some(Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap())
    );
    assert_eq!(a.title.as_deref(), Some("Grain exports rise in October"));
}

#[test]
fn windows_1251_page() {
    let bytes = fixture("cp1251_article.html");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "fixture holds real cp1251 bytes"
    );
    let html = decode_html(&bytes, Some("text/html"));
    let a = extract(
        &html,
        &url("https://news.example.ru/2026/11/vokzal.html"),
        None,
    );
    assert_eq!(paragraphs(&a.text), expected("cp1251_article"));
    assert_eq!(a.title.as_deref(), Some("В Москве открылся речной вокзал"));
    assert_eq!(a.language.as_deref(), Some("ru"));
    assert_eq!(a.site_name.as_deref(), Some("Новости"));
}

#[test]
fn section_index_gives_little_or_no_text() {
    let a = extract(
        &page("section_index"),
        &url("https://wire.example/world/"),
        None,
    );
    assert!(a.text.chars().count() < 120, "got {:?}", a.text);
    assert!(!a.text.contains("Next page"));
}

#[test]
fn degenerate_inputs_do_not_panic() {
    let u = url("https://example.com/");
    for html in [
        "",
        "<",
        "<html>",
        "<body><p>",
        "\u{feff}<p>x</p>",
        "<div><div><div>",
        "<script>x</script>",
    ] {
        let a = extract(html, &u, None);
        assert!(a.text.len() < 10, "{html:?} -> {:?}", a.text);
    }
    let deep = "<div>".repeat(5000)
        + "<p>A paragraph deep inside many nested containers, long enough to count.</p>"
        + &"</div>".repeat(5000);
    let a = extract(&deep, &u, None);
    assert!(
        a.text.contains("deep inside many nested containers"),
        "{:?}",
        a.text
    );
}

#[test]
fn rule_selector_and_remove() {
    let u = url("https://www.rt.com/russia/600001-moscow-river-terminal/");
    let rule = SiteRule {
        selector: Some(".article__text".into()),
        remove: vec![
            "ul".into(),
            ".read-more".into(),
            "h2".into(),
            ".follows-channel".into(),
        ],
    };
    validate_rule(&rule).expect("valid selectors");
    let a = extract(&page("rt_article"), &u, Some(&rule));
    assert_eq!(a.method, Method::SiteRule);
    let p = paragraphs(&a.text);
    assert_eq!(p.len(), 4, "{p:?}");
    assert!(p[0].starts_with("The Stalin-era building"));
    assert!(!a.text.contains("hectares"));
    assert!(!a.text.contains("landmark"));
    assert!(!a.text.contains("READ MORE"));
}

#[test]
fn rule_matching_nothing_falls_back_to_generic() {
    let u = url("https://www.rt.com/russia/600001-moscow-river-terminal/");
    let rule = SiteRule {
        selector: Some("#no-such-element".into()),
        remove: vec![],
    };
    let a = extract(&page("rt_article"), &u, Some(&rule));
    assert_eq!(a.method, Method::Generic);
    assert_eq!(paragraphs(&a.text), expected("rt_article"));
}

#[test]
fn invalid_rule_is_refused() {
    let bad = SiteRule {
        selector: Some("div[".into()),
        remove: vec![],
    };
    let err = validate_rule(&bad).expect_err("unterminated attribute selector");
    assert!(err.contains("div["), "{err}");
    let bad_remove = SiteRule {
        selector: None,
        remove: vec![".ok".into(), ":::".into()],
    };
    assert!(validate_rule(&bad_remove).is_err());
    for host in ["www.rt.com", "tass.com", "news.un.org", "english.news.cn"] {
        let rule = builtin_rule(host).unwrap_or_else(|| panic!("no built-in rule for {host}"));
        validate_rule(&rule).unwrap_or_else(|e| panic!("{host}: {e}"));
    }
}

#[test]
fn decode_order_bom_header_meta_sniff() {
    let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("Привет");
    let (koi8, _, _) = encoding_rs::KOI8_R.encode("Привет");
    let with_meta = |charset: &str, body: &[u8]| {
        let mut v = format!("<html><head><meta charset=\"{charset}\"></head><body>").into_bytes();
        v.extend_from_slice(body);
        v
    };
    // Meta alone decides when there is no header and no BOM.
    assert!(decode_html(&with_meta("windows-1251", &cp1251), None).contains("Привет"));
    // The HTTP header beats the meta declaration.
    assert!(
        decode_html(
            &with_meta("windows-1251", &koi8),
            Some("text/html; charset=KOI8-R")
        )
        .contains("Привет")
    );
    // A BOM beats both.
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend(with_meta("windows-1251", "Привет".as_bytes()));
    let s = decode_html(&bom, Some("text/html; charset=koi8-r"));
    assert!(s.contains("Привет") && !s.starts_with('\u{feff}'), "{s}");
    // http-equiv form.
    let mut he =
        b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\">".to_vec();
    he.extend_from_slice(&koi8);
    assert!(decode_html(&he, None).contains("Привет"));
    // No declaration: valid UTF-8 stays UTF-8, else a guess.
    assert_eq!(decode_html("Café".as_bytes(), None), "Café");
    let (long1251, _, _) = encoding_rs::WINDOWS_1251
        .encode("<p>Северный речной вокзал открылся после реставрации</p>");
    assert!(decode_html(&long1251, None).contains("Северный речной вокзал"));
    let (latin, _, _) = encoding_rs::WINDOWS_1252.encode("<p>Café déjà vu, naïve façade</p>");
    assert!(decode_html(&latin, None).contains("Café déjà vu, naïve façade"));
}

#[test]
fn sanitiser_strips_xss_corpus_and_keeps_absolute_links_and_images() {
    let base = url("https://www.rt.com/news/1-story/");
    let dirty = r#"
<p onclick="alert(1)">Hello <a href="/russia/2-other/" onmouseover="x()">link</a></p>
<script>alert('x')</script>
<img src="/static/a.jpg" onerror="alert(1)" alt="A">
<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline">
<a href="javascript:alert(1)">js</a>
<a href="JaVaScRiPt:alert(1)">js2</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>
<div style="width: expression(alert(1)); background:url(javascript:alert(1))">styled</div>
<svg onload="alert(1)"><circle r="1"/></svg>
<iframe src="https://evil.example/"></iframe>
<form action="https://evil.example/steal"><input name="p"><button>Go</button></form>
<object data="x.swf"></object><embed src="x.swf">
<style>body{background:url(javascript:alert(1))}</style>
<img src="https://tracker.example/pixel.gif" width="1" height="1">
<a href="mailto:desk@example.org">mail</a>
"#;
    let clean = sanitize_html(dirty, &base);
    let lower = clean.to_ascii_lowercase();
    for bad in [
        "<script",
        "onclick",
        "onerror",
        "onmouseover",
        "onload",
        "javascript:",
        "data:text/html",
        "expression(",
        "style=",
        "<iframe",
        "<form",
        "action=",
        "<input",
        "<svg",
        "<object",
        "<embed",
        "<style",
        "tracker.example",
        "alert(",
    ] {
        assert!(!lower.contains(bad), "{bad} survived in {clean}");
    }
    assert!(
        clean.contains(r#"href="https://www.rt.com/russia/2-other/""#),
        "{clean}"
    );
    assert!(
        clean.contains(r#"src="https://www.rt.com/static/a.jpg""#),
        "{clean}"
    );
    assert!(clean.contains("data:image/png;base64"), "{clean}");
    assert!(clean.contains("mailto:desk@example.org"), "{clean}");
    assert!(
        clean.contains("Hello") && clean.contains("styled"),
        "{clean}"
    );
}

#[test]
fn html_to_text_paragraphs_and_no_link_urls() {
    let html = r#"<p>First <a href="https://example.com/x">linked words</a> here.</p>
<h2>Heading</h2><ul><li>One</li><li>Two</li></ul><p>Line one<br>line two</p>
<script>var x = 1;</script><p>&nbsp;</p><blockquote>Quoted</blockquote>"#;
    let t = html_to_text(html);
    assert_eq!(
        t,
        "First linked words here.\n\nHeading\n\nOne\n\nTwo\n\nLine one\nline two\n\nQuoted"
    );
    assert!(!t.contains("example.com"));
    assert_eq!(html_to_text("plain &amp; simple"), "plain & simple");
}

#[test]
fn page_without_body_text_falls_back_to_its_description() {
    let html = r#"<html><head><meta name="description" content="Officials confirmed the talks will resume on Monday."></head>
<body><nav><a href="/">Home</a></nav><div id="app"></div></body></html>"#;
    let a = extract(html, &url("https://wire.example/story/1"), None);
    assert_eq!(
        a.text,
        "Officials confirmed the talks will resume on Monday."
    );
    assert!(a.html.contains("<p>Officials confirmed"), "{}", a.html);
}

#[test]
fn truncated_pages_do_not_panic() {
    // Pages cut off mid-tag, mid-attribute, mid-entity or mid-JSON-LD, as a
    // capped or interrupted download leaves them.
    let u = url("https://news.un.org/en/story/2026/11/1160001");
    for name in ["un_news", "rt_article", "canonical"] {
        let html = page(name);
        let mut cut = 0;
        while cut < html.len() {
            if html.is_char_boundary(cut) {
                let a = extract(&html[..cut], &u, builtin_rule("news.un.org").as_ref());
                assert!(a.text.len() <= html.len());
            }
            cut += 97;
        }
    }
}

#[test]
fn method_maps_to_stored_extraction_kind() {
    use newswire::model::Extraction;
    assert_eq!(Extraction::from(Method::Generic), Extraction::Extracted);
    assert_eq!(Extraction::from(Method::SiteRule), Extraction::SiteRule);
}

/// A wire-style page with hostile and awkward markup inside and around the body.
fn awkward_page() -> String {
    let para = "The ministry said on Tuesday that the new rail link would open next spring, \
        cutting the journey between the two regional capitals by almost three hours.";
    format!(
        r#"<!doctype html><html lang="en"><head><title>Rail link to open in spring</title>
<style>.story p {{ margin: 0 }} /* <p>not text</p> */</style>
<script type="application/ld+json">{{"@type":"NewsArticle","headline":"Rail link to open in spring","author":{{"@type":"Person","name":"Anna Petrova"}}}}</script>
<script>var tpl = '<div class="story"><p>Injected by script</p></div>'; if (a < b && c > d) {{}}</script>
</head><body><svg width="0" height="0"><symbol id="i"><text>Icon label</text></symbol></svg>
<div class="story"><h1>Rail link to open in spring</h1>
<p>{para} <a href="/2026/11/rail-map">See the map</a>.</p>
<p>{para} <a href="javascript:alert(1)" onclick="steal()">Click</a></p>
<p><img src="https://track.example.net/pixel.gif?id=1" alt=""><img src="/img/train.jpg" alt="A &quot;new&quot; train" onerror="x()"></p>
<p>{para} <a href="https://example.org/?a=1&amp;b=2">Source</a></p>
<p>{para}</p></div>
<SCRIPT>document.write("<p>Also injected</p>")</SCRIPT></body></html>"#
    )
}

#[test]
fn script_style_svg_bodies_never_reach_the_article_but_json_ld_does() {
    let a = extract(
        &awkward_page(),
        &url("https://wire.example.com/2026/11/rail"),
        None,
    );
    assert_eq!(a.author.as_deref(), Some("Anna Petrova"));
    assert_eq!(paragraphs(&a.text).len(), 4, "{}", a.text);
    for junk in ["Injected", "Also injected", "not text", "Icon label"] {
        assert!(!a.text.contains(junk), "{junk}: {}", a.text);
        assert!(!a.html.contains(junk), "{junk}: {}", a.html);
    }
}

#[test]
fn article_html_is_safe_and_absolute_without_a_second_pass() {
    let a = extract(
        &awkward_page(),
        &url("https://wire.example.com/2026/11/rail"),
        None,
    );
    let h = &a.html;
    assert!(
        h.contains(r#"<a href="https://wire.example.com/2026/11/rail-map" rel="noopener noreferrer nofollow">See the map</a>"#),
        "{h}"
    );
    assert!(
        h.contains(r#"href="https://example.org/?a=1&amp;b=2""#),
        "{h}"
    );
    assert!(
        h.contains(
            r#"<img src="https://wire.example.com/img/train.jpg" alt="A &quot;new&quot; train">"#
        ),
        "{h}"
    );
    for bad in [
        "javascript",
        "onclick",
        "onerror",
        "pixel.gif",
        "<script",
        "<svg",
    ] {
        assert!(!h.contains(bad), "{bad}: {h}");
    }
    // The sanitiser has nothing left to remove.
    let again = sanitize_html(h, &url("https://wire.example.com/"));
    assert!(
        !again.contains("javascript") && again.contains("train.jpg"),
        "{again}"
    );
}
