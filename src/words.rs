//! Whole-word search: a pattern that counts only where it is not glued to a
//! letter or digit on either side ("men" is not found in "women", "MK-7" not in
//! "MK-75").
//!
//! The plain way to say this to the regex engine is
//! `(?:^|[^\p{L}\p{N}])(X)(?:$|[^\p{L}\p{N}])`, the word as group 1. That
//! regex is slow to search with: its leading class matches almost any
//! character, so the engine cannot skip ahead on the literal letters of `X`
//! and steps its lazy DFA through every byte (a DFA with Unicode classes, which
//! misses its cache), and the group forces a third pass for the captures.
//! Most of the lexicon searches of extraction have this shape (food, nutrient
//! and form names, the indication and population phrases).
//!
//! [`WholeWord`] searches for `X` alone, which the engine does with its
//! literal prefilter, and checks the two neighbouring characters itself. Only
//! when that check fails (the match is glued to a word, or `X`'s preferred
//! alternative ends inside a word where a longer one would not) does it ask the
//! plain regex, from just before that match. The result is the plain regex's
//! group 1 in every case; the tests compare the two on the lexicons.

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use crate::per_thread::PerThread;

/// A letter or digit as the plain regex's `[\p{L}\p{N}]` means it (not
/// `char::is_alphanumeric`, whose Alphabetic property also holds combining
/// marks and letter-like numbers).
static WORD_CHAR: PerThread<Regex> =
    PerThread::new(|| Regex::new(r"\A[\p{L}\p{N}]").expect("word character class compiles"));

pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    let mut buf = [0u8; 4];
    WORD_CHAR.is_match(c.encode_utf8(&mut buf))
}

/// Where the first non-ASCII byte of `bytes` is, skipping ASCII 32 bytes at
/// a time (`<[u8]>::is_ascii` reads a word at a time): most of a Dutch or
/// English text is ASCII, and several per-sentence checks care only about
/// the other characters.
pub fn first_non_ascii(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    for chunk in bytes.chunks(32) {
        if !chunk.is_ascii() {
            return chunk.iter().position(|b| !b.is_ascii()).map(|p| at + p);
        }
        at += chunk.len();
    }
    None
}

/// The non-ASCII characters of `text` with their byte offsets, the ASCII
/// between them skipped by [`first_non_ascii`].
pub fn non_ascii_chars(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        // `i` is a character boundary and only ASCII is skipped, so the byte
        // found starts a character
        let at = i + first_non_ascii(text.as_bytes().get(i..)?)?;
        let c = text.get(at..)?.chars().next()?;
        i = at + c.len_utf8();
        Some((at, c))
    })
}

/// Where `needle` first occurs in `hay` at or after byte `from`, as
/// `hay[from..].find(needle)` answers (an offset into `hay`, `None` when
/// `from` is not a character boundary). A table row's cells are looked for
/// one after the other, and each is found within a few bytes of where the
/// previous one ended: the first positions are compared directly, and only
/// then is a substring searcher built (its setup costs more than the
/// comparisons it saves on such short distances).
pub fn find_from(hay: &str, needle: &str, from: usize) -> Option<usize> {
    const NEAR: usize = 16;
    let rest = hay.get(from..)?;
    // every character boundary of the rest, and its end (where only the
    // empty needle starts)
    let starts = rest
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(rest.len()));
    for i in starts {
        if i >= NEAR {
            // nothing started before `i`: the searcher takes the rest
            return rest[i..].find(needle).map(|p| from + i + p);
        }
        if rest[i..].starts_with(needle) {
            return Some(from + i);
        }
    }
    None
}

/// The runs of letters and digits of `text` (and each `&`), as the regex
/// `[\p{L}\p{N}]+|&` finds them, by a scan of the characters: the regex
/// needs ~1000 instructions per word here, the scan a few per character.
pub fn word_runs(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || loop {
        let (i, c) = chars.next()?;
        if c == '&' {
            return Some(i..i + 1);
        }
        if is_word_char(c) {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if !is_word_char(d) {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            return Some(i..end);
        }
    })
}

/// A pattern matched only as a whole word; see the module documentation.
///
/// Text form of what it matches, for `WholeWord::new("(?i)", "mk-?7", &[])`:
/// `(?i)(?:^|[^\p{L}\p{N}])(mk-?7)(?:$|[^\p{L}\p{N}])`, group 1.
#[derive(Debug)]
pub struct WholeWord {
    /// The pattern with its flags, no boundaries: searched first.
    inner: PerThread<Regex>,
    /// The plain regex (see [`WholeWord::plain_source`]), compiled the first
    /// time a match needs it: many patterns never do.
    full_source: String,
    full: OnceLock<Option<Regex>>,
    /// Characters that may not come before the word either (the food names
    /// do not start after a hyphen: "vitamine-K2-rijke").
    not_after: &'static [char],
}

impl WholeWord {
    /// `flags` is prefixed to the pattern as written (`"(?i)"` or `""`);
    /// `pattern` is a regex (an alternation is fine); `not_after` lists
    /// characters besides letters and digits that may not precede the word.
    pub fn new(
        flags: &str,
        pattern: &str,
        not_after: &'static [char],
    ) -> Result<WholeWord, regex::Error> {
        let inner = regex::RegexBuilder::new(&format!("{flags}(?:{pattern})"))
            .size_limit(64 << 20)
            .build()?;
        let extra: String = not_after
            .iter()
            .map(|c| regex::escape(&c.to_string()))
            .collect();
        let full_source =
            format!(r"{flags}(?:^|[^\p{{L}}\p{{N}}{extra}])({pattern})(?:$|[^\p{{L}}\p{{N}}])");
        // Fail now, not at the first fallback, if the boundaries break it.
        // The syntax is all that can break: every construct the plain regex
        // translates (flags, classes, Unicode names) is in `inner`, which
        // compiled, or in the fixed boundary classes; so the parse stops at
        // the syntax tree and skips the translation (with `(?i)`, the case
        // folding of every Unicode class: as costly as a compile).
        regex_syntax::ast::parse::Parser::new()
            .parse(&full_source)
            .map_err(|e| regex::Error::Syntax(e.to_string()))?;
        Ok(WholeWord {
            inner: PerThread::of(inner),
            full_source,
            full: OnceLock::new(),
            not_after,
        })
    }

    /// The plain regex this search is equal to, word as group 1.
    pub fn plain_source(&self) -> &str {
        &self.full_source
    }

    /// The plain regex, compiled on first call; `None` if it exceeds the size
    /// limit (then [`WholeWord::find_at_plain`] finds nothing).
    pub fn plain(&self) -> Option<&Regex> {
        self.full
            .get_or_init(|| {
                regex::RegexBuilder::new(&self.full_source)
                    .size_limit(64 << 20)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    /// The first whole-word match whose surrounding starts at or after `pos`
    /// (the plain regex's group 1 when searched from `pos`): the character
    /// before the word must itself lie at or after `pos`, so a loop that
    /// continues from the previous word's end finds the next one even when a
    /// single space separates them.
    pub fn find_at(&self, text: &str, pos: usize) -> Option<Range<usize>> {
        if pos > text.len() {
            return None;
        }
        let m = self.inner.find_at(text, pos)?;
        let (s, e) = (m.start(), m.end());
        let before = text.get(..s).and_then(|t| t.chars().next_back());
        let open = match before {
            // `^` of the plain regex: only at the very start of the text
            None => true,
            Some(c) => s - c.len_utf8() >= pos && !is_word_char(c) && !self.not_after.contains(&c),
        };
        let close = text
            .get(e..)
            .and_then(|t| t.chars().next())
            .is_none_or(|c| !is_word_char(c));
        if e > s && open && close {
            return Some(s..e);
        }
        // The plain regex's match, if any, has its word at or after `s` (no
        // match of the pattern starts before it), so its surrounding starts
        // no earlier than the character before `s`.
        let from = before.map_or(s, |c| s - c.len_utf8()).max(pos);
        self.find_at_plain(text, from)
    }

    /// [`WholeWord::find_at`] by the plain regex alone (the reference the
    /// fast path is tested against).
    pub fn find_at_plain(&self, text: &str, pos: usize) -> Option<Range<usize>> {
        if pos > text.len() {
            return None;
        }
        let c = self.plain()?.captures_at(text, pos)?;
        c.get(1).map(|m| m.range())
    }

    /// [`WholeWord::find_all`] by the plain regex alone (the reference the
    /// fast path is tested against).
    pub fn find_all_plain(&self, text: &str) -> Vec<Range<usize>> {
        successive(text, |pos| self.find_at_plain(text, pos)).collect()
    }

    /// The first whole-word match in `text`.
    pub fn find(&self, text: &str) -> Option<Range<usize>> {
        self.find_at(text, 0)
    }

    /// Every whole-word match, each search continuing at the end of the
    /// previous word (empty matches skipped), as the lexicon searches do.
    pub fn find_all<'t>(&'t self, text: &'t str) -> impl Iterator<Item = Range<usize>> + 't {
        successive(text, move |pos| self.find_at(text, pos))
    }
}

/// The non-empty matches `find` gives from the start of `text` on, each
/// search continuing at the end of the previous match (or, after an empty
/// one, at the next character).
fn successive<'t>(
    text: &'t str,
    find: impl Fn(usize) -> Option<Range<usize>> + 't,
) -> impl Iterator<Item = Range<usize>> + 't {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos <= text.len() {
            let r = find(pos)?;
            pos = if r.end > r.start {
                r.end
            } else {
                next_boundary(text, r.end)
            };
            if r.end > r.start {
                return Some(r);
            }
        }
        None
    })
}

/// The next character boundary after `i` (`text.len() + 1` at the end, to stop).
pub(crate) fn next_boundary(text: &str, i: usize) -> usize {
    text.get(i..)
        .and_then(|t| t.chars().next())
        .map_or(text.len() + 1, |c| i + c.len_utf8())
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Cells found near the start by comparison, farther by the searcher:
        /// the same offset as `find` on the rest, from every start.
        #[test]
        fn find_from_equals_find_on_the_rest(
            hay in crate::testing::glued(&["a", "ab", " ", "µ", "é", "| ", "100 mcg", "0123456789"], 0..14),
            needle in crate::testing::glued(&["a", "ab", " ", "µ", "100 mcg"], 0..3),
        ) {
            for from in 0..=hay.len() + 1 {
                let plain = hay.get(from..).and_then(|r| r.find(needle.as_str())).map(|p| from + p);
                proptest::prop_assert_eq!(find_from(&hay, &needle, from), plain, "from {}", from);
            }
        }

        /// The ASCII skipped in chunks: the same non-ASCII characters as
        /// decoding every character, at texts of every length around 32.
        #[test]
        fn non_ascii_chars_are_those_of_the_char_scan(
            t in crate::testing::glued(&[
                "a", " ", "Natto 100 mcg per portie van 50 gram", "µ", "é", "\u{2009}",
                "\u{1F600}", "\u{301}", "0123456789abcdefghijklmnopqrstuv",
            ], 0..12)
        ) {
            let plain: Vec<(usize, char)> = t.char_indices().filter(|(_, c)| !c.is_ascii()).collect();
            proptest::prop_assert_eq!(non_ascii_chars(&t).collect::<Vec<_>>(), plain.clone());
            proptest::prop_assert_eq!(first_non_ascii(t.as_bytes()), plain.first().map(|p| p.0));
        }

        #[test]
        fn word_runs_equal_the_regex(
            t in crate::testing::glued(&[
                "a", "Natto", "1", "2020", " ", "&", "&&", "-", "é", "É", "\u{301}", "µ", "²",
                "\u{2160}", "ß", "'", "’", ".", "\u{a0}", "中", "\u{1F600}", "_", "ſ",
            ], 0..16)
        ) {
            let re = Regex::new(r"[\p{L}\p{N}]+|&").unwrap();
            let want: Vec<Range<usize>> = re.find_iter(&t).map(|m| m.range()).collect();
            proptest::prop_assert_eq!(word_runs(&t).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn finds_words_not_parts_of_words() {
        let w = WholeWord::new("(?i)", "men|women", &[]).unwrap();
        let t = "Women and men; menopause, WOMEN";
        let found: Vec<&str> = w.find_all(t).map(|r| &t[r]).collect();
        assert_eq!(found, ["Women", "men", "WOMEN"]);
        assert_eq!(w.find("omen"), None);
    }

    #[test]
    fn a_shorter_alternative_glued_to_a_word_gives_way_to_a_longer_one() {
        // "vitamin" is preferred but ends inside "vitamine": the plain regex
        // backtracks to "vitamine", and so must the fast path.
        let w = WholeWord::new("(?i)", "vitamin|vitamine", &[]).unwrap();
        assert_eq!(w.find("de vitamine K2"), Some(3..11));
        assert_eq!(w.find_at_plain("de vitamine K2", 0), Some(3..11));
    }

    #[test]
    fn the_character_before_must_lie_inside_the_searched_part() {
        let w = WholeWord::new("", "K2", &[]).unwrap();
        // searching from 3 ("K2" at 3): the space at 2 is before `pos`
        assert_eq!(w.find_at("xx K2 K2", 3), Some(6..8));
        assert_eq!(w.find_at_plain("xx K2 K2", 3), Some(6..8));
        assert_eq!(w.find_at("K2", 0), Some(0..2));
        assert_eq!(w.find_at("K2", 3), None);
    }

    #[test]
    fn extra_characters_may_not_come_before() {
        let w = WholeWord::new("(?i)", "kaas", &['-']).unwrap();
        assert_eq!(w.find("geiten-kaas"), None);
        assert_eq!(w.find("geiten kaas"), Some(7..11));
    }

    #[test]
    fn non_ascii_letters_are_word_characters() {
        let w = WholeWord::new("(?i)", "ei", &[]).unwrap();
        assert_eq!(w.find("één ei"), Some(6..8));
        assert_eq!(w.find("éei"), None);
        assert_eq!(w.find("ei\u{0301}"), Some(0..2)); // a combining mark is no letter
        assert_eq!(w.find_at_plain("ei\u{0301}", 0), Some(0..2));
    }

    proptest::proptest! {
        /// Texts glued from parts of the words, separators and multi-byte
        /// letters: the fast search equals the plain regex everywhere.
        #[test]
        fn equals_the_plain_regex(
            text in crate::testing::glued(&[
                "mk", "MK", "-", "7", "4", "k2", "K2", "vitamin", "e", "vitamine",
                "men", "wo", " ", "  ", ",", "(", ")", "é", "ß", "\u{0301}", "ⅷ", "kaas",
            ], 0..12),
            start in 0usize..6,
        ) {
            let words = [
                WholeWord::new("(?i)", r"mk[\s-]?\d{1,2}|k2|vitamine?|men|women", &[]).unwrap(),
                WholeWord::new("", r"K[12]", &[]).unwrap(),
                WholeWord::new("(?i)", r"kaas|e", &['-']).unwrap(),
                WholeWord::new("(?i)", r"x*", &[]).unwrap(),
            ];
            for w in &words {
                let fast: Vec<_> = w.find_all(&text).collect();
                proptest::prop_assert_eq!(&fast, &w.find_all_plain(&text), "{}", w.plain_source());
                let pos = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).nth(start);
                if let Some(pos) = pos {
                    proptest::prop_assert_eq!(w.find_at(&text, pos), w.find_at_plain(&text, pos));
                }
            }
        }
    }
}
