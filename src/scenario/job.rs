//! Validation of the `job:` block: work, gang, deadline, policy, overheads and checkpointing,
//! with Young's and Daly's intervals ([`crate::job::interval`]) from the gang's hazard.

use super::model::*;
use super::raw::*;
use super::validate::{Invalid, invalid};
use crate::engine::Duration;
use crate::job::interval::{daly_interval, young_interval};

type Result<T> = std::result::Result<T, Invalid>;

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
    let instance = super::validate::resolve_instance(&raw.instance, types).map_err(|e| Invalid {
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
    let market = super::spot::pool_market(K, &pool, Market::Spot, &instance, spot)?;
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
