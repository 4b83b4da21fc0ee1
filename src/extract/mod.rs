//! Stage 2: find the things the datasets are made of, one file per kind.
//!
//! Each extractor is a plain function from a [`Document`] to rows. The shared
//! grammar lives beside them: [`quantities`] (amounts, units, bases),
//! [`mentions`] (nutrient, form and food names) and [`context`] (which
//! nutrient/form an amount is about).

pub mod citations;
pub mod context;
pub mod dosages;
pub mod forms;
pub mod mentions;
pub mod nutrient_values;
pub mod quantities;
pub mod references;

use crate::model::{Document, Extracted};

/// Run every extractor on one document.
pub fn extract_document(doc: &Document) -> Extracted {
    let (references, warnings) = references::extract_references(doc);
    let citations = citations::extract_citations(doc, &references);
    let amounts = quantities::DocAmounts::of(doc);
    let (dosages, dose_notes) = dosages::extract_dosages_with(doc, &amounts);
    Extracted {
        nutrient_values: nutrient_values::extract_nutrient_values_with(doc, &amounts),
        dosages,
        forms: forms::extract_forms(doc),
        references,
        citations,
        warnings: [warnings, dose_notes].concat(),
    }
}
