//! What to launch and what to let go: zone choice, replacement up to a pool's target (spot in
//! the zone its strategy picks among those where spot is obtainable, on-demand stand-ins while
//! none is, when the pool falls back), surplus stand-ins, scale-down, and what a zone's market
//! change reclaims. These are queries: the workload launches, releases or notices what they name,
//! one at a time, reacting to each.

use super::{Fleet, FleetEvent, InstanceId, InstanceState, ZoneId};
use crate::engine::{Sim, SimTime};
use crate::fleet::zone_picker::Candidate;
use crate::scenario::Market;

/// A launch to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Launch {
    /// The pool's index.
    pub pool: usize,
    /// The market it is billed in.
    pub market: Market,
    /// Its spot zone (spot launches).
    pub zone: Option<ZoneChoice>,
    /// An on-demand stand-in for a spot pool.
    pub stand_in: bool,
}

/// A zone the pool's picker chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneChoice {
    /// The zone.
    pub zone: ZoneId,
    /// Its position among the pool's zones (the picker's own numbering).
    pub listed: usize,
}

impl Fleet {
    /// Whether one more launch of pool `p` fits in zone `z` at `t`, at a price it accepts.
    #[inline]
    fn obtainable(&self, p: usize, z: ZoneId, t: SimTime) -> bool {
        let zone = &self.zones[z.index()];
        let terms = &self.pools[p].terms;
        zone.market.fits(t, zone.n_running, terms.gang) && terms.max_price.is_none_or(|m| self.spot_price(p, z, t) <= m)
    }

    /// The zone a spot launch of pool `p` would go to at `t`, by its strategy among the zones
    /// where it is obtainable; `None` when spot is unobtainable (or the pool has no zones). A
    /// query (a job's policy asks it at every decision): the candidates of up to 8 zones are
    /// kept on the stack.
    pub fn pick_zone(&self, p: usize, t: SimTime) -> Option<ZoneChoice> {
        const ON_STACK: usize = 8;
        let pool = &self.pools[p];
        let picker = pool.picker.as_ref()?;
        let candidates = pool.zones.iter().enumerate().filter(|&(_, &z)| self.obtainable(p, z, t)).map(|(i, &z)| {
            let zone = &self.zones[z.index()];
            zone.market.candidate(i, t, zone.n_running, pool.terms.spot_price)
        });
        let listed = pool.zones.len();
        let i = if listed <= ON_STACK {
            let mut ok = [Candidate { zone: 0, headroom: 0.0, price: 0.0 }; ON_STACK];
            let mut n = 0;
            for c in candidates {
                ok[n] = c;
                n += 1;
            }
            picker.pick(&ok[..n], listed)
        } else {
            picker.pick(&candidates.collect::<Vec<_>>(), listed)
        }?;
        Some(ZoneChoice { zone: pool.zones[i], listed: i })
    }

    /// The next launch pool `p` needs to reach its target at `t`: its own market for a pool
    /// without spot; for a spot pool a spot instance where one is obtainable, else an on-demand
    /// stand-in if it falls back (spot and stand-ins together make the target). `None`: nothing,
    /// or nothing obtainable.
    pub fn replacement(&self, p: usize, t: SimTime) -> Option<Launch> {
        let pool = &self.pools[p];
        if pool.terms.market != Market::Spot {
            let own = Launch { pool: p, market: pool.terms.market, zone: None, stand_in: false };
            return (pool.n_live < pool.target).then_some(own);
        }
        if pool.n_live_spot < pool.target
            && let Some(zone) = self.pick_zone(p, t)
        {
            return Some(Launch { pool: p, market: Market::Spot, zone: Some(zone), stand_in: false });
        }
        let covered = pool.n_live_spot + pool.stand_ins.len() as u32;
        (pool.terms.ondemand_fallback && covered < pool.target).then_some(Launch {
            pool: p,
            market: Market::OnDemand,
            zone: None,
            stand_in: true,
        })
    }

    /// Pool `p`'s newest stand-in once it has enough ready spot instances without it.
    pub fn surplus_stand_in(&self, p: usize) -> Option<InstanceId> {
        let pool = &self.pools[p];
        if pool.n_ready_spot + pool.stand_ins.len() as u32 <= pool.target {
            return None;
        }
        pool.stand_ins.last().copied()
    }

    /// The live instances of pool `p` beyond its target, to let go on a scale-down: spot before
    /// on-demand stand-ins, newest first.
    pub fn surplus(&self, p: usize) -> Vec<InstanceId> {
        let excess = self.pools[p].n_live.saturating_sub(self.pools[p].target) as usize;
        let mut picks = Vec::with_capacity(excess);
        for spot_pass in [true, false] {
            for id in self.live().rev() {
                let inst = self.instance(id);
                if picks.len() < excess && inst.pool == p && inst.zone.is_some() == spot_pass && inst.is_live() {
                    picks.push(id);
                }
            }
        }
        picks
    }

    /// What zone `z`'s market at `now` reclaims: live instances beyond its availability, newest
    /// first, then those whose pool's `max_price` the price now passes, oldest first.
    pub fn reclaims(&self, now: SimTime, z: ZoneId) -> Vec<InstanceId> {
        let mut picks = Vec::new();
        let in_zone = |id: &InstanceId| {
            let inst = self.instance(*id);
            inst.zone == Some(z) && inst.is_live()
        };
        if let Some(avail) = self.zone(z).capacity(now) {
            let mut excess = self.zones[z.index()].n_running.saturating_sub(avail);
            for id in self.live().rev().filter(in_zone) {
                if excess == 0 {
                    break;
                }
                picks.push(id);
                excess = excess.saturating_sub(self.pools[self.instance(id).pool].terms.gang);
            }
        }
        for id in self.live().filter(in_zone) {
            let p = self.instance(id).pool;
            let over = self.pools[p].terms.max_price.is_some_and(|m| self.spot_price(p, z, now) > m);
            if over && !picks.contains(&id) {
                picks.push(id);
            }
        }
        picks
    }

    /// Pools with spot launches in zone `z`, in order: those a change there may let launch.
    pub fn pools_in_zone(&self, z: ZoneId) -> Vec<usize> {
        (0..self.pools.len())
            .filter(|&p| self.pools[p].terms.market == Market::Spot && self.pools[p].zones.contains(&z))
            .collect()
    }

    /// Schedules every zone's first market change.
    pub fn schedule_zone_changes<E: From<FleetEvent> + Clone>(&self, sim: &mut Sim<E>) {
        for z in self.zone_ids() {
            self.schedule_zone_change(sim, SimTime::ZERO, z);
        }
    }

    /// Schedules zone `z`'s next market change after `now`, if one comes before the horizon.
    pub fn schedule_zone_change<E: From<FleetEvent> + Clone>(&self, sim: &mut Sim<E>, now: SimTime, z: ZoneId) {
        let next = self.zone(z).next_change_after(now).filter(|&t| t < self.settings.horizon);
        if let Some(t) = next {
            sim.schedule(t, FleetEvent::ZoneChanged(z).into());
        }
    }

    /// Whether `id` is ready.
    pub fn is_ready(&self, id: InstanceId) -> bool {
        self.state(id) == InstanceState::Ready
    }
}
