//! Food values are compared per food × nutrient × comparable basis: "per 100 g"
//! where a gram weight is known, otherwise only with values on the same
//! household basis ("per tablespoon"). A group is a `conflict` when two of its
//! values (from different sources, or one source contradicting itself) do not
//! overlap and the nearer ends differ by
//! more than [`CONFLICT_RATIO`]; rounding and ranges in the sources make smaller
//! differences meaningless.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{row_id, Discrepancy, FoodConsensus, NutrientValue, Severity};
use crate::values::{format_number, Range};

/// Values whose nearer ends differ by more than this factor conflict.
pub const CONFLICT_RATIO: f64 = 1.25;

/// Food values grouped by (food, nutrient, basis label), each with its comparable range.
type Groups<'a> = BTreeMap<(String, String, String), Vec<(&'a NutrientValue, Range)>>;

/// Comparable value of a food row: (basis label, ug range per basis).
fn comparable(v: &NutrientValue) -> Option<(String, Range)> {
    match (v.ug_per_100g_min, v.ug_per_100g_max) {
        (Some(a), Some(b)) => Some(("per 100 g".to_string(), Range::ordered(a, b))),
        _ => {
            let (a, b) = (v.value_ug_min?, v.value_ug_max?);
            if v.basis_amount <= 0.0 {
                return None;
            }
            let r = Range::ordered(a, b).scale(1.0 / v.basis_amount);
            let label = if v.basis_unit == "g" || v.basis_unit == "ml" || v.basis_unit == "oz" {
                format!("per 1 {}", v.basis_unit)
            } else {
                format!("per {}", v.basis_unit)
            };
            Some((label, r))
        }
    }
}

/// Do two ranges conflict: disjoint, and the nearer ends more than the ratio apart?
pub fn ranges_conflict(a: Range, b: Range, ratio: f64) -> bool {
    if a.overlaps(b) {
        return false;
    }
    let (lo, hi) = if a.max < b.min {
        (a.max, b.min)
    } else {
        (b.max, a.min)
    };
    lo <= 0.0 || hi / lo > ratio
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Consensus rows and the value conflicts among food values.
pub fn food_consensus(values: &[NutrientValue]) -> (Vec<FoodConsensus>, Vec<Discrepancy>) {
    let mut groups: Groups = BTreeMap::new();
    for v in values {
        if let Some((basis, r)) = comparable(v) {
            groups
                .entry((v.food.clone(), v.nutrient.clone(), basis))
                .or_default()
                .push((v, r));
        }
    }
    let mut rows = Vec::new();
    let mut conflicts = Vec::new();
    for ((food, nutrient, basis), items) in groups {
        let docs: BTreeSet<&str> = items.iter().map(|(v, _)| v.doc.as_str()).collect();
        let min = items
            .iter()
            .map(|(_, r)| r.min)
            .fold(f64::INFINITY, f64::min);
        let max = items
            .iter()
            .map(|(_, r)| r.max)
            .fold(f64::NEG_INFINITY, f64::max);
        let mut conflicting: BTreeSet<usize> = BTreeSet::new();
        for i in 0..items.len() {
            for j in i + 1..items.len() {
                if ranges_conflict(items[i].1, items[j].1, CONFLICT_RATIO) {
                    conflicting.insert(i);
                    conflicting.insert(j);
                }
            }
        }
        let status = if items.len() == 1 {
            "single"
        } else if conflicting.is_empty() {
            "agree"
        } else {
            "conflict"
        };
        let value_ids: Vec<String> = items.iter().map(|(v, _)| v.id.clone()).collect();
        if status == "conflict" {
            let stated: Vec<String> = items
                .iter()
                .map(|(v, r)| format!("{} ug {} in {} line {}", r, basis, v.doc, v.line))
                .collect();
            let subject = format!("{food} / {nutrient} {basis}");
            conflicts.push(Discrepancy {
                id: row_id("discrepancies", &["value_conflict", &subject]),
                kind: "value_conflict".into(),
                severity: Severity::Warning,
                subject: subject.clone(),
                detail: format!(
                    "Sources disagree on {nutrient} in {food}: {} (from {} to {} ug {basis}, a factor {}).",
                    stated.join("; "),
                    format_number(min),
                    format_number(max),
                    format_number(((max / min) * 100.0).round() / 100.0)
                ),
                docs: docs.iter().map(|d| d.to_string()).collect(),
                evidence: value_ids.clone(),
                r#where: items
                    .iter()
                    .map(|(v, _)| format!("{}:{}", v.doc, v.line))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            });
        }
        rows.push(FoodConsensus {
            food,
            nutrient,
            basis,
            n_values: items.len() as i64,
            n_docs: docs.len() as i64,
            min,
            max,
            median: median(items.iter().map(|(_, r)| r.midpoint()).collect()),
            spread: if min > 0.0 { max / min } else { f64::NAN },
            status: status.into(),
            value_ids,
        });
    }
    (rows, conflicts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nv(
        doc: &str,
        food: &str,
        lo: f64,
        hi: f64,
        basis: f64,
        unit: &str,
        per100: bool,
    ) -> NutrientValue {
        let f = 100.0 / basis;
        NutrientValue {
            id: format!("{doc}-{food}-{lo}"),
            doc: doc.into(),
            food: food.into(),
            nutrient: "vitamin K2".into(),
            value_ug_min: Some(lo),
            value_ug_max: Some(hi),
            basis_amount: basis,
            basis_unit: unit.into(),
            ug_per_100g_min: per100.then_some(lo * f),
            ug_per_100g_max: per100.then_some(hi * f),
            ..Default::default()
        }
    }

    #[test]
    fn household_values_conflict_across_sources() {
        let v = vec![
            nv("a", "natto", 100.0, 100.0, 1.0, "tablespoon", false),
            nv("b", "natto", 150.0, 150.0, 1.0, "tablespoon", false),
        ];
        let (rows, d) = food_consensus(&v);
        assert_eq!(rows[0].status, "conflict");
        assert_eq!(rows[0].basis, "per tablespoon");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].docs, vec!["a", "b"]);
    }

    #[test]
    fn overlapping_or_close_values_agree() {
        let v = vec![
            nv("a", "cheese", 10.0, 20.0, 25.0, "g", true),
            nv("b", "cheese", 50.0, 90.0, 100.0, "g", true),
            nv("c", "cheese", 95.0, 95.0, 100.0, "g", true),
        ];
        let (rows, d) = food_consensus(&v);
        assert_eq!(rows[0].status, "agree");
        assert!(d.is_empty());
        assert_eq!(rows[0].min, 40.0);
        assert_eq!(rows[0].max, 95.0);
    }

    #[test]
    fn a_source_contradicting_itself_conflicts_too() {
        let v = vec![
            nv("a", "natto", 100.0, 100.0, 1.0, "tablespoon", false),
            nv("a", "natto", 200.0, 200.0, 1.0, "tablespoon", false),
        ];
        let (rows, d) = food_consensus(&v);
        assert_eq!(rows[0].status, "conflict");
        assert_eq!(d[0].docs, vec!["a"]);
    }
}
