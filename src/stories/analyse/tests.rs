use super::*;

fn texts(words: &[Word]) -> Vec<&str> {
    words.iter().map(|w| w.text.as_str()).collect()
}

#[test]
fn chinese_is_cut_into_bigrams_with_byte_ranges() {
    let text = "中国航天员完成出舱";
    let w = words(text);
    assert_eq!(
        texts(&w),
        [
            "中国", "国航", "航天", "天员", "员完", "完成", "成出", "出舱"
        ]
    );
    assert_eq!(&text[w[2].start..w[2].end], "航天");
    // A one-character run is one word; digits and Latin are words of their own.
    assert_eq!(
        texts(&words("在 2026年 NASA发射")),
        ["在", "2026", "年", "nasa", "发射"]
    );
}

#[test]
fn arabic_alef_forms_diacritics_and_tatweel_are_normalised() {
    assert_eq!(
        texts(&words("أعلنت إدارة آلية مدرسةٌ ســلام مُستشفى ٢٠٢٦")),
        ["اعلنت", "اداره", "اليه", "مدرسه", "سلام", "مستشفي", "2026"]
    );
}

#[test]
fn cyrillic_latin_and_turkish_dotted_capital() {
    assert_eq!(
        texts(&words("Ёлка, İstanbul ABC-12 Малайзии")),
        ["елка", "istanbul", "abc", "12", "малайзии"]
    );
    assert_eq!(script_of('ж'), Some(Script::Cyrillic));
    assert_eq!(script_of(','), None);
}

#[test]
fn terms_stem_in_the_item_language_and_fold_diacritics() {
    let ru = Lang::from_tag("ru-RU");
    assert_eq!(ru, Some(Lang::Ru));
    let a = index_text("Власти Малайзии заявили", ru);
    let b = index_text("Малайзия", ru);
    assert!(a.contains(&b), "{a} / {b}");
    let tr = index_text("İstanbul'daki Türkiye seçimleri", Some(Lang::Tr));
    assert!(tr.starts_with("istanbul"), "{tr}");
    assert!(tr.contains(" turki "), "{tr}");
    // English words in a Russian article are not Russian-stemmed.
    assert_eq!(
        index_text("Reuters сообщает", ru).split(' ').next(),
        Some("reuters")
    );
}

#[test]
fn query_forms_cover_every_stemmer_of_the_script() {
    let forms = query_forms("Малайзия", None);
    assert_eq!(forms.len(), 1);
    assert!(forms[0].contains(&"малайз".to_owned()), "{forms:?}");
    assert!(forms[0].contains(&"малайзия".to_owned()), "{forms:?}");
    let zh = query_forms("宇航员", None);
    assert_eq!(zh, vec![vec!["宇航".to_owned()], vec!["航员".to_owned()]]);
    let en = query_forms("sanctions", Some(Lang::En));
    assert_eq!(
        en,
        vec![vec!["sanction".to_owned(), "sanctions".to_owned()]]
    );
}

#[test]
fn languages_are_detected_from_script_and_stop_words() {
    assert_eq!(detect("Власти Малайзии заявили во вторник"), Some(Lang::Ru));
    assert_eq!(detect("中国航天员完成出舱活动"), Some(Lang::Zh));
    assert_eq!(detect("東京でひらがなとカタカナ"), Some(Lang::Ja));
    assert_eq!(detect("أعلنت الحكومة اليوم عن خطة جديدة"), Some(Lang::Ar));
    assert_eq!(
        detect("The minister said on Monday that the talks with the union were over."),
        Some(Lang::En)
    );
    assert_eq!(
        detect(
            "Bakan, sendika ile görüşmelerin sona erdiğini ve bu yıl için yeni bir plan olarak açıkladı."
        ),
        Some(Lang::Tr)
    );
    assert_eq!(
        detect(
            "Le ministre a dit que les discussions avec le syndicat sont terminées et que la grève est finie."
        ),
        Some(Lang::Fr)
    );
    assert_eq!(detect("Angela Merkel"), None);
    assert_eq!(detect("  123 "), None);
}

#[test]
fn arabic_light_stemming_joins_article_conjunction_and_plural_forms() {
    let stem = |w: &str| index_text(w, Some(Lang::Ar));
    assert_eq!(stem("المفاوضات"), stem("مفاوضات"));
    assert_eq!(stem("الإمدادات"), stem("إمدادات"));
    assert_eq!(stem("والكهرباء"), stem("الكهرباء"));
    assert_eq!(stem("بالمدينة"), stem("المدينة"));
    // Short words keep their letters.
    assert_eq!(stem("من"), "من");
}
