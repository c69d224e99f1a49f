//! The Route language front-end: sources, parser, checker, analyses and
//! diagnostics. The command line and the language server both drive it
//! through [`check_paths`] / [`check::check`]; it never touches the file
//! system except through a [`source::SourceProvider`].

pub mod analysis;
pub mod check;
pub mod codes;
pub mod diagnostic;
pub mod diff;
pub mod fmt;
pub mod lower;
pub mod render;
pub mod source;
pub mod syntax;

pub use check::{check, Checked};
pub use codes::{Code, Severity};
pub use diagnostic::{Diagnostic, Label};
pub use source::{FileId, SourceFile, SourceProvider, SourceSet, Span};

/// Loads the files at `paths` through `provider` and checks them as one policy.
/// Files that cannot be read are reported as E0050 diagnostics (without a
/// place) and left out; the rest is still checked.
pub fn check_paths(provider: &dyn SourceProvider, paths: &[std::path::PathBuf]) -> (SourceSet, Checked) {
    let (sources, load_errors) = source::load(provider, paths);
    let mut checked = check(&sources);
    if !load_errors.is_empty() {
        // An unreadable file makes "empty policy" noise; the load error says it all.
        if sources.is_empty() {
            checked.diagnostics.clear();
        }
        checked.diagnostics.splice(0..0, load_errors.iter().map(source::LoadError::to_diagnostic));
    }
    (sources, checked)
}
