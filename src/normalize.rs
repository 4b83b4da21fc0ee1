//! Stage 3: normalise what the extractors found as stated — amounts to
//! micrograms, bases to grams (from the cited measures table only), values to
//! "per 100 g" — and put the rows in their contract order.
//!
//! Extractors keep amounts as written (unit, range); every conversion happens
//! here, in one place, so an auditor can check the factors in one file.

use crate::lexicon;
use crate::model::Extracted;
use crate::values::{Basis, Unit};

/// Fill the derived columns and order every table by doc, line, position.
///
/// Row by row except for the order, so it gives the same rows whether it runs
/// over the whole corpus or over each document (the run does the latter, as
/// documents are extracted, and puts the documents in order with
/// [`sort_rows`]).
pub fn normalize(mut ex: Extracted) -> Extracted {
    for v in &mut ex.nutrient_values {
        let factor = v
            .unit
            .parse::<Unit>()
            .ok()
            .and_then(|u| u.ug_factor(&v.nutrient));
        v.value_ug_min = factor.map(|f| v.amount_min * f);
        v.value_ug_max = factor.map(|f| v.amount_max * f);
        let basis = Basis {
            amount: v.basis_amount,
            unit: v.basis_unit.to_string(),
        };
        v.basis_g = basis.grams();
        if v.basis_g.is_none() && basis.is_household() {
            if let Some(m) = lexicon::measure_grams(&v.food, &v.basis_unit) {
                v.basis_g = Some(m.grams * v.basis_amount);
                v.basis_source = m.source.into();
            }
        }
        let per100 = |ug: Option<f64>| match (ug, v.basis_g) {
            (Some(u), Some(g)) if g > 0.0 => Some(u / g * 100.0),
            _ => None,
        };
        v.ug_per_100g_min = per100(v.value_ug_min);
        v.ug_per_100g_max = per100(v.value_ug_max);
    }
    for d in &mut ex.dosages {
        if d.value_ug_min.is_none() {
            let factor = d
                .unit
                .parse::<Unit>()
                .ok()
                .and_then(|u| u.ug_factor(&d.nutrient));
            let times = d.times_per_day.unwrap_or(1.0);
            d.value_ug_min = factor.map(|f| d.amount_min * f * times);
            d.value_ug_max = factor.map(|f| d.amount_max * f * times);
        }
    }
    sort_rows(&mut ex);
    ex
}

/// Put every table in its contract order: document, then line and position
/// (references: document, number). Stable, and cheap on tables that are
/// already in order (runs are detected), so re-sorting the concatenation of
/// sorted documents costs one pass.
pub fn sort_rows(ex: &mut Extracted) {
    ex.nutrient_values
        .sort_by(|a, b| (&a.doc, a.line, a.offset, &a.id).cmp(&(&b.doc, b.line, b.offset, &b.id)));
    ex.dosages
        .sort_by(|a, b| (&a.doc, a.line, a.offset, &a.id).cmp(&(&b.doc, b.line, b.offset, &b.id)));
    ex.references
        .sort_by(|a, b| (&a.doc, a.ref_no, a.line, &a.id).cmp(&(&b.doc, b.ref_no, b.line, &b.id)));
    ex.citations.sort_by(|a, b| {
        (&a.doc, a.line, a.offset, a.ref_no).cmp(&(&b.doc, b.line, b.offset, b.ref_no))
    });
    ex.forms
        .sort_by(|a, b| (&a.doc, a.line, a.offset, &a.id).cmp(&(&b.doc, b.line, b.offset, &b.id)));
    ex.warnings.sort();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NutrientValue;

    fn nv(
        food: &str,
        amount: f64,
        unit: &str,
        nutrient: &str,
        basis: f64,
        basis_unit: &str,
    ) -> NutrientValue {
        NutrientValue {
            food: food.into(),
            amount_min: amount,
            amount_max: amount,
            unit: unit.into(),
            nutrient: nutrient.into(),
            basis_amount: basis,
            basis_unit: basis_unit.into(),
            ..Default::default()
        }
    }

    #[test]
    fn grams_and_per_100g() {
        let ex = Extracted {
            nutrient_values: vec![
                nv("aged cheese", 10.0, "ug", "vitamin K2", 25.0, "g"),
                nv("salmon", 400.0, "IU", "vitamin D", 3.0, "oz"),
                nv("natto", 100.0, "ug", "vitamin K2", 1.0, "tablespoon"),
                nv("butter", 2.0, "ug", "vitamin K2", 1.0, "tablespoon"),
                nv("natto", 1.0, "IU", "vitamin K2", 1.0, "portion"),
            ],
            ..Default::default()
        };
        let v = normalize(ex).nutrient_values;
        assert_eq!(v[0].ug_per_100g_min, Some(40.0));
        assert_eq!(v[1].value_ug_min, Some(10.0));
        assert!((v[1].basis_g.unwrap() - 85.0485).abs() < 1e-9);
        assert_eq!(v[2].basis_g, None, "no weight, no guess");
        assert_eq!(v[3].basis_g, Some(14.2));
        assert!(v[3].basis_source.contains("USDA"));
        assert_eq!(v[4].value_ug_min, None, "IU of vitamin K has no factor");
    }
}
