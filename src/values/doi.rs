//! Digital Object Identifiers.
//!
//! Text form: the bare DOI in lower case, `10.3390/nu16020549`. Parsing accepts
//! what reference lists actually contain: `DOI: 10.…`, `doi:10.…`,
//! `https://doi.org/10.…`, `http://dx.doi.org/10.…`, with a trailing period or
//! bracket left over from the sentence. DOIs are case-insensitive (the DOI
//! handbook, §2.4), so lower case is the canonical spelling used for comparing
//! and deduplicating references.

use crate::per_thread::PerThread;
use std::fmt;
use std::str::FromStr;

use regex::Regex;
use thiserror::Error;

/// A DOI without prefix, lower case: `10.1155/2017/7453471`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Doi(String);

/// Why a text is not a DOI.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DoiError {
    #[error("empty DOI")]
    Empty,
    #[error("not a DOI (expected 10.NNNN/suffix): {0:?}")]
    Invalid(String),
}

/// Prefixes that announce or resolve a DOI; stripped before validation.
static PREFIX: PerThread<Regex> = PerThread::new(|| {
    Regex::new(r"(?i)^(?:doi\s*:?\s*|https?://(?:dx\.)?doi\.org/|(?:dx\.)?doi\.org/)").unwrap()
});

/// The DOI syntax: directory indicator `10.`, a registrant code of at least four
/// digits (possibly with sub-codes), `/`, and a non-empty suffix without spaces.
static VALID: PerThread<Regex> =
    PerThread::new(|| Regex::new(r"^10\.\d{4,9}(?:\.\d+)*/\S+$").unwrap());

/// A DOI somewhere in running text, with whatever announces it.
static IN_TEXT: PerThread<Regex> = PerThread::new(|| {
    Regex::new(
        r"(?i)(?:\bdoi\s*:?\s*)?(?:https?://(?:dx\.)?doi\.org/)?\b10\.\d{4,9}(?:\.\d+)*/[^\s]+",
    )
    .unwrap()
});

impl Doi {
    /// The bare, lower-case DOI.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first DOI in `text` and the byte range it occupies there, including
    /// its "DOI:" / resolver prefix (so a caller can cut it out of an entry).
    pub fn find_in(text: &str) -> Option<(Doi, std::ops::Range<usize>)> {
        for m in IN_TEXT.find_iter(text) {
            if let Ok(d) = m.as_str().parse::<Doi>() {
                return Some((d, m.range()));
            }
        }
        None
    }
}

/// Strip punctuation that belongs to the sentence, not the DOI. A closing
/// bracket stays when the DOI itself opened one (`10.1002/(sici)1097…`).
fn trim_trailing(s: &str) -> &str {
    let mut t = s;
    loop {
        let before = t;
        t = t.trim_end_matches(['.', ',', ';', ':', '"', '\'', '”', '’', '>']);
        for close in [')', ']'] {
            let open = if close == ')' { '(' } else { '[' };
            if t.ends_with(close) && t.matches(open).count() < t.matches(close).count() {
                t = &t[..t.len() - 1];
            }
        }
        if t == before {
            return t;
        }
    }
}

impl FromStr for Doi {
    type Err = DoiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut t = s.trim();
        if t.is_empty() {
            return Err(DoiError::Empty);
        }
        // "DOI:http://dx.doi.org/10…" carries two prefixes.
        for _ in 0..2 {
            if let Some(m) = PREFIX.find(t) {
                t = t[m.end()..].trim_start();
            }
        }
        let t = trim_trailing(t);
        if t.is_empty() {
            return Err(DoiError::Empty);
        }
        if !VALID.is_match(t) {
            return Err(DoiError::Invalid(s.trim().to_string()));
        }
        Ok(Doi(t.to_lowercase()))
    }
}

impl fmt::Display for Doi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        s.parse::<Doi>().map(|d| d.to_string()).unwrap_or_default()
    }

    #[test]
    fn spellings() {
        assert_eq!(p("DOI: 10.1000/ABC.123."), "10.1000/abc.123");
        assert_eq!(p("doi:10.5555/xyz-9"), "10.5555/xyz-9");
        assert_eq!(p("https://doi.org/10.1234/Foo.Bar"), "10.1234/foo.bar");
        assert_eq!(p("http://dx.doi.org/10.9999/q.2.3"), "10.9999/q.2.3");
        assert_eq!(p("DOI:http://dx.doi.org/10.4321/k.1"), "10.4321/k.1");
        assert_eq!(p("10.12345/a(b)c)."), "10.12345/a(b)c");
    }

    #[test]
    fn invalid() {
        assert_eq!("".parse::<Doi>(), Err(DoiError::Empty));
        assert!(matches!(
            "11.1234/x".parse::<Doi>(),
            Err(DoiError::Invalid(_))
        ));
        assert!(matches!(
            "10.12/x".parse::<Doi>(),
            Err(DoiError::Invalid(_))
        ));
        assert!(matches!(
            "10.1234/".parse::<Doi>(),
            Err(DoiError::Invalid(_))
        ));
    }

    #[test]
    fn round_trip() {
        for s in ["10.1000/abc", "10.5555/x.y-z_1", "10.1002/(sici)1097-4636"] {
            let d: Doi = s.parse().unwrap();
            assert_eq!(d.to_string().parse::<Doi>().unwrap(), d);
            assert_eq!(d.to_string(), s);
        }
    }

    #[test]
    fn find_in_text() {
        let t = "Some Journal, 3(2), 1-9. DOI: 10.7777/Sj.2020.3.2.1. Retrieved later";
        let (d, r) = Doi::find_in(t).unwrap();
        assert_eq!(d.as_str(), "10.7777/sj.2020.3.2.1");
        assert!(t[r].starts_with("DOI: 10.7777"));
        assert!(Doi::find_in("no identifier here 10.5 mg").is_none());
    }
}
