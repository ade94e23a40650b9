//! The interruption hazard shared by serving fleets and jobs: a base rate per instance-hour,
//! scaled on Saturdays and Sundays (UTC) and by a 24-hour profile, sampled by thinning.

use rand::RngExt;
use rand_distr::{Distribution, Exp1};

use crate::engine::SimTime;
use crate::engine::rng::Stream;
use crate::scenario::{Interruptions, Scenario};

/// The time shape of a hazard.
#[derive(Clone, Copy, Debug)]
pub struct HazardShape {
    weekend_factor: f64,
    profile: [f64; 24],
    /// Unix seconds of time 0.
    start_unix_s: i64,
}

impl HazardShape {
    /// The shape of `s`'s hazard, when its interruptions come from one.
    pub fn of(s: &Scenario) -> Option<HazardShape> {
        match s.spot.as_ref().map(|sp| &sp.interruptions) {
            Some(Interruptions::Hazard { weekend_factor, profile }) => Some(HazardShape {
                weekend_factor: *weekend_factor,
                profile: *profile,
                start_unix_s: s.start.as_second(),
            }),
            _ => None,
        }
    }

    /// A hazard with no weekly or daily shape (tests).
    #[cfg(test)]
    pub(crate) fn flat() -> HazardShape {
        HazardShape { weekend_factor: 1.0, profile: [1.0; 24], start_unix_s: 0 }
    }

    /// The multiplier on the base rate at `t`.
    pub fn factor(&self, t: SimTime) -> f64 {
        let unix = self.start_unix_s + (t.0 / 1_000_000_000) as i64;
        let dow = (unix.div_euclid(86_400) + 4).rem_euclid(7); // 0 = Sunday (1970-01-01 was a Thursday)
        let hour = unix.rem_euclid(86_400) / 3_600;
        let weekend = if dow == 0 || dow == 6 { self.weekend_factor } else { 1.0 };
        weekend * self.profile[hour as usize]
    }

    /// The next event after `from` and before `until` of a process with base rate `per_hour`,
    /// by thinning a homogeneous process at the peak rate.
    pub fn next_event(&self, per_hour: f64, from: SimTime, until: SimTime, rng: &mut Stream) -> Option<SimTime> {
        let max_factor = self.weekend_factor.max(1.0) * self.profile.iter().copied().fold(0.0, f64::max);
        let max_rate = per_hour / 3.6e12 * max_factor;
        if max_rate <= 0.0 {
            return None;
        }
        let mut t = from.0 as f64;
        loop {
            let gap: f64 = Exp1.sample(rng);
            t += gap / max_rate;
            if t >= until.0 as f64 {
                return None;
            }
            let at = SimTime(t as u64);
            if rng.random::<f64>() * max_rate < per_hour / 3.6e12 * self.factor(at) {
                return Some(at);
            }
        }
    }
}
