//! Output folders and files: where a run writes, atomically, and never over an existing folder.
//!
//! Exporters elsewhere return bytes; this module is the one place that writes them.

pub mod manifest;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Creates the output folder: `out` if given (it must not exist, or be empty), else a new
/// `reports/<name>/<UTC time>-<label>` folder (with `-2`, `-3`… if taken); `label` is e.g.
/// `seed7` for a run or `sweep` for a sweep.
pub fn create_run_dir(out: Option<&Path>, name: &str, label: &str) -> Result<PathBuf> {
    if let Some(dir) = out {
        if dir.exists() {
            let empty = dir.is_dir() && std::fs::read_dir(dir).map(|mut d| d.next().is_none()).unwrap_or(false);
            if !empty {
                bail!(
                    "output folder {} already exists and is not empty; fleetsim never overwrites results: choose another --out",
                    dir.display()
                );
            }
        }
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create output folder {}", dir.display()))?;
        return Ok(dir.to_path_buf());
    }
    let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
    let base = Path::new("reports").join(safe_name(name));
    for n in 1..1000 {
        let id = if n == 1 { format!("{stamp}-{label}") } else { format!("{stamp}-{label}-{n}") };
        let dir = base.join(id);
        std::fs::create_dir_all(&base).with_context(|| format!("cannot create {}", base.display()))?;
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create output folder {}", dir.display())),
        }
    }
    bail!("cannot find a free run folder under {}", base.display())
}

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

    #[test]
    fn refuses_a_non_empty_output_folder() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), "x.json", b"{}").unwrap();
        let err = create_run_dir(Some(dir.path()), "n", "seed1").unwrap_err();
        assert!(err.to_string().contains("never overwrites"), "{err}");
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert_eq!(create_run_dir(Some(&empty), "n", "seed1").unwrap(), empty);
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("chat serving/v2"), "chat-serving-v2");
        assert_eq!(safe_name("../.."), "scenario");
    }
}
