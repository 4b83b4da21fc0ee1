//! Where the heap goes: run the stages of `nutripipe run` over a folder on
//! one thread with a counting allocator, and print the live heap after each
//! stage, the peak inside it, what the checks across documents and the
//! per-document checks hold at their peak (each run alone), what each family
//! of keys costs loaded whole, and what each kept table costs.
//!
//!     cargo run --release --example stage_memory -- DIR
//!
//! Peak RSS (`/usr/bin/time -v`) adds the binary, thread stacks and the
//! allocator's own slack to these figures; this tool tells which of our
//! structures the heap holds, which RSS cannot.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicIsize, Ordering};

use nutripipe::emit::{self, EmitOptions};
use nutripipe::model::Dataset;
use nutripipe::reconcile::keys::{CorpusKeys, Family, ParkedKeys};
use nutripipe::spill::{Spill, SpillRows};
use nutripipe::{extract, ingest, normalize, reconcile};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size() as isize, Ordering::Relaxed) + l.size() as isize;
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            let d = new as isize - l.size() as isize;
            let now = LIVE.fetch_add(d, Ordering::Relaxed) + d;
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        q
    }
}

#[global_allocator]
static A: Counting = Counting;

fn mib(n: isize) -> f64 {
    n as f64 / (1024.0 * 1024.0)
}

/// Print the live heap now and the peak since the previous mark.
fn mark(stage: &str) {
    let live = LIVE.load(Ordering::Relaxed);
    let peak = PEAK.swap(live, Ordering::Relaxed);
    println!(
        "{stage:<10} live {:>8.1} MiB   peak inside {:>8.1} MiB",
        mib(live),
        mib(peak)
    );
}

/// Heap freed by dropping `x`.
fn cost<T>(name: &str, rows: usize, x: T) {
    let before = LIVE.load(Ordering::Relaxed);
    drop(x);
    let freed = before - LIVE.load(Ordering::Relaxed);
    println!(
        "  {name:<16} {rows:>8} rows {:>8.1} MiB {:>6.0} B/row",
        mib(freed),
        freed as f64 / rows.max(1) as f64
    );
}

fn main() -> anyhow::Result<()> {
    let raw = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "raw".into()));
    let out = tempfile::tempdir()?;
    mark("start");
    let t = std::time::Instant::now();
    std::sync::LazyLock::force(&nutripipe::lexicon::INDICATION_PHRASES);
    std::sync::LazyLock::force(&nutripipe::lexicon::POPULATION_PHRASES);
    println!(
        "phrase lexicons compiled in {:.3} s",
        t.elapsed().as_secs_f64()
    );
    mark("phrases");
    let (files, _) = ingest::list_sources(&raw)?;
    // one document first: the lazily compiled lexicons and their first
    // search caches, which every run pays once whatever the corpus
    if let Some(Ok((doc, _, _))) = files.first().map(|rel| ingest::load(&raw, rel)) {
        drop(extract::extract_document(&doc));
    }
    mark("warm-up");
    let mut ds = Dataset::default();
    let spill = std::sync::Arc::new(Spill::create_in(out.path())?);
    let mut parked = ParkedKeys::default();
    let mut slots = Vec::new();
    for rel in &files {
        let Ok((doc, summary, _)) = ingest::load(&raw, rel) else {
            continue;
        };
        // as `run` does: normalised per document, rows and keys parked
        let ex = normalize::normalize(extract::extract_document(&doc));
        slots.push((summary.id.clone(), spill.put(&ex)?));
        parked.append(ParkedKeys::park(&ex, &spill)?);
        ds.documents.push(summary);
    }
    mark("extract");
    // each group of checks alone first, its keys read inside as a run reads
    // them (in parts, see reconcile::keys::KeySource): what it holds at its peak
    let probe = |name: &str, f: &dyn Fn() -> usize| {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let t = std::time::Instant::now();
        let n = f();
        let secs = t.elapsed().as_secs_f64();
        let peak = PEAK.load(Ordering::Relaxed) - before;
        println!(
            "  {name:<16} {n:>8} found   peak {:>8.1} MiB above the rows   {secs:.2} s",
            mib(peak)
        );
    };
    let load = |family| parked.load(family, &spill).unwrap_or_default();
    probe("across docs", &|| {
        let mut n = 0;
        reconcile::reconcile_corpus_parked(&parked, &spill, |_| n += 1)
            .map(|(c, _)| c.len() + n)
            .unwrap_or(0)
    });
    let rows = SpillRows::new(&spill, slots);
    let known = reconcile::citations::KnownJournals::named(load(Family::Refs).journals());
    probe("per document", &|| {
        reconcile::audit(
            &rows,
            &known,
            Default::default(),
            &spill,
            |_| Ok(()),
            |_| (),
        )
        .map(|f| f.len())
        .unwrap_or(0)
    });
    mark("families");
    // as `run` does: each finding parked as soon as it is made
    let mut corpus_found = reconcile::CorpusFindings::default();
    let mut failed = None;
    let (consensus, _) = reconcile::reconcile_corpus_parked(&parked, &spill, |d| {
        if failed.is_none() {
            failed = corpus_found.park(&d, &spill).err();
        }
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    mark("reconcile");
    println!(
        "keys loaded for reconcile, one family at a time (full rows on disk: {:.1} MB):",
        spill.size() as f64 / 1e6
    );
    let keys_of = |family| {
        let before = LIVE.load(Ordering::Relaxed);
        let k: CorpusKeys = load(family);
        (LIVE.load(Ordering::Relaxed) - before, k)
    };
    for (name, family) in [
        ("food keys", Family::Foods),
        ("dose keys", Family::Doses),
        ("reference keys", Family::Refs),
    ] {
        let (bytes, k) = keys_of(family);
        let rows = k.foods.len() + k.doses.len() + k.refs.len();
        let syms = k.syms.len();
        cost(name, rows, k);
        println!(
            "  {:<16} {syms:>8} symbols {:>5.1} MiB loaded",
            "",
            mib(bytes)
        );
    }
    ds.consensus = consensus;
    let mut parts = emit::ReportParts::default();
    let findings = reconcile::audit(
        &rows,
        &known,
        corpus_found,
        &spill,
        |ex| Ok(emit::ReportParts::parking(ex, &spill)),
        |p| parts.absorb(p),
    )?;
    parts.fill(&mut ds)?;
    ds.discrepancies = findings;
    mark("audit");
    // each writer alone: what it holds at its peak
    let t2 = tempfile::tempdir()?;
    probe("tables", &|| {
        emit::stream_tables(t2.path(), &rows, &ds.bib_keys, EmitOptions::default())
            .map(|_| 1)
            .unwrap_or(0)
    });
    probe("report.md", &|| {
        let mut w = emit::IoFmt::new(std::io::sink());
        emit::report::write_report_md(&ds, &mut w)
            .map(|_| 1)
            .unwrap_or(0)
    });
    probe("report.html", &|| {
        let mut w = emit::IoFmt::new(std::io::sink());
        emit::html::write_report_html(&ds, &mut w)
            .map(|_| 1)
            .unwrap_or(0)
    });
    probe("findings", &|| {
        emit::stream_findings(t2.path(), &ds.discrepancies, EmitOptions::default())
            .map(|_| 1)
            .unwrap_or(0)
    });
    probe("consensus", &|| {
        emit::write_csv(&ds.consensus, EmitOptions::default(), std::io::sink())
            .map(|_| 1)
            .unwrap_or(0)
            + emit::write_json(&ds.consensus, std::io::sink())
                .map(|_| 1)
                .unwrap_or(0)
    });
    probe("write_set", &|| {
        let d = t2.path().join("set");
        std::fs::create_dir_all(&d).unwrap();
        emit::write_set(&d, &ds, &rows, EmitOptions::default())
            .map(|_| 1)
            .unwrap_or(0)
    });
    mark("writers");
    emit::write_outputs(
        &out.path().join("out"),
        &raw,
        &ds,
        &rows,
        EmitOptions::default(),
    )?;
    mark("emit");
    println!("kept until emit:");
    let Dataset {
        consensus,
        discrepancies,
        chart,
        documents,
        bib_keys,
        ..
    } = ds;
    cost("food_consensus", consensus.len(), consensus);
    cost("findings (places)", discrepancies.len(), discrepancies);
    cost("bib keys", bib_keys.len(), bib_keys);
    cost(
        "chart marks",
        chart.values().map(nutripipe::spill::MarkList::len).sum(),
        chart,
    );
    cost("documents", documents.len(), documents);
    mark("end");
    Ok(())
}
