//! The latency distribution of each design: its CDF, and a tail view (the share of requests
//! slower than each latency, on a log scale) with p50, p99 and the SLA marked and the region
//! that breaks the SLA shaded. Another distribution (an LLM run's time to first token and time
//! per output token) is another [`Measure`] and [`Dist`] list through the same two functions.

use super::Table;
use crate::report::chart::{Axis, Figure, HLine, LineChart, Region, Series, VLine};
use crate::report::format::{self, Unit};

/// A distribution a run folder may hold: its file (`latency_s,fraction` rows, as
/// `LatencyStats::cdf_csv` writes them), its `summary.json` family and its words.
#[derive(Clone, Copy, Debug)]
pub(super) struct Measure {
    /// The file beside `summary.json`.
    pub file: &'static str,
    /// The `summary.json` family of its percentiles (`latency_s`).
    pub family: &'static str,
    /// The stem of its chart files (`latency` → `latency_cdf`).
    pub stem: &'static str,
    /// Chart titles start with it.
    pub title: &'static str,
    /// The x axis.
    pub axis: &'static str,
    /// What its objective is called on the charts (`SLA`, `SLO`).
    pub objective: &'static str,
    /// What a warning about a damaged file says is left out.
    pub left_out: &'static str,
}

/// End-to-end latency (`latency.csv`).
pub(super) const LATENCY: Measure = Measure {
    file: "latency.csv",
    family: "latency_s",
    stem: "latency",
    title: "Latency",
    axis: "latency",
    objective: "SLA",
    left_out: "the latency charts are left out",
};
/// Time to first token (`ttft.csv`, LLM runs).
pub(super) const TTFT: Measure = Measure {
    file: "ttft.csv",
    family: "ttft_s",
    stem: "ttft",
    title: "Time to first token (TTFT)",
    axis: "time to first token",
    objective: "SLO",
    left_out: "the TTFT chart is left out",
};
/// Time per output token (`tpot.csv`, LLM runs).
pub(super) const TPOT: Measure = Measure {
    file: "tpot.csv",
    family: "tpot_s",
    stem: "tpot",
    title: "Time per output token (TPOT)",
    axis: "time per output token",
    objective: "SLO",
    left_out: "the TPOT chart is left out",
};

/// One design's distribution: latencies at increasing fractions of requests.
pub(super) struct Dist {
    pub name: String,
    pub latency_s: Vec<f64>,
    pub fraction: Vec<f64>,
}

impl Dist {
    /// From a checked `latency.csv`.
    pub(super) fn of(name: &str, t: &Table) -> Option<Dist> {
        Some(Dist { name: name.into(), latency_s: t.col("latency_s")?.to_vec(), fraction: t.col("fraction")?.to_vec() })
    }

    /// The latency at quantile `q`, interpolated linearly between the file's points.
    pub(super) fn at(&self, q: f64) -> Option<f64> {
        let i = self.fraction.iter().position(|f| *f >= q - 1e-12)?;
        if i == 0 || (self.fraction[i] - q).abs() < 1e-12 {
            return Some(self.latency_s[i]);
        }
        let (f0, f1) = (self.fraction[i - 1], self.fraction[i]);
        let (l0, l1) = (self.latency_s[i - 1], self.latency_s[i]);
        Some(l0 + (l1 - l0) * (q - f0) / (f1 - f0))
    }
}

/// An SLA: latency target and quantile.
pub(super) type SlaLine = (f64, f64);

fn x_axis(m: &Measure, dists: &[Dist], from: f64) -> Axis {
    let (lo, hi) = dists
        .iter()
        .flat_map(|d| d.latency_s.iter().zip(&d.fraction).filter(|(l, f)| **l > 0.0 && **f >= from).map(|(l, _)| *l))
        .fold((f64::INFINITY, 0.0f64), |(l, h), x| (l.min(x), h.max(x)));
    let mut x = Axis::new(m.axis, Unit::Seconds);
    x.log = lo > 0.0 && hi / lo > 20.0;
    x
}

/// The CDF of each design, with the SLA line (and, for an LLM objective, its quantile).
pub(super) fn cdf(m: &Measure, dists: &[Dist], sla: Option<SlaLine>) -> Figure {
    let series = dists
        .iter()
        .map(|d| {
            let points =
                d.latency_s.iter().copied().zip(d.fraction.iter().copied()).filter(|(x, _)| *x > 0.0).collect();
            Series::line(if dists.len() > 1 { d.name.clone() } else { String::new() }, points)
        })
        .collect();
    let mut chart = LineChart::new(
        format!("{} distribution (CDF)", m.title),
        x_axis(m, dists, 0.0),
        Axis { from_zero: true, ..Axis::new("requests at most this slow", Unit::Percent) },
        series,
    );
    if let Some((target, q)) = sla.filter(|s| s.0 > 0.0) {
        let label = format!("{} {}", m.objective, format::duration(target));
        chart.vlines.push(VLine { x: target, label, label_y: 0.5 });
        if m.family != LATENCY.family && q > 0.0 && q < 1.0 {
            chart.hlines.push(HLine { y: q, label: format::quantile(q) });
        }
    }
    Figure::Lines(chart)
}

/// The share of requests slower than each latency, log scale, from the slowest half to the
/// slowest 0.01%: p50 and p99 are where a curve crosses 50% and 1%; the SLA is met when the
/// curve passes below the shaded corner.
pub(super) fn tail(m: &Measure, dists: &[Dist], sla: Option<SlaLine>) -> Figure {
    let series: Vec<Series> = dists
        .iter()
        .map(|d| {
            let points = d
                .latency_s
                .iter()
                .zip(&d.fraction)
                .filter(|(l, f)| **l > 0.0 && **f >= 0.5 && **f < 1.0)
                .map(|(l, f)| (*l, 1.0 - f))
                .collect();
            Series::line(if dists.len() > 1 { d.name.clone() } else { String::new() }, points)
        })
        .collect();
    let y = Axis { log: true, ..Axis::new("requests slower than this", Unit::Percent) };
    let title = format!("{} tail (share of requests slower)", m.title);
    let mut chart = LineChart::new(title, x_axis(m, dists, 0.5), y, series);
    chart.hlines.push(HLine { y: 0.5, label: "p50".into() });
    chart.hlines.push(HLine { y: 0.01, label: "p99".into() });
    if let [d] = dists {
        for (q, label_y) in [(0.5, 0.15), (0.99, 0.3)] {
            if let Some(x) = d.at(q) {
                chart.vlines.push(VLine {
                    x,
                    label: format!("{} {}", format::quantile(q), format::duration(x)),
                    label_y,
                });
            }
        }
    }
    if let Some((target, q)) = sla.filter(|s| s.0 > 0.0 && s.1 > 0.0 && s.1 < 1.0) {
        if (q - 0.99).abs() > 1e-9 && (q - 0.5).abs() > 1e-9 {
            chart.hlines.push(HLine { y: 1.0 - q, label: format::quantile(q) });
        }
        let (word, target_s) = (m.objective, format::duration(target));
        chart.vlines.push(VLine { x: target, label: format!("{word} {target_s}"), label_y: 0.85 });
        chart.regions.push(Region {
            x: (target, f64::INFINITY),
            y: (1.0 - q, f64::INFINITY),
            label: format!("breaks the {word} ({} > {target_s})", format::quantile(q)),
        });
    }
    Figure::Lines(chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_points() {
        let d = Dist { name: String::new(), latency_s: vec![0.1, 0.2, 0.4], fraction: vec![0.5, 0.9, 1.0] };
        assert_eq!(d.at(0.5), Some(0.1));
        assert!((d.at(0.95).unwrap() - 0.3).abs() < 1e-12);
        assert_eq!(d.at(0.2), Some(0.1), "below the first point: the first latency");
    }
}
