//! Stage 4: reconcile figures across sources and audit them. One file per
//! family of checks: [`consensus`] (food values per comparable basis and their
//! conflicts), [`values`] (dose conflicts, stated equivalences, implausible
//! magnitudes) and [`citations`] (markers, reference lists, DOIs).

pub mod citations;
pub mod consensus;
pub mod values;

use std::collections::{BTreeMap, HashSet};

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

/// Drop from `ex` what [`reconcile`] does not read, so that a large corpus's
/// rows can wait for it in memory while the full rows are parked on disk
/// ([`crate::spill`]) until emit: the quotes of food values and doses, the
/// doses' co-nutrients, the markers' sentence contexts (the audit reads their
/// wider `span`) and the form mentions. `reconcile` gives the same results on
/// the rows this leaves (tested on the sources in `tests/`).
pub fn keep_for_reconcile(ex: &mut Extracted) {
    for v in &mut ex.nutrient_values {
        v.quote = String::new();
    }
    for d in &mut ex.dosages {
        d.quote = String::new();
        d.co_nutrients = Vec::new();
    }
    for c in &mut ex.citations {
        c.context = String::new();
    }
    ex.forms = Vec::new();
}

/// The `doc:line` places the discrepancies point at (their `where`): the lines
/// the report quotes.
pub fn quoted_places(discrepancies: &[Discrepancy]) -> HashSet<&str> {
    discrepancies
        .iter()
        .flat_map(|d| d.r#where.iter().map(String::as_str))
        .collect()
}

/// Source text of the lines the discrepancies point at (their `where`,
/// `doc:line`), for quoting in the report. Only those lines are kept: a copy
/// of every row's line would double the memory of a large run.
pub fn quotes(ex: &Extracted, discrepancies: &[Discrepancy]) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    add_quotes(ex, &quoted_places(discrepancies), &mut m);
    m
}

/// Add to `m` the source text of the `wanted` lines (`doc:line`) found in the
/// rows of `ex` (one document's or many; the first row met quoting a line wins:
/// food values, doses, reference entries, markers).
pub fn add_quotes(ex: &Extracted, wanted: &HashSet<&str>, m: &mut BTreeMap<String, String>) {
    let mut key = String::new();
    let mut take = |doc: &str, line: usize, text: &str| {
        use std::fmt::Write;
        key.clear();
        let _ = write!(key, "{doc}:{line}");
        if wanted.contains(key.as_str()) && !m.contains_key(key.as_str()) {
            m.insert(key.clone(), text.to_string());
        }
    };
    for v in &ex.nutrient_values {
        take(&v.doc, v.line, &v.quote);
    }
    for d in &ex.dosages {
        take(&d.doc, d.line, &d.quote);
    }
    for r in &ex.references {
        take(&r.doc, r.line, &r.raw);
    }
    for c in &ex.citations {
        take(&c.doc, c.line, &c.context);
    }
}
