//! A deterministic benchmark corpus made from the source texts
//! (`nutripipe bench-corpus --mb 200 DIR`).
//!
//! The five real documents are far too small to measure throughput, and real
//! scraped pages cannot be committed in bulk. So the generator takes the units
//! the pipeline actually works on — prose lines, list items, tables and the
//! entries of reference lists — from the sources and recombines them into many
//! documents of 5–50 KB, varying what makes rows distinct: the amounts (scaled
//! per line, so ranges stay ordered), the foods (any synonym from the food
//! lexicon), the first author of a reference (a made-up family name) and the
//! DOI's last digits. Every document therefore exercises the same grammar as
//! the sources, in the same languages, with citation markers that resolve into
//! the document's own reference list.
//!
//! Determinism: the only randomness is a SplitMix64 generator seeded from the
//! `--seed` argument and the file's index, so the same arguments give
//! byte-identical files, and a smaller corpus is a prefix (same files) of a
//! larger one with the same seed. `--mb` counts decimal megabytes (10^6 bytes),
//! the unit the benchmark reports MB/s in.

use std::fs;
use std::path::Path;
use std::sync::LazyLock;

use rayon::prelude::*;
use regex::Regex;
use thiserror::Error;

use crate::extract::references::extract_references;
use crate::ingest;
use crate::lexicon::{alternation, FOOD_NAMES};
use crate::model::{Lang, LineKind};

/// Name of the generated files: `doc-000042.txt`.
fn file_name(i: usize) -> String {
    format!("doc-{i:06}.txt")
}

fn is_generated(name: &str) -> bool {
    name.strip_prefix("doc-")
        .and_then(|r| r.strip_suffix(".txt"))
        .is_some_and(|n| n.len() == 6 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, good enough for test
/// data, and fully specified here so the corpus never depends on a crate's
/// version.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; 0 gives 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        (!v.is_empty()).then(|| &v[self.below(v.len())])
    }
}

/// The building blocks taken from the sources.
#[derive(Debug, Default)]
pub struct Pool {
    /// Prose lines, list items and headings, by language.
    prose: Vec<(Lang, String)>,
    /// Tables (header and rows, with the heading above them if any), by language.
    tables: Vec<(Lang, Vec<String>)>,
    /// Numbering styles of reference entries: text before and after the
    /// number ("- [" and "]", "" and ".").
    ref_styles: Vec<(String, String)>,
    /// Reference entries without their numbering.
    refs: Vec<String>,
    /// Headings of reference lists, by language.
    ref_headings: Vec<(Lang, String)>,
}

/// Why a corpus could not be written.
#[derive(Debug, Error)]
pub enum CorpusError {
    #[error("--mb must be a positive number")]
    Size,
    #[error(transparent)]
    Sources(#[from] ingest::IngestError),
    #[error("no text to build a corpus from in {0}")]
    NoText(std::path::PathBuf),
    #[error("{dir} holds {name}, which the generator did not write; use an empty or new folder")]
    Foreign {
        dir: std::path::PathBuf,
        name: String,
    },
    #[error("cannot {what} {path}: {source}")]
    Io {
        what: &'static str,
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> CorpusError {
    let path = path.to_path_buf();
    move |source| CorpusError::Io { what, path, source }
}

impl Pool {
    /// Read every source under `raw` and cut it into building blocks.
    pub fn from_sources(raw: &Path) -> Result<Pool, CorpusError> {
        let (files, _) = ingest::list_sources(raw)?;
        let mut pool = Pool::default();
        for rel in &files {
            let Ok((doc, _, _)) = ingest::load(raw, rel) else {
                continue;
            };
            let (refs, _) = extract_references(&doc);
            let ref_lines: std::collections::BTreeSet<usize> =
                refs.iter().map(|r| r.line).collect();
            let first_ref = ref_lines.iter().next().copied();
            let mut table: Vec<String> = Vec::new();
            for (i, line) in doc.lines.iter().enumerate() {
                let is_table = matches!(line.kind, LineKind::TableHeader | LineKind::TableRow);
                if !is_table && !table.is_empty() {
                    pool.tables.push((doc.lang, std::mem::take(&mut table)));
                }
                if line.kind == LineKind::Blank {
                    continue;
                }
                if ref_lines.contains(&line.no) {
                    if let Some((before, after, rest)) = split_numbering(&line.text) {
                        pool.ref_styles.push((before, after));
                        pool.refs.push(rest);
                    }
                    continue;
                }
                if first_ref == Some(line.no + 1) && line.kind == LineKind::Heading {
                    pool.ref_headings.push((doc.lang, line.text.clone()));
                    continue;
                }
                if is_table {
                    if table.is_empty() && line.kind == LineKind::TableHeader && i > 0 {
                        // the title above a table belongs with it
                        if let Some(prev) = doc.lines.get(i - 1) {
                            if prev.kind == LineKind::Heading {
                                pool.prose.pop();
                                table.push(prev.text.clone());
                            }
                        }
                    }
                    table.push(line.text.clone());
                    continue;
                }
                pool.prose.push((doc.lang, line.text.clone()));
            }
            if !table.is_empty() {
                pool.tables.push((doc.lang, table));
            }
        }
        if pool.prose.is_empty() {
            return Err(CorpusError::NoText(raw.to_path_buf()));
        }
        Ok(pool)
    }
}

/// "- [3] Kühn, G. …" → ("- [", "]", " Kühn, G. …"); "3. Zhang T …" → ("", ".", " Zhang T …").
fn split_numbering(line: &str) -> Option<(String, String, String)> {
    static NUM: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\s*(?:[-•*]\s+)?\[?)\d{1,3}(\]?[.)]?)(\s.*)$").unwrap());
    let c = NUM.captures(line)?;
    Some((c[1].to_string(), c[2].to_string(), c[3].to_string()))
}

/// Food names of the lexicon (not groups), the vocabulary foods are varied with.
static FOODS: LazyLock<(Regex, Vec<String>)> = LazyLock::new(|| {
    let names: Vec<String> = FOOD_NAMES
        .iter()
        .filter(|s| s.len() > 3)
        .map(|s| s.to_string())
        .collect();
    let re = Regex::new(&format!(
        r"(?i)\b(?:{})\b",
        alternation(names.iter().map(String::as_str))
    ))
    .unwrap_or_else(|_| Regex::new(r"\bnatto\b").expect("literal regex"));
    (re, names)
});

static MARKER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[(\d{1,3})\]").unwrap());

/// Scale the whole numbers of a line by one factor (so "90-180" stays a
/// range), leaving alone numbers inside words ("K2", "MK-7"), years, decimals,
/// citation markers and numbers with a leading zero.
fn vary_numbers(line: &str, rng: &mut Rng) -> String {
    const FACTORS: [f64; 8] = [0.5, 0.75, 1.0, 1.0, 1.25, 1.5, 2.0, 3.0];
    let f = FACTORS[rng.below(FACTORS.len())];
    if f == 1.0 {
        return line.to_string();
    }
    let b = line.as_bytes();
    let mut out = String::with_capacity(line.len() + 8);
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let prev = start.checked_sub(1).map(|k| b[k]);
        let prev2 = start.checked_sub(2).map(|k| b[k]);
        let next = b.get(i).copied();
        let next2 = b.get(i + 1).copied();
        let in_word = prev.is_some_and(|p| p.is_ascii_alphabetic() || p >= 0x80)
            || (prev == Some(b'-') && !prev2.is_some_and(|p| p.is_ascii_digit()))
            || next.is_some_and(|n| n.is_ascii_alphabetic() && n != b'm' && n != b'g');
        let decimal = matches!(prev, Some(b'.' | b','))
            && prev2.is_some_and(|p| p.is_ascii_digit())
            || matches!(next, Some(b'.' | b',')) && next2.is_some_and(|n| n.is_ascii_digit());
        let marker = prev == Some(b'[') || next == Some(b']');
        let digits = &line[start..i];
        let year = digits.len() == 4 && (digits.starts_with("19") || digits.starts_with("20"));
        if in_word || decimal || marker || year || digits.starts_with('0') || digits.len() > 6 {
            continue;
        }
        let Ok(n) = digits.parse::<u64>() else {
            continue;
        };
        let v = ((n as f64 * f).round() as u64).max(1);
        out.push_str(&line[last..start]);
        out.push_str(&v.to_string());
        last = i;
    }
    out.push_str(&line[last..]);
    out
}

/// Replace about half the food names of a line with another food of the lexicon.
fn vary_foods(line: &str, rng: &mut Rng) -> String {
    let (re, names) = &*FOODS;
    let mut out = String::with_capacity(line.len() + 16);
    let mut last = 0;
    for m in re.find_iter(line) {
        if !rng.chance(0.5) {
            continue;
        }
        let Some(new) = rng.pick(names) else { break };
        out.push_str(&line[last..m.start()]);
        if m.as_str().starts_with(|c: char| c.is_uppercase()) {
            let mut cs = new.chars();
            if let Some(c) = cs.next() {
                out.extend(c.to_uppercase());
                out.push_str(cs.as_str());
            }
        } else {
            out.push_str(new);
        }
        last = m.end();
    }
    out.push_str(&line[last..]);
    out
}

/// A family name from four syllables (24^4 ≈ 330 000 names), so that the same
/// source entry copied into many documents is mostly by different "authors"
/// and the duplicate audit sees realistic, not universal, duplicates.
fn family_name(rng: &mut Rng) -> String {
    const SYL: [&str; 24] = [
        "ba", "ker", "vo", "lin", "da", "mo", "ren", "si", "to", "gal", "ne", "ru", "fa", "hel",
        "ja", "kos", "ma", "ter", "wi", "zan", "bo", "li", "sen", "dra",
    ];
    let mut s = String::new();
    for _ in 0..2 + rng.below(3) {
        s.push_str(SYL[rng.below(SYL.len())]);
    }
    let mut cs = s.chars();
    match cs.next() {
        Some(c) => c.to_uppercase().chain(cs).collect(),
        None => "Doe".into(),
    }
}

/// A reference entry numbered `no`, with a new first author and new last
/// digits of its DOI (one entry in 500 is kept as written: a true duplicate).
fn vary_reference(style: &(String, String), rest: &str, no: usize, rng: &mut Rng) -> String {
    let (before, after) = style;
    static FIRST_NAME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\s+)(\p{Lu}[\p{L}'’-]+)").unwrap());
    static DOI_TAIL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(10\.\d{4,9}/[^\s]*?)(\d{1,4})([.;,]?\s*$|[.;,]?\s)").unwrap()
    });
    let mut rest = rest.to_string();
    if !rng.chance(0.002) {
        if let Some(c) = FIRST_NAME.captures(&rest) {
            let name = family_name(rng);
            rest = format!("{}{}{}", &c[1], name, &rest[c[0].len()..]);
        }
        if let Some(c) = DOI_TAIL.captures(&rest) {
            let (Some(all), Some(tail)) = (c.get(0), c.get(2)) else {
                return format!("{before}{no}{after}{rest}");
            };
            let digits: String = (0..tail.as_str().len())
                .map(|_| char::from(b'0' + rng.below(10) as u8))
                .collect();
            rest = format!(
                "{}{}{}{}",
                &rest[..all.start()],
                &c[1],
                digits,
                &rest[tail.end()..]
            );
        }
    }
    format!("{before}{no}{after}{rest}")
}

/// One generated document of about `target` bytes.
fn document(pool: &Pool, rng: &mut Rng) -> String {
    let target = 5_000 + rng.below(45_001);
    let lang = pool.prose[rng.below(pool.prose.len())].0;
    let prose: Vec<&str> = pool
        .prose
        .iter()
        .filter(|(l, _)| *l == lang)
        .map(|(_, t)| t.as_str())
        .collect();
    let tables: Vec<&Vec<String>> = pool
        .tables
        .iter()
        .filter(|(l, _)| *l == lang)
        .map(|(_, t)| t)
        .collect();
    let mut lines: Vec<String> = Vec::new();
    let mut size = 0usize;
    // leave room for the reference list (~200 bytes an entry)
    let body = target.saturating_sub(1_500);
    let mut max_marker = 0usize;
    while size < body {
        let block: Vec<String> = if !tables.is_empty() && rng.chance(0.08) {
            let t = tables[rng.below(tables.len())];
            let mut b = vec![String::new()];
            b.extend(t.iter().map(|l| vary_foods(&vary_numbers(l, rng), rng)));
            b.push(String::new());
            b
        } else {
            let Some(l) = rng.pick(&prose) else { break };
            vec![vary_foods(&vary_numbers(l, rng), rng)]
        };
        for l in block {
            for c in MARKER.captures_iter(&l) {
                if let Ok(n) = c[1].parse::<usize>() {
                    max_marker = max_marker.max(n);
                }
            }
            size += l.len() + 1;
            lines.push(l);
        }
    }
    let n_refs = if max_marker > 0 {
        max_marker.min(60)
    } else if rng.chance(0.5) {
        3 + rng.below(10)
    } else {
        0
    };
    if n_refs > 0 && !pool.refs.is_empty() {
        lines.push(String::new());
        let heading = pool
            .ref_headings
            .iter()
            .filter(|(l, _)| *l == lang)
            .map(|(_, h)| h.clone())
            .next()
            .unwrap_or_else(|| match lang {
                Lang::Nl => "Referenties".into(),
                Lang::En => "References".into(),
            });
        lines.push(heading);
        // one numbering style per list, as in a real page
        let style = &pool.ref_styles[rng.below(pool.ref_styles.len())];
        for no in 1..=n_refs {
            let rest = &pool.refs[rng.below(pool.refs.len())];
            lines.push(vary_reference(style, rest, no, rng));
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// The seed of file `i`: independent streams per file, so files can be made
/// in parallel and a smaller corpus is a prefix of a larger one.
fn file_seed(seed: u64, i: usize) -> u64 {
    Rng::new(seed ^ (i as u64).wrapping_mul(0xA24B_AED4_963E_E407)).next_u64()
}

/// Write a corpus of at least `mb` decimal megabytes into `dir`; returns the
/// number of files and bytes. `dir` may exist but hold only generated files
/// (they are replaced), so that pointing it at real sources cannot destroy them.
pub fn generate(raw: &Path, dir: &Path, mb: f64, seed: u64) -> Result<(usize, u64), CorpusError> {
    if !(mb > 0.0 && mb.is_finite()) {
        return Err(CorpusError::Size);
    }
    let pool = Pool::from_sources(raw)?;
    if dir.exists() {
        for e in fs::read_dir(dir).map_err(io("list", dir))? {
            let e = e.map_err(io("list", dir))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if !is_generated(&name) {
                return Err(CorpusError::Foreign {
                    dir: dir.to_path_buf(),
                    name,
                });
            }
            let path = e.path();
            fs::remove_file(&path).map_err(io("remove", &path))?;
        }
    }
    fs::create_dir_all(dir).map_err(io("create", dir))?;
    let want = (mb * 1e6) as u64;
    let mut total = 0u64;
    let mut n = 0usize;
    const BATCH: usize = 64;
    while total < want {
        let docs: Vec<String> = (n..n + BATCH)
            .into_par_iter()
            .map(|i| document(&pool, &mut Rng::new(file_seed(seed, i))))
            .collect();
        for d in docs {
            if total >= want {
                break;
            }
            let path = dir.join(file_name(n));
            fs::write(&path, d.as_bytes()).map_err(io("write", &path))?;
            total += d.len() as u64;
            n += 1;
        }
    }
    Ok((n, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_scale_but_not_forms_years_or_markers() {
        let mut r = Rng::new(3);
        for _ in 0..20 {
            let s = vary_numbers("MK-7 90-180 mcg in 2019 [12] 1,5 mg D3", &mut r);
            assert!(s.starts_with("MK-7 "));
            assert!(s.contains(" in 2019 [12] 1,5 mg D3"), "{s}");
        }
    }

    #[test]
    fn same_seed_same_document() {
        let pool = Pool {
            prose: vec![(Lang::En, "Natto has 1000 mcg per 100 g [2].".into())],
            tables: vec![],
            ref_styles: vec![("".into(), ".".into())],
            refs: vec![
                " Zhang T et al. Title here. Foods. 2024;13:1646. doi:10.3390/foods13111646".into(),
            ],
            ref_headings: vec![],
        };
        let a = document(&pool, &mut Rng::new(file_seed(1, 7)));
        let b = document(&pool, &mut Rng::new(file_seed(1, 7)));
        assert_eq!(a, b);
        assert!(a.len() >= 3_500, "{}", a.len());
        assert!(a.contains("\nReferences\n1. "));
        assert!(a.contains("\n2. "));
    }
}
