//! Reference lists: find them in a document and parse every entry into a
//! [`Reference`] row.
//!
//! A list is a run of numbered lines ("1. …", "10.Khalil …", "\[1\] …",
//! "- \[1\] …") that either sits under a heading such as "References" /
//! "Referenties" / "Bronnen", or whose entries mostly look like references
//! (a year plus author initials, volume/pages, a DOI or "et al."). Scraped pages
//! often lose the heading, so the content test matters as much as the heading.
//!
//! An entry is parsed left to right, the way a person reads it:
//!
//! 1. identifiers and access notes (DOI, URL, "Retrieved …", "PMID …") are taken
//!    out first, because they can sit anywhere and contain digits that would be
//!    mistaken for volume or pages;
//! 2. the author list is scanned name by name (`Zhang T`, `Kühn, G.`,
//!    `Waxman, Sandra R.`, `M. Balat-Pichelin`), up to "et al." or the first
//!    thing that is not a name; the scanner rather than a fixed style decides,
//!    because real lists mix styles;
//! 3. a year right after the authors ("(2017).", "2002.") is the APA/Harvard
//!    position;
//! 4. the title runs to a sentence end (or a closing quote) after which the rest
//!    parses as a source: journal words, then numbers (volume, issue, pages,
//!    year) in any of the common arrangements ("2018;9:180-5", "16(2), 1-20",
//!    "vol. 5, pp. 25-42", "87: 676-683", "Article ID 7453471"). Trying every
//!    sentence end in turn is what separates "… in C. elegans. Nature 401" and
//!    "… of vitamin D. Nutrients. 2020" correctly.
//!
//! Nothing is dropped: an entry that cannot be parsed fully still gives a row
//! with what was found, and a `unparsed_reference` warning.

use crate::per_thread::PerThread;
use std::collections::HashSet;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;

use crate::ingest::segment::strip_bullet;
use crate::model::{row_id, Document, Lang, LineKind, Reference, Warning};
use crate::values::author::Author;
use crate::values::doi::Doi;
use crate::values::pages::PageRange;

/// Headings that announce a reference list (data/reference_headings.tsv).
static HEADINGS: LazyLock<Headings> = LazyLock::new(|| {
    let names: HashSet<String> =
        tsv_first_column(include_str!("../../data/reference_headings.tsv"))
            .map(str::to_lowercase)
            .collect();
    Headings {
        longest: names.iter().map(String::len).max().unwrap_or(0),
        names,
    }
});

/// The headings of reference lists, lower case, and the bytes of the longest.
struct Headings {
    names: HashSet<String>,
    longest: usize,
}

/// Words of journal titles, for splitting glued words (data/journal_words.tsv).
static JOURNAL_WORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| tsv_first_column(include_str!("../../data/journal_words.tsv")).collect());

/// Family-name particles (data/name_particles.tsv) as a regex alternation.
static PARTICLES: LazyLock<String> = LazyLock::new(|| {
    tsv_first_column(include_str!("../../data/name_particles.tsv"))
        .map(regex::escape)
        .collect::<Vec<_>>()
        .join("|")
});

/// Non-bibliographic trailing matter (data/reference_noise.tsv), cut off.
static NOISE: PerThread<Regex> = PerThread::new(|| {
    let words = tsv_first_column(include_str!("../../data/reference_noise.tsv"))
        .map(regex::escape)
        .collect::<Vec<_>>()
        .join("|");
    Regex::new(&format!(r"(?:\b(?:{words})\b|https?://|\bwww\.)")).unwrap()
});

/// Non-comment, non-empty first columns of a TSV file.
fn tsv_first_column(s: &'static str) -> impl Iterator<Item = &'static str> {
    s.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next())
        .map(str::trim)
}

/// The label that opens a list entry ("1. ", "10.Khalil", "[1] ", "- [1] ")
/// and the rest of its line: the plain regex that [`LABEL_HEAD`] and
/// [`label_parts`] read as (the tests compare the two).
#[cfg(test)]
static LABEL: PerThread<Regex> = PerThread::new(|| {
    Regex::new(r"^\s*(?:[-•*·▪–]\s*)?(?:\[(\d{1,4})\]|(\d{1,4})[.)])(\s*)(\S.*)$").unwrap()
});

/// The label regex (`LABEL` in the tests) up to the first character of the body. The body, `(\S.*)$`,
/// is the rest of the text when it holds no `\n` (`.` stops there and `$` is
/// the end of the text); capturing it with the regex made the engine walk
/// the whole entry, ~25 000 instructions a reference line.
static LABEL_HEAD: PerThread<Regex> = PerThread::new(|| {
    let markers: String = ENTRY_MARKERS
        .iter()
        .map(|c| regex::escape(&c.to_string()))
        .collect();
    Regex::new(&format!(
        r"^\s*(?:[{markers}]\s*)?(?:\[(\d{{1,4}})\]|(\d{{1,4}})[.)])(\s*)\S"
    ))
    .expect("label regex compiles")
});

/// The list markers a reference entry may open with before its label ("- [1]").
const ENTRY_MARKERS: [char; 6] = ['-', '•', '*', '·', '▪', '–'];

/// A reference label and what follows it, as the plain label regex reads them:
/// (bracketed number, dotted number, the spaces after the label, the body).
fn label_parts(text: &str) -> Option<(Option<&str>, Option<&str>, &str, &str)> {
    let c = LABEL_HEAD.captures(text)?;
    let spaces = c.get(3)?;
    let body = text.get(spaces.end()..)?;
    if body.contains('\n') {
        return None;
    }
    Some((
        c.get(1).map(|m| m.as_str()),
        c.get(2).map(|m| m.as_str()),
        spaces.as_str(),
        body,
    ))
}

static YEAR: PerThread<Regex> =
    PerThread::new(|| Regex::new(r"\b(?:1[6-9]|20)\d\d[a-z]?\b").unwrap());

/// Signals that a numbered line is a bibliographic entry.
static REF_SIGNALS: LazyLock<[Regex; 5]> = LazyLock::new(|| {
    [
        // Author initials at the start: "Zhang T,", "Kühn, G.", "M. Balat".
        Regex::new(r"^(?:\p{Lu}[\p{L}'’\-]+,?\s+(?:\p{Lu}\.?\s?-?){1,3}[\s,.;&]|\p{Lu}\.\s?(?:\p{Lu}\.\s?)*\p{Lu}\p{Ll}|\p{Lu}[\p{L}'’\-]+,\s+\p{Lu}\p{Ll}+)")
            .unwrap(),
        Regex::new(r"\bet\.? al\b").unwrap(),
        Regex::new(r"(?i)\bdoi\b|\b10\.\d{4,9}/").unwrap(),
        // Volume/issue/pages.
        Regex::new(r"\d+\s*\(\d+[^)]*\)|\d\s*[:;]\s*[e\d]|\d\s*[-–—]\s*\d|\bpp?\.\s*\d|\bvol\.\s*\d").unwrap(),
        // Quoted title or parenthesised year.
        Regex::new(r"[“«]|\(\s*(?:1[6-9]|20)\d\d[a-z]?\s*[),]").unwrap(),
    ]
});

/// A numbered line looks like a reference: a year and at least two signals.
fn looks_like_reference(body: &str) -> bool {
    // (the signals after the second that matches are not asked)
    YEAR.is_match(body)
        && REF_SIGNALS
            .iter()
            .filter(|r| r.is_match(body))
            .take(2)
            .count()
            >= 2
}

fn is_reference_heading(text: &str) -> bool {
    let t = text
        .trim()
        .trim_start_matches(['#', '*', ' '])
        .trim_end_matches([':', '*', ' ']);
    // Every line is asked. Lower-casing takes a character to at least a
    // third of its bytes (the Kelvin sign, 3 bytes, is `k`), so a line more
    // than three times the longest heading cannot be one: no lower-cased copy.
    if t.len() > 3 * HEADINGS.longest {
        return false;
    }
    HEADINGS.names.contains(&t.to_lowercase())
}

/// Whether a line can hold a reference label ([`label_parts`]) at all: after spaces and one list
/// marker, a `[` or a digit (`\d` is any decimal digit, so any numeric
/// character passes). Every line of every document is asked; the regex,
/// which must capture the rest of the line, only for the few that pass.
fn may_open_with_label(text: &str) -> bool {
    let t = text.trim_start();
    let t = t.strip_prefix(ENTRY_MARKERS).map_or(t, str::trim_start);
    t.starts_with(|c: char| c == '[' || c.is_numeric())
}

/// One entry found in the text, before parsing.
struct RawEntry {
    line: usize,
    ref_no: i64,
    text: String,
}

/// Find the entries of every reference list in the document.
fn find_entries(doc: &Document) -> Vec<RawEntry> {
    // (index into doc.lines, ref_no, body), and whether the label is bracketed
    let mut cands: Vec<(usize, i64, String)> = Vec::new();
    let mut bracketed: Vec<bool> = Vec::new();
    for (i, l) in doc.lines.iter().enumerate() {
        if !may_open_with_label(&l.text) {
            continue;
        }
        if let Some((bracket, dotted, spaces, body)) = label_parts(&l.text) {
            let no = bracket.or(dotted).and_then(|m| m.parse::<i64>().ok());
            // "10.Khalil": without a space, a dotted number is a label only
            // before a capital ("1.5 mg" is not one).
            let spaced = !spaces.is_empty() || bracket.is_some();
            let body = Some(body).filter(|b| spaced || b.starts_with(char::is_uppercase));
            if let (Some(no), Some(body)) = (no, body) {
                cands.push((i, no, body.trim().to_string()));
                bracketed.push(bracket.is_some());
            }
        }
    }
    // Group candidates into runs: only blank lines, or unbroken continuation
    // lines, may separate two entries of one list.
    let mut runs: Vec<Vec<(usize, i64, String)>> = Vec::new();
    let mut prev: Option<usize> = None;
    let mut prev_label: Option<(i64, bool)> = None;
    for (c, br) in cands.into_iter().zip(bracketed) {
        // A list goes on with the same kind of label and rising numbers.
        let same_list = prev_label.is_some_and(|(n, b)| b == br && c.1 > n);
        prev_label = Some((c.1, br));
        let joins = same_list
            && prev.is_some_and(|p| {
                let gap = doc.lines.get(p + 1..c.0).unwrap_or_default();
                let all_blank = gap.iter().all(|l| l.kind == LineKind::Blank);
                let continuation = gap.len() <= 3
                    && gap
                        .iter()
                        .all(|l| l.kind != LineKind::Blank && l.kind != LineKind::Heading);
                all_blank || continuation
            });
        if let (true, Some(run)) = (joins, runs.last_mut()) {
            // Lines between two entries belong to the first one.
            if let (Some(p), Some(last)) = (prev, run.last_mut()) {
                for l in doc.lines.get(p + 1..c.0).unwrap_or_default() {
                    if l.kind != LineKind::Blank {
                        last.2.push(' ');
                        last.2.push_str(l.text.trim());
                    }
                }
            }
            prev = Some(c.0);
            run.push(c);
        } else {
            prev = Some(c.0);
            runs.push(vec![c]);
        }
    }
    let mut out = Vec::new();
    let labelled: HashSet<usize> = runs.iter().flatten().map(|(i, _, _)| *i).collect();
    for run in runs {
        let under_heading = run
            .first()
            .is_some_and(|(i, _, _)| has_reference_heading(doc, *i));
        let n_like = run
            .iter()
            .filter(|(_, _, b)| looks_like_reference(b))
            .count();
        if !(under_heading && n_like > 0 || n_like * 2 > run.len()) {
            continue;
        }
        for (i, no, text) in run {
            let line = doc.lines.get(i).map_or(i + 1, |l| l.no);
            out.push(RawEntry {
                line,
                ref_no: no,
                text,
            });
        }
    }
    if out.is_empty() {
        out = unnumbered_entries(doc, &labelled);
    }
    out
}

/// Entries of a list without numbers: the reference-like lines under a
/// "References" heading, numbered in order. Only used when the document has no
/// numbered list, because then the numbers markers point to are unknown anyway.
fn unnumbered_entries(doc: &Document, labelled: &HashSet<usize>) -> Vec<RawEntry> {
    let mut out = Vec::new();
    let mut in_list = false;
    for (i, l) in doc.lines.iter().enumerate() {
        if l.kind == LineKind::Heading || is_reference_heading(&l.text) {
            in_list = is_reference_heading(&l.text);
            continue;
        }
        if !in_list || l.kind == LineKind::Blank || labelled.contains(&i) {
            continue;
        }
        let body = strip_bullet(&l.text);
        if looks_like_reference(body) {
            out.push(RawEntry {
                line: l.no,
                ref_no: i64::try_from(out.len())
                    .unwrap_or(i64::MAX)
                    .saturating_add(1),
                text: body.trim().to_string(),
            });
        }
    }
    out
}

/// The nearest heading above line `i` (its section, or the previous non-blank
/// short line) names a reference list.
fn has_reference_heading(doc: &Document, i: usize) -> bool {
    let section = doc
        .lines
        .get(i)
        .and_then(|l| l.section)
        .and_then(|s| doc.lines.get(s))
        .is_some_and(|h| is_reference_heading(&h.text));
    let previous = doc
        .lines
        .get(..i)
        .unwrap_or_default()
        .iter()
        .rev()
        .find(|l| l.kind != LineKind::Blank)
        .is_some_and(|l| is_reference_heading(&l.text));
    section || previous
}

/// Extract every reference-list entry of `doc`, ordered by `ref_no`, with a
/// warning for each entry that could not be parsed fully.
pub fn extract_references(doc: &Document) -> (Vec<Reference>, Vec<Warning>) {
    let mut refs = Vec::new();
    let mut warnings = Vec::new();
    for e in find_entries(doc) {
        let p = parse_entry(&e.text);
        let missing = p.missing();
        if !missing.is_empty() {
            warnings.push(Warning {
                file: doc.file.clone(),
                line: Some(e.line),
                kind: "unparsed_reference".into(),
                message: format!(
                    "reference [{}] parsed partly; not found: {}",
                    e.ref_no,
                    missing.join(", ")
                ),
            });
        }
        let line = e.line.to_string();
        let no = e.ref_no.to_string();
        refs.push(Reference {
            id: row_id("references", &[&doc.id, &line, &no]),
            doc: doc.id.as_str().into(),
            line: e.line,
            ref_no: e.ref_no,
            raw: e.text,
            style: p.style.as_str().into(),
            authors: p.authors.iter().map(Author::to_string).collect(),
            et_al: p.et_al,
            year: p.year,
            title_lang: title_lang(&p.title).into(),
            title: p.title,
            journal: p.journal.into(),
            volume: p.volume.into(),
            issue: p.issue.into(),
            pages: p.pages.into(),
            doi: p.doi.into(),
        });
    }
    refs.sort_by_key(|r| (r.ref_no, r.line));
    (refs, warnings)
}

/// Language of a title: Dutch and English, plus the other languages common in
/// scientific reference lists; English when the title is too short to tell or
/// the detector is unsure.
///
/// A title with at least two words only English uses of the function-word
/// list (`data/function_words.tsv`: "the", "and", "with", "for" …) and no
/// Dutch one is English without the statistical detector: that is most
/// English titles of a list, and the detector was the costliest step of
/// reading one (~6 % of a run). The others go to the detector (`whatlang`),
/// whose trigram statistics are weak on a short technical title: on the
/// AnyStyle reference strings it made "Probabilistic logic" Spanish,
/// "Nanophotonic computational design" French and "Learning and executing
/// generalized robot plans" Dutch, each with a confidence of 0.41 or less,
/// where the titles really in French or German came out at 0.77 or more.
/// So its answer counts when it is at least [`TITLE_CONFIDENCE`] sure, or
/// when it says Dutch and the title's function words agree (one Dutch word
/// or more, no English one: "Vitamine D-status en de determinanten ervan bij
/// Duitse topatleten", 0.35); otherwise the title is English, the language
/// of most reference lists.
pub fn title_lang(title: &str) -> String {
    // A corpus cites the same works from many of its pages (the landmark
    // studies of a topic), and the detector costs ~150 000 instructions per
    // title: what a thread has decided is kept, up to a bound, and reused.
    thread_local! {
        static DECIDED: crate::memo::Memory<&'static str> = Default::default();
    }
    crate::memo::recall(&DECIDED, title, detect_title_lang).into()
}

/// [`title_lang`] without the memory.
fn detect_title_lang(title: &str) -> &'static str {
    use whatlang::{Detector, Lang as W};
    if title.trim().is_empty() {
        return "";
    }
    if title.chars().filter(|c| c.is_alphabetic()).count() < 12 {
        return "en";
    }
    let votes = crate::ingest::lang::function_votes(title);
    if votes.settled(2) == Some(Lang::En) {
        return "en";
    }
    // built once: every entry of every list asks it
    static DETECTOR: std::sync::LazyLock<Detector> = std::sync::LazyLock::new(|| {
        Detector::with_allowlist(vec![W::Eng, W::Nld, W::Deu, W::Fra, W::Spa, W::Ita])
    });
    let Some(info) = DETECTOR.detect(title) else {
        return "en";
    };
    let dutch_words = votes.settled(1) == Some(Lang::Nl);
    let sure = info.confidence() >= TITLE_CONFIDENCE || (info.lang() == W::Nld && dutch_words);
    match info.lang() {
        _ if !sure => "en",
        W::Nld => "nl",
        W::Deu => "de",
        W::Fra => "fr",
        W::Spa => "es",
        W::Ita => "it",
        _ => "en",
    }
}

/// How sure the language detector must be of a title's language for
/// [`title_lang`] to take it (whatlang's confidence, 0 to 1).
pub const TITLE_CONFIDENCE: f64 = 0.5;

/// Citation style of an entry, as far as it can be told from its layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// "Zhang T, Li X. Title. Journal. 2024;13:1646."
    Vancouver,
    /// "Kühn, G., & Müller, H. (2017). Title. Journal, 16(2), 1-20."
    Apa,
    Other,
}

impl Style {
    pub fn as_str(self) -> &'static str {
        match self {
            Style::Vancouver => "vancouver",
            Style::Apa => "apa",
            Style::Other => "other",
        }
    }
}

/// The fields of one parsed entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEntry {
    pub style: Style,
    pub authors: Vec<Author>,
    pub et_al: bool,
    pub year: Option<i64>,
    pub title: String,
    pub journal: String,
    pub volume: String,
    pub issue: String,
    pub pages: String,
    pub doi: String,
}

impl ParsedEntry {
    /// Names of the core fields that were not found.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        if self.authors.is_empty() {
            m.push("authors");
        }
        if self.year.is_none() {
            m.push("year");
        }
        if self.title.is_empty() {
            m.push("title");
        }
        if self.journal.is_empty() {
            m.push("journal");
        }
        if self.volume.is_empty() && self.pages.is_empty() {
            m.push("volume/pages");
        }
        m
    }
}

// ---------------------------------------------------------------- authors

/// How a name in the author list is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameForm {
    /// "Zhang T", "Heylman CM"
    FamilyBare,
    /// "Kühn, G.", "Ma, M. L."
    FamilyDotted,
    /// "Waxman, Sandra R.", "Colas, Annie"
    FamilyFull,
    /// "M. Balat-Pichelin"
    GivenFirst,
}

/// Regexes for one name of each form, anchored at the scan position.
#[derive(Clone)]
struct NamePatterns {
    family_dotted: Regex,
    family_bare: Regex,
    family_full: Regex,
    given_first: Regex,
}

static NAMES: PerThread<NamePatterns> = PerThread::new(|| {
    let word = r"\p{Lu}[\p{L}\p{M}'’_\-]*[\p{L}\p{M}]";
    let fam = format!(r"(?:(?:{})\s+)*{word}(?:\s+{word}){{0,2}}", &*PARTICLES);
    let fam1 = format!(r"(?:(?:{})\s+)*{word}", &*PARTICLES);
    let dotted = r"(?:\p{Lu}\p{Ll}?\.\s*(?:-\s*)?){1,4}";
    NamePatterns {
        family_dotted: Regex::new(&format!(r"^({fam}),\s*({dotted})")).unwrap(),
        family_bare: Regex::new(&format!(r"^({fam})\s+(\p{{Lu}}{{1,4}})(?:$|[\s,.;])")).unwrap(),
        family_full: Regex::new(&format!(
            r"^({fam}),\s+((?:\p{{Lu}}\p{{Ll}}+|\p{{Lu}}\.)(?:\s+(?:\p{{Lu}}\p{{Ll}}+|\p{{Lu}}\.))*)(?:$|[\s,.;(])"
        ))
        .unwrap(),
        given_first: Regex::new(&format!(r"^({dotted})\s*({fam1}(?:\s+{word})?)(?:$|[\s,.;])")).unwrap(),
    }
});

static ET_AL: PerThread<Regex> =
    PerThread::new(|| Regex::new(r"^\s*[,;]?\s*et\.?\s*al\b\.?,?").unwrap());
static NAME_SEP: PerThread<Regex> =
    PerThread::new(|| Regex::new(r"^(?:\s*[,;]+\s*(?:and\s+|&\s*)?|\s*(?:and|&)\s+)").unwrap());

/// Match one name at the start of `s` in the given form; returns the author
/// and the byte length consumed (without the delimiter that ended the name).
fn match_name(s: &str, form: NameForm) -> Option<(Author, usize)> {
    let n = &*NAMES;
    let (re, keep_delim) = match form {
        NameForm::FamilyDotted => (&n.family_dotted, false),
        NameForm::FamilyBare => (&n.family_bare, true),
        NameForm::FamilyFull => (&n.family_full, true),
        NameForm::GivenFirst => (&n.given_first, true),
    };
    let c = re.captures(s)?;
    let whole = c.get(0)?;
    let mut len = whole.end();
    if keep_delim {
        // The pattern ends by looking at one delimiter character; give it back.
        if let Some(last) = whole.as_str().chars().last() {
            if matches!(last, ',' | '.' | ';' | '(') || last.is_whitespace() {
                len -= last.len_utf8();
            }
        }
    }
    let a = c.get(1)?.as_str();
    let b = c.get(2)?.as_str();
    let text = match form {
        NameForm::GivenFirst => format!("{}, {}", b.trim(), a.trim()),
        NameForm::FamilyBare => format!("{} {}", a.trim(), b.trim()),
        _ => format!("{}, {}", a.trim(), b.trim()),
    };
    let author = Author::from_str(&text).ok()?;
    Some((author, len))
}

/// The author list at the start of an entry: authors, "et al.", the byte
/// offset where the list ends, and the forms used.
fn scan_authors(s: &str) -> (Vec<Author>, bool, usize, Vec<NameForm>) {
    let mut authors = Vec::new();
    let mut forms = Vec::new();
    let mut pos = 0;
    let mut et_al = false;
    let first_forms = [
        NameForm::GivenFirst,
        NameForm::FamilyDotted,
        NameForm::FamilyBare,
        NameForm::FamilyFull,
    ];
    loop {
        let rest = s.get(pos..).unwrap_or_default();
        let choices: &[NameForm] = match forms.first() {
            None => &first_forms,
            Some(NameForm::GivenFirst) => &[NameForm::GivenFirst],
            Some(_) => &[
                NameForm::FamilyDotted,
                NameForm::FamilyBare,
                NameForm::FamilyFull,
            ],
        };
        let found = choices
            .iter()
            .find_map(|f| match_name(rest, *f).map(|(a, len)| (a, len, *f)));
        let Some((author, len, form)) = found else {
            break;
        };
        authors.push(author);
        forms.push(form);
        pos += len;
        let rest = s.get(pos..).unwrap_or_default();
        if let Some(m) = ET_AL.find(rest) {
            et_al = true;
            pos += m.end();
            break;
        }
        let Some(sep) = NAME_SEP.find(rest) else {
            break;
        };
        let after = rest.get(sep.end()..).unwrap_or_default();
        if let Some(m) = ET_AL.find(after) {
            et_al = true;
            pos += sep.end() + m.end();
            break;
        }
        let next_ok = forms
            .first()
            .map(|f0| {
                let choices: &[NameForm] = if *f0 == NameForm::GivenFirst {
                    &[NameForm::GivenFirst]
                } else {
                    &[
                        NameForm::FamilyDotted,
                        NameForm::FamilyBare,
                        NameForm::FamilyFull,
                    ]
                };
                choices.iter().any(|f| match_name(after, *f).is_some())
            })
            .unwrap_or(false);
        if !next_ok {
            break;
        }
        pos += sep.end();
    }
    (authors, et_al, pos, forms)
}

// ---------------------------------------------------------------- entry

/// "(2017).", "2002.", "(2006, June 29)." right after the authors.
static HEAD_YEAR: PerThread<Regex> = PerThread::new(|| {
    Regex::new(
        r"^\s*[.,:]?\s*(\()?\s*((?:1[5-9]|20)\d\d)[a-z]?(?:\s*,[^)]{0,30})?\s*(\))?\s*[.,:]?\s*",
    )
    .unwrap()
});

/// A sentence end inside the title-and-source part.
static SENTENCE_END: PerThread<Regex> =
    PerThread::new(|| Regex::new(r#"[.?!]+["”’]?\s+|,\s+"#).unwrap());

/// A trailing comment in parentheses: "(See also …)", "(with …)".
static TRAILING_COMMENT: PerThread<Regex> =
    PerThread::new(|| Regex::new(r"\s*\(\p{L}[^()]{7,}\)\W*$").unwrap());

/// Parse one entry (without its list label).
pub fn parse_entry(text: &str) -> ParsedEntry {
    let mut w = text.trim().to_string();
    let mut doi = String::new();
    if let Some((d, range)) = Doi::find_in(&w) {
        doi = d.to_string();
        w.replace_range(range, " ");
    }
    if let Some(m) = NOISE.find(&w) {
        if m.start() > w.len() / 3 {
            w.truncate(m.start());
        }
    }
    if let Some(m) = TRAILING_COMMENT.find(&w) {
        if m.start() > w.len() / 2 {
            w.truncate(m.start());
        }
    }
    let w = w.split_whitespace().collect::<Vec<_>>().join(" ");
    let w = w.trim().trim_end_matches([',', ';', ' ']);

    let (authors, et_al, end, forms) = scan_authors(w);
    let mut rest = w.get(end..).unwrap_or_default();
    let mut year = None;
    let mut paren_year = false;
    if let Some(c) = HEAD_YEAR.captures(rest) {
        year = c.get(2).and_then(|m| m.as_str().parse::<i64>().ok());
        paren_year = c.get(1).is_some() && c.get(3).is_some();
        rest = rest
            .get(c.get(0).map_or(0, |m| m.end())..)
            .unwrap_or_default();
    }
    rest = rest.trim_start_matches(|c: char| c == '.' || c == ',' || c == ':' || c.is_whitespace());

    let (title, source) = split_title(rest);
    let title = clean_title(title);
    let mut src = parse_source(source, year.is_some());
    if year.is_none() {
        year = src.year.take();
    }
    if year.is_none() {
        // A year in an unexpected place ("Chiba & Yata 1991 A new species").
        year = YEAR
            .find_iter(w)
            .filter_map(|m| year_like(m.as_str()))
            .next();
    }
    let style =
        if !forms.is_empty() && forms.iter().all(|f| *f == NameForm::FamilyBare) && !paren_year {
            Style::Vancouver
        } else if paren_year
            && !forms.is_empty()
            && forms
                .iter()
                .all(|f| matches!(f, NameForm::FamilyDotted | NameForm::FamilyFull))
            && rest_is_apa_head(w, end)
        {
            Style::Apa
        } else {
            Style::Other
        };
    ParsedEntry {
        style,
        authors,
        et_al,
        year,
        title,
        journal: src.journal,
        volume: src.volume,
        issue: src.issue,
        pages: src.pages,
        doi,
    }
}

/// APA puts a period after the parenthesised year ("(2017). Title"); Harvard
/// does not ("(2019) Title").
fn rest_is_apa_head(w: &str, end: usize) -> bool {
    static APA_YEAR: PerThread<Regex> =
        PerThread::new(|| Regex::new(r"^\s*\(\s*(?:1[5-9]|20)\d\d[a-z]?(?:,[^)]*)?\)\.").unwrap());
    APA_YEAR.is_match(w.get(end..).unwrap_or_default())
}

fn clean_title(t: &str) -> String {
    t.trim()
        .trim_end_matches([',', ';', ':', ' '])
        .trim_end_matches('.')
        .trim()
        .to_string()
}

/// Quote pairs that enclose a title.
const QUOTES: &[(char, char)] = &[('“', '”'), ('"', '"'), ('«', '»'), ('‘', '’'), ('„', '“')];

/// Split "Title. Journal 12, 3-4." into title and source.
fn split_title(rest: &str) -> (&str, &str) {
    // A title in quotes ends at its closing quote, if the source follows.
    if let Some(open) = rest.chars().next() {
        if let Some(&(_, close)) = QUOTES.iter().find(|(o, _)| *o == open) {
            let inner = rest.get(open.len_utf8()..).unwrap_or_default();
            if let Some(i) = inner.find(close) {
                let after = inner.get(i + close.len_utf8()..).unwrap_or_default();
                let src =
                    after.trim_start_matches(|c: char| ",.;:".contains(c) || c.is_whitespace());
                let starts_source = src.chars().next().is_none_or(|c| !c.is_lowercase());
                if starts_source && parse_source(src, false).plausible() {
                    return (inner.get(..i).unwrap_or_default(), src);
                }
            }
        }
    }
    // Otherwise try each sentence end (then each comma) in turn: the first after
    // which the rest reads as a source wins.
    let mut comma_fallback = None;
    for m in SENTENCE_END.find_iter(rest) {
        let after = rest.get(m.end()..).unwrap_or_default();
        let Some(c) = after.chars().next() else {
            continue;
        };
        let camel = after.split_whitespace().next().is_some_and(|w| {
            w.starts_with(|c: char| c.is_lowercase()) && w.chars().any(char::is_uppercase)
        });
        if !(c.is_uppercase() || c.is_ascii_digit() || camel) {
            continue;
        }
        let is_comma = m.as_str().starts_with(',');
        if !parse_source(after, false).plausible() {
            continue;
        }
        // A title's own question or exclamation mark stays with it.
        let keep = usize::from(m.as_str().starts_with(['?', '!']));
        let title = rest.get(..m.start() + keep).unwrap_or_default();
        if is_comma {
            comma_fallback.get_or_insert((title, after));
        } else {
            return (title, after);
        }
    }
    if let Some(t) = comma_fallback {
        return t;
    }
    // No source found: the first sentence is the title.
    match SENTENCE_END
        .find_iter(rest)
        .find(|m| !m.as_str().starts_with(','))
    {
        Some(m) => (
            rest.get(..m.start()).unwrap_or_default(),
            rest.get(m.end()..).unwrap_or_default(),
        ),
        None => (rest, ""),
    }
}

/// Journal, volume, issue, pages (and a year) of the source part.
#[derive(Debug, Default, Clone, PartialEq)]
struct Source {
    journal: String,
    volume: String,
    issue: String,
    pages: String,
    year: Option<i64>,
}

impl Source {
    /// Reads as a journal followed by its numbers.
    fn plausible(&self) -> bool {
        // A sentence end inside the journal ("A survey. Appl. Numer. Math")
        // means the title was cut too early; abbreviations ("Appl.", "Numer.",
        // "Neurosci.") are short or listed journal words.
        static WORD_END: PerThread<Regex> =
            PerThread::new(|| Regex::new(r"(\p{L}+)[.?!]\s+\p{Lu}").unwrap());
        let sentence_inside = WORD_END.captures_iter(&self.journal).any(|c| {
            c.get(1).is_some_and(|w| {
                w.as_str().chars().count() >= 6 && !JOURNAL_WORDS.contains(w.as_str())
            })
        });
        !self.journal.is_empty()
            && self.journal.chars().count() <= 120
            && !sentence_inside
            && (!self.volume.is_empty() || !self.pages.is_empty() || self.year.is_some())
    }
}

/// Where the journal name ends: the first number, or a volume/page/article
/// keyword.
static JOURNAL_END: PerThread<Regex> = PerThread::new(|| {
    Regex::new(r"(?i)\d|(?:^|[\s,.;:(])(?:vol(?:ume)?\b\.?|pp?\.\s*\d|no\.\s*\d|article\b|e\d{3,})")
        .unwrap()
});
/// Words that end a journal name although no number follows yet.
static JOURNAL_TAIL: PerThread<Regex> =
    PerThread::new(|| Regex::new(r"(?i)[,:]?\s*\bspecial issue\b.*$").unwrap());
static DASH: PerThread<Regex> =
    PerThread::new(|| Regex::new(r"(\d)\s*[‐‑‒–—-]+\s*([A-Za-z]?\d)").unwrap());
static VANCOUVER_BLOCK: PerThread<Regex> = PerThread::new(|| {
    Regex::new(
        r"((?:1[5-9]|20)\d\d)[a-z]?(?:\s+[A-Z][a-z]{2,8}\.?(?:\s+\d{1,2})?)?\s*;\s*([A-Za-z]?\d+[A-Za-z]?)?\s*(?:\(([^)]*)\))?\s*(?::\s*([A-Za-z]?\d+(?:-[A-Za-z]?\d+)?))?",
    )
    .unwrap()
});
static VOLUME_KW: PerThread<Regex> =
    PerThread::new(|| Regex::new(r"(?i)\bvol(?:ume)?\.?\s*([A-Za-z]?\d+[A-Za-z]?)").unwrap());
static ISSUE_KW: PerThread<Regex> =
    PerThread::new(|| Regex::new(r"(?i)\b(?:no|nr|issue)\.?\s*(\d+[A-Za-z]?)").unwrap());
static PAGES_KW: PerThread<Regex> = PerThread::new(|| {
    Regex::new(r"(?i)\bpp?\.\s*([A-Za-z]?\d+(?:-[A-Za-z]?\d+)?)|\barticle(?:\s+(?:id|no\.?|number))?\s*:?\s*([A-Za-z]?\d+)").unwrap()
});
static MONTH_YEAR: PerThread<Regex> = PerThread::new(|| {
    Regex::new(r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:\d{1,2},?\s+)?((?:1[5-9]|20)\d\d)\b").unwrap()
});
static PAREN_YEAR: PerThread<Regex> =
    PerThread::new(|| Regex::new(r"\(\s*((?:1[5-9]|20)\d\d)[a-z]?\s*\)").unwrap());
static VOL_ISSUE: PerThread<Regex> =
    PerThread::new(|| Regex::new(r"([A-Za-z]?\d+[A-Za-z]?)\s*\(\s*([^()]{1,20}?)\s*\)").unwrap());
static NUMBER: PerThread<Regex> =
    PerThread::new(|| Regex::new(r"[A-Za-z]?\d+[A-Za-z]?(?:-[A-Za-z]?\d+)?").unwrap());

/// Match `re` in `t`, blank the match out, and return its groups.
fn take(t: &mut String, re: &Regex) -> Option<Vec<Option<String>>> {
    let (groups, range) = {
        let c = re.captures(t)?;
        let groups = c
            .iter()
            .map(|m| m.map(|m| m.as_str().to_string()))
            .collect();
        (groups, c.get(0)?.range())
    };
    t.replace_range(range, " , ");
    Some(groups)
}

fn year_like(s: &str) -> Option<i64> {
    let y = s.parse::<i64>().ok()?;
    (s.len() == 4 && (1800..=2099).contains(&y)).then_some(y)
}

fn full_pages(p: &str) -> String {
    PageRange::from_str(p).map_or_else(|_| p.to_string(), |r| r.to_string())
}

/// Parse the source part. `head_year`: the year was already found after the
/// authors, so a year-like number here is more likely a volume.
fn parse_source(s: &str, head_year: bool) -> Source {
    let s = DASH.replace_all(s.trim(), "$1-$2");
    let mut src = Source::default();
    let cut = JOURNAL_END.find(&s).map_or(s.len(), |m| m.start());
    let journal = s.get(..cut).unwrap_or_default();
    let journal = JOURNAL_TAIL.replace(journal, "");
    src.journal = split_glued_journal(
        journal
            .trim()
            .trim_end_matches([',', '.', ';', ':', ' ', '(']),
    );
    let mut t = s.get(cut..).unwrap_or_default().to_string();

    // Each pattern that matches is blanked out, so its numbers are not read again.
    let g = |v: &[Option<String>], i: usize| v.get(i).cloned().flatten().unwrap_or_default();
    if let Some(c) = take(&mut t, &VANCOUVER_BLOCK) {
        src.year = g(&c, 1).parse().ok();
        src.volume = g(&c, 2);
        src.issue = g(&c, 3).trim().to_string();
        let p = g(&c, 4);
        if !p.is_empty() {
            src.pages = full_pages(&p);
        }
    }
    if let Some(c) = take(&mut t, &VOLUME_KW) {
        src.volume = g(&c, 1);
    }
    if let Some(c) = take(&mut t, &ISSUE_KW) {
        src.issue = g(&c, 1);
    }
    if let Some(c) = take(&mut t, &PAGES_KW) {
        let p = g(&c, 1) + &g(&c, 2);
        src.pages = full_pages(&p);
    }
    for re in [&*MONTH_YEAR, &*PAREN_YEAR] {
        if let Some(c) = take(&mut t, re) {
            if src.year.is_none() {
                src.year = g(&c, 1).parse().ok();
            }
        }
    }
    if src.volume.is_empty() {
        if let Some(c) = take(&mut t, &VOL_ISSUE) {
            src.volume = g(&c, 1);
            src.issue = g(&c, 2);
        }
    }
    let tokens: Vec<&str> = NUMBER.find_iter(&t).map(|m| m.as_str()).collect();
    let n = tokens.len();
    for (i, tok) in tokens.iter().enumerate() {
        let is_range = tok.contains('-');
        if let Some(y) = year_like(tok) {
            let edge = i == 0 || i + 1 == n;
            if src.year.is_none() && !head_year && edge {
                src.year = Some(y);
                continue;
            }
            if head_year && i + 1 == n && !src.volume.is_empty() && src.pages.is_empty() && i > 0 {
                // "…, 2014." repeating the year after volume and pages.
                continue;
            }
        }
        if src.volume.is_empty() && !is_range {
            src.volume = tok.to_string();
        } else if src.pages.is_empty() {
            src.pages = full_pages(tok);
        }
    }
    src
}

/// Split words glued by a scraper ("PharmacolPharmacother") where every piece
/// is a known journal word, so the split is certain. Other words stay as
/// written.
pub fn split_glued_journal(j: &str) -> String {
    j.split(' ')
        .map(|w| {
            let mut pieces = Vec::new();
            let mut start = 0;
            let chars: Vec<(usize, char)> = w.char_indices().collect();
            for pair in chars.windows(2) {
                if let [(_, a), (i, b)] = pair {
                    if a.is_lowercase() && b.is_uppercase() {
                        pieces.push(w.get(start..*i).unwrap_or_default());
                        start = *i;
                    }
                }
            }
            pieces.push(w.get(start..).unwrap_or_default());
            if pieces.len() > 1 && pieces.iter().all(|p| JOURNAL_WORDS.contains(p)) {
                pieces.join(" ")
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn label_parts_are_the_label_regex_groups(
            t in crate::testing::glued(&[
                " ", "\u{a0}", "\t", "\n", "-", "•", "–", "[", "]", "1", "12", "12345", "٣",
                ".", ")", "Smith", "J", " 2020", "x", "é",
            ], 0..10)
        ) {
            let want = LABEL.captures(&t).map(|c| {
                (
                    c.get(1).map(|m| m.as_str()),
                    c.get(2).map(|m| m.as_str()),
                    c.get(3).map_or("", |m| m.as_str()),
                    c.get(4).map_or("", |m| m.as_str()),
                )
            });
            proptest::prop_assert_eq!(label_parts(&t), want, "{:?}", t);
        }

        #[test]
        fn label_prefilter_passes_every_label(
            t in crate::testing::glued(&[
                " ", "\u{a0}", "\t", "-", "•", "*", "·", "▪", "–", "[", "]", "1", "12", "٣",
                ".", ")", "Smith", "J", " 2020", "x",
            ], 0..10)
        ) {
            if LABEL.is_match(&t) {
                proptest::prop_assert!(may_open_with_label(&t), "{:?}", t);
            }
        }
    }
    use crate::ingest::parse_text;

    fn authors(p: &ParsedEntry) -> Vec<String> {
        p.authors.iter().map(Author::to_string).collect()
    }

    #[test]
    fn vancouver_with_glued_journal_and_year() {
        let p = parse_entry(
            "Brandt KL et al. Menaquinone status in elderly vegans. J PharmacolPharmacother2019;11:312-8.",
        );
        assert_eq!(p.style, Style::Vancouver);
        assert_eq!(authors(&p), ["Brandt, KL"]);
        assert!(p.et_al);
        assert_eq!(p.year, Some(2019));
        assert_eq!(p.title, "Menaquinone status in elderly vegans");
        assert_eq!(p.journal, "J Pharmacol Pharmacother");
        assert_eq!((p.volume.as_str(), p.pages.as_str()), ("11", "312-318"));
    }

    #[test]
    fn vancouver_article_numbers_and_hyphenated_names() {
        let p = parse_entry(
            "Olszewska-Czyz I, van der Berg A, Ng W. Gum health and vitamin K: where is the evidence? Curr VascPharmacol. 2021;19(2):e044512.",
        );
        assert_eq!(
            authors(&p),
            ["Olszewska-Czyz, I", "van der Berg, A", "Ng, W"]
        );
        assert!(!p.et_al);
        assert_eq!(p.title, "Gum health and vitamin K: where is the evidence?");
        assert_eq!(p.journal, "Curr Vasc Pharmacol");
        assert_eq!((p.volume.as_str(), p.issue.as_str()), ("19", "2"));
        assert_eq!(p.pages, "e044512");
        assert_eq!(p.year, Some(2021));
    }

    #[test]
    fn vancouver_title_ending_in_a_single_letter() {
        let p = parse_entry("Lund E, Dahl P. Intake of vitamin D. Nutrients. 2020;12:455-8.");
        assert_eq!(p.title, "Intake of vitamin D");
        assert_eq!(p.journal, "Nutrients");
        assert_eq!(p.pages, "455-458");
    }

    #[test]
    fn remembered_title_languages_are_the_detected_ones() {
        let titles = [
            "Vitamine K2 en de gezondheid van bloedvaten bij ouderen",
            "Über Sinn und Bedeutung der Vitamine",
            "Vitamin K2 and the calcification of arteries",
            "Probabilistic logic",
            "",
        ];
        for _ in 0..2 {
            for t in titles {
                assert_eq!(title_lang(t), detect_title_lang(t), "{t}");
            }
        }
        assert_eq!(title_lang(titles[0]), "nl");
        assert_eq!(title_lang(titles[1]), "de");
    }

    #[test]
    fn title_language_by_function_words_then_the_detector() {
        // two English-only function words, no Dutch one: English
        assert_eq!(
            title_lang(
                "Separate brain regions code for salience vs. valence during reward prediction in humans"
            ),
            "en"
        );
        assert_eq!(
            title_lang("Vitamin K2 and the calcification of arteries"),
            "en"
        );
        // Dutch words: the detector decides, as for titles in other languages
        assert_eq!(
            title_lang("Vitamine K2 en de gezondheid van bloedvaten bij ouderen"),
            "nl"
        );
        assert_eq!(title_lang("Über Sinn und Bedeutung der Vitamine"), "de");
        assert_eq!(
            title_lang("Problèmes empiriques de la sociologie compréhensive"),
            "fr"
        );
        assert_eq!(
            title_lang("La chapelle Saint-Jean de l'ancien évêché de Périgueux"),
            "fr"
        );
        // the detector unsure: English, as for a title too short to tell
        assert_eq!(title_lang("Probabilistic logic"), "en");
        assert_eq!(title_lang("Nanophotonic computational design"), "en");
        assert_eq!(title_lang("General linear method: A survey"), "en");
        assert_eq!(
            title_lang("Learning and executing generalized robot plans"),
            "en"
        );
        // unsure but Dutch, and the Dutch function words agree
        assert_eq!(
            title_lang("Vitamine D-status en de determinanten ervan bij Duitse topatleten"),
            "nl"
        );
    }

    #[test]
    fn apa_with_doi_and_article_id() {
        let p = parse_entry(
            "Søndergaard, K. L., Bäcker, T., & van der Meulen, R. (2019). Vitamine K2 en de gezondheid van bloedvaten bij ouderen. Journal of Vascular Studies, 2019, Article ID 5512. DOI: 10.5555/JVS.2019.5512.",
        );
        assert_eq!(p.style, Style::Apa);
        assert_eq!(
            authors(&p),
            ["Søndergaard, KL", "Bäcker, T", "van der Meulen, R"]
        );
        assert_eq!(p.year, Some(2019));
        assert_eq!(
            p.title,
            "Vitamine K2 en de gezondheid van bloedvaten bij ouderen"
        );
        assert_eq!(title_lang(&p.title), "nl");
        assert_eq!(p.journal, "Journal of Vascular Studies");
        assert_eq!(p.volume, "2019");
        assert_eq!(p.pages, "5512");
        assert_eq!(p.doi, "10.5555/jvs.2019.5512");
    }

    #[test]
    fn apa_volume_issue_pages_and_et_al() {
        let p = parse_entry(
            "Rønn, S. H., et al. (2020). Bone density after three years of menaquinone: a trial. Osteoporosis Reports, 31(4), 2201-17. https://doi.org/10.4444/OR.31.4",
        );
        assert_eq!(authors(&p), ["Rønn, SH"]);
        assert!(p.et_al);
        assert_eq!(p.journal, "Osteoporosis Reports");
        assert_eq!((p.volume.as_str(), p.issue.as_str()), ("31", "4"));
        assert_eq!(p.pages, "2201-2217");
        assert_eq!(p.doi, "10.4444/or.31.4");
        assert_eq!(title_lang(&p.title), "en");
    }

    #[test]
    fn harvard_like() {
        let p = parse_entry(
            "Smith, J. and Jones, K. (2019) Calcium and the ageing heart. Heart Matters 12(3), pp. 45-67.",
        );
        assert_eq!(p.style, Style::Other);
        assert_eq!(authors(&p), ["Smith, J", "Jones, K"]);
        assert_eq!(p.year, Some(2019));
        assert_eq!(p.title, "Calcium and the ageing heart");
        assert_eq!(p.journal, "Heart Matters");
        assert_eq!(
            (p.volume.as_str(), p.issue.as_str(), p.pages.as_str()),
            ("12", "3", "45-67")
        );
    }

    #[test]
    fn given_names_first_with_quoted_title() {
        let p = parse_entry(
            "R. Castellano-Ruiz, T. H. P. Quist, and L. O’Brady, “Fat-soluble vitamins in winter diets,” Food Science Letters, vol. 7, pp. 101–9, 2016.",
        );
        assert_eq!(
            authors(&p),
            ["Castellano-Ruiz, R", "Quist, THP", "O’Brady, L"]
        );
        assert_eq!(p.title, "Fat-soluble vitamins in winter diets");
        assert_eq!(p.journal, "Food Science Letters");
        assert_eq!((p.volume.as_str(), p.pages.as_str()), ("7", "101-109"));
        assert_eq!(p.year, Some(2016));
    }

    #[test]
    fn full_given_names_and_cell_style() {
        let p = parse_entry(
            "Fairweather, Lucy M., & Okoro, Chidi. 2011. Storage losses of phylloquinone in C. elegans. Worm Biology 14, 220–31.",
        );
        assert_eq!(authors(&p), ["Fairweather, LM", "Okoro, C"]);
        assert_eq!(p.year, Some(2011));
        assert_eq!(p.title, "Storage losses of phylloquinone in C. elegans");
        assert_eq!(p.journal, "Worm Biology");
        assert_eq!((p.volume.as_str(), p.pages.as_str()), ("14", "220-231"));
    }

    #[test]
    fn unknown_layout_keeps_what_it_can() {
        let p = parse_entry("Anonymous leaflet on vitamins, undated");
        assert!(!p.missing().is_empty());
    }

    #[test]
    fn reference_headings_by_their_lower_case_words_only() {
        assert!(is_reference_heading("## Referenties:"));
        assert!(is_reference_heading("  REFERENCES  "));
        assert!(!is_reference_heading(
            "References to vitamin K2 are many in this long line"
        ));
        // the gate's premise: lower-casing keeps at least a third of the bytes
        // (the Kelvin sign, 3 bytes, is `k`), so a line it turns away is longer
        // lower-cased than every heading
        let kelvins = "\u{212a}".repeat(HEADINGS.longest + 1);
        assert!(kelvins.len() > 3 * HEADINGS.longest);
        assert!(kelvins.to_lowercase().len() > HEADINGS.longest);
    }

    #[test]
    fn finds_lists_with_and_without_heading() {
        let text = "Intro text about vitamin K.\n\nBronnen\n1. Brandt KL et al. Menaquinone status. Nutr Rev. 2019;11:312-8.\n2.Lund E. Vitamin D. Nutrients. 2020;12:455.\n3. Odd entry without data\n\nSome closing words.\n";
        let doc = parse_text("t", "t.txt", text);
        let (refs, warns) = extract_references(&doc);
        assert_eq!(refs.iter().map(|r| r.ref_no).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(refs.first().map(|r| r.line), Some(4));
        assert!(warns
            .iter()
            .any(|w| w.kind == "unparsed_reference" && w.line == Some(6)));

        let text = "Dosage steps:\n1. Take 100 mcg daily.\n2. Repeat for 3 weeks.\n\n- [1] Hall, P. (2001). Title one. Journal A, 3(1), 1-9.\n- [2] Moss, T. (2002). Title two. Journal B, 4, 10-19.\n";
        let doc = parse_text("u", "u.txt", text);
        let (refs, _) = extract_references(&doc);
        assert_eq!(refs.iter().map(|r| r.line).collect::<Vec<_>>(), [5, 6]);
        assert_eq!(
            refs.first().map(|r| r.raw.as_str()),
            Some("Hall, P. (2001). Title one. Journal A, 3(1), 1-9.")
        );
    }

    /// (entry, authors, et_al, year, title, journal, volume, issue, pages, doi)
    type Case<'a> = (
        &'a str,
        &'a [&'a str],
        bool,
        i64,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
    );

    #[test]
    fn damaged_and_mixed_layouts() {
        let cases: &[Case] = &[
            (
                "Pettersen, A., Holm, B., et al., Retinol turnover in the os- teoblast. Bone Res, 2004. 115(6): p. 515-24.",
                &["Pettersen, A", "Holm, B"], true, 2004,
                "Retinol turnover in the os- teoblast", "Bone Res", "115", "6", "515-524", "",
            ),
            (
                "Quist, T. H. (2012). Leafy greens and clotting. Nordic Food Journal, 45(02), 77-81. DOI:http://dx.doi.org/10.8888/NFJ.45.77",
                &["Quist, TH"], false, 2012,
                "Leafy greens and clotting", "Nordic Food Journal", "45", "02", "77-81", "10.8888/nfj.45.77",
            ),
            (
                "H. Abel and K. Brun, \"Measuring phylloquinone in oils,\" Analytical Methods Letters, Vol. 19, pp. 1309– 21, 2010.",
                &["Abel, H", "Brun, K"], false, 2010,
                "Measuring phylloquinone in oils", "Analytical Methods Letters", "19", "", "1309-1321", "",
            ),
            (
                "Marlowe, Jennifer Ann, & Yates, Peter. 1998. Diet and bone in Cornish villages. Journal of Rural Health 9, 55–72.",
                &["Marlowe, JA", "Yates, P"], false, 1998,
                "Diet and bone in Cornish villages", "Journal of Rural Health", "9", "", "55-72", "",
            ),
            (
                "Ito, K., Sato, M., Kim, J. H., et al. (2015). Natto intake in Japanese men. Am. J. Clin. Nutr. 101, 1107–1115.",
                &["Ito, K", "Sato, M", "Kim, JH"], true, 2015,
                "Natto intake in Japanese men", "Am. J. Clin. Nutr", "101", "", "1107-1115", "",
            ),
            (
                "Dahl L, Ek M. Vitamin K status in C. elegans. Worm Res 2009; 12: 33–9.",
                &["Dahl, L", "Ek, M"], false, 2009,
                "Vitamin K status in C. elegans", "Worm Res", "12", "", "33-39", "",
            ),
            (
                "Vale, R. 2003. “Soil and the Menaquinones.” Review of Soil Biology 25(2): 195–207.",
                &["Vale, R"], false, 2003,
                "Soil and the Menaquinones.", "Review of Soil Biology", "25", "2", "195-207", "",
            ),
        ];
        for (text, au, et_al, year, title, journal, volume, issue, pages, doi) in cases {
            let p = parse_entry(text);
            assert_eq!(authors(&p), *au, "{text}");
            assert_eq!(p.et_al, *et_al, "{text}");
            assert_eq!(p.year, Some(*year), "{text}");
            assert_eq!(
                p.title.trim_end_matches('.'),
                title.trim_end_matches('.'),
                "{text}"
            );
            assert_eq!(p.journal, *journal, "{text}");
            assert_eq!(
                (
                    p.volume.as_str(),
                    p.issue.as_str(),
                    p.pages.as_str(),
                    p.doi.as_str()
                ),
                (*volume, *issue, *pages, *doi),
                "{text}"
            );
        }
    }

    #[test]
    fn unnumbered_list_under_heading() {
        let text = "Some text.\n\nLiteratuur\n- Hall, P. (2001). Title one. Journal A, 3(1), 1-9.\nMoss T, Lee K. Title two. Nutr Rev. 2002;4:10-9.\n\nOver de auteur\nTekst.\n";
        let doc = parse_text("v", "v.txt", text);
        let (refs, _) = extract_references(&doc);
        let got: Vec<(i64, usize, &str)> = refs
            .iter()
            .map(|r| (r.ref_no, r.line, r.journal.as_str()))
            .collect();
        assert_eq!(got, [(1, 4, "Journal A"), (2, 5, "Nutr Rev")]);
    }

    #[test]
    fn glued_words_split_only_when_certain() {
        assert_eq!(split_glued_journal("Eur JClinNutr"), "Eur JClinNutr");
        assert_eq!(
            split_glued_journal("Br J ClinPharmacol"),
            "Br J Clin Pharmacol"
        );
        assert_eq!(split_glued_journal("BioMed Research"), "BioMed Research");
    }
}
