//! Stage 4: reconcile figures across sources and audit them. One file per
//! family of checks: [`consensus`] (food values per comparable basis and their
//! conflicts), [`values`] (dose conflicts, stated equivalences, implausible
//! magnitudes) and [`citations`] (markers, reference lists, DOIs).

pub mod citations;
pub mod consensus;
pub mod values;

use std::collections::{BTreeMap, HashSet};

use rayon::prelude::*;

use crate::model::{place, Discrepancy, Extracted, FoodConsensus, Text};
use crate::spill::{RowSource, SpillError};

/// Reconcile all tables: the consensus rows and every discrepancy found, in
/// a stable order (severity, kind, subject): [`reconcile_corpus`] and
/// [`reconcile_document`] over every row at once.
pub fn reconcile(
    ex: &Extracted,
) -> Result<(Vec<FoodConsensus>, Vec<Discrepancy>), consensus::ConsensusError> {
    let known = citations::KnownJournals::of(&ex.references);
    let (corpus, markers) = rayon::join(|| reconcile_corpus(ex), || reconcile_document(ex, &known));
    let (consensus, mut discrepancies) = corpus?;
    discrepancies.extend(markers);
    sort_discrepancies(&mut discrepancies);
    Ok((consensus, discrepancies))
}

/// The checks that compare rows across documents — food consensus, dose
/// conflicts, stated equivalences, implausible magnitudes, duplicate
/// references — in no particular order (see [`sort_discrepancies`]).
/// Reads only what [`keep_for_corpus_checks`] keeps.
pub fn reconcile_corpus(
    ex: &Extracted,
) -> Result<(Vec<FoodConsensus>, Vec<Discrepancy>), consensus::ConsensusError> {
    // The families of checks are independent: run them side by side on the
    // current rayon pool, then concatenate in a fixed order.
    let (food, (lists, value_checks)) = rayon::join(
        || consensus::food_consensus(&ex.nutrient_values),
        || {
            rayon::join(
                || citations::audit_across_lists(&ex.references),
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
    discrepancies.extend(lists);
    Ok((consensus, discrepancies))
}

/// The checks of a document's markers against its reference list, and of its
/// entries' DOIs ([`citations::audit_document`]): each finding rests on one
/// document, so
/// `ex` may hold one document's rows (all of its id) or many; `known` are
/// the corpus's journals.
pub fn reconcile_document(ex: &Extracted, known: &citations::KnownJournals) -> Vec<Discrepancy> {
    citations::audit_document(&ex.references, &ex.citations, known)
}

/// [`reconcile_document`] over every chunk of `rows` (in parallel on the
/// current rayon pool; one chunk's rows in memory per worker), in chunk
/// order. `visit` sees each chunk with its findings while it is in memory,
/// and what it returns is kept in chunk order: a run gathers there what the
/// report quotes, instead of reading every chunk once more.
pub fn reconcile_documents<T: Send>(
    rows: &dyn RowSource,
    known: &citations::KnownJournals,
    visit: impl Fn(&Extracted, &[Discrepancy]) -> T + Sync,
) -> Result<(Vec<Discrepancy>, Vec<T>), SpillError> {
    let found = (0..rows.chunks())
        .into_par_iter()
        .map(|i| {
            let ex = rows.chunk(i)?;
            let d = reconcile_document(&ex, known);
            let t = visit(&ex, &d);
            Ok((d, t))
        })
        .collect::<Result<Vec<_>, SpillError>>()?;
    let mut all = Vec::new();
    let mut visits = Vec::with_capacity(found.len());
    for (d, t) in found {
        all.extend(d);
        visits.push(t);
    }
    Ok((all, visits))
}

/// The order of the discrepancies table: severity, kind, subject, id.
pub fn sort_discrepancies(d: &mut [Discrepancy]) {
    d.sort_by(|a, b| {
        (a.severity, &a.kind, &a.subject, &a.id).cmp(&(b.severity, &b.kind, &b.subject, &b.id))
    });
}

/// Drop from `ex` what [`reconcile_corpus`] does not read, so that a large
/// corpus's rows can wait for it in memory while the full rows are parked on
/// disk ([`crate::spill`]) until the marker checks and emit read them back a
/// document at a time: the quotes of food values and doses, the doses'
/// co-nutrients, the raw text of reference entries (the duplicate check
/// reads their parsed fields), the markers and the form mentions.
/// `reconcile_corpus` gives the same results on the rows this leaves (tested
/// in `tests/spill.rs`).
pub fn keep_for_corpus_checks(ex: &mut Extracted) {
    for v in &mut ex.nutrient_values {
        v.quote = String::new();
    }
    for d in &mut ex.dosages {
        d.quote = String::new();
        d.co_nutrients = Vec::new();
    }
    for r in &mut ex.references {
        r.raw = String::new();
    }
    ex.citations = Vec::new();
    ex.forms = Vec::new();
}

/// The `doc:line` places the discrepancies point at (their `where`): the lines
/// the report quotes.
pub fn quoted_places(discrepancies: &[Discrepancy]) -> HashSet<&str> {
    discrepancies
        .iter()
        .flat_map(|d| d.r#where.iter().map(Text::as_str))
        .collect()
}

/// Source text of the lines the discrepancies point at (their `where`,
/// `doc:line`), for quoting in the report. Only those lines are kept: a copy
/// of every row's line would double the memory of a large run.
pub fn quotes(ex: &Extracted, discrepancies: &[Discrepancy]) -> BTreeMap<String, String> {
    let wanted = quoted_places(discrepancies);
    let mut m = BTreeMap::new();
    add_quotes(ex, &|k| wanted.contains(k), &mut m);
    m
}

/// Add to `m` the source text of the lines (`doc:line`) `wanted` accepts,
/// found in the rows of `ex` (one document's or many; the first row met
/// quoting a line wins: food values, doses, reference entries, markers).
pub fn add_quotes(ex: &Extracted, wanted: &dyn Fn(&str) -> bool, m: &mut BTreeMap<String, String>) {
    let mut take = |doc: &str, line: usize, text: &str| {
        let key = place(doc, line);
        if wanted(&key) && !m.contains_key(key.as_str()) {
            m.insert(key.to_string(), text.to_string());
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
