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

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::model::{DocSummary, Document, Line, LineKind, Sentence, Warning};

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
                if !e.file_type().is_file() {
                    continue;
                }
                let rel = e.path().strip_prefix(raw).unwrap_or(e.path()).to_path_buf();
                if rel
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(Format::of)
                    .is_some()
                {
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
    let bytes = std::fs::read(raw.join(rel)).map_err(|e| Warning {
        file: file.clone(),
        line: None,
        kind: "unreadable_file".into(),
        message: format!("cannot read: {e}"),
    })?;
    load_bytes(&file, &doc_id(rel), &bytes)
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
    let summary = DocSummary {
        id: doc.id.clone(),
        file: file.to_string(),
        lang: doc.lang,
        lines: decode::split_lines(&decoded.text).len(),
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
        match line.kind {
            LineKind::Blank => {}
            LineKind::TableHeader | LineKind::TableRow | LineKind::Heading => {
                let t = line.text.trim();
                let start = line.text.find(t).unwrap_or(0);
                line.sentences.push(Sentence {
                    line: line.no,
                    start,
                    text: collapse_ws(t),
                    lang: lang::detect_sentence(t, doc_lang),
                });
            }
            LineKind::Bullet | LineKind::Paragraph => {
                for (off, s) in sentences::split_sentences(&line.text) {
                    line.sentences.push(Sentence {
                        line: line.no,
                        start: off,
                        text: collapse_ws(s),
                        lang: lang::detect_sentence(s, doc_lang),
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
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
