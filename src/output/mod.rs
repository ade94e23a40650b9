//! Output folders and files: where a run writes, atomically, and never over an existing folder
//! (unless `--force` replaces a folder fleetsim wrote).
//!
//! Exporters elsewhere return bytes; this module is the one place that writes them.

pub mod manifest;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Checks, before any work, that `out` may receive new results: it does not exist, is an empty
/// folder, or — with `force` — is a folder fleetsim wrote (it holds `manifest.json`), which will be
/// replaced. Anything else is refused: fleetsim never deletes what it did not write.
pub fn check_out(out: &Path, force: bool) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        bail!("output folder {} is a file; choose another --out", out.display());
    }
    if !has_entries(out) {
        return Ok(());
    }
    if !force {
        bail!(
            "output folder {} already exists and is not empty; fleetsim never overwrites results: choose another --out, or add --force to replace it",
            out.display()
        );
    }
    if !out.join("manifest.json").is_file() {
        bail!(
            "--force replaces only folders fleetsim wrote, and {} holds no manifest.json: remove it yourself or choose another --out",
            out.display()
        );
    }
    Ok(())
}

/// A folder `--force` is replacing: moved aside (hidden, beside it) while the new results are
/// made, deleted by [`Replaced::finish`] once they are complete. If the command fails first, the
/// old results are still in [`Replaced::aside`].
#[derive(Debug)]
pub struct Replaced {
    /// Where the old folder is now.
    pub aside: PathBuf,
}

impl Replaced {
    /// Deletes the old results, now that the new ones are in place.
    pub fn finish(self) -> Result<()> {
        std::fs::remove_dir_all(&self.aside).with_context(|| {
            format!("the new results are in place, but the old ones in {} could not be deleted", self.aside.display())
        })
    }
}

/// Whether `dir` is a folder with something in it.
fn has_entries(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some())
}

/// A fresh name beside `dir`: `.<name>.<what>-<pid>-<n>`.
fn beside(dir: &Path, what: &str) -> Result<PathBuf> {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = dir.file_name().map_or("out".into(), |n| n.to_string_lossy().into_owned());
    (0..1000)
        .map(|n| parent.join(format!(".{name}.{what}-{}-{n}", std::process::id())))
        .find(|p| !p.exists())
        .with_context(|| format!("no free name beside {}", dir.display()))
}

/// Moves the fleetsim folder `dir` aside, so that new results can take its place.
fn move_aside(dir: &Path) -> Result<Replaced> {
    let aside = beside(dir, "replaced")?;
    std::fs::rename(dir, &aside).with_context(|| format!("cannot move {} aside to replace it", dir.display()))?;
    Ok(Replaced { aside })
}

/// Creates the output folder: `out` if given (see [`check_out`]; with `force` an existing
/// fleetsim folder is moved aside and returned, to be deleted when the new results are complete),
/// else a new `reports/<name>/<UTC time>-<label>` folder (with `-2`, `-3`… if taken); `label` is
/// e.g. `seed7` for a run or `sweep` for a sweep.
pub fn create_run_dir(out: Option<&Path>, name: &str, label: &str, force: bool) -> Result<(PathBuf, Option<Replaced>)> {
    if let Some(dir) = out {
        check_out(dir, force)?;
        let replaced = if has_entries(dir) { Some(move_aside(dir)?) } else { None };
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create output folder {}", dir.display()))?;
        return Ok((dir.to_path_buf(), replaced));
    }
    let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
    let base = Path::new("reports").join(safe_name(name));
    for n in 1..1000 {
        let id = if n == 1 { format!("{stamp}-{label}") } else { format!("{stamp}-{label}-{n}") };
        let dir = base.join(id);
        std::fs::create_dir_all(&base).with_context(|| format!("cannot create {}", base.display()))?;
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((dir, None)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create output folder {}", dir.display())),
        }
    }
    bail!("cannot find a free run folder under {}", base.display())
}

/// A folder whose files are written beside their destination and moved into place together, so
/// that the destination holds all of them or none: the run folder of `fleetsim run`.
#[derive(Debug)]
pub struct Staged {
    /// Where the files are written.
    pub dir: PathBuf,
    /// Where they go.
    pub dest: PathBuf,
}

impl Staged {
    /// A staging folder beside `dest` (which [`create_run_dir`] made, empty).
    pub fn new(dest: &Path) -> Result<Staged> {
        let dir = beside(dest, "partial")?;
        std::fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Staged { dir, dest: dest.to_path_buf() })
    }

    /// Moves the staged files into place: the empty destination folder is replaced by the staging one.
    pub fn commit(self) -> Result<PathBuf> {
        std::fs::remove_dir(&self.dest)
            .and_then(|()| std::fs::rename(&self.dir, &self.dest))
            .with_context(|| format!("cannot move {} into place as {}", self.dir.display(), self.dest.display()))?;
        Ok(self.dest)
    }

    /// Deletes the staging folder (after a failure).
    pub fn abandon(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Puts the folder `staging` in place as `out` (which must not exist or be empty; with `force`,
/// a fleetsim folder there is replaced): `fleetsim merge` builds its result this way.
pub fn move_into_place(staging: &Path, out: &Path, force: bool) -> Result<()> {
    check_out(out, force)?;
    let replaced = if has_entries(out) {
        Some(move_aside(out)?)
    } else {
        if out.exists() {
            std::fs::remove_dir(out).with_context(|| format!("cannot replace the empty folder {}", out.display()))?;
        }
        None
    };
    std::fs::rename(staging, out).with_context(|| format!("cannot move {} to {}", staging.display(), out.display()))?;
    match replaced {
        Some(r) => r.finish(),
        None => Ok(()),
    }
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
        let err = create_run_dir(Some(dir.path()), "n", "seed1", false).unwrap_err();
        assert!(err.to_string().contains("never overwrites"), "{err}");
        // --force replaces only what fleetsim wrote.
        let err = create_run_dir(Some(dir.path()), "n", "seed1", true).unwrap_err();
        assert!(err.to_string().contains("holds no manifest.json"), "{err}");
        assert!(dir.path().join("x.json").exists());
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert_eq!(create_run_dir(Some(&empty), "n", "seed1", false).unwrap().0, empty);
    }

    #[test]
    fn force_moves_a_fleetsim_folder_aside_until_the_new_one_is_complete() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("run");
        std::fs::create_dir(&out).unwrap();
        write_atomic(&out, "manifest.json", b"{}").unwrap();
        write_atomic(&out, "old.csv", b"old").unwrap();
        let (dir, replaced) = create_run_dir(Some(&out), "n", "seed1", true).unwrap();
        assert_eq!(dir, out);
        assert!(!out.join("old.csv").exists(), "the new folder starts empty");
        let replaced = replaced.expect("the old folder was moved aside");
        assert!(replaced.aside.join("old.csv").exists(), "the old results are kept until the new are complete");
        replaced.finish().unwrap();
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1, "only the new folder is left");
    }

    #[test]
    fn a_staged_folder_appears_whole() {
        let root = tempfile::tempdir().unwrap();
        let (dest, _) = create_run_dir(Some(&root.path().join("run")), "n", "seed1", false).unwrap();
        let staged = Staged::new(&dest).unwrap();
        write_atomic(&staged.dir, "summary.json", b"{}").unwrap();
        assert!(!dest.join("summary.json").exists(), "nothing in place before the commit");
        assert_eq!(staged.commit().unwrap(), dest);
        assert!(dest.join("summary.json").exists());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1, "no staging folder left");
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("chat serving/v2"), "chat-serving-v2");
        assert_eq!(safe_name("../.."), "scenario");
    }
}
