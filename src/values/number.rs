//! Numbers as written in Dutch and English text.
//!
//! Text form: `1,2` (Dutch decimal) · `4.000` (Dutch thousands) · `15,000`
//! (English thousands) · `1.5` (English decimal) · `1 200` / `1 200` (space or
//! thin-space thousands). A separator followed by exactly three digits is a
//! thousands separator in the language that uses it that way (`.` in Dutch, `,` in
//! English) and a decimal separator otherwise; with one, two or four or more digits
//! after it, it can only be a decimal separator.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::model::Lang;

/// Why a number could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum NumberError {
    #[error("empty number")]
    Empty,
    #[error("not a number: {0:?}")]
    Invalid(String),
    #[error("number too long ({0} digits)")]
    TooLong(usize),
}

/// Longest digit string accepted; longer runs are not amounts (ids, garbage).
pub const MAX_DIGITS: usize = 18;

/// Parse a number as written in a sentence of language `lang`.
pub fn parse_number(s: &str, lang: Lang) -> Result<f64, NumberError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(NumberError::Empty);
    }
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    if digits > MAX_DIGITS {
        return Err(NumberError::TooLong(digits));
    }
    // space-like thousands separators
    let s: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{2009}' | '\u{202f}' | '\''))
        .collect();
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        || !s.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(NumberError::Invalid(s));
    }
    let (dec_sep, thou_sep) = match lang {
        Lang::Nl => (',', '.'),
        Lang::En => ('.', ','),
    };
    let has = |c: char| s.contains(c);
    let normalized = if has('.') && has(',') {
        // both present: the last one is the decimal separator
        let last_dot = s.rfind('.').unwrap_or(0);
        let last_comma = s.rfind(',').unwrap_or(0);
        let (d, t) = if last_dot > last_comma {
            ('.', ',')
        } else {
            (',', '.')
        };
        s.replace(t, "").replace(d, ".")
    } else if has(thou_sep) || has(dec_sep) {
        let sep = if has(thou_sep) { thou_sep } else { dec_sep };
        let groups: Vec<&str> = s.split(sep).collect();
        let thousands_shape =
            groups.len() >= 2 && groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3);
        if sep == thou_sep && thousands_shape {
            s.replace(sep, "")
        } else if groups.len() == 2 {
            s.replace(sep, ".")
        } else if thousands_shape {
            // "1.000.000" in English text is still thousands
            s.replace(sep, "")
        } else {
            return Err(NumberError::Invalid(s));
        }
    } else {
        s
    };
    normalized
        .parse::<f64>()
        .map_err(|_| NumberError::Invalid(normalized))
}

/// Format a number for the outputs: plain decimal, `.` separator, no
/// thousands separator, no trailing `.0` (`1000`, `0.025`, `6.25`).
pub fn format_number(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    if x == x.trunc() && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    // round away binary noise (0.1 + 0.2) at nine decimals, then print the
    // shortest form that reads back to the same value
    let r = (x * 1e9).round() / 1e9;
    format!("{r}")
}

/// A number read from text, kept with its value (Display gives the output form).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number(pub f64);

impl FromStr for Number {
    type Err = NumberError;
    /// Reads the output form (`1200`, `0.025`), i.e. English conventions.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_number(s, Lang::En).map(Number)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_number(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dutch_numbers() {
        assert_eq!(parse_number("1,2", Lang::Nl), Ok(1.2));
        assert_eq!(parse_number("4.000", Lang::Nl), Ok(4000.0));
        assert_eq!(parse_number("8.216", Lang::Nl), Ok(8216.0));
        assert_eq!(parse_number("55,5", Lang::Nl), Ok(55.5));
        assert_eq!(parse_number("1 200", Lang::Nl), Ok(1200.0));
        assert_eq!(parse_number("1.000.000", Lang::Nl), Ok(1_000_000.0));
        assert_eq!(parse_number("1.234,5", Lang::Nl), Ok(1234.5));
    }

    #[test]
    fn english_numbers() {
        assert_eq!(parse_number("15,000", Lang::En), Ok(15000.0));
        assert_eq!(parse_number("6,425", Lang::En), Ok(6425.0));
        assert_eq!(parse_number("1.5", Lang::En), Ok(1.5));
        assert_eq!(parse_number("0.025", Lang::En), Ok(0.025));
        assert_eq!(parse_number("1 200", Lang::En), Ok(1200.0));
        assert_eq!(parse_number("1,5", Lang::En), Ok(1.5));
        assert_eq!(parse_number("1,234.5", Lang::En), Ok(1234.5));
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_number("", Lang::En).is_err());
        assert!(parse_number("1,2,3", Lang::En).is_err());
        assert!(parse_number(&"9".repeat(400), Lang::En).is_err());
        assert!(parse_number("abc", Lang::Nl).is_err());
    }

    #[test]
    fn output_format() {
        assert_eq!(format_number(1000.0), "1000");
        assert_eq!(format_number(0.025), "0.025");
        assert_eq!(format_number(6.25), "6.25");
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(45000.0), "45000");
    }

    proptest! {
        #[test]
        fn integers_round_trip_in_both_languages(n in 0u64..10_000_000) {
            let en = format!("{}", n);
            prop_assert_eq!(parse_number(&en, Lang::En), Ok(n as f64));
            prop_assert_eq!(parse_number(&en, Lang::Nl), Ok(n as f64));
        }

        #[test]
        fn thousands_grouping_by_language(n in 1000u64..10_000_000) {
            let plain = n.to_string();
            let mut grouped = String::new();
            for (i, c) in plain.chars().enumerate() {
                if i > 0 && (plain.len() - i) % 3 == 0 { grouped.push('#'); }
                grouped.push(c);
            }
            prop_assert_eq!(parse_number(&grouped.replace('#', ","), Lang::En), Ok(n as f64));
            prop_assert_eq!(parse_number(&grouped.replace('#', "."), Lang::Nl), Ok(n as f64));
            prop_assert_eq!(parse_number(&grouped.replace('#', " "), Lang::Nl), Ok(n as f64));
        }

        /// What `find_amounts_with` rests on: without `,` or `.` a number
        /// reads the same in both languages (so the sentence's language,
        /// costly to tell, is not asked for it).
        #[test]
        fn language_matters_only_with_a_separator(s in "[0-9 \u{a0}\u{2009}'x-]{0,12}") {
            prop_assert_eq!(parse_number(&s, Lang::Nl), parse_number(&s, Lang::En));
        }

        #[test]
        fn decimals_by_language(int in 0u32..1000, frac in 1u32..100) {
            let v: f64 = format!("{int}.{frac:02}").parse().unwrap();
            prop_assert_eq!(parse_number(&format!("{int},{frac:02}"), Lang::Nl), Ok(v));
            prop_assert_eq!(parse_number(&format!("{int}.{frac:02}"), Lang::En), Ok(v));
        }

        #[test]
        fn format_then_parse_round_trips(x in 0.0f64..1e9) {
            let x = (x * 1000.0).round() / 1000.0;
            let s = format_number(x);
            let back: Number = s.parse().unwrap();
            prop_assert!((back.0 - x).abs() <= 1e-9 * x.max(1.0));
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_number(&s, Lang::Nl);
            let _ = parse_number(&s, Lang::En);
        }
    }
}
