//! Stage 1: find the source files, decode them and recover their structure.
//!
//! Nothing is dropped silently: a file that cannot be read or decoded becomes a
//! [`Warning`] with the file name and the reason, and the run goes on with the
//! other documents.

pub mod decode;
pub mod lang;
pub mod segment;
pub mod sentences;

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use thiserror::Error;

use crate::model::{DocSummary, Document, LineKind, Sentence, Warning};

/// File extensions read as plain text sources.
pub const TEXT_EXTENSIONS: &[&str] = &["txt"];

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
                let ext = rel
                    .extension()
                    .and_then(|x| x.to_str())
                    .map(|x| x.to_ascii_lowercase());
                if ext.as_deref().is_some_and(|x| TEXT_EXTENSIONS.contains(&x)) {
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
                        message: "not a source text (only .txt is read); skipped".into(),
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

/// Decode and segment a file's bytes.
pub fn load_bytes(
    file: &str,
    id: &str,
    bytes: &[u8],
) -> Result<(Document, DocSummary, Vec<Warning>), Warning> {
    let decoded = decode::decode(bytes).map_err(|e| Warning {
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
    let doc = parse_text(id, file, &decoded.text);
    let summary = DocSummary {
        id: doc.id.clone(),
        file: file.to_string(),
        lang: doc.lang,
        lines: doc.lines.len(),
        encoding: decoded.encoding,
    };
    Ok((doc, summary, warnings))
}

/// Form names of the lexicon and the bare "K1"/"K2", anywhere in a text (no
/// word boundaries, so a cell glued to its neighbour still counts): a superset
/// of what `extract::forms` finds.
static FORM_WORDS: LazyLock<Regex> = LazyLock::new(|| {
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
    let mut lines = segment::segment(&raw_lines);
    for line in &mut lines {
        // Language decides how numbers are read (`1,2` is 1.2 in Dutch) and is
        // the `lang` column of the rows made from amounts and form mentions;
        // nothing else reads it. Amounts need a digit in their sentence, and a
        // form mention takes the language of a sentence of its line, so only
        // those sentences go through the detector (trigram statistics, the
        // costliest step of ingest); the others keep the document's language.
        let forms_here = FORM_WORDS.is_match(&line.text);
        let lang_of = |s: &str| {
            if forms_here || crate::extract::quantities::may_hold_number(s) {
                lang::detect_sentence(s, doc_lang)
            } else {
                doc_lang
            }
        };
        match line.kind {
            LineKind::Blank => {}
            LineKind::TableHeader | LineKind::TableRow | LineKind::Heading => {
                let t = line.text.trim();
                let start = line.text.find(t).unwrap_or(0);
                line.sentences.push(Sentence {
                    line: line.no,
                    start,
                    text: collapse_ws(t),
                    lang: lang_of(t),
                });
            }
            LineKind::Bullet | LineKind::Paragraph => {
                for (off, s) in sentences::split_sentences(&line.text) {
                    line.sentences.push(Sentence {
                        line: line.no,
                        start: off,
                        text: collapse_ws(s),
                        lang: lang_of(s),
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
