//! The report folder: a self-contained `index.html` (inline CSS, charts as
//! `data:` URIs, so it opens offline and can be mailed as one file), the
//! charts as PNG files and the JSON summary.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::charts::Chart;
use super::model::duration_text;
use super::summary::{breaches, percentile, Context, Run};

const CSS: &str = "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1060px;color:#222;padding:0 1em}\
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}\
.meta{color:#555}table{border-collapse:collapse;margin:.6em 0}td,th{padding:.25em .7em;border-bottom:1px solid #eee;text-align:right}\
th:first-child,td:first-child{text-align:left}th{background:#f6f6f6}figure{margin:1.2em 0}img{max-width:100%;border:1px solid #eee}\
figcaption{color:#555;font-size:.9em}.bad{color:#b00}";

/// Writes the report into `dir` (created if missing) and returns the page's path.
pub fn write(dir: &Path, runs: &[Run], ctx: &Context, summary: &serde_json::Value, charts: &[Chart]) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for c in charts {
        std::fs::write(dir.join(&c.file), &c.png).map_err(|e| format!("{}: {e}", c.file))?;
    }
    let json = serde_json::to_string_pretty(summary).unwrap_or_default() + "\n";
    std::fs::write(dir.join("summary.json"), json).map_err(|e| format!("summary.json: {e}"))?;
    let page = dir.join("index.html");
    std::fs::write(&page, page_html(runs, ctx, charts)).map_err(|e| format!("index.html: {e}"))?;
    Ok(page)
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn ms(v: Option<i64>) -> String {
    v.map_or("–".into(), duration_text)
}

fn pct(n: usize, of: usize) -> String {
    if of == 0 { n.to_string() } else { format!("{n} ({:.1}%)", 100.0 * n as f64 / of as f64) }
}

fn page_html(runs: &[Run], ctx: &Context, charts: &[Chart]) -> String {
    let mut h = String::new();
    let names: Vec<String> = runs.iter().map(|r| esc(&r.label(runs))).collect();
    let title = format!("Simulation: {}", names.join(" vs "));
    let window = runs.first().map(|r| r.sim.window).unwrap_or_default();
    let day = |t: i64| leadroute_runtime::state::format_time(t).chars().take(16).collect::<String>().replace('T', " ");
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{CSS}</style></head><body>\n<h1>{title}</h1>\n<p class=\"meta\">{} leads from <code>{}</code> (arrivals: {}), {} – {} UTC. Seed {}; rep response times {} around {}; queue waits exponential around {}. {} line(s) of the log skipped.</p>\n",
        ctx.leads,
        esc(&ctx.leads_file),
        esc(&ctx.arrivals),
        day(window.0),
        day(window.1.saturating_sub(86_400_000)),
        ctx.seed,
        ctx.model.distribution.as_str(),
        esc(&response_text(ctx)),
        esc(&ctx.model.queue_mean.map_or("half the queue's SLA".into(), duration_text)),
        ctx.skipped.len(),
    );
    h.push_str("<h2>At a glance</h2>\n<table><tr><th></th>");
    for (i, r) in runs.iter().enumerate() {
        let _ = write!(h, "<th>{}{}<br><small>{}</small></th>", if runs.len() > 1 { ["A: ", "B: "][i.min(1)] } else { "" }, names[i], esc(&r.file));
    }
    h.push_str("</tr>\n");
    let mut row = |label: &str, f: &dyn Fn(&Run) -> String| {
        let _ = write!(h, "<tr><td>{label}</td>");
        for r in runs {
            let _ = write!(h, "<td>{}</td>", f(r));
        }
        h.push_str("</tr>\n");
    };
    for o in ["assigned", "queued", "dropped", "rejected"] {
        row(o, &|r| pct(r.sim.outcomes.get(o).copied().unwrap_or(0), ctx.leads));
    }
    row("SLA breaches (of contacted leads)", &|r| {
        let (b, c) = breaches(&r.sim);
        pct(b, c)
    });
    row("speed to lead p50 / p90", &|r| {
        let mut s = r.sim.speeds.clone();
        format!("{} / {}", ms(percentile(&mut s, 0.5)), ms(percentile(&mut s, 0.9)))
    });
    row("reps at their open-load cap at some point", &|r| r.sim.reps.iter().filter(|s| s.cap_ms > 0).count().to_string());
    row("deepest queue", &|r| {
        let ir = r.policy.ir();
        ir.queues.iter().zip(&r.sim.queues).max_by_key(|(_, q)| q.peak_depth).filter(|(_, q)| q.peak_depth > 0).map_or("–".into(), |(d, q)| format!("{} ({})", esc(&d.name), q.peak_depth))
    });
    h.push_str("</table>\n<h2>Charts</h2>\n");
    for c in charts {
        let _ = writeln!(
            h,
            "<figure><img alt=\"{}\" src=\"data:image/png;base64,{}\"><figcaption><b>{}</b> ({}). {}</figcaption></figure>",
            esc(&c.title),
            base64(&c.png),
            esc(&c.title),
            esc(&c.file),
            esc(&c.caption)
        );
    }
    for (i, r) in runs.iter().enumerate() {
        tables(&mut h, r, &names[i]);
    }
    h.push_str("<p class=\"meta\">Made by <code>leadroute simulate</code>; the model and its assumptions are in docs/simulate.md. The same numbers are in summary.json.</p>\n</body></html>\n");
    h
}

fn response_text(ctx: &Context) -> String {
    let mut parts: Vec<String> = ctx.model.tier_mean.iter().map(|(t, v)| format!("{t} {}", duration_text(*v))).collect();
    parts.push(ctx.model.all_tiers.map_or("half the tier's SLA otherwise".into(), |v| format!("{} otherwise", duration_text(v))));
    parts.join(", ")
}

fn tables(h: &mut String, r: &Run, name: &str) {
    let ir = r.policy.ir();
    let window_ms = (r.sim.window.1 - r.sim.window.0).max(1) as f64;
    let _ = write!(h, "<h2>{name}: tiers</h2>\n<table><tr><th>tier</th><th>SLA</th><th>leads</th><th>contacted</th><th>breaches</th><th>p50</th><th>p90</th></tr>\n");
    for (d, g) in ir.tiers.iter().zip(&r.sim.tiers) {
        let mut s = g.speeds.clone();
        let cls = if g.breaches > 0 { " class=\"bad\"" } else { "" };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td{cls}>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&d.name),
            d.sla_ms.map_or_else(|| "none".to_string(), duration_text),
            g.leads,
            g.contacted,
            pct(g.breaches, g.contacted),
            ms(percentile(&mut s, 0.5)),
            ms(percentile(&mut s, 0.9))
        );
    }
    let _ = write!(h, "</table>\n<h2>{name}: reps</h2>\n<table><tr><th>rep</th><th>leads</th><th>open at start</th><th>peak open</th><th>mean open</th><th>open cap</th><th>time at cap</th><th>most in a day</th><th>day cap</th><th>response p50</th><th>p90</th><th>breaches</th></tr>\n");
    for (d, s) in ir.reps.iter().zip(&r.sim.reps) {
        let mut resp = s.responses.clone();
        let cap = |c: Option<u32>| c.map_or("–".into(), |c| c.to_string());
        let at_cap = 100.0 * s.cap_ms as f64 / window_ms;
        let cls = if at_cap > 0.0 { " class=\"bad\"" } else { "" };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td><td{cls}>{at_cap:.1}%</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&d.id),
            s.assigned,
            s.start_load,
            s.peak_load,
            s.load_ms / window_ms,
            cap(s.cap_open),
            s.peak_day,
            cap(s.cap_day),
            ms(percentile(&mut resp, 0.5)),
            ms(percentile(&mut resp, 0.9)),
            s.breaches
        );
    }
    let _ = write!(h, "</table>\n<h2>{name}: teams and queues</h2>\n<table><tr><th>team / queue</th><th>leads</th><th>breaches</th><th>p50</th><th>p90</th><th>peak depth</th></tr>\n");
    let teams = ir.teams.iter().map(|t| (t.name.as_str(), "team")).zip(&r.sim.teams);
    let queues = ir.queues.iter().map(|q| (q.name.as_str(), "queue")).zip(&r.sim.queues);
    for ((n, kind), g) in teams.chain(queues).filter(|(_, g)| g.leads > 0) {
        let mut s = g.speeds.clone();
        let depth = if kind == "queue" { g.peak_depth.to_string() } else { "–".into() };
        let _ = writeln!(
            h,
            "<tr><td>{kind} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{depth}</td></tr>",
            esc(n),
            g.leads,
            pct(g.breaches, g.contacted),
            ms(percentile(&mut s, 0.5)),
            ms(percentile(&mut s, 0.9))
        );
    }
    h.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
