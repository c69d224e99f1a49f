//! The terminal renderer, in the style of rustc: the message, then each
//! labelled place as a source excerpt with the span underlined (`^` for the
//! primary label, `-` for related ones), then help.

use super::visible_span;
use crate::codes::Severity;
use crate::diagnostic::{Diagnostic, Label};
use crate::source::{FileId, SourceSet};

/// How to render for people.
#[derive(Debug, Clone, Copy, Default)]
pub struct HumanOptions {
    /// Use ANSI colours.
    pub color: bool,
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Renders diagnostics for a terminal, one after another, separated by blank lines.
pub fn render_human(diags: &[Diagnostic], sources: &SourceSet, opts: HumanOptions) -> String {
    let mut out = String::new();
    for d in diags {
        render_one(d, sources, &Paint { on: opts.color }, &mut out);
        out.push('\n');
    }
    out
}

/// A label resolved to a line of a file.
struct Placed<'a> {
    label: &'a Label,
    primary: bool,
    file: FileId,
    line: usize,
    /// 1-based columns (characters, tabs as 4) of the underline on that line.
    from: usize,
    to: usize,
    col: usize,
}

fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum()
}

fn place<'a>(sources: &SourceSet, label: &'a Label, primary: bool) -> Placed<'a> {
    let file = sources.get(label.span.file);
    let range = visible_span(sources, label.span);
    let (line, col) = file.line_col(range.start);
    let line_start = range.start - file.text[..range.start].rfind('\n').map_or(range.start, |i| range.start - i - 1);
    let line_end = file.text[range.start..].find('\n').map_or(file.text.len(), |i| range.start + i);
    let end = range.end.min(line_end).max(range.start);
    let from = display_width(&file.text[line_start..range.start]) + 1;
    let width = display_width(file.text.get(range.start..end).unwrap_or("")).max(1);
    Placed { label, primary, file: label.span.file, line, from, to: from + width, col }
}

fn render_one(d: &Diagnostic, sources: &SourceSet, paint: &Paint, out: &mut String) {
    let (word, color) = match d.severity() {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    out.push_str(&paint.wrap(color, &format!("{word}[{}]", d.code)));
    out.push_str(&paint.wrap("1", &format!(": {}", d.message)));
    out.push('\n');
    let mut placed: Vec<Placed> = Vec::new();
    if let Some(p) = &d.primary {
        placed.push(place(sources, p, true));
    }
    placed.extend(d.secondary.iter().map(|l| place(sources, l, false)));
    let gutter = placed.iter().map(|p| p.line.to_string().len()).max().unwrap_or(1);
    let pad = " ".repeat(gutter);
    let bar = paint.wrap("1;34", "|");
    if let Some(first) = placed.first() {
        // The primary file first, then other files in order of appearance; lines ascending within a file.
        let mut files: Vec<FileId> = Vec::new();
        for p in &placed {
            if !files.contains(&p.file) {
                files.push(p.file);
            }
        }
        for (fi, file) in files.iter().enumerate() {
            let mut here: Vec<&Placed> = placed.iter().filter(|p| p.file == *file).collect();
            here.sort_by_key(|p| (p.line, !p.primary, p.from));
            let head = if fi == 0 { first } else { here[0] };
            let arrow = if fi == 0 { "-->" } else { ":::" };
            out.push_str(&format!(
                "{}{} {}:{}:{}\n",
                &pad[..gutter.saturating_sub(1)],
                paint.wrap("1;34", arrow),
                sources.get(*file).name,
                head.line,
                head.col
            ));
            out.push_str(&format!("{pad} {bar}\n"));
            let text = &sources.get(*file).text;
            let mut last_line: Option<usize> = None;
            for p in &here {
                if last_line != Some(p.line) {
                    if last_line.is_some_and(|l| p.line > l + 1) {
                        out.push_str(&format!("{}\n", paint.wrap("1;34", "...")));
                    }
                    let src = text.lines().nth(p.line - 1).unwrap_or("").replace('\t', "    ");
                    out.push_str(&format!("{} {bar} {}\n", paint.wrap("1;34", &format!("{:>gutter$}", p.line)), src.trim_end()));
                }
                last_line = Some(p.line);
                let (mark, mark_color) = if p.primary { ("^", color) } else { ("-", "1;34") };
                let underline = mark.repeat(p.to - p.from);
                let mut row = format!("{}{}", " ".repeat(p.from - 1), paint.wrap(mark_color, &underline));
                if !p.label.message.is_empty() {
                    row.push(' ');
                    row.push_str(&paint.wrap(mark_color, &p.label.message));
                }
                out.push_str(&format!("{pad} {bar} {row}\n"));
            }
        }
    }
    if let Some(help) = &d.help {
        if !placed.is_empty() {
            out.push_str(&format!("{pad} {bar}\n"));
        }
        out.push_str(&format!("{pad} {} {}: {help}\n", paint.wrap("1;34", "="), paint.wrap("1", "help")));
    }
}

/// `2 errors, 1 warning` (or `no problems found`).
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
