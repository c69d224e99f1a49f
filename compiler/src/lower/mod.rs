//! Lowering: a checked policy becomes the runtime's IR (`leadroute_runtime::ir`).
//! Only a policy without errors is lowered.

mod expr;
mod tables;

use std::collections::BTreeMap;

use leadroute_runtime::ir::{self, PolicyIr};
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};

use crate::check::{Checked, Symbols, Ty};
use crate::source::{SourceSet, Span};
use crate::syntax::ast::*;

pub(crate) struct Lowerer<'s, 'a> {
    syms: &'s Symbols<'a>,
    sources: &'s SourceSet,
    slots: BTreeMap<&'s str, u32>,
    /// Each rep, team, queue, route and calendar name's position in its
    /// (sorted) map, which is its index in the IR: looked up once per name
    /// here, not walked per reference (40,000 reps named in teams made that
    /// quadratic).
    at: Ordinals<'s>,
}

/// A name's position among its declarations of one kind, in name order.
#[derive(Default)]
struct Ordinals<'s> {
    reps: FxHashMap<&'s str, u32>,
    teams: FxHashMap<&'s str, u32>,
    queues: FxHashMap<&'s str, u32>,
    routes: FxHashMap<&'s str, u32>,
    calendars: FxHashMap<&'s str, u32>,
}

impl<'s> Ordinals<'s> {
    fn of<T>(map: &'s BTreeMap<String, T>) -> FxHashMap<&'s str, u32> {
        map.keys().enumerate().map(|(i, k)| (k.as_str(), i as u32)).collect()
    }

    fn new(syms: &'s Symbols<'_>) -> Ordinals<'s> {
        Ordinals {
            reps: Ordinals::of(&syms.reps),
            teams: Ordinals::of(&syms.teams),
            queues: Ordinals::of(&syms.queues),
            routes: Ordinals::of(&syms.routes),
            calendars: Ordinals::of(&syms.calendars),
        }
    }
}

/// The digest of a policy's exact sources: SHA-256 over each file's base name
/// and text (CRLF as LF), in name order. Any edit changes it.
pub fn source_digest(sources: &SourceSet) -> String {
    let mut files: Vec<(String, String)> = sources
        .iter()
        .map(|(_, f)| {
            let base = std::path::Path::new(&f.name).file_name().map_or(f.name.clone(), |n| n.to_string_lossy().into_owned());
            (base, f.text.replace("\r\n", "\n"))
        })
        .collect();
    files.sort();
    let mut h = Sha256::new();
    for (name, text) in files {
        h.update(name.as_bytes());
        h.update(b"\n");
        h.update(text.as_bytes());
        h.update(b"\0");
    }
    hex(h)
}

/// The policy version: SHA-256 of what the policy does ([`PolicyIr::behaviour`]),
/// so editing comments or reformatting keeps it. The IR is hashed without
/// its tables, one list element's JSON tree at a time
/// ([`PolicyIr::write_behaviour_without_tables`]), then each table, streamed
/// ([`ir::TableDef::write_behaviour`]): 100,000 rows never become a JSON
/// tree. A policy without tables hashes exactly its behaviour's text.
pub fn policy_version(ir: &PolicyIr) -> String {
    let mut h = Sha256::new();
    // Writing into a hash state cannot fail; if it did, the version would
    // still be a deterministic function of what was written.
    let _ = ir.write_behaviour_without_tables(&mut h);
    for t in &ir.tables {
        h.update(b"\ntable ");
        let _ = t.write_behaviour(&mut h);
    }
    hex(h)
}

fn hex(h: Sha256) -> String {
    let digest = h.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Lowers a checked policy. `None` when it has errors.
pub fn lower(sources: &SourceSet, checked: &Checked) -> Option<PolicyIr> {
    if checked.has_errors() {
        return None;
    }
    let syms = checked.symbols();
    let slots = syms.schema?.fields.iter().enumerate().map(|(i, f)| (f.name.name.as_str(), i as u32)).collect();
    let l = Lowerer { syms: &syms, sources, slots, at: Ordinals::new(&syms) };
    let mut ir = l.policy(sources, checked.entry.as_deref()?);
    (ir.tables, ir.free_mail) = l.tables(checked);
    ir.format_version = ir.needed_version();
    ir.policy_version = policy_version(&ir);
    Some(ir)
}

fn ty(t: &Ty, syms: &Symbols) -> ir::FieldType {
    match t {
        Ty::Int => ir::FieldType::Int,
        Ty::Float => ir::FieldType::Float,
        Ty::Bool => ir::FieldType::Bool,
        Ty::Time => ir::FieldType::Time,
        Ty::Enum(e) => ir::FieldType::Enum(syms.enums.keys().position(|k| k == e).unwrap_or(0) as u32),
        Ty::List(inner) => ir::FieldType::List(Box::new(ty(inner, syms))),
        _ => ir::FieldType::String,
    }
}

impl<'s, 'a> Lowerer<'s, 'a> {
    /// A place for decisions and traces. The file is named by its base name,
    /// so decisions do not depend on how the policy's path was spelled.
    fn loc(&self, span: Span) -> ir::Loc {
        let f = self.sources.get(span.file);
        let (line, column) = f.line_col(span.start as usize);
        let file = std::path::Path::new(&f.name).file_name().map_or(f.name.clone(), |n| n.to_string_lossy().into_owned());
        ir::Loc { file, line: line as u32, column: column as u32 }
    }

    fn condition(&self, e: &Expr, in_route: bool) -> ir::Condition {
        let text = self.sources.slice(e.span).split_whitespace().collect::<Vec<_>>().join(" ");
        ir::Condition { expr: self.expr(e, in_route, None).0, text }
    }

    /// A declaration's index in the IR from its kind's [`Ordinals`] (0 for a
    /// name `check` would have refused).
    fn index(&self, kind: impl for<'o> Fn(&'o Ordinals<'s>) -> &'o FxHashMap<&'s str, u32>, name: &str) -> u32 {
        kind(&self.at).get(name).copied().unwrap_or(0)
    }

    fn strategy(&self, s: &StrategyRef) -> ir::Strategy {
        match s.name.name.as_str() {
            "weighted" => ir::Strategy::Weighted,
            "capacity" => ir::Strategy::Capacity,
            "sticky" => ir::Strategy::Sticky { field: s.arg.as_ref().and_then(|a| self.slots.get(a.name.as_str()).copied()).unwrap_or(0) },
            _ => ir::Strategy::RoundRobin,
        }
    }

    fn fallback(&self, f: &Option<Fallback>) -> ir::Fallback {
        match f {
            None => ir::Fallback::Handler,
            Some(Fallback::Continue(_)) => ir::Fallback::Continue,
            Some(Fallback::Action(a)) => ir::Fallback::Action(Box::new(self.action(a))),
        }
    }

    fn action(&self, a: &Action) -> ir::Action {
        let fallback = |f: &Option<Fallback>| self.fallback(f);
        match &a.kind {
            ActionKind::Assign { target, fallback: f } => match target {
                AssignTarget::Team { team, by } => ir::Action::AssignTeam {
                    team: self.index(|o| &o.teams, &team.name),
                    strategy: by.as_ref().map(|s| self.strategy(s)),
                    fallback: fallback(f),
                },
                AssignTarget::Rep(r) => ir::Action::AssignRep { rep: self.index(|o| &o.reps, &r.name), fallback: fallback(f) },
                AssignTarget::Owner(field) => {
                    ir::Action::AssignOwner { field: self.slots.get(field.name.as_str()).copied().unwrap_or(0), fallback: fallback(f) }
                }
                // Only the duplicate handler's own target (lowered there); the checker rejects it elsewhere.
                AssignTarget::Previous(_) => ir::Action::Drop { reason: "`previous owner` outside `on duplicate`".into() },
                AssignTarget::OwnerOf(value) => ir::Action::AssignOwnerOf { value: self.expr(value, false, None).0, fallback: fallback(f) },
            },
            ActionKind::Queue(q) => ir::Action::Queue { queue: self.index(|o| &o.queues, &q.name) },
            ActionKind::Route(r) => ir::Action::Route { route: self.index(|o| &o.routes, &r.name) },
            ActionKind::Drop(reason) => ir::Action::Drop { reason: reason.value.clone() },
        }
    }

    fn value_json(&self, v: &Value) -> serde_json::Value {
        match &v.kind {
            ValueKind::Str(s) | ValueKind::Name(s) => serde_json::json!(s),
            ValueKind::Int(i) => serde_json::json!(i),
            ValueKind::Float(f) => serde_json::json!(f),
            ValueKind::Bool(b) => serde_json::json!(b),
            ValueKind::Null => serde_json::Value::Null,
            ValueKind::List(items) => serde_json::Value::Array(items.iter().map(|i| self.value_json(i)).collect()),
        }
    }

    fn value(&self, v: &Value, t: &Ty) -> ir::Value {
        match (&v.kind, t) {
            (ValueKind::Int(i), Ty::Float) => ir::Value::Float(*i as f64),
            (ValueKind::Int(i), _) => ir::Value::Int(*i),
            (ValueKind::Float(f), _) => ir::Value::Float(*f),
            (ValueKind::Bool(b), _) => ir::Value::Bool(*b),
            (ValueKind::Str(s), Ty::Time) => ir::Value::Time(leadroute_runtime::parse_time(s).unwrap_or(0)),
            (ValueKind::Str(s) | ValueKind::Name(s), Ty::Enum(e)) => ir::Value::Enum(
                self.syms.variant_index(e, s).unwrap_or(0) as u32,
            ),
            (ValueKind::Str(s) | ValueKind::Name(s), _) => ir::Value::Str(s.clone()),
            (ValueKind::List(items), Ty::List(inner)) => ir::Value::List(items.iter().map(|i| self.value(i, inner)).collect()),
            _ => ir::Value::Bool(false),
        }
    }

    fn policy(&self, sources: &SourceSet, entry: &str) -> PolicyIr {
        let syms = self.syms;
        let header = syms.header;
        let prop = |want: &str| {
            header.and_then(|h| {
                h.props.iter().find_map(|p| match &p.value {
                    PolicyProp::Owner(s) if want == "owner" => Some(s.value.clone()),
                    PolicyProp::Timezone(s) if want == "timezone" => Some(s.value.clone()),
                    _ => None,
                })
            })
        };
        let timezone = prop("timezone").unwrap_or_else(|| "UTC".to_string());
        let fields = syms
            .schema
            .map(|s| s.fields.iter().map(|f| {
                let info = &syms.fields[&f.name.name];
                ir::FieldDef { name: f.name.name.clone(), ty: ty(&info.ty, syms), optional: info.optional }
            }).collect())
            .unwrap_or_default();
        let reps = syms.reps.values().map(|r| self.rep(r, &timezone)).collect();
        let teams = syms
            .teams
            .values()
            .map(|t| {
                let mut def = ir::TeamDef {
                    name: t.name.name.clone(),
                    members: Vec::new(),
                    strategy: ir::Strategy::RoundRobin,
                    timezone: None,
                    hours: Vec::new(),
                    calendars: Vec::new(),
                };
                for p in &t.props {
                    match &p.value {
                        TeamProp::Members(m) => def.members.extend(m.iter().map(|i| self.index(|o| &o.reps, &i.name))),
                        TeamProp::Strategy(s) => def.strategy = self.strategy(s),
                        TeamProp::Timezone(tz) => def.timezone = Some(tz.value.clone()),
                        TeamProp::Hours(h) => def.hours.push(hours(h)),
                        TeamProp::Calendar(c) => def.calendars.push(self.index(|o| &o.calendars, &c.name)),
                    }
                }
                def
            })
            .collect();
        let queues = syms
            .queues
            .values()
            .map(|q| {
                let mut def = ir::QueueDef {
                    name: q.name.name.clone(),
                    owner: None,
                    sla_ms: None,
                    escalate: None,
                    sla_business: false,
                    timezone: None,
                    hours: Vec::new(),
                    calendars: Vec::new(),
                };
                for p in &q.props {
                    match &p.value {
                        QueueProp::Owner(o) => def.owner = Some(o.value.clone()),
                        QueueProp::Sla(s, business) => (def.sla_ms, def.sla_business) = (Some(s.value), business.is_some()),
                        QueueProp::Timezone(tz) => def.timezone = Some(tz.value.clone()),
                        QueueProp::Hours(h) => def.hours.push(hours(h)),
                        QueueProp::Calendar(c) => def.calendars.push(self.index(|o| &o.calendars, &c.name)),
                        QueueProp::Escalate(Escalate::Queue(to)) => def.escalate = Some(ir::EscalateDef::Queue { queue: self.index(|o| &o.queues, &to.name) }),
                        QueueProp::Escalate(Escalate::Notify(m)) => def.escalate = Some(ir::EscalateDef::Notify { message: m.value.clone() }),
                    }
                }
                def
            })
            .collect();
        let tiers = syms
            .tiers
            .iter()
            .map(|t| ir::TierDef {
                name: t.name.name.clone(),
                condition: match &t.guard {
                    Guard::When(e) => Some(self.condition(e, false)),
                    Guard::Otherwise(_) => None,
                },
                sla_ms: t.sla.map(|s| s.value),
                sla_business: t.business.is_some(),
                loc: self.loc(t.name.span),
            })
            .collect();
        let territories = syms
            .territories
            .iter()
            .map(|t| ir::TerritoryDef { name: t.name.name.clone(), condition: self.condition(&t.condition, false), loc: self.loc(t.name.span) })
            .collect();
        let routes = syms
            .routes
            .values()
            .map(|r| ir::RouteDef {
                name: r.name.name.clone(),
                rules: r
                    .rules
                    .iter()
                    .map(|rule| ir::RuleDef {
                        name: rule.name.as_ref().map(|n| n.name.clone()),
                        condition: match &rule.guard {
                            Guard::When(e) => Some(self.condition(e, true)),
                            Guard::Otherwise(_) => None,
                        },
                        action: self.action(&rule.action),
                        loc: self.loc(rule.span),
                    })
                    .collect(),
                loc: self.loc(r.name.span),
            })
            .collect();
        let mut handlers = ir::Handlers::default();
        for h in &syms.handlers {
            match (&h.exception, &h.action) {
                (Exception::Missing { field, .. }, action) => {
                    let Some(&slot) = self.slots.get(field.name.as_str()) else { continue };
                    let handling = match action {
                        HandlerAction::Assume(v) => ir::MissingHandling::Assume(self.value(v, &syms.fields[&field.name].ty)),
                        HandlerAction::Action(a) => ir::MissingHandling::Action(self.action(a)),
                    };
                    handlers.missing.push(ir::MissingHandler { field: slot, handling });
                }
                (Exception::Named(n), HandlerAction::Action(a)) => {
                    let slot = match n.name.as_str() {
                        "ambiguous_territory" => &mut handlers.ambiguous_territory,
                        "no_available_rep" => &mut handlers.no_available_rep,
                        "over_capacity" => &mut handlers.over_capacity,
                        _ => &mut handlers.no_match,
                    };
                    *slot = Some(self.action(a));
                }
                _ => {}
            }
        }
        let tests = syms.tests.iter().map(|t| self.test(t)).collect();
        let (breach, reminders) = self.sla();
        PolicyIr {
            format_version: ir::FORMAT_VERSION,
            policy_version: String::new(),
            source_digest: source_digest(sources),
            name: header.map_or_else(String::new, |h| h.name.name.clone()),
            owner: prop("owner"),
            timezone: timezone.clone(),
            enums: syms.enums.values().map(|e| ir::EnumDef { name: e.name.name.clone(), variants: e.variants.iter().map(|v| v.name.clone()).collect() }).collect(),
            fields,
            reps,
            teams,
            queues,
            tiers,
            territories,
            routes,
            entry: self.index(|o| &o.routes, entry),
            handlers,
            tests,
            breach,
            reminders,
            duplicate: syms.duplicates.first().map(|h| self.duplicate(h)),
            calendars: syms
                .calendars
                .values()
                .map(|c| {
                    let mut days: Vec<ir::HolidayDef> = c
                        .days
                        .iter()
                        .filter_map(|h| {
                            let date = crate::check::schedule::ymd(h.date.value?);
                            Some(ir::HolidayDef { date, name: h.label.as_ref().map(|l| l.value.clone()) })
                        })
                        .collect();
                    days.sort_by(|a, b| a.date.cmp(&b.date));
                    ir::CalendarDef { name: c.name.name.clone(), days }
                })
                .collect(),
            tables: Vec::new(),
            free_mail: Vec::new(),
        }
    }

    /// `on duplicate(within D[, by FIELD]) -> ...`: the key's slot, the window and the action.
    fn duplicate(&self, h: &DuplicateDecl) -> ir::DuplicateDef {
        let key = h.by.as_ref().map_or(crate::check::duplicate::DEFAULT_KEY, |f| f.name.as_str());
        let action = match &h.action.kind {
            ActionKind::Assign { target: AssignTarget::Previous(_), fallback } => ir::DuplicateAction::AssignPrevious { fallback: self.fallback(fallback) },
            _ => ir::DuplicateAction::Act { action: self.action(&h.action) },
        };
        let text = self.sources.slice(h.span).split_whitespace().collect::<Vec<_>>().join(" ");
        ir::DuplicateDef { key: self.slots.get(key).copied().unwrap_or(0), window_ms: h.within.value, action, loc: self.loc(h.span), text }
    }

    /// The `on sla_breach` handlers and `on sla_warning` reminders.
    fn sla(&self) -> (Vec<ir::BreachDef>, Vec<ir::ReminderDef>) {
        let (mut breach, mut reminders) = (Vec::new(), Vec::new());
        for h in &self.syms.sla {
            let tier = h.event.tier.as_ref().and_then(|t| self.syms.tier_index(&t.name)).map(|i| i as u32);
            match (h.event.kind, &h.action.kind) {
                (SlaEventKind::Warning, SlaActionKind::Notify(m)) => reminders.push(ir::ReminderDef {
                    tier,
                    before_ms: h.event.before.map_or(0, |b| b.value),
                    message: m.value.clone(),
                    loc: self.loc(h.span),
                }),
                (SlaEventKind::Warning, _) => {}
                (SlaEventKind::Breach, kind) => {
                    let action = match kind {
                        SlaActionKind::Reassign { fallback } => ir::BreachAction::Reassign { fallback: self.fallback(fallback) },
                        SlaActionKind::Notify(m) => ir::BreachAction::Notify { message: m.value.clone() },
                        SlaActionKind::Action(a) => ir::BreachAction::Act { action: self.action(a) },
                    };
                    let text = self.sources.slice(h.span).split_whitespace().collect::<Vec<_>>().join(" ");
                    breach.push(ir::BreachDef { tier, action, loc: self.loc(h.span), text });
                }
            }
        }
        (breach, reminders)
    }

    fn rep(&self, r: &RepDecl, policy_tz: &str) -> ir::RepDef {
        let mut def = ir::RepDef {
            id: r.name.name.clone(),
            email: None,
            weight: 1,
            max_open: None,
            max_per_day: None,
            timezone: policy_tz.to_string(),
            hours: Vec::new(),
            calendars: Vec::new(),
            cap_per_shift: false,
            skills: Vec::new(),
            active: true,
        };
        for p in &r.props {
            match &p.value {
                RepProp::Email(e) => def.email = Some(e.value.clone()),
                RepProp::Weight(w) => def.weight = w.value.clamp(1, i64::from(u32::MAX)) as u32,
                RepProp::Capacity { amount, per_day, per_shift } => {
                    let cap = Some(amount.value.clamp(0, i64::from(u32::MAX)) as u32);
                    if *per_day || *per_shift {
                        def.max_per_day = cap;
                        def.cap_per_shift = *per_shift;
                    } else {
                        def.max_open = cap;
                    }
                }
                RepProp::Timezone(tz) => def.timezone = tz.value.clone(),
                RepProp::Hours(h) => def.hours.push(hours(h)),
                RepProp::Calendar(c) => def.calendars.push(self.index(|o| &o.calendars, &c.name)),
                RepProp::Skills(s) => def.skills = s.iter().map(|i| i.name.clone()).collect(),
                RepProp::Active(a) => def.active = a.value,
            }
        }
        // `hours ... "Zone"` without a `timezone` property: the rep lives in that zone.
        let has_tz = r.props.iter().any(|p| matches!(p.value, RepProp::Timezone(_)));
        if let (false, Some(tz)) = (has_tz, def.hours.iter().find_map(|h| h.timezone.clone())) {
            def.timezone = tz;
        }
        def
    }

    fn test(&self, t: &TestDecl) -> ir::TestDef {
        let mut def = ir::TestDef {
            name: t.name.value.clone(),
            loc: self.loc(t.name.span),
            now: None,
            lead: serde_json::Value::Object(Default::default()),
            state: serde_json::Value::Object(Default::default()),
            expect: Vec::new(),
            breach: Vec::new(),
            prior: None,
        };
        for item in &t.items {
            match item {
                TestItem::Now(s) => def.now = Some(s.value.clone()),
                TestItem::Lead(r) => {
                    def.lead = serde_json::Value::Object(r.fields.iter().map(|f| (f.name.name.clone(), self.value_json(&f.value))).collect())
                }
                TestItem::State(entries) => {
                    let mut obj = serde_json::Map::new();
                    for e in entries {
                        let fields = e.record.fields.iter().map(|f| (f.name.name.clone(), self.value_json(&f.value))).collect();
                        obj.insert(e.rep.name.clone(), serde_json::Value::Object(fields));
                    }
                    def.state = serde_json::Value::Object(obj);
                }
                TestItem::Expect(list) => def.expect.extend(list.iter().map(expectation)),
                TestItem::Prior(r) => def.prior = Some(prior_of(r)),
                TestItem::Breach(b) => def.breach.push(ir::BreachCheck {
                    after_ms: b.after.value,
                    expect: b.expect.iter().map(expectation).collect(),
                    loc: self.loc(b.span),
                }),
            }
        }
        def
    }
}

/// A test's `prior { lead: "L-1", owner: alice, at: "..." }` (checked: the time reads).
fn prior_of(r: &Record) -> leadroute_runtime::Prior {
    let text = |name: &str| {
        r.fields.iter().find(|f| f.name.name == name).and_then(|f| match &f.value.kind {
            ValueKind::Str(s) | ValueKind::Name(s) => Some(s.clone()),
            _ => None,
        })
    };
    let at = text("at").and_then(|t| t.parse::<jiff::Timestamp>().ok()).map_or(0, |t| t.as_millisecond());
    leadroute_runtime::Prior::new(text("lead").unwrap_or_default(), at).owned_by(text("owner"))
}

fn expectation(e: &Expectation) -> ir::Expectation {
    let name = e.name.as_ref().map(|n| n.name.clone()).unwrap_or_default();
    match e.kind {
        ExpectKind::Team => ir::Expectation::Team(name),
        ExpectKind::Rep => ir::Expectation::Rep(name),
        ExpectKind::Queue => ir::Expectation::Queue(name),
        ExpectKind::Tier => ir::Expectation::Tier(name),
        ExpectKind::Territory => ir::Expectation::Territory(name),
        ExpectKind::Route => ir::Expectation::Route(name),
        ExpectKind::Assigned => ir::Expectation::Assigned,
        ExpectKind::Queued => ir::Expectation::Queued,
        ExpectKind::Dropped => ir::Expectation::Dropped,
    }
}

/// Working hours in the IR: a day range that wraps (`fri-mon`) takes the days
/// from its first through Sunday and from Monday through its last.
fn hours(h: &Hours) -> ir::HoursDef {
    let days = h.days.iter().fold(0u8, |m, d| {
        let last = if d.to < d.from { d.to + 7 } else { d.to };
        (d.from..=last).fold(m, |m, day| m | (1 << (day % 7)))
    });
    ir::HoursDef { days, start: h.start.value, end: h.end.value, timezone: h.timezone.as_ref().map(|t| t.value.clone()) }
}
