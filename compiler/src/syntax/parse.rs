//! Turns source text into a [`Module`]: one pest parse per declaration chunk,
//! then a walk over pest's pairs that builds the typed tree and checks literals.

use std::sync::Arc;

use pest::iterators::Pair;
use pest::Parser;

use super::ast::*;
use super::grammar::{describe, Rule, RouteParser};
use super::rebase::ParseCache;
use super::split::{split, MAX_NESTING};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// Parses one file. Every broken declaration is reported and left out; the
/// others are parsed as if it were not there.
pub fn parse_file(file: FileId, text: &str) -> (Module, Vec<Diagnostic>) {
    parse_file_cached(file, text, None)
}

/// [`parse_file`], reusing declarations whose text `cache` has seen before
/// (the language server keeps one, so an edit re-parses one declaration).
pub fn parse_file_cached(file: FileId, text: &str, mut cache: Option<&mut ParseCache>) -> (Module, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut module = Module::default();
    let chunks = match cache.as_deref_mut() {
        Some(c) => c.split(file, text),
        None => split(text),
    };
    // What the cache holds, all at once: declarations that moved are copied
    // to their new place together (on two threads when there are many).
    let mut cached: Vec<Option<Arc<Decl>>> = match cache.as_deref_mut() {
        Some(c) => {
            let wanted: Vec<(&str, usize)> = chunks.iter().filter(|k| k.too_deep_at.is_none()).map(|k| (&text[k.start..k.end], k.start)).collect();
            c.get_many(&wanted, file)
        }
        None => Vec::new(),
    };
    let mut cached = cached.drain(..);
    for chunk in chunks {
        let piece = &text[chunk.start..chunk.end];
        if let Some(at) = chunk.too_deep_at {
            diags.push(
                Diagnostic::new(Code::E0002, point(file, text, at), format!("expression nested more than {MAX_NESTING} levels deep"))
                    .label("too deep here")
                    .help("split the condition into named sets, tiers or territories"),
            );
            continue;
        }
        if let Some(decl) = cached.next().flatten() {
            module.decls.push(decl);
            continue;
        }
        // A long route, a rule at a time: only the rules whose text changed are parsed.
        if let Some(c) = cache.as_deref_mut().filter(|_| piece.len() >= super::route_rules::MIN_BYTES && piece.starts_with("route")) {
            if let Some(route) = super::route_rules::route_at(piece, file, chunk.start, c) {
                module.decls.push(route);
                continue;
            }
        }
        // A large enum, read without the general parser.
        if let Some(decl) = (piece.len() >= super::enum_fast::MIN_BYTES).then(|| super::enum_fast::parse(piece, file, chunk.start)).flatten() {
            module.decls.push(match cache.as_deref_mut() {
                Some(c) => c.put(piece, decl, file, chunk.start),
                None => Arc::new(decl),
            });
            continue;
        }
        match RouteParser::parse(Rule::decl_only, piece) {
            Ok(pairs) => {
                // decl_only = SOI ~ decl ~ EOI: its first inner pair is the declaration.
                let Some(pair) = pairs.into_iter().next().and_then(|p| p.into_inner().next()) else { continue };
                match cache.as_deref_mut() {
                    Some(c) => {
                        // Remembered where it stands; a declaration with literal errors is not kept.
                        let mut local = Vec::new();
                        let decl = Builder { file, offset: chunk.start, diags: &mut local }.decl(pair);
                        if local.is_empty() {
                            module.decls.push(c.put(piece, decl, file, chunk.start));
                        } else {
                            diags.extend(local);
                            module.decls.push(Arc::new(decl));
                        }
                    }
                    None => module.decls.push(Arc::new(Builder { file, offset: chunk.start, diags: &mut diags }.decl(pair))),
                }
            }
            Err(err) => {
                // Re-parse the broken chunk with pest's detailed tracking, which
                // also records expected punctuation (`->`, `{`); only failures pay for it.
                pest::set_error_detail(true);
                let detailed = RouteParser::parse(Rule::decl_only, piece).err();
                pest::set_error_detail(false);
                let plain = syntax_error(file, text, chunk.start, detailed.as_ref().unwrap_or(&err));
                diags.push(super::mistakes::refine(plain, file, text, chunk.start..chunk.end));
            }
        }
    }
    (module, diags)
}

/// Most operands one `and` / `or` chain may have (the tree is as deep as the chain).
pub const MAX_CHAIN: usize = 1024;

/// A one-character span at `offset` (the last character at end of input), so
/// that every renderer shows it.
fn point(file: FileId, text: &str, offset: usize) -> Span {
    let offset = offset.min(text.len());
    if offset < text.len() {
        let len = text[offset..].chars().next().map_or(1, char::len_utf8);
        Span::new(file, offset, offset + len)
    } else {
        let last = text.char_indices().last().map_or(0, |(i, _)| i);
        Span::new(file, last, text.len())
    }
}

fn syntax_error(file: FileId, text: &str, base: usize, err: &pest::error::Error<Rule>) -> Diagnostic {
    let mut at = match err.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let mut wanted: Vec<String> = match &err.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.iter().map(|r| describe(*r)).collect(),
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    if let Some(attempts) = err.parse_attempts() {
        if attempts.max_position >= at {
            if attempts.max_position > at {
                wanted.clear();
            }
            at = attempts.max_position;
            for stack in attempts.call_stacks() {
                if let Some(r) = stack.deepest.get_rule() {
                    wanted.push(describe(*r));
                }
            }
            // Punctuation the grammar wanted (`->`, `{`); words come in through their rules.
            for token in attempts.expected_tokens().iter().map(ToString::to_string) {
                let punctuation = !token.is_empty() && token.chars().all(|c| "-><=!?{}[](),:.".contains(c));
                if punctuation {
                    wanted.push(format!("`{token}`"));
                }
            }
        }
    }
    let wanted = tidy_expected(wanted);
    let at = base + at;
    let found = found_text(text, at);
    let (message, help) = match &err.variant {
        pest::error::ErrorVariant::ParsingError { .. } => {
            let expected = join_or(&wanted);
            let message = if expected.is_empty() {
                format!("unexpected {found}")
            } else {
                format!("expected {expected}, found {found}")
            };
            (message, hint(&wanted, &found))
        }
        pest::error::ErrorVariant::CustomError { message } => (message.clone(), None),
    };
    let mut d = Diagnostic::new(Code::E0001, point(file, text, at), message).label("unexpected here");
    if let Some(help) = help {
        d = d.help(help);
    }
    d
}

/// Sorts and shortens the "expected" list: comparison operators become one
/// item, call parentheses and `??` go when there is anything else, and a
/// keyword already named inside a group ("a team property (`members`, ...)") goes.
fn tidy_expected(mut wanted: Vec<String>) -> Vec<String> {
    const OPS: &[&str] = &["`==`", "`!=`", "`<`", "`<=`", "`>`", "`>=`"];
    if wanted.iter().any(|w| OPS.contains(&w.as_str())) {
        wanted.retain(|w| !OPS.contains(&w.as_str()));
        wanted.push(describe(Rule::cmp_op));
    }
    if wanted.iter().any(|w| w != "`(`" && w != "`??`") {
        wanted.retain(|w| w != "`(`" && w != "`??`");
    }
    if wanted.iter().any(|w| w != "a declaration") {
        wanted.retain(|w| w != "a declaration");
    }
    wanted.sort_by_key(|w| (w.starts_with('a'), w.clone()));
    wanted.dedup();
    let groups: Vec<String> = wanted.iter().filter(|w| !w.starts_with('`')).cloned().collect();
    wanted.retain(|w| !w.starts_with('`') || !groups.iter().any(|g| g.contains(w.as_str())));
    wanted
}

fn found_text(text: &str, at: usize) -> String {
    let rest = text.get(at..).unwrap_or("");
    let Some(first) = rest.chars().next() else { return "end of input".to_string() };
    if first == '\n' || first == '\r' {
        return "end of line".to_string();
    }
    if first == '\0' {
        return "a NUL byte".to_string();
    }
    let word: String = if first.is_alphanumeric() || first == '_' {
        rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').take(40).collect()
    } else {
        first.to_string()
    };
    format!("`{}`", word.escape_debug())
}

fn join_or(items: &[String]) -> String {
    const MOST: usize = 8;
    let shown: Vec<&str> = items.iter().take(MOST).map(String::as_str).collect();
    match shown.len() {
        0 => String::new(),
        1 => shown[0].to_string(),
        n if items.len() > MOST => format!("{}, or ...", shown[..n].join(", ")),
        n => format!("{} or {}", shown[..n - 1].join(", "), shown[n - 1]),
    }
}

fn hint(wanted: &[String], found: &str) -> Option<String> {
    if wanted.iter().any(|w| w == "a declaration") {
        return Some(
            "a declaration starts with `policy`, `enum`, `schema`, `set`, `rep`, `team`, `queue`, `tier`, `territory`, `route`, `on` or `test`"
                .to_string(),
        );
    }
    if found == "`=`" {
        return Some("compare with `==`".to_string());
    }
    if found == "`&`" || found == "`|`" {
        return Some("combine conditions with `and` / `or`".to_string());
    }
    if found == "`'`" {
        return Some("strings use double quotes: \"text\"".to_string());
    }
    None
}

pub(super) struct Builder<'d> {
    pub(super) file: FileId,
    pub(super) offset: usize,
    pub(super) diags: &'d mut Vec<Diagnostic>,
}

pub(super) type P<'i> = Pair<'i, Rule>;

impl Builder<'_> {
    pub(super) fn span(&self, p: &P) -> Span {
        let s = p.as_span();
        // pest lets a rule that ends in an optional part swallow the
        // whitespace and comments before it; spans stop at the last token.
        let end = s.start() + content_len(p.as_str());
        Span::new(self.file, self.offset + s.start(), self.offset + end)
    }

    pub(super) fn ident(&self, p: P) -> Ident {
        Ident { name: p.as_str().to_string(), span: self.span(&p) }
    }

    pub(super) fn error(&mut self, span: Span, message: String, help: &str) {
        self.diags.push(Diagnostic::new(Code::E0003, span, message).help(help.to_string()));
    }

    pub(super) fn decl(&mut self, p: P) -> Decl {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut it = p.into_inner();
        let _keyword = it.next();
        match rule {
            Rule::policy_decl => {
                let name = self.ident(next(&mut it));
                let props = it.map(|prop| self.policy_prop(prop)).collect();
                Decl::Policy(PolicyDecl { name, props, span })
            }
            Rule::enum_decl => {
                let name = self.ident(next(&mut it));
                let variants = it.map(|v| self.ident(v)).collect();
                Decl::Enum(EnumDecl { name, variants, span })
            }
            Rule::schema_decl => {
                let name = self.ident(next(&mut it));
                let fields = it.map(|f| self.field(f)).collect();
                Decl::Schema(SchemaDecl { name, fields, span })
            }
            Rule::set_decl => {
                let name = self.ident(next(&mut it));
                let list = next(&mut it);
                let items = list.into_inner().map(|e| self.expr(e)).collect();
                Decl::Set(SetDecl { name, items, span })
            }
            Rule::calendar_decl => {
                let name = self.ident(next(&mut it));
                let days = it.map(|h| self.holiday(h)).collect();
                Decl::Calendar(CalendarDecl { name, days, span })
            }
            Rule::rep_decl => {
                let name = self.ident(next(&mut it));
                let props = it.map(|prop| self.rep_prop(prop)).collect();
                Decl::Rep(RepDecl { name, props, span })
            }
            Rule::team_decl => {
                let name = self.ident(next(&mut it));
                let props = it.map(|prop| self.team_prop(prop)).collect();
                Decl::Team(TeamDecl { name, props, span })
            }
            Rule::queue_decl => {
                let name = self.ident(next(&mut it));
                let props = it.map(|prop| self.queue_prop(prop)).collect();
                Decl::Queue(QueueDecl { name, props, span })
            }
            Rule::tier_decl => {
                let name = self.ident(next(&mut it));
                let guard = self.guard(next(&mut it));
                let _sla_kw = it.next();
                let (sla, business) = match it.next() {
                    Some(spec) => {
                        let (sla, business) = self.sla_spec(spec);
                        (Some(sla), business)
                    }
                    None => (None, None),
                };
                Decl::Tier(TierDecl { name, guard, sla, business, span, memo: Memo::default() })
            }
            Rule::territory_decl => {
                let name = self.ident(next(&mut it));
                let _when = it.next();
                let condition = self.expr(next(&mut it));
                Decl::Territory(TerritoryDecl { name, condition, span, memo: Memo::default() })
            }
            Rule::table_decl => {
                let name = self.ident(next(&mut it));
                let _from = it.next();
                let path = self.string(next(&mut it));
                let columns = it.map(|c| self.column(c)).collect();
                Decl::Table(TableDecl { name, path, columns, span })
            }
            Rule::free_mail_decl => Decl::FreeMail(FreeMailDecl { domains: it.map(|s| self.string(s)).collect(), span }),
            Rule::allow_decl => {
                let code = self.ident(next(&mut it));
                let reason = self.string(next(&mut it));
                Decl::Allow(AllowDecl { code, reason, span })
            }
            Rule::route_decl => {
                let name = self.ident(next(&mut it));
                let rules = it.map(|r| Arc::new(self.rule(r))).collect();
                Decl::Route(RouteDecl { name, rules, span, memo: Memo::default() })
            }
            Rule::handler_decl => {
                let exc = next(&mut it);
                let exc_span = self.span(&exc);
                let inner = next(&mut exc.into_inner());
                let exception = match inner.as_rule() {
                    Rule::missing_exc => {
                        let field = self.ident(nth(inner.into_inner(), 1));
                        Exception::Missing { field, span: exc_span }
                    }
                    _ => Exception::Named(self.ident(inner)),
                };
                let act = next(&mut next(&mut it).into_inner());
                let action = match act.as_rule() {
                    Rule::assume_action => HandlerAction::Assume(self.value(nth(act.into_inner(), 1))),
                    _ => HandlerAction::Action(self.action(act)),
                };
                Decl::Handler(HandlerDecl { exception, action, span })
            }
            Rule::sla_decl => {
                let ev = next(&mut it);
                let event = self.sla_event(ev);
                let act = next(&mut it);
                let action = self.sla_action(act);
                Decl::Sla(SlaDecl { event, action, span })
            }
            Rule::dup_decl => {
                let ev = next(&mut it);
                let event = self.span(&ev);
                let mut parts = ev.into_inner().skip(2);
                let within = self.duration(next(&mut parts));
                let by = parts.nth(1).map(|f| self.ident(f));
                let action = self.action(next(&mut it));
                Decl::Duplicate(DuplicateDecl { within, by, event, action, span })
            }
            Rule::test_decl => {
                let name = self.string(next(&mut it));
                let items = it.map(|i| self.test_item(i)).collect();
                Decl::Test(TestDecl { name, items, span })
            }
            other => unreachable!("decl rule {other:?} is not a declaration"),
        }
    }

    fn policy_prop(&mut self, p: P) -> Prop<PolicyProp> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let key = self.keyword(next(&mut it));
        let v = next(&mut it);
        let value = match key.name.as_str() {
            "owner" => PolicyProp::Owner(self.string(v)),
            "timezone" => PolicyProp::Timezone(self.string(v)),
            _ => PolicyProp::Entry(self.ident(v)),
        };
        Prop { key, span, value }
    }

    pub(super) fn keyword(&self, p: P) -> Ident {
        self.ident(p)
    }

    fn field(&mut self, p: P) -> FieldDecl {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let name = self.ident(next(&mut it));
        let ty = self.type_expr(next(&mut it));
        FieldDecl { name, ty, span }
    }

    fn column(&mut self, p: P) -> ColumnDecl {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let name = self.ident(next(&mut it));
        let ty = self.type_expr(next(&mut it));
        let (mut key, mut alias) = (None, None);
        for mark in it {
            let word = next(&mut mark.into_inner());
            let at = Some(self.span(&word));
            if word.as_rule() == Rule::kw_key {
                key = at;
            } else {
                alias = at;
            }
        }
        ColumnDecl { name, ty, key, alias, span }
    }

    fn type_expr(&mut self, p: P) -> TypeExpr {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let head = next(&mut it);
        let kind = match head.as_rule() {
            Rule::list_type => TypeKind::List(Box::new(self.type_expr(nth(head.into_inner(), 1)))),
            _ => TypeKind::Named(self.ident(head)),
        };
        TypeExpr { kind, optional: it.next().is_some(), span }
    }

    fn sla_event(&mut self, p: P) -> SlaEvent {
        let span = self.span(&p);
        let inner = next(&mut p.into_inner());
        let kind = if inner.as_rule() == Rule::warning_event { SlaEventKind::Warning } else { SlaEventKind::Breach };
        let (mut tier, mut before) = (None, None);
        for part in inner.into_inner().skip(1) {
            match part.as_rule() {
                Rule::duration => before = Some(self.duration(part)),
                _ => tier = Some(self.ident(part)),
            }
        }
        SlaEvent { kind, tier, before, span }
    }

    fn sla_action(&mut self, p: P) -> SlaAction {
        let span = self.span(&p);
        let inner = next(&mut p.into_inner());
        let kind = match inner.as_rule() {
            Rule::reassign_action => {
                let elses: Vec<P> = inner.into_inner().skip(1).collect();
                SlaActionKind::Reassign { fallback: self.elses(elses) }
            }
            Rule::notify_action => SlaActionKind::Notify(self.string(nth(inner.into_inner(), 1))),
            _ => SlaActionKind::Action(self.action(inner)),
        };
        SlaAction { kind, span }
    }

    fn guard(&mut self, p: P) -> Guard {
        let mut it = p.into_inner();
        let kw = next(&mut it);
        match kw.as_rule() {
            Rule::kw_otherwise => Guard::Otherwise(self.span(&kw)),
            _ => Guard::When(self.expr(next(&mut it))),
        }
    }

    pub(super) fn rule(&mut self, p: P) -> Rule_ {
        let span = self.span(&p);
        let mut it = p.into_inner().peekable();
        let name = match it.peek().map(|q| q.as_rule()) {
            Some(Rule::rule_name) => Some(self.ident(next(&mut next(&mut it).into_inner()))),
            _ => None,
        };
        let guard = self.guard(next(&mut it));
        let action = self.action(next(&mut it));
        Rule_ { name, guard, action, span, memo: Memo::default() }
    }

    fn action(&mut self, p: P) -> Action {
        let span = self.span(&p);
        // `action` wraps one concrete action rule.
        let inner = if p.as_rule() == Rule::action { next(&mut p.into_inner()) } else { p };
        let rule = inner.as_rule();
        let mut it = inner.into_inner();
        let _kw = it.next();
        let kind = match rule {
            Rule::assign_action => {
                let target = self.assign_target(next(&mut it));
                let fallback = self.elses(it.collect());
                ActionKind::Assign { target, fallback }
            }
            Rule::queue_action => ActionKind::Queue(self.ident(next(&mut it))),
            Rule::route_action => ActionKind::Route(self.ident(next(&mut it))),
            _ => ActionKind::Drop(self.string(next(&mut it))),
        };
        Action { kind, span }
    }

    /// Folds a flat chain of `else` clauses (each wraps the next); too long a
    /// chain is reported and dropped.
    fn elses(&mut self, elses: Vec<P>) -> Option<Fallback> {
        if elses.len() > MAX_NESTING {
            self.diags.push(
                Diagnostic::new(Code::E0002, self.span(&elses[MAX_NESTING]), format!("{} `else` fallbacks in one action; at most {MAX_NESTING} are allowed", elses.len()))
                    .label("too many here")
                    .help("chain fewer fallbacks; send the rest to a queue or a second route"),
            );
            return None;
        }
        let mut fallback: Option<Fallback> = None;
        for e in elses.into_iter().rev() {
            let e_span = self.span(&e);
            let mut eit = e.into_inner();
            let _else = eit.next();
            let what = next(&mut eit);
            let action = match what.as_rule() {
                Rule::kw_continue => {
                    fallback = Some(Fallback::Continue(self.span(&what)));
                    continue;
                }
                Rule::kw_assign => {
                    let target = self.assign_target(next(&mut eit));
                    let start = self.span(&what);
                    Action { kind: ActionKind::Assign { target, fallback: fallback.take() }, span: start.to(e_span) }
                }
                _ => self.action(what),
            };
            fallback = Some(Fallback::Action(Box::new(action)));
        }
        fallback
    }

    fn assign_target(&mut self, t: P) -> AssignTarget {
        let t_rule = t.as_rule();
        let span = self.span(&t);
        let mut tit = t.into_inner();
        let _kw = tit.next();
        match t_rule {
            Rule::team_target => {
                let team = self.ident(next(&mut tit));
                let _by = tit.next();
                let by = tit.next().map(|s| self.strategy(s));
                AssignTarget::Team { team, by }
            }
            Rule::rep_target => AssignTarget::Rep(self.ident(next(&mut tit))),
            Rule::previous_target => AssignTarget::Previous(span),
            _ => {
                let arg = next(&mut tit);
                if arg.as_rule() == Rule::ident {
                    AssignTarget::Owner(self.ident(arg))
                } else {
                    AssignTarget::OwnerOf(self.expr(arg))
                }
            }
        }
    }

    fn test_item(&mut self, p: P) -> TestItem {
        let item_span = self.span(&p);
        let rule = p.as_rule();
        let mut it = p.into_inner();
        let _kw = it.next();
        match rule {
            Rule::test_now => TestItem::Now(self.string(next(&mut it))),
            Rule::test_lead => TestItem::Lead(self.record(next(&mut it))),
            Rule::test_prior => TestItem::Prior(self.record(next(&mut it))),
            Rule::test_state => TestItem::State(
                it.map(|rs| {
                    let mut rit = rs.into_inner();
                    let rep = self.ident(next(&mut rit));
                    let record = self.record(next(&mut rit));
                    RepStateEntry { rep, record }
                })
                .collect(),
            ),
            Rule::test_breach => {
                let span = item_span;
                let after = self.duration(next(&mut it));
                let _breach = it.next();
                let expect = next(&mut it).into_inner().skip(1).map(|e| self.expectation(e)).collect();
                TestItem::Breach(BreachTest { after, expect, span })
            }
            _ => TestItem::Expect(it.map(|e| self.expectation(e)).collect()),
        }
    }

    fn record(&mut self, p: P) -> Record {
        let span = self.span(&p);
        let fields = p
            .into_inner()
            .map(|f| {
                let mut fit = f.into_inner();
                let name = self.ident(next(&mut fit));
                let value = self.value(next(&mut fit));
                RecordField { name, value }
            })
            .collect();
        Record { fields, span }
    }

    fn value(&mut self, p: P) -> Value {
        let span = self.span(&p);
        let inner = if p.as_rule() == Rule::value { next(&mut p.into_inner()) } else { p };
        let kind = match inner.as_rule() {
            Rule::string => ValueKind::Str(self.string(inner).value),
            Rule::int => ValueKind::Int(self.int(inner).value),
            Rule::float => ValueKind::Float(self.float(inner)),
            Rule::bool => ValueKind::Bool(inner.as_str() == "true"),
            Rule::kw_null => ValueKind::Null,
            Rule::value_list => ValueKind::List(inner.into_inner().map(|v| self.value(v)).collect()),
            _ => ValueKind::Name(inner.as_str().to_string()),
        };
        Value { kind, span }
    }

    fn expectation(&mut self, p: P) -> Expectation {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let head = next(&mut it);
        let kind = match head.as_str() {
            "team" => ExpectKind::Team,
            "rep" => ExpectKind::Rep,
            "queue" => ExpectKind::Queue,
            "tier" => ExpectKind::Tier,
            "territory" => ExpectKind::Territory,
            "route" => ExpectKind::Route,
            "assigned" => ExpectKind::Assigned,
            "queued" => ExpectKind::Queued,
            _ => ExpectKind::Dropped,
        };
        let name = it.next().map(|n| self.ident(n));
        Expectation { kind, name, span }
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self, p: P) -> Expr {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::expr | Rule::and_expr => {
                let is_or = p.as_rule() == Rule::expr;
                let operands = p.clone().into_inner().filter(|q| !matches!(q.as_rule(), Rule::kw_or | Rule::kw_and)).count();
                if operands > MAX_CHAIN {
                    self.diags.push(
                        Diagnostic::new(Code::E0002, span, format!("condition joins {operands} parts; at most {MAX_CHAIN} are allowed"))
                            .label("too long")
                            .help("put long lists of values in a named `set` and test `field in set_name`"),
                    );
                    return Expr { kind: ExprKind::Lit(Lit::Bool(false)), span };
                }
                let mut it = p.into_inner().filter(|q| !matches!(q.as_rule(), Rule::kw_or | Rule::kw_and));
                let mut acc = self.expr(next(&mut it));
                for rhs in it {
                    let rhs = self.expr(rhs);
                    let s = acc.span.to(rhs.span);
                    let kind = if is_or {
                        ExprKind::Or(Box::new(acc), Box::new(rhs))
                    } else {
                        ExprKind::And(Box::new(acc), Box::new(rhs))
                    };
                    acc = Expr { kind, span: s };
                }
                acc
            }
            Rule::not_expr => {
                let parts: Vec<P> = p.into_inner().collect();
                let mut nots: Vec<Span> = Vec::new();
                let mut inner = None;
                for part in parts {
                    if part.as_rule() == Rule::kw_not {
                        nots.push(self.span(&part));
                    } else {
                        inner = Some(self.expr(part));
                    }
                }
                if nots.len() > MAX_NESTING {
                    self.diags.push(
                        Diagnostic::new(Code::E0002, span, format!("{} `not`s in a row; at most {MAX_NESTING} are allowed", nots.len()))
                            .label("too deep")
                            .help("two `not`s cancel out: remove them in pairs"),
                    );
                    nots.truncate(nots.len() % 2);
                }
                let mut acc = inner.unwrap_or(Expr { kind: ExprKind::Lit(Lit::Bool(true)), span });
                for not in nots.into_iter().rev() {
                    let s = not.to(acc.span);
                    acc = Expr { kind: ExprKind::Not(Box::new(acc)), span: s };
                }
                acc
            }
            Rule::cmp_expr => {
                let mut it = p.into_inner();
                let lhs = self.expr(next(&mut it));
                let Some(tail) = it.next() else { return lhs };
                match tail.as_rule() {
                    Rule::cmp_op => {
                        let op = match tail.as_str() {
                            "==" => CmpOp::Eq,
                            "!=" => CmpOp::Ne,
                            "<" => CmpOp::Lt,
                            "<=" => CmpOp::Le,
                            ">" => CmpOp::Gt,
                            _ => CmpOp::Ge,
                        };
                        let rhs = self.expr(next(&mut it));
                        Expr { kind: ExprKind::Cmp { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span }
                    }
                    Rule::in_tail => {
                        let parts: Vec<P> = tail.into_inner().collect();
                        let negated = parts.iter().any(|q| q.as_rule() == Rule::kw_not);
                        let set = parts.into_iter().last().map(|q| self.expr(q));
                        let set = set.unwrap_or(Expr { kind: ExprKind::List(vec![]), span });
                        Expr { kind: ExprKind::In { value: Box::new(lhs), set: Box::new(set), negated }, span }
                    }
                    _ => {
                        let word = tail.into_inner().nth(1).map(|q| q.as_rule());
                        if word == Some(Rule::kw_ambiguous) {
                            Expr { kind: ExprKind::Ambiguous(Box::new(lhs)), span }
                        } else {
                            let present = word == Some(Rule::kw_present);
                            Expr { kind: ExprKind::Is { value: Box::new(lhs), present }, span }
                        }
                    }
                }
            }
            Rule::default_expr => {
                let operands = p.clone().into_inner().count();
                if operands > MAX_CHAIN {
                    self.diags.push(
                        Diagnostic::new(Code::E0039, span, format!("`??` chain of {operands} parts; at most {MAX_CHAIN} are allowed"))
                            .label("too long")
                            .help("give one default after the value: `employees ?? 0`"),
                    );
                    // Checked as `first ?? last`, so that the types around it are still right.
                    let mut parts = p.into_inner();
                    let first = self.expr(next(&mut parts));
                    let Some(last) = parts.last() else { return first };
                    let last = self.expr(last);
                    return Expr { kind: ExprKind::Default { value: Box::new(first), default: Box::new(last) }, span };
                }
                let mut it = p.into_inner();
                let mut acc = self.expr(next(&mut it));
                for d in it {
                    let d = self.expr(d);
                    let s = acc.span.to(d.span);
                    acc = Expr { kind: ExprKind::Default { value: Box::new(acc), default: Box::new(d) }, span: s };
                }
                acc
            }
            Rule::paren => {
                let inner = self.expr(next(&mut p.into_inner()));
                Expr { kind: ExprKind::Paren(Box::new(inner)), span }
            }
            Rule::call => {
                let mut it = p.into_inner();
                let func = self.ident(next(&mut it));
                let args = it.map(|a| self.expr(a)).collect();
                Expr { kind: ExprKind::Call { func, args }, span }
            }
            Rule::lookup => {
                let mut it = p.into_inner();
                let table = self.ident(next(&mut it));
                let key = Box::new(self.expr(next(&mut it)));
                let column = it.next().map(|c| self.ident(c));
                Expr { kind: ExprKind::Lookup { table, key, column }, span }
            }
            Rule::list => Expr { kind: ExprKind::List(p.into_inner().map(|e| self.expr(e)).collect()), span },
            Rule::ident => Expr { kind: ExprKind::Name(p.as_str().to_string()), span },
            Rule::string => Expr { kind: ExprKind::Lit(Lit::Str(self.string(p).value)), span },
            Rule::int => Expr { kind: ExprKind::Lit(Lit::Int(self.int(p).value)), span },
            Rule::float => Expr { kind: ExprKind::Lit(Lit::Float(self.float(p))), span },
            Rule::bool => Expr { kind: ExprKind::Lit(Lit::Bool(p.as_str() == "true")), span },
            Rule::duration => {
                let written = p.as_str().to_string();
                Expr { kind: ExprKind::Lit(Lit::Duration(self.duration(p).value, written)), span }
            }
            Rule::clock => Expr { kind: ExprKind::Lit(Lit::Clock(self.clock(p).value)), span },
            other => unreachable!("rule {other:?} is not an expression"),
        }
    }

    // ------------------------------------------------------------ literals

    pub(super) fn string(&mut self, p: P) -> StrLit {
        let span = self.span(&p);
        let raw = p.as_str();
        let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        let mut value = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => value.push('\n'),
                    Some('t') => value.push('\t'),
                    Some(other) => value.push(other),
                    None => {}
                }
            } else {
                value.push(c);
            }
        }
        StrLit { value, span }
    }

    pub(super) fn int(&mut self, p: P) -> Spanned<i64> {
        let span = self.span(&p);
        let value = p.as_str().parse::<i64>().unwrap_or_else(|_| {
            self.error(span, format!("number `{}` is too large", p.as_str()), "numbers must fit in 64 bits");
            0
        });
        Spanned { value, span }
    }

    fn float(&mut self, p: P) -> f64 {
        let span = self.span(&p);
        match p.as_str().parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => {
                self.error(span, format!("number `{}` is out of range", p.as_str()), "use a smaller number");
                0.0
            }
        }
    }

    pub(super) fn duration(&mut self, p: P) -> Spanned<i64> {
        let span = self.span(&p);
        let text = p.as_str();
        let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let unit_ms: i64 = match &text[digits_end..] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => 7 * 86_400_000,
        };
        let value = text[..digits_end].parse::<i64>().ok().and_then(|n| n.checked_mul(unit_ms));
        let value = match value {
            Some(0) => {
                self.error(span, format!("duration `{text}` is zero"), "a duration must be longer than zero: `5m` for an SLA, `since(created_at) < 1m` for \"just now\" in a condition");
                0
            }
            Some(v) => v,
            None => {
                self.error(span, format!("duration `{text}` is too long"), "durations must be under about 292 million years");
                0
            }
        };
        Spanned { value, span }
    }

    pub(super) fn clock(&mut self, p: P) -> Spanned<u16> {
        let span = self.span(&p);
        let text = p.as_str();
        let (h, m) = text.split_once(':').unwrap_or((text, "0"));
        let (h, m): (u16, u16) = (h.parse().unwrap_or(99), m.parse().unwrap_or(99));
        let value = if h > 24 || m > 59 || (h == 24 && m != 0) {
            self.error(span, format!("`{text}` is not a clock time"), "clock times run from `00:00` to `24:00` (`24:00` only as the end of hours)");
            BAD_CLOCK
        } else {
            h * 60 + m
        };
        Spanned { value, span }
    }
}

/// The tree calls it `Rule_` to keep pest's `Rule` name free here.
use super::ast::Rule as Rule_;

/// Length of `text` without trailing whitespace and comments.
fn content_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    if !bytes.last().is_some_and(u8::is_ascii_whitespace) {
        return text.len();
    }
    let (mut i, mut end) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                end = i;
            }
            _ => {
                i += 1;
                end = i;
            }
        }
    }
    end
}

/// The value of a clock literal that is not a time (reported once, by the parser).
pub const BAD_CLOCK: u16 = u16::MAX;

pub(super) fn day_index(day: &str) -> u8 {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().position(|d| *d == day).unwrap_or(0) as u8
}

/// The next pair. The grammar guarantees it exists wherever this is called;
/// a missing pair would be a grammar/builder mismatch, caught by the parser tests.
pub(super) fn next<'i>(it: &mut impl Iterator<Item = P<'i>>) -> P<'i> {
    it.next().expect("grammar guarantees this pair")
}

pub(super) fn nth<'i>(mut it: impl Iterator<Item = P<'i>>, n: usize) -> P<'i> {
    it.nth(n).expect("grammar guarantees this pair")
}
