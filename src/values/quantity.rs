//! An amount with its qualifier and unit.
//!
//! Text form: `~100 ug`, `10-20 mg`, `<=45 mg` (up to), `>=100 ug` (at least).
//! This is the normalised form the audit report prints; the many source
//! spellings ("ongeveer 100 mcg", "tot 45 mg", "tussen 400 en 2000 IE") are read by
//! `extract::quantities` into this type.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use super::range::{Range, RangeError};
use super::unit::{Unit, UnitError};
use crate::model::Qualifier;

/// Why a quantity could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum QuantityError {
    #[error("quantity {0:?} has no unit")]
    MissingUnit(String),
    #[error(transparent)]
    Range(#[from] RangeError),
    #[error(transparent)]
    Unit(#[from] UnitError),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity {
    pub qualifier: Qualifier,
    pub range: Range,
    pub unit: Unit,
}

impl Quantity {
    /// The amount in micrograms of `nutrient`, where a factor exists.
    pub fn in_ug(&self, nutrient: &str) -> Option<Range> {
        self.unit.ug_factor(nutrient).map(|f| self.range.scale(f))
    }
}

fn qualifier_prefix(q: Qualifier) -> &'static str {
    match q {
        Qualifier::Exact => "",
        Qualifier::Approx => "~",
        Qualifier::UpTo => "<=",
        Qualifier::AtLeast => ">=",
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (qualifier, rest) = if let Some(r) = s.strip_prefix('~') {
            (Qualifier::Approx, r)
        } else if let Some(r) = s.strip_prefix("<=") {
            (Qualifier::UpTo, r)
        } else if let Some(r) = s.strip_prefix(">=") {
            (Qualifier::AtLeast, r)
        } else {
            (Qualifier::Exact, s)
        };
        let (num, unit) = rest
            .trim()
            .rsplit_once(' ')
            .ok_or_else(|| QuantityError::MissingUnit(s.to_string()))?;
        Ok(Quantity {
            qualifier,
            range: num.parse()?,
            unit: unit.parse()?,
        })
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{} {}",
            qualifier_prefix(self.qualifier),
            self.range,
            self.unit
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_display_round_trip() {
        for s in [
            "~100 ug",
            "10-20 mg",
            "<=45 mg",
            ">=100 ug",
            "1000-2000 IU",
            "1.2 g",
        ] {
            let q: Quantity = s.parse().unwrap();
            assert_eq!(q.to_string(), s);
        }
        assert!("100".parse::<Quantity>().is_err());
        assert!("100 ng".parse::<Quantity>().is_err());
    }

    #[test]
    fn conversion_to_ug() {
        let q: Quantity = "800 IU".parse().unwrap();
        assert_eq!(q.in_ug("vitamin D"), Some(Range::single(20.0)));
        assert_eq!(q.in_ug("vitamin K2"), None);
        let q: Quantity = "1.2 g".parse().unwrap();
        assert_eq!(q.in_ug("calcium"), Some(Range::single(1_200_000.0)));
    }
}
