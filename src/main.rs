//! The `nutripipe` command: wires the stages, flags and progress bars.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use nutripipe::emit::{self, EmitOptions};
use nutripipe::model::{Dataset, DocSummary, Extracted, Warning};
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

/// One document through ingest and extract.
fn process(raw: &Path, rel: &Path) -> Result<(DocSummary, Extracted, Vec<Warning>), Warning> {
    let (doc, summary, warnings) = ingest::load(raw, rel)?;
    let extracted = extract::extract_document(&doc);
    Ok((summary, extracted, warnings))
}

fn run(args: &RunArgs) -> Result<()> {
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

    let pb = bar(files.len() as u64, "extract", visible);
    let results: Vec<_> = pool.install(|| {
        files
            .par_iter()
            .map(|rel| {
                let r = process(&args.raw, rel);
                pb.inc(1);
                r
            })
            .collect()
    });
    pb.finish_and_clear();

    let mut ds = Dataset::default();
    let mut extracted = Extracted::default();
    for r in results {
        match r {
            Ok((summary, ex, w)) => {
                ds.documents.push(summary);
                extracted.append(ex);
                warnings.extend(w);
            }
            Err(w) => warnings.push(w),
        }
    }
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

    let sp = spinner("normalize", visible);
    let mut extracted = normalize::normalize(extracted);
    warnings.append(&mut extracted.warnings);
    warnings.sort();
    sp.finish_and_clear();

    let sp = spinner("reconcile", visible);
    let (consensus, discrepancies) = reconcile::reconcile(&extracted)?;
    sp.finish_and_clear();
    ds.quotes = reconcile::quotes(&extracted);
    ds.extracted = extracted;
    ds.consensus = consensus;
    ds.discrepancies = discrepancies;
    ds.warnings = warnings;

    let sp = spinner("write", visible);
    emit::write_outputs(
        &args.out,
        &args.raw,
        &ds,
        EmitOptions {
            excel_safe: args.excel_safe,
        },
    )
    .with_context(|| format!("writing outputs to {}", args.out.display()))?;
    sp.finish_and_clear();

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
        let ex = &ds.extracted;
        eprintln!(
            "nutripipe: {} documents -> nutrient_values {}, dosages {}, references {}, citations {}, forms {}, food_consensus {}, discrepancies {}; {} warnings; wrote {}",
            ds.documents.len(),
            ex.nutrient_values.len(),
            ex.dosages.len(),
            ex.references.len(),
            ex.citations.len(),
            ex.forms.len(),
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
