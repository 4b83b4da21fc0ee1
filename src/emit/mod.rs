//! Stage 5: write the output set — every table as CSV and JSON,
//! `datapackage.json`, `report.md` (and whatever the reference writers add).
//!
//! The whole set is written into a fresh folder beside `--out` and then swapped
//! in with renames, so a run that dies half-way leaves the previous complete set
//! in place, never a mix of old and new files.

pub mod bibtex;
pub mod csl;
pub mod datapackage;
pub mod html;
pub mod report;
pub mod table;

use std::borrow::Cow;
use std::fs;
use std::io::{BufWriter, Write};

use rayon::prelude::*;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::model::{
    ChartMarks, Citation, Dataset, Discrepancy, Dosage, Extracted, FormMention, NutrientValue,
    Reference, RowCounts, Text,
};
use crate::spill::{Findings, MarkList, RowSource, Spill, SpillError};
use std::sync::Arc;
use table::TableRow;

/// Why the outputs could not be written.
#[derive(Debug, Error)]
pub enum EmitError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write CSV {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("output folder {0} must not be the raw folder or contain it")]
    OutContainsRaw(PathBuf),
    #[error(transparent)]
    Rows(#[from] crate::spill::SpillError),
    /// A caller's mistake: the [`Dataset`] does not match the rows.
    #[error("{0} do not match the rows (fill the dataset with prepare_report first)")]
    Unprepared(&'static str),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> EmitError + '_ {
    move |source| EmitError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Options of the writers.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmitOptions {
    /// Prefix text cells that start with `=`, `+`, `-` or `@` with `'` so that a
    /// spreadsheet does not run them as formulas (OWASP CSV injection).
    pub excel_safe: bool,
}

fn excel_guard(s: Cow<'_, str>, on: bool) -> Cow<'_, str> {
    if on && s.starts_with(['=', '+', '-', '@']) {
        Cow::Owned(format!("'{s}"))
    } else {
        s
    }
}

/// Write the CSV of a table (RFC 4180, `\n` line ends, quoted only where
/// needed) into `out`, row by row: a large table is never held as one string.
pub fn write_csv<T: TableRow, W: Write>(
    rows: &[T],
    opts: EmitOptions,
    out: W,
) -> Result<W, csv::Error> {
    let mut w = csv_writer(out);
    w.write_record(T::schema().iter().map(|f| f.name))?;
    csv_rows(&mut w, rows, opts)?;
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

fn csv_writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out)
}

/// The records of `rows`, without the header.
fn csv_rows<T: TableRow, W: Write>(
    w: &mut csv::Writer<W>,
    rows: &[T],
    opts: EmitOptions,
) -> Result<(), csv::Error> {
    for r in rows {
        for (c, f) in r.cells().into_iter().zip(T::schema()) {
            let text = c.csv();
            let text = if f.ty == table::FieldType::String || f.ty == table::FieldType::List {
                excel_guard(text, opts.excel_safe)
            } else {
                text
            };
            w.write_field(text.as_bytes())?;
        }
        // an empty record ends the one written field by field
        w.write_record(None::<&[u8]>)?;
    }
    Ok(())
}

/// CSV text of a table (see [`write_csv`]).
pub fn csv_string<T: TableRow>(rows: &[T], opts: EmitOptions) -> Result<String, csv::Error> {
    let bytes = write_csv(rows, opts, Vec::new())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Write the JSON of a table into `out`, one row at a time (see
/// [`write_pretty_array`]), plus a final newline.
pub fn write_json<T: TableRow, W: Write>(rows: &[T], out: W) -> std::io::Result<W> {
    let mut out = write_pretty_array(rows.iter().map(table::JsonRow), out)?;
    out.write_all(b"\n")?;
    Ok(out)
}

/// Write `items` as a pretty-printed JSON array, byte for byte what
/// `serde_json::to_string_pretty` gives for the whole array, streamed: the
/// items are serialized one at a time as the iterator yields them.
pub fn write_pretty_array<S: serde::Serialize, W: Write>(
    items: impl IntoIterator<Item = S>,
    mut out: W,
) -> std::io::Result<W> {
    use serde::Serializer as _;
    serde_json::Serializer::pretty(&mut out)
        .collect_seq(items)
        .map_err(std::io::Error::other)?;
    Ok(out)
}

/// `fmt::Write` over an `io::Write`, so that the text writers (report,
/// BibTeX) can stream into a file. `fmt::Error` carries no cause, so the
/// first I/O error is kept here and returned by [`IoFmt::finish`].
pub struct IoFmt<W> {
    inner: W,
    error: Option<std::io::Error>,
}

impl<W: Write> IoFmt<W> {
    pub fn new(inner: W) -> Self {
        IoFmt { inner, error: None }
    }

    /// The writer back, or the first error met while writing.
    pub fn finish(self) -> std::io::Result<W> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.inner),
        }
    }
}

impl<W: Write> std::fmt::Write for IoFmt<W> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.error.is_some() {
            return Err(std::fmt::Error);
        }
        self.inner.write_all(s.as_bytes()).map_err(|e| {
            self.error = Some(e);
            std::fmt::Error
        })
    }
}

/// JSON text of a table (pretty-printed array of objects).
pub fn json_string<T: TableRow>(rows: &[T]) -> String {
    let bytes = write_json(rows, Vec::new()).unwrap_or_else(|_| b"[]\n".to_vec());
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A file opened for writing through a large buffer.
fn create(path: &Path) -> Result<BufWriter<fs::File>, EmitError> {
    let f = fs::File::create(path).map_err(io_err(path))?;
    Ok(BufWriter::with_capacity(1 << 20, f))
}

/// Flush and sync a file written through [`create`].
fn finish(path: &Path, w: BufWriter<fs::File>) -> Result<(), EmitError> {
    let f = w.into_inner().map_err(|e| io_err(path)(e.into_error()))?;
    f.sync_all().map_err(io_err(path))
}

fn write_file(dir: &Path, name: &str, content: &str) -> Result<(), EmitError> {
    let path = dir.join(name);
    let mut f = fs::File::create(&path).map_err(io_err(&path))?;
    f.write_all(content.as_bytes()).map_err(io_err(&path))?;
    f.sync_all().map_err(io_err(&path))?;
    Ok(())
}

/// Stream a text file into `dir/name` through `write` (a `fmt::Write`
/// writer: the report and BibTeX writers also fill strings).
fn write_text_file(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut IoFmt<BufWriter<fs::File>>) -> Result<(), SpillError>,
) -> Result<(), EmitError> {
    let path = dir.join(name);
    let mut w = IoFmt::new(create(&path)?);
    write(&mut w)?;
    finish(&path, w.finish().map_err(io_err(&path))?)
}

fn write_csv_file<T: TableRow>(dir: &Path, rows: &[T], opts: EmitOptions) -> Result<(), EmitError> {
    let path = dir.join(format!("{}.csv", T::NAME));
    let w = write_csv(rows, opts, create(&path)?).map_err(|source| EmitError::Csv {
        path: path.clone(),
        source,
    })?;
    finish(&path, w)
}

fn write_json_file<T: TableRow>(dir: &Path, rows: &[T]) -> Result<(), EmitError> {
    let path = dir.join(format!("{}.json", T::NAME));
    let w = write_json(rows, create(&path)?).map_err(io_err(&path))?;
    finish(&path, w)
}

/// What the report needs from the row tables — rows per table and document,
/// the chart's food values, the BibTeX base keys — gathered one chunk of rows
/// at a time (see [`ReportParts::of`]) and put into the [`Dataset`] with
/// [`ReportParts::fill`].
#[derive(Debug, Default)]
pub struct ReportParts {
    pub counts: RowCounts,
    pub chart: ChartMarks,
    /// BibTeX keys of the references before they are made unique.
    pub bib_keys: Vec<Text>,
    /// Where the chart's marks are parked as they are absorbed (a run's).
    park: Option<Arc<Spill>>,
    /// The first failure to park a block of marks, reported by `fill`.
    failed: Option<SpillError>,
}

impl ReportParts {
    /// The parts of one chunk (or of all rows), held in memory.
    pub fn of(ex: &Extracted) -> ReportParts {
        let mut p = ReportParts {
            counts: RowCounts::of(ex),
            ..Default::default()
        };
        html::add_chart_marks(&mut p.chart, &ex.nutrient_values);
        p.bib_keys = ex.references.iter().map(bibtex::base_key).collect();
        p
    }

    /// The parts of one chunk, to be absorbed into parts whose chart marks
    /// are parked in `spill` a block at a time ([`crate::spill::MarkList`]).
    pub fn parking(ex: &Extracted, spill: &Arc<Spill>) -> ReportParts {
        ReportParts {
            park: Some(Arc::clone(spill)),
            ..ReportParts::of(ex)
        }
    }

    /// Add the parts of the next chunk.
    pub fn absorb(&mut self, other: ReportParts) {
        self.counts.absorb(other.counts);
        if self.park.is_none() {
            self.park = other.park;
        }
        for (key, marks) in other.chart {
            let list = self.chart.entry(key).or_default();
            if let Err(e) = list.append(marks, self.park.as_ref()) {
                self.failed.get_or_insert(e);
            }
        }
        self.bib_keys.extend(other.bib_keys);
    }

    pub fn fill(mut self, ds: &mut Dataset) -> Result<(), SpillError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        // kept until emit is done: without the slack of their growth
        self.chart.values_mut().for_each(MarkList::shrink_to_fit);
        ds.counts = self.counts;
        ds.chart = self.chart;
        ds.bib_keys = bibtex::unique_keys(self.bib_keys);
        Ok(())
    }
}

/// The parts of all chunks, given in chunk order.
impl FromIterator<ReportParts> for ReportParts {
    fn from_iter<I: IntoIterator<Item = ReportParts>>(parts: I) -> ReportParts {
        let mut all = ReportParts::default();
        for p in parts {
            all.absorb(p);
        }
        all
    }
}

/// Fill the report's parts of `ds` from `rows` in one pass, and its findings
/// from `discrepancies` (in table order) with the lines of `rows` they point
/// at, all held in memory. (`run` gathers the parts while it audits the
/// documents, which reads every chunk anyway, and parks the findings: see
/// [`crate::reconcile::audit`].)
pub fn prepare_report(
    ds: &mut Dataset,
    discrepancies: Vec<Discrepancy>,
    rows: &dyn RowSource,
) -> Result<(), SpillError> {
    let parts = (0..rows.chunks())
        .into_par_iter()
        .map(|i| Ok(ReportParts::of(&*rows.chunk(i)?)))
        .collect::<Result<Vec<_>, SpillError>>()?;
    parts.into_iter().collect::<ReportParts>().fill(ds)?;
    ds.discrepancies = crate::reconcile::quote_all(discrepancies, rows)?;
    Ok(())
}

/// Write the discrepancies table (CSV and JSON) from `findings`, a batch at
/// a time: a large run's findings are parked on disk ([`Findings`]). A
/// batch holds findings up to `FINDINGS_BATCH_BYTES` (1 MiB) as parked: most
/// findings are a few hundred bytes, but a conflict over a common food lists
/// every source's value and quotes every line (megabytes in a large corpus).
pub fn stream_findings(
    dir: &Path,
    findings: &Findings,
    opts: EmitOptions,
) -> Result<(), EmitError> {
    let mut files = TableFiles::open::<Discrepancy>(dir)?;
    let mut batch = Vec::new();
    let mut bytes = 0;
    let n = findings.len();
    for (i, (size, f)) in findings.iter_sized().enumerate() {
        batch.push(f?.into_owned().discrepancy);
        bytes += size;
        if bytes >= FINDINGS_BATCH_BYTES || i + 1 == n {
            files.append(&render_table(&batch, opts, dir)?)?;
            batch.clear();
            bytes = 0;
        }
    }
    files.finish()
}

/// Parked bytes of the findings [`stream_findings`] renders at once.
const FINDINGS_BATCH_BYTES: u64 = 1 << 20;

/// The CSV and JSON files of one row table, filled chunk by chunk.
struct TableFiles {
    csv_path: PathBuf,
    csv: BufWriter<fs::File>,
    json: JsonArray,
}

impl TableFiles {
    fn open<T: TableRow>(dir: &Path) -> Result<TableFiles, EmitError> {
        let csv_path = dir.join(format!("{}.csv", T::NAME));
        let mut csv = csv_writer(create(&csv_path)?);
        let csv_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| EmitError::Csv { path, source }
        };
        csv.write_record(T::schema().iter().map(|f| f.name))
            .map_err(csv_err(&csv_path))?;
        let csv = csv
            .into_inner()
            .map_err(|e| csv_err(&csv_path)(csv::Error::from(e.into_error())))?;
        Ok(TableFiles {
            csv_path,
            csv,
            json: JsonArray::create(dir.join(format!("{}.json", T::NAME)))?,
        })
    }

    /// Append one chunk's rendered rows (see [`render_table`]).
    fn append(&mut self, (csv, json): &(Vec<u8>, Vec<u8>)) -> Result<(), EmitError> {
        self.csv.write_all(csv).map_err(io_err(&self.csv_path))?;
        self.json.append(json)
    }

    fn finish(self) -> Result<(), EmitError> {
        finish(&self.csv_path, self.csv)?;
        self.json.finish(b"\n")
    }
}

/// CSV records and JSON items (each starting with ",\n") of one chunk's rows.
fn render_table<T: TableRow>(
    rows: &[T],
    opts: EmitOptions,
    dir: &Path,
) -> Result<(Vec<u8>, Vec<u8>), EmitError> {
    let mut w = csv_writer(Vec::new());
    let csv_err = |source| EmitError::Csv {
        path: dir.join(format!("{}.csv", T::NAME)),
        source,
    };
    csv_rows(&mut w, rows, opts).map_err(csv_err)?;
    let csv = w
        .into_inner()
        .map_err(|e| csv_err(csv::Error::from(e.into_error())))?;
    let json = json_items(rows.iter().map(table::JsonRow))
        .map_err(io_err(&dir.join(format!("{}.json", T::NAME))))?;
    Ok((csv, json))
}

/// `items` as pieces of a JSON array ([`JsonArray::append`]): each
/// pretty-printed item indented one level and preceded by ",\n".
///
/// The items are written as one pretty-printed array, `[\n  {…},\n  {…}\n]`,
/// whose inside is that: `[` becomes `,` and the closing `\n]` is cut. (Each
/// item on its own and indented line by line afterwards cost a second pass
/// and a copy per line of every row.)
fn json_items<S: serde::Serialize>(items: impl Iterator<Item = S>) -> std::io::Result<Vec<u8>> {
    let mut out = write_pretty_array(items, Vec::new())?;
    if out == b"[]" {
        out.clear();
    } else {
        debug_assert!(out.starts_with(b"[\n") && out.ends_with(b"\n]"));
        out.truncate(out.len() - 2);
        out[0] = b',';
    }
    Ok(out)
}

fn render_chunk<'a>(
    ex: Cow<'a, Extracted>,
    opts: EmitOptions,
    dir: &Path,
) -> Result<Rendered<'a>, EmitError> {
    let tables = [
        render_table(&ex.nutrient_values, opts, dir)?,
        render_table(&ex.dosages, opts, dir)?,
        render_table(&ex.references, opts, dir)?,
        render_table(&ex.citations, opts, dir)?,
        render_table(&ex.forms, opts, dir)?,
    ];
    let csl = json_items(ex.references.iter().map(csl::csl_item))
        .map_err(io_err(&dir.join("references.csl.json")))?;
    // BibTeX is written when the chunk is appended: its keys depend on the
    // entries before it
    let references = match ex {
        Cow::Borrowed(ex) => Cow::Borrowed(ex.references.as_slice()),
        Cow::Owned(ex) => Cow::Owned(ex.references),
    };
    Ok(Rendered {
        tables,
        csl,
        references,
    })
}

/// One chunk made ready to append: its five tables and its CSL-JSON items
/// rendered, its references for BibTeX.
struct Rendered<'a> {
    tables: [(Vec<u8>, Vec<u8>); 5],
    csl: Vec<u8>,
    references: Cow<'a, [Reference]>,
}

/// The JSON array of a file written in pieces that each hold items starting
/// with ",\n" (see [`render_table`]).
struct JsonArray {
    path: PathBuf,
    out: BufWriter<fs::File>,
    empty: bool,
}

impl JsonArray {
    fn create(path: PathBuf) -> Result<JsonArray, EmitError> {
        let out = create(&path)?;
        Ok(JsonArray {
            path,
            out,
            empty: true,
        })
    }

    fn append(&mut self, items: &[u8]) -> Result<(), EmitError> {
        // the first item of the file opens the array
        let items = match items.strip_prefix(b",\n") {
            Some(rest) if self.empty => {
                self.empty = false;
                self.out.write_all(b"[\n").map_err(io_err(&self.path))?;
                rest
            }
            _ => items,
        };
        self.out.write_all(items).map_err(io_err(&self.path))
    }

    /// Close the array, then write `end` (a final newline, or nothing).
    fn finish(mut self, end: &[u8]) -> Result<(), EmitError> {
        let close: &[u8] = if self.empty { b"[]" } else { b"\n]" };
        self.out.write_all(close).map_err(io_err(&self.path))?;
        self.out.write_all(end).map_err(io_err(&self.path))?;
        finish(&self.path, self.out)
    }
}

/// Write the five row tables (CSV and JSON), CSL-JSON and BibTeX into `dir`
/// from `rows`, chunk by chunk: a batch of chunks is read and rendered in
/// parallel (on the current rayon pool), then appended in order while the
/// next batch renders, so memory holds two batches, not the tables.
/// `bib_keys` are the BibTeX keys of all references in order
/// ([`prepare_report`] fills them).
pub fn stream_tables(
    dir: &Path,
    rows: &dyn RowSource,
    bib_keys: &[Text],
    opts: EmitOptions,
) -> Result<(), EmitError> {
    let mut files = [
        TableFiles::open::<NutrientValue>(dir)?,
        TableFiles::open::<Dosage>(dir)?,
        TableFiles::open::<Reference>(dir)?,
        TableFiles::open::<Citation>(dir)?,
        TableFiles::open::<FormMention>(dir)?,
    ];
    let mut csl = JsonArray::create(dir.join("references.csl.json"))?;
    let bib_path = dir.join("references.bib");
    let mut bib = IoFmt::new(create(&bib_path)?);
    let mut keys = bib_keys;
    let batch = (rayon::current_num_threads() * 8).max(16);
    let n = rows.chunks();
    let render = |start: usize| -> Vec<Result<Rendered, EmitError>> {
        (start..n.min(start + batch))
            .into_par_iter()
            .map(|i| render_chunk(rows.chunk(i)?, opts, dir))
            .collect()
    };
    let mut append = |rendered: Vec<Result<Rendered, EmitError>>| -> Result<(), EmitError> {
        for r in rendered {
            let r = r?;
            for (f, t) in files.iter_mut().zip(&r.tables) {
                f.append(t)?;
            }
            csl.append(&r.csl)?;
            let Some((mine, rest)) = keys.split_at_checked(r.references.len()) else {
                return Err(EmitError::Unprepared("BibTeX keys"));
            };
            bibtex::write_entries(&r.references, mine, &mut bib);
            keys = rest;
        }
        Ok(())
    };
    // appending one batch overlaps with rendering the next
    let mut pending = render(0);
    for start in (batch..n).step_by(batch) {
        let (done, next) = rayon::join(|| append(std::mem::take(&mut pending)), || render(start));
        done?;
        pending = next;
    }
    append(pending)?;
    if !keys.is_empty() {
        return Err(EmitError::Unprepared("BibTeX keys"));
    }
    for f in files {
        f.finish()?;
    }
    csl.finish(b"")?;
    finish(&bib_path, bib.finish().map_err(io_err(&bib_path))?)
}

/// One file of the output set to write.
type Job<'a> = Box<dyn Fn() -> Result<(), EmitError> + Send + Sync + 'a>;

/// The CSV and JSON writers of one table.
fn table_jobs<'a, T: TableRow + Sync>(
    dir: &'a Path,
    rows: &'a [T],
    opts: EmitOptions,
) -> [Job<'a>; 2] {
    [
        Box::new(move || write_csv_file(dir, rows, opts)),
        Box::new(move || write_json_file(dir, rows)),
    ]
}

/// Write every file of the output set into `dir` (which must exist): the row
/// tables from `rows` (see [`stream_tables`]), the rest from `ds`, whose
/// report parts must be filled ([`prepare_report`]). The files are
/// independent, so they are written in parallel (on the current rayon pool);
/// their content does not depend on it.
pub fn write_set(
    dir: &Path,
    ds: &Dataset,
    rows: &dyn RowSource,
    opts: EmitOptions,
) -> Result<(), EmitError> {
    let mut jobs: Vec<Job> = Vec::new();
    // the largest first, so that the small ones fill in the gaps
    jobs.push(Box::new(|| stream_tables(dir, rows, &ds.bib_keys, opts)));
    // The reports are streamed: a report of a large corpus is hundreds of
    // megabytes, and building it as one string doubled the peak.
    jobs.push(Box::new(|| {
        write_text_file(dir, "report.html", |w| html::write_report_html(ds, w))
    }));
    jobs.push(Box::new(|| {
        write_text_file(dir, "report.md", |w| report::write_report_md(ds, w))
    }));
    jobs.push(Box::new(|| stream_findings(dir, &ds.discrepancies, opts)));
    jobs.extend(table_jobs(dir, &ds.consensus, opts));
    jobs.push(Box::new(|| {
        write_file(dir, "datapackage.json", &datapackage::datapackage_json())
    }));
    let results: Vec<Result<(), EmitError>> = jobs.par_iter().map(|j| j()).collect();
    // the first failure in file order, whatever the thread timing
    results.into_iter().collect()
}

/// Prefixes of the work folders a run keeps beside `--out` (`.NAME.new-PID`
/// while writing, `.NAME.old-PID` during a two-rename swap).
fn work_dir_names(name: &str) -> (String, String) {
    (format!(".{name}.new-"), format!(".{name}.old-"))
}

/// Is the process that owns a work folder still running? A live concurrent run
/// keeps its folders; everything else beside `--out` is a leftover of a run that
/// was killed (SIGKILL, power loss) and may be cleaned up.
#[cfg(unix)]
fn pid_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let Ok(p) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 sends nothing; it only checks the process exists.
    let r = unsafe { libc::kill(p, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn pid_alive(pid: u32) -> bool {
    pid == std::process::id()
}

/// Take an exclusive advisory lock on a run's work folder, held until the
/// returned handle is dropped (or the process dies, however it dies).
#[cfg(unix)]
fn lock_dir(dir: &Path) -> Option<fs::File> {
    use std::os::fd::AsRawFd;
    let f = fs::File::open(dir).ok()?;
    // SAFETY: flock on a descriptor we own; no memory is shared.
    let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    (r == 0).then_some(f)
}

#[cfg(not(unix))]
fn lock_dir(dir: &Path) -> Option<fs::File> {
    fs::File::open(dir).ok()
}

/// Is run `pid` still writing beside `--out`? Its `.NAME.new-PID` folder is
/// locked for as long as it runs, and the lock dies with the process, so a
/// lock that can be taken means a dead run even when its process id has since
/// been given to another process (ids are reused: 32768 of them by default on
/// Linux). Without that folder (the `.old-` folder of a two-rename swap) the
/// process id is all there is to go by.
fn run_alive(new_dir: &Path, pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if fs::symlink_metadata(new_dir).is_ok_and(|m| m.is_dir()) {
        // dropping the handle releases the lock at once
        return lock_dir(new_dir).is_none();
    }
    pid_alive(pid)
}

/// Repair what an interrupted run left beside `out`, before anything else
/// touches it, and say what was done (one line per action).
///
/// - `out` missing but a dead run's `.NAME.old-PID` present: the run was killed
///   between the two renames of a swap (old set moved away, new not yet in
///   place), so the old set is renamed back. Where several are left, the most
///   recently modified one wins.
/// - every other `.NAME.new-PID` / `.NAME.old-PID` of a dead process is
///   removed: a `.new-` folder is an unfinished (or unswapped) set, an `.old-`
///   folder a set that was already replaced. Foreign files were carried over
///   by hard links, so removing them loses nothing.
pub fn recover_interrupted(out: &Path) -> Result<Vec<String>, EmitError> {
    let out_abs = absolute(out);
    let Some(parent) = out_abs.parent() else {
        return Ok(Vec::new());
    };
    let Some(name) = out_abs
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
    else {
        return Ok(Vec::new());
    };
    let entries = match fs::read_dir(parent) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(parent)(e)),
    };
    let (new_prefix, old_prefix) = work_dir_names(&name);
    let mut stale_new = Vec::new();
    let mut stale_old = Vec::new();
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let (list, rest) = if let Some(rest) = file_name.strip_prefix(&new_prefix) {
            (&mut stale_new, rest)
        } else if let Some(rest) = file_name.strip_prefix(&old_prefix) {
            (&mut stale_old, rest)
        } else {
            continue;
        };
        let Ok(pid) = rest.parse::<u32>() else {
            continue;
        };
        if !run_alive(&parent.join(format!("{new_prefix}{pid}")), pid) {
            let mtime = entry.metadata().and_then(|m| m.modified()).ok();
            list.push((mtime, entry.path()));
        }
    }
    let mut notes = Vec::new();
    if !out_abs.exists() && !stale_old.is_empty() {
        stale_old.sort();
        if let Some((_, latest)) = stale_old.pop() {
            fs::rename(&latest, &out_abs).map_err(io_err(&latest))?;
            notes.push(format!(
                "restored the previous output set from {} (a run was interrupted during the swap)",
                latest.display()
            ));
        }
    }
    stale_new.sort();
    for (_, dir) in stale_old.into_iter().chain(stale_new) {
        remove_any(&dir).map_err(io_err(&dir))?;
        notes.push(format!(
            "removed {} left by an interrupted run",
            dir.display()
        ));
    }
    Ok(notes)
}

fn remove_any(p: &Path) -> std::io::Result<()> {
    match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(p),
        Ok(_) => fs::remove_file(p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Make renames in `dir` durable (a crash after the call keeps them).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(f) = fs::File::open(dir) {
        let _ = f.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Swap two existing directories in one atomic step (Linux `renameat2` with
/// `RENAME_EXCHANGE`). `Ok(false)` where the platform or file system cannot,
/// and the caller falls back to two renames.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => Ok(false),
        _ => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// Write the output set to `out` atomically: into a temporary folder beside it,
/// then swapped in. Files in `out` that are not part of the set are carried
/// over (a user's notes, a cache).
///
/// A run killed at any moment leaves `out` holding the complete old set or the
/// complete new set, never a mix: on Linux the swap is one `renameat2`
/// exchange, so `out` is never missing; elsewhere it is two renames, and a kill
/// between them leaves `.NAME.old-PID`, which the next run renames back
/// ([`recover_interrupted`], called first). Leftover work folders of dead runs
/// are removed at the start of the next run.
pub fn write_outputs(
    out: &Path,
    raw: &Path,
    ds: &Dataset,
    rows: &dyn RowSource,
    opts: EmitOptions,
) -> Result<(), EmitError> {
    let out_abs = absolute(out);
    if absolute(raw).starts_with(&out_abs) {
        return Err(EmitError::OutContainsRaw(out.to_path_buf()));
    }
    let parent = out_abs
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    recover_interrupted(&out_abs)?;
    let name = out_abs
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "processed".into());
    let pid = std::process::id();
    let (new_prefix, old_prefix) = work_dir_names(&name);
    let tmp = parent.join(format!("{new_prefix}{pid}"));
    let old = parent.join(format!("{old_prefix}{pid}"));
    remove_any(&tmp).map_err(io_err(&tmp))?;
    fs::create_dir(&tmp).map_err(io_err(&tmp))?;
    // held until this function returns: tells other runs this folder is live
    let _lock = lock_dir(&tmp);
    let result = (|| {
        write_set(&tmp, ds, rows, opts)?;
        if out_abs.is_dir() {
            carry_over(&out_abs, &tmp)?;
        }
        sync_dir(&tmp);
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if out_abs.is_dir() && exchange(&tmp, &out_abs).map_err(io_err(&out_abs))? {
        // `tmp` now holds the previous set
        sync_dir(&parent);
        fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    } else if out_abs.exists() {
        fs::rename(&out_abs, &old).map_err(io_err(&out_abs))?;
        if let Err(e) = fs::rename(&tmp, &out_abs) {
            // put the old set back
            let _ = fs::rename(&old, &out_abs);
            return Err(io_err(&out_abs)(e));
        }
        sync_dir(&parent);
        remove_any(&old).map_err(io_err(&old))?;
    } else {
        fs::rename(&tmp, &out_abs).map_err(io_err(&out_abs))?;
        sync_dir(&parent);
    }
    Ok(())
}

/// Files of the previous set that the new set does not write (kept, not lost).
///
/// They are hard-linked (copied where links are impossible), not moved: until
/// the swap the previous set must stay complete, because a run killed before
/// it leaves `out` in place and its work folder is deleted by the next run.
fn carry_over(old: &Path, new: &Path) -> Result<(), EmitError> {
    for entry in fs::read_dir(old).map_err(io_err(old))? {
        let entry = entry.map_err(io_err(old))?;
        let target = new.join(entry.file_name());
        if fs::symlink_metadata(&target).is_err() {
            link_tree(&entry.path(), &target).map_err(io_err(&entry.path()))?;
        }
    }
    Ok(())
}

/// Recreate `from` at `to`: folders as folders, files as hard links (or
/// copies), symbolic links as links. Other kinds (FIFOs, sockets) are skipped.
fn link_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    let meta = fs::symlink_metadata(from)?;
    let ty = meta.file_type();
    if ty.is_dir() {
        fs::create_dir(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            link_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else if ty.is_symlink() {
        #[cfg(unix)]
        std::os::unix::fs::symlink(fs::read_link(from)?, to)?;
    } else if ty.is_file() && fs::hard_link(from, to).is_err() {
        fs::copy(from, to)?;
    }
    Ok(())
}

fn absolute(p: &Path) -> PathBuf {
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    // normalise "." and ".." without touching the file system
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FormMention, Lang};

    #[test]
    fn csv_quotes_only_where_needed_and_guards_formulas() {
        let rows = vec![FormMention {
            id: "x".into(),
            doc: "d".into(),
            line: 3,
            offset: 0,
            lang: Lang::Nl,
            form_raw: "=MK7, \"raw\"".into(),
            form: "MK-7".into(),
        }];
        let plain = csv_string(&rows, EmitOptions::default()).unwrap();
        assert_eq!(
            plain,
            "id,doc,line,lang,form_raw,form\nx,d,3,nl,\"=MK7, \"\"raw\"\"\",MK-7\n"
        );
        let safe = csv_string(&rows, EmitOptions { excel_safe: true }).unwrap();
        assert!(safe.contains("\"'=MK7"));
    }

    /// A row of every table with every kind of cell filled: lists, numbers
    /// with and without fractions, NaN, empty strings, text that needs JSON
    /// escapes.
    fn sample_rows() -> (
        Vec<crate::model::Dosage>,
        Vec<crate::model::Reference>,
        Vec<FormMention>,
    ) {
        let d = crate::model::Dosage {
            id: "d1".into(),
            doc: "doc \"1\"".into(),
            line: 7,
            quote: "45 mg\tper dag — “quoted” \\ back".into(),
            amount_min: 45.0,
            amount_max: 0.1 + 0.2,
            value_ug_min: Some(f64::NAN),
            value_ug_max: Some(1e20),
            co_nutrients: vec!["vitamin D3".into(), "calcium".into()],
            ..Default::default()
        };
        let r = crate::model::Reference {
            id: "r1".into(),
            authors: vec!["Knapen, MH".into()],
            year: Some(2013),
            title: "Three-year low-dose menaquinone-7".into(),
            ..Default::default()
        };
        let f = FormMention {
            id: "f1".into(),
            doc: "d".into(),
            line: 1,
            offset: 0,
            lang: Lang::Nl,
            form_raw: crate::model::Text::default(),
            form: "MK-7".into(),
        };
        (vec![d.clone(), d], vec![r], vec![f])
    }

    use crate::spill::SpillError;

    /// Rows in several chunks, as the spill hands them out.
    struct Chunks(Vec<Extracted>);

    impl RowSource for Chunks {
        fn chunks(&self) -> usize {
            self.0.len()
        }
        fn chunk(&self, i: usize) -> Result<Cow<'_, Extracted>, SpillError> {
            Ok(Cow::Borrowed(&self.0[i]))
        }
    }

    #[test]
    fn parked_findings_stream_the_table_written_at_once() {
        use crate::model::{Finding, Severity};
        use crate::spill::{FindingKey, FindingsBuilder, Spill};
        use std::sync::Arc;
        // one finding larger than a batch, many small ones around it
        let found: Vec<Discrepancy> = (0..50)
            .map(|i| Discrepancy {
                id: format!("{i:02}").into(),
                kind: "unused_reference".into(),
                severity: Severity::Warning,
                subject: format!("[{i}] in a"),
                detail: if i == 20 {
                    "long ".repeat(300_000)
                } else {
                    format!("Entry {i} is never cited, \"=cmd\".")
                },
                docs: vec!["a".into()],
                evidence: vec![],
                r#where: vec![format!("a:{i}").into()],
            })
            .collect();
        let t = tempfile::tempdir().unwrap();
        let spill = Arc::new(Spill::create_in(t.path()).unwrap());
        let mut parked = FindingsBuilder::parked_in(Arc::clone(&spill));
        for d in found.iter().rev() {
            let f = Finding::quoting(d.clone(), |_| None);
            parked
                .push_parked(FindingKey::park(&f, &spill).unwrap())
                .unwrap();
        }
        let parked = parked.finish().unwrap();
        assert!(parked.iter_sized().any(|(n, _)| n > FINDINGS_BATCH_BYTES));
        let mut found = found;
        crate::reconcile::sort_discrepancies(&mut found);
        let opts = EmitOptions { excel_safe: true };
        let dir = t.path().join("out");
        fs::create_dir(&dir).unwrap();
        stream_findings(&dir, &parked, opts).unwrap();
        let csv = fs::read(dir.join("discrepancies.csv")).unwrap();
        assert_eq!(csv, write_csv(&found, opts, Vec::new()).unwrap());
        let json = fs::read(dir.join("discrepancies.json")).unwrap();
        assert_eq!(json, write_json(&found, Vec::new()).unwrap());
        // no findings: the empty table, as written at once
        stream_findings(&dir, &Findings::default(), opts).unwrap();
        let json = fs::read(dir.join("discrepancies.json")).unwrap();
        assert_eq!(json, write_json::<Discrepancy, _>(&[], Vec::new()).unwrap());
    }

    #[test]
    fn tables_streamed_in_chunks_equal_the_tables_written_at_once() {
        let (d, r, f) = sample_rows();
        let part = |k: usize| Extracted {
            dosages: d.iter().take(k).cloned().collect(),
            // the same entry in several chunks: its BibTeX key gets a, b, c
            references: r.iter().cycle().take(k).cloned().collect(),
            forms: f.iter().cycle().take(k * 3).cloned().collect(),
            ..Default::default()
        };
        // empty chunks first, between and last; a table empty in every chunk
        let chunks: Vec<Extracted> = [0, 2, 0, 1, 0, 2, 0].into_iter().map(part).collect();
        let whole = Extracted::concat(chunks.clone());
        let opts = EmitOptions { excel_safe: true };
        let t = tempfile::tempdir().unwrap();
        let source = Chunks(chunks);
        let mut ds = Dataset::default();
        prepare_report(&mut ds, Vec::new(), &source).unwrap();
        stream_tables(t.path(), &source, &ds.bib_keys, opts).unwrap();
        let read = |name: &str| fs::read_to_string(t.path().join(name)).unwrap();
        assert_eq!(
            read("dosages.csv"),
            csv_string(&whole.dosages, opts).unwrap()
        );
        assert_eq!(read("dosages.json"), json_string(&whole.dosages));
        assert_eq!(read("forms.json"), json_string(&whole.forms));
        assert_eq!(
            read("references.csv"),
            csv_string(&whole.references, opts).unwrap()
        );
        assert_eq!(read("nutrient_values.json"), "[]\n");
        assert_eq!(
            read("nutrient_values.csv"),
            csv_string::<NutrientValue>(&[], opts).unwrap()
        );
        assert_eq!(read("references.bib"), bibtex::bibtex(&whole.references));
        let bib = read("references.bib");
        let keys: std::collections::HashSet<&str> =
            bib.lines().filter(|l| l.starts_with("@article{")).collect();
        assert_eq!(keys.len(), 5, "one distinct key per entry across chunks");
        assert_eq!(
            read("references.csl.json"),
            csl::csl_json(&whole.references)
        );
        assert_eq!(ds.counts, RowCounts::of(&whole));
        assert_eq!(ds.counts.total, [0, 5, 5, 0, 15]);
        // keys that do not match the rows are an error, not a shorter file
        let e = stream_tables(t.path(), &source, &ds.bib_keys[1..], opts).unwrap_err();
        assert!(matches!(e, EmitError::Unprepared(_)), "{e}");
        let too_many = [ds.bib_keys.clone(), vec!["x".into()]].concat();
        let e = stream_tables(t.path(), &source, &too_many, opts).unwrap_err();
        assert!(matches!(e, EmitError::Unprepared(_)), "{e}");
        // a chunk that cannot be read fails the table, it is not skipped
        struct Broken;
        impl RowSource for Broken {
            fn chunks(&self) -> usize {
                3
            }
            fn chunk(&self, i: usize) -> Result<Cow<'_, Extracted>, SpillError> {
                match i {
                    1 => Err(SpillError::Io {
                        path: "chunk 1".into(),
                        source: std::io::Error::other("unreadable"),
                    }),
                    _ => Ok(Cow::Owned(Extracted::default())),
                }
            }
        }
        let e = stream_tables(t.path(), &Broken, &[], opts).unwrap_err();
        assert!(e.to_string().contains("chunk 1"), "{e}");
    }

    #[test]
    fn streamed_json_is_what_the_value_tree_gave() {
        let (d, r, f) = sample_rows();
        let tree = |v: Vec<serde_json::Value>| {
            serde_json::to_string_pretty(&serde_json::Value::Array(v)).unwrap() + "\n"
        };
        assert_eq!(
            json_string(&d),
            tree(d.iter().map(table::row_json).collect())
        );
        assert_eq!(
            json_string(&r),
            tree(r.iter().map(table::row_json).collect())
        );
        assert_eq!(
            json_string(&f),
            tree(f.iter().map(table::row_json).collect())
        );
        let none: Vec<FormMention> = Vec::new();
        assert_eq!(json_string(&none), "[]\n");
        assert_eq!(
            csl::csl_json(&r),
            serde_json::to_string_pretty(&serde_json::Value::Array(
                r.iter().map(csl::csl_item).collect()
            ))
            .unwrap()
        );
        assert_eq!(csl::csl_json(&[]), "[]");
    }

    #[test]
    fn io_errors_of_streamed_text_are_not_lost() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut w = IoFmt::new(Full);
        report::write_report_md(&Dataset::default(), &mut w).unwrap();
        let e = w.finish().err().expect("the error comes back");
        assert_eq!(e.to_string(), "disk full");
        let mut ok = IoFmt::new(Vec::new());
        report::write_report_md(&Dataset::default(), &mut ok).unwrap();
        let bytes = ok.finish().unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            report::report_md(&Dataset::default()).unwrap()
        );
    }

    #[test]
    fn atomic_swap_replaces_the_set_and_keeps_foreign_files() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("out");
        let raw = t.path().join("raw");
        fs::create_dir_all(&raw).unwrap();
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        fs::write(out.join("forms.csv"), "stale").unwrap();
        write_outputs(
            &out,
            &raw,
            &Dataset::default(),
            &Extracted::default(),
            EmitOptions::default(),
        )
        .unwrap();
        assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
        assert!(fs::read_to_string(out.join("forms.csv"))
            .unwrap()
            .starts_with("id,doc"));
        assert!(out.join("datapackage.json").exists());
        let leftovers: Vec<_> = fs::read_dir(t.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty());
        assert!(write_outputs(
            t.path(),
            &raw,
            &Dataset::default(),
            &Extracted::default(),
            EmitOptions::default()
        )
        .is_err());
    }
}
