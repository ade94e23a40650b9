//! Where a command's results go, and how they get there: whole, and over an old folder only once
//! they are complete.
//!
//! A [`Target`] is the destination folder of a run, sweep, merge or comparison. The command writes
//! into [`Target::work`]: a hidden staging folder beside the destination (always for a run and a
//! merge; for a sweep or a comparison when `--force` replaces a folder), or the destination itself
//! (a new sweep, which `--resume` can finish if it stops). [`Target::commit`] moves a staging folder
//! into place — a folder being replaced is moved aside, the new one renamed in, the old one deleted
//! — and dropping an uncommitted target deletes its staging folder, so a command that fails leaves
//! the destination as it was. [`interrupted`], which the binary's Ctrl-C handler calls, deletes
//! every staging folder and holds back any commit not yet started, so an interrupt leaves either
//! the old folder as it was or the new one complete.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use anyhow::{Context, Result, bail};

use super::{lock, ownership};

/// When a target writes into a staging folder rather than into the destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Staging {
    /// Always: the destination appears whole (a run, a merge).
    Always,
    /// Only when `--force` replaces a folder (a sweep or comparison, which otherwise fills the
    /// destination as runs finish).
    WhenReplacing,
}

/// A staging folder to delete on interrupt, and the empty destination reserved for it.
struct Pending {
    id: u64,
    staging: PathBuf,
    reserved: Option<PathBuf>,
}

static PENDING: Mutex<Vec<Pending>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn pending() -> MutexGuard<'static, Vec<Pending>> {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Called when the process is interrupted (Ctrl-C, SIGTERM), before it exits: deletes the staging
/// folders of every target not yet committed (their destinations are as they were) and keeps any
/// commit from starting, so that nothing is half-replaced when the process ends. A commit under
/// way finishes first. Call it only when the process is about to exit.
pub fn interrupted() {
    let guard = pending();
    for p in guard.iter() {
        remove_all(&p.staging);
        if let Some(dest) = &p.reserved {
            let _ = std::fs::remove_dir(dest); // only if still empty
        }
    }
    // Never released: no commit may start while the process ends.
    std::mem::forget(guard);
}

/// Deletes `dir`, retrying while another thread may still be adding files to it.
fn remove_all(dir: &Path) {
    for _ in 0..10 {
        match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => continue,
            _ => return,
        }
    }
}

/// The destination of a command's results; see the module documentation.
#[derive(Debug)]
pub struct Target {
    dest: PathBuf,
    work: PathBuf,
    /// `--force` replaces the folder at `dest` at commit.
    replaces: bool,
    /// `work` is a staging folder beside `dest`.
    staged: bool,
    /// `dest` was created empty by this command, to hold its name.
    reserved: bool,
    /// Kept when a commit could not replace `dest`: the new results stay in `work`.
    keep_work: bool,
    open: bool,
    id: u64,
    /// The lock of a sweep folder being replaced, held until it is.
    _old_lock: Option<File>,
}

/// What is at `--out` now.
enum Found {
    Missing,
    Empty,
    Replaceable(Option<File>),
}

impl Target {
    /// Opens the destination: `out` if given — it must not exist, be empty, or (with `force`) be a
    /// folder fleetsim wrote that holds none of `inputs` (the files the command reads) — else a new
    /// `reports/<name>/<UTC time>-<label>` folder (`-2`, `-3`… if taken). Nothing that exists is
    /// changed until [`Target::commit`].
    pub fn open(
        out: Option<&Path>,
        force: bool,
        inputs: &[PathBuf],
        (name, label): (&str, &str),
        staging: Staging,
    ) -> Result<Target> {
        let (dest, reserved, replaces, old_lock) = match out {
            None => (new_default_dir(name, label)?, true, false, None),
            Some(out) => match inspect(out, force, inputs)? {
                Found::Missing => {
                    std::fs::create_dir_all(out)
                        .with_context(|| format!("cannot create output folder {}", out.display()))?;
                    (out.to_path_buf(), true, false, None)
                }
                Found::Empty => (out.to_path_buf(), false, false, None),
                Found::Replaceable(lock) => (out.to_path_buf(), false, true, lock),
            },
        };
        let staged = staging == Staging::Always || replaces;
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let mut target = Target {
            work: dest.clone(),
            dest,
            replaces,
            staged,
            reserved,
            keep_work: false,
            open: true,
            id,
            _old_lock: old_lock,
        };
        if staged {
            let mut pending = pending();
            target.work = new_beside(&target.dest, "partial", |p| std::fs::create_dir(p))?;
            pending.push(Pending { id, staging: target.work.clone(), reserved: reserved.then(|| target.dest.clone()) });
        }
        Ok(target)
    }

    /// Where the command writes its files.
    pub fn work(&self) -> &Path {
        &self.work
    }

    /// Where the results will be.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Whether an old folder is replaced at commit.
    pub fn replaces(&self) -> bool {
        self.replaces
    }

    /// Puts the results in place (see the module documentation) and returns where they are.
    pub fn commit(mut self) -> Result<PathBuf> {
        if !self.staged {
            self.open = false;
            return Ok(self.dest.clone());
        }
        // Held through the swap: an interrupt waits for it rather than cutting it in half.
        let mut pending = pending();
        let swapped = self.swap();
        pending.retain(|p| p.id != self.id);
        drop(pending);
        if swapped.is_ok() || self.keep_work {
            self.open = false;
        }
        swapped.map(|()| self.dest.clone())
    }

    fn swap(&mut self) -> Result<()> {
        if !self.replaces {
            return rename_onto_empty(&self.work, &self.dest);
        }
        // The folder may have changed while the command ran.
        if let Err(e) = ownership::check_replaceable(&self.dest) {
            self.keep_work = true;
            return Err(e.context(format!("the new results are kept in {}", self.work.display())));
        }
        let aside = new_beside(&self.dest, "replaced", |_| Ok(()))?;
        std::fs::rename(&self.dest, &aside)
            .with_context(|| format!("cannot move {} aside to replace it", self.dest.display()))?;
        if let Err(e) = std::fs::rename(&self.work, &self.dest) {
            let restored = std::fs::rename(&aside, &self.dest);
            return Err(e).with_context(|| match restored {
                Ok(()) => format!("cannot move the new results into {}; it is left as it was", self.dest.display()),
                Err(_) => format!("cannot move the new results into place; the old ones are in {}", aside.display()),
            });
        }
        std::fs::remove_dir_all(&aside).with_context(|| {
            format!("the new results are in place, but the old ones in {} could not be deleted", aside.display())
        })
    }
}

impl Drop for Target {
    /// An uncommitted target leaves the destination as it was: its staging folder is deleted,
    /// and a destination it created is removed if still empty.
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        if self.staged {
            let mut pending = pending();
            pending.retain(|p| p.id != self.id);
            remove_all(&self.work);
        }
        if self.reserved {
            let _ = std::fs::remove_dir(&self.dest);
        }
    }
}

/// What `--out` holds, and whether this command may write there.
fn inspect(out: &Path, force: bool, inputs: &[PathBuf]) -> Result<Found> {
    if out.file_name().is_none() {
        bail!("--out {}: give a folder by its name (e.g. results/run1), not . or ..", out.display());
    }
    match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Missing),
        Err(e) => return Err(e).with_context(|| format!("cannot read output folder {}", out.display())),
        Ok(_) => {}
    }
    if !crate::input::is_dir(out) {
        bail!("output folder {} is a file; choose another --out", out.display());
    }
    if std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_none()) {
        return Ok(Found::Empty);
    }
    let lock = lock::hold_existing(out)?;
    if !force {
        if ownership::check_replaceable(out).is_ok() {
            bail!(
                "output folder {} already exists and is not empty; fleetsim never overwrites results: choose another --out, or add --force to replace it",
                out.display()
            );
        }
        bail!(
            "output folder {} already exists and is not empty; fleetsim never overwrites results, and did not write this folder: choose another --out",
            out.display()
        );
    }
    ownership::check_replaceable(out)?;
    ownership::check_inputs_outside(out, inputs)?;
    Ok(Found::Replaceable(lock))
}

/// Renames the folder `from` onto the empty folder `to` (which held its name meanwhile).
fn rename_onto_empty(from: &Path, to: &Path) -> Result<()> {
    let context = || format!("cannot move {} into place as {}", from.display(), to.display());
    // POSIX rename replaces an empty directory in one step, so the name is never free for another
    // process to take; elsewhere the name is freed first.
    match std::fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(_) if !cfg!(unix) && std::fs::remove_dir(to).is_ok() => std::fs::rename(from, to).with_context(context),
        Err(e) => Err(e).with_context(context),
    }
}

/// A fresh name beside `dir`, `.<name>.<what>-<pid>-<n>`, on which `make` succeeds (e.g. a
/// folder it creates; an existing name is skipped).
fn new_beside(dir: &Path, what: &str, make: impl Fn(&Path) -> std::io::Result<()>) -> Result<PathBuf> {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = dir.file_name().map_or("out".into(), |n| n.to_string_lossy().into_owned());
    for n in 0..1000 {
        let path = parent.join(format!(".{name}.{what}-{}-{n}", std::process::id()));
        if std::fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        match make(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
        }
    }
    bail!("no free name beside {}", dir.display())
}

/// Creates a new `reports/<name>/<UTC time>-<label>` folder (with `-2`, `-3`… if taken). Creating
/// it is what reserves the name: parallel commands never get the same folder.
fn new_default_dir(name: &str, label: &str) -> Result<PathBuf> {
    let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
    let base = Path::new("reports").join(super::safe_name(name));
    std::fs::create_dir_all(&base).with_context(|| format!("cannot create {}", base.display()))?;
    for n in 1..10_000 {
        let id = if n == 1 { format!("{stamp}-{label}") } else { format!("{stamp}-{label}-{n}") };
        let dir = base.join(id);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create output folder {}", dir.display())),
        }
    }
    bail!("cannot find a free run folder under {}", base.display())
}
