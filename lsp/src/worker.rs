//! The checking thread: it owns the checker's caches and re-checks policies
//! off the message loop, so that requests are answered while it works.
//!
//! Jobs arrive in order. Before checking, the thread takes every job already
//! waiting, so a burst of edits is checked once, at its latest text; each
//! result carries the generation of the newest edit it has seen, and the
//! message loop publishes only results that no later edit has overtaken.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use crate::workspace::{Analysis, OpenDoc, Workspace};

/// What the message loop asks of the checking thread.
#[derive(Debug)]
pub enum Job {
    /// An open document's new text (`None`: it was closed), as of a generation.
    Text { generation: u64, path: PathBuf, doc: Option<OpenDoc> },
    /// A saved file changed on disk (or was created or deleted).
    Disk { generation: u64, path: PathBuf },
    /// Check the policies these files belong to.
    Check { paths: Vec<PathBuf> },
}

/// A finished check.
#[derive(Debug)]
pub struct Done {
    /// The newest edit the check saw.
    pub generation: u64,
    /// The file whose policy was asked for.
    pub path: PathBuf,
    /// The analysis, or the message of the panic that stopped it.
    pub result: Result<Arc<Analysis>, String>,
    /// How long the check took (the message loop's debounce follows it).
    pub took: Duration,
}

/// Starts the checking thread; it ends when `jobs` is disconnected.
/// `edits` is the generation of the newest edit the message loop has seen
/// (it may be ahead of the jobs this thread has taken).
pub fn spawn(jobs: Receiver<Job>, done: Sender<Done>, edits: Arc<AtomicU64>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || run(&jobs, &done, &edits))
}

/// How long after the latest analysis its name index is built, when no
/// newer analysis came meanwhile: while someone types, checks follow each
/// other faster than this and the index is not built between them (it
/// would take a core from the next check); a request that needs it first
/// builds it.
const INDEX_AFTER: Duration = Duration::from_millis(30);

/// Builds the name index of finished analyses on a thread of its own once
/// edits pause ([`INDEX_AFTER`]), so that the checking thread is free for
/// the next edit at once; of several analyses, only the latest is indexed.
/// (A request that needs the index while it is being built waits for it.)
fn spawn_indexer() -> Sender<Arc<Analysis>> {
    let (tx, rx) = crossbeam_channel::unbounded::<Arc<Analysis>>();
    std::thread::spawn(move || {
        while let Ok(mut a) = rx.recv() {
            loop {
                match rx.recv_timeout(INDEX_AFTER) {
                    Ok(newer) => a = newer,
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => break,
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return,
                }
            }
            let _ = crate::server::guarded(|| {
                a.index();
            });
        }
    });
    tx
}

/// A check is given up for a newer edit only while the oldest edit no
/// result has covered yet came less than this long ago: someone typing
/// without pause into a policy whose check takes longer than their
/// keystrokes still sees diagnostics, at most this much later.
const GIVE_UP_WITHIN: Duration = Duration::from_millis(300);

fn run(jobs: &Receiver<Job>, done: &Sender<Done>, edits: &AtomicU64) {
    let indexer = spawn_indexer();
    let mut ws = Workspace::default();
    let mut generation = 0u64;
    let mut wanted: BTreeSet<PathBuf> = BTreeSet::new();
    // When the oldest edit that no result sent since has covered came.
    let mut unserved_since: Option<Instant> = None;
    loop {
        let Ok(first) = jobs.recv() else { return };
        let mut next = Some(first);
        // Everything already waiting is applied before checking: latest text wins.
        while let Some(job) = next.take().or_else(|| jobs.try_recv().ok()) {
            match job {
                Job::Text { generation: g, path, doc } => {
                    unserved_since.get_or_insert_with(Instant::now);
                    generation = generation.max(g);
                    match doc {
                        Some(d) => ws.open.insert(path.clone(), d),
                        None => ws.open.remove(&path),
                    };
                    ws.invalidate(&path);
                }
                Job::Disk { generation: g, path } => {
                    unserved_since.get_or_insert_with(Instant::now);
                    generation = generation.max(g);
                    ws.invalidate(&path);
                }
                Job::Check { paths } => wanted.extend(paths),
            }
        }
        let paths: Vec<PathBuf> = std::mem::take(&mut wanted).into_iter().collect();
        for (i, path) in paths.iter().enumerate() {
            let t = Instant::now();
            // An edit that came while this check ran overtakes its result
            // (the message loop would not publish it): the check is given up
            // and the paths are checked again once the edit is applied, so
            // the last edit of a burst waits for one check, not two.
            let stop = || edits.load(Ordering::Acquire) > generation && unserved_since.is_some_and(|t| t.elapsed() < GIVE_UP_WITHIN);
            let result = match crate::server::guarded(|| ws.analysis_until(path, &stop)) {
                Ok(Some(a)) => Ok(a),
                Ok(None) => {
                    wanted.extend(paths[i..].iter().cloned());
                    break;
                }
                Err(why) => {
                    // The caches may be half-built: start them afresh.
                    ws.forget_analyses();
                    eprintln!("leadroute lsp: internal error checking {}: {why}", path.display());
                    Err(why)
                }
            };
            let ready = result.as_ref().ok().cloned();
            unserved_since = None;
            if done.send(Done { generation, path: path.clone(), result, took: t.elapsed() }).is_err() {
                return;
            }
            // The diagnostics are out; requests will want the index, unless
            // a newer edit is already waiting (then it is built on demand).
            if let Some(a) = ready.filter(|_| jobs.is_empty()) {
                let _ = indexer.send(a);
            }
        }
    }
}
