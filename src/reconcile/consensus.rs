//! Food values are compared per food × nutrient × comparable basis: "per 100 g"
//! where a gram weight is known, otherwise only with values on the same
//! household basis ("per tablespoon"). A group is a `conflict` when two of its
//! values (from different sources, or one source contradicting itself) do not
//! overlap and the nearer ends differ by
//! more than [`CONFLICT_RATIO`]; rounding and ranges in the sources make smaller
//! differences meaningless.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use crate::model::{place, row_id, Discrepancy, FoodConsensus, NutrientValue, Severity, Text};
use polars::prelude::*;

use super::keys::{CorpusKeys, Remap, Sym, Symbols};

use crate::values::{format_number, Range};

/// Values whose nearer ends differ by more than this factor conflict.
pub const CONFLICT_RATIO: f64 = 1.25;

/// Comparable value of a food row: (basis label, ug range per basis).
pub fn comparable(v: &NutrientValue) -> Option<(String, Range)> {
    match (v.ug_per_100g_min, v.ug_per_100g_max) {
        (Some(a), Some(b)) => Some(("per 100 g".to_string(), Range::ordered(a, b))),
        _ => {
            let (a, b) = (v.value_ug_min?, v.value_ug_max?);
            if v.basis_amount <= 0.0 {
                return None;
            }
            let r = Range::ordered(a, b).scale(1.0 / v.basis_amount);
            let label = if v.basis_unit == "g" || v.basis_unit == "ml" || v.basis_unit == "oz" {
                format!("per 1 {}", v.basis_unit)
            } else {
                format!("per {}", v.basis_unit)
            };
            Some((label, r))
        }
    }
}

/// Do two ranges conflict: disjoint, and the nearer ends more than the ratio apart?
pub fn ranges_conflict(a: Range, b: Range, ratio: f64) -> bool {
    if a.overlaps(b) {
        return false;
    }
    let (lo, hi) = if a.max < b.min {
        (a.max, b.min)
    } else {
        (b.max, a.min)
    };
    lo <= 0.0 || hi / lo > ratio
}

/// Why the consensus could not be computed (a data-frame operation failed).
#[derive(Debug, thiserror::Error)]
#[error("food consensus: {0}")]
pub struct ConsensusError(#[from] PolarsError);

/// What the consensus reads of a food value: the row's id and place, the
/// group it belongs to and its comparable range ([`comparable`]). Only rows
/// with a comparable value have one.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FoodKey {
    pub id: Text,
    pub doc: Sym,
    pub line: usize,
    /// Orders rows within a line (table order); saturates, it only breaks ties.
    pub offset: u32,
    pub food: Sym,
    pub nutrient: Sym,
    /// The comparable basis ("per 100 g", "per tablespoon").
    pub basis: Sym,
    /// ug per basis.
    pub range: Range,
}

impl FoodKey {
    pub fn of(v: &NutrientValue, syms: &mut Symbols) -> Option<FoodKey> {
        let (basis, range) = comparable(v)?;
        Some(FoodKey {
            id: v.id.clone(),
            doc: syms.intern(&v.doc),
            line: v.line,
            offset: u32::try_from(v.offset).unwrap_or(u32::MAX),
            food: syms.intern(&v.food),
            nutrient: syms.intern(&v.nutrient),
            basis: syms.intern(&basis),
            range,
        })
    }
}

impl Remap for FoodKey {
    fn remap(self, map: &[Sym]) -> FoodKey {
        let m = |s: Sym| map[s as usize];
        FoodKey {
            doc: m(self.doc),
            food: m(self.food),
            nutrient: m(self.nutrient),
            basis: m(self.basis),
            ..self
        }
    }

    fn symbols(&self, f: &mut dyn FnMut(Sym)) {
        for s in [self.doc, self.food, self.nutrient, self.basis] {
            f(s);
        }
    }
}

/// The consensus compares the values of one food × nutrient × basis: split
/// by that ([`super::keys::KeySource::parts`]), no group spans two parts.
pub fn route(keys: &CorpusKeys, i: usize) -> Option<u64> {
    let k = &keys.foods[i];
    let s = &keys.syms;
    Some(super::keys::route_of(
        [k.food, k.nutrient, k.basis].map(|n| s.name(n)),
    ))
}

/// The table's order of consensus rows: food, nutrient, basis (one row
/// each). Rows made part by part are put in it once all are made.
pub fn sort_rows(rows: &mut [FoodConsensus]) {
    rows.sort_by(|a, b| (&a.food, &a.nutrient, &a.basis).cmp(&(&b.food, &b.nutrient, &b.basis)));
}

/// The consensus statistics of a batch of groups, computed as a lazy polars
/// group-by: per group (food × nutrient × basis, numbered by the caller) the
/// count, documents, min, max, median of the midpoints and the status. A group
/// conflicts exactly when its largest lower end exceeds [`CONFLICT_RATIO`] ×
/// its smallest upper end: that pair is disjoint and far apart, and any
/// conflicting pair implies it.
///
/// The frame holds one row per food value of the batch: its group and
/// document go in as numbers, which cost a fraction of string columns and
/// group by one key. The caller names and orders the groups.
fn consensus_frame(batch: &[(u32, &[&FoodKey])]) -> Result<DataFrame, PolarsError> {
    let n = batch.iter().map(|(_, m)| m.len()).sum();
    let (mut group, mut docs) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut lo, mut hi) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for &(g, members) in batch {
        for k in members {
            group.push(g);
            docs.push(k.doc);
            lo.push(k.range.min);
            hi.push(k.range.max);
        }
    }
    let df = df!(
        "group" => group,
        "doc" => docs,
        "lo" => lo,
        "hi" => hi,
    )?;
    let conflict = col("max_lo")
        .gt(col("min_hi") * lit(CONFLICT_RATIO))
        .or(col("min_hi")
            .lt_eq(lit(0.0))
            .and(col("max_lo").gt(col("min_hi"))));
    df.lazy()
        .group_by([col("group")])
        .agg([
            len().cast(DataType::Int64).alias("n_values"),
            col("doc").n_unique().cast(DataType::Int64).alias("n_docs"),
            col("lo").min().alias("min"),
            col("hi").max().alias("max"),
            ((col("lo") + col("hi")) / lit(2.0))
                .median()
                .alias("median"),
            col("lo").max().alias("max_lo"),
            col("hi").min().alias("min_hi"),
        ])
        .with_columns([
            when(col("n_values").eq(lit(1)))
                .then(lit("single"))
                .when(conflict)
                .then(lit("conflict"))
                .otherwise(lit("agree"))
                .alias("status"),
            (col("max") / col("min")).alias("spread"),
        ])
        .collect()
}

/// Food values per data frame, at least (a group is never split): the
/// groups are aggregated a batch at a time, so that the group-by's working
/// set stays the same whatever the size of the corpus. Every statistic is
/// one group's, so how the groups are batched changes no figure.
const FRAME_ROWS: usize = 1 << 15;

/// The statistics of every group, column by column, in the order the
/// batches' frames give them.
#[derive(Default)]
struct GroupStats {
    /// The group's number (its place in the caller's list of groups).
    group: Vec<u32>,
    status: Vec<String>,
    n_values: Vec<f64>,
    n_docs: Vec<f64>,
    min: Vec<f64>,
    max: Vec<f64>,
    median: Vec<f64>,
    spread: Vec<f64>,
}

impl GroupStats {
    /// Aggregate one batch of groups and add their statistics.
    fn add(&mut self, batch: &[(u32, &[&FoodKey])]) -> Result<(), PolarsError> {
        let df = consensus_frame(batch)?;
        self.group.extend(codes(&df, "group")?);
        self.status.extend(strings(&df, "status")?);
        self.n_values.extend(floats(&df, "n_values")?);
        self.n_docs.extend(floats(&df, "n_docs")?);
        self.min.extend(floats(&df, "min")?);
        self.max.extend(floats(&df, "max")?);
        self.median.extend(floats(&df, "median")?);
        self.spread.extend(floats(&df, "spread")?);
        Ok(())
    }
}

fn strings(df: &DataFrame, name: &str) -> Result<Vec<String>, PolarsError> {
    Ok(df
        .column(name)?
        .as_materialized_series()
        .str()?
        .iter()
        .map(|s| s.unwrap_or_default().to_string())
        .collect())
}

fn codes(df: &DataFrame, name: &str) -> Result<Vec<u32>, PolarsError> {
    Ok(df
        .column(name)?
        .as_materialized_series()
        .u32()?
        .iter()
        .map(|x| x.unwrap_or_default())
        .collect())
}

fn floats(df: &DataFrame, name: &str) -> Result<Vec<f64>, PolarsError> {
    Ok(df
        .column(name)?
        .as_materialized_series()
        .cast(&DataType::Float64)?
        .f64()?
        .iter()
        .map(|x| x.unwrap_or(f64::NAN))
        .collect())
}

/// Consensus rows and the value conflicts among the food values of `keys`.
pub fn food_consensus(
    keys: &CorpusKeys,
) -> Result<(Vec<FoodConsensus>, Vec<Discrepancy>), ConsensusError> {
    let mut conflicts = Vec::new();
    let rows = food_consensus_each(keys, &mut |d| conflicts.push(d))?;
    Ok((rows, conflicts))
}

/// [`food_consensus`], handing each conflict to `out` as soon as it is
/// made: a conflict over a common food lists every source's value, and in a
/// large corpus the conflicts together are tens of megabytes.
pub fn food_consensus_each(
    keys: &CorpusKeys,
    out: &mut dyn FnMut(Discrepancy),
) -> Result<Vec<FoodConsensus>, ConsensusError> {
    consensus_in_batches(keys, out, FRAME_ROWS)
}

/// [`food_consensus_each`] with the groups aggregated in frames of at least
/// `frame_rows` values (see [`FRAME_ROWS`]).
fn consensus_in_batches(
    keys: &CorpusKeys,
    out: &mut dyn FnMut(Discrepancy),
    frame_rows: usize,
) -> Result<Vec<FoodConsensus>, ConsensusError> {
    let s = &keys.syms;
    if keys.foods.is_empty() {
        return Ok(Vec::new());
    }
    // members of each group, in table order (the frames hold the statistics)
    let mut group_of: HashMap<[Sym; 3], u32> = HashMap::new();
    let mut members: Vec<([Sym; 3], Vec<&FoodKey>)> = Vec::new();
    for k in &keys.foods {
        let names = [k.food, k.nutrient, k.basis];
        let g = *group_of.entry(names).or_insert_with(|| {
            members.push((names, Vec::new()));
            (members.len() - 1) as u32
        });
        members[g as usize].1.push(k);
    }
    drop(group_of);
    let mut stats = GroupStats::default();
    let mut batch: Vec<(u32, &[&FoodKey])> = Vec::new();
    let mut batch_rows = 0;
    for (g, (_, m)) in members.iter().enumerate() {
        batch.push((g as u32, m));
        batch_rows += m.len();
        if batch_rows >= frame_rows || g + 1 == members.len() {
            stats.add(&batch)?;
            batch.clear();
            batch_rows = 0;
        }
    }
    drop(batch);
    let GroupStats {
        group: groups,
        status,
        n_values,
        n_docs,
        min,
        max,
        median,
        spread,
    } = stats;
    let names = |k: usize| members[groups[k] as usize].0;
    // the table's order: food, nutrient, basis by name
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&k| names(k).map(|n| s.name(n)));
    let mut rows = Vec::with_capacity(groups.len());
    for k in order {
        let ([food, nutrient, basis], group) = &members[groups[k] as usize];
        let row = FoodConsensus {
            food: s.name(*food).to_string(),
            nutrient: s.name(*nutrient).to_string(),
            basis: s.name(*basis).to_string(),
            n_values: n_values[k] as i64,
            n_docs: n_docs[k] as i64,
            min: min[k],
            max: max[k],
            median: median[k],
            spread: spread[k],
            status: status[k].clone(),
            value_ids: group.iter().map(|g| g.id.clone()).collect(),
        };
        if row.status == "conflict" {
            out(conflict_row(&row, group, s));
        }
        rows.push(row);
    }
    Ok(rows)
}

fn conflict_row(c: &FoodConsensus, members: &[&FoodKey], s: &Symbols) -> Discrepancy {
    let mut sorted: Vec<&&FoodKey> = members.iter().collect();
    sorted.sort_by(|a, b| (s.name(a.doc), a.line).cmp(&(s.name(b.doc), b.line)));
    // one text for every source's value (a common food has thousands), not
    // a string per source joined afterwards
    let mut stated = String::new();
    for (i, k) in sorted.iter().enumerate() {
        if i > 0 {
            stated.push_str("; ");
        }
        let _ = write!(
            stated,
            "{} ug {} in {} line {}",
            k.range,
            c.basis,
            s.name(k.doc),
            k.line
        );
    }
    drop(sorted);
    let subject = format!("{} / {} {}", c.food, c.nutrient, c.basis);
    Discrepancy {
        id: row_id("discrepancies", &["value_conflict", &subject]),
        kind: "value_conflict".into(),
        severity: Severity::Warning,
        subject,
        detail: format!(
            "Sources disagree on {} in {}: {} (from {} to {} ug {}, a factor {}).",
            c.nutrient,
            c.food,
            stated,
            format_number(c.min),
            format_number(c.max),
            c.basis,
            format_number((c.spread * 100.0).round() / 100.0)
        ),
        docs: members
            .iter()
            .map(|k| Text::from(s.name(k.doc)))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        evidence: c.value_ids.clone(),
        r#where: members
            .iter()
            .map(|k| place(s.name(k.doc), k.line))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Extracted;

    fn food_consensus(
        v: &[NutrientValue],
    ) -> Result<(Vec<FoodConsensus>, Vec<Discrepancy>), ConsensusError> {
        super::food_consensus(&CorpusKeys::of(&Extracted {
            nutrient_values: v.to_vec(),
            ..Default::default()
        }))
    }

    fn nv(
        doc: &str,
        food: &str,
        lo: f64,
        hi: f64,
        basis: f64,
        unit: &str,
        per100: bool,
    ) -> NutrientValue {
        let f = 100.0 / basis;
        NutrientValue {
            id: format!("{doc}-{food}-{lo}").into(),
            doc: doc.into(),
            food: food.into(),
            nutrient: "vitamin K2".into(),
            value_ug_min: Some(lo),
            value_ug_max: Some(hi),
            basis_amount: basis,
            basis_unit: unit.into(),
            ug_per_100g_min: per100.then_some(lo * f),
            ug_per_100g_max: per100.then_some(hi * f),
            ..Default::default()
        }
    }

    #[test]
    fn household_values_conflict_across_sources() {
        let v = vec![
            nv("a", "natto", 100.0, 100.0, 1.0, "tablespoon", false),
            nv("b", "natto", 150.0, 150.0, 1.0, "tablespoon", false),
        ];
        let (rows, d) = food_consensus(&v).unwrap();
        assert_eq!(rows[0].status, "conflict");
        assert_eq!(rows[0].basis, "per tablespoon");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].docs, vec!["a", "b"]);
    }

    #[test]
    fn overlapping_or_close_values_agree() {
        let v = vec![
            nv("a", "cheese", 10.0, 20.0, 25.0, "g", true),
            nv("b", "cheese", 50.0, 90.0, 100.0, "g", true),
            nv("c", "cheese", 95.0, 95.0, 100.0, "g", true),
        ];
        let (rows, d) = food_consensus(&v).unwrap();
        assert_eq!(rows[0].status, "agree");
        assert!(d.is_empty());
        assert_eq!(rows[0].min, 40.0);
        assert_eq!(rows[0].max, 95.0);
    }

    #[test]
    fn batching_the_groups_changes_no_figure() {
        // three foods on two bases, values from four documents, some of
        // them conflicting: every group in a frame of its own, a few per
        // frame, or all in one must give the same rows and findings
        let mut v = Vec::new();
        for (i, food) in ["natto", "kaas", "ei"].iter().enumerate() {
            for d in 0..4 {
                let x = 10.0 * (i + 1) as f64 * (1.0 + d as f64 * 0.4);
                v.push(nv(&format!("d{d}"), food, x, x * 1.1, 100.0, "g", true));
                v.push(nv(&format!("d{d}"), food, x, x, 1.0, "tablespoon", false));
            }
        }
        let keys = CorpusKeys::of(&Extracted {
            nutrient_values: v,
            ..Default::default()
        });
        let run = |frame_rows| {
            let mut found = Vec::new();
            let rows = consensus_in_batches(&keys, &mut |d| found.push(d), frame_rows).unwrap();
            (rows, found)
        };
        let whole = run(usize::MAX);
        assert_eq!(whole.0.len(), 6);
        assert!(!whole.1.is_empty(), "some groups conflict");
        assert_eq!(run(1), whole);
        assert_eq!(run(5), whole);
    }

    #[test]
    fn a_source_contradicting_itself_conflicts_too() {
        let v = vec![
            nv("a", "natto", 100.0, 100.0, 1.0, "tablespoon", false),
            nv("a", "natto", 200.0, 200.0, 1.0, "tablespoon", false),
        ];
        let (rows, d) = food_consensus(&v).unwrap();
        assert_eq!(rows[0].status, "conflict");
        assert_eq!(d[0].docs, vec!["a"]);
    }
}
