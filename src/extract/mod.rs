//! Stage 2: find the things the datasets are made of, one file per kind.
//!
//! Each extractor is a plain function from a [`Document`] to rows. The shared
//! grammar lives beside them: [`quantities`] (amounts, units, bases),
//! [`mentions`] (nutrient, form and food names) and [`context`] (which
//! nutrient/form an amount is about).

pub mod context;
pub mod dosages;
pub mod forms;
pub mod mentions;
pub mod nutrient_values;
pub mod quantities;

use crate::model::{Document, Extracted};

/// Run every extractor on one document.
pub fn extract_document(doc: &Document) -> Extracted {
    let (dosages, dose_notes) = dosages::extract_dosages_with_notes(doc);
    Extracted {
        nutrient_values: nutrient_values::extract_nutrient_values(doc),
        dosages,
        forms: forms::extract_forms(doc),
        warnings: dose_notes,
        ..Default::default()
    }
}
