//! Stacked bars with their totals written on top.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::legend::{self, Entry, Swatch};
use super::{BarChart, FAMILY, Ticked, colour};

pub(super) fn draw<DB: DrawingBackend>(c: &BarChart, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let entries: Vec<Entry> = c
        .segments
        .iter()
        .enumerate()
        .map(|(s, (name, _))| Entry::new(name.clone(), Swatch::Block(colour(s))))
        .collect();
    let (plot_area, side) = legend::split(area, legend::width(area, &entries));
    let n = c.categories.len().max(1);
    let totals: Vec<f64> =
        (0..n).map(|k| c.segments.iter().map(|(_, v)| v.get(k).copied().unwrap_or(0.0).max(0.0)).sum()).collect();
    let top = totals.iter().copied().fold(0.0, f64::max);
    let mut y = c.y.clone();
    y.from_zero = true;
    let (y0, y1, yt) = y.range(0.0, if top > 0.0 { top * 1.1 } else { 1.0 });
    let xt: Vec<f64> = (0..n).map(|k| k as f64 + 0.5).collect();
    let mut chart = ChartBuilder::on(&plot_area)
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
        .label_style((FAMILY, 15))
        .axis_desc_style((FAMILY, 15))
        .draw()
        .map_err(e)?;
    let width = if n == 1 { 0.3 } else { 0.6 };
    let mut base = vec![0.0; n];
    for (s, (_, values)) in c.segments.iter().enumerate() {
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
        chart.draw_series(rects).map_err(e)?;
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
                (FAMILY, 15),
            )
        }))
        .map_err(e)?;
    if let Some(side) = side {
        legend::draw(&side, &entries)?;
    }
    Ok(())
}
