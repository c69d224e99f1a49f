//! What several test files share.

use leadroute_compiler::check::check_with_cache;
use leadroute_compiler::syntax::ParseCache;
use leadroute_compiler::{SourceFile, SourceSet};

/// Checks each text in turn with one editor cache, as the language server
/// does, and asserts that every cached re-check says exactly what a fresh
/// check says; returns each check's diagnostics (as `Debug` text).
pub fn re_check_as_fresh(edits: &[String]) -> Vec<Vec<String>> {
    let say = |text: &str, cache: Option<&mut ParseCache>| {
        let mut sources = SourceSet::new();
        sources.add(SourceFile::new("p.route", text.to_string()));
        let checked = check_with_cache(&sources, cache);
        checked.diagnostics.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>()
    };
    let mut cache = ParseCache::new();
    let mut seen = Vec::new();
    for (i, text) in edits.iter().enumerate() {
        let cached = say(text, Some(&mut cache));
        assert!(cached == say(text, None), "check {i} differs from a fresh check");
        seen.push(cached);
    }
    seen
}
