//! The same article as an HTML page, as Markdown and as the flattened text a
//! scraper gives must yield the same rows: the markup only tells the structure
//! that `segment` has to guess from the text. Runs the binary as a user does
//! on `tests/fixtures/formats/{html,md,txt}`, one file per case and format
//! with the same name (so the same `doc` id).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use serde_json::Value;

/// The tables whose rows are compared.
const TABLES: &[&str] = &[
    "nutrient_values",
    "dosages",
    "references",
    "citations",
    "forms",
];

/// Columns that say where a row is, not what it says: the line (the source
/// line differs between formats), the quote and `offset` (the byte position
/// in the line, which depends on the line's layout: "- " markers, glued or
/// separated cells), and the id, which hashes line and offset.
const POSITION_COLUMNS: &[&str] = &["id", "line", "quote", "offset"];

const CASES: &[&str] = &[
    "cp1252",
    "dosage",
    "food_table",
    "minified",
    "nested",
    "references",
];

fn fixtures(format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats")
        .join(format)
}

fn run(raw: &Path, out: &Path) -> Output {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_nutripipe"))
        .arg("run")
        .arg("--raw")
        .arg(raw)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .output()
        .expect("binary runs");
    assert!(
        o.status.success(),
        "{}: {}",
        raw.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn rows(out: &Path, table: &str) -> Vec<Value> {
    let path = out.join(format!("{table}.json"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str::<Value>(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The rows without their position columns, in a stable order.
fn content(out: &Path, table: &str) -> Vec<String> {
    let mut v: Vec<String> = rows(out, table)
        .into_iter()
        .map(|mut r| {
            if let Some(o) = r.as_object_mut() {
                for c in POSITION_COLUMNS {
                    o.remove(*c);
                }
            }
            r.to_string()
        })
        .collect();
    v.sort();
    v
}

struct Runs {
    html: PathBuf,
    md: PathBuf,
    txt: PathBuf,
}

/// One run per format, shared by the tests (a debug run takes seconds), in
/// cargo's scratch directory for integration tests.
fn run_all() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats");
        let [html, md, txt] = ["html", "md", "txt"].map(|f| {
            let out = dir.join(f);
            // a leftover of an earlier run must not pass for this one's output
            let _ = fs::remove_dir_all(&out);
            run(&fixtures(f), &out);
            out
        });
        Runs { html, md, txt }
    })
}

#[test]
fn html_markdown_and_text_yield_the_same_rows() {
    let r = run_all();
    let mut total = 0;
    for table in TABLES {
        let txt = content(&r.txt, table);
        let html = content(&r.html, table);
        let md = content(&r.md, table);
        assert!(!txt.is_empty(), "{table}: no rows from the text twins");
        for case in CASES {
            let of = |rows: &[String]| -> Vec<String> {
                rows.iter()
                    .filter(|x| x.contains(&format!("\"doc\":\"{case}\"")))
                    .cloned()
                    .collect()
            };
            assert_eq!(
                of(&html),
                of(&txt),
                "{table}, {case}: HTML differs from text"
            );
            assert_eq!(
                of(&md),
                of(&txt),
                "{table}, {case}: Markdown differs from text"
            );
        }
        assert_eq!(html, txt, "{table}: HTML differs from text");
        assert_eq!(md, txt, "{table}: Markdown differs from text");
        total += txt.len();
    }
    assert!(total >= 30, "only {total} rows in all");
}

/// A row of `table` in `doc` whose `col` is `value`.
fn find(out: &Path, table: &str, doc: &str, col: &str, value: &str) -> Value {
    rows(out, table)
        .into_iter()
        .find(|r| r["doc"] == doc && r[col] == value)
        .unwrap_or_else(|| panic!("no {table} row of {doc} with {col} = {value}"))
}

#[test]
fn lines_are_source_lines_and_quotes_are_visible_text() {
    let r = run_all();
    // the table row starts on the line of its first cell's text
    let natto = find(&r.html, "nutrient_values", "food_table", "food", "natto");
    assert_eq!(natto["line"], 24);
    assert_eq!(
        natto["nutrient"], "vitamin K2",
        "from the heading above the table"
    );
    assert_eq!(
        natto["quote"],
        "Natto (1 tablespoon) | ~100 mcg (very rich)"
    );
    let cheese = find(
        &r.html,
        "nutrient_values",
        "food_table",
        "food",
        "aged cheese",
    );
    assert_eq!(cheese["line"], 27);
    assert_eq!(
        cheese["quote"],
        "Aged cheeses (Gouda, Edam, Camembert) | 10-20 mcg per 25 g"
    );
    let md = find(&r.md, "nutrient_values", "food_table", "food", "natto");
    assert_eq!(md["line"], 10);
    // a list item that runs over two source lines: its first line, one quote
    let heling = find(
        &r.html,
        "dosages",
        "dosage",
        "indication_raw",
        "heling na botbreuk",
    );
    assert_eq!(heling["line"], 11);
    assert!(heling["quote"]
        .as_str()
        .is_some_and(|q| q.starts_with("heling na botbreuk: 180 mcg per dag (samen")));
    // ordered list items are numbered as a reader sees them
    let knapen = rows(&r.html, "references")
        .into_iter()
        .find(|x| x["doc"] == "references" && x["ref_no"] == 2)
        .expect("reference 2");
    assert_eq!(knapen["line"], 13);
    assert_eq!(knapen["year"], 2015);
    let cited = find(&r.html, "citations", "references", "marker", "[2]");
    assert_eq!(cited["line"], 7, "the line its paragraph starts on");
    assert_eq!(cited["resolved"], true);
}

#[test]
fn dropped_page_furniture_yields_no_rows() {
    let r = run_all();
    for table in TABLES {
        for row in rows(&r.html, table) {
            let s = row.to_string();
            for junk in ["700", "800", "900", "999", "300"] {
                assert!(
                    !s.contains(&format!("\"amount_min\":{junk}")),
                    "{table}: row from a script, nav, header or footer: {s}"
                );
            }
        }
    }
}

#[test]
fn windows_1252_page_is_decoded_by_its_meta_charset_and_reported() {
    let r = run_all();
    let natto = find(&r.html, "nutrient_values", "cp1252", "food", "natto");
    assert_eq!(natto["unit"], "ug");
    assert_eq!(natto["value_ug_min"], 100);
    let report = fs::read_to_string(r.html.join("report.md")).unwrap();
    assert!(
        report.contains("cp1252.html") && report.contains("declared by <meta charset>"),
        "{report}"
    );
    assert!(report.contains("windows-1252"), "{report}");
}

#[test]
fn other_files_are_skipped_with_a_warning_and_extensions_are_case_insensitive() {
    let t = tempfile::tempdir().unwrap();
    let raw = t.path().join("raw");
    fs::create_dir_all(&raw).unwrap();
    fs::copy(
        fixtures("html").join("food_table.html"),
        raw.join("FOOD.HTM"),
    )
    .unwrap();
    fs::copy(fixtures("md").join("dosage.md"), raw.join("dosage.MD")).unwrap();
    fs::write(raw.join("notes.pdf"), b"%PDF-1.4").unwrap();
    let out = t.path().join("out");
    run(&raw, &out);
    let docs: Vec<String> = rows(&out, "nutrient_values")
        .iter()
        .chain(rows(&out, "dosages").iter())
        .filter_map(|r| r["doc"].as_str().map(str::to_string))
        .collect();
    assert!(docs.iter().any(|d| d == "FOOD"), "{docs:?}");
    assert!(docs.iter().any(|d| d == "dosage"), "{docs:?}");
    let report = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("notes.pdf") && report.contains("skipped"),
        "{report}"
    );
}
