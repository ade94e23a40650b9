//! A spot zone for one instance type, as the market traces describe it: how many instances are
//! obtainable, at what price, and when either changes. Serving pools and job gangs read their zones
//! through this one type; how many of their own instances run in a zone is theirs to count.
//!
//! Where no trace says, a zone is always obtainable and priced at the constant spot price the
//! caller passes (`untraced`: the pool's or job's spot price, `None` when every zone it uses has a
//! price trace — validation sees to that, and it is read only where no trace prices the zone).

use super::zone_picker::Candidate;
use crate::engine::SimTime;
use crate::fleet::market::MarketData;
use crate::scenario::untraced_spot_price;
use crate::trace::spot::StepSeries;

/// One spot zone for one instance type.
#[derive(Clone, Debug)]
pub struct SpotZone {
    /// The zone's name, as the scenario lists it.
    pub name: String,
    /// The instance type the series are for.
    pub instance: String,
    availability: Option<StepSeries>,
    price: Option<StepSeries>,
}

impl SpotZone {
    /// The zone `name` for `instance`, with the series `market` has for them.
    pub fn new(market: &MarketData, name: &str, instance: &str) -> SpotZone {
        SpotZone {
            name: name.to_string(),
            instance: instance.to_string(),
            availability: market.availability_of(name, instance).cloned(),
            price: market.price_of(name, instance).cloned(),
        }
    }

    /// Whole instances obtainable at `t`, when a trace says (a fraction is rounded down, a
    /// negative value is none).
    pub fn capacity(&self, t: SimTime) -> Option<u32> {
        self.availability.as_ref().map(|a| a.value_at(t).max(0.0).min(f64::from(u32::MAX)) as u32)
    }

    /// Whether `n` more instances fit at `t` beside the `running` ones already there.
    pub fn fits(&self, t: SimTime, running: u32, n: u32) -> bool {
        self.capacity(t).is_none_or(|c| c.saturating_sub(running) >= n)
    }

    /// Instances still obtainable at `t` beside `running` ones (infinite without a trace).
    pub fn headroom(&self, t: SimTime, running: u32) -> f64 {
        self.capacity(t).map_or(f64::INFINITY, |c| f64::from(c.saturating_sub(running)))
    }

    /// The spot price at `t`, USD per instance-hour.
    pub fn price(&self, t: SimTime, untraced: Option<f64>) -> f64 {
        self.price.as_ref().map_or_else(|| untraced_spot_price(untraced), |p| p.value_at(t))
    }

    /// Whether a trace prices the zone.
    pub fn is_priced(&self) -> bool {
        self.price.is_some()
    }

    /// USD for one instance over [`from`, `to`): the price series' integral, or the constant price.
    pub fn cost(&self, from: SimTime, to: SimTime, untraced: Option<f64>) -> f64 {
        match &self.price {
            Some(series) => series.integrate(from, to) / 3_600.0,
            None => untraced_spot_price(untraced) * to.since(from).as_secs_f64() / 3_600.0,
        }
    }

    /// The time-weighted mean of the traced price over [0, `horizon`), if a trace prices the zone.
    pub fn mean_traced_price(&self, horizon: SimTime) -> Option<f64> {
        let hours = horizon.as_secs_f64() / 3_600.0;
        self.price.as_ref().map(|series| series.integrate(SimTime::ZERO, horizon) / 3_600.0 / hours)
    }

    /// The next change of availability or price after `t`.
    pub fn next_change_after(&self, t: SimTime) -> Option<SimTime> {
        let a = self.availability.as_ref().and_then(|s| s.next_change_after(t));
        let p = self.price.as_ref().and_then(|s| s.next_change_after(t));
        match (a, p) {
            (Some(a), Some(p)) => Some(a.min(p)),
            (a, p) => a.or(p),
        }
    }

    /// The zone as the zone picker sees it at `t`: listed `index`, headroom beside `running`
    /// instances, price.
    pub fn candidate(&self, index: usize, t: SimTime, running: u32, untraced: Option<f64>) -> Candidate {
        Candidate { zone: index, headroom: self.headroom(t, running), price: self.price(t, untraced) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(h: u64) -> SimTime {
        SimTime(h * 3_600_000_000_000)
    }

    fn zone(availability: &[(u64, f64)], price: &[(u64, f64)]) -> SpotZone {
        let series = |points: &[(u64, f64)]| {
            (!points.is_empty()).then(|| StepSeries::new(points.iter().map(|&(h, v)| (hours(h), v)).collect()))
        };
        SpotZone {
            name: "a".into(),
            instance: "p3.2xlarge".into(),
            availability: series(availability),
            price: series(price),
        }
    }

    #[test]
    fn capacity_rounds_down_and_fits_counts_the_running() {
        // 2.7 obtainable: 2 whole instances; with 1 running, one more fits but not two.
        let z = zone(&[(0, 2.7), (2, -1.0)], &[]);
        assert_eq!(z.capacity(hours(1)), Some(2));
        assert!(z.fits(hours(1), 1, 1));
        assert!(!z.fits(hours(1), 1, 2));
        assert_eq!(z.headroom(hours(1), 1), 1.0);
        // A negative value is none obtainable.
        assert_eq!(z.capacity(hours(3)), Some(0));
        assert!(!z.fits(hours(3), 0, 1));
        // Without a trace: always obtainable, infinite headroom.
        let open = zone(&[], &[]);
        assert!(open.fits(hours(1), 1_000, 1_000));
        assert_eq!(open.headroom(hours(1), 5), f64::INFINITY);
    }

    #[test]
    fn cost_integrates_the_price_or_uses_the_constant() {
        // $1/h for 1 h then $3/h: 0.5 h → 2 h costs 0.5 × 1 + 1 × 3 = $3.5. A priced zone needs
        // no constant price.
        let z = zone(&[], &[(0, 1.0), (1, 3.0)]);
        assert!((z.cost(SimTime(1_800_000_000_000), hours(2), None) - 3.5).abs() < 1e-12);
        assert_eq!(z.price(hours(1), None), 3.0);
        assert!(z.is_priced());
        // Mean over 4 h: (1 + 3 × 3) / 4 = $2.5/h.
        assert!((z.mean_traced_price(hours(4)).unwrap() - 2.5).abs() < 1e-12);
        let flat = zone(&[], &[]);
        assert!((flat.cost(hours(0), hours(2), Some(0.9)) - 1.8).abs() < 1e-12);
        assert_eq!(flat.price(hours(1), Some(0.9)), 0.9);
        assert_eq!(flat.mean_traced_price(hours(4)), None);
    }

    #[test]
    fn next_change_is_the_earlier_of_both_series() {
        let z = zone(&[(0, 1.0), (5, 2.0)], &[(0, 1.0), (3, 2.0), (7, 1.0)]);
        assert_eq!(z.next_change_after(hours(0)), Some(hours(3)));
        assert_eq!(z.next_change_after(hours(3)), Some(hours(5)));
        assert_eq!(z.next_change_after(hours(5)), Some(hours(7)));
        assert_eq!(z.next_change_after(hours(7)), None);
    }
}
