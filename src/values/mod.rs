//! Typed values, one file per kind, each with `FromStr` and `Display` that
//! round-trip and its own error type (in the manner of hayagriva's `types`).

pub mod author;
pub mod basis;
pub mod doi;
pub mod mk_form;
pub mod number;
pub mod pages;
pub mod quantity;
pub mod range;
pub mod unit;

pub use basis::Basis;
pub use mk_form::MkForm;
pub use number::{format_number, parse_number};
pub use quantity::Quantity;
pub use range::Range;
pub use unit::Unit;
