//! Reading a built policy (the IR JSON `leadroute build` writes) as untrusted
//! input: why one is refused, as a typed [`LoadError`] naming the place in
//! the file and the fix, before any code is generated or run.

use std::fmt;

use crate::ir::{PolicyIr, FORMAT_VERSION, OLDEST_FORMAT_VERSION};
use crate::select::Backend;

/// Why a built policy was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The text is not JSON, or not the IR's shape (a missing key, a wrong type ...).
    Json {
        /// JSON path of the value that failed (`$.tiers[3].sla_ms`), `$` for the document.
        path: String,
        /// 1-based line in the text (0 when unknown).
        line: usize,
        /// 1-based column in the text (0 when unknown).
        column: usize,
        /// What the JSON reader said.
        message: String,
    },
    /// The IR was written by a leadroute with another IR format.
    FormatVersion {
        /// The file's `format_version` (`None` when it has none, or not a number).
        found: Option<u64>,
        /// The version this engine reads ([`FORMAT_VERSION`]).
        supported: u32,
    },
    /// The IR is well-formed JSON of the right shape, but inconsistent: an
    /// index out of range, a cycle, a count over its limit, a float that is
    /// not finite, a time out of range, a call with the wrong arity ...
    Invalid {
        /// JSON path of the offending value (`$.routes[0].rules[1].action.team`).
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The IR is valid but the chosen backend cannot run it here.
    Backend {
        /// The backend asked for.
        backend: Backend,
        /// Why it cannot.
        reason: String,
    },
}

impl LoadError {
    /// A stable short name of the kind of error (`json`, `format_version`,
    /// `invalid`, `backend`), for machine-readable output.
    pub fn kind(&self) -> &'static str {
        match self {
            LoadError::Json { .. } => "json",
            LoadError::FormatVersion { .. } => "format_version",
            LoadError::Invalid { .. } => "invalid",
            LoadError::Backend { .. } => "backend",
        }
    }

    /// The JSON path the error names, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            LoadError::Json { path, .. } | LoadError::Invalid { path, .. } => Some(path),
            LoadError::FormatVersion { .. } => Some("$.format_version"),
            LoadError::Backend { .. } => None,
        }
    }

    pub(crate) fn invalid(path: impl Into<String>, problem: impl Into<String>) -> LoadError {
        LoadError::Invalid { path: path.into(), problem: problem.into() }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Json { path, line, column, message } => {
                write!(f, "not a leadroute policy IR: at `{path}`")?;
                if *line > 0 {
                    write!(f, " (line {line}, column {column})")?;
                }
                write!(f, ": {message}; rebuild it with `leadroute build`")
            }
            LoadError::FormatVersion { found: Some(v), supported } => write!(
                f,
                "policy IR has format version {v}, this engine reads versions {OLDEST_FORMAT_VERSION} to {supported}; rebuild it with `leadroute build` of this leadroute"
            ),
            LoadError::FormatVersion { found: None, supported } => write!(
                f,
                "not a leadroute policy IR: `$.format_version` is missing or not a number (this engine reads versions {OLDEST_FORMAT_VERSION} to {supported}); rebuild it with `leadroute build`"
            ),
            LoadError::Invalid { path, problem } => write!(
                f,
                "policy IR is inconsistent at `{path}`: {problem}; the file was changed after `leadroute build`: rebuild it from its sources"
            ),
            LoadError::Backend { backend, reason } => {
                write!(f, "the `{backend}` backend cannot load this policy: {reason}")?;
                if *backend != Backend::Interp {
                    f.write_str("; use `--backend interp`")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// For callers that report errors as text.
impl From<LoadError> for String {
    fn from(e: LoadError) -> String {
        e.to_string()
    }
}

/// Parses the IR's JSON: the format version first (so an IR of another
/// version is named as such, not as a shape error), then the whole document
/// with the path of the first value that does not fit.
pub fn parse_ir(text: &str) -> Result<PolicyIr, LoadError> {
    #[derive(serde::Deserialize)]
    struct Header {
        format_version: Option<serde_json::Value>,
    }
    let json_error = |path: String, e: &serde_json::Error| LoadError::Json { path, line: e.line(), column: e.column(), message: strip_position(e) };
    // Any JSON object has a header; other documents fail in the full read below with their path.
    if let Ok(h) = serde_json::from_str::<Header>(text) {
        let found = h.format_version.as_ref().and_then(serde_json::Value::as_u64);
        if !readable(found) {
            return Err(LoadError::FormatVersion { found, supported: FORMAT_VERSION });
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let ir: PolicyIr = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = format!("${}", dotted(&e.path().to_string()));
        json_error(path, e.inner())
    })?;
    de.end().map_err(|e| json_error("$".into(), &e))?;
    Ok(ir)
}

/// Reads the IR from an already parsed JSON value (a request body's field):
/// like [`parse_ir`], without lines and columns.
pub fn ir_from_value(value: serde_json::Value) -> Result<PolicyIr, LoadError> {
    if value.is_object() {
        let found = value.get("format_version").and_then(serde_json::Value::as_u64);
        if !readable(found) {
            return Err(LoadError::FormatVersion { found, supported: FORMAT_VERSION });
        }
    }
    serde_path_to_error::deserialize(value).map_err(|e| LoadError::Json {
        path: format!("${}", dotted(&e.path().to_string())),
        line: 0,
        column: 0,
        message: strip_position(e.inner()),
    })
}

/// A format version this engine reads: [`OLDEST_FORMAT_VERSION`] to [`FORMAT_VERSION`].
fn readable(found: Option<u64>) -> bool {
    found.is_some_and(|v| (u64::from(OLDEST_FORMAT_VERSION)..=u64::from(FORMAT_VERSION)).contains(&v))
}

/// `serde_path_to_error`'s path (`tiers[3].sla_ms`, `.` for the root) as a
/// suffix of `$`.
fn dotted(p: &str) -> String {
    match p {
        "." | "" => String::new(),
        p if p.starts_with('[') => p.to_string(),
        p => format!(".{p}"),
    }
}

/// serde_json's message without its ` at line L column C` (the error carries them apart).
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
