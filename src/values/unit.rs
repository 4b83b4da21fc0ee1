//! Units of an amount.
//!
//! Text form (canonical): `ug`, `mg`, `g`, `IU`. Parsing accepts every spelling
//! in `data/units.tsv` (mcg, µg, μg, microgram(men), IE, I.E., internationale
//! eenheden, …).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::lexicon;

/// Why a unit could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("unknown unit {0:?}")]
pub struct UnitError(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    Ug,
    Mg,
    G,
    Iu,
}

/// Micrograms of vitamin D in one IU (the only nutrient here with a defined factor).
pub const VITAMIN_D_UG_PER_IU: f64 = 0.025;

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Ug => "ug",
            Unit::Mg => "mg",
            Unit::G => "g",
            Unit::Iu => "IU",
        }
    }

    /// Micrograms in one unit of `nutrient`; `None` where no factor exists
    /// (IU of anything but vitamin D).
    pub fn ug_factor(self, nutrient: &str) -> Option<f64> {
        match self {
            Unit::Ug => Some(1.0),
            Unit::Mg => Some(1_000.0),
            Unit::G => Some(1_000_000.0),
            Unit::Iu => nutrient
                .starts_with("vitamin D")
                .then_some(VITAMIN_D_UG_PER_IU),
        }
    }
}

impl FromStr for Unit {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match lexicon::unit_canonical(s) {
            Some("ug") => Ok(Unit::Ug),
            Some("mg") => Ok(Unit::Mg),
            Some("g") => Ok(Unit::G),
            Some("IU") => Ok(Unit::Iu),
            _ => Err(UnitError(s.to_string())),
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        for s in [
            "mcg",
            "µg",
            "μg",
            "ug",
            "microgram",
            "micrograms",
            "microgrammen",
        ] {
            assert_eq!(s.parse::<Unit>(), Ok(Unit::Ug), "{s}");
        }
        for s in [
            "IU",
            "IE",
            "ie",
            "I.E.",
            "international units",
            "internationale eenheden",
        ] {
            assert_eq!(s.parse::<Unit>(), Ok(Unit::Iu), "{s}");
        }
        assert_eq!("milligram".parse::<Unit>(), Ok(Unit::Mg));
        assert_eq!("gram".parse::<Unit>(), Ok(Unit::G));
        assert!("ng".parse::<Unit>().is_err());
    }

    #[test]
    fn round_trip() {
        for u in [Unit::Ug, Unit::Mg, Unit::G, Unit::Iu] {
            assert_eq!(u.to_string().parse::<Unit>(), Ok(u));
        }
    }

    #[test]
    fn factors() {
        assert_eq!(Unit::Mg.ug_factor("calcium"), Some(1000.0));
        assert_eq!(Unit::Iu.ug_factor("vitamin D3"), Some(0.025));
        assert_eq!(Unit::Iu.ug_factor("vitamin K2"), None);
    }
}
