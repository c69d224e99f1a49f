//! The table, the generated Route policy and the native baseline agree.
//! Kept fast for debug builds: 2,000 leads per mix.

use leadroute_bench::leads::{generate, Mix};
use leadroute_bench::route::{check_and_lower, route_source, Leadroute};
use leadroute_bench::table::{table, DESTS};
use leadroute_bench::{expect_agreement, expected};
use leadroute_runtime::Backend;

const N: usize = 2_000;
const NOW: i64 = 1_795_000_000_000;

#[test]
fn the_table_has_about_200_rules() {
    let t = table();
    assert!((195..=215).contains(&t.rules.len()), "{} rules", t.rules.len());
    let names: std::collections::BTreeSet<_> = t.rules.iter().map(|r| &r.name).collect();
    assert_eq!(names.len(), t.rules.len(), "rule names are unique");
}

#[test]
fn the_generated_route_text_checks_without_errors() {
    let ir = check_and_lower(&route_source(&table())).unwrap_or_else(|e| panic!("{e}"));
    let rules: usize = ir.routes.iter().map(|r| r.rules.len()).sum();
    assert_eq!(rules, table().rules.len() + 1, "every rule plus `otherwise`");
}

#[test]
fn native_baseline_follows_the_table() {
    let t = table();
    for mix in Mix::ALL {
        let set = generate(mix, N, 7);
        let want: Vec<usize> = set.native.iter().map(|l| t.decide(&l.facts())).collect();
        expect_agreement("native Rust", mix, &set, &want, |i| leadroute_bench::native::route_native(&set.native[i]));
    }
}

#[test]
fn mixes_hit_what_they_promise() {
    let t = table();
    let spread = expected(&generate(Mix::Spread, N, 7));
    let hit: std::collections::BTreeSet<usize> =
        generate(Mix::Spread, N, 7).native.iter().map(|l| t.decide(&l.facts())).collect();
    assert!(hit.len() == DESTS.len(), "spread reaches every destination: {hit:?}");
    let review = spread.iter().filter(|&&d| d == t.fallback).count();
    assert!(review < N / 5, "spread: {review} of {N} fall back");
    let fallback = expected(&generate(Mix::Fallback, N, 7));
    let review = fallback.iter().filter(|&&d| d == t.fallback).count();
    assert!(review > N * 3 / 4, "fallback: only {review} of {N} fall back");
}

#[test]
fn leadroute_agrees_with_native_on_both_mixes_and_backends() {
    let ir = check_and_lower(&route_source(&table())).unwrap_or_else(|e| panic!("{e}"));
    for backend in [Backend::Jit, Backend::Interp] {
        let lr = Leadroute::load(ir.clone(), backend).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lr.policy.backend(), backend);
        for mix in Mix::ALL {
            let set = generate(mix, N, 7);
            let want = expected(&set);
            let leads = lr.leads(&set);
            expect_agreement(&format!("leadroute {backend}"), mix, &set, &want, |i| lr.select(&leads[i], NOW) as usize);
        }
    }
}
