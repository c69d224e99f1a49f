//! The policy IR: the contract between the compiler and the engine.
//!
//! Everything the engine needs, by index rather than by name, serializable
//! with serde so a service can load a policy compiled in CI without the
//! compiler. Conditions are small expression trees over field slots.

use serde::{Deserialize, Serialize};

pub use crate::table::{ColumnDef, KeyMatch, TableDef, TableLoc};

/// Bumped whenever the IR changes shape; the engine reads
/// [`OLDEST_FORMAT_VERSION`] to this. A policy is written with the oldest
/// version that can read it ([`PolicyIr::needed_version`]): version 3 added
/// `duplicate`, version 4 tables, `free_mail` and `owner(expression)`, so a
/// policy that uses neither is still version 2, its hash unchanged.
pub const FORMAT_VERSION: u32 = 4;

/// The first version with a duplicate handler (`duplicate`).
pub const DUPLICATE_FORMAT_VERSION: u32 = 3;

/// The first version with tables, `free_mail` and [`Action::AssignOwnerOf`].
pub const TABLES_FORMAT_VERSION: u32 = 4;

/// The oldest format version this engine still reads.
pub const OLDEST_FORMAT_VERSION: u32 = 2;

/// A whole compiled policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyIr {
    /// Must equal [`FORMAT_VERSION`].
    pub format_version: u32,
    /// What the policy does, hashed: `sha256:<hex>` of [`PolicyIr::behaviour`].
    /// Editing comments, reformatting or moving declarations keeps it.
    pub policy_version: String,
    /// `sha256:<hex>` of the exact source files (names and text): changes
    /// with any edit, for telling two texts of one version apart.
    #[serde(default)]
    pub source_digest: String,
    /// The policy's name.
    pub name: String,
    /// Who owns it.
    pub owner: Option<String>,
    /// Default IANA time zone (reps without their own use it).
    pub timezone: String,
    /// Enums, by index.
    pub enums: Vec<EnumDef>,
    /// Lead fields, by slot.
    pub fields: Vec<FieldDef>,
    /// Reps, by index.
    pub reps: Vec<RepDef>,
    /// Teams, by index.
    pub teams: Vec<TeamDef>,
    /// Queues, by index.
    pub queues: Vec<QueueDef>,
    /// Tiers in order (first match wins).
    pub tiers: Vec<TierDef>,
    /// Territories (all are evaluated).
    pub territories: Vec<TerritoryDef>,
    /// Routes, by index.
    pub routes: Vec<RouteDef>,
    /// The route every lead enters.
    pub entry: u32,
    /// Policy-wide exception handlers.
    pub handlers: Handlers,
    /// Inline tests.
    pub tests: Vec<TestDef>,
    /// `on sla_breach[(tier)] -> ...` handlers, in source order.
    #[serde(default)]
    pub breach: Vec<BreachDef>,
    /// `on sla_warning([tier,] D) -> notify "..."` reminders, in source order.
    #[serde(default)]
    pub reminders: Vec<ReminderDef>,
    /// Holiday calendars, by index.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calendars: Vec<CalendarDef>,
    /// `on duplicate(within D[, by FIELD]) -> ...` (format version 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<DuplicateDef>,
    /// Reference tables (rows from CSV files), by index.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableDef>,
    /// Free-mail domains (the bundled list and the policy's `free_mail`),
    /// sorted: a `domain` key never matches one. Empty without domain tables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub free_mail: Vec<String>,
}

/// The duplicate-lead handler: a lead whose key was decided within the
/// window before it is a duplicate of that earlier lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateDef {
    /// Field slot of the key (a string field); keys are trimmed and lower-cased.
    pub key: u32,
    /// How far back an earlier decision counts, in milliseconds.
    pub window_ms: i64,
    /// What happens to a duplicate.
    pub action: DuplicateAction,
    /// Where it is written.
    pub loc: Loc,
    /// The handler as written, for decisions and traces.
    pub text: String,
}

/// What the duplicate handler does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DuplicateAction {
    /// `assign previous owner [else ...]`: the earlier lead's owner, if available.
    AssignPrevious {
        /// When the owner is unknown or unavailable (`Continue`: route normally).
        fallback: Fallback,
    },
    /// Any other action (`queue Q`, `drop "..."`, `assign team T ...`).
    Act {
        /// The action.
        action: Action,
    },
}

/// A holiday calendar: days off, as local dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDef {
    /// Its name.
    pub name: String,
    /// Its days, sorted.
    pub days: Vec<HolidayDef>,
}

/// One day off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayDef {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// What the day is, when the policy says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl PolicyIr {
    /// The oldest format version that can read this IR: 4 with tables,
    /// `free_mail` or `owner(expression)`, 3 with a duplicate handler, else 2
    /// (so older engines refuse only what they cannot run).
    pub fn needed_version(&self) -> u32 {
        if !self.tables.is_empty() || !self.free_mail.is_empty() || self.actions().flat_map(Action::chain).any(|a| matches!(a, Action::AssignOwnerOf { .. })) {
            TABLES_FORMAT_VERSION
        } else if self.duplicate.is_some() {
            DUPLICATE_FORMAT_VERSION
        } else {
            OLDEST_FORMAT_VERSION
        }
    }

    /// Every action written at the top of a rule, handler, SLA handler or
    /// the duplicate handler (fallbacks are reached through them).
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        let h = &self.handlers;
        let rules = self.routes.iter().flat_map(|r| r.rules.iter().map(|x| &x.action));
        let handlers = [&h.ambiguous_territory, &h.no_available_rep, &h.over_capacity, &h.no_match].into_iter().flatten();
        let missing = h.missing.iter().filter_map(|m| match &m.handling {
            MissingHandling::Action(a) => Some(a),
            MissingHandling::Assume(_) => None,
        });
        let breach = self.breach.iter().filter_map(|b| match &b.action {
            BreachAction::Act { action } => Some(action),
            BreachAction::Reassign { fallback: Fallback::Action(a) } => Some(&**a),
            _ => None,
        });
        let duplicate = self.duplicate.iter().filter_map(|d| match &d.action {
            DuplicateAction::Act { action } => Some(action),
            DuplicateAction::AssignPrevious { fallback: Fallback::Action(a) } => Some(&**a),
            DuplicateAction::AssignPrevious { .. } => None,
        });
        rules.chain(handlers).chain(missing).chain(breach).chain(duplicate)
    }

    /// What decides leads, as JSON: the IR without where things are written
    /// (`loc`), the source text of conditions and handlers (`text`), the
    /// inline tests and the two digests. `policy_version` hashes its text,
    /// written by [`PolicyIr::write_behaviour`] without building this tree.
    pub fn behaviour(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(o) = v.as_object_mut() {
            for key in ["policy_version", "source_digest", "tests"] {
                o.remove(key);
            }
        }
        crate::behaviour::strip(&mut v);
        v
    }
}

/// A named enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumDef {
    /// Its name.
    pub name: String,
    /// Variants, by index.
    pub variants: Vec<String>,
}

/// A lead field's type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Text.
    String,
    /// 64-bit integer.
    Int,
    /// 64-bit float.
    Float,
    /// true / false.
    Bool,
    /// RFC 3339 instant.
    Time,
    /// A variant of the enum with this index.
    Enum(u32),
    /// A list of items of one type.
    List(Box<FieldType>),
}

/// A lead field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    /// Its name in lead JSON.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// May be absent or null.
    pub optional: bool,
}

/// Working hours: days (bit 0 = Monday .. bit 6 = Sunday) and local minutes.
/// An `end` at or before `start` crosses midnight: the shift belongs to the
/// day it starts on and ends on the next. `end` may be 1440 (`24:00`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursDef {
    /// Bit mask of days.
    pub days: u8,
    /// Start, minutes after local midnight.
    pub start: u16,
    /// End (exclusive), minutes after local midnight.
    pub end: u16,
    /// Time zone of these hours (the rep's when absent).
    pub timezone: Option<String>,
}

/// A rep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepDef {
    /// Rep id (matched by `assign owner(field)` and in state files).
    pub id: String,
    /// Email address.
    pub email: Option<String>,
    /// Weight for the weighted strategy (>= 1).
    pub weight: u32,
    /// Cap on open load.
    pub max_open: Option<u32>,
    /// Cap on leads per day (in the rep's time zone).
    pub max_per_day: Option<u32>,
    /// IANA time zone (the policy's when the rep has none).
    pub timezone: String,
    /// Working hours; empty means always.
    pub hours: Vec<HoursDef>,
    /// Holiday calendars (indexes): no shift starts on their days.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calendars: Vec<u32>,
    /// `capacity N per shift`: the daily count belongs to the day the current shift started on.
    #[serde(default, skip_serializing_if = "is_false")]
    pub cap_per_shift: bool,
    /// Skills.
    pub skills: Vec<String>,
    /// Declared active (state can also deactivate).
    pub active: bool,
}

/// How a team picks a rep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Strategy {
    /// Each available rep in turn.
    RoundRobin,
    /// Smooth weighted round robin.
    Weighted,
    /// Lowest load relative to capacity.
    Capacity,
    /// The rep named by a field, when a member and available.
    Sticky {
        /// Field slot holding the rep id.
        field: u32,
    },
}

impl Strategy {
    /// The strategy's name as written.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "round_robin",
            Strategy::Weighted => "weighted",
            Strategy::Capacity => "capacity",
            Strategy::Sticky { .. } => "sticky",
        }
    }
}

/// A team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamDef {
    /// Its name.
    pub name: String,
    /// Member rep indexes, in declared order.
    pub members: Vec<u32>,
    /// Its strategy.
    pub strategy: Strategy,
    /// The zone of its hours and calendar days (the policy's when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Hours the team takes leads; empty means always.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<HoursDef>,
    /// Calendars (indexes): days the team takes no leads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calendars: Vec<u32>,
}

/// A review queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueDef {
    /// Its name.
    pub name: String,
    /// Who works it.
    pub owner: Option<String>,
    /// SLA in milliseconds.
    pub sla_ms: Option<i64>,
    /// Where an item goes once its SLA has passed (`escalate ...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate: Option<EscalateDef>,
    /// `sla D business`: the SLA counts only the queue's working time.
    #[serde(default, skip_serializing_if = "is_false")]
    pub sla_business: bool,
    /// The zone of its hours and calendar days (the policy's when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Hours the queue is worked; empty means always.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<HoursDef>,
    /// Calendars (indexes): days the queue is not worked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calendars: Vec<u32>,
}

/// A queue's `escalate` target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum EscalateDef {
    /// `escalate Q`: the item moves to queue `Q` (whose own SLA then runs).
    Queue {
        /// Queue index.
        queue: u32,
    },
    /// `escalate notify "text"`: the item stays; a notification goes out.
    Notify {
        /// The notification's text.
        message: String,
    },
}

/// What an SLA breach handler does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BreachAction {
    /// `reassign [else ACTION]`: the next available rep of the lead's team who
    /// has not held it, by the team's strategy.
    Reassign {
        /// When nobody else is available (`Handler`: `on no_available_rep`).
        fallback: Fallback,
    },
    /// `notify "text"`: the lead stays where it is.
    Notify {
        /// The notification's text.
        message: String,
    },
    /// `queue Q`, `assign team T`, `assign rep R` (with their `else`).
    Act {
        /// The action.
        action: Action,
    },
}

/// One `on sla_breach[(tier)] -> ...` handler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreachDef {
    /// Tier index; `None` for the catch-all `on sla_breach`.
    pub tier: Option<u32>,
    /// What it does.
    pub action: BreachAction,
    /// Where it is written.
    pub loc: Loc,
    /// The handler as written (`on sla_breach(hot) -> reassign`), for decisions.
    pub text: String,
}

/// One `on sla_warning([tier,] D) -> notify "..."` reminder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReminderDef {
    /// Tier index; `None` for every tier without its own reminder.
    pub tier: Option<u32>,
    /// How long before the SLA runs out it fires (milliseconds).
    pub before_ms: i64,
    /// The notification's text.
    pub message: String,
    /// Where it is written.
    pub loc: Loc,
}

/// Where something is written: for traces and decisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loc {
    /// File name.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A condition with its source text, for traces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// The expression.
    pub expr: Expr,
    /// The source text as written.
    pub text: String,
}

/// A tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierDef {
    /// Its name.
    pub name: String,
    /// `None` for `otherwise`.
    pub condition: Option<Condition>,
    /// SLA in milliseconds; `None`: the tier has no SLA (no timer, no `sla_due`).
    pub sla_ms: Option<i64>,
    /// `sla D business`: the SLA counts only the working time of whoever holds the lead.
    #[serde(default, skip_serializing_if = "is_false")]
    pub sla_business: bool,
    /// Where it is declared.
    pub loc: Loc,
}

/// A territory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerritoryDef {
    /// Its name.
    pub name: String,
    /// When a lead is in it.
    pub condition: Condition,
    /// Where it is declared.
    pub loc: Loc,
}

/// A route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteDef {
    /// Its name.
    pub name: String,
    /// Rules in order.
    pub rules: Vec<RuleDef>,
    /// Where it is declared.
    pub loc: Loc,
}

/// A rule of a route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleDef {
    /// Its name, if given.
    pub name: Option<String>,
    /// `None` for `otherwise`.
    pub condition: Option<Condition>,
    /// What it does.
    pub action: Action,
    /// Where it is written.
    pub loc: Loc,
}

impl RouteDef {
    /// The name decisions show for rule `i`: its name, or `ROUTE#N` (N from
    /// 1, in the route's order) for an unnamed rule, `ROUTE#otherwise` for
    /// the catch-all. Editing comments or reformatting never changes it.
    pub fn rule_label(&self, i: usize) -> String {
        match self.rules.get(i) {
            Some(RuleDef { name: Some(n), .. }) => n.clone(),
            Some(RuleDef { condition: None, .. }) => format!("{}#otherwise", self.name),
            _ => format!("{}#{}", self.name, i + 1),
        }
    }
}

/// What happens when an `assign` finds nobody.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "action")]
pub enum Fallback {
    /// No `else`: the policy's `no_available_rep` (or `over_capacity`) handler.
    Handler,
    /// `else continue`: the next rule.
    Continue,
    /// `else ACTION`.
    Action(Box<Action>),
}

/// An action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Action {
    /// `assign team T [by S]`.
    AssignTeam {
        /// Team index.
        team: u32,
        /// Strategy override.
        strategy: Option<Strategy>,
        /// When nobody is available.
        fallback: Fallback,
    },
    /// `assign rep R`.
    AssignRep {
        /// Rep index.
        rep: u32,
        /// When the rep is unavailable.
        fallback: Fallback,
    },
    /// `assign owner(field)`.
    AssignOwner {
        /// Field slot holding a rep id.
        field: u32,
        /// When the owner is unknown or unavailable.
        fallback: Fallback,
    },
    /// `assign owner(EXPR)`: the rep whose id the expression gives (`accounts[domain(email)].owner`).
    AssignOwnerOf {
        /// Gives a rep id; a missing value is an unknown owner.
        value: Expr,
        /// When the owner is missing, unknown or unavailable.
        fallback: Fallback,
    },
    /// `queue Q`.
    Queue {
        /// Queue index.
        queue: u32,
    },
    /// `route R`.
    Route {
        /// Route index.
        route: u32,
    },
    /// `drop "reason"`.
    Drop {
        /// Why.
        reason: String,
    },
}

impl Action {
    /// What an `assign` does when it finds nobody; `None` for the other actions.
    pub fn fallback(&self) -> Option<&Fallback> {
        match self {
            Action::AssignTeam { fallback, .. }
            | Action::AssignRep { fallback, .. }
            | Action::AssignOwner { fallback, .. }
            | Action::AssignOwnerOf { fallback, .. } => Some(fallback),
            Action::Queue { .. } | Action::Route { .. } | Action::Drop { .. } => None,
        }
    }

    /// This action, then each `else ACTION` fallback in order.
    pub fn chain(&self) -> impl Iterator<Item = &Action> {
        std::iter::successors(Some(self), |a| match a.fallback() {
            Some(Fallback::Action(next)) => Some(&**next),
            _ => None,
        })
    }
}

/// How a missing optional field is handled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum MissingHandling {
    /// Use this value instead.
    Assume(Value),
    /// Stop routing and do this.
    Action(Action),
}

/// The handler of `missing(field)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingHandler {
    /// Field slot.
    pub field: u32,
    /// What to do.
    pub handling: MissingHandling,
}

/// The policy-wide exception handlers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Handlers {
    /// More than one territory matched.
    pub ambiguous_territory: Option<Action>,
    /// An assign found nobody.
    pub no_available_rep: Option<Action>,
    /// A named rep is at a cap.
    pub over_capacity: Option<Action>,
    /// No tier matched, or an owner field named no rep.
    pub no_match: Option<Action>,
    /// Per-field missing handlers.
    pub missing: Vec<MissingHandler>,
}

/// A constant or runtime value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum Value {
    /// Text.
    Str(String),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Bool.
    Bool(bool),
    /// Milliseconds since the Unix epoch.
    Time(i64),
    /// Milliseconds.
    Duration(i64),
    /// Minutes after local midnight.
    Clock(u16),
    /// Enum variant index.
    Enum(u32),
    /// A list.
    List(Vec<Value>),
    /// A tier index.
    Tier(u32),
    /// A territory index, or none.
    Territory(Option<u32>),
}

impl Expr {
    /// Whether evaluating this reads the lead's territory (`territory == x`,
    /// `territory is present` ...; not `territory is ambiguous`): where an
    /// ambiguous lead raises `ambiguous_territory`.
    pub fn reads_territory(&self) -> bool {
        match self {
            Expr::Territory => true,
            Expr::Const { .. } | Expr::Field { .. } | Expr::Tier | Expr::Ambiguous | Expr::Now | Expr::Present { .. } | Expr::Default { .. } => false,
            Expr::Lookup { key: value, .. } | Expr::Has { value, .. } | Expr::InTable { value, .. } => value.reads_territory(),
            Expr::Else { value, default } => value.reads_territory() || default.reads_territory(),
            Expr::Not { arg } => arg.reads_territory(),
            Expr::And { args } | Expr::Or { args } | Expr::Call { args, .. } => args.iter().any(Expr::reads_territory),
            Expr::Cmp { lhs, rhs, .. } => lhs.reads_territory() || rhs.reads_territory(),
            Expr::In { value, .. } | Expr::InField { value, .. } => value.reads_territory(),
        }
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
}

/// Builtin functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Func {
    /// Lower case.
    Lower,
    /// Upper case.
    Upper,
    /// Prefix test.
    StartsWith,
    /// Suffix test.
    EndsWith,
    /// Substring or list membership.
    Contains,
    /// Email domain, lower-cased.
    Domain,
    /// Length in characters or items.
    Len,
    /// Duration from the argument to now.
    Since,
    /// Clock time in the policy's time zone.
    Clock,
}

/// An expression over a lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum Expr {
    /// A constant.
    Const {
        /// The value.
        value: Value,
    },
    /// A field's value.
    Field {
        /// Slot.
        slot: u32,
    },
    /// The lead's tier (in routes).
    Tier,
    /// The lead's territory (in routes). Reading it raises `ambiguous_territory`
    /// for a lead in more than one territory.
    Territory,
    /// `territory is ambiguous`: more than one territory matched (never raises).
    Ambiguous,
    /// The decision time.
    Now,
    /// Negation.
    Not {
        /// Operand.
        arg: Box<Expr>,
    },
    /// All hold (short-circuit, in order).
    And {
        /// Operands.
        args: Vec<Expr>,
    },
    /// Any holds (short-circuit, in order).
    Or {
        /// Operands.
        args: Vec<Expr>,
    },
    /// A comparison.
    Cmp {
        /// Operator.
        cmp: CmpOp,
        /// Left side.
        lhs: Box<Expr>,
        /// Right side.
        rhs: Box<Expr>,
    },
    /// Membership in a constant set.
    In {
        /// The value tested.
        value: Box<Expr>,
        /// The set.
        set: Vec<Value>,
        /// `not in`.
        negated: bool,
    },
    /// Membership in a list field of the lead.
    InField {
        /// The value tested.
        value: Box<Expr>,
        /// The list field's slot.
        list: u32,
        /// `not in`.
        negated: bool,
    },
    /// `field is present` (or `is missing` when `present` is false).
    Present {
        /// Slot.
        slot: u32,
        /// Which test.
        present: bool,
    },
    /// `field ?? default`.
    Default {
        /// Slot.
        slot: u32,
        /// Used when the field is missing.
        default: Value,
    },
    /// A builtin call.
    Call {
        /// Which function.
        func: Func,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `table[key].column`: the cell of the row the key finds, missing when
    /// no row matches or the cell is empty. Without a column: the row's
    /// index (only tested with [`Expr::Has`]).
    Lookup {
        /// Table index.
        table: u32,
        /// The key looked up (normalized as the table says).
        key: Box<Expr>,
        /// Column index.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        column: Option<u32>,
    },
    /// `value is present` (or `is missing`) for any value: a lookup, a cell.
    Has {
        /// The value.
        value: Box<Expr>,
        /// Which test.
        present: bool,
    },
    /// `value [not] in table`: the value is a key (or alias) of a row.
    InTable {
        /// The value tested.
        value: Box<Expr>,
        /// Table index.
        table: u32,
        /// `not in`.
        negated: bool,
    },
    /// `value ?? default` for any value (a lookup's cell).
    Else {
        /// The value.
        value: Box<Expr>,
        /// Used when it is missing.
        default: Box<Expr>,
    },
}

/// An inline test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestDef {
    /// Its name.
    pub name: String,
    /// Where it is written.
    pub loc: Loc,
    /// Decision time (RFC 3339), when given.
    pub now: Option<String>,
    /// The lead, as JSON.
    pub lead: serde_json::Value,
    /// Rep state overrides, as JSON (`{"alice": {"active": false}}`).
    pub state: serde_json::Value,
    /// What must hold.
    pub expect: Vec<Expectation>,
    /// `after D breach expect ...`: the decided lead, committed, then breached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breach: Vec<BreachCheck>,
    /// `prior { ... }`: the earlier lead the test lead duplicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<crate::duplicate::Prior>,
}

/// One `after D breach expect ...` of a test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachCheck {
    /// Time from the decision to the breach (milliseconds).
    pub after_ms: i64,
    /// What the breach must do.
    pub expect: Vec<Expectation>,
    /// Where it is written.
    pub loc: Loc,
}

/// One expectation of a test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "what", content = "name")]
pub enum Expectation {
    /// The lead goes to this team.
    Team(String),
    /// The lead goes to this rep.
    Rep(String),
    /// The lead goes to this queue.
    Queue(String),
    /// The lead has this tier.
    Tier(String),
    /// The lead is in this territory (`none` for no territory).
    Territory(String),
    /// The deciding rule is in this route.
    Route(String),
    /// Outcome: assigned.
    Assigned,
    /// Outcome: queued.
    Queued,
    /// Outcome: dropped.
    Dropped,
}
