//! `StepSeries`: a piecewise-constant series over simulated time (availability, prices).

use crate::engine::SimTime;

/// A piecewise-constant series: `values[i]` holds from `times[i]` until `times[i+1]` (the last
/// value holds forever). `times[0]` is always [`SimTime::ZERO`] (a series that starts later takes
/// its first value back to 0). Consecutive equal values are merged.
#[derive(Clone, Debug, PartialEq)]
pub struct StepSeries {
    /// Strictly increasing change times; `times[0] == SimTime::ZERO`; never empty.
    times: Vec<SimTime>,
    /// `values[i]` holds on `[times[i], times[i+1])`; same length as `times`.
    values: Vec<f64>,
}

impl StepSeries {
    /// A series from `(time, value)` points in non-decreasing time order (checked by a debug
    /// assertion; in release builds a time earlier than the previous one is treated as equal to
    /// it). Of several points at the same time the later one wins; consecutive equal values are
    /// merged; the first value is taken back to time 0. An empty list gives the constant 0.
    pub fn new(points: Vec<(SimTime, f64)>) -> StepSeries {
        let mut times: Vec<SimTime> = Vec::with_capacity(points.len().min(1024));
        let mut values: Vec<f64> = Vec::with_capacity(points.len().min(1024));
        for (t, v) in points {
            let t = match times.last() {
                Some(&last) => {
                    debug_assert!(t >= last, "StepSeries::new: time {t} is earlier than the previous time {last}");
                    t.max(last)
                }
                None => t,
            };
            if times.last() == Some(&t) {
                // Same time: the later point wins, and may now equal the value before it.
                if let Some(last) = values.last_mut() {
                    *last = v;
                }
                let n = values.len();
                if n >= 2 && values[n - 2] == values[n - 1] {
                    times.pop();
                    values.pop();
                }
            } else if values.last() != Some(&v) {
                times.push(t);
                values.push(v);
            }
        }
        if times.is_empty() {
            return StepSeries::constant(0.0);
        }
        times[0] = SimTime::ZERO;
        times.shrink_to_fit();
        values.shrink_to_fit();
        StepSeries { times, values }
    }

    /// The series that is `v` at all times.
    pub fn constant(v: f64) -> StepSeries {
        StepSeries { times: vec![SimTime::ZERO], values: vec![v] }
    }

    /// Index of the segment that holds at `t`: the last `i` with `times[i] <= t`.
    #[inline]
    fn segment(&self, t: SimTime) -> usize {
        // times[0] == 0 <= t, so the partition point is at least 1.
        self.times.partition_point(|&x| x <= t).saturating_sub(1)
    }

    /// The value in force at `t` (binary search: O(log n)).
    #[inline]
    pub fn value_at(&self, t: SimTime) -> f64 {
        self.values[self.segment(t)]
    }

    /// The first change time strictly after `t`, or `None` if the value never changes after `t`
    /// (binary search: O(log n)).
    #[inline]
    pub fn next_change_after(&self, t: SimTime) -> Option<SimTime> {
        self.times.get(self.times.partition_point(|&x| x <= t)).copied()
    }

    /// The integral of the series over `[from, to)`: Σ value × seconds (for a price in $/h this is
    /// $·s/h, i.e. 3600 × the cost). 0 if `to <= from`. O(log n + changes in the interval).
    pub fn integrate(&self, from: SimTime, to: SimTime) -> f64 {
        if to <= from {
            return 0.0;
        }
        let mut i = self.segment(from);
        let mut cur = from;
        let mut sum_ns = 0.0;
        loop {
            let end = match self.times.get(i + 1) {
                Some(&next) if next < to => next,
                _ => to,
            };
            sum_ns += self.values[i] * (end.0 - cur.0) as f64;
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
        self.times.iter().copied().zip(self.values.iter().copied())
    }
}
