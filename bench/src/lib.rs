//! Benchmarks leadroute against a native Rust `match`, peer rule engines
//! (JSONLogic via datalogic-rs and GoRules ZEN, each in a flat and a nested
//! encoding, see [`nested`]) and Cedar as a reference, all generated from
//! one routing table ([`table`]) and checked to agree before timing.
//!
//! Run with `cargo bench -p leadroute-bench --features peers`; see
//! `docs/performance.md`. [`accounts`] generates the reference tables of
//! the table benchmark (`cargo bench -p leadroute-bench --bench tables`).

pub mod accounts;
pub mod leads;
pub mod native;
pub mod nested;
pub mod policies;
pub mod route;
pub mod table;

#[cfg(feature = "cedar")]
pub mod cedar;
#[cfg(feature = "datalogic")]
pub mod jsonlogic;
#[cfg(feature = "zen")]
pub mod zen;

use leads::{LeadSet, Mix};

/// The native baseline's destination for every lead of `set`.
pub fn expected(set: &LeadSet) -> Vec<usize> {
    set.native.iter().map(native::route_native).collect()
}

/// Panics with the first lead on which `engine` (giving `got(i)` for lead
/// `i`) disagrees with the native baseline's `expected`.
pub fn expect_agreement(engine: &str, mix: Mix, set: &LeadSet, expected: &[usize], mut got: impl FnMut(usize) -> usize) {
    for (i, &want) in expected.iter().enumerate() {
        let have = got(i);
        if have != want {
            let name = |d: usize| table::DESTS.get(d).map_or("<none>", |d| d.name);
            panic!(
                "{engine} disagrees with native Rust on lead {i} of the {} mix: {engine} says {} ({have}), native says {} ({want})\nlead: {}",
                mix.name(),
                name(have),
                name(want),
                set.json[i]
            );
        }
    }
}
