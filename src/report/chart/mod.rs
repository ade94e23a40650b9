//! Charts as data (what to draw) and one renderer that draws each into SVG and PNG with plotters,
//! using the font bundled in the binary (no system font libraries).
//!
//! Colours come from the Okabe–Ito palette, which colour-blind readers tell apart; series also
//! differ in dash pattern and marker shape, so they survive greyscale printing. Legends sit in a
//! strip to the right of the plot, where they cannot cover data. One file per kind of chart:
//! `lines.rs` (time series, distributions, sweep curves), `bars.rs`, `scatter.rs` (cost against
//! latency with the Pareto front and the constraints), `heatmap.rs` (two-axis sweeps); a new kind
//! is a new variant of [`Figure`] and a new file.

mod axis;
mod bars;
mod heatmap;
mod legend;
mod lines;
mod scatter;

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

pub use axis::Axis;
use axis::{Ticked, bounds, plane};

use super::format::Unit;

/// DejaVu Sans (Bitstream Vera licence, `assets/fonts/DejaVuSans-LICENSE.txt`).
const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Okabe–Ito colours in an order whose lightness alternates: blue, orange, black, sky blue,
/// vermillion, bluish green, reddish purple, yellow.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 0, 0),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(240, 228, 66),
];

/// Okabe–Ito vermillion: what fails a constraint (shaded regions, crosses).
const FAIL: RGBColor = RGBColor(213, 94, 0);
/// Points that are not on the Pareto front.
const GREY: RGBColor = RGBColor(120, 120, 120);

/// The colour of series `i`.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A line with an optional 95% band and markers at its points.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend text (empty: not in the legend).
    pub name: String,
    /// (x, y) in data units.
    pub points: Vec<(f64, f64)>,
    /// (x, low, high) of a band drawn under the line.
    pub band: Vec<(f64, f64, f64)>,
    /// Draw a marker at each point.
    pub markers: bool,
    /// Join the points with a line.
    pub line: bool,
}

impl Series {
    /// A plain line.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series { name: name.into(), points, band: Vec::new(), markers: false, line: true }
    }
}

/// A vertical line across the plot with a label.
#[derive(Clone, Debug)]
pub struct VLine {
    /// Where, in data units.
    pub x: f64,
    /// Text.
    pub label: String,
    /// Height of the label, as a fraction of the plot from the bottom.
    pub label_y: f64,
}

/// A horizontal reference line with a label at its right end.
#[derive(Clone, Debug)]
pub struct HLine {
    /// Where, in data units.
    pub y: f64,
    /// Text (empty: none; a constraint is named in the legend by its shaded region).
    pub label: String,
}

/// A shaded rectangle in data units (infinite ends reach the plot's edge): where a constraint
/// fails.
#[derive(Clone, Debug)]
pub struct Region {
    /// From and to on the x axis.
    pub x: (f64, f64),
    /// From and to on the y axis.
    pub y: (f64, f64),
    /// Legend text.
    pub label: String,
}

/// Lines over a shared x axis.
#[derive(Clone, Debug)]
pub struct LineChart {
    /// Title.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// The lines.
    pub series: Vec<Series>,
    /// Vertical reference lines (SLA, Young's and Daly's intervals).
    pub vlines: Vec<VLine>,
    /// Horizontal reference lines (quantiles, constraints).
    pub hlines: Vec<HLine>,
    /// Shaded regions (the side of a constraint that fails it).
    pub regions: Vec<Region>,
    /// Points marked with a triangle on the x axis (interruptions), data x.
    pub events: Vec<f64>,
    /// Legend text for the event markers.
    pub events_label: String,
}

impl LineChart {
    /// A chart of `series` with no reference lines.
    pub fn new(title: impl Into<String>, x: Axis, y: Axis, series: Vec<Series>) -> LineChart {
        LineChart {
            title: title.into(),
            x,
            y,
            series,
            vlines: Vec::new(),
            hlines: Vec::new(),
            regions: Vec::new(),
            events: Vec::new(),
            events_label: String::new(),
        }
    }
}

/// Stacked bars: one bar per category, one segment per part.
#[derive(Clone, Debug)]
pub struct BarChart {
    /// Title.
    pub title: String,
    /// Vertical axis.
    pub y: Axis,
    /// Bar names.
    pub categories: Vec<String>,
    /// (segment name, value per category), bottom first.
    pub segments: Vec<(String, Vec<f64>)>,
}

/// A design or sweep cell on a cost-against-latency plot.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// x in data units.
    pub x: f64,
    /// y in data units.
    pub y: f64,
    /// 95% interval of x, if known.
    pub x_ci: Option<(f64, f64)>,
    /// 95% interval of y, if known.
    pub y_ci: Option<(f64, f64)>,
    /// Its name.
    pub label: String,
    /// Whether it meets every constraint.
    pub feasible: bool,
}

/// An upper limit on an axis (a constraint such as the SLA): drawn as a line, the side above it
/// shaded.
#[derive(Clone, Debug)]
pub struct Limit {
    /// The limit, in data units.
    pub value: f64,
    /// What it is (`SLA p99 ≤ 100ms`).
    pub label: String,
}

/// Points with the Pareto front of the feasible ones (lower x and lower y both better) drawn and
/// labelled, 95% intervals as error bars, and the limits of the constraints.
#[derive(Clone, Debug)]
pub struct Scatter {
    /// Title.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// The points.
    pub points: Vec<Point>,
    /// A point to ring (the best cell), by index.
    pub highlight: Option<usize>,
    /// A limit on x (the SLA latency).
    pub x_limit: Option<Limit>,
    /// A limit on y (a budget).
    pub y_limit: Option<Limit>,
    /// A line under the legend (how many points are shown).
    pub note: String,
}

/// The mean of a metric over a grid of two axes, one cell per grid cell.
#[derive(Clone, Debug)]
pub struct HeatMap {
    /// Title.
    pub title: String,
    /// Horizontal axis: label and values (columns).
    pub x: (String, Vec<String>),
    /// Vertical axis: label and values (rows, bottom first).
    pub y: (String, Vec<String>),
    /// Values row by row (`y` index × columns + `x` index); `None` where a cell has no value.
    pub values: Vec<Option<f64>>,
    /// How values are written.
    pub unit: Unit,
    /// What the colour shows (`requests per dollar`).
    pub value_label: String,
    /// Cells that fail a constraint, same layout as `values`.
    pub infeasible: Vec<bool>,
    /// The best cell, by index in `values`.
    pub best: Option<usize>,
}

/// Something to draw.
#[derive(Clone, Debug)]
pub enum Figure {
    /// Lines.
    Lines(LineChart),
    /// Line charts stacked vertically, sharing the x axis.
    Stack(Vec<LineChart>),
    /// Stacked bars.
    Bars(BarChart),
    /// A scatter with its Pareto front.
    Pareto(Scatter),
    /// A heat map of a two-axis sweep.
    Heat(HeatMap),
}

/// A title inside a sentence: lower case, but an initialism stays (`KV cache in use`).
fn in_sentence(title: &str) -> String {
    let mut words = title.split(' ');
    let first = words.next().unwrap_or("");
    let first =
        if first.chars().filter(|c| c.is_uppercase()).count() > 1 { first.to_string() } else { first.to_lowercase() };
    std::iter::once(first).chain(words.map(str::to_lowercase)).collect::<Vec<_>>().join(" ")
}

impl Figure {
    /// Its title (for the report).
    pub fn title(&self) -> String {
        match self {
            Figure::Lines(c) => c.title.clone(),
            Figure::Stack(cs) => {
                format!("Over time: {}", cs.iter().map(|c| in_sentence(&c.title)).collect::<Vec<_>>().join(", "))
            }
            Figure::Bars(c) => c.title.clone(),
            Figure::Pareto(c) => c.title.clone(),
            Figure::Heat(c) => c.title.clone(),
        }
    }
}

/// A drawn chart.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// SVG text.
    pub svg: String,
    /// PNG bytes.
    pub png: Vec<u8>,
}

/// Indexes of the points on the Pareto front (no other point is at least as good in both and
/// better in one), sorted by x.
pub fn pareto_front(points: &[(f64, f64)]) -> Vec<usize> {
    let mut order: Vec<usize> =
        (0..points.len()).filter(|&i| points[i].0.is_finite() && points[i].1.is_finite()).collect();
    // By x, then y, then index: a point is on the front when its y is below every y before it.
    order.sort_by(|&a, &b| {
        points[a].0.total_cmp(&points[b].0).then(points[a].1.total_cmp(&points[b].1)).then(a.cmp(&b))
    });
    let mut front = Vec::new();
    let mut best_y = f64::INFINITY;
    for i in order {
        if points[i].1 < best_y {
            best_y = points[i].1;
            front.push(i);
        }
    }
    front
}

/// Indexes of the feasible points on the Pareto front, sorted by x (of all points when none is
/// feasible).
pub fn feasible_front(points: &[Point]) -> Vec<usize> {
    let any_feasible = points.iter().any(|p| p.feasible);
    let candidates: Vec<usize> = (0..points.len()).filter(|&i| points[i].feasible || !any_feasible).collect();
    let xy: Vec<(f64, f64)> = candidates.iter().map(|&i| (points[i].x, points[i].y)).collect();
    pareto_front(&xy).into_iter().map(|k| candidates[k]).collect()
}

/// Draws `figure` at `size` pixels into SVG and PNG.
pub fn render(figure: &Figure, size: (u32, u32)) -> Result<Rendered, String> {
    static FONT_ONCE: Once = Once::new();
    FONT_ONCE.call_once(|| {
        // The bundled font is a valid TrueType file; a failure would show as missing text.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(figure, &root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        draw(figure, &root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut png = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new(&mut png);
    image::ImageEncoder::write_image(encoder, &rgb, size.0, size.1, image::ColorType::Rgb8)
        .map_err(|e| e.to_string())?;
    Ok(Rendered { svg, png })
}

fn draw<DB: DrawingBackend>(figure: &Figure, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    match figure {
        Figure::Lines(c) => {
            let width = legend::width(root, &lines::entries(c));
            lines::draw(c, root, width)
        }
        Figure::Stack(charts) => {
            // One legend width for every panel, so that their time axes line up.
            let width = charts.iter().map(|c| legend::width(root, &lines::entries(c))).max().unwrap_or(0);
            let areas = root.split_evenly((charts.len().max(1), 1));
            for (c, area) in charts.iter().zip(&areas) {
                lines::draw(c, area, width)?;
            }
            Ok(())
        }
        Figure::Bars(c) => bars::draw(c, root),
        Figure::Pareto(c) => scatter::draw(c, root),
        Figure::Heat(c) => heatmap::draw(c, root),
    }
}

fn style(i: usize) -> ShapeStyle {
    colour(i).stroke_width(2)
}

/// Dash length and gap of series `i`: solid, dashed, dotted, long dashes…
fn dashes(i: usize) -> Option<(u32, u32)> {
    [None, Some((8, 5)), Some((2, 4)), Some((14, 5))][i % 4]
}

/// Matplotlib's viridis at `t` in [0, 1] (dark purple to yellow), from its eight anchor colours:
/// perceptually uniform and readable by colour-blind readers and in greyscale.
fn viridis(t: f64) -> RGBColor {
    const ANCHORS: [(u8, u8, u8); 8] = [
        (68, 1, 84),
        (70, 50, 127),
        (54, 92, 141),
        (39, 127, 143),
        (31, 162, 136),
        (74, 194, 110),
        (160, 219, 57),
        (254, 232, 37),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 } * 7.0;
    let i = (t.floor() as usize).min(6);
    let f = t - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pareto_front_keeps_the_undominated_points() {
        let pts = [(1.0, 9.0), (2.0, 5.0), (3.0, 6.0), (4.0, 1.0), (4.0, 1.0), (5.0, 1.0)];
        assert_eq!(pareto_front(&pts), [0, 1, 3], "(3,6) is dominated by (2,5); (5,1) by (4,1); ties once");
    }

    /// Values that all tie still get an axis with ticks, linear or log, in any unit.
    #[test]
    fn tied_values_keep_their_ticks() {
        for unit in [Unit::Seconds, Unit::Usd, Unit::Number, Unit::Percent] {
            for v in [0.0, 0.05, 1.0, 300.0, 1234.5] {
                for log in [false, true] {
                    if log && v == 0.0 {
                        continue;
                    }
                    let axis = Axis { log, ..Axis::new("x", unit) };
                    let (lo, hi, ticks) = axis.range(v, v);
                    assert!(ticks.len() >= 2, "{unit:?} {v} log {log}: {ticks:?} in [{lo}, {hi}]");
                    assert!(ticks.iter().all(|t| (lo..=hi).contains(t)), "{ticks:?} in [{lo}, {hi}]");
                }
            }
        }
        let one = Axis { ticks: Some(vec![5.0]), ..Axis::new("grid", Unit::Number) };
        assert!(one.range(5.0, 5.0).2.len() >= 2, "a one-value grid falls back to round ticks");
    }

    #[test]
    fn viridis_runs_from_purple_to_yellow() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(254, 232, 37));
        assert_eq!(viridis(f64::NAN), RGBColor(68, 1, 84));
    }
}
