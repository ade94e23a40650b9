//! The scenario as a whole: the top-level keys (name, seed, horizon, start, warmup), the
//! [`Workload`] the file describes — a serving system or a job — and the validation that checks
//! the top-level keys and calls each section's own (one file per section beside this one).
//!
//! Key names are the public contract of SPEC.md: add keys, never rename them.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::autoscaler::RawAutoscaler;
use super::billing::RawBilling;
use super::error::{Invalid, invalid};
use super::fleet::RawFleet;
use super::job::RawJob;
use super::limits::RawLimits;
use super::output::RawOutput;
use super::serving::batcher::RawBatcher;
use super::serving::router::RawRouter;
use super::serving::service::RawService;
use super::serving::workload::RawWorkload;
use super::spot::RawSpot;
use super::sweep::RawSweep;
use super::units::DurationValue;
use super::{
    Arrivals, Assertion, AutoscalerSpec, Billing, FleetSpec, JobPolicy, JobSpec, Limits, Market, Serving, SpotSpec,
    SweepSpec,
};
use crate::engine::Duration;
use crate::trace::requests::RequestFormat;

type Result<T> = std::result::Result<T, Invalid>;

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Scenario name, used for the output folder.
    pub name: String,
    /// Free text shown in reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Run seed; every random stream derives from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Arrivals stop at the horizon; the queue drains afterwards.
    pub horizon: DurationValue,
    /// The wall-clock instant of time 0 (RFC 3339), for weekends and time-of-day profiles and
    /// for traces with timestamps. Default 2024-01-01T00:00:00Z, a Monday.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Requests arriving before this are left out of latency/SLA statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<DurationValue>,
    /// Serving workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<RawWorkload>,
    /// Batch service times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<RawService>,
    /// Dynamic batcher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batcher: Option<RawBatcher>,
    /// How requests reach replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router: Option<RawRouter>,
    /// An LLM engine on every replica (replaces service and batcher).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<super::serving::llm::RawLlm>,
    /// LLMs added to (or overriding) the built-in model catalog, for `llm.model`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<super::serving::llm::models::RawModel>>,
    /// Pools of instances and instance-type overrides (serving scenarios).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<RawFleet>,
    /// A training or batch job (replaces workload, service, batcher, router and pools).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<RawJob>,
    /// What drives the pools that have min/max.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaler: Option<RawAutoscaler>,
    /// Spot markets: interruptions, prices, notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot: Option<RawSpot>,
    /// Billing granularity and minimum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing: Option<RawBilling>,
    /// Output options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<RawOutput>,
    /// Checks on the results, e.g. `"latency_s.p99 <= 0.25"`; a failed one makes the exit code 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assert: Option<Vec<String>>,
    /// The grid `fleetsim sweep` runs (ignored by `run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<RawSweep>,
    /// `limits:` what one run may use before it stops (or drops arrivals) with a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<RawLimits>,
}

/// A scenario ready to simulate.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Name, used for the output folder.
    pub name: String,
    /// Free text for reports.
    pub description: Option<String>,
    /// Run seed.
    pub seed: u64,
    /// Arrivals stop here; the queue drains afterwards.
    pub horizon: Duration,
    /// Requests arriving earlier are left out of latency and SLA statistics.
    pub warmup: Duration,
    /// The instant of time 0 (weekends, time-of-day profiles, timestamped traces).
    pub start: jiff::Timestamp,
    /// `start` when the scenario gives it: timestamped market traces are then read relative to
    /// it; otherwise each trace's first row is time 0.
    pub trace_start: Option<jiff::Timestamp>,
    /// Spot markets, when any pool is spot.
    pub spot: Option<SpotSpec>,
    /// What runs on the fleet: a serving system or a job.
    pub workload: Workload,
    /// Pools of instances.
    pub fleet: FleetSpec,
    /// What drives the autoscaled pools (pools with min/max), if any.
    pub autoscaler: Option<AutoscalerSpec>,
    /// How instance time is billed.
    pub billing: Billing,
    /// Row spacing of `timeseries.csv`.
    pub timeseries_interval: Duration,
    /// Checks on the results.
    pub asserts: Vec<Assertion>,
    /// Resource limits of a run.
    pub limits: Limits,
    /// The grid `fleetsim sweep` runs, when the file gives one.
    pub sweep: Option<SweepSpec>,
    /// Defaults the run relies on (catalog figures, fleetsim defaults), for `summary.json`.
    pub assumptions: Vec<crate::metrics::summary::Assumption>,
}

/// What a scenario runs: requests through a serving system, or one job. A file describes one or
/// the other (`job:` replaces workload, service, batcher, router and fleet.pools).
#[derive(Clone, Debug)]
pub enum Workload {
    /// The serving workload, service model, batcher and router.
    Serving(Serving),
    /// The training or batch job.
    Job(JobSpec),
}

impl Scenario {
    /// The serving system, in a serving scenario.
    pub fn serving(&self) -> Option<&Serving> {
        match &self.workload {
            Workload::Serving(sv) => Some(sv),
            Workload::Job(_) => None,
        }
    }

    /// The job, in a job scenario.
    pub fn job(&self) -> Option<&JobSpec> {
        match &self.workload {
            Workload::Job(job) => Some(job),
            Workload::Serving(_) => None,
        }
    }

    /// The request trace a serving scenario replays: path, format and speedup.
    pub fn request_trace(&self) -> Option<(&std::path::Path, RequestFormat, f64)> {
        match self.serving().map(|sv| &sv.arrivals) {
            Some(Arrivals::Trace { path, format, speedup }) => Some((path.as_path(), *format, *speedup)),
            _ => None,
        }
    }
}

/// Default seed when the file gives none.
pub const DEFAULT_SEED: u64 = 1;

/// Checks `raw` and builds the scenario. Relative trace paths resolve against `base_dir`.
pub fn validate(raw: &RawScenario, base_dir: &Path) -> Result<Scenario> {
    if raw.name.trim().is_empty() {
        return invalid("name", "must not be empty");
    }
    let horizon = raw.horizon.0;
    if horizon == Duration::ZERO {
        return invalid("horizon", "must be longer than 0, e.g. 1h");
    }
    let warmup = raw.warmup.map_or(Duration::ZERO, |w| w.0);
    if warmup >= horizon {
        return invalid("warmup", format!("{warmup} is not shorter than the horizon {horizon}"));
    }
    let start = match &raw.start {
        None => jiff::Timestamp::from_second(1_704_067_200).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
        Some(text) => text.parse::<jiff::Timestamp>().map_err(|e| Invalid {
            key: "start".into(),
            message: format!("expected an RFC 3339 instant such as 2024-01-01T00:00:00Z, found {text:?} ({e})"),
        })?,
    };
    let (fleet, job) = match (&raw.job, &raw.fleet) {
        (Some(j), fleet) => {
            for (key, present) in [
                ("workload", raw.workload.is_some()),
                ("service", raw.service.is_some()),
                ("batcher", raw.batcher.is_some()),
                ("router", raw.router.is_some()),
                ("llm", raw.llm.is_some()),
                ("models", raw.models.is_some()),
                ("fleet.pools", fleet.as_ref().is_some_and(|f| !f.pools.is_empty())),
                ("autoscaler", raw.autoscaler.is_some()),
            ] {
                if present {
                    return invalid(
                        key,
                        "a job scenario has no serving keys: `job` replaces workload, service, batcher, router and fleet.pools",
                    );
                }
            }
            let types = fleet.as_ref().and_then(|f| f.instance_types.as_deref()).unwrap_or_default();
            super::fleet::instance::instance_types(types)?;
            let job = super::job::job(j, types, raw.spot.as_ref(), horizon)?;
            (FleetSpec { pools: Vec::new() }, Some(job))
        }
        (None, Some(f)) => (super::fleet::fleet(f, raw.spot.as_ref())?, None),
        (None, None) => return invalid("fleet", "missing: a serving scenario needs `fleet.pools` (or give a `job`)"),
    };
    let any_spot = fleet.pools.iter().any(|p| p.market == Market::Spot)
        || job.as_ref().is_some_and(|j| j.policy != JobPolicy::OnDemand);
    let autoscaler = super::autoscaler::autoscaler(raw.autoscaler.as_ref(), &fleet.pools, raw.llm.is_some())?;
    let spot = super::spot::spot(raw.spot.as_ref(), base_dir, any_spot)?;
    let timeseries_interval = super::output::timeseries_interval(raw.output.as_ref(), horizon, fleet.pools.len())?;
    let mut fleet = fleet;
    let workload = match job {
        Some(job) => Workload::Job(job),
        None => Workload::Serving(super::serving::serving(raw, base_dir, &mut fleet.pools)?),
    };
    let mut scenario = Scenario {
        name: raw.name.trim().to_string(),
        description: raw.description.clone(),
        seed: raw.seed.unwrap_or(DEFAULT_SEED),
        horizon,
        warmup,
        start,
        trace_start: raw.start.as_ref().map(|_| start),
        spot,
        workload,
        fleet,
        autoscaler,
        billing: super::billing::billing(raw.billing.as_ref())?,
        timeseries_interval,
        asserts: super::assertions::asserts(raw.assert.as_deref().unwrap_or_default())?,
        limits: super::limits::limits(raw.limits.as_ref())?,
        sweep: super::sweep::sweep(raw.sweep.as_ref())?,
        assumptions: Vec::new(),
    };
    super::limits::event_budget(&scenario)?;
    scenario.assumptions = super::assumptions::assumptions(raw, &scenario);
    Ok(scenario)
}
