//! Simulated time: an integer count of nanoseconds since the scenario's start.
//!
//! Integer time keeps the event order exact and the results identical on every machine; floating
//! seconds appear only at the edges (parsing, reports).

use std::fmt;

/// A point in simulated time, in nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

/// Nanoseconds in one second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

impl SimTime {
    /// The start of the run.
    pub const ZERO: SimTime = SimTime(0);
    /// A time later than any the engine reaches.
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// Time in (floating) seconds, for reports.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// The time `d` after `self`, saturating at [`SimTime::MAX`].
    pub fn after(self, d: Duration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// The duration from `earlier` to `self` (zero if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);

    /// A duration of `secs` whole seconds.
    pub const fn from_secs(secs: u64) -> Duration {
        Duration(secs * NANOS_PER_SEC)
    }

    /// A duration of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Duration {
        Duration(ms * 1_000_000)
    }

    /// A duration from floating seconds, rounded to the nearest nanosecond; negative or NaN
    /// gives zero, anything beyond the range (including +∞) saturates at the largest duration.
    pub fn from_secs_f64(secs: f64) -> Duration {
        if secs > 0.0 {
            // `as` saturates: +∞ and huge values become u64::MAX.
            Duration((secs * NANOS_PER_SEC as f64).round() as u64)
        } else {
            Duration(0)
        }
    }

    /// The duration in (floating) seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// Nanoseconds.
    pub fn as_nanos(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Duration {
    /// Formats with the largest unit that keeps the value readable: `250ms`, `90s`, `5m`, `2h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(&str, u64); 6] = [
            ("d", 86_400 * NANOS_PER_SEC),
            ("h", 3_600 * NANOS_PER_SEC),
            ("m", 60 * NANOS_PER_SEC),
            ("s", NANOS_PER_SEC),
            ("ms", 1_000_000),
            ("us", 1_000),
        ];
        if self.0 == 0 {
            return write!(f, "0s");
        }
        for (unit, nanos) in UNITS {
            if self.0.is_multiple_of(nanos) {
                return write!(f, "{}{unit}", self.0 / nanos);
            }
        }
        if self.0 >= NANOS_PER_SEC {
            // Not a whole number of any unit (e.g. Daly's interval): seconds to the millisecond.
            return write!(f, "{:.3}s", self.as_secs_f64());
        }
        write!(f, "{}ns", self.0)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6}s", self.as_secs_f64())
    }
}
