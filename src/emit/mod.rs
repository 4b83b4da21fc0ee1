//! Writers for the output formats that are not plain tables.

pub mod bibtex;
pub mod csl;
