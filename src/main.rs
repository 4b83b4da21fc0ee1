//! The `nutripipe` command: wires the stages, flags and progress bars.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use nutripipe::cache::{self, Cache};
use nutripipe::emit::{self, EmitOptions};
use nutripipe::model::{Dataset, DocSummary, Extracted, Warning};
use nutripipe::reconcile::keys::ParkedKeys;
use nutripipe::spill::{RowSource, Slot, Spill, SpillError, SpillRows};
use nutripipe::{extract, ingest, normalize, reconcile};

/// Turn scraped vitamin articles (Dutch and English) into audited datasets.
#[derive(Parser, Debug)]
#[command(name = "nutripipe", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read every source text under --raw and write all tables, the data
    /// package and the audit report into --out.
    Run(RunArgs),
    /// Write a deterministic benchmark corpus: the sentences, tables and
    /// reference lists of the sources under --raw recombined, with varied
    /// amounts, foods and authors, into files of 5-50 KB (see `make bench`).
    BenchCorpus(BenchCorpusArgs),
    /// Print the audit summary of an output folder: discrepancies per kind and
    /// severity, then every error, with the source lines it rests on.
    Audit(AuditArgs),
}

#[derive(Parser, Debug)]
struct AuditArgs {
    /// Output folder written by `nutripipe run`.
    #[arg(long, default_value = "processed")]
    out: PathBuf,
    /// Also list warnings, not only errors.
    #[arg(long)]
    all: bool,
}

#[derive(Parser, Debug)]
struct BenchCorpusArgs {
    /// Folder with the source texts to recombine.
    #[arg(long, default_value = "raw")]
    raw: PathBuf,
    /// Size of the corpus in decimal megabytes (10^6 bytes).
    #[arg(long)]
    mb: f64,
    /// Seed of the generator; the same arguments give byte-identical files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder (new, empty, or holding only a previous corpus).
    dir: PathBuf,
}

#[derive(Parser, Debug)]
struct RunArgs {
    /// Folder with the sources (*.txt, *.html, *.htm, *.md, any encoding; searched recursively).
    #[arg(long, default_value = "raw")]
    raw: PathBuf,
    /// Output folder; the whole set is replaced atomically.
    #[arg(long, default_value = "processed")]
    out: PathBuf,
    /// No progress bars and no summary line.
    #[arg(long, short)]
    quiet: bool,
    /// Worker threads (default: one per core). Outputs do not depend on it.
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Prefix CSV text cells starting with = + - @ with ' for spreadsheets
    /// (OWASP CSV injection); the default stays faithful to the source.
    #[arg(long)]
    excel_safe: bool,
    /// Print the wall time of every stage to stderr.
    #[arg(long)]
    timings: bool,
    /// Folder of the extraction cache (default: OUT/.cache). Entries are keyed
    /// by file content and pipeline version; a re-run re-extracts only the
    /// documents that changed.
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// Extract every document afresh and leave the cache alone.
    #[arg(long, conflicts_with = "cache")]
    no_cache: bool,
}

/// `println!` into a String (the audit output is written in one go, so that a
/// closed pipe can be handled).
macro_rules! outln {
    ($o:expr) => {
        let _ = writeln!($o);
    };
    ($o:expr, $($arg:tt)*) => {
        let _ = writeln!($o, $($arg)*);
    };
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(&args),
        Command::Audit(args) => audit(&args),
        Command::BenchCorpus(args) => bench_corpus(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("nutripipe: error: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}

fn bar(len: u64, msg: &str, visible: bool) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(
        Some(len),
        if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    let style = ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    pb.set_style(style);
    pb.set_message(msg.to_string());
    pb
}

fn spinner(msg: &str, visible: bool) -> ProgressBar {
    let pb = bar(1, msg, visible);
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// CPU time spent per stage inside the parallel ingest + extract phase
/// (summed over worker threads), for `--timings`.
#[derive(Default)]
struct StageClock {
    read: AtomicU64,
    ingest: AtomicU64,
    extract: AtomicU64,
    cache: AtomicU64,
}

impl StageClock {
    /// Run `f`, adding its duration to `slot`.
    fn time<T>(slot: &AtomicU64, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let r = f();
        slot.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
        r
    }

    fn secs(slot: &AtomicU64) -> f64 {
        slot.load(Ordering::Relaxed) as f64 / 1e9
    }
}

/// One document through ingest and extract, or from the cache. The document
/// itself is dropped here: only its rows leave, so memory holds one document
/// per worker thread, not the corpus.
fn process(
    raw: &Path,
    rel: &Path,
    cache: Option<&Cache>,
    clock: &StageClock,
) -> Result<(DocSummary, Extracted, Vec<Warning>), Warning> {
    let file = ingest::display_rel(rel);
    let (bytes, size_warning) = StageClock::time(&clock.read, || ingest::read(raw, rel))?;
    let key = cache.map(|c| {
        (
            c,
            StageClock::time(&clock.cache, || cache::key(&file, &bytes)),
        )
    });
    if let Some((c, k)) = &key {
        if let Some(e) = StageClock::time(&clock.cache, || c.get(k)) {
            let mut warnings = e.warnings;
            warnings.splice(0..0, size_warning);
            return Ok((e.summary, e.extracted, warnings));
        }
    }
    let (doc, summary, warnings) = StageClock::time(&clock.ingest, || {
        ingest::load_bytes(&file, &ingest::doc_id(rel), &bytes)
    })?;
    drop(bytes);
    let extracted = StageClock::time(&clock.extract, || extract::extract_document(&doc));
    drop(doc);
    // the cache holds what the bytes yield; the size warning is about the
    // file and is added on every run, cached or not
    let (summary, extracted, mut warnings) = match &key {
        Some((c, k)) => {
            let entry = cache::Entry {
                summary,
                extracted,
                warnings,
            };
            StageClock::time(&clock.cache, || c.put(k, &entry));
            (entry.summary, entry.extracted, entry.warnings)
        }
        None => (summary, extracted, warnings),
    };
    warnings.splice(0..0, size_warning);
    Ok((summary, extracted, warnings))
}

/// A document after extraction: its summary and warnings, where its full
/// rows are parked, and where the keys of them the checks across documents
/// read are.
struct Parked {
    summary: DocSummary,
    warnings: Vec<Warning>,
    slot: Slot,
    kept: ParkedKeys,
}

/// Normalise one document's rows and park them in the spill, with their
/// keys for the checks across documents.
fn park(
    (summary, extracted, mut warnings): (DocSummary, Extracted, Vec<Warning>),
    spill: &Spill,
) -> Result<Parked, SpillError> {
    let mut ex = normalize::normalize(extracted);
    warnings.append(&mut ex.warnings);
    let slot = spill.put(&ex)?;
    let kept = ParkedKeys::park(&ex, spill)?;
    Ok(Parked {
        summary,
        warnings,
        slot,
        kept,
    })
}

/// Run `work(0..n)` on the pool's threads, each taking the next index, and
/// hand the results to `sink` in index order as soon as the ones before are
/// in. Threads take indices in order, so only a few results ever wait.
fn in_order<T: Send>(
    pool: &rayon::ThreadPool,
    n: usize,
    work: impl Fn(usize) -> T + Sync,
    sink: impl FnMut(T) + Send,
) {
    use std::collections::BTreeMap;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Mutex;
    struct Ready<T, S> {
        next: usize,
        waiting: BTreeMap<usize, T>,
        sink: S,
    }
    let taken = AtomicUsize::new(0);
    let ready = Mutex::new(Ready {
        next: 0,
        waiting: BTreeMap::new(),
        sink,
    });
    pool.broadcast(|_| loop {
        let i = taken.fetch_add(1, Ordering::Relaxed);
        if i >= n {
            break;
        }
        let r = work(i);
        // a poisoned lock means another worker panicked; its panic is what
        // the pool reports, so carry on with the data as it is
        let mut st = ready.lock().unwrap_or_else(|p| p.into_inner());
        st.waiting.insert(i, r);
        loop {
            let next = st.next;
            let Some(r) = st.waiting.remove(&next) else {
                break;
            };
            (st.sink)(r);
            st.next += 1;
        }
    });
}

/// Wall time per stage, printed by `--timings`.
struct Timings {
    on: bool,
    start: Instant,
    last: Instant,
    /// Stage name, wall seconds, resident memory at its end.
    stages: Vec<(String, f64, Option<Rss>)>,
}

/// Resident memory in MiB: the peak so far, and now.
type Rss = (f64, f64);

/// Resident memory of this process, in MiB: its peak so far and now
/// (Linux: `VmHWM` and `VmRSS` of /proc/self/status; `None` elsewhere).
/// Printed per stage by `--timings`, so a run shows in which stage its
/// memory peaks, and how much of it a stage gave back.
fn rss_mib() -> Option<Rss> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<f64> {
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix(name))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb / 1024.0)
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

impl Timings {
    fn new(on: bool) -> Timings {
        let now = Instant::now();
        Timings {
            on,
            start: now,
            last: now,
            stages: Vec::new(),
        }
    }

    /// Close the stage that ran since the previous mark.
    fn mark(&mut self, stage: &str) {
        let now = Instant::now();
        let rss = if self.on { rss_mib() } else { None };
        self.stages
            .push((stage.to_string(), (now - self.last).as_secs_f64(), rss));
        self.last = now;
    }

    fn print(&self, extra: &str) {
        if !self.on {
            return;
        }
        for (name, secs, rss) in &self.stages {
            match rss {
                Some((peak, now)) => eprintln!(
                    "timing: {name:<10} {secs:>9.3} s   peak RSS so far {peak:>7.0} MiB, now {now:>5.0} MiB"
                ),
                None => eprintln!("timing: {name:<10} {secs:>9.3} s"),
            }
        }
        eprintln!(
            "timing: {:<10} {:>9.3} s",
            "total",
            self.start.elapsed().as_secs_f64()
        );
        if !extra.is_empty() {
            eprintln!("timing: {extra}");
        }
    }
}

fn bench_corpus(args: &BenchCorpusArgs) -> Result<()> {
    let (n, bytes) = nutripipe::bench_corpus::generate(&args.raw, &args.dir, args.mb, args.seed)?;
    eprintln!(
        "nutripipe: wrote {n} files, {bytes} bytes ({:.1} MB) into {}",
        bytes as f64 / 1e6,
        args.dir.display()
    );
    Ok(())
}

/// What the extract stage leaves: the documents (file order), where the
/// keys the checks across documents read and each document's full rows are
/// parked, and the warnings met.
struct Extraction {
    documents: Vec<DocSummary>,
    kept: ParkedKeys,
    slots: Vec<(String, Slot)>,
    warnings: Vec<Warning>,
}

/// Read, ingest, extract, normalise and park every file on the pool.
///
/// Documents are taken in id order, the order of the tables, and where
/// their keys are parked appended to the corpus's as soon as the documents
/// before them are done: no per-document vectors are left to gather at the
/// end.
fn extract_corpus(
    args: &RunArgs,
    files: &[PathBuf],
    pool: &rayon::ThreadPool,
    cache: Option<&Cache>,
    spill: &Spill,
    clock: &StageClock,
    visible: bool,
) -> Result<Extraction> {
    let pb = bar(files.len() as u64, "extract", visible);
    let ids: Vec<String> = files.iter().map(|f| ingest::doc_id(f)).collect();
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by(|&a, &b| ids[a].cmp(&ids[b]));
    let mut kept = ParkedKeys::default();
    let mut slots: Vec<(String, Slot)> = Vec::new();
    let mut documents: Vec<(usize, DocSummary)> = Vec::new();
    let mut warnings = Vec::new();
    let mut failed: Option<SpillError> = None;
    in_order(
        pool,
        files.len(),
        |k| {
            let i = order[k];
            // a refused file is a warning; a spill that fails stops the run
            let r = match process(&args.raw, &files[i], cache, clock) {
                Ok(doc) => park(doc, spill).map(Ok),
                Err(w) => Ok(Err(w)),
            };
            pb.inc(1);
            (i, r)
        },
        |(i, r)| match r {
            Ok(Ok(doc)) => {
                slots.push((doc.summary.id.clone(), doc.slot));
                kept.append(doc.kept);
                documents.push((i, doc.summary));
                warnings.extend(doc.warnings);
            }
            Ok(Err(w)) => warnings.push(w),
            Err(e) => {
                failed.get_or_insert(e);
            }
        },
    );
    pb.finish_and_clear();
    if let Some(e) = failed {
        return Err(e.into());
    }
    // the report lists the documents in file order
    documents.sort_by_key(|(i, _)| *i);
    Ok(Extraction {
        documents: documents.into_iter().map(|(_, d)| d).collect(),
        kept,
        slots,
        warnings,
    })
}

fn run(args: &RunArgs) -> Result<()> {
    let mut timings = Timings::new(args.timings);
    let visible = !args.quiet && std::io::stderr().is_terminal();
    // First repair what a killed run left beside --out (a set moved away
    // mid-swap is put back even if this run fails later).
    for note in emit::recover_interrupted(&args.out)? {
        if !args.quiet {
            eprintln!("nutripipe: note: {note}");
        }
    }
    let (files, mut warnings) = ingest::list_sources(&args.raw)?;
    if files.is_empty() {
        bail!(
            "no input files (*.txt, *.html, *.htm, *.md) in {}",
            args.raw.display()
        );
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .context("cannot start worker threads")?;
    let cache = (!args.no_cache).then(|| {
        Cache::new(
            args.cache
                .clone()
                .unwrap_or_else(|| args.out.join(".cache")),
        )
    });
    timings.mark("list");

    // Each document's full rows are parked on disk as soon as they are found;
    // memory keeps what reconcile reads (see nutripipe::spill).
    let parent = std::path::absolute(&args.out)
        .with_context(|| format!("cannot resolve {}", args.out.display()))?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let spill = Arc::new(Spill::create_in(&parent)?);

    let clock = StageClock::default();
    let Extraction {
        documents,
        kept,
        slots,
        warnings: more,
    } = extract_corpus(args, &files, &pool, cache.as_ref(), &spill, &clock, visible)?;
    let mut ds = Dataset {
        documents,
        ..Dataset::default()
    };
    warnings.extend(more);
    timings.mark("extract");

    if ds.documents.is_empty() {
        bail!(
            "nothing could be read from {} ({} files, all refused: {})",
            args.raw.display(),
            files.len(),
            warnings
                .iter()
                .map(|w| format!("{}: {}", w.file, w.message))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    timings.mark("merge");

    let sp = spinner("normalize", visible);
    warnings.sort();
    sp.finish_and_clear();

    let sp = spinner("reconcile", visible);
    timings.mark("normalize");
    // First the checks across documents, each on one family of the keys
    // read back from the spill (files that share an id, a.txt and a.md,
    // were parked one after the other; loading puts their rows in table
    // order), each finding parked as soon as it is made; then the
    // per-document checks, which read each document's rows back from the
    // spill and, while a document is in memory, take from it what the
    // report needs (row counts, chart values, the lines the findings point
    // at).
    let mut corpus_found = reconcile::CorpusFindings::default();
    let mut failed = None;
    let (consensus, known) = pool.install(|| {
        reconcile::reconcile_corpus_parked(&kept, &spill, |d| {
            if failed.is_none() {
                failed = corpus_found.park(&d, &spill).err();
            }
        })
    })?;
    drop(kept);
    if let Some(e) = failed {
        return Err(e.into());
    }
    sp.finish_and_clear();
    timings.mark("reconcile");
    let rows = SpillRows::new(&spill, slots);
    let pb = bar(rows.chunks() as u64, "audit", visible);
    let mut parts = emit::ReportParts::default();
    let findings = pool.install(|| {
        reconcile::audit(
            &rows,
            &known,
            corpus_found,
            &spill,
            |ex| {
                let p = emit::ReportParts::parking(ex, &spill);
                pb.inc(1);
                Ok(p)
            },
            |p| parts.absorb(p),
        )
    })?;
    pb.finish_and_clear();
    parts.fill(&mut ds)?;
    timings.mark("markers");
    ds.consensus = consensus;
    ds.discrepancies = findings;
    ds.warnings = warnings;

    let sp = spinner("write", visible);
    pool.install(|| {
        emit::write_outputs(
            &args.out,
            &args.raw,
            &ds,
            &rows,
            EmitOptions {
                excel_safe: args.excel_safe,
            },
        )
    })
    .with_context(|| format!("writing outputs to {}", args.out.display()))?;
    sp.finish_and_clear();
    timings.mark("emit");
    let spilled = spill.size();
    drop(rows);
    drop(spill);
    if let (Some(c), None) = (&cache, &args.cache) {
        // OUT/.cache was carried over into the new output set under the same
        // path; drop the entries of documents that are gone or changed. A
        // --cache folder may serve several corpora and is never pruned.
        c.prune_unused();
    }
    let rows = ds.counts.total.iter().sum::<usize>() + ds.consensus.len() + ds.discrepancies.len();
    let (hits, misses) = cache.as_ref().map(Cache::stats).unwrap_or_default();
    timings.print(&format!(
        "{} documents, {rows} rows; cpu in workers: read {:.3} s, ingest {:.3} s, extract {:.3} s, cache {:.3} s; cache hits {hits}, misses {misses}; spilled {:.1} MB",
        ds.documents.len(),
        StageClock::secs(&clock.read),
        StageClock::secs(&clock.ingest),
        StageClock::secs(&clock.extract),
        StageClock::secs(&clock.cache),
        spilled as f64 / 1e6,
    ));

    for w in &ds.warnings {
        if !args.quiet {
            eprintln!(
                "nutripipe: warning: {}{}: {}",
                w.file,
                w.line.map(|l| format!(":{l}")).unwrap_or_default(),
                w.message
            );
        }
    }
    if !args.quiet {
        let [nutrient_values, dosages, references, citations, forms] = ds.counts.total;
        eprintln!(
            "nutripipe: {} documents -> nutrient_values {nutrient_values}, dosages {dosages}, references {references}, citations {citations}, forms {forms}, food_consensus {}, discrepancies {}; {} warnings; wrote {}",
            ds.documents.len(),
            ds.consensus.len(),
            ds.discrepancies.len(),
            ds.warnings.len(),
            args.out.display()
        );
    }
    Ok(())
}

fn audit(args: &AuditArgs) -> Result<()> {
    let path = args.out.join("discrepancies.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {} (run `nutripipe run` first)", path.display()))?;
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a JSON array", path.display()))?;
    let field = |r: &serde_json::Value, k: &str| r[k].as_str().unwrap_or_default().to_string();
    let list = |r: &serde_json::Value, k: &str| -> Vec<String> {
        r[k].as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut o = String::new();
    let mut counts: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for r in &rows {
        *counts
            .entry((field(r, "kind"), field(r, "severity")))
            .or_default() += 1;
    }
    outln!(o, "{} discrepancies in {}", rows.len(), args.out.display());
    outln!(o, "{:<22} {:<8} {:>5}", "kind", "severity", "count");
    for ((kind, sev), n) in &counts {
        outln!(o, "{kind:<22} {sev:<8} {n:>5}");
    }
    let shown: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| {
            field(r, "severity") == "error" || (args.all && field(r, "severity") == "warning")
        })
        .collect();
    if !shown.is_empty() {
        outln!(o);
        outln!(
            o,
            "{}:",
            if args.all {
                "errors and warnings"
            } else {
                "errors"
            }
        );
    }
    for r in shown {
        outln!(
            o,
            "- [{}] {}: {}",
            field(r, "kind"),
            field(r, "subject"),
            field(r, "detail")
        );
        let w = list(r, "where");
        if !w.is_empty() {
            outln!(o, "    at {}", w.join(", "));
        }
    }
    // a closed pipe (`nutripipe audit | head`) is not an error
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(o.as_bytes()).and_then(|_| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// mimalloc instead of the system allocator: a run makes millions of small
/// allocations from every worker thread (row strings, regex captures, JSON
/// cells). Measured on the 50 MB bench corpus (three runs each): glibc 19-20
/// CPU-s and 341 MiB peak RSS; mimalloc 15-17.5 CPU-s and 365 MiB; mimalloc
/// without transparent huge pages (feature `no_thp`) 17.7-19 CPU-s and 310
/// MiB. On 200 MB mimalloc also peaks lower than glibc (823 vs 975 MiB), whose
/// per-thread arenas keep freed memory resident; see docs/performance.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_hands_results_over_in_index_order_whatever_finishes_first() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let mut seen = Vec::new();
        in_order(
            &pool,
            200,
            |i| {
                // later indices often finish first
                std::thread::sleep(Duration::from_micros(((i * 7919) % 13) as u64 * 50));
                i
            },
            |i| seen.push(i),
        );
        assert_eq!(seen, (0..200).collect::<Vec<_>>());
        let mut none = Vec::new();
        in_order(&pool, 0, |i| i, |i| none.push(i));
        assert!(none.is_empty());
    }
}
