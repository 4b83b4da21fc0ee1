//! What the checks across documents keep of every row, and nothing else.
//!
//! Food consensus, dose conflicts and duplicate references compare rows of
//! different documents, so a run must hold something of every such row until
//! the last document is read. A full row costs 370–510 bytes (ids, quotes,
//! ten vocabulary fields); these checks read a handful of its fields. So each
//! check defines its key — [`FoodKey`], [`DoseKey`], [`RefKey`] — with names
//! interned as [`Sym`]s (foods, nutrients, documents, title words repeat over
//! and over) and numbers as they are: 60–200 bytes per row, which keeps a
//! large run's memory nearly flat (docs/performance.md). The full rows wait
//! on disk ([`crate::spill`]).
//!
//! A run builds the keys of each document on the worker that extracted it
//! (the costly part: tokenising titles, folding names), one [`CorpusKeys`]
//! per [`Family`], and parks them on disk beside the rows ([`ParkedKeys`]):
//! nothing per row stays in memory while the corpus is read. The checks then
//! take one family at a time, and of it one part at a time
//! ([`KeySource::parts`]): the family's keys are read back once and split
//! on disk by what the check groups by ([`ParkedKeys::split`]), so that each
//! part holds whole groups, and each part is loaded in table order
//! ([`CorpusKeys::append`] only re-maps symbols) and dropped when its check
//! is done. The all-in-memory path builds the keys of all rows at once
//! ([`CorpusKeys::of`], [`HeldKeys`]: one part per family); both give the
//! same keys in the same order, and the same findings (tested in
//! `tests/spill.rs`, with parts of down to 7 keys).

use std::cmp::Ordering;
use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{Extracted, Text};
use crate::spill::{Slot, Spill, SpillError};

pub use super::citations::RefKey;
pub use super::consensus::FoodKey;
pub use super::values::DoseKey;

/// An interned name: an index into [`Symbols`].
pub type Sym = u32;

/// Names stored once, referred to by number. Numbers are given in the order
/// names are first met; comparing two symbols of one table for equality is
/// comparing their names, ordering them is not ([`Symbols::cmp`] is).
///
/// A table read back from the spill has its names only: the lookup from
/// name to symbol is built on its first [`Symbols::intern`]. Most tables
/// read back are only named from (a document's keys scanned and split, a
/// part's sets appended to another table), and building a hash table for
/// each of them was a third of the time the checks across documents took.
#[derive(Debug, Clone, Default)]
pub struct Symbols {
    /// Fx, not SipHash: every key of every row is interned, and the names
    /// are the corpus's own (no untrusted party picks them to collide).
    ids: FxHashMap<Text, Sym>,
    names: Vec<Text>,
    /// `names[..indexed]` are in `ids`.
    indexed: usize,
}

impl Symbols {
    /// The symbol of `name`, added if new. (Of a table read back that
    /// names a name twice, the first symbol.)
    pub fn intern(&mut self, name: &str) -> Sym {
        if self.indexed < self.names.len() {
            for (i, n) in self.names.iter().enumerate().skip(self.indexed) {
                self.ids.entry(n.clone()).or_insert(i as Sym);
            }
            self.indexed = self.names.len();
        }
        if let Some(&s) = self.ids.get(name) {
            return s;
        }
        let s = Sym::try_from(self.names.len()).expect("fewer than 2^32 distinct names");
        self.names.push(Text::from(name));
        self.ids.insert(Text::from(name), s);
        self.indexed = self.names.len();
        s
    }

    /// The name of a symbol of this table.
    pub fn name(&self, s: Sym) -> &str {
        &self.names[s as usize]
    }

    /// Order two symbols by their names.
    pub fn cmp(&self, a: Sym, b: Sym) -> Ordering {
        if a == b {
            Ordering::Equal
        } else {
            self.name(a).cmp(self.name(b))
        }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Stored as the names in symbol order; the lookup table is rebuilt when
/// first needed.
impl Serialize for Symbols {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.names.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Symbols {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Symbols, D::Error> {
        let names = Vec::<Text>::deserialize(d)?;
        Ok(Symbols {
            ids: FxHashMap::default(),
            names,
            indexed: 0,
        })
    }
}

/// A key whose symbols can be moved to another table: `map[s]` is the new
/// symbol of old symbol `s`.
pub trait Remap: Sized {
    fn remap(self, map: &[Sym]) -> Self;

    /// Call `f` with every symbol the key names (a symbol may come twice).
    fn symbols(&self, f: &mut dyn FnMut(Sym));
}

/// The keys `keep` picks out of `keys` (named in `from`), with their symbols
/// moved to `to` (only those they name are added).
fn pick<K: Remap + Clone>(keys: &[K], keep: &[u32], from: &Symbols, to: &mut Symbols) -> Vec<K> {
    // old symbol -> new one, given on first use
    let mut map = vec![Sym::MAX; from.len()];
    for &i in keep {
        keys[i as usize].symbols(&mut |s| {
            if map[s as usize] == Sym::MAX {
                map[s as usize] = to.intern(from.name(s));
            }
        });
    }
    keep.iter()
        .map(|&i| keys[i as usize].clone().remap(&map))
        .collect()
}

/// A number for a routing key ([`Route`]): the same for the same value on
/// every run and machine (a fixed hash; a change of it between Rust
/// releases would only move keys between parts, never change a finding).
pub fn route_of(x: impl std::hash::Hash) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(x)
}

/// Which part of a split a key goes to ([`KeySource::parts`]): the key at
/// an index of its family's vector in a set of keys, to a number (keys with
/// the same number go to the same part), or `None` for a key the check can
/// leave out.
pub type Route<'a> = &'a dyn Fn(&CorpusKeys, usize) -> Option<u64>;

/// Where the checks across documents get their keys: all in memory
/// ([`HeldKeys`]) or parked on disk ([`PartedKeys`]).
pub trait KeySource {
    type Error: From<super::consensus::ConsensusError>;

    /// Every key of `family`, a set of keys at a time, in no particular
    /// order: for what a check gathers over the whole corpus before it
    /// splits it (the journals, the clusters of entries).
    fn scan(&mut self, family: Family, f: &mut dyn FnMut(&CorpusKeys)) -> Result<(), Self::Error>;

    /// The keys of `family` in parts, each in table order ([`CorpusKeys::sort`]),
    /// handed to `f` one after the other: keys that `route` gives the same
    /// number are in the same part, keys it gives `None` may be left out. A
    /// check whose groups never span two numbers finds, part by part, what it
    /// finds in all the keys at once, and holds one part at a time.
    fn parts(
        &mut self,
        family: Family,
        route: Route<'_>,
        f: &mut dyn FnMut(CorpusKeys) -> Result<(), Self::Error>,
    ) -> Result<(), Self::Error>;
}

/// Keys held in memory: each family is one part, taken when its check asks.
#[derive(Debug, Default)]
pub struct HeldKeys(pub CorpusKeys);

impl KeySource for HeldKeys {
    type Error = super::consensus::ConsensusError;

    fn scan(&mut self, _: Family, f: &mut dyn FnMut(&CorpusKeys)) -> Result<(), Self::Error> {
        f(&self.0);
        Ok(())
    }

    fn parts(
        &mut self,
        family: Family,
        _: Route<'_>,
        f: &mut dyn FnMut(CorpusKeys) -> Result<(), Self::Error>,
    ) -> Result<(), Self::Error> {
        f(self.0.take(family))
    }
}

/// Keys parked on disk ([`ParkedKeys`]), split into parts of about
/// `part_keys` keys when a check asks for them ([`ParkedKeys::split`]).
#[derive(Debug)]
pub struct PartedKeys<'a> {
    pub parked: &'a ParkedKeys,
    pub spill: &'a Spill,
    pub part_keys: usize,
}

/// Keys per part of a split ([`PartedKeys`]): 16 384 keys are 1–4 MiB,
/// and the checks' working sets on them a few MiB more, whatever the size
/// of the corpus.
pub const PART_KEYS: usize = 1 << 14;

impl KeySource for PartedKeys<'_> {
    type Error = super::CorpusError;

    fn scan(&mut self, family: Family, f: &mut dyn FnMut(&CorpusKeys)) -> Result<(), Self::Error> {
        Ok(self.parked.scan(family, self.spill, &mut |k| f(&k))?)
    }

    fn parts(
        &mut self,
        family: Family,
        route: Route<'_>,
        f: &mut dyn FnMut(CorpusKeys) -> Result<(), Self::Error>,
    ) -> Result<(), Self::Error> {
        let parts = self
            .parked
            .split(family, self.spill, self.part_keys, route)?;
        for part in parts {
            f(part.load(family, self.spill)?)?;
        }
        Ok(())
    }
}

/// The families of keys, one per check across documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Food values, for the consensus ([`FoodKey`]).
    Foods,
    /// Doses, for the dose conflicts ([`DoseKey`]).
    Doses,
    /// Reference entries, for the duplicate check and the journals the
    /// marker checks know ([`RefKey`]).
    Refs,
}

impl Family {
    pub const ALL: [Family; 3] = [Family::Foods, Family::Doses, Family::Refs];

    /// Its place in [`Family::ALL`].
    fn index(self) -> usize {
        match self {
            Family::Foods => 0,
            Family::Doses => 1,
            Family::Refs => 2,
        }
    }
}

/// The keys of every row the checks across documents read, in table order
/// (the order of [`crate::normalize::sort_rows`]), with their symbols.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CorpusKeys {
    pub syms: Symbols,
    /// Food values that have a comparable value ([`super::consensus::comparable`]).
    pub foods: Vec<FoodKey>,
    /// Doses with an indication and a daily amount in ug.
    pub doses: Vec<DoseKey>,
    /// Every reference-list entry.
    pub refs: Vec<RefKey>,
}

impl CorpusKeys {
    /// The keys of `ex`'s rows (one document's or many), in their order.
    pub fn of(ex: &Extracted) -> CorpusKeys {
        let mut k = CorpusKeys::default();
        for family in Family::ALL {
            k.add(ex, family);
        }
        k
    }

    /// The keys of one family of `ex`'s rows, with only the symbols they use.
    pub fn family_of(ex: &Extracted, family: Family) -> CorpusKeys {
        let mut k = CorpusKeys::default();
        k.add(ex, family);
        k
    }

    /// Add the keys of one family of `ex`'s rows, its names interned here.
    fn add(&mut self, ex: &Extracted, family: Family) {
        let syms = &mut self.syms;
        match family {
            Family::Foods => self.foods.extend(
                ex.nutrient_values
                    .iter()
                    .filter_map(|v| FoodKey::of(v, syms)),
            ),
            Family::Doses => self
                .doses
                .extend(ex.dosages.iter().filter_map(|d| DoseKey::of(d, syms))),
            Family::Refs => self
                .refs
                .extend(ex.references.iter().map(|r| RefKey::of(r, syms))),
        }
    }

    /// Take the keys of one family out of these, with a copy of the symbols.
    pub fn take(&mut self, family: Family) -> CorpusKeys {
        let mut k = CorpusKeys {
            syms: self.syms.clone(),
            ..CorpusKeys::default()
        };
        match family {
            Family::Foods => k.foods = std::mem::take(&mut self.foods),
            Family::Doses => k.doses = std::mem::take(&mut self.doses),
            Family::Refs => k.refs = std::mem::take(&mut self.refs),
        }
        k
    }

    /// Add the keys of `family` of `other` at the indexes `keep`
    /// (ascending) after these, their symbols moved to this table (only
    /// those they name, each interned once).
    pub fn extend_from(&mut self, other: &CorpusKeys, family: Family, keep: &[u32]) {
        let (from, to) = (&other.syms, &mut self.syms);
        match family {
            Family::Foods => self.foods.extend(pick(&other.foods, keep, from, to)),
            Family::Doses => self.doses.extend(pick(&other.doses, keep, from, to)),
            Family::Refs => self.refs.extend(pick(&other.refs, keep, from, to)),
        }
    }

    /// Keys of one family.
    pub fn family_len(&self, family: Family) -> usize {
        match family {
            Family::Foods => self.foods.len(),
            Family::Doses => self.doses.len(),
            Family::Refs => self.refs.len(),
        }
    }

    /// Keys of all families.
    pub fn len(&self) -> usize {
        self.foods.len() + self.doses.len() + self.refs.len()
    }

    /// No keys of any family.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Move the keys of `other` to the end of these (its symbols re-mapped
    /// to this table's).
    pub fn append(&mut self, other: CorpusKeys) {
        let map: Vec<Sym> = other
            .syms
            .names
            .iter()
            .map(|n| self.syms.intern(n))
            .collect();
        self.foods
            .extend(other.foods.into_iter().map(|k| k.remap(&map)));
        self.doses
            .extend(other.doses.into_iter().map(|k| k.remap(&map)));
        self.refs
            .extend(other.refs.into_iter().map(|k| k.remap(&map)));
    }

    /// Put the keys in table order. Documents are appended in id order, so
    /// this only moves the keys of files that share a document id
    /// ("x.txt", "x.md"), whose rows interleave by line. The vectors give
    /// back what they grew beyond their keys (up to half of them): the checks
    /// that follow build their working sets in that memory.
    pub fn sort(&mut self) {
        self.foods.shrink_to_fit();
        self.doses.shrink_to_fit();
        self.refs.shrink_to_fit();
        let s = &self.syms;
        // food values and doses: document, line, offset, id
        let row = |a: (Sym, usize, u32, &Text), b: (Sym, usize, u32, &Text)| {
            s.cmp(a.0, b.0)
                .then(a.1.cmp(&b.1))
                .then(a.2.cmp(&b.2))
                .then(a.3.cmp(b.3))
        };
        self.foods.sort_by(|a, b| {
            row(
                (a.doc, a.line, a.offset, &a.id),
                (b.doc, b.line, b.offset, &b.id),
            )
        });
        self.doses.sort_by(|a, b| {
            row(
                (a.doc, a.line, a.offset, &a.id),
                (b.doc, b.line, b.offset, &b.id),
            )
        });
        self.refs.sort_by(|a, b| {
            s.cmp(a.doc, b.doc)
                .then(a.ref_no.cmp(&b.ref_no))
                .then(a.line.cmp(&b.line))
                .then(a.id.cmp(&b.id))
        });
    }

    /// The journal names of the reference entries, each once.
    pub fn journals(&self) -> impl Iterator<Item = &str> {
        let distinct: BTreeSet<Sym> = self.refs.iter().map(|r| r.journal).collect();
        distinct.into_iter().map(|j| self.syms.name(j))
    }
}

/// Where the keys of every document wait on disk, family by family, until
/// the checks across documents load them ([`ParkedKeys::load`]).
///
/// A corpus's keys grow with it (~40 MiB at 200 MB of text, held until the
/// last document is read when they were kept in memory); parked, a run holds
/// a few bytes per document while it reads the corpus, and one family's keys
/// while its check runs.
#[derive(Debug, Default)]
pub struct ParkedKeys {
    /// Per family (in [`Family::ALL`] order), the slots of the documents
    /// that have keys of it, in the order they were appended.
    slots: [Vec<Slot>; 3],
    /// Keys per family: loading reserves room for them at once instead of
    /// doubling its vectors as documents are appended.
    counts: [usize; 3],
}

impl ParkedKeys {
    /// Park the keys of `ex` (one document's rows, or many), family by family.
    pub fn park(ex: &Extracted, spill: &Spill) -> Result<ParkedKeys, SpillError> {
        let mut p = ParkedKeys::default();
        for family in Family::ALL {
            let i = family.index();
            let k = CorpusKeys::family_of(ex, family);
            if !k.is_empty() {
                p.slots[i].push(spill.put_value(&k)?);
                p.counts[i] = k.len();
            }
        }
        Ok(p)
    }

    /// Add the keys parked in `other` after these.
    pub fn append(&mut self, other: ParkedKeys) {
        for (mine, theirs) in self.slots.iter_mut().zip(other.slots) {
            mine.extend(theirs);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
    }

    /// The keys of one family, read back in the order they were parked and
    /// put in table order ([`CorpusKeys::sort`]).
    pub fn load(&self, family: Family, spill: &Spill) -> Result<CorpusKeys, SpillError> {
        let i = family.index();
        let mut k = CorpusKeys::default();
        let n = self.counts[i];
        match family {
            Family::Foods => k.foods.reserve_exact(n),
            Family::Doses => k.doses.reserve_exact(n),
            Family::Refs => k.refs.reserve_exact(n),
        }
        self.scan(family, spill, &mut |keys| k.append(keys))?;
        k.sort();
        Ok(k)
    }

    /// Read the keys of one family back a parked set at a time (one
    /// document's, as a run parks them), in the order they were parked.
    pub fn scan(
        &self,
        family: Family,
        spill: &Spill,
        f: &mut dyn FnMut(CorpusKeys),
    ) -> Result<(), SpillError> {
        for &slot in &self.slots[family.index()] {
            f(spill.get_value(slot)?);
        }
        Ok(())
    }

    /// The keys of one family split into parts of about `part_keys` keys by
    /// `route` (see [`KeySource::parts`]), each part parked anew and
    /// returned as the only family of a [`ParkedKeys`] (read with
    /// [`ParkedKeys::load`]).
    ///
    /// A part is its keys' routes modulo the number of parts, so it is
    /// `part_keys` on average; one common food, one popular work, is never
    /// split. The keys are read once and each part's are gathered in a
    /// buffer parked every [`SPLIT_BUFFER`] keys: memory holds a buffer per
    /// part and one parked set. A family that fits one part is not copied.
    pub fn split(
        &self,
        family: Family,
        spill: &Spill,
        part_keys: usize,
        route: Route<'_>,
    ) -> Result<Vec<ParkedKeys>, SpillError> {
        let i = family.index();
        let n = self.counts[i].div_ceil(part_keys.max(1)).max(1);
        if n == 1 {
            let mut whole = ParkedKeys::default();
            whole.slots[i] = self.slots[i].clone();
            whole.counts[i] = self.counts[i];
            return Ok(vec![whole]);
        }
        let mut parts: Vec<ParkedKeys> = (0..n).map(|_| ParkedKeys::default()).collect();
        let mut buffers: Vec<CorpusKeys> = (0..n).map(|_| CorpusKeys::default()).collect();
        let mut park = |p: usize, buffer: &mut CorpusKeys| -> Result<(), SpillError> {
            let k = std::mem::take(buffer);
            let len = k.family_len(family);
            if len > 0 {
                parts[p].slots[i].push(spill.put_value(&k)?);
                parts[p].counts[i] += len;
            }
            Ok(())
        };
        let mut failed = None;
        self.scan(family, spill, &mut |keys| {
            let mut picks: Vec<Vec<u32>> = vec![Vec::new(); n];
            for j in 0..keys.family_len(family) {
                if let Some(r) = route(&keys, j) {
                    picks[(r % n as u64) as usize].push(j as u32);
                }
            }
            for (p, keep) in picks.iter().enumerate() {
                if keep.is_empty() || failed.is_some() {
                    continue;
                }
                buffers[p].extend_from(&keys, family, keep);
                if buffers[p].family_len(family) >= SPLIT_BUFFER {
                    failed = park(p, &mut buffers[p]).err();
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        for (p, buffer) in buffers.iter_mut().enumerate() {
            park(p, buffer)?;
        }
        Ok(parts)
    }
}

/// Keys a part's buffer gathers before [`ParkedKeys::split`] parks them.
const SPLIT_BUFFER: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_given_once_and_ordered_by_name() {
        let mut s = Symbols::default();
        let b = s.intern("natto");
        let a = s.intern("kaas");
        assert_eq!(s.intern("natto"), b);
        assert_eq!(s.len(), 2);
        assert_eq!(s.name(a), "kaas");
        assert_eq!(s.cmp(a, b), Ordering::Less, "by name, not by number");
        assert_eq!(s.cmp(b, b), Ordering::Equal);
    }

    #[test]
    fn a_subset_names_what_it_keeps_and_only_that() {
        use crate::model::NutrientValue;
        let value = |food: &str, doc: &str| NutrientValue {
            id: Text::from(format!("{doc}-{food}")),
            doc: Text::from(doc),
            food: Text::from(food),
            nutrient: "vitamin K2".into(),
            value_ug_min: Some(10.0),
            value_ug_max: Some(10.0),
            basis_amount: 100.0,
            basis_unit: "g".into(),
            ..NutrientValue::default()
        };
        let ex = Extracted {
            nutrient_values: vec![value("natto", "a"), value("kaas", "a"), value("ei", "b")],
            ..Extracted::default()
        };
        let all = CorpusKeys::of(&ex);
        assert_eq!(all.foods.len(), 3);
        let mut sub = CorpusKeys::default();
        sub.extend_from(&all, Family::Foods, &[0, 2]);
        let names = |k: &CorpusKeys| {
            k.foods
                .iter()
                .map(|f| {
                    (
                        f.id.to_string(),
                        k.syms.name(f.doc).to_string(),
                        k.syms.name(f.food).to_string(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&sub),
            [&names(&all)[0], &names(&all)[2]].map(Clone::clone)
        );
        // "kaas" is not named by what was kept
        let mut kept: Vec<&str> = (0..sub.syms.len() as Sym)
            .map(|s| sub.syms.name(s))
            .collect();
        kept.sort();
        assert_eq!(kept, ["a", "b", "ei", "natto", "per 1 g", "vitamin K2"]);
        assert!(sub.doses.is_empty() && sub.refs.is_empty());
    }

    #[test]
    fn symbols_round_trip_through_the_spill_encoding() {
        let mut s = Symbols::default();
        for n in [
            "natto",
            "kaas",
            "10.1000/xyz123",
            "een langere naam dan vierentwintig tekens",
        ] {
            s.intern(n);
        }
        let bytes = postcard::to_stdvec(&s).unwrap();
        let mut back: Symbols = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back.names, s.names);
        assert!(back.ids.is_empty(), "looked up only when first interned");
        assert_eq!(back.name(2), "10.1000/xyz123");
        // interning after reading back finds the names read, then adds
        assert_eq!(back.intern("kaas"), 1);
        assert_eq!(back.ids, s.ids);
        assert_eq!(back.intern("ei"), 4);
        assert_eq!(back.intern("ei"), 4);
        assert_eq!(back.intern("natto"), 0);
        // a table that names one name twice: its first symbol, and keys
        // moved to another table meet one symbol for both
        let twice = postcard::to_stdvec(&vec!["natto", "kaas", "natto"]).unwrap();
        let mut t: Symbols = postcard::from_bytes(&twice).unwrap();
        assert_eq!(t.intern("natto"), 0);
        assert_eq!(t.intern("ui"), 3);
        assert_eq!(t.intern("ui"), 3);
        let mut other = Symbols::default();
        let map: Vec<Sym> = t.names.iter().map(|n| other.intern(n)).collect();
        assert_eq!(map, [0, 1, 0, 2]);
    }
}
