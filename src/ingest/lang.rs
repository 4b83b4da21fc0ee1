//! Language of a sentence: Dutch or English.
//!
//! Two steps. Function words first (`data/function_words.tsv`): a sentence
//! with at least two words that only Dutch uses ("het", "een", "wordt") and
//! none that only English uses ("the", "with", "are"), or the reverse, is in
//! that language — every sentence of either language is full of them, and
//! counting them costs a tokenisation, where the statistical detector
//! (`whatlang`, trigram models) cost a fifth of the whole run. Only the
//! sentences the words leave open (too few, or both languages: a Dutch
//! sentence quoting an English title) go to `whatlang`.
//!
//! Short sentences and table cells carry too few trigrams for a reliable
//! guess, so below a length threshold, or when the detector is unsure, the
//! document's language is used instead. The numbers of a sentence are read in
//! its language (`1,2` is 1.2 in Dutch), which is why the fallback matters.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use crate::lexicon::rows;
use crate::model::Lang;
use whatlang::{Detector, Lang as WLang};

/// The detector, limited to the two languages of the sources (built once: it
/// is asked about every sentence the function words leave open).
fn detector() -> &'static Detector {
    static DETECTOR: LazyLock<Detector> =
        LazyLock::new(|| Detector::with_allowlist(vec![WLang::Eng, WLang::Nld]));
    &DETECTOR
}

fn map(l: WLang) -> Lang {
    match l {
        WLang::Nld => Lang::Nl,
        _ => Lang::En,
    }
}

/// Lower-case function word → the language that uses it (the other does not).
/// Looked up once per short ASCII word of every sentence whose language is
/// asked for, and of every document: a word (at most 16 bytes) is keyed by
/// its bytes packed into a `u128` (a multiply to hash, one compare).
struct FunctionWords {
    words: FxHashMap<u128, Lang>,
    /// Letters of the longest word: longer words are not looked up.
    longest: usize,
    /// Per word length and lower-case first letter, a bit per last letter
    /// (`a` = bit 0) of the function words with that length and first
    /// letter: most words of a text are not function words, and this turns
    /// nearly all of them away without a lookup.
    ends: [[u32; 26]; 17],
}

impl FunctionWords {
    /// Count `word` (ASCII letters only) in `v` if it is a function word.
    #[inline]
    fn vote(&self, word: &[u8], v: &mut Votes) {
        // function words are short: longer words are not looked up
        let (Some(&first), Some(&last)) = (word.first(), word.last()) else {
            return;
        };
        if word.len() > self.longest
            || self.ends[word.len()][usize::from((first | 0x20) - b'a')]
                & 1 << ((last | 0x20) - b'a')
                == 0
        {
            return;
        }
        if word.len() > 1 && word.iter().all(u8::is_ascii_uppercase) {
            return;
        }
        // The key `packed` makes of the lower-case word, built in place: the
        // word is ASCII letters only, which setting bit 0x20 lower-cases.
        let key = word
            .iter()
            .enumerate()
            .fold(0u128, |k, (n, &b)| k | u128::from(b | 0x20) << (8 * n));
        match self.words.get(&key) {
            Some(Lang::Nl) => v.nl += 1,
            Some(Lang::En) => v.en += 1,
            None => {}
        }
    }

    /// The language of one lower-case word (what [`function_votes`] looks
    /// up, with the key built in place).
    #[cfg(test)]
    fn get(&self, lower: &[u8]) -> Option<Lang> {
        self.words.get(&packed(lower)?).copied()
    }
}

/// A word of one to sixteen bytes as a number (distinct words, distinct
/// numbers: no word holds a zero byte).
fn packed(word: &[u8]) -> Option<u128> {
    if word.is_empty() || word.len() > 16 {
        return None;
    }
    let mut b = [0u8; 16];
    b[..word.len()].copy_from_slice(word);
    Some(u128::from_le_bytes(b))
}

static FUNCTION_WORDS: LazyLock<FunctionWords> = LazyLock::new(|| {
    let mut words = FunctionWords {
        words: FxHashMap::default(),
        longest: 0,
        ends: [[0; 26]; 17],
    };
    for r in rows(include_str!("../../data/function_words.tsv")) {
        let lang = match r.get(1).copied() {
            Some("nl") => Lang::Nl,
            Some("en") => Lang::En,
            _ => continue,
        };
        let Some(w) = r.first().map(|w| w.to_lowercase()) else {
            continue;
        };
        // only ASCII words can be counted (see `function_votes`)
        let (Some(&f), Some(&l)) = (w.as_bytes().first(), w.as_bytes().last()) else {
            continue;
        };
        if !w.bytes().all(|b| b.is_ascii_lowercase()) {
            continue;
        }
        if let Some(k) = packed(w.as_bytes()) {
            words.longest = words.longest.max(w.len());
            words.ends[w.len()][usize::from(f - b'a')] |= 1 << (l - b'a');
            words.words.insert(k, lang);
        }
    }
    words
});

/// How many Dutch-only and English-only function words `text` holds.
/// Words are runs of alphabetic characters; only ASCII words of up to 16
/// letters can be function words. Acronyms ("WHO", "IT") are not words of the
/// sentence's language.
///
/// Every document goes through here whole (its language), so the scan is
/// built for speed: a run of ASCII letters is found with a byte test, a
/// non-ASCII character is decoded only where it ends or starts a word (a
/// letter there makes the word non-ASCII, never a function word; a dash or a
/// no-break space is a separator), and a word is looked up only when some
/// function word has its length, its first and its last letter.
pub fn function_votes(text: &str) -> Votes {
    let mut v = Votes::default();
    let bytes = text.as_bytes();
    let words = &*FUNCTION_WORDS;
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        let b = bytes[i];
        if b.is_ascii_alphabetic() {
            let start = i;
            i += 1;
            while i < n && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            if i < n && !bytes[i].is_ascii() {
                let (letter, len) = char_at(text, i);
                if letter {
                    // glued to a non-ASCII letter: not an ASCII word
                    i = word_end(text, i + len);
                    continue;
                }
            }
            words.vote(&bytes[start..i], &mut v);
        } else if b.is_ascii() {
            i += 1;
        } else {
            let (letter, len) = char_at(text, i);
            i += len;
            if letter {
                i = word_end(text, i);
            }
        }
    }
    v
}

/// Whether the character at byte `i` of `text` is alphabetic, and its length.
fn char_at(text: &str, i: usize) -> (bool, usize) {
    let c = text
        .get(i..)
        .and_then(|t| t.chars().next())
        .unwrap_or(char::REPLACEMENT_CHARACTER);
    (c.is_alphabetic(), c.len_utf8())
}

/// Where the run of alphabetic characters from byte `i` of `text` ends.
fn word_end(text: &str, mut i: usize) -> usize {
    let bytes = text.as_bytes();
    while i < bytes.len() {
        if bytes[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        if bytes[i].is_ascii() {
            break;
        }
        let (letter, len) = char_at(text, i);
        if !letter {
            break;
        }
        i += len;
    }
    i
}

/// Counts of language-specific function words (see [`function_votes`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Votes {
    pub nl: usize,
    pub en: usize,
}

impl Votes {
    /// The language the words settle on their own: at least `min` words of
    /// one language and none of the other.
    pub fn settled(self, min: usize) -> Option<Lang> {
        match (self.nl, self.en) {
            (n, 0) if n >= min => Some(Lang::Nl),
            (0, e) if e >= min => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of a longer text: at least `min` words in all, and one
    /// language with four times the words of the other.
    fn majority(self, min: usize) -> Option<Lang> {
        if self.nl + self.en < min {
            None
        } else if self.nl >= 4 * self.en {
            Some(Lang::Nl)
        } else if self.en >= 4 * self.nl {
            Some(Lang::En)
        } else {
            None
        }
    }
}

/// Language of a whole text: by its function words when one language clearly
/// has most of them, else a majority vote of the detector over the text.
pub fn detect_document(text: &str) -> Lang {
    match function_votes(text).majority(20) {
        Some(l) => l,
        None => detect_document_statistical(text),
    }
}

/// [`detect_document`] by the detector alone.
pub fn detect_document_statistical(text: &str) -> Lang {
    detector().detect_lang(text).map(map).unwrap_or_default()
}

/// Letters a sentence needs before its own language is guessed.
const MIN_LETTERS: usize = 25;

/// Language of one sentence, falling back to `default` when unsure.
pub fn detect_sentence(text: &str, default: Lang) -> Lang {
    let letters = letters(text);
    if letters < MIN_LETTERS {
        return default;
    }
    match function_votes(text).settled(2) {
        Some(l) => l,
        None => statistical(text, letters, default),
    }
}

/// [`detect_sentence`] by the detector alone (what the function words are
/// measured against: `examples/lang_agreement.rs`).
pub fn detect_sentence_statistical(text: &str, default: Lang) -> Lang {
    let letters = letters(text);
    if letters < MIN_LETTERS {
        return default;
    }
    statistical(text, letters, default)
}

fn letters(text: &str) -> usize {
    text.chars().filter(|c| c.is_alphabetic()).count()
}

/// The detector's guess for a sentence of `letters` letters, if it is sure
/// enough (or the sentence long enough to trust it anyway).
fn statistical(text: &str, letters: usize, default: Lang) -> Lang {
    match detector().detect(text) {
        Some(info) if info.confidence() > 0.5 || letters > 60 => map(info.lang()),
        _ => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_dutch_and_english() {
        assert_eq!(
            detect_sentence(
                "Gefermenteerde sojabonen zijn een van de rijkste bronnen van vitamine K2.",
                Lang::En
            ),
            Lang::Nl
        );
        assert_eq!(
            detect_sentence(
                "Fermented soybeans are one of the richest sources of vitamin K2 in the diet.",
                Lang::Nl
            ),
            Lang::En
        );
    }

    #[test]
    fn short_text_takes_the_default() {
        assert_eq!(detect_sentence("Natto 100 µg", Lang::Nl), Lang::Nl);
    }

    #[test]
    fn function_words_count_per_language_and_skip_acronyms() {
        let v = function_votes("De WHO adviseert het gebruik van vitamine A en D bij ouderen.");
        assert_eq!(v, Votes { nl: 5, en: 0 }); // de, het, van, en, bij; not WHO, A, D
        let v = function_votes("The WHO advises that adults take it with food.");
        assert_eq!(v, Votes { nl: 0, en: 4 }); // the, that, it, with
        assert_eq!(function_votes("Vitamin K2 (MK-7) 100 µg").settled(2), None);
    }

    /// The plain tokenisation [`function_votes`] must agree with: split at
    /// every non-alphabetic character.
    fn function_votes_plain(text: &str) -> Votes {
        let mut v = Votes::default();
        for w in text.split(|c: char| !c.is_alphabetic()) {
            if w.is_empty() || w.len() > 16 || !w.is_ascii() {
                continue;
            }
            if w.len() > 1 && w.bytes().all(|b| b.is_ascii_uppercase()) {
                continue;
            }
            match FUNCTION_WORDS.get(w.to_ascii_lowercase().as_bytes()) {
                Some(Lang::Nl) => v.nl += 1,
                Some(Lang::En) => v.en += 1,
                None => {}
            }
        }
        v
    }

    proptest::proptest! {
        /// Function words glued to letters, digits, dashes, no-break spaces
        /// and accented letters are counted as the plain split counts them.
        #[test]
        fn byte_tokeniser_equals_the_char_split(
            text in crate::testing::glued(&[
                "the", "The", "THE", "het", "een", "with", "wordt", "and", "en", "de",
                " ", "  ", "-", "\u{2013}", "\u{a0}", "é", "ë", "µ", "ß", "1", "2,5",
                "(", ")", ".", "vitamine", "K2", "WHO", "x", "naïef", "\u{1F600}",
                "Menaquinone", "Één", "Het", "IN", "ondanks", "\u{0301}",
            ], 0..16)
        ) {
            proptest::prop_assert_eq!(function_votes(&text), function_votes_plain(&text));
        }
    }

    #[test]
    fn mixed_sentences_go_to_the_detector() {
        // a Dutch sentence quoting an English title: words of both languages
        let s = "In de studie 'The effect of menaquinone-7 on bone health' werd een dosis gegeven.";
        let v = function_votes(s);
        assert!(v.nl > 0 && v.en > 0, "{v:?}");
        assert_eq!(v.settled(2), None);
        assert_eq!(
            detect_sentence(s, Lang::En),
            detect_sentence_statistical(s, Lang::En)
        );
    }

    #[test]
    fn agrees_with_the_detector_on_plain_sentences() {
        for (s, lang) in [
            (
                "Een portie van 50 gram kan tot 500 µg vitamine K2 bevatten.",
                Lang::Nl,
            ),
            (
                "Volwassenen wordt geadviseerd dagelijks 75 mcg te nemen tijdens de maaltijd.",
                Lang::Nl,
            ),
            (
                "A serving of 50 grams can contain up to 500 mcg of vitamin K2 for adults.",
                Lang::En,
            ),
            (
                "Doses of 45 mg per day have been used in Japan to treat osteoporosis.",
                Lang::En,
            ),
        ] {
            assert_eq!(detect_sentence(s, Lang::En), lang, "{s}");
            assert_eq!(detect_sentence(s, Lang::Nl), lang, "{s}");
            // the detector, with the other language as its fallback, agrees
            assert_eq!(detect_sentence_statistical(s, other(lang)), lang, "{s}");
        }
    }

    fn other(l: Lang) -> Lang {
        match l {
            Lang::Nl => Lang::En,
            _ => Lang::Nl,
        }
    }

    #[test]
    fn documents_by_their_words() {
        let nl = "Vitamine K2 is een vetoplosbare vitamine. Het wordt gemaakt door bacteriën \
                  en zit in gefermenteerde producten zoals natto en kaas. De meeste mensen \
                  krijgen er te weinig van binnen, omdat het in weinig voedingsmiddelen zit. \
                  Volgens de Gezondheidsraad is een dosis van 75 microgram per dag voldoende \
                  voor volwassenen die geen bloedverdunners gebruiken.";
        assert_eq!(detect_document(nl), Lang::Nl);
        assert_eq!(detect_document_statistical(nl), Lang::Nl);
    }
}
