//! Open documents and the policies they belong to. A document's policy is
//! its folder's `.route` files (open documents replace their saved text),
//! unless several files there declare their own `policy` header: then each
//! such file is a policy on its own (a folder of examples, say).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use leadroute_compiler::check::check_until;
use leadroute_compiler::{Checked, FileId, SourceFile, SourceSet};

use crate::index::Index;

/// One checked policy and what the features need from it.
#[derive(Debug)]
pub struct Analysis {
    /// Its files (names are absolute paths).
    pub sources: SourceSet,
    /// Trees and diagnostics.
    pub checked: Checked,
    /// Names and where they are, built on first use (after the diagnostics
    /// are out: the checking thread builds it once it has sent them).
    index: std::sync::OnceLock<Index>,
    /// The editor's version of each open file the check read (in source order).
    pub versions: Vec<Option<i32>>,
}

impl Analysis {
    /// Names and where they are.
    pub fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let syms = self.checked.symbols();
            let mut index = Index::build(&self.checked.modules, &syms);
            index.occurrences.extend(crate::tables::cell_occurrences(&self.sources, &syms));
            index
        })
    }

    /// The file id of a path in this policy.
    pub fn file(&self, path: &Path) -> Option<FileId> {
        let name = path.to_string_lossy();
        self.sources.iter().find(|(_, f)| f.name == name).map(|(id, _)| id)
    }

    /// The path of a file id.
    pub fn path(&self, id: FileId) -> PathBuf {
        PathBuf::from(&self.sources.get(id).name)
    }
}

/// An open document as the editor has it.
#[derive(Debug, Clone)]
pub struct OpenDoc {
    /// Its text (shared with the message loop: a 10 MB document is held once).
    pub text: Arc<str>,
    /// The editor's version number.
    pub version: Option<i32>,
}

impl OpenDoc {
    /// A document at no particular version (tests and benchmarks).
    pub fn new(text: impl Into<Arc<str>>) -> OpenDoc {
        OpenDoc { text: text.into(), version: None }
    }
}

/// Open documents and cached analyses.
#[derive(Debug, Default)]
pub struct Workspace {
    /// Open documents by path, with their current text.
    pub open: BTreeMap<PathBuf, OpenDoc>,
    /// Analyses by the sorted list of their files.
    cache: BTreeMap<Vec<PathBuf>, Arc<Analysis>>,
    /// Declarations parsed before: an edit re-parses only what changed.
    parsed: leadroute_compiler::syntax::ParseCache,
}

fn declares_policy(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start();
        t.starts_with("policy ") || t.starts_with("policy\t") || t == "policy"
    })
}

impl Workspace {
    /// The text of a file: the open document's, else the saved one.
    pub fn text(&self, path: &Path) -> Option<String> {
        match self.open.get(path) {
            Some(d) => Some(d.text.to_string()),
            None => std::fs::read(path).ok().map(|b| String::from_utf8_lossy(&b).into_owned()),
        }
    }

    /// The files of the policy `path` belongs to, sorted.
    pub fn policy_files(&self, path: &Path) -> Vec<PathBuf> {
        let Some(dir) = path.parent() else { return vec![path.to_path_buf()] };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "route") && p.is_file()).collect())
            .unwrap_or_default();
        files.extend(self.open.keys().filter(|p| p.parent() == Some(dir)).cloned());
        if !files.contains(&path.to_path_buf()) {
            files.push(path.to_path_buf());
        }
        files.sort();
        files.dedup();
        let headers = files
            .iter()
            .filter(|f| match self.open.get(*f) {
                Some(d) => declares_policy(&d.text),
                None => self.text(f).is_some_and(|t| declares_policy(&t)),
            })
            .count();
        if headers > 1 {
            return vec![path.to_path_buf()];
        }
        files
    }

    /// Forgets analyses that include `path` (its text changed).
    pub fn invalidate(&mut self, path: &Path) {
        // A table's CSV file may live in another folder than the policy.
        self.cache.retain(|files, a| !files.iter().any(|f| f == path || f.parent() == path.parent()) && a.file(path).is_none());
    }

    /// The analysis of the policy `path` belongs to.
    pub fn analysis(&mut self, path: &Path) -> Arc<Analysis> {
        // Never asked to stop, the check runs to its end.
        self.analysis_until(path, &|| false).expect("a check that is never stopped finishes")
    }

    /// [`Workspace::analysis`], given up (`None`, nothing kept) when `stop`
    /// says so between the check's phases (see `check::check_until`).
    pub fn analysis_until(&mut self, path: &Path, stop: &dyn Fn() -> bool) -> Option<Arc<Analysis>> {
        let files = self.policy_files(path);
        if let Some(a) = self.cache.get(&files) {
            return Some(a.clone());
        }
        let mut sources = SourceSet::new();
        for f in &files {
            let text = self.text(f).unwrap_or_default();
            sources.add(SourceFile::new(f.to_string_lossy().into_owned(), text));
        }
        let open = |p: &Path| self.open.get(p).map(|d| d.text.to_string());
        leadroute_compiler::check::tables::attach(&crate::tables::OpenOrDisk { open: &open }, &mut sources);
        let checked = check_until(&sources, Some(&mut self.parsed), stop)?;
        let versions = sources.iter().map(|(_, f)| self.open.get(Path::new(&f.name)).and_then(|d| d.version)).collect();
        let a = Arc::new(Analysis { sources, checked, index: Default::default(), versions });
        self.cache.insert(files, a.clone());
        Some(a)
    }

    /// Forgets every cached analysis (after a handler failed half-way).
    pub fn forget_analyses(&mut self) {
        self.cache.clear();
        self.parsed = Default::default();
    }

    /// Every cached analysis.
    pub fn analyses(&self) -> impl Iterator<Item = &Arc<Analysis>> {
        self.cache.values()
    }
}
