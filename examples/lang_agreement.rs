//! How often the function-word step of `ingest::lang` decides a sentence
//! differently from the statistical detector alone, on a folder of sources
//! (every sentence the pipeline asks about: those with a digit or a form name
//! are asked in a run, but all are counted here). Prints the disagreements.
//!
//!     cargo run --release --example lang_agreement -- raw [MAX_SHOWN]

use std::path::PathBuf;

use nutripipe::ingest::{self, lang};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let raw = PathBuf::from(args.next().unwrap_or_else(|| "raw".into()));
    let shown: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(40);
    let (files, _) = ingest::list_sources(&raw)?;
    let (mut sentences, mut settled, mut differ) = (0usize, 0usize, 0usize);
    let (mut docs, mut docs_differ) = (0usize, 0usize);
    for rel in &files {
        let Ok((doc, _, _)) = ingest::load(&raw, rel) else {
            continue;
        };
        docs += 1;
        let text: String = doc
            .lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let (fast, slow) = (
            lang::detect_document(&text),
            lang::detect_document_statistical(&text),
        );
        if fast != slow {
            docs_differ += 1;
            println!("doc {}: words {fast:?}, detector {slow:?}", doc.id);
        }
        for line in &doc.lines {
            for s in &line.sentences {
                sentences += 1;
                let v = lang::function_votes(&s.text);
                if (v.nl >= 2 && v.en == 0) || (v.en >= 2 && v.nl == 0) {
                    settled += 1;
                }
                let (a, b) = (
                    lang::detect_sentence(&s.text, doc.lang),
                    lang::detect_sentence_statistical(&s.text, doc.lang),
                );
                if a != b {
                    differ += 1;
                    if differ <= shown {
                        println!(
                            "{}:{} words {a:?} ({v:?}), detector {b:?}: {}",
                            doc.id, s.line, s.text
                        );
                    }
                }
            }
        }
    }
    println!(
        "{docs} documents ({docs_differ} differ); {sentences} sentences, {settled} settled by function words, {differ} differ from the detector ({:.3} %)",
        100.0 * differ as f64 / sentences.max(1) as f64
    );
    Ok(())
}
