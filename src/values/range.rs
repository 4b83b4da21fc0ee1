//! A value or a range of values.
//!
//! Text form: `100` or `10-20` (output form: `.` decimals, `-` between ends).
//! Parsing the text of sources (`10–20`, `10 to 20`, `10 tot 20`,
//! `tussen 10 en 20`) is the job of `extract::quantities`; this type holds the
//! result and round-trips its own output form.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use super::number::{format_number, Number, NumberError};

/// Why a range could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RangeError {
    #[error(transparent)]
    Number(#[from] NumberError),
    #[error("range {0:?} ends below its start")]
    Reversed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

impl Range {
    pub fn single(v: f64) -> Range {
        Range { min: v, max: v }
    }

    /// Build a range, putting the ends in order.
    pub fn ordered(a: f64, b: f64) -> Range {
        Range {
            min: a.min(b),
            max: a.max(b),
        }
    }

    pub fn scale(self, f: f64) -> Range {
        Range {
            min: self.min * f,
            max: self.max * f,
        }
    }

    pub fn midpoint(self) -> f64 {
        (self.min + self.max) / 2.0
    }

    pub fn overlaps(self, other: Range) -> bool {
        self.min <= other.max && other.min <= self.max
    }
}

impl FromStr for Range {
    type Err = RangeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        // a leading minus is a sign only in the first position; split after it
        let split = s.char_indices().skip(1).find(|(_, c)| *c == '-');
        match split {
            Some((i, _)) => {
                let a: Number = s[..i].parse()?;
                let b: Number = s[i + 1..].parse()?;
                if b.0 < a.0 {
                    return Err(RangeError::Reversed(s.to_string()));
                }
                Ok(Range { min: a.0, max: b.0 })
            }
            None => Ok(Range::single(s.parse::<Number>()?.0)),
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            f.write_str(&format_number(self.min))
        } else {
            write!(f, "{}-{}", format_number(self.min), format_number(self.max))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_and_display() {
        assert_eq!(
            "10-20".parse::<Range>(),
            Ok(Range {
                min: 10.0,
                max: 20.0
            })
        );
        assert_eq!("100".parse::<Range>(), Ok(Range::single(100.0)));
        assert_eq!("0.025".parse::<Range>().unwrap().to_string(), "0.025");
        assert!("20-10".parse::<Range>().is_err());
        assert!(Range::ordered(1.0, 5.0).overlaps(Range::ordered(5.0, 9.0)));
        assert!(!Range::ordered(1.0, 4.0).overlaps(Range::ordered(5.0, 9.0)));
    }

    proptest! {
        #[test]
        fn round_trip(a in 0u32..100000, b in 0u32..100000) {
            let r = Range::ordered(a as f64 / 10.0, b as f64 / 10.0);
            prop_assert_eq!(r.to_string().parse::<Range>(), Ok(r));
        }
    }
}
