//! The fuzz targets' seeds and every crash the fuzzers found, run through the same functions the
//! `cargo fuzz` targets call (`fleetsim::fuzz`), so a fixed crash stays fixed (see fuzz/README.md).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use fleetsim::fuzz;

/// The files of `fuzz/<kind>/<target>/`, sorted; `None` if the folder does not exist.
fn inputs(kind: &str, target: &str) -> Option<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(kind).join(target);
    let entries = std::fs::read_dir(&dir).ok()?;
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Some(files)
}

/// Runs every file of `fuzz/<kind>/<target>/` through `f`; returns how many ran and the failures.
fn run_all(kind: &str, target: &str, f: fn(&[u8])) -> (usize, Vec<String>) {
    let files = inputs(kind, target).unwrap_or_default();
    let mut failures = Vec::new();
    for file in &files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if catch_unwind(AssertUnwindSafe(|| f(&data))).is_err() {
            failures.push(file.display().to_string());
        }
    }
    (files.len(), failures)
}

/// Seeds (at least one) and regressions (at least `min_regressions`; the folder may be missing
/// only when none are expected) of one target: none may panic.
fn check(target: &str, f: fn(&[u8]), min_regressions: usize) {
    let (seeds, mut failures) = run_all("seeds", target, f);
    assert!(seeds > 0, "fuzz/seeds/{target}/ is missing or empty");
    if min_regressions > 0 {
        assert!(inputs("regressions", target).is_some(), "fuzz/regressions/{target}/ is missing");
    }
    let (regressions, more) = run_all("regressions", target, f);
    failures.extend(more);
    assert!(
        regressions >= min_regressions,
        "fuzz/regressions/{target}/ holds {regressions} files; expected at least {min_regressions}"
    );
    assert!(failures.is_empty(), "{target}: these inputs panic: {failures:#?}");
}

#[test]
fn scenario() {
    check("scenario", fuzz::scenario, 0);
}

#[test]
fn request_trace() {
    check("request_trace", fuzz::request_trace, 0);
}

#[test]
fn spot_csv() {
    check("spot_csv", fuzz::spot_csv, 0);
}

#[test]
fn skypilot_availability() {
    check("skypilot_availability", fuzz::skypilot_availability, 0);
}

#[test]
fn aws_json() {
    check("aws_json", fuzz::aws_json, 0);
}

#[test]
fn skypilot_prices() {
    check("skypilot_prices", fuzz::skypilot_prices, 0);
}
