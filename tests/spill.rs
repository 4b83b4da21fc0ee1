//! Rows parked on disk (issue #8, memory): `run` extracts each document,
//! parks its rows in the spill and keeps only what reconcile reads; emit then
//! streams the tables back one document at a time. These tests hold the
//! binary's outputs to the plain path of the library — every row in memory,
//! normalised and reconciled at once, written from one chunk — on the
//! committed sources and on files that share a document id.

use std::fs;
use std::path::Path;

use nutripipe::emit::{self, EmitOptions};
use nutripipe::model::{Dataset, DocSummary, Extracted, Warning};
use nutripipe::reconcile::keys::{CorpusKeys, Family, ParkedKeys};
use nutripipe::spill::Spill;
use nutripipe::{extract, ingest, normalize, reconcile};

mod common;
use common::{copy_dir, raw_dir};

/// Every source under `raw`, as `run` lists and reads them: the documents'
/// summaries and rows, and every warning met.
fn extract_all(raw: &Path) -> (Vec<(DocSummary, Extracted)>, Vec<Warning>) {
    let (files, mut warnings) = ingest::list_sources(raw).unwrap();
    let mut docs = Vec::new();
    for rel in &files {
        match ingest::load(raw, rel) {
            Ok((doc, summary, w)) => {
                warnings.extend(w);
                docs.push((summary, extract::extract_document(&doc)));
            }
            Err(w) => warnings.push(w),
        }
    }
    (docs, warnings)
}

/// The plain path: every row in memory, normalised and reconciled at once,
/// written as one chunk.
fn write_in_memory(raw: &Path, out: &Path) {
    let (docs, warnings) = extract_all(raw);
    let mut ds = Dataset::default();
    let mut parts = Vec::new();
    for (summary, ex) in docs {
        ds.documents.push(summary);
        parts.push(ex);
    }
    let mut ex = normalize::normalize(Extracted::concat(parts));
    ds.warnings = warnings;
    ds.warnings.append(&mut ex.warnings);
    ds.warnings.sort();
    let (consensus, discrepancies) = reconcile::reconcile(&ex).unwrap();
    ds.consensus = consensus;
    emit::prepare_report(&mut ds, discrepancies, &ex).unwrap();
    emit::write_outputs(out, raw, &ds, &ex, EmitOptions::default()).unwrap();
}

/// `nutripipe run` on `raw` (rows parked in the spill, reconciled on what is
/// kept, tables streamed back) against the plain path.
fn assert_same_sets(raw: &Path) {
    let t = tempfile::tempdir().unwrap();
    let (plain, run) = (t.path().join("plain"), t.path().join("run"));
    write_in_memory(raw, &plain);
    let o = common::run(raw, &run, &["--quiet", "--no-cache", "--jobs", "2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(common::output_names(&plain).len() >= 16);
    common::assert_same_outputs(&plain, &run);
    // the spill file (beside the output folder) is gone
    let left: Vec<_> = fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".nutripipe-spill"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn spilled_rows_give_the_same_outputs_as_rows_in_memory() {
    assert_same_sets(&raw_dir());
}

#[test]
fn a_corpus_of_many_documents_gives_the_same_outputs_as_rows_in_memory() {
    // more documents than the audit takes in one batch (32 per thread), with
    // conflicts across documents whose quotes come from many of them
    let t = tempfile::tempdir().unwrap();
    let corpus = t.path().join("corpus");
    let (n, _) = nutripipe::bench_corpus::generate(&raw_dir(), &corpus, 2.5, 7).unwrap();
    assert!(n > 64, "{n} documents");
    assert_same_sets(&corpus);
}

#[test]
fn checks_across_documents_find_part_by_part_what_they_find_at_once() {
    // a corpus with common foods, purposes and works in many documents,
    // split into parts far smaller than its groups' spread: every part must
    // hold whole groups, and the findings, consensus rows and journals must
    // be those of all keys at once
    let t = tempfile::tempdir().unwrap();
    let corpus = t.path().join("corpus");
    nutripipe::bench_corpus::generate(&raw_dir(), &corpus, 1.0, 11).unwrap();
    let (docs, _) = extract_all(&corpus);
    let parts: Vec<Extracted> = docs
        .into_iter()
        .map(|(_, ex)| normalize::normalize(ex))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let spill = Spill::create_in(dir.path()).unwrap();
    let mut parked = ParkedKeys::default();
    let mut all = CorpusKeys::default();
    for p in &parts {
        parked.append(ParkedKeys::park(p, &spill).unwrap());
        all.append(CorpusKeys::of(p));
    }
    all.sort();
    assert!(all.foods.len() > 300 && all.doses.len() > 300 && all.refs.len() > 200);
    let (want_consensus, mut want) = reconcile::reconcile_corpus(&all).unwrap();
    reconcile::sort_discrepancies(&mut want);
    let kinds: std::collections::BTreeSet<_> = want.iter().map(|d| d.kind.as_str()).collect();
    assert!(
        kinds.contains("value_conflict") && kinds.contains("duplicate_reference"),
        "{kinds:?}"
    );
    let want_known = reconcile::citations::KnownJournals::named(all.journals());
    for part_keys in [7, 100, 1000, usize::MAX] {
        let mut found = Vec::new();
        let (consensus, known) =
            reconcile::reconcile_corpus_parked_in(&parked, &spill, part_keys, |d| found.push(d))
                .unwrap();
        reconcile::sort_discrepancies(&mut found);
        assert_eq!(consensus, want_consensus, "parts of {part_keys}");
        assert!(found == want, "parts of {part_keys}");
        assert_eq!(known, want_known, "parts of {part_keys}");
    }
}

#[test]
fn files_sharing_a_document_id_are_interleaved_as_in_memory() {
    // "x.txt" and "x.md" are both document "x": their rows are one chunk,
    // ordered by line across the two files, exactly as a sort of all rows
    let t = tempfile::tempdir().unwrap();
    let raw = t.path().join("raw");
    copy_dir(&raw_dir(), &raw);
    let mut names: Vec<_> = fs::read_dir(&raw)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let first = fs::read_to_string(&names[0]).unwrap();
    fs::write(raw.join("x.txt"), &first).unwrap();
    let second = fs::read_to_string(&names[1]).unwrap();
    fs::write(raw.join("x.md"), &second).unwrap();
    assert_same_sets(&raw);
}

#[test]
fn corpus_keys_gathered_document_by_document_are_the_keys_of_all_rows() {
    let (docs, _) = extract_all(&raw_dir());
    let raw_parts: Vec<Extracted> = docs.into_iter().map(|(_, ex)| ex).collect();
    let full = normalize::normalize(Extracted::concat(raw_parts.clone()));
    let parts: Vec<Extracted> = raw_parts.into_iter().map(normalize::normalize).collect();
    let at_once = CorpusKeys::of(&full);
    let mut gathered = CorpusKeys::default();
    // appended in reverse, so the sort has to restore the table order
    for p in parts.iter().rev() {
        gathered.append(CorpusKeys::of(p));
    }
    gathered.sort();
    let names = |k: &CorpusKeys| {
        let s = &k.syms;
        (
            k.foods
                .iter()
                .map(|f| {
                    (
                        f.id.clone(),
                        s.name(f.doc).to_string(),
                        s.name(f.food).to_string(),
                    )
                })
                .collect::<Vec<_>>(),
            k.doses
                .iter()
                .map(|d| (d.id.clone(), d.group.map(|g| s.name(g).to_string())))
                .collect::<Vec<_>>(),
            k.refs
                .iter()
                .map(|r| (r.id.clone(), s.name(r.journal).to_string()))
                .collect::<Vec<_>>(),
        )
    };
    assert!(!at_once.foods.is_empty() && !at_once.doses.is_empty() && !at_once.refs.is_empty());
    assert_eq!(names(&at_once), names(&gathered));
    // parked document by document (in reverse again) and loaded family by
    // family, as a run does: the same keys, in the same order
    let dir = tempfile::tempdir().unwrap();
    let spill = Spill::create_in(dir.path()).unwrap();
    let mut parked = ParkedKeys::default();
    for p in parts.iter().rev() {
        parked.append(ParkedKeys::park(p, &spill).unwrap());
    }
    let mut loaded = CorpusKeys::default();
    for family in Family::ALL {
        loaded.append(parked.load(family, &spill).unwrap());
    }
    assert_eq!(names(&at_once), names(&loaded));
    let mut found = Vec::new();
    let (consensus, known) =
        reconcile::reconcile_corpus_parked(&parked, &spill, |d| found.push(d)).unwrap();
    let (want_consensus, mut want_found) = reconcile::reconcile_corpus(&at_once).unwrap();
    reconcile::sort_discrepancies(&mut found);
    reconcile::sort_discrepancies(&mut want_found);
    assert_eq!((consensus, found), (want_consensus, want_found));
    assert_eq!(
        known,
        reconcile::citations::KnownJournals::of(&full.references)
    );
    let (a, b) = (
        reconcile::reconcile_corpus(&at_once).unwrap(),
        reconcile::reconcile_corpus(&gathered).unwrap(),
    );
    assert!(!a.1.is_empty(), "the sources have discrepancies to compare");
    assert_eq!(a, b);
    assert_eq!(
        reconcile::citations::KnownJournals::of(&full.references),
        reconcile::citations::KnownJournals::named(gathered.journals())
    );
    // the per-document checks, one document at a time, find what they find at once
    let known = reconcile::citations::KnownJournals::of(&full.references);
    let mut at_once = reconcile::reconcile_document(&full, &known);
    let mut one_by_one: Vec<_> = parts
        .iter()
        .flat_map(|p| reconcile::reconcile_document(p, &known))
        .collect();
    assert!(!at_once.is_empty());
    reconcile::sort_discrepancies(&mut at_once);
    reconcile::sort_discrepancies(&mut one_by_one);
    assert_eq!(at_once, one_by_one);
}
