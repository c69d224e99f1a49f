//! Tables end to end: a lookup agrees with a reference map on random tables
//! and random keys (case, `www.`, whitespace, email forms, aliases, free
//! mail) on both backends, the backends agree byte for byte on the
//! `examples/accounts` policy, and the CLI checks, tests, routes and
//! explains it.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use common::run;
use leadroute_compiler::source::MemoryProvider;
use leadroute_runtime::{Backend, Lead, LeadOptions, Policy, State};
use proptest::prelude::*;

const REPS: [&str; 4] = ["r0", "r1", "r2", "r3"];

fn policy_text() -> String {
    let reps: String = REPS.iter().map(|r| format!("rep {r} {{ email \"{r}@acme.example\" }}\n")).collect();
    format!(
        r#"policy p {{ owner "o@acme.example" timezone "UTC" }}
schema lead {{ id: string  email: string }}
{reps}team all {{ members [{}] }}
queue miss {{ sla 1h }}
queue first {{ sla 1h }}
tier t otherwise sla 1h
table accounts from "accounts.csv" {{
  domain:  domain key
  aliases: list<domain> alias
  owner:   rep
}}
free_mail ["corp-mail.example"]
route main {{
  when accounts[email] is present and accounts[email].owner == "r0" -> queue first
  when accounts[email] is present -> assign owner(accounts[email].owner) else queue miss
  otherwise -> queue miss
}}
"#,
        REPS.join(", ")
    )
}

/// The IR of the test policy with this CSV (warnings allowed, no errors).
fn ir_with(csv: &str) -> leadroute_runtime::ir::PolicyIr {
    let mut fs = MemoryProvider::new();
    fs.insert("p/p.route", policy_text());
    fs.insert("p/accounts.csv", csv);
    let (sources, checked) = leadroute_compiler::check_paths(&fs, &[PathBuf::from("p/p.route")]);
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{csv}");
    leadroute_compiler::lower::lower(&sources, &checked).expect("lowers")
}

/// The reference: how a domain key is compared, written independently of the runtime.
fn model_norm(raw: &str) -> String {
    let s = raw.trim();
    let s = match s.rfind('@') {
        Some(i) => s[i + 1..].trim(),
        None => s,
    };
    let s = s.strip_suffix('.').unwrap_or(s).to_ascii_lowercase();
    s.strip_prefix("www.").map(str::to_string).unwrap_or(s)
}

fn is_free(d: &str) -> bool {
    d == "corp-mail.example" || leadroute_runtime::table::bundled_free_mail().any(|f| f == d)
}

/// One account: a key, aliases, an owner.
#[derive(Debug, Clone)]
struct Row {
    key: String,
    aliases: Vec<String>,
    owner: usize,
}

fn domain() -> impl Strategy<Value = String> {
    ("[a-z]{2,7}(-[a-z]{2,5})?", prop::sample::select(vec!["com", "io", "co.uk", "example", "de"])).prop_map(|(n, tld)| format!("{n}.{tld}"))
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    let row = (
        prop_oneof![9 => domain(), 1 => prop::sample::select(vec!["gmail.com".to_string(), "outlook.com".to_string(), "corp-mail.example".to_string()])],
        prop::collection::vec(domain(), 0..3),
        0..REPS.len(),
    )
        .prop_map(|(key, aliases, owner)| Row { key, aliases, owner });
    prop::collection::vec(row, 1..25).prop_map(|rows| {
        // Keys and aliases unique across the table (a duplicate is an error, tested elsewhere).
        let mut seen = std::collections::HashSet::new();
        rows.into_iter()
            .filter_map(|mut r| {
                if !seen.insert(r.key.clone()) {
                    return None;
                }
                r.aliases.retain(|a| seen.insert(a.clone()));
                Some(r)
            })
            .collect()
    })
}

/// How a query is written: a key or alias of the table (or not), dressed up.
fn query(rows: Vec<Row>) -> impl Strategy<Value = String> {
    let known: Vec<String> = rows.iter().flat_map(|r| std::iter::once(r.key.clone()).chain(r.aliases.clone())).collect();
    let base = prop_oneof![3 => prop::sample::select(known), 1 => domain(), 1 => Just("gmail.com".to_string())];
    (base, any::<u8>(), "[a-z.]{1,8}").prop_map(|(d, style, local)| {
        let mut s = d;
        if style & 1 != 0 {
            s = s.to_uppercase();
        }
        if style & 2 != 0 {
            s = format!("{}{s}", if style & 16 != 0 { "WWW." } else { "www." });
        }
        if style & 4 != 0 {
            s = format!("{local}@{s}");
        }
        if style & 8 != 0 {
            s.push('.');
        }
        if style & 32 != 0 {
            s = format!("  {s}\t");
        }
        s
    })
}

fn csv_of(rows: &[Row]) -> String {
    let mut csv = String::from("domain,aliases,owner\n");
    for r in rows {
        csv.push_str(&format!("{},{},{}\n", r.key, r.aliases.join(";"), REPS[r.owner]));
    }
    csv
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_lookup_agrees_with_a_reference_map_on_both_backends(
        (rows, queries) in rows().prop_flat_map(|rows| {
            let q = prop::collection::vec(query(rows.clone()), 1..20);
            (Just(rows), q)
        })
    ) {
        let mut model: HashMap<String, usize> = HashMap::new();
        for r in &rows {
            for k in std::iter::once(&r.key).chain(&r.aliases) {
                let k = model_norm(k);
                if !is_free(&k) {
                    model.insert(k, r.owner);
                }
            }
        }
        let ir = ir_with(&csv_of(&rows));
        let interp = Policy::from_ir_with(ir.clone(), Backend::Interp).expect("loads");
        let jit = Policy::from_ir_with(ir, Backend::Jit).expect("compiles");
        let now = leadroute_runtime::parse_time("2026-11-24T15:00:00Z").expect("time");
        for (i, q) in queries.iter().enumerate() {
            let json = serde_json::json!({ "id": format!("L{i}"), "email": q }).to_string();
            let want = match model.get(&model_norm(q)) {
                Some(0) => (None, Some("first".to_string())),
                Some(o) => (Some(REPS[*o].to_string()), None),
                None => (None, Some("miss".to_string())),
            };
            for p in [&interp, &jit] {
                let lead = Lead::from_json_str(p.ir(), &json, LeadOptions::default()).expect("a valid lead");
                let d = p.decide(&lead, &State::new(p.ir()), &p.at(now), false);
                prop_assert_eq!((d.rep.clone(), d.queue.clone()), want.clone(), "query {:?} on {:?}", q, p.backend());
            }
        }
    }
}

fn example(name: &str) -> String {
    std::fs::read_to_string(common::root().join("examples/accounts").join(name)).expect("example file")
}

#[test]
fn backends_agree_byte_for_byte_on_the_accounts_example() {
    let mut fs = MemoryProvider::new();
    for f in ["accounts.route", "accounts.csv", "west_zips.csv"] {
        fs.insert(format!("accounts/{f}"), example(f));
    }
    let (sources, checked) = leadroute_compiler::check_paths(&fs, &[PathBuf::from("accounts/accounts.route")]);
    let ir = leadroute_compiler::lower::lower(&sources, &checked).expect("lowers");
    let interp = Policy::from_ir_with(ir.clone(), Backend::Interp).expect("loads");
    let jit = Policy::from_ir_with(ir, Backend::Jit).expect("compiles");
    let (derived, _) = jit.compiled_stats().expect("compiled");
    assert!(derived >= 3, "lookups and memberships are computed once per lead ({derived})");
    let domains: Vec<String> = example("accounts.csv").lines().skip(1).map(|l| l.split(',').next().unwrap_or("").to_string()).collect();
    let zips: Vec<String> = example("west_zips.csv").lines().skip(1).map(String::from).collect();
    let now = leadroute_runtime::parse_time("2026-11-24T15:00:00Z").expect("time");
    let (mut si, mut sj) = (State::new(interp.ir()), State::new(jit.ir()));
    // A small deterministic generator: no randomness in what is compared.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    for i in 0..600 {
        let domain = match next(4) {
            0 => "gmail.com".to_string(),
            1 => format!("new{}.example", next(50)),
            _ => domains[next(domains.len())].to_uppercase(),
        };
        let mut lead = serde_json::json!({ "id": format!("L{i}"), "email": format!("p{i}@www.{domain}"), "source": "web" });
        match next(3) {
            0 => lead["zip"] = serde_json::json!(zips[next(zips.len())]),
            1 => lead["zip"] = serde_json::json!(format!("{:05}", next(99_999))),
            _ => {}
        }
        let text = lead.to_string();
        let lead = Lead::from_json_str(interp.ir(), &text, LeadOptions::default()).expect("valid");
        common::assert_same_decisions((&interp, &jit), (&mut si, &mut sj), &lead, now, &text);
    }
}

/// Conditions that read cells, empty optional ones included, with and
/// without a default: the compiled backend reads them from per-column
/// arrays, the interpreter from the rows; the decisions must not differ.
#[test]
fn backends_agree_on_conditions_that_read_cells() {
    let policy = std::fs::read_to_string(common::root().join("examples/accounts/accounts.route")).expect("example");
    let route_start = policy.find("route inbound {").expect("the route");
    let route_end = route_start + policy[route_start..].find("\n}\n").expect("its end") + 3;
    let cells = r#"queue no_notes { sla 1h }
queue na { sla 1h }
queue abroad { sla 1h }
queue big { sla 1h }
route inbound {
  abroad: when (accounts[email].region ?? "?") in ["EMEA", "APAC"] -> queue abroad
  na:     when accounts[email] is present and accounts[email].region is present and accounts[email].region == "NA" -> queue na
  quiet:  when accounts[email].notes ?? "none" == "none" and accounts[email] is present -> queue no_notes
  big:    when accounts[email] is present and accounts[email].segment == enterprise -> queue big
  otherwise -> queue review
}
"#;
    let text = format!("{}{cells}{}", &policy[..route_start], &policy[route_end..]);
    let text = text.split("\ntest \"").next().unwrap_or("").to_string();
    let mut fs = MemoryProvider::new();
    fs.insert("accounts/accounts.route", text);
    for f in ["accounts.csv", "west_zips.csv"] {
        fs.insert(format!("accounts/{f}"), example(f));
    }
    let (sources, checked) = leadroute_compiler::check_paths(&fs, &[PathBuf::from("accounts/accounts.route")]);
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let ir = leadroute_compiler::lower::lower(&sources, &checked).expect("lowers");
    let interp = Policy::from_ir_with(ir.clone(), Backend::Interp).expect("loads");
    let jit = Policy::from_ir_with(ir, Backend::Jit).expect("compiles");
    let now = leadroute_runtime::parse_time("2026-11-24T15:00:00Z").expect("time");
    let (mut si, mut sj) = (State::new(interp.ir()), State::new(jit.ir()));
    let domains: Vec<String> = example("accounts.csv").lines().skip(1).map(|l| l.split(',').next().unwrap_or("").to_string()).collect();
    let mut queues = std::collections::BTreeSet::new();
    for (i, domain) in domains.iter().chain(["gmail.com".to_string(), "nobody.example".to_string()].iter()).enumerate() {
        let text = serde_json::json!({ "id": format!("L{i}"), "email": format!("a@{domain}"), "source": "web" }).to_string();
        let lead = Lead::from_json_str(interp.ir(), &text, LeadOptions::default()).expect("valid");
        common::assert_same_decisions((&interp, &jit), (&mut si, &mut sj), &lead, now, &text);
        let d = jit.decide(&lead, &sj, &jit.at(now), false);
        queues.insert(d.queue.clone().unwrap_or_default());
    }
    // Every rule is taken by some account, so each cell path is exercised.
    for q in ["no_notes", "na", "abroad", "review"] {
        assert!(queues.contains(q), "no lead reached {q}: {queues:?}");
    }
}

#[test]
fn a_table_change_is_a_policy_change() {
    let csv = "domain,aliases,owner\nglobex.com,,r1\n";
    let a = ir_with(csv);
    let b = ir_with("domain,aliases,owner\nglobex.com,,r2\n");
    assert_ne!(a.policy_version, b.policy_version, "another owner: another behaviour");
    let c = ir_with("domain,aliases,owner\n\nglobex.com,,r1\n");
    assert_eq!(a.policy_version, c.policy_version, "a blank line moves rows, not behaviour");
    assert_ne!(a.source_digest, c.source_digest, "but the text differs");
}

#[test]
fn a_corrupted_table_in_a_built_policy_is_refused_with_its_path() {
    let ir = ir_with("domain,aliases,owner\nglobex.com,,r1\ninitech.com,,r2\n");
    let mut v = serde_json::to_value(&ir).expect("json");
    v["tables"][0]["rows"][1][0] = serde_json::json!("GLOBEX.com");
    let e = Policy::from_json(&v.to_string()).expect_err("a duplicate key");
    assert!(e.to_string().contains("$.tables[0].rows[1][0]"), "{e}");
    let mut v = serde_json::to_value(&ir).expect("json");
    v["tables"][0]["rows"][0][2] = serde_json::json!("nobody");
    let e = Policy::from_json(&v.to_string()).expect_err("an unknown rep");
    assert!(e.to_string().contains("$.tables[0].rows[0][2]") && e.to_string().contains("nobody"), "{e}");
    let mut v = serde_json::to_value(&ir).expect("json");
    v["routes"][0]["rules"][0]["condition"]["expr"]["args"][0]["value"]["table"] = serde_json::json!(7);
    let e = Policy::from_json(&v.to_string()).expect_err("no table 7");
    assert!(e.to_string().contains("table"), "{e}");
}

#[test]
fn cli_checks_tests_routes_and_explains_the_accounts_example() {
    run(&["check", "examples/accounts/accounts.route"]).expect_code(0);
    let t = run(&["test", "examples/accounts/accounts.route"]);
    t.expect_code(0);
    assert!(t.stdout.contains("7 passed; 0 failed"), "{}", t.stdout);
    let r = run(&["route", "examples/accounts/accounts.route", "--leads", "examples/accounts/leads.ndjson", "--now", "2026-11-24T15:00:00Z", "--format", "human"]);
    r.expect_code(0);
    insta::assert_snapshot!("accounts_route", r.stdout);
    let lead = common::TempDir::new("tables-explain");
    let path = lead.write("lead.json", r#"{"id":"X1","email":"Jane@WWW.Globex.com.","zip":"94103","source":"web"}"#);
    let e = run(&["route", "examples/accounts/accounts.route", "--lead", &path, "--now", "2026-11-24T15:00:00Z", "--explain", "--format", "human"]);
    e.expect_code(0);
    insta::assert_snapshot!("accounts_explain", e.stdout);
    let free = lead.write("free.json", r#"{"id":"X2","email":"jane@gmail.com","zip":"97201","source":"web"}"#);
    let e = run(&["route", "examples/accounts/accounts.route", "--lead", &free, "--now", "2026-11-24T15:00:00Z", "--explain", "--format", "human"]);
    assert!(e.stdout.contains("gmail.com is a free-mail domain: no account"), "{}", e.stdout);
}

#[test]
fn cli_check_reports_a_bad_row_at_its_line_in_the_csv_file() {
    let dir = common::TempDir::new("tables-bad-row");
    dir.write("p.route", example("accounts.route"));
    dir.write("west_zips.csv", example("west_zips.csv"));
    dir.write("accounts.csv", example("accounts.csv").replacen(",bob,mid_market,NA,", ",bobb,mid_market,NA,", 1));
    let r = common::run_in(dir.path(), &["check", "p.route"]);
    r.expect_code(1);
    assert!(r.stderr.contains("accounts.csv:3:"), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean `bob`?"), "{}", r.stderr);
}
