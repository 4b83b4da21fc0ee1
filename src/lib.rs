//! nutripipe: scraped vitamin articles in, audited datasets out.
//!
//! The stages, each a plain function from typed records to typed records:
//! [`ingest`] → [`extract`] → [`normalize`] → [`reconcile`] → [`emit`], with the
//! record types in [`model`], the typed values (quantities, units, forms, DOIs…)
//! in [`values`] and the curated knowledge (food names, units, measures) in
//! [`lexicon`], loaded from the TSV files under `data/`.
//!
//! A run over a large corpus does not hold its rows in memory: each
//! document's normalised rows are parked in the [`spill`] as soon as they are
//! found; the checks that compare documents run on the part of the rows they
//! read; the checks of one document and emit read the rows back one document
//! at a time.

pub mod bench_corpus;
pub mod cache;
pub mod emit;
pub mod extract;
pub mod ingest;
pub mod lexicon;
pub mod memo;
pub mod model;
pub mod normalize;
pub mod per_thread;
pub mod reconcile;
pub mod spill;
pub mod values;
pub mod words;

/// What the property tests share.
#[cfg(test)]
pub(crate) mod testing {
    use proptest::prelude::*;

    /// Texts glued from `pieces` (any order, repeats allowed, a count of
    /// pieces in `count`): what the property tests feed a fast scan and the
    /// plain form it must agree with.
    pub fn glued(
        pieces: &[&'static str],
        count: std::ops::Range<usize>,
    ) -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(pieces.to_vec()), count)
            .prop_map(|parts| parts.concat())
    }

    /// Every line of the sources in `raw/`: real text for the tests that
    /// compare a fast search with its plain form.
    pub fn source_lines() -> Vec<String> {
        let raw = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("raw");
        let mut lines = Vec::new();
        for entry in std::fs::read_dir(raw).into_iter().flatten().flatten() {
            let text = std::fs::read(entry.path()).unwrap_or_default();
            lines.extend(String::from_utf8_lossy(&text).lines().map(str::to_string));
        }
        lines
    }

    /// Sentences written for a test, then every line of `raw/`.
    pub fn written_and_source_lines(written: &[&str]) -> Vec<String> {
        let mut lines: Vec<String> = written.iter().map(|s| s.to_string()).collect();
        lines.extend(source_lines());
        lines
    }
}
