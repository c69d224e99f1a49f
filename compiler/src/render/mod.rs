//! Rendering diagnostics: for people in a terminal, as JSON for CI, and as a
//! `miette::Diagnostic` for programs that embed the compiler.

mod human;
mod json;
mod miette_view;

pub use human::{render_human, summary_line, HumanOptions};
pub use json::{diagnostic_json, render_json_lines};
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
