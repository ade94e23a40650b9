//! Latency statistics: an HDR histogram for percentiles, exact sum, max and SLA counts.

use hdrhistogram::Histogram;

use crate::engine::Duration;

/// Latencies of the requests that count (those arriving after warmup).
#[derive(Clone)]
pub struct LatencyStats {
    hist: Histogram<u64>,
    n: u64,
    min_ns: u64,
    sum_ns: u128,
    max_ns: u64,
    sla_ns: Option<u64>,
    n_over_sla: u64,
}

/// Percentiles and the rest, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct LatencySummary {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl LatencyStats {
    /// Empty statistics; latencies above `sla` count as violations.
    pub fn new(sla: Option<Duration>) -> LatencyStats {
        // Three significant digits: percentiles within 0.1% of the exact order statistic. The
        // histogram resizes itself as larger latencies arrive.
        let hist = Histogram::new(3).expect("3 significant digits is a valid HDR precision");
        LatencyStats {
            hist,
            n: 0,
            min_ns: u64::MAX,
            sum_ns: 0,
            max_ns: 0,
            sla_ns: sla.map(|d| d.as_nanos()),
            n_over_sla: 0,
        }
    }

    /// Records one latency.
    #[inline]
    pub fn record(&mut self, latency: Duration) {
        let ns = latency.as_nanos();
        if self.hist.record(ns.max(1)).is_err() {
            self.hist.saturating_record(ns.max(1));
        }
        self.n += 1;
        self.sum_ns += u128::from(ns);
        self.max_ns = self.max_ns.max(ns);
        self.min_ns = self.min_ns.min(ns);
        if self.sla_ns.is_some_and(|sla| ns > sla) {
            self.n_over_sla += 1;
        }
    }

    /// Records `count` equal latencies (e.g. the inter-token gaps of one decode iteration).
    pub fn record_n(&mut self, latency: Duration, count: u64) {
        if count == 0 {
            return;
        }
        let ns = latency.as_nanos();
        if self.hist.record_n(ns.max(1), count).is_err() {
            self.hist.saturating_record(ns.max(1));
        }
        self.n += count;
        self.sum_ns += u128::from(ns) * u128::from(count);
        self.max_ns = self.max_ns.max(ns);
        self.min_ns = self.min_ns.min(ns);
        if self.sla_ns.is_some_and(|sla| ns > sla) {
            self.n_over_sla += count;
        }
    }

    /// Requests recorded.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Requests slower than the SLA latency.
    pub fn n_over_sla(&self) -> u64 {
        self.n_over_sla
    }

    /// The latency at quantile `q` (0–1), seconds: the histogram's value (within 0.1%), kept
    /// inside the exact [min, max] so that, e.g., p99 never exceeds the largest latency seen.
    pub fn quantile_s(&self, q: f64) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        self.hist.value_at_quantile(q).clamp(self.min_ns, self.max_ns) as f64 / 1e9
    }

    /// The summary in seconds (zeros when nothing was recorded).
    pub fn summary(&self) -> LatencySummary {
        if self.n == 0 {
            return LatencySummary::default();
        }
        LatencySummary {
            mean: (self.sum_ns as f64 / self.n as f64) / 1e9,
            p50: self.quantile_s(0.50),
            p90: self.quantile_s(0.90),
            p95: self.quantile_s(0.95),
            p99: self.quantile_s(0.99),
            max: self.max_ns as f64 / 1e9,
        }
    }

    /// Adds `other`'s latencies (e.g. the runs of one design in a comparison).
    pub fn add(&mut self, other: &LatencyStats) {
        // Both histograms have the same precision and resize themselves.
        let _ = self.hist.add(&other.hist);
        self.n += other.n;
        self.sum_ns += other.sum_ns;
        self.min_ns = self.min_ns.min(other.min_ns);
        self.max_ns = self.max_ns.max(other.max_ns);
        self.n_over_sla += other.n_over_sla;
    }

    /// `latency.csv`: the cumulative distribution at quantiles 0.5%, 1%, … 99%, then finer in the
    /// tail (99.1% … 99.9%, 99.95%, 99.99%, 100%), as `latency_s,fraction` rows.
    pub fn cdf_csv(&self) -> Vec<u8> {
        let mut out = String::from("latency_s,fraction\n");
        if self.n == 0 {
            return out.into_bytes();
        }
        let mut qs: Vec<f64> = (1..=198).map(|i| f64::from(i) * 0.005).collect();
        qs.extend((1..=9).map(|i| 0.99 + f64::from(i) * 0.001));
        qs.extend([0.9995, 0.9999, 1.0]);
        for q in qs {
            out.push_str(&format!("{},{}\n", self.quantile_s(q), (q * 1e4).round() / 1e4));
        }
        out.into_bytes()
    }

    /// The cumulative distribution as (latency s, fraction ≤) points, for charts.
    pub fn cdf(&self, n_points: usize) -> Vec<(f64, f64)> {
        if self.n == 0 {
            return Vec::new();
        }
        (1..=n_points)
            .map(|i| {
                let q = i as f64 / n_points as f64;
                (self.hist.value_at_quantile(q) as f64 / 1e9, q)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_mean_max_and_sla_counts() {
        let mut s = LatencyStats::new(Some(Duration::from_millis(20)));
        for ms in [10, 20, 30, 40] {
            s.record(Duration::from_millis(ms));
        }
        let sum = s.summary();
        assert_eq!(sum.mean, 0.025);
        assert_eq!(sum.max, 0.040);
        // 20 ms is not over a 20 ms target; 30 and 40 are.
        assert_eq!(s.n_over_sla(), 2);
        assert!((sum.p50 - 0.020).abs() <= 0.020 * 1e-3);
    }

    /// All latencies equal to the SLA target: p99 must not read above it (the histogram bucket's
    /// upper edge is 250.085 ms).
    #[test]
    fn percentiles_stay_within_the_observed_range() {
        let mut s = LatencyStats::new(Some(Duration::from_millis(250)));
        for _ in 0..1000 {
            s.record(Duration::from_millis(250));
        }
        assert_eq!(s.summary().p99, 0.25);
        assert_eq!(s.summary().p50, 0.25);
        assert_eq!(s.n_over_sla(), 0);
    }
}
