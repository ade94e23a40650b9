//! Line charts: lines with 95% bands and markers, vertical and horizontal reference lines,
//! shaded regions where a constraint fails, and event markers on the time axis.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::legend::{self, Entry, Swatch};
use super::{FAIL, FAMILY, LineChart, Ticked, bounds, colour, dashes, plane, style};

/// The legend of `c`: named series, the band, shaded regions, events.
pub(super) fn entries(c: &LineChart) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for (i, s) in c.series.iter().enumerate().filter(|(_, s)| !s.name.is_empty()) {
        out.push(Entry::new(s.name.clone(), if s.line { Swatch::Line(i) } else { Swatch::Marker(i) }));
    }
    if c.series.iter().any(|s| !s.band.is_empty()) && c.series.iter().filter(|s| s.line).count() > 1 {
        out.push(Entry::new("95% confidence band", Swatch::Shade(colour(0))));
    }
    for r in c.regions.iter().filter(|r| !r.label.is_empty()) {
        out.push(Entry::new(r.label.clone(), Swatch::Shade(FAIL)));
    }
    if !c.events.is_empty() {
        out.push(Entry::new(c.events_label.clone(), Swatch::Event));
    }
    out
}

/// Draws `c` on `area`, its legend in a strip `legend_w` pixels wide at the right.
pub(super) fn draw<DB: DrawingBackend>(
    c: &LineChart,
    area: &DrawingArea<DB, Shift>,
    legend_w: u32,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (plot_area, side) = legend::split(area, legend_w);
    let xs = c.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).chain(c.vlines.iter().map(|v| v.x));
    let ys = c.series.iter().flat_map(|s| s.points.iter().map(|p| p.1).chain(s.band.iter().flat_map(|b| [b.1, b.2])));
    let (xlo, xhi) = bounds(xs.chain(c.events.iter().copied()), c.x.log);
    let (ylo, yhi) = bounds(ys.chain(c.hlines.iter().map(|h| h.y)), c.y.log);
    let (x0, x1, xt) = c.x.range(xlo, xhi);
    let (y0, y1, yt) = c.y.range(ylo, yhi);
    let mut chart = plane(&plot_area, &c.title, (&c.x, Ticked(x0, x1, xt)), (&c.y, Ticked(y0, y1, yt)))?;
    let px = |x: f64| c.x.to_plot(x);
    let py = |y: f64| c.y.to_plot(y);
    for r in &c.regions {
        let (rx0, rx1) = (px(r.x.0).clamp(x0, x1), px(r.x.1).clamp(x0, x1));
        let (ry0, ry1) = (py(r.y.0).clamp(y0, y1), py(r.y.1).clamp(y0, y1));
        if rx1 > rx0 && ry1 > ry0 {
            chart
                .draw_series(std::iter::once(Rectangle::new([(rx0, ry0), (rx1, ry1)], FAIL.mix(0.12).filled())))
                .map_err(e)?;
        }
    }
    for (i, s) in c.series.iter().enumerate() {
        if !s.band.is_empty() {
            let mut poly: Vec<(f64, f64)> = s.band.iter().map(|b| (px(b.0), py(b.2))).collect();
            poly.extend(s.band.iter().rev().map(|b| (px(b.0), py(b.1))));
            chart.draw_series(std::iter::once(Polygon::new(poly, colour(i).mix(0.18).filled()))).map_err(e)?;
        }
    }
    for (i, s) in c.series.iter().enumerate() {
        let pts: Vec<(f64, f64)> = s.points.iter().map(|p| (px(p.0), py(p.1))).collect();
        if s.line {
            match dashes(i) {
                None => chart.draw_series(LineSeries::new(pts.clone(), style(i))).map_err(e)?,
                Some((len, gap)) => {
                    chart.draw_series(DashedLineSeries::new(pts.clone(), len, gap, style(i))).map_err(e)?
                }
            };
        }
        if s.markers {
            let c = colour(i);
            match i % 4 {
                0 => chart.draw_series(pts.iter().map(|&p| Circle::new(p, 4, c.filled()))),
                1 => chart.draw_series(pts.iter().map(|&p| TriangleMarker::new(p, 5, c.filled()))),
                2 => chart.draw_series(
                    pts.iter().map(|&p| EmptyElement::at(p) + Rectangle::new([(-4, -4), (4, 4)], c.filled())),
                ),
                _ => chart.draw_series(pts.iter().map(|&p| Cross::new(p, 4, c.stroke_width(2)))),
            }
            .map_err(e)?;
        }
    }
    let reference = BLACK.mix(0.6).stroke_width(1);
    for (k, v) in c.vlines.iter().enumerate() {
        let x = px(v.x);
        chart.draw_series(DashedLineSeries::new(vec![(x, y0), (x, y1)], 4, 4, reference)).map_err(e)?;
        // Neighbouring labels alternate a line apart, so they do not collide; a label near the
        // right edge goes to the left of its line, so it is not cut off.
        let y = y0 + (y1 - y0) * (v.label_y - 0.07 * (k % 2) as f64);
        let right = (x - x0) / (x1 - x0) > 0.7;
        let (text, anchor) =
            if right { (format!("{} ", v.label), HPos::Right) } else { (format!(" {}", v.label), HPos::Left) };
        let font = TextStyle::from((FAMILY, 14).into_font()).pos(Pos::new(anchor, VPos::Center));
        chart.draw_series(std::iter::once(Text::new(text, (x, y), font))).map_err(e)?;
    }
    for h in &c.hlines {
        let y = py(h.y);
        chart.draw_series(DashedLineSeries::new(vec![(x0, y), (x1, y)], 4, 4, reference)).map_err(e)?;
        let font = TextStyle::from((FAMILY, 14).into_font()).pos(Pos::new(HPos::Right, VPos::Bottom));
        chart.draw_series(std::iter::once(Text::new(format!("{} ", h.label), (x1, y), font))).map_err(e)?;
    }
    if !c.events.is_empty() {
        let y = y0 + (y1 - y0) * 0.03;
        chart.draw_series(c.events.iter().map(|&x| TriangleMarker::new((px(x), y), 6, FAIL.filled()))).map_err(e)?;
    }
    if let Some(side) = side {
        legend::draw(&side, &entries(c))?;
    }
    Ok(())
}
