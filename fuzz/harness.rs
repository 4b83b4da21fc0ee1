// The fuzz harnesses, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`)
// and by the regression test that replays every saved crash
// (`tests/fuzz_regressions.rs`), both through `include!`, so that a crashing
// input is checked again by exactly the code that found it.
//
// What counts as a failure: any panic (unwrap, indexing, slicing at a non-char
// boundary, arithmetic overflow in debug builds), a hang or runaway memory
// (libFuzzer's -timeout / -rss_limit_mb), and a broken round trip: a value
// that parses must print as text that parses back and prints the same,
// because the outputs are written with `Display` and read back by other tools.

#[allow(unused_imports)]
use std::str::FromStr;

#[allow(dead_code)]
fn fuzz_text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// The printed form is canonical: whatever parses from `s` prints as text
/// that parses again and prints the same (`display ∘ parse` is a fixpoint on
/// its output). Values themselves may lose digits beyond the nine decimals
/// the outputs keep (`format_number`), so it is the text that is compared.
#[allow(dead_code)]
fn round_trip<T>(s: &str)
where
    T: FromStr + std::fmt::Display,
{
    if let Ok(v) = s.parse::<T>() {
        let shown = v.to_string();
        match shown.parse::<T>() {
            Ok(again) => assert_eq!(
                again.to_string(),
                shown,
                "{s:?} -> {shown:?} does not print the same again"
            ),
            Err(_) => panic!("{s:?} parses but its display {shown:?} does not"),
        }
    }
}

/// Numbers, units, quantities, bases, forms, DOIs, page ranges, authors, and
/// the amount finder on a sentence. The first byte picks the language.
#[allow(dead_code)]
pub fn values(data: &[u8]) {
    use nutripipe::model::Lang;
    use nutripipe::values::author::Author;
    use nutripipe::values::doi::Doi;
    use nutripipe::values::pages::PageRange;
    use nutripipe::values::{format_number, parse_number, Basis, MkForm, Quantity, Range, Unit};
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Some(s) = fuzz_text(rest) else {
        return;
    };
    let lang = if first & 1 == 0 { Lang::En } else { Lang::Nl };
    if let Ok(x) = parse_number(s, lang) {
        assert!(x.is_finite() && x >= 0.0, "{s:?} -> {x}");
        let _ = format_number(x);
    }
    round_trip::<Unit>(s);
    round_trip::<Quantity>(s);
    round_trip::<Range>(s);
    round_trip::<Basis>(s);
    round_trip::<MkForm>(s);
    round_trip::<Doi>(s);
    round_trip::<PageRange>(s);
    // Author accepts any "Family, Given" text (it is fed entry fragments), so
    // only its display is exercised, not a round trip.
    if let Ok(a) = s.parse::<Author>() {
        let _ = (a.to_string(), a.given_dotted());
    }
    let _ = Doi::find_in(s);
    for m in nutripipe::extract::quantities::find_amounts(s, lang) {
        let _ = format!("{m:?}");
    }
}

/// One entry of a reference list.
#[allow(dead_code)]
pub fn references(data: &[u8]) {
    let Some(s) = fuzz_text(data) else {
        return;
    };
    let p = nutripipe::extract::references::parse_entry(s);
    let _ = p.missing();
    let _ = nutripipe::extract::references::split_glued_journal(s);
    let _ = nutripipe::extract::references::title_lang(s);
}

/// A whole file: decoding (any bytes), structure, sentences, every extractor
/// and the normalisation of the rows.
#[allow(dead_code)]
pub fn document(data: &[u8]) {
    let Ok((doc, _summary, _warnings)) = nutripipe::ingest::load_bytes("fuzz.txt", "fuzz", data)
    else {
        return;
    };
    let extracted = nutripipe::extract::extract_document(&doc);
    let _ = nutripipe::normalize::normalize(extracted);
}
