//! Analyses over checked conditions: the predicate model and what is built on it.

pub mod breach;
pub mod budget;
pub mod index;
pub mod overlap;
pub mod predicate;
pub mod reach;
pub mod values;
pub mod witness;

/// A policy's text, checked (for the analyses' unit tests).
#[cfg(test)]
pub(crate) fn checked(text: &str) -> crate::check::Checked {
    let mut sources = crate::source::SourceSet::new();
    sources.add(crate::source::SourceFile::new("p.route", text.to_string()));
    crate::check::check(&sources)
}
