//! Every name in a policy with what it refers to: declarations and uses, so
//! that definition, references, rename, hover and semantic tokens agree.

use leadroute_compiler::check::Symbols;
use leadroute_compiler::syntax::ast::*;
use leadroute_compiler::Span;

/// What a name denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A schema field.
    Field,
    /// An enum.
    Enum,
    /// An enum variant (the name carries its enum: `Source.chat`).
    Variant,
    /// A named set.
    Set,
    /// A rep.
    Rep,
    /// A team.
    Team,
    /// A queue.
    Queue,
    /// A holiday calendar.
    Calendar,
    /// A tier.
    Tier,
    /// A territory.
    Territory,
    /// A route.
    Route,
    /// A rule name.
    Rule,
    /// The policy.
    Policy,
    /// A reference table.
    Table,
    /// A table column (the name carries its table: `accounts.owner`).
    Column,
}

impl Kind {
    /// The word users know it by.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Field => "field",
            Kind::Enum => "enum",
            Kind::Variant => "enum variant",
            Kind::Set => "set",
            Kind::Rep => "rep",
            Kind::Team => "team",
            Kind::Queue => "queue",
            Kind::Calendar => "calendar",
            Kind::Tier => "tier",
            Kind::Territory => "territory",
            Kind::Route => "route",
            Kind::Rule => "rule",
            Kind::Policy => "policy",
            Kind::Table => "table",
            Kind::Column => "column",
        }
    }
}

/// One occurrence of a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The name (for variants, `Enum.variant`; for rules, `route.rule`).
    pub key: String,
    /// What it denotes.
    pub kind: Kind,
    /// Where the name is written.
    pub span: Span,
    /// True at the declaration.
    pub is_decl: bool,
}

/// All occurrences of a policy's names.
#[derive(Debug, Default)]
pub struct Index {
    /// In no particular order.
    pub occurrences: Vec<Occurrence>,
}

struct Walker<'s, 'a> {
    syms: &'s Symbols<'a>,
    out: Vec<Occurrence>,
}

impl Walker<'_, '_> {
    fn push(&mut self, key: impl Into<String>, kind: Kind, span: Span, is_decl: bool) {
        self.out.push(Occurrence { key: key.into(), kind, span, is_decl });
    }

    fn ident(&mut self, i: &Ident, kind: Kind, is_decl: bool) {
        self.push(i.name.clone(), kind, i.span, is_decl);
    }

    /// A bare name in an expression: a field, a set, a tier, a territory or a variant.
    fn name(&mut self, n: &str, span: Span, enum_hint: Option<&str>) {
        if let Some(e) = enum_hint {
            if self.syms.variant_index(e, n).is_some() {
                return self.push(format!("{e}.{n}"), Kind::Variant, span, false);
            }
        }
        if self.syms.fields.contains_key(n) {
            self.push(n, Kind::Field, span, false);
        } else if self.syms.sets.contains_key(n) {
            self.push(n, Kind::Set, span, false);
        } else if self.syms.tables.contains_key(n) {
            self.push(n, Kind::Table, span, false);
        } else if self.syms.tier(n).is_some() {
            self.push(n, Kind::Tier, span, false);
        } else if self.syms.territory(n).is_some() {
            self.push(n, Kind::Territory, span, false);
        } else if let Some(e) = self.syms.enum_with_variant(n) {
            self.push(format!("{}.{n}", e.name.name), Kind::Variant, span, false);
        }
    }

    fn enum_of(&self, e: &Expr) -> Option<String> {
        match &e.kind {
            ExprKind::Name(n) => match self.syms.fields.get(n).map(|f| &f.ty) {
                Some(leadroute_compiler::check::Ty::Enum(en)) => Some(en.clone()),
                _ => None,
            },
            ExprKind::Paren(i) => self.enum_of(i),
            _ => None,
        }
    }

    fn expr(&mut self, e: &Expr, hint: Option<&str>) {
        // Iterative over and/or chains, which can be long.
        let mut todo: Vec<(&Expr, Option<String>)> = vec![(e, hint.map(String::from))];
        while let Some((e, hint)) = todo.pop() {
            match &e.kind {
                ExprKind::Name(n) => self.name(n, e.span, hint.as_deref()),
                ExprKind::Lit(_) => {}
                ExprKind::Call { args, .. } | ExprKind::List(args) => todo.extend(args.iter().map(|a| (a, hint.clone()))),
                ExprKind::Paren(i) | ExprKind::Not(i) => todo.push((i, hint.clone())),
                ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                    todo.push((a, None));
                    todo.push((b, None));
                }
                ExprKind::Cmp { lhs, rhs, .. } => {
                    let h = self.enum_of(lhs).or_else(|| self.enum_of(rhs));
                    todo.push((lhs, h.clone()));
                    todo.push((rhs, h));
                }
                ExprKind::In { value, set, .. } => {
                    let h = self.enum_of(value);
                    todo.push((value, None));
                    todo.push((set, h));
                }
                ExprKind::Is { value, .. } | ExprKind::Ambiguous(value) => todo.push((value, None)),
                ExprKind::Default { value, default } => {
                    todo.push((value, None));
                    todo.push((default, None));
                }
                ExprKind::Lookup { table, key, column } => {
                    self.ident(table, Kind::Table, false);
                    if let Some(c) = column {
                        self.push(format!("{}.{}", table.name, c.name), Kind::Column, c.span, false);
                    }
                    todo.push((key, None));
                }
            }
        }
    }

    /// Enum variants written as values (test leads, `assume`) for an enum field.
    fn value(&mut self, field: &str, v: &Value) {
        let Some(e) = self.syms.fields.get(field).and_then(|f| match &f.ty {
            leadroute_compiler::check::Ty::Enum(e) => Some(e.clone()),
            leadroute_compiler::check::Ty::List(inner) => match inner.as_ref() {
                leadroute_compiler::check::Ty::Enum(e) => Some(e.clone()),
                _ => None,
            },
            _ => None,
        }) else {
            return;
        };
        let mut todo = vec![v];
        while let Some(v) = todo.pop() {
            match &v.kind {
                ValueKind::Name(n) => self.push(format!("{e}.{n}"), Kind::Variant, v.span, false),
                ValueKind::List(items) => todo.extend(items),
                _ => {}
            }
        }
    }

    /// The enum a written type names (`Segment`, `list<Source>`), as a use.
    fn type_names(&mut self, ty: &TypeExpr) {
        let mut t = ty;
        while let TypeKind::List(inner) = &t.kind {
            t = inner;
        }
        if let TypeKind::Named(n) = &t.kind {
            if self.syms.enums.contains_key(&n.name) {
                self.ident(n, Kind::Enum, false);
            }
        }
    }

    fn action(&mut self, a: &Action) {
        match &a.kind {
            ActionKind::Assign { target, fallback } => {
                match target {
                    AssignTarget::Team { team, .. } => self.ident(team, Kind::Team, false),
                    AssignTarget::Rep(r) => self.ident(r, Kind::Rep, false),
                    AssignTarget::Owner(f) => self.ident(f, Kind::Field, false),
                    AssignTarget::Previous(_) => {}
                    AssignTarget::OwnerOf(e) => self.expr(e, None),
                }
                if let Some(Fallback::Action(inner)) = fallback {
                    self.action(inner);
                }
            }
            ActionKind::Queue(q) => self.ident(q, Kind::Queue, false),
            ActionKind::Route(r) => self.ident(r, Kind::Route, false),
            ActionKind::Drop(_) => {}
        }
    }

    fn decl(&mut self, d: &Decl) {
        match d {
            Decl::Policy(p) => {
                self.ident(&p.name, Kind::Policy, true);
                for prop in &p.props {
                    if let PolicyProp::Entry(r) = &prop.value {
                        self.ident(r, Kind::Route, false);
                    }
                }
            }
            Decl::Enum(e) => {
                self.ident(&e.name, Kind::Enum, true);
                for v in &e.variants {
                    self.push(format!("{}.{}", e.name.name, v.name), Kind::Variant, v.span, true);
                }
            }
            Decl::Schema(s) => {
                for f in &s.fields {
                    self.ident(&f.name, Kind::Field, true);
                    self.type_names(&f.ty);
                }
            }
            Decl::Set(s) => {
                self.ident(&s.name, Kind::Set, true);
                for i in &s.items {
                    self.expr(i, None);
                }
            }
            Decl::Calendar(c) => self.ident(&c.name, Kind::Calendar, true),
            Decl::Rep(r) => {
                self.ident(&r.name, Kind::Rep, true);
                for p in &r.props {
                    if let RepProp::Calendar(c) = &p.value {
                        self.ident(c, Kind::Calendar, false);
                    }
                }
            }
            Decl::Team(t) => {
                self.ident(&t.name, Kind::Team, true);
                for p in &t.props {
                    match &p.value {
                        TeamProp::Members(m) => m.iter().for_each(|i| self.ident(i, Kind::Rep, false)),
                        TeamProp::Strategy(s) => {
                            if let Some(a) = &s.arg {
                                self.ident(a, Kind::Field, false);
                            }
                        }
                        TeamProp::Calendar(c) => self.ident(c, Kind::Calendar, false),
                        TeamProp::Timezone(_) | TeamProp::Hours(_) => {}
                    }
                }
            }
            Decl::Queue(q) => {
                self.ident(&q.name, Kind::Queue, true);
                for p in &q.props {
                    match &p.value {
                        QueueProp::Escalate(Escalate::Queue(to)) => self.ident(to, Kind::Queue, false),
                        QueueProp::Calendar(c) => self.ident(c, Kind::Calendar, false),
                        _ => {}
                    }
                }
            }
            Decl::Duplicate(h) => {
                if let Some(f) = &h.by {
                    self.ident(f, Kind::Field, false);
                }
                self.action(&h.action);
            }
            Decl::Sla(h) => {
                if let Some(t) = &h.event.tier {
                    self.ident(t, Kind::Tier, false);
                }
                match &h.action.kind {
                    SlaActionKind::Reassign { fallback: Some(Fallback::Action(a)) } => self.action(a),
                    SlaActionKind::Action(a) => self.action(a),
                    _ => {}
                }
            }
            Decl::Tier(t) => {
                self.ident(&t.name, Kind::Tier, true);
                if let Guard::When(e) = &t.guard {
                    self.expr(e, None);
                }
            }
            Decl::Territory(t) => {
                self.ident(&t.name, Kind::Territory, true);
                self.expr(&t.condition, None);
            }
            Decl::Route(r) => {
                self.ident(&r.name, Kind::Route, true);
                for rule in &r.rules {
                    if let Some(n) = &rule.name {
                        self.push(format!("{}.{}", r.name.name, n.name), Kind::Rule, n.span, true);
                    }
                    if let Guard::When(e) = &rule.guard {
                        self.expr(e, None);
                    }
                    self.action(&rule.action);
                }
            }
            Decl::Handler(h) => {
                if let Exception::Missing { field, .. } = &h.exception {
                    self.ident(field, Kind::Field, false);
                }
                match (&h.exception, &h.action) {
                    (_, HandlerAction::Action(a)) => self.action(a),
                    (Exception::Missing { field, .. }, HandlerAction::Assume(v)) => self.value(&field.name, v),
                    _ => {}
                }
            }
            Decl::Table(t) => {
                self.ident(&t.name, Kind::Table, true);
                for c in &t.columns {
                    self.push(format!("{}.{}", t.name.name, c.name.name), Kind::Column, c.name.span, true);
                    self.type_names(&c.ty);
                }
            }
            Decl::Allow(_) | Decl::FreeMail(_) => {}
            Decl::Test(t) => {
                for item in &t.items {
                    match item {
                        TestItem::Lead(r) => {
                            for f in &r.fields {
                                self.ident(&f.name, Kind::Field, false);
                                self.value(&f.name.name, &f.value);
                            }
                        }
                        TestItem::State(entries) => entries.iter().for_each(|e| self.ident(&e.rep, Kind::Rep, false)),
                        TestItem::Expect(list) | TestItem::Breach(BreachTest { expect: list, .. }) => {
                            for e in list {
                                let kind = match e.kind {
                                    ExpectKind::Team => Kind::Team,
                                    ExpectKind::Rep => Kind::Rep,
                                    ExpectKind::Queue => Kind::Queue,
                                    ExpectKind::Tier => Kind::Tier,
                                    ExpectKind::Territory => Kind::Territory,
                                    ExpectKind::Route => Kind::Route,
                                    _ => continue,
                                };
                                if let Some(n) = &e.name {
                                    if n.name != "none" {
                                        self.ident(n, kind, false);
                                    }
                                }
                            }
                        }
                        TestItem::Now(_) => {}
                        // `owner: alice` names a rep (go-to-definition, references, rename).
                        TestItem::Prior(r) => {
                            for f in r.fields.iter().filter(|f| f.name.name == "owner") {
                                if let ValueKind::Name(rep) = &f.value.kind {
                                    self.ident(&Ident { name: rep.clone(), span: f.value.span }, Kind::Rep, false);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

impl Index {
    /// Indexes every module of a checked policy.
    pub fn build(modules: &[Module], syms: &Symbols) -> Index {
        let mut w = Walker { syms, out: Vec::new() };
        for m in modules {
            for d in m.iter() {
                w.decl(d);
            }
        }
        Index { occurrences: w.out }
    }

    /// The occurrence whose name covers `offset` in `file`.
    pub fn at(&self, file: leadroute_compiler::FileId, offset: usize) -> Option<&Occurrence> {
        self.occurrences.iter().find(|o| o.span.file == file && o.span.start as usize <= offset && offset <= o.span.end as usize)
    }

    /// The declaration of a symbol.
    pub fn declaration(&self, kind: Kind, key: &str) -> Option<&Occurrence> {
        self.occurrences.iter().find(|o| o.is_decl && o.kind == kind && o.key == key)
    }

    /// Every occurrence of a symbol.
    pub fn all(&self, kind: Kind, key: &str) -> impl Iterator<Item = &Occurrence> {
        let key = key.to_string();
        self.occurrences.iter().filter(move |o| o.kind == kind && o.key == key)
    }
}
