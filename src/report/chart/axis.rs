//! Axes: their range and ticks (round values, round durations, decades, or a sweep's grid
//! values), tick labels in the report's number format, and the titled plane every chart but the
//! heat map and the bars is drawn on.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::FAMILY;
use crate::report::format::{self, Unit};

/// An axis: its label (with the unit), how values are written, and whether it is logarithmic.
#[derive(Clone, Debug)]
pub struct Axis {
    /// Label, e.g. "checkpoint interval".
    pub label: String,
    /// Unit of the values.
    pub unit: Unit,
    /// Log10 scale (all values must be positive).
    pub log: bool,
    /// Start the axis at 0 (linear axes whose values are all positive).
    pub from_zero: bool,
    /// Ticks at these values (a sweep's grid values) instead of round numbers.
    pub ticks: Option<Vec<f64>>,
}

impl Axis {
    /// A linear axis.
    pub fn new(label: &str, unit: Unit) -> Axis {
        Axis { label: label.into(), unit, log: false, from_zero: false, ticks: None }
    }

    pub(super) fn desc(&self) -> String {
        let unit = match self.unit {
            Unit::Seconds => "",
            Unit::Usd => " (US$)",
            Unit::Percent => " (%)",
            Unit::Number => "",
        };
        let log = if self.log { ", log scale" } else { "" };
        if self.label.contains('(') { format!("{}{log}", self.label) } else { format!("{}{unit}{log}", self.label) }
    }

    pub(super) fn to_plot(&self, v: f64) -> f64 {
        if self.log { v.max(1e-12).log10() } else { v }
    }

    pub(super) fn to_data(&self, v: f64) -> f64 {
        if self.log { 10f64.powf(v) } else { v }
    }

    /// The plotted range and its ticks for data spanning [lo, hi]. Data that all tie get a
    /// range around the value with at least two ticks.
    pub(super) fn range(&self, lo: f64, hi: f64) -> (f64, f64, Vec<f64>) {
        let (mut lo, mut hi) = (self.to_plot(lo), self.to_plot(hi));
        if self.from_zero && !self.log && lo > 0.0 {
            lo = 0.0;
        }
        if (hi - lo).abs() < 1e-12 {
            let pad = if self.log {
                0.5
            } else if hi.abs() > 1e-12 {
                hi.abs() * 0.1
            } else {
                1.0
            };
            lo = if self.from_zero && !self.log && lo >= 0.0 { 0.0 } else { lo - pad };
            hi += pad;
        }
        let pad = (hi - lo) * 0.04;
        let (lo, hi) = (if self.from_zero && lo == 0.0 { 0.0 } else { lo - pad }, hi + pad);
        let mut ticks = match &self.ticks {
            Some(t) => t.iter().map(|v| self.to_plot(*v)).filter(|v| (lo..=hi).contains(v)).collect(),
            None => Vec::new(),
        };
        if ticks.len() < 2 {
            ticks = if self.log {
                format::log_ticks(lo, hi)
            } else if self.unit == Unit::Seconds {
                format::duration_ticks(lo, hi, 6)
            } else {
                format::nice_ticks(lo, hi, 6)
            };
        }
        if ticks.len() < 2 {
            // A narrow log range between round values: its ends, written as they are.
            ticks = vec![lo + (hi - lo) * 0.1, hi - (hi - lo) * 0.1];
        }
        (lo, hi, ticks)
    }

    pub(super) fn label_of(&self, plot_v: f64) -> String {
        self.unit.tick(self.to_data(plot_v))
    }
}

/// A linear axis from .0 to .1 whose ticks are exactly .2 (plotters' own key points would
/// pick their own positions and labels).
#[derive(Clone)]
pub(super) struct Ticked(pub f64, pub f64, pub Vec<f64>);

impl Ranged for Ticked {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        if self.1 == self.0 {
            return (limit.0 + limit.1) / 2;
        }
        let frac = (v - self.0) / (self.1 - self.0);
        limit.0 + ((limit.1 - limit.0) as f64 * frac + 1e-3).floor() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() { Vec::new() } else { self.2.clone() }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.0..self.1
    }
}

pub(super) type Plane<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked, Ticked>>;

/// A titled chart on `area` with both axes, their labels and a light grid at the ticks.
pub(super) fn plane<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    (x, xr): (&Axis, Ticked),
    (y, yr): (&Axis, Ticked),
) -> Result<Plane<'a, DB>, String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FAMILY, 20))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(xr, yr)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(x.desc())
        .y_desc(y.desc())
        .x_label_formatter(&|v| x.label_of(*v))
        .y_label_formatter(&|v| y.label_of(*v))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .label_style((FAMILY, 15))
        .axis_desc_style((FAMILY, 15))
        .draw()
        .map_err(e)?;
    Ok(chart)
}

/// The smallest and largest finite values (positive ones on a log axis).
pub(super) fn bounds(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi { if log { (1.0, 10.0) } else { (0.0, 1.0) } } else { (lo, hi) }
}
