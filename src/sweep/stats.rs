//! The statistics a sweep reports per cell: the mean with a 95% confidence interval that stays in
//! its metric's range, percentiles, and the paired difference of two cells run on the same seeds.
//!
//! Which interval a metric gets ([`Method`]) follows from what it measures ([`Range`]): a 0/1
//! outcome per run (`sla.met`) the Wilson score interval; a fraction (`sla.violation_rate`) the
//! Wilson interval at the effective sample size its spread implies; a non-negative quantity (cost,
//! a duration, a count) Student's t on the log scale of the mean, so neither bound can fall below
//! 0; anything else, and every paired difference, Student's t.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// What a cell's replications say about one metric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    /// Replications with a value.
    pub n: usize,
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 in the denominator); NaN when n < 2.
    pub std: f64,
    /// Lower end of the 95% confidence interval of the mean ([`Method`]); NaN when n < 2.
    pub ci_low: f64,
    /// Upper end of the interval.
    pub ci_high: f64,
    /// How the interval was computed.
    pub method: Method,
    /// 5th percentile (linear interpolation between order statistics, numpy's default).
    pub p5: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
}

/// The values a metric can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    /// 0 or 1 in each run (`sla.met`, `job.deadline_met`, `job.completed`).
    Outcome,
    /// A fraction in [0, 1] (`sla.violation_rate`, `fleet.utilization`, `job.progress`).
    Fraction,
    /// Zero or more: costs, durations, counts, rates.
    NonNegative,
}

impl Range {
    /// The range of a `summary.json` key, from its name: outcomes end in `met` (or are
    /// `job.completed`), fractions are rates, utilizations, attainments, quantiles and progress;
    /// every other summary figure is a non-negative amount.
    pub fn of(metric: &str) -> Range {
        let leaf = metric.rsplit('.').next().unwrap_or(metric);
        if leaf == "met" || leaf.ends_with("_met") || metric == "job.completed" {
            Range::Outcome
        } else if leaf.ends_with("_rate")
            || leaf.contains("utilization")
            || leaf == "attainment"
            || leaf == "quantile"
            || leaf == "progress"
        {
            Range::Fraction
        } else {
            Range::NonNegative
        }
    }

    fn holds(self, v: f64) -> bool {
        match self {
            Range::Outcome => v == 0.0 || v == 1.0,
            Range::Fraction => (0.0..=1.0).contains(&v),
            Range::NonNegative => v >= 0.0,
        }
    }
}

/// How a 95% interval of a mean is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// mean ± t(0.975, n − 1) · s / √n.
    StudentT,
    /// mean · exp(± t(0.975, n − 1) · s / (√n · mean)): Student's t for log(mean) by the delta
    /// method; stays above 0 and is longer upwards, as skewed amounts are.
    LogT,
    /// Wilson's score interval for k successes in n runs, z = 1.96.
    Wilson,
    /// Wilson's score interval at the effective sample size n_eff = p(1 − p) / (s² / n) that the
    /// runs' spread implies (the design-effect adjustment of survey statistics), with
    /// t(0.975, n − 1) for z.
    WilsonEffective,
}

impl Method {
    /// The name written in `summary.csv` and `compare.csv` (`ci95_method`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::StudentT => "t",
            Method::LogT => "log-t",
            Method::Wilson => "wilson",
            Method::WilsonEffective => "wilson-neff",
        }
    }

    /// Parses [`Method::as_str`].
    pub fn parse(s: &str) -> Option<Method> {
        [Method::StudentT, Method::LogT, Method::Wilson, Method::WilsonEffective].into_iter().find(|m| m.as_str() == s)
    }

    /// A sentence for a report's reader.
    pub fn explain(self) -> &'static str {
        match self {
            Method::StudentT => "Student t: mean ± t(0.975, n − 1)·s/√n",
            Method::LogT => "Student t on the log scale: mean × exp(± t·s/(√n·mean)), never below 0",
            Method::Wilson => "Wilson score interval for the share of runs (within 0–100%)",
            Method::WilsonEffective => {
                "Wilson score interval at the effective sample size p(1 − p)/(s²/n) of the runs' spread (within 0–100%)"
            }
        }
    }

    /// The interval `metric` gets for `values`: by its [`Range`], or Student's t when a value
    /// lies outside that range (an edited file, a metric added later).
    pub fn for_metric(metric: &str, values: &[f64]) -> Method {
        // A value outside the metric's range moves it to the next wider one.
        let within = |range: Range| values.iter().all(|v| range.holds(*v));
        match Range::of(metric) {
            Range::Outcome if within(Range::Outcome) => Method::Wilson,
            Range::Outcome | Range::Fraction if within(Range::Fraction) => Method::WilsonEffective,
            _ if within(Range::NonNegative) => Method::LogT,
            _ => Method::StudentT,
        }
    }
}

/// The two-sided 97.5% quantile of Student's t with `df` degrees of freedom.
pub fn t_975(df: usize) -> f64 {
    if df == 0 {
        return f64::NAN;
    }
    StudentsT::new(0.0, 1.0, df as f64).map_or(f64::NAN, |t| t.inverse_cdf(0.975))
}

/// Summarizes `values` (in any order) with a Student-t interval; `None` when there are none.
/// For signed quantities such as paired differences.
pub fn describe(values: &[f64]) -> Option<Stats> {
    summarize(values, Method::StudentT)
}

/// Summarizes the values of `metric` (a `summary.json` key) with the interval its range calls
/// for ([`Method::for_metric`]).
pub fn describe_metric(metric: &str, values: &[f64]) -> Option<Stats> {
    summarize(values, Method::for_metric(metric, values))
}

fn summarize(values: &[f64], method: Method) -> Option<Stats> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let std = if n >= 2 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    let (ci_low, ci_high) = interval(method, n, mean, std);
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(Stats {
        n,
        mean,
        std,
        ci_low,
        ci_high,
        method,
        p5: percentile(&sorted, 0.05),
        p50: percentile(&sorted, 0.50),
        p95: percentile(&sorted, 0.95),
    })
}

/// The two-sided 97.5% quantile of the standard normal distribution.
fn z_975() -> f64 {
    Normal::new(0.0, 1.0).map_or(1.959_963_984_540_054, |z| z.inverse_cdf(0.975))
}

/// The 95% interval of a mean of `n` values with sample standard deviation `std` by `method`;
/// NaN when n < 2. Identical values (s = 0) give the point itself, except for Wilson's interval
/// of 0/1 outcomes, which is informative even then (10 of 10 runs: 72%–100%).
pub fn interval(method: Method, n: usize, mean: f64, std: f64) -> (f64, f64) {
    if n < 2 || !mean.is_finite() || !std.is_finite() {
        return (f64::NAN, f64::NAN);
    }
    if std == 0.0 && method != Method::Wilson {
        return (mean, mean);
    }
    let se = std / (n as f64).sqrt();
    let t = t_975(n - 1);
    match method {
        Method::StudentT => (mean - t * se, mean + t * se),
        Method::LogT if mean > 0.0 => {
            let factor = (t * se / mean).exp();
            (mean / factor, mean * factor)
        }
        Method::LogT => (mean, mean),
        Method::Wilson => wilson(mean, n as f64, z_975()),
        Method::WilsonEffective => wilson(mean, mean * (1.0 - mean) / (se * se), t),
    }
}

/// Wilson's score interval for a proportion `p` of `n` trials at quantile `z` (Wilson 1927):
/// (p + z²/2n ± z·√(p(1 − p)/n + z²/4n²)) / (1 + z²/n), always within [0, 1].
fn wilson(p: f64, n: f64, z: f64) -> (f64, f64) {
    let z2n = z * z / n;
    let denom = 1.0 + z2n;
    let centre = (p + z2n / 2.0) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2n / (4.0 * n)).max(0.0).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The `q` quantile of sorted values, interpolating linearly between the order statistics at
/// (n − 1)·q (Hyndman and Fan's type 7).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// Mean and 95% interval of `a[r] − b[r]` over the replications both have: with common random
/// numbers this is far tighter than comparing the two intervals.
pub fn paired_difference(pairs: &[(f64, f64)]) -> Option<Stats> {
    let diffs: Vec<f64> = pairs.iter().map(|(a, b)| a - b).collect();
    describe(&diffs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Worked by hand: 1..5 has mean 3, variance 10/4 = 2.5, t(0.975, 4) = 2.7764451, so the
    /// half-width is 2.7764451 · √2.5 / √5 = 1.9632432; percentiles at (n − 1)·q = 0.2, 2, 3.8.
    #[test]
    fn one_to_five_by_hand() {
        let s = describe(&[5.0, 1.0, 4.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.n, 5);
        assert_eq!(s.mean, 3.0);
        assert!(close(s.std, 2.5f64.sqrt(), 1e-12));
        assert!(close(s.ci_low, 3.0 - 1.963_243_2, 1e-6), "{}", s.ci_low);
        assert!(close(s.ci_high, 3.0 + 1.963_243_2, 1e-6), "{}", s.ci_high);
        assert!(close(s.p5, 1.2, 1e-12) && close(s.p50, 3.0, 1e-12) && close(s.p95, 4.8, 1e-12), "{s:?}");
    }

    /// Table values of Student's t (two-sided 95%).
    #[test]
    fn t_quantiles_match_tables() {
        for (df, t) in [(1, 12.706_205), (2, 4.302_653), (9, 2.262_157), (29, 2.045_230), (1000, 1.962_339)] {
            assert!(close(t_975(df), t, 1e-5), "df {df}: {}", t_975(df));
        }
        assert!(t_975(0).is_nan());
    }

    #[test]
    fn one_value_has_no_interval() {
        let s = describe(&[7.0]).unwrap();
        assert_eq!((s.mean, s.p5, s.p95), (7.0, 7.0, 7.0));
        assert!(s.ci_low.is_nan() && s.std.is_nan());
        assert!(describe(&[]).is_none());
    }

    /// Paired by hand: differences 1, 2, 3 → mean 2, sd 1, half-width t(0.975, 2)/√3 = 2.4841377.
    #[test]
    fn paired_difference_by_hand() {
        let d = paired_difference(&[(11.0, 10.0), (22.0, 20.0), (33.0, 30.0)]).unwrap();
        assert_eq!(d.mean, 2.0);
        assert!(close(d.ci_low, 2.0 - 2.484_137_7, 1e-6) && close(d.ci_high, 2.0 + 2.484_137_7, 1e-6), "{d:?}");
    }

    /// Coverage: of 4000 intervals from 10 normal samples each, 95% ± 1.4% (four standard errors
    /// of a binomial proportion, √(0.95·0.05/4000) = 0.34%) contain the true mean. A normal
    /// quantile instead of t's would cover only about 92.3% and fail.
    #[test]
    fn intervals_cover_the_true_mean() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let normal = Normal::new(10.0, 3.0).unwrap();
        let trials = 4000;
        let covered = (0..trials)
            .filter(|_| {
                let xs: Vec<f64> = (0..10).map(|_| normal.sample(&mut rng)).collect();
                let s = describe(&xs).unwrap();
                s.ci_low <= 10.0 && 10.0 <= s.ci_high
            })
            .count();
        let rate = covered as f64 / trials as f64;
        assert!((0.936..=0.964).contains(&rate), "coverage {rate}");
    }

    /// Wilson by hand, 2 successes in 10 runs, z = 1.959964: z²/n = 0.384146, centre
    /// (0.2 + 0.192073)/1.384146 = 0.283260, half 1.959964/1.384146 · √(0.016 + 0.009604) = 0.226582:
    /// 5.67% to 50.98% (the t interval, 0.2 ± 2.262·0.1333, would be −10% to 50%).
    #[test]
    fn wilson_by_hand() {
        let s = describe_metric("sla.met", &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]).unwrap();
        assert_eq!(s.method, Method::Wilson);
        assert!(close(s.ci_low, 0.056_678, 1e-5) && close(s.ci_high, 0.509_843, 1e-5), "{s:?}");
        // Ten of ten: n/(n + z²) = 10/13.841459 = 72.25% to 100%, not the point 100%.
        let all = describe_metric("job.deadline_met", &[1.0; 10]).unwrap();
        assert!(close(all.ci_low, 0.722_467, 1e-5) && all.ci_high == 1.0, "{all:?}");
    }

    /// Log-scale t by hand for 1..5: mean 3, s/√n = √2.5/√5 = 0.7071068, t·se/mean = 0.6544144,
    /// exp(0.6544144) = 1.9240155: 3/1.9240155 = 1.5592390 to 3·1.9240155 = 5.7720464.
    #[test]
    fn log_t_by_hand() {
        let s = describe_metric("cost_usd.total", &[5.0, 1.0, 4.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.method, Method::LogT);
        assert!(close(s.ci_low, 1.559_239_0, 1e-6) && close(s.ci_high, 5.772_046_4, 1e-6), "{s:?}");
        let zeros = describe_metric("fleet.interruptions", &[0.0; 4]).unwrap();
        assert_eq!((zeros.ci_low, zeros.ci_high), (0.0, 0.0), "nothing happened: no spread");
    }

    /// Wilson at the effective sample size by hand: fractions 0, 0, 0, 0.004: mean 0.001,
    /// s² = (3·0.001² + 0.003²)/3 = 4e-6, se² = 1e-6, n_eff = 0.001·0.999/1e-6 = 999,
    /// z = t(0.975, 3) = 3.1824463: z²/n = 0.0101381, centre (0.001 + 0.0050691)/1.0101381
    /// = 0.0060081, half 3.1824463/1.0101381 · √(0.999e-6 + 2.5371e-6) = 0.0059252: 0.0083% to
    /// 1.1933%.
    #[test]
    fn wilson_at_the_effective_sample_size_by_hand() {
        let s = describe_metric("sla.violation_rate", &[0.0, 0.0, 0.0, 0.004]).unwrap();
        assert_eq!(s.method, Method::WilsonEffective);
        assert!(close(s.ci_low, 0.000_083_0, 1e-7) && close(s.ci_high, 0.011_933_3, 1e-7), "{s:?}");
        let plain = describe(&[0.0, 0.0, 0.0, 0.004]).unwrap();
        assert!(plain.ci_low < 0.0, "Student's t would go below 0: {plain:?}");
    }

    #[test]
    fn each_metric_gets_the_interval_of_its_range() {
        for (metric, range) in [
            ("sla.met", Range::Outcome),
            ("job.deadline_met", Range::Outcome),
            ("job.completed", Range::Outcome),
            ("sla.violation_rate", Range::Fraction),
            ("fleet.utilization", Range::Fraction),
            ("job.progress", Range::Fraction),
            ("fleet.interruptions", Range::NonNegative),
            ("cost_usd.total", Range::NonNegative),
            ("latency_s.p99", Range::NonNegative),
        ] {
            assert_eq!(Range::of(metric), range, "{metric}");
        }
        // Values outside the range (a damaged file) widen it rather than misstate it.
        assert_eq!(Method::for_metric("sla.met", &[0.5, 1.0]), Method::WilsonEffective);
        assert_eq!(Method::for_metric("fleet.utilization", &[1.5]), Method::LogT);
        assert_eq!(Method::for_metric("cost_usd.total", &[-1.0, 2.0]), Method::StudentT);
        for m in [Method::StudentT, Method::LogT, Method::Wilson, Method::WilsonEffective] {
            assert_eq!(Method::parse(m.as_str()), Some(m));
        }
    }

    /// Rare events, 2 to 20 runs: Poisson counts with mean 0.05 to 2 and fractions that are
    /// mostly 0. Every interval holds its mean and stays in the metric's range.
    #[test]
    fn intervals_of_rare_events_stay_in_range() {
        use rand_distr::Poisson;
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for trial in 0..4000 {
            let n = 2 + trial % 19;
            let lambda = [0.05, 0.2, 0.5, 2.0][trial % 4];
            let poisson = Poisson::new(lambda).unwrap();
            let counts: Vec<f64> = (0..n).map(|_| poisson.sample(&mut rng)).collect();
            let rates: Vec<f64> = counts.iter().map(|c| c / 1000.0).collect();
            for (metric, values, top) in
                [("fleet.interruptions", &counts, f64::INFINITY), ("sla.violation_rate", &rates, 1.0)]
            {
                let s = describe_metric(metric, values).unwrap();
                assert!(s.ci_low >= 0.0 && s.ci_high <= top, "{metric} {values:?}: {s:?}");
                assert!(s.ci_low <= s.mean && s.mean <= s.ci_high, "{metric} {values:?}: {s:?}");
            }
        }
    }

    /// Coverage of the range-respecting intervals, 4000 trials each (a binomial standard error
    /// of 0.34% at 95%). Poisson counts (mean 2, 10 runs) on the log scale: 95% ± 2% (the delta
    /// method is approximate for a skewed count; observed 96.0%). 0/1 outcomes (p = 0.8, 20 runs):
    /// Wilson's coverage oscillates around 95% with p and n, within 92%–98% at these sizes
    /// (Brown, Cai and DasGupta 2001, fig. 4; observed 95.4%). Fractions (Beta(1, 19), mean 0.05,
    /// 10 runs), skewed as violation rates are: at least 92%, and no worse than Student's t on
    /// the same kind of data, which also under-covers here (observed 92.9% against t's 90.6%).
    #[test]
    fn range_respecting_intervals_cover_the_true_mean() {
        use rand_distr::{Bernoulli, Beta, Poisson};
        type Rng = rand::rngs::StdRng;
        let mut rng = Rng::seed_from_u64(7);
        let trials = 4000;
        let cover = |rng: &mut Rng,
                     describe: &dyn Fn(&[f64]) -> Stats,
                     n: usize,
                     truth: f64,
                     draw: &dyn Fn(&mut Rng) -> f64| {
            let hits = (0..trials)
                .filter(|_| {
                    let xs: Vec<f64> = (0..n).map(|_| draw(rng)).collect();
                    let s = describe(&xs);
                    s.ci_low <= truth && truth <= s.ci_high
                })
                .count();
            hits as f64 / trials as f64
        };
        let by = |metric: &'static str| move |xs: &[f64]| describe_metric(metric, xs).unwrap();
        let poisson = Poisson::new(2.0).unwrap();
        let counts = cover(&mut rng, &by("fleet.interruptions"), 10, 2.0, &|r| poisson.sample(r));
        assert!((0.93..=0.97).contains(&counts), "log-t coverage {counts}");
        let bernoulli = Bernoulli::new(0.8).unwrap();
        let outcomes = cover(&mut rng, &by("sla.met"), 20, 0.8, &|r| f64::from(u8::from(bernoulli.sample(r))));
        assert!((0.92..=0.98).contains(&outcomes), "Wilson coverage {outcomes}");
        let beta = Beta::new(1.0, 19.0).unwrap();
        let fractions = cover(&mut rng, &by("sla.violation_rate"), 10, 0.05, &|r| beta.sample(r));
        let student = cover(&mut rng, &|xs: &[f64]| describe(xs).unwrap(), 10, 0.05, &|r| beta.sample(r));
        assert!(fractions >= 0.92 && fractions >= student, "effective-size Wilson {fractions}, t {student}");
    }
}
