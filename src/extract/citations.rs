//! In-text citation markers: `[13]`, `[25][26]`, `[3-5]`, `[2,4]`, `[0]`, and
//! the broken `[24]24}` a scraper leaves when it flattens a superscript link.
//!
//! One row per number, so every row can be checked against the document's
//! reference list (`resolved`). The labels that open list entries ("- \[1\] …")
//! are not citations, so reference-list lines are skipped.

use crate::per_thread::PerThread;
use std::collections::HashSet;

use regex::Regex;

use crate::model::{row_id, Citation, Document, Reference};

/// A bracket marker with numbers, ranges and lists; an optional broken tail
/// ("24}") directly after it.
static MARKER: PerThread<Regex> = PerThread::new(|| {
    Regex::new(r"\[\s*(\d{1,3}(?:\s*(?:[-–—]|,|;)\s*\d{1,3})*)\s*\](\d{1,3}\})?").unwrap()
});

/// Longest range expanded into single numbers ("[3-5]" → 3, 4, 5); a longer
/// one is more likely a typo, and gives its two ends only.
const MAX_RANGE: i64 = 50;

/// The numbers a marker's content points to, in order.
fn marker_numbers(inner: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for part in inner.split([',', ';']) {
        let ends: Vec<i64> = part
            .split(['-', '–', '—'])
            .filter_map(|x| x.trim().parse::<i64>().ok())
            .collect();
        match ends.as_slice() {
            [a] => out.push(*a),
            [a, b] if a <= b && b - a <= MAX_RANGE => out.extend(*a..=*b),
            [a, b] => out.extend([*a, *b]),
            _ => {}
        }
    }
    out
}

/// The first characters of a reference entry's text: enough to tell its line
/// from another on the same source line, few enough to lie on its first line.
fn entry_head(raw: &str) -> &str {
    let end = raw.char_indices().nth(24).map_or(raw.len(), |(i, _)| i);
    raw.get(..end).unwrap_or(raw)
}

/// Every in-text marker of `doc`, one row per number, ordered by line and offset.
pub fn extract_citations(doc: &Document, refs: &[Reference]) -> Vec<Citation> {
    // The entries of the reference list are not cited text. An entry is known
    // by its line number and the start of its text: in a marked-up source
    // several lines can share a number (a minified page is all on line 1), and
    // only the entry itself is to be skipped.
    let list_lines: Vec<(usize, &str)> = refs
        .iter()
        .filter(|r| r.doc == doc.id)
        .map(|r| (r.line, entry_head(&r.raw)))
        .collect();
    let numbers: HashSet<i64> = refs
        .iter()
        .filter(|r| r.doc == doc.id)
        .map(|r| r.ref_no)
        .collect();
    let mut out = Vec::new();
    for line in &doc.lines {
        if list_lines
            .iter()
            .any(|(no, head)| *no == line.no && line.text.contains(head))
        {
            continue;
        }
        // The span of the current marker group, and the end of the previous marker.
        let (mut span_start, mut span_end, mut prev_end) = (0usize, 0usize, 0usize);
        for c in MARKER.captures_iter(&line.text) {
            let (Some(whole), Some(inner)) = (c.get(0), c.get(1)) else {
                continue;
            };
            let between = line.text.get(prev_end..whole.start()).unwrap_or("");
            let adjacent = prev_end > 0
                && between
                    .chars()
                    .all(|ch| ch.is_whitespace() || matches!(ch, ',' | ';' | '-' | '–'));
            if !adjacent {
                span_start = prev_end;
                span_end = whole.start();
            }
            prev_end = whole.end();
            let span = line
                .text
                .get(span_start..span_end)
                .unwrap_or("")
                .trim_start_matches(|ch: char| {
                    ch.is_whitespace() || matches!(ch, '.' | ',' | ';' | ':' | ')')
                })
                .trim_end()
                .to_string();
            let malformed = c.get(2).is_some();
            let offset = whole.start();
            let context = line
                .sentences
                .iter()
                .rev()
                .find(|s| s.start <= offset)
                .or(line.sentences.first())
                .map_or_else(|| line.text.trim().to_string(), |s| s.text.clone());
            let mut seen = HashSet::new();
            for n in marker_numbers(inner.as_str()) {
                if !seen.insert(n) {
                    continue;
                }
                out.push(Citation {
                    id: row_id(
                        "citations",
                        &[
                            &doc.id,
                            &line.no.to_string(),
                            &offset.to_string(),
                            &n.to_string(),
                        ],
                    ),
                    doc: doc.id.as_str().into(),
                    line: line.no,
                    offset,
                    marker: whole.as_str().into(),
                    ref_no: n,
                    resolved: numbers.contains(&n),
                    context: context.clone(),
                    span: span.clone(),
                    malformed,
                });
            }
        }
    }
    out.sort_by_key(|c| (c.line, c.offset));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::references::extract_references;
    use crate::ingest::parse_text;

    #[test]
    fn markers_ranges_lists_and_broken_ones() {
        let text = "Kale is rich in K1 [2]. Natto has more[5][6] than cheese [1-3].\nSee also [2, 4] and [0].\nDoses vary widely[9]9}.\n\nReferences\n- [1] Hall, P. (2001). Title one. Journal A, 3(1), 1-9.\n- [2] Moss, T. (2002). Title two. Journal B, 4, 10-19.\n";
        let doc = parse_text("d", "d.txt", text);
        let (refs, _) = extract_references(&doc);
        assert_eq!(refs.len(), 2);
        let cits = extract_citations(&doc, &refs);
        let got: Vec<(usize, i64, bool)> = cits
            .iter()
            .map(|c| (c.line, c.ref_no, c.resolved))
            .collect();
        assert_eq!(
            got,
            [
                (1, 2, true),
                (1, 5, false),
                (1, 6, false),
                (1, 1, true),
                (1, 2, true),
                (1, 3, false),
                (2, 2, true),
                (2, 4, false),
                (2, 0, false),
                (3, 9, false),
            ]
        );
        let broken = cits.iter().find(|c| c.line == 3);
        assert_eq!(
            broken.map(|c| (c.marker.as_str(), c.malformed)),
            Some(("[9]9}", true))
        );
        assert_eq!(
            cits.first().map(|c| c.context.as_str()),
            Some("Kale is rich in K1 [2].")
        );
        let spans: Vec<&str> = cits.iter().map(|c| c.span.as_str()).collect();
        assert_eq!(
            &spans[..4],
            [
                "Kale is rich in K1",
                "Natto has more",
                "Natto has more",
                "than cheese"
            ],
            "a span runs from the previous marker group; [5][6] share one"
        );
        assert!(
            cits.iter().all(|c| c.line < 6),
            "list labels are not citations"
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(marker_numbers("3-5"), [3, 4, 5]);
        assert_eq!(marker_numbers("2,4"), [2, 4]);
        assert_eq!(marker_numbers("1–200"), [1, 200]);
    }
}
