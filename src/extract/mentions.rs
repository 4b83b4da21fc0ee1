//! Names in a sentence: nutrients, vitamin K forms and foods, with their offsets.
//! The lexicons behind them are the TSV files of `data/`.

use std::sync::LazyLock;

use crate::lexicon;
use crate::values::MkForm;
use crate::words::WholeWord;

/// A name found in a sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention<T> {
    pub start: usize,
    pub end: usize,
    pub raw: String,
    pub value: T,
}

/// Every nutrient name in `s` ("vitamine K2", "D3", "MK-7", "calcium").
pub fn nutrients(s: &str) -> Vec<Mention<&'static str>> {
    lexicon::NUTRIENT_FINDER
        .find_all(s)
        .filter_map(|m| {
            let raw = &s[m.clone()];
            lexicon::nutrient_canonical(raw).map(|v| Mention {
                start: m.start,
                end: m.end,
                raw: raw.to_string(),
                value: v,
            })
        })
        .collect()
}

/// Chemical form names in a sentence (MK-n, menaquinone-7, menatetrenon,
/// phylloquinone, menaquinone), as used for the `form` column of value and dose
/// rows. Bare "K1"/"K2" and "vitamin K2" are nutrients, not forms, here.
static ROW_FORM: LazyLock<WholeWord> = LazyLock::new(|| {
    let pats: Vec<&str> = lexicon::FORM_SOURCES
        .iter()
        .copied()
        .filter(|p| *p != "MK")
        .collect();
    WholeWord::new("(?i)", &pats.join("|"), &[]).expect("form patterns from data/forms.tsv compile")
});

/// Form mentions usable for a row's `form` column.
pub fn row_forms(s: &str) -> Vec<Mention<MkForm>> {
    ROW_FORM
        .find_all(s)
        .filter_map(|m| {
            let raw = &s[m.clone()];
            raw.parse::<MkForm>().ok().map(|f| Mention {
                start: m.start,
                end: m.end,
                raw: raw.to_string(),
                value: f,
            })
        })
        .collect()
}

/// A food name found in text.
#[derive(Debug, Clone, PartialEq)]
pub struct FoodName {
    pub canonical: &'static str,
    pub group: bool,
}

/// Every food name in `s`, longest match first at each position.
pub fn foods(s: &str) -> Vec<Mention<FoodName>> {
    lexicon::FOOD_FINDER
        .find_all(s)
        .filter_map(|m| {
            let raw = &s[m.clone()];
            lexicon::FOODS_BY_NAME
                .get(&raw.to_lowercase())
                .map(|f| Mention {
                    start: m.start,
                    end: m.end,
                    raw: raw.to_string(),
                    value: FoodName {
                        canonical: f.canonical,
                        group: f.group,
                    },
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nutrients() {
        let v: Vec<_> = nutrients(
            "De testgroep kreeg vitamine K2 (45 mg/dag), vitamine D3 (250 IE/dag) en calcium",
        )
        .into_iter()
        .map(|m| m.value)
        .collect();
        assert_eq!(v, vec!["vitamin K2", "vitamin D3", "calcium"]);
        let v: Vec<_> = nutrients("25-hydroxyvitamine D en 25(OH)D zijn geen vitamine D")
            .into_iter()
            .map(|m| m.value)
            .collect();
        assert_eq!(v, vec!["vitamin D"]);
        let v: Vec<_> = nutrients("vitamins K2 and D3")
            .into_iter()
            .map(|m| m.value)
            .collect();
        assert_eq!(v, vec!["vitamin K2", "vitamin D3"]);
    }

    #[test]
    fn finds_forms_for_rows() {
        let v: Vec<String> =
            row_forms("45-180 µg MK-7 of 45 mg menatetrenon (MK-4), niet vitamine K2")
                .into_iter()
                .map(|m| m.value.to_string())
                .collect();
        assert_eq!(v, vec!["MK-7", "MK-4", "MK-4"]);
    }

    #[test]
    fn finds_foods_in_both_languages() {
        let v: Vec<_> = foods("Vette vis: zalm, makreel, haring en sardines")
            .into_iter()
            .map(|m| m.value.canonical)
            .collect();
        assert_eq!(
            v,
            vec!["fatty fish", "salmon", "mackerel", "herring", "sardine"]
        );
        let v: Vec<_> = foods("Butter from grass-fed cows and egg yolks")
            .into_iter()
            .map(|m| m.value.canonical)
            .collect();
        assert_eq!(v, vec!["grass-fed butter", "egg yolk"]);
        assert!(foods("K2-rich").is_empty());
    }
}
