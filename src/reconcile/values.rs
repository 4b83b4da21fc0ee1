//! Checks on the figures themselves: stated equivalences that do not hold,
//! magnitudes no food or dose can have, and doses that sources give
//! incompatibly for the same nutrient, form, indication and population.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use crate::lexicon;
use crate::model::{place, row_id, Discrepancy, Dosage, NutrientValue, Qualifier, Severity, Text};
use crate::values::{format_number, Range, Unit};

use super::keys::{CorpusKeys, Remap, Sym, Symbols};

use super::consensus::{ranges_conflict, CONFLICT_RATIO};

const BOUNDS: &str = include_str!("../../data/plausible_bounds.tsv");

/// Relative tolerance of a stated equivalence: sources round ("38 µg (1500 IE)"
/// is 37.5 µg), so only a difference beyond rounding is reported.
pub const EQUIVALENCE_TOLERANCE: f64 = 0.1;

/// A plausibility bound with its source.
#[derive(Debug, Clone)]
pub struct Bound {
    pub max_ug: f64,
    pub basis: &'static str,
    pub source: &'static str,
}

/// Bounds by (nutrient, table).
static BOUNDS_BY_KEY: LazyLock<BTreeMap<(&'static str, &'static str), Bound>> =
    LazyLock::new(|| {
        lexicon::rows(BOUNDS)
            .filter(|r| r.len() >= 5)
            .filter_map(|r| {
                Some((
                    (r[0], r[1]),
                    Bound {
                        max_ug: r[2].parse().ok()?,
                        basis: r[3],
                        source: r[4],
                    },
                ))
            })
            .collect()
    });

/// The bound for a nutrient in a table ("dosages" or "nutrient_values").
pub fn bound(nutrient: &str, table: &str) -> Option<&'static Bound> {
    BOUNDS_BY_KEY
        .iter()
        .find(|((n, t), _)| *n == nutrient && *t == table)
        .map(|(_, b)| b)
}

fn fmt_range(min: f64, max: f64) -> String {
    Range::ordered(min, max).to_string()
}

fn close(a: f64, b: f64) -> bool {
    let m = a.abs().max(b.abs());
    m == 0.0 || (a - b).abs() / m <= EQUIVALENCE_TOLERANCE
}

/// "25 µg (800 IE)": both sides converted to ug must agree within the tolerance.
pub fn equivalence_mismatches(dosages: &[Dosage]) -> Vec<Discrepancy> {
    let mut out = Vec::new();
    for d in dosages {
        let (Some(alt_min), Some(alt_max)) = (d.alt_amount_min, d.alt_amount_max) else {
            continue;
        };
        let (Ok(unit), Ok(alt_unit)) = (d.unit.parse::<Unit>(), d.alt_unit.parse::<Unit>()) else {
            continue;
        };
        let (Some(f), Some(fa)) = (unit.ug_factor(&d.nutrient), alt_unit.ug_factor(&d.nutrient))
        else {
            continue;
        };
        let (a_min, a_max) = (d.amount_min * f, d.amount_max * f);
        let (b_min, b_max) = (alt_min * fa, alt_max * fa);
        if close(a_min, b_min) && close(a_max, b_max) {
            continue;
        }
        let stated = format!(
            "{} {} ({} {})",
            fmt_range(d.amount_min, d.amount_max),
            d.unit,
            fmt_range(alt_min, alt_max),
            d.alt_unit
        );
        let subject = format!("{stated} {} in {}", d.nutrient, d.doc);
        let factor_note = if unit == Unit::Iu || alt_unit == Unit::Iu {
            " (1 IU of vitamin D = 0.025 ug)"
        } else {
            ""
        };
        out.push(Discrepancy {
            id: row_id("discrepancies", &["equivalence_mismatch", &d.id]),
            kind: "equivalence_mismatch".into(),
            severity: Severity::Error,
            subject,
            detail: format!(
                "The text states {stated} for {}, but {} {} is {} ug and {} {} is {} ug{factor_note}.",
                d.nutrient,
                fmt_range(d.amount_min, d.amount_max),
                d.unit,
                fmt_range(a_min, a_max),
                fmt_range(alt_min, alt_max),
                d.alt_unit,
                fmt_range(b_min, b_max),
            ),
            docs: vec![d.doc.clone()],
            evidence: vec![d.id.clone()],
            r#where: vec![place(&d.doc, d.line)],
        });
    }
    out
}

/// Doses and food contents beyond the plausible bounds of `data/plausible_bounds.tsv`.
pub fn implausible_values(dosages: &[Dosage], values: &[NutrientValue]) -> Vec<Discrepancy> {
    let mut out = Vec::new();
    for d in dosages {
        let (Some(b), Some(max)) = (bound(&d.nutrient, "dosages"), d.value_ug_max) else {
            continue;
        };
        if max <= b.max_ug {
            continue;
        }
        let stated = format!("{} {}", fmt_range(d.amount_min, d.amount_max), d.unit);
        out.push(Discrepancy {
            id: row_id("discrepancies", &["implausible_value", &d.id]),
            kind: "implausible_value".into(),
            severity: Severity::Error,
            subject: format!("{stated} {} in {}:{}", d.nutrient, d.doc, d.line),
            detail: format!(
                "{stated} of {} ({} ug per day) is more than any plausible daily amount ({} ug: {}); probably a wrong unit or a typo.",
                d.nutrient,
                format_number(max),
                format_number(b.max_ug),
                b.source
            ),
            docs: vec![d.doc.clone()],
            evidence: vec![d.id.clone()],
            r#where: vec![place(&d.doc, d.line)],
        });
    }
    for v in values {
        let (Some(b), Some(max)) = (bound(&v.nutrient, "nutrient_values"), v.ug_per_100g_max)
        else {
            continue;
        };
        if max <= b.max_ug {
            continue;
        }
        let stated = format!(
            "{} {} per {} {}",
            fmt_range(v.amount_min, v.amount_max),
            v.unit,
            format_number(v.basis_amount),
            v.basis_unit
        );
        out.push(Discrepancy {
            id: row_id("discrepancies", &["implausible_value", &v.id]),
            kind: "implausible_value".into(),
            severity: Severity::Error,
            subject: format!("{} / {} {stated} in {}:{}", v.food, v.nutrient, v.doc, v.line),
            detail: format!(
                "{stated} of {} in {} is {} ug per 100 g, more than any food contains ({} ug per 100 g: {}).",
                v.nutrient,
                v.food,
                format_number(max),
                format_number(b.max_ug),
                b.source
            ),
            docs: vec![v.doc.clone()],
            evidence: vec![v.id.clone()],
            r#where: vec![place(&v.doc, v.line)],
        });
    }
    out
}

/// The per-day range a dose statement allows: "up to" reaches down to zero,
/// "at least" has no upper end.
fn dose_span(d: &Dosage) -> Option<Range> {
    let (lo, hi) = (d.value_ug_min?, d.value_ug_max?);
    Some(match d.qualifier {
        Qualifier::UpTo => Range::ordered(0.0, hi),
        Qualifier::AtLeast => Range {
            min: lo,
            max: f64::INFINITY,
        },
        _ => Range::ordered(lo, hi),
    })
}

/// What the dose-conflict check reads of a dose: the row's id and place, the
/// group it belongs to and its daily span. Only doses with an indication and
/// a daily amount in ug have one.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DoseKey {
    pub id: Text,
    pub doc: Sym,
    pub line: usize,
    /// Orders rows within a line (table order); saturates, it only breaks ties.
    pub offset: u32,
    /// Nutrient, form, indication, population: doses compare within one.
    pub group: [Sym; 4],
    /// The daily range the statement allows ("up to" reaches down to zero,
    /// "at least" has no upper end).
    pub span: Range,
    /// ug per day as stated (`value_ug_min`, `value_ug_max`).
    pub ug: (f64, f64),
}

impl DoseKey {
    pub fn of(d: &Dosage, syms: &mut Symbols) -> Option<DoseKey> {
        if d.indication.is_empty() {
            return None;
        }
        let span = dose_span(d)?;
        Some(DoseKey {
            id: d.id.clone(),
            doc: syms.intern(&d.doc),
            line: d.line,
            offset: u32::try_from(d.offset).unwrap_or(u32::MAX),
            group: [&d.nutrient, &d.form, &d.indication, &d.population].map(|s| syms.intern(s)),
            span,
            ug: (d.value_ug_min.unwrap_or(0.0), d.value_ug_max.unwrap_or(0.0)),
        })
    }
}

impl Remap for DoseKey {
    fn remap(self, map: &[Sym]) -> DoseKey {
        DoseKey {
            doc: map[self.doc as usize],
            group: self.group.map(|s| map[s as usize]),
            ..self
        }
    }

    fn symbols(&self, f: &mut dyn FnMut(Sym)) {
        f(self.doc);
        self.group.iter().for_each(|&s| f(s));
    }
}

/// The items that conflict with an item of another source. One source giving
/// several doses for one purpose is a dose-response or a schedule; a conflict
/// is between sources.
///
/// Comparing every pair is quadratic, and a common purpose ("general
/// prevention") gathers thousands of doses in a large corpus. A range conflicts
/// with one above it the more, the higher that one starts, and with one below
/// it the more, the lower that one ends ([`ranges_conflict`] is monotone in
/// both), so each item is tested against the highest start and the lowest end
/// among the other sources only: linear, and the same set as all pairs. Groups
/// holding a NaN (not ordered) are compared pairwise.
fn conflicting(items: &[&DoseKey]) -> BTreeSet<usize> {
    let pairwise = || {
        let mut involved = BTreeSet::new();
        for i in 0..items.len() {
            for j in i + 1..items.len() {
                if items[i].doc != items[j].doc
                    && ranges_conflict(items[i].span, items[j].span, CONFLICT_RATIO)
                {
                    involved.insert(i);
                    involved.insert(j);
                }
            }
        }
        involved
    };
    if items
        .iter()
        .any(|k| k.span.min.is_nan() || k.span.max.is_nan())
    {
        return pairwise();
    }
    /// The best item by `better`, and the best one of another document.
    fn best_two(
        items: &[&DoseKey],
        better: impl Fn(Range, Range) -> bool,
    ) -> (Option<usize>, Option<usize>) {
        let (mut best, mut other): (Option<usize>, Option<usize>) = (None, None);
        for (k, d) in items.iter().enumerate() {
            let r = &d.span;
            match best {
                None => best = Some(k),
                Some(b) if better(*r, items[b].span) => {
                    if items[b].doc != d.doc {
                        other = Some(b);
                    } else if other.is_some_and(|o| items[o].doc == d.doc) {
                        other = None;
                    }
                    best = Some(k);
                }
                Some(b) => {
                    if items[b].doc != d.doc && other.is_none_or(|o| better(*r, items[o].span)) {
                        other = Some(k);
                    }
                }
            }
        }
        (best, other)
    }
    let highest_start = best_two(items, |a, b| a.min > b.min);
    let lowest_end = best_two(items, |a, b| a.max < b.max);
    let partner = |(best, other): (Option<usize>, Option<usize>), i: usize| {
        best.filter(|&b| items[b].doc != items[i].doc).or(other)
    };
    (0..items.len())
        .filter(|&i| {
            [partner(highest_start, i), partner(lowest_end, i)]
                .into_iter()
                .flatten()
                .any(|j| ranges_conflict(items[i].span, items[j].span, CONFLICT_RATIO))
        })
        .collect()
}

/// Doses for the same nutrient, form, indication and population that different
/// sources give incompatibly, among the doses of `keys`.
pub fn dose_conflicts(keys: &CorpusKeys) -> Vec<Discrepancy> {
    let mut found = Vec::new();
    dose_conflicts_each(keys, &mut |d| found.push(d));
    found
}

/// Doses compare within one nutrient × form × indication × population:
/// split by that ([`super::keys::KeySource::parts`]), no group spans two
/// parts.
pub fn route(keys: &CorpusKeys, i: usize) -> Option<u64> {
    let s = &keys.syms;
    Some(super::keys::route_of(
        keys.doses[i].group.map(|n| s.name(n)),
    ))
}

/// [`dose_conflicts`], handing each conflict to `out` as soon as it is made
/// (a common purpose gathers thousands of doses, each named in its conflict).
pub fn dose_conflicts_each(keys: &CorpusKeys, out: &mut dyn FnMut(Discrepancy)) {
    let s = &keys.syms;
    // by the group's names, so the findings come in the order of their subjects
    let mut groups: BTreeMap<[&str; 4], Vec<&DoseKey>> = BTreeMap::new();
    for d in &keys.doses {
        groups
            .entry(d.group.map(|g| s.name(g)))
            .or_default()
            .push(d);
    }
    for ([nutrient, form, indication, population], items) in groups {
        let involved = conflicting(&items);
        if involved.is_empty() {
            continue;
        }
        let what = [nutrient, form]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let who = if population.is_empty() {
            String::new()
        } else {
            format!(", {population}")
        };
        let subject = format!("{what} dose for {indication}{who}");
        let stated: Vec<String> = involved
            .iter()
            .map(|&k| {
                let d = items[k];
                format!(
                    "{} ug/day in {} line {}",
                    fmt_range(d.ug.0, d.ug.1),
                    s.name(d.doc),
                    d.line
                )
            })
            .collect();
        out(Discrepancy {
            id: row_id("discrepancies", &["value_conflict", &subject]),
            kind: "value_conflict".into(),
            severity: Severity::Warning,
            subject,
            detail: format!(
                "Sources give incompatible daily doses of {what} for {indication}{who}: {}.",
                stated.join("; ")
            ),
            docs: involved
                .iter()
                .map(|&k| Text::from(s.name(items[k].doc)))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            evidence: involved.iter().map(|&k| items[k].id.clone()).collect(),
            r#where: involved
                .iter()
                .map(|&k| place(s.name(items[k].doc), items[k].line))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Extracted;

    fn dose_conflicts(d: &[Dosage]) -> Vec<Discrepancy> {
        super::dose_conflicts(&CorpusKeys::of(&Extracted {
            dosages: d.to_vec(),
            ..Default::default()
        }))
    }

    fn dose(
        nutrient: &str,
        amount: (f64, f64),
        unit: &str,
        alt: Option<(f64, f64, &str)>,
    ) -> Dosage {
        let f = unit
            .parse::<Unit>()
            .ok()
            .and_then(|u| u.ug_factor(nutrient));
        Dosage {
            id: format!("{nutrient}{}{unit}", amount.0).into(),
            doc: "d".into(),
            line: 1,
            nutrient: nutrient.into(),
            amount_min: amount.0,
            amount_max: amount.1,
            unit: unit.into(),
            times_per_day: Some(1.0),
            value_ug_min: f.map(|f| amount.0 * f),
            value_ug_max: f.map(|f| amount.1 * f),
            alt_amount_min: alt.map(|a| a.0),
            alt_amount_max: alt.map(|a| a.1),
            alt_unit: alt.map(|a| a.2.into()).unwrap_or_default(),
            ..Default::default()
        }
    }

    #[test]
    fn equivalences_that_hold_are_not_flagged() {
        let ok = vec![
            dose("vitamin D", (20.0, 20.0), "ug", Some((800.0, 800.0, "IU"))),
            dose("vitamin D", (10.0, 20.0), "ug", Some((400.0, 800.0, "IU"))),
            dose(
                "vitamin K2",
                (45.0, 45.0),
                "mg",
                Some((45000.0, 45000.0, "ug")),
            ),
            dose(
                "vitamin D3",
                (38.0, 38.0),
                "ug",
                Some((1500.0, 1500.0, "IU")),
            ),
            dose(
                "vitamin K2",
                (100.0, 100.0),
                "ug",
                Some((4000.0, 4000.0, "IU")),
            ),
        ];
        assert!(equivalence_mismatches(&ok).is_empty());
    }

    #[test]
    fn broken_equivalences_are_flagged() {
        let bad = vec![
            dose("vitamin D", (25.0, 25.0), "ug", Some((800.0, 800.0, "IU"))),
            dose(
                "vitamin K2",
                (45.0, 45.0),
                "mg",
                Some((4500.0, 4500.0, "ug")),
            ),
        ];
        let d = equivalence_mismatches(&bad);
        assert_eq!(d.len(), 2);
        assert!(d[0].subject.contains("25 ug (800 IU)"));
        assert!(d[0].detail.contains("20 ug"));
    }

    #[test]
    fn implausible_magnitudes() {
        let v = vec![
            dose("vitamin K2", (10.0, 10.0), "g", None),
            dose("vitamin K2", (45.0, 45.0), "mg", None),
            dose("vitamin D", (4000.0, 4000.0), "IU", None),
        ];
        let d = implausible_values(&v, &[]);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0].subject.starts_with("10 g vitamin K2"));
        let food = NutrientValue {
            id: "x".into(),
            food: "natto".into(),
            nutrient: "vitamin K2".into(),
            amount_min: 100.0,
            amount_max: 100.0,
            unit: "mg".into(),
            basis_amount: 100.0,
            basis_unit: "g".into(),
            ug_per_100g_max: Some(100_000.0),
            ..Default::default()
        };
        let ok = NutrientValue {
            ug_per_100g_max: Some(1000.0),
            ..food.clone()
        };
        assert_eq!(implausible_values(&[], &[food, ok]).len(), 1);
    }

    #[test]
    fn dose_conflicts_need_the_same_indication_and_population() {
        let mut a = dose("vitamin K2", (90.0, 90.0), "ug", None);
        a.indication = "general health".into();
        a.population = "women".into();
        let mut b = a.clone();
        b.id = "b".into();
        b.doc = "e".into();
        b.population = "men".into();
        b.value_ug_min = Some(120.0);
        b.value_ug_max = Some(120.0);
        assert!(dose_conflicts(&[a.clone(), b.clone()]).is_empty());
        b.population = "women".into();
        b.value_ug_min = Some(360.0);
        b.value_ug_max = Some(360.0);
        let d = dose_conflicts(&[a.clone(), b.clone()]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].docs, vec!["d", "e"]);
        // an upper limit does not contradict a lower dose
        b.qualifier = Qualifier::UpTo;
        assert!(dose_conflicts(&[a, b]).is_empty());
    }
}
