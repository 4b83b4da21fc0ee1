//! Vitamin K form mentions (table `forms`).
//!
//! Counted always: chemical names and codes (menaquinone-7, MK7, K2-7,
//! menatetrenon, phylloquinone, menaquinone, the bare abbreviation "MK"), and
//! ranges "MK-4 tot MK-13" as one item. Never counted: "vitamin K2", "VK2",
//! "vitamins K2 and D3" and hyphenated compounds ("K2-rich") — these name the
//! nutrient. A bare "K1"/"K2" counts only on a line that names both K1 and K2,
//! because only there does the text compare the forms ("90% K1 en 10% K2").

use crate::per_thread::PerThread;
use std::sync::LazyLock;

use regex::Regex;

use crate::lexicon;
use crate::model::{row_id, Document, FormMention, LineKind};
use crate::values::MkForm;
use crate::words::WholeWord;

/// "MK-4 tot MK-13": the range, then its two ends (groups 1, 2, 3).
const RANGE_PATTERN: &str =
    r"MK[\s-]?(\d{1,2})\s*(?:tot(?:\s+en\s+met)?|to|through|t/m|-|–|—)\s*MK[\s-]?(\d{1,2})";

static RANGE: PerThread<Regex> = PerThread::new(|| {
    Regex::new(&format!(
        r"(?i)(?:^|[^\p{{L}}\p{{N}}])({RANGE_PATTERN})(?:$|[^\p{{L}}\p{{N}}])"
    ))
    .expect("range regex compiles")
});

/// [`RANGE`] without its boundaries: a line without a match of it holds no
/// range, and this search skips ahead on the letters "MK" where `RANGE` must
/// step through every byte.
static RANGE_ANYWHERE: PerThread<Regex> =
    PerThread::new(|| Regex::new(&format!("(?i){RANGE_PATTERN}")).expect("range regex compiles"));

static CHEMICAL: LazyLock<WholeWord> = LazyLock::new(|| {
    WholeWord::new("(?i)", &lexicon::FORM_SOURCES.join("|"), &[])
        .expect("form patterns from data/forms.tsv compile")
});

/// A bare "K1"/"K2" token (case-sensitive: "k2" in running text is rare and
/// ambiguous).
static BARE: LazyLock<WholeWord> =
    LazyLock::new(|| WholeWord::new("", "K[12]", &[]).expect("regex"));

/// "vitamin(e)(s) " right before a token: the token names the nutrient.
static VITAMIN_BEFORE: PerThread<Regex> = PerThread::new(|| {
    Regex::new(r"(?i)(?:vitamin(?:e|es|s|en)?\s+$|vitamin(?:e|es|s|en)?\s+[A-Z]\d{0,2}\s*(?:,|and|en|&|or|of|/|\+)\s*$)")
        .expect("regex")
});

static NAMES_K1: LazyLock<WholeWord> = LazyLock::new(|| {
    WholeWord::new(
        "(?i)",
        "K1|phylloquinone|fylloquinon|phytomenadione|fytomenadion",
        &[],
    )
    .expect("regex")
});

static NAMES_K2: LazyLock<WholeWord> = LazyLock::new(|| {
    WholeWord::new(
        "(?i)",
        r"K2|MK[\s-]?\d{1,2}|menaquinon\w*|menachinon\w*|menatetrenon\w*",
        &[],
    )
    .expect("regex")
});

/// Form mentions in one line of text: `(byte offset, as written, form)`.
pub fn forms_in_line(text: &str) -> Vec<(usize, String, MkForm)> {
    let mut out: Vec<(usize, String, MkForm)> = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let ranges = RANGE_ANYWHERE
        .is_match(text)
        .then(|| RANGE.captures_iter(text));
    for c in ranges.into_iter().flatten() {
        let (Some(m), Some(a), Some(b)) = (c.get(1), c.get(2), c.get(3)) else {
            continue;
        };
        let (Ok(a), Ok(b)) = (a.as_str().parse::<u8>(), b.as_str().parse::<u8>()) else {
            continue;
        };
        if let Ok(f) = format!("MK-{a}..MK-{b}").parse::<MkForm>() {
            out.push((m.start(), m.as_str().to_string(), f));
            taken.push((m.start(), m.end()));
        }
    }
    let overlaps =
        |s: usize, e: usize, taken: &[(usize, usize)]| taken.iter().any(|&(a, b)| s < b && a < e);
    for m in CHEMICAL.find_all(text) {
        if overlaps(m.start, m.end, &taken) {
            continue;
        }
        let raw = &text[m.clone()];
        if let Ok(f) = raw.parse::<MkForm>() {
            out.push((m.start, raw.to_string(), f));
            taken.push((m.start, m.end));
        }
    }
    if NAMES_K1.find(text).is_some() && NAMES_K2.find(text).is_some() {
        for m in BARE.find_all(text) {
            if overlaps(m.start, m.end, &taken) {
                continue;
            }
            if text[m.end..].starts_with('-') || VITAMIN_BEFORE.is_match(&text[..m.start]) {
                continue;
            }
            let raw = &text[m.clone()];
            let f = if raw == "K1" { MkForm::K1 } else { MkForm::K2 };
            out.push((m.start, raw.to_string(), f));
        }
    }
    out.sort_by_key(|x| x.0);
    out
}

/// Form mentions of a line; a table row is read cell by cell, because glued
/// cells ("FormMK-7") hide the word boundary before the name.
fn forms_in_cells(line: &crate::model::Line) -> Vec<(usize, String, MkForm)> {
    if !matches!(line.kind, LineKind::TableRow | LineKind::TableHeader) || line.cells.len() < 2 {
        return forms_in_line(&line.text);
    }
    let mut out = Vec::new();
    let mut from = 0;
    for cell in &line.cells {
        let Some(at) = crate::words::find_from(&line.text, cell, from) else {
            continue;
        };
        out.extend(
            forms_in_line(cell)
                .into_iter()
                .map(|(o, r, f)| (o + at, r, f)),
        );
        from = at + cell.len();
    }
    out
}

/// Every form mention of a document.
pub fn extract_forms(doc: &Document) -> Vec<FormMention> {
    let mut out = Vec::new();
    for line in &doc.lines {
        if line.kind == LineKind::Blank {
            continue;
        }
        for (offset, raw, form) in forms_in_cells(line) {
            let lang = line
                .sentences
                .iter()
                .rev()
                .find(|s| s.start <= offset)
                .or(line.sentences.first())
                .map_or(doc.lang, |s| s.lang());
            out.push(FormMention {
                id: row_id(
                    "forms",
                    &[&doc.id, &line.no.to_string(), &offset.to_string()],
                ),
                doc: doc.id.as_str().into(),
                line: line.no,
                offset,
                lang,
                form_raw: raw.into(),
                form: form.to_string().into(),
            });
        }
    }
    out
}

/// Convenience for tests and callers without a document.
pub fn form_codes(text: &str) -> Vec<String> {
    forms_in_line(text)
        .into_iter()
        .map(|(_, _, f)| f.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The form searches find what their plain boundary regexes find, on
    /// every line of the sources and on glued and hyphenated forms.
    #[test]
    fn form_searches_equal_their_plain_regexes() {
        let lines = crate::testing::written_and_source_lines(&[
            "MK-7MK-4",
            "vitamine K2-MK7",
            "menaquinone-7's",
            "K1/K2",
            "xK2 K2x K2",
            "fylloquinon (K1) en menachinonen",
            "MK-4 tot MK-13",
            "MK7-MK9",
        ]);
        let mut found = 0;
        for line in &lines {
            for w in [&*CHEMICAL, &*BARE, &*NAMES_K1, &*NAMES_K2] {
                let fast: Vec<_> = w.find_all(line).collect();
                assert_eq!(fast, w.find_all_plain(line), "{line}");
                found += fast.len();
            }
        }
        assert!(found > 50);
    }

    #[test]
    fn chemical_names_always_count() {
        assert_eq!(
            form_codes(
                "Vitamine K2 (menachinon) is een verzamelnaam voor menachinonen (MK-4 tot MK-13)."
            ),
            vec!["K2", "K2", "MK-4..MK-13"]
        );
        assert_eq!(
            form_codes("Menaquinone-7 (MK-7) and menatetrenone"),
            vec!["MK-7", "MK-7", "MK-4"]
        );
        assert_eq!(
            form_codes("The most effective form is MK7, not MK 4."),
            vec!["MK-7", "MK-4"]
        );
        assert_eq!(
            form_codes("A role of Vitamin K2-7 in neuropathy"),
            vec!["MK-7"]
        );
        assert_eq!(
            form_codes("de afkorting MK gevolgd door een nummer"),
            vec!["K2"]
        );
        assert_eq!(form_codes("fylloquinon uit bladgroenten"), vec!["K1"]);
    }

    #[test]
    fn nutrient_names_never_count() {
        assert!(form_codes("Vitamin K2 and vitamin K1 are different; VK2 helps.").is_empty());
        assert!(form_codes("Eat K2-rich foods; K2-suppletie helpt.").is_empty());
        assert!(form_codes("Vitamine D3 en K2 werken samen.").is_empty());
    }

    #[test]
    fn bare_k1_k2_only_when_compared() {
        assert_eq!(
            form_codes("Voeding bevat 90% K1 en slechts 10% K2."),
            vec!["K1", "K2"]
        );
        assert_eq!(
            form_codes("It works better than K1 or other K2 forms."),
            vec!["K1", "K2"]
        );
        assert_eq!(
            form_codes("Naast vitamine K1 is er zijn tegenhanger K2."),
            vec!["K2"]
        );
        assert!(form_codes("Which form of K2 is best?").is_empty());
        assert!(form_codes("Eating more vitamin K1 and K2 lowers risk.").is_empty());
    }
}
