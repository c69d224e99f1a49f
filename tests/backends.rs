//! One behaviour, two backends: compiled code and the interpreter give
//! byte-identical decisions and traces on every example policy, on the
//! 200-rule benchmark policy, and on random policies and leads.

#[path = "../benches/gen.rs"]
#[allow(dead_code)]
mod gen;

use leadroute_runtime::{Backend, Lead, LeadOptions, Policy, State};

fn parse_time(t: &str) -> i64 {
    leadroute_runtime::parse_time(t).expect("an RFC 3339 time")
}

fn both(files: &[(&str, &str)]) -> (Policy, Policy) {
    let ir = common::ir_of(files);
    let interp = Policy::from_ir_with(ir.clone(), Backend::Interp).expect("loads");
    let jit = Policy::from_ir_with(ir, Backend::Jit).expect("compiles");
    assert_eq!((interp.backend(), jit.backend()), (Backend::Interp, Backend::Jit));
    assert!(jit.code_bytes() > 0);
    (interp, jit)
}

/// Routes every lead with both backends from the same evolving state, with and
/// without traces, comparing the JSON each produces byte for byte.
fn assert_backends_agree(files: &[(&str, &str)], state_json: Option<&str>, leads: &[String], now: &str) -> usize {
    let (interp, jit) = both(files);
    let state = |p: &Policy| state_json.map_or_else(|| State::new(p.ir()), |s| State::from_json(p.ir(), s).expect("state").0);
    let (mut si, mut sj) = (state(&interp), state(&jit));
    let now = leadroute_runtime::parse_time(now).expect("time");
    let mut compared = 0;
    for text in leads {
        let Ok(lead) = Lead::from_json_str(interp.ir(), text, LeadOptions::default()) else { continue };
        assert_eq!(interp.select(&lead, now), jit.select(&lead, now), "select, lead {text}");
        common::assert_same_decisions((&interp, &jit), (&mut si, &mut sj), &lead, now, text);
        compared += 1;
    }
    compared
}

fn example(name: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)).expect("example file")
}

fn example_leads() -> Vec<String> {
    example("leads.ndjson").lines().map(String::from).collect()
}

/// What `leadroute route` does by default: decide with the interpreter
/// while the policy compiles, then switch to the native code. The lines
/// (and the state they leave) are those of either backend alone, wherever
/// the switch falls; code compiled from another policy is refused.
#[test]
fn an_engine_switched_to_compiled_code_part_way_decides_as_either_backend_alone() {
    use leadroute_runtime::Engine;
    let (policy, state) = (example("inbound.route"), example("state.json"));
    let (interp, jit) = both(&[("inbound.route", &policy)]);
    let state = |p: &Policy| State::from_json(p.ir(), &state).expect("state").0;
    let now: jiff::Timestamp = "2026-11-24T15:00:00Z".parse().expect("a time");
    let leads = example_leads();
    let run = |engine: &mut Engine, leads: &[String]| -> Vec<u8> {
        let mut all = Vec::new();
        for text in leads {
            let mut line = Vec::new();
            match engine.route_str_json(text, now, None, &mut line) {
                Ok(_) => all.extend(line),
                Err(rejected) => all.extend(serde_json::to_vec(&*rejected).expect("json")),
            }
        }
        all
    };
    let mut by_jit = Engine::with_state(jit.clone(), state(&jit));
    let alone = run(&mut by_jit, &leads);
    let state_after = by_jit.state().to_json(jit.ir());
    assert_eq!(alone, run(&mut Engine::with_state(interp.clone(), state(&interp)), &leads));
    for switch_at in [0, 1, 290, leads.len()] {
        let mut engine = Engine::with_state(interp.clone(), state(&interp));
        let code = engine.shared_policy().compile_jit().expect("compiles");
        let mut out = run(&mut engine, &leads[..switch_at]);
        assert_eq!(engine.policy().backend(), Backend::Interp);
        assert!(engine.install(code).is_ok());
        assert_eq!(engine.policy().backend(), Backend::Jit);
        out.extend(run(&mut engine, &leads[switch_at..]));
        assert!(out == alone, "switched after {switch_at} leads");
        assert_eq!(engine.state().to_json(engine.policy().ir()), state_after, "state after switching at {switch_at}");
    }
    // Code compiled from another policy is given back.
    let (other, _) = both(&[("inbound.route", &policy.replace("sla 4h", "sla 5h"))]);
    let mut engine = Engine::with_state(interp.clone(), state(&interp));
    assert!(engine.install(other.compile_jit().expect("compiles")).is_err());
    assert_eq!(engine.policy().backend(), Backend::Interp);
}

#[test]
fn backends_agree_on_the_bundled_policy_at_several_times() {
    let (policy, state) = (example("inbound.route"), example("state.json"));
    for now in ["2026-11-24T15:00:00Z", "2026-11-24T20:30:00Z", "2026-11-25T02:00:00Z", "2026-11-28T12:00:00Z"] {
        assert_eq!(assert_backends_agree(&[("inbound.route", &policy)], Some(&state), &example_leads(), now), 582);
    }
}

#[test]
fn backends_agree_on_the_rota_example_around_the_clock_and_across_both_dst_changes() {
    // Holidays, a night shift with a per-shift cap, a split shift, an EMEA pool with its own
    // hours and business-hours SLAs: every 7h17m from March to November 2026, 40 leads at a time.
    let policy = example("rota.route");
    let leads: Vec<String> = (0..40)
        .map(|i| format!(r#"{{"id": "L{i}", "email": "a@b.example", "region": "{}", "intent": {}}}"#, ["emea", "amer"][i % 2], 30 + (i * 7) % 70))
        .collect();
    let (mut now, end) = (parse_time("2026-03-01T00:00:00Z"), parse_time("2026-11-10T00:00:00Z"));
    let mut times = 0;
    while now < end {
        assert_eq!(assert_backends_agree(&[("rota.route", &policy)], None, &leads, &leadroute_runtime::state::format_time(now)), 40);
        now += 7 * 3_600_000 + 17 * 60_000;
        times += 1;
    }
    assert!(times > 800, "{times}");
}

#[test]
fn backends_agree_on_edited_copies_of_the_bundled_policy() {
    let policy = example("inbound.route");
    let edits = [
        ("tier warm when intent >= 40.0", "tier warm when intent >= 35.0"),
        ("domain(email) in free_domains and tier != hot", "domain(email) in free_domains and tier == cold"),
    ];
    for (from, to) in edits {
        assert_eq!(policy.matches(from).count(), 1, "{from}");
        let edited = policy.replacen(from, to, 1);
        assert_eq!(assert_backends_agree(&[("inbound.route", &edited)], Some(&example("state.json")), &example_leads(), "2026-11-24T15:00:00Z"), 582);
    }
}

#[test]
fn backends_agree_on_the_other_example_policies() {
    // A grid over overlap.route's schema: every country list, every source,
    // scores and headcounts on both sides of each threshold, missing headcount.
    let mut leads = Vec::new();
    for country in ["GB", "DE", "AT", "US", "CA", "JP", "de", ""] {
        for source in ["web", "chat", "event", "partner"] {
            for score in [0.0, 39.5, 40.0, 79.99, 80.0, 100.0] {
                for employees in ["", r#", "employees": 4999"#, r#", "employees": 5000"#, r#", "employees": -3"#] {
                    let id = leads.len();
                    leads.push(format!(
                        r#"{{"id": "o-{id}", "email": "a@b.example", "country": "{country}", "score": {score}, "source": "{source}"{employees}}}"#
                    ));
                }
            }
        }
    }
    let overlap = example("overlap.route");
    assert_eq!(assert_backends_agree(&[("overlap.route", &overlap)], None, &leads, "2026-11-24T15:00:00Z"), leads.len());
}

#[test]
fn backends_agree_on_the_200_rule_policy() {
    let policy = gen::policy_200();
    for (spread, seed) in [(true, 1), (false, 2), (true, 3)] {
        let leads = gen::leads_200(3000, spread, seed);
        assert_eq!(assert_backends_agree(&[("p.route", &policy)], None, &leads, "2026-11-24T15:00:00Z"), 3000);
    }
}

// ------------------------------------------------------------ the command line

mod common;

use common::{run, TempDir};

fn example_path(name: &str) -> String {
    common::root().join("examples").join(name).to_string_lossy().into_owned()
}

/// `leadroute route` on the bundled example prints the same bytes with either backend,
/// with and without traces, as human text, JSON and a summary, and writes the same state.
#[test]
fn route_prints_the_same_with_either_backend() {
    let dir = TempDir::new("backends-route");
    let policy = example_path("inbound.route");
    let (leads, state) = (example_path("leads.ndjson"), example_path("state.json"));
    for extra in [&["--format", "json"][..], &["--format", "human", "--explain"], &["--format", "json", "--explain"], &["--summary"]] {
        let mut outputs = Vec::new();
        // No `--backend`: interpreted until the policy is compiled, then native code.
        for backend in ["jit", "interp", "default"] {
            let state_out = dir.join(&format!("state-{backend}.json"));
            let mut args = vec!["route", &policy, "--leads", &leads, "--state", &state, "--now", "2026-11-24T15:00:00Z"];
            if backend != "default" {
                args.extend(["--backend", backend]);
            }
            args.extend(["--state-out", &state_out]);
            args.extend(extra);
            let r = run(&args);
            r.expect_code(1); // 18 invalid leads are rejected by design
            outputs.push((r.stdout.clone(), r.stderr.clone(), dir.read(&format!("state-{backend}.json"))));
        }
        assert!(!outputs[0].0.is_empty());
        assert_eq!(outputs[0], outputs[1], "route {extra:?}");
        assert_eq!(outputs[0], outputs[2], "route {extra:?}, default backend");
    }
}

#[test]
fn test_command_reports_the_same_with_either_backend() {
    let dir = TempDir::new("backends-test");
    let policy = example_path("inbound.route");
    // The snapshot is stored beside the lead file: work on a copy.
    let leads = dir.write("leads.ndjson", example("leads.ndjson"));
    run(&["test", &policy, "--snapshot", &leads, "--update", "--backend", "interp", "--state", &example_path("state.json")]).expect_no_crash();
    let mut outputs = Vec::new();
    for backend in ["jit", "interp"] {
        let inline = run(&["test", &policy, "--coverage", "--backend", backend]);
        inline.expect_code(0);
        let snapshot = run(&["test", &policy, "--snapshot", &leads, "--backend", backend, "--state", &example_path("state.json")]);
        snapshot.expect_no_crash();
        outputs.push((inline.stdout.clone(), snapshot.stdout.clone(), snapshot.code()));
    }
    assert!(outputs[0].1.contains("snapshot"), "{}", outputs[0].1);
    assert_eq!(outputs[0].2, 0, "the JIT matches the interpreter's recorded snapshot:\n{}", outputs[0].1);
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn an_unknown_backend_is_refused_with_the_choices() {
    let r = run(&["route", &example_path("inbound.route"), "--lead", "-", "--backend", "llvm"]);
    r.expect_code(2);
    assert!(r.stderr.contains("jit") && r.stderr.contains("interp"), "{}", r.stderr);
}

/// More than 64 territories: the match set spans several words, and rules
/// for territories past the 63rd are not bucketed; both backends still agree.
#[test]
fn backends_agree_with_more_territories_than_a_word_holds() {
    let mut text = String::from(
        "policy wide {\n  owner \"ops@acme.example\"\n  timezone \"UTC\"\n}\n\
         schema lead {\n  id: string\n  country: string\n  score: float\n  region: string?\n}\n\
         queue review { sla 1h }\nqueue far { sla 1h }\nqueue near { sla 1h }\nqueue scored { sla 1h }\n\
         tier hot when score >= 80 sla 5m\ntier cold otherwise sla 1d\n\
         on ambiguous_territory -> queue review\n",
    );
    for i in 0..70 {
        // Territory 69 overlaps territory 3 when the region says so: an ambiguous lead.
        let extra = if i == 69 { " or (country == \"C3\" and region is present and region == \"x\")" } else { "" };
        text.push_str(&format!("territory t{i} when country == \"C{i}\"{extra}\n"));
    }
    text.push_str("route main {\n");
    for (k, t) in [0, 62, 63, 64, 69].iter().enumerate() {
        let q = ["far", "near", "scored", "far", "near"][k];
        text.push_str(&format!("  r{k}: when territory == t{t} and tier == hot -> queue {q}\n"));
    }
    text.push_str("  hot_any: when tier == hot and territory != t1 -> queue scored\n  otherwise -> queue review\n}\n");
    let mut leads = Vec::new();
    for c in (0..72).map(|i| format!("C{i}")).chain(["US".to_string(), String::new()]) {
        for score in [10.0, 90.0] {
            for region in ["", r#", "region": "x""#, r#", "region": "y""#] {
                leads.push(format!(r#"{{"id": "w{}", "country": "{c}", "score": {score}{region}}}"#, leads.len()));
            }
        }
    }
    assert_eq!(assert_backends_agree(&[("wide.route", &text)], None, &leads, "2026-11-24T15:00:00Z"), leads.len());
}

/// Thousands of territories, each named by a rule of one route: the rules
/// of territories past the 63rd are kept once for all of them (a list per
/// territory would be territories times rules), and each lead still gets
/// its own territory's rule, with either backend.
#[test]
fn each_of_thousands_of_territories_gets_its_own_rule() {
    const N: usize = 3000;
    let mut text = String::from(
        "policy wide {\n  owner \"ops@acme.example\"\n  timezone \"UTC\"\n}\n\
         schema lead {\n  id: string\n  country: string\n}\n\
         queue review { sla 1h }\nqueue mine { sla 1h }\ntier standard otherwise sla 1d\n",
    );
    text.extend((0..N).map(|i| format!("territory t{i} when country == \"C{i}\"\n")));
    text.push_str("route main {\n");
    text.extend((0..N).map(|i| format!("  r{i}: when territory == t{i} -> queue mine\n")));
    text.push_str("  otherwise -> queue review\n}\n");
    let (interp, jit) = both(&[("wide.route", &text)]);
    let (state, now) = (State::new(jit.ir()), leadroute_runtime::parse_time("2026-11-24T15:00:00Z").expect("time"));
    for i in [0, 1, 62, 63, 64, 65, 1000, 2998, 2999] {
        let lead = Lead::from_json_str(jit.ir(), &format!(r#"{{"id": "L{i}", "country": "C{i}"}}"#), LeadOptions::default()).expect("valid");
        for p in [&interp, &jit] {
            let d = p.decide(&lead, &state, &p.at(now), false);
            assert_eq!((d.rule.as_deref(), d.territory.as_deref()), (Some(format!("r{i}").as_str()), Some(format!("t{i}").as_str())), "{:?}", p.backend());
        }
    }
    let lead = Lead::from_json_str(jit.ir(), r#"{"id": "none", "country": "US"}"#, LeadOptions::default()).expect("valid");
    for p in [&interp, &jit] {
        assert_eq!(p.decide(&lead, &state, &p.at(now), false).queue.as_deref(), Some("review"), "no territory: only `otherwise` can take it");
    }
}

/// A compiled policy is shared between threads by reference; each thread's
/// selections equal the interpreter's.
#[test]
fn a_compiled_policy_is_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Policy>();
    let (interp, jit) = both(&[("p.route", &gen::policy_200())]);
    let leads: Vec<Lead> = gen::leads_200(2000, true, 5).iter().filter_map(|l| Lead::from_json_str(jit.ir(), l, LeadOptions::default()).ok()).collect();
    let expected: Vec<_> = leads.iter().map(|l| interp.select(l, 0)).collect();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for (l, want) in leads.iter().zip(&expected) {
                    assert_eq!(&jit.select(l, 0), want);
                }
            });
        }
    });
}

/// A lead laid out once for a policy decides like the lead itself, with
/// either backend; one laid out for another policy is laid out again.
#[test]
fn flat_leads_select_like_leads_even_across_policies() {
    let (interp, jit) = both(&[("p.route", &gen::policy_200())]);
    let other = Policy::from_ir_with(jit.ir().clone(), Backend::Jit).expect("compiles");
    let (_, edited) = both(&[("p.route", &gen::policy_200().replace("tier warm when score >= 50", "tier warm when score >= 45"))]);
    for text in gen::leads_200(2000, true, 9).iter().chain(&gen::leads_200(500, false, 10)) {
        let Ok(lead) = Lead::from_json_str(jit.ir(), text, LeadOptions::default()) else { continue };
        let want = interp.select(&lead, 0);
        let flat = jit.flat_lead(lead.clone());
        assert_eq!(flat.lead(), &lead);
        assert_eq!(jit.select_flat(&flat, 0), want, "{text}");
        assert_eq!(other.select_flat(&flat, 0), want, "laid out for another compilation of the same policy");
        assert_eq!(edited.select_flat(&flat, 0), edited.select(&lead, 0), "laid out for another policy");
        assert_eq!(interp.select_flat(&interp.flat_lead(lead.clone()), 0), want);
    }
}

#[path = "../compiler/benches/large_policy.rs"]
mod large_policy;

/// A large policy (10,000 lines: 169 territories, 508 rules, tests of
/// territories past the 63rd) compiles to code that grows with the rules,
/// not with rules × territories, and decides like the interpreter.
#[test]
fn a_large_policy_compiles_to_code_linear_in_its_rules_and_agrees() {
    let text = large_policy::generate(10_000);
    let (interp, jit) = both(&[("big.route", &text)]);
    let rules: usize = jit.ir().routes.iter().map(|r| r.rules.len()).sum();
    assert!(jit.ir().territories.len() > 64 && rules > 400);
    assert!(jit.code_bytes() < 600 * rules, "{} bytes of code for {rules} rules", jit.code_bytes());
    let now = leadroute_runtime::parse_time("2026-11-24T15:00:00Z").expect("time");
    for n in (0..200).step_by(7) {
        for (country, state) in [(format!("C{n}"), format!("S{n}A")), (format!("C{n}"), "ZZ".into()), ("US".into(), "CA".into())] {
            let text = format!(
                r#"{{"id": "L{n}", "email": "a@b.example", "country": "{country}", "state": "{state}", "intent": {}, "source": "chat", "created_at": "2026-11-20T15:00:00Z", "tags": []}}"#,
                (n * 13) % 100
            );
            let lead = Lead::from_json_str(jit.ir(), &text, LeadOptions::default()).expect("valid");
            assert_eq!(jit.select(&lead, now), interp.select(&lead, now), "{text}");
        }
    }
}

/// How many native functions a compiled policy has (from its debug form).
fn functions(p: &Policy) -> usize {
    let text = format!("{p:?}");
    let at = text.find("functions: ").map(|i| i + "functions: ".len()).expect("a compiled policy");
    text[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect("a count")
}

/// Decides `leads` with the interpreter and with code cut into functions of
/// at most `max_nodes` condition nodes, comparing selections and decisions
/// byte for byte; the number of functions of the cut code.
fn assert_cut_code_agrees(text: &str, leads: &[String], now: &str, max_nodes: usize) -> usize {
    let ir = common::ir_of(&[("p.route", text)]);
    let interp = Policy::from_ir_with(ir.clone(), Backend::Interp).expect("loads");
    let cut = Policy::from_ir_with(ir, Backend::Interp).and_then(|p| p.with_jit_cut(max_nodes)).expect("compiles");
    let (mut si, mut sj) = (State::new(interp.ir()), State::new(cut.ir()));
    let now = leadroute_runtime::parse_time(now).expect("time");
    for text in leads {
        let Ok(lead) = Lead::from_json_str(interp.ir(), text, LeadOptions::default()) else { continue };
        assert_eq!(interp.select(&lead, now), cut.select(&lead, now), "select, {max_nodes} nodes a function, lead {text}");
        assert_eq!(interp.select_flat(&interp.flat_lead(lead.clone()), now), cut.select_flat(&cut.flat_lead(lead.clone()), now), "select_flat, lead {text}");
        common::assert_same_decisions((&interp, &cut), (&mut si, &mut sj), &lead, now, text);
    }
    functions(&cut)
}

/// Long routes, territory lists and tier lists are compiled to chains of
/// functions of bounded size; cut very small, the chains decide exactly like
/// the interpreter: first match, `else continue` resuming in a later
/// function, and the whole selection going on past its first function.
#[test]
fn code_cut_into_many_functions_decides_like_the_interpreter() {
    let policy = gen::policy_200();
    let leads = gen::leads_200(600, true, 5);
    let whole = functions(&both(&[("p.route", &policy)]).1);
    // 20 nodes: tiers and territories stay whole, so the whole selection is one
    // call that goes on to the rules' later functions; 3: everything is cut.
    for max in [20, 3] {
        let n = assert_cut_code_agrees(&policy, &leads, "2026-11-24T15:00:00Z", max);
        assert!(n > whole + 5, "{n} functions at {max} nodes each, {whole} uncut");
    }
    // `else continue` (resumable rules), more than 64 territories, function results.
    let text = large_policy::generate(2_000);
    let mut leads = Vec::new();
    for n in 0..60 {
        for (country, state) in [(format!("C{n}"), format!("S{n}A")), (format!("C{n}"), "ZZ".into()), ("US".into(), "CA".into())] {
            leads.push(format!(
                r#"{{"id": "L{n}", "email": "a@d{n}.example", "country": "{country}", "state": "{state}", "intent": {}, "source": "chat", "segment": "enterprise", "created_at": "2026-11-20T15:00:00Z", "tags": ["t{n}"]}}"#,
                (n * 13) % 100
            ));
        }
    }
    assert!(assert_cut_code_agrees(&text, &leads, "2026-11-24T15:00:00Z", 10) > 20);
}

/// A `Lead` built by hand with values of the wrong type (the schema's
/// validation would reject them) is still decided alike: such a value
/// reads as absent to value tests and as present to `is present`.
#[test]
fn hand_built_leads_with_wrong_types_decide_alike() {
    use leadroute_runtime::ir::Value;
    let (interp, jit) = both(&[("p.route", &gen::policy_200())]);
    let slot = |name: &str| jit.ir().fields.iter().position(|f| f.name == name).expect("field");
    let wrong = [
        ("country", Value::Int(3)),
        ("state", Value::Bool(true)),
        ("employees", Value::Str("many".into())),
        ("source", Value::Str("chat".into())),
        ("score", Value::Enum(1)),
        ("partner_id", Value::Float(1.0)),
    ];
    let now = 0;
    for (k, text) in gen::leads_200(600, true, 12).iter().enumerate() {
        let Ok(mut lead) = Lead::from_json_str(jit.ir(), text, LeadOptions::default()) else { continue };
        let (name, v) = &wrong[k % wrong.len()];
        lead.values[slot(name)] = Some(v.clone());
        assert_eq!(jit.select(&lead, now), interp.select(&lead, now), "{name} = {v:?} in {text}");
        let (s, m) = (State::new(jit.ir()), jit.at(now));
        let (a, b) = (jit.decide(&lead, &s, &m, false), interp.decide(&lead, &s, &m, false));
        assert_eq!(serde_json::to_string(&a).ok(), serde_json::to_string(&b).ok());
    }
}

/// String and list functions are computed once per lead while the record is
/// built, and conditions over them run natively, including a missing field
/// whose handler stops routing inside a function's argument.
#[test]
fn conditions_over_function_results_run_natively_and_agree() {
    let text = r#"
policy fns {
  owner "ops@acme.example"
  timezone "UTC"
}
schema lead {
  id: string
  email: string?
  company: string?
  campaign: string?
  tags: list<string>
}
queue review { sla 1h }
queue internal { sla 1h }
queue abm { sla 1h }
queue named { sla 1h }
queue other { sla 1h }
queue spam { sla 1h }
tier all otherwise sla 1h
on missing(email) -> queue review
route main {
  junk: when contains(tags, "spam") -> queue spam
  abm: when starts_with(campaign ?? "", "abm-") -> queue abm
  named: when company is present and lower(company) == "globex" -> queue named
  internal: when domain(email) in ["acme.example", "acme.test"] -> queue internal
  not_free: when domain(email) not in ["gmail.com", "yahoo.com"] and upper(company ?? "") != "X" -> queue other
  otherwise -> queue review
}
"#;
    let (interp, jit) = both(&[("fns.route", text)]);
    let (derived, callbacks) = jit.compiled_stats().expect("compiled");
    // contains, starts_with, lower, domain (shared by two rules), upper.
    assert_eq!((derived, callbacks), (5, 0), "every function result is derived, no condition calls back");
    let mut leads = Vec::new();
    let emails = ["", r#""email": "a@ACME.example","#, r#""email": "b@gmail.com","#, r#""email": "c@other.io","#, r#""email": "bad","#, r#""email": "d@Bücher.de ","#];
    for email in emails {
        for company in ["", r#""company": "GloBex","#, r#""company": "x","#, r#""company": "Globéx","#] {
            for campaign in ["", r#""campaign": "abm-q4","#, r#""campaign": "spring","#] {
                for tags in ["[]", r#"["spam"]"#, r#"["vip", "other"]"#] {
                    leads.push(format!(r#"{{{email}{company}{campaign}"id": "f{}", "tags": {tags}}}"#, leads.len()));
                }
            }
        }
    }
    assert_eq!(assert_backends_agree(&[("fns.route", text)], None, &leads, "2026-11-24T15:00:00Z"), leads.len());
    // Both queues that only a function result can reach are reached.
    let now = leadroute_runtime::parse_time("2026-11-24T15:00:00Z").expect("time");
    let mut reached = std::collections::BTreeSet::new();
    for l in &leads {
        let lead = Lead::from_json_str(jit.ir(), l, LeadOptions::default()).expect("valid");
        let d = jit.decide(&lead, &State::new(jit.ir()), &jit.at(now), false);
        reached.insert(d.queue.clone().unwrap_or_default());
        assert_eq!(jit.select(&lead, now), interp.select(&lead, now));
    }
    for q in ["spam", "abm", "named", "internal", "other", "review"] {
        assert!(reached.contains(q), "{q} never reached: {reached:?}");
    }
}

/// `since(field) OP duration` runs natively: at several times, with the
/// field missing (raising through its handler), and with extreme times a
/// hand-built lead can hold (the difference saturates as in the interpreter).
#[test]
fn since_comparisons_run_natively_and_agree() {
    use leadroute_runtime::ir::Value;
    let text = r#"
policy ages {
  owner "ops@acme.example"
  timezone "UTC"
}
schema lead {
  id: string
  created_at: time?
  seen_at: time?
}
queue review { sla 1h }
queue stale { sla 1h }
queue fresh { sla 1h }
queue future { sla 1h }
queue seen { sla 1h }
tier all otherwise sla 1h
on missing(created_at) -> queue review
route main {
  stale: when since(created_at) > 14d -> queue stale
  future: when since(created_at) < 1m -> queue future
  seen: when seen_at is present and 2h >= since(seen_at) -> queue seen
  fresh: when since(created_at) <= 1d -> queue fresh
  otherwise -> queue review
}
"#;
    let (interp, jit) = both(&[("ages.route", text)]);
    assert_eq!(jit.compiled_stats().map(|s| s.1), Some(0), "no condition calls back into the interpreter");
    let mut leads = Vec::new();
    for created in ["", r#""created_at": "2026-11-01T00:00:00Z","#, r#""created_at": "2026-11-24T14:00:00Z","#, r#""created_at": "2026-12-24T00:00:00Z","#, r#""created_at": "0001-01-01T00:00:00Z","#] {
        for seen in ["", r#""seen_at": "2026-11-24T13:30:00Z","#, r#""seen_at": "2026-11-20T00:00:00Z","#] {
            leads.push(format!(r#"{{{created}{seen}"id": "a{}"}}"#, leads.len()));
        }
    }
    for now in ["2026-11-24T15:00:00Z", "2026-11-10T00:00:00Z", "2200-01-01T00:00:00Z"] {
        assert_eq!(assert_backends_agree(&[("ages.route", text)], None, &leads, now), leads.len());
    }
    let slot = |name: &str| jit.ir().fields.iter().position(|f| f.name == name).expect("field");
    for v in [Value::Time(i64::MIN), Value::Time(i64::MAX), Value::Time(0), Value::Int(5)] {
        for now in [i64::MIN, -1, 0, i64::MAX] {
            let mut lead = Lead::from_json_str(jit.ir(), r#"{"id": "x"}"#, LeadOptions::default()).expect("valid");
            lead.values[slot("created_at")] = Some(v.clone());
            assert_eq!(jit.select(&lead, now), interp.select(&lead, now), "{v:?} at {now}");
        }
    }
}

/// More distinct function results than are computed with each lead's record
/// (one `contains(tags, "tI")` per rule, as a policy with a tag per segment
/// has): only the most shared are computed up front, the rest when a rule
/// reaches them, and both backends still agree. Computing all of them for
/// every lead made each lead cost every rule's function call.
#[test]
fn function_results_past_the_per_lead_limit_are_computed_when_reached() {
    let mut text = String::from(
        "policy tags {\n  owner \"ops@acme.example\"\n  timezone \"UTC\"\n}\n\
         schema lead {\n  id: string\n  email: string\n  country: string\n  tags: list<string>\n}\n\
         queue review { sla 1h }\nqueue tagged { sla 1h }\nqueue vip { sla 1h }\n\
         tier all otherwise sla 1h\nroute main {\n",
    );
    let rules = 150;
    for i in 0..rules {
        // `domain(email)` is shared by every other rule: it stays computed with the record.
        let vip = if i % 2 == 0 { format!(" or domain(email) == \"d{i}.example\"") } else { String::new() };
        text.push_str(&format!(
            "  r{i}: when (country == \"C{i}\" and contains(tags, \"t{i}\")){vip} -> queue {}\n",
            if i % 2 == 0 { "vip" } else { "tagged" }
        ));
    }
    text.push_str("  otherwise -> queue review\n}\n");
    let (_, jit) = both(&[("tags.route", &text)]);
    let (derived, callbacks) = jit.compiled_stats().expect("compiled");
    assert!(derived <= 64, "at most 64 results per lead, got {derived}");
    assert!(callbacks >= rules - 64, "the others are called when reached ({callbacks} callbacks)");
    let mut leads = Vec::new();
    for i in [0, 1, 2, 63, 64, 65, 100, 148, 149, 150] {
        for tags in ["[]", &format!(r#"["t{i}"]"#), &format!(r#"["x", "t{}", "t{i}"]"#, i + 1)] {
            for email in [format!("a@d{i}.example"), "b@other.io".to_string()] {
                leads.push(format!(r#"{{"id": "g{}", "email": "{email}", "country": "C{i}", "tags": {tags}}}"#, leads.len()));
            }
        }
    }
    assert_eq!(assert_backends_agree(&[("tags.route", &text)], None, &leads, "2026-11-24T15:00:00Z"), leads.len());
}
