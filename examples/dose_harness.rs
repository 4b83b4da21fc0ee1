//! Throwaway harness: run the dose extractor on a folder of texts and write
//! `OUT/dosages.json` for `score.py`.
//!
//!     cargo run --example dose_harness -- /work/shared/seeds OUT

use std::path::PathBuf;

use serde_json::{json, Value};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let raw = PathBuf::from(args.next().unwrap_or_else(|| "/work/shared/seeds".into()));
    let out = PathBuf::from(args.next().unwrap_or_else(|| "OUT".into()));
    std::fs::create_dir_all(&out)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&raw)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let mut rows: Vec<Value> = Vec::new();
    let mut nv: Vec<Value> = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)?;
        let id = f
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        let name = f
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        let doc = nutripipe::ingest::parse_text(&id, &name, &text);
        let (dosages, notes) = nutripipe::extract::dosages::extract_dosages_with_notes(&doc);
        for v in nutripipe::extract::nutrient_values::extract_nutrient_values(&doc) {
            nv.push(json!({"doc": v.doc, "line": v.line, "food": v.food, "nutrient": v.nutrient,
                "form": v.form, "amount_min": v.amount_min, "amount_max": v.amount_max, "unit": v.unit,
                "basis_amount": v.basis_amount, "basis_unit": v.basis_unit}));
        }
        for n in notes {
            eprintln!("note {}:{:?} {} {}", n.file, n.line, n.kind, n.message);
        }
        for d in dosages {
            rows.push(json!({
                "id": d.id, "doc": d.doc, "line": d.line, "quote": d.quote,
                "lang": d.lang.code(), "nutrient": d.nutrient, "form": d.form,
                "qualifier": d.qualifier.as_str(), "indication": d.indication,
                "indication_raw": d.indication_raw, "population": d.population,
                "amount_min": d.amount_min, "amount_max": d.amount_max, "unit": d.unit,
                "times_per_day": d.times_per_day, "value_ug_min": d.value_ug_min,
                "value_ug_max": d.value_ug_max, "co_nutrients": d.co_nutrients,
                "alt_amount_min": d.alt_amount_min, "alt_amount_max": d.alt_amount_max,
                "alt_unit": d.alt_unit,
            }));
        }
    }
    std::fs::write(out.join("nv_raw.json"), serde_json::to_string_pretty(&nv)?)?;
    std::fs::write(
        out.join("dosages.json"),
        serde_json::to_string_pretty(&rows)?,
    )?;
    Ok(())
}
