//! BibTeX (`references.bib`), for LaTeX users and reference managers that do
//! not read CSL-JSON.
//!
//! Keys are `familyYEARword` in lower-case ASCII (`zhang2024vitamin`); keys that
//! would clash get `a`, `b`, … appended in list order, so every key is unique and
//! stable across runs. Field values escape BibTeX's special characters
//! (`{ } & % $ # _ \`); other non-ASCII text is written as UTF-8, which
//! biber and pandoc read directly.
//!
//! The writer is hand-rolled rather than built on the `biblatex` crate: only
//! the output side is needed, the escaping rules are the whole of it, and the
//! result is checked against pandoc's BibTeX reader in `tests/pandoc.rs`.

use unicode_normalization::UnicodeNormalization;

use crate::model::{Reference, Text};
use crate::values::author::Author;

/// Words skipped when picking the title word of a key.
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "of", "on", "in", "for", "and", "to", "de", "het", "een", "van", "der", "la",
    "le", "les", "el", "die", "der", "das", "ein", "eine",
];

/// Escape a field value for BibTeX.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str(r"\textbackslash{}"),
            '{' | '}' | '&' | '%' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str(r"\textasciitilde{}"),
            '^' => out.push_str(r"\textasciicircum{}"),
            _ => out.push(c),
        }
    }
    out
}

/// Lower-case ASCII letters of `s`: accents dropped (NFD), a few letters that
/// do not decompose spelled out.
fn ascii_letters(s: &str) -> String {
    let mut out = String::new();
    for c in s.nfd() {
        match c {
            'ø' | 'Ø' => out.push('o'),
            'æ' | 'Æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            'þ' | 'Þ' => out.push_str("th"),
            c if c.is_ascii_alphabetic() => out.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    out
}

/// The key of one reference before clash resolution ([`unique_keys`]).
pub fn base_key(r: &Reference) -> Text {
    let family = r
        .authors
        .first()
        .and_then(|a| a.parse::<Author>().ok())
        .map(|a| a.family)
        .unwrap_or_default();
    let family = ascii_letters(family.split_whitespace().last().unwrap_or(""));
    let word = r
        .title
        .split(|c: char| !c.is_alphanumeric())
        .map(ascii_letters)
        .find(|w| !w.is_empty() && !STOP_WORDS.contains(&w.as_str()))
        .unwrap_or_default();
    let year = r.year.map(|y| y.to_string()).unwrap_or_default();
    compact_str::format_compact!(
        "{}{year}{word}",
        if family.is_empty() { "anon" } else { &family }
    )
}

/// Unique keys for `refs`, in order: a key shared by several entries gets
/// `a`, `b`, … on every one of them.
pub fn keys(refs: &[Reference]) -> Vec<Text> {
    unique_keys(refs.iter().map(base_key).collect())
}

/// Make the keys of all entries, in order, unique: a key shared by several
/// entries gets `a`, `b`, … on every one of them. (Needs every entry's key
/// first, so a run gathers them while it reads the documents back.)
pub fn unique_keys(mut keys: Vec<Text>) -> Vec<Text> {
    // entry numbers sorted (stably) by key: the runs of equal keys, each in
    // entry order; only those keys are rewritten, in place (a corpus's keys
    // are held once, not copied with two maps beside them)
    let mut order: Vec<u32> = (0..keys.len() as u32).collect();
    order.sort_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]));
    let mut start = 0;
    while start < order.len() {
        let first = order[start] as usize;
        let mut end = start + 1;
        while end < order.len() && keys[order[end] as usize] == keys[first] {
            end += 1;
        }
        if end - start > 1 {
            for (n, &i) in order[start..end].iter().enumerate() {
                let i = i as usize;
                keys[i] = compact_str::format_compact!("{}{}", keys[i], suffix(n + 1));
            }
        }
        start = end;
    }
    keys
}

/// 1 → "a", 26 → "z", 27 → "aa".
fn suffix(mut n: usize) -> String {
    let mut s = Vec::new();
    while n > 0 {
        n -= 1;
        s.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
    }
    s.iter().rev().collect()
}

/// "Rønn, SH" → "Rønn, S. H."; a name without initials stays one braced unit.
fn bib_name(a: &str) -> String {
    match a.parse::<Author>() {
        Ok(au) if !au.initials.is_empty() => {
            format!("{}, {}", escape(&au.family), au.given_dotted())
        }
        _ => format!("{{{}}}", escape(a)),
    }
}

/// The BibTeX database of all references.
pub fn bibtex(refs: &[Reference]) -> String {
    let mut out = String::new();
    write_bibtex(refs, &mut out);
    out
}

/// Write [`bibtex`] into `out` entry by entry.
pub fn write_bibtex(refs: &[Reference], out: &mut impl std::fmt::Write) {
    write_entries(refs, &keys(refs), out);
}

/// Write the entries `refs` under their `keys` (one each, see [`keys`]).
pub fn write_entries(refs: &[Reference], keys: &[Text], out: &mut impl std::fmt::Write) {
    for (r, key) in refs.iter().zip(keys) {
        let _ = writeln!(out, "@article{{{key},");
        let mut authors: Vec<String> = r.authors.iter().map(|a| bib_name(a)).collect();
        if r.et_al && !authors.is_empty() {
            authors.push("others".into());
        }
        let year = r.year.map(|y| y.to_string()).unwrap_or_default();
        let pages = r.pages.replacen('-', "--", 1);
        let fields: [(&str, String); 9] = [
            ("author", authors.join(" and ")),
            ("title", escape(&r.title)),
            ("journal", escape(&r.journal)),
            ("year", year),
            ("volume", escape(&r.volume)),
            ("number", escape(&r.issue)),
            ("pages", escape(&pages)),
            ("doi", escape(&r.doi)),
            ("langid", escape(&r.title_lang)),
        ];
        for (k, v) in fields.iter().filter(|(_, v)| !v.is_empty()) {
            let _ = writeln!(out, "  {k} = {{{v}}},");
        }
        let _ = out.write_str("}\n\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(author: &str, year: i64, title: &str) -> Reference {
        Reference {
            authors: vec![author.into()],
            year: Some(year),
            title: title.into(),
            ..Default::default()
        }
    }

    #[test]
    fn keys_are_unique() {
        let refs = [
            r("Zhang, T", 2024, "Vitamin K2 in health"),
            r("Rønn, SH", 2021, "The effect of MK-7"),
            r("Zhang, T", 2024, "Vitamin K and bones"),
            r("van der Berg, A", 2020, "A study"),
        ];
        assert_eq!(
            keys(&refs),
            [
                "zhang2024vitamina",
                "ronn2021effect",
                "zhang2024vitaminb",
                "berg2020study"
            ]
        );
    }

    #[test]
    fn shared_keys_are_lettered_in_entry_order_and_the_rest_kept() {
        // 30 entries of one key (lettered past "z": "aa" …), interleaved with keys seen
        // once and twice, against the counting of each key's occurrences
        let mut base: Vec<Text> = Vec::new();
        for i in 0..60 {
            base.push(match i % 4 {
                0 | 2 => "smith2020vitamin".into(),
                1 => format!("once{i}").into(),
                _ => ["twice", "twice", "thrice"][(i / 4) % 3].into(),
            });
        }
        let got = unique_keys(base.clone());
        let mut seen = std::collections::HashMap::new();
        let want: Vec<String> = base
            .iter()
            .map(|k| {
                let total = base.iter().filter(|b| *b == k).count();
                if total < 2 {
                    return k.to_string();
                }
                let n = seen.entry(k.clone()).or_insert(0);
                *n += 1;
                format!("{k}{}", suffix(*n))
            })
            .collect();
        assert_eq!(got, want);
        assert_eq!(got[0], "smith2020vitamina");
        assert_eq!(got[58], "smith2020vitaminad", "the 30th: past z");
        assert_eq!(got[1], "once1");
        assert!(got.iter().collect::<std::collections::HashSet<_>>().len() == got.len());
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape("A & B 50% $5 #1 a_b {x}"),
            r"A \& B 50\% \$5 \#1 a\_b \{x\}"
        );
        let mut x = r("Kühn, G", 2017, "Vitamine D & K: 100% of {it}");
        x.pages = "1-20".into();
        x.et_al = true;
        let b = bibtex(&[x]);
        assert!(b.contains("@article{kuhn2017vitamine,"));
        assert!(b.contains("author = {Kühn, G. and others}"));
        assert!(b.contains(r"title = {Vitamine D \& K: 100\% of \{it\}}"));
        assert!(b.contains("pages = {1--20}"));
    }
}
