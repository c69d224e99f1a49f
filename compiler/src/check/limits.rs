//! A policy the runtime would refuse to load: more than
//! [`leadroute_runtime::MAX_ITEMS`] of one kind of declaration (the bound
//! that keeps an untrusted built policy from exhausting memory). Said at
//! check time, at the first declaration past the bound, instead of by
//! every command that then tries to load the built policy.

use super::symbols::Symbols;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;

/// E0068 for each kind of declaration (or list inside one) over the bound.
pub fn check(syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    let max = leadroute_runtime::MAX_ITEMS;
    let mut over = |what: &str, n: usize, first_past: Option<Span>, help: &str| {
        let Some(span) = first_past.filter(|_| n > max) else { return };
        diags.push(
            Diagnostic::new(Code::E0068, span, format!("{n} {what}: a policy can have at most {max}"))
                .label(format!("number {} of them", max + 1))
                .help(help.to_string()),
        );
    };
    let merge = "the runtime refuses longer lists; merge declarations that do the same (one territory with `in [...]`, or a `table` of keys)";
    over("territories", syms.territories.len(), syms.territories.get(max).map(|t| t.name.span), merge);
    over("tiers", syms.tiers.len(), syms.tiers.get(max).map(|t| t.name.span), merge);
    over("reps", syms.reps.len(), syms.reps.values().nth(max).map(|r| r.name.span), "the runtime refuses longer lists; keep people in the CRM and route to teams");
    over("teams", syms.teams.len(), syms.teams.values().nth(max).map(|t| t.name.span), merge);
    over("queues", syms.queues.len(), syms.queues.values().nth(max).map(|q| q.name.span), merge);
    over("routes", syms.routes.len(), syms.routes.values().nth(max).map(|r| r.name.span), merge);
    over("inline tests", syms.tests.len(), syms.tests.get(max).map(|t| t.name.span), "the runtime refuses longer lists; keep the largest suites in lead files for `leadroute route`");
    over("schema fields", syms.fields.len(), syms.fields.values().nth(max).map(|f| f.decl.name.span), merge);
    over("enums", syms.enums.len(), syms.enums.values().nth(max).map(|e| e.name.span), merge);
    for r in syms.routes.values() {
        over(&format!("rules in route `{}`", r.name.name), r.rules.len(), r.rules.get(max).map(|x| x.span), "the runtime refuses longer lists; split the route with `-> route other`, or use a `table` for per-key rules");
    }
    for e in syms.enums.values() {
        over(&format!("variants in enum `{}`", e.name.name), e.variants.len(), e.variants.get(max).map(|v| v.span), "the runtime refuses longer lists; a `string` field with a `table` of values checks as well");
    }
    for s in syms.sets.values() {
        over(&format!("items in set `{}`", s.name.name), s.items.len(), s.items.get(max).map(|i| i.span), "the runtime refuses longer lists; keep the values in a one-column `table` (`value in my_table`)");
    }
}
