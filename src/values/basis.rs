//! The reference quantity a food value is stated per.
//!
//! Text form: `per 25 g`, `per 1 tablespoon`, `per 100 ml`. Units are the
//! contract's `basis_unit` vocabulary (`data/basis_units.tsv` lists the spellings:
//! eetlepel → tablespoon, portie → portion, kg → g × 1000, …).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use super::number::{format_number, Number};
use crate::lexicon;

/// Why a basis could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BasisError {
    #[error("unknown basis unit {0:?}")]
    Unit(String),
    #[error("bad basis amount {0:?}")]
    Amount(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Basis {
    pub amount: f64,
    /// Canonical basis unit (`g`, `ml`, `oz`, `tablespoon`, `portion`, …).
    pub unit: String,
}

impl Basis {
    /// Build a basis from a stated amount and unit spelling ("1 kg" → 1000 g).
    pub fn from_spelling(amount: f64, unit: &str) -> Result<Basis, BasisError> {
        let info = lexicon::basis_unit(unit).ok_or_else(|| BasisError::Unit(unit.to_string()))?;
        Ok(Basis {
            amount: amount * info.scale,
            unit: info.unit.to_string(),
        })
    }

    /// Weight in grams, for mass units (g, oz).
    pub fn grams(&self) -> Option<f64> {
        lexicon::basis_unit(&self.unit)
            .and_then(|i| i.grams)
            .map(|g| g * self.amount)
    }

    /// Is this a household measure (tablespoon, portion, …) rather than a mass or volume?
    pub fn is_household(&self) -> bool {
        !matches!(self.unit.as_str(), "g" | "oz" | "ml")
    }
}

impl FromStr for Basis {
    type Err = BasisError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let s = s.strip_prefix("per ").unwrap_or(s).trim();
        match s.split_once(' ') {
            Some((a, u)) => {
                let n: Number = a.parse().map_err(|_| BasisError::Amount(a.to_string()))?;
                Basis::from_spelling(n.0, u)
            }
            None => Basis::from_spelling(1.0, s),
        }
    }
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "per {} {}", format_number(self.amount), self.unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spellings() {
        assert_eq!(
            "per 25 g".parse::<Basis>().unwrap(),
            Basis {
                amount: 25.0,
                unit: "g".into()
            }
        );
        assert_eq!(
            "per eetlepel".parse::<Basis>().unwrap(),
            Basis {
                amount: 1.0,
                unit: "tablespoon".into()
            }
        );
        assert_eq!(
            "per 1 kg".parse::<Basis>().unwrap(),
            Basis {
                amount: 1000.0,
                unit: "g".into()
            }
        );
        assert_eq!("per portie".parse::<Basis>().unwrap().unit, "portion");
        assert!("per bucket".parse::<Basis>().is_err());
    }

    #[test]
    fn round_trip_and_grams() {
        for s in ["per 25 g", "per 1 tablespoon", "per 100 ml", "per 2 oz"] {
            assert_eq!(s.parse::<Basis>().unwrap().to_string(), s);
        }
        assert_eq!("per 2 oz".parse::<Basis>().unwrap().grams(), Some(56.699));
        assert_eq!("per tablespoon".parse::<Basis>().unwrap().grams(), None);
    }
}
