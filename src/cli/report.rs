//! `fleetsim report`, and the report every run, sweep and compare makes when it ends.

use std::path::Path;

use anyhow::Result;

use super::{Outcome, ReportArgs};

pub fn report(args: &ReportArgs) -> Result<Outcome> {
    let written = fleetsim::report::write(&args.dir)?;
    warn(&written);
    println!(
        "wrote {} charts (SVG and PNG) in {}, {} and {}",
        written.charts,
        args.dir.join("charts").display(),
        written.markdown.display(),
        written.html.display()
    );
    Ok(Outcome::Ok)
}

/// Makes the report of a folder whose results are already written. A failure is a warning: the
/// results stay, and `fleetsim report DIR` can try again.
pub fn after(dir: &Path, quiet: bool) {
    match fleetsim::report::write(dir) {
        Ok(w) if !quiet => {
            warn(&w);
            println!("report: {}", w.html.display());
        }
        Ok(w) => warn(&w),
        Err(e) => eprintln!(
            "warning: the report could not be made ({e:#}); the results are in {}: run `fleetsim report {}` to try again",
            dir.display(),
            dir.display()
        ),
    }
}

/// What looked damaged in the folder, on stderr.
fn warn(written: &fleetsim::report::Written) {
    for w in &written.warnings {
        eprintln!("warning: {w}");
    }
}
