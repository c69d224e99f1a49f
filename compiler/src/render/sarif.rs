//! SARIF 2.1.0 output, the format GitHub code scanning uploads
//! (`github/codeql-action/upload-sarif`): one run whose tool lists every
//! stable code as a rule, and one result per diagnostic.

use serde_json::{json, Value};

use super::{region, Region};
use crate::codes::{Code, Severity};
use crate::diagnostic::Diagnostic;
use crate::source::SourceSet;

/// The SARIF log (pretty JSON, ending in a newline) for `diags`, naming the
/// tool `leadroute` at `version`. File names are used as relative URIs
/// (with `/` separators) against `%SRCROOT%`, the checkout: an absolute name
/// under `root` (the folder `check` ran in) is made relative to it.
pub fn render_sarif(diags: &[Diagnostic], sources: &SourceSet, version: &str, root: Option<&std::path::Path>) -> String {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|code| {
            json!({
                "id": code.as_str(),
                "name": code.as_str(),
                "shortDescription": { "text": code.title() },
                "fullDescription": { "text": code.title() },
                "help": { "text": code.explanation(), "markdown": code.explanation() },
                "defaultConfiguration": { "level": level(code.severity()) },
            })
        })
        .collect();
    let results: Vec<Value> = diags.iter().map(|d| result(d, sources, root)).collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "leadroute",
                "version": version,
                "semanticVersion": version,
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "the folder leadroute was run in" } } },
            "results": results,
        }],
    });
    // Serialising a `Value` cannot fail.
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A file name as a relative URI: `/` separators, no `./`, and the
/// characters URIs reserve percent-encoded.
pub(crate) fn relative_uri(name: &str) -> String {
    let name = name.replace('\\', "/");
    let name = name.trim_start_matches("./");
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn physical(r: &Region, root: Option<&std::path::Path>) -> Value {
    let path = std::path::Path::new(&r.file);
    let name = match root.and_then(|root| path.strip_prefix(root).ok()) {
        Some(rel) => rel.to_string_lossy().into_owned(),
        None => r.file.clone(),
    };
    json!({
        "artifactLocation": { "uri": relative_uri(&name), "uriBaseId": "%SRCROOT%" },
        "region": {
            "startLine": r.line,
            "startColumn": r.column,
            "endLine": r.end_line,
            "endColumn": r.end_column,
        },
    })
}

fn result(d: &Diagnostic, sources: &SourceSet, root: Option<&std::path::Path>) -> Value {
    let rule_index = Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0);
    let mut text = d.message.clone();
    if let Some(p) = d.primary.as_ref().filter(|p| !p.message.is_empty()) {
        text.push_str(&format!(" ({})", p.message));
    }
    if let Some(help) = &d.help {
        text.push_str(&format!("\nhelp: {help}"));
    }
    let mut r = json!({
        "ruleId": d.code.as_str(),
        "ruleIndex": rule_index,
        "level": level(d.severity()),
        "message": { "text": text },
    });
    if let Some(p) = &d.primary {
        r["locations"] = json!([{ "physicalLocation": physical(&region(sources, p.span), root) }]);
    }
    if !d.secondary.is_empty() {
        let related: Vec<Value> = d
            .secondary
            .iter()
            .enumerate()
            .map(|(i, l)| json!({ "id": i, "physicalLocation": physical(&region(sources, l.span), root), "message": { "text": l.message } }))
            .collect();
        r["relatedLocations"] = Value::Array(related);
    }
    r
}
