//! Stage 4: reconcile figures across sources and audit them. One file per
//! family of checks: [`consensus`] (food values per comparable basis and their
//! conflicts), [`values`] (dose conflicts, stated equivalences, implausible
//! magnitudes) and [`citations`] (markers, reference lists, DOIs).

pub mod citations;
pub mod consensus;
pub mod values;

use std::collections::BTreeMap;

use crate::model::{Discrepancy, Extracted, FoodConsensus};

/// Reconcile all tables: the consensus rows and every discrepancy found, in
/// a stable order (severity, kind, subject).
pub fn reconcile(
    ex: &Extracted,
) -> Result<(Vec<FoodConsensus>, Vec<Discrepancy>), consensus::ConsensusError> {
    // The families of checks are independent: run them side by side on the
    // current rayon pool, then concatenate in a fixed order.
    let (food, (citation_checks, value_checks)) = rayon::join(
        || consensus::food_consensus(&ex.nutrient_values),
        || {
            rayon::join(
                || citations::audit_citations(&ex.references, &ex.citations),
                || {
                    let mut d = values::dose_conflicts(&ex.dosages);
                    d.extend(values::equivalence_mismatches(&ex.dosages));
                    d.extend(values::implausible_values(&ex.dosages, &ex.nutrient_values));
                    d
                },
            )
        },
    );
    let (consensus, mut discrepancies) = food?;
    discrepancies.extend(value_checks);
    discrepancies.extend(citation_checks);
    discrepancies.sort_by(|a, b| {
        (a.severity, &a.kind, &a.subject, &a.id).cmp(&(b.severity, &b.kind, &b.subject, &b.id))
    });
    Ok((consensus, discrepancies))
}

/// Source text of every line a row rests on, keyed `doc:line`, for quoting.
pub fn quotes(ex: &Extracted) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for v in &ex.nutrient_values {
        m.entry(format!("{}:{}", v.doc, v.line))
            .or_insert_with(|| v.quote.clone());
    }
    for d in &ex.dosages {
        m.entry(format!("{}:{}", d.doc, d.line))
            .or_insert_with(|| d.quote.clone());
    }
    for r in &ex.references {
        m.entry(format!("{}:{}", r.doc, r.line))
            .or_insert_with(|| r.raw.clone());
    }
    for c in &ex.citations {
        m.entry(format!("{}:{}", c.doc, c.line))
            .or_insert_with(|| c.context.clone());
    }
    m
}
