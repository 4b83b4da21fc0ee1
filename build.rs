//! Fingerprint of everything that decides what the pipeline extracts: the
//! sources under `src/`, the lexicon under `data/` and the crate version. The
//! extraction cache (`src/cache.rs`) keys its entries with it, so that editing
//! a lexicon file or an extractor invalidates every cached document instead of
//! silently serving rows the current code would not produce.

use std::fs;
use std::path::{Path, PathBuf};

/// FNV-1a, 64 bit, twice with different offsets: a build script has no
/// dependencies, and this is a change detector, not a security boundary.
fn fnv(h: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *h ^= u64::from(*b);
        *h = h.wrapping_mul(0x0100_0000_01b3);
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=data");
    println!("cargo:rerun-if-changed=Cargo.toml");
    let mut all = Vec::new();
    files(Path::new("src"), &mut all);
    files(Path::new("data"), &mut all);
    all.sort();
    let (mut a, mut b) = (0xcbf2_9ce4_8422_2325u64, 0x8422_2325_cbf2_9ce4u64);
    for p in &all {
        let name = p.to_string_lossy().replace('\\', "/");
        let bytes = fs::read(p).unwrap_or_default();
        for h in [&mut a, &mut b] {
            fnv(h, name.as_bytes());
            fnv(h, &[0]);
            fnv(h, &bytes);
            fnv(h, &[0]);
        }
    }
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    fnv(&mut a, version.as_bytes());
    fnv(&mut b, version.as_bytes());
    println!("cargo:rustc-env=NUTRIPIPE_SOURCE_HASH={a:016x}{b:016x}");
}
