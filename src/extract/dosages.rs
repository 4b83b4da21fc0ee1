//! Intake and dose statements (table `dosages`): "arteriosclerose: 180-720 mcg
//! per dag (samen met 1000-2000 ie vitamine D3)", "Dosage | 90-180 mcg per day
//! (maintenance)", "Adults need 90 to 120 mcg daily", "vitamine K2 (45 mg/dag),
//! vitamine D3 (250 IE/dag) en calcium (1,2 g/dag)", "driemaal daags 15 mg".
//!
//! An amount is a dose when it is stated per day ("per dag", "/day", "daily"
//! right after it), or when its sentence speaks of taking, needing or studying
//! an amount (a daily word or a dose word anywhere in it: "dagelijkse inname van
//! 20 µg", "doses van 45 mg", "kregen … vitamine D (400 IE)"). Food contents are
//! never doses: an amount with a basis ("per 100 g", "per capsule"), a weight
//! ("Een portie (50 g)"), or an amount a food "contains" without "per day" is
//! left to `nutrient_values`. Serum levels (ng/ml, nmol/l), eggs and minutes are
//! not amounts of the grammar at all.
//!
//! One row per amount: a parenthetical equivalent ("20 µg (800 IE)") stays on
//! the row (`alt_*`), every nutrient of a study arm or a co-nutrient
//! ("samen met 2000 ie vitamine D3") is its own row, and each row lists the other
//! nutrients dosed in the same sentence as `co_nutrients`.
//!
//! Who and what for come from the lexicons `data/indications.tsv` and
//! `data/populations.tsv` (see [`indication_for`] for the order in which the
//! label, the sentence, the sentences before it and the heading are asked).

use std::sync::LazyLock;

use regex::Regex;

use crate::lexicon::{self, PhraseClass, PhraseHit};
use crate::model::{row_id, Document, Dosage, Line, LineKind, Sentence, Warning};
use crate::values::{Quantity, Unit};

use super::context::{self, At};
use super::quantities::{self, AmountMention};

/// Words that make an amount without "per day" an intake: a daily word, a dose
/// word, or a verb of taking, needing, advising or giving.
static DOSE_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)(?:^|[^\p{L}\p{N}])(?:
            dagelijks\w* | daily | per\s+(?:dag|day) | a\s+day | daags | /\s*(?:dag|day)
          | dos[ei]s | doses | dosage\w* | dosering\w* | dose | doseer\w*
          | intake | inname | supplement\w* | suppletie | suppleren
          | aanbevolen | aanbeveling\w* | adviseren | geadviseerd | advies
          | recommend\w* | advised? | suggest\w*
          | take | takes | taking | innemen | innamen | ingenomen | neem | neemt | slikken
          | kreeg | kregen | krijgen | received? | given | administered | toegediend
          | need | needs | nodig | behoefte | requires? | aim\s+for | should\s+get
        )(?:$|[^\p{L}\p{N}])",
    )
    .expect("dose cue regex compiles")
});

/// Words of a food content ("Natto bevat 1000 µg"): such an amount is a dose
/// only when it is stated per day.
static CONTENT_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:^|[^\p{L}\p{N}])(?:bevat\w*|contains?|contained|levert|leveren|provides?|offers?|rijk\w*|rich|bronnen|sources?)(?:$|[^\p{L}\p{N}])",
    )
    .expect("content cue regex compiles")
});

/// A stated number of intakes per day: "driemaal daags", "twee keer per dag",
/// "3 times daily", "twice a day", "3x per dag", "3 dd".
static TIMES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)(?:^|[^\p{L}\p{N}])(?:
            (?:(?P<w>eenmaal|éénmaal|tweemaal|driemaal|viermaal|vijfmaal|once|twice|thrice)
              | (?P<n>\d+|een|één|twee|drie|vier|vijf|one|two|three|four|five)\s*(?:x|×|keer|maal|times))
            \s*(?:per\s+dag|daags|per\s+day|a\s+day|daily|dagelijks|each\s+day|every\s+day|/\s*(?:dag|day))
          | (?P<dd>\d)\s*dd
        )(?:$|[^\p{L}\p{N}])",
    )
    .expect("times-per-day regex compiles")
});

/// A daily amount split into an unstated number of intakes.
static SPLIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:split|divided|spread)\s+(?:into|over|across)\s+(?:multiple|several|smaller|separate)|in\s+divided\s+doses|verdeeld\s+over\s+(?:meerdere|verschillende|een\s+aantal)|in\s+(?:meerdere|verschillende)\s+(?:giften|doses|porties|innamemomenten|keren)",
    )
    .expect("split regex compiles")
});

/// "for men", "voor vrouwen", "bij ouderen" right after an amount: the group
/// that amount is for ("120 mcg daily for men and 90 mcg for women").
static FOR_GROUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[\s,]*(?:(?:is|are)\s+)?(?:for|voor|bij|in)\s+(?:the\s+|de\s+|het\s+)?")
        .expect("for-group regex compiles")
});

/// Words of advice: "Experts suggest daily doses between 90–200 mcg".
static RECOMMEND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:^|[^\p{L}\p{N}])(?:recommend\w*|suggest\w*|advi[sc]e\w*|should|aim\s+for|aanbevolen|aanbeveling\w*|aanraden|geadviseerd|adviseren|advies|moet|moeten|wordt\s+geadviseerd)(?:$|[^\p{L}\p{N}])",
    )
    .expect("recommendation regex compiles")
});

/// Indication of advice that names no purpose or group.
pub const GENERAL_RECOMMENDATION: &str = "general recommendation";

/// A note about a dose the lead may put into the report (times per day unknown).
pub const NOTE_FREQUENCY_UNKNOWN: &str = "dose_frequency_unknown";

/// Every dose statement of a document.
pub fn extract_dosages(doc: &Document) -> Vec<Dosage> {
    extract_dosages_with_notes(doc).0
}

/// Every dose statement of a document, and notes for a reviewer: doses whose
/// number of intakes per day is stated but unknown ("split into multiple
/// servings"); their `times_per_day` is `None` and their per-day figures are
/// left as stated.
pub fn extract_dosages_with_notes(doc: &Document) -> (Vec<Dosage>, Vec<Warning>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for (li, line) in doc.lines.iter().enumerate() {
        if matches!(
            line.kind,
            LineKind::Blank | LineKind::Heading | LineKind::TableHeader
        ) {
            continue;
        }
        for (si, sentence) in line.sentences.iter().enumerate() {
            let first = out.len();
            sentence_dosages(doc, li, si, sentence, &mut out, &mut notes);
            fill_co_nutrients(&mut out[first..]);
        }
    }
    out.sort_by_key(|d| (d.line, d.offset));
    out.dedup_by(|a, b| a.line == b.line && a.offset == b.offset && a.nutrient == b.nutrient);
    (out, notes)
}

/// The dose rows of one sentence.
fn sentence_dosages(
    doc: &Document,
    li: usize,
    si: usize,
    sentence: &Sentence,
    out: &mut Vec<Dosage>,
    notes: &mut Vec<Warning>,
) {
    let Some(line) = doc.lines.get(li) else {
        return;
    };
    let s = &sentence.text;
    let amounts = quantities::find_amounts_in(line, sentence);
    if amounts.is_empty() {
        return;
    }
    let label = line_label(line);
    let cue = DOSE_CUE.is_match(s) || label.is_some_and(|l| DOSE_CUE.is_match(l));
    let content = CONTENT_CUE.is_match(s);
    let mut context: Option<DoseContext> = None;
    for (ai, a) in amounts.iter().enumerate() {
        if !is_dose_amount(a, &amounts, cue, content) {
            continue;
        }
        let at = At {
            line: li,
            sentence: si,
        };
        let Some(nutrient) = context::nutrient_for(doc, at, a) else {
            continue;
        };
        let ctx = context.get_or_insert_with(|| DoseContext::of(doc, li, si));
        let next_start = amounts.get(ai + 1).map_or(s.len(), |n| n.start);
        let population = population_after(s, a.tail_end, next_start)
            .map(str::to_string)
            .unwrap_or_else(|| ctx.population.clone());
        let indication = if ctx.indication.is_empty() {
            population.clone()
        } else {
            ctx.indication.clone()
        };
        let times = times_per_day(s, a);
        let times_per_day = match times {
            Frequency::Times(n) => Some(n),
            Frequency::Unknown => {
                notes.push(Warning {
                    file: doc.file.clone(),
                    line: Some(line.no),
                    kind: NOTE_FREQUENCY_UNKNOWN.into(),
                    message: format!(
                        "\"{}\": the number of intakes per day is not stated; the amount is kept as the daily figure",
                        a.text
                    ),
                });
                None
            }
        };
        let (value_ug_min, value_ug_max) = per_day_ug(
            &a.quantity,
            a.alt.as_ref(),
            nutrient,
            times_per_day.unwrap_or(1.0),
        );
        let offset = sentence.start + a.start;
        out.push(Dosage {
            id: row_id(
                "dosages",
                &[&doc.id, &line.no.to_string(), &offset.to_string(), nutrient],
            ),
            doc: doc.id.clone(),
            line: line.no,
            offset,
            quote: s.clone(),
            lang: sentence.lang,
            nutrient: nutrient.to_string(),
            form: context::form_for(s, a, nutrient),
            qualifier: a.quantity.qualifier,
            indication,
            indication_raw: ctx.indication_raw.clone(),
            population,
            amount_min: a.quantity.range.min,
            amount_max: a.quantity.range.max,
            unit: a.quantity.unit.to_string(),
            times_per_day,
            value_ug_min,
            value_ug_max,
            co_nutrients: Vec::new(),
            alt_amount_min: a.alt.as_ref().map(|q| q.range.min),
            alt_amount_max: a.alt.as_ref().map(|q| q.range.max),
            alt_unit: a
                .alt
                .as_ref()
                .map(|q| q.unit.to_string())
                .unwrap_or_default(),
        });
    }
}

/// Whether an amount is a dose (see the module documentation).
fn is_dose_amount(a: &AmountMention, all: &[AmountMention], cue: bool, content: bool) -> bool {
    if a.weight_only || a.basis.is_some() {
        return false;
    }
    if a.per_day {
        return true;
    }
    // "Een portie (50 g) kan tot 500 µg bevatten": a weight before it makes it a content
    if all.iter().any(|w| w.weight_only && w.end <= a.start) {
        return false;
    }
    cue && !content
}

/// The label of a line: a list item's "Label:" or a table row's first cell.
fn line_label(line: &Line) -> Option<&str> {
    if line.kind == LineKind::TableRow {
        return line.cells.first().map(String::as_str);
    }
    line.label.as_deref()
}

/// Number of intakes per day.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Frequency {
    Times(f64),
    /// "split into multiple servings": stated, but not how many.
    Unknown,
}

/// The intakes per day stated with an amount: in its clause right before it
/// ("menatetrenon, driemaal daags 15 mg") or right after it ("15 mg twee keer
/// per dag"). One intake unless stated.
fn times_per_day(s: &str, a: &AmountMention) -> Frequency {
    let before = s.get(..a.start).unwrap_or("");
    let clause_start = before.rfind([',', ';', '(', ':', '.']).map_or(0, |i| i + 1);
    let clause = before.get(clause_start..).unwrap_or("");
    let after = s.get(a.tail_end..).unwrap_or("");
    let near_after = after.get(..after.len().min(60)).map_or(after, |x| x);
    let found = TIMES
        .captures_iter(clause)
        .last()
        .filter(|c| {
            c.get(0)
                .is_some_and(|m| clause[m.end()..].trim().is_empty())
        })
        .or_else(|| {
            TIMES.captures(near_after).filter(|c| {
                c.get(0)
                    .is_some_and(|m| near_after[..m.start()].trim().is_empty())
            })
        });
    if let Some(c) = found {
        if let Some(n) = times_from_captures(&c) {
            return Frequency::Times(n);
        }
    }
    let window_end = floor_char_boundary(after, 80);
    if after.get(..window_end).is_some_and(|w| SPLIT.is_match(w)) {
        return Frequency::Unknown;
    }
    Frequency::Times(1.0)
}

/// The largest char boundary of `s` at or below `i`.
fn floor_char_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn times_from_captures(c: &regex::Captures<'_>) -> Option<f64> {
    let word = c
        .name("w")
        .or_else(|| c.name("n"))
        .or_else(|| c.name("dd"))?
        .as_str()
        .to_lowercase();
    let n = match word.as_str() {
        "eenmaal" | "éénmaal" | "once" | "een" | "één" | "one" => 1.0,
        "tweemaal" | "twice" | "twee" | "two" => 2.0,
        "driemaal" | "thrice" | "drie" | "three" => 3.0,
        "viermaal" | "vier" | "four" => 4.0,
        "vijfmaal" | "vijf" | "five" => 5.0,
        other => other.parse().ok()?,
    };
    (n > 0.0).then_some(n)
}

/// The per-day amount in ug: amount × intakes × the unit's factor. Where the
/// unit has no factor for the nutrient (IU of vitamin K), a stated equivalent
/// in a mass unit is used; else null.
fn per_day_ug(
    q: &Quantity,
    alt: Option<&Quantity>,
    nutrient: &str,
    times: f64,
) -> (Option<f64>, Option<f64>) {
    if let Some(f) = q.unit.ug_factor(nutrient) {
        return (Some(q.range.min * f * times), Some(q.range.max * f * times));
    }
    if let Some(alt) = alt.filter(|x| x.unit != Unit::Iu) {
        if let Some(f) = alt.unit.ug_factor(nutrient) {
            return (
                Some(alt.range.min * f * times),
                Some(alt.range.max * f * times),
            );
        }
    }
    (None, None)
}

/// A population phrase right after an amount, before the next amount: "120 mcg
/// daily for men and 90 mcg for women".
fn population_after(s: &str, from: usize, to: usize) -> Option<&'static str> {
    let gap = s.get(from..to.max(from))?;
    let m = FOR_GROUP.find(gap)?;
    let rest = gap.get(m.end()..)?;
    lexicon::find_phrases(&lexicon::POPULATION_PHRASES, rest)
        .into_iter()
        .next()
        .filter(|h| h.start <= 1)
        .map(|h| h.canonical)
}

/// What a sentence says about the doses in it: their indication and population.
#[derive(Debug, Clone, Default)]
struct DoseContext {
    /// Canonical indications, conditions first, joined with ", ".
    indication: String,
    /// The phrases as written, joined with "; ".
    indication_raw: String,
    population: String,
}

impl DoseContext {
    fn of(doc: &Document, li: usize, si: usize) -> DoseContext {
        let Some(line) = doc.lines.get(li) else {
            return DoseContext::default();
        };
        let (hits, population) = indication_for(doc, line, si);
        let mut canon: Vec<&str> = Vec::new();
        let mut raw: Vec<String> = Vec::new();
        for class in [PhraseClass::Condition, PhraseClass::Context] {
            for h in hits.iter().filter(|h| h.class == class) {
                if !canon.contains(&h.canonical) {
                    canon.push(h.canonical);
                }
            }
        }
        for h in &hits {
            if !raw.iter().any(|r| r.eq_ignore_ascii_case(&h.raw)) {
                raw.push(h.raw.clone());
            }
        }
        DoseContext {
            indication: canon.join(", "),
            indication_raw: raw.join("; "),
            population: population.unwrap_or_default().to_string(),
        }
    }
}

fn indication_hits(text: &str) -> Vec<PhraseHit> {
    lexicon::find_phrases(&lexicon::INDICATION_PHRASES, text)
}

fn first_population(text: &str) -> Option<&'static str> {
    lexicon::find_phrases(&lexicon::POPULATION_PHRASES, text)
        .into_iter()
        .next()
        .map(|h| h.canonical)
}

fn has_condition(hits: &[PhraseHit]) -> bool {
    hits.iter().any(|h| h.class == PhraseClass::Condition)
}

/// Indication phrases and population of sentence `si` of `line`, asked in this
/// order:
///
/// 1. the line's label ("arteriosclerose:", a table row's label cell) and the
///    sentence itself;
/// 2. when these name no condition, the nearest earlier sentence of the same
///    line (list item or paragraph) that does: a study names its patients in
///    one sentence and its arms in the next. When the sentence names nothing
///    at all, that sentence's context words are taken too ("… with specific
///    foods. Aim for 10 to 45 micrograms daily");
/// 3. when there is still no condition and no population, the section heading
///    ("Osteoporose voorkomen") gives its conditions, or else its context words.
///
/// A sentence that states no purpose ("MK-4 wordt vaak gebruikt in hogere
/// doses (45 mg)") keeps an empty indication: nothing is made up.
fn indication_for(
    doc: &Document,
    line: &Line,
    si: usize,
) -> (Vec<PhraseHit>, Option<&'static str>) {
    let Some(sentence) = line.sentences.get(si) else {
        return (Vec::new(), None);
    };
    let label = line_label(line).unwrap_or("");
    let mut hits = indication_hits(label);
    let label_in_sentence = !label.is_empty() && sentence.text.contains(label);
    for h in indication_hits(&sentence.text) {
        if !(label_in_sentence && hits.iter().any(|x| x.canonical == h.canonical)) {
            hits.push(h);
        }
    }
    let mut population = first_population(label).or_else(|| first_population(&sentence.text));
    if !has_condition(&hits) {
        let had_any = !hits.is_empty();
        for prev in line.sentences.get(..si).unwrap_or(&[]).iter().rev() {
            let prev_hits = indication_hits(&prev.text);
            if !has_condition(&prev_hits) && (had_any || prev_hits.is_empty()) {
                continue;
            }
            let take_all = !had_any;
            hits.extend(
                prev_hits
                    .into_iter()
                    .filter(|h| take_all || h.class == PhraseClass::Condition),
            );
            population = population.or_else(|| first_population(&prev.text));
            break;
        }
    }
    if hits.is_empty() && population.is_none() {
        if let Some(m) = RECOMMEND.find(&sentence.text) {
            // an advice that names no purpose or group is a general recommendation
            hits.push(PhraseHit {
                start: m.start(),
                end: m.end(),
                raw: m.as_str().trim().to_string(),
                canonical: GENERAL_RECOMMENDATION,
                class: PhraseClass::Context,
            });
        }
    }
    if !has_condition(&hits) && population.is_none() {
        if let Some(heading) = line.section.and_then(|h| doc.lines.get(h)) {
            let hh = indication_hits(&heading.text);
            if has_condition(&hh) {
                hits.extend(hh.into_iter().filter(|h| h.class == PhraseClass::Condition));
            } else if hits.is_empty() {
                hits.extend(hh);
            }
        }
    }
    (hits, population)
}

/// Each row lists the other nutrients dosed in the same sentence: the
/// co-nutrient of "180 mcg per dag (samen met 2000 ie vitamine D3)" and the
/// nutrients of one study arm.
fn fill_co_nutrients(rows: &mut [Dosage]) {
    let mut order: Vec<String> = Vec::new();
    for r in rows.iter() {
        if !order.contains(&r.nutrient) {
            order.push(r.nutrient.clone());
        }
    }
    for r in rows.iter_mut() {
        r.co_nutrients = order
            .iter()
            .filter(|n| **n != r.nutrient)
            .cloned()
            .collect();
    }
}
