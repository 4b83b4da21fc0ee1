//! Sentence splitting that knows Dutch and English abbreviations and numbers.
//!
//! A period ends a sentence when whitespace and an upper-case letter, digit,
//! quote or bracket follow it — except after an abbreviation ("bijv.", "e.g.",
//! "ca.", "et al.") or an initial ("J. Smith"). Decimal points ("1.2") never split
//! because no whitespace follows them.

/// Abbreviations after which a period does not end a sentence (lower case,
/// without the final period).
const ABBREVIATIONS: &[&str] = &[
    "e.g",
    "i.e",
    "etc",
    "vs",
    "ca",
    "approx",
    "bijv",
    "bv",
    "bijvoorbeeld",
    "o.a",
    "m.a.w",
    "z.g",
    "zgn",
    "nl",
    "resp",
    "dr",
    "prof",
    "mr",
    "mrs",
    "ms",
    "st",
    "nr",
    "no",
    "fig",
    "al",
    "vol",
    "pp",
    "p",
    "ed",
    "eds",
    "jr",
    "sr",
    "inc",
    "ltd",
    "max",
    "min",
    "incl",
    "excl",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "okt",
    "nov",
    "dec",
    "mg",
    "i.e",
];

/// Longest entry of [`ABBREVIATIONS`] with room to spare.
const MAX_ABBREVIATION: usize = 16;

/// Split `text` into `(byte offset, sentence)` pairs. Offsets index into `text`.
pub fn split_sentences(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Jump to the next byte that can start a sentence end: `.`, `!`, `?`
        // or the lead byte of `…` (0xE2, also the lead of other characters).
        // Every such byte starts a character, so `i` only rests on character
        // boundaries; the other characters cannot end a sentence.
        let Some(k) = next_stop(&bytes[i..]) else {
            break;
        };
        i += k;
        i = step(text, &mut start, i, &mut out);
    }
    finish(text, start, &mut out);
    out
}

/// The first `.`, `!`, `?` or 0xE2 byte of `bytes`: the punctuation by a
/// vectorised search, then 0xE2 (rare in Dutch and English text) only in
/// the part before it.
fn next_stop(bytes: &[u8]) -> Option<usize> {
    let punct = memchr::memchr3(b'.', b'!', b'?', bytes);
    let before = bytes.get(..punct.unwrap_or(bytes.len())).unwrap_or(bytes);
    memchr::memchr(0xE2, before).or(punct)
}

/// Whether a sentence can end at byte `i`: a `.`, `!`, `?` or `…` starts there.
fn ends_here(text: &str, i: usize) -> bool {
    text.get(i..)
        .is_some_and(|r| r.starts_with(['.', '!', '?', '…']))
}

/// At byte `i` of `text` (the sentence under way starting at `start`): when
/// a sentence ends there, push it and move `start` past the whitespace after
/// it. Returns where to look on from.
fn step<'t>(text: &'t str, start: &mut usize, i: usize, out: &mut Vec<(usize, &'t str)>) -> usize {
    let bytes = text.as_bytes();
    if !ends_here(text, i) {
        return i + text
            .get(i..)
            .and_then(|r| r.chars().next())
            .map_or(1, char::len_utf8);
    }
    let c = bytes[i];
    let punct_len = if c == b'.' || c == b'!' || c == b'?' {
        1
    } else {
        '…'.len_utf8()
    };
    // absorb repeated punctuation and closing quotes/brackets
    let mut j = i + punct_len;
    while j < bytes.len() && matches!(bytes[j], b'.' | b'!' | b'?' | b'"' | b'\'' | b')') {
        j += 1;
    }
    while j < bytes.len() && text[j..].starts_with(['”', '’']) {
        j += text[j..].chars().next().map_or(1, |ch| ch.len_utf8());
    }
    let ws_end = text[j..]
        .char_indices()
        .find(|(_, ch)| !ch.is_whitespace())
        .map_or(text.len(), |(k, _)| j + k);
    let has_ws = ws_end > j;
    let next = text[ws_end..].chars().next();
    let opens = next.is_some_and(|ch| {
        ch.is_uppercase()
            || ch.is_ascii_digit()
            || matches!(ch, '"' | '“' | '‘' | '(' | '[' | '-' | '•')
    });
    if (has_ws && opens || ws_end >= text.len())
        && !(c == b'.' && is_abbreviation(&text[*start..i]))
    {
        let s = text[*start..j].trim();
        if !s.is_empty() {
            let lead = text[*start..j].len() - text[*start..j].trim_start().len();
            out.push((*start + lead, s));
        }
        *start = ws_end;
        return ws_end;
    }
    j
}

/// Push what is left after the last sentence end.
fn finish<'t>(text: &'t str, start: usize, out: &mut Vec<(usize, &'t str)>) {
    let rest = &text[start..];
    if !rest.trim().is_empty() {
        let lead = rest.len() - rest.trim_start().len();
        out.push((start + lead, rest.trim()));
    }
}

/// Does the text before a period end in an abbreviation or a single initial?
///
/// Only the last [`MAX_ABBREVIATION`] + 1 characters are looked at: a longer
/// word is no abbreviation, and walking back over the whole of it for every
/// period made a line like "a.a.a.a…" without spaces quadratic.
fn is_abbreviation(before: &str) -> bool {
    // The word is the run of characters before the period back to a space
    // or `(`. Found by walking back over bytes: only ASCII bytes can be
    // those separators or the ASCII whitespace, and a non-ASCII word takes
    // the character path below.
    let bytes = before.as_bytes();
    let mut k = bytes.len();
    while k > 0 && bytes.len() - k <= MAX_ABBREVIATION {
        let b = bytes[k - 1];
        if !b.is_ascii() {
            return is_abbreviation_chars(before);
        }
        if b.is_ascii_whitespace() || b == b'(' || b == 0x0b {
            break;
        }
        k -= 1;
    }
    let word = &before[k..];
    if word.is_empty() || word.len() > MAX_ABBREVIATION {
        return false;
    }
    // ASCII: a byte is a character, and lower-casing stays in ASCII
    if ABBREVIATIONS.iter().any(|a| a.eq_ignore_ascii_case(word)) {
        return true;
    }
    // a single capital letter: an initial ("J. Smith", "Hu L.")
    word.len() == 1 && word.as_bytes()[0].is_ascii_uppercase()
}

/// [`is_abbreviation`] for a word with a non-ASCII character (or any text:
/// the two agree on ASCII words, see the tests), character by character.
fn is_abbreviation_chars(before: &str) -> bool {
    let mut word: Vec<char> = before
        .chars()
        .rev()
        .take_while(|c| !c.is_whitespace() && *c != '(')
        .take(MAX_ABBREVIATION + 1)
        .collect();
    if word.is_empty() || word.len() > MAX_ABBREVIATION {
        return false;
    }
    word.reverse();
    let word: String = word.into_iter().collect();
    let lower = word.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return true;
    }
    // a single capital letter: an initial ("J. Smith", "Hu L.")
    let letters: Vec<char> = word.chars().collect();
    letters.len() == 1 && letters[0].is_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain scan [`split_sentences`] must agree with: every character
    /// visited in turn.
    fn split_sentences_plain(text: &str) -> Vec<(usize, &str)> {
        let mut out = Vec::new();
        let (mut start, mut i) = (0, 0);
        while i < text.len() {
            i = step(text, &mut start, i, &mut out);
        }
        finish(text, start, &mut out);
        out
    }

    proptest::proptest! {
        #[test]
        fn skipping_to_punctuation_equals_the_plain_scan(
            text in crate::testing::glued(&[
                ".", "!", "?", "…", "’", "”", "\"", ")", " ", "\u{a0}", "\u{2013}", "A", "b",
                "1", "é", "É", "e.g", "ca", "J", "Natto", "(", "•",
            ], 0..20)
        ) {
            proptest::prop_assert_eq!(split_sentences(&text), split_sentences_plain(&text));
        }

        #[test]
        fn abbreviation_by_bytes_equals_by_chars(
            text in crate::testing::glued(&[
                "e.g", "E.G", "ca", "CA", "Ca", "J", "j", "é", "É", " ", "\t", "\u{b}", "\u{c}",
                "\u{1c}", "\u{85}", "\u{a0}", "(", "x", "K", "\u{212a}", "bijv", "Dr", "a.a.a.a.a.a.a.a.a",
            ], 0..8)
        ) {
            proptest::prop_assert_eq!(is_abbreviation(&text), is_abbreviation_chars(&text), "{:?}", text);
        }
    }

    fn texts(s: &str) -> Vec<&str> {
        split_sentences(s).into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn splits_english_and_dutch() {
        assert_eq!(
            texts("Natto is rich. It contains about 150 mcg per tablespoon. Eat it!"),
            vec![
                "Natto is rich.",
                "It contains about 150 mcg per tablespoon.",
                "Eat it!"
            ]
        );
        assert_eq!(
            texts("Een portie (50 g) kan tot 500 µg bevatten. Dat is veel."),
            vec!["Een portie (50 g) kan tot 500 µg bevatten.", "Dat is veel."]
        );
    }

    #[test]
    fn keeps_abbreviations_and_decimals() {
        assert_eq!(
            texts("Vette vis (bijv. zalm) levert ca. 1.5 µg per 100 g. Dat klopt."),
            vec![
                "Vette vis (bijv. zalm) levert ca. 1.5 µg per 100 g.",
                "Dat klopt."
            ]
        );
        assert_eq!(
            texts("See Smith J. et al. for more. Next."),
            vec!["See Smith J. et al. for more.", "Next."]
        );
    }

    #[test]
    fn offsets_point_into_text() {
        let s = "First one.  Second one.";
        let v = split_sentences(s);
        assert_eq!(&s[v[1].0..v[1].0 + v[1].1.len()], "Second one.");
    }
}
