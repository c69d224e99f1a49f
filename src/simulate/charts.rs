//! The report's charts, drawn with plotters into an RGB buffer (text with the
//! embedded DejaVu Sans through ab_glyph, so no system font is needed) and
//! encoded as PNG.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::summary::{Context, Run};

/// One chart: its file name, title, a sentence on how to read it, the PNG.
#[derive(Debug)]
pub struct Chart {
    /// File name in the report folder.
    pub file: String,
    /// The heading.
    pub title: String,
    /// How to read it.
    pub caption: String,
    /// The encoded image.
    pub png: Vec<u8>,
}

const W: u32 = 1000;
const H: u32 = 440;
const DAY: i64 = 86_400_000;

/// The DejaVu Sans font (Bitstream Vera license, `font/LICENSE`).
static FONT: &[u8] = include_bytes!("font/DejaVuSans.ttf");

const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn font_ready() -> Result<(), String> {
    static READY: OnceLock<bool> = OnceLock::new();
    let ok = *READY.get_or_init(|| plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok());
    if ok { Ok(()) } else { Err("the embedded chart font cannot be read".into()) }
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Draws into a fresh white canvas and encodes it as PNG.
fn render(draw: impl FnOnce(&Area<'_>) -> Result<(), String>) -> Result<Vec<u8>, String> {
    font_ready()?;
    let mut rgb = vec![255u8; (W * H * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (W, H)).into_drawing_area();
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, W, H);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Best);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// One line of a chart over time: name, colour, points (ms, value).
type Series = (String, RGBColor, Vec<(i64, f64)>);

/// A line per series over time, drawn as steps.
struct Lines<'a> {
    title: &'a str,
    y_desc: &'a str,
    day0: i64,
    end: i64,
    series: Vec<Series>,
}

fn day_label(day0: i64, x: f64) -> String {
    let ms = day0 + (x * DAY as f64).round() as i64;
    let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else { return String::new() };
    let z = ts.to_zoned(jiff::tz::TimeZone::UTC);
    if (x - x.round()).abs() < 1e-6 { z.strftime("%a %m-%d").to_string() } else { z.strftime("%H:%M").to_string() }
}

fn draw_lines(l: &Lines<'_>) -> Result<Vec<u8>, String> {
    render(|root| {
        let x_end = ((l.end - l.day0) as f64 / DAY as f64).max(0.05);
        let y_max = l.series.iter().flat_map(|s| s.2.iter().map(|p| p.1)).fold(1.0f64, f64::max) * 1.1;
        let mut chart = ChartBuilder::on(root)
            .caption(l.title, ("sans-serif", 22))
            .margin(14)
            .x_label_area_size(36)
            .y_label_area_size(54)
            .build_cartesian_2d(0f64..x_end, 0f64..y_max)
            .map_err(err)?;
        let fmt = |x: &f64| day_label(l.day0, *x);
        chart
            .configure_mesh()
            .x_labels(10)
            .x_label_formatter(&fmt)
            .x_desc("time (UTC)")
            .y_desc(l.y_desc)
            .light_line_style(WHITE)
            .y_label_formatter(&|y: &f64| format!("{y:.0}"))
            .draw()
            .map_err(err)?;
        for (name, color, points) in &l.series {
            let color = *color;
            let pts = points.iter().map(|(t, v)| ((t - l.day0) as f64 / DAY as f64, *v));
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                .map_err(err)?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3)));
        }
        if !l.series.is_empty() {
            legend(&mut chart)?;
        }
        Ok(())
    })
}

/// Grouped bars: categories on x, one bar per policy.
fn draw_bars(title: &str, y_desc: &str, categories: &[String], groups: &[(String, Vec<f64>)]) -> Result<Vec<u8>, String> {
    render(|root| {
        let n = categories.len().max(1) as f64;
        let y_max = groups.iter().flat_map(|g| g.1.iter().copied()).fold(1.0f64, f64::max) * 1.15;
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 22))
            .margin(14)
            .x_label_area_size(36)
            .y_label_area_size(54)
            .build_cartesian_2d(0f64..n, 0f64..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc(y_desc)
            .light_line_style(WHITE)
            .y_label_formatter(&|y: &f64| format!("{y:.0}"))
            .draw()
            .map_err(err)?;
        let k = groups.len().max(1) as f64;
        for (g, (name, values)) in groups.iter().enumerate() {
            let color = PALETTE[g % PALETTE.len()];
            let bars = values.iter().enumerate().map(move |(i, v)| {
                let x0 = i as f64 + 0.1 + 0.8 * g as f64 / k;
                Rectangle::new([(x0, 0.0), (x0 + 0.8 / k, *v)], color.filled())
            });
            chart
                .draw_series(bars)
                .map_err(err)?
                .label(name.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled()));
            for (i, v) in values.iter().enumerate() {
                let x = i as f64 + 0.1 + 0.8 * (g as f64 + 0.5) / k;
                let (px, py) = chart.backend_coord(&(x, *v));
                let style = TextStyle::from(("sans-serif", 12)).pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Bottom,
                ));
                root.draw(&Text::new(format!("{v}"), (px, py - 2), style)).map_err(err)?;
            }
        }
        let label = TextStyle::from(("sans-serif", 13)).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Top,
        ));
        for (i, c) in categories.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
            root.draw(&Text::new(c.as_str(), (px, py + 6), label.clone())).map_err(err)?;
        }
        if groups.len() > 1 {
            legend(&mut chart)?;
        }
        Ok(())
    })
}

type Plot<'a, 'b> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>;

/// The series legend, top right.
fn legend<'a>(chart: &mut Plot<'a, 'a>) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(err)
}

/// Steps (start, value), (end, value) for each bucket.
fn steps(buckets: &[super::sim::Bucket], width: i64, value: impl Fn(&super::sim::Bucket) -> f64) -> Vec<(i64, f64)> {
    buckets.iter().flat_map(|b| [(b.start, value(b)), (b.start + width, value(b))]).collect()
}

fn label(runs: &[Run], i: usize) -> String {
    format!("{} {}", if i == 0 { "A:" } else { "B:" }, runs[i].label(runs))
}

/// Every chart of the report.
pub fn draw_all(runs: &[Run], ctx: &Context) -> Result<Vec<Chart>, String> {
    let mut charts = Vec::new();
    let Some(first) = runs.first() else { return Ok(charts) };
    let day0 = first.sim.window.0.div_euclid(DAY) * DAY;
    let end = first.sim.buckets.last().map_or(first.sim.window.1, |b| b.start + ctx.bucket_ms);
    let w = ctx.bucket_ms;
    let compare = runs.len() > 1;
    for (i, run) in runs.iter().enumerate() {
        let ir = run.policy.ir();
        let prefix = if i == 0 { "" } else { "compare-" };
        let who = if compare { format!(" ({})", label(runs, i)) } else { String::new() };
        // The ten reps that took the most leads, so the legend stays readable.
        let mut reps: Vec<usize> = (0..ir.reps.len()).filter(|r| run.sim.reps[*r].assigned > 0).collect();
        reps.sort_by(|a, b| run.sim.reps[*b].assigned.cmp(&run.sim.reps[*a].assigned).then(a.cmp(b)));
        reps.truncate(PALETTE.len());
        reps.sort_unstable();
        let series = reps
            .iter()
            .enumerate()
            .map(|(c, &r)| {
                let cap = run.sim.reps[r].cap_open.map_or(String::new(), |c| format!(" (cap {c})"));
                (format!("{}{cap}", ir.reps[r].id), PALETTE[c], steps(&run.sim.buckets, w, |b| f64::from(b.rep_load[r])))
            })
            .collect();
        let title = format!("Open load per rep{who}");
        charts.push(Chart {
            file: format!("{prefix}load.png"),
            caption: "Highest open load of each rep in each time bucket (the ten reps with the most leads; their open-load cap in the legend). A line at its cap means the rep was skipped for new leads.".into(),
            png: draw_lines(&Lines { title: &title, y_desc: "open leads", day0, end, series })?,
            title,
        });
        let queues: Vec<usize> = (0..ir.queues.len()).filter(|q| run.sim.queues[*q].leads > 0).collect();
        let series = queues
            .iter()
            .enumerate()
            .map(|(c, &q)| (ir.queues[q].name.clone(), PALETTE[c % PALETTE.len()], steps(&run.sim.buckets, w, |b| f64::from(b.queue_depth[q]))))
            .collect();
        let title = format!("Queue depth{who}");
        charts.push(Chart {
            file: format!("{prefix}queues.png"),
            caption: "Leads waiting in each review queue (highest in each bucket); a queued lead leaves when someone works it, after the modelled queue wait.".into(),
            png: draw_lines(&Lines { title: &title, y_desc: "leads waiting", day0, end, series })?,
            title,
        });
    }
    let mut series = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let name = if compare { format!(" {}", label(runs, i)) } else { String::new() };
        series.push((format!("assigned{name}"), PALETTE[2 * i], steps(&run.sim.buckets, w, |b| f64::from(b.outcomes[0]))));
        series.push((format!("queued{name}"), PALETTE[2 * i + 1], steps(&run.sim.buckets, w, |b| f64::from(b.outcomes[1]))));
    }
    charts.push(Chart {
        file: "leads-over-time.png".into(),
        title: "Leads over time".into(),
        caption: format!("Leads arriving per {} bucket, assigned and queued.", super::model::duration_text(w)),
        png: draw_lines(&Lines { title: "Leads over time", y_desc: "leads per bucket", day0, end, series })?,
    });
    let mut tiers: Vec<String> = Vec::new();
    let mut reps: Vec<String> = Vec::new();
    for run in runs {
        for t in &run.policy.ir().tiers {
            if !tiers.contains(&t.name) {
                tiers.push(t.name.clone());
            }
        }
        for r in &run.policy.ir().reps {
            if !reps.contains(&r.id) {
                reps.push(r.id.clone());
            }
        }
    }
    let per = |names: &[String], f: &dyn Fn(&Run, &str) -> f64| -> Vec<(String, Vec<f64>)> {
        runs.iter().enumerate().map(|(i, r)| (label(runs, i), names.iter().map(|n| f(r, n)).collect())).collect()
    };
    let breaches = per(&tiers, &|r, t| r.policy.ir().tiers.iter().position(|x| x.name == t).map_or(0.0, |i| r.sim.tiers[i].breaches as f64));
    charts.push(Chart {
        file: "sla-breaches.png".into(),
        title: "SLA breaches by tier".into(),
        caption: "Leads first contacted after their tier's SLA ran out (a rep's response, or a queued lead being worked).".into(),
        png: draw_bars("SLA breaches by tier", "leads past SLA", &tiers, &breaches)?,
    });
    let leads = per(&reps, &|r, id| r.policy.ir().reps.iter().position(|x| x.id == id).map_or(0.0, |i| r.sim.reps[i].assigned as f64));
    charts.push(Chart {
        file: "leads-per-rep.png".into(),
        title: "Leads per rep".into(),
        caption: "Leads each rep was assigned over the whole log.".into(),
        png: draw_bars("Leads per rep", "leads assigned", &reps, &leads)?,
    });
    Ok(charts)
}
