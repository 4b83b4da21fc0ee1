//! Recover the structure a scraper flattened: headings, list items with their
//! labels, tables whose cells were glued together, and sentences.
//!
//! A flattened HTML table looks like
//!
//! ```text
//! FoodK2 content
//! Natto (1 tablespoon)~100 mcg (very rich)
//! Butter from grass-fed cows2-4 mcg per 10 g
//! ```
//!
//! The header row is two short cells glued at a lower→upper case seam
//! ("Food|K2 content"); each data row is a label cell glued to a value cell at the
//! first seam ("cows|2-4", ")|~100"). Rows run until a blank line, a list item or
//! the next header. Tab- or pipe-separated rows are split on their separators.

use crate::per_thread::PerThread;

use regex::Regex;

use crate::model::{Line, LineKind};

/// A seam where two glued cells meet: a lower-case letter or `)` directly
/// followed by an upper-case letter, digit or `~`; or a digit directly followed by
/// a capitalised word ("Vitamin D3Promotes").
static SEAM: PerThread<Regex> =
    PerThread::new(|| Regex::new(r"(?:[\p{Ll})%])[\p{Lu}0-9~≈]|[0-9][\p{Lu}][\p{Ll}]").unwrap());

static BULLET: PerThread<Regex> = PerThread::new(|| {
    Regex::new(r"^\s*(?:[-•*·▪◦‣–—]\s+|\d{1,3}[.)]\s*(?:\S)|\[\d{1,3}\]\s)").unwrap()
});

/// Strip a list marker ("- ", "• ", "* ") from the start of a line.
pub fn strip_bullet(text: &str) -> &str {
    let t = text.trim_start();
    for m in ["- ", "• ", "* ", "· ", "▪ ", "◦ ", "‣ ", "– ", "— "] {
        if let Some(rest) = t.strip_prefix(m) {
            return rest.trim_start();
        }
    }
    t
}

fn is_bullet(text: &str) -> bool {
    BULLET.is_match(text)
}

/// Sentence-ending punctuation at the end of a line.
fn ends_sentence(t: &str) -> bool {
    matches!(
        t.trim_end().chars().last(),
        Some('.' | '!' | ';' | ',' | '…' | ':')
    )
}

/// Whether `t` has more than `n` words: counts no further than it must
/// (every line of every document is asked).
fn more_words_than(t: &str, n: usize) -> bool {
    t.split_whitespace().nth(n).is_some()
}

/// Whether `t` has more than `n` characters (`t.chars().nth(n).is_some()`),
/// told by its length in bytes where that settles it (a character is one to
/// four bytes): every line is asked about a few such limits, and most lines
/// are far longer or far shorter.
fn more_chars_than(t: &str, n: usize) -> bool {
    if t.len() <= n {
        false
    } else if t.len() >= 4 * (n + 1) {
        true
    } else {
        t.chars().nth(n).is_some()
    }
}

/// A glued header row: short, one seam between letters, no sentence
/// punctuation, few digits ("FoodK2 content", "AdviceExplanation").
fn is_glued_header(t: &str) -> bool {
    let t = t.trim();
    if t.is_empty() || more_chars_than(t, 48) || ends_sentence(t) || t.ends_with('?') {
        return false;
    }
    if is_bullet(t) || more_words_than(t, 5) {
        return false;
    }
    let letter_seams = t
        .as_bytes()
        .windows(2)
        .filter(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
        .count();
    letter_seams == 1
}

/// Split a glued row into (label, value) at its first seam.
pub fn split_glued(t: &str) -> Option<(String, String)> {
    let m = SEAM.find(t)?;
    // the seam is between the first char of the match and the rest
    let first_len = t[m.start()..].chars().next()?.len_utf8();
    let cut = m.start() + first_len;
    let (a, b) = t.split_at(cut);
    if a.trim().chars().count() < 2 || b.trim().is_empty() {
        return None;
    }
    Some((a.trim().to_string(), b.trim().to_string()))
}

fn split_separated(t: &str) -> Option<Vec<String>> {
    if t.contains('\t') {
        let cells: Vec<String> = t
            .split('\t')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        if cells.len() >= 2 {
            return Some(cells);
        }
    }
    if !t.contains('|') {
        // (most lines: one byte search, not the two patterns below)
        return None;
    }
    if t.contains(" | ") || (t.trim_start().starts_with('|') && t.trim_end().ends_with('|')) {
        let cells: Vec<String> = t
            .trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        if cells.len() >= 2 {
            return Some(cells);
        }
    }
    None
}

/// A "Label: text" or "Label – text" opening, for list items and labelled
/// lines ("arteriosclerose: 180-720 mcg per dag", "Natto – A popular dish").
pub fn find_label(text: &str) -> Option<String> {
    label_in(strip_bullet(text), is_bullet(text))
}

/// The label of a list item whose markup already says it is one (an HTML
/// `<li>`, a Markdown item): dashes separate a label as in a "- " line of text.
/// `text` may start with the item's number ("1. ").
pub fn find_item_label(text: &str) -> Option<String> {
    label_in(strip_bullet(text), true)
}

/// Where the first label separator of `t` starts: ": ", or in a list item
/// also a spaced dash (" – ", " — ", " - "). One pass: every line of every
/// document is asked.
fn first_separator(t: &str, list_item: bool) -> Option<usize> {
    let colon = colon_space(t);
    if !list_item {
        return colon;
    }
    let before = t.get(..colon.unwrap_or(t.len())).unwrap_or(t);
    // the spaces found by memchr (a pattern searcher per space cost more than
    // the comparisons), each asked whether a spaced dash starts there
    memchr::memchr_iter(b' ', before.as_bytes())
        .find(|&i| {
            t.get(i..)
                .is_some_and(|r| [" – ", " — ", " - "].iter().any(|d| r.starts_with(d)))
        })
        .or(colon)
}

/// Where the first ": " of `t` starts (`t.find(": ")`, by the colons alone:
/// a search for one byte is cheaper than for a two-byte string, and most
/// lines hold no colon at all).
fn colon_space(t: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(k) = memchr::memchr(b':', t.as_bytes().get(from..)?) {
        let i = from + k;
        if t.as_bytes().get(i + 1) == Some(&b' ') {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

/// The label before the first separator of `t`; dashes count only in list items.
fn label_in(t: &str, list_item: bool) -> Option<String> {
    let i = first_separator(t, list_item)?;
    let label = t[..i].trim();
    if label.is_empty()
        || more_chars_than(label, 60)
        || more_words_than(label, 7)
        || label.contains(['.', '!', '?', ';'])
    {
        return None;
    }
    Some(label.to_string())
}

fn is_heading(t: &str, next_blank_or_text: bool) -> bool {
    let t = t.trim();
    if t.is_empty() || is_bullet(t) {
        return false;
    }
    // (lengths counted no further than the limits: most lines are longer)
    let at_most = |chars: usize| !more_chars_than(t, chars);
    if t.ends_with('?') {
        return at_most(80) && !more_words_than(t, 12);
    }
    at_most(100)
        && !more_words_than(t, 12)
        && !ends_sentence(t)
        && next_blank_or_text
        && t.chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// A number standing on its own ("180-360 mcg"), not a digit of a name
/// ("Menaquinone-7", "K2", "D3").
fn has_free_number(t: &str) -> bool {
    let mut prev: Option<char> = None;
    for c in t.chars() {
        if c.is_ascii_digit() && !prev.is_some_and(|p| p.is_alphanumeric() || p == '-') {
            return true;
        }
        prev = Some(c);
    }
    false
}

/// Classify every line and recover tables, labels and sections.
pub fn segment(raw_lines: &[&str]) -> Vec<Line> {
    let n = raw_lines.len();
    let mut lines: Vec<Line> = raw_lines
        .iter()
        .enumerate()
        .map(|(i, t)| Line {
            no: i + 1,
            text: t.to_string(),
            kind: if t.trim().is_empty() {
                LineKind::Blank
            } else {
                LineKind::Paragraph
            },
            cells: vec![t.trim().to_string()],
            label: None,
            section: None,
            table_header: None,
            sentences: Vec::new(),
        })
        .collect();

    // Tables: a glued or separated header followed by rows.
    let mut i = 0;
    while i < n {
        let t = raw_lines[i];
        let sep_header = split_separated(t);
        let glued_header = is_glued_header(t)
            && i + 1 < n
            && !raw_lines[i + 1].trim().is_empty()
            && !is_bullet(raw_lines[i + 1]);
        if glued_header || sep_header.is_some() {
            let header_cells = match sep_header {
                Some(c) => c,
                None => match split_glued(t.trim()) {
                    Some((a, b)) => vec![a, b],
                    None => {
                        i += 1;
                        continue;
                    }
                },
            };
            let mut j = i + 1;
            let mut rows = Vec::new();
            while j < n {
                let r = raw_lines[j];
                if r.trim().is_empty() || is_bullet(r) || (j > i + 1 && is_glued_header(r)) {
                    break;
                }
                let cells = if let Some(c) = split_separated(r) {
                    c
                } else if let Some((a, b)) = split_glued(r.trim()) {
                    vec![a, b]
                } else {
                    break;
                };
                rows.push((j, cells));
                j += 1;
            }
            if !rows.is_empty() {
                lines[i].kind = LineKind::TableHeader;
                lines[i].cells = header_cells;
                for (r, cells) in rows {
                    lines[r].kind = LineKind::TableRow;
                    lines[r].cells = cells;
                    lines[r].table_header = Some(i);
                }
                i = j;
                continue;
            }
        }
        i += 1;
    }

    // Bullets, labels, headings.
    for i in 0..n {
        if lines[i].kind != LineKind::Paragraph {
            continue;
        }
        // the line's text as read (`lines[i].text` is a copy of it)
        let t = raw_lines[i];
        let label = find_label(t);
        if is_bullet(t) {
            lines[i].kind = LineKind::Bullet;
            lines[i].label = label;
            lines[i].cells = vec![strip_bullet(t).to_string()];
            continue;
        }
        let next_ok = i + 1 >= n || lines[i + 1].kind != LineKind::TableRow;
        // "Vitamin K Supplements: Analysis of MK-7 Content" is a title with a
        // colon; "arteriosclerose: 180-720 mcg per dag" is a labelled line
        let titled = label.is_none()
            || t.split_once(':')
                .is_some_and(|(_, rest)| !has_free_number(rest));
        if is_heading(t, next_ok) && titled {
            lines[i].kind = LineKind::Heading;
            continue;
        }
        lines[i].label = label;
    }

    // Sections: nearest heading above (table headers do not open sections).
    let mut current = None;
    for (i, line) in lines.iter_mut().enumerate() {
        if line.kind == LineKind::Heading {
            current = Some(i);
            continue;
        }
        line.section = current;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The length shortcuts agree with counting, at every limit around
        /// the text's length, for one- to four-byte characters.
        #[test]
        fn more_chars_than_equals_counting(
            t in crate::testing::glued(&["a", " ", "é", "–", "\u{1F600}", "Natto"], 0..40),
        ) {
            for n in 0..=t.len() + 2 {
                proptest::prop_assert_eq!(more_chars_than(&t, n), t.chars().count() > n, "n {}", n);
            }
        }

        #[test]
        fn colon_space_is_find(
            t in crate::testing::glued(&[
                ":", " ", ": ", "::", "a", "é", "Natto", "\u{a0}", "：",
            ], 0..12)
        ) {
            proptest::prop_assert_eq!(colon_space(&t), t.find(": "));
        }
    }

    /// The earliest of the separators' first occurrences, as searched one
    /// separator at a time.
    fn first_separator_plain(t: &str, list_item: bool) -> Option<usize> {
        [": ", " – ", " — ", " - "]
            .into_iter()
            .filter(|sep| *sep == ": " || list_item)
            .filter_map(|sep| t.find(sep))
            .min()
    }

    proptest::proptest! {
        #[test]
        fn one_pass_separator_equals_the_plain_search(
            t in crate::testing::glued(&[
                ":", " ", "-", "–", "—", "a", "Natto", "é", "1", "\u{a0}",
            ], 0..14),
            list_item in proptest::bool::ANY,
        ) {
            proptest::prop_assert_eq!(
                first_separator(&t, list_item),
                first_separator_plain(&t, list_item)
            );
        }
    }

    fn seg(text: &str) -> Vec<Line> {
        let raw: Vec<&str> = text.lines().collect();
        segment(&raw)
    }

    #[test]
    fn glued_table_rows_split_into_label_and_value() {
        let l = seg("Intro text here.\n\nFoodK2 content\nNatto (1 tablespoon)~100 mcg (very rich)\nButter from grass-fed cows2-4 mcg per 10 g\nEgg yolk, chicken, liver, beef5-15 mcg per portion\n\nAfter.");
        assert_eq!(l[2].kind, LineKind::TableHeader);
        assert_eq!(l[2].cells, vec!["Food", "K2 content"]);
        assert_eq!(l[3].kind, LineKind::TableRow);
        assert_eq!(
            l[3].cells,
            vec!["Natto (1 tablespoon)", "~100 mcg (very rich)"]
        );
        assert_eq!(
            l[4].cells,
            vec!["Butter from grass-fed cows", "2-4 mcg per 10 g"]
        );
        assert_eq!(l[5].cells[0], "Egg yolk, chicken, liver, beef");
        assert_eq!(l[5].table_header, Some(2));
    }

    #[test]
    fn dutch_glued_table_and_tab_table() {
        let l = seg("VoedingsmiddelGehalte\nGoudse kaas (belegen)45 µg per 100 g\nSpinazie\t380 µg per 100 g");
        assert_eq!(l[0].kind, LineKind::TableHeader);
        assert_eq!(l[1].cells, vec!["Goudse kaas (belegen)", "45 µg per 100 g"]);
        assert_eq!(l[2].cells, vec!["Spinazie", "380 µg per 100 g"]);
    }

    #[test]
    fn headings_bullets_and_labels() {
        let l = seg("Foods High in Vitamin K2\nVitamin K2 is a vitamin. It is good.\n- Natto – A popular dish. It contains 150 mcg per tablespoon.\n- Vette vis: zalm en haring leveren tot 20 µg per 100 g.\narteriosclerose: 180-720 mcg per dag");
        assert_eq!(l[0].kind, LineKind::Heading);
        assert_eq!(l[1].kind, LineKind::Paragraph);
        assert_eq!(l[1].section, Some(0));
        assert_eq!(l[2].kind, LineKind::Bullet);
        assert_eq!(l[2].label.as_deref(), Some("Natto"));
        assert_eq!(l[3].label.as_deref(), Some("Vette vis"));
        assert_eq!(l[4].label.as_deref(), Some("arteriosclerose"));
    }

    #[test]
    fn a_title_with_a_colon_is_a_heading_but_a_labelled_dose_is_not() {
        let l = seg("Vitamin K Supplements: Analysis of Menaquinone-7 Content\nMK-7 is key.\nDosering bij therapeutisch gebruik: 180-360 mcg per dag");
        assert_eq!(l[0].kind, LineKind::Heading);
        assert_eq!(l[1].section, Some(0));
        assert_eq!(l[2].kind, LineKind::Paragraph);
        assert_eq!(
            l[2].label.as_deref(),
            Some("Dosering bij therapeutisch gebruik")
        );
    }

    #[test]
    fn prose_is_not_a_table() {
        let l = seg("Vitamin K2 (MK-7) is found in natto.\nMore text about D3 and K2 here.");
        assert!(l.iter().all(|x| x.kind == LineKind::Paragraph));
    }
}
