//! Output folders and files: where a command writes, atomically, and never over an existing
//! folder unless `--force` replaces one fleetsim wrote — and then only once the new results are
//! complete.
//!
//! Exporters elsewhere return bytes; this module is the one place that writes them. `target.rs`
//! is the destination folder (staged, committed whole, abandoned on failure or interrupt),
//! `ownership.rs` decides which folders are fleetsim's to replace, `lock.rs` keeps two sweeps out
//! of one folder.

pub mod lock;
pub mod manifest;
pub mod ownership;
pub mod target;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub use target::{Staging, Target, interrupted};

/// A scenario name made safe for a folder name.
pub fn safe_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '-' })
        .collect();
    let s = s.trim_matches(['-', '.']).to_string();
    if s.is_empty() { "scenario".into() } else { s }
}

/// Writes `bytes` to `dir/name` through a temporary file and a rename, so a reader never sees a
/// half-written file.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f = std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(bytes).and_then(|()| f.sync_all()).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot move {} into place", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario_inputs() -> Vec<PathBuf> {
        Vec::new()
    }

    #[test]
    fn refuses_a_non_empty_output_folder() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), "x.json", b"{}").unwrap();
        let open = |force| Target::open(Some(dir.path()), force, &scenario_inputs(), ("n", "seed1"), Staging::Always);
        let err = open(false).unwrap_err();
        assert!(err.to_string().contains("never overwrites"), "{err}");
        // --force replaces only what fleetsim wrote.
        let err = open(true).unwrap_err();
        assert!(err.to_string().contains("holds no manifest.json"), "{err}");
        assert!(dir.path().join("x.json").exists());
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let t = Target::open(Some(&empty), false, &[], ("n", "seed1"), Staging::Always).unwrap();
        assert_eq!(t.dest(), empty);
    }

    /// A folder as `fleetsim run` leaves it.
    fn fleetsim_folder(dir: &Path, seed: &str) {
        std::fs::create_dir_all(dir).unwrap();
        let m = manifest::Manifest {
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
        write_atomic(dir, "manifest.json", &m.to_json()).unwrap();
        write_atomic(dir, "summary.json", seed.as_bytes()).unwrap();
    }

    #[test]
    fn force_keeps_the_old_folder_until_the_new_one_is_committed() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("run");
        fleetsim_folder(&out, "old");
        let t = Target::open(Some(&out), true, &[], ("n", "seed1"), Staging::WhenReplacing).unwrap();
        assert!(t.replaces() && t.work() != out, "a replacement is staged beside the folder");
        write_atomic(t.work(), "manifest.json", &std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
        write_atomic(t.work(), "summary.json", b"new").unwrap();
        assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), b"old", "untouched until the commit");
        assert_eq!(t.commit().unwrap(), out);
        assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1, "only the new folder is left");
    }

    #[test]
    fn a_failed_or_interrupted_force_leaves_the_old_folder() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("run");
        fleetsim_folder(&out, "old");
        let t = Target::open(Some(&out), true, &[], ("n", "seed1"), Staging::Always).unwrap();
        write_atomic(t.work(), "summary.json", b"half").unwrap();
        drop(t); // the command failed
        assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1, "no staging folder left");
    }

    #[test]
    fn a_staged_folder_appears_whole() {
        let root = tempfile::tempdir().unwrap();
        let dest = root.path().join("run");
        let t = Target::open(Some(&dest), false, &[], ("n", "seed1"), Staging::Always).unwrap();
        assert!(dest.is_dir(), "the name is held by an empty folder");
        write_atomic(t.work(), "summary.json", b"{}").unwrap();
        assert!(!dest.join("summary.json").exists(), "nothing in place before the commit");
        assert_eq!(t.commit().unwrap(), dest);
        assert!(dest.join("summary.json").exists());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1, "no staging folder left");
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("chat serving/v2"), "chat-serving-v2");
        assert_eq!(safe_name("../.."), "scenario");
    }
}
