//! `job:` — a training or batch job: work, gang, zones, deadline, policy, overheads and
//! checkpointing, with `young` and `daly` intervals resolved from the gang's hazard
//! ([`crate::job::interval`]).

use serde::{Deserialize, Serialize};

use super::Market;
use super::error::{Invalid, invalid};
use super::fleet::instance::InstanceSpec;
use super::fleet::{RawInstanceType, RawMarket, RawPool, RawZoneStrategy, ZoneStrategy};
use super::spot::{RawInterruptions, RawSpot};
use super::units::DurationValue;
use crate::engine::Duration;
use crate::job::interval::{daly_interval, young_interval};

type Result<T> = std::result::Result<T, Invalid>;

/// `job:`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawJob {
    /// Compute time needed at speed 1.0.
    pub work: DurationValue,
    /// Instances that must all run (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gang: Option<u32>,
    /// Instance type.
    pub instance: String,
    /// Zones where spot may be taken (default one zone, `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<Vec<String>>,
    /// Where a new spot gang goes: `stay`, `cheapest` (default) or `most_available`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_policy: Option<RawZoneStrategy>,
    /// Deadline from time 0 (default: the horizon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DurationValue>,
    /// `on_demand`, `spot_only`, `greedy` or `uniform_progress` (default spot_only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<RawJobPolicy>,
    /// Each launch, the first included: billed, no progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_overhead: Option<DurationValue>,
    /// Checkpointing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<RawCheckpoint>,
}

/// Job placement policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawJobPolicy {
    /// Always on demand.
    OnDemand,
    /// Spot when obtainable, else wait.
    SpotOnly,
    /// Spot until the deadline forces on-demand.
    Greedy,
    /// Can't Be Late's uniform progress.
    UniformProgress,
}

/// `checkpoint:`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheckpoint {
    /// A duration, or `young`, `daly`, `none`, `continuous`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Time to write a checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<DurationValue>,
    /// Time to restore one after a restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<DurationValue>,
    /// `emergency` or `ignore` (default ignore).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_notice: Option<RawOnNotice>,
}

/// What a notice does to a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawOnNotice {
    /// Write a checkpoint inside the notice window when it fits.
    Emergency,
    /// Keep computing until the stop.
    Ignore,
}

/// A long job on spot and on-demand capacity.
#[derive(Clone, Debug, PartialEq)]
pub struct JobSpec {
    /// Compute time needed at speed 1.0.
    pub work: Duration,
    /// Instances that must all run.
    pub gang: u32,
    /// Instance type.
    pub instance: InstanceSpec,
    /// Zones where spot may be taken.
    pub zones: Vec<String>,
    /// How a spot gang picks its zone.
    pub zone_policy: ZoneStrategy,
    /// Deadline from time 0.
    pub deadline: Duration,
    /// Placement policy.
    pub policy: JobPolicy,
    /// Each launch: billed, no progress.
    pub restart_overhead: Duration,
    /// When to checkpoint.
    pub interval: CheckpointInterval,
    /// Time to write a checkpoint.
    pub write: Duration,
    /// Time to restore after a restart (when there is a checkpoint).
    pub restore: Duration,
    /// Write a checkpoint inside the notice window when it fits.
    pub emergency: bool,
    /// Spot price where no trace gives one, USD per instance-hour; `None` when `spot.price` is a
    /// trace and the catalog has no reference discount (every zone then has a price series).
    pub spot_price: Option<f64>,
    /// On-demand price, USD per instance-hour.
    pub on_demand_price: f64,
    /// Interruptions per instance-hour (hazard model); the gang's is `gang` times this.
    pub interruptions_per_hour: f64,
    /// Warning before a spot gang is reclaimed.
    pub notice: Duration,
}

/// Job placement policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobPolicy {
    /// Always on demand.
    OnDemand,
    /// Spot when obtainable, else wait.
    SpotOnly,
    /// Spot while obtainable; on demand once the deadline requires it.
    Greedy,
    /// Can't Be Late's uniform progress.
    UniformProgress,
}

impl JobPolicy {
    /// The scenario's word.
    pub fn as_str(self) -> &'static str {
        match self {
            JobPolicy::OnDemand => "on_demand",
            JobPolicy::SpotOnly => "spot_only",
            JobPolicy::Greedy => "greedy",
            JobPolicy::UniformProgress => "uniform_progress",
        }
    }
}

/// When a job checkpoints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CheckpointInterval {
    /// After every so much compute (Young's and Daly's intervals resolve to this).
    Every(Duration),
    /// Never: an interruption loses everything.
    None,
    /// Progress is never lost, at no cost.
    Continuous,
}

/// Most instances in a gang.
pub const MAX_GANG: u32 = 10_000;

/// Shortest checkpoint interval.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// Checks `raw` and builds the job. `types` are the scenario's instance-type overrides.
pub fn job(raw: &RawJob, types: &[RawInstanceType], spot: Option<&RawSpot>, horizon: Duration) -> Result<JobSpec> {
    const K: &str = "job";
    if raw.work.0 == Duration::ZERO {
        return invalid(format!("{K}.work"), "must be longer than 0, e.g. 48h");
    }
    let gang = raw.gang.unwrap_or(1);
    if gang == 0 || gang > MAX_GANG {
        return invalid(format!("{K}.gang"), format!("must be between 1 and {MAX_GANG}, found {gang}"));
    }
    let instance = super::fleet::instance::resolve_instance(&raw.instance, types).map_err(|e| Invalid {
        key: if e.key == "name" { format!("{K}.instance") } else { e.key },
        message: e.message,
    })?;
    let policy = match raw.policy.unwrap_or(RawJobPolicy::SpotOnly) {
        RawJobPolicy::OnDemand => JobPolicy::OnDemand,
        RawJobPolicy::SpotOnly => JobPolicy::SpotOnly,
        RawJobPolicy::Greedy => JobPolicy::Greedy,
        RawJobPolicy::UniformProgress => JobPolicy::UniformProgress,
    };
    let deadline = raw.deadline.map_or(horizon, |d| d.0);
    if deadline == Duration::ZERO {
        return invalid(format!("{K}.deadline"), "must be longer than 0");
    }
    // The spot side of the job, validated as a spot pool of `gang` instances would be.
    let pool = RawPool {
        llm: None,
        name: "job".into(),
        instance: raw.instance.clone(),
        market: Some(RawMarket::Spot),
        count: Some(gang),
        min: None,
        max: None,
        initial: None,
        max_price: None,
        zones: raw.zones.clone(),
        zone_strategy: None,
        ondemand_fallback: None,
        price: None,
        service: None,
    };
    let market = super::spot::pool::pool_market(K, &pool, Market::Spot, &instance, spot)?;
    let ck = raw.checkpoint.as_ref();
    let write = ck.and_then(|c| c.write).map_or(Duration::ZERO, |d| d.0);
    let restore = ck.and_then(|c| c.restore).map_or(Duration::ZERO, |d| d.0);
    // The gang's effective hazard: N times the instance's, averaged over the week's weekend
    // factor and the day's hourly profile.
    let shape = match spot.and_then(|s| s.interruptions.as_ref()) {
        Some(RawInterruptions::Hazard(h)) => {
            let weekend = h.weekend_factor.unwrap_or(1.0);
            let profile = h.profile.as_ref().map_or(1.0, |p| p.iter().sum::<f64>() / p.len().max(1) as f64);
            (5.0 + 2.0 * weekend) / 7.0 * profile
        }
        None => (5.0 + 2.0 * crate::fleet::market_refs::weekend_factor().map_or(1.0, |r| r.value)) / 7.0,
        Some(RawInterruptions::Trace(_)) => 1.0,
    };
    let gang_per_hour = market.interruptions_per_hour * f64::from(gang) * shape;
    if gang_per_hour > 1_000.0 {
        return invalid(
            format!("{K}.gang"),
            format!("the gang's hazard, {gang_per_hour:.0} interruptions per hour, is above the limit of 1000"),
        );
    }
    let interval = interval(ck.and_then(|c| c.interval.as_deref()), write, gang_per_hour)?;
    if let CheckpointInterval::Every(tau) = interval {
        if tau < MIN_INTERVAL {
            return invalid(format!("{K}.checkpoint.interval"), format!("{tau} is shorter than the 1s minimum"));
        }
        if raw.work.0.as_nanos() / tau.as_nanos() > 10_000_000 {
            return invalid(
                format!("{K}.checkpoint.interval"),
                format!("{tau} makes more than 10,000,000 checkpoints of {}", raw.work.0),
            );
        }
    }
    Ok(JobSpec {
        work: raw.work.0,
        gang,
        on_demand_price: instance.on_demand_price,
        instance,
        zones: market.zones,
        zone_policy: raw.zone_policy.map_or(ZoneStrategy::LowestPrice, ZoneStrategy::from),
        deadline,
        policy,
        restart_overhead: raw.restart_overhead.map_or(Duration::ZERO, |d| d.0),
        interval,
        write,
        restore,
        emergency: ck.and_then(|c| c.on_notice) == Some(RawOnNotice::Emergency),
        spot_price: market.spot_price,
        interruptions_per_hour: market.interruptions_per_hour,
        notice: market.notice,
    })
}

fn interval(text: Option<&str>, write: Duration, gang_per_hour: f64) -> Result<CheckpointInterval> {
    const K: &str = "job.checkpoint.interval";
    let text = text.unwrap_or("none").trim();
    let mtbf_s = || {
        if gang_per_hour > 0.0 {
            Ok(3_600.0 / gang_per_hour)
        } else {
            invalid(
                K,
                format!(
                    "{text:?} needs an interruption hazard (spot.interruptions.hazard.per_hour > 0) to compute the gang's mean time between interruptions"
                ),
            )
        }
    };
    let every = |secs: f64| CheckpointInterval::Every(Duration::from_secs_f64(secs.max(1e-3)));
    Ok(match text {
        "none" => CheckpointInterval::None,
        "continuous" => CheckpointInterval::Continuous,
        "young" => {
            if write == Duration::ZERO {
                return invalid(K, "young needs a checkpoint write time (job.checkpoint.write)");
            }
            every(young_interval(write, mtbf_s()?))
        }
        "daly" => {
            if write == Duration::ZERO {
                return invalid(K, "daly needs a checkpoint write time (job.checkpoint.write)");
            }
            every(daly_interval(write, mtbf_s()?))
        }
        other => match super::units::parse_duration(other) {
            Ok(d) if d > Duration::ZERO => CheckpointInterval::Every(d),
            Ok(_) => return invalid(K, "must be longer than 0 (or none, continuous, young, daly)"),
            Err(e) => return invalid(K, format!("{e}; or one of none, continuous, young, daly")),
        },
    })
}
