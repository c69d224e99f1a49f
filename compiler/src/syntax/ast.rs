//! The syntax tree of a policy. Every node carries the [`Span`] it was parsed from.

use std::sync::Arc;

use crate::source::Span;

/// A name as written, with its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    /// The text.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// A string literal (escapes resolved).
#[derive(Debug, Clone, PartialEq)]
pub struct StrLit {
    /// The value.
    pub value: String,
    /// Where it is, quotes included.
    pub span: Span,
}

/// A parsed number, duration or clock literal with its place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it is.
    pub span: Span,
}

/// One parsed file: its declarations in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Module {
    /// Declarations that parsed; broken ones are left out (and reported).
    /// Shared: an editor's re-check reuses the declarations whose text and
    /// place did not change.
    pub decls: Vec<Arc<Decl>>,
}

impl Module {
    /// The declarations, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Decl> + Clone {
        self.decls.iter().map(|d| &**d)
    }
}

/// A top-level declaration.
#[derive(Debug, Clone, PartialEq)]
pub enum Decl {
    /// `policy NAME { ... }`
    Policy(PolicyDecl),
    /// `enum NAME { a, b }`
    Enum(EnumDecl),
    /// `schema NAME { field: type }`
    Schema(SchemaDecl),
    /// `set NAME = [...]`
    Set(SetDecl),
    /// `calendar NAME { 2026-12-25 "Christmas Day" ... }`
    Calendar(CalendarDecl),
    /// `rep NAME { ... }`
    Rep(RepDecl),
    /// `team NAME { ... }`
    Team(TeamDecl),
    /// `queue NAME { ... }`
    Queue(QueueDecl),
    /// `tier NAME when ... sla D`
    Tier(TierDecl),
    /// `territory NAME when ...`
    Territory(TerritoryDecl),
    /// `route NAME { rules }`
    Route(RouteDecl),
    /// `on EXCEPTION -> ACTION`
    Handler(HandlerDecl),
    /// `on sla_breach(TIER) -> ...` / `on sla_warning(TIER, D) -> notify "..."`
    Sla(SlaDecl),
    /// `on duplicate(within D[, by FIELD]) -> ACTION`
    Duplicate(DuplicateDecl),
    /// `test "name" { ... }`
    Test(TestDecl),
    /// `allow W0008 "reason"` before a declaration.
    Allow(AllowDecl),
    /// `table NAME from "file.csv" { column: type [key|alias] ... }`
    Table(TableDecl),
    /// `free_mail ["domain", ...]`: more free-mail domains.
    FreeMail(FreeMailDecl),
}

/// `table NAME from "file.csv" { columns }`: rows kept in a CSV file beside the policy.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDecl {
    /// The table's name.
    pub name: Ident,
    /// The CSV file, relative to the file that declares the table.
    pub path: StrLit,
    /// Columns in declared order.
    pub columns: Vec<ColumnDecl>,
    /// The whole declaration.
    pub span: Span,
}

/// `name: type [key] [alias]`: one column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDecl {
    /// The column name (the CSV header names it).
    pub name: Ident,
    /// Its declared type.
    pub ty: TypeExpr,
    /// The span of `key` when it is the table's key.
    pub key: Option<Span>,
    /// The span of `alias` when its values are more keys of the row.
    pub alias: Option<Span>,
    /// The whole column.
    pub span: Span,
}

/// `free_mail ["corp-mail.example"]`: domains added to the bundled free-mail list.
#[derive(Debug, Clone, PartialEq)]
pub struct FreeMailDecl {
    /// The domains as written.
    pub domains: Vec<StrLit>,
    /// The whole declaration.
    pub span: Span,
}

/// `allow CODE "reason"`: a warning intended on the next declaration, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct AllowDecl {
    /// The code as written (`W0008`).
    pub code: Ident,
    /// Why the warning is intended.
    pub reason: StrLit,
    /// The whole line.
    pub span: Span,
}

impl Decl {
    /// The span of the whole declaration.
    pub fn span(&self) -> Span {
        match self {
            Decl::Policy(d) => d.span,
            Decl::Enum(d) => d.span,
            Decl::Schema(d) => d.span,
            Decl::Set(d) => d.span,
            Decl::Calendar(d) => d.span,
            Decl::Rep(d) => d.span,
            Decl::Team(d) => d.span,
            Decl::Queue(d) => d.span,
            Decl::Tier(d) => d.span,
            Decl::Territory(d) => d.span,
            Decl::Route(d) => d.span,
            Decl::Handler(d) => d.span,
            Decl::Sla(d) => d.span,
            Decl::Duplicate(d) => d.span,
            Decl::Test(d) => d.span,
            Decl::Allow(d) => d.span,
            Decl::Table(d) => d.span,
            Decl::FreeMail(d) => d.span,
        }
    }
}

/// A property inside a block (`email "..."`), with the span of its keyword.
#[derive(Debug, Clone, PartialEq)]
pub struct Prop<V> {
    /// The property keyword as written (`email`, `capacity`).
    pub key: Ident,
    /// The whole property.
    pub span: Span,
    /// Its value.
    pub value: V,
}

/// `policy NAME { owner "..." timezone "..." entry ROUTE }`
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDecl {
    /// The policy's name.
    pub name: Ident,
    /// Properties in source order.
    pub props: Vec<Prop<PolicyProp>>,
    /// The whole declaration.
    pub span: Span,
}

/// A policy header property.
#[derive(Debug, Clone, PartialEq)]
pub enum PolicyProp {
    /// Who owns the policy.
    Owner(StrLit),
    /// Default IANA time zone.
    Timezone(StrLit),
    /// The route every lead enters.
    Entry(Ident),
}

/// `enum NAME { a, b, c }`
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDecl {
    /// The enum's name.
    pub name: Ident,
    /// Its variants in order.
    pub variants: Vec<Ident>,
    /// The whole declaration.
    pub span: Span,
}

/// `schema NAME { field: type ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaDecl {
    /// The schema's name (usually `lead`).
    pub name: Ident,
    /// Fields in order.
    pub fields: Vec<FieldDecl>,
    /// The whole declaration.
    pub span: Span,
}

/// `name: type`
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    /// The field name.
    pub name: Ident,
    /// Its declared type.
    pub ty: TypeExpr,
    /// The whole field.
    pub span: Span,
}

/// A written type: `string`, `Source`, `list<string>`, `int?`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    /// The type without the optional mark.
    pub kind: TypeKind,
    /// `?` was written.
    pub optional: bool,
    /// The whole type.
    pub span: Span,
}

/// The shape of a written type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// A builtin or enum name.
    Named(Ident),
    /// `list<T>`
    List(Box<TypeExpr>),
}

/// `set NAME = [...]`
#[derive(Debug, Clone, PartialEq)]
pub struct SetDecl {
    /// The set's name.
    pub name: Ident,
    /// Its items (literals).
    pub items: Vec<Expr>,
    /// The whole declaration.
    pub span: Span,
}

/// `calendar NAME { DATE ["name"] ... }`: days off.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarDecl {
    /// The calendar's name.
    pub name: Ident,
    /// Its days, in source order.
    pub days: Vec<Holiday>,
    /// The whole declaration.
    pub span: Span,
}

/// One day of a calendar: a date as written (`2026-12-25`) and an optional name.
#[derive(Debug, Clone, PartialEq)]
pub struct Holiday {
    /// The date; `None` when it is not a real date (reported by the parser).
    pub date: Spanned<Option<(i16, i8, i8)>>,
    /// What the day is (`"Christmas Day"`).
    pub label: Option<StrLit>,
}

/// `rep NAME { ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct RepDecl {
    /// The rep's id.
    pub name: Ident,
    /// Properties in source order.
    pub props: Vec<Prop<RepProp>>,
    /// The whole declaration.
    pub span: Span,
}

/// A rep property.
#[derive(Debug, Clone, PartialEq)]
pub enum RepProp {
    /// `email "..."`
    Email(StrLit),
    /// `weight N`
    Weight(Spanned<i64>),
    /// `capacity N open` (open load), `capacity N per day` or `capacity N per shift`.
    Capacity { amount: Spanned<i64>, per_day: bool, per_shift: bool },
    /// `timezone "Zone"`
    Timezone(StrLit),
    /// `hours mon-fri 08:00-17:00 ["Zone"]`
    Hours(Hours),
    /// `calendar NAME`: the rep is off on its days.
    Calendar(Ident),
    /// `skills [a, b]`
    Skills(Vec<Ident>),
    /// `active true|false`
    Active(Spanned<bool>),
}

/// Working hours: days, a local start and end, an optional time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Hours {
    /// Day ranges.
    pub days: Vec<DaySpec>,
    /// Start, minutes after midnight.
    pub start: Spanned<u16>,
    /// End, minutes after midnight.
    pub end: Spanned<u16>,
    /// Time zone for these hours, when given.
    pub timezone: Option<StrLit>,
}

/// `mon` or `mon-fri`; days are 0 = Monday .. 6 = Sunday.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DaySpec {
    /// First day.
    pub from: u8,
    /// Last day (same as `from` for a single day).
    pub to: u8,
    /// Where.
    pub span: Span,
}

/// `team NAME { members [...] strategy S }`
#[derive(Debug, Clone, PartialEq)]
pub struct TeamDecl {
    /// The team's name.
    pub name: Ident,
    /// Properties in source order.
    pub props: Vec<Prop<TeamProp>>,
    /// The whole declaration.
    pub span: Span,
}

/// A team property.
#[derive(Debug, Clone, PartialEq)]
pub enum TeamProp {
    /// `members [a, b]`
    Members(Vec<Ident>),
    /// `strategy NAME` or `strategy sticky(field)`
    Strategy(StrategyRef),
    /// `timezone "Zone"`: the zone of the team's hours and calendar days.
    Timezone(StrLit),
    /// `hours ...`: the team takes leads only inside them.
    Hours(Hours),
    /// `calendar NAME`: the team takes no leads on its days.
    Calendar(Ident),
}

/// A schedule property of a team or queue.
#[derive(Debug, Clone, Copy)]
pub enum SchedulePart<'a> {
    /// `timezone "Zone"`
    Timezone(&'a StrLit),
    /// `hours ...`
    Hours(&'a Hours),
    /// `calendar NAME`
    Calendar(&'a Ident),
}

impl TeamProp {
    /// The property when it is part of the team's schedule.
    pub fn schedule(&self) -> Option<SchedulePart<'_>> {
        match self {
            TeamProp::Timezone(t) => Some(SchedulePart::Timezone(t)),
            TeamProp::Hours(h) => Some(SchedulePart::Hours(h)),
            TeamProp::Calendar(c) => Some(SchedulePart::Calendar(c)),
            TeamProp::Members(_) | TeamProp::Strategy(_) => None,
        }
    }
}

impl QueueProp {
    /// The property when it is part of the queue's schedule.
    pub fn schedule(&self) -> Option<SchedulePart<'_>> {
        match self {
            QueueProp::Timezone(t) => Some(SchedulePart::Timezone(t)),
            QueueProp::Hours(h) => Some(SchedulePart::Hours(h)),
            QueueProp::Calendar(c) => Some(SchedulePart::Calendar(c)),
            _ => None,
        }
    }
}

/// A strategy as written: a name and an optional field argument.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyRef {
    /// `round_robin`, `weighted`, `capacity`, `sticky`.
    pub name: Ident,
    /// The field for `sticky(field)`.
    pub arg: Option<Ident>,
    /// The whole reference.
    pub span: Span,
}

/// `queue NAME { owner "..." sla D }`
#[derive(Debug, Clone, PartialEq)]
pub struct QueueDecl {
    /// The queue's name.
    pub name: Ident,
    /// Properties in source order.
    pub props: Vec<Prop<QueueProp>>,
    /// The whole declaration.
    pub span: Span,
}

/// A queue property.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueProp {
    /// Who works the queue.
    Owner(StrLit),
    /// How fast it must be worked (milliseconds); the span of `business` when it counts working time only.
    Sla(Spanned<i64>, Option<Span>),
    /// `timezone "Zone"`: the zone of the queue's hours and calendar days.
    Timezone(StrLit),
    /// `hours ...`: when the queue is worked (its business-hours SLA counts them).
    Hours(Hours),
    /// `calendar NAME`: days the queue is not worked.
    Calendar(Ident),
    /// Where an item goes once the SLA has passed.
    Escalate(Escalate),
}

/// A queue's `escalate` target.
#[derive(Debug, Clone, PartialEq)]
pub enum Escalate {
    /// `escalate Q`: the item moves to queue `Q`.
    Queue(Ident),
    /// `escalate notify "text"`: a notification goes out.
    Notify(StrLit),
}

/// `when COND` or `otherwise`.
#[derive(Debug, Clone, PartialEq)]
pub enum Guard {
    /// A condition.
    When(Expr),
    /// Matches everything; the span is the keyword's.
    Otherwise(Span),
}

/// `tier NAME when COND sla D`
#[derive(Debug, Clone, PartialEq)]
pub struct TierDecl {
    /// The tier's name.
    pub name: Ident,
    /// When it matches.
    pub guard: Guard,
    /// Its SLA in milliseconds; `None`: no SLA timer, no `sla_due`.
    pub sla: Option<Spanned<i64>>,
    /// The span of `business` when the SLA counts working time only.
    pub business: Option<Span>,
    /// The whole declaration.
    pub span: Span,
    /// What the analyses worked out from its condition.
    pub memo: Memo,
}

/// `territory NAME when COND`
#[derive(Debug, Clone, PartialEq)]
pub struct TerritoryDecl {
    /// The territory's name.
    pub name: Ident,
    /// When a lead is in it.
    pub condition: Expr,
    /// The whole declaration.
    pub span: Span,
    /// What the analyses worked out from its condition.
    pub memo: Memo,
}

/// Where analyses keep what they worked out from a declaration's text,
/// shared by every copy of the declaration: the parse cache hands out copies
/// of a declaration whose text did not change, so an editor's re-check does
/// not redo that work. Each result is tagged with a fingerprint of what else
/// it depends on (the schema, say) and is used only under the same one. Not
/// part of the syntax: every two memos compare equal.
#[derive(Clone, Default)]
pub struct Memo(Arc<std::sync::Mutex<[Option<Kept>; MEMO_SLOTS]>>);

/// Results one memo keeps (one per type: a territory keeps four kinds
/// today, the policy's memo five). Kept inline, so that finding one is one
/// pointer away from the declaration: re-checks look up every tier's and
/// territory's memo.
const MEMO_SLOTS: usize = 5;

/// One result in a memo: its type, the fingerprint and the value kept under
/// it (one per type: a condition's analysis, its type check). The type is
/// kept beside the value so that finding it calls nothing through the value.
type Kept = (std::any::TypeId, u64, Arc<dyn std::any::Any + Send + Sync>);

impl Memo {
    /// The value of type `T` kept under `key`, if any.
    pub fn get<T: std::any::Any + Send + Sync>(&self, key: u64) -> Option<Arc<T>> {
        let ty = std::any::TypeId::of::<T>();
        let slots = self.0.lock().ok()?;
        let (_, _, v) = slots.iter().flatten().find(|(t, k, _)| *t == ty && *k == key)?;
        v.clone().downcast::<T>().ok()
    }

    /// The value of type `T` kept under `key`, made by `make` and kept when
    /// there is none.
    pub fn get_or_insert_with<T: std::any::Any + Send + Sync>(&self, key: u64, make: impl FnOnce() -> T) -> Arc<T> {
        self.get::<T>(key).unwrap_or_else(|| {
            let v = Arc::new(make());
            self.set(key, v.clone());
            v
        })
    }

    /// Keeps `value` under `key` (replacing the value of its type kept before).
    pub fn set<T: std::any::Any + Send + Sync>(&self, key: u64, value: Arc<T>) {
        let ty = std::any::TypeId::of::<T>();
        if let Ok(mut slots) = self.0.lock() {
            // Its type's slot, else a free one, else the last (a memo only saves work).
            let at = slots.iter().position(|s| s.as_ref().is_some_and(|(t, _, _)| *t == ty)).or_else(|| slots.iter().position(Option::is_none));
            slots[at.unwrap_or(MEMO_SLOTS - 1)] = Some((ty, key, value));
        }
    }
}

impl PartialEq for Memo {
    fn eq(&self, _: &Memo) -> bool {
        true
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

/// `route NAME { rules }`
#[derive(Debug, Clone, PartialEq)]
pub struct RouteDecl {
    /// The route's name.
    pub name: Ident,
    /// Its rules in order (shared: a long route's unchanged rules are not
    /// copied when an editor re-checks it, see `syntax::route_rules`).
    pub rules: Vec<Arc<Rule>>,
    /// The whole declaration.
    pub span: Span,
    /// What the analyses worked out from its rules (which leads each takes).
    pub memo: Memo,
}

/// `[name:] when COND -> ACTION` or `otherwise -> ACTION`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Optional rule name, shown in decisions.
    pub name: Option<Ident>,
    /// When the rule fires.
    pub guard: Guard,
    /// What it does.
    pub action: Action,
    /// The whole rule.
    pub span: Span,
    /// What the checker worked out for it (shared by its copies: a long
    /// route's unchanged rules are not checked again).
    pub memo: Memo,
}

/// What a rule or handler does.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// The kind of action.
    pub kind: ActionKind,
    /// The whole action.
    pub span: Span,
}

/// The kinds of action.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionKind {
    /// `assign TARGET [else ...]`
    Assign { target: AssignTarget, fallback: Option<Fallback> },
    /// `queue Q`
    Queue(Ident),
    /// `route R`
    Route(Ident),
    /// `drop "reason"`
    Drop(StrLit),
}

/// Whom an `assign` gives the lead to.
#[derive(Debug, Clone, PartialEq)]
pub enum AssignTarget {
    /// `team T [by STRATEGY]`
    Team { team: Ident, by: Option<StrategyRef> },
    /// `rep R`
    Rep(Ident),
    /// `owner(field)`: the rep whose id is in the field.
    Owner(Ident),
    /// `previous owner`: the owner of the earlier lead a duplicate matched
    /// (only inside `on duplicate(...)`); the span of the two words.
    Previous(Span),
    /// `owner(accounts[domain(email)].owner)`: the rep an expression names (a miss is an unknown owner).
    OwnerOf(Expr),
}

/// What happens when an `assign` finds nobody.
#[derive(Debug, Clone, PartialEq)]
pub enum Fallback {
    /// `else continue`: go on with the next rule.
    Continue(Span),
    /// `else ACTION`
    Action(Box<Action>),
}

/// `on EXCEPTION -> ACTION`
#[derive(Debug, Clone, PartialEq)]
pub struct HandlerDecl {
    /// Which exception.
    pub exception: Exception,
    /// What to do.
    pub action: HandlerAction,
    /// The whole declaration.
    pub span: Span,
}

/// An exception as written in a handler.
#[derive(Debug, Clone, PartialEq)]
pub enum Exception {
    /// `ambiguous_territory`, `no_available_rep`, `over_capacity`, `no_match` (checked later).
    Named(Ident),
    /// `missing(field)`
    Missing { field: Ident, span: Span },
}

impl Exception {
    /// Where it is written.
    pub fn span(&self) -> Span {
        match self {
            Exception::Named(i) => i.span,
            Exception::Missing { span, .. } => *span,
        }
    }
}

/// What a handler does.
#[derive(Debug, Clone, PartialEq)]
pub enum HandlerAction {
    /// `assume VALUE` (only for `missing(field)`).
    Assume(Value),
    /// Any action.
    Action(Action),
}

/// `on sla_breach[(TIER)] -> ACTION` or `on sla_warning([TIER,] D) -> notify "..."`
#[derive(Debug, Clone, PartialEq)]
pub struct SlaDecl {
    /// Which SLA event, for which tier.
    pub event: SlaEvent,
    /// What to do.
    pub action: SlaAction,
    /// The whole declaration.
    pub span: Span,
}

/// `sla_breach(hot)`, `sla_breach`, `sla_warning(hot, 2m)`, `sla_warning(2m)`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaEvent {
    /// Breach or warning.
    pub kind: SlaEventKind,
    /// The tier; `None` for every tier without its own handler.
    pub tier: Option<Ident>,
    /// For a warning: how long before the due time it fires (milliseconds).
    pub before: Option<Spanned<i64>>,
    /// The event as written.
    pub span: Span,
}

impl SlaEvent {
    /// The event as written without the lead time: `sla_breach(hot)`, `sla_warning`.
    pub fn key(&self) -> String {
        let word = match self.kind {
            SlaEventKind::Breach => "sla_breach",
            SlaEventKind::Warning => "sla_warning",
        };
        match &self.tier {
            Some(t) => format!("{word}({})", t.name),
            None => word.to_string(),
        }
    }
}

/// The two SLA events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaEventKind {
    /// The SLA ran out before first contact.
    Breach,
    /// The SLA is about to run out.
    Warning,
}

/// What an SLA handler does.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaAction {
    /// The kind of action.
    pub kind: SlaActionKind,
    /// The whole action.
    pub span: Span,
}

/// The kinds of SLA action.
#[derive(Debug, Clone, PartialEq)]
pub enum SlaActionKind {
    /// `reassign [else ...]`: another rep of the lead's team.
    Reassign {
        /// When nobody else is available.
        fallback: Option<Fallback>,
    },
    /// `notify "text"`
    Notify(StrLit),
    /// `queue Q`, `assign ...` (others are rejected by the checker).
    Action(Action),
}

/// `on duplicate(within D[, by FIELD]) -> ACTION`: what happens to a lead
/// whose key was decided within the window before it.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateDecl {
    /// The window in milliseconds, as written.
    pub within: Spanned<i64>,
    /// The key field (`by FIELD`); `None`: the lead's `email`, normalized.
    pub by: Option<Ident>,
    /// `duplicate(...)` as written.
    pub event: Span,
    /// What to do (`assign previous owner [else ...]` or any action).
    pub action: Action,
    /// The whole declaration.
    pub span: Span,
}

/// `test "name" { ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    /// The test's name.
    pub name: StrLit,
    /// Its items in source order.
    pub items: Vec<TestItem>,
    /// The whole declaration.
    pub span: Span,
}

/// One item of a test.
#[derive(Debug, Clone, PartialEq)]
pub enum TestItem {
    /// `now "RFC 3339"`
    Now(StrLit),
    /// `lead { ... }`
    Lead(Record),
    /// `state { rep { ... } ... }`
    State(Vec<RepStateEntry>),
    /// `expect a, b`
    Expect(Vec<Expectation>),
    /// `after D breach expect a, b`
    Breach(BreachTest),
    /// `prior { lead: "L-1", owner: alice, at: "..." }`: the earlier lead the test lead duplicates.
    Prior(Record),
}

/// `after 6m breach expect rep sue`: the decided lead, committed, breached `after` later.
#[derive(Debug, Clone, PartialEq)]
pub struct BreachTest {
    /// Time from the decision to the breach (milliseconds).
    pub after: Spanned<i64>,
    /// What the breach must do.
    pub expect: Vec<Expectation>,
    /// The whole item.
    pub span: Span,
}

/// `{ name: value, ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Fields in order.
    pub fields: Vec<RecordField>,
    /// The braces and all inside.
    pub span: Span,
}

/// `name: value`
#[derive(Debug, Clone, PartialEq)]
pub struct RecordField {
    /// The field name.
    pub name: Ident,
    /// Its value.
    pub value: Value,
}

/// `alice { active: false }` inside a test's `state`.
#[derive(Debug, Clone, PartialEq)]
pub struct RepStateEntry {
    /// The rep.
    pub rep: Ident,
    /// Its state fields.
    pub record: Record,
}

/// A value in a test lead or an `assume`.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// The value.
    pub kind: ValueKind,
    /// Where.
    pub span: Span,
}

/// The kinds of value.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    /// `"text"`
    Str(String),
    /// `42`
    Int(i64),
    /// `4.5`
    Float(f64),
    /// `true`
    Bool(bool),
    /// `null`
    Null,
    /// `[a, b]`
    List(Vec<Value>),
    /// A bare name: an enum variant.
    Name(String),
}

/// One expectation of a test.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// What is expected.
    pub kind: ExpectKind,
    /// The name (absent for outcome words).
    pub name: Option<Ident>,
    /// Where.
    pub span: Span,
}

/// What a test can expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExpectKind {
    /// `team T`
    Team,
    /// `rep R`
    Rep,
    /// `queue Q`
    Queue,
    /// `tier T`
    Tier,
    /// `territory T` or `territory none`
    Territory,
    /// `route R`: the route whose rule decided.
    Route,
    /// `assigned`
    Assigned,
    /// `queued`
    Queued,
    /// `dropped`
    Dropped,
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// A literal in an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    /// `"text"`
    Str(String),
    /// `42`
    Int(i64),
    /// `4.5`
    Float(f64),
    /// `true`
    Bool(bool),
    /// `30m`: milliseconds, and the literal as written (`24h` stays `24h` when formatted).
    Duration(i64, String),
    /// `08:30`, minutes after midnight.
    Clock(u16),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// The operator with its operands swapped: `k < x` is `x > k`.
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            o => o,
        }
    }

    /// True for `<`, `<=`, `>`, `>=`.
    pub fn is_ordering(self) -> bool {
        !matches!(self, CmpOp::Eq | CmpOp::Ne)
    }
}

/// The kinds of expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal.
    Lit(Lit),
    /// A bare name: a field, `tier`, `territory`, `now`, an enum variant, a tier or territory name.
    Name(String),
    /// `f(a, b)`
    Call { func: Ident, args: Vec<Expr> },
    /// `[a, b]`
    List(Vec<Expr>),
    /// `(e)`, kept so the formatter can keep the parentheses.
    Paren(Box<Expr>),
    /// `not e`
    Not(Box<Expr>),
    /// `a and b`
    And(Box<Expr>, Box<Expr>),
    /// `a or b`
    Or(Box<Expr>, Box<Expr>),
    /// `a OP b`
    Cmp { op: CmpOp, lhs: Box<Expr>, rhs: Box<Expr> },
    /// `a [not] in [..]` or `a [not] in set_name`
    In { value: Box<Expr>, set: Box<Expr>, negated: bool },
    /// `a is present` / `a is missing`
    Is { value: Box<Expr>, present: bool },
    /// `territory is ambiguous`: more than one territory matched the lead.
    Ambiguous(Box<Expr>),
    /// `a ?? b`
    Default { value: Box<Expr>, default: Box<Expr> },
    /// `table[key]` (a row, which may be missing) or `table[key].column`.
    Lookup { table: Ident, key: Box<Expr>, column: Option<Ident> },
}
