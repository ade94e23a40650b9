//! `fleetsim validate`: load and check a scenario, read its traces through, simulate nothing.

use anyhow::{Context, Result};
use fleetsim::scenario::ScalerSpec;
use fleetsim::trace::requests;

use super::out::{say, sayln};
use super::{Outcome, ValidateArgs};

pub fn validate(args: &ValidateArgs) -> Result<Outcome> {
    let overrides = super::overrides(&args.scenario.set, args.scenario.seed)?;
    let loaded = fleetsim::scenario::load(&args.scenario.scenario, &overrides)?;
    let s = &loaded.scenario;
    let sweep = check_sweep(&loaded, &overrides)?;
    if let Some((path, format, speedup)) = s.request_trace() {
        let (n, last) = requests::scan(path, format, speedup).context("request trace")?;
        sayln!("trace {}: {n} requests over {:.1} s", path.display(), last.as_secs_f64())?;
        fleetsim::run::open_trace(s).context("request trace")?;
    }
    for (src, rows) in &fleetsim::trace::lengths::load(s).context("workload.tokens")?.rows {
        sayln!("token lengths {}: {} rows to resample", src.path.display(), rows.len())?;
    }
    let market = fleetsim::trace::market::load(s).context("spot traces")?;
    let label = |zone: &str, instance: &str| {
        if instance.is_empty() { zone.to_string() } else { format!("{zone} ({instance})") }
    };
    for ((zone, instance), series) in &market.availability {
        sayln!("availability {}: {} changes", label(zone, instance), series.points().count())?;
    }
    for ((zone, instance), series) in &market.prices {
        sayln!("spot price {}: {} changes", label(zone, instance), series.points().count())?;
    }
    if let Some(job) = s.job() {
        let interval = match job.interval {
            fleetsim::scenario::CheckpointInterval::Every(d) => format!("every {d}"),
            fleetsim::scenario::CheckpointInterval::None => "none".into(),
            fleetsim::scenario::CheckpointInterval::Continuous => "continuous".into(),
        };
        sayln!(
            "{}: ok — job scenario {:?}, seed {}, horizon {}, work {} on a gang of {} × {}, policy {}, checkpoints {}, deadline {}",
            loaded.path.display(),
            s.name,
            s.seed,
            s.horizon,
            job.work,
            job.gang,
            job.instance.name,
            job.policy.as_str(),
            interval,
            job.deadline
        )?;
        say!("{sweep}")?;
        return Ok(Outcome::Ok);
    }
    let n_instances: u32 = s.fleet.pools.iter().map(|p| p.count).sum();
    let llm = s.serving().and_then(|sv| sv.llm());
    let per = |p: usize| llm.map_or(1, |l| l.pools[p].replicas_per_instance);
    let n_replicas: u32 = s.fleet.pools.iter().enumerate().map(|(i, p)| p.count * per(i)).sum();
    // An LLM pool's instance may host several replicas (GPUs / tensor_parallel).
    let fleet = if n_replicas == n_instances {
        format!("{n_replicas} replica(s)")
    } else {
        format!("{n_instances} instance(s) hosting {n_replicas} replica(s)")
    };
    let scaling = match &s.autoscaler {
        None => String::new(),
        Some(a) => {
            let max: u32 = s.fleet.pools.iter().map(|p| p.scaling.map_or(p.count, |b| b.max)).sum();
            let by = match &a.scaler {
                Some(ScalerSpec::Hpa(_)) => "hpa",
                Some(ScalerSpec::Queue(_)) => "queue",
                Some(ScalerSpec::Kpa(_)) => "kpa",
                None => "schedule",
            };
            format!(" at time 0, up to {max} driven by {by}")
        }
    };
    sayln!(
        "{}: ok — scenario {:?}, seed {}, horizon {}, {} pool(s), {fleet}{scaling}",
        loaded.path.display(),
        s.name,
        s.seed,
        s.horizon,
        s.fleet.pools.len(),
    )?;
    say!("{sweep}")?;
    Ok(Outcome::Ok)
}

/// The scenario's `sweep:` section: every cell must validate; a line with the grid's size.
fn check_sweep(loaded: &fleetsim::scenario::Loaded, overrides: &[fleetsim::scenario::Override]) -> Result<String> {
    let Some(spec) = &loaded.scenario.sweep else { return Ok(String::new()) };
    let replications = spec.replications.unwrap_or(super::sweep::DEFAULT_REPLICATIONS);
    let plan = fleetsim::sweep::Plan::new(spec.axes.clone(), replications, loaded.scenario.seed)
        .map_err(anyhow::Error::msg)?;
    fleetsim::sweep::exec::validate_cells(loaded, overrides, &plan, |_| false)?;
    let axes: Vec<String> = plan.axes.iter().map(|a| format!("{} ({} values)", a.key, a.values.len())).collect();
    Ok(format!(
        "sweep: {} cells × {} replications = {} runs; every cell validates{}\n",
        plan.cells(),
        plan.replications,
        plan.runs(),
        if axes.is_empty() { String::new() } else { format!("; axes {}", axes.join(", ")) }
    ))
}
