//! The symbol table: every declaration of the policy by kind and name, across
//! all its files, with duplicate declarations reported.

use std::collections::BTreeMap;

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::syntax::ast::*;

/// A lead field's resolved type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ty {
    /// Text.
    Str,
    /// 64-bit integer.
    Int,
    /// 64-bit float.
    Float,
    /// true / false.
    Bool,
    /// An instant (RFC 3339 in leads).
    Time,
    /// A length of time (`30m`).
    Duration,
    /// A time of day (`08:00`).
    Clock,
    /// A declared enum, by name.
    Enum(String),
    /// A list.
    List(Box<Ty>),
    /// The lead's tier (inside routes).
    Tier,
    /// The lead's territory (inside routes; may be `none`).
    Territory,
    /// Already reported; silences follow-on errors.
    Error,
}

impl Ty {
    /// How the type is written in a policy.
    pub fn name(&self) -> String {
        match self {
            Ty::Str => "string".into(),
            Ty::Int => "int".into(),
            Ty::Float => "float".into(),
            Ty::Bool => "bool".into(),
            Ty::Time => "time".into(),
            Ty::Duration => "duration".into(),
            Ty::Clock => "clock time".into(),
            Ty::Enum(n) => n.clone(),
            Ty::List(t) => format!("list<{}>", t.name()),
            Ty::Tier => "tier".into(),
            Ty::Territory => "territory".into(),
            Ty::Error => "?".into(),
        }
    }

    /// True for int and float.
    pub fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Float)
    }

    /// True when `<`, `>` ... are defined.
    pub fn is_ordered(&self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Time | Ty::Duration | Ty::Clock | Ty::Error)
    }

    /// True when values of the two types can be compared.
    pub fn compatible(&self, other: &Ty) -> bool {
        self == other || *self == Ty::Error || *other == Ty::Error || (self.is_numeric() && other.is_numeric())
    }
}

/// A schema field with its resolved type.
#[derive(Debug, Clone)]
pub struct FieldInfo<'a> {
    /// Its declaration.
    pub decl: &'a FieldDecl,
    /// The resolved type (without optionality).
    pub ty: Ty,
    /// Declared with `?`.
    pub optional: bool,
}

/// Every declaration of a policy, by kind.
#[derive(Debug, Default)]
pub struct Symbols<'a> {
    /// The `policy` header (the first, if several).
    pub header: Option<&'a PolicyDecl>,
    /// The schema (the first, if several).
    pub schema: Option<&'a SchemaDecl>,
    /// Schema fields by name.
    pub fields: BTreeMap<String, FieldInfo<'a>>,
    /// Enums by name.
    pub enums: BTreeMap<String, &'a EnumDecl>,
    /// Named sets.
    pub sets: BTreeMap<String, &'a SetDecl>,
    /// Holiday calendars.
    pub calendars: BTreeMap<String, &'a CalendarDecl>,
    /// Reps.
    pub reps: BTreeMap<String, &'a RepDecl>,
    /// Teams.
    pub teams: BTreeMap<String, &'a TeamDecl>,
    /// Queues.
    pub queues: BTreeMap<String, &'a QueueDecl>,
    /// Tiers in declaration order (first match wins).
    pub tiers: Vec<&'a TierDecl>,
    /// Territories in declaration order.
    pub territories: Vec<&'a TerritoryDecl>,
    /// Each tier's and each territory's index, by name: routes name them
    /// in conditions, thousands of times in a large policy.
    tier_at: rustc_hash::FxHashMap<&'a str, usize>,
    territory_at: rustc_hash::FxHashMap<&'a str, usize>,
    /// Routes.
    pub routes: BTreeMap<String, &'a RouteDecl>,
    /// Exception handlers in declaration order.
    pub handlers: Vec<&'a HandlerDecl>,
    /// The first `on missing(field) -> assume V` handler of each field, by
    /// field name (the analyses ask once per condition on a field).
    assume_at: rustc_hash::FxHashMap<&'a str, usize>,
    /// The fields some `on missing(field)` handler names.
    missing_handled: rustc_hash::FxHashSet<&'a str>,
    /// The fields every example lead has ([`Symbols::example_fields`]), by
    /// place in the schema, noted once the schema's fields are resolved.
    example_fields: Vec<usize>,
    /// Each enum's variants by name, to their index; and each variant name
    /// to the first enum (in name order) that has it. Enums of thousands of
    /// variants are named in conditions thousands of times.
    variant_at: rustc_hash::FxHashMap<&'a str, rustc_hash::FxHashMap<&'a str, usize>>,
    enum_of: rustc_hash::FxHashMap<&'a str, &'a str>,
    /// Inline tests in declaration order.
    pub tests: Vec<&'a TestDecl>,
    /// SLA breach handlers and reminders in declaration order.
    pub sla: Vec<&'a SlaDecl>,
    /// `on duplicate(...)` handlers in declaration order (more than one is an error).
    pub duplicates: Vec<&'a DuplicateDecl>,
    /// Reference tables.
    pub tables: BTreeMap<String, &'a TableDecl>,
    /// `free_mail [...]` declarations in declaration order.
    pub free_mail: Vec<&'a FreeMailDecl>,
}

impl<'a> Symbols<'a> {
    /// Collects the declarations of all modules (in file order), reporting duplicates.
    pub fn collect(modules: &'a [Module], diags: &mut Vec<Diagnostic>) -> Symbols<'a> {
        let mut s = Symbols::default();
        // Names borrowed from the trees: a 10,000-declaration policy is collected on every keystroke.
        let decls: usize = modules.iter().map(|m| m.decls.len()).sum();
        s.territory_at.reserve(decls);
        let mut seen: rustc_hash::FxHashMap<(&'static str, &'a str), Span> = rustc_hash::FxHashMap::with_capacity_and_hasher(decls, Default::default());
        let mut dup = |kind: &'static str, name: &'a str, span: Span, diags: &mut Vec<Diagnostic>| -> bool {
            match seen.entry((kind, name)) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    diags.push(
                        Diagnostic::new(Code::E0009, span, format!("{kind} `{name}` is declared twice"))
                            .label(format!("second {kind} `{name}`"))
                            .with_secondary(*first.get(), "first declared here")
                            .help(format!("rename one of them or merge them into one {kind}")),
                    );
                    true
                }
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(span);
                    false
                }
            }
        };
        for module in modules {
            for decl in module.iter() {
                match decl {
                    Decl::Policy(d) => {
                        if let Some(first) = s.header {
                            diags.push(
                                Diagnostic::new(Code::E0025, d.name.span, "a policy has exactly one `policy` header")
                                    .label("second header")
                                    .with_secondary(first.name.span, "first header here")
                                    .help("keep one `policy NAME { ... }` block for the whole folder"),
                            );
                        } else {
                            s.header = Some(d);
                        }
                    }
                    Decl::Schema(d) => {
                        if let Some(first) = s.schema {
                            diags.push(
                                Diagnostic::new(Code::E0025, d.name.span, "a policy has exactly one `schema`")
                                    .label("second schema")
                                    .with_secondary(first.name.span, "first schema here")
                                    .help("merge the fields into one `schema` block"),
                            );
                        } else {
                            s.schema = Some(d);
                        }
                    }
                    Decl::Enum(d) => {
                        if !dup("enum", &d.name.name, d.name.span, diags) {
                            s.enums.insert(d.name.name.clone(), d);
                        }
                    }
                    Decl::Set(d) => {
                        if !dup("set", &d.name.name, d.name.span, diags) {
                            s.sets.insert(d.name.name.clone(), d);
                        }
                    }
                    Decl::Calendar(d) => {
                        if !dup("calendar", &d.name.name, d.name.span, diags) {
                            s.calendars.insert(d.name.name.clone(), d);
                        }
                    }
                    Decl::Rep(d) => {
                        if !dup("rep", &d.name.name, d.name.span, diags) {
                            s.reps.insert(d.name.name.clone(), d);
                        }
                    }
                    Decl::Team(d) => {
                        if !dup("team", &d.name.name, d.name.span, diags) {
                            s.teams.insert(d.name.name.clone(), d);
                        }
                    }
                    Decl::Queue(d) => {
                        if !dup("queue", &d.name.name, d.name.span, diags) {
                            s.queues.insert(d.name.name.clone(), d);
                        }
                    }
                    Decl::Tier(d) => {
                        if !dup("tier", &d.name.name, d.name.span, diags) {
                            s.tier_at.insert(&d.name.name, s.tiers.len());
                            s.tiers.push(d);
                        }
                    }
                    Decl::Territory(d) => {
                        if !dup("territory", &d.name.name, d.name.span, diags) {
                            s.territory_at.insert(&d.name.name, s.territories.len());
                            s.territories.push(d);
                        }
                    }
                    Decl::Route(d) => {
                        if !dup("route", &d.name.name, d.name.span, diags) {
                            s.routes.insert(d.name.name.clone(), d);
                        }
                    }
                    Decl::Handler(d) => {
                        if let Exception::Missing { field, .. } = &d.exception {
                            s.missing_handled.insert(&field.name);
                            if matches!(d.action, HandlerAction::Assume(_)) {
                                s.assume_at.entry(&field.name).or_insert(s.handlers.len());
                            }
                        }
                        s.handlers.push(d);
                    }
                    Decl::Sla(d) => s.sla.push(d),
                    Decl::Duplicate(d) => s.duplicates.push(d),
                    Decl::Test(d) => {
                        if !dup("test", &d.name.value, d.name.span, diags) {
                            s.tests.push(d);
                        }
                    }
                    // Applied to the finished diagnostics (`check::allow`).
                    Decl::Allow(_) => {}
                    Decl::Table(d) => {
                        if !dup("table", &d.name.name, d.name.span, diags) {
                            s.tables.insert(d.name.name.clone(), d);
                        }
                    }
                    Decl::FreeMail(d) => s.free_mail.push(d),
                }
            }
        }
        // In name order (the map's), through the declarations, which outlive `s`.
        let enums: Vec<&'a EnumDecl> = s.enums.values().copied().collect();
        for d in enums {
            let name = d.name.name.as_str();
            let at = d.variants.iter().enumerate().rev().map(|(i, v)| (v.name.as_str(), i)).collect();
            s.variant_at.insert(name, at);
            for v in &d.variants {
                s.enum_of.entry(v.name.as_str()).or_insert(name);
            }
        }
        s
    }

    /// The index of variant `name` in enum `en`.
    pub fn variant_index(&self, en: &str, name: &str) -> Option<usize> {
        self.variant_at.get(en)?.get(name).copied()
    }

    /// The first enum, in name order, with a variant called `name`.
    pub fn enum_with_variant(&self, name: &str) -> Option<&'a EnumDecl> {
        self.enum_of.get(name).and_then(|e| self.enums.get(*e).copied())
    }

    /// The first `on missing(field) -> assume V` handler for `field`.
    pub fn assume_handler(&self, field: &str) -> Option<&'a HandlerDecl> {
        self.assume_at.get(field).map(|&i| self.handlers[i])
    }

    /// The tier with this name.
    pub fn tier(&self, name: &str) -> Option<&'a TierDecl> {
        self.tier_index(name).map(|i| self.tiers[i])
    }

    /// The territory with this name.
    pub fn territory(&self, name: &str) -> Option<&'a TerritoryDecl> {
        self.territory_index(name).map(|i| self.territories[i])
    }

    /// The index of the territory with this name.
    pub fn territory_index(&self, name: &str) -> Option<usize> {
        self.territory_at.get(name).copied()
    }

    /// True when a handler for the named exception exists.
    pub fn has_handler(&self, exception: &str) -> bool {
        self.handlers.iter().any(|h| matches!(&h.exception, Exception::Named(i) if i.name == exception))
    }

    /// The index of the tier with this name.
    pub fn tier_index(&self, name: &str) -> Option<usize> {
        self.tier_at.get(name).copied()
    }

    /// True when an `on missing(field)` handler exists.
    pub fn has_missing_handler(&self, field: &str) -> bool {
        self.missing_handled.contains(field)
    }

    /// The fields every example lead has, whatever it is an example of:
    /// `id`, the required fields, and the optional ones whose absence a
    /// `missing(field) -> action` handler intercepts (so that an example
    /// goes where it is claimed to). Noted once per check
    /// ([`Symbols::note_example_fields`]): a policy of thousands of fields
    /// has thousands of examples.
    pub fn example_fields(&self) -> impl Iterator<Item = &'a str> + '_ {
        let schema: &'a [FieldDecl] = self.schema.map(|s| s.fields.as_slice()).unwrap_or_default();
        self.example_fields.iter().filter_map(move |&i| schema.get(i)).map(|f| f.name.name.as_str())
    }

    /// Notes [`Symbols::example_fields`], once the schema's fields are resolved.
    pub(crate) fn note_example_fields(&mut self) {
        let schema: &'a [FieldDecl] = self.schema.map(|s| s.fields.as_slice()).unwrap_or_default();
        let acted: rustc_hash::FxHashSet<&str> = self
            .handlers
            .iter()
            .filter_map(|h| match (&h.exception, &h.action) {
                (Exception::Missing { field, .. }, HandlerAction::Action(_)) => Some(field.name.as_str()),
                _ => None,
            })
            .collect();
        let kept = |n: &str| self.fields.get(n).is_some_and(|info| n == "id" || !info.optional || acted.contains(n));
        self.example_fields = (0..schema.len()).filter(|&i| kept(&schema[i].name.name)).collect();
    }
}
