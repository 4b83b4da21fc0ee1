//! Replays every input that once crashed a fuzz target (saved under
//! `tests/fuzz_regressions/TARGET/`) through the same harness the fuzzer runs
//! (`fuzz/harness.rs`), so a fixed crash stays fixed without nightly tools.

use std::fs;
use std::path::Path;

include!("../fuzz/harness.rs");

fn replay(target: &str, harness: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for f in &files {
        let data = fs::read(f).unwrap();
        let r = std::panic::catch_unwind(|| harness(&data));
        assert!(r.is_ok(), "{target}: {} crashes again", f.display());
    }
    files.len()
}

#[test]
fn values_regressions() {
    replay("values", values);
}

#[test]
fn references_regressions() {
    replay("references", references);
}

#[test]
fn document_regressions() {
    replay("document", document);
}
