//! The one charset decoder on feeds and pages in the encodings news sites use.
//!
//! Every fixture is generated here: our own sentence, encoded with
//! encoding_rs (or by hand for UTF-16 and UTF-32), then wrapped in a feed or a
//! page that labels it the way real servers and CMSs do.

use encoding_rs::{
    BIG5, EUC_KR, Encoding, GBK, ISO_8859_7, KOI8_R, SHIFT_JIS, UTF_8, WINDOWS_1251,
};
use newswire::charset::{Charset, CharsetSource, DocumentKind, decode, decode_html};
use newswire::parse::parse_feed;
use url::Url;

const RUSSIAN: &str = "Правительство обсудило строительство нового моста через реку";
const CHINESE: &str = "新华社北京电 国务院召开常务会议，研究部署经济工作";
const TRADITIONAL: &str = "中央社台北電 行政院會通過新的預算案";
const JAPANESE: &str = "東京発 政府は新しい経済対策を発表した";
const GREEK: &str = "Η κυβέρνηση ανακοίνωσε νέα μέτρα για την οικονομία";
const KOREAN: &str = "서울 연합뉴스 정부는 새로운 경제 대책을 발표했다";

fn encode(encoding: &'static Encoding, text: &str) -> Vec<u8> {
    let (bytes, used, unmappable) = encoding.encode(text);
    assert_eq!(used, encoding, "encoding_rs encodes {}", encoding.name());
    assert!(!unmappable, "{} can write the sample", encoding.name());
    bytes.into_owned()
}

/// A feed whose XML declaration names `label` (if any) around `title`.
fn feed(label: Option<&str>, encoding: &'static Encoding, title: &str) -> Vec<u8> {
    let decl = match label {
        Some(l) => format!("<?xml version=\"1.0\" encoding=\"{l}\"?>"),
        None => "<?xml version=\"1.0\"?>".to_string(),
    };
    let doc = format!(
        "{decl}\n<rss version=\"2.0\"><channel><title>{title}</title>\
         <item><title>{title}</title><link>https://news.example/1</link></item></channel></rss>"
    );
    encode(encoding, &doc)
}

/// A page declaring `label` in a `<meta>` (if any) around `text`.
fn page(label: Option<&str>, encoding: &'static Encoding, text: &str) -> Vec<u8> {
    let meta = label.map_or(String::new(), |l| {
        format!("<meta http-equiv=\"Content-Type\" content=\"text/html; charset={l}\">")
    });
    encode(
        encoding,
        &format!(
            "<!doctype html><html><head>{meta}<title>t</title></head><body><p>{text}</p></body></html>"
        ),
    )
}

fn url() -> Url {
    Url::parse("https://news.example/rss").expect("valid URL")
}

fn feed_title(body: &[u8], content_type: Option<&str>) -> String {
    let parsed = parse_feed(body, content_type, &url()).expect("parses");
    parsed.entries[0].title.clone().expect("entry title")
}

#[test]
fn windows_1251_from_the_header() {
    let body = feed(None, WINDOWS_1251, RUSSIAN);
    assert_eq!(
        feed_title(&body, Some("application/rss+xml; charset=windows-1251")),
        RUSSIAN
    );
    let decoded = decode(&body, Some("text/xml; charset=cp1251"), DocumentKind::Xml);
    assert_eq!(decoded.source, CharsetSource::Header);
}

#[test]
fn koi8_r_from_the_declaration_and_by_sniffing() {
    let body = feed(Some("KOI8-R"), KOI8_R, RUSSIAN);
    assert_eq!(feed_title(&body, Some("text/xml")), RUSSIAN);
    let page = page(None, KOI8_R, RUSSIAN);
    let decoded = decode(&page, None, DocumentKind::Html);
    assert_eq!(decoded.source, CharsetSource::Sniffed);
    assert!(decoded.text.contains(RUSSIAN));
}

#[test]
fn gb2312_and_gbk() {
    // `gb2312` is decoded as GBK, its superset, as browsers do.
    let body = feed(Some("gb2312"), GBK, CHINESE);
    assert_eq!(feed_title(&body, None), CHINESE);
    let html = page(Some("GBK"), GBK, CHINESE);
    assert!(decode_html(&html, Some("text/html")).contains(CHINESE));
}

#[test]
fn big5_from_the_header_of_a_page() {
    let html = page(None, BIG5, TRADITIONAL);
    assert!(decode_html(&html, Some("text/html; charset=big5")).contains(TRADITIONAL));
    let body = feed(Some("big5"), BIG5, TRADITIONAL);
    assert_eq!(feed_title(&body, None), TRADITIONAL);
}

#[test]
fn shift_jis_from_the_meta_tag() {
    let html = page(Some("Shift_JIS"), SHIFT_JIS, JAPANESE);
    let decoded = decode(&html, None, DocumentKind::Html);
    assert_eq!(
        (decoded.charset, decoded.source),
        (Charset::Whatwg(SHIFT_JIS), CharsetSource::Declaration)
    );
    assert!(decoded.text.contains(JAPANESE));
}

#[test]
fn iso_8859_7_and_euc_kr() {
    let body = feed(Some("ISO-8859-7"), ISO_8859_7, GREEK);
    assert_eq!(feed_title(&body, None), GREEK);
    let body = feed(Some("euc-kr"), EUC_KR, KOREAN);
    assert_eq!(feed_title(&body, None), KOREAN);
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if big_endian {
            &[0xFE, 0xFF]
        } else {
            &[0xFF, 0xFE]
        });
    }
    for unit in text.encode_utf16() {
        out.extend_from_slice(&if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

fn rss_text(label: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"{label}\"?>\n<rss version=\"2.0\"><channel><title>{RUSSIAN}</title>\
         <item><title>{GREEK}</title><link>https://news.example/1</link></item></channel></rss>"
    )
}

/// Before the one decoder, a UTF-16BE feed without a BOM made quick-xml panic
/// ("set_encoding() called after prefix buffer was drained").
#[test]
fn utf16_with_and_without_bom() {
    for big_endian in [true, false] {
        for bom in [true, false] {
            let label = if big_endian { "utf-16be" } else { "utf-16le" };
            let body = utf16(&rss_text(label), big_endian, bom);
            assert_eq!(feed_title(&body, None), GREEK, "BE {big_endian}, BOM {bom}");
            let plain_label = utf16(&rss_text("utf-16"), big_endian, bom);
            assert_eq!(
                feed_title(&plain_label, Some("application/xml; charset=utf-16")),
                GREEK
            );
        }
    }
    let html = utf16(
        &format!("<html><body><p>{CHINESE}</p></body></html>"),
        false,
        true,
    );
    assert!(decode_html(&html, None).contains(CHINESE));
}

#[test]
fn utf32_with_and_without_bom() {
    let text = rss_text("utf-32");
    let mut be: Vec<u8> = text
        .chars()
        .flat_map(|c| (c as u32).to_be_bytes())
        .collect();
    assert_eq!(feed_title(&be, None), GREEK);
    be.splice(0..0, [0, 0, 0xFE, 0xFF]);
    assert_eq!(feed_title(&be, None), GREEK);
    let le: Vec<u8> = text
        .chars()
        .flat_map(|c| (c as u32).to_le_bytes())
        .collect();
    assert_eq!(feed_title(&le, None), GREEK);
}

/// A People's Daily-style page: the template still says `gb2312`, the bytes
/// are UTF-8. Before the fix `newswire extract` returned mojibake.
#[test]
fn mislabelled_utf8_page_is_utf8() {
    let html = page(Some("gb2312"), UTF_8, CHINESE);
    let decoded = decode(&html, Some("text/html"), DocumentKind::Html);
    assert_eq!(
        (decoded.charset, decoded.source),
        (Charset::Whatwg(UTF_8), CharsetSource::Utf8OverLabel)
    );
    assert!(decoded.text.contains(CHINESE));
    // The same in the HTTP header.
    let html = page(None, UTF_8, RUSSIAN);
    assert!(decode_html(&html, Some("text/html; charset=windows-1251")).contains(RUSSIAN));
    // And in a feed's declaration.
    let body = feed(Some("windows-1251"), UTF_8, RUSSIAN);
    assert_eq!(feed_title(&body, None), RUSSIAN);
}

#[test]
fn a_true_legacy_label_still_wins() {
    // GBK bytes are not valid UTF-8: the label is believed.
    let html = page(Some("gb2312"), GBK, CHINESE);
    assert!(decode_html(&html, None).contains(CHINESE));
    // A false UTF-8 header over windows-1251 bytes falls through to a guess.
    let html = page(None, WINDOWS_1251, RUSSIAN);
    assert!(decode_html(&html, Some("text/html; charset=utf-8")).contains(RUSSIAN));
}
