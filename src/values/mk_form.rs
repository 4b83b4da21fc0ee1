//! Vitamin K forms.
//!
//! Text form: `K1`, `K2` (menaquinone, chain length unspecified), `MK-4` … `MK-13`,
//! and ranges `MK-4..MK-13`. Parsing accepts the synonyms of `data/forms.tsv`
//! (menaquinone-7, menachinon-7, MK7, MK 7, K2-7 → MK-7; menatetrenon → MK-4;
//! phylloquinone, fylloquinon → K1; menaquinone, menachinon → K2).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::lexicon;

/// Why a form could not be read.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("not a vitamin K form: {0:?}")]
pub struct MkFormError(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MkForm {
    K1,
    K2,
    Mk(u8),
    MkRange(u8, u8),
}

/// Chain lengths of the menaquinones that exist (MK-1 … MK-14).
fn valid_chain(n: u8) -> bool {
    (1..=14).contains(&n)
}

impl FromStr for MkForm {
    type Err = MkFormError;
    /// Remembers what it read, per thread: every form mention of every
    /// document is parsed, the spellings are few (a corpus repeats "MK-7"
    /// and "menaquinone-7" thousands of times), and matching them against
    /// the synonym patterns of `data/forms.tsv` one by one is the costly part.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        thread_local! {
            static READ: crate::memo::Memory<Result<MkForm, MkFormError>> = Default::default();
        }
        if s.len() > 64 {
            return parse_form(s);
        }
        crate::memo::recall(&READ, s, parse_form)
    }
}

/// [`MkForm::from_str`] without the memory.
fn parse_form(s: &str) -> Result<MkForm, MkFormError> {
    let t = s.trim();
    if let Some((a, b)) = t.split_once("..") {
        return match (a.parse()?, b.parse()?) {
            (MkForm::Mk(x), MkForm::Mk(y)) if x < y => Ok(MkForm::MkRange(x, y)),
            _ => Err(MkFormError(s.to_string())),
        };
    }
    for p in lexicon::FORM_NAMES.iter() {
        if let Some(c) = p.regex.captures(t) {
            let form = match c.get(1) {
                Some(n) => {
                    let n: u8 = n.as_str().parse().map_err(|_| MkFormError(s.to_string()))?;
                    if !valid_chain(n) {
                        return Err(MkFormError(s.to_string()));
                    }
                    p.value.replace("{n}", &n.to_string())
                }
                None => p.value.to_string(),
            };
            return match form.as_str() {
                "K1" => Ok(MkForm::K1),
                "K2" => Ok(MkForm::K2),
                f => f
                    .strip_prefix("MK-")
                    .and_then(|n| n.parse().ok())
                    .map(MkForm::Mk)
                    .ok_or_else(|| MkFormError(s.to_string())),
            };
        }
    }
    match t {
        "K1" => Ok(MkForm::K1),
        "K2" => Ok(MkForm::K2),
        _ => Err(MkFormError(s.to_string())),
    }
}

impl fmt::Display for MkForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MkForm::K1 => f.write_str("K1"),
            MkForm::K2 => f.write_str("K2"),
            MkForm::Mk(n) => write!(f, "MK-{n}"),
            MkForm::MkRange(a, b) => write!(f, "MK-{a}..MK-{b}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synonyms() {
        for s in [
            "menaquinone-7",
            "menaquinon-7",
            "menachinon-7",
            "MK7",
            "MK 7",
            "MK-7",
            "K2-7",
            "vitamin K2-7",
            "Menaquinone-7",
        ] {
            assert_eq!(s.parse::<MkForm>(), Ok(MkForm::Mk(7)), "{s}");
        }
        assert_eq!("menatetrenon".parse::<MkForm>(), Ok(MkForm::Mk(4)));
        assert_eq!("menatetrenone".parse::<MkForm>(), Ok(MkForm::Mk(4)));
        assert_eq!("fylloquinon".parse::<MkForm>(), Ok(MkForm::K1));
        assert_eq!("phylloquinone".parse::<MkForm>(), Ok(MkForm::K1));
        assert_eq!("menachinonen".parse::<MkForm>(), Ok(MkForm::K2));
        assert!("MK-99".parse::<MkForm>().is_err());
        assert!("vitamin C".parse::<MkForm>().is_err());
    }

    #[test]
    fn round_trip() {
        for f in [
            MkForm::K1,
            MkForm::K2,
            MkForm::Mk(4),
            MkForm::Mk(13),
            MkForm::MkRange(4, 13),
        ] {
            assert_eq!(f.to_string().parse::<MkForm>(), Ok(f));
        }
    }
}
