//! Which folders are fleetsim's to replace. `--force` replaces a folder only when its
//! `manifest.json` is one fleetsim wrote *and* everything in it is a file fleetsim writes (a user's
//! notes or scenario beside the results make it the user's), and never a folder holding a file the
//! command reads.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::output::manifest::Manifest;

/// Files fleetsim writes at the top of a run, sweep, merge or comparison folder (`.lock` while a
/// sweep writes it). A new output file must be added here, or `--force` will refuse folders that
/// hold it.
pub const TOP_FILES: &[&str] = &[
    "manifest.json",
    "summary.json",
    "timeseries.csv",
    "latency.csv",
    "ttft.csv",
    "tpot.csv",
    "runs.csv",
    "summary.csv",
    "best.json",
    "compare.csv",
    "parameters.json",
    "report.md",
    "report.html",
    ".lock",
];

/// Files of `designs/<name>/` in a comparison folder.
const DESIGN_FILES: &[&str] =
    &["summary.json", "timeseries.csv", "latency.csv", "ttft.csv", "tpot.csv", "parameters.json"];

/// Entries named in a refusal; more are summarized.
const MAX_LISTED: usize = 5;

/// Checks that `--force` may replace `dir`: a real folder (not a symbolic link) whose
/// `manifest.json` fleetsim wrote and whose every entry is a file fleetsim writes.
pub fn check_replaceable(dir: &Path) -> Result<()> {
    const ONLY: &str = "--force replaces only folders fleetsim wrote";
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        bail!(
            "{ONLY}, and {} is a symbolic link: give the folder it points to, or choose another --out",
            dir.display()
        );
    }
    let manifest = dir.join("manifest.json");
    if !manifest.exists() {
        bail!("{ONLY}, and {} holds no manifest.json: remove it yourself or choose another --out", dir.display());
    }
    let parsed = crate::input::read_bounded(&manifest, crate::output::manifest::MAX_BYTES)
        .map_err(anyhow::Error::from)
        .and_then(|bytes| Ok(serde_json::from_slice::<Manifest>(&bytes)?));
    if let Err(e) = parsed {
        bail!(
            "{ONLY}, and {} is not a manifest fleetsim wrote ({e}): remove the folder yourself or choose another --out",
            manifest.display()
        );
    }
    let foreign = foreign_entries(dir)?;
    if !foreign.is_empty() {
        let mut list = foreign.iter().take(MAX_LISTED).cloned().collect::<Vec<_>>().join(", ");
        if foreign.len() > MAX_LISTED {
            list.push_str(&format!(" and {} more", foreign.len() - MAX_LISTED));
        }
        bail!(
            "{ONLY}, and {} also holds {list}, which fleetsim did not write: move them out of it, or choose another --out",
            dir.display()
        );
    }
    Ok(())
}

/// Checks that no file the command reads (`inputs`: scenarios, traces, folders to merge) is
/// `out` or inside it: replacing `out` would delete it.
pub fn check_inputs_outside(out: &Path, inputs: &[PathBuf]) -> Result<()> {
    let Ok(out_abs) = out.canonicalize() else { return Ok(()) };
    for input in inputs {
        if input.canonicalize().is_ok_and(|p| p.starts_with(&out_abs)) {
            bail!(
                "--out {} holds {}, which this command reads: --force would delete it; choose another --out, or move the file out of it",
                out.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// Entries of `dir` (relative paths) that fleetsim does not write.
pub fn foreign_entries(dir: &Path) -> Result<Vec<String>> {
    let mut foreign = Vec::new();
    for entry in read_dir(dir)? {
        let (name, kind) = entry;
        let ok = match kind {
            Kind::File => TOP_FILES.contains(&name.as_str()) || is_temp_of(&name, |n| TOP_FILES.contains(&n)),
            Kind::Dir if name == "charts" => {
                sub_foreign(&dir.join(&name), &name, &mut foreign, |n| n.ends_with(".svg") || n.ends_with(".png"))?;
                true
            }
            Kind::Dir if name == "designs" => {
                designs_foreign(&dir.join(&name), &mut foreign)?;
                true
            }
            _ => false,
        };
        if !ok {
            foreign.push(name);
        }
    }
    Ok(foreign)
}

/// A compare folder's `designs/`: one folder per design with its files.
fn designs_foreign(designs: &Path, foreign: &mut Vec<String>) -> Result<()> {
    for (name, kind) in read_dir(designs)? {
        let rel = format!("designs/{name}");
        if kind == Kind::Dir {
            sub_foreign(&designs.join(&name), &rel, foreign, |n| DESIGN_FILES.contains(&n))?;
        } else {
            foreign.push(rel);
        }
    }
    Ok(())
}

/// Entries of `dir` that are not regular files `allowed` (or their temporary files).
fn sub_foreign(dir: &Path, rel: &str, foreign: &mut Vec<String>, allowed: impl Fn(&str) -> bool) -> Result<()> {
    for (name, kind) in read_dir(dir)? {
        if kind != Kind::File || !(allowed(&name) || is_temp_of(&name, &allowed)) {
            foreign.push(format!("{rel}/{name}"));
        }
    }
    Ok(())
}

/// Whether `name` is the temporary file `.<file>.tmp` that an atomic write of an allowed file
/// leaves when interrupted.
fn is_temp_of(name: &str, allowed: impl Fn(&str) -> bool) -> bool {
    name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")).is_some_and(allowed)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    File,
    Dir,
    /// A symbolic link, FIFO, device or socket: never fleetsim's.
    Other,
}

/// Names and kinds (not following symbolic links) of `dir`'s entries, sorted; names that are not
/// UTF-8 are shown lossily (and never match fleetsim's).
fn read_dir(dir: &Path) -> Result<Vec<(String, Kind)>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| anyhow::anyhow!("cannot list {}: {e}", dir.display()))?;
        let t = entry.file_type().map_err(|e| anyhow::anyhow!("cannot list {}: {e}", dir.display()))?;
        let kind = if t.is_file() {
            Kind::File
        } else if t.is_dir() {
            Kind::Dir
        } else {
            Kind::Other
        };
        let name = match entry.file_name().into_string() {
            Ok(n) => n,
            Err(n) => format!("{} (not UTF-8)", n.to_string_lossy()),
        };
        out.push((name, kind));
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest_json() -> Vec<u8> {
        let m = Manifest {
            fleetsim_version: "0".into(),
            git_commit: None,
            scenario_path: "s.yaml".into(),
            scenario_sha256: "0".into(),
            overrides: Vec::new(),
            traces: Vec::new(),
            seed: 1,
            command_line: Vec::new(),
            created_utc: String::new(),
            sweep: None,
            compare: None,
        };
        m.to_json()
    }

    #[test]
    fn a_folder_is_fleetsims_by_its_manifest_and_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("manifest.json"), manifest_json()).unwrap();
        for f in ["summary.json", "timeseries.csv", ".summary.json.tmp", ".lock"] {
            std::fs::write(d.join(f), "x").unwrap();
        }
        std::fs::create_dir_all(d.join("charts")).unwrap();
        std::fs::write(d.join("charts/cdf.svg"), "x").unwrap();
        std::fs::create_dir_all(d.join("designs/a")).unwrap();
        std::fs::write(d.join("designs/a/summary.json"), "x").unwrap();
        check_replaceable(d).unwrap();

        // A user's file anywhere in it makes it the user's.
        std::fs::write(d.join("charts/notes.txt"), "mine").unwrap();
        std::fs::write(d.join("my-scenario.yaml"), "mine").unwrap();
        let err = check_replaceable(d).unwrap_err().to_string();
        assert!(err.contains("charts/notes.txt, my-scenario.yaml, which fleetsim did not write"), "{err}");
    }

    #[test]
    fn a_manifest_json_that_fleetsim_did_not_write_is_not_enough() {
        // A web app's folder: its manifest.json is a web app manifest.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("manifest.json"), r#"{"name": "app", "icons": []}"#).unwrap();
        let err = check_replaceable(dir.path()).unwrap_err().to_string();
        assert!(err.contains("is not a manifest fleetsim wrote"), "{err}");
    }

    #[test]
    fn inputs_inside_the_folder_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("prev");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("s.yaml"), "x").unwrap();
        std::fs::write(dir.path().join("t.csv"), "x").unwrap();
        check_inputs_outside(&out, &[dir.path().join("t.csv")]).unwrap();
        let err = check_inputs_outside(&out, &[out.join("s.yaml")]).unwrap_err().to_string();
        assert!(err.contains("which this command reads"), "{err}");
        // The folder itself (a merge's input given as --out), by another spelling.
        assert!(check_inputs_outside(&out, &[dir.path().join("./prev/")]).is_err());
    }
}
