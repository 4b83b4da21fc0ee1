//! Stage 2: turn documents into rows.

pub mod citations;
pub mod references;
