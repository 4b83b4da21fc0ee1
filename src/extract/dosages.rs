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
//! `data/populations.tsv` (see `indication_for` for the order in which the
//! label, the sentence, the sentences before it and the heading are asked).

use crate::per_thread::PerThread;
use rustc_hash::FxHashMap;

use regex::Regex;

use crate::lexicon::{self, PhraseClass, PhraseHit};
use crate::model::{row_id, Document, Dosage, Line, LineKind, Sentence, Warning};
use crate::values::{Quantity, Unit};

use super::context::{self, At};
use super::quantities::{self, AmountMention};

/// Words that make an amount without "per day" an intake: a daily word, a dose
/// word, or a verb of taking, needing, advising or giving.
static DOSE_CUE: PerThread<Regex> = PerThread::new(|| {
    Regex::new(
        r"(?xi)(?:^|[^\p{L}\p{N}])(?:
            dagelijks\w* | daily | per\s+(?:dag|day) | a\s+day | daags | /\s*(?:dag|day)
          | dos[ei]s | doses | dosage\w* | dosering\w* | dose | doseer\w*
          | intake | inname | dietary | supplement\w* | suppletie | suppleren
          | aanbevolen | aanbeveling\w* | adviseren | geadviseerd | advies
          | recommend\w* | advised? | suggest\w*
          | take | takes | taking | took | innemen | nam | namen | innamen | ingenomen | neem | neemt | slikken
          | kreeg | kregen | krijgen | received? | given | administered | toegediend
          | need | needs | nodig | behoefte | requires? | aim\s+for | should\s+get
          | voorgeschreven | prescribed? | allowance | referentie\w* | reference\s+intake
          | (?-i:RDA|ADH|AI|DRI|RI|UL|ADI)
        )(?:$|[^\p{L}\p{N}])",
    )
    .expect("dose cue regex compiles")
});

/// Words of a food content ("Natto bevat 1000 µg"): such an amount is a dose
/// only when it is stated per day.
static CONTENT_CUE: PerThread<Regex> = PerThread::new(|| {
    Regex::new(
        r"(?i)(?:^|[^\p{L}\p{N}])(?:bevat\w*|contains?|contained|levert|leveren|provides?|offers?)(?:$|[^\p{L}\p{N}])",
    )
    .expect("content cue regex compiles")
});

/// A stated number of intakes per day: "driemaal daags", "twee keer per dag",
/// "3 times daily", "twice a day", "3x per dag", "3 dd".
static TIMES: PerThread<Regex> = PerThread::new(|| {
    Regex::new(
        r"(?xi)(?:^|[^\p{L}\p{N}])(?:
            (?:(?P<w>eenmaal|éénmaal|tweemaal|driemaal|viermaal|vijfmaal|once|twice|thrice)
              | (?P<n>\d+|een|één|twee|drie|vier|vijf|one|two|three|four|five)\s*(?:x|×|keer|maal|times))
            \s*(?:(?P<day>per\s+dag|daags|per\s+day|a\s+day|daily|dagelijks|each\s+day|every\s+day|/\s*(?:dag|day))
                 | (?P<week>per\s+week|a\s+week|weekly|wekelijks|/\s*week)
                 | (?P<month>per\s+maand|a\s+month|monthly|maandelijks|/\s*(?:maand|month)))
          | (?P<dd>\d)\s*dd
        )(?:$|[^\p{L}\p{N}])",
    )
    .expect("times-per-day regex compiles")
});

/// An amount stated per week or per month right after it ("50.000 IE per
/// week"): its per-day figure is the amount divided over the period.
static PER_PERIOD: PerThread<Regex> = PerThread::new(|| {
    Regex::new(
        r"(?i)^\s*(?:(?P<week>(?:per|/|a|each|every|elke|iedere)\s*(?:week|wk)|weekly|wekelijks)|(?P<month>(?:per|/|a|each|every|elke|iedere)\s*(?:maand|month)|monthly|maandelijks))(?:$|[^\p{L}\p{N}])",
    )
    .expect("per-period regex compiles")
});

/// Days in a week and in an average month, for doses stated per period.
const DAYS_PER_WEEK: f64 = 7.0;
const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// A daily amount split into an unstated number of intakes.
static SPLIT: PerThread<Regex> = PerThread::new(|| {
    Regex::new(
        r"(?i)(?:split|divided|spread)\s+(?:into|over|across)\s+(?:multiple|several|smaller|separate)|in\s+divided\s+doses|verdeeld\s+over\s+(?:meerdere|verschillende|een\s+aantal)|in\s+(?:meerdere|verschillende)\s+(?:giften|doses|porties|innamemomenten|keren)",
    )
    .expect("split regex compiles")
});

/// "for men", "voor vrouwen", "bij ouderen" right after an amount: the group
/// that amount is for ("120 mcg daily for men and 90 mcg for women").
static FOR_GROUP: PerThread<Regex> = PerThread::new(|| {
    Regex::new(r"(?i)^[\s,]*(?:(?:is|are)\s+)?(?:for|voor|bij|in)\s+(?:the\s+|de\s+|het\s+)?")
        .expect("for-group regex compiles")
});

/// Words of advice: "Experts suggest daily doses between 90–200 mcg".
static RECOMMEND: PerThread<Regex> = PerThread::new(|| {
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
    extract_dosages_with(doc, &quantities::DocAmounts::of(doc))
}

/// [`extract_dosages_with_notes`] with the document's amounts already found.
pub fn extract_dosages_with(
    doc: &Document,
    amounts: &quantities::DocAmounts,
) -> (Vec<Dosage>, Vec<Warning>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let mut memo = PhraseMemo::default();
    for (li, line) in doc.lines.iter().enumerate() {
        if matches!(
            line.kind,
            LineKind::Blank | LineKind::Heading | LineKind::TableHeader
        ) {
            continue;
        }
        for (si, sentence) in line.sentences.iter().enumerate() {
            let first = out.len();
            let found = amounts.get(li, si);
            sentence_dosages(
                doc, li, si, sentence, found, &mut memo, &mut out, &mut notes,
            );
            fill_co_nutrients(&mut out[first..]);
        }
    }
    out.sort_by_key(|d| (d.line, d.offset));
    out.dedup_by(|a, b| a.line == b.line && a.offset == b.offset && a.nutrient == b.nutrient);
    (out, notes)
}

/// The dose rows of one sentence.
#[allow(clippy::too_many_arguments)]
fn sentence_dosages<'d>(
    doc: &'d Document,
    li: usize,
    si: usize,
    sentence: &Sentence,
    amounts: &[AmountMention],
    memo: &mut PhraseMemo<'d>,
    out: &mut Vec<Dosage>,
    notes: &mut Vec<Warning>,
) {
    let Some(line) = doc.lines.get(li) else {
        return;
    };
    let s = &sentence.text;
    if amounts.is_empty() {
        return;
    }
    let label = line_label(line);
    let cue = DOSE_CUE.is_match(s) || label.is_some_and(|l| DOSE_CUE.is_match(l));
    let content = CONTENT_CUE.is_match(s);
    let mut context: Option<DoseContext> = None;
    for (ai, a) in amounts.iter().enumerate() {
        if !is_dose_amount(a, amounts, cue, content) {
            continue;
        }
        let at = At {
            line: li,
            sentence: si,
        };
        let Some(nutrient) = context::nutrient_for(doc, at, a) else {
            continue;
        };
        let ctx = context.get_or_insert_with(|| DoseContext::of(doc, li, si, memo));
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
            doc: doc.id.as_str().into(),
            line: line.no,
            offset,
            quote: s.clone(),
            lang: sentence.lang(),
            nutrient: nutrient.into(),
            form: context::form_for(s, a, nutrient).into(),
            qualifier: a.quantity.qualifier,
            indication: indication.into(),
            indication_raw: ctx.indication_raw.as_str().into(),
            population: population.into(),
            amount_min: a.quantity.range.min,
            amount_max: a.quantity.range.max,
            unit: a.quantity.unit.to_string().into(),
            times_per_day,
            value_ug_min,
            value_ug_max,
            co_nutrients: Vec::new(),
            alt_amount_min: a.alt.as_ref().map(|q| q.range.min),
            alt_amount_max: a.alt.as_ref().map(|q| q.range.max),
            alt_unit: a
                .alt
                .as_ref()
                .map(|q| q.unit.to_string().into())
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
            return Frequency::Times(n / period_days(&c));
        }
    }
    if let Some(c) = PER_PERIOD.captures(after) {
        return Frequency::Times(1.0 / period_days(&c));
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

/// Days in the period a frequency or amount is stated for (1 for per day).
fn period_days(c: &regex::Captures<'_>) -> f64 {
    if c.name("week").is_some() {
        DAYS_PER_WEEK
    } else if c.name("month").is_some() {
        DAYS_PER_MONTH
    } else {
        1.0
    }
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
    fn of<'d>(doc: &'d Document, li: usize, si: usize, memo: &mut PhraseMemo<'d>) -> DoseContext {
        let Some(line) = doc.lines.get(li) else {
            return DoseContext::default();
        };
        let (hits, population) = indication_for(doc, line, si, memo);
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

/// The indication phrases and first population of the texts of one
/// document, each text searched once. A dose sentence looks back through the
/// sentences before it on its line and up to its section heading, so without
/// this a heading was searched again for every dose under it.
#[derive(Default)]
struct PhraseMemo<'d> {
    // (keys are whole sentences: hashed with Fx, not SipHash)
    hits: FxHashMap<&'d str, Vec<PhraseHit>>,
    populations: FxHashMap<&'d str, Option<&'static str>>,
}

impl<'d> PhraseMemo<'d> {
    /// [`indication_hits`] of `text`.
    fn hits(&mut self, text: &'d str) -> Vec<PhraseHit> {
        self.hits
            .entry(text)
            .or_insert_with(|| indication_hits(text))
            .clone()
    }

    /// [`first_population`] of `text`.
    fn population(&mut self, text: &'d str) -> Option<&'static str> {
        *self
            .populations
            .entry(text)
            .or_insert_with(|| first_population(text))
    }
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
fn indication_for<'d>(
    doc: &'d Document,
    line: &'d Line,
    si: usize,
    memo: &mut PhraseMemo<'d>,
) -> (Vec<PhraseHit>, Option<&'static str>) {
    let Some(sentence) = line.sentences.get(si) else {
        return (Vec::new(), None);
    };
    let label = line_label(line).unwrap_or("");
    let mut hits = memo.hits(label);
    let label_in_sentence = !label.is_empty() && sentence.text.contains(label);
    for h in memo.hits(&sentence.text) {
        if !(label_in_sentence && hits.iter().any(|x| x.canonical == h.canonical)) {
            hits.push(h);
        }
    }
    let mut population = memo
        .population(label)
        .or_else(|| memo.population(&sentence.text));
    if !has_condition(&hits) {
        let had_any = !hits.is_empty();
        for prev in line.sentences.get(..si).unwrap_or(&[]).iter().rev() {
            let prev_hits = memo.hits(&prev.text);
            if !has_condition(&prev_hits) && (had_any || prev_hits.is_empty()) {
                continue;
            }
            let take_all = !had_any;
            hits.extend(
                prev_hits
                    .into_iter()
                    .filter(|h| take_all || h.class == PhraseClass::Condition),
            );
            population = population.or_else(|| memo.population(&prev.text));
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
            let hh = memo.hits(&heading.text);
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
    let mut order: Vec<crate::model::Text> = Vec::new();
    for r in rows.iter() {
        if !order.contains(&r.nutrient) {
            order.push(r.nutrient.clone());
        }
    }
    for r in rows.iter_mut() {
        r.co_nutrients = order
            .iter()
            .filter(|n| **n != r.nutrient)
            .map(|n| n.to_string())
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::parse_text;
    use crate::model::Qualifier;

    fn rows(text: &str) -> Vec<Dosage> {
        extract_dosages(&parse_text("t", "t.txt", text))
    }

    /// "nutrient form qualifier min-max unit xN = ugmin-ugmax"
    fn brief(v: &[Dosage]) -> Vec<String> {
        v.iter()
            .map(|r| {
                let ug = match (r.value_ug_min, r.value_ug_max) {
                    (Some(a), Some(b)) => format!("{a}-{b}"),
                    _ => "null".into(),
                };
                let times = r.times_per_day.map_or("?".into(), |t| t.to_string());
                format!(
                    "{} {}{}{}-{} {} x{} = {}",
                    r.nutrient,
                    if r.form.is_empty() {
                        String::new()
                    } else {
                        format!("{} ", r.form)
                    },
                    if r.qualifier == Qualifier::Exact {
                        String::new()
                    } else {
                        format!("{} ", r.qualifier.as_str())
                    },
                    r.amount_min,
                    r.amount_max,
                    r.unit,
                    times,
                    ug
                )
            })
            .collect()
    }

    #[test]
    fn labelled_lines_with_co_nutrients() {
        let v = rows("Dosering van vitamine K2 bij klachten\nDe volgende hoeveelheden vitamine K2 worden geadviseerd.\nosteoporose: 100-200 mcg per dag (samen met 1000 ie vitamine D3)\nchronische nieraandoeningen: 400 mcg per dag\n");
        assert_eq!(
            brief(&v),
            vec![
                "vitamin K2 100-200 ug x1 = 100-200",
                "vitamin D3 1000-1000 IU x1 = 25-25",
                "vitamin K2 400-400 ug x1 = 400-400",
            ]
        );
        assert_eq!(v[0].indication, "osteoporosis");
        assert_eq!(v[0].indication_raw, "osteoporose");
        assert_eq!(v[0].co_nutrients, vec!["vitamin D3"]);
        assert_eq!(v[1].indication, "osteoporosis");
        assert_eq!(v[1].co_nutrients, vec!["vitamin K2"]);
        // the D3 of the line before is that line's co-nutrient, not the topic
        assert_eq!(v[2].indication, "chronic kidney disease");
        assert!(v[2].co_nutrients.is_empty());
    }

    #[test]
    fn glued_table_row() {
        let v = rows("Vitamin K2 in short\n\nTopicAdvice\nFormMK-7 (softgel)\nDosage100-200 mcg per day (therapeutic)\nTimingWith breakfast\n");
        assert_eq!(brief(&v), vec!["vitamin K2 100-200 ug x1 = 100-200"]);
        assert_eq!(v[0].indication, "therapeutic");
        assert_eq!(
            v[0].form, "",
            "the form of the row above is not carried over"
        );
    }

    #[test]
    fn sentences_in_english_with_populations() {
        let v = rows(
            "Vitamin K supports clotting.\nMost adults need 50 to 70 mcg daily to stay healthy.",
        );
        assert_eq!(brief(&v), vec!["vitamin K 50-70 ug x1 = 50-70"]);
        assert_eq!(v[0].population, "adults");
        let v =
            rows("The advised intake of vitamin D is 15 mcg daily for men and 10 mcg for women.");
        assert_eq!(
            brief(&v),
            vec![
                "vitamin D 15-15 ug x1 = 15-15",
                "vitamin D 10-10 ug x1 = 10-10"
            ]
        );
        assert_eq!(v[0].population, "men");
        assert_eq!(v[1].population, "women");
        assert_eq!(
            v[0].indication, "men",
            "no purpose stated: the group is the indication"
        );
        let v = rows("Breastfeeding mothers should get 600 IU of vitamin D3 a day.");
        assert_eq!(brief(&v), vec!["vitamin D3 600-600 IU x1 = 15-15"]);
        assert_eq!(v[0].population, "breastfeeding");
    }

    #[test]
    fn study_arms_one_row_per_nutrient() {
        let v = rows("Vitamine K2 en botten\n- Studie bij ouderen met osteopenie: De interventiegroep kreeg MK-7 (200 µg/dag), vitamine D3 (25 µg/dag) en calcium (0,5 g/dag).");
        assert_eq!(
            brief(&v),
            vec![
                "vitamin K2 MK-7 200-200 ug x1 = 200-200",
                "vitamin D3 25-25 ug x1 = 25-25",
                "calcium 0.5-0.5 g x1 = 500000-500000",
            ]
        );
        assert!(v.iter().all(|r| r.indication.contains("osteopenia")));
        assert!(v.iter().all(|r| r.population == "older adults"));
        assert_eq!(v[2].co_nutrients, vec!["vitamin K2", "vitamin D3"]);
        // the arms in a second sentence take the patients from the first
        let v = rows("- Een driejarig onderzoek volgde 90 vrouwen met osteoporose. Daarnaast kreeg de interventiegroep 180 µg MK-7 per dag.");
        assert_eq!(brief(&v), vec!["vitamin K2 MK-7 180-180 ug x1 = 180-180"]);
        assert!(
            v[0].indication.starts_with("osteoporosis"),
            "{}",
            v[0].indication
        );
    }

    #[test]
    fn times_per_day() {
        let v = rows("In de studie namen patiënten dagelijks vitamine K2 (menatetrenon, tweemaal daags 10 mg).");
        assert_eq!(brief(&v), vec!["vitamin K2 MK-4 10-10 mg x2 = 20000-20000"]);
        let v = rows("Participants took 5 mg of MK-4 3 times daily for a year.");
        assert_eq!(brief(&v), vec!["vitamin K2 MK-4 5-5 mg x3 = 15000-15000"]);
        let v = rows("Bij een tekort wordt 50.000 IE vitamine D per week voorgeschreven.");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].times_per_day, Some(1.0 / 7.0));
        assert!((v[0].value_ug_min.unwrap_or(0.0) - 1250.0 / 7.0).abs() < 1e-9);
        let v = rows("Patients took 1 mg of vitamin K2 twice weekly.");
        assert_eq!(v[0].times_per_day, Some(2.0 / 7.0));
        let v = rows("Neem 500 mg calcium twee keer per dag.");
        assert_eq!(brief(&v), vec!["calcium 500-500 mg x2 = 1000000-1000000"]);
        let (v, notes) = extract_dosages_with_notes(&parse_text(
            "t",
            "t.txt",
            "MK-4 is short-lived. Doses go up to 9,000 micrograms daily split into several servings.",
        ));
        assert_eq!(
            brief(&v),
            vec!["vitamin K2 up_to 9000-9000 ug x? = 9000-9000"]
        );
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].kind, NOTE_FREQUENCY_UNKNOWN);
        assert_eq!(notes[0].line, Some(1));
    }

    #[test]
    fn equivalents_stay_on_one_row() {
        let v = rows(
            "Voor ouderen wordt een dagelijkse inname van 15 µg (600 IE) vitamine D aanbevolen.",
        );
        assert_eq!(brief(&v), vec!["vitamin D 15-15 ug x1 = 15-15"]);
        assert_eq!(v[0].alt_amount_min, Some(600.0));
        assert_eq!(v[0].alt_unit, "IU");
        assert_eq!(v[0].population, "older adults");
        let v = rows("In studies werden doseringen tot 30 mg (30000 mcg) vitamine K2 (als MK-4) per dag goed verdragen.");
        assert_eq!(
            brief(&v),
            vec!["vitamin K2 MK-4 up_to 30-30 mg x1 = 30000-30000"]
        );
        assert_eq!(v[0].alt_amount_max, Some(30000.0));
        // two forms, two rows, not one range
        let v = rows("Onderzoekers gebruikten doseringen tussen 100 µg (MK-7) en 15 mg (MK-4).");
        assert_eq!(
            brief(&v),
            vec![
                "vitamin K2 MK-7 100-100 ug x1 = 100-100",
                "vitamin K2 MK-4 15-15 mg x1 = 15000-15000"
            ]
        );
        assert_eq!(v[0].indication, "study");
    }

    #[test]
    fn units_and_per_day_spellings() {
        let v = rows("Take 2000 IU of vitamin D3 per day.");
        assert_eq!(brief(&v), vec!["vitamin D3 2000-2000 IU x1 = 50-50"]);
        let v = rows("Sommigen slikken 100 IE vitamine K2 per dag.");
        assert_eq!(brief(&v), vec!["vitamin K2 100-100 IU x1 = null"]);
        let v = rows("Take 100 mcg MK-7 a day with food.");
        assert_eq!(brief(&v), vec!["vitamin K2 MK-7 100-100 ug x1 = 100-100"]);
        let v = rows("The trial used 1,5 mg/day of menatetrenone.");
        assert_eq!(v.len(), 1);
        let v = rows("Zij kregen calcium (1,5 g/dag) en vitamine D (20 µg/dag).");
        assert_eq!(
            brief(&v),
            vec![
                "calcium 1.5-1.5 g x1 = 1500000-1500000",
                "vitamin D 20-20 ug x1 = 20-20"
            ]
        );
        let v = rows("De ADH voor vitamine K is 70 mcg voor mannen en 60 mcg voor vrouwen.");
        assert_eq!(
            brief(&v),
            vec![
                "vitamin K 70-70 ug x1 = 70-70",
                "vitamin K 60-60 ug x1 = 60-60"
            ]
        );
        assert_eq!(v[1].population, "women");
        let v = rows("Volwassenen hebben tussen de 600 en 3000 IE vitamine D per dag nodig.");
        assert_eq!(brief(&v), vec!["vitamin D 600-3000 IU x1 = 15-75"]);
        let v = rows("Recommended: 50 mcg/day of vitamin K2.");
        assert_eq!(brief(&v), vec!["vitamin K2 50-50 ug x1 = 50-50"]);
        assert_eq!(v[0].indication, GENERAL_RECOMMENDATION);
    }

    #[test]
    fn upper_limits_and_intake_targets() {
        let v = rows("Vitamine D is veilig. Boven de 250 µg (10.000 IE) per dag alleen innemen onder medisch toezicht.");
        assert_eq!(
            brief(&v),
            vec!["vitamin D at_least 250-250 ug x1 = 250-250"]
        );
        assert_eq!(v[0].alt_amount_min, Some(10000.0));
        assert!(v[0].indication.contains("upper limit"));
        let v = rows("Botten sterk houden\n- Zuivel: dagelijks moet 900-1 000 mg calcium worden ingenomen om osteoporose te voorkomen.");
        assert_eq!(brief(&v), vec!["calcium 900-1000 mg x1 = 900000-1000000"]);
        assert!(v[0].indication.contains("osteoporosis"));
        let v = rows("Eat more fermented foods. Aim for 20 to 50 micrograms daily.");
        assert_eq!(v.len(), 0, "no nutrient named anywhere");
        let v = rows("Vitamin K2 comes from food. Aim for 20 to 50 micrograms daily.");
        assert_eq!(brief(&v), vec!["vitamin K2 20-50 ug x1 = 20-50"]);
        assert_eq!(v[0].indication, "dietary intake");
    }

    #[test]
    fn no_indication_when_none_is_stated() {
        let v = rows("MK-4 is usually taken in larger doses (30 mg) because it clears quickly.");
        assert_eq!(brief(&v), vec!["vitamin K2 MK-4 30-30 mg x1 = 30000-30000"]);
        assert_eq!(v[0].indication, "");
        assert_eq!(v[0].population, "");
    }

    #[test]
    fn not_doses() {
        assert!(
            rows("Een 25(OH)D-spiegel van 50 nmol/l of 20 ng/ml per dag is voldoende.").is_empty()
        );
        assert!(rows("Kaas bevat dagelijks gemiddeld 60 µg vitamine K2 per 100 g.").is_empty());
        assert!(rows("Eat 1-2 eggs per day and spend 20 minutes in the sun daily.").is_empty());
        assert!(rows("Natto contains about 900 mcg of vitamin K2, a daily treat.").is_empty());
        assert!(
            rows("Natto: een portie (50 g) kan tot 400 µg vitamine K2 leveren, dagelijks.")
                .is_empty()
        );
        assert!(rows("Supplements with MK-7 usually hold 100 mcg per capsule.").is_empty());
        assert!(rows("Vitamin K2 is found in 45 different foods.").is_empty());
    }

    #[test]
    fn rows_are_stable_and_ordered() {
        let text = "Vitamine K2\nKies 90 mcg vitamine K2 per dag of 45 mg MK-4 per dag.";
        let a = rows(text);
        let b = rows(text);
        assert_eq!(a, b);
        assert_eq!(a.len(), 2);
        assert!(a[0].offset < a[1].offset);
        assert_ne!(a[0].id, a[1].id);
    }

    #[test]
    fn never_panics_on_odd_text() {
        let _ = rows(&"(".repeat(5000));
        let _ = rows("µg µg 1 µg( per dag driemaal daags");
        let _ = rows("driemaal daags 15 mg, 3 dd");
        let _ = rows(&format!("{} mg per dag", "9".repeat(400)));
    }
}
