//! A pool's terms: what the fleet needs to know about its instances — type, market, zones,
//! prices, interruptions, boot and lifetime, how many launch together — built from a serving
//! pool or a job.

use super::Draws;
use crate::engine::Duration;
use crate::scenario::{JobSpec, Market, PoolSpec, ZoneStrategy};

/// What a pool's instances are and cost.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolTerms {
    /// The pool's name.
    pub name: String,
    /// Instance type name (zones are per type).
    pub instance: String,
    /// The pool's own market; a spot pool's on-demand stand-ins are launched as such.
    pub market: Market,
    /// Instances per launch, launched, interrupted, stopped and billed together (a job's gang).
    pub gang: u32,
    /// Launches wanted at first.
    pub target: u32,
    /// Spot zones, in order (none for a pool without spot).
    pub zones: Vec<String>,
    /// How a spot launch picks its zone.
    pub zone_strategy: ZoneStrategy,
    /// USD per instance-hour of the pool's own market (on-demand or reserved).
    pub price_per_hour: f64,
    /// USD per instance-hour of an on-demand stand-in.
    pub on_demand_price: f64,
    /// The spot price where no trace prices a zone.
    pub spot_price: Option<f64>,
    /// Spot instances are reclaimed while the price is above this, and none launch.
    pub max_price: Option<f64>,
    /// Interruptions per instance-hour (hazard model).
    pub interruptions_per_hour: f64,
    /// Warning before a spot instance is reclaimed.
    pub notice: Duration,
    /// Launch to ready.
    pub boot: Duration,
    /// Longest a spot instance may live before it is reclaimed.
    pub max_lifetime: Option<Duration>,
    /// Launch on-demand stand-ins while spot is unobtainable.
    pub ondemand_fallback: bool,
    /// How its interruptions are drawn.
    pub draws: Draws,
}

impl PoolTerms {
    /// A serving pool: one instance per launch, ready after the type's `boot`, interruptions
    /// drawn per launch from `interruptions/{pool}`.
    pub fn of_pool(p: &PoolSpec) -> PoolTerms {
        let spot = p.market == Market::Spot;
        PoolTerms {
            name: p.name.clone(),
            instance: p.instance.name.clone(),
            market: p.market,
            gang: 1,
            target: p.count,
            zones: if spot { p.zones.clone() } else { Vec::new() },
            zone_strategy: p.zone_strategy,
            price_per_hour: p.price_per_hour,
            on_demand_price: p.instance.on_demand_price,
            spot_price: p.spot_price,
            max_price: p.max_price,
            interruptions_per_hour: p.interruptions_per_hour,
            notice: p.notice,
            boot: p.instance.boot,
            max_lifetime: p.instance.max_lifetime,
            ondemand_fallback: p.ondemand_fallback,
            draws: Draws::PerLaunch { family: format!("interruptions/{}", p.name) },
        }
    }

    /// A job's gang: `gang` instances per launch, on spot in its zones or on demand as its policy
    /// says (no target, no stand-ins), ready at launch (its restart overhead is the job's), no
    /// lifetime, each member's interruptions one process per zone over the whole run, from
    /// `job-interruptions/{zone}`.
    pub fn of_job(job: &JobSpec) -> PoolTerms {
        PoolTerms {
            name: "job".into(),
            instance: job.instance.name.clone(),
            market: Market::Spot,
            gang: job.gang,
            target: 0,
            zones: job.zones.clone(),
            zone_strategy: job.zone_policy,
            price_per_hour: job.on_demand_price,
            on_demand_price: job.on_demand_price,
            spot_price: job.spot_price,
            max_price: None,
            interruptions_per_hour: job.interruptions_per_hour,
            notice: job.notice,
            boot: Duration::ZERO,
            max_lifetime: None,
            ondemand_fallback: false,
            draws: Draws::PerMember { prefix: "job-interruptions".into() },
        }
    }
}
