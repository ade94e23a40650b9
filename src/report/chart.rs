//! Charts as data (what to draw) and one renderer that draws each into SVG and PNG with plotters,
//! using the font bundled in the binary (no system font libraries).
//!
//! Colours come from the Okabe–Ito palette, which colour-blind readers tell apart; series also
//! differ in dash pattern and marker shape, so they survive greyscale printing.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::format::{self, Unit};

/// DejaVu Sans (Bitstream Vera licence, `assets/fonts/DejaVuSans-LICENSE.txt`).
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
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

/// The colour of series `i`.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

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

    fn desc(&self) -> String {
        let unit = match self.unit {
            Unit::Seconds => "",
            Unit::Usd => " (US$)",
            Unit::Percent => " (%)",
            Unit::Number => "",
        };
        let log = if self.log { ", log scale" } else { "" };
        if self.label.contains('(') { format!("{}{log}", self.label) } else { format!("{}{unit}{log}", self.label) }
    }

    fn to_plot(&self, v: f64) -> f64 {
        if self.log { v.max(1e-12).log10() } else { v }
    }

    fn to_data(&self, v: f64) -> f64 {
        if self.log { 10f64.powf(v) } else { v }
    }

    /// The plotted range and its ticks for data spanning [lo, hi].
    fn range(&self, lo: f64, hi: f64) -> (f64, f64, Vec<f64>) {
        let (mut lo, mut hi) = (self.to_plot(lo), self.to_plot(hi));
        if self.from_zero && !self.log && lo > 0.0 {
            lo = 0.0;
        }
        if (hi - lo).abs() < 1e-12 {
            let pad = if hi.abs() > 1e-12 { hi.abs() * 0.1 } else { 1.0 };
            lo -= pad;
            hi += pad;
        }
        let pad = (hi - lo) * 0.04;
        let (lo, hi) = (if self.from_zero && lo == 0.0 { 0.0 } else { lo - pad }, hi + pad);
        let ticks = if let Some(t) = &self.ticks {
            t.iter().map(|v| self.to_plot(*v)).filter(|v| (lo..=hi).contains(v)).collect()
        } else if self.log {
            format::log_ticks(lo, hi)
        } else if self.unit == Unit::Seconds {
            format::duration_ticks(lo, hi, 6)
        } else {
            format::nice_ticks(lo, hi, 6)
        };
        (lo, hi, ticks)
    }

    fn label_of(&self, plot_v: f64) -> String {
        self.unit.format(self.to_data(plot_v))
    }
}

/// A line with an optional 95% band and markers at its points.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend text.
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
    /// Points marked with a triangle on the x axis (interruptions), data x.
    pub events: Vec<f64>,
    /// Legend text for the event markers.
    pub events_label: String,
    /// Put the legend at the lower right (where the lines leave room).
    pub legend_lower: bool,
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

/// Points with the Pareto front (lower x and lower y both better) drawn and labelled.
#[derive(Clone, Debug)]
pub struct Scatter {
    /// Title.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// (x, y, label).
    pub points: Vec<(f64, f64, String)>,
    /// A point to ring (the best cell), by index.
    pub highlight: Option<usize>,
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
}

impl Figure {
    /// Its title (for the report).
    pub fn title(&self) -> String {
        match self {
            Figure::Lines(c) => c.title.clone(),
            Figure::Stack(cs) => {
                format!("Over time: {}", cs.iter().map(|c| c.title.to_lowercase()).collect::<Vec<_>>().join(", "))
            }
            Figure::Bars(c) => c.title.clone(),
            Figure::Pareto(c) => c.title.clone(),
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
    let mut front: Vec<usize> = (0..points.len())
        .filter(|&i| {
            let (xi, yi) = points[i];
            xi.is_finite()
                && yi.is_finite()
                && !points.iter().enumerate().any(|(j, &(xj, yj))| {
                    j != i && xj <= xi && yj <= yi && (xj < xi || yj < yi || (xj == xi && yj == yi && j < i))
                })
        })
        .collect();
    front.sort_by(|&a, &b| points[a].0.total_cmp(&points[b].0));
    front
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
        Figure::Lines(c) => lines(c, root),
        Figure::Stack(charts) => {
            let areas = root.split_evenly((charts.len().max(1), 1));
            for (c, area) in charts.iter().zip(&areas) {
                lines(c, area)?;
            }
            Ok(())
        }
        Figure::Bars(c) => bars(c, root),
        Figure::Pareto(c) => pareto(c, root),
    }
}

/// A linear axis from .0 to .1 whose ticks are exactly .2 (plotters' own key points would
/// pick their own positions and labels).
#[derive(Clone)]
struct Ticked(f64, f64, Vec<f64>);

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

/// A titled chart on `area` with both axes, their labels and a light grid at the ticks.
fn plane<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    (x, xr): (&Axis, Ticked),
    (y, yr): (&Axis, Ticked),
) -> Result<ChartContext<'a, DB, Cartesian2d<Ticked, Ticked>>, String> {
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
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 14))
        .draw()
        .map_err(e)?;
    Ok(chart)
}

/// The legend of the series drawn with labels, boxed.
fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<Ticked, Ticked>>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font((FAMILY, 13))
        .draw()
        .map_err(|e| e.to_string())
}

fn style(i: usize) -> ShapeStyle {
    colour(i).stroke_width(2)
}

/// Dash length and gap of series `i`: solid, dashed, dotted, long dashes…
fn dashes(i: usize) -> Option<(u32, u32)> {
    [None, Some((8, 5)), Some((2, 4)), Some((14, 5))][i % 4]
}

fn lines<DB: DrawingBackend>(c: &LineChart, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let xs = c.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).chain(c.vlines.iter().map(|v| v.x));
    let ys = c.series.iter().flat_map(|s| s.points.iter().map(|p| p.1).chain(s.band.iter().flat_map(|b| [b.1, b.2])));
    let (xlo, xhi) = bounds(xs.chain(c.events.iter().copied()), c.x.log);
    let (ylo, yhi) = bounds(ys, c.y.log);
    let (x0, x1, xt) = c.x.range(xlo, xhi);
    let (y0, y1, yt) = c.y.range(ylo, yhi);
    let legend_rows = c.series.len() + usize::from(!c.events.is_empty());
    let y1 = if c.legend_lower || legend_rows == 0 { y1 } else { y1 + (y1 - y0) * (0.09 * legend_rows as f64 + 0.06) };
    let mut chart = plane(area, &c.title, (&c.x, Ticked(x0, x1, xt)), (&c.y, Ticked(y0, y1, yt)))?;
    let px = |x: f64| c.x.to_plot(x);
    let py = |y: f64| c.y.to_plot(y);
    for (i, s) in c.series.iter().enumerate() {
        if !s.band.is_empty() {
            let mut poly: Vec<(f64, f64)> = s.band.iter().map(|b| (px(b.0), py(b.2))).collect();
            poly.extend(s.band.iter().rev().map(|b| (px(b.0), py(b.1))));
            chart.draw_series(std::iter::once(Polygon::new(poly, colour(i).mix(0.18).filled()))).map_err(e)?;
        }
    }
    for (i, s) in c.series.iter().enumerate() {
        let pts: Vec<(f64, f64)> = s.points.iter().map(|p| (px(p.0), py(p.1))).collect();
        let st = style(i);
        if s.line {
            let anno = match dashes(i) {
                None => chart.draw_series(LineSeries::new(pts.clone(), st)).map_err(e)?,
                Some((len, gap)) => chart.draw_series(DashedLineSeries::new(pts.clone(), len, gap, st)).map_err(e)?,
            };
            if !s.name.is_empty() {
                anno.label(s.name.clone()).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], st));
            }
        }
        if s.markers {
            let c = colour(i);
            let anno = match i % 4 {
                0 => chart.draw_series(pts.iter().map(|&p| Circle::new(p, 4, c.filled()))),
                1 => chart.draw_series(pts.iter().map(|&p| TriangleMarker::new(p, 5, c.filled()))),
                2 => chart.draw_series(
                    pts.iter().map(|&p| EmptyElement::at(p) + Rectangle::new([(-4, -4), (4, 4)], c.filled())),
                ),
                _ => chart.draw_series(pts.iter().map(|&p| Cross::new(p, 4, c.stroke_width(2)))),
            }
            .map_err(e)?;
            if !s.line && !s.name.is_empty() {
                let c = colour(i);
                anno.label(s.name.clone()).legend(move |(x, y)| -> DynElement<'static, _, (i32, i32)> {
                    let p = (x + 10, y);
                    match i % 4 {
                        0 => Circle::new(p, 4, c.filled()).into_dyn(),
                        1 => TriangleMarker::new(p, 5, c.filled()).into_dyn(),
                        2 => Rectangle::new([(p.0 - 4, p.1 - 4), (p.0 + 4, p.1 + 4)], c.filled()).into_dyn(),
                        _ => Cross::new(p, 4, c.stroke_width(2)).into_dyn(),
                    }
                });
            }
        }
    }
    for (k, v) in c.vlines.iter().enumerate() {
        let x = px(v.x);
        let st = BLACK.mix(0.6).stroke_width(1);
        chart.draw_series(DashedLineSeries::new(vec![(x, y0), (x, y1)], 4, 4, st)).map_err(e)?;
        // Neighbouring labels alternate a line apart, so they do not collide.
        let y = y0 + (y1 - y0) * (v.label_y - 0.07 * (k % 2) as f64);
        chart
            .draw_series(std::iter::once(Text::new(format!(" {}", v.label), (x, y), (FAMILY, 12).into_font())))
            .map_err(e)?;
    }
    if !c.events.is_empty() {
        let st = RGBColor(213, 94, 0).filled();
        let y = y0 + (y1 - y0) * 0.03;
        let anno = chart.draw_series(c.events.iter().map(|&x| TriangleMarker::new((px(x), y), 6, st))).map_err(e)?;
        anno.label(c.events_label.clone()).legend(move |(x, y)| TriangleMarker::new((x + 10, y), 6, st));
    }
    let labelled = c.series.iter().any(|s| !s.name.is_empty()) || !c.events.is_empty();
    if labelled {
        legend(
            &mut chart,
            if c.legend_lower { SeriesLabelPosition::LowerRight } else { SeriesLabelPosition::UpperRight },
        )?;
    }
    Ok(())
}

fn bounds(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi { if log { (1.0, 10.0) } else { (0.0, 1.0) } } else { (lo, hi) }
}

fn bars<DB: DrawingBackend>(c: &BarChart, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let n = c.categories.len().max(1);
    let totals: Vec<f64> =
        (0..n).map(|k| c.segments.iter().map(|(_, v)| v.get(k).copied().unwrap_or(0.0).max(0.0)).sum()).collect();
    let top = totals.iter().copied().fold(0.0, f64::max);
    let mut y = c.y.clone();
    y.from_zero = true;
    let (y0, y1, yt) = y.range(0.0, if top > 0.0 { top * 1.1 } else { 1.0 });
    let xt: Vec<f64> = (0..n).map(|k| k as f64 + 0.5).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(&c.title, (FAMILY, 20))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(Ticked(0.0, n as f64, xt), Ticked(y0, y1, yt))
        .map_err(e)?;
    let y_desc = y.desc();
    chart
        .configure_mesh()
        .y_desc(y_desc)
        .x_label_formatter(&|v| c.categories.get(v.floor() as usize).cloned().unwrap_or_default())
        .y_label_formatter(&|v| y.label_of(*v))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .disable_x_mesh()
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 14))
        .draw()
        .map_err(e)?;
    let width = if n == 1 { 0.3 } else { 0.6 };
    let mut base = vec![0.0; n];
    for (s, (name, values)) in c.segments.iter().enumerate() {
        let fill = colour(s).filled();
        let rects: Vec<Rectangle<(f64, f64)>> = (0..n)
            .filter_map(|k| {
                let v = values.get(k).copied().unwrap_or(0.0).max(0.0);
                (v > 0.0).then(|| {
                    let r = Rectangle::new(
                        [(k as f64 + 0.5 - width / 2.0, base[k]), (k as f64 + 0.5 + width / 2.0, base[k] + v)],
                        fill,
                    );
                    base[k] += v;
                    r
                })
            })
            .collect();
        chart
            .draw_series(rects)
            .map_err(e)?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], fill));
        // A thin white edge between segments keeps neighbours apart in greyscale.
        chart
            .draw_series((0..n).filter(|&k| base[k] > 0.0).map(|k| {
                PathElement::new(
                    vec![(k as f64 + 0.5 - width / 2.0, base[k]), (k as f64 + 0.5 + width / 2.0, base[k])],
                    WHITE.stroke_width(2),
                )
            }))
            .map_err(e)?;
    }
    chart
        .draw_series((0..n).filter(|&k| totals[k] > 0.0).map(|k| {
            Text::new(
                y.unit.format(totals[k]),
                (k as f64 + 0.5 - width / 2.0, totals[k] + (y1 - y0) * 0.02),
                (FAMILY, 13),
            )
        }))
        .map_err(e)?;
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

fn pareto<DB: DrawingBackend>(c: &Scatter, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (xlo, xhi) = bounds(c.points.iter().map(|p| p.0), c.x.log);
    let (ylo, yhi) = bounds(c.points.iter().map(|p| p.1), c.y.log);
    let (x0, x1, xt) = c.x.range(xlo, xhi);
    let (y0, y1, yt) = c.y.range(ylo, yhi);
    // Room above the points for the legend.
    let y1 = y1 + (y1 - y0) * 0.25;
    let mut chart = plane(area, &c.title, (&c.x, Ticked(x0, x1, xt)), (&c.y, Ticked(y0, y1, yt)))?;
    let p = |(x, y): (f64, f64)| (c.x.to_plot(x), c.y.to_plot(y));
    let raw: Vec<(f64, f64)> = c.points.iter().map(|q| (q.0, q.1)).collect();
    let front = pareto_front(&raw);
    let grey = RGBColor(120, 120, 120);
    chart
        .draw_series(
            c.points
                .iter()
                .enumerate()
                .filter(|(i, _)| !front.contains(i))
                .map(|(_, q)| Circle::new(p((q.0, q.1)), 4, grey.stroke_width(1))),
        )
        .map_err(e)?
        .label("other cells")
        .legend(move |(x, y)| Circle::new((x + 10, y), 4, grey.stroke_width(1)));
    let front_style = colour(0).stroke_width(2);
    chart
        .draw_series(std::iter::once(PathElement::new(
            front.iter().map(|&i| p(raw[i])).collect::<Vec<_>>(),
            front_style,
        )))
        .map_err(e)?
        .label("Pareto front")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], front_style));
    chart.draw_series(front.iter().map(|&i| Circle::new(p(raw[i]), 5, colour(0).filled()))).map_err(e)?;
    if let Some(h) = c.highlight.filter(|&h| h < raw.len()) {
        let ring = colour(4).stroke_width(3);
        chart
            .draw_series(std::iter::once(Circle::new(p(raw[h]), 9, ring)))
            .map_err(e)?
            .label("best cell")
            .legend(move |(x, y)| Circle::new((x + 10, y), 6, ring));
    }
    // Labels on the front only, each to the right of its point, skipped where one would overlap
    // a label already placed (about 16 px tall and 7 px per character on a 960 × 540 chart).
    let mut placed: Vec<(f64, f64, f64)> = Vec::new();
    let (w, h) = (x1 - x0, y1 - y0);
    for &i in &front {
        let (x, y) = p(raw[i]);
        let text = &c.points[i].2;
        let width = (text.chars().count() as f64 * 7.0 + 10.0) / 860.0 * w;
        let (lx, ly) = (x + w * 0.01, y + h * 0.015);
        let clash = placed.iter().any(|&(px, py, pw)| lx < px + pw && px < lx + width && (ly - py).abs() < h * 0.045);
        if clash || lx + width > x1 {
            continue;
        }
        placed.push((lx, ly, width));
        chart.draw_series(std::iter::once(Text::new(text.clone(), (lx, ly), (FAMILY, 12)))).map_err(e)?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pareto_front_keeps_the_undominated_points() {
        let pts = [(1.0, 9.0), (2.0, 5.0), (3.0, 6.0), (4.0, 1.0), (4.0, 1.0), (5.0, 1.0)];
        assert_eq!(pareto_front(&pts), [0, 1, 3], "(3,6) is dominated by (2,5); (5,1) by (4,1); ties once");
    }
}
