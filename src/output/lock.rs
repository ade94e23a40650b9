//! `.lock`: one fleetsim process writes a sweep folder at a time (a cluster task started twice, a
//! requeue while the old task still runs, a `--resume` or `--force` racing a running sweep). The
//! lock is an advisory lock on `DIR/.lock`, released when the process ends however it ends; the
//! file is removed when the sweep completes.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// What another process holding the lock is told.
fn busy(dir: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "another fleetsim sweep is writing {} now; wait for it to end, or choose another --out",
        dir.display()
    )
}

/// Takes `dir/.lock`, creating it.
pub fn take(dir: &Path) -> Result<File> {
    let path = dir.join(".lock");
    // A lock file removed by the sweep that held it (it completed) while this process was opening
    // it would be locked in vain: take the file that is there once the lock is held.
    for _ in 0..100 {
        if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
            bail!("{} is not a regular file; fleetsim uses this name for its lock: remove it", path.display());
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match file.try_lock() {
            Ok(()) if same_file(&file, &path) => return Ok(file),
            Ok(()) => continue,
            Err(std::fs::TryLockError::WouldBlock) => return Err(busy(dir)),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
    }
    bail!("cannot lock {}: it keeps being replaced", path.display())
}

/// Locks `dir/.lock` if it exists (a folder that a sweep wrote), without creating or changing
/// anything: a folder being written now is refused.
pub fn hold_existing(dir: &Path) -> Result<Option<File>> {
    let path = dir.join(".lock");
    if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        return Ok(None);
    }
    let Ok(file) = File::open(&path) else { return Ok(None) };
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(busy(dir)),
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
    }
}

/// Removes `dir/.lock` (held as `file`) once the folder is complete, then lets the lock go.
pub fn release(dir: &Path, file: File) {
    let _ = std::fs::remove_file(dir.join(".lock"));
    drop(file);
}

/// Whether the open `file` is the file at `path` now.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        assert!(hold_existing(dir.path()).unwrap().is_none(), "no lock file: nothing to hold");
        let held = take(dir.path()).unwrap();
        assert!(take(dir.path()).unwrap_err().to_string().contains("another fleetsim sweep is writing"));
        assert!(hold_existing(dir.path()).is_err());
        release(dir.path(), held);
        assert!(!dir.path().join(".lock").exists(), "a complete folder keeps no lock file");
        let again = take(dir.path()).unwrap();
        drop(again);
        assert!(hold_existing(dir.path()).unwrap().is_some(), "a lock file left by a killed sweep is free");
    }
}
