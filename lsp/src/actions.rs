//! Code actions: apply a did-you-mean, add a missing handler or `otherwise`,
//! add a missing enum variant.

use std::collections::HashMap;

use leadroute_compiler::syntax::ast::Decl;
use leadroute_compiler::{Code, Diagnostic, FileId};
use lsp_types as lsp;

use crate::convert::{path_to_uri, position, range};
use crate::workspace::Analysis;

// lsp-types keys `WorkspaceEdit::changes` by `Uri`, whose parsed form caches inside.
#[allow(clippy::mutable_key_type)]
fn edit(uri: &lsp::Uri, range: lsp::Range, text: String) -> lsp::WorkspaceEdit {
    let mut changes = HashMap::new();
    changes.insert(uri.clone(), vec![lsp::TextEdit { range, new_text: text }]);
    lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() }
}

fn fix(title: String, uri: &lsp::Uri, range: lsp::Range, text: String, diag: Option<lsp::Diagnostic>) -> lsp::CodeActionOrCommand {
    lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
        title,
        kind: Some(lsp::CodeActionKind::QUICKFIX),
        diagnostics: diag.map(|d| vec![d]),
        edit: Some(edit(uri, range, text)),
        is_preferred: Some(true),
        ..Default::default()
    })
}

/// The end of a file, as an insertion point on a new line.
fn end_of(a: &Analysis, file: FileId) -> (lsp::Range, &'static str) {
    let src = a.sources.get(file);
    let p = position(src, src.text.len());
    let sep = if src.text.ends_with('\n') || src.text.is_empty() { "" } else { "\n" };
    (lsp::Range { start: p, end: p }, sep)
}

/// A queue to send leads to in a suggested handler.
fn some_queue(a: &Analysis) -> String {
    let syms = a.checked.symbols();
    let preferred = ["manager_review", "triage", "review", "territory_review"];
    preferred
        .iter()
        .find(|q| syms.queues.contains_key(**q))
        .map(|q| q.to_string())
        .or_else(|| syms.queues.keys().next().cloned())
        .unwrap_or_else(|| "review".to_string())
}

/// Quick fixes for the policy's diagnostics that touch `range` in `file`.
pub fn code_actions(a: &Analysis, file: FileId, want: lsp::Range) -> Vec<lsp::CodeActionOrCommand> {
    let uri = path_to_uri(&a.path(file));
    let mut out = Vec::new();
    let touches = |d: &Diagnostic| {
        d.primary.as_ref().is_some_and(|l| {
            let r = range(&a.sources, l.span);
            l.span.file == file && r.start <= want.end && want.start <= r.end
        })
    };
    // Rebuilding the symbol table is not free: once per request, not per diagnostic.
    let queue = some_queue(a);
    for d in a.checked.diagnostics.iter().filter(|d| touches(d)) {
        let Some(primary) = &d.primary else { continue };
        let lsp_diag = crate::convert::diagnostic(d, &a.sources, &|id| path_to_uri(&a.path(id)));
        let here = range(&a.sources, primary.span);
        if let Some(name) = d.help.as_deref().and_then(|h| h.strip_prefix("did you mean `")).and_then(|h| h.split('`').next()) {
            out.push(fix(format!("Change to `{name}`"), &uri, here, name.to_string(), Some(lsp_diag.clone())));
        }
        let (end, sep) = end_of(a, file);
        match d.code {
            Code::E0021 => {
                // Before the route's closing brace.
                let route = a.checked.modules.get(file.0 as usize).and_then(|m| {
                    m.iter().find_map(|x| match x {
                        Decl::Route(r) if r.name.span == primary.span => Some(r),
                        _ => None,
                    })
                });
                if let Some(r) = route {
                    let close = r.span.end as usize - 1;
                    let src = a.sources.get(file);
                    let line_start = src.text[..close].rfind('\n').map_or(close, |i| i + 1);
                    let at = if src.text[line_start..close].trim().is_empty() { line_start } else { close };
                    let p = position(src, at);
                    let text = if at == line_start { format!("  otherwise -> queue {queue}\n") } else { format!("\n  otherwise -> queue {queue}\n") };
                    out.push(fix(format!("Add `otherwise -> queue {queue}`"), &uri, lsp::Range { start: p, end: p }, text, Some(lsp_diag.clone())));
                }
            }
            Code::E0022 => out.push(fix(
                format!("Add `on no_available_rep -> queue {queue}`"),
                &uri,
                end,
                format!("{sep}on no_available_rep -> queue {queue}\n"),
                Some(lsp_diag.clone()),
            )),
            Code::E0023 => out.push(fix(
                format!("Add `on ambiguous_territory -> queue {queue}`"),
                &uri,
                end,
                format!("{sep}on ambiguous_territory -> queue {queue}\n"),
                Some(lsp_diag.clone()),
            )),
            Code::E0026 => out.push(fix(format!("Add `on no_match -> queue {queue}`"), &uri, end, format!("{sep}on no_match -> queue {queue}\n"), Some(lsp_diag.clone()))),
            Code::E0006 => {
                // `x` is not a variant of enum `E`: add it to E.
                let mut quoted = d.message.split('`').skip(1).step_by(2);
                let (Some(variant), Some(en)) = (quoted.next(), quoted.next()) else { continue };
                let Some(decl) = a.index().declaration(crate::index::Kind::Enum, en) else { continue };
                let enum_decl = a.checked.modules.iter().flat_map(|m| m.iter()).find_map(|x| match x {
                    Decl::Enum(e) if e.name.span == decl.span => Some(e),
                    _ => None,
                });
                let Some(e) = enum_decl else { continue };
                let Some(last) = e.variants.last() else { continue };
                let src = a.sources.get(last.span.file);
                let p = position(src, last.span.end as usize);
                let target = path_to_uri(&a.path(last.span.file));
                out.push(fix(format!("Add `{variant}` to enum `{en}`"), &target, lsp::Range { start: p, end: p }, format!(", {variant}"), Some(lsp_diag.clone())));
            }
            _ => {}
        }
    }
    out
}
