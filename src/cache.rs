//! Extraction cache: what ingest + extract found in one document, stored under
//! a key that changes whenever the result could change.
//!
//! Key = SHA-256 of the pipeline fingerprint ([`pipeline_version`]: crate
//! version plus a hash of every file under `src/` and `data/`, computed by
//! `build.rs`, so a lexicon edit or a code change invalidates everything), the
//! document's path relative to `--raw` (rows carry the document id) and the
//! file's bytes. A re-run after editing one document therefore re-extracts only
//! that document; normalize, reconcile and emit always run over all rows, so
//! the outputs do not depend on whether an entry came from the cache.
//!
//! Layout: one file per document, `<dir>/<key>.entry`, holding a header line
//! `nutripipe-cache 2 <sha256 of the payload>` and the payload: `postcard`,
//! the compact binary form the spill uses (exact `f64` bits, no field names;
//! JSON, format 1, took ~10 CPU-seconds to write and ~2 to read back per
//! 200 MB of text, most of a cold run's cache cost). An
//! entry that is missing, truncated, corrupt, of another format or that does
//! not deserialize is a miss: the document is extracted again and the entry
//! rewritten. Entries are written to a temporary file in the same folder and
//! renamed into place, so readers never see half an entry, and a failure to
//! write is ignored (the cache is an optimisation, never a reason to fail).

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{DocSummary, Extracted, Warning};

/// Format of the entries; bump when the layout (not the rows) changes.
const FORMAT: &str = "nutripipe-cache 2";

/// File name ending of an entry (entries of format 1 ended in `.json`: the
/// first run of this version finds none of them and prunes them).
const SUFFIX: &str = ".entry";

/// The pipeline fingerprint the keys include.
pub fn pipeline_version() -> &'static str {
    concat!(
        env!("CARGO_PKG_VERSION"),
        "+",
        env!("NUTRIPIPE_SOURCE_HASH")
    )
}

/// What one document yields: its summary, rows and warnings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub summary: DocSummary,
    pub extracted: Extracted,
    pub warnings: Vec<Warning>,
}

/// A cache folder, with hit and miss counters for the timings line.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    hits: AtomicUsize,
    misses: AtomicUsize,
    /// Keys looked up or stored by this run (kept by [`Cache::prune_unused`]).
    used: Mutex<HashSet<String>>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The key of a document: pipeline fingerprint, relative path, content.
pub fn key(rel: &str, bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(pipeline_version().as_bytes());
    h.update([0]);
    h.update(rel.as_bytes());
    h.update([0]);
    h.update(bytes);
    hex(&h.finalize())
}

impl Cache {
    /// A cache in `dir` (created on the first write).
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache {
            dir: dir.into(),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
            used: Mutex::new(HashSet::new()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}{SUFFIX}"))
    }

    /// The entry stored under `key`, if there is a sound one.
    pub fn get(&self, key: &str) -> Option<Entry> {
        self.mark_used(key);
        let found = fs::read(self.path(key)).ok().and_then(|b| parse(&b));
        match found {
            Some(_) => self.hits.fetch_add(1, Ordering::Relaxed),
            None => self.misses.fetch_add(1, Ordering::Relaxed),
        };
        found
    }

    /// Store `entry` under `key`, atomically; errors are ignored (see module doc).
    pub fn put(&self, key: &str, entry: &Entry) {
        self.mark_used(key);
        let _ = self.try_put(key, entry);
    }

    fn try_put(&self, key: &str, entry: &Entry) -> std::io::Result<()> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let payload = postcard::to_stdvec(entry).map_err(std::io::Error::other)?;
        fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(format!(
            ".{key}.tmp-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            writeln!(f, "{FORMAT} {}", hex(&Sha256::digest(&payload)))?;
            f.write_all(&payload)?;
            f.flush()
        };
        let r = write().and_then(|()| fs::rename(&tmp, self.path(key)));
        if r.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        r
    }

    /// (hits, misses) so far.
    pub fn stats(&self) -> (usize, usize) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    fn mark_used(&self, key: &str) {
        if let Ok(mut u) = self.used.lock() {
            u.insert(key.to_string());
        }
    }

    /// Remove the entries this run did not use (documents deleted or changed
    /// since) and stray temporary files, so the cache stays the size of the
    /// corpus. Errors are ignored.
    pub fn prune_unused(&self) {
        let Ok(keep) = self.used.lock() else { return };
        let Ok(rd) = fs::read_dir(&self.dir) else {
            return;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let live = name.strip_suffix(SUFFIX).is_some_and(|k| keep.contains(k));
            if !live && e.file_type().is_ok_and(|t| t.is_file()) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

/// An entry's bytes → the entry, if header, checksum and payload are sound.
fn parse(bytes: &[u8]) -> Option<Entry> {
    let nl = bytes.iter().position(|&b| b == b'\n')?;
    let header = std::str::from_utf8(&bytes[..nl]).ok()?;
    let sum = header.strip_prefix(FORMAT)?.strip_prefix(' ')?;
    let payload = &bytes[nl + 1..];
    if hex(&Sha256::digest(payload)) != sum {
        return None;
    }
    postcard::from_bytes(payload).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Lang, Reference};

    fn entry() -> Entry {
        Entry {
            summary: DocSummary {
                id: "d".into(),
                file: "d.txt".into(),
                lang: Lang::Nl,
                lines: 3,
                encoding: "UTF-8".into(),
            },
            extracted: Extracted {
                references: vec![Reference {
                    id: "r".into(),
                    year: Some(2020),
                    authors: vec!["Zhang, T".into()],
                    ..Default::default()
                }],
                ..Default::default()
            },
            warnings: vec![],
        }
    }

    #[test]
    fn round_trip_and_corruption_is_a_miss() {
        let t = tempfile::tempdir().unwrap();
        let c = Cache::new(t.path().join("c"));
        let k = key("d.txt", b"text");
        assert_eq!(c.get(&k), None);
        c.put(&k, &entry());
        assert_eq!(c.get(&k), Some(entry()));
        let p = c.path(&k);
        let full = fs::read(&p).unwrap();
        // truncated, flipped, empty, garbage: all misses, never a panic
        fs::write(&p, &full[..full.len() / 2]).unwrap();
        assert_eq!(c.get(&k), None);
        let mut flipped = full.clone();
        let last = flipped.len() - 3;
        flipped[last] ^= 1;
        fs::write(&p, &flipped).unwrap();
        assert_eq!(c.get(&k), None);
        fs::write(&p, b"").unwrap();
        assert_eq!(c.get(&k), None);
        fs::write(&p, [0xff, 0xfe, b'\n', 0]).unwrap();
        assert_eq!(c.get(&k), None);
        c.put(&k, &entry());
        assert_eq!(c.get(&k), Some(entry()));
        assert_eq!(c.stats(), (2, 5));
    }

    #[test]
    fn entries_of_the_json_format_are_misses_and_pruned() {
        let t = tempfile::tempdir().unwrap();
        let c = Cache::new(t.path().join("c"));
        let k = key("d.txt", b"text");
        fs::create_dir_all(c.dir()).unwrap();
        // format 1: the payload as JSON, under `<key>.json`
        let payload = serde_json::to_vec(&entry()).unwrap();
        let mut old =
            format!("nutripipe-cache 1 {}\n", hex(&Sha256::digest(&payload))).into_bytes();
        old.extend(&payload);
        let old_path = c.dir().join(format!("{k}.json"));
        fs::write(&old_path, &old).unwrap();
        assert_eq!(c.get(&k), None, "not read as this format");
        // nor would its bytes be, under this format's name
        fs::write(c.path(&k), &old).unwrap();
        assert_eq!(c.get(&k), None);
        c.put(&k, &entry());
        assert_eq!(c.get(&k), Some(entry()));
        c.prune_unused();
        assert!(!old_path.exists(), "the old entry is removed");
        assert!(c.path(&k).exists());
        // and the new entry is smaller than the JSON one
        assert!(fs::metadata(c.path(&k)).unwrap().len() < old.len() as u64);
    }

    #[test]
    fn key_depends_on_path_and_content() {
        assert_ne!(key("a.txt", b"x"), key("b.txt", b"x"));
        assert_ne!(key("a.txt", b"x"), key("a.txt", b"y"));
        assert_eq!(key("a.txt", b"x"), key("a.txt", b"x"));
    }
}
