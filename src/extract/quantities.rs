//! The grammar of amounts: find every "number + unit" in a sentence, with what
//! hangs on it.
//!
//! ```text
//! [qualifier] [tussen|between] N [(-|–|to|tot|en|and) N] UNIT
//!     [(ALT-AMOUNT ALT-UNIT)]            equivalent: "20 µg (800 IE)"
//!     [of|van NUTRIENT [(als FORM)]]     "45 mg of MK-4", "500 µg vitamine K2"
//!     [per day | /dag | daily | ...]     intake per day
//!     [per|/ [N[-]]BASIS-UNIT [serving]] "per 25 g", "/100 g", "per 100-gram serving"
//! ```
//!
//! Numbers are read in the sentence's language (`1,2` is 1.2 in Dutch). An
//! amount in grams that is only a weight ("Een portie (50 g)") is marked
//! `weight_only`: it is a basis, not a nutrient amount.

use crate::per_thread::PerThread;
use std::sync::LazyLock;

use regex::Regex;

use crate::ingest::collapse_ws;
use crate::lexicon::{self, BASIS_UNIT_PATTERN, UNIT_PATTERN};
use crate::model::{Lang, Line, LineKind, Qualifier, Sentence};
use crate::values::{parse_number, Basis, MkForm, Quantity, Range, Unit};

/// A number as written: space/thin-space thousands ("1 200"), or digits with
/// `.`/`,` groups ("4.000", "15,000", "1,2").
const NUM: &str = r"\d{1,3}(?:[\x20\x{a0}\x{2009}\x{202f}]\d{3})+|\d+(?:[.,]\d+)*";

static AMOUNT: PerThread<Regex> = PerThread::new(|| {
    Regex::new(&format!(
        r"(?x)
        (?:^|[^\p{{L}}\p{{N}}.,])
        (?P<between>(?i:tussen(?:\s+de)?|between(?:\s+the)?)\s+)?
        (?P<a>{NUM})
        (?:\s*(?P<sep>-|–|—|(?i:to|tot|en|and|through))\s*(?P<b>{NUM}))?
        \s*-?\s*
        (?P<unit>{units})
        (?:$|[^\p{{L}}\p{{N}}])",
        units = *UNIT_PATTERN
    ))
    .expect("amount regex compiles")
});

/// The numbers of [`AMOUNT`]'s named groups.
struct AmountGroups {
    between: usize,
    a: usize,
    sep: usize,
    b: usize,
    unit: usize,
}

static AMOUNT_GROUPS: LazyLock<AmountGroups> = LazyLock::new(|| {
    let number = |name: &str| {
        AMOUNT
            .capture_names()
            .position(|n| n == Some(name))
            .expect("AMOUNT names the group")
    };
    AmountGroups {
        between: number("between"),
        a: number("a"),
        sep: number("sep"),
        b: number("b"),
        unit: number("unit"),
    }
});

/// A group of a match: where it is and what it holds.
#[derive(Clone, Copy)]
struct Group<'t> {
    start: usize,
    end: usize,
    text: &'t str,
}

impl<'t> Group<'t> {
    fn start(&self) -> usize {
        self.start
    }
    fn end(&self) -> usize {
        self.end
    }
    fn as_str(&self) -> &'t str {
        self.text
    }
}

static ALT: PerThread<Regex> = PerThread::new(|| {
    Regex::new(&format!(
        r"^\s*\(\s*(?:~|ca\.?\s*|≈\s*)?(?P<a>{NUM})(?:\s*(?:-|–|—|to|tot)\s*(?P<b>{NUM}))?\s*(?P<unit>{units})\s*\)",
        units = *UNIT_PATTERN
    ))
    .expect("alt regex compiles")
});

static PER_DAY: PerThread<Regex> = PerThread::new(|| {
    Regex::new(
        r"(?i)^\s*(?:/\s*(?:day|dag|d)\b|per\s+(?:day|dag)\b|(?:a|each|every|per)\s+day\b|daily\b|dagelijks\b|daags\b|p\.?\s*d\.?(?:$|\s))",
    )
    .expect("per-day regex compiles")
});

static BASIS: PerThread<Regex> = PerThread::new(|| {
    Regex::new(&format!(
        r"(?i)^\s*(?:/|per|in|in\s+een|in\s+a|each|elke|every)\s*(?:(?P<n>{NUM})\s*-?\s*)?(?P<u>{bu})(?:\s+(?:serving|portion|portie))?(?:$|[^\p{{L}}])",
        bu = *BASIS_UNIT_PATTERN
    ))
    .expect("basis regex compiles")
});

static NUTRIENT_AFTER: PerThread<Regex> = PerThread::new(|| {
    Regex::new(r"(?i)^\s*(?:(?:increase|rise|toename|verhoging|stijging|extra|more|meer)\s+)?(?:in\s+|of\s+|van\s+|aan\s+)?(?:dietary\s+|supplemental\s+|extra\s+)?$")
        .expect("regex")
});

static FORM_PAREN: PerThread<Regex> = PerThread::new(|| {
    Regex::new(r"(?i)^\s*\(\s*(?:als|as|in\s+de\s+vorm\s+van|in\s+the\s+form\s+of)?\s*(?P<f>[^()]{2,30})\)")
        .expect("regex")
});

/// An amount found in a sentence, with what hangs on it.
#[derive(Debug, Clone, PartialEq)]
pub struct AmountMention {
    /// Byte offsets of "number … unit" in the sentence.
    pub start: usize,
    pub end: usize,
    /// End of everything attached to it (equivalent, nutrient, per day, basis).
    pub tail_end: usize,
    pub quantity: Quantity,
    /// A parenthetical equivalent "(800 IE)".
    pub alt: Option<Quantity>,
    /// A nutrient named right after the amount ("500 µg vitamine K2").
    pub nutrient_after: Option<&'static str>,
    /// A vitamin K form named right after ("45 mg menatetrenon (MK-4)").
    pub form_after: Option<MkForm>,
    /// "per dag", "/day", "daily" right after the amount.
    pub per_day: bool,
    /// "per 25 g", "/100 g", "per tablespoon" right after the amount.
    pub basis: Option<Basis>,
    /// A mass that is only a weight, not an amount of a nutrient ("(50 g)").
    pub weight_only: bool,
    /// The amount as written.
    pub text: String,
}

/// The last words of `s`: at most `max_chars` characters, starting after a
/// whitespace so that no word is cut (the whole of `s` when it is short).
///
/// Lookbehinds use it instead of the whole sentence prefix: each amount looks
/// only a few words back, and scanning the whole prefix for every amount made
/// a sentence with many amounts quadratic (minutes on a 10 MB line).
fn last_words(s: &str, max_chars: usize) -> &str {
    let Some((cut, _)) = s.char_indices().rev().nth(max_chars) else {
        return s;
    };
    let window = &s[cut..];
    match window.find(char::is_whitespace) {
        Some(ws) => window[ws..].trim_start(),
        None => window,
    }
}

/// Qualifier from the words right before `pos`.
pub fn qualifier_before(sentence: &str, pos: usize) -> Qualifier {
    let before = last_words(sentence[..pos].trim_end(), 80);
    let lower = before.to_lowercase();
    for (phrase, q) in lexicon::QUALIFIER_PHRASES.iter() {
        if let Some(rest) = lower.strip_suffix(phrase) {
            let boundary_ok = rest.is_empty()
                || !phrase.chars().next().is_some_and(|c| c.is_alphabetic())
                || rest.chars().last().is_some_and(|c| !c.is_alphanumeric());
            if boundary_ok {
                return *q;
            }
        }
    }
    Qualifier::Exact
}

/// Whether a text can contain a number: an ASCII digit, or any numeric
/// character outside ASCII (a superset of what `\d` matches).
///
/// Every sentence is asked, most have no digit: the ASCII digits are looked
/// for 32 bytes at a time with a fold the compiler vectorises, and only the
/// non-ASCII characters are decoded.
pub fn may_hold_number(text: &str) -> bool {
    text.as_bytes()
        .chunks(32)
        .any(|c| c.iter().fold(false, |seen, x| seen | x.is_ascii_digit()))
        || crate::words::non_ascii_chars(text).any(|(_, c)| c.is_numeric())
}

/// Find every amount in a sentence.
pub fn find_amounts(sentence: &str, lang: Lang) -> Vec<AmountMention> {
    find_amounts_with(sentence, &|| lang)
}

/// [`find_amounts`], asking `lang` for the sentence's language only when a
/// number it reads has a `,` or `.` (the only numbers whose value depends on
/// the language): telling a sentence's language is costly, and most
/// sentences with a digit hold no amount.
pub fn find_amounts_with(sentence: &str, lang: &dyn Fn() -> Lang) -> Vec<AmountMention> {
    let num = |x: &str| {
        let lang = if x.contains([',', '.']) {
            lang()
        } else {
            Lang::En
        };
        parse_number(x, lang)
    };
    let mut out = Vec::new();
    // Every amount has a digit (`\d`, Unicode decimal digits, all `is_numeric`).
    // Most sentences have none; a byte scan is much cheaper than the regex.
    if !may_hold_number(sentence) {
        return out;
    }
    // One set of capture slots for the sentence, groups by number: the
    // search runs for every match of every sentence with a digit, and
    // `captures_at` allocated the slots and hashed each group name per match.
    let g = &*AMOUNT_GROUPS;
    let mut locs = AMOUNT.capture_locations();
    let mut pos = 0;
    while pos < sentence.len() {
        if AMOUNT.captures_read_at(&mut locs, sentence, pos).is_none() {
            break;
        }
        let group = |i: usize| {
            let (s, e) = locs.get(i)?;
            Some(Group {
                start: s,
                end: e,
                text: sentence.get(s..e)?,
            })
        };
        let (between_m, sep_m, b_m) = (group(g.between), group(g.sep), group(g.b));
        let (Some(a), Some(unit_m)) = (group(g.a), group(g.unit)) else {
            break;
        };
        let next_pos = unit_m.end();
        let unit: Unit = match unit_m.as_str().parse() {
            Ok(u) => u,
            Err(_) => {
                pos = next_pos;
                continue;
            }
        };
        let sep = sep_m.map(|m| m.as_str().to_lowercase());
        let between = between_m.is_some();
        // "en"/"and" only make a range after "tussen"/"between"
        let b = match (&sep, b_m) {
            (Some(s), Some(b)) if (s != "en" && s != "and") || between => Some(b),
            _ => None,
        };
        if sep.as_deref().is_some_and(|s| s == "en" || s == "and") && b.is_none() {
            // "45 en 90 mg": read only the second number as the amount. The
            // search restarts on the character before it, because the pattern
            // needs to see the boundary in front of a number.
            pos = b_m.map_or(next_pos, |m| {
                sentence[..m.start()]
                    .char_indices()
                    .next_back()
                    .map_or(m.start(), |(i, _)| i)
            });
            continue;
        }
        let va = num(a.as_str());
        let vb = b.map(|m| num(m.as_str()));
        let range = match (va, vb) {
            (Ok(x), None) => Range::single(x),
            (Ok(x), Some(Ok(y))) => Range::ordered(x, y),
            _ => {
                pos = next_pos;
                continue;
            }
        };
        let start = between_m.map_or(a.start(), |m| m.start());
        let qualifier = qualifier_before(sentence, start);
        let mut m = AmountMention {
            start,
            end: unit_m.end(),
            tail_end: unit_m.end(),
            quantity: Quantity {
                qualifier,
                range,
                unit,
            },
            alt: None,
            nutrient_after: None,
            form_after: None,
            per_day: false,
            basis: None,
            weight_only: false,
            text: sentence[start..unit_m.end()].to_string(),
        };
        parse_tail(sentence, &num, &mut m);
        if unit == Unit::G && m.nutrient_after.is_none() && !m.per_day {
            m.weight_only = !nutrient_just_before(sentence, start);
        }
        pos = m.tail_end.max(next_pos);
        out.push(m);
    }
    out
}

/// The amounts of every sentence of a document, indexed `[line][sentence]`:
/// found once and shared by the extractors that read them (doses and food
/// values), since finding them is one of the costlier steps.
#[derive(Debug, Clone, Default)]
pub struct DocAmounts(Vec<Vec<Vec<AmountMention>>>);

impl DocAmounts {
    /// Find the amounts of every sentence of `doc` that can hold a value or a
    /// dose: headings and table headers name things, they state no amounts.
    pub fn of(doc: &crate::model::Document) -> DocAmounts {
        DocAmounts(
            doc.lines
                .iter()
                .map(|line| {
                    if matches!(
                        line.kind,
                        LineKind::Blank | LineKind::Heading | LineKind::TableHeader
                    ) {
                        return Vec::new();
                    }
                    line.sentences
                        .iter()
                        .map(|s| find_amounts_in(line, s))
                        .collect()
                })
                .collect(),
        )
    }

    /// The amounts of sentence `si` of line `li` (none for an index out of range).
    pub fn get(&self, li: usize, si: usize) -> &[AmountMention] {
        self.0
            .get(li)
            .and_then(|l| l.get(si))
            .map_or(&[], Vec::as_slice)
    }
}

/// Amounts of a sentence. In a table row only the value cells are read: the
/// label cell is glued to the first value ("beef5-15 mcg") and holds no amount.
pub fn find_amounts_in(line: &Line, sentence: &Sentence) -> Vec<AmountMention> {
    let s = &sentence.text;
    if line.kind != LineKind::TableRow || line.cells.len() < 2 {
        return find_amounts_with(s, &|| sentence.lang());
    }
    let mut out = Vec::new();
    let mut from = 0;
    for (ci, cell) in line.cells.iter().enumerate() {
        let cell = collapse_ws(cell);
        let Some(at) = crate::words::find_from(s, &cell, from) else {
            continue;
        };
        if ci > 0 {
            for mut m in find_amounts_with(&cell, &|| sentence.lang()) {
                m.start += at;
                m.end += at;
                m.tail_end += at;
                out.push(m);
            }
        }
        from = at + cell.len();
    }
    out
}

/// "calcium (1,2 g/dag)": a nutrient name followed by "(" right before the amount.
fn nutrient_just_before(sentence: &str, start: usize) -> bool {
    let before = sentence[..start].trim_end();
    let Some(before) = before.strip_suffix('(') else {
        return false;
    };
    let before = last_words(before.trim_end(), 80);
    // as `captures_iter` of the plain regex: each search continues after the
    // character that closed the previous name
    let mut pos = 0;
    while let Some(m) = lexicon::NUTRIENT_FINDER.find_at(before, pos) {
        if before[m.end..].trim().is_empty() {
            return true;
        }
        pos = crate::words::next_boundary(before, m.end);
    }
    false
}

/// Attach equivalent, nutrient, form, per-day and basis that follow an amount.
fn parse_tail(
    s: &str,
    num: &dyn Fn(&str) -> Result<f64, crate::values::number::NumberError>,
    m: &mut AmountMention,
) {
    let mut p = m.end;
    for _ in 0..6 {
        let rest = &s[p..];
        if m.alt.is_none() {
            if let Some(c) = ALT.captures(rest) {
                let unit: Option<Unit> = c.name("unit").and_then(|u| u.as_str().parse().ok());
                let a = c.name("a").and_then(|x| num(x.as_str()).ok());
                let b = c.name("b").and_then(|x| num(x.as_str()).ok());
                if let (Some(unit), Some(a), Some(end)) = (unit, a, c.get(0).map(|x| x.end())) {
                    m.alt = Some(Quantity {
                        qualifier: Qualifier::Exact,
                        range: Range::ordered(a, b.unwrap_or(a)),
                        unit,
                    });
                    p += end;
                    continue;
                }
            }
        }
        if !m.per_day {
            if let Some(x) = PER_DAY.find(rest) {
                m.per_day = true;
                p += x.end();
                continue;
            }
        }
        if m.basis.is_none() {
            if let Some(c) = BASIS.captures(rest) {
                let n = c
                    .name("n")
                    .and_then(|x| num(x.as_str()).ok())
                    .unwrap_or(1.0);
                if let Some(u) = c.name("u") {
                    if let Ok(b) = Basis::from_spelling(n, u.as_str()) {
                        m.basis = Some(b);
                        p += u.end();
                        continue;
                    }
                }
            }
        }
        if m.nutrient_after.is_none() {
            if let Some((nut, form, end)) = nutrient_at_start(rest) {
                m.nutrient_after = Some(nut);
                if form.is_some() {
                    m.form_after = form;
                }
                p += end;
                if let Some(c) = FORM_PAREN.captures(&s[p..]) {
                    if let Some(f) = c
                        .name("f")
                        .and_then(|f| f.as_str().trim().parse::<MkForm>().ok())
                    {
                        m.form_after = Some(f);
                        p += c.get(0).map_or(0, |x| x.end());
                    }
                }
                continue;
            }
            if let Some(c) = FORM_PAREN.captures(rest) {
                if let Some(f) = c
                    .name("f")
                    .and_then(|f| f.as_str().trim().parse::<MkForm>().ok())
                {
                    m.form_after = Some(f);
                    p += c.get(0).map_or(0, |x| x.end());
                    continue;
                }
            }
        }
        break;
    }
    m.tail_end = p;
}

/// A nutrient name at the start of `rest` (after "of"/"van"), with the form it
/// names and the end offset.
fn nutrient_at_start(rest: &str) -> Option<(&'static str, Option<MkForm>, usize)> {
    let m = lexicon::NUTRIENT_FINDER.find(rest)?;
    if !NUTRIENT_AFTER.is_match(&rest[..m.start]) {
        return None;
    }
    let name = &rest[m.clone()];
    let nut = lexicon::nutrient_canonical(name)?;
    let form = name.parse::<MkForm>().ok();
    Some((nut, form, m.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The chunked digit scan and the decoding of non-ASCII characters
        /// only agree with asking every character.
        #[test]
        fn number_gate_equals_every_character_asked(
            text in crate::testing::glued(&[
                "a", " ", "Natto", "7", "0", "µg", "é", "\u{663}", "\u{2155}", "\u{b2}",
                "\u{2013}", "\u{ff11}", "abcdefghijklmnopqrstuvwxyz", "\u{1F600}", "Ⅻ",
            ], 0..12)
        ) {
            proptest::prop_assert_eq!(
                may_hold_number(&text),
                text.chars().any(|c| c.is_ascii_digit() || c.is_numeric())
            );
        }
    }

    fn one(s: &str, lang: Lang) -> AmountMention {
        let v = find_amounts(s, lang);
        assert_eq!(v.len(), 1, "{s}: {v:#?}");
        v.into_iter().next().unwrap()
    }

    #[test]
    fn number_formats_and_ranges() {
        let m = one(
            "dagelijks moet 1000-1 200 mg calcium worden geconsumeerd",
            Lang::Nl,
        );
        assert_eq!(m.quantity.range, Range::ordered(1000.0, 1200.0));
        assert_eq!(m.nutrient_after, Some("calcium"));
        let m = one("up to 15,000 micrograms daily", Lang::En);
        assert_eq!(m.quantity.range.min, 15000.0);
        assert_eq!(m.quantity.qualifier, Qualifier::UpTo);
        assert!(m.per_day);
        let m = one("calcium (1,2 g/dag)", Lang::Nl);
        assert_eq!(m.quantity.range.min, 1.2);
        assert!(!m.weight_only);
        let m = one("tussen 400 en 2000 IE per dag", Lang::Nl);
        assert_eq!(m.quantity.range, Range::ordered(400.0, 2000.0));
        let m = one("between 10 and 45 mcg", Lang::En);
        assert_eq!(m.quantity.range, Range::ordered(10.0, 45.0));
        let m = one("tussen de 1000 en 4000 IE per dag", Lang::Nl);
        assert_eq!(m.quantity.range, Range::ordered(1000.0, 4000.0));
        let m = one("vrouwen 45 en mannen 90 mg", Lang::Nl);
        assert_eq!(m.quantity.range, Range::single(90.0));
        let m = one("eet 2 en neem 90 mg", Lang::Nl);
        assert_eq!(m.quantity.range, Range::single(90.0));
        let m = one("kies 45 en 90 mg", Lang::Nl);
        assert_eq!(m.quantity.range, Range::single(90.0));
        let m = one("They offer 50 to 90 micrograms per 100 grams.", Lang::En);
        assert_eq!(m.quantity.range, Range::ordered(50.0, 90.0));
        assert_eq!(
            m.basis,
            Some(Basis {
                amount: 100.0,
                unit: "g".into()
            })
        );
        let m = one("hard cheeses (50–90 mcg/100 g)", Lang::En);
        assert_eq!(m.basis.unwrap().amount, 100.0);
        let m = one("Boven de 100 µg (4.000 IE) per dag", Lang::Nl);
        assert_eq!(m.quantity.qualifier, Qualifier::AtLeast);
        assert_eq!(m.alt.unwrap().range.min, 4000.0);
        assert!(m.per_day);
    }

    #[test]
    fn qualifiers_in_both_languages() {
        assert_eq!(
            one("~100 mcg", Lang::En).quantity.qualifier,
            Qualifier::Approx
        );
        assert_eq!(
            one("about 150 micrograms", Lang::En).quantity.qualifier,
            Qualifier::Approx
        );
        assert_eq!(
            one("ongeveer 20 µg", Lang::Nl).quantity.qualifier,
            Qualifier::Approx
        );
        assert_eq!(
            one("kan tot 500 µg bevatten", Lang::Nl).quantity.qualifier,
            Qualifier::UpTo
        );
        assert_eq!(
            one("at least 100 mcg", Lang::En).quantity.qualifier,
            Qualifier::AtLeast
        );
        assert_eq!(
            one("minimaal 100 mcg", Lang::Nl).quantity.qualifier,
            Qualifier::AtLeast
        );
        assert_eq!(
            one("meestal 50-200 µg", Lang::Nl).quantity.qualifier,
            Qualifier::Exact
        );
        assert_eq!(
            one("met 1 µg", Lang::Nl).quantity.qualifier,
            Qualifier::Exact
        );
    }

    #[test]
    fn tails() {
        let m = one(
            "doseringen tot 45 mg (45000 mcg) vitamine K2 (als MK-4) per dag",
            Lang::Nl,
        );
        assert_eq!(m.alt.unwrap().unit, Unit::Ug);
        assert_eq!(m.nutrient_after, Some("vitamin K2"));
        assert_eq!(m.form_after, Some(MkForm::Mk(4)));
        assert!(m.per_day);
        let m = one(
            "It contains about 150 micrograms of Vitamin K2 per tablespoon",
            Lang::En,
        );
        assert_eq!(m.basis.unwrap().unit, "tablespoon");
        let m = one(
            "provides 63 micrograms of Vitamin K2 per 100-gram serving",
            Lang::En,
        );
        assert_eq!(
            m.basis,
            Some(Basis {
                amount: 100.0,
                unit: "g".into()
            })
        );
        let m = one("90 μg/day of Vitamin K2", Lang::En);
        assert!(m.per_day);
        assert_eq!(m.nutrient_after, Some("vitamin K2"));
        let m = one("45 mg menatetrenon (MK-4)", Lang::Nl);
        assert_eq!(m.form_after, Some(MkForm::Mk(4)));
    }

    #[test]
    fn weights_and_non_units() {
        let v = find_amounts(
            "Een portie (50 g) kan tot 500 µg vitamine K2 bevatten.",
            Lang::Nl,
        );
        assert_eq!(v.len(), 2);
        assert!(v[0].weight_only);
        assert!(!v[1].weight_only);
        assert!(find_amounts(
            "een spiegel onder de 20 ng/ml en 1-2 eggs per day",
            Lang::Nl
        )
        .is_empty());
        assert!(find_amounts("MK-4 tot MK-13 en 15-30 minuten", Lang::Nl).is_empty());
        let v = find_amounts("tussen 45 µg (MK-7) en 45 mg (MK-4)", Lang::Nl);
        assert_eq!(v.len(), 2, "{v:#?}");
        assert_eq!(v[0].form_after, Some(MkForm::Mk(7)));
        assert_eq!(v[1].form_after, Some(MkForm::Mk(4)));
    }

    #[test]
    fn never_panics_on_odd_text() {
        let long = "[".repeat(10_000);
        assert!(find_amounts(&long, Lang::En).is_empty());
        let digits = "9".repeat(400) + " mg";
        assert!(find_amounts(&digits, Lang::En).is_empty());
        let _ = find_amounts("µg µg 1 µg(", Lang::Nl);
    }
}
