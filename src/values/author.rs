//! Personal names of authors as reference lists write them.
//!
//! Text form: `Family, Initials` with the initials run together and no dots:
//! `Rønn, SH`, `Olszewska-Czyz, I`, `van der Berg, A`. This is the contract's
//! form for the `authors` column; it is what every citation style can be reduced
//! to, since many styles (Vancouver) never give more than initials.
//!
//! Parsing accepts the three orders found in the wild:
//! - family first, initials without dots: `Zhang T`, `Olszewska-Czyz I`;
//! - family, comma, given names or initials: `Kühn, G.`, `Rønn, S. H.`,
//!   `Waxman, Sandra R.` (→ initials `SR`), `van der Berg, A.`;
//! - given first: `M. Balat-Pichelin`, `J. C. Butcher`.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// One author: family name (with its particles) and initials.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Author {
    pub family: String,
    /// Upper-case initials without dots or spaces ("SH"); may be empty.
    pub initials: String,
}

/// Why a text is not an author name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthorError {
    #[error("empty author name")]
    Empty,
    #[error("no family name in {0:?}")]
    NoFamily(String),
}

/// A token that is a block of initials written without dots ("T", "SH", "JCC").
fn is_bare_initials(t: &str) -> bool {
    let n = t.chars().count();
    (1..=4).contains(&n) && t.chars().all(|c| c.is_uppercase())
}

/// A token of dotted initials ("S.", "S.H.", "J.-P.").
fn is_dotted_initials(t: &str) -> bool {
    t.ends_with('.')
        && t.split(['.', '-'])
            .filter(|p| !p.is_empty())
            .all(|p| p.chars().count() <= 2 && p.chars().next().is_some_and(char::is_uppercase))
}

/// Initials of given names: the first letter of every name or dotted part.
/// "S. H." → "SH"; "Sandra R." → "SR"; "J.C.C." → "JCC"; "SH" → "SH".
pub fn initials_of(given: &str) -> String {
    let mut out = String::new();
    for word in given.split_whitespace() {
        let w = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '.' && c != '-');
        if is_bare_initials(w) {
            out.push_str(w);
            continue;
        }
        for part in w.split(['.', '-']) {
            if let Some(c) = part.chars().next().filter(|c| c.is_alphabetic()) {
                out.extend(c.to_uppercase());
            }
        }
    }
    out
}

impl FromStr for Author {
    type Err = AuthorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s
            .trim()
            .trim_end_matches([',', ';'])
            .trim_start_matches([',', ';', '&'])
            .trim();
        if t.is_empty() {
            return Err(AuthorError::Empty);
        }
        let (family, initials) = if let Some((fam, given)) = t.split_once(',') {
            (fam.trim().to_string(), initials_of(given))
        } else {
            let t = t.trim_end_matches('.');
            let toks: Vec<&str> = t.split_whitespace().collect();
            match toks.as_slice() {
                [] => return Err(AuthorError::Empty),
                [only] => (only.to_string(), String::new()),
                [rest @ .., last] if is_bare_initials(last) => (rest.join(" "), last.to_string()),
                _ => {
                    // Given names first: leading dotted initials, then the family name.
                    let n = toks
                        .iter()
                        .take_while(|w| is_dotted_initials(w) || is_bare_initials(w))
                        .count();
                    let given = toks.get(..n).unwrap_or_default().join(" ");
                    (
                        toks.get(n..).unwrap_or_default().join(" "),
                        initials_of(&given),
                    )
                }
            }
        };
        let family = family.trim().trim_end_matches('.').trim().to_string();
        if family.is_empty() || !family.chars().any(char::is_alphabetic) {
            return Err(AuthorError::NoFamily(s.trim().to_string()));
        }
        Ok(Author { family, initials })
    }
}

impl fmt::Display for Author {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.initials.is_empty() {
            f.write_str(&self.family)
        } else {
            write!(f, "{}, {}", self.family, self.initials)
        }
    }
}

impl Author {
    /// Given names as initials with dots, for bibliographic formats:
    /// "SH" → "S. H.".
    pub fn given_dotted(&self) -> String {
        self.initials
            .chars()
            .map(|c| format!("{c}."))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        s.parse::<Author>()
            .map(|a| a.to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn family_then_bare_initials() {
        assert_eq!(p("Wang Q"), "Wang, Q");
        assert_eq!(p("Novak-Horvat JM"), "Novak-Horvat, JM");
        assert_eq!(p("de Vries PJ"), "de Vries, PJ");
    }

    #[test]
    fn family_comma_given() {
        assert_eq!(p("Bäcker, T."), "Bäcker, T");
        assert_eq!(p("Søndergaard, K. L."), "Søndergaard, KL");
        assert_eq!(p("van der Meulen, R."), "van der Meulen, R");
        assert_eq!(p("Fairweather, Lucy M."), "Fairweather, LM");
        assert_eq!(p("Okoro, Chidi Emeka"), "Okoro, CE");
        assert_eq!(p("Lindqvist, A.B.C."), "Lindqvist, ABC");
        assert_eq!(p("Dupont, J.-P."), "Dupont, JP");
    }

    #[test]
    fn given_first() {
        assert_eq!(p("R. Castellano-Ruiz"), "Castellano-Ruiz, R");
        assert_eq!(p("T. H. P. Quist"), "Quist, THP");
        assert_eq!(p("L. O’Brady"), "O’Brady, L");
    }

    #[test]
    fn errors() {
        assert_eq!("".parse::<Author>(), Err(AuthorError::Empty));
        assert!(matches!(
            "12, A.".parse::<Author>(),
            Err(AuthorError::NoFamily(_))
        ));
    }

    #[test]
    fn round_trip() {
        for s in [
            "Bäcker, T",
            "Søndergaard, KL",
            "van der Meulen, R",
            "Madonna",
        ] {
            let a: Author = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
            assert_eq!(a.to_string().parse::<Author>().unwrap(), a);
        }
        assert_eq!(
            "Søndergaard, KL".parse::<Author>().unwrap().given_dotted(),
            "K. L."
        );
    }
}
