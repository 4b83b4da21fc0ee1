//! Time ingest and extraction of a folder on one thread, best of N passes
//! (steadier than a whole run on a shared machine).
//!
//!     cargo run --release --example stage_timer -- DIR [PASSES]

use std::path::PathBuf;
use std::time::Instant;

use nutripipe::{extract, ingest};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let raw = PathBuf::from(args.next().unwrap_or_else(|| "raw".into()));
    let passes: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let (files, _) = ingest::list_sources(&raw)?;
    let bytes: Vec<(String, String, Vec<u8>)> = files
        .iter()
        .map(|rel| {
            let (b, _) = ingest::read(&raw, rel).unwrap_or_default();
            (ingest::display_rel(rel), ingest::doc_id(rel), b)
        })
        .collect();
    let total: usize = bytes.iter().map(|b| b.2.len()).sum();
    let (mut best_ingest, mut best_extract) = (f64::MAX, f64::MAX);
    for _ in 0..passes {
        let (mut ti, mut te) = (0.0, 0.0);
        for (file, id, b) in &bytes {
            let t = Instant::now();
            let Ok((doc, _, _)) = ingest::load_bytes(file, id, b) else {
                continue;
            };
            ti += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let ex = extract::extract_document(&doc);
            te += t.elapsed().as_secs_f64();
            drop(ex);
        }
        best_ingest = best_ingest.min(ti);
        best_extract = best_extract.min(te);
    }
    let mb = total as f64 / 1e6;
    println!(
        "{mb:.1} MB: ingest {best_ingest:.3} s ({:.2} MB/s), extract {best_extract:.3} s ({:.2} MB/s), one thread, best of {passes}",
        mb / best_ingest,
        mb / best_extract
    );
    Ok(())
}
