//! Stage 4: reconcile figures across sources and audit them. One file per
//! family of checks: [`consensus`] (food values per comparable basis and their
//! conflicts), [`values`] (dose conflicts, stated equivalences, implausible
//! magnitudes) and [`citations`] (markers, reference lists, DOIs); [`keys`]
//! holds what the checks across documents keep of every row.
//!
//! The checks fall in two groups, so that a large corpus need not be held in
//! memory: [`reconcile_corpus`] compares rows of different documents and
//! reads only their keys ([`keys::CorpusKeys`]); [`reconcile_document`]
//! judges each document on its own full rows (with the corpus's journals),
//! one document at a time.

pub mod citations;
pub mod consensus;
pub mod keys;
pub mod values;

use std::collections::{BTreeMap, HashSet};

use rayon::prelude::*;

use crate::model::{place, Discrepancy, Extracted, FoodConsensus, Text};
use crate::spill::{RowSource, SpillError};

use keys::CorpusKeys;

/// Reconcile all tables: the consensus rows and every discrepancy found, in
/// a stable order (severity, kind, subject): [`reconcile_corpus`] and
/// [`reconcile_document`] over every row at once.
pub fn reconcile(
    ex: &Extracted,
) -> Result<(Vec<FoodConsensus>, Vec<Discrepancy>), consensus::ConsensusError> {
    let known = citations::KnownJournals::of(&ex.references);
    let (corpus, markers) = rayon::join(
        || reconcile_corpus(&CorpusKeys::of(ex)),
        || reconcile_document(ex, &known),
    );
    let (consensus, mut discrepancies) = corpus?;
    discrepancies.extend(markers);
    sort_discrepancies(&mut discrepancies);
    Ok((consensus, discrepancies))
}

/// The checks that compare rows across documents — food consensus, dose
/// conflicts, duplicate references — in no particular order (see
/// [`sort_discrepancies`]), on the rows' keys.
pub fn reconcile_corpus(
    keys: &CorpusKeys,
) -> Result<(Vec<FoodConsensus>, Vec<Discrepancy>), consensus::ConsensusError> {
    // The families of checks are independent: run them side by side on the
    // current rayon pool, then concatenate in a fixed order.
    let (food, (lists, doses)) = rayon::join(
        || consensus::food_consensus(keys),
        || {
            rayon::join(
                || citations::audit_across_lists(keys),
                || values::dose_conflicts(keys),
            )
        },
    );
    let (consensus, mut discrepancies) = food?;
    discrepancies.extend(doses);
    discrepancies.extend(lists);
    Ok((consensus, discrepancies))
}

/// The checks whose findings each rest on one document: its markers against
/// its reference list and its entries' DOIs ([`citations::audit_document`]),
/// its stated equivalences and its implausible magnitudes ([`values`]). `ex`
/// may hold one document's rows (all of its id) or many; `known` are the
/// corpus's journals.
pub fn reconcile_document(ex: &Extracted, known: &citations::KnownJournals) -> Vec<Discrepancy> {
    let mut d = citations::audit_document(&ex.references, &ex.citations, known);
    d.extend(values::equivalence_mismatches(&ex.dosages));
    d.extend(values::implausible_values(&ex.dosages, &ex.nutrient_values));
    d
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
