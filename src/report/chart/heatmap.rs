//! A heat map of a two-axis sweep: the metric's mean per cell in viridis colours, cells that
//! fail a constraint crossed out, the best cell outlined, a colour bar beside it.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{FAIL, FAMILY, HeatMap, Ticked, viridis};

/// Values are written in the cells when there are at most this many.
const MAX_WRITTEN: usize = 150;
const BAR_WIDTH_PX: u32 = 190;

/// Every `step`-th tick so that at most about 15 labels share an axis.
fn ticks(n: usize) -> Vec<f64> {
    let step = n.div_ceil(15).max(1);
    (0..n).step_by(step).map(|k| k as f64 + 0.5).collect()
}

pub(super) fn draw<DB: DrawingBackend>(c: &HeatMap, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (nx, ny) = (c.x.1.len().max(1), c.y.1.len().max(1));
    let (plot_area, side) = area.split_horizontally(area.dim_in_pixel().0.saturating_sub(BAR_WIDTH_PX));
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(&c.title, (FAMILY, 20))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(90)
        .build_cartesian_2d(Ticked(0.0, nx as f64, ticks(nx)), Ticked(0.0, ny as f64, ticks(ny)))
        .map_err(e)?;
    let name = |values: &[String], v: f64| values.get(v.floor() as usize).cloned().unwrap_or_default();
    chart
        .configure_mesh()
        .x_desc(c.x.0.clone())
        .y_desc(c.y.0.clone())
        .x_label_formatter(&|v| name(&c.x.1, *v))
        .y_label_formatter(&|v| name(&c.y.1, *v))
        .disable_mesh()
        .label_style((FAMILY, 15))
        .axis_desc_style((FAMILY, 15))
        .draw()
        .map_err(e)?;
    let (lo, hi) = c
        .values
        .iter()
        .flatten()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
    let t = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
    let cell = |k: usize| ((k % nx) as f64, (k / nx) as f64);
    chart
        .draw_series(c.values.iter().enumerate().map(|(k, v)| {
            let (x, y) = cell(k);
            let fill = v.filter(|v| v.is_finite()).map_or(RGBColor(220, 220, 220), |v| viridis(t(v)));
            Rectangle::new([(x, y), (x + 1.0, y + 1.0)], fill.filled())
        }))
        .map_err(e)?;
    for (k, _) in c.infeasible.iter().enumerate().filter(|(_, f)| **f) {
        let (x, y) = cell(k);
        let st = FAIL.mix(0.85).stroke_width(2);
        chart
            .draw_series([
                PathElement::new(vec![(x + 0.12, y + 0.12), (x + 0.88, y + 0.88)], st),
                PathElement::new(vec![(x + 0.12, y + 0.88), (x + 0.88, y + 0.12)], st),
            ])
            .map_err(e)?;
    }
    let cell_px = plot_area.dim_in_pixel().0 as usize / nx;
    if c.values.len() <= MAX_WRITTEN && cell_px >= 44 {
        chart
            .draw_series(c.values.iter().enumerate().filter_map(|(k, v)| {
                let v = v.filter(|v| v.is_finite())?;
                let (x, y) = cell(k);
                let ink = if t(v) < 0.6 { &WHITE } else { &BLACK };
                let style =
                    TextStyle::from((FAMILY, 14).into_font()).color(ink).pos(Pos::new(HPos::Center, VPos::Center));
                Some(Text::new(c.unit.tick(v), (x + 0.5, y + 0.5), style))
            }))
            .map_err(e)?;
    }
    if let Some(b) = c.best.filter(|&b| b < c.values.len()) {
        let (x, y) = cell(b);
        chart
            .draw_series(std::iter::once(Rectangle::new([(x, y), (x + 1.0, y + 1.0)], WHITE.stroke_width(7))))
            .map_err(e)?;
        chart
            .draw_series(std::iter::once(Rectangle::new([(x, y), (x + 1.0, y + 1.0)], BLACK.stroke_width(3))))
            .map_err(e)?;
    }
    colour_bar(c, &side, (lo, hi)).map_err(e)
}

/// The colour scale from `lo` (bottom) to `hi` (top) with both ends written, then the marks.
fn colour_bar<DB: DrawingBackend>(
    c: &HeatMap,
    side: &DrawingArea<DB, Shift>,
    (lo, hi): (f64, f64),
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let font = (FAMILY, 15).into_font();
    let (top, height, left) = (64, 240, 8);
    side.draw(&Text::new(c.value_label.clone(), (left, top - 24), font.clone()))?;
    let steps = 48;
    for s in 0..steps {
        let y0 = top + height - (s + 1) * height / steps;
        let y1 = top + height - s * height / steps;
        side.draw(&Rectangle::new(
            [(left, y0), (left + 22, y1)],
            viridis(f64::from(s as u32) / f64::from(steps as u32 - 1)).filled(),
        ))?;
    }
    if lo.is_finite() && hi.is_finite() {
        side.draw(&Text::new(c.unit.tick(hi), (left + 30, top - 6), font.clone()))?;
        side.draw(&Text::new(c.unit.tick(lo), (left + 30, top + height - 8), font.clone()))?;
    }
    let mut y = top + height + 30;
    if c.infeasible.iter().any(|f| *f) {
        let st = FAIL.stroke_width(2);
        side.draw(&PathElement::new(vec![(left + 4, y - 6), (left + 16, y + 6)], st))?;
        side.draw(&PathElement::new(vec![(left + 4, y + 6), (left + 16, y - 6)], st))?;
        side.draw(&Text::new("fails a constraint", (left + 30, y - 7), font.clone()))?;
        y += 22;
    }
    if c.best.is_some() {
        side.draw(&Rectangle::new([(left + 2, y - 7), (left + 18, y + 7)], BLACK.stroke_width(2)))?;
        side.draw(&Text::new("best cell", (left + 30, y - 7), font.clone()))?;
        y += 22;
    }
    if c.values.iter().any(Option::is_none) {
        side.draw(&Rectangle::new([(left + 2, y - 7), (left + 18, y + 7)], RGBColor(220, 220, 220).filled()))?;
        side.draw(&Text::new("no value", (left + 30, y - 7), font))?;
    }
    Ok(())
}
