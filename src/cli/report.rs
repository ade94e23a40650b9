//! `fleetsim report`, and the report every run, sweep and compare makes when it ends.

use std::path::Path;

use anyhow::Result;

use super::out::{note, sayln};
use super::{Outcome, ReportArgs};

pub fn report(args: &ReportArgs) -> Result<Outcome> {
    let written = fleetsim::report::write(&args.dir)?;
    warn(&written);
    sayln!(
        "wrote {} charts (SVG and PNG) in {}, {} and {}",
        written.charts,
        args.dir.join("charts").display(),
        written.markdown.display(),
        written.html.display()
    )?;
    Ok(Outcome::Ok)
}

/// Makes the report in `work`, a folder whose results are written and which becomes `dest` (the
/// report is drawn before a staged folder is put in place, so it appears whole). A failure is a
/// warning: the results stay, and `fleetsim report DEST` can try again. Returns whether the
/// report was made.
pub fn draw(work: &Path, dest: &Path) -> bool {
    match fleetsim::report::write(work) {
        Ok(w) => {
            warn(&w);
            true
        }
        Err(e) => {
            note!(
                "warning: the report could not be made ({e:#}); the results are in {}: run `fleetsim report {}` to try again",
                dest.display(),
                dest.display()
            );
            false
        }
    }
}

/// Says where the report of `dir` is.
pub fn announce(dir: &Path) -> Result<()> {
    sayln!("report: {}", dir.join("report.html").display())
}

/// What looked damaged in the folder, on stderr.
fn warn(written: &fleetsim::report::Written) {
    for w in &written.warnings {
        note!("warning: {w}");
    }
}
