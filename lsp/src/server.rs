//! The message loop. Edits go to the checking thread ([`crate::worker`])
//! after a short quiet period; its results come back as analyses, whose
//! diagnostics are published unless a later edit has overtaken them.
//! Requests are answered from the newest analysis: at once when it is of
//! the current text, or when the request can be answered from an older one
//! (completion, hover and definition outside the edited region); otherwise
//! they wait for the next result while the loop goes on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use lsp_server::{Connection, Message, Notification, Request};
use lsp_types as lsp;
use serde_json::Value;

use crate::convert::{diagnostic, path_to_uri, uri_to_path};
use crate::output::Output;
use crate::worker::{Done, Job};
use crate::workspace::{Analysis, OpenDoc};

/// What the server offers.
pub fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        // Incremental: a keystroke sends the range it changed, not the whole document.
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(lsp::TextDocumentSyncKind::INCREMENTAL)),
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

/// JSON-RPC `InternalError`: a handler failed (a bug); the server keeps serving.
pub(crate) const INTERNAL_ERROR: i32 = -32603;

/// The request method that panics on purpose, answered only when the
/// environment variable [`PANIC_HOOK_ENV`] is `1` (tests of the panic guard).
pub const PANIC_HOOK_METHOD: &str = "leadroute/testPanic";
/// The environment variable that enables [`PANIC_HOOK_METHOD`].
pub const PANIC_HOOK_ENV: &str = "LEADROUTE_LSP_TEST_PANIC";

/// The shortest and longest quiet period after an edit before it is
/// checked. Edits sent together (a paste, an undo, a rename's edits) come
/// within the shortest; a policy whose check took over [`SLOW`] waits a
/// quarter of that time (up to the longest), so that a typist's keystrokes
/// on a huge file are checked together rather than one long check each.
/// While checks are fast, an edit that comes after a quiet spell is checked
/// at once (the leading edge); only edits that follow it closely wait.
const QUIET: (Duration, Duration) = (Duration::from_millis(2), Duration::from_millis(150));
/// A check slower than this lengthens the quiet period.
const SLOW: Duration = Duration::from_millis(50);
/// Edits that keep coming (faster than the quiet period) are checked at
/// least this often.
const MAX_WAIT: Duration = Duration::from_millis(500);

/// Runs `f`; a panic inside it becomes `Err` with the panic's message.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_else(|| "a panic".into())
    })
}

/// An analysis the loop holds, and the newest edit its check had seen.
pub(crate) struct Held {
    pub analysis: Arc<Analysis>,
    pub generation: u64,
    /// Its files, sorted (the key its diagnostics are published under).
    pub files: Vec<PathBuf>,
}

/// Serves one client until it asks to shut down and exits. `raw`, when the
/// transport has one, takes replies already serialized to text.
pub fn serve(conn: &Connection, raw: Option<Sender<String>>) -> Result<(), String> {
    let caps = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    conn.initialize(caps).map_err(|e| format!("initialize failed: {e}"))?;
    let (jobs, job_rx) = crossbeam_channel::unbounded();
    let (done_tx, done) = crossbeam_channel::unbounded();
    let edits = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let worker = crate::worker::spawn(job_rx, done_tx, edits.clone());
    let mut server = Server {
        out: Output { conn, raw },
        jobs,
        edits,
        open: BTreeMap::new(),
        generation: 0,
        changed: BTreeMap::new(),
        held: Vec::new(),
        due: None,
        burst_start: None,
        last_edit: None,
        due_paths: BTreeSet::new(),
        asked: BTreeMap::new(),
        quiet: QUIET.0,
        deferred: Vec::new(),
        published: BTreeMap::new(),
        panic_hook: std::env::var(PANIC_HOOK_ENV).is_ok_and(|v| v == "1"),
    };
    let result = server.run(&done);
    // The checking thread ends once its job channel is gone.
    drop(server);
    let _ = worker.join();
    result
}

pub(crate) struct Server<'c> {
    pub out: Output<'c>,
    jobs: Sender<Job>,
    /// The generation of the newest edit, for the checking thread to give
    /// up a check it overtakes.
    edits: Arc<std::sync::atomic::AtomicU64>,
    /// Open documents, as the checking thread also has them.
    pub open: BTreeMap<PathBuf, OpenDoc>,
    /// Counts edits (of open documents and of files on disk).
    generation: u64,
    /// The generation of the last edit in each folder.
    changed: BTreeMap<PathBuf, u64>,
    /// The newest analysis of each policy.
    pub held: Vec<Held>,
    /// When the edits waiting in `due_paths` are to be checked, and when the first of them came.
    due: Option<Instant>,
    burst_start: Option<Instant>,
    /// When the last edit was scheduled for a check.
    last_edit: Option<Instant>,
    due_paths: BTreeSet<PathBuf>,
    /// The generation at which a check of each path was last asked for.
    asked: BTreeMap<PathBuf, u64>,
    /// The current quiet period (see [`QUIET`]).
    quiet: Duration,
    /// Requests waiting for an analysis of the current text.
    deferred: Vec<Request>,
    /// Files we published diagnostics for, per policy (its file list), to clear them later.
    published: BTreeMap<Vec<PathBuf>, Vec<PathBuf>>,
    /// Whether [`PANIC_HOOK_METHOD`] panics (tests only).
    pub panic_hook: bool,
}

fn params<T: serde::de::DeserializeOwned>(v: &Value) -> Option<T> {
    serde_json::from_value(v.clone()).ok()
}

fn folder(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

impl Server<'_> {
    fn run(&mut self, done: &Receiver<Done>) -> Result<(), String> {
        let conn = self.out.conn;
        loop {
            let wait = self.due.map_or(Duration::from_secs(3600), |d| d.saturating_duration_since(Instant::now()));
            crossbeam_channel::select! {
                recv(conn.receiver) -> msg => {
                    let Ok(msg) = msg else { return Ok(()) };
                    match msg {
                        Message::Request(req) => {
                            if conn.handle_shutdown(&req).map_err(|e| e.to_string())? {
                                return Ok(());
                            }
                            self.request(req)?;
                        }
                        Message::Notification(n) => {
                            if let Err(why) = guarded(|| self.notification(&n)) {
                                eprintln!("leadroute lsp: internal error in `{}`: {why}", n.method);
                            }
                        }
                        Message::Response(_) => {}
                    }
                }
                recv(done) -> d => {
                    let Ok(d) = d else { return Err("the checking thread stopped".into()) };
                    self.finished(d)?;
                }
                default(wait) => {}
            }
            if self.due.is_some_and(|d| d <= Instant::now()) {
                self.flush_checks();
            }
        }
    }

    /// Records an edit of `path` (an open document's text or a file on disk).
    fn edited(&mut self, path: &Path, job: Job) {
        self.generation += 1;
        self.changed.insert(folder(path), self.generation);
        // Sent before the count moves, so the checking thread finds the edit once it gives a check up.
        let _ = self.jobs.send(job);
        self.edits.store(self.generation, std::sync::atomic::Ordering::Release);
    }

    /// Schedules a check of `path`'s policy after the quiet period.
    fn schedule(&mut self, path: PathBuf) {
        self.due_paths.insert(path);
        let now = Instant::now();
        let isolated = self.quiet == QUIET.0 && self.last_edit.is_none_or(|t| now.duration_since(t) >= QUIET.0);
        self.last_edit = Some(now);
        let start = *self.burst_start.get_or_insert(now);
        self.due = Some(if isolated { now } else { (now + self.quiet).min(start + MAX_WAIT) });
    }

    /// Asks the checking thread for every scheduled check now.
    fn flush_checks(&mut self) {
        self.due = None;
        self.burst_start = None;
        let paths: Vec<PathBuf> = std::mem::take(&mut self.due_paths).into_iter().collect();
        if !paths.is_empty() {
            for p in &paths {
                self.asked.insert(p.clone(), self.generation);
            }
            let _ = self.jobs.send(Job::Check { paths });
        }
    }

    /// Makes sure a check of `path` as of now is on its way (a request waits for it).
    pub(crate) fn want(&mut self, path: &Path) {
        if self.asked.get(path).is_some_and(|g| *g >= self.generation) {
            return;
        }
        self.due_paths.insert(path.to_path_buf());
        self.flush_checks();
    }

    fn notification(&mut self, n: &Notification) {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Some(p) = params::<lsp::DidOpenTextDocumentParams>(&n.params) else { return };
                let Some(path) = uri_to_path(&p.text_document.uri) else { return };
                let doc = OpenDoc { text: p.text_document.text.into(), version: Some(p.text_document.version) };
                self.open.insert(path.clone(), doc.clone());
                self.edited(&path, Job::Text { generation: self.generation + 1, path: path.clone(), doc: Some(doc) });
                // Nothing to show yet: check at once.
                self.want(&path);
            }
            "textDocument/didChange" => {
                let Some(p) = params::<lsp::DidChangeTextDocumentParams>(&n.params) else { return };
                let Some(path) = uri_to_path(&p.text_document.uri) else { return };
                // Changes apply to the text as the server last had it (none: an empty document).
                let mut text = self.open.get(&path).map(|d| d.text.to_string()).unwrap_or_default();
                crate::sync::apply(&mut text, p.content_changes);
                let doc = OpenDoc { text: text.into(), version: Some(p.text_document.version) };
                self.open.insert(path.clone(), doc.clone());
                self.edited(&path, Job::Text { generation: self.generation + 1, path: path.clone(), doc: Some(doc) });
                self.schedule(path);
            }
            "textDocument/didSave" | "workspace/didChangeWatchedFiles" => {
                let uris: Vec<lsp::Uri> = match n.method.as_str() {
                    "textDocument/didSave" => params::<lsp::DidSaveTextDocumentParams>(&n.params).map(|p| vec![p.text_document.uri]).unwrap_or_default(),
                    _ => params::<lsp::DidChangeWatchedFilesParams>(&n.params).map(|p| p.changes.into_iter().map(|c| c.uri).collect()).unwrap_or_default(),
                };
                for path in uris.iter().filter_map(uri_to_path) {
                    self.edited(&path, Job::Disk { generation: self.generation + 1, path: path.clone() });
                    let affected: Vec<PathBuf> = self.open.keys().filter(|o| **o == path || o.parent() == path.parent()).cloned().collect();
                    for p in affected {
                        self.schedule(p);
                    }
                }
            }
            "textDocument/didClose" => {
                let Some(p) = params::<lsp::DidCloseTextDocumentParams>(&n.params) else { return };
                let Some(path) = uri_to_path(&p.text_document.uri) else { return };
                self.open.remove(&path);
                self.edited(&path, Job::Text { generation: self.generation + 1, path: path.clone(), doc: None });
                // Re-publish from the saved text: unsaved errors must not linger.
                self.want(&path);
            }
            _ => {}
        }
    }

    /// True when no edit since `h`'s check touched a folder of its files or `path`'s.
    pub(crate) fn fresh(&self, h: &Held, path: &Path) -> bool {
        let newer = |f: &Path| self.changed.get(&folder(f)).is_some_and(|g| *g > h.generation);
        !newer(path) && !h.files.iter().any(|f| newer(f))
    }

    /// The newest analysis holding `path`.
    pub(crate) fn held_for(&self, path: &Path) -> Option<&Held> {
        self.held.iter().filter(|h| h.files.binary_search_by(|f| f.as_path().cmp(path)).is_ok()).max_by_key(|h| h.generation)
    }

    /// A check finished: keep it, publish it if it is current, and answer
    /// the requests that waited for it.
    fn finished(&mut self, d: Done) -> Result<(), String> {
        // A check's time sets the next quiet period.
        self.quiet = if d.took < SLOW { QUIET.0 } else { (d.took / 4).clamp(QUIET.0, QUIET.1) };
        match d.result {
            Ok(analysis) => {
                let mut files: Vec<PathBuf> = analysis.sources.iter().map(|(id, _)| analysis.path(id)).collect();
                files.sort();
                // A newer analysis replaces every older one that shares a file with it.
                if self.held.iter().any(|h| h.files == files && h.generation >= d.generation && Arc::ptr_eq(&h.analysis, &analysis)) {
                    // The same analysis again (another file of the policy asked): nothing new.
                } else {
                    // Replaced analyses are dropped after publishing, on a thread of their own: freeing a large policy's trees takes a while.
                    let (kept, replaced): (Vec<Held>, Vec<Held>) = std::mem::take(&mut self.held)
                        .into_iter()
                        .partition(|h| h.generation > d.generation || !h.files.iter().any(|f| files.binary_search(f).is_ok()));
                    self.held = kept;
                    let held = Held { analysis, generation: d.generation, files };
                    if self.fresh(&held, &d.path) {
                        let notes = guarded(|| self.diagnostics(&held, &d.path)).unwrap_or_else(|why| {
                            eprintln!("leadroute lsp: internal error publishing diagnostics for {}: {why}", d.path.display());
                            Vec::new()
                        });
                        for note in notes {
                            self.out.notify("textDocument/publishDiagnostics", &note)?;
                        }
                    }
                    self.held.push(held);
                    if !replaced.is_empty() {
                        leadroute_compiler::syntax::rebase::drop_elsewhere(replaced);
                    }
                }
            }
            Err(why) => {
                // Requests that waited for this check get the error rather than wait on.
                let (failed, keep): (Vec<Request>, Vec<Request>) =
                    std::mem::take(&mut self.deferred).into_iter().partition(|r| crate::requests::document_of(r).is_some_and(|p| p == d.path));
                self.deferred = keep;
                for r in failed {
                    self.out.error(r.id, INTERNAL_ERROR, format!("internal error checking the policy: {why}; please report it with the document"))?;
                }
            }
        }
        for r in std::mem::take(&mut self.deferred) {
            self.request(r)?;
        }
        Ok(())
    }

    /// `publishDiagnostics` for every file of `h`'s policy (and empty lists
    /// for files that had diagnostics before and have none now).
    fn diagnostics(&mut self, h: &Held, path: &Path) -> Vec<lsp::PublishDiagnosticsParams> {
        let a = &h.analysis;
        // Each file's path, made once (a large policy has thousands of diagnostics).
        let paths: Vec<PathBuf> = a.sources.iter().map(|(id, _)| a.path(id)).collect();
        let mut by_file: BTreeMap<PathBuf, Vec<lsp::Diagnostic>> = BTreeMap::new();
        for ((_, f), p) in a.sources.iter().zip(&paths) {
            // A table's CSV file: its problems show on the `table` declaration.
            if !f.is_table() {
                by_file.insert(p.clone(), Vec::new());
            }
        }
        let path_of = |id: leadroute_compiler::FileId| paths.get(id.0 as usize).cloned().unwrap_or_else(|| a.path(id));
        let uri_of = |id| path_to_uri(&path_of(id));
        for d in &a.checked.diagnostics {
            let converted = diagnostic(d, &a.sources, &uri_of);
            let Some(l) = &d.primary else {
                // A problem with no place (no header, say) shows at the top of the file.
                by_file.entry(path.to_path_buf()).or_default().push(converted);
                continue;
            };
            if a.sources.get(l.span.file).is_table() {
                if let Some((file, on_decl)) = crate::tables::on_declaration(a, d, converted) {
                    by_file.entry(file).or_default().push(on_decl);
                }
                continue;
            }
            by_file.entry(path_of(l.span.file)).or_default().push(converted);
        }
        let before = self.published.remove(&h.files).unwrap_or_default();
        for old in before {
            by_file.entry(old).or_default();
        }
        self.published.insert(h.files.clone(), by_file.iter().filter(|(_, v)| !v.is_empty()).map(|(k, _)| k.clone()).collect());
        let version_of = |file: &Path| a.file(file).and_then(|id| a.versions.get(id.0 as usize).copied().flatten());
        by_file
            .into_iter()
            .map(|(file, diagnostics)| lsp::PublishDiagnosticsParams { uri: path_to_uri(&file), diagnostics, version: version_of(&file) })
            .collect()
    }

    /// Waits `r` for the next analysis.
    pub(crate) fn defer(&mut self, r: Request) {
        self.deferred.push(r);
    }
}
