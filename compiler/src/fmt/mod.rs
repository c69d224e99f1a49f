//! The canonical formatter: one layout for every policy, comments kept.
//!
//! [`format_source`] formats one file's text. It never formats a file that
//! does not parse cleanly, and it never changes meaning: the formatted text
//! lowers to the same IR (only source places and condition texts differ).
//! Formatting is idempotent. [`format_files`] applies it to the `.route`
//! files of some paths, doing no IO except reads through a [`SourceProvider`];
//! the command line writes the results.
//!
//! The layout: two-space indents; declarations in source order with at most
//! one blank line between them; block items one per line (policy, rep, team
//! and queue properties in a fixed order); schema types, rule and handler
//! arrows, tier and territory names and `sla` aligned; enums, sets, lists
//! and test records on one line up to 100 columns, wrapped under their first
//! item beyond. Comments stay with the item they lead or trail.

mod comments;
mod diff;
pub use diff::unified_diff;
mod decls;
pub(crate) mod expr;
mod lines;

use std::path::PathBuf;

use crate::diagnostic::Diagnostic;
use crate::source::{self, FileId, LoadError, SourceProvider};
use crate::syntax::parse_file;

/// A duration as a policy writes it, in its largest exact unit: 300000 ms is `5m`.
pub fn duration_text(ms: i64) -> String {
    expr::duration(ms)
}

/// Formats one file's text. A leading byte-order mark is dropped and CRLF
/// line ends become LF. When the file does not parse cleanly its syntax
/// diagnostics (E0001–E0003, about file 0, the text without its byte-order
/// mark) are returned instead: a broken file is never formatted.
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let (module, diags) = parse_file(FileId(0), text);
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(decls::format_module(text, &module))
}

/// What formatting found for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Already in canonical form.
    Unchanged,
    /// The canonical text, which differs from the file's.
    Changed(String),
    /// The file does not parse; its syntax diagnostics (about file 0).
    Broken(Vec<Diagnostic>),
}

/// One `.route` file and what formatting found for it.
#[derive(Debug, Clone)]
pub struct FormattedFile {
    /// The file's path, as found.
    pub path: PathBuf,
    /// Its text as read (byte-order mark and CRLF line ends included).
    pub original: String,
    /// Unchanged, changed (with the new text), or broken.
    pub status: FileStatus,
}

impl FormattedFile {
    /// The file as a one-file [`crate::SourceSet`], to render its diagnostics.
    pub fn source_set(&self) -> crate::SourceSet {
        let mut set = crate::SourceSet::new();
        set.add(crate::SourceFile::new(self.path.display().to_string(), self.original.clone()));
        set
    }
}

/// Formats the `.route` files at `paths` (files, or folders whose `.route`
/// files are taken, in name order), reading through `provider`. Nothing is
/// written. Files that cannot be read are returned as load errors.
pub fn format_files(provider: &dyn SourceProvider, paths: &[PathBuf]) -> (Vec<FormattedFile>, Vec<LoadError>) {
    let (sources, errors) = source::load(provider, paths);
    let mut files = Vec::new();
    for (_, file) in sources.iter() {
        let path = PathBuf::from(&file.name);
        // The loader drops a byte-order mark; read the bytes again to see it.
        let original = provider
            .read(&path)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_else(|| file.text.clone());
        let status = match format_source(&original) {
            Ok(text) if text == original => FileStatus::Unchanged,
            Ok(text) => FileStatus::Changed(text),
            Err(diags) => FileStatus::Broken(diags),
        };
        files.push(FormattedFile { path, original, status });
    }
    (files, errors)
}

/// Most lines a [`first_difference`] shows on each side.
const DIFF_LINES: usize = 6;
/// How far [`resync`] looks for the end of a differing region.
const DIFF_WINDOW: usize = 200;

/// Where two texts that differ at their first lines agree again: the
/// smallest `a + b` such that `old[a..]` and `new[b..]` start with the same
/// three lines (or the same last lines). Both lengths when nothing is found nearby.
fn resync(old: &[&str], new: &[&str]) -> (usize, usize) {
    let agree = |a: usize, b: usize| {
        let n = 3.min(old.len() - a).min(new.len() - b);
        (n > 0 || (a == old.len() && b == new.len())) && (0..n).all(|k| old[a + k] == new[b + k]) && (n == 3 || a + n == old.len() && b + n == new.len())
    };
    for total in 1..=2 * DIFF_WINDOW {
        for a in total.saturating_sub(DIFF_WINDOW)..=total.min(DIFF_WINDOW) {
            let b = total - a;
            if a <= old.len() && b <= new.len() && agree(a, b) {
                return (a, b);
            }
        }
    }
    (old.len(), new.len())
}

/// What changes when only the file's encoding or line ends differ: a
/// byte-order mark, CRLF line ends, or the final newline.
pub(crate) fn whole_file_change(old: &str) -> &'static str {
    let body = old.strip_prefix('\u{FEFF}').unwrap_or(old);
    if old.starts_with('\u{FEFF}') {
        "the byte-order mark is removed"
    } else if body.contains("\r\n") {
        "CRLF line ends become LF"
    } else {
        "the file ends in exactly one newline"
    }
}

/// A short unified-style diff of the first region where `old` and `new`
/// differ: `@@ -LINE +LINE @@`, then the old lines (`-`) and the new (`+`),
/// at most six of each. Line ends, a byte-order mark or a missing final
/// newline alone are named as such. Empty when the texts are equal.
pub fn first_difference(name: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let old_body = old.strip_prefix('\u{FEFF}').unwrap_or(old);
    let old_lines: Vec<&str> = old_body.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let mut out = format!("--- {name}\n+++ {name} (formatted)\n");
    let prefix = old_lines.iter().zip(&new_lines).take_while(|(a, b)| a == b).count();
    if prefix == old_lines.len() && prefix == new_lines.len() {
        out.push_str(&format!("@@ whole file @@ {}\n", whole_file_change(old)));
        return out;
    }
    let (old_rest, new_rest) = (&old_lines[prefix..], &new_lines[prefix..]);
    let (a, b) = resync(old_rest, new_rest);
    let old_part = &old_rest[..a];
    let new_part = &new_rest[..b];
    out.push_str(&format!("@@ -{} +{} @@\n", prefix + 1, prefix + 1));
    for (sign, part) in [('-', old_part), ('+', new_part)] {
        for line in part.iter().take(DIFF_LINES) {
            out.push(sign);
            out.push_str(line);
            out.push('\n');
        }
        if part.len() > DIFF_LINES {
            out.push_str(&format!("{sign}... ({} more lines)\n", part.len() - DIFF_LINES));
        }
    }
    out
}
