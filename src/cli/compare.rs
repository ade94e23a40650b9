//! `fleetsim compare`: several designs run on the same seeds and replications, written as a sweep
//! over a `design` axis plus `compare.csv` (paired differences against the first design) and, per
//! design, the pooled latency distributions (latency; TTFT and TPOT for LLM designs) and the time
//! series of the first replication.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use fleetsim::metrics::LatencyStats;
use fleetsim::output::manifest::{self, Manifest};
use fleetsim::output::{self, Staging, Target, write_atomic};
use fleetsim::scenario::{self, Axis};
use fleetsim::sweep::Plan;
use fleetsim::sweep::compare::{self, CompareLineage, Design};
use fleetsim::sweep::exec::{self, Cell};
use fleetsim::sweep::folder::{SweepFolder, SweepLineage};

use super::out::{note, say, sayln};
use super::{CompareArgs, Outcome};

/// Metrics the terminal table shows (compare.csv has them all).
const SERVING_METRICS: &[&str] = &[
    "cost_usd.total",
    "cost_usd.per_million_requests",
    "latency_s.p50",
    "latency_s.p99",
    "sla.violation_rate",
    "sla.met",
    "throughput.rps_per_usd_per_hour",
    "fleet.mean_replicas",
    "fleet.interruptions",
    "requests.retried",
    "requests.dropped",
];
const LLM_METRICS: &[&str] = &[
    "cost_usd.total",
    "cost_usd.per_million_output_tokens",
    "ttft_s.p90",
    "ttft_s.p99",
    "tpot_s.p99",
    "sla.attainment",
    "sla.ttft.met",
    "sla.tpot.met",
    "sla.e2e.met",
    "tokens.output_per_s",
    "kv.preemptions",
    "fleet.interruptions",
    "requests.retried",
    "requests.rejected",
    "requests.dropped",
];
const JOB_METRICS: &[&str] = &[
    "cost_usd.total",
    "job.makespan_s",
    "job.deadline_met",
    "job.lost_work_s",
    "job.interruptions",
    "job.checkpoints",
];

pub fn compare(args: &CompareArgs) -> Result<Outcome> {
    if args.threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    let (loaded, names) = designs(args)?;
    let is_job = loaded[0].scenario.job().is_some();
    if let Some(other) = loaded.iter().find(|l| l.scenario.job().is_some() != is_job) {
        let kind = |job: bool| if job { "a job" } else { "a serving fleet" };
        bail!(
            "{} is {} and {} is {}: different kinds; compare designs of one kind",
            loaded[0].path.display(),
            kind(is_job),
            other.path.display(),
            kind(!is_job)
        );
    }
    let replications = args.replications.unwrap_or(super::sweep::DEFAULT_REPLICATIONS);
    fleetsim::scenario::sweep::check_replications(replications).map_err(|m| anyhow::anyhow!("--replications: {m}"))?;
    let seed = args.seed.unwrap_or(loaded[0].scenario.seed);
    let plan = Plan::new(vec![Axis { key: "design".into(), values: names.clone() }], replications, seed)
        .map_err(anyhow::Error::msg)?;

    let mut cells = Vec::new();
    let mut trace_paths = Vec::new();
    for (l, name) in loaded.iter().zip(&names) {
        fleetsim::run::open_trace(&l.scenario).with_context(|| format!("design {name}"))?;
        fleetsim::trace::lengths::load(&l.scenario).with_context(|| format!("design {name}"))?;
        let market =
            fleetsim::trace::market::load(&l.scenario).with_context(|| format!("design {name}: spot traces"))?;
        for p in manifest::trace_paths(&l.scenario) {
            if !trace_paths.contains(&p) {
                trace_paths.push(p);
            }
        }
        cells.push(Some(Cell { scenario: l.scenario.clone(), market: Arc::new(market) }));
    }
    let mut man = Manifest::with_traces(&loaded[0], &args.set, &trace_paths)?;
    man.seed = seed;
    man.sweep = Some(SweepLineage {
        plan: plan.clone(),
        shard: None,
        runs: plan.runs(),
        objective: None,
        subject_to: Vec::new(),
        merged_from: Vec::new(),
    });
    man.compare = Some(CompareLineage {
        designs: loaded
            .iter()
            .zip(&names)
            .map(|(l, n)| Design {
                name: n.clone(),
                path: l.path.display().to_string(),
                sha256: manifest::sha256_hex(&l.bytes),
            })
            .collect(),
    });
    let label = format!("compare-{}", names.iter().map(|n| output::safe_name(n)).collect::<Vec<_>>().join("-vs-"));
    let mut inputs: Vec<PathBuf> = loaded.iter().map(|l| l.path.clone()).collect();
    inputs.extend(trace_paths.iter().cloned());
    let target = Target::open(args.out.as_deref(), args.force, &inputs, (&label, "compare"), Staging::WhenReplacing)?;
    let dir = target.dest().to_path_buf();
    if target.replaces() {
        note!("replacing {}: it stays as it is until this comparison completes", dir.display());
    }
    let work = target.work().to_path_buf();
    let mut folder = SweepFolder::create(&work, &man)?;
    let todo = plan.todo(None, &Default::default());
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    note!(
        "compare {}: {} designs × {replications} replications (seeds {seed}…{}) on {threads} threads into {}",
        names.join(" vs "),
        names.len(),
        plan.seed(replications - 1),
        dir.display()
    );

    let started = Instant::now();
    let bar =
        indicatif::ProgressBar::with_draw_target(Some(todo.len() as u64), indicatif::ProgressDrawTarget::stderr());
    let mut pooled: HashMap<usize, Pooled> = HashMap::new();
    let mut first: HashMap<usize, fleetsim::run::Outcome> = HashMap::new();
    exec::execute(&plan, &cells, &todo, threads.min(todo.len()), |f| {
        let design = f.row.id.cell;
        pooled.entry(design).or_insert_with(Pooled::new).add(&f.outcome);
        let replication = f.row.id.replication;
        folder.append(f.row).map_err(|e| format!("{e:#}"))?;
        if replication == 0 {
            first.insert(design, f.outcome);
        }
        bar.inc(1);
        Ok(())
    })
    .map_err(|e| anyhow::anyhow!(e))
    .with_context(|| match target.replaces() {
        true => format!("the comparison stopped; {} is left as it was", dir.display()),
        false => format!("the comparison stopped; the runs so far are in {}", dir.display()),
    })?;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();

    let rows = folder.rows.clone();
    folder.finish()?;
    let lines = compare::lines(&rows, names.len());
    write_atomic(&work, "compare.csv", &compare::csv(&lines, &names))?;
    // Not create_dir_all: a folder deleted by an interrupt must not be made again.
    let designs = work.join("designs");
    std::fs::create_dir(&designs).with_context(|| format!("cannot create {}", designs.display()))?;
    for (d, name) in names.iter().enumerate() {
        let sub = designs.join(output::safe_name(name));
        std::fs::create_dir(&sub).with_context(|| format!("cannot create {}", sub.display()))?;
        write_atomic(&sub, "parameters.json", &fleetsim::report::parameters::of(&loaded[d].scenario).to_json())?;
        if let Some(p) = pooled.get(&d) {
            for (file, dist) in [("latency.csv", &p.latency), ("ttft.csv", &p.ttft), ("tpot.csv", &p.tpot)] {
                if dist.count() > 0 {
                    write_atomic(&sub, file, &dist.cdf_csv())?;
                }
            }
        }
        if let Some(o) = first.get(&d) {
            write_atomic(&sub, "timeseries.csv", &o.timeseries.to_csv())?;
            write_atomic(&sub, "summary.json", &o.summary.to_json())?;
        }
    }
    let report = !args.no_report && super::report::draw(&work, &dir);
    let dir = target.commit()?;
    let is_llm = loaded.iter().any(|l| l.scenario.serving().is_some_and(|sv| sv.llm().is_some()));
    let metrics = match (is_job, is_llm) {
        (true, _) => JOB_METRICS,
        (false, true) => LLM_METRICS,
        (false, false) => SERVING_METRICS,
    };
    say!("{}", table(&lines, &names, metrics))?;
    let all_llm = loaded.iter().all(|l| l.scenario.serving().is_some_and(|sv| sv.llm().is_some()));
    if all_llm {
        say!("{}", ranking(&lines, &names, fleetsim::report::build::LLM_RANKING))?;
    }
    sayln!("{} runs in {wall:.1} s; wrote {}", todo.len(), dir.display())?;
    if report {
        super::report::announce(&dir)?;
    }
    Ok(Outcome::Ok)
}

/// The designs and their names: each scenario file (named by its `name`, `-2`, `-3`… when two
/// share one), or one file and a `--set` list (`llm.scheduler=vllm,chunked`: a design per value,
/// named `scheduler=vllm`, …).
fn designs(args: &CompareArgs) -> Result<(Vec<scenario::Loaded>, Vec<String>)> {
    if let [path] = args.scenarios.as_slice() {
        let (plain, axes) = super::sweep::split_set(&args.set)?;
        let [axis] = axes.as_slice() else {
            bail!(
                "compare needs at least two scenarios, or one scenario and one --set list that makes the designs \
                 (--set llm.scheduler=vllm,chunked){}",
                if axes.len() > 1 { &": more than one --set list is a grid: `fleetsim sweep` runs it" } else { "" }
            );
        };
        let leaf = axis.key.rsplit('.').next().unwrap_or(&axis.key);
        let mut loaded = Vec::new();
        for v in &axis.values {
            let mut set = plain.clone();
            set.push(format!("{}={v}", axis.key));
            loaded.push(scenario::load(path, &super::overrides(&set, None)?)?);
        }
        let names = axis.values.iter().map(|v| format!("{leaf}={v}")).collect();
        return Ok((loaded, names));
    }
    let overrides = super::overrides(&args.set, None)?;
    let mut loaded = Vec::new();
    for path in &args.scenarios {
        loaded.push(scenario::load(path, &overrides)?);
    }
    let mut names: Vec<String> = Vec::new();
    for l in &loaded {
        let mut name = l.scenario.name.clone();
        let mut k = 2;
        while names.contains(&name) {
            name = format!("{}-{k}", l.scenario.name);
            k += 1;
        }
        names.push(name);
    }
    Ok((loaded, names))
}

/// A design's distributions over all its runs: latency, and for LLM designs TTFT and TPOT.
struct Pooled {
    latency: LatencyStats,
    ttft: LatencyStats,
    tpot: LatencyStats,
}

impl Pooled {
    fn new() -> Pooled {
        Pooled { latency: LatencyStats::new(None), ttft: LatencyStats::new(None), tpot: LatencyStats::new(None) }
    }

    fn add(&mut self, o: &fleetsim::run::Outcome) {
        self.latency.add(&o.latency);
        if let Some(t) = &o.tokens {
            self.ttft.add(t.ttft());
            self.tpot.add(t.tpot());
        }
    }
}

/// `ranked by mean <metric>, lowest first …: 1. a $1.70; 2. b $1.92`, and why (LLM designs).
fn ranking(lines: &[compare::Line], names: &[String], metric: &str) -> String {
    let unit = fleetsim::report::build::unit_of(metric);
    let mut ranked: Vec<(&String, f64)> = lines
        .iter()
        .filter(|l| l.metric == metric)
        .filter_map(|l| Some((names.get(l.design)?, l.stats.mean)))
        .collect();
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
    let listed: Vec<String> =
        ranked.iter().enumerate().map(|(k, (n, v))| format!("{}. {n} {}", k + 1, unit.format(*v))).collect();
    format!(
        "ranked by mean {metric}, lowest first: {}\n{}\n",
        listed.join("; "),
        fleetsim::report::build::LLM_RANKING_WHY
    )
}

/// Metric rows, a column per design (mean and 95% CI) and per later design its paired difference.
fn table(lines: &[compare::Line], names: &[String], metrics: &[&str]) -> String {
    let mut header = vec!["metric".to_string()];
    for (k, n) in names.iter().enumerate() {
        header.push(n.clone());
        if k > 0 {
            header.push(format!("Δ {n} (paired)"));
        }
    }
    let mut rows = vec![header];
    for m in metrics {
        let unit = fleetsim::report::build::unit_of(m);
        let mut row = vec![m.to_string()];
        let mut any = false;
        for d in 0..names.len() {
            let l = lines.iter().find(|l| l.design == d && l.metric == *m);
            any |= l.is_some();
            row.push(l.map_or("–".into(), |l| unit.interval(l.stats.mean, l.stats.ci_low, l.stats.ci_high)));
            if d > 0 {
                row.push(l.and_then(|l| l.diff).map_or("–".into(), |s| {
                    let mark = if s.ci_low > 0.0 || s.ci_high < 0.0 { " *" } else { "" };
                    format!("{}{mark}", unit.signed_interval(s.mean, s.ci_low, s.ci_high))
                }));
            }
        }
        if any {
            rows.push(row);
        }
    }
    let widths: Vec<usize> =
        (0..rows[0].len()).map(|j| rows.iter().map(|r| r[j].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str("* the paired 95% interval excludes 0: a difference at 95% confidence on the same seeds\n");
    out
}
