//! Policy sources: the files of one policy, and the trait the compiler reads them through.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;

/// Index of a file inside a [`SourceSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range inside one source file. Every syntax-tree node carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span covering `start..end` in `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start: start as u32, end: end as u32 }
    }

    /// The smallest span covering both (they must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// The byte range as `usize`s.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One source file: its display name and its text (without a byte-order mark).
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name diagnostics show (a path as the user gave it, or an editor URI).
    pub name: String,
    /// The text. A leading byte-order mark is stripped when loading.
    pub text: String,
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// A file from its name and text; a leading byte-order mark is removed.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let mut text: String = text.into();
        if text.starts_with('\u{FEFF}') {
            text.drain(..'\u{FEFF}'.len_utf8());
        }
        let mut line_starts = vec![0u32];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i as u32 + 1));
        SourceFile { name: name.into(), text, line_starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s as usize <= offset) - 1;
        let start = self.line_starts[line] as usize;
        let col = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// True for a table's CSV file (a `.csv` name): data, not Route source.
    pub fn is_table(&self) -> bool {
        self.name.len() > 4 && self.name.get(self.name.len() - 4..).is_some_and(|e| e.eq_ignore_ascii_case(".csv"))
    }

    /// 0-based line and UTF-16 column of a byte offset, as editors count them.
    pub fn line_utf16(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s as usize <= offset) - 1;
        let start = self.line_starts[line] as usize;
        let col = self.text.get(start..offset).map_or(0, |s| s.encode_utf16().count());
        (line as u32, col as u32)
    }

    /// Byte offset of a 0-based line and UTF-16 column (clamped to the text).
    pub fn offset_of_utf16(&self, line: u32, col: u32) -> usize {
        let Some(&start) = self.line_starts.get(line as usize) else { return self.text.len() };
        let mut units = 0u32;
        for (i, ch) in self.text[start as usize..].char_indices() {
            if units >= col || ch == '\n' {
                return start as usize + i;
            }
            units += ch.len_utf16() as u32;
        }
        self.text.len()
    }
}

/// All files of one policy, in a stable order (sorted by name when loaded from a folder).
#[derive(Debug, Clone, Default)]
pub struct SourceSet {
    files: Vec<SourceFile>,
}

impl SourceSet {
    /// An empty set.
    pub fn new() -> SourceSet {
        SourceSet::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The source text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        self.get(span.file).text.get(span.range()).unwrap_or("")
    }

    /// The file with this name, if the set holds it.
    pub fn find(&self, name: &str) -> Option<FileId> {
        self.files.iter().position(|f| f.name == name).map(|i| FileId(i as u32))
    }

    /// Every file with its id.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// What the compiler needs from a file system. The command line reads the
/// disk; the language server and tests hand in text they hold in memory.
pub trait SourceProvider {
    /// True when `path` is a folder.
    fn is_dir(&self, path: &Path) -> bool;
    /// The entries of a folder (any order; the loader sorts them).
    fn read_dir(&self, path: &Path) -> std::io::Result<Vec<PathBuf>>;
    /// The raw bytes of a file.
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>>;
}

/// The real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiskProvider;

impl SourceProvider for DiskProvider {
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
    fn read_dir(&self, path: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::read_dir(path)?.map(|e| e.map(|e| e.path())).collect()
    }
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }
}

/// Files held in memory, keyed by path: editors' unsaved buffers and tests.
#[derive(Debug, Clone, Default)]
pub struct MemoryProvider {
    files: std::collections::BTreeMap<PathBuf, Vec<u8>>,
}

impl MemoryProvider {
    /// An empty in-memory file system.
    pub fn new() -> MemoryProvider {
        MemoryProvider::default()
    }
    /// Adds or replaces a file.
    pub fn insert(&mut self, path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), bytes.into());
    }
}

impl SourceProvider for MemoryProvider {
    fn is_dir(&self, path: &Path) -> bool {
        !self.files.contains_key(path) && self.files.keys().any(|p| p.starts_with(path))
    }
    fn read_dir(&self, path: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut out: Vec<PathBuf> = Vec::new();
        for p in self.files.keys() {
            if let Ok(rest) = p.strip_prefix(path) {
                if let Some(first) = rest.components().next() {
                    let child = path.join(first);
                    if !out.contains(&child) {
                        out.push(child);
                    }
                }
            }
        }
        Ok(out)
    }
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
}

/// Why a policy's files could not be loaded. Each is a one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The path does not exist or cannot be read.
    Unreadable { path: String, reason: String },
    /// The file is not UTF-8 text.
    NotUtf8 { path: String, byte: usize },
    /// A folder holds no `.route` files.
    NoRouteFiles { path: String },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Unreadable { path, reason } => write!(f, "cannot read `{path}`: {reason}"),
            LoadError::NotUtf8 { path, byte } => write!(
                f,
                "`{path}` is not UTF-8 text (invalid byte at offset {byte}); save it as UTF-8"
            ),
            LoadError::NoRouteFiles { path } => {
                write!(f, "`{path}` holds no `.route` files; pass a `.route` file or a folder of them")
            }
        }
    }
}

impl LoadError {
    /// The load error as a diagnostic without a location.
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::unlocated(crate::codes::Code::E0050, self.to_string())
    }
}

/// Loads the `.route` files named by `paths` (files, or folders whose
/// `.route` files are taken, sorted by name). Every path is tried; all errors are returned.
pub fn load(provider: &dyn SourceProvider, paths: &[PathBuf]) -> (SourceSet, Vec<LoadError>) {
    let mut set = SourceSet::new();
    let mut errors = Vec::new();
    // A file named twice (`check dir dir/a.route`) is read once.
    let mut seen: std::collections::BTreeSet<PathBuf> = std::collections::BTreeSet::new();
    for path in paths {
        let shown = path.display().to_string();
        let files = if provider.is_dir(path) {
            match provider.read_dir(path) {
                Ok(mut entries) => {
                    entries.retain(|p| p.extension().is_some_and(|e| e == "route") && !provider.is_dir(p));
                    entries.sort();
                    if entries.is_empty() {
                        errors.push(LoadError::NoRouteFiles { path: shown });
                    }
                    entries
                }
                Err(e) => {
                    errors.push(LoadError::Unreadable { path: shown, reason: e.to_string() });
                    continue;
                }
            }
        } else {
            vec![path.clone()]
        };
        for file in files {
            if !seen.insert(file.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect()) {
                continue;
            }
            let name = file.display().to_string();
            match provider.read(&file) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => {
                        set.add(SourceFile::new(name, text));
                    }
                    Err(e) => errors.push(LoadError::NotUtf8 { path: name, byte: e.utf8_error().valid_up_to() }),
                },
                Err(e) => errors.push(LoadError::Unreadable { path: name, reason: io_reason(&e) }),
            }
        }
    }
    (set, errors)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}
