//! Helpers shared by the integration tests, which all run the `nutripipe`
//! binary as a user does: the binary, the committed `raw/`, reading a table
//! and comparing two output sets.

// Each test file uses a part of these.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nutripipe"))
}

/// The committed source texts.
pub fn raw_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("raw")
}

/// `nutripipe run --raw RAW --out OUT EXTRA…`, whatever its exit status.
pub fn run(raw: &Path, out: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("run")
        .arg("--raw")
        .arg(raw)
        .arg("--out")
        .arg(out)
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("binary runs")
}

/// The rows of a JSON table.
pub fn read_json(path: &Path) -> Vec<serde_json::Value> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str::<serde_json::Value>(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Copy the files of a flat folder.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// The files of an output set, sorted; hidden entries such as the extraction
/// cache (`.cache/`) are not outputs.
pub fn output_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    v.sort();
    v
}

/// Two output sets hold the same files, byte for byte.
pub fn assert_same_outputs(a: &Path, b: &Path) {
    let names = output_names(a);
    assert_eq!(names, output_names(b));
    for n in names {
        assert!(
            fs::read(a.join(&n)).unwrap() == fs::read(b.join(&n)).unwrap(),
            "{n} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}
