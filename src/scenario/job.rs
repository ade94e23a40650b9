//! Validation of the `job:` block: work, gang, deadline, policy, overheads and checkpointing,
//! with Young's and Daly's intervals computed from the gang's hazard.

use super::model::*;
use super::raw::*;
use super::validate::{Invalid, invalid};
use crate::engine::Duration;

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

/// Young (1974): τ = √(2δM).
pub fn young_interval(write: Duration, mtbf_s: f64) -> f64 {
    (2.0 * write.as_secs_f64() * mtbf_s).sqrt()
}

/// Daly (2006), the higher-order optimum: τ = √(2δM)·[1 + ⅓√(δ/2M) + ⅑(δ/2M)] − δ for δ < 2M,
/// else τ = M.
pub fn daly_interval(write: Duration, mtbf_s: f64) -> f64 {
    let d = write.as_secs_f64();
    if d >= 2.0 * mtbf_s {
        return mtbf_s;
    }
    let x = d / (2.0 * mtbf_s);
    (2.0 * d * mtbf_s).sqrt() * (1.0 + x.sqrt() / 3.0 + x / 9.0) - d
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn young_and_daly_intervals() {
        // δ = 5 min, M = 10 h = 36,000 s: Young √(2·300·36000) = 4,647.58 s.
        let w = Duration::from_secs(300);
        assert!((young_interval(w, 36_000.0) - 4_647.58).abs() < 0.01);
        // Daly by hand: x = 300/72000 = 0.0041667, √x = 0.064550;
        // 1 + 0.064550/3 + 0.0041667/9 = 1.021980; 4647.58 × 1.021980 − 300 = 4,449.73 s.
        assert!((daly_interval(w, 36_000.0) - 4_449.73).abs() < 0.05, "{}", daly_interval(w, 36_000.0));
        assert_eq!(daly_interval(Duration::from_secs(100), 40.0), 40.0);
    }
}
