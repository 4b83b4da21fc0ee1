//! Markdown sources: parsed with `pulldown-cmark` (CommonMark, plus GFM
//! tables and strikethrough) and read into [`Block`]s like HTML pages.
//!
//! Line numbers come from the byte offset of each text event: the first text
//! of a block gives its line. A hard line break (or an inline `<br>`) ends a
//! line as it does in HTML, except inside a table cell, where it is a space.
//! Raw HTML blocks inside Markdown are not read (see `docs/formats.md`).

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::blocks::{Block, Builder};
use crate::model::LineKind;

/// The table row being read.
#[derive(Default)]
struct Row {
    cells: Vec<String>,
    cell: String,
    line: Option<usize>,
}

/// Parse a Markdown text into blocks. `text` must have its line breaks as
/// `decode::split_lines` counts them turned into `\n` (see `ingest::load_bytes`).
pub fn blocks(text: &str) -> Vec<Block> {
    let newlines: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, c)| *c == b'\n')
        .map(|(i, _)| i)
        .collect();
    let line_at = |offset: usize| newlines.partition_point(|&n| n < offset) + 1;

    let mut b = Builder::new();
    let mut lists: Vec<Option<i64>> = Vec::new();
    let mut table: Option<usize> = None;
    let mut row: Option<Row> = None;
    let mut in_head = false;
    // inside an image: its alt text is not shown as text
    let mut image = 0usize;
    let parser = Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
        .into_offset_iter();
    for (event, range) in parser {
        let line = line_at(range.start);
        match event {
            Event::Start(tag) => match tag {
                Tag::Heading { .. } => b.enter(LineKind::Heading, None),
                Tag::Item => {
                    let number = match lists.last_mut() {
                        Some(Some(next)) => {
                            let no = *next;
                            *next = no.saturating_add(1);
                            Some(no)
                        }
                        _ => None,
                    };
                    b.enter(LineKind::Bullet, number);
                }
                Tag::List(start) => {
                    b.flush();
                    lists.push(start.map(|s| i64::try_from(s).unwrap_or(i64::MAX)));
                }
                Tag::Table(_) => table = Some(b.table()),
                Tag::TableHead => {
                    in_head = true;
                    row = Some(Row::default());
                }
                Tag::TableRow => row = Some(Row::default()),
                Tag::TableCell => {
                    if let Some(r) = row.as_mut() {
                        r.cell.clear();
                    }
                }
                Tag::Image { .. } => image += 1,
                Tag::Paragraph
                | Tag::BlockQuote(_)
                | Tag::CodeBlock(_)
                | Tag::HtmlBlock
                | Tag::DefinitionList
                | Tag::DefinitionListTitle
                | Tag::DefinitionListDefinition
                | Tag::FootnoteDefinition(_) => b.flush(),
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Heading(_) | TagEnd::Item => b.leave(),
                TagEnd::List(_) => {
                    b.flush();
                    lists.pop();
                }
                TagEnd::Table => table = None,
                TagEnd::TableHead | TagEnd::TableRow => {
                    if let (Some(t), Some(r)) = (table, row.take()) {
                        if let Some(no) = r.line {
                            b.row(t, no, r.cells, in_head);
                        }
                    }
                    in_head = false;
                }
                TagEnd::TableCell => {
                    if let Some(r) = row.as_mut() {
                        let cell = std::mem::take(&mut r.cell);
                        r.cells.push(cell);
                    }
                }
                TagEnd::Image => image = image.saturating_sub(1),
                TagEnd::Paragraph
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::HtmlBlock
                | TagEnd::DefinitionList
                | TagEnd::DefinitionListTitle
                | TagEnd::DefinitionListDefinition
                | TagEnd::FootnoteDefinition => b.flush(),
                _ => {}
            },
            Event::Text(s) | Event::Code(s) => {
                if image > 0 {
                    continue;
                }
                match row.as_mut() {
                    Some(r) => {
                        if r.line.is_none() && !s.trim().is_empty() {
                            r.line = Some(line);
                        }
                        r.cell.push_str(&s);
                    }
                    None => b.text(&s, line),
                }
            }
            Event::SoftBreak => match row.as_mut() {
                Some(r) => r.cell.push(' '),
                None => b.space(),
            },
            Event::HardBreak => match row.as_mut() {
                Some(r) => r.cell.push(' '),
                None => b.flush(),
            },
            Event::InlineHtml(h) if is_br(&h) => match row.as_mut() {
                Some(r) => r.cell.push(' '),
                None => b.flush(),
            },
            Event::Rule => b.flush(),
            _ => {}
        }
    }
    b.finish()
}

/// An inline `<br>`, `<br/>` or `<br />`.
fn is_br(tag: &str) -> bool {
    let t = tag.trim().to_ascii_lowercase();
    t.strip_prefix("<br")
        .is_some_and(|rest| matches!(rest.trim_start(), ">" | "/>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_lists_tables_with_lines() {
        let md = "# Vitamin K2 content of foods\n\nSome *text*\nover two lines.\n\n| Food | K2 |\n|---|---|\n| Natto<br>(1 tbsp) | 100 mcg |\n\n3. Ref A\n4. Ref B\n\n- **Natto**: rich  \n  second line\n";
        let bs = blocks(md);
        let got: Vec<(usize, LineKind, &str)> =
            bs.iter().map(|b| (b.no, b.kind, b.text.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (1, LineKind::Heading, "Vitamin K2 content of foods"),
                (3, LineKind::Paragraph, "Some text over two lines."),
                (6, LineKind::TableHeader, "Food | K2"),
                (8, LineKind::TableRow, "Natto (1 tbsp) | 100 mcg"),
                (10, LineKind::Bullet, "3. Ref A"),
                (11, LineKind::Bullet, "4. Ref B"),
                (13, LineKind::Bullet, "Natto: rich"),
                (14, LineKind::Bullet, "second line"),
            ]
        );
        assert_eq!(bs[3].cells, vec!["Natto (1 tbsp)", "100 mcg"]);
    }
}
