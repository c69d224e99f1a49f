//! GitHub Actions workflow commands: one `::error` / `::warning` line per
//! diagnostic, which GitHub shows as an annotation on the changed line.

use super::region;
use crate::diagnostic::Diagnostic;
use crate::source::SourceSet;

/// Escapes a command's message as GitHub documents: `%`, `\r`, `\n`.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value: as [`escape_data`], and also `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command per diagnostic:
/// `::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=CODE::message`
/// (1-based lines and columns; the help follows the message on a new line).
pub fn render_github(diags: &[Diagnostic], sources: &SourceSet) -> String {
    let mut out = String::new();
    for d in diags {
        let command = if d.is_error() { "error" } else { "warning" };
        let mut props = Vec::new();
        if let Some(p) = &d.primary {
            let r = region(sources, p.span);
            props.push(format!("file={}", escape_property(&r.file)));
            props.push(format!("line={}", r.line));
            props.push(format!("col={}", r.column));
            props.push(format!("endLine={}", r.end_line));
            props.push(format!("endColumn={}", r.end_column));
        }
        props.push(format!("title={}", escape_property(d.code.as_str())));
        let mut message = d.message.clone();
        if let Some(p) = d.primary.as_ref().filter(|p| !p.message.is_empty()) {
            message.push_str(&format!(" ({})", p.message));
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        out.push_str(&format!("::{command} {}::{}\n", props.join(","), escape_data(&message)));
    }
    out
}
