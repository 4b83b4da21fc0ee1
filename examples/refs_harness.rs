//! Measure the reference and citation extractors on a folder of texts.
//!
//!     cargo run --example refs_harness -- RAW_DIR OUT_DIR
//!
//! Writes `references.json`, `citations.json`, `references.csl.json` and
//! `references.bib` into OUT_DIR (the contract's columns), and prints the
//! warnings, for `score.py`.

use std::path::PathBuf;

use anyhow::Context;
use serde_json::json;

use nutripipe::emit::{bibtex::bibtex, csl::csl_json};
use nutripipe::extract::{citations::extract_citations, references::extract_references};
use nutripipe::ingest::parse_text;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let raw = PathBuf::from(args.next().context("usage: refs_harness RAW_DIR OUT_DIR")?);
    let out = PathBuf::from(args.next().context("usage: refs_harness RAW_DIR OUT_DIR")?);
    std::fs::create_dir_all(&out)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&raw)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let (mut refs, mut cits) = (Vec::new(), Vec::new());
    for f in files {
        let text = std::fs::read_to_string(&f)?;
        let id = f.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let name = f.file_name().and_then(|s| s.to_str()).unwrap_or_default();
        let doc = parse_text(id, name, &text);
        let (r, warnings) = extract_references(&doc);
        for w in warnings {
            eprintln!(
                "{}:{}: {}: {}",
                w.file,
                w.line.unwrap_or(0),
                w.kind,
                w.message
            );
        }
        cits.extend(extract_citations(&doc, &r));
        refs.extend(r);
    }
    let ref_rows: Vec<_> = refs
        .iter()
        .map(|r| {
            json!({"id": r.id, "doc": r.doc, "line": r.line, "ref_no": r.ref_no, "raw": r.raw,
                   "style": r.style, "authors": r.authors, "et_al": r.et_al, "year": r.year,
                   "title": r.title, "title_lang": r.title_lang, "journal": r.journal,
                   "volume": r.volume, "issue": r.issue, "pages": r.pages, "doi": r.doi})
        })
        .collect();
    let cit_rows: Vec<_> = cits
        .iter()
        .map(|c| {
            json!({"id": c.id, "doc": c.doc, "line": c.line, "marker": c.marker,
                   "ref_no": c.ref_no, "resolved": c.resolved, "context": c.context,
                   "malformed": c.malformed})
        })
        .collect();
    std::fs::write(
        out.join("references.json"),
        serde_json::to_string_pretty(&ref_rows)?,
    )?;
    std::fs::write(
        out.join("citations.json"),
        serde_json::to_string_pretty(&cit_rows)?,
    )?;
    std::fs::write(out.join("references.csl.json"), csl_json(&refs))?;
    std::fs::write(out.join("references.bib"), bibtex(&refs))?;
    println!("{} references, {} citations", refs.len(), cits.len());
    Ok(())
}
