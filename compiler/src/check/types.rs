//! The expression type checker: names, types, optional-field guards, functions.

use std::collections::BTreeSet;

use super::suggest::help_for;
use super::symbols::{Symbols, Ty};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::syntax::ast::*;

/// What is known where an expression is checked.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// Inside a route: `tier` and `territory` are values.
    pub in_route: bool,
    /// Optional fields known to be present here (by a guard).
    pub present: BTreeSet<String>,
}

impl Env {
    /// This environment plus the fields `facts` proves present.
    pub fn with(&self, facts: BTreeSet<String>) -> Env {
        let mut env = self.clone();
        env.present.extend(facts);
        env
    }
}

/// The builtin functions: name, parameter description, and a short doc.
pub const FUNCTIONS: &[(&str, &str, &str)] = &[
    ("lower", "lower(string) -> string", "the text in lower case"),
    ("upper", "upper(string) -> string", "the text in upper case"),
    ("starts_with", "starts_with(string, string) -> bool", "true when the text starts with the prefix"),
    ("ends_with", "ends_with(string, string) -> bool", "true when the text ends with the suffix"),
    ("contains", "contains(string, string) -> bool / contains(list<T>, T) -> bool", "substring or list membership"),
    ("domain", "domain(string) -> string", "the lower-cased part of an email address after `@`"),
    ("len", "len(string | list<T>) -> int", "characters of a text or items of a list"),
    ("since", "since(time) -> duration", "how long ago the time was, at decision time"),
    ("clock", "clock(time) -> clock time", "the time of day in the policy's time zone"),
];

/// Checks expressions against the symbol table, reporting into `diags`.
pub struct TypeChecker<'s, 'a> {
    /// The declarations.
    pub syms: &'s Symbols<'a>,
    /// Where problems go.
    pub diags: &'s mut Vec<Diagnostic>,
    /// Named sets referred to (for the unused-declaration warning).
    pub used_sets: BTreeSet<String>,
}

impl<'s, 'a> TypeChecker<'s, 'a> {
    /// A checker over `syms`.
    pub fn new(syms: &'s Symbols<'a>, diags: &'s mut Vec<Diagnostic>) -> Self {
        TypeChecker { syms, diags, used_sets: BTreeSet::new() }
    }

    /// Checks a condition: it must be a boolean.
    pub fn condition(&mut self, e: &Expr, env: &Env) {
        let ty = self.expr(e, env, None);
        if !matches!(ty, Ty::Bool | Ty::Error) {
            self.diags.push(
                Diagnostic::new(Code::E0013, e.span, format!("this condition is a `{}`, not true or false", ty.name()))
                    .label(format!("this is {}", a_ty(&ty.name())))
                    .help("compare it with something, like `employees > 100` or `source == chat`"),
            );
        }
    }

    /// Types an expression. `hint` is the type the context expects; it decides
    /// what a bare name means (`chat` next to an enum field is a variant).
    pub fn expr(&mut self, e: &Expr, env: &Env, hint: Option<&Ty>) -> Ty {
        match &e.kind {
            ExprKind::Lit(lit) => lit_ty(lit),
            ExprKind::Name(name) => self.name(name, e.span, env, hint),
            ExprKind::Paren(inner) => self.expr(inner, env, hint),
            ExprKind::Not(inner) => {
                self.condition(inner, env);
                Ty::Bool
            }
            ExprKind::And(..) | ExprKind::Or(..) => {
                // Each operand is checked knowing what the ones before it prove
                // (`x is present and x > 3`); chains are walked, not recursed.
                let is_and = matches!(e.kind, ExprKind::And(..));
                let mut acc = env.clone();
                for op in chain(e, is_and) {
                    self.condition(op, &acc);
                    acc = acc.with(facts(op, is_and));
                }
                Ty::Bool
            }
            ExprKind::Cmp { op, lhs, rhs } => self.compare(*op, lhs, rhs, e.span, env),
            ExprKind::In { value, set, .. } => self.membership(value, set, env),
            ExprKind::Is { value, present } => {
                self.presence(value, *present, env);
                Ty::Bool
            }
            ExprKind::Ambiguous(value) => {
                match &value.kind {
                    ExprKind::Name(n) if env.in_route && n == "territory" && !self.syms.fields.contains_key(n) => {}
                    _ => {
                        self.expr(value, env, None);
                        self.diags.push(
                            Diagnostic::new(Code::E0012, value.span, "only `territory` inside a route can be tested with `is ambiguous`")
                                .label("not the lead's territory")
                                .help("write `when territory is ambiguous -> queue territory_review` as a rule of a route"),
                        );
                    }
                }
                Ty::Bool
            }
            ExprKind::Default { value, default } => self.default(value, default, env),
            ExprKind::Call { func, args } => self.call(func, args, env),
            ExprKind::Lookup { .. } => self.lookup(e, env, false),
            ExprKind::List(items) => {
                for item in items {
                    self.expr(item, env, None);
                }
                self.diags.push(
                    Diagnostic::new(Code::E0012, e.span, "a list can only follow `in`")
                        .label("list used as a value")
                        .help("write `field in [a, b]`, or `contains(list_field, value)`"),
                );
                Ty::Error
            }
        }
    }

    fn is_known_value(&self, e: &Expr, env: &Env) -> bool {
        match &e.kind {
            ExprKind::Name(n) => {
                self.syms.fields.contains_key(n) || n == "now" || (env.in_route && (n == "tier" || n == "territory"))
            }
            ExprKind::Paren(inner) => self.is_known_value(inner, env),
            _ => true,
        }
    }

    fn compare(&mut self, op: CmpOp, lhs: &Expr, rhs: &Expr, span: Span, env: &Env) -> Ty {
        let (lt, rt) = if !self.is_known_value(lhs, env) && self.is_known_value(rhs, env) {
            let rt = self.expr(rhs, env, None);
            (self.expr(lhs, env, Some(&rt)), rt)
        } else {
            let lt = self.expr(lhs, env, None);
            (lt.clone(), self.expr(rhs, env, Some(&lt)))
        };
        if !lt.compatible(&rt) {
            self.diags.push(
                Diagnostic::new(Code::E0012, span, format!("cannot compare `{}` with `{}`", lt.name(), rt.name()))
                    .label(format!("`{}` {} `{}`", lt.name(), op.as_str(), rt.name()))
                    .with_secondary(lhs.span, format!("this is {}", a_ty(&lt.name())))
                    .with_secondary(rhs.span, format!("this is {}", a_ty(&rt.name())))
                    .help(literal_fix(lhs, &lt, rhs, &rt).unwrap_or_else(|| mismatch_help(&lt, &rt))),
            );
        } else if op.is_ordering() && !(lt.is_ordered() && rt.is_ordered()) {
            let ty = if lt.is_ordered() { &rt } else { &lt };
            self.diags.push(
                Diagnostic::new(Code::E0014, span, format!("`{}` values have no order", ty.name()))
                    .label(format!("`{}` cannot be compared with `{}`", ty.name(), op.as_str()))
                    .help(match ty {
                        Ty::Str => "compare text with `==`, `in [...]`, `starts_with(...)` or `contains(...)`",
                        Ty::Tier => "list the tiers: `tier in [hot, warm]`",
                        _ => "use `==`, `!=` or `in [...]`",
                    }),
            );
        }
        Ty::Bool
    }

    fn membership(&mut self, value: &Expr, set: &Expr, env: &Env) -> Ty {
        let vt = self.expr(value, env, None);
        if let Ty::List(_) = vt {
            self.diags.push(
                Diagnostic::new(Code::E0012, value.span, "`in` needs a single value on its left, not a list")
                    .label(format!("this is {}", a_ty(&vt.name())))
                    .help("test one item with `contains(list_field, value)`"),
            );
            return Ty::Bool;
        }
        match &set.kind {
            ExprKind::List(items) => {
                for item in items {
                    let it = self.expr(item, env, Some(&vt));
                    if !vt.compatible(&it) {
                        self.diags.push(
                            Diagnostic::new(Code::E0012, item.span, format!("`{}` item in a test of a `{}`", it.name(), vt.name()))
                                .label(format!("this is {}", a_ty(&it.name())))
                                .with_secondary(value.span, format!("this is {}", a_ty(&vt.name())))
                                .help(mismatch_help(&vt, &it)),
                        );
                    }
                }
            }
            ExprKind::Name(name) if self.syms.tables.contains_key(name) && !self.syms.sets.contains_key(name) => {
                self.table_membership(&vt, value, name, set.span);
            }
            ExprKind::Name(name) => {
                let elem = if let Some(decl) = self.syms.sets.get(name) {
                    self.used_sets.insert(name.clone());
                    decl.items.first().map(|i| self.expr(i, &Env::default(), Some(&vt)))
                } else if let Some(f) = self.syms.fields.get(name) {
                    let (ty, optional) = (f.ty.clone(), f.optional);
                    if optional {
                        self.field_use(name, set.span, env);
                    }
                    match ty {
                        Ty::List(elem) => Some(*elem),
                        other => {
                            self.diags.push(
                                Diagnostic::new(Code::E0012, set.span, format!("`{name}` is a `{}`, not a list or set", other.name()))
                                    .label("not a list")
                                    .help("after `in` write `[a, b]`, a named `set`, or a list field"),
                            );
                            Some(Ty::Error)
                        }
                    }
                } else {
                    let mut names: Vec<&str> = self.syms.sets.keys().map(String::as_str).collect();
                    names.extend(self.syms.tables.keys().map(String::as_str));
                    names.extend(self.syms.fields.iter().filter(|(_, f)| matches!(f.ty, Ty::List(_))).map(|(n, _)| n.as_str()));
                    self.diags.push(
                        Diagnostic::new(Code::E0004, set.span, format!("unknown set `{name}`"))
                            .label("no set or list field has this name")
                            .help(help_for(name, "set", names)),
                    );
                    Some(Ty::Error)
                };
                if let Some(et) = elem {
                    if !vt.compatible(&et) {
                        self.diags.push(
                            Diagnostic::new(Code::E0012, set.span, format!("`{}` value tested against a set of `{}`", vt.name(), et.name()))
                                .label(format!("a set of `{}`", et.name()))
                                .with_secondary(value.span, format!("this is {}", a_ty(&vt.name())))
                                .help(mismatch_help(&vt, &et)),
                        );
                    }
                }
            }
            _ => {
                self.expr(set, env, None);
            }
        }
        Ty::Bool
    }

    fn presence(&mut self, value: &Expr, present: bool, env: &Env) {
        let word = if present { "present" } else { "missing" };
        match &value.kind {
            ExprKind::Name(n) if self.syms.fields.contains_key(n) => {
                if !self.syms.fields[n].optional {
                    self.diags.push(
                        Diagnostic::new(Code::W0005, value.span, format!("`{n}` is required, so `is {word}` is always {}", present))
                            .label("required field")
                            .with_secondary(self.syms.fields[n].decl.span, "declared without `?` here")
                            .help(format!("remove the test, or declare the field optional: `{n}: {}?`", self.syms.fields[n].ty.name())),
                    );
                }
            }
            ExprKind::Name(n) if env.in_route && n == "territory" => {}
            ExprKind::Lookup { .. } => {
                self.lookup(value, env, true);
            }
            _ => {
                self.expr(value, env, None);
                self.diags.push(
                    Diagnostic::new(Code::E0012, value.span, format!("only a lead field can be tested with `is {word}`"))
                        .label("not a field")
                        .help("write `field is present` with a field of the schema"),
                );
            }
        }
    }

    fn default(&mut self, value: &Expr, default: &Expr, env: &Env) -> Ty {
        let vt = match &value.kind {
            ExprKind::Name(n) if self.syms.fields.contains_key(n) => {
                let f = &self.syms.fields[n];
                if !f.optional {
                    self.diags.push(
                        Diagnostic::new(Code::W0005, value.span, format!("`{n}` is required, so its `??` default is never used"))
                            .label("required field")
                            .with_secondary(f.decl.span, "declared without `?` here")
                            .help(format!("remove `?? ...`, or declare the field optional: `{n}: {}?`", f.ty.name())),
                    );
                }
                f.ty.clone()
            }
            ExprKind::Lookup { .. } => self.lookup(value, env, true),
            _ => self.expr(value, env, None),
        };
        let dt = self.expr(default, env, Some(&vt));
        if !vt.compatible(&dt) {
            self.diags.push(
                Diagnostic::new(Code::E0017, default.span, format!("default is a `{}` but the value is a `{}`", dt.name(), vt.name()))
                    .label(format!("this is {}", a_ty(&dt.name())))
                    .with_secondary(value.span, format!("this is {}", a_ty(&vt.name())))
                    .help(format!("give a `{}` default", vt.name())),
            );
        }
        vt
    }

    fn call(&mut self, func: &Ident, args: &[Expr], env: &Env) -> Ty {
        let types: Vec<(Ty, Span)> = args.iter().map(|a| (self.expr(a, env, None), a.span)).collect();
        let Some((_, sig, _)) = FUNCTIONS.iter().find(|(n, _, _)| *n == func.name) else {
            self.diags.push(
                Diagnostic::new(Code::E0008, func.span, format!("unknown function `{}`", func.name))
                    .label("not a builtin function")
                    .help(function_help(&func.name)),
            );
            return Ty::Error;
        };
        let ok = |i: usize, want: &dyn Fn(&Ty) -> bool| types.get(i).is_some_and(|(t, _)| *t == Ty::Error || want(t));
        let is_str = |t: &Ty| *t == Ty::Str;
        let (valid, result) = match func.name.as_str() {
            "lower" | "upper" | "domain" => (types.len() == 1 && ok(0, &is_str), Ty::Str),
            "starts_with" | "ends_with" => (types.len() == 2 && ok(0, &is_str) && ok(1, &is_str), Ty::Bool),
            "contains" => {
                let valid = types.len() == 2
                    && match &types[0].0 {
                        Ty::Str => ok(1, &is_str),
                        Ty::List(elem) => ok(1, &|t: &Ty| elem.compatible(t)),
                        Ty::Error => true,
                        _ => false,
                    };
                (valid, Ty::Bool)
            }
            "len" => (types.len() == 1 && ok(0, &|t: &Ty| matches!(t, Ty::Str | Ty::List(_))), Ty::Int),
            "since" => (types.len() == 1 && ok(0, &|t: &Ty| *t == Ty::Time), Ty::Duration),
            _ => (types.len() == 1 && ok(0, &|t: &Ty| *t == Ty::Time), Ty::Clock),
        };
        if !valid {
            let given: Vec<String> = types.iter().map(|(t, _)| t.name()).collect();
            self.diags.push(
                Diagnostic::new(Code::E0016, func.span, format!("`{}` cannot take ({})", func.name, given.join(", ")))
                    .label(format!("called with {} argument{}", types.len(), if types.len() == 1 { "" } else { "s" }))
                    .help(format!("it is `{sig}`")),
            );
        }
        result
    }

    fn name(&mut self, name: &str, span: Span, env: &Env, hint: Option<&Ty>) -> Ty {
        match hint {
            // The other side was already reported; a bare name next to it is not worth a second error.
            Some(Ty::Error) if !self.syms.fields.contains_key(name) => return Ty::Error,
            Some(Ty::Enum(en)) => {
                if let Some(decl) = self.syms.enums.get(en) {
                    if self.syms.variant_index(en, name).is_some() {
                        return Ty::Enum(en.clone());
                    }
                    if !self.syms.fields.contains_key(name) {
                        self.diags.push(
                            Diagnostic::new(Code::E0006, span, format!("`{name}` is not a variant of enum `{en}`"))
                                .label(format!("not in `{en}`"))
                                .with_secondary(decl.name.span, format!("`{en}` declared here"))
                                .help(help_for(name, "variant", decl.variants.iter().map(|v| v.name.as_str()))),
                        );
                        return Ty::Error;
                    }
                }
            }
            Some(Ty::Tier) if !self.syms.fields.contains_key(name) && name != "tier" => {
                if self.syms.tier(name).is_some() {
                    return Ty::Tier;
                }
                self.diags.push(
                    Diagnostic::new(Code::E0006, span, format!("unknown tier `{name}`"))
                        .label("no tier has this name")
                        .help(help_for(name, "tier", self.syms.tiers.iter().map(|t| t.name.name.as_str()))),
                );
                return Ty::Error;
            }
            Some(Ty::Territory) if !self.syms.fields.contains_key(name) && name != "territory" => {
                if name == "none" || self.syms.territory(name).is_some() {
                    return Ty::Territory;
                }
                self.diags.push(
                    Diagnostic::new(Code::E0006, span, format!("unknown territory `{name}`"))
                        .label("no territory has this name")
                        .help(help_for(
                            name,
                            "territory",
                            self.syms.territories.iter().map(|t| t.name.name.as_str()).chain(["none"]),
                        )),
                );
                return Ty::Error;
            }
            _ => {}
        }
        match name {
            "now" => return Ty::Time,
            "tier" | "territory" if env.in_route => {
                return if name == "tier" { Ty::Tier } else { Ty::Territory };
            }
            "tier" | "territory" => {
                self.diags.push(
                    Diagnostic::new(Code::E0004, span, format!("`{name}` is only known inside a route"))
                        .label(format!("no {name} is decided yet here"))
                        .help("tiers and territories are decided before routes run; use the lead's fields here"),
                );
                return Ty::Error;
            }
            _ => {}
        }
        if let Some(f) = self.syms.fields.get(name) {
            let ty = f.ty.clone();
            if f.optional {
                self.field_use(name, span, env);
            }
            return ty;
        }
        let mut names: Vec<&str> = self.syms.fields.keys().map(String::as_str).collect();
        names.push("now");
        if env.in_route {
            names.extend(["tier", "territory"]);
        }
        self.diags.push(
            Diagnostic::new(Code::E0005, span, format!("unknown field `{name}`"))
                .label("not a field of the lead schema")
                .help(help_for(name, "field", names)),
        );
        Ty::Error
    }

    /// Reports an optional field read without a guard, default or handler.
    fn field_use(&mut self, name: &str, span: Span, env: &Env) {
        if env.present.contains(name) || self.syms.has_missing_handler(name) {
            return;
        }
        let f = &self.syms.fields[name];
        let default = match f.ty {
            Ty::Int => "0",
            Ty::Float => "0.0",
            Ty::Bool => "false",
            _ => "\"\"",
        };
        self.diags.push(
            Diagnostic::new(Code::E0015, span, format!("`{name}` is optional and may be missing here"))
                .label("read without a presence guard")
                .with_secondary(f.decl.span, "declared optional here")
                .help(format!(
                    "guard it (`{name} is present and ...`), give a default (`{name} ?? {default}`), or add `on missing({name}) -> ...`"
                )),
        );
    }
}

/// "a `string`", "an `int`".
pub(crate) fn a_ty(name: &str) -> String {
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} `{name}`")
}

fn lit_ty(lit: &Lit) -> Ty {
    match lit {
        Lit::Str(_) => Ty::Str,
        Lit::Int(_) => Ty::Int,
        Lit::Float(_) => Ty::Float,
        Lit::Bool(_) => Ty::Bool,
        Lit::Duration(..) => Ty::Duration,
        Lit::Clock(_) => Ty::Clock,
    }
}

/// The fix when one side is a literal written as the other type: `country == 1`
/// (text compared with a number: quote it) or `employees > "500"` (unquote it).
fn literal_fix(lhs: &Expr, lt: &Ty, rhs: &Expr, rt: &Ty) -> Option<String> {
    let (named, named_ty, lit) = match (&lhs.kind, &rhs.kind) {
        (_, ExprKind::Lit(l)) => (lhs, lt, l),
        (ExprKind::Lit(l), _) => (rhs, rt, l),
        _ => return None,
    };
    let what = match &named.kind {
        ExprKind::Name(n) => format!("`{n}`"),
        _ => "the other side".to_string(),
    };
    match (named_ty, lit) {
        (Ty::Str, Lit::Int(n)) => Some(format!("{what} is text: write `\"{n}\"`, with quotes")),
        (Ty::Str, Lit::Float(x)) => Some(format!("{what} is text: write `\"{x}\"`, with quotes")),
        (Ty::Int | Ty::Float, Lit::Str(text)) if text.trim().parse::<f64>().is_ok() => {
            Some(format!("{what} is a number: write `{}`, without quotes", text.trim()))
        }
        _ => None,
    }
}

fn mismatch_help(a: &Ty, b: &Ty) -> String {
    match (a, b) {
        (Ty::Int | Ty::Float, Ty::Str) | (Ty::Str, Ty::Int | Ty::Float) => {
            "numbers are written without quotes: `employees > 500`".to_string()
        }
        (Ty::Enum(e), Ty::Str) | (Ty::Str, Ty::Enum(e)) => {
            format!("enum variants are written without quotes: `source == chat` (variants of `{e}`)")
        }
        _ => format!("both sides must be of the same type (`{}` here)", a.name()),
    }
}

/// The operands of an `and` chain (`is_and`) or an `or` chain, left to right.
pub fn chain(e: &Expr, is_and: bool) -> Vec<&Expr> {
    let mut parts = Vec::new();
    let mut cur = e;
    while let (ExprKind::And(a, b), true) | (ExprKind::Or(a, b), false) = (&cur.kind, is_and) {
        parts.push(b.as_ref());
        cur = a;
    }
    parts.push(cur);
    parts.reverse();
    parts
}

/// The optional fields an expression proves present when it evaluates to `when`.
pub fn facts(e: &Expr, when: bool) -> BTreeSet<String> {
    // A chain's facts combine its operands': union where every operand
    // must hold that way, intersection where any one may.
    // The chain is walked down its left spine (no recursion on long chains,
    // nothing allocated); an intersection that is empty stays empty.
    if let ExprKind::And(..) | ExprKind::Or(..) = &e.kind {
        let is_and = matches!(e.kind, ExprKind::And(..));
        let all_must = is_and == when;
        let mut acc: Option<BTreeSet<String>> = None;
        let mut cur = e;
        loop {
            let (part, rest) = match (&cur.kind, is_and) {
                (ExprKind::And(a, b), true) | (ExprKind::Or(a, b), false) => (b.as_ref(), Some(a.as_ref())),
                _ => (cur, None),
            };
            let f = facts(part, when);
            let joined = match acc {
                None => f,
                Some(a) if all_must => a.union(&f).cloned().collect(),
                Some(a) => a.intersection(&f).cloned().collect(),
            };
            if !all_must && joined.is_empty() {
                return joined;
            }
            acc = Some(joined);
            match rest {
                Some(a) => cur = a,
                None => return acc.unwrap_or_default(),
            }
        }
    }
    match &e.kind {
        ExprKind::Is { value, present } => match &value.kind {
            ExprKind::Name(n) if *present == when => BTreeSet::from([n.clone()]),
            ExprKind::Lookup { .. } | ExprKind::Paren(_) if *present == when => {
                super::table_types::lookup_facts(value).into_iter().collect()
            }
            _ => BTreeSet::new(),
        },
        ExprKind::Paren(inner) => facts(inner, when),
        ExprKind::Not(inner) => facts(inner, !when),
        ExprKind::And(a, b) if when => facts(a, true).union(&facts(b, true)).cloned().collect(),
        ExprKind::And(a, b) => facts(a, false).intersection(&facts(b, false)).cloned().collect(),
        ExprKind::Or(a, b) if !when => facts(a, false).union(&facts(b, false)).cloned().collect(),
        ExprKind::Or(a, b) => facts(a, true).intersection(&facts(b, true)).cloned().collect(),
        _ => BTreeSet::new(),
    }
}

/// Did-you-mean for a misspelt function (also for a prefix, as in `lenght`
/// for `len`), then every builtin function with its signature.
fn function_help(name: &str) -> String {
    let names = || FUNCTIONS.iter().map(|f| f.0);
    let best = crate::check::suggest::closest(name, names())
        .or_else(|| crate::check::suggest::nearest(name, names(), 0.85).first().map(|(_, n)| *n));
    let all = FUNCTIONS.iter().map(|f| format!("`{}`", f.0)).collect::<Vec<_>>().join(", ");
    match best.and_then(|b| FUNCTIONS.iter().find(|f| f.0 == b)) {
        Some((_, sig, _)) => format!("did you mean `{sig}`? (builtin functions: {all})"),
        None => format!("builtin functions: {all}; `leadroute explain E0008` describes each"),
    }
}
