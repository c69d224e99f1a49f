//! Checks a generated policy of about 10,000 lines and prints the figures.
//!
//! `cargo bench -p leadroute-compiler --bench check`
//! Target (issue 3): parse + resolve + type check under 50 ms on one core.

use std::time::{Duration, Instant};

use leadroute_compiler::{check, syntax, FileId, SourceFile, SourceSet};

#[path = "large_policy.rs"]
mod large_policy;
use large_policy::generate;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let text = generate(10_000);
    let lines = text.lines().count();
    let mut sources = SourceSet::new();
    sources.add(SourceFile::new("big.route", text.clone()));

    let checked = check(&sources);
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "the generated policy must check clean: {errors:#?}");

    let runs = 30;
    let parse: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(syntax::parse_file(FileId(0), &text));
            t.elapsed()
        })
        .collect();
    let full: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(check(&sources));
            t.elapsed()
        })
        .collect();
    let (p, f) = (median(parse), median(full));
    println!("generated policy: {lines} lines, {} bytes, {} diagnostics (warnings)", text.len(), checked.diagnostics.len());
    println!("parse only:                  median {:>8.2} ms over {runs} runs", p.as_secs_f64() * 1e3);
    println!("parse + resolve + type check: median {:>8.2} ms over {runs} runs  (target < 50 ms)", f.as_secs_f64() * 1e3);
    println!("throughput: {:.0} lines/s", lines as f64 / f.as_secs_f64());
    println!("verdict: {}", if f < Duration::from_millis(50) { "target met" } else { "TARGET MISSED" });
}
