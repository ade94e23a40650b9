//! An instance's bill: from launch to stop (or the end of the run), rounded up to the billing
//! granularity, at least the minimum ([`crate::fleet::billing::charge`]); spot at the price in
//! force in its zone over that time, an on-demand stand-in at the on-demand price, reserved
//! capacity for the whole horizon whether used or not. A gang's bill is `gang` times one
//! instance's.

use super::{Fleet, InstanceId};
use crate::engine::SimTime;
use crate::fleet::audit::InstanceBill;
use crate::fleet::billing::{self, Rate};
use crate::scenario::Market;

impl Fleet {
    /// USD of `id` from its launch to `until`, before rounding and minimums: what it has cost so
    /// far. A reservation covers the horizon: running on after it (a serving drain) costs nothing
    /// more.
    pub fn raw_cost(&self, id: InstanceId, until: SimTime) -> f64 {
        let inst = self.instance(id);
        let terms = &self.pools[inst.pool].terms;
        // price × seconds / 3600, in that order (the figures are compared to the bit).
        let at = |price: f64, to: SimTime| price * to.since(inst.launched).as_secs_f64() / 3_600.0;
        let each = match (inst.market, inst.zone) {
            (Market::Spot, Some(z)) => self.zone(z).cost(inst.launched, until, terms.spot_price),
            (Market::OnDemand, _) if inst.stand_in => at(terms.on_demand_price, until),
            (Market::Reserved, _) => at(terms.price_per_hour, until.min(self.settings.horizon)),
            _ => at(terms.price_per_hour, until),
        };
        f64::from(terms.gang) * each
    }

    /// What has been spent by `now`, before rounding and minimums (those apply at the end).
    pub fn running_cost(&self, now: SimTime) -> f64 {
        let live: f64 = self.live().map(|id| self.raw_cost(id, now)).sum();
        self.stopped_cost_usd + live
    }

    /// The bill of `id` for a run that ended at `end` (nothing is billed past it: an instance
    /// noticed near the end may stop later in simulated time).
    pub fn bill(&self, id: InstanceId, end: SimTime) -> InstanceBill {
        let inst = self.instance(id);
        let terms = &self.pools[inst.pool].terms;
        let stop = inst.stopped.unwrap_or(end).min(end);
        let (billed, each) = if inst.market == Market::Reserved {
            // A commitment: the whole horizon, used or not.
            let whole = self.settings.horizon.since(SimTime::ZERO);
            (whole, terms.price_per_hour * whole.as_secs_f64() / 3_600.0)
        } else {
            let rate = match (inst.market, inst.zone) {
                (Market::Spot, Some(z)) => Rate::Spot { zone: self.zone(z), untraced: terms.spot_price },
                _ if inst.stand_in => Rate::PerHour(terms.on_demand_price),
                _ => Rate::PerHour(terms.price_per_hour),
            };
            billing::charge(inst.launched, stop, &self.settings.billing, rate)
        };
        InstanceBill {
            pool: inst.pool,
            count: terms.gang,
            market: inst.market,
            stand_in: inst.stand_in,
            zone: inst.zone.map(|z| self.zone(z).name.clone()),
            launched: inst.launched,
            stopped: stop,
            billed,
            cost_usd: f64::from(terms.gang) * each,
        }
    }

    /// Every launch's bill for a run that ended at `end`, in launch order.
    pub fn bills(&self, end: SimTime) -> Vec<InstanceBill> {
        (0..self.instances.len() as u32).map(|i| self.bill(InstanceId(i), end)).collect()
    }
}
