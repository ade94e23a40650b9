//! `fleetsim run`: load, simulate, write the run folder, print the summary, check assertions.

use std::time::Instant;

use anyhow::{Context, Result};
use fleetsim::engine::SimTime;
use fleetsim::output::{self, Staging, Target, manifest};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::out::{note, say, sayln};
use super::{Outcome, RunArgs, notes, table};

pub fn run(args: &RunArgs) -> Result<Outcome> {
    let loaded = super::load(&args.scenario)?;
    let s = &loaded.scenario;
    if s.sweep.is_some() {
        note!(
            "warning: {} has a sweep: section, which `fleetsim run` leaves aside: this runs its base scenario once; \
             `fleetsim sweep {}` runs the grid",
            args.scenario.scenario.display(),
            args.scenario.scenario.display()
        );
    }
    // The folder is checked (and its name taken) before the run, not after an hour of it. The
    // files are written into a staging folder beside it and moved into place together: the folder
    // holds all of them or none, and a folder --force replaces stays as it was until then.
    let target = Target::open(
        args.out.as_deref(),
        args.force,
        &super::inputs(&loaded),
        (&s.name, &format!("seed{}", s.seed)),
        Staging::Always,
    )?;
    let market = fleetsim::trace::market::load(s).context("spot traces")?;
    let started = Instant::now();
    let bar = progress_bar(s.horizon.as_nanos());
    let mut on_progress = |now: SimTime| bar.set_position(now.0.min(s.horizon.as_nanos()));
    let mut outcome = fleetsim::run::simulate(s, &market, &mut on_progress)?;
    bar.finish_and_clear();
    for warning in &outcome.warnings {
        note!("warning: {warning}");
    }
    outcome.summary.engine.wall_s = started.elapsed().as_secs_f64();

    write_run(target.work(), &loaded, &args.scenario.set, &outcome)
        .with_context(|| format!("nothing was written to {}", target.dest().display()))?;
    let report = !args.no_report && super::report::draw(target.work(), target.dest());
    let dir = target.commit()?;

    let checks = table::check_asserts(s, &outcome.summary);
    if args.json {
        say!("{}", String::from_utf8_lossy(&outcome.summary.to_json()))?;
        note!("wrote {}", dir.display());
    } else {
        say!("{}", table::render(s, &outcome.summary))?;
        say!("{}", notes::price_notes(s, &outcome.summary))?;
        say!("{}", table::render_asserts(&checks))?;
        say!("{}", notes::assumptions(&outcome.summary))?;
        sayln!("wrote {}", dir.display())?;
        if report {
            super::report::announce(&dir)?;
        }
    }
    Ok(if checks.iter().all(|c| c.passed) { Outcome::Ok } else { Outcome::AssertFailed })
}

/// The run folder's files, into `dir`.
fn write_run(
    dir: &std::path::Path,
    loaded: &fleetsim::scenario::Loaded,
    set: &[String],
    outcome: &fleetsim::run::Outcome,
) -> Result<()> {
    output::write_atomic(dir, "summary.json", &outcome.summary.to_json())?;
    output::write_atomic(dir, "timeseries.csv", &outcome.timeseries.to_csv())?;
    output::write_atomic(dir, "manifest.json", &manifest::Manifest::of(loaded, set)?.to_json())?;
    output::write_atomic(dir, "parameters.json", &fleetsim::report::parameters::of(&loaded.scenario).to_json())?;
    if outcome.latency.count() > 0 {
        output::write_atomic(dir, "latency.csv", &outcome.latency.cdf_csv())?;
    }
    if let Some(t) = &outcome.tokens {
        for (file, dist) in [("ttft.csv", t.ttft()), ("tpot.csv", t.tpot())] {
            if dist.count() > 0 {
                output::write_atomic(dir, file, &dist.cdf_csv())?;
            }
        }
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
