//! One schema per output table, shared by the CSV writer, the JSON writer and
//! `datapackage.json`, so the three can never disagree about a column.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Number as JsonNumber, Value};

use crate::model::{
    Citation, Discrepancy, Dosage, FoodConsensus, FormMention, NutrientValue, Reference, Text,
};
use crate::values::format_number;

/// Type of a column, in Table Schema terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    /// A list of strings: `; `-joined in CSV, an array in JSON.
    List,
}

impl FieldType {
    pub fn table_schema(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::List => "list",
        }
    }
}

/// A column: name, type and what it means.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    pub description: &'static str,
}

const fn f(name: &'static str, ty: FieldType, description: &'static str) -> Field {
    Field {
        name,
        ty,
        description,
    }
}

use FieldType::{Boolean as B, Integer as I, List as L, Number as N, String as S};

/// A cell value, borrowed from its row: a table of a large corpus is written
/// cell by cell, and copying every string once more per cell was a good part
/// of writing it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Null,
    Str(&'a str),
    Int(i64),
    Num(f64),
    Bool(bool),
    List(&'a [String]),
    /// A list of short values (ids, `doc:line` places).
    Texts(&'a [Text]),
}

impl<'a> Cell<'a> {
    fn str(s: &'a str) -> Cell<'a> {
        if s.is_empty() {
            Cell::Null
        } else {
            Cell::Str(s)
        }
    }

    fn opt(x: Option<f64>) -> Cell<'a> {
        match x {
            Some(v) if v.is_finite() => Cell::Num(v),
            _ => Cell::Null,
        }
    }

    fn num(v: f64) -> Cell<'a> {
        Cell::opt(Some(v))
    }

    /// The CSV text of the cell.
    pub fn csv(&self) -> Cow<'a, str> {
        match *self {
            Cell::Null => Cow::Borrowed(""),
            Cell::Str(s) => Cow::Borrowed(s),
            Cell::Int(i) => Cow::Owned(i.to_string()),
            Cell::Num(x) => Cow::Owned(format_number(x)),
            Cell::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
            Cell::List(v) => Cow::Owned(v.join("; ")),
            Cell::Texts(v) => {
                Cow::Owned(v.iter().map(Text::as_str).collect::<Vec<&str>>().join("; "))
            }
        }
    }

    /// The number a `Num` cell has in JSON: integers print without ".0",
    /// others as the shortest text that reads back as the CSV's figure.
    fn json_number(x: f64) -> Option<JsonNumber> {
        if x == x.trunc() && x.abs() < 9e15 {
            Some(JsonNumber::from(x as i64))
        } else {
            format_number(x)
                .parse::<f64>()
                .ok()
                .and_then(JsonNumber::from_f64)
        }
    }

    /// The JSON value of the cell.
    pub fn json(&self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Str(s) => Value::String(s.to_string()),
            Cell::Int(i) => Value::from(*i),
            Cell::Num(x) => Cell::json_number(*x).map_or(Value::Null, Value::Number),
            Cell::Bool(b) => Value::Bool(*b),
            Cell::List(v) => Value::Array(v.iter().cloned().map(Value::String).collect()),
            Cell::Texts(v) => {
                Value::Array(v.iter().map(|t| Value::String(t.to_string())).collect())
            }
        }
    }
}

/// Serialised as [`Cell::json`] gives, without building the `Value`.
impl Serialize for Cell<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match *self {
            Cell::Null => ser.serialize_unit(),
            Cell::Str(s) => ser.serialize_str(s),
            Cell::Int(i) => ser.serialize_i64(i),
            Cell::Num(x) => match Cell::json_number(x) {
                Some(n) => n.serialize(ser),
                None => ser.serialize_unit(),
            },
            Cell::Bool(b) => ser.serialize_bool(b),
            Cell::List(v) => v.serialize(ser),
            Cell::Texts(v) => v.serialize(ser),
        }
    }
}

/// One row as the JSON object [`row_json`] builds (keys in schema order),
/// serialised straight from the row.
pub struct JsonRow<'a, T>(pub &'a T);

impl<T: TableRow> Serialize for JsonRow<'_, T> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let schema = T::schema();
        let mut map = ser.serialize_map(Some(schema.len()))?;
        for (field, cell) in schema.iter().zip(self.0.cells()) {
            map.serialize_entry(field.name, &cell)?;
        }
        map.end()
    }
}

/// A row type of an output table.
pub trait TableRow {
    /// File stem: `NAME.csv`, `NAME.json`.
    const NAME: &'static str;
    /// What the table holds, for `datapackage.json`.
    const DESCRIPTION: &'static str;
    fn schema() -> &'static [Field];
    fn cells(&self) -> Vec<Cell<'_>>;
}

/// A table's rows as JSON objects.
pub fn to_json<T: TableRow>(rows: &[T]) -> Value {
    Value::Array(rows.iter().map(row_json).collect())
}

/// One row as a JSON object, keys in schema order.
pub fn row_json<T: TableRow>(r: &T) -> Value {
    let mut m = Map::new();
    for (field, cell) in T::schema().iter().zip(r.cells()) {
        m.insert(field.name.to_string(), cell.json());
    }
    Value::Object(m)
}

const PROV: [Field; 5] = [
    f(
        "id",
        S,
        "stable row id: hash of table, document, line and character offset",
    ),
    f("doc", S, "source document id (file name without extension)"),
    f("line", I, "1-based line in the source file"),
    f(
        "quote",
        S,
        "the source sentence or table row, whitespace-collapsed",
    ),
    f("lang", S, "ISO 639-1 language of the sentence (nl, en)"),
];

static NUTRIENT_VALUES: [Field; 21] = [
    PROV[0],
    PROV[1],
    PROV[2],
    PROV[3],
    PROV[4],
    f(
        "food",
        S,
        "canonical English food name, lower case, singular",
    ),
    f("food_raw", S, "the food as written"),
    f(
        "nutrient",
        S,
        "nutrient (vitamin K2, vitamin D3, calcium, ...)",
    ),
    f(
        "form",
        S,
        "vitamin K form named in the same sentence (K1, K2, MK-4 ... MK-13), else empty",
    ),
    f("qualifier", S, "empty (exact), approx, up_to or at_least"),
    f("amount_min", N, "stated amount (lower end), in unit"),
    f("amount_max", N, "stated amount (upper end), in unit"),
    f("unit", S, "unit as stated, normalised: ug, mg, g, IU"),
    f(
        "value_ug_min",
        N,
        "amount_min in micrograms (null where no conversion factor exists)",
    ),
    f("value_ug_max", N, "amount_max in micrograms"),
    f(
        "basis_amount",
        N,
        "the reference quantity the value is per (25 for 'per 25 g')",
    ),
    f(
        "basis_unit",
        S,
        "unit of the basis: g, oz, ml, tablespoon, portion, serving, ...",
    ),
    f(
        "basis_g",
        N,
        "the basis in grams; household measures only from data/household_measures.tsv",
    ),
    f(
        "ug_per_100g_min",
        N,
        "value_ug_min scaled to 100 g (null when basis_g is null)",
    ),
    f("ug_per_100g_max", N, "value_ug_max scaled to 100 g"),
    f(
        "basis_source",
        S,
        "source of the gram weight of a household measure",
    ),
];

impl TableRow for NutrientValue {
    const NAME: &'static str = "nutrient_values";
    const DESCRIPTION: &'static str =
        "How much of a nutrient a food contains: one row per food per statement";
    fn schema() -> &'static [Field] {
        &NUTRIENT_VALUES
    }
    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::str(&self.id),
            Cell::str(&self.doc),
            Cell::Int(self.line as i64),
            Cell::str(&self.quote),
            Cell::str(self.lang.code()),
            Cell::str(&self.food),
            Cell::str(&self.food_raw),
            Cell::str(&self.nutrient),
            Cell::str(&self.form),
            Cell::str(self.qualifier.as_str()),
            Cell::num(self.amount_min),
            Cell::num(self.amount_max),
            Cell::str(&self.unit),
            Cell::opt(self.value_ug_min),
            Cell::opt(self.value_ug_max),
            Cell::num(self.basis_amount),
            Cell::str(&self.basis_unit),
            Cell::opt(self.basis_g),
            Cell::opt(self.ug_per_100g_min),
            Cell::opt(self.ug_per_100g_max),
            Cell::str(&self.basis_source),
        ]
    }
}

static DOSAGES: [Field; 23] = [
    PROV[0],
    PROV[1],
    PROV[2],
    PROV[3],
    PROV[4],
    f(
        "nutrient",
        S,
        "nutrient (vitamin K2, vitamin D3, calcium, ...)",
    ),
    f(
        "form",
        S,
        "vitamin K form named in the same sentence, else empty",
    ),
    f("qualifier", S, "empty (exact), approx, up_to or at_least"),
    f(
        "indication",
        S,
        "what the dose is for, canonical English, lower case",
    ),
    f("indication_raw", S, "the indication as written"),
    f("population", S, "who the dose is for, when stated"),
    f(
        "amount_min",
        N,
        "stated amount of one intake (lower end), in unit",
    ),
    f(
        "amount_max",
        N,
        "stated amount of one intake (upper end), in unit",
    ),
    f("unit", S, "unit as stated, normalised: ug, mg, g, IU"),
    f(
        "times_per_day",
        N,
        "intakes per day (1 unless stated; null when stated but unknown)",
    ),
    f(
        "value_ug_min",
        N,
        "per-day amount in micrograms (amount x times_per_day); null where no factor",
    ),
    f("value_ug_max", N, "per-day amount in micrograms, upper end"),
    f(
        "co_nutrients",
        L,
        "other nutrients named with the dose; each is also its own row",
    ),
    f(
        "alt_amount_min",
        N,
        "stated equivalent in parentheses ('800' of '20 µg (800 IE)'), lower end",
    ),
    f("alt_amount_max", N, "stated equivalent, upper end"),
    f("alt_unit", S, "unit of the stated equivalent"),
    f("offset", I, "character offset of the amount in the line"),
    f(
        "note",
        S,
        "remarks of the extractor (e.g. frequency stated but unknown)",
    ),
];

impl TableRow for Dosage {
    const NAME: &'static str = "dosages";
    const DESCRIPTION: &'static str = "Intake or dose statements, per day";
    fn schema() -> &'static [Field] {
        &DOSAGES
    }
    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::str(&self.id),
            Cell::str(&self.doc),
            Cell::Int(self.line as i64),
            Cell::str(&self.quote),
            Cell::str(self.lang.code()),
            Cell::str(&self.nutrient),
            Cell::str(&self.form),
            Cell::str(self.qualifier.as_str()),
            Cell::str(&self.indication),
            Cell::str(&self.indication_raw),
            Cell::str(&self.population),
            Cell::num(self.amount_min),
            Cell::num(self.amount_max),
            Cell::str(&self.unit),
            Cell::opt(self.times_per_day),
            Cell::opt(self.value_ug_min),
            Cell::opt(self.value_ug_max),
            Cell::List(&self.co_nutrients),
            Cell::opt(self.alt_amount_min),
            Cell::opt(self.alt_amount_max),
            Cell::str(&self.alt_unit),
            Cell::Int(self.offset as i64),
            if self.times_per_day.is_none() {
                Cell::str("frequency stated but unknown; per-day values as stated")
            } else {
                Cell::Null
            },
        ]
    }
}

static REFERENCES: [Field; 16] = [
    PROV[0],
    PROV[1],
    PROV[2],
    f("ref_no", I, "the entry's number in its list"),
    f("raw", S, "the entry as written"),
    f("style", S, "vancouver, apa or other"),
    f("authors", L, "'Family, Initials' per author"),
    f("et_al", B, "the author list ends in 'et al.'"),
    f("year", I, "publication year"),
    f("title", S, "title, without trailing period"),
    f("title_lang", S, "language of the title as written"),
    f(
        "journal",
        S,
        "journal as written, glued words split where certain",
    ),
    f("volume", S, "volume"),
    f("issue", S, "issue"),
    f("pages", S, "pages in full form, or the article number"),
    f("doi", S, "DOI, bare and lower case"),
];

impl TableRow for Reference {
    const NAME: &'static str = "references";
    const DESCRIPTION: &'static str = "Entries of the documents' reference lists";
    fn schema() -> &'static [Field] {
        &REFERENCES
    }
    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::str(&self.id),
            Cell::str(&self.doc),
            Cell::Int(self.line as i64),
            Cell::Int(self.ref_no),
            Cell::str(&self.raw),
            Cell::str(&self.style),
            Cell::List(&self.authors),
            Cell::Bool(self.et_al),
            self.year.map_or(Cell::Null, Cell::Int),
            Cell::str(&self.title),
            Cell::str(&self.title_lang),
            Cell::str(&self.journal),
            Cell::str(&self.volume),
            Cell::str(&self.issue),
            Cell::str(&self.pages),
            Cell::str(&self.doi),
        ]
    }
}

static CITATIONS: [Field; 8] = [
    PROV[0],
    PROV[1],
    PROV[2],
    f("marker", S, "the marker as written ('[13]', '[24]24}')"),
    f("ref_no", I, "the number it points to (one row per number)"),
    f(
        "resolved",
        B,
        "the document's reference list has an entry with that number",
    ),
    f("context", S, "the sentence around the marker"),
    f("malformed", B, "the marker is broken"),
];

impl TableRow for Citation {
    const NAME: &'static str = "citations";
    const DESCRIPTION: &'static str = "In-text citation markers, one row per number";
    fn schema() -> &'static [Field] {
        &CITATIONS
    }
    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::str(&self.id),
            Cell::str(&self.doc),
            Cell::Int(self.line as i64),
            Cell::str(&self.marker),
            Cell::Int(self.ref_no),
            Cell::Bool(self.resolved),
            Cell::str(&self.context),
            Cell::Bool(self.malformed),
        ]
    }
}

static FORMS: [Field; 6] = [
    PROV[0],
    PROV[1],
    PROV[2],
    PROV[4],
    f("form_raw", S, "the form as written"),
    f(
        "form",
        S,
        "canonical form: K1, K2, MK-4 ... MK-13, or a range MK-4..MK-13",
    ),
];

impl TableRow for FormMention {
    const NAME: &'static str = "forms";
    const DESCRIPTION: &'static str = "Every mention of a vitamin K form";
    fn schema() -> &'static [Field] {
        &FORMS
    }
    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::str(&self.id),
            Cell::str(&self.doc),
            Cell::Int(self.line as i64),
            Cell::str(self.lang.code()),
            Cell::str(&self.form_raw),
            Cell::str(&self.form),
        ]
    }
}

static CONSENSUS: [Field; 11] = [
    f("food", S, "canonical food name"),
    f("nutrient", S, "nutrient"),
    f(
        "basis",
        S,
        "'per 100 g', or the household basis when no gram weight is known",
    ),
    f("n_values", I, "rows of nutrient_values behind it"),
    f("n_docs", I, "distinct documents"),
    f("min", N, "lowest value (ug per basis)"),
    f("max", N, "highest value (ug per basis)"),
    f("median", N, "median of the values' midpoints"),
    f("spread", N, "max / min (1 when they agree)"),
    f("status", S, "single, agree or conflict"),
    f("value_ids", L, "ids of the nutrient_values rows"),
];

impl TableRow for FoodConsensus {
    const NAME: &'static str = "food_consensus";
    const DESCRIPTION: &'static str = "Reconciled figures per food x nutrient x comparable basis";
    fn schema() -> &'static [Field] {
        &CONSENSUS
    }
    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::str(&self.food),
            Cell::str(&self.nutrient),
            Cell::str(&self.basis),
            Cell::Int(self.n_values),
            Cell::Int(self.n_docs),
            Cell::num(self.min),
            Cell::num(self.max),
            Cell::num(self.median),
            Cell::num(self.spread),
            Cell::str(&self.status),
            Cell::Texts(&self.value_ids),
        ]
    }
}

static DISCREPANCIES: [Field; 8] = [
    f("id", S, "stable id"),
    f("kind", S, "value_conflict, equivalence_mismatch, implausible_value, dangling_citation, unused_reference, citation_mismatch, malformed_marker, duplicate_reference, doi_mismatch"),
    f("severity", S, "info, warning or error"),
    f("subject", S, "what it is about"),
    f("detail", S, "one plain sentence explaining the problem"),
    f("docs", L, "documents involved"),
    f("evidence", L, "ids of the rows involved"),
    f("where", L, "every source line it rests on, as doc:line"),
];

impl TableRow for Discrepancy {
    const NAME: &'static str = "discrepancies";
    const DESCRIPTION: &'static str = "The audit: everything a reviewer should look at";
    fn schema() -> &'static [Field] {
        &DISCREPANCIES
    }
    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::str(&self.id),
            Cell::str(&self.kind),
            Cell::str(self.severity.as_str()),
            Cell::str(&self.subject),
            Cell::str(&self.detail),
            Cell::Texts(&self.docs),
            Cell::Texts(&self.evidence),
            Cell::Texts(&self.r#where),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_match_schema_length() {
        assert_eq!(
            NutrientValue::default().cells().len(),
            NutrientValue::schema().len()
        );
        assert_eq!(Dosage::default().cells().len(), Dosage::schema().len());
        assert_eq!(
            Reference::default().cells().len(),
            Reference::schema().len()
        );
        assert_eq!(Citation::default().cells().len(), Citation::schema().len());
        assert_eq!(
            FormMention::default().cells().len(),
            FormMention::schema().len()
        );
        assert_eq!(
            FoodConsensus::default().cells().len(),
            FoodConsensus::schema().len()
        );
    }

    #[test]
    fn number_cells() {
        assert_eq!(Cell::Num(45000.0).csv(), "45000");
        assert_eq!(Cell::Num(0.025).csv(), "0.025");
        assert_eq!(Cell::Num(45000.0).json(), serde_json::json!(45000));
        assert_eq!(Cell::Num(6.25).json(), serde_json::json!(6.25));
        assert_eq!(Cell::List(&["a".into(), "b".into()]).csv(), "a; b");
    }
}
