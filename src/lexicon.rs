//! Curated knowledge, kept as small TSV files under `data/` so that a curator can
//! extend it without touching Rust: unit spellings, qualifier words, nutrient and
//! vitamin K form names, food names with their synonyms, basis units and the gram
//! weights of household measures (each with its source).
//!
//! The files are embedded at compile time (`include_str!`), parsed once, and
//! turned into regular expressions where text has to be searched. Lines starting
//! with `#` are comments; columns are tab-separated.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use regex::Regex;

use crate::model::Qualifier;
use crate::per_thread::PerThread;
use crate::words::WholeWord;

const UNITS: &str = include_str!("../data/units.tsv");
const QUALIFIERS: &str = include_str!("../data/qualifiers.tsv");
const NUTRIENTS: &str = include_str!("../data/nutrients.tsv");
const FORMS: &str = include_str!("../data/forms.tsv");
const FOODS: &str = include_str!("../data/foods.tsv");
const BASIS_UNITS: &str = include_str!("../data/basis_units.tsv");
const MEASURES: &str = include_str!("../data/household_measures.tsv");
const INDICATIONS: &str = include_str!("../data/indications.tsv");
const POPULATIONS: &str = include_str!("../data/populations.tsv");

/// Data rows of an embedded TSV file: non-empty, non-comment lines split on tabs.
pub fn rows(tsv: &str) -> impl Iterator<Item = Vec<&str>> {
    tsv.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::trim).collect())
}

/// Alternation of literal phrases, longest first so that the regex prefers
/// "microgrammen" over "microgram".
pub fn alternation<'a>(phrases: impl IntoIterator<Item = &'a str>) -> String {
    let mut v: Vec<&str> = phrases.into_iter().collect();
    v.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    v.dedup();
    v.iter()
        .map(|p| regex::escape(p))
        .collect::<Vec<_>>()
        .join("|")
}

/// A unit spelling and whether it must match case-sensitively ("g", "ie").
#[derive(Debug, Clone)]
pub struct UnitSpelling {
    pub spelling: &'static str,
    pub canonical: &'static str,
    pub case_sensitive: bool,
}

pub static UNIT_SPELLINGS: LazyLock<Vec<UnitSpelling>> = LazyLock::new(|| {
    rows(UNITS)
        .filter(|r| r.len() >= 2)
        .map(|r| UnitSpelling {
            spelling: r[0],
            canonical: r[1],
            case_sensitive: r.get(2).is_some_and(|c| *c == "yes"),
        })
        .collect()
});

/// Canonical unit for a spelling as written (exact, then case-insensitive).
pub fn unit_canonical(spelling: &str) -> Option<&'static str> {
    let s = spelling.trim();
    UNIT_SPELLINGS
        .iter()
        .find(|u| u.spelling == s)
        .or_else(|| {
            UNIT_SPELLINGS
                .iter()
                .find(|u| !u.case_sensitive && u.spelling.eq_ignore_ascii_case(s))
        })
        .map(|u| u.canonical)
}

/// Regex fragment matching any unit spelling (case rules honoured).
pub static UNIT_PATTERN: LazyLock<String> = LazyLock::new(|| {
    let ci = alternation(
        UNIT_SPELLINGS
            .iter()
            .filter(|u| !u.case_sensitive)
            .map(|u| u.spelling),
    );
    let cs = alternation(
        UNIT_SPELLINGS
            .iter()
            .filter(|u| u.case_sensitive)
            .map(|u| u.spelling),
    );
    format!("(?i:{ci})|{cs}")
});

/// Qualifier phrases (lower case) with their code, longest first.
pub static QUALIFIER_PHRASES: LazyLock<Vec<(&'static str, Qualifier)>> = LazyLock::new(|| {
    let mut v: Vec<(&str, Qualifier)> = rows(QUALIFIERS)
        .filter(|r| r.len() >= 2)
        .filter_map(|r| Qualifier::from_code(r[1]).map(|q| (r[0], q)))
        .collect();
    v.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
    v
});

/// A compiled name pattern with what it stands for.
#[derive(Debug)]
pub struct NamePattern {
    pub regex: PerThread<Regex>,
    pub value: &'static str,
}

fn compile_names(tsv: &'static str) -> Vec<NamePattern> {
    rows(tsv)
        .filter(|r| r.len() >= 2)
        .filter_map(|r| {
            Regex::new(&format!(r"(?i)^(?:{})$", r[0]))
                .ok()
                .map(|regex| NamePattern {
                    regex: PerThread::of(regex),
                    value: r[1],
                })
        })
        .collect()
}

/// Nutrient name patterns, in file order (more specific first).
pub static NUTRIENT_NAMES: LazyLock<Vec<NamePattern>> = LazyLock::new(|| compile_names(NUTRIENTS));

/// One search finding any nutrient name as a whole word.
pub static NUTRIENT_FINDER: LazyLock<WholeWord> = LazyLock::new(|| {
    let alts: Vec<&str> = rows(NUTRIENTS).filter_map(|r| r.first().copied()).collect();
    WholeWord::new("(?i)", &alts.join("|"), &[])
        .expect("nutrient patterns from data/nutrients.tsv compile")
});

/// Canonical nutrient for a name as matched by [`NUTRIENT_FINDER`].
pub fn nutrient_canonical(name: &str) -> Option<&'static str> {
    let n = name.trim();
    NUTRIENT_NAMES
        .iter()
        .find(|p| p.regex.is_match(n))
        .map(|p| p.value)
}

/// Vitamin K form patterns (see `data/forms.tsv`).
pub static FORM_NAMES: LazyLock<Vec<NamePattern>> = LazyLock::new(|| compile_names(FORMS));

/// Patterns of the form file, unanchored, for searching.
pub static FORM_SOURCES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| rows(FORMS).filter_map(|r| r.first().copied()).collect());

/// A food name entry.
#[derive(Debug, Clone)]
pub struct Food {
    pub canonical: &'static str,
    /// A category whose examples may follow ("aged cheeses (Gouda, Edam)").
    pub group: bool,
}

/// Names of single foods (not groups) as written in `data/foods.tsv`, in file order.
pub static FOOD_NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    rows(FOODS)
        .filter(|r| r.get(2).copied() == Some("food"))
        .filter_map(|r| r.first().copied())
        .collect()
});

/// Food synonyms (lower case) → entry.
pub static FOODS_BY_NAME: LazyLock<HashMap<String, Food>> = LazyLock::new(|| {
    rows(FOODS)
        .filter(|r| r.len() >= 2)
        .map(|r| {
            (
                r[0].to_lowercase(),
                Food {
                    canonical: r[1],
                    group: r.get(2).is_some_and(|k| *k == "group"),
                },
            )
        })
        .collect()
});

/// One search finding any food name as whole words (case-insensitive; not
/// right after a hyphen).
pub static FOOD_FINDER: LazyLock<WholeWord> = LazyLock::new(|| {
    let names: Vec<&str> = rows(FOODS).filter_map(|r| r.first().copied()).collect();
    WholeWord::new("(?i)", &alternation(names), &['-'])
        .expect("food names from data/foods.tsv compile")
});

/// A basis unit spelling.
#[derive(Debug, Clone, Copy)]
pub struct BasisUnitInfo {
    pub unit: &'static str,
    /// Multiply the stated amount by this to express it in `unit`.
    pub scale: f64,
    /// Grams in one `unit`, for mass units.
    pub grams: Option<f64>,
}

pub static BASIS_UNITS_BY_SPELLING: LazyLock<HashMap<String, BasisUnitInfo>> =
    LazyLock::new(|| {
        rows(BASIS_UNITS)
            .filter(|r| r.len() >= 2)
            .map(|r| {
                (
                    r[0].to_lowercase(),
                    BasisUnitInfo {
                        unit: r[1],
                        scale: r.get(2).and_then(|s| s.parse().ok()).unwrap_or(1.0),
                        grams: r.get(3).and_then(|s| s.parse().ok()),
                    },
                )
            })
            .collect()
    });

/// Regex fragment of every basis unit spelling.
pub static BASIS_UNIT_PATTERN: LazyLock<String> =
    LazyLock::new(|| alternation(rows(BASIS_UNITS).filter_map(|r| r.first().copied())));

/// Look up a basis unit spelling (case-insensitive).
pub fn basis_unit(spelling: &str) -> Option<BasisUnitInfo> {
    BASIS_UNITS_BY_SPELLING
        .get(&spelling.trim().to_lowercase())
        .copied()
}

/// A household measure's weight with its source.
#[derive(Debug, Clone)]
pub struct Measure {
    pub grams: f64,
    pub source: &'static str,
}

pub static MEASURES_BY_FOOD: LazyLock<HashMap<(String, String), Measure>> = LazyLock::new(|| {
    rows(MEASURES)
        .filter(|r| r.len() >= 4)
        .filter_map(|r| {
            let grams: f64 = r[2].parse().ok()?;
            Some((
                (r[0].to_string(), r[1].to_string()),
                Measure {
                    grams,
                    source: r[3],
                },
            ))
        })
        .collect()
});

/// Weight of one `measure` of `food` (canonical names), if the measures table has it.
pub fn measure_grams(food: &str, measure: &str) -> Option<&'static Measure> {
    MEASURES_BY_FOOD.get(&(food.to_string(), measure.to_string()))
}

/// What a lexicon phrase says about a dose: a health purpose or condition, or
/// only the kind of statement (maintenance, study, supplementation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhraseClass {
    Condition,
    Context,
}

/// A phrase pattern of a lexicon file with its canonical value, searched as
/// a whole word ([`WholeWord`]).
///
/// Its search is compiled on first use, not when the lexicon loads: a phrase
/// regex with its Unicode word boundaries costs ~0.2 MiB and ~2 ms to build,
/// and a corpus needs only some of the ~145 phrases (the five sources of
/// `raw/` 66, a 20 MB bench corpus 72), so compiling all of them up front made
/// a small run spend most of its time and memory on phrases it never searched
/// for. The source is checked at load (`regex_syntax`), so a pattern that
/// cannot be parsed is left out of the lexicon as before.
#[derive(Debug)]
pub struct PhrasePattern {
    /// The pattern as written in the file.
    pattern: &'static str,
    word: OnceLock<Option<WholeWord>>,
    pub canonical: &'static str,
    pub class: PhraseClass,
}

impl PhrasePattern {
    /// The whole-word search of the pattern. `None` only if it exceeds the
    /// regex size limit (then it never matches).
    pub fn word(&self) -> Option<&WholeWord> {
        self.word
            .get_or_init(|| WholeWord::new("(?i)", self.pattern, &[]).ok())
            .as_ref()
    }
}

/// A phrase found in text: byte range, the text as written and its entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PhraseHit {
    pub start: usize,
    pub end: usize,
    pub raw: String,
    pub canonical: &'static str,
    pub class: PhraseClass,
}

/// The patterns of one phrase file, plus one regex that matches where any of
/// them does. Most texts a lexicon is asked about hold none of its phrases;
/// the combined regex answers that in one scan (it stops at the first hit)
/// instead of one scan per pattern (about 120 for the indications), and only
/// texts that pass it are searched pattern by pattern, which keeps the
/// file-order rule exact. (A `RegexSet` telling which patterns occur was
/// measured slower: it must scan to the end with every pattern live.)
#[derive(Debug)]
pub struct PhraseLexicon {
    pub patterns: Vec<PhrasePattern>,
    any: Option<PerThread<Regex>>,
    /// The patterns' boundary-free forms (`inner`) as one set: for a text that
    /// passes `any`, one scan tells which patterns can match at all, and only
    /// those are searched (a pattern's match always holds a match of its inner
    /// form, so skipping the others is exact). `None` when the set is too
    /// large to compile: then every pattern is tried.
    live: Option<PerThread<regex::RegexSet>>,
}

impl std::ops::Deref for PhraseLexicon {
    type Target = [PhrasePattern];
    fn deref(&self) -> &[PhrasePattern] {
        &self.patterns
    }
}

/// Word boundary as the phrase files mean it: not a letter or digit.
const PHRASE_OPEN: &str = r"(?i)(?:^|[^\p{L}\p{N}])";
const PHRASE_CLOSE: &str = r"(?:$|[^\p{L}\p{N}])";

/// Whether a phrase pattern makes a valid regex between the word boundaries
/// (`PHRASE_OPEN (pattern) PHRASE_CLOSE`). Checked in two parts because the
/// whole would be translated with the boundary classes case-folded, once per
/// pattern (the larger part of compiling a lexicon): the syntax of the whole,
/// and the translation of the pattern under the same flags; the boundaries
/// themselves always translate. The tests compare this with the whole.
fn phrase_compiles(pattern: &str) -> bool {
    let plain = format!("{PHRASE_OPEN}({pattern}){PHRASE_CLOSE}");
    regex_syntax::ast::parse::Parser::new()
        .parse(&plain)
        .is_ok()
        && regex_syntax::Parser::new()
            .parse(&format!("(?i)(?:{pattern})"))
            .is_ok()
}

/// Compile a phrase file (`pattern`, `canonical`, optional `class`). Each pattern
/// must start and end at a word boundary, so "men" does not match in "women".
fn compile_phrases(tsv: &'static str) -> PhraseLexicon {
    let mut sources = Vec::new();
    let patterns: Vec<PhrasePattern> = rows(tsv)
        .filter(|r| r.len() >= 2)
        .filter_map(|r| {
            if !phrase_compiles(r[0]) {
                return None;
            }
            sources.push(format!("(?:{})", r[0]));
            let class = match r.get(2).copied() {
                Some("context") => PhraseClass::Context,
                _ => PhraseClass::Condition,
            };
            Some(PhrasePattern {
                pattern: r[0],
                word: OnceLock::new(),
                canonical: r[1],
                class,
            })
        })
        .collect();
    // Without the combined regex (too large to compile) every text is searched
    // pattern by pattern: slower, same result.
    // Without the word boundaries: a superset test (every match holds a
    // match of the bare phrase), and one the regex engine can run on its
    // literal prefilter instead of stepping a DFA through every byte.
    let any = regex::RegexBuilder::new(&format!("(?i)(?:{})", sources.join("|")))
        .size_limit(64 << 20)
        .build()
        .ok()
        .map(PerThread::of);
    let live = regex::RegexSetBuilder::new(patterns.iter().map(|p| format!("(?i){}", p.pattern)))
        .size_limit(64 << 20)
        .build()
        .ok()
        .map(PerThread::of);
    PhraseLexicon {
        patterns,
        any,
        live,
    }
}

/// Every phrase of `lexicon` in `text`, in text order, without overlaps: where
/// matches overlap the earlier one wins, and at one position the pattern that
/// comes first in the file (files list the specific phrases first).
pub fn find_phrases(lexicon: &PhraseLexicon, text: &str) -> Vec<PhraseHit> {
    search_phrases(lexicon, text, true)
}

/// [`find_phrases`], with or without the prefilters (without: every pattern
/// scanned from the start of the text, the plain search the prefilters must
/// agree with; see the tests).
fn search_phrases(lexicon: &PhraseLexicon, text: &str, prefilter: bool) -> Vec<PhraseHit> {
    if prefilter && lexicon.any.as_ref().is_some_and(|any| !any.is_match(text)) {
        return Vec::new();
    }
    let live = lexicon
        .live
        .as_ref()
        .filter(|_| prefilter)
        .map(|set| set.matches(text));
    let mut all: Vec<(usize, usize, usize)> = Vec::new();
    for (i, p) in lexicon.iter().enumerate() {
        if live.as_ref().is_some_and(|l| !l.matched(i)) {
            continue;
        }
        let Some(word) = p.word() else { continue };
        let mut pos = 0;
        while pos < text.len() {
            let found = if prefilter {
                word.find_at(text, pos)
            } else {
                word.find_at_plain(text, pos)
            };
            let Some(m) = found else { break };
            if m.end > m.start {
                all.push((m.start, m.end, i));
            }
            pos = m.end.max(m.start + 1);
            while pos < text.len() && !text.is_char_boundary(pos) {
                pos += 1;
            }
        }
    }
    all.sort_by_key(|&(s, _, i)| (s, i));
    let mut out: Vec<PhraseHit> = Vec::new();
    let mut covered = 0;
    for (s, e, i) in all {
        if s < covered {
            continue;
        }
        let (Some(p), Some(raw)) = (lexicon.get(i), text.get(s..e)) else {
            continue;
        };
        out.push(PhraseHit {
            start: s,
            end: e,
            raw: raw.to_string(),
            canonical: p.canonical,
            class: p.class,
        });
        covered = e;
    }
    out
}

/// Indication phrases (`data/indications.tsv`): what a dose is for.
pub static INDICATION_PHRASES: LazyLock<PhraseLexicon> =
    LazyLock::new(|| compile_phrases(INDICATIONS));

/// Population phrases (`data/populations.tsv`): who a dose is for.
pub static POPULATION_PHRASES: LazyLock<PhraseLexicon> =
    LazyLock::new(|| compile_phrases(POPULATIONS));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrase_check_in_parts_agrees_with_the_whole() {
        let whole = |p: &str| {
            regex_syntax::Parser::new()
                .parse(&format!("{PHRASE_OPEN}({p}){PHRASE_CLOSE}"))
                .is_ok()
        };
        let mut patterns: Vec<&str> = vec![
            "(",
            ")",
            "a)",
            "a)|(b",
            "a)(b",
            r"\p{Foo}",
            r"\p{L}+",
            "[z-a]",
            "a{2,1}",
            "(?P<x>a)(?P<x>b)",
            "\\",
            "a|",
            "*a",
            r"beenkramp\w*",
            "(?-i:K2)",
            "(?x) a b",
            r"(?i)\bvit",
            "[",
            r"a\",
            "(?<n>x)",
            r"\k",
            "x{99999}",
            r"(?-u:\xff)",
        ];
        for tsv in [INDICATIONS, POPULATIONS] {
            patterns.extend(rows(tsv).filter(|r| r.len() >= 2).map(|r| r[0]));
        }
        let mut valid = 0;
        for p in patterns {
            assert_eq!(phrase_compiles(p), whole(p), "{p}");
            valid += usize::from(whole(p));
        }
        assert!(valid > 50);
    }

    #[test]
    fn every_data_file_parses() {
        assert!(UNIT_SPELLINGS.len() > 20);
        assert!(QUALIFIER_PHRASES.len() > 20);
        assert!(NUTRIENT_NAMES.len() > 20);
        assert!(FORM_NAMES.len() > 5);
        assert!(FOODS_BY_NAME.len() > 50);
        assert!(BASIS_UNITS_BY_SPELLING.len() > 30);
        assert!(!MEASURES_BY_FOOD.is_empty());
        assert_eq!(
            rows(INDICATIONS).count(),
            INDICATION_PHRASES.len(),
            "an indication pattern failed to compile"
        );
        assert_eq!(
            rows(POPULATIONS).count(),
            POPULATION_PHRASES.len(),
            "a population pattern failed to compile"
        );
        assert!(INDICATION_PHRASES.any.is_some() && POPULATION_PHRASES.any.is_some());
        assert!(INDICATION_PHRASES.live.is_some() && POPULATION_PHRASES.live.is_some());
        // compiled lazily at run time: make sure each of them does compile
        for p in INDICATION_PHRASES.iter().chain(POPULATION_PHRASES.iter()) {
            let word = p.word();
            assert!(word.is_some(), "{} does not compile", p.pattern);
            assert!(
                word.is_some_and(|w| w.plain().is_some()),
                "{} does not compile with its boundaries",
                p.pattern
            );
        }
        assert_eq!(
            rows(NUTRIENTS).count(),
            NUTRIENT_NAMES.len(),
            "a nutrient pattern failed to compile"
        );
        assert_eq!(
            rows(FORMS).count(),
            FORM_NAMES.len(),
            "a form pattern failed to compile"
        );
    }

    #[test]
    fn units_and_nutrients() {
        assert_eq!(unit_canonical("µg"), Some("ug"));
        assert_eq!(unit_canonical("μg"), Some("ug"));
        assert_eq!(unit_canonical("microgrammen"), Some("ug"));
        assert_eq!(unit_canonical("IE"), Some("IU"));
        assert_eq!(unit_canonical("G"), None);
        assert_eq!(nutrient_canonical("vitamine K2"), Some("vitamin K2"));
        assert_eq!(nutrient_canonical("Vitamin D3"), Some("vitamin D3"));
        assert_eq!(nutrient_canonical("vitamine D"), Some("vitamin D"));
        assert_eq!(nutrient_canonical("menatetrenon"), Some("vitamin K2"));
        assert_eq!(nutrient_canonical("cholecalciferol"), Some("vitamin D3"));
    }

    #[test]
    fn phrases_respect_word_boundaries_and_file_order() {
        let v = find_phrases(&POPULATION_PHRASES, "for men and for women");
        let c: Vec<_> = v.iter().map(|h| h.canonical).collect();
        assert_eq!(c, vec!["men", "women"]);
        let v = find_phrases(&POPULATION_PHRASES, "onder postmenopauzale vrouwen");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].canonical, "postmenopausal women");
        let v = find_phrases(
            &INDICATION_PHRASES,
            "Algemene preventie (onderhoudsdosering)",
        );
        let c: Vec<_> = v.iter().map(|h| h.canonical).collect();
        assert_eq!(c, vec!["general prevention", "maintenance"]);
    }

    /// The plain search the prefilters of [`find_phrases`] must agree with.
    fn find_phrases_plain(
        lexicon: &PhraseLexicon,
        text: &str,
    ) -> Vec<(usize, usize, &'static str)> {
        search_phrases(lexicon, text, false)
            .into_iter()
            .map(|h| (h.start, h.end, h.canonical))
            .collect()
    }

    fn found(lexicon: &PhraseLexicon, text: &str) -> Vec<(usize, usize, &'static str)> {
        find_phrases(lexicon, text)
            .into_iter()
            .map(|h| (h.start, h.end, h.canonical))
            .collect()
    }

    #[test]
    fn prefiltered_phrase_search_equals_the_plain_one_on_the_sources() {
        let lines = crate::testing::source_lines();
        for line in &lines {
            for lexicon in [&*INDICATION_PHRASES, &*POPULATION_PHRASES] {
                assert_eq!(
                    found(lexicon, line),
                    find_phrases_plain(lexicon, line),
                    "{line}"
                );
            }
        }
        assert!(lines.len() > 100);
    }

    /// The whole-word searches of the name lexicons find what their plain
    /// regexes find, on every line of the sources (foods: not after a hyphen).
    #[test]
    fn name_finders_equal_their_plain_regexes_on_the_sources() {
        let mut found = 0;
        for line in &crate::testing::source_lines() {
            for w in [&*NUTRIENT_FINDER, &*FOOD_FINDER] {
                let fast: Vec<_> = w.find_all(line).collect();
                assert_eq!(fast, w.find_all_plain(line), "{line}");
                found += fast.len();
            }
        }
        assert!(found > 100);
    }

    proptest::proptest! {
        /// Texts glued from phrase words, separators and odd characters
        /// (boundaries right at the start, phrases touching each other,
        /// multi-byte letters before a phrase).
        #[test]
        fn prefiltered_phrase_search_equals_the_plain_one(
            text in crate::testing::glued(&[
                "osteoporose", "osteoporosis", "voor", "for", "men", "women", "vrouwen",
                "postmenopauzale", "pregnant", "zwangere", "en", "and", " ", "  ", ",",
                "(", ")", "é", "ß", "-", "1", "µg", "daily", "dagelijks", "onderhoud",
                "preventie", "hart", "bot", "arteriosclerose", "children", "kinderen",
            ], 0..14)
        ) {
            for lexicon in [&*INDICATION_PHRASES, &*POPULATION_PHRASES] {
                proptest::prop_assert_eq!(found(lexicon, &text), find_phrases_plain(lexicon, &text));
            }
        }
    }

    #[test]
    fn every_measure_names_a_source() {
        for m in MEASURES_BY_FOOD.values() {
            assert!(m.grams > 0.0);
            assert!(m.source.len() > 10);
        }
    }
}
