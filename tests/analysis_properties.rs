//! Property tests of the change-safety analyses: every example lead a
//! diagnostic carries takes the path it claims when the runtime routes it,
//! and every "never" the analyses state holds for every lead the runtime
//! is given.
//!
//! - E0021 (a route without `otherwise` lets some lead fall through): the
//!   route gets a synthetic `otherwise -> queue __fallthrough`; the example
//!   lead must land there, from that route.
//! - E0026 (a lead can match no tier): a synthetic `tier __none otherwise`
//!   is added; the example lead must get it.
//! - E0023 / W0008 (two territories can both match a lead): with
//!   `on ambiguous_territory -> queue __ambiguous` the example lead must be
//!   queued there with an `ambiguous_territory` exception, having matched
//!   both territories the diagnostic names.
//! - W0006 / W0007 (a tier, territory or rule that never fires, a condition
//!   that never holds): no lead of a grid that holds one value of every class
//!   the policy's constants split each field into may ever make it fire.
//! - A route without `otherwise` and without E0021 (its rules were proved to
//!   cover every lead), and tiers without `otherwise` and without E0026,
//!   never let a lead of the grid through.
//!
//! Policies are generated as Route text over a fixed schema (an enum, an
//! `int?` with or without `on missing(employees) -> assume 0`, a float and a
//! string), with thresholds and value sets drawn from small pools so that
//! overlaps, gaps and shadowing happen often. All assignments go to one team
//! whose only rep is inactive in the state the leads are routed with: every
//! `assign` fails, so `else continue` always continues, which is the case
//! the analyses must account for (an available rep only stops a lead earlier).
//!
//! The grid is exhaustive for these policies: every comparison constant is
//! in `SCORES` / `EMPS`, and the grid holds each constant and a value on each
//! side of it, every country used plus one unused, every source, and a
//! missing `employees`. So "never fires on the grid" is "never fires".

use std::collections::{BTreeMap, BTreeSet};

use leadroute_compiler::{check, Checked, Code, Diagnostic, SourceFile, SourceSet};
use leadroute_runtime::{parse_time, Decision, Engine, EngineOptions, Policy, State};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

// ---------------------------------------------------------------- pools

const SCORES: [f64; 4] = [20.0, 50.0, 50.5, 80.0];
const EMPS: [i64; 4] = [0, 10, 100, 1000];
const SOURCES: [&str; 4] = ["chat", "web", "partner", "event"];
const COUNTRIES: [&str; 5] = ["US", "CA", "DE", "FR", "JP"];

/// One score per class `SCORES` splits the line into (and both sides of each constant).
const GRID_SCORES: [f64; 9] = [19.75, 20.0, 35.0, 50.0, 50.25, 50.5, 65.0, 80.0, 80.25];
/// One employee count per class `EMPS` splits the integers into; `None` is missing.
const GRID_EMPS: [Option<i64>; 10] = [None, Some(-1), Some(0), Some(5), Some(10), Some(50), Some(100), Some(500), Some(1000), Some(1001)];
/// Every country the policies name, and one they never name.
const GRID_COUNTRIES: [&str; 6] = ["US", "CA", "DE", "FR", "JP", "ZZ"];

const NOW: &str = "2026-01-05T15:00:00Z";

fn config(n: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(n);
    ProptestConfig { cases, failure_persistence: None, max_shrink_iters: 4096, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------- generated policies

#[derive(Debug, Clone, Copy)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
}

/// A test on one thing. `kind` for value tests: 0 `==`, 1 `!=`, 2 `in`, 3 `not in`;
/// `mask` picks the values (bit i: the i-th name, taken modulo the number of names).
#[derive(Debug, Clone)]
enum Atom {
    Score(Op, usize),
    Emp(Op, usize),
    EmpPresent(bool),
    Source(u8, u8),
    Country(u8, u8),
    /// `vip == true`, `vip != false`, ... (kind 0 or 1).
    Vip(u8, bool),
    /// Beyond the predicate analysis: `(employees ?? 0) >= N`.
    EmpDefault(Op, usize),
    /// Beyond the predicate analysis: `starts_with(country, "C")`.
    CountryPrefix(u8),
    Tier(u8, u8),
    Territory(u8, u8),
}

#[derive(Debug, Clone)]
enum Cond {
    Atom(Atom),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
}

#[derive(Debug, Clone)]
enum Terr {
    CountryEq(u8),
    CountryIn(u8),
    CountryAndSource(u8, u8),
    SourceIn(u8),
    CountryNotIn(u8),
    /// `country in [..] and country not in [..]`: empty when the first list is inside the second.
    CountryInNotIn(u8, u8),
}

/// A rule's action. Route targets are later routes (`k` picks one), so routes never cycle.
#[derive(Debug, Clone, Copy)]
enum Act {
    Queue(u8),
    AssignContinue,
    /// `assign team sales`: the `no_available_rep` handler decides.
    AssignHandler,
    AssignElseQueue(u8),
    /// `assign team sales else assign rep ann else continue`.
    AssignChainContinue,
    AssignElseRoute(u8),
    Route(u8),
}

/// `on no_available_rep`.
#[derive(Debug, Clone, Copy)]
enum NoRep {
    Absent,
    Queue,
    /// `-> route rK` (a route other than `main`).
    Route(u8),
}

#[derive(Debug, Clone)]
struct RouteGen {
    rules: Vec<(Cond, Act)>,
    otherwise: bool,
}

const ROUTE_NAMES: [&str; 3] = ["main", "r1", "r2"];

/// A generated policy, before the synthetic additions.
#[derive(Debug, Clone)]
struct Gen {
    /// `on missing(employees) -> assume 0`.
    assume: bool,
    /// Tier conditions; the last is `otherwise` when `tier_otherwise`.
    tiers: Vec<Cond>,
    tier_otherwise: bool,
    territories: Vec<Terr>,
    /// `main`, then up to two more routes, reached through `route` actions,
    /// `else route` fallbacks or the `no_available_rep` handler (if at all).
    routes: Vec<RouteGen>,
    amb_handler: bool,
    norep: NoRep,
}

/// What is added to a generated policy so that it compiles and shows paths.
#[derive(Debug, Clone, Default)]
struct Fixes {
    /// `otherwise -> queue __fallthrough` on every route without `otherwise`.
    fallthrough: bool,
    /// `tier __none otherwise sla 1h` last.
    tier_none: bool,
    /// `on ambiguous_territory -> queue __ambiguous`.
    amb: bool,
    /// `on no_available_rep -> queue __norep`.
    norep: bool,
}

fn names_of<'a>(names: &[&'a str], mask: u8) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for bit in 0..8 {
        if mask >> bit & 1 == 1 {
            let n = names[bit % names.len()];
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    if out.is_empty() {
        out.push(names[0]);
    }
    out
}

fn value_test(subject: &str, kind: u8, values: &[String]) -> String {
    match kind {
        0 => format!("{subject} == {}", values[0]),
        1 => format!("{subject} != {}", values[0]),
        2 => format!("{subject} in [{}]", values.join(", ")),
        _ => format!("{subject} not in [{}]", values.join(", ")),
    }
}

fn quoted(names: Vec<&str>) -> Vec<String> {
    names.into_iter().map(|n| format!("\"{n}\"")).collect()
}

fn bare(names: Vec<&str>) -> Vec<String> {
    names.into_iter().map(String::from).collect()
}

impl Gen {
    fn tier_names(&self) -> Vec<String> {
        (0..self.tiers.len()).map(|i| format!("t{i}")).collect()
    }

    fn territory_names(&self) -> Vec<String> {
        (0..self.territories.len()).map(|i| format!("a{i}")).collect()
    }

    fn atom(&self, a: &Atom) -> String {
        match a {
            Atom::Score(op, i) => format!("score {} {:.1}", op.text(), SCORES[*i]),
            Atom::Emp(op, i) if self.assume => format!("employees {} {}", op.text(), EMPS[*i]),
            Atom::Emp(op, i) => format!("(employees is present and employees {} {})", op.text(), EMPS[*i]),
            Atom::EmpPresent(p) => format!("employees is {}", if *p { "present" } else { "missing" }),
            Atom::Source(k, m) => value_test("source", *k, &bare(names_of(&SOURCES, *m))),
            Atom::Country(k, m) => value_test("country", *k, &quoted(names_of(&COUNTRIES, *m))),
            Atom::Vip(k, b) => value_test("vip", k % 2, &[b.to_string()]),
            Atom::EmpDefault(op, i) => format!("(employees ?? 0) {} {}", op.text(), EMPS[*i]),
            Atom::CountryPrefix(m) => format!("starts_with(country, \"{}\")", &names_of(&COUNTRIES, *m)[0][..1]),
            Atom::Tier(k, m) => {
                let names = self.tier_names();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                value_test("tier", *k, &bare(names_of(&names, *m)))
            }
            Atom::Territory(k, m) => {
                let mut names = self.territory_names();
                names.push("none".into());
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                value_test("territory", *k, &bare(names_of(&names, *m)))
            }
        }
    }

    fn cond(&self, c: &Cond) -> String {
        match c {
            Cond::Atom(a) => self.atom(a),
            Cond::And(a, b) => format!("({}) and ({})", self.cond(a), self.cond(b)),
            Cond::Or(a, b) => format!("({}) or ({})", self.cond(a), self.cond(b)),
            Cond::Not(a) => format!("not ({})", self.cond(a)),
        }
    }

    fn territory(&self, t: &Terr) -> String {
        match t {
            Terr::CountryEq(m) => value_test("country", 0, &quoted(names_of(&COUNTRIES, *m))),
            Terr::CountryIn(m) => value_test("country", 2, &quoted(names_of(&COUNTRIES, *m))),
            Terr::CountryAndSource(m, s) => format!(
                "{} and {}",
                value_test("country", 2, &quoted(names_of(&COUNTRIES, *m))),
                value_test("source", 2, &bare(names_of(&SOURCES, *s)))
            ),
            Terr::SourceIn(s) => value_test("source", 2, &bare(names_of(&SOURCES, *s))),
            Terr::CountryNotIn(m) => value_test("country", 3, &quoted(names_of(&COUNTRIES, *m))),
            Terr::CountryInNotIn(a, b) => format!(
                "{} and {}",
                value_test("country", 2, &quoted(names_of(&COUNTRIES, *a))),
                value_test("country", 3, &quoted(names_of(&COUNTRIES, *b)))
            ),
        }
    }

    /// The route a `route` action of route `from` goes to (`k` picks among the later ones).
    fn target(&self, from: usize, k: u8) -> Option<&'static str> {
        let later = self.routes.len().checked_sub(from + 1).filter(|n| *n > 0)?;
        Some(ROUTE_NAMES[from + 1 + k as usize % later])
    }

    /// The route the `no_available_rep` handler sends leads to, by index.
    fn handler_route(&self) -> Option<usize> {
        match self.norep {
            NoRep::Route(k) if self.routes.len() > 1 && std::env::var("TOL_ELSE").is_err() => Some(1 + k as usize % (self.routes.len() - 1)),
            _ => None,
        }
    }

    fn action(&self, a: Act, from: usize) -> String {
        match a {
            Act::Queue(q) => format!("queue q{}", q % 3),
            Act::AssignContinue => "assign team sales else continue".into(),
            // A handler that routes to this route (or one before it) would loop back here.
            Act::AssignHandler if self.handler_route().is_some_and(|h| from >= h) => "assign team sales else queue q2".into(),
            Act::AssignHandler => "assign team sales".into(),
            Act::AssignElseQueue(q) => format!("assign team sales else queue q{}", q % 3),
            Act::AssignChainContinue => "assign team sales else assign rep ann else continue".into(),
            Act::AssignElseRoute(_) if std::env::var("TOL_ELSE").is_ok() => "assign team sales else queue q1".into(),
            Act::AssignElseRoute(k) => match self.target(from, k) {
                Some(r) => format!("assign team sales else route {r}"),
                None => "assign team sales else queue q1".into(),
            },
            Act::Route(k) => match self.target(from, k) {
                Some(r) => format!("route {r}"),
                None => "queue q1".into(),
            },
        }
    }

    fn route(&self, out: &mut String, index: usize, fixes: &Fixes) {
        let name = ROUTE_NAMES[index];
        let r = &self.routes[index];
        out.push_str(&format!("route {name} {{\n"));
        for (i, (c, a)) in r.rules.iter().enumerate() {
            out.push_str(&format!("  {name}_{i}: when {} -> {}\n", self.cond(c), self.action(*a, index)));
        }
        if r.otherwise {
            out.push_str("  otherwise -> queue q0\n");
        } else if fixes.fallthrough {
            out.push_str("  otherwise -> queue __fallthrough\n");
        }
        out.push_str("}\n");
    }

    fn norep_handler(&self, fixes: &Fixes) -> Option<String> {
        match (self.norep, self.handler_route()) {
            (NoRep::Route(_), Some(h)) => Some(format!("route {}", ROUTE_NAMES[h])),
            (NoRep::Absent, _) if !fixes.norep => None,
            _ => Some("queue __norep".into()),
        }
    }

    /// The policy as Route text, with the synthetic additions `fixes` asks for.
    fn text(&self, fixes: &Fixes) -> String {
        let mut s = String::from(
            "policy gen {\n  owner \"ops@acme.example\"\n  timezone \"UTC\"\n  entry main\n}\n\
             enum Source { chat, web, partner, event }\n\
             schema lead {\n  id: string\n  source: Source\n  employees: int?\n  score: float\n  country: string\n  vip: bool\n}\n\
             rep ann { email \"ann@acme.example\" }\n\
             team sales { members [ann] }\n\
             queue q0 { sla 1h }\nqueue q1 { sla 1h }\nqueue q2 { sla 1h }\n",
        );
        let norep = self.norep_handler(fixes);
        if self.amb_handler || fixes.amb {
            s.push_str("queue __ambiguous { sla 1h }\n");
        }
        if fixes.fallthrough {
            s.push_str("queue __fallthrough { sla 1h }\n");
        }
        if norep.as_deref() == Some("queue __norep") {
            s.push_str("queue __norep { sla 1h }\n");
        }
        for (i, c) in self.tiers.iter().enumerate() {
            if self.tier_otherwise && i + 1 == self.tiers.len() {
                s.push_str(&format!("tier t{i} otherwise sla 1d\n"));
            } else {
                s.push_str(&format!("tier t{i} when {} sla {}m\n", self.cond(c), 5 * (i + 1)));
            }
        }
        if fixes.tier_none {
            s.push_str("tier __none otherwise sla 1h\n");
        }
        for (i, t) in self.territories.iter().enumerate() {
            s.push_str(&format!("territory a{i} when {}\n", self.territory(t)));
        }
        for i in 0..self.routes.len() {
            self.route(&mut s, i, fixes);
        }
        if self.assume {
            s.push_str("on missing(employees) -> assume 0\n");
        }
        if self.amb_handler || fixes.amb {
            s.push_str("on ambiguous_territory -> queue __ambiguous\n");
        }
        if let Some(action) = norep {
            s.push_str(&format!("on no_available_rep -> {action}\n"));
        }
        s
    }

    /// The routes that have no `otherwise` of their own.
    fn open_routes(&self) -> Vec<&'static str> {
        self.routes.iter().enumerate().filter(|(_, r)| !r.otherwise).map(|(i, _)| ROUTE_NAMES[i]).collect()
    }
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![Just(Op::Lt), Just(Op::Le), Just(Op::Gt), Just(Op::Ge), Just(Op::Eq), Just(Op::Ne)]
}

fn arb_atom(in_route: bool) -> BoxedStrategy<Atom> {
    let fields = prop_oneof![
        6 => (arb_op(), 0..SCORES.len()).prop_map(|(o, i)| Atom::Score(o, i)),
        4 => (arb_op(), 0..EMPS.len()).prop_map(|(o, i)| Atom::Emp(o, i)),
        2 => any::<bool>().prop_map(Atom::EmpPresent),
        4 => (0u8..4, 1u8..16).prop_map(|(k, m)| Atom::Source(k, m)),
        4 => (0u8..4, 1u8..32).prop_map(|(k, m)| Atom::Country(k, m)),
        2 => (0u8..2, any::<bool>()).prop_map(|(k, b)| Atom::Vip(k, b)),
        1 => (arb_op(), 0..EMPS.len()).prop_map(|(o, i)| Atom::EmpDefault(o, i)),
        1 => (1u8..32).prop_map(Atom::CountryPrefix),
    ];
    if !in_route {
        return fields.boxed();
    }
    prop_oneof![
        4 => fields,
        3 => (0u8..4, 1u8..16).prop_map(|(k, m)| Atom::Tier(k, m)),
        3 => (0u8..4, 1u8..32).prop_map(|(k, m)| Atom::Territory(k, m)),
    ]
    .boxed()
}

fn arb_cond(in_route: bool) -> BoxedStrategy<Cond> {
    arb_atom(in_route)
        .prop_map(Cond::Atom)
        .prop_recursive(2, 6, 2, |inner| {
            prop_oneof![
                2 => (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::And(Box::new(a), Box::new(b))),
                2 => (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::Or(Box::new(a), Box::new(b))),
                1 => inner.prop_map(|a| Cond::Not(Box::new(a))),
            ]
        })
        .boxed()
}

fn arb_territory() -> impl Strategy<Value = Terr> {
    prop_oneof![
        2 => (1u8..32).prop_map(Terr::CountryEq),
        3 => (1u8..32).prop_map(Terr::CountryIn),
        2 => (1u8..32, 1u8..16).prop_map(|(m, s)| Terr::CountryAndSource(m, s)),
        1 => (1u8..16).prop_map(Terr::SourceIn),
        1 => (1u8..32).prop_map(Terr::CountryNotIn),
        1 => (1u8..32, 1u8..32).prop_map(|(a, b)| Terr::CountryInNotIn(a, b)),
    ]
}

fn arb_act() -> impl Strategy<Value = Act> {
    prop_oneof![
        6 => (0u8..3).prop_map(Act::Queue),
        2 => Just(Act::AssignContinue),
        1 => Just(Act::AssignHandler),
        1 => (0u8..3).prop_map(Act::AssignElseQueue),
        1 => Just(Act::AssignChainContinue),
        1 => any::<u8>().prop_map(Act::AssignElseRoute),
        3 => any::<u8>().prop_map(Act::Route),
    ]
}

/// `open`: the chance, in percent, that a route has no `otherwise`.
fn arb_route(rules: std::ops::RangeInclusive<usize>, open: u32) -> impl Strategy<Value = RouteGen> {
    (prop::collection::vec((arb_cond(true), arb_act()), rules), prop::bool::weighted(f64::from(open) / 100.0))
        .prop_map(|(rules, open)| RouteGen { rules, otherwise: !open })
}

/// `open`: the chance, in percent, that a route has no `otherwise`.
fn arb_gen(open: u32) -> impl Strategy<Value = Gen> {
    (
        (any::<bool>(), prop::collection::vec(arb_cond(false), 2..=4), any::<bool>()),
        prop::collection::vec(arb_territory(), 2..=4),
        (arb_route(2..=6, open), prop::collection::vec(arb_route(1..=3, open), 0..=2)),
        (any::<bool>(), prop_oneof![Just(NoRep::Absent), Just(NoRep::Queue), any::<u8>().prop_map(NoRep::Route)]),
    )
        .prop_map(|((assume, tiers, tier_otherwise), territories, (main, more), (amb_handler, norep))| Gen {
            assume,
            tiers,
            tier_otherwise,
            territories,
            routes: std::iter::once(main).chain(more).collect(),
            amb_handler,
            norep,
        })
}

// ---------------------------------------------------------------- checking and routing

fn check_text(text: &str) -> Checked {
    let mut set = SourceSet::new();
    set.add(SourceFile::new("p.route", text));
    check(&set)
}

/// The first backticked name after `kind `` ` in a message (`rule `m3` can never fire`).
fn subject<'m>(message: &'m str, kind: &str) -> Option<&'m str> {
    let start = message.find(&format!("{kind} `"))? + kind.len() + 2;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// The generated policy, checked; then completed with the synthetic
/// additions and compiled. Panics on an error the additions do not fix
/// (a generator bug).
struct Case {
    gen: Gen,
    original: String,
    diagnostics: Vec<Diagnostic>,
    fixed: String,
    policy: Policy,
}

impl Case {
    fn new(gen: Gen) -> Case {
        let original = gen.text(&Fixes::default());
        let checked = check_text(&original);
        let mut fixes = Fixes { fallthrough: true, ..Fixes::default() };
        for d in &checked.diagnostics {
            match d.code {
                Code::E0021 => {}
                Code::E0026 => fixes.tier_none = true,
                Code::E0023 => fixes.amb = true,
                Code::E0022 => fixes.norep = true,
                _ if d.is_error() => panic!("the generator wrote an unexpected error {:?}\n{original}", d),
                _ => {}
            }
        }
        let fixed = gen.text(&fixes);
        let mut set = SourceSet::new();
        set.add(SourceFile::new("p.route", fixed.as_str()));
        let completed = check(&set);
        assert!(!completed.has_errors(), "the completed policy does not check:\n{fixed}\n{:#?}", completed.diagnostics);
        let ir = leadroute_compiler::lower::lower(&set, &completed).expect("lowered");
        let policy = Policy::from_ir(ir).expect("loads");
        Case { gen, original, diagnostics: checked.diagnostics, fixed, policy }
    }

    /// An engine with every assignment failing (the only rep is inactive), tracing.
    fn engine(&self) -> Engine {
        let (state, _) = State::from_json(self.policy.ir(), r#"{"reps": {"ann": {"active": false}}}"#).expect("state");
        Engine::with_state(self.policy.clone(), state).with_options(EngineOptions { explain: true, strict: false })
    }

    fn codes(&self) -> Vec<Code> {
        self.diagnostics.iter().map(|d| d.code).collect()
    }

    fn route_has_e0021(&self, route: &str) -> bool {
        self.diagnostics.iter().any(|d| d.code == Code::E0021 && subject(&d.message, "route") == Some(route))
    }
}

fn now() -> i64 {
    parse_time(NOW).expect("time")
}

/// Every lead of the grid (see the module comment).
fn grid() -> Vec<Value> {
    let mut out = Vec::new();
    let tol = std::env::var("TOLERATE").is_ok();
    for source in SOURCES {
        for country in GRID_COUNTRIES {
            for employees in GRID_EMPS {
                if tol && employees.is_some_and(|e| e < 0) { continue; }
                for score in GRID_SCORES {
                    for vip in [false, true] {
                        let mut lead = json!({ "id": format!("g-{}", out.len()), "source": source, "country": country, "score": score, "vip": vip });
                        if let Some(e) = employees {
                            lead["employees"] = json!(e);
                        }
                        out.push(lead);
                    }
                }
            }
        }
    }
    out
}

/// The trace steps of kind `step` about `name` whose condition held.
fn held(d: &Decision, step: &str, name: &str) -> bool {
    d.trace.as_ref().is_some_and(|t| t.iter().any(|s| s.step == step && s.name == name && s.result == Value::Bool(true)))
}

fn explain(case: &Case, lead: &Value, d: &Decision) -> String {
    format!(
        "\n--- generated policy ---\n{}\n--- diagnostics ---\n{:#?}\n--- completed policy ---\n{}\n--- lead ---\n{lead}\n--- decision ---\n{}",
        case.original,
        case.diagnostics.iter().map(|d| (d.code, &d.message, d.primary.as_ref().map(|l| &l.message))).collect::<Vec<_>>(),
        case.fixed,
        serde_json::to_string_pretty(d).unwrap_or_default()
    )
}

// ---------------------------------------------------------------- the properties

/// E0021, E0026, E0023 and W0008 examples take the path their diagnostic claims.
fn examples_take_their_path(case: &Case) -> Result<(), TestCaseError> {
    let mut engine = case.engine();
    for diag in &case.diagnostics {
        let Some(example) = &diag.example else { continue };
        let d = engine.decide(example, now());
        prop_assert!(d.errors.is_empty(), "{:?}: the example lead is rejected{}", diag.code, explain(case, example, &d));
        let ambiguous = d.exceptions.iter().any(|e| e.exception == "ambiguous_territory");
        match diag.code {
            Code::E0021 => {
                let route = subject(&diag.message, "route").expect("route name");
                // Without an `ambiguous_territory` handler the policy gives an ambiguous
                // lead no path at all (E0023); the synthetic handler then takes it.
                if ambiguous && (!case.gen.amb_handler || std::env::var("TOLERATE").is_ok()) {
                    continue;
                }
                prop_assert!(
                    d.queue.as_deref() == Some("__fallthrough") && d.route.as_deref() == Some(route),
                    "E0021 example does not fall through route `{route}`{}",
                    explain(case, example, &d)
                );
                let label = diag.primary.as_ref().map(|l| l.message.as_str()).unwrap_or_default();
                if label.contains("matches none of its rules") {
                    let prefix = format!("{route}_");
                    let matched: Vec<&str> = d
                        .trace
                        .iter()
                        .flatten()
                        .filter(|s| s.step == "rule" && s.name.starts_with(&prefix) && s.result == Value::Bool(true))
                        .map(|s| s.name.as_str())
                        .collect();
                    prop_assert!(matched.is_empty(), "E0021 example said to match no rule matches {matched:?}{}", explain(case, example, &d));
                }
            }
            Code::E0026 => {
                prop_assert_eq!(d.tier.as_deref(), Some("__none"), "E0026 example gets a tier{}", explain(case, example, &d));
            }
            Code::E0023 | Code::W0008 => {
                prop_assert!(
                    d.queue.as_deref() == Some("__ambiguous") && ambiguous,
                    "{:?} example is not ambiguous{}",
                    diag.code,
                    explain(case, example, &d)
                );
                let a = subject(&diag.message, "territories").expect("first territory");
                let b = diag.message.split('`').nth(3).expect("second territory");
                prop_assert!(held(&d, "territory", a) && held(&d, "territory", b), "the example is not in both `{a}` and `{b}`{}", explain(case, example, &d));
            }
            _ => {}
        }
    }
    Ok(())
}

/// What a W0006 / W0007 says can never happen.
#[derive(Debug)]
enum Never {
    /// The tier is never decided (W0006) / its condition never holds (W0007).
    Tier(String, Code),
    /// The territory never decides a lead on its own (W0006).
    TerritoryAlone(String),
    /// The territory's condition never holds (W0007).
    TerritoryHolds(String),
    /// The rule's condition never holds when the rule is looked at.
    Rule(String),
}

fn nevers(case: &Case) -> Vec<Never> {
    let mut out = Vec::new();
    for d in &case.diagnostics {
        if !matches!(d.code, Code::W0006 | Code::W0007) {
            continue;
        }
        let m = &d.message;
        let found = [("rule", 0), ("tier", 1), ("territory", 2)]
            .into_iter()
            .filter_map(|(k, i)| m.find(&format!("{k} `")).map(|p| (p, k, i)))
            .min();
        let Some((_, kind, _)) = found else { panic!("cannot read {m}") };
        let name = subject(m, kind).expect("name").to_string();
        out.push(match (kind, d.code) {
            ("rule", _) => Never::Rule(name),
            ("tier", code) => Never::Tier(name, code),
            ("territory", Code::W0006) => Never::TerritoryAlone(name),
            _ => Never::TerritoryHolds(name),
        });
    }
    out
}

/// W0006 / W0007: what they say never happens does not happen for any lead.
fn never_claims_hold(case: &Case, leads: &[Value]) -> Result<(), TestCaseError> {
    let claims = nevers(case);
    if claims.is_empty() {
        return Ok(());
    }
    let mut engine = case.engine();
    for lead in leads {
        let d = engine.decide(lead, now());
        prop_assert!(d.errors.is_empty(), "grid lead rejected{}", explain(case, lead, &d));
        for c in &claims {
            let broken = match c {
                Never::Tier(t, Code::W0006) => d.tier.as_deref() == Some(t.as_str()),
                Never::Tier(t, _) => held(&d, "tier", t),
                Never::TerritoryAlone(t) => d.territory.as_deref() == Some(t.as_str()),
                Never::TerritoryHolds(t) => held(&d, "territory", t),
                Never::Rule(r) => held(&d, "rule", r),
            };
            prop_assert!(!broken, "{c:?} is claimed but happens{}", explain(case, lead, &d));
        }
    }
    Ok(())
}

/// Routes without `otherwise` and without E0021, and tiers without
/// `otherwise` and without E0026, let no lead through.
fn proven_totality_holds(case: &Case, leads: &[Value]) -> Result<(), TestCaseError> {
    let closed: Vec<&str> = case.gen.open_routes().into_iter().filter(|r| !case.route_has_e0021(r)).collect();
    let tiers_closed = !case.gen.tier_otherwise && !case.codes().contains(&Code::E0026);
    if closed.is_empty() && !tiers_closed {
        return Ok(());
    }
    let mut engine = case.engine();
    for lead in leads {
        let d = engine.decide(lead, now());
        if d.queue.as_deref() == Some("__fallthrough") {
            let route = d.route.as_deref().unwrap_or_default();
            prop_assert!(!closed.contains(&route), "route `{route}` was proved total but the lead falls through{}", explain(case, lead, &d));
        }
        if tiers_closed {
            prop_assert!(d.tier.is_some(), "the tiers were proved total but the lead has none{}", explain(case, lead, &d));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn every_example_lead_takes_the_path_its_diagnostic_claims(gen in arb_gen(70)) {
        examples_take_their_path(&Case::new(gen))?;
    }

    #[test]
    fn what_w0006_and_w0007_say_never_happens_never_happens(gen in arb_gen(40)) {
        never_claims_hold(&Case::new(gen), &grid())?;
    }

    #[test]
    fn routes_and_tiers_proved_total_let_no_lead_through(gen in arb_gen(80)) {
        proven_totality_holds(&Case::new(gen), &grid())?;
    }
}

// ---------------------------------------------------------------- the generator covers the codes

/// The properties above are only as good as the policies they see: over a
/// fixed sample, the generator must produce every code the analyses report,
/// with examples, and routes and tiers proved total.
#[test]
fn the_generator_exercises_every_analysis() {
    let mut runner = TestRunner::new_with_rng(ProptestConfig::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let strategy = arb_gen(60);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..150 {
        let case = Case::new(strategy.new_tree(&mut runner).expect("a policy").current());
        let mut keys: BTreeSet<String> = BTreeSet::new();
        for d in &case.diagnostics {
            let with = if d.example.is_some() { " with example" } else { "" };
            keys.insert(format!("{:?}{with}", d.code));
        }
        for n in nevers(&case) {
            keys.insert(format!("never {}", format!("{n:?}").split('(').next().unwrap_or_default()));
        }
        if case.gen.open_routes().iter().any(|r| !case.route_has_e0021(r)) {
            keys.insert("route proved total".into());
        }
        if !case.gen.tier_otherwise && !case.codes().contains(&Code::E0026) {
            keys.insert("tiers proved total".into());
        }
        for k in keys {
            *seen.entry(k).or_default() += 1;
        }
    }
    for want in [
        "E0021 with example",
        "E0026 with example",
        "E0023 with example",
        "W0008 with example",
        "W0006",
        "W0007",
        "never Tier",
        "never TerritoryAlone",
        "never TerritoryHolds",
        "never Rule",
        "route proved total",
        "tiers proved total",
    ] {
        assert!(seen.get(want).is_some_and(|n| *n > 0), "the generator never produced `{want}`: {seen:#?}");
    }
}
