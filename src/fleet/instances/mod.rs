//! The fleet's instances and their life-cycle, one implementation for every workload: launch
//! (with zone choice through the pool's [`ZonePicker`]), boot, ready, interruption notice, stop,
//! release (a scale-down, or an on-demand stand-in no longer needed), replacement up to a pool's
//! target with on-demand stand-ins while spot is unobtainable, the interruption draws and the
//! bill.
//!
//! A workload owns a [`Fleet`] built from the terms of its pools ([`PoolTerms`]) and drives it:
//! it asks what to launch, calls the transitions, and hands back the [`FleetEvent`]s the fleet
//! scheduled on its queue (its event type converts from them). The fleet keeps each instance's
//! record (pool, market, zone, launch and stop times), its [`InstanceState`], its pending events
//! (keyed: an instance noticed, released or stopped early cancels what it no longer needs) and the
//! counters pools and zones are judged by. What an instance *does* while it runs — serve
//! requests, compute a job — is the workload's: the serving world keeps queues, routing and the
//! replica's executor; the job world its phases, progress and checkpoints.
//!
//! One record is one launch: a serving replica's instance, or a job's whole gang (`gang`
//! instances launched, interrupted, stopped and billed together). Ids count launches, in order:
//! the serving world's replica `r` runs on instance `InstanceId(r)`.
//!
//! The order of operations is part of the contract (events at one instant run in the order they
//! were scheduled): a workload takes an instance out of its service *before* the transition that
//! schedules what follows (its notice's stop), and reacts to a launch or readiness after it.
//! `transitions.rs` holds the life-cycle, `targets.rs` what to launch and let go (replacement,
//! stand-ins, scale-down, reclaims on a market change), `draws.rs` the interruption draws,
//! `bill.rs` the bill, `terms.rs` a pool's terms.

mod bill;
mod draws;
mod targets;
mod terms;
#[cfg(test)]
mod tests;
mod transitions;

use std::collections::BTreeSet;

pub use draws::Draws;
pub use targets::{Launch, ZoneChoice};
pub use terms::PoolTerms;

use crate::engine::rng::Stream;
use crate::engine::{ActionKey, SimTime};
use crate::fleet::hazard::HazardShape;
use crate::fleet::market::MarketData;
use crate::fleet::zone::SpotZone;
use crate::fleet::zone_picker::{self, ZonePicker};
use crate::scenario::{Billing, Market, Scenario};

/// An instance (or a gang launched together) of the fleet: its launch's position, from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceId(pub u32);

impl InstanceId {
    /// As an index into per-instance tables.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One spot zone for one instance type: a position in the fleet's zone table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ZoneId(pub u32);

impl ZoneId {
    /// As an index into per-zone tables.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where an instance is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceState {
    /// Launched, not yet ready.
    Booting,
    /// Ready for work.
    Ready,
    /// Told it will be reclaimed: it stops when the notice runs out.
    Noticed,
    /// Let go (a scale-down, a surplus stand-in): it stops when its workload has finished with it.
    Releasing,
    /// Gone.
    Stopped,
}

/// What the fleet schedules on its workload's queue, named as facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FleetEvent {
    /// A launched instance finished booting.
    InstanceReady(InstanceId),
    /// An instance was told it will be reclaimed (its hazard or its lifetime).
    InterruptionNoticed(InstanceId),
    /// A noticed instance stopped.
    InstanceStopped(InstanceId),
    /// A zone's availability or spot price changed.
    ZoneChanged(ZoneId),
}

/// One launch's record.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Its pool's index.
    pub pool: usize,
    /// The market it is billed in (an on-demand stand-in of a spot pool is `OnDemand`).
    pub market: Market,
    /// Its spot zone.
    pub zone: Option<ZoneId>,
    /// An on-demand stand-in launched for a spot pool.
    pub stand_in: bool,
    /// Where it is in its life.
    pub state: InstanceState,
    /// Launch time.
    pub launched: SimTime,
    /// Stop time, once stopped.
    pub stopped: Option<SimTime>,
    /// Pending events: the end of its boot, its notice, its stop (with its time).
    ready_key: Option<ActionKey>,
    notice_key: Option<ActionKey>,
    stop_key: Option<(SimTime, ActionKey)>,
}

impl Instance {
    /// Booting or ready: not yet noticed, released or stopped.
    pub fn is_live(&self) -> bool {
        matches!(self.state, InstanceState::Booting | InstanceState::Ready)
    }
}

/// A pool's terms and counters.
pub struct Pool {
    /// What its instances are and cost.
    pub terms: PoolTerms,
    /// Zone choice for its spot launches (pools with zones only).
    picker: Option<Box<dyn ZonePicker + Send>>,
    /// Its zones, in the order its terms list them.
    zones: Vec<ZoneId>,
    /// Launches it asks for: its initial count, or what a workload last set.
    pub target: u32,
    /// Live (booting or ready) launches, any market.
    pub n_live: u32,
    /// Live spot launches.
    pub n_live_spot: u32,
    /// Live on-demand stand-ins, oldest first.
    stand_ins: Vec<InstanceId>,
    /// Ready launches, any market; of them, spot.
    pub n_ready: u32,
    /// Ready spot launches.
    pub n_ready_spot: u32,
    /// Interruption notices its launches received.
    pub n_interruptions: u64,
    /// Live launches let go by a scale-down.
    pub n_retired: u64,
    /// Spot launches so far (numbers their draws under [`Draws::PerLaunch`]).
    n_spot_launched: u64,
}

/// One spot zone for one instance type, with what runs there.
struct Zone {
    market: SpotZone,
    /// Spot instances in the zone that are live (not noticed, released or stopped).
    n_running: u32,
    /// Under [`Draws::PerMember`]: member j's interruption process here (next event, stream),
    /// created when first needed.
    members: Vec<(SimTime, Stream)>,
}

/// What a run's fleet is given besides its pools.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// The run's seed (interruption streams derive from it).
    pub seed: u64,
    /// The horizon: markets and interruptions stop there; reserved capacity is paid to it.
    pub horizon: SimTime,
    /// Granularity and minimum of bills.
    pub billing: Billing,
    /// The interruption hazard's shape, when interruptions come from one.
    pub hazard: Option<HazardShape>,
}

impl Settings {
    /// The settings of scenario `s`.
    pub fn of(s: &Scenario) -> Settings {
        Settings {
            seed: s.seed,
            horizon: SimTime(s.horizon.as_nanos()),
            billing: s.billing,
            hazard: HazardShape::of(s),
        }
    }
}

/// Every instance of a run, its pools and its zones.
pub struct Fleet {
    settings: Settings,
    pools: Vec<Pool>,
    zones: Vec<Zone>,
    instances: Vec<Instance>,
    /// Instances not yet stopped, by id (so that scans skip the long-gone ones).
    live: BTreeSet<u32>,
    /// Ready instances, fleet-wide.
    n_ready: u32,
    /// Σ pool targets.
    n_target: u32,
    n_interruptions: u64,
    interruption_times: Vec<SimTime>,
    /// Cost of instances already stopped, before rounding and minimums.
    stopped_cost_usd: f64,
}

impl Fleet {
    /// A fleet of `pools` with nothing launched; the zones their terms list, one per (zone,
    /// instance type), with the series `market` has for them.
    pub fn new(pools: Vec<PoolTerms>, market: &MarketData, settings: Settings) -> Fleet {
        let mut zones: Vec<Zone> = Vec::new();
        let pools: Vec<Pool> = pools
            .into_iter()
            .map(|terms| {
                let ids = terms
                    .zones
                    .iter()
                    .map(|name| {
                        let i = zones
                            .iter()
                            .position(|z| &z.market.name == name && z.market.instance == terms.instance)
                            .unwrap_or_else(|| {
                                let market = SpotZone::new(market, name, &terms.instance);
                                zones.push(Zone { market, n_running: 0, members: Vec::new() });
                                zones.len() - 1
                            });
                        ZoneId(i as u32)
                    })
                    .collect::<Vec<_>>();
                Pool {
                    picker: (!ids.is_empty()).then(|| zone_picker::for_strategy(terms.zone_strategy)),
                    zones: ids,
                    target: terms.target,
                    terms,
                    n_live: 0,
                    n_live_spot: 0,
                    stand_ins: Vec::new(),
                    n_ready: 0,
                    n_ready_spot: 0,
                    n_interruptions: 0,
                    n_retired: 0,
                    n_spot_launched: 0,
                }
            })
            .collect();
        Fleet {
            settings,
            n_target: pools.iter().map(|p| p.target).sum(),
            pools,
            zones,
            instances: Vec::new(),
            live: BTreeSet::new(),
            n_ready: 0,
            n_interruptions: 0,
            interruption_times: Vec::new(),
            stopped_cost_usd: 0.0,
        }
    }

    /// The record of `id`.
    #[inline]
    pub fn instance(&self, id: InstanceId) -> &Instance {
        &self.instances[id.index()]
    }

    /// The state of `id`.
    #[inline]
    pub fn state(&self, id: InstanceId) -> InstanceState {
        self.instances[id.index()].state
    }

    /// Every launch's record, in launch order.
    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    /// Instances not yet stopped, oldest first.
    pub fn live(&self) -> impl DoubleEndedIterator<Item = InstanceId> + '_ {
        self.live.iter().map(|&i| InstanceId(i))
    }

    /// Pool `p`.
    pub fn pool(&self, p: usize) -> &Pool {
        &self.pools[p]
    }

    /// Zone `z` as the market traces describe it.
    pub fn zone(&self, z: ZoneId) -> &SpotZone {
        &self.zones[z.index()].market
    }

    /// Zones, in the order pools first list them.
    pub fn zone_ids(&self) -> impl Iterator<Item = ZoneId> + use<> {
        (0..self.zones.len() as u32).map(ZoneId)
    }

    /// Ready instances, fleet-wide.
    pub fn n_ready(&self) -> u32 {
        self.n_ready
    }

    /// Σ pool targets.
    pub fn n_target(&self) -> u32 {
        self.n_target
    }

    /// Launches so far.
    pub fn n_launched(&self) -> u64 {
        self.instances.len() as u64
    }

    /// Interruption notices so far.
    pub fn n_interruptions(&self) -> u64 {
        self.n_interruptions
    }

    /// The times of the interruption notices, in order (taken: the fleet forgets them).
    pub fn take_interruption_times(&mut self) -> Vec<SimTime> {
        std::mem::take(&mut self.interruption_times)
    }

    /// Sets pool `p`'s target; what to launch or let go follows from [`Fleet::replacement`] and
    /// [`Fleet::surplus`].
    pub fn set_target(&mut self, p: usize, target: u32) {
        self.n_target = self.n_target - self.pools[p].target + target;
        self.pools[p].target = target;
    }

    /// Whether a trace prices any of pool `p`'s zones.
    pub fn pool_has_price_trace(&self, p: usize) -> bool {
        self.pools[p].zones.iter().any(|&z| self.zone(z).is_priced())
    }

    /// The mean over [0, `horizon`) of pool `p`'s zone prices, time-weighted, averaged over its
    /// zones (zones without a price series are left out).
    pub fn mean_trace_price(&self, p: usize, horizon: SimTime) -> f64 {
        let means: Vec<f64> =
            self.pools[p].zones.iter().filter_map(|&z| self.zone(z).mean_traced_price(horizon)).collect();
        means.iter().sum::<f64>() / means.len().max(1) as f64
    }

    /// The spot price pool `p` pays in zone `z` at `t`.
    fn spot_price(&self, p: usize, z: ZoneId, t: SimTime) -> f64 {
        self.zone(z).price(t, self.pools[p].terms.spot_price)
    }
}
