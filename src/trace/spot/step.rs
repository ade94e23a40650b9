//! `StepSeries`: a piecewise-constant series over simulated time (availability, prices), kept
//! compact, and [`StepBuilder`], which builds one point by point as a trace is read.
//!
//! A trace of N points costs memory in proportion to its *changes*, not its points (equal
//! consecutive values merge as they arrive), and each change costs 5 to 16 bytes: times are tick
//! indexes (`u32`) when the format is one value per tick, else nanoseconds (`u64`); values are
//! one-byte indexes into a table while a series holds at most 256 distinct values (availability
//! counts, a few price levels), else `f64`. A series is shared, not copied, when cloned: the fleet
//! and the job worlds each take their zones' series from the market data of every run.

use std::sync::Arc;

use crate::engine::{Duration, SimTime};

/// Change times.
#[derive(Clone, Debug)]
enum Times {
    /// `ticks[i] × tick_ns` nanoseconds.
    Ticks {
        tick_ns: u64,
        ticks: Vec<u32>,
    },
    Nanos(Vec<u64>),
}

/// Values, one per change time.
#[derive(Clone, Debug)]
enum Values {
    /// `table[index[i]]`: at most 256 distinct values.
    Table {
        table: Vec<f64>,
        index: Vec<u8>,
    },
    Plain(Vec<f64>),
}

impl Times {
    fn len(&self) -> usize {
        match self {
            Times::Ticks { ticks, .. } => ticks.len(),
            Times::Nanos(v) => v.len(),
        }
    }

    /// Time `i` in the builder's unit: ticks (before the tick is known) or nanoseconds.
    #[inline]
    fn raw(&self, i: usize) -> u64 {
        match self {
            Times::Ticks { ticks, .. } => u64::from(ticks[i]),
            Times::Nanos(v) => v[i],
        }
    }

    #[inline]
    fn at(&self, i: usize) -> SimTime {
        match self {
            Times::Ticks { tick_ns, ticks } => SimTime(u64::from(ticks[i]) * tick_ns),
            Times::Nanos(v) => SimTime(v[i]),
        }
    }

    /// How many times are `<= t`.
    #[inline]
    fn count_until(&self, t: SimTime) -> usize {
        match self {
            Times::Ticks { tick_ns, ticks } => {
                let k = t.0 / tick_ns; // tick × tick_ns <= t  ⟺  tick <= t / tick_ns
                ticks.partition_point(|&x| u64::from(x) <= k)
            }
            Times::Nanos(v) => v.partition_point(|&x| x <= t.0),
        }
    }

    fn push(&mut self, raw: u64) {
        match self {
            Times::Ticks { ticks, .. } => ticks.push(raw as u32),
            Times::Nanos(v) => v.push(raw),
        }
    }

    fn pop(&mut self) {
        match self {
            Times::Ticks { ticks, .. } => {
                ticks.pop();
            }
            Times::Nanos(v) => {
                v.pop();
            }
        }
    }

    fn shrink(&mut self) {
        match self {
            Times::Ticks { ticks, .. } => ticks.shrink_to_fit(),
            Times::Nanos(v) => v.shrink_to_fit(),
        }
    }
}

impl Values {
    #[inline]
    fn at(&self, i: usize) -> f64 {
        match self {
            Values::Table { table, index } => table[usize::from(index[i])],
            Values::Plain(v) => v[i],
        }
    }

    fn len(&self) -> usize {
        match self {
            Values::Table { index, .. } => index.len(),
            Values::Plain(v) => v.len(),
        }
    }

    fn push(&mut self, v: f64) {
        if let Values::Table { table, index } = self {
            let slot = table.iter().position(|&x| x.to_bits() == v.to_bits()).or_else(|| {
                (table.len() < 256).then(|| {
                    table.push(v);
                    table.len() - 1
                })
            });
            match slot {
                Some(k) => return index.push(k as u8),
                // A 257th distinct value: every value as itself from now on.
                None => *self = Values::Plain(index.iter().map(|&k| table[usize::from(k)]).collect()),
            }
        }
        if let Values::Plain(values) = self {
            values.push(v);
        }
    }

    fn pop(&mut self) {
        match self {
            Values::Table { index, .. } => {
                index.pop();
            }
            Values::Plain(v) => {
                v.pop();
            }
        }
    }

    fn set_last(&mut self, v: f64) {
        self.pop();
        self.push(v);
    }

    fn shrink(&mut self) {
        match self {
            Values::Table { table, index } => {
                table.shrink_to_fit();
                index.shrink_to_fit();
            }
            Values::Plain(v) => v.shrink_to_fit(),
        }
    }
}

/// A piecewise-constant series: value `i` holds from time `i` until time `i + 1` (the last value
/// holds forever). The first time is always [`SimTime::ZERO`] (a series that starts later takes
/// its first value back to 0). Consecutive equal values are merged.
#[derive(Clone, Debug)]
pub struct StepSeries(Arc<Points>);

/// A series' points.
#[derive(Debug)]
struct Points {
    /// Strictly increasing change times; the first is 0; never empty.
    times: Times,
    /// Same length as `times`.
    values: Values,
}

impl PartialEq for StepSeries {
    /// Equal points, however they are stored.
    fn eq(&self, other: &StepSeries) -> bool {
        self.len() == other.len() && self.points().eq(other.points())
    }
}

/// Builds a [`StepSeries`] from points in time order, merging as they come, so that reading a
/// trace never holds more than its changes.
#[derive(Debug)]
pub struct StepBuilder {
    times: Times,
    values: Values,
}

impl Default for StepBuilder {
    fn default() -> StepBuilder {
        StepBuilder::new()
    }
}

impl StepBuilder {
    /// A builder of points at any nanosecond ([`StepBuilder::push`]).
    pub fn new() -> StepBuilder {
        StepBuilder { times: Times::Nanos(Vec::new()), values: Values::Table { table: Vec::new(), index: Vec::new() } }
    }

    /// A builder of one value per tick ([`StepBuilder::push_tick`]), the tick given at the end
    /// ([`StepBuilder::finish_ticks`]).
    pub fn ticks() -> StepBuilder {
        StepBuilder {
            times: Times::Ticks { tick_ns: 1, ticks: Vec::new() },
            values: Values::Table { table: Vec::new(), index: Vec::new() },
        }
    }

    /// Adds the point `(t, v)`, `t` not earlier than the previous point's (checked by a debug
    /// assertion; in release builds an earlier time is taken as equal to it). Of several points
    /// at one time the later wins.
    pub fn push(&mut self, t: SimTime, v: f64) {
        debug_assert!(matches!(self.times, Times::Nanos(_)), "push on a tick builder");
        self.add(t.0, v);
    }

    /// Adds the value `v` of tick `i` (ticks in order); `false` (and nothing added) when `i` is
    /// beyond 2^32 − 1.
    pub fn push_tick(&mut self, i: u64, v: f64) -> bool {
        debug_assert!(matches!(self.times, Times::Ticks { .. }), "push_tick on a nanosecond builder");
        if i > u64::from(u32::MAX) {
            return false;
        }
        self.add(i, v);
        true
    }

    fn add(&mut self, raw: u64, v: f64) {
        let n = self.times.len();
        let Some(last) = n.checked_sub(1).map(|i| self.times.raw(i)) else {
            self.times.push(raw);
            self.values.push(v);
            return;
        };
        debug_assert!(raw >= last, "StepSeries: time {raw} is earlier than the previous time {last}");
        let raw = raw.max(last);
        if raw == last {
            // Same time: the later point wins, and may now equal the value before it.
            self.values.set_last(v);
            if n >= 2 && self.values.at(n - 2) == self.values.at(n - 1) {
                self.times.pop();
                self.values.pop();
            }
        } else if self.values.at(n - 1) != v {
            self.times.push(raw);
            self.values.push(v);
        }
    }

    /// The series (the constant 0 when no point was added).
    pub fn finish(mut self) -> StepSeries {
        if self.times.len() == 0 {
            return StepSeries::constant(0.0);
        }
        match &mut self.times {
            Times::Ticks { ticks, .. } => ticks[0] = 0,
            Times::Nanos(v) => v[0] = 0,
        }
        self.times.shrink();
        self.values.shrink();
        StepSeries(Arc::new(Points { times: self.times, values: self.values }))
    }

    /// The series of a tick builder, tick `i` at `i × tick`; `Err(i)` with the first tick whose
    /// time is beyond the clock.
    pub fn finish_ticks(mut self, tick: Duration) -> Result<StepSeries, u64> {
        if let Times::Ticks { tick_ns, ticks } = &mut self.times {
            *tick_ns = tick.0.max(1);
            if let Some(&last) = ticks.last()
                && u64::from(last).checked_mul(*tick_ns).is_none()
            {
                return Err(u64::MAX / *tick_ns + 1); // tick_ns > 1 here: no overflow
            }
        }
        Ok(self.finish())
    }

    /// The series with every time but the first (which is 0) moved `offset` later; `None` when
    /// one passes the end of the clock.
    pub fn finish_shifted(mut self, offset: u64) -> Option<StepSeries> {
        if offset > 0 {
            let shifted: Option<Vec<u64>> = (0..self.times.len())
                .map(|i| if i == 0 { Some(0) } else { self.times.at(i).0.checked_add(offset) })
                .collect();
            self.times = Times::Nanos(shifted?);
        }
        Some(self.finish())
    }
}

impl StepSeries {
    /// A series from `(time, value)` points in non-decreasing time order (checked by a debug
    /// assertion; in release builds a time earlier than the previous one is treated as equal to
    /// it). Of several points at the same time the later one wins; consecutive equal values are
    /// merged; the first value is taken back to time 0. An empty list gives the constant 0.
    pub fn new(points: Vec<(SimTime, f64)>) -> StepSeries {
        let mut b = StepBuilder::new();
        for (t, v) in points {
            b.push(t, v);
        }
        b.finish()
    }

    /// The series that is `v` at all times.
    pub fn constant(v: f64) -> StepSeries {
        StepSeries(Arc::new(Points { times: Times::Nanos(vec![0]), values: Values::Plain(vec![v]) }))
    }

    /// Index of the segment that holds at `t`: the last `i` with `time(i) <= t`.
    #[inline]
    fn segment(&self, t: SimTime) -> usize {
        // The first time is 0 <= t, so the count is at least 1.
        self.0.times.count_until(t).saturating_sub(1)
    }

    /// The value in force at `t` (binary search: O(log n)).
    #[inline]
    pub fn value_at(&self, t: SimTime) -> f64 {
        self.0.values.at(self.segment(t))
    }

    /// The first change time strictly after `t`, or `None` if the value never changes after `t`
    /// (binary search: O(log n)).
    #[inline]
    pub fn next_change_after(&self, t: SimTime) -> Option<SimTime> {
        let times = &self.0.times;
        let i = times.count_until(t);
        (i < times.len()).then(|| times.at(i))
    }

    /// The integral of the series over `[from, to)`: Σ value × seconds (for a price in $/h this is
    /// $·s/h, i.e. 3600 × the cost). 0 if `to <= from`. O(log n + changes in the interval).
    pub fn integrate(&self, from: SimTime, to: SimTime) -> f64 {
        if to <= from {
            return 0.0;
        }
        let Points { times, values } = &*self.0;
        let mut i = self.segment(from);
        let mut cur = from;
        let mut sum_ns = 0.0;
        loop {
            let end = match (i + 1 < times.len()).then(|| times.at(i + 1)) {
                Some(next) if next < to => next,
                _ => to,
            };
            sum_ns += values.at(i) * (end.0 - cur.0) as f64;
            if end == to {
                break;
            }
            cur = end;
            i += 1;
        }
        sum_ns / 1e9
    }

    /// The change points `(time, value)` in time order; the first is at time 0.
    pub fn points(&self) -> impl Iterator<Item = (SimTime, f64)> + '_ {
        let Points { times, values } = &*self.0;
        (0..times.len()).map(|i| (times.at(i), values.at(i)))
    }

    /// Number of change points.
    pub fn len(&self) -> usize {
        self.0.values.len()
    }

    /// Whether the series has no point (never: it has at least the one at time 0).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
