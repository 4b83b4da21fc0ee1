//! The extraction cache (issue #8): outputs are byte-identical with and
//! without it, a re-run re-extracts only the documents that changed, and a
//! damaged cache is repaired, never fatal.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{copy_dir, output_names, raw_dir};

/// Every output file (not hidden entries such as the cache) must be equal.
fn assert_same_outputs(a: &Path, b: &Path) {
    assert!(output_names(a).len() >= 16);
    common::assert_same_outputs(a, b);
}

fn run(raw: &Path, out: &Path, extra: &[&str]) -> Output {
    let o = common::run(raw, out, &[&["--quiet", "--timings"], extra].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// (hits, misses) from the `--timings` line.
fn hits_misses(o: &Output) -> (usize, usize) {
    let err = String::from_utf8_lossy(&o.stderr);
    let num = |key: &str| -> usize {
        err.split(key)
            .nth(1)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {key:?} in {err}"))
    };
    (num("cache hits "), num("misses "))
}

fn cache_entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn outputs_are_identical_with_and_without_the_cache() {
    let t = tempfile::tempdir().unwrap();
    let raw = t.path().join("raw");
    copy_dir(&raw_dir(), &raw);
    let (fresh, cached) = (t.path().join("fresh"), t.path().join("cached"));
    run(&raw, &fresh, &["--no-cache"]);
    assert!(!fresh.join(".cache").exists());

    // cold: everything extracted and stored in OUT/.cache
    let o = run(&raw, &cached, &[]);
    assert_eq!(hits_misses(&o), (0, 5));
    assert_eq!(cache_entries(&cached.join(".cache")).len(), 5);
    assert_same_outputs(&fresh, &cached);

    // warm: the cache survived the swap of the output folder; nothing extracted
    let o = run(&raw, &cached, &[]);
    assert_eq!(hits_misses(&o), (5, 0));
    assert_same_outputs(&fresh, &cached);

    // one document changed: only it is extracted, its old entry pruned
    let changed = fs::read_dir(&raw).unwrap().next().unwrap().unwrap().path();
    let mut text = fs::read_to_string(&changed).unwrap();
    text.push_str("\nNatto bevat 1100 mcg vitamine K2 per 100 g.\n");
    fs::write(&changed, text).unwrap();
    let o = run(&raw, &cached, &[]);
    assert_eq!(hits_misses(&o), (4, 1));
    assert_eq!(cache_entries(&cached.join(".cache")).len(), 5);
    run(&raw, &fresh, &["--no-cache"]);
    assert_same_outputs(&fresh, &cached);
}

#[test]
fn a_damaged_cache_is_repaired_not_fatal() {
    let t = tempfile::tempdir().unwrap();
    let (fresh, out, cache) = (
        t.path().join("fresh"),
        t.path().join("out"),
        t.path().join("cache"),
    );
    run(&raw_dir(), &fresh, &["--no-cache"]);
    let c = cache.to_str().unwrap();
    run(&raw_dir(), &out, &["--cache", c]);
    let entries = cache_entries(&cache);
    assert_eq!(entries.len(), 5);
    // truncated, emptied, garbage, a directory squatting on an entry's name
    let full = fs::read(&entries[0]).unwrap();
    fs::write(&entries[0], &full[..full.len() / 3]).unwrap();
    fs::write(&entries[1], b"").unwrap();
    fs::write(&entries[2], b"nutripipe-cache 2 0000\n\x01\x02").unwrap();
    fs::remove_file(&entries[3]).unwrap();
    fs::create_dir(&entries[3]).unwrap();
    // a stray temporary file of a killed run
    fs::write(cache.join(".deadbeef.tmp-1-1"), b"half").unwrap();
    let o = run(&raw_dir(), &out, &["--cache", c]);
    assert_eq!(hits_misses(&o), (1, 4));
    assert_same_outputs(&fresh, &out);
    // the three damaged files were rewritten and now hit
    let o = run(&raw_dir(), &out, &["--cache", c]);
    assert_eq!(hits_misses(&o), (4, 1));
    assert_same_outputs(&fresh, &out);
}
