//! JSON output for CI: one object per diagnostic, one per line.

use serde_json::{json, Value};

use super::visible_span;
use crate::diagnostic::Diagnostic;
use crate::source::{SourceSet, Span};

fn place(sources: &SourceSet, span: Span) -> serde_json::Map<String, Value> {
    let file = sources.get(span.file);
    let range = visible_span(sources, span);
    let (line, column) = file.line_col(range.start);
    let (end_line, end_column) = file.line_col(range.end);
    let mut m = serde_json::Map::new();
    m.insert("file".into(), json!(file.name));
    m.insert("line".into(), json!(line));
    m.insert("column".into(), json!(column));
    m.insert("end_line".into(), json!(end_line));
    m.insert("end_column".into(), json!(end_column));
    m.insert("byte_start".into(), json!(range.start));
    m.insert("byte_end".into(), json!(range.end));
    m
}

/// One diagnostic as a JSON object: file, line, column (1-based, in
/// characters), end, byte range, code, severity, message, labels, help.
pub fn diagnostic_json(d: &Diagnostic, sources: &SourceSet) -> Value {
    let mut m = match &d.primary {
        Some(p) => place(sources, p.span),
        None => {
            let mut m = serde_json::Map::new();
            for k in ["file", "line", "column", "end_line", "end_column", "byte_start", "byte_end"] {
                m.insert(k.into(), Value::Null);
            }
            m
        }
    };
    m.insert("code".into(), json!(d.code));
    m.insert("severity".into(), json!(d.severity()));
    m.insert("message".into(), json!(d.message));
    let labels: Vec<Value> = d
        .primary
        .iter()
        .map(|l| (l, true))
        .chain(d.secondary.iter().map(|l| (l, false)))
        .map(|(l, primary)| {
            let mut o = place(sources, l.span);
            o.insert("message".into(), json!(l.message));
            o.insert("primary".into(), json!(primary));
            Value::Object(o)
        })
        .collect();
    m.insert("labels".into(), Value::Array(labels));
    m.insert("help".into(), json!(d.help));
    if let Some(example) = &d.example {
        m.insert("example".into(), example.clone());
    }
    Value::Object(m)
}

/// Every diagnostic as one JSON line.
pub fn render_json_lines(diags: &[Diagnostic], sources: &SourceSet) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&diagnostic_json(d, sources).to_string());
        out.push('\n');
    }
    out
}
