//! The dashboard's charts, drawn with plotters as SVG (text measured with
//! the embedded DejaVu Sans, so no system font is needed and nothing is
//! fetched). Each chart is a self-contained `<svg>` the page inlines.

use std::sync::OnceLock;

use plotters::prelude::*;

/// The DejaVu Sans font (Bitstream Vera license; the same file `simulate` embeds).
static FONT: &[u8] = include_bytes!("../../src/simulate/font/DejaVuSans.ttf");

const W: u32 = 640;
const H: u32 = 300;

/// Colours by outcome, and for other series in turn.
pub const PALETTE: [RGBColor; 6] =
    [RGBColor(31, 119, 180), RGBColor(255, 127, 14), RGBColor(44, 160, 44), RGBColor(214, 39, 40), RGBColor(148, 103, 189), RGBColor(127, 127, 127)];

fn font_ready() -> Result<(), String> {
    static READY: OnceLock<bool> = OnceLock::new();
    let ok = *READY.get_or_init(|| plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok());
    if ok { Ok(()) } else { Err("the embedded chart font cannot be read".into()) }
}

fn svg(draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), String>) -> Result<String, String> {
    font_ready()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw(&root)?;
        root.present().map_err(err)?;
    }
    // Scale with the page: the fixed size becomes a view box.
    Ok(out.replacen(&format!("width=\"{W}\" height=\"{H}\""), "preserveAspectRatio=\"xMidYMid meet\"", 1))
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Stacked bars over time: one stack per bucket, one colour per series.
/// `labels` name the buckets (x axis); `series` are (name, values per bucket).
pub fn stacked_bars(y_label: &str, labels: &[String], series: &[(String, Vec<f64>)]) -> Result<String, String> {
    svg(|root| {
        let n = labels.len().max(1);
        let top = (0..n).map(|i| series.iter().map(|s| s.1.get(i).copied().unwrap_or(0.0)).sum::<f64>()).fold(0.0, f64::max).max(1.0) * 1.1;
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..n as f64, 0f64..top)
            .map_err(err)?;
        let step = (n / 8).max(1);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(y_label)
            .axis_desc_style(("sans-serif", 15))
            .x_labels(n.min(12))
            .x_label_formatter(&|x| labels.get(*x as usize).filter(|_| (*x as usize).is_multiple_of(step)).cloned().unwrap_or_default())
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(err)?;
        let mut base = vec![0.0; n];
        for (k, (name, values)) in series.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let bars: Vec<_> = (0..n)
                .filter(|&i| values.get(i).copied().unwrap_or(0.0) > 0.0)
                .map(|i| {
                    let v = values[i];
                    let r = Rectangle::new([(i as f64 + 0.1, base[i]), (i as f64 + 0.9, base[i] + v)], colour.filled());
                    base[i] += v;
                    r
                })
                .collect();
            chart
                .draw_series(bars)
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
        }
        chart.configure_series_labels().position(SeriesLabelPosition::UpperLeft).background_style(WHITE.mix(0.85)).border_style(BLACK.mix(0.3)).label_font(("sans-serif", 15)).draw().map_err(err)?;
        Ok(())
    })
}

/// Lines over buckets; a bucket with no value leaves a gap.
pub fn lines(y_label: &str, labels: &[String], series: &[(String, Vec<Option<f64>>)]) -> Result<String, String> {
    svg(|root| {
        let n = labels.len().max(1);
        let top = series.iter().flat_map(|s| s.1.iter().flatten().copied()).fold(0.0, f64::max).max(1.0) * 1.1;
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..n as f64, 0f64..top)
            .map_err(err)?;
        let step = (n / 8).max(1);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(y_label)
            .axis_desc_style(("sans-serif", 15))
            .x_labels(n.min(12))
            .x_label_formatter(&|x| labels.get(*x as usize).filter(|_| (*x as usize).is_multiple_of(step)).cloned().unwrap_or_default())
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(err)?;
        for (k, (name, values)) in series.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            // One path per run of buckets that have a value.
            let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for (i, v) in values.iter().enumerate() {
                match v {
                    Some(v) => runs.last_mut().map(|r| r.push((i as f64 + 0.5, *v))).unwrap_or_default(),
                    None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
                    None => {}
                }
            }
            let points: Vec<(f64, f64)> = runs.iter().flatten().copied().collect();
            for run in runs.into_iter().filter(|r| !r.is_empty()) {
                chart.draw_series(LineSeries::new(run, colour.stroke_width(2))).map_err(err)?;
            }
            chart
                .draw_series(points.into_iter().map(|p| Circle::new(p, 3, colour.filled())))
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 2), (x + 12, y + 2)], colour.filled()));
        }
        chart.configure_series_labels().position(SeriesLabelPosition::UpperLeft).background_style(WHITE.mix(0.85)).border_style(BLACK.mix(0.3)).label_font(("sans-serif", 15)).draw().map_err(err)?;
        Ok(())
    })
}

/// Horizontal-category bars: one group per name, one bar per series (e.g.
/// open load and capacity per rep).
pub fn grouped_bars(y_label: &str, names: &[String], series: &[(String, Vec<f64>)]) -> Result<String, String> {
    svg(|root| {
        let n = names.len().max(1);
        let top = series.iter().flat_map(|s| s.1.iter().copied()).fold(0.0, f64::max).max(1.0) * 1.15;
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(48)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..n as f64, 0f64..top)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(y_label)
            .axis_desc_style(("sans-serif", 15))
            .x_labels(n.min(30))
            .x_label_formatter(&|x| names.get(*x as usize).cloned().unwrap_or_default())
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(err)?;
        let k = series.len().max(1) as f64;
        for (j, (name, values)) in series.iter().enumerate() {
            let colour = PALETTE[j % PALETTE.len()];
            let w = 0.8 / k;
            let bars: Vec<_> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let x0 = i as f64 + 0.1 + w * j as f64;
                    Rectangle::new([(x0, 0.0), (x0 + w * 0.9, *v)], colour.filled())
                })
                .collect();
            chart
                .draw_series(bars)
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
        }
        chart.configure_series_labels().position(SeriesLabelPosition::UpperRight).background_style(WHITE.mix(0.85)).border_style(BLACK.mix(0.3)).label_font(("sans-serif", 15)).draw().map_err(err)?;
        Ok(())
    })
}
