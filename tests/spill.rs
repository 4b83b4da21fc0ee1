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
    ds.discrepancies = discrepancies;
    emit::prepare_report(&mut ds, &ex).unwrap();
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
fn the_corpus_checks_read_nothing_that_is_not_kept_and_markers_are_per_document() {
    let (docs, _) = extract_all(&raw_dir());
    let parts: Vec<Extracted> = docs.into_iter().map(|(_, ex)| ex).collect();
    let full = normalize::normalize(Extracted::concat(parts.clone()));
    let mut kept = full.clone();
    reconcile::keep_for_corpus_checks(&mut kept);
    assert!(kept.forms.is_empty() && !full.forms.is_empty());
    assert!(kept.citations.is_empty() && !full.citations.is_empty());
    assert!(kept.nutrient_values.iter().all(|v| v.quote.is_empty()));
    let (a, b) = (
        reconcile::reconcile_corpus(&full).unwrap(),
        reconcile::reconcile_corpus(&kept).unwrap(),
    );
    assert!(!a.1.is_empty(), "the sources have discrepancies to compare");
    assert_eq!(a, b);
    // the marker checks, one document at a time, find what they find at once
    let known = reconcile::citations::KnownJournals::of(&full.references);
    let mut at_once = reconcile::reconcile_document(&full, &known);
    let mut one_by_one: Vec<_> = parts
        .into_iter()
        .flat_map(|p| reconcile::reconcile_document(&normalize::normalize(p), &known))
        .collect();
    assert!(!at_once.is_empty());
    reconcile::sort_discrepancies(&mut at_once);
    reconcile::sort_discrepancies(&mut one_by_one);
    assert_eq!(at_once, one_by_one);
}
