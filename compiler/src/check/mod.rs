//! The checker: resolves names and types and applies the policy rules, over
//! the syntax trees of all files of a policy. Each group of checks is its own
//! module; deeper analyses live in [`crate::analysis`] and plug in here.

pub mod allow;
pub mod decls;
pub mod duplicate;
pub mod fingerprint;
pub mod flow;
pub mod inline_tests;
pub mod limits;
pub mod schedule;
pub mod sla;
pub mod suggest;
pub mod table_rows;
pub mod table_types;
pub mod tables;
pub mod symbols;
pub mod types;

use std::collections::BTreeSet;

use crate::codes::Code;
use crate::diagnostic::{sort_and_dedup, Diagnostic};
use crate::source::SourceSet;
use crate::syntax::{self, ast::Decl, ast::Module};
pub use fingerprint::Fingerprint;
pub use symbols::{Symbols, Ty};

/// A checked policy: its syntax trees and every diagnostic found.
#[derive(Debug, Clone)]
pub struct Checked {
    /// One syntax tree per file, in the source set's order.
    pub modules: Vec<Module>,
    /// All diagnostics, sorted by place.
    pub diagnostics: Vec<Diagnostic>,
    /// The route every lead enters, when known.
    pub entry: Option<String>,
    /// Every table's rows as read from its CSV file (for lowering), by table name.
    pub tables: std::collections::BTreeMap<String, tables::TableRows>,
}

impl Checked {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The symbol table (rebuilt from the trees; cheap).
    pub fn symbols(&self) -> Symbols<'_> {
        let mut sink = Vec::new();
        let mut syms = Symbols::collect(&self.modules, &mut sink);
        decls::resolve_schema(&mut syms, &mut sink);
        syms
    }
}

/// Parses and checks every file of a policy.
pub fn check(sources: &SourceSet) -> Checked {
    check_with_cache(sources, None)
}

/// [`check`], reusing unchanged declarations from `cache` (editors re-check
/// after every keystroke).
pub fn check_with_cache(sources: &SourceSet, cache: Option<&mut syntax::ParseCache>) -> Checked {
    // Never asked to stop, the check runs to its end.
    check_until(sources, cache, &|| false).expect("a check that is never stopped finishes")
}

/// [`check_with_cache`], given up (`None`) when `stop` says so between its
/// phases: an editor's check that a newer edit has overtaken, whose result
/// no one would see. What the cache and the memos kept so far stays sound
/// (each holds only finished results), so the next check reuses it.
pub fn check_until(sources: &SourceSet, mut cache: Option<&mut syntax::ParseCache>, stop: &dyn Fn() -> bool) -> Option<Checked> {
    let mut diags = Vec::new();
    let mut modules = Vec::with_capacity(sources.len());
    let mut broken_words: BTreeSet<String> = BTreeSet::new();
    for (id, file) in sources.iter() {
        if file.is_table() {
            // A table's rows: read by `check::tables`, not parsed as Route.
            modules.push(Module::default());
            continue;
        }
        let (module, parse_diags) = syntax::parse_file_cached(id, &file.text, cache.as_deref_mut());
        for d in &parse_diags {
            if let Some(l) = &d.primary {
                broken_words.extend(words_of_chunk(&file.text, l.span.start as usize));
            }
        }
        diags.extend(parse_diags);
        modules.push(module);
    }
    let policy_memo = cache.map(|c| {
        c.sweep();
        c.policy.clone()
    });
    if stop() {
        return None;
    }
    let nothing = modules.iter().all(|m| m.decls.is_empty());
    if nothing && diags.is_empty() {
        let mut d = Diagnostic::unlocated(Code::E0051, "the policy holds no declarations")
            .help("start with `policy NAME { ... }`, a `schema`, tiers and a route; see `leadroute explain E0051`");
        if let Some((id, f)) = sources.iter().next() {
            if !f.text.is_empty() {
                d = Diagnostic::new(Code::E0051, crate::source::Span::new(id, 0, f.text.len().min(1)), d.message.clone())
                    .label("only comments and blank lines")
                    .help(d.help.clone().unwrap_or_default());
            }
        }
        diags.push(d);
        return Some(Checked { modules, diagnostics: diags, entry: None, tables: Default::default() });
    }
    let mut checked_diags = Vec::new();
    let (entry, tables) = check_modules(&modules, sources, nothing, policy_memo.as_ref(), stop, &mut checked_diags)?;
    // A declaration that failed to parse is not in the symbol table; don't
    // also report every use of its name as unknown.
    checked_diags.retain(|d| !hides_behind_syntax_error(d, &broken_words));
    drop_analyses_of_ill_typed(&modules, &mut checked_diags);
    diags.extend(checked_diags);
    allow::apply(&modules, &mut diags);
    sort_and_dedup(&mut diags);
    Some(Checked { modules, diagnostics: diags, entry, tables })
}

fn check_modules(
    modules: &[Module],
    sources: &SourceSet,
    nothing: bool,
    memo: Option<&crate::syntax::ast::Memo>,
    stop: &dyn Fn() -> bool,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Option<String>, std::collections::BTreeMap<String, tables::TableRows>)> {
    let mut syms = Symbols::collect(modules, diags);
    if syms.schema.is_none() && !nothing {
        diags.push(
            Diagnostic::unlocated(Code::E0025, "the policy has no `schema`")
                .help("declare the lead's fields: `schema lead { id: string  email: string }`"),
        );
    }
    decls::resolve_schema(&mut syms, diags);
    let entry = decls::header(&syms, nothing, diags);
    schedule::calendars(&syms, diags);
    decls::reps(&syms, diags);
    decls::teams(&syms, diags);
    decls::queues(&syms, diags);
    let rows = tables::check(&syms, sources, diags);
    limits::check(&syms, diags);
    let mut refs = flow::Refs::default();
    let fingerprint = std::sync::Arc::new(Fingerprint::new(modules, sources));
    let key = memo.map(|_| &*fingerprint);
    let used_sets = {
        let mut tc = types::TypeChecker::new(&syms, diags);
        decls::enums_and_sets(&syms, &mut tc);
        flow::tiers(&syms, nothing, &mut tc, key);
        flow::territories(&syms, &mut tc, key);
        flow::routes(&syms, &mut tc, &mut refs, key);
        flow::handlers(&syms, &mut tc, &mut refs);
        duplicate::handlers(&syms, &mut tc, &mut refs);
        std::mem::take(&mut tc.used_sets)
    };
    if stop() {
        return None;
    }
    sla::handlers(&syms, &mut refs, diags);
    sla::escalations(&syms, &mut refs, diags);
    inline_tests::tests(&syms, diags);
    flow::cycles(&syms, &refs, entry.as_deref(), diags);
    flow::handler_loops(&syms, &refs, diags);
    use crate::analysis::{index::Territories, predicate::Analyzer, reach};
    let base = Analyzer::new(&syms).memoized(fingerprint.clone());
    let tier_takes = reach::tiers(&base, diags);
    let territories = Territories::build_within(&base, crate::analysis::budget::OVERLAP_STEPS, memo);
    if stop() {
        return None;
    }
    reach::territories(&syms, &territories, &allowed(modules, &syms, Code::W0006), diags);
    let routes_an = Analyzer::with_territories(&syms, &territories, tier_takes);
    let flow = reach::routes(&routes_an, entry.as_deref(), sources, key.zip(memo), diags);
    if stop() {
        return None;
    }
    crate::analysis::overlap::check(&syms, &territories, &flow.raised, &allowed(modules, &syms, Code::W0008), diags);
    crate::analysis::breach::holders(&routes_an, &flow.fires, diags);
    flow::unused(&syms, &refs, &used_sets, entry.as_deref(), diags);
    Some((entry, rows))
}

/// The territories (by index) that an `allow CODE` line names (W0008,
/// W0006): their findings are reported territory by territory rather than
/// in a group, so that the allow silences exactly those.
fn allowed(modules: &[Module], syms: &Symbols, code: Code) -> BTreeSet<usize> {
    let mut names = BTreeSet::new();
    for m in modules {
        for (i, decl) in m.iter().enumerate() {
            let Decl::Allow(a) = decl else { continue };
            if Code::parse(&a.code.name) != Some(code) {
                continue;
            }
            if let Some(Decl::Territory(t)) = m.iter().skip(i + 1).find(|d| !matches!(d, Decl::Allow(_))) {
                names.insert(t.span);
            }
        }
    }
    syms.territories.iter().enumerate().filter(|(_, t)| names.contains(&t.span)).map(|(i, _)| i).collect()
}

/// The analyses (overlap, coverage, reachability) read conditions as
/// written; a condition with a type error (`country == 1`) would make them
/// report a consequence of that error. Those findings are dropped for every
/// tier and territory that holds a type error: the type error says it all.
fn drop_analyses_of_ill_typed(modules: &[Module], diags: &mut Vec<Diagnostic>) {
    // Mismatched types only: an unknown name is left out of the analyses already.
    let type_error = |c: Code| matches!(c, Code::E0012 | Code::E0013 | Code::E0014 | Code::E0016 | Code::E0017);
    let mut errors: Vec<(u32, u32)> =
        diags.iter().filter(|d| type_error(d.code)).filter_map(|d| d.primary.as_ref()).map(|p| (p.span.file.0, p.span.start)).collect();
    if errors.is_empty() {
        return;
    }
    errors.sort_unstable();
    // Tiers and territories (the conditions overlap and coverage are computed
    // from) holding a type error, sorted: declarations do not overlap.
    let mut ill: Vec<crate::source::Span> = modules
        .iter()
        .flat_map(|m| m.iter().filter(|d| matches!(d, Decl::Tier(_) | Decl::Territory(_))).map(|d| d.span()))
        .filter(|decl| {
            let i = errors.partition_point(|e| *e < (decl.file.0, decl.start));
            errors.get(i).is_some_and(|e| e.0 == decl.file.0 && e.1 < decl.end)
        })
        .collect();
    if ill.is_empty() {
        return;
    }
    ill.sort_unstable_by_key(|s| (s.file, s.start));
    let inside_ill = |span: crate::source::Span| {
        let i = ill.partition_point(|d| (d.file, d.start) <= (span.file, span.start));
        i > 0 && within(span, ill[i - 1])
    };
    let analysis = |c: Code| matches!(c, Code::E0023 | Code::E0026 | Code::W0006 | Code::W0007 | Code::W0008);
    diags.retain(|d| !analysis(d.code) || !d.primary.iter().chain(&d.secondary).any(|l| inside_ill(l.span)));
}

fn within(inner: crate::source::Span, outer: crate::source::Span) -> bool {
    inner.file == outer.file && outer.start <= inner.start && inner.end <= outer.end
}

/// The words of the declaration chunk that holds `offset`.
fn words_of_chunk(text: &str, offset: usize) -> Vec<String> {
    let chunk = syntax::split::split(text).into_iter().find(|c| c.start <= offset && offset < c.end.max(c.start + 1));
    let Some(c) = chunk else { return Vec::new() };
    text[c.start..c.end]
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .flat_map(|line| line.split(|ch: char| !(ch.is_alphanumeric() || ch == '_')))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn hides_behind_syntax_error(d: &Diagnostic, broken: &BTreeSet<String>) -> bool {
    if broken.is_empty() {
        return false;
    }
    match d.code {
        Code::E0004 | Code::E0005 | Code::E0006 | Code::E0007 | Code::E0031 | Code::W0001 | Code::W0003 => {
            // The unknown name is the first backticked word of the message.
            d.message.split('`').nth(1).is_some_and(|name| broken.contains(name))
        }
        // A broken header, schema, tier or handler may hold what these say is missing.
        Code::E0025 | Code::E0030 => broken.contains("policy") || broken.contains("schema"),
        Code::E0026 => broken.contains("tier") || broken.contains("no_match"),
        Code::E0029 => broken.contains("entry"),
        Code::E0022 => broken.contains("no_available_rep"),
        _ => false,
    }
}
