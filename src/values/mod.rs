//! Typed values read from the text: each has a canonical text form
//! (`Display`) that parses back to the same value (`FromStr`).

pub mod author;
pub mod doi;
pub mod pages;
