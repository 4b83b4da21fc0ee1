//! Reliability (issue #6): hostile inputs, runs killed mid-way, determinism,
//! CSV injection and memory bounds — all by running the `nutripipe` binary as a
//! user does.
//!
//! Every bad-input test copies the committed `raw/` into a temporary folder,
//! adds one kind of bad file, runs the pipeline, and checks three things: the
//! run finishes (exit 0: something could be read), the seed documents' rows are
//! exactly those of a clean run, and the problem is named — file and reason —
//! both in the warnings on stderr and in `report.md`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod common;
use common::{assert_same_outputs, bin, copy_dir, raw_dir, read_json, run};

/// The tables keyed by document (compared row by row for the seed documents).
const DOC_TABLES: &[&str] = &[
    "nutrient_values",
    "dosages",
    "references",
    "citations",
    "forms",
];

/// The tables computed across documents.
const CORPUS_TABLES: &[&str] = &["food_consensus", "discrepancies"];

/// Every file of the output set (what must be complete after any kill).
fn set_files() -> Vec<String> {
    let mut v: Vec<String> = DOC_TABLES
        .iter()
        .chain(CORPUS_TABLES)
        .flat_map(|t| [format!("{t}.csv"), format!("{t}.json")])
        .collect();
    v.extend(
        [
            "references.csl.json",
            "references.bib",
            "datapackage.json",
            "report.md",
            "report.html",
        ]
        .map(String::from),
    );
    v
}

/// Ids of the committed documents.
fn seed_ids() -> BTreeSet<String> {
    fs::read_dir(raw_dir())
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// The output of a clean run on `raw/`, made once per test process.
fn clean() -> &'static Path {
    static CLEAN: OnceLock<PathBuf> = OnceLock::new();
    CLEAN.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("robustness-clean-{}", std::process::id()));
        let o = run(&raw_dir(), &out, &["--quiet"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        out
    })
}

/// A temporary copy of `raw/` with bad files added by `setup`, run once.
struct Case {
    _t: tempfile::TempDir,
    raw: PathBuf,
    out: PathBuf,
    output: Output,
    took: Duration,
}

impl Case {
    fn new(setup: impl FnOnce(&Path)) -> Case {
        let t = tempfile::tempdir().unwrap();
        let raw = t.path().join("raw");
        copy_dir(&raw_dir(), &raw);
        setup(&raw);
        let out = t.path().join("out");
        let start = Instant::now();
        let output = run(&raw, &out, &[]);
        let took = start.elapsed();
        Case {
            _t: t,
            raw,
            out,
            output,
            took,
        }
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    fn report(&self) -> String {
        fs::read_to_string(self.out.join("report.md")).unwrap()
    }

    /// The run finished and wrote the set.
    fn assert_finished(&self) {
        assert!(self.output.status.success(), "{}", self.stderr());
        for f in set_files() {
            assert!(self.out.join(&f).exists(), "{f} missing");
        }
    }

    /// The seed documents' rows are those of a clean run, in every table keyed
    /// by document; with `corpus_too`, the cross-document tables as well (for
    /// bad files that contribute no rows).
    fn assert_seed_rows_unchanged(&self, corpus_too: bool) {
        let seeds = seed_ids();
        for table in DOC_TABLES {
            let want = read_json(&clean().join(format!("{table}.json")));
            let got: Vec<_> = read_json(&self.out.join(format!("{table}.json")))
                .into_iter()
                .filter(|r| r["doc"].as_str().is_some_and(|d| seeds.contains(d)))
                .collect();
            assert_eq!(want, got, "{table}: seed rows changed");
        }
        if corpus_too {
            for table in CORPUS_TABLES {
                assert_eq!(
                    read_json(&clean().join(format!("{table}.json"))),
                    read_json(&self.out.join(format!("{table}.json"))),
                    "{table} changed"
                );
            }
        }
    }

    /// A warning line on stderr and a line of the report name `file` and
    /// `reason` together.
    fn assert_listed(&self, file: &str, reason: &str) {
        let stderr = self.stderr();
        assert!(
            stderr.lines().any(|l| l.starts_with("nutripipe: warning:")
                && l.contains(file)
                && l.contains(reason)),
            "stderr lacks {file:?} / {reason:?}:\n{stderr}"
        );
        let report = self.report();
        assert!(
            report
                .lines()
                .any(|l| l.contains(file) && l.contains(reason)),
            "report.md lacks {file:?} / {reason:?}:\n{report}"
        );
    }

    /// Rows of one table that come from document `doc`.
    fn rows(&self, table: &str, doc: &str) -> Vec<serde_json::Value> {
        read_json(&self.out.join(format!("{table}.json")))
            .into_iter()
            .filter(|r| r["doc"] == doc)
            .collect()
    }
}

/// A Dutch sentence with one nutrient value: 100 µg vitamin K2 per tablespoon.
const NATTO_NL: &str = "Natto bevat ongeveer 100 µg vitamine K2 per eetlepel.\n";

/// Assert `doc` yielded exactly the natto row.
fn assert_natto_row(c: &Case, doc: &str) {
    let nv = c.rows("nutrient_values", doc);
    assert_eq!(nv.len(), 1, "{doc}: {nv:?}\n{}", c.stderr());
    assert_eq!(nv[0]["value_ug_min"], 100);
    assert_eq!(nv[0]["food"], "natto");
}

/// Filler prose with no nutrient, unit or vitamin in it.
fn filler_sentence(i: usize) -> String {
    const WORDS: &[&str] = &[
        "the", "garden", "river", "walks", "slowly", "under", "bright", "evening", "clouds",
        "while", "children", "play", "near", "old", "stone", "bridges", "and", "quiet",
    ];
    let mut s = String::from("Every");
    for k in 0..12 {
        s.push(' ');
        s.push_str(WORDS[(i * 7 + k * 5) % WORDS.len()]);
    }
    s.push_str(". ");
    s
}

// ---------------------------------------------------------------- bad inputs

#[test]
fn empty_file() {
    let c = Case::new(|raw| fs::write(raw.join("empty.txt"), b"").unwrap());
    c.assert_finished();
    c.assert_seed_rows_unchanged(true);
    c.assert_listed("empty.txt", "empty file");
}

#[test]
fn binary_file_png() {
    let c = Case::new(|raw| {
        let mut png_bytes = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut png_bytes, 4, 4);
            enc.set_color(png::ColorType::Rgb);
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&[0x80; 48]).unwrap();
        }
        fs::write(raw.join("photo.txt"), png_bytes).unwrap();
    });
    c.assert_finished();
    c.assert_seed_rows_unchanged(true);
    c.assert_listed("photo.txt", "binary data");
}

#[test]
fn invalid_utf8_keeps_the_valid_text() {
    // UTF-8 text (µ is C2 B5, é C3 A9) with stray bytes that are not UTF-8
    // in one line: the valid multi-byte sequences outnumber the broken ones
    let c = Case::new(|raw| {
        let mut b = NATTO_NL.as_bytes().to_vec();
        b.extend_from_slice("Dit is één café-artikel – véél geschreven.\n".as_bytes());
        b.extend_from_slice(b"Kapotte regel: \xFF\xFE\xC3\x28 einde.\n");
        fs::write(raw.join("broken utf8.txt"), b).unwrap();
    });
    c.assert_finished();
    c.assert_seed_rows_unchanged(false);
    c.assert_listed("broken utf8.txt", "not valid UTF-8");
    // the valid µ is not turned into mojibake ("Âµ") by a wrong guess
    assert_natto_row(&c, "broken utf8");
    assert!(c.rows("nutrient_values", "broken utf8")[0]["quote"]
        .as_str()
        .unwrap()
        .contains("100 µg"));
}

#[test]
fn windows_1252() {
    let c = Case::new(|raw| {
        let b: Vec<u8> = NATTO_NL
            .chars()
            .map(|ch| if ch == 'µ' { 0xB5 } else { ch as u8 })
            .collect();
        fs::write(raw.join("legacy.txt"), b).unwrap();
    });
    c.assert_finished();
    c.assert_seed_rows_unchanged(false);
    c.assert_listed("legacy.txt", "windows-1252");
    assert_natto_row(&c, "legacy");
}

fn utf16(big_endian: bool) -> Vec<u8> {
    let mut b = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for u in NATTO_NL.encode_utf16() {
        b.extend_from_slice(&if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    b
}

#[test]
fn utf16_le_with_bom() {
    let c = Case::new(|raw| fs::write(raw.join("le.txt"), utf16(false)).unwrap());
    c.assert_finished();
    c.assert_seed_rows_unchanged(false);
    c.assert_listed("le.txt", "UTF-16LE (byte-order mark)");
    assert_natto_row(&c, "le");
}

#[test]
fn utf16_be_with_bom() {
    let c = Case::new(|raw| fs::write(raw.join("be.txt"), utf16(true)).unwrap());
    c.assert_finished();
    c.assert_seed_rows_unchanged(false);
    c.assert_listed("be.txt", "UTF-16BE (byte-order mark)");
    assert_natto_row(&c, "be");
}

#[test]
fn file_of_50_mb() {
    let c = Case::new(|raw| {
        let mut text = String::with_capacity(51 << 20);
        let mut i = 0;
        while text.len() < 50 << 20 {
            for _ in 0..6 {
                text.push_str(&filler_sentence(i));
                i += 1;
            }
            text.push_str("\n\n");
        }
        text.push_str(NATTO_NL);
        fs::write(raw.join("huge.txt"), text).unwrap();
    });
    c.assert_finished();
    c.assert_seed_rows_unchanged(false);
    c.assert_listed("huge.txt", "large file");
    // read to the end: the fact on its last line is found
    assert_natto_row(&c, "huge");
    assert!(c.took < Duration::from_secs(60), "took {:?}", c.took);
}

#[test]
fn single_line_of_10_mb() {
    let c = Case::new(|raw| {
        let mut text = String::from(NATTO_NL.trim_end());
        text.push(' ');
        let mut i = 0;
        while text.len() < 10 << 20 {
            text.push_str(&filler_sentence(i));
            i += 1;
        }
        text.push('\n');
        fs::write(raw.join("one line.txt"), text).unwrap();
    });
    c.assert_finished();
    c.assert_seed_rows_unchanged(false);
    c.assert_listed("one line.txt", "long line");
    assert_natto_row(&c, "one line");
    assert!(c.took < Duration::from_secs(60), "took {:?}", c.took);
}

#[test]
fn line_of_100_000_brackets() {
    let c = Case::new(|raw| {
        let mut text = NATTO_NL.to_string();
        text.push_str(&"[".repeat(100_000));
        text.push('\n');
        fs::write(raw.join("brackets.txt"), text).unwrap();
    });
    c.assert_finished();
    c.assert_seed_rows_unchanged(false);
    c.assert_listed("brackets.txt", "long line");
    assert_natto_row(&c, "brackets");
    assert!(c.took < Duration::from_secs(30), "took {:?}", c.took);
}

#[test]
fn numbers_with_400_digits() {
    let big = "9".repeat(400);
    let c = Case::new(|raw| {
        let text = format!(
            "{NATTO_NL}Kaas bevat {big} µg vitamine K2 per 100 g.\nDe dosis is {big},5 mg vitamine K2 per dag.\nZie ook [{big}].\n"
        );
        fs::write(raw.join("digits.txt"), text).unwrap();
    });
    c.assert_finished();
    c.assert_seed_rows_unchanged(false);
    c.assert_listed("digits.txt", "too long");
    // the sane value is kept, the absurd ones are not invented into rows
    assert_natto_row(&c, "digits");
    assert!(c.rows("dosages", "digits").is_empty());
}

#[test]
fn sub_folder_is_read_with_its_path_as_id() {
    let c = Case::new(|raw| {
        fs::create_dir_all(raw.join("nl/2024")).unwrap();
        fs::write(raw.join("nl/2024/natto.txt"), NATTO_NL).unwrap();
    });
    c.assert_finished();
    c.assert_seed_rows_unchanged(false);
    assert_natto_row(&c, "nl/2024/natto");
    assert!(c.report().contains("nl/2024/natto.txt"));
}

#[test]
fn symlink_loop_is_reported_not_followed() {
    let c = Case::new(|raw| {
        std::os::unix::fs::symlink(".", raw.join("loop")).unwrap();
        fs::create_dir(raw.join("sub")).unwrap();
        std::os::unix::fs::symlink("..", raw.join("sub/up")).unwrap();
    });
    c.assert_finished();
    c.assert_seed_rows_unchanged(true);
    c.assert_listed("loop", "symbolic link loop");
    c.assert_listed("sub/up", "symbolic link loop");
}

/// `chmod 000` makes a file unreadable — except for root, who reads it anyway
/// (tests run as root here). Where the chmod'ed file is still readable, a
/// dangling symbolic link stands in for the unreadable file: it is listed like
/// a file and fails to open. A FIFO named `*.txt` is tested too: opening it
/// would block forever.
#[test]
fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let mut as_root = false;
    let c = Case::new(|raw| {
        let p = raw.join("locked.txt");
        fs::write(&p, NATTO_NL).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).unwrap();
        if fs::read(&p).is_ok() {
            as_root = true;
            fs::remove_file(&p).unwrap();
            std::os::unix::fs::symlink("gone/locked.txt", &p).unwrap();
        }
        let fifo = raw.join("pipe.txt");
        let st = Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(st.success());
    });
    c.assert_finished();
    c.assert_seed_rows_unchanged(true);
    if as_root {
        c.assert_listed("locked.txt", "No such file");
    } else {
        c.assert_listed("locked.txt", "Permission denied");
    }
    c.assert_listed("pipe.txt", "not a regular file");
    assert!(c.took < Duration::from_secs(30));
    // restore permissions so the temp folder can be removed
    let _ = fs::set_permissions(c.raw.join("locked.txt"), fs::Permissions::from_mode(0o644));
}

#[test]
fn file_names_with_spaces_and_non_ascii() {
    use std::os::unix::ffi::OsStrExt;
    let c = Case::new(|raw| {
        fs::write(raw.join("vitamine K2 – één artikel.txt"), NATTO_NL).unwrap();
        fs::write(raw.join("  leading spaces.txt"), NATTO_NL).unwrap();
        // a name that is not UTF-8 at all (Latin-1 é)
        let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
        fs::write(raw.join(latin1), NATTO_NL).unwrap();
    });
    c.assert_finished();
    c.assert_seed_rows_unchanged(false);
    assert_natto_row(&c, "vitamine K2 – één artikel");
    assert_natto_row(&c, "  leading spaces");
    assert_natto_row(&c, "caf\u{FFFD}");
    c.assert_listed("caf\u{FFFD}.txt", "not valid UTF-8");
}

#[test]
fn exit_non_zero_only_when_nothing_could_be_read() {
    let t = tempfile::tempdir().unwrap();
    let raw = t.path().join("raw");
    fs::create_dir(&raw).unwrap();
    fs::write(raw.join("a.txt"), [0u8, 1, 2, 3, 0, 0]).unwrap();
    std::os::unix::fs::symlink("missing.txt", raw.join("b.txt")).unwrap();
    let o = run(&raw, &t.path().join("out"), &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("a.txt") && err.contains("b.txt"), "{err}");
    assert!(!t.path().join("out").exists());
    // one readable file is enough to succeed
    fs::write(raw.join("c.txt"), NATTO_NL).unwrap();
    let o = run(&raw, &t.path().join("out"), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

// ------------------------------------------------------------- determinism

/// A corpus of `copies` × `raw/` (ids `cNN_…`), its files created in the order
/// given by `reverse`.
fn make_corpus(dir: &Path, copies: usize, reverse: bool) {
    fs::create_dir_all(dir).unwrap();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for k in 0..copies {
        for e in fs::read_dir(raw_dir()).unwrap() {
            let e = e.unwrap();
            let name = format!("c{k:03}_{}", e.file_name().to_string_lossy());
            files.push((name, fs::read(e.path()).unwrap()));
        }
    }
    files.sort();
    if reverse {
        files.reverse();
    }
    for (name, bytes) in files {
        fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn outputs_are_byte_identical_across_runs_jobs_and_listing_order() {
    let t = tempfile::tempdir().unwrap();
    // same files, created in opposite orders, in folders of different names
    // and depths (the listing order of a folder follows creation on tmpfs and
    // hashing on ext4; neither may matter)
    let a_raw = t.path().join("a/raw");
    let b_raw = t.path().join("b/deeper/other-name");
    make_corpus(&a_raw, 4, false);
    make_corpus(&b_raw, 4, true);
    let outs: Vec<PathBuf> = (0..4).map(|i| t.path().join(format!("out{i}"))).collect();
    let runs: [(&Path, &[&str]); 4] = [
        (&a_raw, &["--jobs", "1", "--quiet"]),
        (&a_raw, &["--jobs", "1", "--quiet"]),
        (&a_raw, &["--jobs", "4", "--quiet"]),
        (&b_raw, &["--jobs", "3", "--quiet"]),
    ];
    for ((raw, args), out) in runs.iter().zip(&outs) {
        let o = run(raw, out, args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for out in &outs[1..] {
        assert_same_outputs(&outs[0], out);
    }
}

// --------------------------------------------------------- atomic outputs

/// Deterministic pseudo-random numbers (64-bit LCG, Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Which known-good set `out` holds, if it holds exactly one of them.
fn which_set(out: &Path, sets: &[&Path]) -> Option<usize> {
    sets.iter().position(|good| {
        set_files()
            .iter()
            .all(|f| fs::read(out.join(f)).ok() == fs::read(good.join(f)).ok())
    })
}

fn leftovers(parent: &Path) -> Vec<String> {
    fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out."))
        .collect()
}

/// SIGKILL at 20 pseudo-random moments of runs that alternate between two
/// corpora: after each kill `--out` holds the complete previous set or the
/// complete new one, never a mix, never missing, and the user's file in it
/// survives; the next run cleans up what the killed one left.
#[test]
fn killed_runs_leave_the_old_or_the_new_set() {
    let t = tempfile::tempdir().unwrap();
    let corpus_a = t.path().join("a");
    let corpus_b = t.path().join("b");
    make_corpus(&corpus_a, 6, false);
    make_corpus(&corpus_b, 6, false);
    fs::write(corpus_b.join("extra.txt"), NATTO_NL).unwrap();
    let good_a = t.path().join("good_a");
    let good_b = t.path().join("good_b");
    let start = Instant::now();
    assert!(run(&corpus_a, &good_a, &["--quiet"]).status.success());
    let full = start.elapsed();
    assert!(run(&corpus_b, &good_b, &["--quiet"]).status.success());
    assert!(which_set(&good_a, &[&good_b]).is_none(), "sets must differ");

    let work = t.path().join("w");
    fs::create_dir(&work).unwrap();
    let out = work.join("out");
    assert!(run(&corpus_a, &out, &["--quiet"]).status.success());
    fs::write(out.join("my notes.txt"), "keep me").unwrap();
    let mut holds = 0; // index into [good_a, good_b]
    let mut rng = Lcg(6);
    // Runs get faster once the extraction cache (OUT/.cache) is warm, and
    // with the load of the other tests: the longest delay shrinks whenever a
    // run beats it, so that most kills land mid-run whatever the machine does.
    let mut max_delay = (full.as_millis() as u64 * 5 / 4).max(20);
    let (mut killed, mut finished, mut new_after_kill) = (0, 0, 0);
    for i in 0..20 {
        let target = (i + 1) % 2;
        let corpus = if target == 0 { &corpus_a } else { &corpus_b };
        // half the runs without the cache, so kills also land in extraction
        let cache_flag: &[&str] = if i % 4 < 2 { &[] } else { &["--no-cache"] };
        let mut child = bin()
            .args(["run", "--quiet", "--raw"])
            .arg(corpus)
            .args(cache_flag)
            .arg("--out")
            .arg(&out)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.next() % max_delay));
        if child.try_wait().unwrap().is_some() {
            finished += 1;
            max_delay = (max_delay * 3 / 4).max(5);
        } else {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        child.wait().unwrap();
        assert!(out.is_dir(), "iteration {i}: --out missing");
        let now = which_set(&out, &[&good_a, &good_b])
            .unwrap_or_else(|| panic!("iteration {i}: --out holds a mix or an incomplete set"));
        assert!(now == holds || now == target, "iteration {i}");
        if now != holds {
            new_after_kill += 1;
        }
        holds = now;
        assert_eq!(
            fs::read_to_string(out.join("my notes.txt")).unwrap(),
            "keep me",
            "iteration {i}: the user's file was lost"
        );
    }
    eprintln!(
        "{killed} killed, {finished} finished, {new_after_kill} switched sets; full run {full:?}"
    );
    assert!(killed >= 5, "too few kills landed mid-run");
    // a normal run cleans up every work folder the killed runs left
    assert!(run(&corpus_b, &out, &["--quiet"]).status.success());
    assert_eq!(which_set(&out, &[&good_b]), Some(0));
    assert_eq!(leftovers(&work), Vec::<String>::new());
    assert_eq!(
        fs::read_to_string(out.join("my notes.txt")).unwrap(),
        "keep me"
    );
}

/// The pid of a process that has exited (so its work folders are stale).
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

/// A run killed between the two renames of a non-atomic swap leaves `--out`
/// missing and the complete old set in `.out.old-PID`. The next run — even one
/// that fails — puts the old set back first.
#[test]
fn a_set_moved_away_mid_swap_is_restored() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let good = t.path().join("good");
    assert!(run(&raw_dir(), &good, &["--quiet"]).status.success());
    assert!(run(&raw_dir(), &out, &["--quiet"]).status.success());
    fs::write(out.join("my notes.txt"), "keep me").unwrap();
    let pid = dead_pid();
    // the killed run's state: old set moved away, new set complete beside it
    fs::rename(&out, t.path().join(format!(".out.old-{pid}"))).unwrap();
    fs::create_dir(t.path().join(format!(".out.new-{pid}"))).unwrap();
    fs::write(t.path().join(format!(".out.new-{pid}/forms.csv")), "half").unwrap();

    // a failing run (nothing to read) still restores the old set
    let empty = t.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let o = run(&empty, &out, &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("restored the previous output set"), "{err}");
    assert_eq!(which_set(&out, &[&good]), Some(0));
    assert_eq!(
        fs::read_to_string(out.join("my notes.txt")).unwrap(),
        "keep me"
    );
    let left: Vec<String> = fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out."))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // same state again, then a successful run: restored, then replaced
    fs::rename(&out, t.path().join(format!(".out.old-{pid}"))).unwrap();
    let o = run(&raw_dir(), &out, &[]);
    assert!(o.status.success());
    assert_eq!(which_set(&out, &[&good]), Some(0));
    assert_eq!(
        fs::read_to_string(out.join("my notes.txt")).unwrap(),
        "keep me"
    );
}

/// A live run's work folder (locked by its run) is not touched by another run.
#[test]
fn a_live_runs_work_folder_is_left_alone() {
    use std::os::fd::AsRawFd;
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let live = t.path().join(format!(".out.new-{}", std::process::id()));
    fs::create_dir(&live).unwrap();
    let handle = fs::File::open(&live).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    let r = unsafe { libc::flock(handle.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    assert_eq!(r, 0);
    assert!(run(&raw_dir(), &out, &["--quiet"]).status.success());
    assert!(live.is_dir());
    drop(handle);
}

/// Process ids are reused (32768 by default on Linux): a dead run's folder
/// whose id now belongs to a live process is still recognised as dead, since
/// nobody holds its lock, and removed.
#[test]
fn a_dead_runs_folder_is_removed_even_when_its_pid_is_reused() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    // this test process is alive, but holds no lock on the folder
    let stale = t.path().join(format!(".out.new-{}", std::process::id()));
    fs::create_dir(&stale).unwrap();
    fs::write(stale.join("forms.csv"), "half").unwrap();
    let o = run(&raw_dir(), &out, &[]);
    assert!(o.status.success());
    assert!(!stale.exists(), "{}", String::from_utf8_lossy(&o.stderr));
}

// ------------------------------------------------------------- CSV safety

#[test]
fn excel_safe_guards_formula_cells_only_with_the_flag() {
    let t = tempfile::tempdir().unwrap();
    let raw = t.path().join("raw");
    fs::create_dir(&raw).unwrap();
    let lines = [
        "=HYPERLINK(\"http://x\") natto bevat 100 µg vitamine K2 per eetlepel.",
        "+natto bevat 100 µg vitamine K2 per eetlepel.",
        "@SUM(1) natto bevat 100 µg vitamine K2 per eetlepel.",
        "-- Natto bevat 100 µg vitamine K2 per eetlepel.",
    ];
    fs::write(raw.join("formulas.txt"), lines.join("\n\n")).unwrap();
    let plain = t.path().join("plain");
    let safe = t.path().join("safe");
    assert!(run(&raw, &plain, &["--quiet"]).status.success());
    assert!(run(&raw, &safe, &["--quiet", "--excel-safe"])
        .status
        .success());
    let quotes = |dir: &Path| -> Vec<String> {
        let mut r = csv::Reader::from_path(dir.join("nutrient_values.csv")).unwrap();
        let col = r
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "quote")
            .unwrap();
        r.records().map(|x| x.unwrap()[col].to_string()).collect()
    };
    let p = quotes(&plain);
    let s = quotes(&safe);
    assert_eq!(p.len(), 4, "{p:?}");
    for c in ['=', '+', '@', '-'] {
        assert!(p.iter().any(|q| q.starts_with(c)), "faithful {c}: {p:?}");
        assert!(
            s.iter().any(|q| q.starts_with(&format!("'{c}"))),
            "guarded {c}: {s:?}"
        );
    }
    assert_eq!(
        p.iter().map(|q| format!("'{q}")).collect::<Vec<_>>(),
        s,
        "only the first character changes"
    );
    // numbers are never prefixed, and JSON stays faithful either way
    let plain_csv = fs::read_to_string(plain.join("nutrient_values.csv")).unwrap();
    let safe_csv = fs::read_to_string(safe.join("nutrient_values.csv")).unwrap();
    assert_eq!(
        plain_csv.lines().count(),
        safe_csv.lines().count(),
        "same rows"
    );
    assert!(!safe_csv.contains(",'1"), "{safe_csv}");
    assert_eq!(
        fs::read(plain.join("nutrient_values.json")).unwrap(),
        fs::read(safe.join("nutrient_values.json")).unwrap()
    );
}

// --------------------------------------------------------- resource bounds

/// Peak resident memory (KiB) of one run, from the kernel's accounting of
/// exactly that child (`wait4`), so parallel tests do not disturb it.
// The child is reaped by `wait4` below, which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn peak_rss_kib(raw: &Path, out: &Path) -> i64 {
    let child = bin()
        .args(["run", "--quiet", "--jobs", "2", "--raw"])
        .arg(raw)
        .arg("--out")
        .arg(out)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: plain wait4 on our own child; rusage is plain data.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    usage.ru_maxrss
}

/// Documents are processed one by one and only their rows are kept, so
/// 40 × the corpus must not cost anywhere near 40 × the memory. (The 1 GB
/// corpus figure is measured by `make bench`.)
#[test]
fn memory_is_bounded_by_the_document_not_the_corpus() {
    let t = tempfile::tempdir().unwrap();
    let few = t.path().join("few");
    let many = t.path().join("many");
    make_corpus(&few, 1, false);
    make_corpus(&many, 40, false);
    let small = peak_rss_kib(&few, &t.path().join("o1"));
    let big = peak_rss_kib(&many, &t.path().join("o2"));
    let corpus_kib = (fs::read_dir(&many)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum::<u64>()
        / 1024) as i64;
    eprintln!("peak RSS: 1 copy {small} KiB, 40 copies {big} KiB (corpus {corpus_kib} KiB)");
    assert!(
        big < small * 2,
        "peak RSS grew from {small} KiB to {big} KiB for 40 × the corpus"
    );
}
