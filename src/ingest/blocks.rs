//! Logical blocks of a marked-up source (HTML, Markdown) and their conversion
//! to the [`Line`]s every extractor reads.
//!
//! A flattened `.txt` file has one [`Line`] per source line and its structure is
//! guessed (see `segment`). Markup states the structure, so the parsers in
//! `html` and `markdown` emit one [`Block`] per paragraph, list item, heading or
//! table row, each with the 1-based source line where its visible text starts.
//! Several blocks may start on one source line and many source lines hold no
//! block at all, so `Line::no` is the source line while the position in
//! `Document::lines` is only the reading order; `section` and `table_header`
//! are positions in that order, exactly as for text files.

use crate::model::{Line, LineKind};

use super::collapse_ws;
use super::segment::{find_item_label, find_label};

/// One logical line of a marked-up source.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// 1-based source line where the block's visible text starts.
    pub no: usize,
    pub kind: LineKind,
    /// The text a reader sees: tags removed, entities decoded, whitespace
    /// collapsed. Table rows are their cells joined with " | ".
    pub text: String,
    /// Cells of a table row or header row; empty otherwise.
    pub cells: Vec<String>,
    /// Which table a row belongs to (rows of one table share the number).
    pub table: Option<usize>,
}

/// Collects the text of the block being read and emits finished blocks.
///
/// The parsers walk their tree or event stream and call [`Builder::text`] for
/// visible text, [`Builder::flush`] at block boundaries and
/// [`Builder::enter`]/[`Builder::leave`] around list items and headings, whose
/// kind (and list number) the text inside them takes.
#[derive(Debug, Default)]
pub struct Builder {
    out: Vec<Block>,
    text: String,
    no: Option<usize>,
    /// Kinds of the enclosing list items / headings, innermost last.
    stack: Vec<LineKind>,
    /// "3. " for the first block of an ordered list item, until it is emitted.
    prefix: String,
    tables: usize,
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    fn kind(&self) -> LineKind {
        self.stack.last().copied().unwrap_or(LineKind::Paragraph)
    }

    /// Visible text that starts on source line `line`. The block's line is
    /// that of its first non-blank text.
    pub fn text(&mut self, s: &str, line: usize) {
        if self.no.is_none() && !s.trim().is_empty() {
            self.no = Some(line);
        }
        self.text.push_str(s);
    }

    /// A word break that is not in the text (`<br>` in a cell, a soft line break).
    pub fn space(&mut self) {
        self.text.push(' ');
    }

    /// End the current block, if it has any text.
    pub fn flush(&mut self) {
        let text = collapse_ws(&self.text);
        self.text.clear();
        let Some(no) = self.no.take() else {
            return;
        };
        if text.is_empty() {
            return;
        }
        let text = format!("{}{text}", std::mem::take(&mut self.prefix));
        self.out.push(Block {
            no,
            kind: self.kind(),
            text,
            cells: Vec::new(),
            table: None,
        });
    }

    /// Start a list item (with its number, for ordered lists) or a heading.
    pub fn enter(&mut self, kind: LineKind, number: Option<i64>) {
        self.flush();
        self.stack.push(kind);
        self.prefix = number.map(|n| format!("{n}. ")).unwrap_or_default();
    }

    /// End what the matching [`Builder::enter`] started.
    pub fn leave(&mut self) {
        self.flush();
        self.stack.pop();
        self.prefix.clear();
    }

    /// A new table; its rows are passed to [`Builder::row`] with the number returned.
    pub fn table(&mut self) -> usize {
        self.flush();
        self.tables += 1;
        self.tables
    }

    /// A table row starting on source line `no`. Empty cells are dropped, as
    /// they are in separated rows of a text file.
    pub fn row(&mut self, table: usize, no: usize, cells: Vec<String>, header: bool) {
        let cells: Vec<String> = cells
            .iter()
            .map(|c| collapse_ws(c))
            .filter(|c| !c.is_empty())
            .collect();
        if cells.is_empty() {
            return;
        }
        self.out.push(Block {
            no,
            kind: if header {
                LineKind::TableHeader
            } else {
                LineKind::TableRow
            },
            text: cells.join(" | "),
            cells,
            table: Some(table),
        });
    }

    pub fn finish(mut self) -> Vec<Block> {
        self.flush();
        self.out
    }
}

/// Turn blocks into lines: labels of list items and "Label: text" paragraphs,
/// the header row of each table row, and the section (nearest heading above)
/// of every line, with the same rules `segment` applies to text files.
pub fn to_lines(blocks: Vec<Block>) -> Vec<Line> {
    let mut lines = Vec::with_capacity(blocks.len());
    let mut section = None;
    let mut header: Option<(usize, usize)> = None; // (table, index of its header row)
    for (i, b) in blocks.into_iter().enumerate() {
        let (label, cells) = match b.kind {
            LineKind::Bullet => (find_item_label(&b.text), vec![b.text.clone()]),
            LineKind::Paragraph => (find_label(&b.text), vec![b.text.clone()]),
            LineKind::TableHeader | LineKind::TableRow => (None, b.cells),
            LineKind::Heading | LineKind::Blank => (None, vec![b.text.clone()]),
        };
        let table_header = match (b.kind, b.table) {
            (LineKind::TableHeader, Some(t)) => {
                header = Some((t, i));
                None
            }
            (LineKind::TableRow, Some(t)) => header.filter(|h| h.0 == t).map(|h| h.1),
            _ => None,
        };
        lines.push(Line {
            no: b.no,
            text: b.text,
            kind: b.kind,
            cells,
            label,
            section: if b.kind == LineKind::Heading {
                None
            } else {
                section
            },
            table_header,
            sentences: Vec::new(),
        });
        if b.kind == LineKind::Heading {
            section = Some(i);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_take_their_number_and_labels() {
        let mut b = Builder::new();
        b.enter(LineKind::Heading, None);
        b.text("Dosering", 1);
        b.leave();
        b.enter(LineKind::Bullet, None);
        b.text("  ", 2);
        b.text("Natto – een gerecht", 3);
        b.leave();
        // numbered as in a text file, where "1. Natto" is no label either
        b.enter(LineKind::Bullet, Some(1));
        b.text("Kaas – 50 µg", 3);
        b.leave();
        b.text("Na de lijst: tekst", 4);
        let lines = to_lines(b.finish());
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[1].no, 3);
        assert_eq!(lines[1].text, "Natto – een gerecht");
        assert_eq!(lines[1].label.as_deref(), Some("Natto"));
        assert_eq!(lines[1].section, Some(0));
        assert_eq!(lines[2].no, 3);
        assert_eq!(lines[2].text, "1. Kaas – 50 µg");
        assert_eq!(lines[3].kind, LineKind::Paragraph);
        assert_eq!(lines[3].label.as_deref(), Some("Na de lijst"));
    }

    #[test]
    fn rows_point_to_their_own_header() {
        let mut b = Builder::new();
        let t = b.table();
        b.row(t, 1, vec!["Food".into(), "K2".into()], true);
        b.row(t, 2, vec!["Natto".into(), " 100  µg ".into()], false);
        let u = b.table();
        b.row(
            u,
            5,
            vec!["Kaas".into(), String::new(), "50 µg".into()],
            false,
        );
        let lines = to_lines(b.finish());
        assert_eq!(lines[1].table_header, Some(0));
        assert_eq!(lines[1].cells, vec!["Natto", "100 µg"]);
        assert_eq!(lines[1].text, "Natto | 100 µg");
        assert_eq!(lines[2].table_header, None);
        assert_eq!(lines[2].cells, vec!["Kaas", "50 µg"]);
    }
}
