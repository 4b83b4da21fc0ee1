//! `report.md`: the audit for a person. Summary first (what was read, what
//! went wrong reading it, how many rows), then every discrepancy grouped by kind,
//! most severe first, each with the source lines it rests on, then the
//! reconciled figures.

use std::fmt::Write;

use crate::model::{Dataset, Finding, RowCounts};
use crate::spill::SpillError;
use crate::values::format_number;

/// Longest quote shown in the report; longer lines are cut with "…".
const QUOTE_MAX: usize = 400;

fn cut(s: &str) -> String {
    if s.chars().count() <= QUOTE_MAX {
        s.to_string()
    } else {
        let t: String = s.chars().take(QUOTE_MAX).collect();
        format!("{t}…")
    }
}

/// Escape text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn write_discrepancy(out: &mut impl Write, f: &Finding) {
    let d = &f.discrepancy;
    let _ = writeln!(
        out,
        "- **{}** ({}): {}",
        d.subject,
        d.severity.as_str(),
        d.detail
    );
    for (w, q) in d.r#where.iter().zip(&f.quotes) {
        match q {
            Some(q) => {
                let _ = writeln!(out, "  - `{w}`: “{}”", cut(q));
            }
            None => {
                let _ = writeln!(out, "  - `{w}`");
            }
        }
    }
}

/// The report as Markdown.
pub fn report_md(ds: &Dataset) -> Result<String, SpillError> {
    let mut o = String::new();
    write_report_md(ds, &mut o)?;
    Ok(o)
}

/// Write the report as Markdown into `o`, piece by piece: on a large corpus
/// the report is hundreds of megabytes, which need not be held at once. Only
/// reading a parked finding back can fail.
pub fn write_report_md(ds: &Dataset, o: &mut impl Write) -> Result<(), SpillError> {
    let _ = writeln!(o, "# nutripipe report\n");
    let _ = writeln!(o, "## Summary\n");
    let _ = writeln!(
        o,
        "{} documents read, {} input problems, {} discrepancies.\n",
        ds.documents.len(),
        ds.warnings.len(),
        ds.discrepancies.len()
    );
    let _ = writeln!(o, "| table | rows |\n|---|---:|");
    let tables = RowCounts::TABLES.into_iter().zip(ds.counts.total);
    for (name, n) in tables.chain([
        ("food_consensus", ds.consensus.len()),
        ("discrepancies", ds.discrepancies.len()),
    ]) {
        let _ = writeln!(o, "| {name} | {n} |");
    }
    let _ = writeln!(o, "\n### Documents\n");
    let _ = writeln!(
        o,
        "| doc | file | lang | lines | encoding | nutrient_values | dosages | references | citations | forms |\n|---|---|---|---:|---|---:|---:|---:|---:|---:|"
    );
    for d in &ds.documents {
        let c = ds.counts.per_doc.get(&d.id).copied().unwrap_or_default();
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&d.id),
            cell(&d.file),
            d.lang,
            d.lines,
            d.encoding,
            c[0],
            c[1],
            c[2],
            c[3],
            c[4]
        );
    }

    let _ = writeln!(o, "\n## Input problems\n");
    if ds.warnings.is_empty() {
        let _ = writeln!(o, "None: every file was read as clean UTF-8 text.");
    } else {
        let _ = writeln!(o, "| file | line | kind | problem |\n|---|---:|---|---|");
        for w in &ds.warnings {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                cell(&w.file),
                w.line.map(|l| l.to_string()).unwrap_or_default(),
                w.kind,
                cell(&w.message)
            );
        }
    }

    let _ = writeln!(o, "\n## Discrepancies\n");
    if ds.discrepancies.is_empty() {
        let _ = writeln!(o, "None found.");
    } else {
        let kinds = ds.discrepancies.kinds();
        let _ = writeln!(o, "| kind | severity | count |\n|---|---|---:|");
        for (sev, kind, n) in kinds {
            let _ = writeln!(o, "| {kind} | {} | {n} |", sev.as_str());
        }
        let mut findings = ds.discrepancies.iter();
        for (sev, kind, n) in kinds {
            let _ = writeln!(o, "\n### {kind} ({})\n", sev.as_str());
            for f in findings.by_ref().take(*n) {
                write_discrepancy(o, &*f?);
            }
        }
    }

    let _ = writeln!(o, "\n## Reconciled food values\n");
    if ds.consensus.is_empty() {
        let _ = writeln!(o, "No food values to reconcile.");
    } else {
        let _ = writeln!(
            o,
            "| food | nutrient | basis | values | docs | min | max | median | spread | status |\n|---|---|---|---:|---:|---:|---:|---:|---:|---|"
        );
        for c in &ds.consensus {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&c.food),
                c.nutrient,
                c.basis,
                c.n_values,
                c.n_docs,
                format_number(c.min),
                format_number(c.max),
                format_number(c.median),
                format_number((c.spread * 100.0).round() / 100.0),
                c.status
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Discrepancy, DocSummary, Lang, Severity, Warning};

    #[test]
    fn lists_warnings_and_discrepancies_with_quotes() {
        let mut ds = Dataset::default();
        ds.documents.push(DocSummary {
            id: "a".into(),
            file: "a.txt".into(),
            lang: Lang::En,
            lines: 3,
            encoding: "UTF-8".into(),
        });
        ds.warnings.push(Warning {
            file: "bad.txt".into(),
            line: None,
            kind: "undecodable_file".into(),
            message: "skipped: binary".into(),
        });
        let d = Discrepancy {
            id: "1".into(),
            kind: "value_conflict".into(),
            severity: Severity::Warning,
            subject: "natto / vitamin K2 per tablespoon".into(),
            detail: "Sources disagree.".into(),
            docs: vec!["a".into()],
            evidence: vec![],
            r#where: vec!["a:2".into()],
        };
        ds.discrepancies = [Finding {
            discrepancy: d,
            quotes: vec![Some("Natto (1 tablespoon)~100 mcg".into())],
        }]
        .into_iter()
        .collect();
        let r = report_md(&ds).unwrap();
        assert!(r.contains("| bad.txt |  | undecodable_file | skipped: binary |"));
        assert!(r.contains("### value_conflict (warning)"));
        assert!(r.contains("`a:2`: “Natto (1 tablespoon)~100 mcg”"));
    }
}
