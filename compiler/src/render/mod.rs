//! Rendering diagnostics: for people in a terminal, as JSON, SARIF or GitHub
//! annotations for CI, and as a `miette::Diagnostic` for programs that embed the compiler.

mod github;
mod human;
mod json;
mod miette_view;
mod sarif;

pub use human::{render_human, summary_line, write_human, HumanOptions, DEFAULT_MAX_REPORTS, LINE_WINDOW};
pub use github::{escape_data, escape_property, render_github};
pub use json::{diagnostic_json, render_json_lines};
pub use sarif::render_sarif;
pub use miette_view::MietteView;

use crate::source::{SourceSet, Span};

/// A span widened to at least one character (an empty span at the end of a
/// file points at its last character), so that every renderer can show it.
pub fn visible_span(sources: &SourceSet, span: Span) -> std::ops::Range<usize> {
    let text = &sources.get(span.file).text;
    let (start, end) = (span.start as usize, span.end as usize);
    if end > start || text.is_empty() {
        return start.min(text.len())..end.min(text.len());
    }
    if start < text.len() {
        let len = text[start..].chars().next().map_or(1, char::len_utf8);
        start..start + len
    } else {
        let last = text.char_indices().last().map_or(0, |(i, _)| i);
        last..text.len()
    }
}

/// Where a span is, as CI formats name it: the file's name and 1-based
/// lines and columns (in characters; the end column is one past the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// The file's name as given.
    pub file: String,
    /// First line.
    pub line: usize,
    /// First column.
    pub column: usize,
    /// Last line.
    pub end_line: usize,
    /// Column one past the last character.
    pub end_column: usize,
}

/// The [`Region`] of a span (widened by [`visible_span`]).
pub fn region(sources: &SourceSet, span: Span) -> Region {
    let file = sources.get(span.file);
    let range = visible_span(sources, span);
    let (line, column) = file.line_col(range.start);
    let (end_line, end_column) = file.line_col(range.end);
    Region { file: file.name.clone(), line, column, end_line, end_column }
}
