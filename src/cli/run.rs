//! `fleetsim run`: load, simulate, write the run folder, print the summary, check assertions.

use std::time::Instant;

use anyhow::{Context, Result};
use fleetsim::engine::SimTime;
use fleetsim::output::{self, manifest};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Outcome, RunArgs, table};

pub fn run(args: &RunArgs) -> Result<Outcome> {
    if let Some(out) = &args.out {
        output::check_out(out, args.force)?; // before the run, not after an hour of it
    }
    let loaded = super::load(&args.scenario)?;
    let s = &loaded.scenario;
    let market = fleetsim::trace::market::load(s).context("spot traces")?;
    let started = Instant::now();
    let bar = progress_bar(s.horizon.as_nanos());
    let mut on_progress = |now: SimTime| bar.set_position(now.0.min(s.horizon.as_nanos()));
    let mut outcome = fleetsim::run::simulate(s, &market, &mut on_progress)?;
    bar.finish_and_clear();
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    outcome.summary.engine.wall_s = started.elapsed().as_secs_f64();

    // The files are written beside the folder and moved into place together: it holds all of
    // them or none.
    let (dest, replaced) =
        output::create_run_dir(args.out.as_deref(), &s.name, &format!("seed{}", s.seed), args.force)?;
    let staged = output::Staged::new(&dest)?;
    let written = write_run(&staged.dir, &loaded, &args.scenario.set, &outcome);
    let dir = match written {
        Ok(()) => staged.commit()?,
        Err(e) => {
            staged.abandon();
            let _ = std::fs::remove_dir(&dest);
            let kept = replaced.as_ref().map(|r| format!("; the old results are in {}", r.aside.display()));
            return Err(e.context(format!("nothing was written to {}{}", dest.display(), kept.unwrap_or_default())));
        }
    };
    if let Some(old) = replaced {
        old.finish()?;
    }

    let checks = table::check_asserts(s, &outcome.summary);
    if args.json {
        print!("{}", String::from_utf8_lossy(&outcome.summary.to_json()));
        eprintln!("wrote {}", dir.display());
    } else {
        print!("{}", table::render(s, &outcome.summary));
        print!("{}", table::render_asserts(&checks));
        println!("wrote {}", dir.display());
    }
    if !args.no_report {
        super::report::after(&dir, args.json);
    }
    Ok(if checks.iter().all(|c| c.passed) { Outcome::Ok } else { Outcome::AssertFailed })
}

/// The run folder's files, into `dir`.
fn write_run(
    dir: &std::path::Path,
    loaded: &fleetsim::scenario::Loaded,
    set: &[String],
    outcome: &fleetsim::serving::Outcome,
) -> Result<()> {
    output::write_atomic(dir, "summary.json", &outcome.summary.to_json())?;
    output::write_atomic(dir, "timeseries.csv", &outcome.timeseries.to_csv())?;
    output::write_atomic(dir, "manifest.json", &manifest::Manifest::of(loaded, set)?.to_json())?;
    output::write_atomic(dir, "parameters.json", &fleetsim::report::parameters::of(&loaded.scenario).to_json())?;
    if outcome.latency.count() > 0 {
        output::write_atomic(dir, "latency.csv", &outcome.latency.cdf_csv())?;
    }
    Ok(())
}

/// A bar over the simulated horizon on stderr; hidden when stderr is not a terminal.
fn progress_bar(horizon_ns: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(horizon_ns), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("simulating {bar:40} {percent:>3}% of the horizon, ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}
