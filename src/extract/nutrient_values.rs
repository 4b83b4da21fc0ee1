//! Food contents (table `nutrient_values`): "Natto (1 tablespoon)~100 mcg",
//! "hard cheeses like Gouda (50–90 mcg/100 g)", "Een portie (50 g) kan tot 500 µg
//! vitamine K2 bevatten".
//!
//! A food value is an amount of a nutrient (µg, mg, IU) with a basis (what it is
//! per) and a food. Amounts per day are intakes, not contents, and are left to
//! the dosage extractor. Which food:
//!
//! * table rows: every food of the label cell (not the examples in its
//!   parentheses): "Egg yolk, chicken, liver, beef | 5-15 mcg" gives four rows;
//! * running text: the nearest food before the amount, lifted to its group when
//!   it is an example ("hard cheeses like Gouda (…)" → hard cheese), together
//!   with the foods listed right before it ("zalm, makreel, haring en sardines");
//!   a list item's food label comes first ("Vette vis: zalm, …" → fatty fish);
//! * no food in the sentence: the list item's label ("- Natto: … Een portie (50 g)
//!   kan tot 500 µg bevatten"), else the first food of the previous sentence of
//!   the same item.

use crate::per_thread::PerThread;

use regex::Regex;

use crate::lexicon;
use crate::model::{row_id, Document, LineKind, NutrientValue};
use crate::values::{Basis, Unit};

use super::context::{self, At};
use super::mentions::{self, FoodName, Mention};
use super::quantities::{self, AmountMention};

/// Words that introduce examples of a group ("hard cheeses like Gouda").
static EXAMPLE_INTRO: PerThread<Regex> = PerThread::new(|| {
    Regex::new(r"(?i)(?:\blike|\bsuch as|\bzoals|\bbijv\.?|\bbijvoorbeeld|\be\.g\.|\bincluding|\bwaaronder|\bvooral|\bespecially|\(|,)\s*$")
        .expect("regex")
});

/// Only list punctuation between two foods: they form one list.
static LIST_GAP: PerThread<Regex> = PerThread::new(|| {
    Regex::new(r"(?i)^\s*(?:,|;|/|&|\band\b|\ben\b|\bor\b|\bof\b|,\s*and\b|,\s*en\b)\s*$")
        .expect("regex")
});

/// A household measure with its weight in parentheses ("Een portie (50 g)",
/// "per plak (20 g)"), or a measure in the label ("Natto (1 tablespoon)").
static MEASURE_WEIGHT: PerThread<Regex> = PerThread::new(|| {
    Regex::new(&format!(
        r"(?i)(?:^|[^\p{{L}}])(?P<hu>{bu})\s*\(\s*(?P<n>\d+(?:[.,]\d+)?)\s*(?P<u>g|gram|grams|gr|ml|oz)\s*\)",
        bu = *lexicon::BASIS_UNIT_PATTERN
    ))
    .expect("regex")
});

static PAREN_MEASURE: PerThread<Regex> = PerThread::new(|| {
    Regex::new(&format!(
        r"(?i)\(\s*(?:(?P<n>\d+(?:[.,]\d+)?)\s*-?\s*|(?:a|an|one|een)\s+)?(?P<u>{bu})\s*\)",
        bu = *lexicon::BASIS_UNIT_PATTERN
    ))
    .expect("regex")
});

/// Byte ranges of parenthesised parts of `s`.
fn paren_spans(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for (i, c) in s.char_indices() {
        match c {
            '(' => stack.push(i),
            ')' => {
                if let Some(a) = stack.pop() {
                    out.push((a, i + 1));
                }
            }
            _ => {}
        }
    }
    out
}

fn inside(spans: &[(usize, usize)], a: usize, b: usize) -> Option<(usize, usize)> {
    spans.iter().copied().find(|&(s, e)| s < a && b <= e)
}

/// The basis stated away from the amount: a measure with its weight before it
/// ("Een portie (50 g) kan tot 500 µg"), or a measure in parentheses
/// ("Natto (1 tablespoon)").
fn basis_from_text(text: &str, lang: crate::model::Lang) -> Option<Basis> {
    if let Some(c) = MEASURE_WEIGHT.captures(text) {
        let n = crate::values::parse_number(c.name("n")?.as_str(), lang).ok()?;
        return Basis::from_spelling(n, c.name("u")?.as_str()).ok();
    }
    if let Some(c) = PAREN_MEASURE.captures(text) {
        let n = match c.name("n") {
            Some(n) => crate::values::parse_number(n.as_str(), lang).ok()?,
            None => 1.0,
        };
        return Basis::from_spelling(n, c.name("u")?.as_str()).ok();
    }
    None
}

/// Foods of a table label cell, without the examples in parentheses.
fn label_foods(label: &str) -> Vec<Mention<FoodName>> {
    let spans = paren_spans(label);
    mentions::foods(label)
        .into_iter()
        .filter(|m| inside(&spans, m.start, m.end).is_none())
        .collect()
}

/// The foods a running-text amount at `amount_start` is about.
fn sentence_foods(s: &str, amount_start: usize) -> Vec<Mention<FoodName>> {
    let all = mentions::foods(s);
    let spans = paren_spans(s);
    let amount_paren = spans
        .iter()
        .copied()
        .filter(|&(a, e)| a < amount_start && amount_start < e)
        .min_by_key(|&(a, e)| e - a);
    // candidates before the amount, not inside a parenthesis that excludes the amount
    let before: Vec<&Mention<FoodName>> = all
        .iter()
        .filter(|m| m.end <= amount_start)
        .filter(|m| match inside(&spans, m.start, m.end) {
            None => true,
            Some(p) => Some(p) == amount_paren,
        })
        .collect();
    let Some(mut idx) = before.len().checked_sub(1) else {
        return Vec::new();
    };
    // an example of a group: lift it to the group
    loop {
        let m = before[idx];
        if idx == 0 || m.value.group {
            break;
        }
        let prev = before[idx - 1];
        let gap = &s[prev.end..m.start];
        if prev.value.group && EXAMPLE_INTRO.is_match(gap) && !gap.contains(['.', ';', ':']) {
            idx -= 1;
            // a group's examples may form a list: skip back over them to the group
            continue;
        }
        // "Gouda or Jarlsberg": keep lifting over a list of examples
        if LIST_GAP.is_match(gap) && idx >= 2 {
            let pp = before[idx - 2];
            let gap2 = &s[pp.end..prev.start];
            if pp.value.group && EXAMPLE_INTRO.is_match(gap2) {
                idx -= 2;
                continue;
            }
        }
        break;
    }
    let mut chosen = vec![before[idx].clone()];
    let mut j = idx;
    while j > 0 {
        let prev = before[j - 1];
        if LIST_GAP.is_match(&s[prev.end..before[j].start]) && !before[j].value.group {
            chosen.insert(0, prev.clone());
            j -= 1;
        } else {
            break;
        }
    }
    chosen
}

/// Extract every food value of a document (stated amounts; the ug and per-100 g
/// columns are filled by `normalize`).
pub fn extract_nutrient_values(doc: &Document) -> Vec<NutrientValue> {
    extract_nutrient_values_with(doc, &quantities::DocAmounts::of(doc))
}

/// [`extract_nutrient_values`] with the document's amounts already found.
pub fn extract_nutrient_values_with(
    doc: &Document,
    amounts: &quantities::DocAmounts,
) -> Vec<NutrientValue> {
    let mut out = Vec::new();
    for (li, line) in doc.lines.iter().enumerate() {
        if matches!(
            line.kind,
            LineKind::Blank | LineKind::Heading | LineKind::TableHeader
        ) {
            continue;
        }
        for (si, sentence) in line.sentences.iter().enumerate() {
            let s = &sentence.text;
            for a in amounts.get(li, si).iter().filter(|a| is_content_amount(a)) {
                let basis = match &a.basis {
                    Some(b) => Some(b.clone()),
                    None => basis_from_text(&s[..a.start], sentence.lang()).or_else(|| {
                        (line.kind == LineKind::TableRow)
                            .then(|| {
                                line.cells
                                    .first()
                                    .and_then(|l| basis_from_text(l, sentence.lang()))
                            })
                            .flatten()
                    }),
                };
                let Some(basis) = basis else { continue };
                let foods = foods_for(doc, li, si, a);
                if foods.is_empty() {
                    continue;
                }
                let at = At {
                    line: li,
                    sentence: si,
                };
                let Some(nutrient) = context::nutrient_for(doc, at, a) else {
                    continue;
                };
                let form = context::form_for(s, a, nutrient);
                for f in foods {
                    let offset = sentence.start + a.start;
                    out.push(NutrientValue {
                        id: row_id(
                            "nutrient_values",
                            &[
                                &doc.id,
                                &line.no.to_string(),
                                &offset.to_string(),
                                f.value.canonical,
                            ],
                        ),
                        doc: doc.id.as_str().into(),
                        line: line.no,
                        offset,
                        quote: s.clone(),
                        lang: sentence.lang(),
                        food: f.value.canonical.into(),
                        food_raw: f.raw.as_str().into(),
                        nutrient: nutrient.into(),
                        form: form.as_str().into(),
                        qualifier: a.quantity.qualifier,
                        amount_min: a.quantity.range.min,
                        amount_max: a.quantity.range.max,
                        unit: a.quantity.unit.to_string().into(),
                        basis_amount: basis.amount,
                        basis_unit: basis.unit.as_str().into(),
                        ..Default::default()
                    });
                }
            }
        }
    }
    out
}

/// An amount of a nutrient that can be a content: not a weight, not per day.
fn is_content_amount(a: &AmountMention) -> bool {
    !a.weight_only && !a.per_day && a.quantity.unit != Unit::G
}

/// The foods for an amount (see the module documentation for the rules).
fn foods_for(doc: &Document, li: usize, si: usize, a: &AmountMention) -> Vec<Mention<FoodName>> {
    let Some(line) = doc.lines.get(li) else {
        return Vec::new();
    };
    let Some(sentence) = line.sentences.get(si) else {
        return Vec::new();
    };
    if line.kind == LineKind::TableRow {
        return line
            .cells
            .first()
            .map(|l| label_foods(l))
            .unwrap_or_default();
    }
    let s = &sentence.text;
    let label_food = line
        .label
        .as_deref()
        .and_then(|l| mentions::foods(l).into_iter().next());
    let mut foods = sentence_foods(s, a.start);
    if !foods.is_empty() {
        if let Some(lf) = label_food {
            // "Vette vis: zalm, makreel, haring en sardines leveren …": the label
            // is the group, the list its members
            let label_end = s.find(':').or_else(|| s.find(" – ")).unwrap_or(0);
            let first = &foods[0];
            if lf.value.group
                && first.start > label_end
                && s[label_end..first.start]
                    .trim_matches(|c: char| c == ':' || c == '–' || c.is_whitespace())
                    .is_empty()
                && !foods
                    .iter()
                    .any(|f| f.value.canonical == lf.value.canonical)
            {
                foods.retain(|f| f.start > label_end);
                foods.insert(0, lf);
            }
        }
        return foods;
    }
    if let Some(lf) = label_food {
        // "Cheese – Hard cheeses like Gouda … They offer 50 to 90 mcg": the
        // item's subject refines its label
        let refined = si
            .checked_sub(1)
            .and_then(|p| line.sentences.get(p))
            .and_then(|prev| {
                mentions::foods(&prev.text).into_iter().find(|f| {
                    f.value.canonical != lf.value.canonical
                        && f.value
                            .canonical
                            .ends_with(&format!(" {}", lf.value.canonical))
                })
            });
        return vec![refined.unwrap_or(lf)];
    }
    if si > 0 {
        if let Some(prev) = line.sentences.get(si - 1) {
            let all = sentence_foods(&prev.text, prev.text.len());
            if let Some(f) = all.into_iter().next() {
                return vec![f];
            }
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::parse_text;
    use crate::model::Qualifier;

    fn rows(text: &str) -> Vec<NutrientValue> {
        let doc = parse_text("t", "t.txt", text);
        extract_nutrient_values(&doc)
    }

    fn brief(v: &[NutrientValue]) -> Vec<String> {
        v.iter()
            .map(|r| {
                format!(
                    "{} {} {}{}-{} {} per {} {}",
                    r.food,
                    r.nutrient,
                    r.qualifier.as_str(),
                    r.amount_min,
                    r.amount_max,
                    r.unit,
                    r.basis_amount,
                    r.basis_unit
                )
            })
            .collect()
    }

    #[test]
    fn glued_english_table() {
        let v = rows("Intro about vitamin K2.\n\nFoodK2 content\nNatto (1 tablespoon)~100 mcg (very rich)\nAged cheeses (Gouda, Edam, Camembert)10-20 mcg per 25 g\nEgg yolk, chicken, liver, beef5-15 mcg per portion\n");
        assert_eq!(
            brief(&v),
            vec![
                "natto vitamin K2 approx100-100 ug per 1 tablespoon",
                "aged cheese vitamin K2 10-20 ug per 25 g",
                "egg yolk vitamin K2 5-15 ug per 1 portion",
                "chicken vitamin K2 5-15 ug per 1 portion",
                "liver vitamin K2 5-15 ug per 1 portion",
                "beef vitamin K2 5-15 ug per 1 portion",
            ]
        );
    }

    #[test]
    fn dutch_table_with_comma_decimals() {
        let v = rows("Vitamine K1 in groenten\n\nGroenteGehalte\nSpinazie (rauw)482,9 µg vitamine K1 per 100 g\nBoerenkool0,8 mg per 100 gram\n");
        assert_eq!(
            brief(&v),
            vec![
                "spinach vitamin K1 482.9-482.9 ug per 100 g",
                "kale vitamin K1 0.8-0.8 mg per 100 g"
            ]
        );
    }

    #[test]
    fn running_text_with_groups_and_examples() {
        let v = rows("Foods rich in Vitamin K2 include natto (150 mcg per tablespoon), hard cheeses like Gouda (50–90 mcg/100 g), egg yolks, liver.");
        assert_eq!(
            brief(&v),
            vec![
                "natto vitamin K2 150-150 ug per 1 tablespoon",
                "hard cheese vitamin K2 50-90 ug per 100 g"
            ]
        );
        let v = rows("Which foods contain vitamin K2?\nRich sources are: natto (very rich, ~100 mcg per tablespoon), aged cheeses (Gouda, Edam), egg yolk.");
        assert_eq!(
            brief(&v),
            vec!["natto vitamin K2 approx100-100 ug per 1 tablespoon"]
        );
    }

    #[test]
    fn list_items_carry_their_food() {
        let v = rows("Vitamin K2 sources\n- Natto – A popular dish made from fermented soybeans. It contains about 150 micrograms of Vitamin K2 per tablespoon.\n- Eel – This seafood provides 63 micrograms of Vitamin K2 per 100-gram serving.\n- Cheese – Hard cheeses like Gouda or Jarlsberg are rich. They offer 50 to 90 micrograms per 100 grams.");
        assert_eq!(
            brief(&v),
            vec![
                "natto vitamin K2 approx150-150 ug per 1 tablespoon",
                "eel vitamin K2 63-63 ug per 100 g",
                "hard cheese vitamin K2 50-90 ug per 100 g",
            ]
        );
    }

    #[test]
    fn dutch_list_items_and_portion_weights() {
        let v = rows("Bronnen van vitamine K2:\n- Natto: Gefermenteerde sojabonen zijn rijk aan MK-7. Een portie (50 g) kan tot 500 µg vitamine K2 bevatten.\n- Vette vis: zalm, makreel en haring leveren tot 20 µg vitamine D3 per 100 g.");
        assert_eq!(
            brief(&v),
            vec![
                "natto vitamin K2 up_to500-500 ug per 50 g",
                "fatty fish vitamin D3 up_to20-20 ug per 100 g",
                "salmon vitamin D3 up_to20-20 ug per 100 g",
                "mackerel vitamin D3 up_to20-20 ug per 100 g",
                "herring vitamin D3 up_to20-20 ug per 100 g",
            ]
        );
    }

    #[test]
    fn intakes_and_levels_are_not_contents() {
        assert!(rows("Adults need 90 to 120 mcg of vitamin K2 daily. Eat natto.").is_empty());
        assert!(rows("Natto: neem 180 mcg per dag (samen met 2000 ie vitamine D3).").is_empty());
        assert!(rows("Een spiegel onder de 20 ng/ml bij 1-2 eggs per day.").is_empty());
        assert!(rows("Producten met MK-7 bevatten meestal 50-200 µg per capsule.").is_empty());
    }

    #[test]
    fn english_thousands_and_ounces() {
        let v = rows("Cod liver oil provides about 1,360 IU of vitamin D per tablespoon, and salmon around 570 IU per 3 oz.");
        assert_eq!(
            brief(&v),
            vec![
                "cod liver oil vitamin D approx1360-1360 IU per 1 tablespoon",
                "salmon vitamin D approx570-570 IU per 3 oz",
            ]
        );
    }

    /// One row of a sentence, with its stated amount, qualifier and basis.
    fn only(text: &str) -> NutrientValue {
        let v = rows(text);
        assert_eq!(v.len(), 1, "{text}: {:?}", brief(&v));
        v.into_iter().next().unwrap()
    }

    #[test]
    fn every_number_format_in_both_languages() {
        for (text, min, max) in [
            (
                "Spinazie bevat 482,9 µg vitamine K1 per 100 g.",
                482.9,
                482.9,
            ),
            (
                "Levertraan levert 4.000 IE vitamine D per 100 g.",
                4000.0,
                4000.0,
            ),
            (
                "Cod liver oil provides 10,000 IU of vitamin D per 100 g.",
                10000.0,
                10000.0,
            ),
            (
                "Cod liver oil provides 1.5 mg of vitamin D per 100 g.",
                1.5,
                1.5,
            ),
            (
                "Levertraan levert 1 200 IE vitamine D per 100 g.",
                1200.0,
                1200.0,
            ),
            (
                "Levertraan levert 1\u{202f}200 IE vitamine D per 100 g.",
                1200.0,
                1200.0,
            ),
        ] {
            let r = only(text);
            assert_eq!((r.amount_min, r.amount_max), (min, max), "{text}");
        }
    }

    #[test]
    fn every_range_form_in_both_languages() {
        for text in [
            "Natto contains 900-1100 µg of vitamin K2 per 100 g.",
            "Natto contains 900–1100 µg of vitamin K2 per 100 g.",
            "Natto contains 900—1100 µg of vitamin K2 per 100 g.",
            "Natto contains 900 to 1100 µg of vitamin K2 per 100 g.",
            "Natto bevat 900 tot 1100 µg vitamine K2 per 100 g.",
            "Natto bevat tussen 900 en 1100 µg vitamine K2 per 100 g.",
            "Natto contains between 900 and 1100 µg of vitamin K2 per 100 g.",
        ] {
            let r = only(text);
            assert_eq!((r.amount_min, r.amount_max), (900.0, 1100.0), "{text}");
            assert_eq!(r.food, "natto");
        }
    }

    #[test]
    fn every_qualifier_of_the_lexicon() {
        for (phrase, q) in lexicon::QUALIFIER_PHRASES.iter() {
            // "tot" and friends read as a range end after a number; here they open the amount
            let text = format!("Natto bevat {phrase} 900 µg vitamine K2 per 100 g.");
            let r = only(&text);
            assert_eq!(r.qualifier, *q, "{text}");
        }
        assert_eq!(
            only("Natto bevat meestal 900 µg vitamine K2 per 100 g.").qualifier,
            Qualifier::Exact
        );
    }

    #[test]
    fn every_basis_spelling() {
        for (spelling, info) in lexicon::BASIS_UNITS_BY_SPELLING.iter() {
            let text = format!("Natto contains 90 µg of vitamin K2 per 2 {spelling}.");
            let r = only(&text);
            assert_eq!(r.basis_unit, info.unit, "{text}");
            assert_eq!(r.basis_amount, 2.0 * info.scale, "{text}");
        }
        let r = only("Natto contains 90 µg of vitamin K2 per 100-gram serving.");
        assert_eq!((r.basis_amount, r.basis_unit.as_str()), (100.0, "g"));
        let r = only("Goudse kaas: per plak (20 g) ongeveer 10 µg vitamine K2.");
        assert_eq!((r.basis_amount, r.basis_unit.as_str()), (20.0, "g"));
        let r = only("Een portie natto (50 g) bevat 500 µg vitamine K2.");
        assert_eq!((r.basis_amount, r.basis_unit.as_str()), (50.0, "g"));
    }
}
