//! The terminal renderer: each diagnostic becomes an [`ariadne`] report with
//! its code, message, labels (primary in the severity's colour, related ones
//! in blue) and help. Reports are written one at a time as they are built,
//! and each shows only a window of the lines it points at, so a policy with
//! one huge line or thousands of problems prints quickly in little memory.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::ops::Range;

use ariadne::{Color, Config, IndexType, Label as ALabel, Report, ReportKind, Source};

use super::visible_span;
use crate::codes::Severity;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, SourceSet};

/// How many characters of a source line a report shows around its labels;
/// longer lines are cut to this window, with `…` where text was left out.
pub const LINE_WINDOW: usize = 120;

/// How many reports [`HumanOptions::default`] writes before it only counts the rest.
pub const DEFAULT_MAX_REPORTS: usize = 200;

/// How to render for people.
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    /// Use ANSI colours.
    pub color: bool,
    /// Write at most this many reports, then one line saying how many more there are.
    pub max_reports: usize,
}

impl Default for HumanOptions {
    fn default() -> HumanOptions {
        HumanOptions { color: false, max_reports: DEFAULT_MAX_REPORTS }
    }
}

impl HumanOptions {
    /// Plain text (no colour), at most [`DEFAULT_MAX_REPORTS`] reports: what snapshots use.
    pub fn plain() -> HumanOptions {
        HumanOptions::default()
    }

    /// Coloured or not, at most [`DEFAULT_MAX_REPORTS`] reports.
    pub fn with_color(color: bool) -> HumanOptions {
        HumanOptions { color, ..HumanOptions::default() }
    }
}

/// Renders diagnostics for a terminal into a string (see [`write_human`]).
pub fn render_human(diags: &[Diagnostic], sources: &SourceSet, opts: HumanOptions) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write_human(diags, sources, opts, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes each diagnostic to `out` as soon as it is rendered, each followed
/// by a blank line; after `opts.max_reports` reports, one line counts the rest.
pub fn write_human(diags: &[Diagnostic], sources: &SourceSet, opts: HumanOptions, out: &mut dyn Write) -> io::Result<()> {
    for d in diags.iter().take(opts.max_reports) {
        out.write_all(render_one(d, sources, opts.color).as_bytes())?;
        out.write_all(b"\n")?;
    }
    let more = diags.len().saturating_sub(opts.max_reports);
    if more > 0 {
        let errors = diags[opts.max_reports..].iter().filter(|d| d.is_error()).count();
        writeln!(out, "... and {more} more diagnostic{} not shown ({errors} of them errors)\n", if more == 1 { "" } else { "s" })?;
    }
    Ok(())
}

/// The text one report is drawn from for one file: the labelled lines
/// (cut to a window) and empty lines before and between them, so that
/// ariadne's line numbers (counted from the start of the text it is given,
/// whatever `with_display_line_offset` says) are the file's.
struct Excerpt {
    name: String,
    source: Source<String>,
    /// Where each labelled line (1-based number in the file) starts in the excerpt.
    line_starts: BTreeMap<usize, usize>,
    /// For each cut line (1-based number in the file): characters to add to
    /// a column counted in the excerpt to get the column in the file.
    shifts: BTreeMap<usize, isize>,
}

/// One label's line in the file and its byte range there (within that line).
struct Placed {
    primary: bool,
    file: FileId,
    line: usize,
    range: Range<usize>,
    message: String,
}

/// The excerpts of one report, by file; implements ariadne's source cache.
struct Excerpts(Vec<(FileId, Excerpt)>);

impl ariadne::Cache<FileId> for Excerpts {
    type Storage = String;

    fn fetch(&mut self, id: &FileId) -> Result<&Source<String>, impl fmt::Debug> {
        self.0.iter().find(|(f, _)| f == id).map(|(_, e)| &e.source).ok_or("no excerpt for this file")
    }

    fn display<'a>(&self, id: &'a FileId) -> Option<impl fmt::Display + 'a> {
        self.0.iter().find(|(f, _)| f == id).map(|(_, e)| e.name.clone())
    }
}

/// Byte offset of the start of each line that matters, from the file's text.
fn line_bounds(text: &str, offset: usize) -> Range<usize> {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    start..end
}

fn render_one(d: &Diagnostic, sources: &SourceSet, color: bool) -> String {
    let kind = match d.severity() {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let main_color = match d.severity() {
        Severity::Error => Color::Red,
        Severity::Warning => Color::Yellow,
    };
    // Every label is shown on its first line only, as rustc does for long spans.
    let mut placed: Vec<Placed> = Vec::new();
    for (label, primary) in d.primary.iter().map(|l| (l, true)).chain(d.secondary.iter().map(|l| (l, false))) {
        let file = sources.get(label.span.file);
        let range = visible_span(sources, label.span);
        let line_range = line_bounds(&file.text, range.start);
        let (line, _) = file.line_col(range.start);
        let end = range.end.min(line_range.end).max(range.start);
        placed.push(Placed { primary, file: label.span.file, line, range: range.start..end, message: label.message.clone() });
    }
    let mut excerpts: Vec<(FileId, Excerpt)> = Vec::new();
    let mut spans: Vec<Range<usize>> = Vec::new();
    for p in &placed {
        if !excerpts.iter().any(|(f, _)| *f == p.file) {
            excerpts.push((p.file, excerpt(sources, p.file, &placed)));
        }
        spans.push(Range { start: 0, end: 0 });
    }
    for (i, p) in placed.iter().enumerate() {
        let Some((_, ex)) = excerpts.iter().find(|(f, _)| *f == p.file) else { continue };
        spans[i] = map_range(sources, p, &placed, ex);
    }
    let config = Config::default().with_index_type(IndexType::Byte).with_color(color);
    let anchor = match placed.first() {
        Some(p) => (p.file, spans[0].clone()),
        None => (FileId(u32::MAX), 0..0),
    };
    let mut report = Report::build(kind, anchor).with_config(config).with_code(d.code).with_message(&d.message);
    // ariadne starts a new section whenever a label's line is above the one
    // before it: order labels by file (the primary's first), then line.
    let mut order: Vec<usize> = (0..placed.len()).collect();
    order.sort_by_key(|&i| {
        let p = &placed[i];
        let rank = excerpts.iter().position(|(f, _)| *f == p.file).unwrap_or(0);
        (rank, p.line, !p.primary, p.range.start)
    });
    for (rank, &i) in order.iter().enumerate() {
        let p = &placed[i];
        let mut label = ALabel::new((p.file, spans[i].clone())).with_order(rank as i32);

        // ariadne draws no underline at all for a label without a message.
        label = label.with_message(&p.message);
        if color {
            label = label.with_color(if p.primary { main_color } else { Color::Blue });
        }
        report = report.with_label(label);
    }
    if let Some(help) = &d.help {
        report = report.with_help(help);
    }
    let mut out = Vec::new();
    let mut cache = Excerpts(excerpts);
    // Writing into a Vec cannot fail; a missing excerpt is reported by ariadne in the text.
    let _ = report.finish().write(&mut cache, &mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    fix_header_columns(text, &cache.0)
}

/// The excerpt of `file` for the labels of one report.
fn excerpt(sources: &SourceSet, file: FileId, placed: &[Placed]) -> Excerpt {
    let src = sources.get(file);
    let here: Vec<&Placed> = placed.iter().filter(|p| p.file == file).collect();
    let last = here.iter().map(|p| p.line).max().unwrap_or(1);
    let mut text = String::new();
    let mut shifts = BTreeMap::new();
    let mut line_starts = BTreeMap::new();
    for line in 1..=last {
        if line > 1 {
            text.push('\n');
        }
        let Some(p) = here.iter().find(|p| p.line == line) else { continue };
        line_starts.insert(line, text.len());
        let bounds = line_bounds(&src.text, p.range.start);
        let window = window_of(&src.text, bounds.clone(), &here, line);
        let shown = src.text[window.clone()].trim_end_matches('\r');
        if window.start > bounds.start {
            text.push('…');
            let skipped = src.text[bounds.start..window.start].chars().count() as isize;
            shifts.insert(line, skipped - 1);
        }
        text.push_str(shown);
        if window.end < bounds.end {
            text.push('…');
        }
    }
    Excerpt { name: src.name.clone(), source: Source::from(text), line_starts, shifts }
}

/// The bytes of a line that are shown: all of it when short, else
/// [`LINE_WINDOW`] characters starting a little before the first label on it
/// (the primary label's when it is there).
fn window_of(text: &str, bounds: Range<usize>, here: &[&Placed], line: usize) -> Range<usize> {
    let line_text = &text[bounds.clone()];
    if line_text.chars().count() <= LINE_WINDOW + LINE_WINDOW / 3 {
        return bounds;
    }
    let on_line: Vec<&&Placed> = here.iter().filter(|p| p.line == line).collect();
    let anchor = on_line.iter().find(|p| p.primary).or(on_line.first()).map_or(bounds.start, |p| p.range.start);
    // Start up to 40 characters before the label, on a character boundary.
    let before: usize = text[bounds.start..anchor].chars().rev().take(40).map(char::len_utf8).sum();
    let start = anchor - before;
    let len: usize = text[start..bounds.end].chars().take(LINE_WINDOW).map(char::len_utf8).sum();
    start..start + len
}

/// A label's byte range in the excerpt of its file.
fn map_range(sources: &SourceSet, p: &Placed, placed: &[Placed], ex: &Excerpt) -> Range<usize> {
    let src = sources.get(p.file);
    let here: Vec<&Placed> = placed.iter().filter(|q| q.file == p.file).collect();
    let bounds = line_bounds(&src.text, p.range.start);
    let window = window_of(&src.text, bounds.clone(), &here, p.line);
    let line_start = ex.line_starts.get(&p.line).copied().unwrap_or(0);
    let marker = if window.start > bounds.start { '…'.len_utf8() } else { 0 };
    let shown_len = src.text[window.clone()].trim_end_matches('\r').len();
    let clamp = |b: usize| b.clamp(window.start, window.start + shown_len) - window.start;
    let (s, e) = (clamp(p.range.start), clamp(p.range.end));
    // A label cut away entirely points at the `…` that stands for it.
    let e = e.max(s);
    line_start + marker + s..line_start + marker + e
}

/// ariadne counts a header's column in the excerpt; on a cut line that is
/// not the file's column, so the `name:line:col` of such headers is corrected.
fn fix_header_columns(text: String, excerpts: &[(FileId, Excerpt)]) -> String {
    if excerpts.iter().all(|(_, e)| e.shifts.is_empty()) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(&fix_header(line, excerpts).unwrap_or_else(|| line.to_string()));
    }
    out
}

fn fix_header(line: &str, excerpts: &[(FileId, Excerpt)]) -> Option<String> {
    let open = line.find("─[ ")? + "─[ ".len();
    let close = line.rfind(" ]")?;
    let inner = line.get(open..close)?;
    let mut parts = inner.rsplitn(3, ':');
    let col: isize = parts.next()?.parse().ok()?;
    let row: usize = parts.next()?.parse().ok()?;
    let name = parts.next()?;
    let shift = excerpts.iter().find(|(_, e)| e.name == name).and_then(|(_, e)| e.shifts.get(&row))?;
    Some(format!("{}{name}:{row}:{}{}", &line[..open], col + shift, &line[close..]))
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
