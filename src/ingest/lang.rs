//! Language of a sentence: Dutch or English, by `whatlang` (trigram models).
//!
//! Short sentences and table cells carry too few trigrams for a reliable guess,
//! so below a length threshold, or when the detector is unsure, the document's
//! language is used instead. The numbers of a sentence are read in its language
//! (`1,2` is 1.2 in Dutch), which is why the fallback matters.

use crate::model::Lang;
use whatlang::{Detector, Lang as WLang};

fn detector() -> Detector {
    Detector::with_allowlist(vec![WLang::Eng, WLang::Nld])
}

fn map(l: WLang) -> Lang {
    match l {
        WLang::Nld => Lang::Nl,
        _ => Lang::En,
    }
}

/// Language of a whole text (majority vote of the detector over the text).
pub fn detect_document(text: &str) -> Lang {
    detector().detect_lang(text).map(map).unwrap_or_default()
}

/// Language of one sentence, falling back to `default` when unsure.
pub fn detect_sentence(text: &str, default: Lang) -> Lang {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 25 {
        return default;
    }
    match detector().detect(text) {
        Some(info) if info.confidence() > 0.5 || letters > 60 => map(info.lang()),
        _ => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_dutch_and_english() {
        assert_eq!(
            detect_sentence(
                "Gefermenteerde sojabonen zijn een van de rijkste bronnen van vitamine K2.",
                Lang::En
            ),
            Lang::Nl
        );
        assert_eq!(
            detect_sentence(
                "Fermented soybeans are one of the richest sources of vitamin K2 in the diet.",
                Lang::Nl
            ),
            Lang::En
        );
    }

    #[test]
    fn short_text_takes_the_default() {
        assert_eq!(detect_sentence("Natto 100 µg", Lang::Nl), Lang::Nl);
    }
}
