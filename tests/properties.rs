//! Property tests of the engine: each test is one named behaviour of
//! routing, checked on many generated inputs.
//!
//! Policies are Route text written here: small, purpose-built teams generated
//! from the test's inputs, plus the shipped `examples/inbound.route` with
//! `examples/state.json` for the properties about whole policies. Rep names
//! are `r0`, `r1`, ... so their index in the IR (reps are sorted by name) is
//! their number.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use leadroute_runtime::{parse_time, Backend, Decision, Engine, EngineOptions, Lead, LeadOptions, Outcome, Policy, State};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------- helpers

/// Compiles Route text into a loaded policy; any error diagnostic fails the test.
fn compile(text: &str) -> Policy {
    Policy::from_ir(common::ir_of(&[("p.route", text)])).expect("loads")
}

mod common;

/// `n` cases per property, or `PROPTEST_CASES` when set (a longer run:
/// `PROPTEST_CASES=5000 cargo test --release --test properties`).
fn config(n: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(n);
    // No regression files: a failure prints its minimal input, which belongs in a plain #[test].
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

fn ms(rfc3339: &str) -> i64 {
    parse_time(rfc3339).unwrap_or_else(|| panic!("bad time {rfc3339}"))
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).expect("in range").to_string()
}

const MINUTE: i64 = 60_000;

/// Tuesday 2026-11-24, 10:00 in New York: a plain business hour.
fn tuesday() -> i64 {
    ms("2026-11-24T15:00:00Z")
}

/// Any minute of 2026.
fn arb_now_2026() -> impl Strategy<Value = i64> {
    (0i64..365 * 24 * 60).prop_map(|m| ms("2026-01-01T00:00:00Z") + m * MINUTE)
}

fn rep_index(d: &Decision) -> Option<usize> {
    d.rep.as_deref().map(|r| r.strip_prefix('r').and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("unexpected rep {r}")))
}

// ---------------------------------------------------------------- generated team policies

static DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
static ZONES: [&str; 8] = [
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Chatham",
];

/// `hours DAYS START-END ["Zone"]`.
#[derive(Debug, Clone)]
struct Hours {
    days: BTreeSet<u8>,
    start: u16,
    end: u16,
    /// The zone written on the entry; `None`: the rep's zone.
    zone: Option<&'static str>,
}

impl Hours {
    /// Whether `now` falls inside these hours in `zone`: an independent reading of the spec.
    fn contains(&self, now: i64, zone: &str) -> bool {
        let tz = jiff::tz::TimeZone::get(zone).expect("zone");
        let local = jiff::Timestamp::from_millisecond(now).expect("in range").to_zoned(tz);
        let weekday = local.weekday().to_monday_zero_offset() as u8;
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        self.days.contains(&weekday) && self.start <= minute && minute < self.end
    }
}

fn arb_hours() -> impl Strategy<Value = Hours> {
    (prop::collection::btree_set(0u8..7, 1..=7), 0u16..48, 1u16..=48, prop::option::of(select(&ZONES[..]))).prop_map(
        |(days, half_hour, len, zone)| {
            let start = half_hour * 30;
            Hours { days, start, end: (start + len * 30).min(24 * 60), zone }
        },
    )
}

#[derive(Debug, Clone)]
struct RepSpec {
    weight: u32,
    open_cap: Option<u32>,
    day_cap: Option<u32>,
    /// `timezone "Zone"`.
    timezone: Option<&'static str>,
    hours: Vec<Hours>,
    declared_active: bool,
}

impl RepSpec {
    fn plain() -> RepSpec {
        RepSpec { weight: 1, open_cap: None, day_cap: None, timezone: None, hours: Vec::new(), declared_active: true }
    }

    /// The rep's zone: its `timezone`, else the first zone written on its
    /// hours, else the policy's (UTC in generated policies).
    fn zone(&self) -> &'static str {
        self.timezone.or_else(|| self.hours.iter().find_map(|h| h.zone)).unwrap_or("UTC")
    }

    /// Inside working hours at `now`: no hours means always.
    fn in_hours(&self, now: i64) -> bool {
        self.hours.is_empty() || self.hours.iter().any(|h| h.contains(now, h.zone.unwrap_or(self.zone())))
    }
}

fn clock(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn rep_text(i: usize, r: &RepSpec) -> String {
    let mut s = format!("rep r{i} {{ email \"r{i}@example.com\"  weight {}", r.weight);
    if let Some(c) = r.open_cap {
        s += &format!("  capacity {c} open");
    }
    if let Some(c) = r.day_cap {
        s += &format!("  capacity {c} per day");
    }
    if let Some(tz) = r.timezone {
        s += &format!("  timezone \"{tz}\"");
    }
    for h in &r.hours {
        let days: Vec<&str> = h.days.iter().map(|d| DAY_NAMES[*d as usize]).collect();
        s += &format!("  hours {} {}-{}", days.join(", "), clock(h.start), clock(h.end));
        if let Some(zone) = h.zone {
            s += &format!(" \"{zone}\"");
        }
    }
    if !r.declared_active {
        s += "  active false";
    }
    s + " }\n"
}

/// What happens when nobody in the team can take a lead.
#[derive(Debug, Clone, Copy)]
enum Overflow {
    /// `assign team t else queue overflow`
    ElseQueue,
    /// `assign team t` with `on no_available_rep -> queue overflow`
    Handler,
}

fn arb_overflow() -> impl Strategy<Value = Overflow> {
    prop_oneof![Just(Overflow::ElseQueue), Just(Overflow::Handler)]
}

/// A policy with reps `r0..`, one team `t` of `members` (positions into
/// `reps`, in this order), a queue `overflow`, and one route that assigns
/// every lead to the team. `strategy` is the team's; `by` overrides it in the rule.
fn team_policy(reps: &[RepSpec], members: &[usize], strategy: &str, by: Option<&str>, overflow: Overflow) -> String {
    let mut text = String::from(
        "policy generated { owner \"ops@example.com\"  timezone \"UTC\" }\n\
         schema lead { id: string  account_owner: string? }\n",
    );
    for (i, r) in reps.iter().enumerate() {
        text += &rep_text(i, r);
    }
    let names: Vec<String> = members.iter().map(|m| format!("r{m}")).collect();
    text += &format!("team t {{ members [{}]  strategy {strategy} }}\n", names.join(", "));
    text += "queue overflow { owner \"ops@example.com\"  sla 1h }\n";
    text += "tier any otherwise sla 1h\n";
    let by = by.map(|s| format!(" by {s}")).unwrap_or_default();
    match overflow {
        Overflow::ElseQueue => text += &format!("route main {{ otherwise -> assign team t{by} else queue overflow }}\n"),
        Overflow::Handler => {
            text += &format!("route main {{ otherwise -> assign team t{by} }}\n");
            text += "on no_available_rep -> queue overflow\n";
        }
    }
    text
}

/// Compiles a team policy and checks the rep numbering assumption.
fn team_engine_policy(text: &str, n: usize) -> Policy {
    let policy = compile(text);
    let ids: Vec<String> = policy.ir().reps.iter().map(|r| r.id.clone()).collect();
    let want: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
    assert_eq!(ids, want, "rep order");
    policy
}

fn plain_lead(k: usize) -> Value {
    json!({ "id": format!("L-{k}") })
}

fn assert_overflowed(d: &Decision) {
    assert_eq!(d.outcome, Outcome::Queued, "expected the overflow queue: {d:#?}");
    assert_eq!(d.queue.as_deref(), Some("overflow"), "{d:#?}");
}

/// The four strategies, as written after `strategy`.
static STRATEGIES: [&str; 4] = ["round_robin", "weighted", "capacity", "sticky(account_owner)"];

// ---------------------------------------------------------------- the inbound example

const INBOUND: &str = include_str!("../examples/inbound.route");
const INBOUND_STATE: &str = include_str!("../examples/state.json");

static INBOUND_POLICY: LazyLock<Policy> = LazyLock::new(|| compile(INBOUND));
static INBOUND_START: LazyLock<State> = LazyLock::new(|| {
    let (state, warnings) = State::from_json(INBOUND_POLICY.ir(), INBOUND_STATE).expect("examples/state.json reads");
    assert!(warnings.is_empty(), "{warnings:?}");
    state
});

static US_STATES: [&str; 10] = ["CA", "WA", "TX", "NY", "MA", "FL", "IL", "CO", "ZZ", "ca"];
static COUNTRIES: [&str; 14] = ["US", "US", "US", "GB", "DE", "ES", "JP", "SG", "AU", "BR", "CN", "us", "", "ZA"];
static DOMAINS: [&str; 12] = [
    "globex.example",
    "initech.example",
    "hooli.example",
    "umbrella.example",
    "stark.example",
    "gmail.com",
    "GMAIL.COM",
    "acme.example",
    "qa.acme.example",
    "proton.me",
    "",
    "x.y.z",
];
static SEGMENTS: [&str; 3] = ["smb", "mid_market", "enterprise"];
static SOURCES: [&str; 6] = ["chat", "paid", "web", "partner", "event", "referral"];
static CAMPAIGNS: [&str; 5] = ["abm-q4-japan", "abm-", "spring-webinar", "", "ABM-upper"];
static OWNERS: [&str; 14] =
    ["alice", "bob", "carol", "dan", "erin", "frank", "grace", "kenji", "sam", "paula", "victor", "nobody", "ALICE", ""];
static TAGS: [&str; 6] = ["spam", "vip", "deal-registration", "webinar", "pricing-page", "smoke-test"];

/// A valid lead for `examples/inbound.route`; times are relative to the decision time.
#[derive(Debug, Clone)]
struct InboundLead {
    id: String,
    email_local: String,
    email_domain: Option<&'static str>,
    company: String,
    country: &'static str,
    state: Option<&'static str>,
    employees: Option<i64>,
    segment: Option<&'static str>,
    intent: f64,
    source: &'static str,
    campaign: Option<&'static str>,
    account_owner: Option<&'static str>,
    created_minutes_ago: i64,
    tags: Vec<&'static str>,
    /// Absent optionals are written as `null` rather than left out.
    nulls: bool,
}

impl InboundLead {
    fn to_json(&self, now: i64) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), json!(self.id));
        let email = match self.email_domain {
            Some(d) => format!("{}@{d}", self.email_local),
            None => self.email_local.clone(),
        };
        o.insert("email".into(), json!(email));
        o.insert("company".into(), json!(self.company));
        o.insert("country".into(), json!(self.country));
        o.insert("intent".into(), json!(self.intent));
        o.insert("source".into(), json!(self.source));
        o.insert("created_at".into(), json!(rfc3339(now - self.created_minutes_ago * MINUTE)));
        o.insert("tags".into(), json!(self.tags));
        let mut opt = |k: &str, v: Option<Value>| match v {
            Some(v) => {
                o.insert(k.into(), v);
            }
            None if self.nulls => {
                o.insert(k.into(), Value::Null);
            }
            None => {}
        };
        opt("state", self.state.map(|s| json!(s)));
        opt("employees", self.employees.map(|e| json!(e)));
        opt("segment", self.segment.map(|s| json!(s)));
        opt("campaign", self.campaign.map(|s| json!(s)));
        opt("account_owner", self.account_owner.map(|s| json!(s)));
        Value::Object(o)
    }
}

fn arb_intent() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => 0.0f64..100.0,
        1 => select(vec![0.0, 40.0, 50.0, 80.0, 100.0, -1.0, 1e300, -1e300, f64::MAX, f64::MIN_POSITIVE]),
        1 => prop::num::f64::NORMAL | prop::num::f64::ZERO | prop::num::f64::SUBNORMAL,
    ]
}

fn arb_employees() -> impl Strategy<Value = i64> {
    prop_oneof![4 => 0i64..5000, 1 => select(vec![999i64, 1000, 1001, -1, 0]), 1 => any::<i64>()]
}

fn arb_inbound_lead() -> impl Strategy<Value = InboundLead> {
    let who = (
        "[A-Z]-[0-9]{1,6}",
        "[a-z.+]{1,8}",
        prop::option::weighted(0.95, prop_oneof![6 => select(&DOMAINS[..5]), 1 => select(&DOMAINS[..])]),
        "[A-Za-z ]{0,12}",
        select(&COUNTRIES[..]),
        prop::option::of(select(&US_STATES[..])),
    );
    let what = (
        prop::option::of(arb_employees()),
        prop::option::of(select(&SEGMENTS[..])),
        arb_intent(),
        select(&SOURCES[..]),
        prop::option::of(select(&CAMPAIGNS[..])),
        prop::option::weighted(0.3, select(&OWNERS[..])),
        prop_oneof![8 => 0i64..120, 1 => -60i64..60 * 24 * 60, 1 => -(60i64 * 24 * 30)..(60 * 24 * 400)],
        prop_oneof![
            3 => Just(Vec::new()),
            1 => prop::sample::subsequence(&TAGS[..], 0..=3).prop_map(|t| t.into_iter().collect::<Vec<_>>()),
        ],
        prop::bool::weighted(0.2),
    );
    (who, what).prop_map(
        |(
            (id, email_local, email_domain, company, country, state),
            (employees, segment, intent, source, campaign, account_owner, created_minutes_ago, tags, nulls),
        )| InboundLead {
            id,
            email_local,
            email_domain,
            company,
            country,
            state,
            employees,
            segment,
            intent,
            source,
            campaign,
            account_owner,
            created_minutes_ago,
            tags,
            nulls,
        },
    )
}

/// A decision time in the week of `examples/state.json` (its `as_of` is
/// 2026-11-24): mostly weekday hours when some rep somewhere works, else any minute.
fn arb_inbound_now() -> impl Strategy<Value = i64> {
    prop_oneof![
        1 => (0i64..7 * 24 * 60).prop_map(|m| ms("2026-11-22T00:00:00Z") + m * MINUTE),
        2 => (0i64..5, 0i64..24 * 60).prop_map(|(d, m)| ms("2026-11-23T00:00:00Z") + d * 24 * 60 * MINUTE + m * MINUTE),
        2 => (0i64..5, 13 * 60i64..24 * 60).prop_map(|(d, m)| ms("2026-11-23T00:00:00Z") + d * 24 * 60 * MINUTE + m * MINUTE),
    ]
}

/// Random changes to the example state: (rep, open load, today's count, active).
fn arb_state_changes() -> impl Strategy<Value = Vec<(Index, u32, u32, bool)>> {
    prop::collection::vec((any::<Index>(), 0u32..70, 0u32..12, prop::bool::weighted(0.85)), 0..6)
}

fn changed_state(changes: &[(Index, u32, u32, bool)]) -> State {
    let mut state = INBOUND_START.clone();
    for (rep, open, today, active) in changes {
        let r = &mut state.reps[rep.index(INBOUND_POLICY.ir().reps.len())];
        r.open_load = *open;
        r.assigned_today = *today;
        r.active = *active;
    }
    state
}

// ---------------------------------------------------------------- arbitrary JSON

static FIELD_NAMES: [&str; 14] = [
    "id",
    "email",
    "company",
    "country",
    "state",
    "employees",
    "segment",
    "intent",
    "source",
    "campaign",
    "account_owner",
    "created_at",
    "tags",
    "extra",
];

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        1 => select(&FIELD_NAMES[..]).prop_map(String::from),
        1 => select(&SOURCES[..]).prop_map(String::from),
        1 => select(&OWNERS[..]).prop_map(String::from),
        1 => select(vec![
            "2026-11-24T15:00:00Z",
            "9999-12-31T23:59:59Z",
            "-009999-01-01T00:00:00Z",
            "0000-01-01T00:00:00+23:59",
            "2026-02-30T00:00:00Z",
            "2026-11-24",
            "abm-",
            "spam",
            "vip",
            "a@acme.example",
            "@",
            "\u{0}",
            "ß\u{301}İ",
        ])
        .prop_map(String::from),
    ]
}

fn arb_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|i| json!(i)),
        any::<u64>().prop_map(|u| json!(u)),
        select(vec![0i64, 1, -1, 999, 1000, i64::MIN, i64::MAX, 9_000_000_000_000_000, u32::MAX as i64]).prop_map(|i| json!(i)),
        prop::num::f64::ANY.prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        select(vec![1e308, -1e308, 9.0e15, -9.1e15, 0.5, -0.0, 80.0, 1e-300]).prop_map(|f| json!(f)),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number(),
        arb_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((arb_text(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Decision times including ones far outside any calendar.
fn arb_any_now() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => arb_inbound_now(),
        1 => any::<i64>(),
        1 => select(vec![i64::MIN, i64::MAX, 0, -1, 253_402_300_799_999, -377_705_116_800_000]),
    ]
}

// ---------------------------------------------------------------- 1. determinism

proptest! {
    #![proptest_config(config(64))]

    /// Deciding is a pure function of (policy, lead, state, now): twice on
    /// cloned state gives equal decisions and equal JSON, with or without a
    /// trace, and asking for a trace does not change the decision.
    #[test]
    fn same_inputs_give_the_same_decision(
        lead in arb_inbound_lead(),
        now in arb_inbound_now(),
        changes in arb_state_changes(),
    ) {
        let policy = &*INBOUND_POLICY;
        let state = changed_state(&changes);
        let json = lead.to_json(now);
        let lead = Lead::from_json(policy.ir(), &json, LeadOptions::default()).expect("a valid lead");
        let (s1, s2) = (state.clone(), state.clone());
        let (m1, m2) = (policy.at(now), policy.at(now));
        for explain in [false, true] {
            let d1 = policy.decide(&lead, &s1, &m1, explain);
            let d2 = policy.decide(&lead, &s2, &m2, explain);
            prop_assert_eq!(&d1, &d2);
            prop_assert_eq!(d1.to_json_line(), d2.to_json_line());
            prop_assert_eq!(d1.to_human(), d2.to_human());
        }
        let mut plain = policy.decide(&lead, &state, &m1, false);
        let mut traced = policy.decide(&lead, &state, &m1, true);
        prop_assert!(traced.trace.is_some());
        traced.trace = None;
        plain.trace = None;
        prop_assert_eq!(plain, traced);
        prop_assert_eq!(&s1, &state);
    }

    /// Two engines started from the same state and fed the same leads make the
    /// same decisions and end in the same state.
    #[test]
    fn same_lead_sequence_gives_the_same_decisions_and_state(
        leads in prop::collection::vec((arb_inbound_lead(), 0i64..90), 1..12),
        now in arb_inbound_now(),
        changes in arb_state_changes(),
    ) {
        let state = changed_state(&changes);
        let mut a = Engine::with_state(INBOUND_POLICY.clone(), state.clone());
        let mut b = Engine::with_state(INBOUND_POLICY.clone(), state);
        let mut t = now;
        for (lead, gap) in &leads {
            t += gap * MINUTE;
            let json = lead.to_json(t);
            let (da, db) = (a.route(&json, ts(t)), b.route(&json, ts(t)));
            prop_assert_eq!(da.to_json_line(), db.to_json_line());
            prop_assert_eq!(da, db);
        }
        prop_assert_eq!(a.state(), b.state());
        prop_assert_eq!(a.state().to_json(a.policy().ir()), b.state().to_json(b.policy().ir()));
    }
}

// ---------------------------------------------------------------- 1b. one behaviour, two backends

/// The bundled policy with the interpreter (`INBOUND_POLICY` has the host's default, compiled code).
static INBOUND_INTERP: LazyLock<Policy> = LazyLock::new(|| Policy::from_ir_with(INBOUND_POLICY.ir().clone(), Backend::Interp).expect("loads"));

proptest! {
    #![proptest_config(config(128))]

    /// Random leads, times and rep states: compiled code and the interpreter
    /// make byte-identical decisions (with and without a trace), select the
    /// same rule, and leave the same state after a sequence.
    #[test]
    fn either_backend_decides_random_leads_the_same(
        leads in prop::collection::vec((arb_inbound_lead(), 0i64..90), 1..8),
        now in arb_inbound_now(),
        changes in arb_state_changes(),
    ) {
        let (jit, interp) = (&*INBOUND_POLICY, &*INBOUND_INTERP);
        prop_assert_eq!(interp.backend(), Backend::Interp);
        let state = changed_state(&changes);
        let mut a = Engine::with_state(jit.clone(), state.clone());
        let mut b = Engine::with_state(interp.clone(), state.clone());
        let mut t = now;
        for (lead, gap) in &leads {
            t += gap * MINUTE;
            let json = lead.to_json(t);
            let parsed = Lead::from_json(jit.ir(), &json, LeadOptions::default()).expect("a valid lead");
            prop_assert_eq!(jit.select(&parsed, t), interp.select(&parsed, t));
            let (mj, mi) = (jit.at(t), interp.at(t));
            let traced = (jit.decide(&parsed, a.state(), &mj, true), interp.decide(&parsed, b.state(), &mi, true));
            prop_assert_eq!(traced.0.to_json_line(), traced.1.to_json_line());
            let (da, db) = (a.route(&json, ts(t)), b.route(&json, ts(t)));
            prop_assert_eq!(da.to_json_line(), db.to_json_line());
        }
        prop_assert_eq!(a.state().to_json(jit.ir()), b.state().to_json(interp.ir()));
    }
}

// ---------------------------------------------------------------- 2. capacity caps

/// A rep with at least one cap and a starting load within its caps.
fn arb_capped_rep() -> impl Strategy<Value = (RepSpec, u32, u32)> {
    (1u32..=3, prop::option::of(1u32..=5), prop::option::of(1u32..=5), 0u32..=5, 0u32..=5)
        .prop_filter("at least one cap", |(_, open, day, _, _)| open.is_some() || day.is_some())
        .prop_map(|(weight, open_cap, day_cap, load, today)| {
            let spec = RepSpec { weight, open_cap, day_cap, ..RepSpec::plain() };
            (spec, open_cap.map_or(load, |c| load.min(c)), day_cap.map_or(today, |c| today.min(c)))
        })
}

proptest! {
    #![proptest_config(config(64))]

    /// Whatever the strategy, no committed decision takes a rep past
    /// `capacity N open` or `capacity M per day`; while any rep has room the
    /// lead is assigned, and every lead beyond the team's total capacity goes
    /// to the overflow queue (through `else queue` or `on no_available_rep`).
    #[test]
    fn capacity_caps_are_never_exceeded(
        reps in prop::collection::vec(arb_capped_rep(), 1..=6),
        strategy in select(&STRATEGIES[..3]),
        overflow in arb_overflow(),
        extra in 0usize..6,
    ) {
        let specs: Vec<RepSpec> = reps.iter().map(|r| r.0.clone()).collect();
        let members: Vec<usize> = (0..reps.len()).collect();
        let policy = team_engine_policy(&team_policy(&specs, &members, strategy, None, overflow), reps.len());
        let mut state = State::new(policy.ir());
        for (i, (_, load, today)) in reps.iter().enumerate() {
            state.reps[i].open_load = *load;
            state.reps[i].assigned_today = *today;
        }
        let room = |i: usize, s: &State| -> u32 {
            let (spec, r) = (&specs[i], &s.reps[i]);
            let open = spec.open_cap.map_or(u32::MAX, |c| c.saturating_sub(r.open_load));
            let day = spec.day_cap.map_or(u32::MAX, |c| c.saturating_sub(r.assigned_today));
            open.min(day)
        };
        let capacity: u32 = (0..reps.len()).map(|i| room(i, &state)).sum();
        let mut engine = Engine::with_state(policy, state);
        let now = tuesday();
        for k in 0..capacity as usize + extra {
            let any_room = (0..reps.len()).any(|i| room(i, engine.state()) > 0);
            let d = engine.route(&plain_lead(k), ts(now));
            if any_room {
                prop_assert_eq!(d.outcome, Outcome::Assigned, "lead {} with room left: {:#?}", k, d);
            } else {
                assert_overflowed(&d);
            }
            for (i, spec) in specs.iter().enumerate() {
                let r = &engine.state().reps[i];
                if let Some(cap) = spec.open_cap {
                    prop_assert!(r.open_load <= cap, "r{} open load {} > cap {} after lead {}", i, r.open_load, cap, k);
                }
                if let Some(cap) = spec.day_cap {
                    prop_assert!(r.assigned_today <= cap, "r{} assigned today {} > cap {} after lead {}", i, r.assigned_today, cap, k);
                }
            }
        }
        prop_assert!((0..reps.len()).all(|i| room(i, engine.state()) == 0), "capacity left after the batch");
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// Saving the state (`State::to_json`, as `leadroute route --state-out`
    /// writes it) and reading it back between leads changes no decision, so
    /// daily caps hold across runs for reps in any time zone.
    #[test]
    fn saving_and_reloading_state_changes_no_decision(
        reps in prop::collection::vec((select(&ZONES[..]), 1u32..=3), 1..=5),
        strategy in select(&STRATEGIES[..3]),
        start in arb_now_2026(),
        gaps in prop::collection::vec(0i64..=600, 1..24),
    ) {
        let specs: Vec<RepSpec> = reps
            .iter()
            .map(|(zone, cap)| RepSpec { timezone: Some(*zone), day_cap: Some(*cap), ..RepSpec::plain() })
            .collect();
        let members: Vec<usize> = (0..reps.len()).collect();
        let policy = team_engine_policy(&team_policy(&specs, &members, strategy, None, Overflow::ElseQueue), reps.len());
        let ir = policy.ir().clone();
        let mut kept = Engine::new(policy.clone());
        let mut reloaded = Engine::new(policy.clone());
        // Leads per (rep, local day) through the reloading engine.
        let mut per_day: BTreeMap<(usize, jiff::civil::Date), u32> = BTreeMap::new();
        let mut now = start;
        for (k, gap) in gaps.iter().enumerate() {
            now += gap * MINUTE;
            let a = kept.route(&plain_lead(k), ts(now));
            let b = reloaded.route(&plain_lead(k), ts(now));
            if let Some(r) = rep_index(&b) {
                let tz = jiff::tz::TimeZone::get(specs[r].zone()).expect("zone");
                let day = jiff::Timestamp::from_millisecond(now).expect("in range").to_zoned(tz).date();
                let n = per_day.entry((r, day)).or_default();
                *n += 1;
                prop_assert!(*n <= reps[r].1, "after a reload r{} ({}) got lead {} at {}: {} leads on {} with `capacity {} per day`",
                    r, reps[r].0, k, rfc3339(now), n, day, reps[r].1);
            }
            prop_assert_eq!(&a, &b, "lead {} at {}", k, rfc3339(now));
            let text = reloaded.state().to_json(&ir).to_string();
            let (state, warnings) = State::from_json(&ir, &text).expect("a saved state reads back");
            prop_assert!(warnings.is_empty(), "{:?}", warnings);
            reloaded = Engine::with_state(policy.clone(), state);
        }
    }
}

/// The smallest case the property above found (when the state file had one
/// `as_of` day for all reps), as `leadroute route --state --state-out` run
/// once per lead would meet it: two reps with `capacity 1 per day`, one in
/// Berlin and one in New York, the state saved and read back after every lead.
#[test]
fn daily_cap_holds_across_a_state_file_round_trip_in_two_time_zones() {
    let specs = [
        RepSpec { timezone: Some("Europe/Berlin"), day_cap: Some(1), ..RepSpec::plain() },
        RepSpec { timezone: Some("America/New_York"), day_cap: Some(1), ..RepSpec::plain() },
    ];
    let policy = team_engine_policy(&team_policy(&specs, &[0, 1], "round_robin", None, Overflow::ElseQueue), 2);
    let mut state = State::new(policy.ir());
    let mut route = |k: usize, at: &str| {
        let mut engine = Engine::with_state(policy.clone(), state.clone());
        let d = engine.route(&plain_lead(k), ts(ms(at)));
        let saved = engine.state().to_json(policy.ir()).to_string();
        state = State::from_json(policy.ir(), &saved).expect("reads back").0;
        d
    };
    assert_eq!(route(0, "2026-01-01T03:00:00Z").rep.as_deref(), Some("r0")); // Berlin, Jan 1
    assert_eq!(route(1, "2026-01-01T07:00:00Z").rep.as_deref(), Some("r1")); // New York 02:00, Jan 1
    assert_eq!(route(2, "2026-01-01T23:00:00Z").rep.as_deref(), Some("r0")); // Berlin midnight: Jan 2
    // New York is still on Jan 1 (18:30) and r1 has had its one lead: the team is full.
    let d = route(3, "2026-01-01T23:30:00Z");
    assert_overflowed(&d);
}

// ---------------------------------------------------------------- 3. round robin

proptest! {
    #![proptest_config(config(64))]

    /// Round robin over equally available reps: assigned counts differ by at
    /// most one, every run of k leads (k available reps) reaches each of them
    /// once, and unavailable members get nothing — from any starting cursor,
    /// whether the strategy is the team's or given with `by round_robin`.
    #[test]
    fn round_robin_counts_differ_by_at_most_one(
        (size, cursor) in (1usize..=8).prop_flat_map(|n| (Just(n), prop::option::of(0..n as u32))),
        inactive in prop::collection::vec(prop::bool::weighted(0.2), 8),
        leads in 0usize..60,
        by_rule in any::<bool>(),
        overflow in arb_overflow(),
    ) {
        let specs = vec![RepSpec::plain(); size];
        let members: Vec<usize> = (0..size).collect();
        let text = if by_rule {
            team_policy(&specs, &members, "capacity", Some("round_robin"), overflow)
        } else {
            team_policy(&specs, &members, "round_robin", None, overflow)
        };
        let policy = team_engine_policy(&text, size);
        let mut state = State::new(policy.ir());
        for (rep, off) in state.reps.iter_mut().zip(&inactive).take(size) {
            rep.active = !off;
        }
        state.teams[0].cursor = cursor;
        let available: Vec<usize> = (0..size).filter(|i| !inactive[*i]).collect();
        let mut engine = Engine::with_state(policy, state);
        let mut order = Vec::new();
        for k in 0..leads {
            let d = engine.route(&plain_lead(k), ts(tuesday()));
            if available.is_empty() {
                assert_overflowed(&d);
            } else {
                prop_assert_eq!(d.outcome, Outcome::Assigned);
                order.push(rep_index(&d).expect("a rep"));
            }
        }
        let mut counts = vec![0usize; size];
        for r in &order {
            counts[*r] += 1;
        }
        for i in 0..size {
            if inactive[i] {
                prop_assert_eq!(counts[i], 0, "inactive r{} got leads", i);
            }
        }
        if let (Some(max), Some(min)) = (available.iter().map(|i| counts[*i]).max(), available.iter().map(|i| counts[*i]).min()) {
            prop_assert!(max - min <= 1, "counts {:?} (available {:?})", counts, available);
        }
        for window in order.windows(available.len().max(1)) {
            let distinct: BTreeSet<_> = window.iter().collect();
            prop_assert_eq!(distinct.len(), window.len(), "a rep came round twice in {:?}", window);
        }
    }
}

// ---------------------------------------------------------------- 4. weighted

proptest! {
    #![proptest_config(config(64))]

    /// Smooth weighted round robin: after every full cycle (as many leads as
    /// the weights add up to) each rep has had exactly its weight per cycle,
    /// and after any number of leads n each rep's count is within one lead of
    /// its share n * weight / total.
    #[test]
    fn weighted_gives_each_rep_its_weight_per_cycle(
        weights in prop::collection::vec(1u32..=6, 1..=6),
        cycles in 1usize..=3,
        by_rule in any::<bool>(),
    ) {
        let specs: Vec<RepSpec> = weights.iter().map(|w| RepSpec { weight: *w, ..RepSpec::plain() }).collect();
        let members: Vec<usize> = (0..weights.len()).collect();
        let text = if by_rule {
            team_policy(&specs, &members, "round_robin", Some("weighted"), Overflow::ElseQueue)
        } else {
            team_policy(&specs, &members, "weighted", None, Overflow::ElseQueue)
        };
        let mut engine = Engine::new(team_engine_policy(&text, weights.len()));
        let total: usize = weights.iter().map(|w| *w as usize).sum();
        let mut counts = vec![0usize; weights.len()];
        for n in 1..=cycles * total {
            let d = engine.route(&plain_lead(n), ts(tuesday()));
            prop_assert_eq!(d.outcome, Outcome::Assigned);
            counts[rep_index(&d).expect("a rep")] += 1;
            for (i, w) in weights.iter().enumerate() {
                // |count - n*w/total| <= 1, in whole numbers.
                let (have, share) = ((counts[i] * total) as i64, (n * *w as usize) as i64);
                prop_assert!((have - share).abs() <= total as i64,
                    "after {} leads r{} (weight {}) has {}, share {}/{}; counts {:?}", n, i, w, counts[i], share, total, counts);
            }
            if n % total == 0 {
                let want: Vec<usize> = weights.iter().map(|w| *w as usize * (n / total)).collect();
                prop_assert_eq!(&counts, &want, "after {} full cycles", n / total);
            }
        }
    }
}

// ---------------------------------------------------------------- 5. unavailable reps

/// One rep of a team and how the world sees it at the decision time.
#[derive(Debug, Clone)]
struct Situation {
    spec: RepSpec,
    /// `active` in the state.
    state_active: bool,
    /// Out of office until now + this many minutes.
    ooo_minutes: Option<i64>,
    open_load: u32,
    today: u32,
}

impl Situation {
    fn available(&self, now: i64, open_load: u32, today: u32) -> bool {
        self.spec.declared_active
            && self.state_active
            && self.ooo_minutes.is_none_or(|m| m <= 0)
            && self.spec.in_hours(now)
            && self.spec.open_cap.is_none_or(|c| open_load < c)
            && self.spec.day_cap.is_none_or(|c| today < c)
    }
}

fn arb_situation() -> impl Strategy<Value = Situation> {
    (
        1u32..=4,
        prop::option::weighted(0.4, 1u32..=3),
        prop::option::weighted(0.4, 1u32..=3),
        prop::option::weighted(0.4, select(&ZONES[..])),
        prop_oneof![Just(Vec::new()), prop::collection::vec(arb_hours(), 1..=2)],
        prop::bool::weighted(0.85),
        prop::bool::weighted(0.85),
        prop::option::weighted(0.25, prop_oneof![Just(0i64), -4000i64..4000]),
        0u32..=4,
        0u32..=4,
    )
        .prop_map(|(weight, open_cap, day_cap, timezone, hours, declared_active, state_active, ooo_minutes, open_load, today)| Situation {
            spec: RepSpec { weight, open_cap, day_cap, timezone, hours, declared_active },
            state_active,
            ooo_minutes,
            open_load,
            today,
        })
}

/// Who a lead's `account_owner` names.
#[derive(Debug, Clone)]
enum Owner {
    Member(Index),
    Rep(Index),
    Nobody,
    Missing,
}

fn arb_owner() -> impl Strategy<Value = Owner> {
    prop_oneof![
        4 => any::<Index>().prop_map(Owner::Member),
        1 => any::<Index>().prop_map(Owner::Rep),
        1 => Just(Owner::Nobody),
        1 => Just(Owner::Missing),
    ]
}

/// Reps, and a team of some of them in some order.
fn arb_team() -> impl Strategy<Value = (Vec<Situation>, Vec<usize>)> {
    prop::collection::vec(arb_situation(), 1..=8).prop_flat_map(|sits| {
        let n = sits.len();
        let order = Just((0..n).collect::<Vec<_>>()).prop_shuffle();
        (Just(sits), order, 1..=n).prop_map(|(sits, order, k)| (sits, order[..k].to_vec()))
    })
}

proptest! {
    #![proptest_config(config(96))]

    /// No strategy ever gives a lead to a rep who is inactive (in the policy
    /// or the state), out of office, outside working hours (in any zone) or at
    /// a cap, nor to a rep outside the team; while some member is available
    /// the lead is assigned (sticky: exactly when the named owner is an
    /// available member, and then to the owner).
    #[test]
    fn unavailable_reps_never_receive_leads(
        (sits, members) in arb_team(),
        strategy in select(&STRATEGIES[..]),
        overflow in arb_overflow(),
        now in arb_now_2026(),
        owners in prop::collection::vec(arb_owner(), 1..=10),
    ) {
        let specs: Vec<RepSpec> = sits.iter().map(|s| s.spec.clone()).collect();
        let policy = team_engine_policy(&team_policy(&specs, &members, strategy, None, overflow), sits.len());
        let mut state = State::new(policy.ir());
        for (i, s) in sits.iter().enumerate() {
            let r = &mut state.reps[i];
            r.active = s.state_active;
            r.out_of_office_until = s.ooo_minutes.map(|m| now + m * MINUTE);
            r.open_load = s.open_load;
            r.assigned_today = s.today;
        }
        let mut load: Vec<(u32, u32)> = sits.iter().map(|s| (s.open_load, s.today)).collect();
        let mut engine = Engine::with_state(policy, state);
        for (k, owner) in owners.iter().enumerate() {
            let mut lead = plain_lead(k);
            let owner: Option<usize> = match owner {
                Owner::Member(i) => Some(members[i.index(members.len())]),
                Owner::Rep(i) => Some(i.index(sits.len())),
                Owner::Nobody => {
                    lead["account_owner"] = json!("nobody");
                    None
                }
                Owner::Missing => None,
            };
            if let Some(o) = owner {
                lead["account_owner"] = json!(format!("r{o}"));
            }
            let available: Vec<usize> =
                members.iter().copied().filter(|&i| sits[i].available(now, load[i].0, load[i].1)).collect();
            let d = engine.route(&lead, ts(now));
            let should_assign = if strategy.starts_with("sticky") {
                owner.is_some_and(|o| available.contains(&o))
            } else {
                !available.is_empty()
            };
            if should_assign {
                prop_assert_eq!(d.outcome, Outcome::Assigned, "lead {}: available members {:?}: {:#?}", k, available, d);
            } else {
                assert_overflowed(&d);
            }
            if let Some(r) = rep_index(&d) {
                prop_assert!(members.contains(&r), "r{} is not in the team {:?}", r, members);
                prop_assert!(available.contains(&r), "r{} was unavailable ({:?}) at {}: {:#?}", r, sits[r], rfc3339(now), d);
                prop_assert_eq!(d.team.as_deref(), Some("t"));
                if strategy.starts_with("sticky") {
                    prop_assert_eq!(Some(r), owner);
                }
                load[r].0 += 1;
                load[r].1 += 1;
            }
            for (i, (open, today)) in load.iter().enumerate() {
                prop_assert_eq!(engine.state().reps[i].open_load, *open);
                prop_assert_eq!(engine.state().reps[i].assigned_today, *today);
            }
        }
    }
}

// ---------------------------------------------------------------- 6. every valid lead gets an outcome

proptest! {
    #![proptest_config(config(64))]

    /// Through `examples/inbound.route` with `examples/state.json`, every
    /// valid lead (any field values, optionals missing or null) is assigned,
    /// queued or dropped, never rejected; an assigned lead names a rep of the
    /// named team (or, without a team, `victor` or the lead's account owner)
    /// who was available; a queued one names a declared queue.
    #[test]
    fn every_valid_lead_gets_an_outcome(
        leads in prop::collection::vec((arb_inbound_lead(), 0i64..30), 1..16),
        now in arb_inbound_now(),
    ) {
        let policy = &*INBOUND_POLICY;
        let ir = policy.ir();
        let mut engine = Engine::with_state(policy.clone(), INBOUND_START.clone());
        let mut t = now;
        for (lead, gap) in &leads {
            t += gap * MINUTE;
            let json = lead.to_json(t);
            let before = engine.state().clone();
            let d = engine.route(&json, ts(t));
            prop_assert!(d.errors.is_empty(), "{:#?}\n{}", d.errors, json);
            prop_assert!(d.tier.is_some(), "{:#?}", d);
            match d.outcome {
                Outcome::Assigned => {
                    let rep = d.rep.as_deref().expect("an assigned lead names a rep");
                    let index = ir.reps.iter().position(|r| r.id == rep).expect("a declared rep");
                    match d.team.as_deref() {
                        Some(team) => {
                            let def = ir.teams.iter().find(|t| t.name == team).expect("a declared team");
                            prop_assert!(def.members.contains(&(index as u32)), "{} is not in team {}", rep, team);
                        }
                        None => prop_assert!(rep == "victor" || lead.account_owner == Some(rep), "{:#?}", d),
                    }
                    prop_assert!(policy.availability(index, &before, &policy.at(t)).is_ok(), "{} was unavailable: {:#?}", rep, d);
                    prop_assert!(d.queue.is_none());
                }
                Outcome::Queued => {
                    let queue = d.queue.as_deref().expect("a queued lead names a queue");
                    prop_assert!(ir.queues.iter().any(|q| q.name == queue));
                    prop_assert!(d.rep.is_none());
                }
                Outcome::Dropped => prop_assert!(d.reason.is_some()),
                Outcome::Rejected => prop_assert!(false, "valid lead rejected: {:#?}\n{}", d, json),
            }
        }
    }
}

// ---------------------------------------------------------------- 7. arbitrary input never panics

/// A path to one JSON value inside another.
fn leaf_paths(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(path.clone());
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(json!(i));
                leaf_paths(item, path, out);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                path.push(json!(k));
                leaf_paths(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at_path<'v>(v: &'v mut Value, path: &[Value]) -> &'v mut Value {
    path.iter().fold(v, |v, seg| match seg {
        Value::Number(i) => &mut v[i.as_u64().expect("index") as usize],
        Value::String(k) => &mut v[k.as_str()],
        _ => unreachable!(),
    })
}

/// How to damage a JSON document at one place.
#[derive(Debug, Clone)]
enum Damage {
    /// Any value in place of any part.
    Anything(Value),
    /// A number in place of a number.
    Number(Value),
    /// A string in place of a string.
    Text(String),
    /// A bool flipped.
    Flip,
    /// A key or an item removed.
    Remove,
}

fn arb_damage() -> impl Strategy<Value = Damage> {
    let numbers = select(vec![
        json!(0),
        json!(1),
        json!(2),
        json!(3),
        json!(7),
        json!(64),
        json!(127),
        json!(255),
        json!(1439),
        json!(1440),
        json!(65_535),
        json!(65_536),
        json!(u32::MAX),
        json!(u64::from(u32::MAX) + 1),
        json!(-1),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(0.5),
        json!(1e300),
    ]);
    let texts = prop_oneof![
        select(vec!["UTC", "America/New_York", "Mars/Olympus", "", "alice", "victor", "hot", "none", "queue", "assign_team",
                    "route", "drop", "sticky", "weighted", "time", "int", "string", "enum", "list"])
            .prop_map(String::from),
        arb_text(),
    ];
    prop_oneof![
        2 => arb_json().prop_map(Damage::Anything),
        4 => numbers.prop_map(Damage::Number),
        2 => texts.prop_map(Damage::Text),
        1 => Just(Damage::Flip),
        1 => Just(Damage::Remove),
    ]
}

fn damage(doc: &mut Value, places: &[(Index, Damage)]) {
    for (place, how) in places {
        let mut paths = Vec::new();
        leaf_paths(doc, &mut Vec::new(), &mut paths);
        let fits = |p: &Vec<Value>| {
            let v = p.iter().fold(&*doc, |v, seg| match seg {
                Value::Number(i) => &v[i.as_u64().expect("index") as usize],
                Value::String(k) => &v[k.as_str()],
                _ => unreachable!(),
            });
            match how {
                Damage::Number(_) => v.is_number(),
                Damage::Text(_) => v.is_string(),
                Damage::Flip => v.is_boolean(),
                Damage::Anything(_) | Damage::Remove => true,
            }
        };
        let paths: Vec<Vec<Value>> = paths.into_iter().filter(fits).collect();
        if paths.is_empty() {
            continue;
        }
        let path = &paths[place.index(paths.len())];
        let target = at_path(doc, path);
        match how {
            Damage::Anything(v) | Damage::Number(v) => *target = v.clone(),
            Damage::Text(t) => *target = json!(t),
            Damage::Flip => *target = json!(!target.as_bool().unwrap_or(false)),
            Damage::Remove => match path.split_last() {
                None => *doc = Value::Null,
                Some((last, parent)) => match (at_path(doc, parent), last) {
                    (Value::Object(m), Value::String(k)) => {
                        m.remove(k);
                    }
                    (Value::Array(a), Value::Number(i)) => {
                        a.remove(i.as_u64().expect("index") as usize);
                    }
                    _ => {}
                },
            },
        }
    }
}

static INBOUND_IR_JSON: LazyLock<Value> = LazyLock::new(|| serde_json::to_value(INBOUND_POLICY.ir()).expect("IR serializes"));

fn arb_state_text() -> impl Strategy<Value = String> {
    let rep = select(&OWNERS[..]);
    let team = select(vec!["ae_west", "ae_east", "sdr_pool", "account_owners", "nope"]);
    let count = || {
        prop_oneof![
            4 => (0u32..80).prop_map(|n| json!(n)),
            1 => select(vec![json!(u32::MAX), json!(u32::MAX - 1), json!(u64::from(u32::MAX) + 1), json!(-1)]),
            1 => arb_json(),
        ]
    };
    let time = prop_oneof![
        2 => Just(Value::Null),
        3 => arb_now_2026().prop_map(|t| json!(rfc3339(t))),
        1 => select(vec!["9999-12-31T23:59:59.999Z", "-009999-01-01T00:00:00Z", "2026-11-24", "2026-11-24T25:00:00Z"]).prop_map(|t| json!(t)),
        1 => arb_json(),
    ];
    let rep_state = (
        prop::option::of(prop_oneof![4 => any::<bool>().prop_map(Value::Bool), 1 => arb_json()]),
        prop::option::of(time),
        prop::option::of(count()),
        prop::option::of(count()),
        prop::option::weighted(0.05, (arb_text(), arb_json())),
    )
        .prop_map(|(active, ooo, open, today, other)| {
            let mut o = Map::new();
            for (k, v) in [("active", active), ("out_of_office_until", ooo), ("open_load", open), ("assigned_today", today)] {
                if let Some(v) = v {
                    o.insert(k.into(), v);
                }
            }
            if let Some((k, v)) = other {
                o.insert(k, v);
            }
            Value::Object(o)
        });
    let weight = prop_oneof![
        3 => any::<i64>().prop_map(|w| json!(w)),
        3 => select(vec![i64::MIN, i64::MAX, 0, -1, 1]).prop_map(|w| json!(w)),
        1 => arb_number(),
    ];
    let cursor = prop_oneof![4 => (0u32..4).prop_map(|c| json!(c)), 1 => arb_number()];
    let team_state = (prop::option::of(cursor), prop::collection::vec((select(&OWNERS[..]), weight), 0..4)).prop_map(
        |(cursor, weights)| {
            let mut o = Map::new();
            if let Some(c) = cursor {
                o.insert("cursor".into(), c);
            }
            o.insert("weights".into(), Value::Object(weights.into_iter().map(|(k, v)| (k.to_string(), v)).collect()));
            Value::Object(o)
        },
    );
    let shaped = (
        prop::option::of(prop_oneof![arb_text().prop_map(Value::String), select(vec!["2026-11-24", "9999-12-31", "-009999-01-01"]).prop_map(|s| json!(s))]),
        prop::collection::vec((rep, rep_state), 0..5),
        prop::collection::vec((team, team_state), 0..3),
    )
        .prop_map(|(as_of, reps, teams)| {
            let mut o = Map::new();
            if let Some(d) = as_of {
                o.insert("as_of".into(), d);
            }
            o.insert("reps".into(), Value::Object(reps.into_iter().map(|(k, v)| (k.to_string(), v)).collect()));
            o.insert("teams".into(), Value::Object(teams.into_iter().map(|(k, v)| (k.to_string(), v)).collect()));
            Value::Object(o).to_string()
        });
    let damaged = prop::collection::vec((any::<Index>(), arb_damage()), 1..4).prop_map(|places| {
        let mut doc: Value = serde_json::from_str(INBOUND_STATE).expect("state JSON");
        damage(&mut doc, &places);
        doc.to_string()
    });
    prop_oneof![
        1 => any::<String>(),
        1 => arb_json().prop_map(|v| v.to_string()),
        3 => shaped,
        3 => damaged,
    ]
}

/// A change to one field of a lead: (field, new value or removed). Mostly
/// values of the field's own type at the edges of their range.
fn arb_lead_damage() -> impl Strategy<Value = (&'static str, Option<Value>)> {
    let typed = select(vec![
        ("employees", json!(i64::MIN)),
        ("employees", json!(i64::MAX)),
        ("employees", json!(9.0e15)),
        ("employees", json!(-8.9e15)),
        ("employees", json!(1000.0)),
        ("employees", json!(u64::MAX)),
        ("intent", json!(f64::MAX)),
        ("intent", json!(-f64::MAX)),
        ("intent", json!(i64::MIN)),
        ("intent", json!(u64::MAX)),
        ("intent", json!(5e-324)),
        ("created_at", json!("9999-12-31T23:59:59.999Z")),
        ("created_at", json!("-009999-01-01T00:00:00Z")),
        ("created_at", json!("1970-01-01T00:00:00Z")),
        ("created_at", json!("2026-11-24T15:00:00.123456789+14:00")),
        ("tags", json!([])),
        ("tags", json!(["vip", "vip", "spam"])),
        ("tags", Value::Array(vec![json!(""); 64])),
        ("email", json!("")),
        ("email", json!("@")),
        ("email", json!("a@b@ACME.EXAMPLE ")),
        ("state", json!("")),
        ("country", json!("us")),
        ("account_owner", json!("")),
        ("account_owner", json!("frank")),
        ("account_owner", json!("victor")),
        ("campaign", json!("abm-")),
        ("segment", json!("enterprise")),
        ("source", json!("partner")),
        ("id", json!("")),
    ])
    .prop_map(|(k, v)| (k, Some(v)));
    prop_oneof![
        3 => typed,
        2 => (select(&FIELD_NAMES[..]), arb_json()).prop_map(|(k, v)| (k, Some(v))),
        1 => select(&FIELD_NAMES[..]).prop_map(|k| (k, None)),
    ]
}

proptest! {
    #![proptest_config(config(128))]

    /// Any JSON value as a lead, in lenient or strict mode, gets a decision
    /// (a non-object is rejected) and never a panic.
    #[test]
    fn arbitrary_json_leads_never_panic(lead in arb_json(), strict in any::<bool>(), explain in any::<bool>(), now in arb_any_now()) {
        let mut engine = Engine::with_state(INBOUND_POLICY.clone(), INBOUND_START.clone())
            .with_options(EngineOptions { explain, strict });
        let d = engine.route(&lead, any_time(now));
        if !lead.is_object() {
            prop_assert_eq!(d.outcome, Outcome::Rejected);
        }
        let _ = (d.to_json_line(), d.to_human());
    }

    /// A valid lead with some fields replaced by arbitrary JSON or removed,
    /// decided at any time (even outside the calendar), never panics; a
    /// decision that is not a rejection is well formed.
    #[test]
    fn damaged_leads_at_any_time_never_panic(
        lead in arb_inbound_lead(),
        damages in prop::collection::vec(arb_lead_damage(), 0..4),
        now in arb_any_now(),
        explain in any::<bool>(),
    ) {
        let mut json = lead.to_json(now.clamp(ms("2000-01-01T00:00:00Z"), ms("2100-01-01T00:00:00Z")));
        for (field, value) in &damages {
            match value {
                Some(v) => json[*field] = v.clone(),
                None => {
                    json.as_object_mut().expect("object").remove(*field);
                }
            }
        }
        let mut engine = Engine::with_state(INBOUND_POLICY.clone(), INBOUND_START.clone())
            .with_options(EngineOptions { explain, strict: false });
        for _ in 0..2 {
            let d = engine.route(&json, any_time(now));
            match d.outcome {
                Outcome::Rejected => prop_assert!(!d.errors.is_empty()),
                Outcome::Assigned => prop_assert!(d.rep.is_some()),
                Outcome::Queued => prop_assert!(d.queue.is_some()),
                Outcome::Dropped => prop_assert!(d.reason.is_some()),
            }
            let _ = (d.to_json_line(), d.to_human());
        }
    }

    /// Any text as a state file is read or refused, never a panic; a state
    /// that reads routes leads without panicking.
    #[test]
    fn arbitrary_state_text_never_panics(text in arb_state_text(), lead in arb_inbound_lead(), now in arb_inbound_now()) {
        let ir = INBOUND_POLICY.ir();
        if let Ok((state, _warnings)) = State::from_json(ir, &text) {
            let _ = state.to_json(ir);
            let mut engine = Engine::with_state(INBOUND_POLICY.clone(), state);
            for k in 0..3 {
                let d = engine.route(&lead.to_json(now + k * MINUTE), ts(now + k * MINUTE));
                prop_assert_ne!(d.outcome, Outcome::Rejected);
            }
        }
    }

    /// Any text as a compiled policy is loaded or refused, never a panic.
    #[test]
    fn arbitrary_policy_text_never_panics(text in prop_oneof![any::<String>(), arb_json().prop_map(|v| v.to_string())]) {
        let _ = Policy::from_json(&text);
    }

    /// The inbound policy's IR with a few values replaced or removed is loaded
    /// or refused, never a panic; a policy that loads routes leads (valid or
    /// not for its damaged schema) without panicking.
    #[test]
    fn damaged_policy_ir_never_panics(
        places in prop::collection::vec((any::<Index>(), arb_damage()), 1..4),
        leads in prop::collection::vec(arb_inbound_lead(), 1..4),
        now in arb_inbound_now(),
        explain in any::<bool>(),
    ) {
        let mut doc = INBOUND_IR_JSON.clone();
        damage(&mut doc, &places);
        if let Ok(policy) = Policy::from_json(&doc.to_string()) {
            let state = State::from_json(policy.ir(), INBOUND_STATE).map(|(s, _)| s).unwrap_or_else(|_| State::new(policy.ir()));
            let mut engine = Engine::with_state(policy, state).with_options(EngineOptions { explain, strict: false });
            for lead in &leads {
                let d = engine.route(&lead.to_json(now), ts(now));
                let _ = (d.to_json_line(), d.to_human());
            }
        }
    }
}

/// A lead as a JSON value: a damaged valid lead, or any JSON value.
fn arb_lead_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => (arb_inbound_lead(), prop::collection::vec(arb_lead_damage(), 0..3)).prop_map(|(lead, damages)| {
            let mut json = lead.to_json(tuesday());
            for (field, value) in damages {
                match value {
                    Some(v) => json[field] = v,
                    None => {
                        json.as_object_mut().expect("object").remove(field);
                    }
                }
            }
            json
        }),
        1 => arb_json(),
    ]
}

/// A lead object as JSON text with one of its keys (or, when it has none,
/// `extra`) written twice, first with another value; and that key.
fn arb_lead_text_with_a_repeated_key() -> impl Strategy<Value = (String, String)> {
    (arb_lead_value().prop_filter("an object", Value::is_object), any::<Index>(), arb_json()).prop_map(|(value, key, first)| {
        let m = value.as_object().expect("object");
        let (k, sep) = if m.is_empty() { ("extra".to_string(), format!(",{}:{}", json!("extra"), first)) } else { (m.keys().nth(key.index(m.len())).expect("in range").clone(), ",".into()) };
        let rest = value.to_string();
        (format!("{{{}:{}{sep}{}", json!(k), first, &rest[1..]), k)
    })
}

/// The lead read from `text` equals the lead read from its parsed JSON value
/// (fields, or errors and id), and routing it either way decides the same.
fn assert_readers_agree(text: &str, strict: bool, now: i64) -> Result<(), TestCaseError> {
    let value: Value = serde_json::from_str(text).expect("generated text is JSON");
    let ir = INBOUND_POLICY.ir();
    let opts = LeadOptions { strict };
    match (Lead::from_json(ir, &value, opts), Lead::from_json_str(ir, text, opts)) {
        (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
        (Err(a), Err((id, b))) => {
            prop_assert_eq!(a, b, "{}", text);
            prop_assert_eq!(id, Lead::id_of(&value));
        }
        (a, b) => prop_assert!(false, "{}: {:?} vs {:?}", text, a, b),
    }
    let options = EngineOptions { explain: false, strict };
    let mut by_value = Engine::with_state(INBOUND_POLICY.clone(), INBOUND_START.clone()).with_options(options);
    let mut by_text = Engine::with_state(INBOUND_POLICY.clone(), INBOUND_START.clone()).with_options(options);
    prop_assert_eq!(by_value.route(&value, ts(now)), by_text.route_str(text, ts(now)));
    prop_assert_eq!(by_value.state(), by_text.state());
    Ok(())
}

proptest! {
    #![proptest_config(config(128))]

    /// A lead read from its JSON text (the fast reader `route_str` uses) is
    /// the lead read from the parsed JSON value: the same fields, or the same
    /// errors and id, in lenient and strict mode; and routing it either way
    /// gives the same decision.
    #[test]
    fn lead_text_and_json_value_read_the_same(value in arb_lead_value(), strict in any::<bool>(), now in arb_inbound_now()) {
        assert_readers_agree(&value.to_string(), strict, now)?;
    }

    /// A key written twice in a lead's text rejects the lead, naming the
    /// key, in lenient and strict mode, whichever value comes last: by the
    /// text reader, by `route_str`, and by the check the service's intake
    /// runs before parsing (a parsed JSON value keeps only one of the values,
    /// so the value reader cannot see the repeat).
    #[test]
    fn a_key_written_twice_rejects_the_lead_naming_the_key((text, key) in arb_lead_text_with_a_repeated_key(), strict in any::<bool>(), now in arb_inbound_now()) {
        let ir = INBOUND_POLICY.ir();
        let (_, errors) = Lead::from_json_str(ir, &text, LeadOptions { strict }).expect_err("a repeated key is refused");
        prop_assert!(errors.iter().any(|e| e.field == key && e.message.contains("more than once")), "{}: {:?}", text, errors);
        prop_assert_eq!(leadroute_runtime::first_duplicate_key(&text), Some(key.clone()));
        let mut engine = Engine::with_state(INBOUND_POLICY.clone(), INBOUND_START.clone()).with_options(EngineOptions { explain: false, strict });
        let d = engine.route_str(&text, ts(now));
        prop_assert_eq!(d.outcome, Outcome::Rejected, "{}", text);
        prop_assert_eq!(engine.state(), &*INBOUND_START, "a refused lead changes nothing");
    }

    /// Any text as a lead line (not JSON, cut short, not an object) gets a
    /// decision from `route_str`, never a panic; text that is not a JSON
    /// object is rejected.
    #[test]
    fn arbitrary_lead_text_never_panics(
        text in prop_oneof![
            any::<String>(),
            (arb_lead_value().prop_map(|v| v.to_string()), any::<Index>()).prop_map(|(t, cut)| {
                let cuts: Vec<usize> = t.char_indices().map(|(i, _)| i).collect();
                t[..cuts[cut.index(cuts.len())]].to_string()
            }),
            arb_lead_value().prop_map(|v| v.to_string()),
            arb_lead_text_with_a_repeated_key().prop_map(|(text, _)| text),
        ],
        strict in any::<bool>(),
        explain in any::<bool>(),
        now in arb_any_now(),
    ) {
        let mut engine = Engine::with_state(INBOUND_POLICY.clone(), INBOUND_START.clone())
            .with_options(EngineOptions { explain, strict });
        let d = engine.route_str(&text, any_time(now));
        if !serde_json::from_str::<Value>(&text).is_ok_and(|v| v.is_object()) {
            prop_assert_eq!(d.outcome, Outcome::Rejected, "{}", text);
        }
        let _ = (d.to_json_line(), d.to_human());
    }
}

/// A repeated key outside the schema is refused too, kept (strict) or skipped (lenient).
#[test]
fn a_repeated_unknown_key_is_refused_by_the_text_reader_naming_it() {
    let text = r#"{"chat":false,"chat":null}"#;
    for strict in [false, true] {
        let (_, errors) = Lead::from_json_str(INBOUND_POLICY.ir(), text, LeadOptions { strict }).expect_err("invalid");
        assert!(errors.iter().any(|e| e.field == "chat" && e.message == "`chat` appears more than once in the lead; give each field once"), "{errors:?}");
    }
    assert_eq!(leadroute_runtime::first_duplicate_key(text).as_deref(), Some("chat"));
    assert_eq!(leadroute_runtime::first_duplicate_key(r#"{"a":{"b":1,"b":2}}"#), None, "nested objects are values, not lead keys");
}

// ---------------------------------------------------------------- 8. capacity strategy

proptest! {
    #![proptest_config(config(96))]

    /// The capacity strategy gives each lead to the available member with the
    /// lowest open load relative to its `capacity N open`; ties go to the
    /// lower open load, then to the earlier member of the team.
    #[test]
    fn capacity_strategy_picks_the_lowest_load_ratio(
        (reps, members) in prop::collection::vec(
            (select(vec![1u32, 2, 3, 4, 6, 8, 12]), 0u32..=12, prop::option::weighted(0.3, 1u32..=3), 0u32..=3, prop::bool::weighted(0.85)),
            1..=8,
        ).prop_flat_map(|reps| {
            let n = reps.len();
            (Just(reps), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        }),
        leads in 1usize..=10,
        by_rule in any::<bool>(),
    ) {
        let specs: Vec<RepSpec> = reps.iter().map(|(cap, _, day_cap, _, _)| RepSpec { open_cap: Some(*cap), day_cap: *day_cap, ..RepSpec::plain() }).collect();
        let text = if by_rule {
            team_policy(&specs, &members, "round_robin", Some("capacity"), Overflow::ElseQueue)
        } else {
            team_policy(&specs, &members, "capacity", None, Overflow::ElseQueue)
        };
        let policy = team_engine_policy(&text, reps.len());
        let mut state = State::new(policy.ir());
        let mut load: Vec<(u32, u32)> = Vec::new();
        for (i, (cap, open, _, today, active)) in reps.iter().enumerate() {
            let open = (*open).min(*cap);
            state.reps[i].open_load = open;
            state.reps[i].assigned_today = *today;
            state.reps[i].active = *active;
            load.push((open, *today));
        }
        let mut engine = Engine::with_state(policy, state);
        for k in 0..leads {
            // The expected rep: minimum of (open/cap as a fraction, open load, member position).
            let best = members
                .iter()
                .enumerate()
                .filter(|&(_, &i)| {
                    let (cap, _, day_cap, _, active) = reps[i];
                    active && load[i].0 < cap && day_cap.is_none_or(|c| load[i].1 < c)
                })
                .min_by(|&(pa, &a), &(pb, &b)| {
                    let (ca, cb) = (u64::from(reps[a].0), u64::from(reps[b].0));
                    let (la, lb) = (u64::from(load[a].0), u64::from(load[b].0));
                    (la * cb).cmp(&(lb * ca)).then(la.cmp(&lb)).then(pa.cmp(&pb))
                })
                .map(|(_, &i)| i);
            let d = engine.route(&plain_lead(k), ts(tuesday()));
            prop_assert_eq!(rep_index(&d), best,
                "lead {}: loads {:?}, reps (cap, _, day cap, _, active) {:?}, members {:?}: {:#?}", k, load, reps, members, d);
            match best {
                Some(i) => {
                    load[i].0 += 1;
                    load[i].1 += 1;
                }
                None => assert_overflowed(&d),
            }
        }
    }
}

// ---------------------------------------------------------------- 9. daylight saving time

/// One rep working 09:00-17:00 on weekdays in New York, written either with
/// `timezone` or with the zone on the hours entry.
fn new_york_policy(zone_on_hours: bool) -> Policy {
    let ny = "America/New_York";
    let hours = Hours { days: (0..5).collect(), start: 9 * 60, end: 17 * 60, zone: zone_on_hours.then_some(ny) };
    let spec = RepSpec { hours: vec![hours], timezone: (!zone_on_hours).then_some(ny), ..RepSpec::plain() };
    // The policy's own zone is UTC: only the rep's zone may decide.
    team_engine_policy(&team_policy(&[spec], &[0], "round_robin", None, Overflow::ElseQueue), 1)
}

fn outcome_at(policy: &Policy, at: &str) -> Outcome {
    let mut engine = Engine::new(policy.clone());
    let d = engine.route(&plain_lead(0), ts(ms(at)));
    match d.outcome {
        Outcome::Assigned => assert_eq!(d.rep.as_deref(), Some("r0")),
        Outcome::Queued => assert_eq!(d.queue.as_deref(), Some("overflow")),
        other => panic!("unexpected outcome {other:?} at {at}: {d:#?}"),
    }
    d.outcome
}

/// Working hours follow New York's clocks across the March 8, 2026 switch
/// to daylight time: 13:30Z is 08:30 before it and 09:30 after it.
#[test]
fn working_hours_follow_the_spring_daylight_saving_switch() {
    for zone_on_hours in [false, true] {
        let p = new_york_policy(zone_on_hours);
        let cases = [
            ("2026-03-06T13:30:00Z", Outcome::Queued),   // Fri 08:30 EST: before hours
            ("2026-03-06T14:00:00Z", Outcome::Assigned), // Fri 09:00 EST: opening minute
            ("2026-03-06T21:30:00Z", Outcome::Assigned), // Fri 16:30 EST
            ("2026-03-06T22:00:00Z", Outcome::Queued),   // Fri 17:00 EST: closed
            ("2026-03-09T12:59:00Z", Outcome::Queued),   // Mon 08:59 EDT
            ("2026-03-09T13:00:00Z", Outcome::Assigned), // Mon 09:00 EDT
            ("2026-03-09T13:30:00Z", Outcome::Assigned), // Mon 09:30 EDT: after the switch
            ("2026-03-09T20:59:00Z", Outcome::Assigned), // Mon 16:59 EDT
            ("2026-03-09T21:30:00Z", Outcome::Queued),   // Mon 17:30 EDT
            ("2026-03-08T15:00:00Z", Outcome::Queued),   // Sunday of the switch
        ];
        for (at, want) in cases {
            assert_eq!(outcome_at(&p, at), want, "at {at} (zone on hours: {zone_on_hours})");
        }
    }
}

/// And across the November 1, 2026 switch back to standard time: 13:30Z is
/// 09:30 before it and 08:30 after it.
#[test]
fn working_hours_follow_the_autumn_daylight_saving_switch() {
    for zone_on_hours in [false, true] {
        let p = new_york_policy(zone_on_hours);
        let cases = [
            ("2026-10-30T12:30:00Z", Outcome::Queued),   // Fri 08:30 EDT
            ("2026-10-30T13:30:00Z", Outcome::Assigned), // Fri 09:30 EDT: before the switch
            ("2026-10-30T20:30:00Z", Outcome::Assigned), // Fri 16:30 EDT
            ("2026-10-30T21:30:00Z", Outcome::Queued),   // Fri 17:30 EDT
            ("2026-11-02T13:30:00Z", Outcome::Queued),   // Mon 08:30 EST: after the switch
            ("2026-11-02T14:00:00Z", Outcome::Assigned), // Mon 09:00 EST
            ("2026-11-02T21:30:00Z", Outcome::Assigned), // Mon 16:30 EST
            ("2026-11-02T22:00:00Z", Outcome::Queued),   // Mon 17:00 EST: closed
            ("2026-11-01T14:00:00Z", Outcome::Queued),   // Sunday of the switch
        ];
        for (at, want) in cases {
            assert_eq!(outcome_at(&p, at), want, "at {at} (zone on hours: {zone_on_hours})");
        }
    }
}

/// `ms` as the engine's time (every time these tests use is in range).
fn ts(ms: i64) -> jiff::Timestamp {
    leadroute_runtime::timestamp_from_ms(ms).expect("a time in range")
}

/// `ms` as the engine's time, clamped to the range a `Timestamp` has: the
/// engine cannot be handed a time outside it, and the extremes themselves are
/// what these tests want to reach.
fn any_time(ms: i64) -> jiff::Timestamp {
    leadroute_runtime::timestamp_from_ms(ms).unwrap_or(if ms < 0 { jiff::Timestamp::MIN } else { jiff::Timestamp::MAX })
}
