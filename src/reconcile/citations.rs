//! Audit of in-text markers and reference lists: markers that point nowhere
//! (`dangling_citation`), list entries nothing points to (`unused_reference`),
//! broken markers (`malformed_marker`), markers whose sentence describes another
//! work than the entry they point to (`citation_mismatch`), the same work listed
//! twice (`duplicate_reference`) and DOIs that contradict their entry
//! (`doi_mismatch`).
//!
//! The mismatch and DOI checks only flag what the text states explicitly — a
//! named journal, a publication year, a named trial, a DOI whose structure is
//! fixed by its publisher — because a false alarm costs a reviewer as much time
//! as a real finding. Descriptions ("a large trial in older women") are not
//! compared.

use crate::per_thread::PerThread;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{LazyLock, OnceLock};

use rayon::prelude::*;
use regex::Regex;
use rustc_hash::FxHashMap;
use unicode_normalization::UnicodeNormalization;

use crate::lexicon::rows;
use crate::model::{place, row_id, Citation, Discrepancy, Reference, Severity, Text};
use crate::values::doi::Doi;

use super::keys::{CorpusKeys, Remap, Sym, Symbols};

/// Every citation and reference-list finding, in no particular order (the
/// caller sorts): [`audit_document`] with the journals of `refs`, then
/// [`audit_across_lists`].
pub fn audit_citations(refs: &[Reference], cits: &[Citation]) -> Vec<Discrepancy> {
    let known = KnownJournals::of(refs);
    let keys = CorpusKeys::of(&crate::model::Extracted {
        references: refs.to_vec(),
        ..Default::default()
    });
    let (mut out, lists) = rayon::join(
        || audit_document(refs, cits, &known),
        || audit_across_lists(&keys),
    );
    out.extend(lists);
    out
}

/// The journal titles a text can be recognised to name: those of every
/// reference list of the corpus plus the lexicon's, as title words. The one
/// thing the marker checks need from beyond the document they judge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KnownJournals {
    titles: Vec<Vec<String>>,
    /// Indices of the titles by the first character of their first word:
    /// a title is looked for only in a text with a capitalised word of that
    /// initial (see [`journals_named`]), and a corpus knows thousands.
    by_initial: FxHashMap<Option<char>, Vec<usize>>,
}

impl KnownJournals {
    fn from_titles(titles: Vec<Vec<String>>) -> KnownJournals {
        let mut by_initial: FxHashMap<Option<char>, Vec<usize>> = FxHashMap::default();
        for (i, t) in titles.iter().enumerate() {
            if let Some(w) = t.first() {
                by_initial.entry(w.chars().next()).or_default().push(i);
            }
        }
        KnownJournals { titles, by_initial }
    }

    pub fn of(refs: &[Reference]) -> KnownJournals {
        KnownJournals::named(refs.iter().map(|r| r.journal.as_str()))
    }

    /// The known journals of reference entries with these journal names
    /// (each may come any number of times).
    pub fn named<'a>(journals: impl IntoIterator<Item = &'a str>) -> KnownJournals {
        KnownJournals::from_titles(known_journals(journals))
    }
}

/// The findings that rest on one document: its markers judged against its
/// own list — `dangling_citation`, `unused_reference`, `malformed_marker`,
/// `citation_mismatch` — and its entries' DOIs (`doi_mismatch`). Run on one
/// document's rows (with the corpus's `known` journals) they find what they
/// find in the whole corpus for that document, so a run can audit documents
/// one at a time.
pub fn audit_document(
    refs: &[Reference],
    cits: &[Citation],
    known: &KnownJournals,
) -> Vec<Discrepancy> {
    let lists = Lists::new(refs);
    // The families are independent; the two that read the text around every
    // marker (dangling, mismatches) also split their groups over the pool.
    // Concatenated in a fixed order (the caller's sort is stable).
    let ((dang, mism), (unus, (malf, dois))) = rayon::join(
        || {
            rayon::join(
                || dangling(&lists, known, cits),
                || mismatches(&lists, known, cits),
            )
        },
        || {
            (
                unused(&lists, cits),
                (malformed(cits), doi_mismatches(refs)),
            )
        },
    );
    let mut out = dang;
    for part in [unus, malf, mism, dois] {
        out.extend(part);
    }
    out
}

/// The finding that compares the lists of all documents:
/// `duplicate_reference`, over the entries' keys ([`RefKey`]).
pub fn audit_across_lists(keys: &CorpusKeys) -> Vec<Discrepancy> {
    let mut found = Vec::new();
    duplicates_each(keys, &mut |d| found.push(d));
    found
}

/// [`audit_across_lists`], handing each finding to `out` as soon as it is
/// made (a run parks them). Run on a part of the keys that holds whole
/// [`RefGroups`] (see [`RefRoutes::route`]), it finds what it finds in all
/// of them for those entries.
pub fn audit_across_lists_each(keys: &CorpusKeys, out: &mut dyn FnMut(Discrepancy)) {
    duplicates_each(keys, out)
}

/// The groups of entries that may hold the same work, worked out before any
/// two entries are compared: entries that share a DOI or a first author and
/// year, and so on from entry to entry. The duplicate check joins only
/// entries of one such group (see `duplicates_each`), so it can take the
/// corpus a part at a time, each part made of whole groups.
///
/// Built over one set of keys after another ([`RefGroups::add`]). Each DOI
/// and author-year is a 64-bit hash; only an entry that has both links two
/// values, so only those pairs are kept (16 bytes each), and
/// [`RefGroups::finish`] joins them over the sorted distinct values (12
/// bytes each, no hash table), where the entries' keys cost ~250 bytes.
/// Two values whose hashes collide only put their groups in one part.
#[derive(Debug, Default)]
pub struct RefGroups {
    pairs: Vec<(u64, u64)>,
}

/// The DOI and the author-year of an entry, as [`RefGroups`] hashes them.
fn ref_links(r: &RefKey, syms: &Symbols) -> [Option<u64>; 2] {
    use super::keys::route_of;
    [
        r.doi.map(|d| route_of(("doi", syms.name(d)))),
        r.family
            .zip(r.year)
            .map(|(f, y)| route_of(("author-year", syms.name(f), y))),
    ]
}

impl RefGroups {
    /// Add the entries of `keys`.
    pub fn add(&mut self, keys: &CorpusKeys) {
        for r in &keys.refs {
            if let [Some(a), Some(b)] = ref_links(r, &keys.syms) {
                self.pairs.push((a, b));
            }
        }
    }

    /// Join the values each entry links; every value pointed straight at
    /// its group.
    pub fn finish(self) -> RefRoutes {
        let mut values: Vec<u64> = self.pairs.iter().flat_map(|&(a, b)| [a, b]).collect();
        values.sort_unstable();
        values.dedup();
        values.shrink_to_fit();
        let index = |v: u64| values.binary_search(&v).unwrap_or_default() as u32;
        let mut parent: Vec<u32> = (0..values.len() as u32).collect();
        fn root(parent: &mut [u32], mut n: u32) -> u32 {
            while parent[n as usize] != n {
                let up = parent[parent[n as usize] as usize];
                parent[n as usize] = up;
                n = up;
            }
            n
        }
        for &(a, b) in &self.pairs {
            let (a, b) = (root(&mut parent, index(a)), root(&mut parent, index(b)));
            if a != b {
                parent[b as usize] = a;
            }
        }
        drop(self.pairs);
        for n in 0..parent.len() as u32 {
            parent[n as usize] = root(&mut parent, n);
        }
        RefRoutes { values, parent }
    }
}

/// [`RefGroups`] joined, to route entries by.
#[derive(Debug)]
pub struct RefRoutes {
    /// The values some entry links to another, sorted.
    values: Vec<u64>,
    /// Each value's group (the index of a value).
    parent: Vec<u32>,
}

impl RefRoutes {
    /// The group of the entry at index `i` of `keys.refs` (a
    /// [`super::keys::Route`]): its DOI's, else its author-year's. A value
    /// that no entry links to another is its own group; an entry with
    /// neither a DOI nor an author and year is never a duplicate (`None`).
    pub fn route(&self, keys: &CorpusKeys, i: usize) -> Option<u64> {
        let h = ref_links(&keys.refs[i], &keys.syms)
            .into_iter()
            .flatten()
            .next()?;
        Some(match self.values.binary_search(&h) {
            Ok(n) => self.values[self.parent[n] as usize],
            Err(_) => h,
        })
    }
}

// ---------------------------------------------------------------- lists

/// The reference lists by document, entries by number.
struct Lists<'a> {
    by_doc: BTreeMap<&'a str, BTreeMap<i64, Entry<'a>>>,
}

/// One entry of a list, with what the checks read of it worked out on first
/// use: every marker group of a document compares its cues with the entries
/// of the list, so the same entry's journal, text and title were tokenised
/// once per group of its document.
struct Entry<'a> {
    r: &'a Reference,
    journal: OnceLock<Vec<String>>,
    journal_groups: OnceLock<Vec<usize>>,
    raw_folded: OnceLock<Text>,
    title_stems: OnceLock<BTreeSet<Text>>,
}

impl<'a> Entry<'a> {
    fn new(r: &'a Reference) -> Self {
        Entry {
            r,
            journal: OnceLock::new(),
            journal_groups: OnceLock::new(),
            raw_folded: OnceLock::new(),
            title_stems: OnceLock::new(),
        }
    }

    fn journal(&self) -> &[String] {
        self.journal.get_or_init(|| journal_words(&self.r.journal))
    }

    fn journal_groups(&self) -> &[usize] {
        self.journal_groups
            .get_or_init(|| journal_groups(self.journal()))
    }

    fn raw_folded(&self) -> &str {
        self.raw_folded.get_or_init(|| fold(&self.r.raw))
    }

    fn title_stems(&self) -> &BTreeSet<Text> {
        self.title_stems.get_or_init(|| stems(&self.r.title))
    }
}

impl<'a> Lists<'a> {
    fn new(refs: &'a [Reference]) -> Self {
        let mut by_doc: BTreeMap<&str, BTreeMap<i64, Entry>> = BTreeMap::new();
        for r in refs {
            by_doc
                .entry(r.doc.as_str())
                .or_default()
                .entry(r.ref_no)
                .or_insert_with(|| Entry::new(r));
        }
        Lists { by_doc }
    }

    fn entry(&self, doc: &str, no: i64) -> Option<&Entry<'a>> {
        self.by_doc.get(doc).and_then(|l| l.get(&no))
    }

    /// "entries 1-15", "entries 1-4 and 6-9" or "no reference list".
    fn describe(&self, doc: &str) -> String {
        let Some(list) = self.by_doc.get(doc).filter(|l| !l.is_empty()) else {
            return "the document has no reference list".into();
        };
        let mut runs: Vec<(i64, i64)> = Vec::new();
        for &n in list.keys() {
            match runs.last_mut() {
                Some((_, hi)) if *hi + 1 == n => *hi = n,
                _ => runs.push((n, n)),
            }
        }
        let parts: Vec<String> = runs
            .iter()
            .map(|(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        format!("its reference list has entries {}", join_and(&parts))
    }
}

/// "a", "a and b", "a, b and c".
fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [a] => a.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "Je 2011, Journal of Korean Medical Science": how a person names an entry.
fn short_entry(r: &Reference) -> String {
    let s = entry_name(first_author(r), r.year, &r.journal);
    if s.is_empty() {
        truncate(&r.raw, 60)
    } else {
        s
    }
}

/// The first author as written, up to the comma ("Rønn" of "Rønn, SH").
fn first_author(r: &Reference) -> Option<&str> {
    r.authors
        .first()
        .map(|a| a.split(',').next().unwrap_or(a).trim())
        .filter(|a| !a.is_empty())
}

/// "Je 2011, Journal of Korean Medical Science" from its parts (empty when
/// there are none).
fn entry_name(author: Option<&str>, year: Option<i64>, journal: &str) -> String {
    let mut s = match (author, year) {
        (Some(a), Some(y)) => format!("{a} {y}"),
        (Some(a), None) => a.to_string(),
        (None, Some(y)) => y.to_string(),
        (None, None) => String::new(),
    };
    if !journal.is_empty() {
        if !s.is_empty() {
            s.push_str(", ");
        }
        s.push_str(journal);
    }
    s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let t: String = s.chars().take(n).collect();
        format!("{}…", t.trim_end())
    }
}

// ---------------------------------------------------------------- dangling, unused, malformed

/// Markers whose number is not in their document's list, one finding per
/// document and number (a number cited on several lines is one problem of
/// the list, with every line in `where`).
fn dangling(lists: &Lists, known: &KnownJournals, cits: &[Citation]) -> Vec<Discrepancy> {
    let mut groups: BTreeMap<(&str, i64), Vec<&Citation>> = BTreeMap::new();
    for c in cits {
        if lists.entry(&c.doc, c.ref_no).is_none() {
            groups
                .entry((c.doc.as_str(), c.ref_no))
                .or_default()
                .push(c);
        }
    }
    groups
        .into_iter()
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|((doc, no), cs)| {
            let lines: BTreeSet<usize> = cs.iter().map(|c| c.line).collect();
            let line_list: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            let subject = format!("[{no}] in {doc}");
            let hint = cs
                .iter()
                .find_map(|c| {
                    let claim = claim_text(&c.span);
                    let cues = Cues::find(claim, known);
                    if cues.is_empty() {
                        return None;
                    }
                    let cands = candidates(lists, doc, &cues, claim, &[]);
                    (!cands.is_empty())
                        .then(|| format!("; the sentence names {}, {}", cues, fits(&cands)))
                })
                .unwrap_or_default();
            Discrepancy {
                id: row_id("discrepancies", &["dangling_citation", &subject]),
                kind: "dangling_citation".into(),
                severity: Severity::Error,
                detail: format!(
                    "Marker [{no}] on line {} of {doc} points to no entry: {}{hint}.",
                    join_and(&line_list),
                    lists.describe(doc)
                ),
                subject,
                docs: vec![Text::from(doc)],
                evidence: cs.iter().map(|c| c.id.clone()).collect(),
                r#where: lines.iter().map(|l| place(doc, *l)).collect(),
            }
        })
        .collect()
}

/// List entries that no marker of their document points to, for documents
/// that cite with markers at all (a list read only as "further reading", in a
/// text without markers, is not unused).
fn unused(lists: &Lists, cits: &[Citation]) -> Vec<Discrepancy> {
    let mut cited: HashMap<&str, BTreeSet<i64>> = HashMap::new();
    for c in cits {
        cited.entry(c.doc.as_str()).or_default().insert(c.ref_no);
    }
    let mut out = Vec::new();
    for (doc, list) in &lists.by_doc {
        let Some(nos) = cited.get(doc) else {
            continue;
        };
        for (no, e) in list {
            let r = e.r;
            if nos.contains(no) {
                continue;
            }
            let subject = format!("[{no}] in {doc}");
            out.push(Discrepancy {
                id: row_id("discrepancies", &["unused_reference", &subject]),
                kind: "unused_reference".into(),
                severity: Severity::Warning,
                detail: format!(
                    "Entry [{no}] of the reference list of {doc} ({}) is never cited by a marker in the text.",
                    short_entry(r)
                ),
                subject,
                docs: vec![Text::from(*doc)],
                evidence: vec![r.id.clone()],
                r#where: vec![place(doc, r.line)],
            });
        }
    }
    out
}

/// Broken markers ("[24]24}"), one finding per marker as written.
fn malformed(cits: &[Citation]) -> Vec<Discrepancy> {
    let mut groups: BTreeMap<(&str, usize, usize), Vec<&Citation>> = BTreeMap::new();
    for c in cits.iter().filter(|c| c.malformed) {
        groups
            .entry((c.doc.as_str(), c.line, c.offset))
            .or_default()
            .push(c);
    }
    groups
        .into_iter()
        .filter_map(|((doc, line, offset), cs)| {
            let first = cs.first()?;
            let subject = format!("{} in {doc} line {line}", first.marker);
            Some(Discrepancy {
                id: row_id(
                    "discrepancies",
                    &["malformed_marker", &subject, &offset.to_string()],
                ),
                kind: "malformed_marker".into(),
                severity: Severity::Warning,
                detail: format!(
                    "The marker \"{}\" on line {line} of {doc} is broken (debris of a flattened superscript link); it was read as pointing to {}.",
                    first.marker,
                    join_and(&cs.iter().map(|c| format!("[{}]", c.ref_no)).collect::<Vec<_>>())
                ),
                subject,
                docs: vec![Text::from(doc)],
                evidence: cs.iter().map(|c| c.id.clone()).collect(),
                r#where: vec![place(doc, line)],
            })
        })
        .collect()
}

// ---------------------------------------------------------------- text normalisation

/// Lower case, diacritics removed ("Rønn" → "ronn", "Kühn" → "kuhn"); a
/// [`Text`], so a folded word (what most calls fold) needs no heap.
fn fold(s: &str) -> Text {
    if s.is_ascii() {
        // nothing to decompose or strip: the common case, without the NFD pass
        let mut t = Text::from(s);
        t.make_ascii_lowercase();
        return t;
    }
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ø' => 'o',
            'æ' => 'a',
            'ß' => 's',
            'ł' => 'l',
            'đ' => 'd',
            _ => c,
        })
        .collect()
}

/// Words that do not distinguish journal titles ("The Journal of …",
/// "Food & Function" = "Food and Function").
const JOURNAL_STOPWORDS: &[&str] = &["the", "of", "and", "in", "for", "on", "&", "de", "la"];

/// A word of a text with where it is and how it is written.
#[derive(Debug, Clone)]
struct Tok {
    /// Folded ([`fold`]); inline up to 24 bytes, so most words need no heap.
    norm: Text,
    start: usize,
    end: usize,
    /// Starts with an upper-case letter or a digit.
    cap: bool,
    /// All upper case, at least three letters (BMJ, JAMA).
    acronym: bool,
    /// Sentence punctuation ("(", ",", ".", ":") between this word and the previous one.
    break_before: bool,
}

impl Tok {
    fn stop(&self) -> bool {
        JOURNAL_STOPWORDS.contains(&self.norm.as_str())
    }
}

/// The words of `s` (runs of letters and digits, and `&`: see
/// [`crate::words::word_runs`]) with what the journal and cue checks ask of
/// each.
fn tokens(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut prev_end = 0;
    for m in crate::words::word_runs(s) {
        let w = &s[m.clone()];
        let gap = s.get(prev_end..m.start).unwrap_or("");
        // (all() stops at the first lower-case letter, where the count no
        // longer matters)
        let mut letters = 0;
        let all_upper = w.chars().filter(|c| c.is_alphabetic()).all(|c| {
            letters += 1;
            c.is_uppercase()
        });
        out.push(Tok {
            norm: fold(w),
            start: m.start,
            end: m.end,
            cap: w
                .chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_numeric()),
            acronym: all_upper && letters >= 3,
            break_before: out.is_empty() || gap.chars().any(|c| !(c.is_whitespace() || c == '-')),
        });
        prev_end = m.end;
    }
    out
}

/// The distinguishing words of a journal title, without a parenthesised
/// place ("Healthcare (Basel)").
fn journal_words(name: &str) -> Vec<String> {
    static PAREN: PerThread<Regex> = PerThread::new(|| Regex::new(r"\([^()]*\)").unwrap());
    let name = PAREN.replace_all(name, " ");
    tokens(&name)
        .into_iter()
        .filter(|t| !t.stop())
        .map(|t| t.norm.into_string())
        .collect()
}

/// Is one word the abbreviation (or the spelling) of the other? ISO 4
/// abbreviations keep the start of a word ("Pharmacol", "J") and sometimes
/// letters from further on ("Natl" = national); a three-letter or shorter
/// abbreviation must be a plain prefix, so "Res" is not "Reports".
fn word_abbrev(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    // Every other yes keeps the first letter (a prefix, or the first two
    // letters and more): most pairs asked differ there, and counting their
    // characters is the costly part.
    if a.chars().next() != b.chars().next() {
        return false;
    }
    abbreviates(a, b)
}

/// The test behind [`word_abbrev`] once the equal words and the pairs with
/// different first letters are answered: the shorter word (in characters)
/// is the start of the longer one, or of four letters or more, it keeps the
/// longer one's first two and the rest of its letters in order.
fn abbreviates(a: &str, b: &str) -> bool {
    let (short, long) = if a.chars().count() <= b.chars().count() {
        (a, b)
    } else {
        (b, a)
    };
    if short.is_empty() || !short.chars().all(char::is_alphabetic) {
        return false;
    }
    if long.starts_with(short) {
        return true;
    }
    let sc: Vec<char> = short.chars().collect();
    if sc.len() < 4 || !long.chars().take(2).eq(sc[..2].iter().copied()) {
        return false;
    }
    let mut it = long.chars();
    sc.iter().all(|c| it.any(|l| l == *c))
}

/// Same journal title, abbreviated or not ("J Korean Med Sci" = "Journal of
/// Korean Medical Science", "Food & Function" = "Food and function").
fn words_match(a: &[String], b: &[String]) -> bool {
    !a.is_empty() && a.len() == b.len() && a.iter().zip(b).all(|(x, y)| word_abbrev(x, y))
}

/// Spellings of well-known journals (data/journals.tsv), one group per journal.
static JOURNALS: LazyLock<Vec<Vec<Vec<String>>>> = LazyLock::new(|| {
    rows(include_str!("../../data/journals.tsv"))
        .map(|r| {
            r.iter()
                .map(|s| journal_words(s))
                .filter(|w| !w.is_empty())
                .collect()
        })
        .collect()
});

/// Do two journal titles name the same journal, directly or as two spellings
/// of one journal in the lexicon ("JAMA" and "Journal of the American Medical
/// Association")?
fn same_journal(a: &[String], b: &[String]) -> bool {
    same_journal_in((a, &journal_groups(a)), (b, &journal_groups(b)))
}

/// The journals of the lexicon (indices into [`JOURNALS`]) that `words` is a
/// spelling of. Worked out once per title: the citation audit compares every
/// journal a text names with the journal of each candidate entry, and each
/// comparison went through the whole lexicon again.
fn journal_groups(words: &[String]) -> Vec<usize> {
    JOURNALS
        .iter()
        .enumerate()
        .filter(|(_, g)| g.iter().any(|s| words_match(s, words)))
        .map(|(i, _)| i)
        .collect()
}

/// [`same_journal`] of two titles with their [`journal_groups`]: the titles
/// match, or some journal of the lexicon has a spelling matching each.
fn same_journal_in(a: (&[String], &[usize]), b: (&[String], &[usize])) -> bool {
    words_match(a.0, b.0) || a.1.iter().any(|g| b.1.contains(g))
}

/// Words before a one-word journal title that show it is one ("in Nutrients",
/// "het tijdschrift Nutrients"): a lone capitalised word is too often an
/// ordinary word at the start of a sentence.
const JOURNAL_CUES: &[&str] = &[
    "in",
    "tijdschrift",
    "journal",
    "vakblad",
    "published",
    "gepubliceerd",
    "verschenen",
    "appeared",
];

/// Journals named in `text`, as the words written there. `known` holds the
/// titles to look for (the reference lists' journals and the lexicon's).
fn journals_named(text: &str, known: &KnownJournals) -> Vec<Vec<String>> {
    let toks = tokens(text);
    // Indices of the content words (stopwords are skipped, as in titles).
    let content: Vec<usize> = (0..toks.len()).filter(|&i| !toks[i].stop()).collect();
    let mut found: Vec<(usize, usize)> = Vec::new();
    // A title starts at a capitalised content word, and `word_abbrev` only
    // pairs words with the same first letter: each title is tried only at
    // the start positions with its initial (ascending, as a scan would).
    let mut starts: FxHashMap<Option<char>, Vec<usize>> = FxHashMap::default();
    for (s, &k) in content.iter().enumerate() {
        if toks[k].cap {
            starts
                .entry(toks[k].norm.chars().next())
                .or_default()
                .push(s);
        }
    }
    // (the finds are sorted below, so the order they are made in is free)
    let candidates = starts
        .iter()
        .filter_map(|(initial, at)| Some((known.by_initial.get(initial)?, at)));
    for (titles, at) in candidates {
        for j in titles.iter().map(|&i| &known.titles[i]) {
            let n = j.len();
            if n > content.len() {
                continue;
            }
            for &s in at {
                let Some(idx) = content.get(s..s + n) else {
                    break;
                };
                if names_title(&toks, idx, j) {
                    found.push((idx[0], idx[n - 1]));
                }
            }
        }
    }
    found.sort();
    found.dedup();
    // Keep the longest of overlapping finds.
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (a, b) in found {
        if let Some(p) = out.iter_mut().find(|(x, y)| a <= *y && *x <= b) {
            if b - a > p.1 - p.0 {
                *p = (a, b);
            }
        } else {
            out.push((a, b));
        }
    }
    out.into_iter()
        .map(|(a, b)| {
            toks[a..=b]
                .iter()
                .filter(|t| !t.stop())
                .map(|t| t.norm.to_string())
                .collect()
        })
        .collect()
}

/// Whether the tokens `idx` (content words, one per word of `title`) name
/// the journal `title` where they stand: one run of capitalised words, each
/// the title's word or its abbreviation (a one-word title only written out
/// and as an acronym or after a journal cue), and not part of a longer
/// capitalised title on either side.
fn names_title(toks: &[Tok], idx: &[usize], title: &[String]) -> bool {
    let (Some(&first), Some(&last)) = (idx.first(), idx.last()) else {
        return false;
    };
    // One run of title words: no sentence punctuation inside.
    if (first + 1..=last).any(|k| toks[k].break_before) {
        return false;
    }
    if !idx.iter().all(|&k| toks[k].cap) {
        return false;
    }
    if !idx
        .iter()
        .zip(title)
        .all(|(&k, w)| word_abbrev(&toks[k].norm, w))
    {
        return false;
    }
    if idx.len() == 1 {
        let t = &toks[first];
        let cued =
            first > 0 && !t.break_before && JOURNAL_CUES.contains(&toks[first - 1].norm.as_str());
        if !(t.norm == title[0] && (t.acronym || cued)) {
            return false;
        }
    }
    // The title must not go on: "European Journal of Nutrition" is not
    // "Journal of Nutrition", nor is "Journal of Nutrition and Metabolism".
    let before = first
        .checked_sub(1)
        .filter(|_| !toks[first].break_before)
        .map(|k| &toks[k]);
    let sentence_start = |k: usize| k == 0 || toks[k].break_before;
    if let Some(b) = before {
        if b.cap && !b.stop() && !sentence_start(first - 1) {
            return false;
        }
    }
    let mut k = last + 1;
    while k < toks.len() && !toks[k].break_before {
        if toks[k].stop() {
            k += 1;
            continue;
        }
        return !toks[k].cap;
    }
    true
}

// ---------------------------------------------------------------- cues

const MONTHS: &str = "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|january|february|march|may|june|july|august|october|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|okt|nov|dec";
const PUBLISHED_VERBS: &str = "gepubliceerd|published|verschenen|verscheen|publiceerde|appeared";
const TRIAL_NOUNS: &str = "trial|study|studie|onderzoek|cohort|cohortstudie";
const STUDY_NOUNS: &str = "studie|studies|study|onderzoek|review|overzichtsartikel|artikel|article|paper|meta-analyse|meta-analysis|metaanalyse|analyse|analysis|trial|rapport|report|publicatie|publication|richtlijn|guideline";
/// Words after a number that make it a count, a dose or the start of a
/// period, not a publication year ("2000 IE", "van 2015 tot 2018").
static NOT_YEAR_AFTER: PerThread<Regex> = PerThread::new(|| {
    Regex::new(r"(?i)^\s*(?:(?:IE|IU|µg|μg|mcg|ug|mg|g|patiënten|patients|deelnemers|participants|mensen|people|vrouwen|women|mannen|men|subjects|kinderen|children|personen|persons|volwassenen|adults|tot|to|until|till|through|and|en)\b|[-–/%])").unwrap()
});

/// Years that date the cited work: "(2020)", "(Smith et al., 2020)", "een
/// review uit 2022", "a study from 2019", "gepubliceerd in mei 2025", "a 2022
/// meta-analysis". A bare "in 2015" is not one: it often dates an event.
static YEAR_CUES: PerThread<Vec<Regex>> = PerThread::new(|| {
    let y = r"((?:19|20)\d{2})";
    [
        format!(r"\(\s*(?:\p{{Lu}}[^()]{{0,60}}?,?\s+)?{y}[a-z]?\s*\)"),
        format!(
            r"(?i)\b(?:{STUDY_NOUNS})\b[^.;()\[]{{0,30}}?\b(?:uit|van|from|of|in)\s+(?:(?:{MONTHS})\s+)?{y}\b"
        ),
        format!(
            r"(?i)\b(?:{PUBLISHED_VERBS})\s+(?:(?:in|on|op)\s+)?(?:(?:early|late|begin|eind|medio|mid)\s+)?(?:\d{{1,2}}\s+)?(?:(?:{MONTHS})\s+)?(?:van\s+|of\s+)?{y}\b"
        ),
        format!(
            r"(?i)\b(?:a|an|the|een|this|that|deze|die|dat|het)\s+{y}\s+(?:[\p{{L}}-]+\s+){{0,2}}?(?:{STUDY_NOUNS})\b"
        ),
    ]
    .iter()
    .map(|p| Regex::new(p).unwrap())
    .collect()
});

/// The study nouns of the second and fourth year cue, without their word
/// boundaries: a text without a match holds no match of those cues.
static STUDY_NOUN: PerThread<Regex> =
    PerThread::new(|| Regex::new(&format!("(?i){STUDY_NOUNS}")).expect("regex"));

/// The verbs of the third year cue, likewise.
static PUBLISHED: PerThread<Regex> =
    PerThread::new(|| Regex::new(&format!("(?i){PUBLISHED_VERBS}")).expect("regex"));

/// A named trial: an acronym next to "trial"/"study" ("the VITAL trial",
/// "VITAL-studie", "de studie PREVEND"), or an English proper name with a
/// capital "Study"/"Trial" ("the Rotterdam Study").
static TRIAL_CUES: PerThread<Vec<Regex>> = PerThread::new(|| {
    let acr = r"(\p{Lu}{3,}(?:-\p{Lu}{2,})?)";
    let noun = format!("(?:{TRIAL_NOUNS})");
    [
        format!(r"\b{acr}[\s-]+(?i:{noun})\b"),
        format!(r"\b(?i:{noun})\s+{acr}\b"),
        r"\b[Tt]he\s+((?:\p{Lu}\p{Ll}+\s+){1,3})(?:Study|Trial)\b".to_string(),
    ]
    .iter()
    .map(|p| Regex::new(p).unwrap())
    .collect()
});

/// Acronyms that name a design, a nutrient or an agency, not a trial.
const NOT_TRIALS: &[&str] = &[
    "RCT", "RCTS", "DXA", "DEXA", "BMD", "BMI", "EFSA", "WHO", "NIH", "IOM", "MGP", "VDR", "COVID",
    "USA", "DNA", "CVD", "CKD", "PTH", "MRI", "NHS", "FDA", "EU", "IE", "IU", "UCOC", "OC",
];

/// What the text around a marker says about the cited work.
#[derive(Debug, Default, Clone)]
struct Cues {
    /// Journal titles as written, in title words.
    journals: Vec<Vec<String>>,
    /// The [`journal_groups`] of each of `journals`.
    journal_groups: Vec<Vec<usize>>,
    /// The same, as written in the text (for the report).
    journal_text: Vec<String>,
    years: Vec<i64>,
    trials: Vec<String>,
}

/// The journals of every reference list plus the lexicon's, as title words:
/// the titles a text can be recognised to name.
fn known_journals<'a>(journals: impl IntoIterator<Item = &'a str>) -> Vec<Vec<String>> {
    let mut known: Vec<Vec<String>> = JOURNALS.iter().flatten().cloned().collect();
    known.extend(
        journals
            .into_iter()
            .map(journal_words)
            .filter(|w| !w.is_empty()),
    );
    known.sort();
    known.dedup();
    known
}

/// Opens a sentence that introduces a work ("Een systematische review …",
/// "In a large trial …", "Another meta-analysis …"); compounds count
/// ("cohortonderzoek").
static INTRODUCES_WORK: PerThread<Regex> = PerThread::new(|| {
    Regex::new(&format!(
        r"(?i)\b(?:een|a|an|another|andere|other|one|this|deze)\b[^.;]{{0,40}}?(?:{STUDY_NOUNS})"
    ))
    .unwrap()
});

/// The part of a marker's span that describes the cited work: back from the
/// marker's own sentence to the nearest sentence that introduces a work.
/// "A 2019 study found X. Another review showed Y [5]" is about the review
/// only; "A review in Food & Function (2020) pooled 8 trials. The authors
/// found Y [13]" is about the review throughout.
fn claim_text(span: &str) -> &str {
    static SENTENCE_END: PerThread<Regex> =
        PerThread::new(|| Regex::new(r#"[.!?]["”’)]*\s+"#).unwrap());
    // Sentence starts: after a sentence end followed by a capital letter.
    let mut starts = vec![0];
    for m in SENTENCE_END.find_iter(span) {
        if span[m.end()..]
            .chars()
            .next()
            .is_some_and(char::is_uppercase)
        {
            starts.push(m.end());
        }
    }
    for &st in starts.iter().rev() {
        let end = starts
            .iter()
            .find(|&&x| x > st)
            .copied()
            .unwrap_or(span.len());
        if INTRODUCES_WORK.is_match(&span[st..end]) {
            return &span[st..];
        }
    }
    span
}

/// The years a text dates the cited work by (see [`YEAR_CUES`]), sorted.
/// `gated`: skip a cue when the text lacks what every match of it holds;
/// without, every cue is searched (what the gates must agree with).
fn year_cues(text: &str, gated: bool) -> Vec<i64> {
    // Every year cue holds a year: a text without four digits starting
    // 19 or 20 skips the four regexes.
    let may_hold_year = !gated
        || text.as_bytes().windows(4).any(|w| {
            matches!(w[..2], [b'1', b'9'] | [b'2', b'0'])
                && w[2].is_ascii_digit()
                && w[3].is_ascii_digit()
        });
    // And each cue holds a word or sign of its own (a parenthesis, a study
    // noun, a verb of publishing), which a literal search finds faster
    // than the cue's regex can rule itself out.
    let gates: [bool; 4] = if !gated {
        [true; 4]
    } else if may_hold_year {
        let study = STUDY_NOUN.is_match(text);
        [text.contains('('), study, PUBLISHED.is_match(text), study]
    } else {
        [false; 4]
    };
    let mut years: Vec<i64> = YEAR_CUES
        .iter()
        .zip(gates)
        .filter(|&(_, open)| open)
        .flat_map(|(re, _)| re.captures_iter(text))
        .filter_map(|c| {
            let y = c.get(1)?;
            let after = text.get(y.end()..).unwrap_or_default();
            if NOT_YEAR_AFTER.is_match(after) {
                return None;
            }
            y.as_str().parse().ok()
        })
        .collect();
    years.sort_unstable();
    years.dedup();
    years
}

/// The trials a text names (see [`TRIAL_CUES`]), sorted; `gated` as for
/// [`year_cues`].
fn trial_cues(text: &str, gated: bool) -> Vec<String> {
    // Every trial cue holds one of its nouns: a text without one (most)
    // skips the three regexes, whose leading acronym no literal search
    // can find.
    static TRIAL_NOUN: PerThread<Regex> =
        PerThread::new(|| Regex::new(&format!("(?i){TRIAL_NOUNS}")).expect("regex"));
    let may_name_trial = !gated || TRIAL_NOUN.is_match(text);
    let mut trials: Vec<String> = TRIAL_CUES
        .iter()
        .filter(|_| may_name_trial)
        .flat_map(|re| re.captures_iter(text))
        .filter_map(|c| Some(c.get(1)?.as_str().trim().to_string()))
        .filter(|t| !NOT_TRIALS.contains(&t.to_uppercase().as_str()))
        .collect();
    trials.sort();
    trials.dedup();
    trials
}

impl Cues {
    fn find(text: &str, known: &KnownJournals) -> Cues {
        let journals = journals_named(text, known);
        let journal_groups = journals.iter().map(|j| journal_groups(j)).collect();
        let journal_text = journals.iter().map(|j| display_title(j, text)).collect();
        Cues {
            journals,
            journal_groups,
            journal_text,
            years: year_cues(text, true),
            trials: trial_cues(text, true),
        }
    }

    fn is_empty(&self) -> bool {
        self.journals.is_empty() && self.years.is_empty() && self.trials.is_empty()
    }

    /// Does the entry agree with every kind of cue? A kind agrees when the
    /// entry does not state that field, or one cue of the kind matches it.
    fn agree(&self, e: &Entry) -> bool {
        self.journal_ok(e) && self.year_ok(e.r) && self.trials_ok(e)
    }

    fn journal_ok(&self, e: &Entry) -> bool {
        if self.journals.is_empty() {
            return true;
        }
        let jw = e.journal();
        jw.is_empty()
            || self
                .journals
                .iter()
                .zip(&self.journal_groups)
                .any(|(j, g)| same_journal_in((j, g), (jw, e.journal_groups())))
    }

    fn year_ok(&self, r: &Reference) -> bool {
        self.years.is_empty() || r.year.is_none_or(|y| self.years.contains(&y))
    }

    fn trials_ok(&self, e: &Entry) -> bool {
        if self.trials.is_empty() {
            return true;
        }
        let hay = e.raw_folded();
        self.trials.iter().all(|t| contains_word(hay, &fold(t)))
    }
}

impl std::fmt::Display for Cues {
    /// "Food & Function, the year 2020 and the VITAL trial".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts: Vec<String> = self.journal_text.clone();
        if !self.years.is_empty() {
            let ys: Vec<String> = self.years.iter().map(|y| y.to_string()).collect();
            parts.push(format!(
                "the year{} {}",
                if ys.len() > 1 { "s" } else { "" },
                join_and(&ys)
            ));
        }
        for t in &self.trials {
            parts.push(format!("the {t} study"));
        }
        f.write_str(&join_and(&parts))
    }
}

/// Does `hay` contain `needle` as whole words (not inside a longer word)?
fn contains_word(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    hay.match_indices(needle).any(|(i, m)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + m.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The journal title as the text writes it (first words to last).
fn display_title(words: &[String], text: &str) -> String {
    let toks = tokens(text);
    for (i, t) in toks.iter().enumerate() {
        if t.norm != words[0] && !word_abbrev(&t.norm, &words[0]) {
            continue;
        }
        let mut k = i;
        let mut matched = 0;
        let mut end = t.end;
        while k < toks.len() && matched < words.len() {
            if !toks[k].stop() {
                if !word_abbrev(&toks[k].norm, &words[matched]) {
                    break;
                }
                matched += 1;
                end = toks[k].end;
            }
            k += 1;
        }
        if matched == words.len() {
            return text.get(t.start..end).unwrap_or_default().to_string();
        }
    }
    words.join(" ")
}

/// Word stems (first five letters of words of four letters or more) of a
/// text, to rank candidate entries by how much of their title the sentence
/// echoes; five letters bridge Dutch and English ("postmenopauzale" /
/// "postmenopausal"). Five characters fit inline in a `Text`: no allocation
/// per stem, and every entry's title stems are kept for the whole audit.
fn stems(s: &str) -> BTreeSet<Text> {
    tokens(s)
        .into_iter()
        .filter(|t| t.norm.chars().count() >= 4)
        .map(|t| t.norm.chars().take(5).collect())
        .collect()
}

/// Entries of `doc`'s list (other than `except`) that agree with every cue
/// and echo the text's words best (ties are all named, up to three).
fn candidates<'a>(
    lists: &Lists<'a>,
    doc: &str,
    cues: &Cues,
    text: &str,
    except: &[i64],
) -> Vec<&'a Reference> {
    let Some(list) = lists.by_doc.get(doc) else {
        return Vec::new();
    };
    let words = stems(text);
    let mut scored: Vec<(usize, &Reference)> = list
        .values()
        .filter(|e| !except.contains(&e.r.ref_no) && cues.agree(e) && fully_stated(cues, e.r))
        .map(|e| (e.title_stems().intersection(&words).count(), e.r))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.ref_no.cmp(&b.1.ref_no)));
    let best = scored.first().map_or(0, |s| s.0);
    scored
        .into_iter()
        .take_while(|(n, _)| *n == best)
        .take(3)
        .map(|(_, r)| r)
        .collect()
}

/// A candidate must state what the cues name (an entry without a year cannot
/// be said to match "2022").
fn fully_stated(cues: &Cues, r: &Reference) -> bool {
    (cues.journals.is_empty() || !r.journal.is_empty())
        && (cues.years.is_empty() || r.year.is_some())
}

/// "entry [11] (Huang 2020, Food & Function) matches" / "entries … match".
fn fits(cands: &[&Reference]) -> String {
    let names: Vec<String> = cands
        .iter()
        .map(|r| format!("[{}] ({})", r.ref_no, short_entry(r)))
        .collect();
    match names.len() {
        0 => "and no entry of the list matches".into(),
        1 => format!("which fits entry {}", names[0]),
        _ => format!("which fits entries {}", join_and(&names)),
    }
}

// ---------------------------------------------------------------- citation_mismatch

/// Markers whose text names a journal, year or trial that the entry they point
/// to contradicts. Markers written together ("[4][5]", "[4,5]") vouch for one
/// text together: it is a mismatch only when none of their entries agrees.
fn mismatches(lists: &Lists, known: &KnownJournals, cits: &[Citation]) -> Vec<Discrepancy> {
    let mut groups: BTreeMap<(&str, usize, &str), Vec<&Citation>> = BTreeMap::new();
    for c in cits {
        groups
            .entry((c.doc.as_str(), c.line, c.span.as_str()))
            .or_default()
            .push(c);
    }
    // Each marker group is judged on its own text: split over the pool,
    // gathered back in group order.
    let groups: Vec<_> = groups.into_iter().collect();
    let found: Vec<Vec<Discrepancy>> = groups
        .into_par_iter()
        .map(|((doc, line, span), cs)| mismatch(lists, known, doc, line, span, &cs))
        .collect();
    found.into_iter().flatten().collect()
}

/// The findings of one marker group of [`mismatches`]: the markers written
/// together at one place.
fn mismatch(
    lists: &Lists,
    known: &KnownJournals,
    doc: &str,
    line: usize,
    span: &str,
    cs: &[&Citation],
) -> Vec<Discrepancy> {
    let entries: Vec<(&Citation, &Entry)> = cs
        .iter()
        .filter_map(|c| Some((*c, lists.entry(doc, c.ref_no)?)))
        .collect();
    if entries.is_empty() {
        return Vec::new();
    }
    let claim = claim_text(span);
    let cues = Cues::find(claim, known);
    if cues.is_empty() || entries.iter().any(|(_, e)| cues.agree(e)) {
        return Vec::new();
    }
    let nos: Vec<i64> = entries.iter().map(|(_, e)| e.r.ref_no).collect();
    let cands = candidates(lists, doc, &cues, claim, &nos);
    let mut out = Vec::new();
    for (c, e) in entries {
        let r = e.r;
        let subject = format!("[{}] in {doc}", r.ref_no);
        let mut wrong = Vec::new();
        if !cues.journal_ok(e) {
            wrong.push(format!("appeared in {}", r.journal));
        }
        if !cues.year_ok(r) {
            wrong.push(format!("is from {}", r.year.unwrap_or_default()));
        }
        if !cues.trials_ok(e) {
            wrong.push(format!("does not mention {}", join_and(&cues.trials)));
        }
        out.push(Discrepancy {
            id: row_id(
                "discrepancies",
                &["citation_mismatch", &subject, &line.to_string()],
            ),
            kind: "citation_mismatch".into(),
            severity: Severity::Warning,
            detail: format!(
                "The text citing [{}] on line {line} of {doc} names {cues}, but entry [{}] ({}) {}, {}.",
                r.ref_no,
                r.ref_no,
                short_entry(r),
                join_and(&wrong),
                fits(&cands).replacen("which fits", "while the text fits", 1)
            ),
            subject,
            docs: vec![Text::from(doc)],
            evidence: std::iter::once(c.id.clone())
                .chain(std::iter::once(r.id.clone()))
                .chain(cands.iter().map(|x| x.id.clone()))
                .collect(),
            r#where: {
                let mut w = vec![place(doc, line), place(doc, r.line)];
                w.extend(cands.iter().map(|x| place(doc, x.line)));
                w
            },
        });
    }
    out
}

// ---------------------------------------------------------------- duplicate_reference

/// Title words for comparing titles: folded, without one- and two-letter
/// words; sorted and without repeats (a set, held as a slice: the check keeps
/// one per entry of the corpus, and a tree's nodes cost several times the
/// words).
fn title_words(s: &str) -> Box<[Text]> {
    let mut words: Vec<Text> = tokens(s)
        .into_iter()
        .map(|t| t.norm)
        .filter(|w| w.chars().count() > 2)
        .collect();
    words.sort_unstable();
    words.dedup();
    words.into_boxed_slice()
}

/// Token Jaccard similarity of two titles (word sets as slices sorted the
/// same way).
fn jaccard<T: Ord>(a: &[T], b: &[T]) -> f64 {
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - both;
    if union == 0 {
        return 0.0;
    }
    both as f64 / union as f64
}

/// Titles at least this similar (token Jaccard), with the same first author
/// and year, are one work written down twice.
pub const TITLE_JACCARD: f64 = 0.8;

/// Family name of the first author, folded ("Rønn, SH" → "ronn").
fn first_family(r: &Reference) -> Option<String> {
    let a = r.authors.first()?;
    let fam = fold(a.split(',').next().unwrap_or(a).trim());
    (!fam.is_empty()).then(|| fam.into_string())
}

/// What the duplicate check reads of a reference entry, worked out once per
/// entry (an author-year bucket of n entries is compared pairwise, so parsing
/// the DOI and splitting the title for every pair made a popular work cost
/// n² parses), and kept for every entry of the corpus until the check runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RefKey {
    pub id: Text,
    pub doc: Sym,
    pub line: usize,
    pub ref_no: i64,
    pub year: Option<i64>,
    /// The DOI ([`Doi`]: normalised, so that two ways of writing one DOI
    /// are one symbol), when the entry has a valid one.
    doi: Option<Sym>,
    /// The DOI as the entry writes it, lower case, where that is not `doi`.
    doi_written: Option<Sym>,
    /// First author as written ([`first_author`]) and folded ([`first_family`]).
    author: Option<Sym>,
    family: Option<Sym>,
    pub journal: Sym,
    /// Title words ([`title_words`]), sorted by symbol.
    title: Box<[Sym]>,
}

impl RefKey {
    pub fn of(r: &Reference, syms: &mut Symbols) -> RefKey {
        let doi = r.doi.parse::<Doi>().ok();
        let written = r.doi.as_str().to_lowercase();
        let mut title: Vec<Sym> = title_words(&r.title)
            .iter()
            .map(|w| syms.intern(w))
            .collect();
        title.sort_unstable();
        RefKey {
            id: r.id.clone(),
            doc: syms.intern(&r.doc),
            line: r.line,
            ref_no: r.ref_no,
            year: r.year,
            doi_written: doi
                .as_ref()
                .filter(|d| d.as_str() != written)
                .map(|_| syms.intern(&written)),
            doi: doi.map(|d| syms.intern(d.as_str())),
            author: first_author(r).map(|a| syms.intern(a)),
            family: first_family(r).map(|f| syms.intern(&f)),
            journal: syms.intern(&r.journal),
            title: title.into_boxed_slice(),
        }
    }

    /// The DOI as written (lower case), when the entry has a valid one.
    fn doi_text<'s>(&self, syms: &'s Symbols) -> Option<&'s str> {
        self.doi_written.or(self.doi).map(|d| syms.name(d))
    }
}

impl Remap for RefKey {
    fn remap(self, map: &[Sym]) -> RefKey {
        let m = |s: Sym| map[s as usize];
        let mut title: Vec<Sym> = self.title.iter().map(|&w| m(w)).collect();
        title.sort_unstable();
        RefKey {
            doc: m(self.doc),
            doi: self.doi.map(m),
            doi_written: self.doi_written.map(m),
            author: self.author.map(m),
            family: self.family.map(m),
            journal: m(self.journal),
            title: title.into_boxed_slice(),
            ..self
        }
    }

    fn symbols(&self, f: &mut dyn FnMut(Sym)) {
        f(self.doc);
        f(self.journal);
        [self.doi, self.doi_written, self.author, self.family]
            .into_iter()
            .flatten()
            .for_each(&mut *f);
        self.title.iter().for_each(|&w| f(w));
    }
}

/// Why two entries are the same work, if they are.
fn same_work(a: &RefKey, b: &RefKey, syms: &Symbols) -> Option<String> {
    if a.doi.is_some() && a.doi == b.doi {
        return Some(format!(
            "both have DOI {}",
            a.doi_text(syms).unwrap_or_default()
        ));
    }
    let (fa, fb) = (a.family?, b.family?);
    let (ya, yb) = (a.year?, b.year?);
    if fa != fb || ya != yb {
        return None;
    }
    let (ta, tb) = (&a.title, &b.title);
    if ta.len() < 3 || tb.len() < 3 {
        return None;
    }
    let j = jaccard(ta, tb);
    (j >= TITLE_JACCARD).then(|| {
        format!(
            "both are {} {ya} with {} titles",
            a.author.map(|s| syms.name(s)).unwrap_or_default(),
            if j >= 0.999 {
                "the same"
            } else {
                "nearly the same"
            }
        )
    })
}

/// The same work listed twice, within a list (a warning: the list is wrong) or
/// across documents (information: two sources rest on one study). Entries that
/// only share a first author are different works.
fn duplicates_each(keys: &CorpusKeys, out: &mut dyn FnMut(Discrepancy)) {
    let (refs, syms) = (&keys.refs, &keys.syms);
    // Union-find over entries, so three copies make one finding.
    let n = refs.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    fn union(p: &mut [usize], i: usize, j: usize) {
        let (a, b) = (root(p, i), root(p, j));
        if a != b {
            p[b] = a;
        }
    }
    // Comparing every pair is quadratic in the corpus (100 000 entries are
    // 5·10^9 pairs). Two entries can only be the same work when they share a
    // DOI or a first author and year (see `same_work`), so only those buckets
    // are compared. A DOI bucket is all one work: joining each entry to the
    // next one with that DOI gives the same clusters as joining every pair.
    // `reason[i]` stays what the pairwise loop gave: the first later entry
    // that is the same work as entry i (the reason is worded when the
    // finding is made: `same_work` of the two).
    //
    // Both kinds of bucket are runs of entry numbers sorted (stably, so in
    // entry order within a run) by DOI or by author and year: a few bytes
    // per entry, where maps of buckets cost an allocation per entry.
    let mut next_same_doi: Vec<Option<u32>> = vec![None; n];
    let mut with_doi: Vec<u32> = (0..n as u32)
        .filter(|&i| refs[i as usize].doi.is_some())
        .collect();
    // by the DOI's text, so that the buckets come in the order they always did
    with_doi.sort_by(|&a, &b| {
        let name = |i: u32| refs[i as usize].doi.map(|d| syms.name(d));
        name(a).cmp(&name(b))
    });
    for w in with_doi.windows(2) {
        if refs[w[0] as usize].doi == refs[w[1] as usize].doi {
            next_same_doi[w[0] as usize] = Some(w[1]);
        }
    }
    drop(with_doi);
    let author_year = |i: u32| {
        let r = &refs[i as usize];
        r.family.zip(r.year)
    };
    let mut by_author_year: Vec<u32> = (0..n as u32)
        .filter(|&i| author_year(i).is_some())
        .collect();
    by_author_year.sort_by_key(|&i| author_year(i));
    let mut reason: HashMap<u32, u32> = HashMap::new();
    for members in by_author_year.chunk_by(|&a, &b| author_year(a) == author_year(b)) {
        for (k, &i) in members.iter().enumerate() {
            let i = i as usize;
            // members are in index order: the later entries of the bucket
            for &j in &members[k + 1..] {
                let j = j as usize;
                if same_work(&refs[i], &refs[j], syms).is_some() {
                    union(&mut parent, i, j);
                    if next_same_doi[i].is_none_or(|d| j < d as usize) {
                        reason.entry(i as u32).or_insert(j as u32);
                    }
                }
            }
        }
    }
    drop(by_author_year);
    for i in 0..n {
        if let Some(j) = next_same_doi[i] {
            let j = j as usize;
            union(&mut parent, i, j);
            if same_work(&refs[i], &refs[j], syms).is_some() {
                // an author-year match before entry j came first
                reason.entry(i as u32).or_insert(j as u32);
            }
        }
    }
    // clusters of more than one entry (most entries are alone: not gathered)
    let roots: Vec<usize> = (0..n).map(|i| root(&mut parent, i)).collect();
    let mut size = vec![0u32; n];
    for &r in &roots {
        size[r] += 1;
    }
    let mut clusters: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &r) in roots.iter().enumerate() {
        if size[r] > 1 {
            clusters.entry(r).or_default().push(i);
        }
    }
    let doc = |r: &RefKey| syms.name(r.doc);
    for (_, members) in clusters.into_iter().filter(|(_, m)| m.len() > 1) {
        let rs: Vec<&RefKey> = members.iter().map(|&i| &refs[i]).collect();
        let docs: BTreeSet<&str> = rs.iter().map(|r| doc(r)).collect();
        let names: Vec<String> = rs
            .iter()
            .map(|r| format!("[{}] in {}", r.ref_no, doc(r)))
            .collect();
        let first = rs[0];
        let subject = format!(
            "{}: {}",
            match first.family {
                Some(_) => entry_name(
                    first.author.map(|a| syms.name(a)),
                    first.year,
                    syms.name(first.journal)
                ),
                None => "entry".to_string(),
            },
            join_and(&names)
        );
        let why = members
            .iter()
            .find_map(|&i| {
                let j = *reason.get(&(i as u32))? as usize;
                same_work(&refs[i], &refs[j], syms)
            })
            .unwrap_or_default();
        out(Discrepancy {
            id: row_id("discrepancies", &["duplicate_reference", &subject]),
            kind: "duplicate_reference".into(),
            severity: if docs.len() == 1 {
                Severity::Warning
            } else {
                Severity::Info
            },
            detail: format!(
                "{} are the same work listed {} ({why}).",
                join_and(&names),
                if docs.len() == 1 {
                    "twice in one reference list"
                } else {
                    "in more than one document"
                }
            ),
            subject,
            docs: docs.iter().map(|d| Text::from(*d)).collect(),
            evidence: rs.iter().map(|r| r.id.clone()).collect(),
            r#where: rs.iter().map(|r| place(doc(r), r.line)).collect(),
        });
    }
}

// ---------------------------------------------------------------- doi_mismatch

/// How a DOI's year relates to the entry's year (data/doi_patterns.tsv).
#[derive(Debug, Clone, Copy, PartialEq)]
enum YearRule {
    None,
    /// The publication year or the year before.
    Lag1,
    /// Never after the publication year.
    NotAfter,
}

/// A publisher's DOI structure.
struct DoiPattern {
    name: String,
    re: PerThread<Regex>,
    year_rule: YearRule,
}

static DOI_PATTERNS: LazyLock<Vec<DoiPattern>> = LazyLock::new(|| {
    rows(include_str!("../../data/doi_patterns.tsv"))
        .filter_map(|r| {
            let (name, re, rule) = (r.first()?, r.get(1)?, r.get(2)?);
            Some(DoiPattern {
                name: name.to_string(),
                // The file is ours and tested; a bad row is skipped, not fatal.
                re: PerThread::of(Regex::new(re).ok()?),
                year_rule: match *rule {
                    "lag1" => YearRule::Lag1,
                    "not_after" => YearRule::NotAfter,
                    _ => YearRule::None,
                },
            })
        })
        .collect()
});

/// MDPI journal codes → title words (data/mdpi_codes.tsv).
static MDPI_CODES: LazyLock<HashMap<String, Vec<String>>> = LazyLock::new(|| {
    rows(include_str!("../../data/mdpi_codes.tsv"))
        .filter_map(|r| Some((r.first()?.to_string(), journal_words(r.get(1)?))))
        .collect()
});

/// A whole number written in a field ("16", "e001715" is not one).
fn int(s: &str) -> Option<i64> {
    let t = s.trim();
    (!t.is_empty() && t.chars().all(|c| c.is_ascii_digit()))
        .then(|| t.parse().ok())
        .flatten()
}

/// The DOI written in an entry that is not a valid DOI ("doi: 10.12/x"),
/// when the extractor could not take one.
fn invalid_doi_text(r: &Reference) -> Option<String> {
    static DOI_LABEL: PerThread<Regex> =
        PerThread::new(|| Regex::new(r"(?i)(?:\bdoi\b\s*:?\s*|(?:dx\.)?doi\.org/)(\S+)").unwrap());
    if !r.doi.is_empty() {
        return r.doi.parse::<Doi>().is_err().then(|| r.doi.to_string());
    }
    let c = DOI_LABEL.captures(&r.raw)?;
    let t = c.get(1)?.as_str().trim_end_matches(['.', ',', ';', ')']);
    if t.is_empty() || t.to_lowercase().starts_with("http") && !t.contains("10.") {
        return None;
    }
    t.parse::<Doi>().is_err().then(|| t.to_string())
}

/// What is wrong between a DOI's structure and its entry, if anything.
fn doi_problems(r: &Reference, doi: &Doi) -> Vec<String> {
    let mut out = Vec::new();
    let d = doi.as_str();
    for p in DOI_PATTERNS.iter() {
        let Some(c) = p.re.captures(d) else {
            continue;
        };
        let get = |n: &str| c.name(n).and_then(|m| m.as_str().parse::<i64>().ok());
        let doi_year = get("year").or_else(|| get("year3").map(|y| 2000 + y));
        if let (Some(dy), Some(y)) = (doi_year, r.year) {
            let bad = match p.year_rule {
                YearRule::None => false,
                YearRule::Lag1 => dy > y || dy < y - 1,
                YearRule::NotAfter => dy > y,
            };
            if bad {
                out.push(format!("the DOI dates from {dy} but the entry says {y}"));
            }
        }
        // MDPI packs volume and issue into two digits each.
        if let (Some(dv), Some(v)) = (get("volume"), int(&r.volume)) {
            if (p.name != "mdpi" || v < 100) && dv != v {
                out.push(format!(
                    "the DOI encodes volume {dv} but the entry says {v}"
                ));
            }
        }
        if let (Some(di), Some(i)) = (get("issue"), int(&r.issue)) {
            if di != i {
                out.push(format!("the DOI encodes issue {di} but the entry says {i}"));
            }
        }
        if let (Some(da), Some(pg)) = (get("article"), int(&r.pages)) {
            if da != pg {
                out.push(format!(
                    "the DOI encodes article {da} but the entry gives {pg}"
                ));
            }
        }
        if let Some(fp) = get("first_page") {
            let first = r.pages.split(['-', '–']).next().and_then(int);
            if let Some(f) = first.filter(|f| *f != fp) {
                out.push(format!(
                    "the DOI encodes first page {fp} but the entry starts at page {f}"
                ));
            }
        }
        if let Some(code) = c.name("code").map(|m| m.as_str()) {
            let jw = journal_words(&r.journal);
            if p.name == "mdpi" && !jw.is_empty() {
                if let Some(title) = MDPI_CODES.get(code) {
                    if !same_journal(title, &jw) {
                        out.push(format!(
                            "the DOI is of the MDPI journal {} but the entry names {}",
                            title.join(" "),
                            r.journal
                        ));
                    }
                }
            }
        }
    }
    out
}

/// DOIs that are not DOIs, or whose publisher structure contradicts the
/// entry's year, volume, issue, pages or journal.
fn doi_mismatches(refs: &[Reference]) -> Vec<Discrepancy> {
    let mut out = Vec::new();
    for r in refs {
        let subject = format!("[{}] in {}", r.ref_no, r.doc);
        let problem = if let Some(bad) = invalid_doi_text(r) {
            Some((
                format!("Entry [{}] of {} gives \"{bad}\" as its DOI, which is not a valid DOI (10.<registrant>/<suffix>).", r.ref_no, r.doc),
                Severity::Warning,
            ))
        } else if let Ok(doi) = r.doi.parse::<Doi>() {
            let ps = doi_problems(r, &doi);
            (!ps.is_empty()).then(|| {
                (
                    format!(
                        "Entry [{}] of {} ({}) has DOI {doi}, and {}.",
                        r.ref_no,
                        r.doc,
                        short_entry(r),
                        join_and(&ps)
                    ),
                    Severity::Warning,
                )
            })
        } else {
            None
        };
        if let Some((detail, severity)) = problem {
            out.push(Discrepancy {
                id: row_id("discrepancies", &["doi_mismatch", &subject]),
                kind: "doi_mismatch".into(),
                severity,
                subject,
                detail,
                docs: vec![r.doc.clone()],
                evidence: vec![r.id.clone()],
                r#where: vec![place(&r.doc, r.line)],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn abbreviations_as_before_the_first_letter_shortcut(
            a in crate::testing::glued(&["J", "j", "N", "a", "t", "l", "Nat", "é", "É", "1", ""], 0..6),
            b in crate::testing::glued(&["J", "N", "a", "t", "i", "o", "n", "l", "Natl", "é", "É"], 0..8),
        ) {
            // the answer without the shortcut: equal, or the full test
            proptest::prop_assert_eq!(word_abbrev(&a, &b), a == b || abbreviates(&a, &b));
            proptest::prop_assert_eq!(word_abbrev(&b, &a), a == b || abbreviates(&b, &a));
        }
    }

    #[test]
    fn gated_cues_find_what_every_cue_finds() {
        let texts = crate::testing::written_and_source_lines(&[
            "Zoals blijkt uit (Smith et al., 2020) en (2019b).",
            "Een review uit mei 2022 toonde dit aan; a study from 2019 did not.",
            "Het artikel werd gepubliceerd in maart 2021, published early 2018.",
            "A 2022 meta-analysis and het 2015 onderzoek; the VITAL trial, de studie PREVEND.",
            "The Rotterdam Study (2004) en de PREVEND-studie; 2000 IE per dag (2020 patients).",
            "Een REVIEW van 2016, een Studie uit 2017, ſtudy from 2014, TRIAL van 2013.",
        ]);
        let (mut years, mut trials) = (0, 0);
        for t in &texts {
            let y = year_cues(t, true);
            assert_eq!(y, year_cues(t, false), "{t}");
            let tr = trial_cues(t, true);
            assert_eq!(tr, trial_cues(t, false), "{t}");
            years += y.len();
            trials += tr.len();
        }
        assert!(years >= 10 && trials >= 3, "{years} years, {trials} trials");
    }

    fn rf(doc: &str, no: i64, author: &str, year: i64, title: &str, journal: &str) -> Reference {
        Reference {
            id: format!("{doc}-r{no}").into(),
            doc: doc.into(),
            line: 100 + no as usize,
            ref_no: no,
            raw: format!("[{no}] {author} ({year}). {title}. {journal}."),
            authors: vec![author.into()],
            year: Some(year),
            title: title.into(),
            journal: journal.into(),
            ..Default::default()
        }
    }

    #[test]
    fn entries_linked_by_doi_or_author_year_are_routed_to_one_group() {
        // a shares its DOI with c and its author-year with b; c shares its
        // author-year with d: one chain, whatever link each entry is routed by
        let doi = |mut r: Reference, d: &str| {
            r.doi = d.into();
            r
        };
        let refs = vec![
            doi(
                rf(
                    "a",
                    1,
                    "Smith, J",
                    2020,
                    "Menaquinone-7 and bone",
                    "Nutrients",
                ),
                "10.3390/nu1",
            ),
            rf("b", 1, "Smith, J", 2020, "MK-7 and bone loss", "Nutrients"),
            doi(
                rf("c", 1, "Jones, K", 2019, "Vitamin K2 in bone", "Bone"),
                "10.3390/nu1",
            ),
            doi(
                rf("d", 1, "Jones, K", 2019, "Vitamin K2 and arteries", "Bone"),
                "10.1016/b.2",
            ),
            doi(
                rf("e", 1, "Brown, L", 2018, "Vitamin D3 dosing", "BMJ"),
                "10.1136/bmj.3",
            ),
            rf("f", 1, "Brown, L", 2017, "Vitamin D3 in winter", "BMJ"),
            Reference {
                authors: vec![],
                year: None,
                ..rf("g", 1, "", 2000, "Untitled", "")
            },
        ];
        // one set of keys per document, as a run scans them
        let keys: Vec<CorpusKeys> = refs
            .into_iter()
            .map(|r| {
                CorpusKeys::of(&crate::model::Extracted {
                    references: vec![r],
                    ..Default::default()
                })
            })
            .collect();
        let mut groups = RefGroups::default();
        keys.iter().for_each(|k| groups.add(k));
        let routes = groups.finish();
        let r: Vec<Option<u64>> = keys.iter().map(|k| routes.route(k, 0)).collect();
        assert!(r[..6].iter().all(Option::is_some));
        assert!(r[1..4].iter().all(|g| *g == r[0]), "{r:?}");
        assert_ne!(r[4], r[0]);
        assert_ne!(r[5], r[4], "another year is another group");
        assert_eq!(r[6], None, "no DOI, no author and year: never a duplicate");
    }

    fn ct(doc: &str, line: usize, no: i64, span: &str) -> Citation {
        Citation {
            id: format!("{doc}-c{line}-{no}").into(),
            doc: doc.into(),
            line,
            offset: span.len(),
            marker: format!("[{no}]").into(),
            ref_no: no,
            context: span.into(),
            span: span.into(),
            ..Default::default()
        }
    }

    fn kinds<'a>(d: &'a [Discrepancy], kind: &str) -> Vec<&'a str> {
        d.iter()
            .filter(|x| x.kind == kind)
            .map(|x| x.subject.as_str())
            .collect()
    }

    fn list() -> Vec<Reference> {
        vec![
            rf(
                "a",
                1,
                "Huang, ZB",
                2020,
                "Combined effect of vitamin K and D on bone",
                "Food Funct",
            ),
            rf(
                "a",
                2,
                "Je, SH",
                2011,
                "Vitamin K supplement in Korean women",
                "J Korean Med Sci",
            ),
            rf(
                "a",
                3,
                "Aranow, C",
                2023,
                "Immunomodulatory actions of vitamin D",
                "Front Immunol",
            ),
            rf(
                "a",
                4,
                "Simon, LS",
                2022,
                "Vitamin D and autoimmune disease in the VITAL trial",
                "Arthritis Rheumatol",
            ),
            rf(
                "a",
                5,
                "Peng, L",
                2024,
                "Vitamin D and muscle strength",
                "Front Nutr",
            ),
        ]
    }

    #[test]
    fn dangling_markers_but_not_listed_ones() {
        let refs = list();
        let cits = vec![ct("a", 1, 1, "x"), ct("a", 2, 9, "y"), ct("a", 5, 9, "z")];
        let d = audit_citations(&refs, &cits);
        assert_eq!(kinds(&d, "dangling_citation"), ["[9] in a"]);
        let dc = d.iter().find(|x| x.kind == "dangling_citation").unwrap();
        assert_eq!(dc.severity, Severity::Error);
        assert_eq!(dc.r#where, ["a:2", "a:5"], "one finding, every line");
        assert!(dc.detail.contains("entries 1-5"), "{}", dc.detail);
    }

    #[test]
    fn unused_only_in_documents_that_use_markers() {
        let mut refs = list();
        refs.push(rf(
            "b",
            1,
            "Zhang, T",
            2024,
            "Vitamin K2 in health",
            "Foods",
        ));
        let cits: Vec<Citation> = [1, 2, 3, 5].iter().map(|&n| ct("a", 1, n, "")).collect();
        let d = audit_citations(&refs, &cits);
        assert_eq!(kinds(&d, "unused_reference"), ["[4] in a"]);
    }

    #[test]
    fn malformed_marker_once_per_marker() {
        let mut c = ct("a", 3, 1, "x");
        c.marker = "[1]1}".into();
        c.malformed = true;
        let d = audit_citations(&list(), &[c, ct("a", 4, 2, "y")]);
        assert_eq!(kinds(&d, "malformed_marker"), ["[1]1} in a line 3"]);
    }

    fn mismatch(span: &str, no: i64) -> Vec<Discrepancy> {
        let d = audit_citations(&list(), &[ct("a", 7, no, span)]);
        d.into_iter()
            .filter(|x| x.kind == "citation_mismatch")
            .collect()
    }

    #[test]
    fn named_journal_and_year_contradict_the_entry() {
        let d = mismatch(
            "Een systematische review in het tijdschrift Food & Function (2020) analyseerde acht studies. De auteurs rapporteerden een effect",
            2,
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].subject, "[2] in a");
        assert!(d[0].detail.contains("Food & Function"), "{}", d[0].detail);
        assert!(d[0].detail.contains("entry [1]"), "{}", d[0].detail);
        assert_eq!(d[0].r#where, ["a:7", "a:102", "a:101"]);
    }

    #[test]
    fn the_entrys_own_journal_is_no_mismatch() {
        // Full title in the text, abbreviation in the list.
        assert!(mismatch("Een review van Frontiers in Immunology legt uit dat", 3).is_empty());
        assert!(mismatch(
            "A paper in the Journal of Korean Medical Science (2011) found",
            2
        )
        .is_empty());
        // A longer title that merely contains a listed one is another journal,
        // and not a contradiction we can state.
        assert!(mismatch("Nutrients from Food Science and Function Reports", 2).is_empty());
    }

    #[test]
    fn years_of_publication_not_doses_or_events() {
        let d = mismatch("A 2022 meta-analysis of trials found", 5);
        assert_eq!(d.len(), 1);
        assert!(d[0].detail.contains("2022") && d[0].detail.contains("entry [4]"));
        assert_eq!(
            mismatch(
                "Een klinisch onderzoek gepubliceerd in mei 2021 onderzocht",
                3
            )
            .len(),
            1
        );
        assert!(mismatch(
            "Een klinisch onderzoek gepubliceerd in mei 2024 onderzocht",
            5
        )
        .is_empty());
        assert!(mismatch("Een dagelijks supplement (2000 IE) werd gebruikt", 5).is_empty());
        assert!(mismatch(
            "In 2015 the guidelines changed; a study with 2019 participants",
            5
        )
        .is_empty());
    }

    #[test]
    fn only_the_text_about_the_cited_work_counts() {
        // The 2019 study is another work than the review the marker cites.
        assert!(mismatch("A 2019 study found X. Another review showed Y", 5).is_empty());
        assert_eq!(
            claim_text("Intro. Een review uit 2020 vond X. De auteurs zagen Y"),
            "Een review uit 2020 vond X. De auteurs zagen Y"
        );
        assert_eq!(
            claim_text("No work is introduced here. Plain"),
            "No work is introduced here. Plain"
        );
        assert!(mismatch("Een studie van 2015 tot 2018 volgde vrouwen", 5).is_empty());
    }

    #[test]
    fn named_trials_must_be_in_the_entry() {
        let d = mismatch("In een grote gerandomiseerde studie (VITAL trial) werd", 5);
        assert_eq!(d.len(), 1);
        assert!(d[0].detail.contains("VITAL") && d[0].detail.contains("entry [4]"));
        assert!(mismatch("the VITAL trial showed", 4).is_empty());
        assert!(
            mismatch("An RCT study showed", 5).is_empty(),
            "RCT is a design"
        );
    }

    #[test]
    fn markers_cited_together_share_their_evidence() {
        let cits = [
            ct("a", 7, 1, "A review in Front Immunol"),
            ct("a", 7, 3, "A review in Front Immunol"),
        ];
        let d = audit_citations(&list(), &cits);
        assert!(kinds(&d, "citation_mismatch").is_empty());
    }

    #[test]
    fn one_word_journals_need_a_cue() {
        let mut refs = list();
        refs.push(rf("a", 6, "Tayel, S", 2024, "Vitamin D and K", "Nutrients"));
        let flagged = |span: &str, no: i64| {
            let d = audit_citations(&refs, &[ct("a", 7, no, span)]);
            !kinds(&d, "citation_mismatch").is_empty()
        };
        assert!(flagged("A trial published in Nutrients showed", 5));
        assert!(!flagged("Nutrients such as calcium help", 5));
        assert!(!flagged("foods rich in nutrients help", 5));
        assert!(!flagged("A trial published in Nutrients showed", 6));
    }

    #[test]
    fn title_jaccard_is_the_word_set_jaccard() {
        let set = |s: &str| -> BTreeSet<Text> { title_words(s).iter().cloned().collect() };
        for (a, b) in [
            ("Vitamin K2 and bone health", "Bone health and vitamin K2"),
            (
                "Menaquinone-7 in the elderly",
                "Menaquinone-7 supplementation in elderly women",
            ),
            ("Natto natto natto", "natto"),
            ("", "A b"),
        ] {
            let (sa, sb) = (set(a), set(b));
            let union = sa.union(&sb).count();
            let want = if union == 0 {
                0.0
            } else {
                sa.intersection(&sb).count() as f64 / union as f64
            };
            assert_eq!(jaccard(&title_words(a), &title_words(b)), want, "{a} / {b}");
        }
        assert_eq!(
            jaccard(
                &title_words("Bone health and vitamin K2"),
                &title_words("vitamin K2 and bone health")
            ),
            1.0
        );
    }

    #[test]
    fn duplicates_by_doi_or_author_year_title_not_by_author_alone() {
        let mut r1 = rf(
            "a",
            1,
            "Rønn, SH",
            2021,
            "The effect of vitamin MK-7 on bone mineral density",
            "Osteoporos Int",
        );
        r1.doi = "10.1007/s00198-020-05638-z".into();
        let mut r2 = rf(
            "b",
            4,
            "Ronn, S",
            2021,
            "Effect of MK-7 on bone",
            "Osteoporosis International",
        );
        r2.doi = "https://doi.org/10.1007/S00198-020-05638-Z".into();
        let r3 = rf(
            "a",
            2,
            "Hall, P",
            2019,
            "Vitamin K2 and vascular calcification in kidney disease",
            "J X",
        );
        let r4 = rf(
            "a",
            3,
            "Hall, P",
            2019,
            "Vitamin K2 and vascular calcification in kidney disease.",
            "J X",
        );
        let r5 = rf(
            "a",
            4,
            "Roumeliotis, S",
            2025,
            "The role of vitamin K2 in cognitive impairment",
            "Front Aging Neurosci",
        );
        let r6 = rf(
            "a",
            5,
            "Roumeliotis, S",
            2022,
            "Vitamin K supplementation in chronic kidney disease",
            "Curr Vasc Pharmacol",
        );
        let r7 = rf(
            "a",
            6,
            "Roumeliotis, S",
            2022,
            "Inactive Matrix Gla protein and mortality in dialysis",
            "Int J Mol Sci",
        );
        let d = audit_across_lists(&CorpusKeys::of(&crate::model::Extracted {
            references: vec![r1, r2, r3, r4, r5, r6, r7],
            ..Default::default()
        }));
        assert_eq!(d.len(), 2, "{d:#?}");
        let across = d.iter().find(|x| x.docs.len() == 2).unwrap();
        assert_eq!(across.severity, Severity::Info);
        assert!(across.detail.contains("DOI"));
        let within = d.iter().find(|x| x.docs.len() == 1).unwrap();
        assert_eq!(within.severity, Severity::Warning);
        assert!(!d.iter().any(|x| x.subject.contains("Roumeliotis")));
    }

    fn with_doi(
        doi: &str,
        year: i64,
        vol: &str,
        issue: &str,
        pages: &str,
        journal: &str,
    ) -> Reference {
        Reference {
            doi: doi.into(),
            volume: vol.into(),
            issue: issue.into(),
            pages: pages.into(),
            ..rf("a", 1, "X, Y", year, "A title of a paper", journal)
        }
    }

    fn doi_flags(r: Reference) -> Vec<String> {
        doi_mismatches(&[r]).into_iter().map(|d| d.detail).collect()
    }

    #[test]
    fn doi_structure_against_the_entry() {
        // MDPI: "1-20" is sloppy, not a contradiction; volume 15 is.
        assert!(doi_flags(with_doi(
            "10.3390/nu16020549",
            2024,
            "16",
            "2",
            "1-20",
            "Nutrients"
        ))
        .is_empty());
        assert!(doi_flags(with_doi(
            "10.3390/nu16020549",
            2024,
            "16",
            "2",
            "549",
            "Nutrients"
        ))
        .is_empty());
        let f = doi_flags(with_doi(
            "10.3390/nu16020549",
            2024,
            "15",
            "2",
            "549",
            "Nutrients",
        ));
        assert!(f.len() == 1 && f[0].contains("volume 16"), "{f:?}");
        assert_eq!(
            doi_flags(with_doi(
                "10.3390/nu16020549",
                2024,
                "16",
                "3",
                "",
                "Nutrients"
            ))
            .len(),
            1
        );
        assert_eq!(
            doi_flags(with_doi(
                "10.3390/ijms20030628",
                2019,
                "20",
                "3",
                "628",
                "Nutrients"
            ))
            .len(),
            1
        );
        // Frontiers: the DOI year is the publication year or the one before.
        assert!(doi_flags(with_doi(
            "10.3389/fnagi.2024.1527535",
            2025,
            "16",
            "",
            "1527535",
            ""
        ))
        .is_empty());
        assert_eq!(
            doi_flags(with_doi(
                "10.3389/fpubh.2022.979649",
                2024,
                "10",
                "",
                "979649",
                ""
            ))
            .len(),
            1
        );
        assert_eq!(
            doi_flags(with_doi(
                "10.3389/fpubh.2022.979649",
                2022,
                "10",
                "",
                "979650",
                ""
            ))
            .len(),
            1
        );
        // Springer: registered online first, so it may be older, never newer.
        assert!(doi_flags(with_doi(
            "10.1007/s00198-020-05638-z",
            2021,
            "32",
            "1",
            "185-191",
            ""
        ))
        .is_empty());
        assert_eq!(
            doi_flags(with_doi(
                "10.1007/s00198-022-05638-z",
                2021,
                "32",
                "1",
                "185-191",
                ""
            ))
            .len(),
            1
        );
        // KAMS encodes volume, issue and first page.
        assert!(doi_flags(with_doi(
            "10.3346/jkms.2011.26.8.1093",
            2011,
            "26",
            "8",
            "1093-1098",
            ""
        ))
        .is_empty());
        assert_eq!(
            doi_flags(with_doi(
                "10.3346/jkms.2011.26.8.1093",
                2011,
                "26",
                "8",
                "1193-1198",
                ""
            ))
            .len(),
            1
        );
        // Publishers without a certain structure are left alone.
        assert!(doi_flags(with_doi("10.1002/art.41991", 1999, "74", "12", "1-2", "")).is_empty());
    }

    #[test]
    fn invalid_doi_text() {
        let mut r = rf("a", 1, "X, Y", 2020, "T", "J");
        r.raw.push_str(" DOI: 10.12/abc.");
        assert_eq!(doi_flags(r.clone()).len(), 1);
        r.raw = "[1] X (2020). T. J. DOI: 10.1234/abc.".into();
        r.doi = "10.1234/abc".into();
        assert!(doi_flags(r).is_empty());
    }

    #[test]
    fn doi_patterns_file_compiles_entirely() {
        let rows = rows(include_str!("../../data/doi_patterns.tsv")).count();
        assert_eq!(DOI_PATTERNS.len(), rows);
        assert!(!MDPI_CODES.is_empty() && !JOURNALS.is_empty());
    }

    #[test]
    fn journal_title_matching() {
        let w = |s: &str| journal_words(s);
        assert!(words_match(
            &w("Journal of Korean Medical Science"),
            &w("J Korean Med Sci")
        ));
        assert!(words_match(&w("Food and function"), &w("Food & Function")));
        assert!(words_match(&w("The Lancet"), &w("Lancet")));
        assert!(words_match(&w("Healthcare (Basel)"), &w("Healthcare")));
        assert!(!words_match(&w("Scientific Reports"), &w("Sci Res")));
        assert!(!words_match(
            &w("Frontiers in Nutrition"),
            &w("Frontiers in Immunology")
        ));
        assert!(same_journal(
            &w("JAMA"),
            &w("Journal of the American Medical Association")
        ));
    }
}
