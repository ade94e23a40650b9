//! Billing: an instance is billed from launch to stop, rounded up to the granularity, never less
//! than the minimum.

use crate::engine::Duration;
use crate::scenario::Billing;

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
    fn cost_is_price_times_hours() {
        // 91 s of g5.xlarge at $1.006/h = $0.025430…
        let c = cost_usd(Duration::from_secs(91), 1.006);
        assert!((c - 1.006 * 91.0 / 3600.0).abs() < 1e-15);
        assert_eq!((cost_usd(Duration::from_secs(7_200), 3.06) * 100.0).round() / 100.0, 6.12);
    }
}
