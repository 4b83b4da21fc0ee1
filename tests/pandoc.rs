//! The CSL-JSON and BibTeX writers produce files pandoc reads completely:
//! citeproc renders one bibliography entry per reference, and pandoc's BibTeX
//! reader finds one item per reference. pandoc must be installed (Debian
//! package `pandoc`); a missing pandoc fails this test rather than skipping it.

use std::path::Path;
use std::process::Command;

use nutripipe::emit::{bibtex::bibtex, csl::csl_json};
use nutripipe::extract::references::extract_references;
use nutripipe::ingest::parse_text;
use nutripipe::model::Reference;

/// A small reference list in several styles, with characters BibTeX must
/// escape and names with particles and non-ASCII letters.
const TEXT: &str = "Over vitamine K2 en botten [1][3].

Referenties
1. Brandt KL, Olszewska-Czyz I et al. Menaquinone & bone: 50% of {elderly} vegans. J PharmacolPharmacother2019;11:312-8.
2. Søndergaard, K. L., & van der Meulen, R. (2019). Vitamine K2 en de gezondheid van bloedvaten bij ouderen. Journal of Vascular Studies, 2019, Article ID 5512. DOI: 10.5555/JVS.2019.5512.
3. Smith, J. and Jones, K. (2019) Calcium_intake and the #1 ageing heart. Heart Matters 12(3), pp. 45-67.
4. R. Castellano-Ruiz and L. O’Brady, “Fat-soluble vitamins in winter diets,” Food Science Letters, vol. 7, pp. 101–9, 2016.
5. Brandt KL, Ng W. Menaquinone and bone in adults. Nutr Rev. 2019;77(2):e101-8.
";

fn refs() -> Vec<Reference> {
    let doc = parse_text("pandoc_test", "pandoc_test.txt", TEXT);
    let (refs, _) = extract_references(&doc);
    assert_eq!(refs.len(), 5, "the fixture has five entries");
    refs
}

fn pandoc(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("pandoc")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("pandoc is required for this test (apt-get install pandoc): {e}")
        });
    assert!(
        out.status.success(),
        "pandoc {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn citeproc_renders_every_csl_item() {
    let refs = refs();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("refs.csl.json"), csl_json(&refs)).expect("write csl");
    std::fs::write(
        dir.path().join("doc.md"),
        "---\nnocite: '@*'\n---\n\nAll references.\n",
    )
    .expect("write doc");
    let html = pandoc(
        dir.path(),
        &[
            "--citeproc",
            "--bibliography",
            "refs.csl.json",
            "-t",
            "html",
            "doc.md",
        ],
    );
    assert_eq!(
        html.matches("class=\"csl-entry\"").count(),
        refs.len(),
        "{html}"
    );
}

#[test]
fn pandoc_reads_every_bibtex_entry() {
    let refs = refs();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("refs.bib"), bibtex(&refs)).expect("write bib");
    let json = pandoc(dir.path(), &["-f", "bibtex", "-t", "csljson", "refs.bib"]);
    let items: serde_json::Value = serde_json::from_str(&json).expect("pandoc wrote JSON");
    let items = items.as_array().expect("a CSL-JSON array");
    assert_eq!(items.len(), refs.len());
    // Escaped characters come back as written, non-ASCII as UTF-8.
    let titles: Vec<&str> = items.iter().filter_map(|i| i["title"].as_str()).collect();
    assert!(
        titles
            .iter()
            .any(|t| t.contains("& bone: 50% of {elderly}")),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.contains("Calcium_intake and the #1")),
        "{titles:?}"
    );
    let families: Vec<&str> = items
        .iter()
        .filter_map(|i| i["author"][0]["family"].as_str())
        .collect();
    assert!(families.contains(&"Søndergaard"), "{families:?}");
    // Keys stay unique although two entries share author, year and first word.
    let ids: std::collections::HashSet<&str> =
        items.iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(ids.len(), refs.len());
}
