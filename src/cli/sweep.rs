//! `fleetsim sweep` and `fleetsim merge`: build the grid, run what is missing in parallel, write
//! the folder, print the cells and the best one.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use fleetsim::metrics::summary::METRIC_KEYS;
use fleetsim::output::{self, Staging, Target, manifest::Manifest};
use fleetsim::scenario::parse_assertion;
use fleetsim::scenario::sweep::{check_axis_key, check_replications, expand};
use fleetsim::scenario::{self, Assertion, Axis, Goal, Objective, Override};
use fleetsim::sweep::exec;
use fleetsim::sweep::folder::{SweepFolder, SweepLineage};
use fleetsim::sweep::{Plan, Shard, merge};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::out::{note, say, sayln};
use super::sweep_table::{num, render};
use super::{MergeArgs, Outcome, SweepArgs};

/// Replications per cell when neither `--replications` nor `sweep.replications` says.
pub const DEFAULT_REPLICATIONS: u32 = 10;

/// Most threads `--threads` may ask for.
const MAX_THREADS: usize = 1024;

pub fn sweep(args: &SweepArgs) -> Result<Outcome> {
    let (base_set, set_axes) = split_set(&args.set)?;
    let overrides = super::overrides(&base_set, args.seed)?;
    let loaded = scenario::load(&args.scenario, &overrides)?;
    let base = &loaded.scenario;
    let spec = base.sweep.clone().unwrap_or_default();
    let replications = args.replications.or(spec.replications).unwrap_or(DEFAULT_REPLICATIONS);
    check_replications(replications).map_err(|m| anyhow!("--replications: {m}"))?;
    let plan =
        Plan::new(grid(&spec.axes, &base_set, &set_axes)?, replications, base.seed).map_err(anyhow::Error::msg)?;
    let (objective, constraints) = objective(args, spec.objective, spec.constraints)?;
    let shard = args.shard.as_deref().map(Shard::parse).transpose().map_err(anyhow::Error::msg)?;
    let threads = match args.threads {
        Some(0) => bail!("--threads must be at least 1"),
        Some(n) if n > MAX_THREADS => bail!("--threads must be at most {MAX_THREADS}"),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    if args.resume && args.out.is_none() {
        bail!("--resume needs --out DIR: the folder of the sweep to finish");
    }

    // Every cell is validated before anything is written, so a bad value leaves no folder behind;
    // only this shard's cells are kept.
    let in_shard = |cell: usize| {
        shard.is_none_or(|s| {
            (0..plan.replications).any(|r| s.holds(plan.run_index(fleetsim::sweep::RunId { cell, replication: r })))
        })
    };
    let validated = exec::validate_cells(&loaded, &overrides, &plan, in_shard)?;
    let infeasible = &validated.infeasible;
    if let Some((cell, why)) = infeasible.first() {
        let label = plan.cell_label(*cell);
        if shard.is_some() {
            bail!(
                "sweep cell {cell} ({label}) cannot run: {why}; a sharded sweep needs every cell to run: leave it out of the grid"
            );
        }
        if infeasible.len() == plan.cells() {
            bail!("no cell of the sweep can run; cell {cell} ({label}): {why}");
        }
    }
    let n_infeasible_runs = infeasible.len() as u64 * u64::from(plan.replications);
    let mut manifest = Manifest::with_traces(&loaded, &base_set, &validated.trace_paths)?;
    manifest.sweep = Some(SweepLineage {
        plan: plan.clone(),
        shard,
        runs: plan.runs_in(shard) - n_infeasible_runs,
        objective: objective.clone(),
        subject_to: constraints.iter().map(|a| a.text.clone()).collect(),
        merged_from: Vec::new(),
    });
    if let Some(dir) = args.out.as_deref().filter(|d| !args.force && !args.resume && d.join("manifest.json").exists()) {
        output::lock::hold_existing(dir)?; // a sweep writing it now is named as such
        bail!(
            "{} already holds fleetsim results; fleetsim never overwrites them: add --resume to finish a sweep there, --force to replace them, or choose another --out",
            dir.display()
        );
    }
    let resume_dir = args.out.as_deref().filter(|d| args.resume && d.join("manifest.json").exists());
    let (target, mut folder) = match resume_dir {
        Some(dir) => (None, SweepFolder::resume(dir, &manifest)?),
        None => {
            let mut inputs = vec![loaded.path.clone()];
            inputs.extend(validated.trace_paths.iter().cloned());
            let target =
                Target::open(args.out.as_deref(), args.force, &inputs, (&base.name, "sweep"), Staging::WhenReplacing)?;
            if args.resume {
                note!("nothing to resume in {}: starting the sweep there", target.dest().display());
            }
            if target.replaces() {
                note!("replacing {}: it stays as it is until this sweep completes", target.dest().display());
            }
            let folder = SweepFolder::create(target.work(), &manifest)?;
            (Some(target), folder)
        }
    };
    for line in &folder.notes {
        note!("{line}");
    }
    let dest = target.as_ref().map_or_else(|| folder.dir.clone(), |t| t.dest().to_path_buf());
    // What the report says of the base scenario (its key parameters and checks).
    output::write_atomic(&folder.dir, "parameters.json", &fleetsim::report::parameters::of(base).to_json())?;
    let todo: Vec<_> = plan
        .todo(shard, &folder.done())
        .into_iter()
        .filter(|id| !infeasible.iter().any(|(cell, _)| *cell == id.cell))
        .collect();
    if !infeasible.is_empty() {
        output::write_atomic(&folder.dir, "infeasible.csv", &infeasible_csv(&plan, infeasible)?)?;
    }
    let cells = exec::attach_markets(&plan, validated.scenarios, &todo)?;
    let threads = threads.min(todo.len().max(1));

    let mut head = format!(
        "sweep {}: {} cells × {} replications = {} runs",
        base.name,
        plan.cells(),
        plan.replications,
        plan.runs()
    );
    if !infeasible.is_empty() {
        let _ = write!(head, "; {} cells cannot run (infeasible.csv)", infeasible.len());
    }
    if let Some(s) = shard {
        let _ = write!(head, "; shard {s} holds {}", plan.runs_in(shard));
    }
    if !folder.rows.is_empty() {
        let _ = write!(head, "; {} already done", folder.rows.len());
    }
    note!("{head}; running {} on {threads} threads into {}", todo.len(), dest.display());

    let started = Instant::now();
    let bar = progress_bar(todo.len() as u64, objective.is_some());
    let mut leader = Leader::new(&plan, objective.as_ref(), &constraints, &folder.rows);
    let mut warnings: HashMap<String, u64> = HashMap::new();
    let result = exec::execute(&plan, &cells, &todo, threads, |finished| {
        for w in finished.outcome.warnings {
            *warnings.entry(w).or_default() += 1;
        }
        leader.add(&finished.row);
        folder.append(finished.row).map_err(|e| format!("{e:#}"))?;
        bar.inc(1);
        if let Some(msg) = leader.message() {
            bar.set_message(msg);
        }
        Ok(())
    });
    bar.finish_and_clear();
    print_warnings(&warnings);
    if let Err(e) = result {
        if target.as_ref().is_some_and(Target::replaces) {
            // Dropping the target deletes the new sweep's staging folder.
            return Err(anyhow!(e)).context(format!(
                "the sweep stopped; {} is left as it was (the new sweep's {} finished runs are discarded)",
                dest.display(),
                folder.rows.len()
            ));
        }
        return Err(anyhow!(e)).context(format!(
            "the sweep stopped; {} finished runs are kept in {} (add --resume --out {} to the same command to finish it)",
            folder.rows.len(),
            dest.display(),
            dest.display()
        ));
    }
    let wall = started.elapsed().as_secs_f64();
    if !folder.complete() {
        bail!(
            "the sweep ended with {} of its {} runs; run it again with --resume",
            folder.rows.len(),
            folder.lineage.runs
        );
    }
    let failed_asserts = check_asserts(&plan, &base.asserts, &folder.rows);
    let work = folder.dir.clone();
    let lineage = folder.lineage.clone();
    let results = folder.finish()?;
    let report = lineage.shard.is_none() && !args.no_report && super::report::draw(&work, &dest);
    let dir = match target {
        Some(t) => t.commit()?,
        None => dest,
    };
    if let Some(s) = lineage.shard {
        sayln!(
            "shard {s}: {} runs of {} cells; `fleetsim merge` the shard folders for the sweep's summary and best cell",
            lineage.runs,
            results.cells.len()
        )?;
    } else {
        say!("{}", render(&lineage, &results, &constraints))?;
        for (cell, why) in infeasible {
            sayln!("infeasible, not run: {}: {why}", plan.cell_label(*cell))?;
        }
    }
    sayln!(
        "{} runs in {wall:.1} s on {threads} threads ({:.1} runs/s); wrote {}",
        todo.len(),
        todo.len() as f64 / wall.max(1e-9),
        dir.display()
    )?;
    for line in failed_asserts {
        note!("warning: {line}");
    }
    if report {
        super::report::announce(&dir)?;
    }
    Ok(Outcome::Ok)
}

pub fn merge(args: &MergeArgs) -> Result<Outcome> {
    // Everything is checked, and the merge built, in a staging folder: a refused merge leaves
    // nothing behind, and a folder --force replaces stays as it was until the merge is complete.
    let target = Target::open(Some(&args.out), args.force, &args.dirs, ("merge", "merge"), Staging::Always)?;
    let (lineage, results) = merge::merge(&args.dirs, target.work())?;
    if let Some(Ok(p)) = args.dirs.first().map(|d| std::fs::read(d.join("parameters.json"))) {
        output::write_atomic(target.work(), "parameters.json", &p)?;
    }
    let report = super::report::draw(target.work(), target.dest());
    let dir = target.commit()?;
    let constraints = lineage.subject_to.iter().filter_map(|t| parse_assertion(t).ok()).collect::<Vec<_>>();
    say!("{}", render(&lineage, &results, &constraints))?;
    sayln!("merged {} folders, {} runs; wrote {}", args.dirs.len(), lineage.runs, dir.display())?;
    if report {
        super::report::announce(&dir)?;
    }
    Ok(Outcome::Ok)
}

/// Splits `--set` into plain overrides (one value, normalized: `10m..10m:1m` is `10m`) and grid
/// axes (a comma list or a range). A key may be given once.
/// `infeasible.csv`: the cells that cannot run, their axis values and why.
fn infeasible_csv(plan: &Plan, infeasible: &[(usize, String)]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["cell".to_string()];
    header.extend(plan.axes.iter().map(|a| a.key.clone()));
    header.push("reason".into());
    w.write_record(&header)?;
    for (cell, why) in infeasible {
        let mut row = vec![cell.to_string()];
        row.extend(plan.cell_values(*cell).into_iter().map(|v| v.to_string()));
        row.push(why.clone());
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| anyhow!("{e}"))
}

pub(super) fn split_set(set: &[String]) -> Result<(Vec<String>, Vec<Axis>)> {
    let mut plain = Vec::new();
    let mut axes: Vec<Axis> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for arg in set {
        let o = Override::parse(arg).map_err(anyhow::Error::msg)?;
        let key = o.canonical_key();
        if seen.contains(&key) {
            bail!("--set {arg:?}: {key} is set twice; give each key once (a comma list makes it a grid axis)");
        }
        seen.push(key.clone());
        let mut values = expand(&o.text).map_err(|m| anyhow!("--set {arg:?}: {m}"))?;
        if values.len() == 1 {
            plain.push(format!("{}={}", o.key, values.remove(0)));
            continue;
        }
        check_axis_key(&key).map_err(|m| anyhow!("--set {arg:?}: {m}"))?;
        axes.push(Axis { key, values });
    }
    Ok((plain, axes))
}

/// The grid: the file's axes, less those a one-value `--set` pins, with the `--set` axes replacing
/// or joining them.
fn grid(file: &[Axis], plain: &[String], set_axes: &[Axis]) -> Result<Vec<Axis>> {
    let pinned: Vec<String> = plain
        .iter()
        .map(|p| Override::parse(p).map(|o| o.canonical_key()))
        .collect::<Result<_, _>>()
        .map_err(anyhow::Error::msg)?;
    let file: Vec<Axis> = file.iter().filter(|a| !pinned.contains(&a.key)).cloned().collect();
    Ok(Plan::combine_axes(&file, set_axes))
}

/// The objective and constraints: the command line's replace the file's.
fn objective(
    args: &SweepArgs,
    file_objective: Option<Objective>,
    file_constraints: Vec<Assertion>,
) -> Result<(Option<Objective>, Vec<Assertion>)> {
    let objective = if args.minimize.is_some() || args.maximize.is_some() {
        scenario::sweep::objective(args.minimize.as_deref(), args.maximize.as_deref())
            .map_err(|(key, m)| anyhow!("--{}: {m}", key.trim_start_matches("sweep.")))?
    } else {
        file_objective
    };
    let constraints = if args.subject_to.is_empty() {
        file_constraints
    } else {
        args.subject_to
            .iter()
            .map(|t| parse_assertion(t).map_err(|m| anyhow!("--subject-to: {m}")))
            .collect::<Result<Vec<_>>>()?
    };
    if objective.is_none() && !constraints.is_empty() {
        bail!(
            "--subject-to needs --minimize METRIC or --maximize METRIC: constraints pick among cells for an objective"
        );
    }
    Ok((objective, constraints))
}

/// Runs done, ETA and (with an objective, on a line of its own) the best cell so far on stderr;
/// hidden when stderr is not a terminal.
fn progress_bar(runs: u64, with_best: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(runs), ProgressDrawTarget::stderr());
    let line = "{bar:30} {pos}/{len} runs, {elapsed} elapsed, ETA {eta}";
    let template = if with_best { format!("{{wide_msg}}\n{line}") } else { line.to_string() };
    bar.set_style(ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// The scenario's `assert:` checked in every run: a line per assertion that some runs failed.
/// A sweep explores designs that may fail them, so these are warnings (the exit code stays 0).
fn check_asserts(plan: &Plan, asserts: &[Assertion], rows: &[fleetsim::sweep::runs::RunRow]) -> Vec<String> {
    let mut out = Vec::new();
    for a in asserts {
        let Some(m) = METRIC_KEYS.iter().position(|k| *k == a.metric) else { continue };
        let failed: Vec<&fleetsim::sweep::runs::RunRow> =
            rows.iter().filter(|r| !r.metrics[m].is_some_and(|v| a.op.holds(v, a.value))).collect();
        let Some(first) = failed.iter().min_by_key(|r| r.id) else { continue };
        let cells: std::collections::BTreeSet<usize> = failed.iter().map(|r| r.id.cell).collect();
        out.push(format!(
            "assert {:?} failed in {} of {} runs, in {} cells (first: {}, seed {})",
            a.text,
            failed.len(),
            rows.len(),
            cells.len(),
            plan.cell_label(first.id.cell),
            first.seed
        ));
    }
    out
}

fn print_warnings(warnings: &HashMap<String, u64>) {
    let mut list: Vec<_> = warnings.iter().collect();
    list.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (text, n) in list.iter().take(10) {
        note!("warning ({n} runs): {text}");
    }
    if list.len() > 10 {
        note!("… and {} other warnings", list.len() - 10);
    }
}

/// Running cell means of the objective and constraint metrics, for the progress bar.
struct Leader<'a> {
    plan: &'a Plan,
    objective: Option<&'a Objective>,
    constraints: &'a [Assertion],
    /// Metric indexes: objective first, then constraints.
    metrics: Vec<usize>,
    /// Per cell, per tracked metric: (count, sum).
    sums: Vec<Vec<(u64, f64)>>,
    shown: Option<Instant>,
}

impl<'a> Leader<'a> {
    fn new(
        plan: &'a Plan,
        objective: Option<&'a Objective>,
        constraints: &'a [Assertion],
        done: &[fleetsim::sweep::runs::RunRow],
    ) -> Leader<'a> {
        let index = |m: &str| METRIC_KEYS.iter().position(|k| *k == m).unwrap_or(0);
        let metrics: Vec<usize> =
            objective.iter().map(|o| index(&o.metric)).chain(constraints.iter().map(|a| index(&a.metric))).collect();
        let mut leader = Leader {
            plan,
            objective,
            constraints,
            sums: vec![vec![(0, 0.0); metrics.len()]; plan.cells()],
            metrics,
            shown: None,
        };
        for row in done {
            leader.add(row);
        }
        leader
    }

    fn add(&mut self, row: &fleetsim::sweep::runs::RunRow) {
        for (slot, &m) in self.sums[row.id.cell].iter_mut().zip(&self.metrics) {
            if let Some(v) = row.metrics[m] {
                slot.0 += 1;
                slot.1 += v;
            }
        }
    }

    /// The best cell so far, at most four times a second.
    fn message(&mut self) -> Option<String> {
        let objective = self.objective?;
        if self.shown.is_some_and(|t| t.elapsed() < Duration::from_millis(250)) {
            return None;
        }
        self.shown = Some(Instant::now());
        let mean = |(n, sum): (u64, f64)| (n > 0).then(|| sum / n as f64);
        let best = self
            .sums
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                self.constraints
                    .iter()
                    .zip(&s[1..])
                    .all(|(a, &slot)| mean(slot).is_some_and(|v| a.op.holds(v, a.value)))
            })
            .filter_map(|(cell, s)| mean(s[0]).map(|v| (cell, v)))
            .min_by(|a, b| {
                let order = a.1.total_cmp(&b.1);
                if objective.goal == Goal::Maximize { order.reverse() } else { order }
            });
        Some(match best {
            Some((cell, v)) => {
                // Short keys, value first: the line is cut at the terminal's width.
                let cell: Vec<String> = self
                    .plan
                    .axes
                    .iter()
                    .zip(self.plan.cell_values(cell))
                    .map(|(a, v)| format!("{}={v}", a.key.rsplit('.').next().unwrap_or(&a.key)))
                    .collect();
                format!("best so far: {} ({} {})", cell.join(" "), num(v), objective.metric)
            }
            None => "no cell meets the constraints yet".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_splits_into_overrides_and_axes() {
        let (plain, axes) = split_set(&[
            "batcher.max_wait=5ms".into(),
            "batcher.max_batch_size=1..8:x2".into(),
            "fleet.pools[0].count=2,4".into(),
            "job.checkpoint.interval=10m..10m:1m".into(),
        ])
        .unwrap();
        assert_eq!(plain, ["batcher.max_wait=5ms", "job.checkpoint.interval=10m"], "one value: a plain override");
        let keys: Vec<_> = axes.iter().map(|a| (a.key.as_str(), a.values.len())).collect();
        assert_eq!(keys, [("batcher.max_batch_size", 4), ("fleet.pools[0].count", 2)]);
        assert!(split_set(&["seed=1,2".into()]).unwrap_err().to_string().contains("replications"));
        assert!(split_set(&["a.b=1,2".into(), "a.b=3,4".into()]).unwrap_err().to_string().contains("once"));
        assert!(split_set(&["a.b=3".into(), "a.b=1,2".into()]).unwrap_err().to_string().contains("set twice"));
        assert!(split_set(&["a.b[0]=3".into(), "a.b.0=1,2".into()]).unwrap_err().to_string().contains("set twice"));
        let (plain, axes) = split_set(&["x.path=../a.csv".into(), "k=5m..5m:1m".into()]).unwrap();
        assert_eq!((plain, axes.len()), (vec!["x.path=../a.csv".to_string(), "k=5m".to_string()], 0));
    }

    #[test]
    fn a_one_value_set_pins_a_file_axis() {
        let axis = |k: &str, v: &[&str]| Axis { key: k.into(), values: v.iter().map(|s| s.to_string()).collect() };
        let file = [axis("a", &["1", "2"]), axis("b.c[0]", &["x", "y"])];
        let g = grid(&file, &["b.c.0=z".into()], &[axis("d", &["3", "4"])]).unwrap();
        let keys: Vec<_> = g.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, ["a", "d"]);
    }
}
