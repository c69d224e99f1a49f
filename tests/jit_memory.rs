//! Compiled code lives as long as its policy: loading and dropping 10,000
//! policies leaves the process no bigger (no code pages or mappings leak).
//! Alone in its test binary so that no other test moves the figures.

use leadroute_runtime::{Backend, Policy};

/// Resident pages and memory mappings of this process (Linux).
fn footprint() -> Option<(u64, usize)> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let resident: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?.lines().count();
    Some((resident * 4096, maps))
}

fn load_and_drop(ir: &leadroute_runtime::ir::PolicyIr, n: usize) {
    for _ in 0..n {
        let p = Policy::from_ir_with(ir.clone(), Backend::Jit).expect("compiles");
        assert!(p.code_bytes() > 0);
        // A clone shares the code; dropping both frees it once.
        let q = p.clone();
        drop(p);
        assert_eq!(q.backend(), Backend::Jit);
    }
}

#[test]
fn loading_and_dropping_10_000_compiled_policies_does_not_grow_the_process() {
    if Backend::Jit.unavailable().is_some() {
        return;
    }
    let ir = Policy::from_json(&leadroute_runtime::doc_example_ir()).expect("loads").ir().clone();
    load_and_drop(&ir, 1_000);
    let Some((rss0, maps0)) = footprint() else { return };
    load_and_drop(&ir, 9_000);
    let (rss1, maps1) = footprint().expect("read before");
    // Leaking even one page of code per policy would add 36 MB and 9,000 mappings.
    assert!(maps1 <= maps0 + 16, "memory mappings grew from {maps0} to {maps1}");
    assert!(rss1 <= rss0 + 4 * 1024 * 1024, "resident memory grew from {rss0} to {rss1} bytes");
}
