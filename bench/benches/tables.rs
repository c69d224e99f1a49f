//! Reference tables at scale (issue 16): a 100,000-row accounts table (with
//! aliases and a few free-mail rows) and a 40,000-value postal-code table.
//!
//! `cargo bench -p leadroute-bench --bench tables` writes the generated policies to
//! `target/tables-bench/{10k,100k}` (or `$LEADROUTE_BENCH_TABLES_DIR`), times
//! checking, lowering and loading them in-process, and times one lookup per
//! `select` in the interpreter and the compiled backend (hit, alias, miss,
//! free-mail, a key that needs normalizing). Targets: check and build under
//! 1 s, a lookup under 50 ns in the compiled backend. `leadroute check` and
//! `leadroute build` on the written folders give the CLI's times and memory
//! (see docs/performance.md, "Tables").

use leadroute_bench::accounts as gen_tables;
use leadroute_bench::leads::Lcg;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use leadroute_compiler::source::DiskProvider;
use leadroute_runtime::{Backend, Lead, LeadOptions, Policy};

/// Checks, lowers and loads the policy in `dir`: the time of each step.
fn build(dir: &std::path::Path, backend: Backend) -> (Policy, [Duration; 3]) {
    let t = Instant::now();
    let (sources, checked) = leadroute_compiler::check_paths(&DiskProvider, &[dir.to_path_buf()]);
    let checked_at = t.elapsed();
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let t = Instant::now();
    let ir = leadroute_compiler::lower::lower(&sources, &checked).expect("a checked policy lowers");
    let lowered_at = t.elapsed();
    let t = Instant::now();
    let policy = Policy::from_ir_with(ir, backend).expect("loads");
    (policy, [checked_at, lowered_at, t.elapsed()])
}

/// A one-lookup policy over the tables of [`gen_tables`] (or, for `None`, the
/// baseline: the same policy reading the same fields without a lookup, so
/// that fetching the lead's strings is not counted as the lookup).
fn micro(condition: Option<&str>) -> String {
    let tier = format!("tier hit when {}\n", condition.unwrap_or("email == \"none\" or zip == \"none\""));
    format!(
        "policy micro {{\n  owner \"revops@acme.example\"\n  timezone \"UTC\"\n}}\n\
         enum Segment {{ smb, mid_market, enterprise }}\n\
         schema lead {{\n  id: string\n  email: string\n  zip: string\n}}\n\
         table accounts from \"accounts.csv\" {{\n  domain: domain key\n  aliases: list<domain> alias\n  owner: rep\n  segment: Segment\n  region: string?\n  notes: string?\n}}\n\
         table postal_codes from \"postal_codes.csv\" {{\n  zip: string key\n}}\n\
         {}\
         queue review {{ owner \"ops@acme.example\" }}\n{tier}tier other otherwise\nroute main {{\n  otherwise -> queue review\n}}\n",
        (0..gen_tables::REPS).map(|r| format!("rep r{r} {{ email \"r{r}@acme.example\" }}\n")).collect::<String>()
    )
}

/// Median ns per item of `run` over batches of `items`: batches for at
/// least `budget`, and at least 15 of them.
fn median_ns<T, R>(items: &[T], budget: Duration, run: impl Fn(&T) -> R) -> f64 {
    let mut per_batch = Vec::new();
    let start = Instant::now();
    while start.elapsed() < budget || per_batch.len() < 15 {
        let t = Instant::now();
        for item in items {
            std::hint::black_box(run(std::hint::black_box(item)));
        }
        per_batch.push(t.elapsed().as_nanos() as f64 / items.len() as f64);
    }
    per_batch.sort_by(f64::total_cmp);
    per_batch[per_batch.len() / 2]
}

/// Median ns per `select` over batches of the leads.
fn time_select(policy: &Policy, leads: &[Lead], now: i64) -> f64 {
    median_ns(leads, Duration::from_millis(700), |lead| policy.select(lead, now))
}

fn leads(policy: &Policy, emails: impl Fn(usize) -> String, zips: impl Fn(usize) -> String) -> Vec<Lead> {
    (0..10_000)
        .map(|i| {
            let json = serde_json::json!({ "id": format!("L{i}"), "email": emails(i), "zip": zips(i) });
            Lead::from_json(policy.ir(), &json, LeadOptions::default()).expect("a valid lead")
        })
        .collect()
}

fn main() {
    let root = std::env::var_os("LEADROUTE_BENCH_TABLES_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/tables-bench"), PathBuf::from);
    for (name, accounts) in [("10k", 10_000), ("100k", 100_000)] {
        gen_tables::write(&root.join(name), accounts, 40_000).expect("write the generated policy");
    }
    println!("policies written to {}/{{10k,100k}} (accounts rows, 40,000 postal codes)", root.display());

    // `LEADROUTE_BENCH_TABLES_ONLY=compiled account miss` times that one case (for a
    // profiler); `=direct` only the lookups without `select`.
    let only = std::env::var("LEADROUTE_BENCH_TABLES_ONLY").ok();
    for name in ["10k", "100k"].into_iter().filter(|_| only.is_none()) {
        let (policy, [c, l, i]) = build(&root.join(name), Backend::Interp);
        let (_, [_, _, j]) = build(&root.join(name), Backend::Jit);
        println!(
            "{name:>4}: check {:.0} ms, lower {:.0} ms, load (index) {:.0} ms interpreter / {:.0} ms compiled; key indexes {:.1} MB",
            c.as_secs_f64() * 1e3,
            l.as_secs_f64() * 1e3,
            i.as_secs_f64() * 1e3,
            j.as_secs_f64() * 1e3,
            policy.table_index_bytes() as f64 / 1e6
        );
    }

    // One lookup per select: each policy's select time minus the baseline's.
    let micro_dir = root.join("micro");
    gen_tables::write(&micro_dir, 100_000, 40_000).expect("write the micro policy");
    let now = leadroute_runtime::parse_time("2026-11-24T15:00:00Z").expect("time");
    let mut g = Lcg(16);
    let picks: Vec<usize> = (0..10_000).map(|_| g.next_u64() as usize % 99_000).collect();
    type Case<'a> = (&'static str, Option<&'static str>, Box<dyn Fn(usize) -> String + 'a>, Box<dyn Fn(usize) -> String + 'a>);
    let picks = &picks;
    let zip_hit = move |i: usize| gen_tables::postal_code(picks[i] % 40_000);
    let cases: Vec<Case> = vec![
        ("account hit", Some("accounts[email] is present"), Box::new(move |i| format!("buyer@{}", gen_tables::account_domain(picks[i]))), Box::new(zip_hit)),
        ("account alias hit", Some("accounts[email] is present"), Box::new(move |i| format!("buyer@acct{}-alias.example", picks[i] / 3 * 3)), Box::new(zip_hit)),
        ("account hit, normalized", Some("accounts[email] is present"), Box::new(move |i| format!(" Sales@WWW.ACCT{}.Example ", picks[i])), Box::new(zip_hit)),
        ("account miss", Some("accounts[email] is present"), Box::new(|i| format!("buyer@unknown{i}.example")), Box::new(zip_hit)),
        ("account free-mail", Some("accounts[email] is present"), Box::new(|i| format!("jane{i}@gmail.com")), Box::new(zip_hit)),
        ("account owner cell", Some("accounts[email].owner ?? \"\" == \"r1\""), Box::new(move |i| format!("buyer@{}", gen_tables::account_domain(picks[i]))), Box::new(zip_hit)),
        ("postal code hit", Some("zip in postal_codes"), Box::new(|i| format!("x{i}@a.example")), Box::new(zip_hit)),
        ("postal code miss", Some("zip in postal_codes"), Box::new(|i| format!("x{i}@a.example")), Box::new(|i| format!("{}", 60_000 + i))),
    ];
    for backend in [Backend::Interp, Backend::Jit] {
        let label = if backend == Backend::Jit { "compiled" } else { "interpreter" };
        std::fs::write(micro_dir.join("tables.route"), micro(None)).expect("write");
        let (base, _) = build(&micro_dir, backend);
        for (case, condition, email, zip) in &cases {
            if only.as_ref().is_some_and(|o| !format!("{label} {case}").contains(o.as_str())) {
                continue;
            }
            std::fs::write(micro_dir.join("tables.route"), micro(*condition)).expect("write");
            let (policy, _) = build(&micro_dir, backend);
            let batch = leads(&policy, email, zip);
            let base_batch = leads(&base, email, zip);
            // 1,000 leads stay in cache with what they touch (the lookup's
            // own cost); 10,000 spread over the table do not (memory's).
            let warm = time_select(&policy, &batch[..1_000], now) - time_select(&base, &base_batch[..1_000], now);
            let with = time_select(&policy, &batch, now);
            let without = time_select(&base, &base_batch, now);
            println!("{label:>11} {case:<24} in cache: lookup {warm:>5.1} ns | 10,000 leads: select {with:>6.1} ns, baseline {without:>6.1} ns: lookup {:>5.1} ns", with - without);
        }
    }
    if only.as_deref().is_none_or(|o| o == "direct") {
        direct_lookups(&micro_dir, picks);
    }
}

/// Median ns per call of `f` over `keys`, in batches.
fn time_keys(keys: &[String], f: impl Fn(&str) -> Option<u32>) -> f64 {
    median_ns(keys, Duration::from_millis(500), |k| f(k))
}

/// The lookup alone ([`Policy::find_row`], the call both backends make),
/// beside the standard library's `HashMap` and `FxHashMap` holding the same
/// normalized keys: with 1,000 keys that stay in cache, and with 100,000
/// keys spread over the whole table (each lookup then waits on memory,
/// whatever the map).
fn direct_lookups(micro_dir: &std::path::Path, picks: &[usize]) {
    std::fs::write(micro_dir.join("tables.route"), micro(Some("accounts[email] is present"))).expect("write");
    let (policy, _) = build(micro_dir, Backend::Jit);
    let table = policy.ir().tables.iter().position(|t| t.name == "accounts").expect("the accounts table") as u32;
    let def = &policy.ir().tables[table as usize];
    let mut std_map = std::collections::HashMap::new();
    let mut fx_map = rustc_hash::FxHashMap::default();
    for (row, cells) in def.rows.iter().enumerate() {
        let mut keys = Vec::new();
        if let Some(Some(leadroute_runtime::ir::Value::Str(k))) = cells.get(def.key as usize) {
            keys.push(k.clone());
        }
        if let Some(Some(leadroute_runtime::ir::Value::List(aliases))) = def.alias.and_then(|a| cells.get(a as usize)) {
            keys.extend(aliases.iter().filter_map(|v| if let leadroute_runtime::ir::Value::Str(k) = v { Some(k.clone()) } else { None }));
        }
        for k in keys {
            std_map.entry(k.clone()).or_insert(row as u32);
            fx_map.entry(k).or_insert(row as u32);
        }
    }
    let mut g = Lcg(61);
    let spread: Vec<usize> = (0..100_000).map(|_| g.next_u64() as usize % 99_000).collect();
    for (label, picks) in [("1,000 keys (in cache)", &picks[..1_000]), ("100,000 keys (whole table)", &spread[..])] {
        let normalized: Vec<String> = picks.iter().map(|&i| gen_tables::account_domain(i)).collect();
        let emails: Vec<String> = picks.iter().map(|&i| format!("Buyer@WWW.{}", gen_tables::account_domain(i).to_uppercase())).collect();
        let ours = time_keys(&normalized, |k| policy.find_row(table, k));
        let ours_raw = time_keys(&emails, |k| policy.find_row(table, k));
        let std_ns = time_keys(&normalized, |k| std_map.get(k).copied());
        let fx_ns = time_keys(&normalized, |k| fx_map.get(k).copied());
        println!("lookup, {label:<27} find_row {ours:>5.1} ns (from an email needing normalization {ours_raw:>5.1} ns); HashMap {std_ns:>5.1} ns, FxHashMap {fx_ns:>5.1} ns");
    }
}
