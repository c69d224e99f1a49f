//! Measures what table lookups add to deciding a lead: `select` (tier,
//! territories, entry rule) over the same leads with two built policies
//! that differ only in whether their conditions look tables up.
//!
//! ```text
//! cargo run --release -p leadroute-runtime --example table_lookup -- \
//!     with_tables.json without_tables.json leads.ndjson LOOKUPS_PER_LEAD
//! ```

use std::time::Instant;

use leadroute_runtime::{Backend, Lead, LeadOptions, Policy};

fn load(path: &str) -> Policy {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let t = Instant::now();
    let p = Policy::from_json_with(&text, Backend::Jit).unwrap_or_else(|e| panic!("load {path}: {e}"));
    eprintln!("{path}: loaded and compiled in {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    p
}

fn per_lead(p: &Policy, leads: &[String], rounds: usize) -> f64 {
    let now = leadroute_runtime::parse_time("2026-11-24T15:00:00Z").unwrap_or(0);
    let parsed: Vec<Lead> = leads.iter().filter_map(|l| Lead::from_json_str(p.ir(), l, LeadOptions::default()).ok()).collect();
    let mut sink = 0usize;
    let t = Instant::now();
    for _ in 0..rounds {
        for lead in &parsed {
            sink = sink.wrapping_add(std::hint::black_box(p.select(lead, now)).tier.map_or(0, |t| t as usize));
        }
    }
    std::hint::black_box(sink);
    t.elapsed().as_secs_f64() * 1e9 / (rounds * parsed.len()) as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, with, without, leads, lookups] = args.as_slice() else {
        eprintln!("usage: table_lookup WITH.json WITHOUT.json LEADS.ndjson LOOKUPS_PER_LEAD");
        std::process::exit(2);
    };
    let lookups: f64 = lookups.parse().unwrap_or(1.0);
    let leads: Vec<String> = std::fs::read_to_string(leads).unwrap_or_default().lines().map(String::from).collect();
    let (a, b) = (load(with), load(without));
    for round in 0..3 {
        let (ta, tb) = (per_lead(&a, &leads, 3), per_lead(&b, &leads, 3));
        println!("round {round}: select {ta:.1} ns/lead with tables, {tb:.1} ns/lead without: {:.1} ns per lookup", (ta - tb) / lookups);
    }
}
