//! Rows parked on disk between extraction and emit.
//!
//! A large corpus yields rows in proportion to its size (~800 000 rows for
//! 200 MB of text), and most of what they hold — quotes, form mentions,
//! markers — is needed only by the checks of one document and when the
//! tables are written. Each document's normalised rows are therefore written
//! here as soon as they are extracted, in a compact binary form (`postcard`:
//! exact `f64` bits, no field names), and read back one document id at a
//! time ([`SpillRows`]) by the marker checks and by emit. What the checks
//! across documents read of them, compact keys, is parked here too, and
//! loaded one family at a time when those checks run
//! ([`crate::reconcile::keys::ParkedKeys`]); so are the findings, and their
//! sort keys in sorted runs ([`FindingsBuilder`]).
//!
//! The spill is one temporary file beside the output folder (same file system
//! as the outputs, so no other disk has to have room for it). On Unix it is
//! unlinked as soon as it is created: a run that is killed leaves nothing
//! behind. Elsewhere it is removed when the [`Spill`] is dropped.

use std::borrow::Cow;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::{ChartMark, Discrepancy, Extracted, Finding, Severity, TableOrder, Text};

/// Why rows could not be parked or read back.
#[derive(Debug, Error)]
pub enum SpillError {
    #[error("cannot use the spill file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot encode rows or findings for the spill file: {0}")]
    Encode(postcard::Error),
    #[error("the spill file {path} holds a damaged entry at byte {offset}: {source}")]
    Decode {
        path: PathBuf,
        offset: u64,
        source: postcard::Error,
    },
}

/// Where one entry (a document's rows, a finding) lies in the spill file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    offset: u64,
    len: u64,
}

/// An append-only file of encoded [`Extracted`] parts; safe to write and
/// read from several threads at once (positional I/O, no shared cursor).
///
/// Entries are appended to an in-memory tail that goes to the file a
/// [`FLUSH_BYTES`] at a time: a run parks hundreds of thousands of small
/// entries (every finding, every quoted line, every block of chart marks),
/// and one write call each cost more system time than the copies themselves.
/// An entry still in the tail is read from there.
#[derive(Debug)]
pub struct Spill {
    file: File,
    path: PathBuf,
    /// Entries not written to the file yet.
    tail: Mutex<Tail>,
    /// Bytes on the file: every entry that ends at or before this offset is
    /// read from the file without looking at the tail.
    flushed: AtomicU64,
    /// Removed on drop (platforms where an open file cannot be unlinked).
    remove_on_drop: bool,
}

/// The end of the spill that is still in memory.
#[derive(Debug, Default)]
struct Tail {
    /// File offset of `bytes[0]` (the bytes before it are on the file).
    start: u64,
    bytes: Vec<u8>,
}

/// Bytes the tail of a [`Spill`] gathers before they are written.
const FLUSH_BYTES: usize = 1 << 20;

impl Spill {
    /// A new, empty spill file in `dir` (which must exist).
    pub fn create_in(dir: &Path) -> Result<Spill, SpillError> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let path = dir.join(format!(
            ".nutripipe-spill-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| SpillError::Io {
                path: path.clone(),
                source,
            })?;
        // An open file stays usable after its name is gone (Unix), so a
        // killed run cannot leave the spill behind.
        let remove_on_drop = !(cfg!(unix) && fs::remove_file(&path).is_ok());
        Ok(Spill {
            file,
            path,
            tail: Mutex::new(Tail::default()),
            flushed: AtomicU64::new(0),
            remove_on_drop,
        })
    }

    fn io(&self) -> impl FnOnce(std::io::Error) -> SpillError + '_ {
        move |source| SpillError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Park one document's rows; the slot reads them back.
    pub fn put(&self, ex: &Extracted) -> Result<Slot, SpillError> {
        self.put_value(ex)
    }

    /// The rows parked at `slot`.
    pub fn get(&self, slot: Slot) -> Result<Extracted, SpillError> {
        self.get_value(slot)
    }

    /// Park any value (a finding, a quote); `get_value` of the same type
    /// reads it back.
    pub fn put_value<T: Serialize + ?Sized>(&self, value: &T) -> Result<Slot, SpillError> {
        let mut tail = self.lock_tail();
        let before = tail.bytes.len();
        let offset = tail.start + before as u64;
        // encoded straight onto the end of the tail (no buffer per entry)
        if let Err(e) = postcard::to_io(value, &mut tail.bytes) {
            tail.bytes.truncate(before);
            return Err(SpillError::Encode(e));
        }
        let len = (tail.bytes.len() - before) as u64;
        if tail.bytes.len() >= FLUSH_BYTES {
            self.flush(&mut tail)?;
        }
        Ok(Slot { offset, len })
    }

    /// Write the tail to the file.
    fn flush(&self, tail: &mut Tail) -> Result<(), SpillError> {
        write_all_at(&self.file, &tail.bytes, tail.start).map_err(self.io())?;
        tail.start += tail.bytes.len() as u64;
        tail.bytes.clear();
        self.flushed.store(tail.start, Ordering::Release);
        Ok(())
    }

    fn lock_tail(&self) -> std::sync::MutexGuard<'_, Tail> {
        // A thread that panicked while holding the lock left the tail whole
        // or with a partly encoded entry after the last slot handed out:
        // either way every slot handed out is intact.
        self.tail.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value of type `T` parked at `slot`.
    pub fn get_value<T: DeserializeOwned>(&self, slot: Slot) -> Result<T, SpillError> {
        let decode = |buf: &[u8]| {
            postcard::from_bytes(buf).map_err(|source| SpillError::Decode {
                path: self.path.clone(),
                offset: slot.offset,
                source,
            })
        };
        let end = slot.offset.saturating_add(slot.len);
        if end > self.flushed.load(Ordering::Acquire) {
            let tail = self.lock_tail();
            if slot.offset >= tail.start {
                let from = usize::try_from(slot.offset - tail.start).unwrap_or(usize::MAX);
                let to = usize::try_from(end - tail.start).unwrap_or(usize::MAX);
                // copied out, so that writers wait for a copy, not a decode
                let buf = tail.bytes.get(from..to).map(<[u8]>::to_vec);
                drop(tail);
                return match buf {
                    Some(buf) => decode(&buf),
                    None => Err(self.io()(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "entry past the end of the spill",
                    ))),
                };
            }
            // flushed since the check above: on the file
        }
        let len = usize::try_from(slot.len).map_err(|_| {
            self.io()(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "entry larger than memory",
            ))
        })?;
        let mut buf = vec![0u8; len];
        read_exact_at(&self.file, &mut buf, slot.offset).map_err(self.io())?;
        decode(&buf)
    }

    /// Bytes parked so far.
    pub fn size(&self) -> u64 {
        let tail = self.lock_tail();
        tail.start + tail.bytes.len() as u64
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        if self.remove_on_drop {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Where the row tables come from, in output order: chunks of whole
/// documents — all rows of a document id in one chunk, normalised and in
/// table order, the chunks in document order — so that the per-document
/// checks and emit can read them one chunk at a time.
pub trait RowSource: Sync {
    /// Number of chunks.
    fn chunks(&self) -> usize;
    /// The rows of chunk `i` (`i < chunks()`).
    fn chunk(&self, i: usize) -> Result<Cow<'_, Extracted>, SpillError>;
}

/// Rows already in memory: one chunk.
impl RowSource for Extracted {
    fn chunks(&self) -> usize {
        1
    }

    fn chunk(&self, _: usize) -> Result<Cow<'_, Extracted>, SpillError> {
        Ok(Cow::Borrowed(self))
    }
}

/// The parked rows as emit reads them: chunks of slots, each chunk the parts
/// of one document id (usually one file; files that differ only in their
/// extension share an id), the chunks in document-id order.
#[derive(Debug)]
pub struct SpillRows<'a> {
    spill: &'a Spill,
    chunks: Vec<Vec<Slot>>,
}

impl<'a> SpillRows<'a> {
    /// `parts`: every parked document as (document id, slot), in any order;
    /// parts with the same id keep their order.
    pub fn new(spill: &'a Spill, mut parts: Vec<(String, Slot)>) -> SpillRows<'a> {
        parts.sort_by(|a, b| a.0.cmp(&b.0));
        let mut chunks: Vec<Vec<Slot>> = Vec::new();
        let mut last: Option<String> = None;
        for (doc, slot) in parts {
            match (&last, chunks.last_mut()) {
                (Some(l), Some(c)) if *l == doc => c.push(slot),
                _ => {
                    chunks.push(vec![slot]);
                    last = Some(doc);
                }
            }
        }
        SpillRows { spill, chunks }
    }
}

impl RowSource for SpillRows<'_> {
    fn chunks(&self) -> usize {
        self.chunks.len()
    }

    fn chunk(&self, i: usize) -> Result<Cow<'_, Extracted>, SpillError> {
        let slots = self.chunks.get(i).map(Vec::as_slice).unwrap_or_default();
        let parts = slots
            .iter()
            .map(|s| self.spill.get(*s))
            .collect::<Result<Vec<_>, _>>()?;
        let mut ex = Extracted::concat(parts);
        if slots.len() > 1 {
            // rows of one id from several files interleave by line
            crate::normalize::sort_rows(&mut ex);
        }
        Ok(Cow::Owned(ex))
    }
}

/// The marks of one row of the report's chart (a food on one basis), in row
/// order: there is one per food value, each with its source line as the
/// tooltip, and they wait for emit. Held, they grew with the corpus (~72
/// bytes a value beside a parked tooltip); so a run parks them a block of
/// [`MARK_BLOCK`] at a time as they come ([`MarkList::push`]), and memory
/// holds a part-filled block per row, the count and the range the chart's
/// axis needs. Library callers that hold everything keep them all here.
#[derive(Debug, Clone, Default)]
pub struct MarkList {
    spill: Option<Arc<Spill>>,
    /// Full blocks, parked in order.
    blocks: Vec<Slot>,
    /// The marks after the last full block.
    held: Vec<ChartMark>,
    len: usize,
    /// Smallest and largest positive end of any mark (`None` when none is
    /// positive).
    positive: Option<(f64, f64)>,
}

/// Marks per parked block of a [`MarkList`].
pub const MARK_BLOCK: usize = 32;

impl MarkList {
    /// Add the next mark; when `park` is given, a full block goes to it.
    pub fn push(&mut self, m: ChartMark, park: Option<&Arc<Spill>>) -> Result<(), SpillError> {
        self.len += 1;
        for x in [m.range.min, m.range.max] {
            if x > 0.0 {
                let (lo, hi) = self.positive.unwrap_or((x, x));
                self.positive = Some((lo.min(x), hi.max(x)));
            }
        }
        self.held.push(m);
        if let Some(spill) = park {
            if self.held.len() >= MARK_BLOCK {
                self.blocks.push(spill.put_value(&self.held)?);
                self.held.clear();
                self.spill.get_or_insert_with(|| Arc::clone(spill));
            }
        }
        Ok(())
    }

    /// Add the marks of `other` after these, in order.
    pub fn append(&mut self, other: MarkList, park: Option<&Arc<Spill>>) -> Result<(), SpillError> {
        if let Some(spill) = &other.spill {
            for &slot in &other.blocks {
                for m in spill.get_value::<Vec<ChartMark>>(slot)? {
                    self.push(m, park)?;
                }
            }
        }
        for m in other.held {
            self.push(m, park)?;
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The smallest and largest positive end of the marks.
    pub fn positive_range(&self) -> Option<(f64, f64)> {
        self.positive
    }

    /// Visit the marks in order (parked blocks read back one at a time).
    pub fn try_for_each(&self, mut f: impl FnMut(&ChartMark)) -> Result<(), SpillError> {
        if let Some(spill) = &self.spill {
            for &slot in &self.blocks {
                spill
                    .get_value::<Vec<ChartMark>>(slot)?
                    .iter()
                    .for_each(&mut f);
            }
        }
        self.held.iter().for_each(f);
        Ok(())
    }

    /// Hand back what the held block grew beyond its marks.
    pub fn shrink_to_fit(&mut self) {
        self.held.shrink_to_fit();
        self.blocks.shrink_to_fit();
    }
}

/// The discrepancies of a run, each with the source lines it quotes
/// ([`Finding`]), in the order of the discrepancies table
/// ([`crate::reconcile::sort_discrepancies`]: severity, kind, subject, id).
///
/// A large corpus has a finding for every ~2 KB of text, most of them about
/// one document's markers, and the reports quote several lines for each: held
/// in memory they grew with the corpus (~1 KB each with their quotes). A run
/// therefore parks each finding in the spill as soon as it is found
/// ([`FindingKey::park`]) and keeps only its sort key while the findings are
/// gathered ([`FindingsBuilder`]), then only where each one is, in order:
/// emit reads them back. Library callers that hold everything in memory
/// keep the findings here as they are.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    spill: Option<Arc<Spill>>,
    /// Where each finding is, in table order.
    order: Vec<At>,
    /// Findings per severity and kind, in table order.
    kinds: Vec<(Severity, Text, usize)>,
    held: Vec<Finding>,
}

/// Findings being gathered, with the sort key of each, until
/// [`FindingsBuilder::finish`] puts them in table order.
///
/// The keys of parked findings are themselves parked, a run of
/// 8 192 at a time (`RUN_KEYS`), sorted, and merged at the end: a large corpus has
/// a finding for every ~2 KB of text, and their keys (~150 bytes each with
/// the subject) held until the last document was read grew with the corpus.
#[derive(Debug, Default)]
pub struct FindingsBuilder {
    spill: Option<Arc<Spill>>,
    /// Keys not parked yet, in the order they were added.
    keys: Vec<FindingKey>,
    /// Runs of keys sorted and parked, in the order they were added; each
    /// run as its blocks of [`BLOCK_KEYS`] keys.
    runs: Vec<Vec<Slot>>,
    held: Vec<Finding>,
}

/// Keys a [`FindingsBuilder`] holds before it sorts and parks them as a run.
const RUN_KEYS: usize = 1 << 13;

/// Keys per block of a parked run: what the merge holds of each run at once.
const BLOCK_KEYS: usize = 1 << 9;

/// What orders a finding, and where it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingKey {
    severity: Severity,
    kind: Text,
    subject: Box<str>,
    id: Text,
    at: At,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum At {
    Held(usize),
    Parked(Slot),
}

impl At {
    /// Bytes of the finding as parked (0 for one held in memory): what
    /// reading it back costs, roughly.
    fn size(self) -> u64 {
        match self {
            At::Held(_) => 0,
            At::Parked(slot) => slot.len,
        }
    }
}

impl FindingKey {
    /// Park `f` in `spill`; the key finds it again among the findings of a
    /// [`FindingsBuilder`] that reads from the same spill
    /// ([`FindingsBuilder::parked_in`]).
    pub fn park(f: &Finding, spill: &Spill) -> Result<FindingKey, SpillError> {
        let slot = spill.put_value(f)?;
        Ok(FindingKey::of(&f.discrepancy, At::Parked(slot)))
    }

    /// Its place in the table's order (as [`Discrepancy::table_order`]).
    fn table_order(&self) -> TableOrder<'_> {
        (self.severity, &self.kind, &self.subject, &self.id)
    }

    fn of(d: &Discrepancy, at: At) -> FindingKey {
        FindingKey {
            severity: d.severity,
            kind: d.kind.clone(),
            subject: d.subject.as_str().into(),
            id: d.id.clone(),
            at,
        }
    }
}

impl FindingsBuilder {
    /// Findings held in memory ([`FindingsBuilder::push`]).
    pub fn held() -> FindingsBuilder {
        FindingsBuilder::default()
    }

    /// Findings parked in `spill` ([`FindingKey::park`],
    /// [`FindingsBuilder::push_parked`]).
    pub fn parked_in(spill: Arc<Spill>) -> FindingsBuilder {
        FindingsBuilder {
            spill: Some(spill),
            ..FindingsBuilder::default()
        }
    }

    /// Add a finding held in memory.
    pub fn push(&mut self, f: Finding) {
        self.keys
            .push(FindingKey::of(&f.discrepancy, At::Held(self.held.len())));
        self.held.push(f);
    }

    /// Add a finding parked with [`FindingKey::park`] in this spill.
    pub fn push_parked(&mut self, key: FindingKey) -> Result<(), SpillError> {
        self.keys.push(key);
        if self.keys.len() >= RUN_KEYS {
            self.park_run()?;
        }
        Ok(())
    }

    /// Sort the keys in memory and park them as a run (a builder without a
    /// spill keeps them).
    fn park_run(&mut self) -> Result<(), SpillError> {
        let Some(spill) = &self.spill else {
            return Ok(());
        };
        sort_keys(&mut self.keys);
        let blocks = self
            .keys
            .chunks(BLOCK_KEYS)
            .map(|b| spill.put_value(b))
            .collect::<Result<Vec<_>, _>>()?;
        self.runs.push(blocks);
        self.keys.clear();
        Ok(())
    }

    /// The findings in table order (stable: equal keys keep the order they
    /// were added in). The sort keys are dropped: emit needs only the order,
    /// and the counts per kind the reports start with.
    ///
    /// Parked runs are merged with the keys still in memory, one block of
    /// each run at a time; on equal keys the earlier run comes first, which
    /// keeps the order of a single stable sort.
    pub fn finish(mut self) -> Result<Findings, SpillError> {
        let (spill, runs) = match &self.spill {
            Some(spill) if !self.runs.is_empty() => {
                (Arc::clone(spill), std::mem::take(&mut self.runs))
            }
            _ => return Ok(self.finish_in_memory()),
        };
        sort_keys(&mut self.keys);
        let mut found = Findings {
            spill: Some(Arc::clone(&spill)),
            held: std::mem::take(&mut self.held),
            ..Findings::default()
        };
        let mut cursors: Vec<RunCursor> = runs
            .into_iter()
            .map(|blocks| RunCursor {
                blocks: blocks.into_iter(),
                keys: Vec::new().into_iter(),
            })
            .collect();
        cursors.push(RunCursor {
            blocks: Vec::new().into_iter(),
            keys: std::mem::take(&mut self.keys).into_iter(),
        });
        let mut heads = std::collections::BinaryHeap::new();
        for (run, c) in cursors.iter_mut().enumerate() {
            if let Some(key) = c.next(&spill)? {
                heads.push(std::cmp::Reverse(Head { key, run }));
            }
        }
        while let Some(std::cmp::Reverse(Head { key, run })) = heads.pop() {
            found.add(key);
            if let Some(key) = cursors[run].next(&spill)? {
                heads.push(std::cmp::Reverse(Head { key, run }));
            }
        }
        Ok(found)
    }

    /// [`FindingsBuilder::finish`] when no run was parked: every key is in
    /// memory.
    fn finish_in_memory(mut self) -> Findings {
        sort_keys(&mut self.keys);
        let mut found = Findings {
            spill: self.spill,
            held: self.held,
            ..Findings::default()
        };
        for k in self.keys {
            found.add(k);
        }
        found
    }
}

/// Sort keys in table order, stably.
fn sort_keys(keys: &mut [FindingKey]) {
    keys.sort_by(|a, b| a.table_order().cmp(&b.table_order()));
}

/// The next key of a parked run, read a block at a time.
struct RunCursor {
    blocks: std::vec::IntoIter<Slot>,
    keys: std::vec::IntoIter<FindingKey>,
}

impl RunCursor {
    fn next(&mut self, spill: &Spill) -> Result<Option<FindingKey>, SpillError> {
        loop {
            if let Some(k) = self.keys.next() {
                return Ok(Some(k));
            }
            let Some(slot) = self.blocks.next() else {
                return Ok(None);
            };
            self.keys = spill.get_value::<Vec<FindingKey>>(slot)?.into_iter();
        }
    }
}

/// The first key of a run not yet merged: ordered by the key, then by the
/// run, so that equal keys keep the order they were added in.
struct Head {
    key: FindingKey,
    run: usize,
}

impl Head {
    fn order(&self) -> (TableOrder<'_>, usize) {
        (self.key.table_order(), self.run)
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Head) -> bool {
        self.order() == other.order()
    }
}

impl Eq for Head {}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Head) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head {
    fn cmp(&self, other: &Head) -> std::cmp::Ordering {
        self.order().cmp(&other.order())
    }
}

impl Findings {
    /// Add the finding of `key`, after those added before.
    fn add(&mut self, key: FindingKey) {
        match self.kinds.last_mut() {
            Some((s, kind, n)) if *s == key.severity && *kind == key.kind => *n += 1,
            _ => self.kinds.push((key.severity, key.kind, 1)),
        }
        self.order.push(key.at);
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Findings per severity and kind, in table order: the findings of each
    /// come one after another.
    pub fn kinds(&self) -> &[(Severity, Text, usize)] {
        &self.kinds
    }

    fn get(&self, at: At) -> Result<Cow<'_, Finding>, SpillError> {
        match at {
            At::Held(i) => Ok(Cow::Borrowed(&self.held[i])),
            At::Parked(slot) => match &self.spill {
                Some(spill) => spill.get_value(slot).map(Cow::Owned),
                None => Err(SpillError::Io {
                    path: PathBuf::new(),
                    source: std::io::Error::other("a parked finding in a set without a spill"),
                }),
            },
        }
    }

    /// The findings in order.
    pub fn iter(&self) -> impl Iterator<Item = Result<Cow<'_, Finding>, SpillError>> + '_ {
        self.order.iter().map(|&at| self.get(at))
    }

    /// The findings in order, each with its size as parked (0 when held in
    /// memory), so that a reader can bound what it holds at once.
    pub fn iter_sized(
        &self,
    ) -> impl Iterator<Item = (u64, Result<Cow<'_, Finding>, SpillError>)> + '_ {
        self.order.iter().map(|&at| (at.size(), self.get(at)))
    }
}

impl FromIterator<Finding> for Findings {
    /// Findings held in memory, in table order.
    fn from_iter<I: IntoIterator<Item = Finding>>(found: I) -> Findings {
        let mut all = FindingsBuilder::held();
        for f in found {
            all.push(f);
        }
        all.finish_in_memory()
    }
}

#[cfg(unix)]
fn write_all_at(f: &File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(f, buf, offset)
}

#[cfg(unix)]
fn read_exact_at(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, offset)
}

#[cfg(windows)]
fn write_all_at(f: &File, mut buf: &[u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        let n = f.seek_write(buf, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(windows)]
fn read_exact_at(f: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        let n = f.seek_read(buf, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Citation, Dosage, FormMention, Lang, NutrientValue, Qualifier};
    use std::sync::Arc;

    #[test]
    fn chart_marks_parked_in_blocks_come_back_in_order() {
        let t = tempfile::tempdir().unwrap();
        let spill = Arc::new(Spill::create_in(t.path()).unwrap());
        let mark = |i: usize| ChartMark {
            doc: Text::from(format!("doc{}", i % 7)),
            range: crate::values::Range::ordered(i as f64 - 3.0, i as f64 * 2.0),
            tip: format!("doc{} line {i}: Natto bevat {i} µg vitamine K2", i % 7),
        };
        let n = 3 * MARK_BLOCK + 5;
        let (mut held, mut parked, mut joined) = (
            MarkList::default(),
            MarkList::default(),
            MarkList::default(),
        );
        let mut second = MarkList::default();
        for i in 0..n {
            held.push(mark(i), None).unwrap();
            parked.push(mark(i), Some(&spill)).unwrap();
            // a list absorbed into a parking one, part way
            if i < MARK_BLOCK + 3 {
                joined.push(mark(i), Some(&spill)).unwrap();
            } else {
                second.push(mark(i), None).unwrap();
            }
        }
        joined.append(second, Some(&spill)).unwrap();
        assert_eq!(parked.blocks.len(), 3, "full blocks parked");
        assert!(parked.held.len() < MARK_BLOCK);
        let all = |l: &MarkList| {
            let mut v = Vec::new();
            l.try_for_each(|m| v.push(m.clone())).unwrap();
            v
        };
        let want: Vec<ChartMark> = (0..n).map(mark).collect();
        for l in [&held, &parked, &joined] {
            assert_eq!(all(l), want);
            assert_eq!(l.len(), n);
            // the negative lower ends are left out of the axis
            assert_eq!(l.positive_range(), Some((1.0, (n - 1) as f64 * 2.0)));
        }
        assert_eq!(MarkList::default().positive_range(), None);
    }

    #[test]
    fn findings_parked_in_runs_come_back_in_one_stable_sort_order() {
        // more keys than three runs hold, many of them equal (same severity,
        // kind, subject and id): the merge must give the order of one stable
        // sort over all of them in the order they were added
        let t = tempfile::tempdir().unwrap();
        let spill = Arc::new(Spill::create_in(t.path()).unwrap());
        let n = 3 * RUN_KEYS + 777;
        let kinds = ["dangling_citation", "unused_reference", "doi_mismatch"];
        let keys: Vec<FindingKey> = (0..n)
            .map(|i| {
                let j = (i * 7919) % 97;
                FindingKey {
                    severity: if j % 3 == 0 {
                        Severity::Warning
                    } else {
                        Severity::Info
                    },
                    kind: kinds[j % 3].into(),
                    subject: format!("doc-{} [{}]", j % 11, j % 5).into(),
                    id: format!("{:016x}", j % 13).into(),
                    // where it is tells equal keys apart
                    at: At::Held(i),
                }
            })
            .collect();
        let mut b = FindingsBuilder::parked_in(Arc::clone(&spill));
        for k in &keys {
            b.push_parked(k.clone()).unwrap();
        }
        assert_eq!(b.runs.len(), 3, "three runs parked, the rest in memory");
        assert!(b.keys.len() < RUN_KEYS);
        let merged = b.finish().unwrap();
        let mut sorted = keys.clone();
        sort_keys(&mut sorted);
        let want: Vec<At> = sorted.iter().map(|k| k.at).collect();
        assert_eq!(merged.order, want);
        // the counts per kind, in table order, add up
        assert_eq!(merged.kinds.iter().map(|k| k.2).sum::<usize>(), n);
        let mut in_memory = FindingsBuilder::held();
        in_memory.keys = keys;
        assert_eq!(in_memory.finish().unwrap().kinds, merged.kinds);
    }

    fn part(doc: &str, n: usize) -> Extracted {
        Extracted {
            nutrient_values: (0..n)
                .map(|i| NutrientValue {
                    doc: doc.into(),
                    line: i,
                    quote: format!("Natto (1 tablespoon)~{i}00 mcg — “{doc}”"),
                    lang: Lang::Nl,
                    qualifier: Qualifier::UpTo,
                    amount_min: f64::NAN,
                    amount_max: f64::INFINITY,
                    value_ug_min: Some(-0.0),
                    value_ug_max: None,
                    ..Default::default()
                })
                .collect(),
            dosages: vec![Dosage {
                co_nutrients: vec!["vitamin D3".into(), "calcium".into()],
                times_per_day: None,
                ..Default::default()
            }],
            citations: vec![Citation {
                span: "x".repeat(1000),
                malformed: true,
                ..Default::default()
            }],
            forms: vec![FormMention::default(); n],
            ..Default::default()
        }
    }

    /// `PartialEq` cannot compare NaN; the debug form can, bit for bit enough here.
    fn same(a: &Extracted, b: &Extracted) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    #[test]
    fn parts_come_back_exactly_whatever_the_order_of_reads() {
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::create_in(dir.path()).unwrap();
        let parts: Vec<Extracted> = (0..20).map(|i| part(&format!("d{i}"), i)).collect();
        let slots: Vec<Slot> = parts.iter().map(|p| spill.put(p).unwrap()).collect();
        for i in (0..20).rev() {
            let back = spill.get(slots[i]).unwrap();
            assert!(same(&back, &parts[i]), "part {i}");
            assert!(back.nutrient_values.iter().all(|v| v.amount_min.is_nan()));
        }
        assert!(spill.size() > 0);
    }

    #[test]
    fn parallel_writers_get_disjoint_slots() {
        use rayon::prelude::*;
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::create_in(dir.path()).unwrap();
        let parts: Vec<Extracted> = (0..64).map(|i| part(&format!("d{i}"), i % 7)).collect();
        let slots: Vec<Slot> = parts.par_iter().map(|p| spill.put(p).unwrap()).collect();
        let back: Vec<Extracted> = slots.par_iter().map(|s| spill.get(*s).unwrap()).collect();
        for (a, b) in back.iter().zip(&parts) {
            assert!(same(a, b));
        }
    }

    /// Entries are written a [`FLUSH_BYTES`] at a time: every entry reads
    /// back the same whether it is still in the tail, was flushed before the
    /// read, or is flushed by another thread while the read looks for it.
    #[test]
    fn entries_read_back_from_the_tail_and_the_file_while_others_write() {
        use rayon::prelude::*;
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::create_in(dir.path()).unwrap();
        // ~4.5 MiB in entries of 1 B to 300 KiB: several flushes, entries
        // that straddle where a flush cuts, one larger than the tail alone
        let value = |i: usize| -> Vec<u8> {
            let n = match i % 50 {
                0 => 300_000,
                7 => 0,
                _ => (i * 7919) % 20_000,
            };
            (0..n).map(|j| (i + j) as u8).collect()
        };
        let slots: Vec<(usize, Slot)> = (0..400usize)
            .into_par_iter()
            .map(|i| {
                let slot = spill.put_value(&value(i)).unwrap();
                // read back at once (usually from the tail) and an earlier
                // entry of this thread's range (often from the file)
                assert_eq!(spill.get_value::<Vec<u8>>(slot).unwrap(), value(i));
                (i, slot)
            })
            .collect();
        assert!(spill.flushed.load(Ordering::Acquire) > 3 * FLUSH_BYTES as u64);
        assert!(spill.size() > spill.flushed.load(Ordering::Acquire));
        slots.par_iter().for_each(|&(i, slot)| {
            assert_eq!(
                spill.get_value::<Vec<u8>>(slot).unwrap(),
                value(i),
                "entry {i}"
            );
        });
        // nothing overlaps: the slots tile the spill
        let mut spans: Vec<Slot> = slots.iter().map(|&(_, s)| s).collect();
        spans.sort_by_key(|s| s.offset);
        let mut end = 0;
        for s in spans {
            assert_eq!(s.offset, end);
            end += s.len;
        }
        assert_eq!(end, spill.size());
    }

    /// A value that cannot be encoded (postcard needs the length of a
    /// sequence up front) is an error, and the entries parked before and
    /// after it are intact.
    #[test]
    fn a_value_that_cannot_be_encoded_leaves_the_tail_intact() {
        struct Unsized;
        impl Serialize for Unsized {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq((0..10u8).filter(|b| b % 2 == 0))
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::create_in(dir.path()).unwrap();
        let a = spill.put_value("before").unwrap();
        assert!(matches!(
            spill.put_value(&Unsized),
            Err(SpillError::Encode(_))
        ));
        let b = spill.put_value("after").unwrap();
        assert_eq!(b.offset, a.offset + a.len);
        assert_eq!(spill.get_value::<String>(a).unwrap(), "before");
        assert_eq!(spill.get_value::<String>(b).unwrap(), "after");
    }

    #[test]
    fn leaves_nothing_behind_and_reports_damage() {
        let dir = tempfile::tempdir().unwrap();
        {
            let spill = Spill::create_in(dir.path()).unwrap();
            let slot = spill.put(&part("a", 3)).unwrap();
            // a slot that points into the middle of an entry does not decode
            // into rows silently: it is an error that names the file
            let bad = Slot {
                offset: slot.offset + 1,
                len: 3,
            };
            assert!(matches!(spill.get(bad), Err(SpillError::Decode { .. })));
            let past_end = Slot {
                offset: spill.size() + 10,
                len: 5,
            };
            assert!(matches!(spill.get(past_end), Err(SpillError::Io { .. })));
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    fn finding(kind: &str, subject: &str, n: usize) -> Finding {
        Finding {
            discrepancy: Discrepancy {
                id: format!("{kind}{subject}").into(),
                kind: kind.into(),
                severity: if kind == "dangling_citation" {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                subject: subject.into(),
                detail: "x".repeat(n),
                docs: vec!["a".into()],
                evidence: vec![],
                r#where: vec!["a:1".into(), "a:2".into()],
            },
            quotes: vec![Some("Natto (1 tablespoon)~100 mcg".into()), None],
        }
    }

    #[test]
    fn parked_findings_come_back_in_table_order_like_held_ones() {
        let dir = tempfile::tempdir().unwrap();
        let spill = Arc::new(Spill::create_in(dir.path()).unwrap());
        let all = vec![
            finding("value_conflict", "natto", 10),
            finding("dangling_citation", "[3] in b", 5000),
            finding("unused_reference", "[1] in a", 0),
            finding("dangling_citation", "[2] in b", 1),
        ];
        let held: Findings = all.clone().into_iter().collect();
        let mut parked = FindingsBuilder::parked_in(Arc::clone(&spill));
        for f in &all {
            parked
                .push_parked(FindingKey::park(f, &spill).unwrap())
                .unwrap();
        }
        let lost_key = FindingKey::park(&all[0], &spill).unwrap();
        let parked = parked.finish().unwrap();
        let subjects = |fs: &Findings| -> Vec<String> {
            fs.iter()
                .map(|f| f.unwrap().discrepancy.subject.clone())
                .collect()
        };
        assert_eq!(
            subjects(&held),
            ["[2] in b", "[3] in b", "[1] in a", "natto"],
            "severity, kind, subject"
        );
        assert_eq!(subjects(&parked), subjects(&held));
        let back: Vec<Finding> = parked.iter().map(|f| f.unwrap().into_owned()).collect();
        let want: Vec<Finding> = held.iter().map(|f| f.unwrap().into_owned()).collect();
        assert_eq!(back, want, "every field and quote survives parking");
        let kinds: Vec<(Severity, &str, usize)> = parked
            .kinds()
            .iter()
            .map(|(s, k, n)| (*s, k.as_str(), *n))
            .collect();
        assert_eq!(
            kinds,
            [
                (Severity::Error, "dangling_citation", 2),
                (Severity::Warning, "unused_reference", 1),
                (Severity::Warning, "value_conflict", 1)
            ]
        );
        let sizes: Vec<u64> = parked.iter_sized().map(|(n, _)| n).collect();
        assert!(sizes[1] > 5000, "the long one is large: {sizes:?}");
        assert_eq!(held.iter_sized().next().unwrap().0, 0);
        // a parked key read through a set without the spill is an error, not a panic
        let mut lost = FindingsBuilder::held();
        lost.push_parked(lost_key).unwrap();
        let lost = lost.finish().unwrap();
        assert!(lost.iter().next().unwrap().is_err());
    }
}
