//! HTML sources: parsed with html5ever (the WHATWG parser of Servo, through the
//! `scraper` DOM), so that malformed markup is repaired the way a browser
//! repairs it, then read into [`Block`]s: headings, paragraphs, list items and
//! table rows with separate cells.
//!
//! Source line numbers: html5ever keeps no positions in its tree, but its
//! tokenizer tells the tree builder the line of every token it emits. A sink
//! that wraps scraper's tree sink (`LineSink`) records, for each text node,
//! the line on which its first non-blank text arrived. The tokenizer's fast
//! path for runs of text counts the newlines of a run before emitting it (the
//! run would get its last line), so it is switched off with `exact_errors`,
//! which makes every newline a token of its own.
//!
//! What is left out: `script`, `style`, `nav`, `header`, `footer`, `noscript`,
//! `template`, `svg` and the `head` — page furniture, not article text.

use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell};
use std::collections::HashMap;

use ego_tree::iter::Edge;
use ego_tree::{NodeId, NodeRef};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, ParseOpts, QualName};
use scraper::{Html, HtmlTreeSink, Node};

use super::blocks::{Block, Builder};
use crate::model::LineKind;

/// Elements whose content is not article text.
const DROPPED: &[&str] = &[
    "script", "style", "nav", "header", "footer", "noscript", "template", "head", "svg",
];

/// Elements that start and end a block of text.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "form",
    "hgroup",
    "hr",
    "html",
    "legend",
    "main",
    "p",
    "pre",
    "section",
    "summary",
    // cells of a layout table (a data table is read row by row instead)
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "td",
    "th",
];

const HEADINGS: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];

/// scraper's tree sink, plus the source line of every text node.
struct LineSink {
    inner: HtmlTreeSink,
    line: Cell<u64>,
    /// Text node → line of its first non-blank text.
    lines: RefCell<HashMap<NodeId, u64>>,
}

impl LineSink {
    /// Record the current line for text node `id` once it holds visible text.
    fn note(&self, id: Option<NodeId>) {
        let Some(id) = id else { return };
        let mut lines = self.lines.borrow_mut();
        if lines.contains_key(&id) {
            return;
        }
        let html = self.inner.0.borrow();
        let visible = html
            .tree
            .get(id)
            .and_then(|n| n.value().as_text().map(|t| !t.trim().is_empty()))
            .unwrap_or(false);
        if visible {
            lines.insert(id, self.line.get());
        }
    }

    fn last_child(&self, parent: NodeId) -> Option<NodeId> {
        let html = self.inner.0.borrow();
        html.tree
            .get(parent)
            .and_then(|p| p.last_child())
            .map(|c| c.id())
    }

    fn prev_sibling(&self, node: NodeId) -> Option<NodeId> {
        let html = self.inner.0.borrow();
        html.tree
            .get(node)
            .and_then(|p| p.prev_sibling())
            .map(|c| c.id())
    }
}

impl TreeSink for LineSink {
    type Handle = NodeId;
    type Output = (Html, HashMap<NodeId, u64>);
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Self::Output {
        (self.inner.finish(), self.lines.into_inner())
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {
        // Malformed markup is repaired as a browser would; nothing to report.
    }

    fn set_current_line(&self, line_number: u64) {
        self.line.set(line_number);
    }

    fn get_document(&self) -> NodeId {
        self.inner.get_document()
    }

    fn elem_name<'a>(&'a self, target: &'a NodeId) -> Ref<'a, QualName> {
        self.inner.elem_name(target)
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> NodeId {
        self.inner.create_element(name, attrs, flags)
    }

    fn create_comment(&self, text: StrTendril) -> NodeId {
        self.inner.create_comment(text)
    }

    fn create_pi(&self, target: StrTendril, data: StrTendril) -> NodeId {
        self.inner.create_pi(target, data)
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        let text = matches!(child, NodeOrText::AppendText(_));
        self.inner.append(parent, child);
        if text {
            self.note(self.last_child(*parent));
        }
    }

    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        let has_parent = self
            .inner
            .0
            .borrow()
            .tree
            .get(*element)
            .is_some_and(|e| e.parent().is_some());
        if has_parent {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        self.inner
            .append_doctype_to_document(name, public_id, system_id);
    }

    fn get_template_contents(&self, target: &NodeId) -> NodeId {
        self.inner.get_template_contents(target)
    }

    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.inner.set_quirks_mode(mode);
    }

    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        let text = matches!(new_node, NodeOrText::AppendText(_));
        self.inner.append_before_sibling(sibling, new_node);
        if text {
            self.note(self.prev_sibling(*sibling));
        }
    }

    fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
        self.inner.add_attrs_if_missing(target, attrs);
    }

    fn remove_from_parent(&self, target: &NodeId) {
        self.inner.remove_from_parent(target);
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        self.inner.reparent_children(node, new_parent);
    }
}

/// Parse an HTML page into blocks. `text` must have its line breaks as
/// `decode::split_lines` counts them turned into `\n` (see `ingest::load_bytes`),
/// so that html5ever's line numbers are the ones every other tool shows.
pub fn blocks(text: &str) -> Vec<Block> {
    let sink = LineSink {
        inner: HtmlTreeSink::new(Html::new_document()),
        line: Cell::new(1),
        lines: RefCell::new(HashMap::new()),
    };
    let mut opts = ParseOpts::default();
    opts.tokenizer.exact_errors = true;
    let (html, lines) = html5ever::parse_document(sink, opts).one(text);
    Reader {
        lines: &lines,
        last_line: 1,
    }
    .read(&html)
}

/// Walks the parsed tree in document order (iteratively: a deeply nested page
/// cannot exhaust the stack).
struct Reader<'a> {
    lines: &'a HashMap<NodeId, u64>,
    last_line: usize,
}

fn element_name<'a>(n: &NodeRef<'a, Node>) -> Option<&'a str> {
    n.value().as_element().map(|e| e.name())
}

impl Reader<'_> {
    fn line_of(&mut self, id: NodeId) -> usize {
        if let Some(l) = self.lines.get(&id) {
            self.last_line = usize::try_from(*l).unwrap_or(usize::MAX);
        }
        self.last_line
    }

    fn read(mut self, html: &Html) -> Vec<Block> {
        let mut b = Builder::new();
        // subtree being skipped (dropped element, or a data table already read)
        let mut skip: Option<NodeId> = None;
        // next number of each open list: Some for <ol>, None for <ul>
        let mut lists: Vec<Option<i64>> = Vec::new();
        for edge in html.tree.root().traverse() {
            match edge {
                Edge::Open(n) => {
                    if skip.is_some() {
                        continue;
                    }
                    if let Some(t) = n.value().as_text() {
                        let line = self.line_of(n.id());
                        b.text(t, line);
                        continue;
                    }
                    let Some(name) = element_name(&n) else {
                        continue;
                    };
                    if DROPPED.contains(&name) {
                        skip = Some(n.id());
                    } else if HEADINGS.contains(&name) {
                        b.enter(LineKind::Heading, None);
                    } else if name == "li" {
                        let number = match lists.last_mut() {
                            Some(Some(next)) => {
                                let no = attr_number(&n, "value").unwrap_or(*next);
                                *next = no.saturating_add(1);
                                Some(no)
                            }
                            _ => None,
                        };
                        b.enter(LineKind::Bullet, number);
                    } else if name == "ol" {
                        b.flush();
                        lists.push(Some(attr_number(&n, "start").unwrap_or(1)));
                    } else if name == "ul" || name == "menu" {
                        b.flush();
                        lists.push(None);
                    } else if name == "table" && is_data_table(&n) {
                        self.table(&n, &mut b);
                        skip = Some(n.id());
                    } else if name == "br" || BLOCKS.contains(&name) {
                        b.flush();
                    }
                }
                Edge::Close(n) => {
                    if skip.is_some() {
                        if skip == Some(n.id()) {
                            skip = None;
                        }
                        continue;
                    }
                    let Some(name) = element_name(&n) else {
                        continue;
                    };
                    if HEADINGS.contains(&name) || name == "li" {
                        b.leave();
                    } else if matches!(name, "ol" | "ul" | "menu") {
                        b.flush();
                        lists.pop();
                    } else if BLOCKS.contains(&name) {
                        b.flush();
                    }
                }
            }
        }
        b.finish()
    }

    /// A data table: its caption as a heading, then one row per `<tr>`.
    fn table(&mut self, table: &NodeRef<Node>, b: &mut Builder) {
        if let Some(caption) = table
            .children()
            .find(|c| element_name(c) == Some("caption"))
        {
            let (text, line) = self.cell_text(&caption);
            b.enter(LineKind::Heading, None);
            b.text(&text, line);
            b.leave();
        }
        let t = b.table();
        for (row, in_head) in rows(table) {
            let mut cells = Vec::new();
            let mut all_th = true;
            let mut line = None;
            for cell in row.children() {
                let name = element_name(&cell);
                if !matches!(name, Some("td" | "th")) {
                    continue;
                }
                all_th &= name == Some("th");
                let (text, l) = self.cell_text(&cell);
                if line.is_none() && !text.trim().is_empty() {
                    line = Some(l);
                }
                cells.push(text);
            }
            if let Some(line) = line {
                b.row(t, line, cells, in_head || all_th);
            }
        }
    }

    /// The visible text of a table cell (or caption): `<br>` and block
    /// elements inside it become spaces. Returns the text and its first line.
    fn cell_text(&mut self, cell: &NodeRef<Node>) -> (String, usize) {
        let mut text = String::new();
        let mut line = None;
        let mut skip: Option<NodeId> = None;
        for edge in cell.traverse() {
            match edge {
                Edge::Open(n) => {
                    if skip.is_some() {
                        continue;
                    }
                    if let Some(t) = n.value().as_text() {
                        let l = self.line_of(n.id());
                        if line.is_none() && !t.trim().is_empty() {
                            line = Some(l);
                        }
                        text.push_str(t);
                    } else if let Some(name) = element_name(&n) {
                        if DROPPED.contains(&name) {
                            skip = Some(n.id());
                        } else if name == "br" || name == "li" || BLOCKS.contains(&name) {
                            text.push(' ');
                        }
                    }
                }
                Edge::Close(n) => {
                    if skip == Some(n.id()) {
                        skip = None;
                    } else if skip.is_none()
                        && element_name(&n).is_some_and(|name| BLOCKS.contains(&name))
                    {
                        text.push(' ');
                    }
                }
            }
        }
        (super::collapse_ws(&text), line.unwrap_or(self.last_line))
    }
}

/// A whole-number attribute ("start" of `<ol>`, "value" of `<li>`).
fn attr_number(n: &NodeRef<Node>, attr: &str) -> Option<i64> {
    n.value()
        .as_element()
        .and_then(|e| e.attr(attr))
        .and_then(|v| v.trim().parse().ok())
}

/// The rows of a table (not of tables nested in it), and whether each is in `<thead>`.
fn rows<'a>(table: &NodeRef<'a, Node>) -> Vec<(NodeRef<'a, Node>, bool)> {
    let mut out = Vec::new();
    for child in table.children() {
        match element_name(&child) {
            Some("tr") => out.push((child, false)),
            Some(section @ ("thead" | "tbody" | "tfoot")) => {
                for r in child.children() {
                    if element_name(&r) == Some("tr") {
                        out.push((r, section == "thead"));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// A table holds data unless one of its cells holds another table: then it is
/// a layout table (the page's columns), read as ordinary blocks, and the tables
/// inside it are read as tables.
fn is_data_table(table: &NodeRef<Node>) -> bool {
    !rows(table).iter().any(|(row, _)| {
        row.children()
            .filter(|c| matches!(element_name(c), Some("td" | "th")))
            .any(|c| c.descendants().any(|d| element_name(&d) == Some("table")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(bs: &[Block]) -> Vec<(usize, LineKind, &str)> {
        bs.iter().map(|b| (b.no, b.kind, b.text.as_str())).collect()
    }

    #[test]
    fn blocks_with_source_lines() {
        let html = "<!doctype html>\n<html><head><title>T</title>\n<script>var x = 1;</script></head>\n<body>\n<nav>Menu</nav>\n<h2>Vitamin K2 content\nof foods</h2>\n<p>Natto &amp; cheese\n  contain <b>K2</b>.</p>\n<ul><li>Natto: 100 &micro;g</li>\n<li>\n  Kaas – 50 µg</li></ul>\n<ol start=\"3\"><li>Ref A</li><li>Ref B</li></ol>\n<footer>(c)</footer></body></html>";
        let bs = blocks(html);
        assert_eq!(
            kinds(&bs),
            vec![
                (6, LineKind::Heading, "Vitamin K2 content of foods"),
                (8, LineKind::Paragraph, "Natto & cheese contain K2."),
                (10, LineKind::Bullet, "Natto: 100 µg"),
                (12, LineKind::Bullet, "Kaas – 50 µg"),
                (13, LineKind::Bullet, "3. Ref A"),
                (13, LineKind::Bullet, "4. Ref B"),
            ]
        );
    }

    #[test]
    fn long_text_runs_keep_their_first_line() {
        let mut html = String::from("<p>");
        for i in 0..200 {
            html.push_str(&format!("word{i} and more words to make a long run\n"));
        }
        html.push_str("</p>\n<p>last</p>");
        let bs = blocks(&html);
        assert_eq!(bs[0].no, 1);
        assert_eq!(bs[1].no, 202);
    }

    #[test]
    fn tables_rows_cells_and_br() {
        let html = "<table><caption>K2 in foods</caption>\n<tr><th>Food</th><th>K2</th></tr>\n<tr><td>Natto<br>(1 tbsp)</td>\n<td>\n100 mcg</td></tr></table>";
        let bs = blocks(html);
        assert_eq!(bs[0].kind, LineKind::Heading);
        assert_eq!(bs[1].kind, LineKind::TableHeader);
        assert_eq!(bs[1].cells, vec!["Food", "K2"]);
        assert_eq!(bs[2].kind, LineKind::TableRow);
        assert_eq!(bs[2].no, 3);
        assert_eq!(bs[2].cells, vec!["Natto (1 tbsp)", "100 mcg"]);
    }

    #[test]
    fn layout_tables_are_read_as_blocks() {
        let html = "<table><tr><td><h3>Foods</h3><table><tr><th>Food</th><th>K2</th></tr><tr><td>Natto</td><td>100 mcg</td></tr></table></td><td><p>Side text</p></td></tr></table>";
        let bs = blocks(html);
        let k: Vec<LineKind> = bs.iter().map(|b| b.kind).collect();
        assert_eq!(
            k,
            vec![
                LineKind::Heading,
                LineKind::TableHeader,
                LineKind::TableRow,
                LineKind::Paragraph
            ]
        );
        assert_eq!(bs[0].table, None);
        assert_eq!(bs[1].table, bs[2].table);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let html = "<div>".repeat(3_000) + "deep text";
        let bs = blocks(&html);
        assert_eq!(bs.len(), 1);
    }
}
