//! The terminal renderer (ariadne): source excerpts with labelled spans across files.

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind};

use super::visible_span;
use crate::codes::Severity;
use crate::diagnostic::Diagnostic;
use crate::source::SourceSet;

/// How to render for people.
#[derive(Debug, Clone, Copy, Default)]
pub struct HumanOptions {
    /// Use ANSI colours.
    pub color: bool,
}

/// Renders diagnostics for a terminal, one report after another.
pub fn render_human(diags: &[Diagnostic], sources: &SourceSet, opts: HumanOptions) -> String {
    let mut cache = ariadne::sources(sources.iter().map(|(_, f)| (f.name.clone(), f.text.clone())));
    let mut out = Vec::new();
    for d in diags {
        render_one(d, sources, opts, &mut cache, &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn render_one(d: &Diagnostic, sources: &SourceSet, opts: HumanOptions, cache: &mut impl ariadne::Cache<String>, out: &mut Vec<u8>) {
    let (kind, color) = match d.severity() {
        Severity::Error => (ReportKind::Error, Color::Red),
        Severity::Warning => (ReportKind::Warning, Color::Yellow),
    };
    let Some(primary) = &d.primary else {
        let word = if d.is_error() { "Error" } else { "Warning" };
        out.extend(format!("[{}] {word}: {}\n", d.code, d.message).bytes());
        if let Some(help) = &d.help {
            out.extend(format!("    Help: {help}\n").bytes());
        }
        out.push(b'\n');
        return;
    };
    let name = |s: crate::source::Span| sources.get(s.file).name.clone();
    let config = Config::default().with_index_type(IndexType::Byte).with_color(opts.color);
    let mut report = Report::build(kind, (name(primary.span), visible_span(sources, primary.span)))
        .with_code(d.code)
        .with_message(&d.message)
        .with_config(config);
    let mut label = Label::new((name(primary.span), visible_span(sources, primary.span))).with_color(color).with_order(0);
    if !primary.message.is_empty() {
        label = label.with_message(&primary.message);
    }
    report = report.with_label(label);
    for (i, l) in d.secondary.iter().enumerate() {
        let mut label = Label::new((name(l.span), visible_span(sources, l.span))).with_color(Color::Blue).with_order(i as i32 + 1);
        if !l.message.is_empty() {
            label = label.with_message(&l.message);
        }
        report = report.with_label(label);
    }
    if let Some(help) = &d.help {
        report = report.with_help(help);
    }
    // Writing into a Vec cannot fail for I/O reasons; a cache miss cannot happen
    // since every file of the set is in the cache. Fall back to a plain line anyway.
    if report.finish().write(&mut *cache, &mut *out).is_err() {
        out.extend(format!("[{}] {}\n", d.code, d.message).bytes());
    }
}

/// `2 errors, 1 warning` (or `no problems`).
pub fn summary_line(diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => "no problems found".to_string(),
        (e, 0) => plural(e, "error"),
        (0, w) => plural(w, "warning"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}
