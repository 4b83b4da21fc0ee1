//! Runs the `nutripipe` binary as a user does: on the committed `raw/`, on
//! damaged inputs, and on mistakes in the command line.

use std::fs;

mod common;
use common::{assert_same_outputs, bin, copy_dir, output_names, raw_dir, read_json, run};

const TABLES: &[&str] = &[
    "nutrient_values",
    "dosages",
    "references",
    "citations",
    "forms",
    "food_consensus",
    "discrepancies",
];

#[test]
fn run_on_raw_writes_every_file_with_rows() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let o = run(&raw_dir(), &out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for table in TABLES {
        let csv = fs::read_to_string(out.join(format!("{table}.csv"))).unwrap();
        assert!(
            csv.starts_with("id,") || csv.starts_with("food,"),
            "{table}: {csv:.80}"
        );
        assert!(!csv.contains('\r'));
        read_json(&out.join(format!("{table}.json")));
    }
    assert!(out.join("datapackage.json").exists());
    let report = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("## Summary"));
    let nv = read_json(&out.join("nutrient_values.json"));
    assert!(nv.len() >= 15, "{} nutrient values", nv.len());
    let natto = nv
        .iter()
        .find(|r| r["food"] == "natto" && r["doc"] == "001_d429aa1c3b59cba9" && r["line"] == 29)
        .expect("natto row of 001");
    assert_eq!(natto["value_ug_min"], 100);
    assert_eq!(natto["basis_unit"], "tablespoon");
    assert_eq!(natto["qualifier"], "approx");
    let forms = read_json(&out.join("forms.json"));
    assert!(forms.iter().any(|r| r["form"] == "MK-4..MK-13"));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("5 documents"), "{stderr}");
}

#[test]
fn runs_are_byte_identical_whatever_the_thread_count() {
    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("a");
    let b = t.path().join("b");
    assert!(run(&raw_dir(), &a, &["--jobs", "1", "--quiet"])
        .status
        .success());
    assert!(run(&raw_dir(), &b, &["--jobs", "2", "--quiet"])
        .status
        .success());
    // the outputs, not the extraction cache (OUT/.cache)
    assert!(output_names(&a).len() >= 16);
    assert_same_outputs(&a, &b);
}

#[test]
fn bad_files_are_reported_and_the_rest_is_unchanged() {
    let t = tempfile::tempdir().unwrap();
    let raw = t.path().join("raw");
    copy_dir(&raw_dir(), &raw);
    // Windows-1252: "Natto bevat ongeveer 100 µg vitamine K2 per eetlepel – véél."
    let mut cp1252 = b"Natto bevat ongeveer 100 ".to_vec();
    cp1252.push(0xB5);
    cp1252.extend_from_slice(b"g vitamine K2 per eetlepel ");
    cp1252.push(0x96);
    cp1252.extend_from_slice(b" v\xE9\xE9l.\n");
    fs::write(raw.join("legacy 1252.txt"), cp1252).unwrap();
    fs::write(raw.join("empty.txt"), b"").unwrap();
    fs::write(
        raw.join("image.txt"),
        [
            0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H',
        ],
    )
    .unwrap();

    let clean = t.path().join("clean");
    let dirty = t.path().join("dirty");
    assert!(run(&raw_dir(), &clean, &["--quiet"]).status.success());
    let o = run(&raw, &dirty, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let report = fs::read_to_string(dirty.join("report.md")).unwrap();
    assert!(
        report.contains("legacy 1252.txt") && report.contains("not valid UTF-8"),
        "{report}"
    );
    assert!(
        report.contains("empty.txt") && report.contains("empty"),
        "{report}"
    );
    assert!(
        report.contains("image.txt") && report.contains("binary"),
        "{report}"
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("image.txt") && stderr.contains("empty.txt"),
        "{stderr}"
    );

    // the decoded legacy file yields its row
    let nv = read_json(&dirty.join("nutrient_values.json"));
    let legacy: Vec<_> = nv.iter().filter(|r| r["doc"] == "legacy 1252").collect();
    assert_eq!(legacy.len(), 1, "{legacy:?}");
    assert_eq!(legacy[0]["value_ug_min"], 100);
    // the other documents' rows are unchanged
    for table in [
        "nutrient_values",
        "forms",
        "dosages",
        "references",
        "citations",
    ] {
        let a = read_json(&clean.join(format!("{table}.json")));
        let b: Vec<_> = read_json(&dirty.join(format!("{table}.json")))
            .into_iter()
            .filter(|r| r["doc"] != "legacy 1252")
            .collect();
        assert_eq!(a, b, "{table} changed");
    }
}

#[test]
fn failures_exit_non_zero_with_one_line() {
    let t = tempfile::tempdir().unwrap();
    let o = run(&t.path().join("nope"), &t.path().join("out"), &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("does not exist"));

    let empty = t.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let o = run(&empty, &t.path().join("out"), &[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no input files"));

    let blocker = t.path().join("file");
    fs::write(&blocker, "x").unwrap();
    let o = run(&raw_dir(), &blocker.join("out"), &["--quiet"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn help_describes_the_commands() {
    let o = bin().arg("run").arg("--help").output().unwrap();
    let h = String::from_utf8_lossy(&o.stdout);
    for flag in ["--raw", "--out", "--quiet", "--jobs", "--excel-safe"] {
        assert!(h.contains(flag), "{h}");
    }
}

#[test]
fn audit_prints_counts_per_kind_and_the_errors() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    assert!(run(&raw_dir(), &out, &["--quiet"]).status.success());
    let o = bin().arg("audit").arg("--out").arg(&out).output().unwrap();
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("dangling_citation"), "{text}");
    assert!(text.contains("value_conflict"), "{text}");
    assert!(text.contains("errors:"), "{text}");
    assert!(text.contains("002_1b0a7aefea582fa8:"), "{text}");
    let missing = bin()
        .arg("audit")
        .arg("--out")
        .arg(t.path().join("none"))
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("run `nutripipe run` first"));
}

/// `--timings` names every stage with its wall time and, on Linux, the peak
/// RSS reached by its end (non-decreasing: it is a high-water mark) and the
/// RSS at its end (never above the peak), which is what `make bench` and a
/// user chasing memory read.
#[test]
fn timings_give_each_stage_its_time_and_peak_memory() {
    let t = tempfile::tempdir().unwrap();
    let o = run(&raw_dir(), &t.path().join("out"), &["--quiet", "--timings"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    let mut last = 0.0;
    for stage in ["list", "extract", "merge", "normalize", "reconcile", "emit"] {
        let line = err
            .lines()
            .find(|l| l.starts_with(&format!("timing: {stage} ")))
            .unwrap_or_else(|| panic!("no timing line for {stage}:\n{err}"));
        let secs: f64 = line.split_whitespace().nth(2).unwrap().parse().unwrap();
        assert!(secs >= 0.0, "{line}");
        if cfg!(target_os = "linux") {
            let (peak, now) = line
                .split("peak RSS so far")
                .nth(1)
                .and_then(|rest| rest.split_once(", now"))
                .unwrap_or_else(|| panic!("no peak and current RSS in {line}"));
            let mib = |s: &str| -> f64 { s.trim().trim_end_matches("MiB").trim().parse().unwrap() };
            let (peak, now) = (mib(peak), mib(now));
            assert!(peak > 1.0 && peak >= last, "{line} after {last} MiB");
            assert!(now > 1.0 && now <= peak, "{line}");
            last = peak;
        }
    }
    assert!(err.lines().any(|l| l.starts_with("timing: total ")));
}
