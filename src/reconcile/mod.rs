//! Stage 4: reconcile figures across sources and audit them. One file per
//! family of checks: [`consensus`] (food values per comparable basis and their
//! conflicts), [`values`] (dose conflicts, stated equivalences, implausible
//! magnitudes) and [`citations`] (markers, reference lists, DOIs); [`keys`]
//! holds what the checks across documents keep of every row.
//!
//! The checks fall in two groups, so that a large corpus need not be held in
//! memory: [`reconcile_corpus`] compares rows of different documents and
//! reads only their keys ([`keys::CorpusKeys`]; a run reads them back from
//! disk one family at a time, in parts of whole groups,
//! [`reconcile_corpus_parked`]); [`reconcile_document`]
//! judges each document on its own full rows (with the corpus's journals),
//! one document at a time.

pub mod citations;
pub mod consensus;
pub mod keys;
pub mod values;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use crate::model::{place, Discrepancy, Extracted, Finding, FoodConsensus, Text};
use crate::spill::{FindingKey, Findings, FindingsBuilder, RowSource, Slot, Spill, SpillError};

use keys::{CorpusKeys, Family, HeldKeys, KeySource};

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
    let mut all = Vec::new();
    let consensus = reconcile_corpus_each(keys.clone(), |d| all.push(d))?;
    Ok((consensus, all))
}

/// [`reconcile_corpus`], handing each finding to `out` as soon as it is
/// made (a run parks them: [`CorpusFindings`]); the keys are taken, and
/// each family's keys are dropped as soon as it is done.
pub fn reconcile_corpus_each(
    keys: CorpusKeys,
    out: impl FnMut(Discrepancy),
) -> Result<Vec<FoodConsensus>, consensus::ConsensusError> {
    reconcile_corpus_from(&mut HeldKeys(keys), out).map(|(consensus, _)| consensus)
}

/// Why the checks across documents stopped.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error(transparent)]
    Consensus(#[from] consensus::ConsensusError),
    #[error(transparent)]
    Spill(#[from] SpillError),
}

/// The checks across documents on the keys of `src`, each finding handed
/// to `out` as soon as it is made; with the consensus rows, the journals
/// the corpus's reference lists name (what the marker checks need from
/// beyond the document they judge).
///
/// Each check builds a working set in proportion to the keys it holds (a
/// data frame, buckets, groups), and some findings list a source per value
/// (a conflict over a common food: megabytes in a large corpus). So the
/// families run one after the other, each on its keys a part at a time
/// ([`KeySource::parts`]: a part holds whole groups — one food × nutrient ×
/// basis, one dose's purpose, the entries that may be one work), and every
/// finding is handed on: the peak is one part's, whatever the size of the
/// corpus. What spans all parts is small: a consensus row per group, the
/// journal names, a number per DOI and author-year ([`citations::RefGroups`]).
pub fn reconcile_corpus_from<S: KeySource>(
    src: &mut S,
    mut out: impl FnMut(Discrepancy),
) -> Result<(Vec<FoodConsensus>, citations::KnownJournals), S::Error> {
    let mut rows = Vec::new();
    src.parts(Family::Foods, &consensus::route, &mut |foods| {
        rows.extend(consensus::food_consensus_each(&foods, &mut out)?);
        Ok(())
    })?;
    consensus::sort_rows(&mut rows);
    src.parts(Family::Doses, &values::route, &mut |doses| {
        values::dose_conflicts_each(&doses, &mut out);
        Ok(())
    })?;
    let mut journals = BTreeSet::new();
    let mut groups = citations::RefGroups::default();
    src.scan(Family::Refs, &mut |refs| {
        journals.extend(
            refs.refs
                .iter()
                .map(|r| Text::from(refs.syms.name(r.journal))),
        );
        groups.add(refs);
    })?;
    let known = citations::KnownJournals::named(journals.iter().map(Text::as_str));
    drop(journals);
    let routes = groups.finish();
    src.parts(
        Family::Refs,
        &|refs, i| routes.route(refs, i),
        &mut |refs| {
            citations::audit_across_lists_each(&refs, &mut out);
            Ok(())
        },
    )?;
    Ok((rows, known))
}

/// [`reconcile_corpus_from`] the keys a run parked in `spill`, each family
/// read back in parts of [`keys::PART_KEYS`] keys when its check runs.
pub fn reconcile_corpus_parked(
    parked: &keys::ParkedKeys,
    spill: &Spill,
    out: impl FnMut(Discrepancy),
) -> Result<(Vec<FoodConsensus>, citations::KnownJournals), CorpusError> {
    reconcile_corpus_parked_in(parked, spill, keys::PART_KEYS, out)
}

/// [`reconcile_corpus_parked`] in parts of about `part_keys` keys (a test
/// splits small corpora this way).
pub fn reconcile_corpus_parked_in(
    parked: &keys::ParkedKeys,
    spill: &Spill,
    part_keys: usize,
    out: impl FnMut(Discrepancy),
) -> Result<(Vec<FoodConsensus>, citations::KnownJournals), CorpusError> {
    reconcile_corpus_from(
        &mut keys::PartedKeys {
            parked,
            spill,
            part_keys,
        },
        out,
    )
}

/// The findings of the checks across documents, parked until [`audit`] has
/// read the lines they point at: only where they are, and those places,
/// stay in memory.
#[derive(Debug, Default)]
pub struct CorpusFindings {
    slots: Vec<Slot>,
    /// The places (`doc:line`) the findings point at, and where the text of
    /// each line is parked once [`audit`] has found it.
    lines: Places,
}

/// The places (`doc:line`) the findings across documents point at, as they
/// are parked. A conflict over a common food points at every source line of
/// it (~200 000 places at 200 MB, a million at 1 GB), so a place is held as
/// two numbers — the document's index in a table of the documents met, and
/// the line — appended as met (8 bytes each), and sorted once all are in
/// ([`Places::seal`]): a hash table of them cost two to four times that,
/// and twice again while it grew.
#[derive(Debug, Default)]
struct Places {
    docs: HashMap<Text, u32>,
    wanted: Vec<(u32, u32)>,
}

/// [`Places`] sealed: each with where its line's text is parked once found.
#[derive(Debug, Default)]
struct Lines {
    docs: HashMap<Text, u32>,
    /// Sorted, each place once.
    at: Vec<(u32, u32)>,
    /// Per place of `at`, its index in `found`, or [`Lines::NOT_FOUND`].
    index: Vec<u32>,
    found: Vec<Slot>,
}

/// A place as (document, line). Every place [`place`] writes has a line
/// below `u32::MAX`; any other text is kept whole as its "document", with
/// the line `u32::MAX`, so two texts never share a key.
fn split_place(place: &str) -> (&str, u32) {
    match place.rsplit_once(':') {
        Some((doc, line)) => match line.parse::<u32>() {
            Ok(n) if n != u32::MAX && n.to_string() == line => (doc, n),
            _ => (place, u32::MAX),
        },
        None => (place, u32::MAX),
    }
}

impl Places {
    fn want(&mut self, place: &str) {
        let (doc, line) = split_place(place);
        let next = self.docs.len() as u32;
        let d = match self.docs.get(doc) {
            Some(&d) => d,
            None => *self.docs.entry(Text::from(doc)).or_insert(next),
        };
        self.wanted.push((d, line));
    }

    /// Every place once, in order, ready to be looked up.
    fn seal(self) -> Lines {
        let Places { docs, mut wanted } = self;
        wanted.sort_unstable();
        wanted.dedup();
        wanted.shrink_to_fit();
        Lines {
            docs,
            index: vec![Lines::NOT_FOUND; wanted.len()],
            at: wanted,
            found: Vec::new(),
        }
    }
}

impl Lines {
    const NOT_FOUND: u32 = u32::MAX;

    /// The index of a wanted place in `at`.
    fn position(&self, place: &str) -> Option<usize> {
        let (doc, line) = split_place(place);
        let k = (*self.docs.get(doc)?, line);
        self.at.binary_search(&k).ok()
    }

    fn wants(&self, place: &str) -> bool {
        self.position(place).is_some()
    }

    /// Record where the text of a wanted place is parked.
    fn found(&mut self, place: &str, slot: Slot) {
        if let Some(i) = self.position(place) {
            self.index[i] = self.found.len() as u32;
            self.found.push(slot);
        }
    }

    fn get(&self, place: &str) -> Option<Slot> {
        let i = self.index[self.position(place)?];
        self.found.get(i as usize).copied()
    }
}

impl CorpusFindings {
    /// Park `d` in `spill`.
    pub fn park(&mut self, d: &Discrepancy, spill: &Spill) -> Result<(), SpillError> {
        for w in &d.r#where {
            self.lines.want(w);
        }
        self.slots.push(spill.put_value(d)?);
        Ok(())
    }
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

/// The per-document checks ([`reconcile_document`]) over every chunk of
/// `rows`, in parallel on the current rayon pool (one chunk's rows in memory
/// per worker), and every finding of the run — `corpus`'s, from
/// [`reconcile_corpus`], and theirs — with the lines it quotes, in table
/// order.
///
/// Findings are parked in `spill` as soon as they are found, so that memory
/// holds their sort keys only ([`Findings`]): a chunk's own findings with the
/// quotes of its lines; `corpus`'s wait on disk ([`CorpusFindings`]) while
/// the chunks are read, which park the text of the lines they point at, and
/// are then parked again with their quotes. `visit` sees each chunk while it
/// is in memory, and `sink` gets what it returns, in chunk order (a run
/// gathers there what else the report needs, instead of reading every chunk
/// once more).
pub fn audit<T: Send>(
    rows: &dyn RowSource,
    known: &citations::KnownJournals,
    corpus: CorpusFindings,
    spill: &Arc<Spill>,
    visit: impl Fn(&Extracted) -> Result<T, SpillError> + Sync,
    mut sink: impl FnMut(T),
) -> Result<Findings, SpillError> {
    let CorpusFindings {
        slots: waiting,
        lines,
    } = corpus;
    let mut lines = lines.seal();
    type Chunk<T> = (Vec<FindingKey>, Vec<(String, Slot)>, T);
    let mut findings = FindingsBuilder::parked_in(Arc::clone(spill));
    // A batch of chunks at a time, handed on in order: what `visit` returns
    // for every chunk of a large corpus is not held at once.
    let batch = (rayon::current_num_threads() * 32).max(64);
    for start in (0..rows.chunks()).step_by(batch) {
        let one = |i: usize| -> Result<Chunk<T>, SpillError> {
            let ex = rows.chunk(i)?;
            let found = reconcile_document(&ex, known);
            let mut quotes = BTreeMap::new();
            {
                let own = quoted_places(&found);
                add_quotes(&ex, &|k| own.contains(k) || lines.wants(k), &mut quotes);
            }
            let keys = found
                .into_iter()
                .map(|d| {
                    let f = Finding::quoting(d, |p| quotes.get(p).cloned());
                    FindingKey::park(&f, spill)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let parked = quotes
                .iter()
                .filter(|(k, _)| lines.wants(k))
                .map(|(k, q)| Ok((k.clone(), spill.put_value(q)?)))
                .collect::<Result<Vec<_>, SpillError>>()?;
            Ok((keys, parked, visit(&ex)?))
        };
        let done = (start..rows.chunks().min(start + batch))
            .into_par_iter()
            .map(one)
            .collect::<Result<Vec<_>, _>>()?;
        for (keys, l, t) in done {
            for k in keys {
                findings.push_parked(k)?;
            }
            for (k, slot) in l {
                lines.found(&k, slot);
            }
            sink(t);
        }
    }
    // (the corpus's kinds are not the documents' kinds: the order they are
    // added in does not matter to the sort)
    for slot in waiting {
        let d: Discrepancy = spill.get_value(slot)?;
        let quotes = d
            .r#where
            .iter()
            .map(|w| {
                lines
                    .get(w)
                    .map(|s| spill.get_value::<String>(s))
                    .transpose()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let f = Finding {
            discrepancy: d,
            quotes,
        };
        findings.push_parked(FindingKey::park(&f, spill)?)?;
    }
    findings.finish()
}

/// Findings held in memory: `discrepancies` with the lines of `rows` they
/// point at (for callers that hold everything in memory; a run uses
/// [`audit`]).
pub fn quote_all(
    discrepancies: Vec<Discrepancy>,
    rows: &dyn RowSource,
) -> Result<Findings, SpillError> {
    let mut quotes = BTreeMap::new();
    {
        let wanted = quoted_places(&discrepancies);
        for i in 0..rows.chunks() {
            add_quotes(&*rows.chunk(i)?, &|k| wanted.contains(k), &mut quotes);
        }
    }
    Ok(discrepancies
        .into_iter()
        .map(|d| Finding::quoting(d, |p| quotes.get(p).cloned()))
        .collect())
}

/// The order of the discrepancies table: severity, kind, subject, id.
pub fn sort_discrepancies(d: &mut [Discrepancy]) {
    d.sort_by(|a, b| a.table_order().cmp(&b.table_order()));
}

/// The `doc:line` places the discrepancies point at (their `where`): the lines
/// the report quotes.
pub fn quoted_places(discrepancies: &[Discrepancy]) -> HashSet<&str> {
    discrepancies
        .iter()
        .flat_map(|d| d.r#where.iter().map(Text::as_str))
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(spill: &Spill, s: &str) -> Slot {
        spill.put_value(s).unwrap()
    }

    #[test]
    fn places_are_found_by_their_text_and_never_mixed_up() {
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::create_in(dir.path()).unwrap();
        let mut places = Places::default();
        let odd = [
            "doc-1:12",
            "doc-1:120",
            "doc:1:12",
            "no line",
            "x:4294967295",
            "x",
            "x:012",
            "x:12",
            "",
        ];
        // each twice: a line two findings point at
        for w in odd.iter().chain(&odd) {
            places.want(w);
        }
        let mut p = places.seal();
        assert_eq!(p.at.len(), odd.len());
        assert!(!p.wants("doc-1:13") && !p.wants("doc-2:12") && !p.wants("y"));
        for w in odd {
            assert!(p.wants(w), "{w:?}");
            assert_eq!(p.get(w), None, "not found yet: {w:?}");
        }
        // each place gets its own text, however alike the texts are
        for w in odd {
            p.found(w, slot(&spill, &format!("text of {w}")));
        }
        p.found("doc-9:1", slot(&spill, "unwanted"));
        for w in odd {
            let back: String = spill.get_value(p.get(w).unwrap()).unwrap();
            assert_eq!(back, format!("text of {w}"));
        }
        assert_eq!(p.get("doc-9:1"), None, "only wanted places are kept");
        assert_eq!(split_place("doc-1:12"), ("doc-1", 12));
    }
}
