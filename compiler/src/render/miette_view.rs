//! A [`miette::Diagnostic`] view of a leadroute diagnostic, for embedders that
//! report through miette.

use miette::{LabeledSpan, SourceCode};

use crate::diagnostic::Diagnostic;
use crate::source::SourceSet;

/// A diagnostic together with the text of the file its primary label is in.
/// (miette shows one source per report; labels in other files are left out.)
#[derive(Debug)]
pub struct MietteView {
    diag: Diagnostic,
    source: miette::NamedSource<String>,
}

impl MietteView {
    /// Wraps a diagnostic with the source it points into.
    pub fn new(diag: &Diagnostic, sources: &SourceSet) -> MietteView {
        let file = diag.primary.as_ref().map(|p| p.span.file);
        let (name, text) = match file {
            Some(id) => (sources.get(id).name.clone(), sources.get(id).text.clone()),
            None => (String::new(), String::new()),
        };
        MietteView { diag: diag.clone(), source: miette::NamedSource::new(name, text) }
    }
}

impl std::fmt::Display for MietteView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for MietteView {}

impl miette::Diagnostic for MietteView {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.diag.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(if self.diag.is_error() { miette::Severity::Error } else { miette::Severity::Warning })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.diag.help.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.diag.primary.as_ref().map(|_| &self.source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let primary = self.diag.primary.as_ref()?;
        let file = primary.span.file;
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(primary.message.clone()).filter(|m| !m.is_empty()),
            primary.span.range(),
        )];
        labels.extend(
            self.diag
                .secondary
                .iter()
                .filter(|l| l.span.file == file)
                .map(|l| LabeledSpan::new_with_span(Some(l.message.clone()), l.span.range())),
        );
        Some(Box::new(labels.into_iter()))
    }
}
