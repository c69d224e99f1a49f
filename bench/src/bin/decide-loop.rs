//! Runs one per-lead step of the peer benchmark in a loop, for a profiler
//! or `valgrind --tool=callgrind` (instruction counts do not depend on the
//! machine's load, so two versions of the code can be compared on a busy
//! machine). The policy and leads are the peer benchmark's (206 rules,
//! 10,000 generated leads of one mix).
//!
//! `cargo run --release -p leadroute-bench --bin decide-loop -- STEP MIX ROUNDS`
//!
//! STEP is one of `native` (`route_native` on typed leads), `serde`
//! (`serde_json::from_str::<NativeLead>` + `route_native`), `schema` (the
//! same with every schema field, [`SchemaLead`]), `select`
//! (`Policy::select` on validated leads), `layout` (laying a validated lead
//! out), `compact` (`Policy::decide_compact`), `text` (`LeadReader::read` +
//! `select_read`) and `json` (read, `decide_read`, `write_json`); MIX is
//! `spread` or `fallback`. Prints a checksum so nothing is optimized away.
//! `LEADS=N` uses the first N generated leads instead of 10,000 (100 keeps
//! them in the L1 cache: what is left is instructions, not memory).

use std::hint::black_box;

use leadroute_bench::leads::{generate, Mix};
use leadroute_bench::native::{route_native, NativeLead, SchemaLead};
use leadroute_bench::route::{check_and_lower, route_source, Leadroute};
use leadroute_bench::table::table;
use leadroute_runtime::{Backend, LeadReader, State};

/// The peer benchmark's decision time and lead seed.
const NOW_MS: i64 = 1_795_100_400_000;
const SEED: u64 = 20_261_124;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [step, mix, rounds] = args.as_slice() else {
        eprintln!("usage: decide-loop STEP MIX ROUNDS (see the file's doc comment)");
        std::process::exit(2);
    };
    let mix = match mix.as_str() {
        "spread" => Mix::Spread,
        "fallback" => Mix::Fallback,
        other => {
            eprintln!("unknown mix `{other}`: use spread or fallback");
            std::process::exit(2);
        }
    };
    let Ok(rounds) = rounds.parse::<usize>() else {
        eprintln!("ROUNDS must be a whole number, not `{rounds}`");
        std::process::exit(2);
    };
    let ir = check_and_lower(&route_source(&table())).unwrap_or_else(|e| panic!("the benchmark policy lowers: {e}"));
    let lr = Leadroute::load(ir, Backend::Jit).unwrap_or_else(|e| panic!("the benchmark policy loads: {e}"));
    let n = std::env::var("LEADS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let set = generate(mix, n, SEED);
    let leads = lr.leads(&set);
    let state = State::new(lr.policy.ir());
    let moment = lr.policy.at(NOW_MS);
    let mut reader = LeadReader::new();
    let mut buf = Vec::new();
    let mut sum = 0usize;
    for _ in 0..rounds {
        match step.as_str() {
            "native" => set.native.iter().for_each(|l| sum = sum.wrapping_add(route_native(black_box(l)))),
            "serde" => {
                for j in &set.json {
                    sum = sum.wrapping_add(serde_json::from_str::<NativeLead>(j).map_or(usize::MAX, |l| route_native(&l)));
                }
            }
            "schema" => {
                for j in &set.json {
                    sum = sum.wrapping_add(serde_json::from_str::<SchemaLead>(j).map_or(usize::MAX, |l| route_native(&l.into_native())));
                }
            }
            "select" => leads.iter().for_each(|l| sum = sum.wrapping_add(lr.select(black_box(l), NOW_MS) as usize)),
            "layout" => leads.iter().for_each(|l| sum = sum.wrapping_add(lr.policy.flatten_probe(black_box(l)) as usize)),
            "compact" => {
                for l in &leads {
                    sum = sum.wrapping_add(lr.policy.decide_compact(black_box(l), &state, &moment, false, None).outcome() as usize);
                }
            }
            "text" => set.json.iter().for_each(|j| sum = sum.wrapping_add(lr.select_text(&mut reader, j, NOW_MS) as usize)),
            "json" => {
                for j in &set.json {
                    let Ok(read) = reader.read(&lr.policy, j, Default::default()) else { continue };
                    buf.clear();
                    lr.policy.decide_read(&read, &state, &moment, false, None).write_json(&mut buf);
                    sum = sum.wrapping_add(buf.len());
                }
            }
            other => {
                eprintln!("unknown step `{other}`: see the doc comment of bench/src/bin/decide-loop.rs");
                std::process::exit(2);
            }
        }
    }
    println!("{sum}");
}
