//! Requests: each answered from the newest analysis of its document's
//! policy. Completion, hover and definition may read an analysis of an
//! older text (offsets mapped through [`Shift`]) so that they never wait
//! for a re-check; the rest wait for the analysis of the current text.

use std::path::PathBuf;

use lsp_server::Request;
use lsp_types as lsp;
use serde_json::Value;

use crate::convert::{offset, uri_to_path};
use crate::server::{guarded, Server, INTERNAL_ERROR, PANIC_HOOK_METHOD};
use crate::stale::Shift;
use crate::workspace::Analysis;

/// JSON-RPC `InvalidRequest`: a second `initialize`.
const INVALID_REQUEST: i32 = -32600;
/// JSON-RPC `InvalidParams`.
const INVALID: i32 = -32602;
/// JSON-RPC `MethodNotFound`.
const UNKNOWN: i32 = -32601;

fn params<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, (i32, String)> {
    serde_json::from_value(v.clone()).map_err(|e| (INVALID, format!("invalid params: {e}")))
}

/// The document a request is about, when it is about one.
pub fn document_of(r: &Request) -> Option<PathBuf> {
    let uri = r.params.get("textDocument")?.get("uri")?.as_str()?;
    uri_to_path(&uri.parse::<lsp::Uri>().ok()?)
}

/// How a request was dealt with.
enum Outcome {
    /// Answered (or refused).
    Sent,
    /// It needs the analysis of the current text.
    Wait,
}

/// An analysis to answer from: of the current text, or of an older one.
struct View<'a> {
    a: &'a Analysis,
    file: leadroute_compiler::FileId,
    /// `None` when the analysis read the current text.
    shift: Option<Shift>,
    /// The document's current text.
    current: &'a str,
}

impl View<'_> {
    /// The analysis's byte offset of a position in the current text; `None`
    /// when the word there touches the region edited since.
    fn at(&self, pos: lsp::Position) -> Option<usize> {
        let Some(s) = &self.shift else { return Some(offset(self.a.sources.get(self.file), pos)) };
        let at = crate::stale::offset(self.current, pos);
        let b = self.current.as_bytes();
        let word = |c: &u8| c.is_ascii_alphanumeric() || *c == b'_';
        let start = at - b[..at].iter().rev().take_while(|c| word(c)).count();
        let end = at + b[at..].iter().take_while(|c| word(c)).count();
        let edited = s.edited();
        // A word that touches the edit (even only at its ends) may have become another name.
        if start <= edited.end && edited.start <= end {
            return None;
        }
        s.to_old(at)
    }

    /// A location found in the analysis, in the current text; `None` when it
    /// falls in the edited region.
    fn location(&self, l: lsp::Location) -> Option<lsp::Location> {
        let Some(s) = &self.shift else { return Some(l) };
        if uri_to_path(&l.uri).is_none_or(|p| self.a.file(&p) != Some(self.file)) {
            // Another file: unchanged, or the analysis would not be used.
            return Some(l);
        }
        let old = self.a.sources.get(self.file);
        let start = s.to_new(offset(old, l.range.start))?;
        let end = s.to_new(offset(old, l.range.end))?;
        let range = lsp::Range { start: crate::stale::position(self.current, start), end: crate::stale::position(self.current, end) };
        Some(lsp::Location { uri: l.uri, range })
    }
}

impl Server<'_> {
    /// Answers `req`, or keeps it until an analysis of the current text arrives.
    pub(crate) fn request(&mut self, req: Request) -> Result<(), String> {
        let id = req.id.clone();
        match guarded(|| self.dispatch(&req)) {
            Ok(Ok(Outcome::Sent)) => Ok(()),
            Ok(Ok(Outcome::Wait)) => {
                // Waiting for the current text's analysis: check it now, not after the quiet period.
                if let Some(path) = document_of(&req) {
                    self.want(&path);
                }
                self.defer(req);
                Ok(())
            }
            Ok(Err((code, message))) => self.out.error(id, code, message),
            Err(why) => {
                eprintln!("leadroute lsp: internal error in `{}`: {why}", req.method);
                self.out.error(id, INTERNAL_ERROR, format!("internal error in `{}`: {why}; please report it with the document", req.method))
            }
        }
    }

    /// The view to answer a request on `path` from; `None` means wait (the
    /// caller then asks for a check).
    /// `stale_ok`: an analysis of an older text will do (if only this
    /// document changed since).
    fn view(&self, path: &std::path::Path, stale_ok: bool) -> Option<View<'_>> {
        let fresh = self.held_for(path).is_some_and(|h| self.fresh(h, path));
        let h = self.held_for(path)?;
        let file = h.analysis.file(path)?;
        let old = &h.analysis.sources.get(file).text;
        let current: &str = self.open.get(path).map_or(old.as_str(), |d| &d.text);
        if fresh {
            return Some(View { a: &h.analysis, file, shift: None, current });
        }
        // A closed document's text is on disk, which the older analysis may not have read.
        if !stale_ok || !self.open.contains_key(path) {
            return None;
        }
        // Only this document may have changed since: every other file must read the same.
        let others_same = h.analysis.sources.iter().filter(|(id, _)| *id != file).all(|(_, f)| {
            self.open.get(std::path::Path::new(&f.name)).is_none_or(|d| *d.text == *f.text)
        });
        if !others_same {
            return None;
        }
        Some(View { a: &h.analysis, file, shift: Some(Shift::between(old, current)), current })
    }

    fn dispatch(&mut self, req: &Request) -> Result<Outcome, (i32, String)> {
        let id = req.id.clone();
        // A folder is not a document: answering for one would check every
        // policy file beside it.
        let doc = |uri: &lsp::Uri| match uri_to_path(uri) {
            Some(p) if p.is_dir() => Err((INVALID, format!("a folder, not a document: {}", uri.as_str()))),
            Some(p) => Ok(p),
            None => Err((INVALID, format!("not a file URI: {}", uri.as_str()))),
        };
        let sent = |r: Result<(), String>| r.map(|()| Outcome::Sent).map_err(|e| (INTERNAL_ERROR, e));
        macro_rules! view {
            ($uri:expr, $stale_ok:expr) => {{
                let path = doc($uri)?;
                match self.view(&path, $stale_ok) {
                    Some(v) => v,
                    None => return Ok(Outcome::Wait),
                }
            }};
        }
        match req.method.as_str() {
            "textDocument/completion" => {
                let p: lsp::CompletionParams = params(&req.params)?;
                let tp = &p.text_document_position;
                let v = view!(&tp.text_document.uri, true);
                // The current text, the older analysis's names.
                let at = crate::stale::offset(v.current, tp.position);
                let items = crate::completion::complete(v.current, at, &v.a.checked.symbols());
                sent(self.out.result(id, &items))
            }
            "textDocument/hover" => {
                let p: lsp::HoverParams = params(&req.params)?;
                let tp = &p.text_document_position_params;
                let v = view!(&tp.text_document.uri, true);
                let Some(at) = v.at(tp.position) else { return Ok(Outcome::Wait) };
                let mut hover = crate::navigate::hover(v.a, v.file, at);
                if v.shift.is_some() {
                    // Its range is in the older text.
                    if let Some(h) = &mut hover {
                        h.range = None;
                    }
                }
                sent(self.out.result(id, &hover))
            }
            "textDocument/definition" => {
                let p: lsp::GotoDefinitionParams = params(&req.params)?;
                let tp = &p.text_document_position_params;
                let v = view!(&tp.text_document.uri, true);
                let Some(at) = v.at(tp.position) else { return Ok(Outcome::Wait) };
                let found = match crate::navigate::definition(v.a, v.file, at) {
                    Some(l) => match v.location(l) {
                        Some(l) => Some(l),
                        None => return Ok(Outcome::Wait),
                    },
                    None => None,
                };
                sent(self.out.result(id, &found))
            }
            "textDocument/references" => {
                let p: lsp::ReferenceParams = params(&req.params)?;
                let tp = &p.text_document_position;
                let v = view!(&tp.text_document.uri, false);
                let found = crate::navigate::references(v.a, v.file, offset(v.a.sources.get(v.file), tp.position), p.context.include_declaration);
                sent(self.out.result(id, &found))
            }
            "textDocument/prepareRename" => {
                let p: lsp::TextDocumentPositionParams = params(&req.params)?;
                let v = view!(&p.text_document.uri, false);
                let found = crate::navigate::prepare_rename(v.a, v.file, offset(v.a.sources.get(v.file), p.position));
                sent(self.out.result(id, &found))
            }
            "textDocument/rename" => {
                let p: lsp::RenameParams = params(&req.params)?;
                let tp = &p.text_document_position;
                let v = view!(&tp.text_document.uri, false);
                // No name under the cursor: nothing to rename, which is `null`.
                match crate::navigate::rename(v.a, v.file, offset(v.a.sources.get(v.file), tp.position), &p.new_name) {
                    None => sent(self.out.result(id, &Value::Null)),
                    Some(Ok(edit)) => sent(self.out.result(id, &edit)),
                    Some(Err(e)) => Err((INVALID, e)),
                }
            }
            "textDocument/documentSymbol" => {
                let p: lsp::DocumentSymbolParams = params(&req.params)?;
                let v = view!(&p.text_document.uri, false);
                let symbols = crate::navigate::document_symbols(v.a, v.file);
                sent(self.out.result(id, &symbols))
            }
            "textDocument/semanticTokens/full" => {
                let p: lsp::SemanticTokensParams = params(&req.params)?;
                let v = view!(&p.text_document.uri, false);
                let tokens = crate::tokens::semantic_tokens(v.a, v.file);
                sent(self.out.result(id, &tokens))
            }
            "textDocument/foldingRange" => {
                let p: lsp::FoldingRangeParams = params(&req.params)?;
                let v = view!(&p.text_document.uri, false);
                let ranges = crate::tokens::folding(v.a, v.file);
                sent(self.out.result(id, &ranges))
            }
            "textDocument/codeAction" => {
                let p: lsp::CodeActionParams = params(&req.params)?;
                let v = view!(&p.text_document.uri, false);
                let actions = crate::actions::code_actions(v.a, v.file, p.range);
                sent(self.out.result(id, &actions))
            }
            "workspace/symbol" => {
                let p: lsp::WorkspaceSymbolParams = params(&req.params)?;
                let open: Vec<PathBuf> = self.open.keys().cloned().collect();
                // Every open document's policy must have been checked once.
                let mut missing = false;
                for path in &open {
                    if self.held_for(path).is_none() {
                        self.want(path);
                        missing = true;
                    }
                }
                if missing {
                    return Ok(Outcome::Wait);
                }
                let found = crate::navigate::workspace_symbols(self.held.iter().map(|h| &*h.analysis), &p.query);
                sent(self.out.result(id, &found))
            }
            "textDocument/formatting" => {
                let p: lsp::DocumentFormattingParams = params(&req.params)?;
                let path = doc(&p.text_document.uri)?;
                let text = match self.open.get(&path) {
                    Some(d) => d.text.to_string(),
                    None => std::fs::read(&path).map(|b| String::from_utf8_lossy(&b).into_owned()).map_err(|_| (INVALID, "unknown document".to_string()))?,
                };
                let edits = match leadroute_compiler::fmt::format_source(&text) {
                    Ok(formatted) if formatted != text => {
                        let end = crate::stale::position(&text, text.len());
                        let whole = lsp::Range { start: lsp::Position::default(), end };
                        vec![lsp::TextEdit { range: whole, new_text: formatted }]
                    }
                    // Unchanged, or it has syntax errors (shown as diagnostics): no edits.
                    _ => Vec::new(),
                };
                sent(self.out.result(id, &edits))
            }
            "initialize" => Err((INVALID_REQUEST, "the server is already initialized".into())),
            PANIC_HOOK_METHOD if self.panic_hook => panic!("{PANIC_HOOK_METHOD} asked for a panic"),
            other => Err((UNKNOWN, format!("leadroute does not handle `{other}`"))),
        }
    }
}

