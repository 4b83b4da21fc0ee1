//! Stage 1: find the source files, decode them and recover their structure.
//!
//! Nothing is dropped silently: a file that cannot be read or decoded becomes a
//! [`Warning`] with the file name and the reason, and the run goes on with the
//! other documents.

pub mod blocks;
pub mod decode;
pub mod html;
pub mod lang;
pub mod markdown;
pub mod segment;
pub mod sentences;

use crate::per_thread::PerThread;
use std::path::{Path, PathBuf};

use regex::Regex;

use thiserror::Error;

use crate::model::{DocSummary, Document, Line, LineKind, Sentence, SentenceLang, Warning};

/// File extensions read as plain text sources.
pub const TEXT_EXTENSIONS: &[&str] = &["txt"];

/// File extensions read as HTML pages.
pub const HTML_EXTENSIONS: &[&str] = &["html", "htm"];

/// File extensions read as Markdown.
pub const MARKDOWN_EXTENSIONS: &[&str] = &["md"];

/// How a source file is read, by its extension (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Flattened text: structure guessed line by line (`segment`).
    Text,
    /// An HTML page: structure from the markup (`html`).
    Html,
    /// Markdown (CommonMark + GFM tables): structure from the markup (`markdown`).
    Markdown,
}

impl Format {
    /// The format of a file name, or `None` when it is not a source.
    pub fn of(name: &str) -> Option<Format> {
        let ext = Path::new(name)
            .extension()
            .and_then(|x| x.to_str())?
            .to_ascii_lowercase();
        if TEXT_EXTENSIONS.contains(&ext.as_str()) {
            Some(Format::Text)
        } else if HTML_EXTENSIONS.contains(&ext.as_str()) {
            Some(Format::Html)
        } else if MARKDOWN_EXTENSIONS.contains(&ext.as_str()) {
            Some(Format::Markdown)
        } else {
            None
        }
    }
}

/// A failure that stops the whole run (as opposed to one bad file).
#[derive(Debug, Error)]
pub enum IngestError {
    #[error("raw directory {0} does not exist")]
    MissingDir(PathBuf),
    #[error("{0} is not a directory")]
    NotADir(PathBuf),
    #[error("cannot list {path}: {source}")]
    List {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The source files under `raw`, sorted by their path relative to it, and
/// warnings for entries that could not be visited (loops, permissions).
pub fn list_sources(raw: &Path) -> Result<(Vec<PathBuf>, Vec<Warning>), IngestError> {
    if !raw.exists() {
        return Err(IngestError::MissingDir(raw.to_path_buf()));
    }
    if !raw.is_dir() {
        return Err(IngestError::NotADir(raw.to_path_buf()));
    }
    std::fs::read_dir(raw).map_err(|e| IngestError::List {
        path: raw.to_path_buf(),
        source: e,
    })?;
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    for entry in walkdir::WalkDir::new(raw)
        .follow_links(true)
        .sort_by_file_name()
    {
        match entry {
            Ok(e) => {
                if e.file_type().is_dir() {
                    continue;
                }
                let rel = e.path().strip_prefix(raw).unwrap_or(e.path()).to_path_buf();
                if !e.file_type().is_file() {
                    // A FIFO, socket or device: opening a FIFO would block the
                    // run forever, so it is listed as a problem, never read.
                    warnings.push(Warning {
                        file: display_rel(&rel),
                        line: None,
                        kind: "unreadable_entry".into(),
                        message: "not a regular file (FIFO, socket or device); skipped".into(),
                    });
                    continue;
                }
                let name = rel
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if Format::of(&name).is_some() {
                    if rel.to_str().is_none() {
                        // still read; its id and file column show U+FFFD
                        warnings.push(Warning {
                            file: display_rel(&rel),
                            line: None,
                            kind: "file_name".into(),
                            message: "file name is not valid UTF-8; shown with U+FFFD".into(),
                        });
                    }
                    files.push(rel);
                } else if !rel
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
                {
                    warnings.push(Warning {
                        file: display_rel(&rel),
                        line: None,
                        kind: "skipped_file".into(),
                        message: "not a source (only .txt, .html, .htm and .md are read); skipped"
                            .into(),
                    });
                }
            }
            Err(e) => {
                let file = e
                    .path()
                    .map(|p| display_rel(p.strip_prefix(raw).unwrap_or(p)))
                    .unwrap_or_else(|| "?".into());
                let reason = if e.loop_ancestor().is_some() {
                    "symbolic link loop; not followed".to_string()
                } else {
                    e.to_string()
                };
                warnings.push(Warning {
                    file,
                    line: None,
                    kind: "unreadable_entry".into(),
                    message: reason,
                });
            }
        }
    }
    files.sort();
    Ok((files, warnings))
}

/// A relative path shown with `/` separators.
pub fn display_rel(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Document id for a relative path: the path without its extension.
pub fn doc_id(rel: &Path) -> String {
    display_rel(&rel.with_extension(""))
}

/// Read and decode one file. `Err` carries the warning that explains why the
/// file yields no document.
pub fn load(raw: &Path, rel: &Path) -> Result<(Document, DocSummary, Vec<Warning>), Warning> {
    let file = display_rel(rel);
    let (bytes, size_warning) = read(raw, rel)?;
    let (doc, summary, mut warnings) = load_bytes(&file, &doc_id(rel), &bytes)?;
    warnings.splice(0..0, size_warning);
    Ok((doc, summary, warnings))
}

/// Read one file's bytes, refusing files over [`MAX_FILE_BYTES`] (memory
/// must stay bounded by one document) and reporting files over
/// [`LARGE_FILE_BYTES`] with the returned warning. Kept apart from decoding so
/// that a caller with an extraction cache can hash the bytes first.
pub fn read(raw: &Path, rel: &Path) -> Result<(Vec<u8>, Option<Warning>), Warning> {
    let file = display_rel(rel);
    let unreadable = |message: String| Warning {
        file: file.clone(),
        line: None,
        kind: "unreadable_file".into(),
        message,
    };
    let path = raw.join(rel);
    let size = std::fs::metadata(&path)
        .map_err(|e| unreadable(format!("cannot read: {e}")))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(unreadable(format!(
            "file too large ({}; the limit is {}); skipped",
            mib(size),
            mib(MAX_FILE_BYTES)
        )));
    }
    let bytes = std::fs::read(&path).map_err(|e| unreadable(format!("cannot read: {e}")))?;
    let large = (size > LARGE_FILE_BYTES).then(|| Warning {
        file: file.clone(),
        line: None,
        kind: "large_file".into(),
        message: format!(
            "large file ({}): read in full, but a source text is one article, usually well under 1 MiB",
            mib(size)
        ),
    });
    Ok((bytes, large))
}

/// Files above this size are read, and reported: a scraped article is far
/// smaller, so a curator should check what the file is (a dump, a log).
pub const LARGE_FILE_BYTES: u64 = 8 << 20;

/// Files above this size are refused: a document is held in memory several
/// times over while it is processed, and memory must stay bounded by the
/// largest document a machine can take.
pub const MAX_FILE_BYTES: u64 = 512 << 20;

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
}

/// Decode and segment a file's bytes; the format is taken from the name
/// `file` (anything but `.html`, `.htm` and `.md` is read as text).
pub fn load_bytes(
    file: &str,
    id: &str,
    bytes: &[u8],
) -> Result<(Document, DocSummary, Vec<Warning>), Warning> {
    let format = Format::of(file).unwrap_or(Format::Text);
    let declared = match format {
        Format::Html => decode::declared_html_encoding(bytes),
        Format::Text | Format::Markdown => None,
    };
    let decoded = decode::decode_declared(bytes, declared).map_err(|e| Warning {
        file: file.to_string(),
        line: None,
        kind: "undecodable_file".into(),
        message: format!("skipped: {e}"),
    })?;
    let mut warnings: Vec<Warning> = decoded
        .notes
        .iter()
        .map(|n| Warning {
            file: file.to_string(),
            line: None,
            kind: "encoding".into(),
            message: n.clone(),
        })
        .collect();
    if decoded.text.trim().is_empty() {
        warnings.push(Warning {
            file: file.to_string(),
            line: None,
            kind: "empty_file".into(),
            message: "no text (empty file); nothing extracted".into(),
        });
    }
    let doc = parse(format, id, file, &decoded.text);
    if doc.lines.is_empty() && !decoded.text.trim().is_empty() {
        warnings.push(Warning {
            file: file.to_string(),
            line: None,
            kind: "empty_file".into(),
            message: "no visible text (only markup, scripts or page furniture); nothing extracted"
                .into(),
        });
    }
    warnings.extend(oddities(file, &doc));
    let summary = DocSummary {
        id: doc.id.clone(),
        file: file.to_string(),
        lang: doc.lang,
        // a text file's lines are the source's lines, one for one (see
        // `parse_text`); the marked-up formats count the source's own
        lines: match format {
            Format::Text => doc.lines.len(),
            Format::Html | Format::Markdown => decode::count_lines(&decoded.text),
        },
        encoding: decoded.encoding,
    };
    Ok((doc, summary, warnings))
}

/// Build a [`Document`] from a decoded source in the given format.
pub fn parse(format: Format, id: &str, file: &str, text: &str) -> Document {
    match format {
        Format::Text => parse_text(id, file, text),
        Format::Html => parse_html(id, file, text),
        Format::Markdown => parse_markdown(id, file, text),
    }
}

/// Lines longer than this are reported: no article has them, so the file
/// probably lost its line ends (or is not an article at all).
pub const LONG_LINE_BYTES: usize = 64 << 10;

/// Digit runs longer than this are reported: they are not read as amounts
/// ([`crate::values::parse_number`] refuses them), so a curator should know.
const MAX_NUMBER_DIGITS: usize = crate::values::number::MAX_DIGITS;

/// Input problems that do not stop a document but lose or risk something:
/// very long lines and numbers too long to be read.
fn oddities(file: &str, doc: &Document) -> Vec<Warning> {
    let mut out = Vec::new();
    for line in &doc.lines {
        if line.text.len() > LONG_LINE_BYTES {
            out.push(Warning {
                file: file.to_string(),
                line: Some(line.no),
                kind: "long_line".into(),
                message: format!(
                    "long line ({} bytes without a line break): read in full; check the file's line ends",
                    line.text.len()
                ),
            });
        }
        if let Some(longest) = digit_run_over(&line.text, MAX_NUMBER_DIGITS) {
            out.push(Warning {
                file: file.to_string(),
                line: Some(line.no),
                kind: "number_too_long".into(),
                message: format!("number too long ({longest} digits): not read as an amount"),
            });
        }
    }
    out
}
/// The longest run of ASCII digits in `text`, if it is longer than `max`.
///
/// Every line of every document is checked, and nearly none holds such a
/// run; a run of 15 or more digits covers one of the text's 8-byte blocks
/// whole, so for `max` ≥ 14 a text without an all-digit block is answered
/// after one byte test per block (a block's test stops at its first
/// non-digit, usually its first byte).
fn digit_run_over(text: &str, max: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if max >= 14
        && !bytes
            .chunks_exact(8)
            .any(|block| block.iter().all(u8::is_ascii_digit))
    {
        return None;
    }
    let mut run = 0usize;
    let mut longest = 0usize;
    for b in bytes {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    (longest > max).then_some(longest)
}

/// Form names of the lexicon and the bare "K1"/"K2", anywhere in a text (no
/// word boundaries, so a cell glued to its neighbour still counts): a superset
/// of what `extract::forms` finds.
static FORM_WORDS: PerThread<Regex> = PerThread::new(|| {
    Regex::new(&format!(
        "(?i)(?:{}|k[12])",
        crate::lexicon::FORM_SOURCES.join("|")
    ))
    .unwrap_or_else(|_| Regex::new(".").expect("literal regex"))
});

/// Build a [`Document`] from decoded text: lines, structure, sentences, language.
pub fn parse_text(id: &str, file: &str, text: &str) -> Document {
    let raw_lines = decode::split_lines(text);
    let doc_lang = lang::detect_document(text);
    let lines = segment::segment(&raw_lines);
    finish(id, file, doc_lang, lines)
}

/// Build a [`Document`] from a decoded HTML page: one line per heading,
/// paragraph, list item and table row, each numbered by the source line its
/// text starts on.
pub fn parse_html(id: &str, file: &str, text: &str) -> Document {
    from_blocks(id, file, html::blocks(&unified_breaks(text)))
}

/// Build a [`Document`] from a decoded Markdown text, as [`parse_html`] does.
pub fn parse_markdown(id: &str, file: &str, text: &str) -> Document {
    from_blocks(id, file, markdown::blocks(&unified_breaks(text)))
}

/// The text with every line break `decode::split_lines` knows turned into
/// `\n`, so that the parsers count lines as the text reader does.
fn unified_breaks(text: &str) -> String {
    let mut s = decode::split_lines(text).join("\n");
    if text.ends_with(['\n', '\r']) {
        s.push('\n');
    }
    s
}

fn from_blocks(id: &str, file: &str, blocks: Vec<blocks::Block>) -> Document {
    // the language is judged on the text a reader sees, not on the markup
    let visible = blocks
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let doc_lang = lang::detect_document(&visible);
    finish(id, file, doc_lang, blocks::to_lines(blocks))
}

/// Split every line into sentences (a table row or heading is one) and wrap
/// the lines up as a document.
fn finish(id: &str, file: &str, doc_lang: crate::model::Lang, mut lines: Vec<Line>) -> Document {
    for line in &mut lines {
        // Language decides how numbers are read (`1,2` is 1.2 in Dutch) and is
        // the `lang` column of the rows made from amounts and form mentions;
        // nothing else reads it. Amounts need a digit in their sentence, and a
        // form mention takes the language of a sentence of its line, so only
        // those sentences can go through the detector (trigram statistics, the
        // costliest step of ingest), and only when an extractor asks
        // (`Sentence::lang`); the others keep the document's language.
        let forms_here = FORM_WORDS.is_match(&line.text);
        let lang_of = |raw: &str, text: &str| {
            if forms_here || crate::extract::quantities::may_hold_number(raw) {
                SentenceLang::detected(doc_lang, raw, text)
            } else {
                SentenceLang::fixed(doc_lang)
            }
        };
        match line.kind {
            LineKind::Blank => {}
            LineKind::TableHeader | LineKind::TableRow | LineKind::Heading => {
                let t = line.text.trim();
                // where `t` starts: after the leading whitespace (the first
                // occurrence of `t`, as `t` starts with a non-space; an empty
                // `t` is found at 0)
                let start = if t.is_empty() {
                    0
                } else {
                    line.text.len() - line.text.trim_start().len()
                };
                let text = collapse_ws(t);
                line.sentences.push(Sentence {
                    line: line.no,
                    start,
                    lang: lang_of(t, &text),
                    text,
                });
            }
            LineKind::Bullet | LineKind::Paragraph => {
                for (off, s) in sentences::split_sentences(&line.text) {
                    let text = collapse_ws(s);
                    line.sentences.push(Sentence {
                        line: line.no,
                        start: off,
                        lang: lang_of(s, &text),
                        text,
                    });
                }
            }
        }
    }
    Document {
        id: id.to_string(),
        file: file.to_string(),
        lang: doc_lang,
        lines,
    }
}

/// Collapse runs of whitespace to one space.
pub fn collapse_ws(s: &str) -> String {
    if is_collapsed(s) {
        // the common case (every sentence goes through here): one copy,
        // no vector of words
        return s.to_string();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `s` is already what [`collapse_ws`] makes of it: no whitespace
/// at either end, none but single spaces inside.
fn is_collapsed(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return false;
    }
    // A search for two spaces and a fold over every byte for the ASCII
    // control spaces (no early exit: the compiler vectorises it).
    let ascii_ok = memchr::memmem::find(b, b"  ").is_none()
        && !b
            .iter()
            .fold(false, |seen, &x| seen | (x.wrapping_sub(0x09) < 5));
    ascii_ok && !crate::words::non_ascii_chars(s).any(|(_, c)| c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The shortcut for already collapsed text agrees with the split.
        #[test]
        fn collapse_shortcut_equals_the_split(
            s in crate::testing::glued(&[
                "a", "Natto", " ", "  ", "\t", "\n", "\r", "\u{0b}", "\u{0c}", "\u{a0}",
                "\u{85}", "\u{2009}", "\u{3000}", "\u{1c}", "é", "1,2", "µg",
                "\u{1680}", "\u{205f}", "\u{202f}", "\u{2013}", "\u{e1}", "\u{3001}",
            ], 0..12)
        ) {
            proptest::prop_assert_eq!(
                collapse_ws(&s),
                s.split_whitespace().collect::<Vec<_>>().join(" ")
            );
        }

        /// The block shortcut agrees with scanning every byte, for limits
        /// on both sides of where it applies (runs of 0 to ~40 digits, at
        /// every alignment).
        #[test]
        fn digit_run_shortcut_equals_the_scan(
            pad in 0usize..9,
            digits in 0usize..40,
            rest in crate::testing::glued(&[
                "1", "12345", "1234567", " ", "a", "é", ",", "µg",
            ], 0..16),
            max in 10usize..24,
        ) {
            let s = format!("{}{}{rest}", "é".repeat(pad), "7".repeat(digits));
            let mut run = 0usize;
            let mut longest = 0usize;
            for b in s.bytes() {
                run = if b.is_ascii_digit() { run + 1 } else { 0 };
                longest = longest.max(run);
            }
            proptest::prop_assert_eq!(
                digit_run_over(&s, max),
                (longest > max).then_some(longest)
            );
        }

        /// A text file's line count (the documents table's `lines`) is the
        /// number of lines the reader splits, whatever the line ends.
        #[test]
        fn text_line_count_is_the_split(
            s in crate::testing::glued(&[
                "Natto 100 µg", "\n", "\r\n", "\r", "\u{85}", "\u{2028}", "\u{0c}", "", " ",
            ], 0..12)
        ) {
            let (doc, summary, _) = load_bytes("t.txt", "t", s.as_bytes()).unwrap();
            proptest::prop_assert_eq!(summary.lines, decode::count_lines(&s));
            proptest::prop_assert_eq!(doc.lines.len(), summary.lines);
        }
    }
}
