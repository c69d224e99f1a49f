//! The message loop: requests and notifications dispatched to the features,
//! diagnostics published after every change (edits that arrive together are
//! applied together and checked once).

use std::path::PathBuf;

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use serde_json::Value;

use crate::convert::{diagnostic, offset, path_to_uri, uri_to_path};
use crate::workspace::Workspace;

/// A document position resolved: its policy's analysis, the file and the byte offset.
type Located<'a> = (&'a crate::workspace::Analysis, leadroute_compiler::FileId, usize);

/// What the server offers.
pub fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(lsp::TextDocumentSyncKind::FULL)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![" ".into(), "(".into(), "[".into(), ",".into(), ".".into()]),
            ..Default::default()
        }),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions { prepare_provider: Some(true), work_done_progress_options: Default::default() })),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        workspace_symbol_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        folding_range_provider: Some(lsp::FoldingRangeProviderCapability::Simple(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        semantic_tokens_provider: Some(lsp::SemanticTokensServerCapabilities::SemanticTokensOptions(lsp::SemanticTokensOptions {
            legend: lsp::SemanticTokensLegend { token_types: crate::tokens::TOKEN_TYPES.to_vec(), token_modifiers: crate::tokens::TOKEN_MODIFIERS.to_vec() },
            full: Some(lsp::SemanticTokensFullOptions::Bool(true)),
            range: None,
            work_done_progress_options: Default::default(),
        })),
        ..Default::default()
    }
}

/// JSON-RPC `InvalidRequest`: a second `initialize`.
const INVALID_REQUEST: i32 = -32600;
/// JSON-RPC `InternalError`: a handler failed (a bug); the server keeps serving.
const INTERNAL_ERROR: i32 = -32603;

/// The request method that panics on purpose, answered only when the
/// environment variable [`PANIC_HOOK_ENV`] is `1` (tests of the panic guard).
pub const PANIC_HOOK_METHOD: &str = "leadroute/testPanic";
/// The environment variable that enables [`PANIC_HOOK_METHOD`].
pub const PANIC_HOOK_ENV: &str = "LEADROUTE_LSP_TEST_PANIC";

/// Runs `f`; a panic inside it becomes `Err` with the panic's message.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_else(|| "a panic".into())
    })
}

/// Serves one client until it asks to shut down and exits.
pub fn serve(conn: &Connection) -> Result<(), String> {
    let caps = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    conn.initialize(caps).map_err(|e| format!("initialize failed: {e}"))?;
    let panic_hook = std::env::var(PANIC_HOOK_ENV).is_ok_and(|v| v == "1");
    let mut server = Server { ws: Workspace::default(), published: Default::default(), panic_hook };
    let mut pending: Vec<Message> = Vec::new();
    loop {
        let msg = match pending.pop() {
            Some(m) => m,
            None => match conn.receiver.recv() {
                Ok(m) => m,
                Err(_) => return Ok(()),
            },
        };
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req).map_err(|e| e.to_string())? {
                    return Ok(());
                }
                let resp = guarded(|| server.request(&req)).unwrap_or_else(|why| {
                    // The analyses may be half-built: start them afresh.
                    server.ws.forget_analyses();
                    eprintln!("leadroute lsp: internal error in `{}`: {why}", req.method);
                    Response::new_err(req.id.clone(), INTERNAL_ERROR, format!("internal error in `{}`: {why}; please report it with the document", req.method))
                });
                conn.sender.send(Message::Response(resp)).map_err(|e| e.to_string())?;
            }
            Message::Notification(n) => {
                let mut changed = server.guarded_notification(&n);
                // Apply edits that are already waiting before checking once.
                while let Ok(next) = conn.receiver.try_recv() {
                    match next {
                        Message::Notification(n) => changed.extend(server.guarded_notification(&n)),
                        other => {
                            pending.push(other);
                            break;
                        }
                    }
                }
                changed.sort();
                changed.dedup();
                for path in changed {
                    let notes = guarded(|| server.diagnostics_for(&path)).unwrap_or_else(|why| {
                        server.ws.forget_analyses();
                        eprintln!("leadroute lsp: internal error checking {}: {why}", path.display());
                        Vec::new()
                    });
                    for note in notes {
                        conn.sender.send(Message::Notification(note)).map_err(|e| e.to_string())?;
                    }
                }
            }
            Message::Response(_) => {}
        }
    }
}

struct Server {
    ws: Workspace,
    /// Files we published diagnostics for, per policy (its file list), to clear them later.
    published: std::collections::BTreeMap<Vec<PathBuf>, Vec<PathBuf>>,
    /// Whether [`PANIC_HOOK_METHOD`] panics (tests only).
    panic_hook: bool,
}

fn params<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, String> {
    serde_json::from_value(v.clone()).map_err(|e| format!("invalid params: {e}"))
}

fn ok(id: RequestId, v: impl serde::Serialize) -> Response {
    Response::new_ok(id, serde_json::to_value(v).unwrap_or(Value::Null))
}

impl Server {
    /// [`Server::notification`], surviving a panic (logged; nothing changes).
    fn guarded_notification(&mut self, n: &Notification) -> Vec<PathBuf> {
        guarded(|| self.notification(n)).unwrap_or_else(|why| {
            self.ws.forget_analyses();
            eprintln!("leadroute lsp: internal error in `{}`: {why}", n.method);
            Vec::new()
        })
    }

    /// Applies a notification; returns the documents whose policy changed.
    fn notification(&mut self, n: &Notification) -> Vec<PathBuf> {
        let path_of = |uri: &lsp::Uri| uri_to_path(uri);
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = params::<lsp::DidOpenTextDocumentParams>(&n.params) else { return vec![] };
                let Some(path) = path_of(&p.text_document.uri) else { return vec![] };
                self.ws.open.insert(path.clone(), p.text_document.text);
                self.ws.invalidate(&path);
                vec![path]
            }
            "textDocument/didChange" => {
                let Ok(p) = params::<lsp::DidChangeTextDocumentParams>(&n.params) else { return vec![] };
                let Some(path) = path_of(&p.text_document.uri) else { return vec![] };
                // Full sync: the last change holds the whole text.
                if let Some(c) = p.content_changes.into_iter().last() {
                    self.ws.open.insert(path.clone(), c.text);
                }
                self.ws.invalidate(&path);
                vec![path]
            }
            "textDocument/didSave" | "workspace/didChangeWatchedFiles" => {
                let uris: Vec<lsp::Uri> = match n.method.as_str() {
                    "textDocument/didSave" => params::<lsp::DidSaveTextDocumentParams>(&n.params).map(|p| vec![p.text_document.uri]).unwrap_or_default(),
                    _ => params::<lsp::DidChangeWatchedFilesParams>(&n.params).map(|p| p.changes.into_iter().map(|c| c.uri).collect()).unwrap_or_default(),
                };
                let paths: Vec<PathBuf> = uris.iter().filter_map(path_of).collect();
                for p in &paths {
                    self.ws.invalidate(p);
                }
                paths.into_iter().filter(|p| self.ws.open.contains_key(p) || self.ws.open.keys().any(|o| o.parent() == p.parent())).collect()
            }
            "textDocument/didClose" => {
                let Ok(p) = params::<lsp::DidCloseTextDocumentParams>(&n.params) else { return vec![] };
                if let Some(path) = path_of(&p.text_document.uri) {
                    self.ws.open.remove(&path);
                    self.ws.invalidate(&path);
                    // Re-publish from the saved text: unsaved errors must not linger.
                    return vec![path];
                }
                vec![]
            }
            _ => vec![],
        }
    }

    /// `publishDiagnostics` for every file of `path`'s policy (and empty lists
    /// for files that had diagnostics before and have none now).
    fn diagnostics_for(&mut self, path: &std::path::Path) -> Vec<Notification> {
        let a = self.ws.analysis(path);
        let mut by_file: std::collections::BTreeMap<PathBuf, Vec<lsp::Diagnostic>> = std::collections::BTreeMap::new();
        for (id, f) in a.sources.iter() {
            // A table's CSV file: its problems show on the `table` declaration.
            if !f.is_table() {
                by_file.insert(a.path(id), Vec::new());
            }
        }
        let uri_of = |id| path_to_uri(&a.path(id));
        for d in &a.checked.diagnostics {
            let Some(l) = &d.primary else {
                // A problem with no place (no header, say) shows at the top of the file.
                by_file.entry(path.to_path_buf()).or_default().push(diagnostic(d, &a.sources, &uri_of));
                continue;
            };
            let converted = diagnostic(d, &a.sources, &uri_of);
            match crate::tables::on_declaration(a, d, converted.clone()) {
                Some((file, on_decl)) => by_file.entry(file).or_default().push(on_decl),
                None => by_file.entry(a.path(l.span.file)).or_default().push(converted),
            }
        }
        let key: Vec<PathBuf> = a.sources.iter().map(|(id, _)| a.path(id)).collect();
        let before = self.published.remove(&key).unwrap_or_default();
        for old in before {
            by_file.entry(old).or_default();
        }
        self.published.insert(key, by_file.iter().filter(|(_, v)| !v.is_empty()).map(|(k, _)| k.clone()).collect());
        by_file
            .into_iter()
            .map(|(file, diagnostics)| {
                let p = lsp::PublishDiagnosticsParams { uri: path_to_uri(&file), diagnostics, version: None };
                Notification::new("textDocument/publishDiagnostics".into(), p)
            })
            .collect()
    }

    /// The analysis, file and byte offset of a document position (`None`
    /// when the file is not part of any policy).
    fn locate(&mut self, uri: &lsp::Uri, pos: Option<lsp::Position>) -> Result<Option<Located<'_>>, (i32, String)> {
        let path = uri_to_path(uri).ok_or((-32602, format!("not a file URI: {}", uri.as_str())))?;
        let a = self.ws.analysis(&path);
        Ok(a.file(&path).map(|file| {
            let at = pos.map_or(0, |p| offset(a.sources.get(file), p));
            (a, file, at)
        }))
    }

    fn request(&mut self, req: &Request) -> Response {
        match self.dispatch(req) {
            Ok(v) => Response::new_ok(req.id.clone(), v),
            Err((code, message)) => Response::new_err(req.id.clone(), code, message),
        }
    }

    fn dispatch(&mut self, req: &Request) -> Result<Value, (i32, String)> {
        const INVALID: i32 = -32602;
        const UNKNOWN: i32 = -32601;
        let bad = |e: String| (INVALID, e);
        let doc = |uri: &lsp::Uri| uri_to_path(uri).ok_or((INVALID, format!("not a file URI: {}", uri.as_str())));
        let v = |x: Response| x.result.unwrap_or(Value::Null);
        let id = req.id.clone();
        Ok(match req.method.as_str() {
            "textDocument/completion" => {
                let p: lsp::CompletionParams = params(&req.params).map_err(bad)?;
                let Some((a, file, at)) = self.locate(&p.text_document_position.text_document.uri, Some(p.text_document_position.position))? else { return Ok(Value::Null) };
                v(ok(id, crate::completion::complete(&a.sources.get(file).text, at, &a.checked.symbols())))
            }
            "textDocument/hover" => {
                let p: lsp::HoverParams = params(&req.params).map_err(bad)?;
                let Some((a, file, at)) = self.locate(&p.text_document_position_params.text_document.uri, Some(p.text_document_position_params.position))? else { return Ok(Value::Null) };
                v(ok(id, crate::navigate::hover(a, file, at)))
            }
            "textDocument/definition" => {
                let p: lsp::GotoDefinitionParams = params(&req.params).map_err(bad)?;
                let Some((a, file, at)) = self.locate(&p.text_document_position_params.text_document.uri, Some(p.text_document_position_params.position))? else { return Ok(Value::Null) };
                v(ok(id, crate::navigate::definition(a, file, at)))
            }
            "textDocument/references" => {
                let p: lsp::ReferenceParams = params(&req.params).map_err(bad)?;
                let Some((a, file, at)) = self.locate(&p.text_document_position.text_document.uri, Some(p.text_document_position.position))? else { return Ok(Value::Null) };
                v(ok(id, crate::navigate::references(a, file, at, p.context.include_declaration)))
            }
            "textDocument/prepareRename" => {
                let p: lsp::TextDocumentPositionParams = params(&req.params).map_err(bad)?;
                let Some((a, file, at)) = self.locate(&p.text_document.uri, Some(p.position))? else { return Ok(Value::Null) };
                v(ok(id, crate::navigate::prepare_rename(a, file, at)))
            }
            "textDocument/rename" => {
                let p: lsp::RenameParams = params(&req.params).map_err(bad)?;
                let Some((a, file, at)) = self.locate(&p.text_document_position.text_document.uri, Some(p.text_document_position.position))? else { return Ok(Value::Null) };
                // No name under the cursor: nothing to rename, which is `null`.
                let Some(renamed) = crate::navigate::rename(a, file, at, &p.new_name) else { return Ok(Value::Null) };
                v(ok(id, renamed.map_err(|e| (INVALID, e))?))
            }
            "textDocument/documentSymbol" => {
                let p: lsp::DocumentSymbolParams = params(&req.params).map_err(bad)?;
                let Some((a, file, at)) = self.locate(&p.text_document.uri, None)? else { return Ok(Value::Null) };
                let _ = at;
                v(ok(id, crate::navigate::document_symbols(a, file)))
            }
            "workspace/symbol" => {
                let p: lsp::WorkspaceSymbolParams = params(&req.params).map_err(bad)?;
                let open: Vec<PathBuf> = self.ws.open.keys().cloned().collect();
                for path in &open {
                    self.ws.analysis(path);
                }
                v(ok(id, crate::navigate::workspace_symbols(self.ws.analyses(), &p.query)))
            }
            "textDocument/formatting" => {
                let p: lsp::DocumentFormattingParams = params(&req.params).map_err(bad)?;
                let path = doc(&p.text_document.uri)?;
                let text = self.ws.text(&path).ok_or((INVALID, "unknown document".to_string()))?;
                match leadroute_compiler::fmt::format_source(&text) {
                    Ok(formatted) if formatted != text => {
                        let src = leadroute_compiler::SourceFile::new("", text.clone());
                        let end = crate::convert::position(&src, src.text.len());
                        let whole = lsp::Range { start: lsp::Position::default(), end };
                        v(ok(id, vec![lsp::TextEdit { range: whole, new_text: formatted }]))
                    }
                    // Unchanged, or it has syntax errors (shown as diagnostics): no edits.
                    _ => v(ok(id, Vec::<lsp::TextEdit>::new())),
                }
            }
            "textDocument/semanticTokens/full" => {
                let p: lsp::SemanticTokensParams = params(&req.params).map_err(bad)?;
                let Some((a, file, at)) = self.locate(&p.text_document.uri, None)? else { return Ok(Value::Null) };
                let _ = at;
                v(ok(id, crate::tokens::semantic_tokens(a, file)))
            }
            "textDocument/foldingRange" => {
                let p: lsp::FoldingRangeParams = params(&req.params).map_err(bad)?;
                let Some((a, file, at)) = self.locate(&p.text_document.uri, None)? else { return Ok(Value::Null) };
                let _ = at;
                v(ok(id, crate::tokens::folding(a, file)))
            }
            "textDocument/codeAction" => {
                let p: lsp::CodeActionParams = params(&req.params).map_err(bad)?;
                let Some((a, file, at)) = self.locate(&p.text_document.uri, None)? else { return Ok(Value::Null) };
                let _ = at;
                v(ok(id, crate::actions::code_actions(a, file, p.range)))
            }
            "initialize" => return Err((INVALID_REQUEST, "the server is already initialized".into())),
            PANIC_HOOK_METHOD if self.panic_hook => panic!("{PANIC_HOOK_METHOD} asked for a panic"),
            other => return Err((UNKNOWN, format!("leadroute does not handle `{other}`"))),
        })
    }
}
