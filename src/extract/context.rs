//! Which nutrient and which vitamin K form an amount is about.
//!
//! The nutrient comes from the amount's own words first ("500 µg vitamine K2"),
//! then the nearest name before it in the sentence, then (for table rows) the
//! row's label and the table header, then earlier sentences of the section going
//! back, then the section heading. A form named with the amount settles the
//! nutrient: MK-n or menaquinone is vitamin K2, phylloquinone vitamin K1.
//!
//! The form is only taken from the same sentence or table row (the contract's
//! rule): a form named in the previous sentence is not carried over.

use crate::model::{Document, LineKind};
use crate::values::MkForm;

use super::mentions;
use super::quantities::AmountMention;

/// Position of a sentence in a document.
#[derive(Debug, Clone, Copy)]
pub struct At {
    /// Index into `doc.lines`.
    pub line: usize,
    /// Index into that line's `sentences`.
    pub sentence: usize,
}

/// How many earlier lines of a section are searched for a nutrient name.
const LOOKBACK_LINES: usize = 12;

/// The last nutrient a text names as its topic. A name inside a parenthesis
/// that holds a number is bound to that amount ("(samen met 2000 ie vitamine
/// D3)" is a co-nutrient dose), so it does not make the topic of what follows.
fn last_nutrient(text: &str) -> Option<&'static str> {
    let spans = numbered_paren_spans(text);
    mentions::nutrients(text)
        .iter()
        .rev()
        .find(|m| !spans.iter().any(|&(a, e)| a < m.start && m.end <= e))
        .map(|m| m.value)
}

/// Byte ranges of the parenthesised parts of `text` that contain a digit.
fn numbered_paren_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for (i, c) in text.char_indices() {
        match c {
            '(' => stack.push(i),
            ')' => {
                if let Some(a) = stack.pop() {
                    if text
                        .get(a..i)
                        .is_some_and(|p| p.chars().any(|c| c.is_ascii_digit()))
                    {
                        out.push((a, i + 1));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The text of a line to search for a topic nutrient: a table row's cells
/// apart, because scrapers glue them ("FormMK-7" is "Form" | "MK-7").
fn line_topic_text(l: &crate::model::Line) -> String {
    if matches!(l.kind, LineKind::TableRow | LineKind::TableHeader) && l.cells.len() > 1 {
        l.cells.join(" | ")
    } else {
        l.text.clone()
    }
}

/// The nutrient an amount is about, or `None` when nothing names one.
pub fn nutrient_for(doc: &Document, at: At, amount: &AmountMention) -> Option<&'static str> {
    if let Some(f) = amount.form_after {
        return Some(nutrient_of_form(f));
    }
    if let Some(n) = amount.nutrient_after {
        return Some(n);
    }
    let line = doc.lines.get(at.line)?;
    let sentence = line.sentences.get(at.sentence)?;
    let s = &sentence.text;
    let names = mentions::nutrients(s);
    if let Some(m) = names.iter().rev().find(|m| m.end <= amount.start) {
        return Some(m.value);
    }
    // a name shortly after the amount, unless another number comes first: then
    // the name belongs to that amount ("180 mcg per dag (samen met 2000 ie
    // vitamine D3)")
    if let Some(m) = names.iter().find(|m| {
        m.start >= amount.tail_end
            && m.start - amount.tail_end <= 40
            && !s
                .get(amount.tail_end..m.start)
                .is_some_and(|gap| gap.chars().any(|c| c.is_ascii_digit()))
    }) {
        return Some(m.value);
    }
    if line.kind == LineKind::TableRow {
        if let Some(label) = line.cells.first() {
            if let Some(n) = last_nutrient(label) {
                return Some(n);
            }
        }
        if let Some(h) = line.table_header.and_then(|h| doc.lines.get(h)) {
            if let Some(n) = last_nutrient(&h.text) {
                return Some(n);
            }
        }
    }
    // earlier sentences of the same line
    for prev in line.sentences[..at.sentence.min(line.sentences.len())]
        .iter()
        .rev()
    {
        if let Some(n) = last_nutrient(&prev.text) {
            return Some(n);
        }
    }
    // earlier lines of the section
    let stop = line.section.unwrap_or(0);
    let mut seen = 0;
    let mut i = at.line;
    while i > stop && seen < LOOKBACK_LINES {
        i -= 1;
        let l = &doc.lines[i];
        if l.kind == LineKind::Blank {
            continue;
        }
        seen += 1;
        if let Some(n) = last_nutrient(&line_topic_text(l)) {
            return Some(n);
        }
    }
    // the section heading, then earlier headings
    let mut sec = line.section;
    while let Some(h) = sec {
        let hl = doc.lines.get(h)?;
        if let Some(n) = last_nutrient(&hl.text) {
            return Some(n);
        }
        sec = hl.section.or_else(|| {
            doc.lines[..h]
                .iter()
                .rposition(|l| l.kind == LineKind::Heading)
        });
    }
    None
}

/// The nutrient a vitamin K form belongs to.
pub fn nutrient_of_form(f: MkForm) -> &'static str {
    match f {
        MkForm::K1 => "vitamin K1",
        _ => "vitamin K2",
    }
}

/// The vitamin K form of an amount: named with it ("45 mg menatetrenon (MK-4)",
/// "MK-7 (375 µg/dag)"), else the first form the sentence names; empty for
/// other nutrients.
pub fn form_for(sentence: &str, amount: &AmountMention, nutrient: &str) -> String {
    if !nutrient.starts_with("vitamin K") {
        return String::new();
    }
    if let Some(f) = amount.form_after {
        return f.to_string();
    }
    let forms = mentions::row_forms(sentence);
    if let Some(f) = forms.iter().rev().find(|f| {
        f.end <= amount.start && {
            let between = sentence[f.end..amount.start].trim();
            between.is_empty()
                || between == "("
                || between == ":"
                || between == "(als"
                || between == "van"
        }
    }) {
        return f.value.to_string();
    }
    forms
        .first()
        .map(|f| f.value.to_string())
        .unwrap_or_default()
}
