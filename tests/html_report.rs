//! Renders `report.html` in headless Chromium, as a reviewer's browser would,
//! and checks that the chart is on screen: the marks of the sources and the
//! highlighted conflict row. Needs the `chromium` binary (installed by
//! `make test` through `scripts/ensure-tools.sh`); fails when it is missing.

use std::fs;
use std::path::Path;
use std::process::Command;

fn chromium() -> String {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return c.to_string();
        }
    }
    panic!("chromium is not installed: run `make test` (scripts/ensure-tools.sh installs it)");
}

fn headless(browser: &str, profile: &Path) -> Command {
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// Pixels close to `rgb` (within `tol` per channel).
fn count_color(png_path: &Path, rgb: (u8, u8, u8), tol: i32) -> usize {
    let decoder = png::Decoder::new(fs::File::open(png_path).expect("screenshot exists"));
    let mut reader = decoder.read_info().expect("valid PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    let step = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(step)
        .filter(|p| {
            (p[0] as i32 - rgb.0 as i32).abs() <= tol
                && (p[1] as i32 - rgb.1 as i32).abs() <= tol
                && (p[2] as i32 - rgb.2 as i32).abs() <= tol
        })
        .count()
}

#[test]
fn report_html_shows_the_chart_in_a_browser() {
    let browser = chromium();
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let raw = Path::new(env!("CARGO_MANIFEST_DIR")).join("raw");
    let o = Command::new(env!("CARGO_BIN_EXE_nutripipe"))
        .args(["run", "--quiet", "--raw"])
        .arg(&raw)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = out.join("report.html");
    let url = format!("file://{}", html.display());

    // the DOM as the browser built it: charts, marks, and a conflict band
    let dom = headless(&browser, &t.path().join("p1"))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.matches("<figure class=\"chart\"").count() >= 2,
        "one chart per nutrient"
    );
    assert!(
        dom.matches("class=\"mark\"").count() >= 15,
        "a mark per food value"
    );
    assert!(
        dom.contains("conflict-band"),
        "the natto conflict is highlighted"
    );

    // what is on screen: the marks of 001 (second palette colour) and the conflict band
    let shot = t.path().join("shot.png");
    let s = headless(&browser, &t.path().join("p2"))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1200,2400")
        .arg(&url)
        .output()
        .unwrap();
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    let orange = count_color(&shot, (0xE6, 0x9F, 0x00), 30);
    let band = count_color(&shot, (0xFA, 0xE5, 0xE5), 8);
    assert!(orange > 100, "source marks visible ({orange} px)");
    assert!(band > 1000, "conflict band visible ({band} px)");
}
