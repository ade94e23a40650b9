//! Billing: an instance is billed from launch to stop, rounded up to the granularity, never less
//! than the minimum.

use super::zone::SpotZone;
use crate::engine::{Duration, SimTime};
use crate::scenario::Billing;

/// What an instance-hour costs.
#[derive(Clone, Copy, Debug)]
pub enum Rate<'z> {
    /// A fixed price, USD per hour (on-demand, an on-demand stand-in).
    PerHour(f64),
    /// The spot price in force in a zone over the billed time.
    Spot {
        /// The zone the instance ran in.
        zone: &'z SpotZone,
        /// USD per hour where no trace prices the zone (`None` when a trace prices every zone).
        untraced: Option<f64>,
    },
}

/// The billed time and USD of one instance that ran from `launched` to `stopped`: the time rounded
/// by [`billed`], at `rate` over [`launched`, `launched` + billed time).
pub fn charge(launched: SimTime, stopped: SimTime, billing: &Billing, rate: Rate<'_>) -> (Duration, f64) {
    let billed = billed(stopped.since(launched), billing);
    let usd = match rate {
        Rate::PerHour(price) => cost_usd(billed, price),
        Rate::Spot { zone, untraced } => zone.cost(launched, launched.after(billed), untraced),
    };
    (billed, usd)
}

/// The billed time for an instance that ran for `ran`.
pub fn billed(ran: Duration, billing: &Billing) -> Duration {
    let g = billing.granularity.as_nanos();
    let steps = ran.as_nanos().div_ceil(g);
    Duration(steps.saturating_mul(g).max(billing.minimum.as_nanos()))
}

/// The cost in USD of `billed` time at `price_per_hour`.
pub fn cost_usd(billed: Duration, price_per_hour: f64) -> f64 {
    price_per_hour * billed.as_secs_f64() / 3_600.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws() -> Billing {
        Billing { granularity: Duration::from_secs(1), minimum: Duration::from_secs(60) }
    }

    #[test]
    fn rounds_up_to_the_second_with_a_minute_minimum() {
        // 90.2 s → 91 s; 59 s → the 60 s minimum; exactly 120 s stays 120 s.
        assert_eq!(billed(Duration(90_200_000_000), &aws()), Duration::from_secs(91));
        assert_eq!(billed(Duration::from_secs(59), &aws()), Duration::from_secs(60));
        assert_eq!(billed(Duration::from_secs(120), &aws()), Duration::from_secs(120));
        // Hourly billing: 61 min → 2 h.
        let hourly = Billing { granularity: Duration::from_secs(3_600), minimum: Duration::ZERO };
        assert_eq!(billed(Duration::from_secs(61 * 60), &hourly), Duration::from_secs(7_200));
    }

    #[test]
    fn a_charge_rounds_first_then_prices_the_billed_time() {
        // 90.2 s billed as 91 s at $1.006/h; a 59 s spot run billed as the 60 s minimum at the
        // zone's constant $0.9/h.
        let (billed, usd) = charge(SimTime::ZERO, SimTime(90_200_000_000), &aws(), Rate::PerHour(1.006));
        assert_eq!(billed, Duration::from_secs(91));
        assert!((usd - 1.006 * 91.0 / 3_600.0).abs() < 1e-15);
        let zone = SpotZone::new(&crate::fleet::market::MarketData::default(), "us-east-1a", "p3.2xlarge");
        let from = SimTime(3_600_000_000_000);
        let (billed, usd) =
            charge(from, from.after(Duration::from_secs(59)), &aws(), Rate::Spot { zone: &zone, untraced: Some(0.9) });
        assert_eq!(billed, Duration::from_secs(60));
        assert!((usd - 0.9 / 60.0).abs() < 1e-15);
    }

    #[test]
    fn cost_is_price_times_hours() {
        // 91 s of g5.xlarge at $1.006/h = $0.025430…
        let c = cost_usd(Duration::from_secs(91), 1.006);
        assert!((c - 1.006 * 91.0 / 3600.0).abs() < 1e-15);
        assert_eq!((cost_usd(Duration::from_secs(7_200), 3.06) * 100.0).round() / 100.0, 6.12);
    }
}
