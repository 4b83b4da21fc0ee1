//! Page ranges and article numbers of journal articles.
//!
//! Text form: `2675-2684` (a range, written out in full, ASCII hyphen) or a
//! single page / article number as given: `1646`, `e073233`, `091001`.
//! Reference lists abbreviate the last page ("2675-84", Vancouver style, and
//! "121-6"); comparing or deduplicating entries needs the full form, so the
//! shared leading digits are restored on parsing. Leading zeros of article
//! numbers are kept because they are part of the identifier.

use crate::per_thread::PerThread;
use std::fmt;
use std::str::FromStr;

use regex::Regex;
use thiserror::Error;

/// A page, a range of pages, or an article number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageRange {
    pub start: String,
    pub end: Option<String>,
}

/// Why a text is not a page range.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PagesError {
    #[error("empty page range")]
    Empty,
    #[error("not a page range: {0:?}")]
    Invalid(String),
}

/// One page: digits with an optional letter prefix ("e073233", "S12") or a
/// roman numeral ("xii"). A prefix never starts with "p": "p8" and "PP8" are
/// page 8 with the "p."/"pp." marker, so a page printed as "Pa8" would read
/// back as "a8" (found by fuzzing: the text form must parse to itself).
const PAGE: &str = r"(?:(?:[A-OQ-Za-oq-z][A-Za-z]?)?\d+[a-z]?|[ivxlcdm]+)";

static RANGE: PerThread<Regex> = PerThread::new(|| {
    Regex::new(&format!(
        r"^(?:(?i:pp?)\.?\s*)?({PAGE})(?:\s*(?:[-‐‑‒–—]+|\bto\b)\s*({PAGE}))?$"
    ))
    .unwrap()
});

/// Split "e1234" into ("e", "1234").
fn split_prefix(p: &str) -> (&str, &str) {
    let i = p.find(|c: char| c.is_ascii_digit()).unwrap_or(p.len());
    p.split_at(i)
}

/// Restore the digits an abbreviated last page leaves out: ("2675", "84") →
/// "2684". Kept as written when that would not give a later page.
fn expand_end(start: &str, end: &str) -> String {
    let (sp, sd) = split_prefix(start);
    let (ep, ed) = split_prefix(end);
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !numeric(sd) || !numeric(ed) || !(ep.is_empty() || ep == sp) {
        return end.to_string();
    }
    if ed.len() < sd.len() {
        let full = format!("{}{}", &sd[..sd.len() - ed.len()], ed);
        if full.parse::<u64>().ok() >= sd.parse::<u64>().ok() {
            return format!("{sp}{full}");
        }
    }
    format!("{sp}{ed}")
}

impl FromStr for PageRange {
    type Err = PagesError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().trim_end_matches(['.', ',', ';']).trim();
        if t.is_empty() {
            return Err(PagesError::Empty);
        }
        let c = RANGE
            .captures(t)
            .ok_or_else(|| PagesError::Invalid(s.trim().to_string()))?;
        let start = c.get(1).map_or("", |m| m.as_str()).to_string();
        let end = c.get(2).map(|m| expand_end(&start, m.as_str()));
        Ok(PageRange { start, end })
    }
}

impl fmt::Display for PageRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.end {
            Some(e) => write!(f, "{}-{}", self.start, e),
            None => f.write_str(&self.start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        s.parse::<PageRange>()
            .map(|r| r.to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn a_p_is_the_page_marker_not_a_prefix() {
        assert_eq!(p("p8"), "8");
        assert_eq!(p("PP8"), "8");
        assert_eq!(p("pp. 12-9"), "12-19");
        assert_eq!(p("Pa8"), "a8");
        assert_eq!(p("S12"), "S12");
        assert!("PP\tPP8".parse::<PageRange>().is_err());
    }

    #[test]
    fn abbreviated_ends_are_expanded() {
        assert_eq!(p("3311-27"), "3311-3327");
        assert_eq!(p("455-8"), "455-458");
        assert_eq!(p("98761–5"), "98761-98765");
        assert_eq!(p("1201 - 1215"), "1201-1215");
        assert_eq!(p("pp. 12–19"), "12-19");
        assert_eq!(p("99-101"), "99-101");
        // Not a later page: kept as written.
        assert_eq!(p("458-3"), "458-3");
    }

    #[test]
    fn article_numbers_as_given() {
        assert_eq!(p("3051"), "3051");
        assert_eq!(p("e012345"), "e012345");
        assert_eq!(p("004512"), "004512");
        assert_eq!(p("p.77"), "77");
        assert_eq!(p("e101-8"), "e101-e108");
        assert_eq!(p("33-33"), "33-33");
    }

    #[test]
    fn errors() {
        assert_eq!("  ".parse::<PageRange>(), Err(PagesError::Empty));
        assert!(matches!(
            "vol 3".parse::<PageRange>(),
            Err(PagesError::Invalid(_))
        ));
    }

    #[test]
    fn round_trip() {
        for s in ["3311-3327", "3051", "e012345", "S4-S9"] {
            let r: PageRange = s.parse().unwrap();
            assert_eq!(r.to_string(), s);
            assert_eq!(r.to_string().parse::<PageRange>().unwrap(), r);
        }
    }
}
