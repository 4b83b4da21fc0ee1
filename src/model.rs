//! Record types that flow between the stages.
//!
//! `ingest` produces [`Document`]s; the extractors turn them into the row types
//! ([`NutrientValue`], [`Dosage`], [`Reference`], [`Citation`], [`FormMention`]);
//! `reconcile` adds [`FoodConsensus`] and [`Discrepancy`] rows; `emit` writes them.
//! Every row carries its provenance (`doc`, `line`, `quote`) because auditing is the
//! point of the tool: a reviewer must be able to go from any figure to its source.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::spill::{Findings, MarkList};
use crate::values::Range;

/// A short text field of a row (ids, document ids, vocabulary values, units,
/// DOIs): up to 24 bytes are stored inline, without a heap allocation. Most
/// such fields are shorter than that, and a large corpus keeps ~800 000 rows
/// of ten of them each until emit (see docs/performance.md). Long free text
/// (quotes, titles, raw entries) stays `String`.
pub type Text = compact_str::CompactString;

/// Language of a sentence, ISO 639-1.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub enum Lang {
    Nl,
    #[default]
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What a source line is, as far as layout goes. Flattened web pages lose their
/// markup, so this is inferred (see `ingest::segment`), or taken from the markup
/// where the source still has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Blank,
    /// A short title line without sentence punctuation.
    Heading,
    /// A list item ("- ", "• ", "* ", "1. ").
    Bullet,
    /// First row of a table (its cells are column names).
    TableHeader,
    /// A data row of a table.
    TableRow,
    /// Running text.
    Paragraph,
}

/// A sentence (or table row) inside a line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    /// 1-based line number in the source file.
    pub line: usize,
    /// Byte offset of the sentence in the line's text.
    pub start: usize,
    pub text: String,
    /// How the sentence's language is told (see [`Sentence::lang`]).
    pub lang: SentenceLang,
}

impl Sentence {
    /// The sentence's language where it can matter (sentences with a digit,
    /// lines with a form name: amounts and form mentions); the document's
    /// language elsewhere (see `ingest::parse_text`). Worked out on first
    /// use: most sentences with a digit (reference entries, years, table
    /// rows without a unit) never ask.
    pub fn lang(&self) -> Lang {
        self.lang.get(&self.text)
    }
}

/// The language of one sentence, told on first use: the statistical detector
/// is the costliest step of ingest, and only amounts and form mentions read
/// the result. Two are equal when they would tell the same (whether one has
/// been asked yet does not matter).
#[derive(Debug, Clone)]
pub struct SentenceLang {
    /// The document's language: the answer when the sentence is not
    /// detected, and the detector's fallback when it is unsure.
    document: Lang,
    from: LangFrom,
    told: std::sync::OnceLock<Lang>,
}

/// What a sentence's language is told from.
#[derive(Debug, Clone, PartialEq)]
enum LangFrom {
    /// Nothing: the sentence keeps the document's language.
    Document,
    /// The sentence's text.
    Text,
    /// The sentence as written, where collapsing its whitespace changed it.
    Written(Box<str>),
}

impl SentenceLang {
    /// Always the document's language.
    pub fn fixed(document: Lang) -> SentenceLang {
        SentenceLang {
            document,
            from: LangFrom::Document,
            told: std::sync::OnceLock::new(),
        }
    }

    /// Detected on first use from `raw`, the sentence as written (kept only
    /// when it differs from `text`, the sentence with its whitespace
    /// collapsed), falling back to `document`.
    pub fn detected(document: Lang, raw: &str, text: &str) -> SentenceLang {
        SentenceLang {
            document,
            from: if raw == text {
                LangFrom::Text
            } else {
                LangFrom::Written(raw.into())
            },
            told: std::sync::OnceLock::new(),
        }
    }

    fn get(&self, text: &str) -> Lang {
        let on = match &self.from {
            LangFrom::Document => return self.document,
            LangFrom::Text => text,
            LangFrom::Written(raw) => raw,
        };
        *self
            .told
            .get_or_init(|| crate::ingest::lang::detect_sentence(on, self.document))
    }
}

impl PartialEq for SentenceLang {
    fn eq(&self, other: &SentenceLang) -> bool {
        self.document == other.document && self.from == other.from
    }
}

/// One line of a source file, with the structure recovered from it.
///
/// For a text file a `Line` is a source line. For a marked-up source (HTML,
/// Markdown) it is a logical line: a heading, paragraph, list item or table
/// row, numbered by the source line its visible text starts on. Several
/// logical lines can share a number and some numbers have none, so code that
/// walks a document uses positions in `Document::lines` and reports `no`.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// 1-based line number in the source file, as `str.splitlines()` counts.
    pub no: usize,
    /// The line's text after decoding and NFC normalisation; for marked-up
    /// sources the text a reader sees (tags removed, entities decoded,
    /// whitespace collapsed; table cells joined with " | ").
    pub text: String,
    pub kind: LineKind,
    /// Table cells for table rows (label cell, value cell, …); the whole text
    /// otherwise. Cells glued together by a scraper are split here.
    pub cells: Vec<String>,
    /// For list items "Label: text" / "Label – text": the label.
    pub label: Option<String>,
    /// Index (into `Document::lines`) of the heading this line sits under.
    pub section: Option<usize>,
    /// Index of the table header row, for table rows.
    pub table_header: Option<usize>,
    pub sentences: Vec<Sentence>,
}

/// A decoded, segmented source document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The file name without its extension.
    pub id: String,
    /// The file name as found under `--raw`, relative to it.
    pub file: String,
    /// The document's main language (majority of its sentences).
    pub lang: Lang,
    /// The lines in reading order. For text files `lines[i].no == i + 1`; for
    /// marked-up sources not (see [`Line`]): index by position, report `no`.
    pub lines: Vec<Line>,
}

impl Document {
    /// The first line that starts on the given 1-based source line.
    pub fn line(&self, no: usize) -> Option<&Line> {
        match no.checked_sub(1).and_then(|i| self.lines.get(i)) {
            Some(l) if l.no == no => Some(l),
            _ => self.lines.iter().find(|l| l.no == no),
        }
    }
}

/// A problem met while reading the input: reported, never silently dropped.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Warning {
    /// File (relative to `--raw`) the problem is in.
    pub file: String,
    /// 1-based line, when the problem is on one line.
    pub line: Option<usize>,
    /// Short machine-readable kind ("decoded_legacy_encoding", "empty_file", …).
    pub kind: String,
    pub message: String,
}

/// Qualifier of a stated amount.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord, Serialize, Deserialize,
)]
pub enum Qualifier {
    #[default]
    Exact,
    Approx,
    UpTo,
    AtLeast,
}

impl Qualifier {
    pub fn as_str(self) -> &'static str {
        match self {
            Qualifier::Exact => "",
            Qualifier::Approx => "approx",
            Qualifier::UpTo => "up_to",
            Qualifier::AtLeast => "at_least",
        }
    }

    pub fn from_code(s: &str) -> Option<Qualifier> {
        Some(match s {
            "" | "exact" => Qualifier::Exact,
            "approx" => Qualifier::Approx,
            "up_to" => Qualifier::UpTo,
            "at_least" => Qualifier::AtLeast,
            _ => return None,
        })
    }
}

/// How much of a nutrient a food contains (table `nutrient_values`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NutrientValue {
    pub id: Text,
    pub doc: Text,
    pub line: usize,
    /// Byte offset of the amount in the line (orders rows within a line).
    pub offset: usize,
    pub quote: String,
    pub lang: Lang,
    pub food: Text,
    pub food_raw: Text,
    pub nutrient: Text,
    pub form: Text,
    pub qualifier: Qualifier,
    pub amount_min: f64,
    pub amount_max: f64,
    pub unit: Text,
    pub value_ug_min: Option<f64>,
    pub value_ug_max: Option<f64>,
    pub basis_amount: f64,
    pub basis_unit: Text,
    pub basis_g: Option<f64>,
    pub ug_per_100g_min: Option<f64>,
    pub ug_per_100g_max: Option<f64>,
    /// Where `basis_g` of a household measure comes from (measures table source).
    pub basis_source: Text,
}

/// An intake or dose statement (table `dosages`), per day.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Dosage {
    pub id: Text,
    pub doc: Text,
    pub line: usize,
    pub offset: usize,
    pub quote: String,
    pub lang: Lang,
    pub nutrient: Text,
    pub form: Text,
    pub qualifier: Qualifier,
    pub indication: Text,
    pub indication_raw: Text,
    pub population: Text,
    pub amount_min: f64,
    pub amount_max: f64,
    pub unit: Text,
    /// `None` when the frequency is stated but unknown ("split into multiple servings").
    pub times_per_day: Option<f64>,
    pub value_ug_min: Option<f64>,
    pub value_ug_max: Option<f64>,
    pub co_nutrients: Vec<String>,
    /// The parenthetical equivalent as stated ("800" of "20 µg (800 IE)").
    pub alt_amount_min: Option<f64>,
    pub alt_amount_max: Option<f64>,
    pub alt_unit: Text,
}

/// An entry of a reference list (table `references`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Reference {
    pub id: Text,
    pub doc: Text,
    pub line: usize,
    pub ref_no: i64,
    pub raw: String,
    pub style: Text,
    pub authors: Vec<String>,
    pub et_al: bool,
    pub year: Option<i64>,
    pub title: String,
    pub title_lang: Text,
    pub journal: Text,
    pub volume: Text,
    pub issue: Text,
    pub pages: Text,
    pub doi: Text,
}

/// An in-text citation marker, one row per number (table `citations`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Citation {
    pub id: Text,
    pub doc: Text,
    pub line: usize,
    /// Byte offset of the marker in the line.
    pub offset: usize,
    pub marker: Text,
    pub ref_no: i64,
    pub resolved: bool,
    pub context: String,
    /// The text this marker vouches for: the line from the end of the previous
    /// marker group (or the line's start) up to this marker. Wider than
    /// `context` because a sentence often names the study ("a review in Food &
    /// Function (2020) …") one or two sentences before the marker that cites it.
    /// Markers written side by side ("\[25\]\[26\]") share one span. Not emitted.
    pub span: String,
    /// The marker is broken ("\[24\]24}").
    pub malformed: bool,
}

/// A mention of a vitamin K form (table `forms`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FormMention {
    pub id: Text,
    pub doc: Text,
    pub line: usize,
    pub offset: usize,
    pub lang: Lang,
    pub form_raw: Text,
    pub form: Text,
}

/// Reconciled figures per food × nutrient × comparable basis.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FoodConsensus {
    pub food: String,
    pub nutrient: String,
    pub basis: String,
    pub n_values: i64,
    pub n_docs: i64,
    pub min: f64,
    pub max: f64,
    pub median: f64,
    pub spread: f64,
    pub status: String,
    pub value_ids: Vec<Text>,
}

/// Severity of a discrepancy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Something a reviewer should look at (table `discrepancies`).
///
/// Kinds, document ids, row ids and `doc:line` places are short: kept inline
/// (`Text`), since a large corpus holds ~90 000 findings with their evidence
/// lists from reconcile to emit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discrepancy {
    pub id: Text,
    pub kind: Text,
    pub severity: Severity,
    pub subject: String,
    pub detail: String,
    pub docs: Vec<Text>,
    pub evidence: Vec<Text>,
    /// `doc:line` of every source line it rests on.
    pub r#where: Vec<Text>,
}

/// Where a discrepancy sorts in the discrepancies table: severity, kind,
/// subject, id.
pub type TableOrder<'a> = (Severity, &'a str, &'a str, &'a str);

impl Discrepancy {
    /// Its place in the table's order.
    pub fn table_order(&self) -> TableOrder<'_> {
        (self.severity, &self.kind, &self.subject, &self.id)
    }
}

/// A discrepancy with the source text of the lines it points at, as the
/// reports quote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub discrepancy: Discrepancy,
    /// The text of each place of `discrepancy.r#where`, in that order
    /// (`None` where no row quotes the line).
    pub quotes: Vec<Option<String>>,
}

impl Finding {
    /// `d` with the quotes `quote` gives for its places (`doc:line`).
    pub fn quoting(d: Discrepancy, quote: impl Fn(&str) -> Option<String>) -> Finding {
        let quotes = d.r#where.iter().map(|w| quote(w)).collect();
        Finding {
            discrepancy: d,
            quotes,
        }
    }
}

/// Everything the extract stage finds in one document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    pub nutrient_values: Vec<NutrientValue>,
    pub dosages: Vec<Dosage>,
    pub references: Vec<Reference>,
    pub citations: Vec<Citation>,
    pub forms: Vec<FormMention>,
    /// Entries or markers that could not be parsed fully (reported, never dropped).
    pub warnings: Vec<Warning>,
}

impl Extracted {
    /// Move the rows of `other` to the end of these tables (its buffers are
    /// freed here).
    pub fn append(&mut self, mut other: Extracted) {
        self.nutrient_values.append(&mut other.nutrient_values);
        self.dosages.append(&mut other.dosages);
        self.references.append(&mut other.references);
        self.citations.append(&mut other.citations);
        self.forms.append(&mut other.forms);
        self.warnings.append(&mut other.warnings);
    }

    /// The rows of every part, in order: several documents' tables gathered
    /// into one set (the parts of a document id read back from the spill, or
    /// every document of a folder held in memory).
    ///
    /// One table at a time: its rows are moved into one vector of the exact
    /// size, and each part's vector is freed as soon as its rows are moved, so
    /// the live overlap is the parts plus one gathered table, not every table
    /// twice. A run never gathers a corpus: it parks each document's rows and
    /// keeps their keys ([`crate::reconcile::keys`]); gathering per-document
    /// vectors left their pages with the process (~175 MiB at 200 MB; see
    /// docs/performance.md).
    pub fn concat(mut parts: Vec<Extracted>) -> Extracted {
        fn gather<T>(
            parts: &mut [Extracted],
            table: impl Fn(&mut Extracted) -> &mut Vec<T>,
        ) -> Vec<T> {
            let n = parts.iter_mut().map(|p| table(p).len()).sum();
            let mut all = Vec::with_capacity(n);
            for p in parts.iter_mut() {
                // taken, not drained: the part's buffer is freed here
                all.append(&mut std::mem::take(table(p)));
            }
            all
        }
        Extracted {
            nutrient_values: gather(&mut parts, |p| &mut p.nutrient_values),
            dosages: gather(&mut parts, |p| &mut p.dosages),
            references: gather(&mut parts, |p| &mut p.references),
            citations: gather(&mut parts, |p| &mut p.citations),
            forms: gather(&mut parts, |p| &mut p.forms),
            warnings: gather(&mut parts, |p| &mut p.warnings),
        }
    }
}

/// The whole output set of a run, apart from the row tables, which emit
/// streams from a [`crate::spill::RowSource`] (a large corpus's rows are not
/// held in memory; see [`crate::spill`]).
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub documents: Vec<DocSummary>,
    /// The BibTeX key of every reference entry, in table order: unique over
    /// the whole list, so worked out before the entries are written (filled
    /// with the report's parts).
    pub bib_keys: Vec<Text>,
    pub consensus: Vec<FoodConsensus>,
    /// The discrepancies in table order, with the lines they quote.
    pub discrepancies: Findings,
    pub warnings: Vec<Warning>,
    /// Rows per table and document, for the report (filled while the tables
    /// are written, see [`RowCounts::add`]).
    pub counts: RowCounts,
    /// The food values the report's chart draws (filled with the tables).
    pub chart: ChartMarks,
}

/// Rows per table, per document and in all. Tables in the order of
/// [`RowCounts::TABLES`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowCounts {
    pub per_doc: BTreeMap<String, [usize; 5]>,
    pub total: [usize; 5],
}

impl RowCounts {
    pub const TABLES: [&'static str; 5] = [
        "nutrient_values",
        "dosages",
        "references",
        "citations",
        "forms",
    ];

    /// Count the rows of `ex` (one document's or many).
    pub fn add(&mut self, ex: &Extracted) {
        let mut bump = |doc: &str, i: usize| {
            self.total[i] += 1;
            match self.per_doc.get_mut(doc) {
                Some(c) => c[i] += 1,
                None => {
                    let mut c = [0; 5];
                    c[i] = 1;
                    self.per_doc.insert(doc.to_string(), c);
                }
            }
        };
        ex.nutrient_values.iter().for_each(|r| bump(&r.doc, 0));
        ex.dosages.iter().for_each(|r| bump(&r.doc, 1));
        ex.references.iter().for_each(|r| bump(&r.doc, 2));
        ex.citations.iter().for_each(|r| bump(&r.doc, 3));
        ex.forms.iter().for_each(|r| bump(&r.doc, 4));
    }

    /// The counts of `ex`.
    pub fn of(ex: &Extracted) -> RowCounts {
        let mut c = RowCounts::default();
        c.add(ex);
        c
    }

    /// Add the counts of other rows (another chunk of documents).
    pub fn absorb(&mut self, other: RowCounts) {
        for (doc, c) in other.per_doc {
            let mine = self.per_doc.entry(doc).or_default();
            for (a, b) in mine.iter_mut().zip(c) {
                *a += b;
            }
        }
        for (a, b) in self.total.iter_mut().zip(other.total) {
            *a += b;
        }
    }
}

/// One source's value of a food on one basis, as the report's chart draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartMark {
    pub doc: Text,
    pub range: Range,
    /// Tooltip: where the value comes from and its source line.
    pub tip: String,
}

/// Chart marks by (nutrient, food, comparable basis), in row order.
pub type ChartMarks = BTreeMap<(String, String, String), MarkList>;

/// Per-document facts for the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocSummary {
    pub id: String,
    pub file: String,
    pub lang: Lang,
    pub lines: usize,
    pub encoding: String,
}

/// Where a row's source line is, as discrepancies and the report name it:
/// `doc:line` (inline up to 24 bytes, like every `Text`).
pub fn place(doc: &str, line: usize) -> Text {
    compact_str::format_compact!("{doc}:{line}")
}

/// A stable row id: a short hash of what identifies the row.
pub fn row_id(table: &str, parts: &[&str]) -> Text {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(table.as_bytes());
    for p in parts {
        h.update([0u8]);
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [0u8; 16];
    for (i, b) in d.iter().take(8).enumerate() {
        hex[2 * i] = HEX[usize::from(b >> 4)];
        hex[2 * i + 1] = HEX[usize::from(b & 0xf)];
    }
    // (ASCII hex digits: always UTF-8)
    Text::from(std::str::from_utf8(&hex).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(text: &str, lang: SentenceLang) -> Sentence {
        Sentence {
            line: 1,
            start: 0,
            text: text.into(),
            lang,
        }
    }

    #[test]
    fn sentence_language_is_told_on_first_use_and_only_where_asked() {
        let nl = "Volwassenen wordt geadviseerd dagelijks 75 mcg te nemen tijdens de maaltijd.";
        // not marked for detection: the document's language, whatever the text
        let s = sentence(nl, SentenceLang::fixed(Lang::En));
        assert_eq!(s.lang(), Lang::En);
        // marked: detected, the document's language only as the fallback
        let s = sentence(nl, SentenceLang::detected(Lang::En, nl, nl));
        assert_eq!(s.lang(), Lang::Nl);
        assert_eq!(s.lang(), Lang::Nl);
        // detected on the sentence as written when collapsing changed it
        let raw = "Volwassenen  wordt geadviseerd\tdagelijks 75 mcg te nemen tijdens de maaltijd.";
        let l = SentenceLang::detected(Lang::En, raw, nl);
        assert_eq!(
            l.get(nl),
            crate::ingest::lang::detect_sentence(raw, Lang::En)
        );
        // asked or not, two equal sentences stay equal
        let (a, b) = (
            sentence(nl, SentenceLang::detected(Lang::En, nl, nl)),
            sentence(nl, SentenceLang::detected(Lang::En, nl, nl)),
        );
        let _ = a.lang();
        assert_eq!(a, b);
        assert_ne!(a, sentence(nl, SentenceLang::fixed(Lang::En)));
    }

    fn part(doc: &str, forms: usize) -> Extracted {
        Extracted {
            forms: (0..forms)
                .map(|i| FormMention {
                    id: row_id("forms", &[doc, &i.to_string()]),
                    doc: doc.into(),
                    line: i + 1,
                    ..Default::default()
                })
                .collect(),
            citations: vec![Citation {
                doc: doc.into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn concat_keeps_every_row_in_part_order() {
        let all = Extracted::concat(vec![part("a", 2), part("b", 0), part("c", 3)]);
        let forms: Vec<(&str, usize)> = all.forms.iter().map(|f| (&*f.doc, f.line)).collect();
        assert_eq!(
            forms,
            [("a", 1), ("a", 2), ("c", 1), ("c", 2), ("c", 3)],
            "rows in document order, each document's rows in its order"
        );
        let docs: Vec<&str> = all.citations.iter().map(|c| &*c.doc).collect();
        assert_eq!(docs, ["a", "b", "c"]);
        assert_eq!(all.forms.capacity(), 5, "sized exactly, no growth slack");
        assert!(Extracted::concat(Vec::new()).forms.is_empty());
    }

    #[test]
    fn row_ids_are_sixteen_hex_digits_and_stable() {
        let id = row_id("forms", &["doc", "3"]);
        assert_eq!(id.len(), 16);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(id, row_id("forms", &["doc", "3"]));
        assert_ne!(id, row_id("forms", &["doc3"]), "parts are separated");
        assert!(!id.is_heap_allocated(), "stored inline");
    }
}
