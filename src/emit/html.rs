//! `report.html`: the audit report as one self-contained page (no network, no
//! scripts), with a chart per nutrient: each food (× basis) a row, each source's
//! value or range a mark on a logarithmic axis, conflicting foods highlighted —
//! so a reviewer sees at once where sources disagree.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::model::{ChartMark, ChartMarks, Dataset, Finding, NutrientValue, RowCounts};
use crate::reconcile::consensus::comparable;
use crate::spill::{MarkList, SpillError};
use crate::values::format_number;

/// Colours for documents (colour-blind-safe palette, Okabe–Ito).
const PALETTE: &[&str] = &[
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];
/// Colour of conflicts.
pub const CONFLICT_COLOR: &str = "#d62728";

fn esc(s: &str) -> String {
    // one pass, and none of the four copies for the usual text without any
    // of the characters (every quote and tooltip of the report comes here)
    if !s.contains(['&', '<', '>', '"']) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right}.error{color:#b00}.warning{color:#a60}.info{color:#555}
blockquote{margin:.3em 0 .3em 1.5em;color:#444;border-left:3px solid #ddd;padding-left:.6em}
code{background:#f5f5f5;padding:0 3px}.conflict{color:#d62728;font-weight:600}figure{margin:1.5em 0}
figcaption{font-weight:600;margin-bottom:.4em}svg text{font-size:12px;font-family:inherit}";

/// One chart row: a food on a basis, with the marks of its sources.
struct ChartRow<'a> {
    label: String,
    conflict: bool,
    marks: &'a MarkList,
}

/// Add the chart marks of `values` (rows in table order) to `chart`: every
/// value with a comparable basis, with its source line as the tooltip.
pub fn add_chart_marks(chart: &mut ChartMarks, values: &[NutrientValue]) {
    for v in values {
        if let Some((basis, range)) = comparable(v) {
            let key = (v.nutrient.to_string(), v.food.to_string(), basis);
            let mark = ChartMark {
                doc: v.doc.clone(),
                range,
                tip: format!("{} line {}: {}", v.doc, v.line, v.quote),
            };
            // held: nothing is parked, nothing can fail
            let _ = chart.entry(key).or_default().push(mark, None);
        }
    }
}

fn chart_rows(ds: &Dataset) -> BTreeMap<&str, Vec<ChartRow<'_>>> {
    let status: BTreeMap<(String, String, String), bool> = ds
        .consensus
        .iter()
        .map(|c| {
            (
                (c.food.clone(), c.nutrient.clone(), c.basis.clone()),
                c.status == "conflict",
            )
        })
        .collect();
    let mut out: BTreeMap<&str, Vec<ChartRow>> = BTreeMap::new();
    for ((nutrient, food, basis), marks) in &ds.chart {
        let conflict = status
            .get(&(food.clone(), nutrient.clone(), basis.clone()))
            .copied()
            .unwrap_or(false);
        out.entry(nutrient.as_str()).or_default().push(ChartRow {
            label: format!("{food} ({basis})"),
            conflict,
            marks,
        });
    }
    out
}

/// Write the chart of `rows` into `s` (nothing when no value is positive).
/// Written piece by piece: one nutrient's chart of a large corpus holds a
/// mark and its tooltip per food value.
fn write_chart_svg(
    rows: &[ChartRow],
    doc_colors: &BTreeMap<String, &str>,
    s: &mut impl Write,
) -> Result<(), SpillError> {
    let (left, right, top, row_h) = (250.0, 30.0, 30.0, 24.0);
    let width = 900.0;
    let plot_w = width - left - right;
    let (lo, hi) = rows
        .iter()
        .filter_map(|r| r.marks.positive_range())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (lo, hi)| {
            (a.min(lo), b.max(hi))
        });
    if !lo.is_finite() {
        return Ok(());
    }
    let (e0, mut e1) = (lo.log10().floor(), hi.log10().ceil());
    if e1 <= e0 {
        e1 = e0 + 1.0;
    }
    let x = |v: f64| left + (v.max(10f64.powf(e0)).log10() - e0) / (e1 - e0) * plot_w;
    let height = top + rows.len() as f64 * row_h + 30.0;
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">"#
    );
    // axis and decades
    let mut e = e0;
    while e <= e1 {
        let xx = x(10f64.powf(e));
        let _ = write!(
            s,
            r##"<line x1="{xx:.1}" y1="{top}" x2="{xx:.1}" y2="{:.1}" stroke="#ddd"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            height - 25.0,
            height - 10.0,
            format_number(10f64.powf(e))
        );
        e += 1.0;
    }
    let _ = write!(
        s,
        r##"<text x="{:.1}" y="16" text-anchor="middle">µg per basis (log scale)</text>"##,
        left + plot_w / 2.0
    );
    for (i, row) in rows.iter().enumerate() {
        let y = top + i as f64 * row_h + row_h / 2.0;
        if row.conflict {
            let _ = write!(
                s,
                r##"<rect class="conflict-band" x="0" y="{:.1}" width="{width}" height="{row_h}" fill="{CONFLICT_COLOR}" fill-opacity="0.12"/>"##,
                y - row_h / 2.0
            );
        }
        let color = if row.conflict { CONFLICT_COLOR } else { "#222" };
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="{color}">{}{}</text>"##,
            left - 8.0,
            y + 4.0,
            esc(&row.label),
            if row.conflict { " ⚠" } else { "" }
        );
        let n = row.marks.len().max(1) as f64;
        let mut k = 0;
        row.marks.try_for_each(|ChartMark { doc, range: r, tip }| {
            let dy = (k as f64 - (n - 1.0) / 2.0) * (row_h * 0.6 / n.max(2.0));
            k += 1;
            let c = doc_colors.get(doc.as_str()).copied().unwrap_or("#444");
            let (x0, x1) = (x(r.min), x(r.max));
            let _ = write!(s, r#"<g class="mark"><title>{}</title>"#, esc(tip));
            if (x1 - x0).abs() > 0.5 {
                let _ = write!(
                    s,
                    r#"<line x1="{x0:.1}" y1="{:.1}" x2="{x1:.1}" y2="{:.1}" stroke="{c}" stroke-width="4" stroke-linecap="round"/>"#,
                    y + dy,
                    y + dy
                );
            }
            let _ = write!(
                s,
                r#"<circle cx="{x0:.1}" cy="{:.1}" r="5" fill="{c}"/><circle cx="{x1:.1}" cy="{:.1}" r="5" fill="{c}"/></g>"#,
                y + dy,
                y + dy
            );
        })?;
    }
    let _ = s.write_str("</svg>");
    Ok(())
}

fn discrepancy_html(o: &mut impl Write, f: &Finding) {
    let d = &f.discrepancy;
    let _ = write!(
        o,
        "<li><b>{}</b> <span class=\"{}\">({})</span>: {}",
        esc(&d.subject),
        d.severity.as_str(),
        d.severity.as_str(),
        esc(&d.detail)
    );
    for (w, q) in d.r#where.iter().zip(&f.quotes) {
        match q {
            Some(q) => {
                let _ = write!(
                    o,
                    "<blockquote><code>{}</code> {}</blockquote>",
                    esc(w),
                    esc(q)
                );
            }
            None => {
                let _ = write!(o, "<blockquote><code>{}</code></blockquote>", esc(w));
            }
        }
    }
    let _ = o.write_str("</li>\n");
}

/// The report as a self-contained HTML page.
pub fn report_html(ds: &Dataset) -> Result<String, SpillError> {
    let mut o = String::new();
    write_report_html(ds, &mut o)?;
    Ok(o)
}

/// Write the report page into `o` piece by piece (see
/// [`super::report::write_report_md`]).
pub fn write_report_html(ds: &Dataset, o: &mut impl Write) -> Result<(), SpillError> {
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>nutripipe report</title><style>{STYLE}</style></head><body>\n<h1>nutripipe report</h1>\n"
    );
    let _ = write!(
        o,
        "<p>{} documents read, {} input problems, {} discrepancies.</p>\n<table><tr><th>table</th><th>rows</th></tr>",
        ds.documents.len(),
        ds.warnings.len(),
        ds.discrepancies.len()
    );
    let tables = RowCounts::TABLES.into_iter().zip(ds.counts.total);
    for (name, n) in tables.chain([
        ("food_consensus", ds.consensus.len()),
        ("discrepancies", ds.discrepancies.len()),
    ]) {
        let _ = write!(o, "<tr><td>{name}</td><td class=\"n\">{n}</td></tr>");
    }
    let _ = o.write_str("</table>\n");

    // charts
    let docs: Vec<String> = ds.documents.iter().map(|d| d.id.clone()).collect();
    let doc_colors: BTreeMap<String, &str> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.clone(), PALETTE[i % PALETTE.len()]))
        .collect();
    let _ = o.write_str("<h2>Food values by nutrient</h2>\n<p>Each row is a food on one basis; each mark is one source's value or range. Rows in red conflict.</p>\n<p>");
    for d in &docs {
        let _ = write!(
            o,
            "<span style=\"color:{}\">●</span> {} &nbsp; ",
            doc_colors.get(d).copied().unwrap_or("#444"),
            esc(d)
        );
    }
    let _ = o.write_str("</p>\n");
    let charts = chart_rows(ds);
    if charts.is_empty() {
        let _ = o.write_str("<p>No food values.</p>\n");
    }
    for (nutrient, rows) in &charts {
        let _ = write!(
            o,
            "<figure class=\"chart\" data-nutrient=\"{}\"><figcaption>{}</figcaption>",
            esc(nutrient),
            esc(nutrient),
        );
        write_chart_svg(rows, &doc_colors, o)?;
        let _ = o.write_str("</figure>\n");
    }

    let _ = o.write_str("<h2>Discrepancies</h2>\n");
    if ds.discrepancies.is_empty() {
        let _ = o.write_str("<p>None found.</p>\n");
    }
    let mut findings = ds.discrepancies.iter();
    for (sev, kind, n) in ds.discrepancies.kinds() {
        let _ = write!(
            o,
            "<h3>{} <span class=\"{}\">({}, {})</span></h3>\n<ul>\n",
            esc(kind),
            sev.as_str(),
            sev.as_str(),
            n
        );
        for f in findings.by_ref().take(*n) {
            discrepancy_html(o, &*f?);
        }
        let _ = o.write_str("</ul>\n");
    }

    let _ = o.write_str("<h2>Input problems</h2>\n");
    if ds.warnings.is_empty() {
        let _ = o.write_str("<p>None.</p>\n");
    } else {
        let _ =
            o.write_str("<table><tr><th>file</th><th>line</th><th>kind</th><th>problem</th></tr>");
        for w in &ds.warnings {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&w.file),
                w.line.map(|l| l.to_string()).unwrap_or_default(),
                esc(&w.kind),
                esc(&w.message)
            );
        }
        let _ = o.write_str("</table>\n");
    }

    let _ = o.write_str("<h2>Reconciled food values</h2>\n");
    if ds.consensus.is_empty() {
        let _ = o.write_str("<p>No food values to reconcile.</p>\n");
    } else {
        let _ = o.write_str("<table><tr><th>food</th><th>nutrient</th><th>basis</th><th>values</th><th>docs</th><th>min</th><th>max</th><th>median</th><th>spread</th><th>status</th></tr>");
        for c in &ds.consensus {
            let cls = if c.status == "conflict" {
                " class=\"conflict\""
            } else {
                ""
            };
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td{cls}>{}</td></tr>",
                esc(&c.food),
                esc(&c.nutrient),
                esc(&c.basis),
                c.n_values,
                c.n_docs,
                format_number(c.min),
                format_number(c.max),
                format_number(c.median),
                format_number((c.spread * 100.0).round() / 100.0),
                c.status
            );
        }
        let _ = o.write_str("</table>\n");
    }
    let _ = o.write_str("</body></html>\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FoodConsensus;

    proptest::proptest! {
        #[test]
        fn escape_in_one_pass_equals_the_four_replacements(
            s in crate::testing::glued(&[
                "&", "<", ">", "\"", "&amp;", "a", "é", " ", "'", "µg", "<b>",
            ], 0..12)
        ) {
            let want = s
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;");
            proptest::prop_assert_eq!(esc(&s), want);
        }
    }

    #[test]
    fn conflicting_food_gets_a_highlighted_chart_row() {
        let mut ds = Dataset::default();
        let mut values = Vec::new();
        for (doc, v) in [("a", 100.0), ("b", 150.0)] {
            values.push(NutrientValue {
                id: doc.into(),
                doc: doc.into(),
                food: "natto".into(),
                nutrient: "vitamin K2".into(),
                value_ug_min: Some(v),
                value_ug_max: Some(v),
                basis_amount: 1.0,
                basis_unit: "tablespoon".into(),
                quote: "Natto <b>".into(),
                ..Default::default()
            });
        }
        add_chart_marks(&mut ds.chart, &values);
        ds.consensus.push(FoodConsensus {
            food: "natto".into(),
            nutrient: "vitamin K2".into(),
            basis: "per tablespoon".into(),
            status: "conflict".into(),
            ..Default::default()
        });
        let h = report_html(&ds).unwrap();
        assert!(h.contains("<svg"));
        assert!(h.contains("conflict-band"));
        assert!(h.contains("natto (per tablespoon) ⚠"));
        assert!(h.contains("Natto &lt;b&gt;"));
        assert!(
            !h.contains("http://") || h.matches("http://").count() == 1,
            "only the SVG namespace"
        );
    }
}
