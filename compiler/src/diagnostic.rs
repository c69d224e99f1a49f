//! The one diagnostic type: produced once by any phase, rendered for the
//! terminal, as JSON for CI, and for the language server.

use crate::codes::{Code, Severity};
use crate::source::Span;

/// A labelled source range inside a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is there (may be empty).
    pub message: String,
}

/// A problem found in a policy: a stable code, a one-line message, the
/// place it is about (primary label), related places, and help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code; also decides the severity.
    pub code: Code,
    /// One line, lowercase, user input in backticks.
    pub message: String,
    /// The place the diagnostic is about; `None` for problems without one (an unreadable file).
    pub primary: Option<Label>,
    /// Related places (the first declaration of a duplicate, the rule that shadows ...).
    pub secondary: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
    /// An example lead (JSON) showing the problem: one that falls through, or
    /// one in two territories. Analyses fill it in; tests replay it.
    pub example: Option<serde_json::Value>,
}

impl Diagnostic {
    /// A diagnostic about `span`.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            primary: Some(Label { span, message: String::new() }),
            secondary: Vec::new(),
            help: None,
            example: None,
        }
    }

    /// A diagnostic about no particular place.
    pub fn unlocated(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic { code, message: message.into(), primary: None, secondary: Vec::new(), help: None, example: None }
    }

    /// Sets the primary label's text.
    pub fn label(mut self, text: impl Into<String>) -> Diagnostic {
        if let Some(primary) = &mut self.primary {
            primary.message = text.into();
        }
        self
    }

    /// Adds a related place.
    pub fn with_secondary(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label { span, message: text.into() });
        self
    }

    /// Sets the help text.
    pub fn help(mut self, text: impl Into<String>) -> Diagnostic {
        self.help = Some(text.into());
        self
    }

    /// Attaches an example lead.
    pub fn with_example(mut self, lead: serde_json::Value) -> Diagnostic {
        self.example = Some(lead);
        self
    }

    /// Error or warning, from the code.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    /// Sort key: file, position, code — so output never depends on checking order.
    pub fn sort_key(&self) -> (u32, u32, u32, Code) {
        match &self.primary {
            Some(l) => (l.span.file.0, l.span.start, l.span.end, self.code),
            None => (0, 0, 0, self.code),
        }
    }
}

/// Sorts diagnostics by place and drops exact repeats.
pub fn sort_and_dedup(diags: &mut Vec<Diagnostic>) {
    diags.sort_by_key(|d| d.sort_key());
    diags.dedup();
}
