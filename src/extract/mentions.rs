//! Names in a sentence: nutrients, vitamin K forms and foods, with their offsets.
//! The lexicons behind them are the TSV files of `data/`.

use std::sync::LazyLock;

use regex::Regex;

use crate::lexicon;
use crate::values::MkForm;

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
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < s.len() {
        let Some(c) = lexicon::NUTRIENT_FINDER.captures_at(s, pos) else {
            break;
        };
        let Some(m) = c.get(1) else { break };
        if let Some(v) = lexicon::nutrient_canonical(m.as_str()) {
            out.push(Mention {
                start: m.start(),
                end: m.end(),
                raw: m.as_str().to_string(),
                value: v,
            });
        }
        pos = m.end();
    }
    out
}

/// Chemical form names in a sentence (MK-n, menaquinone-7, menatetrenon,
/// phylloquinone, menaquinone), as used for the `form` column of value and dose
/// rows. Bare "K1"/"K2" and "vitamin K2" are nutrients, not forms, here.
static ROW_FORM: LazyLock<Regex> = LazyLock::new(|| {
    let pats: Vec<&str> = lexicon::FORM_SOURCES
        .iter()
        .copied()
        .filter(|p| *p != "MK")
        .collect();
    Regex::new(&format!(
        r"(?i)(?:^|[^\p{{L}}\p{{N}}])((?:{}))(?:$|[^\p{{L}}\p{{N}}])",
        pats.join("|")
    ))
    .expect("form patterns from data/forms.tsv compile")
});

/// Form mentions usable for a row's `form` column.
pub fn row_forms(s: &str) -> Vec<Mention<MkForm>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < s.len() {
        let Some(c) = ROW_FORM.captures_at(s, pos) else {
            break;
        };
        let Some(m) = c.get(1) else { break };
        if let Ok(f) = m.as_str().parse::<MkForm>() {
            out.push(Mention {
                start: m.start(),
                end: m.end(),
                raw: m.as_str().to_string(),
                value: f,
            });
        }
        pos = m.end();
    }
    out
}

/// A food name found in text.
#[derive(Debug, Clone, PartialEq)]
pub struct FoodName {
    pub canonical: &'static str,
    pub group: bool,
}

/// Every food name in `s`, longest match first at each position.
pub fn foods(s: &str) -> Vec<Mention<FoodName>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < s.len() {
        let Some(c) = lexicon::FOOD_FINDER.captures_at(s, pos) else {
            break;
        };
        let Some(m) = c.get(1) else { break };
        if let Some(f) = lexicon::FOODS_BY_NAME.get(&m.as_str().to_lowercase()) {
            out.push(Mention {
                start: m.start(),
                end: m.end(),
                raw: m.as_str().to_string(),
                value: FoodName {
                    canonical: f.canonical,
                    group: f.group,
                },
            });
        }
        pos = m.end();
    }
    out
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
