//! Generated policies for the analysis-scaling measurements
//! (`docs/performance.md`, "Checking many territories"): many territories
//! that are disjoint, identical or nested, a file of a given size, and the
//! realistic large policy the checker's benchmark uses.
//!
//! `cargo run --release -p leadroute-bench --bin gen-policy -- KIND N > p.route`

#[path = "../../compiler/benches/large_policy.rs"]
mod large_policy;

/// The shapes [`generate`] knows, with what `N` means for each.
pub const KINDS: [(&str, &str); 12] = [
    ("disjoint", "N territories `tI when country == \"CI\"`"),
    ("disjoint-sets", "N territories `tI when country in [\"CIa\", \"CIb\", \"CIc\"]`"),
    ("combos", "N territories: half `country == \"US\" and state in [...]`, half by country lists"),
    ("identical", "N territories `tI when country == \"US\"`"),
    ("nested", "`all when country == \"US\"` and N territories inside it, one state each"),
    ("chain", "N territories `tI when employees >= I`, each inside the one before"),
    ("nested-routed", "`all when country == \"US\"`, N/2 territories inside it, one state each, and a rule `when territory == tI` for each"),
    ("bands", "N territories `tI when employees >= 10I and employees < 10I + 10`: disjoint, by numbers alone"),
    ("pairs", "N territories `tI when country == \"US\" and state is present and state in [\"SI\", \"SI+1\"]`: each overlaps the next"),
    ("pathological", "identical territories up to N bytes (e.g. 10000000), no handler"),
    ("realistic", "the checker benchmark's policy (compiler/benches/large_policy.rs) of about N lines"),
    ("tiers", "N tiers `tI when country == \"CI\" and employees >= I % 100` before the header's `otherwise` tier"),
];

/// The header every territory policy shares: schema, a tier, a queue, a
/// route whose first rule reads the territory, and (with `handler`) an
/// `on ambiguous_territory` handler.
fn header(handler: bool) -> String {
    let mut s = String::from(
        "policy territories {\n  owner \"revops@acme.example\"\n  timezone \"UTC\"\n  entry main\n}\n\
         schema lead {\n  id: string\n  country: string\n  state: string?\n  employees: int\n}\n\
         queue review { owner \"ops@acme.example\" sla 1h }\n\
         tier standard otherwise sla 1h\n\
         route main {\n  placed: when territory is present -> queue review\n  otherwise -> queue review\n}\n",
    );
    if handler {
        s.push_str("on ambiguous_territory -> queue review\n");
    }
    s
}

/// The policy of shape `kind` (one of [`KINDS`]) with `n` territories (or
/// bytes, or lines); `None` for an unknown kind. `handler` adds
/// `on ambiguous_territory` (overlaps are then W0008, else E0023); the
/// pathological file never has one.
pub fn generate(kind: &str, n: usize, handler: bool) -> Option<String> {
    let mut s = header(handler && kind != "pathological");
    match kind {
        "disjoint" => (0..n).for_each(|i| s.push_str(&format!("territory t{i} when country == \"C{i}\"\n"))),
        "disjoint-sets" => (0..n).for_each(|i| s.push_str(&format!("territory t{i} when country in [\"C{i}a\", \"C{i}b\", \"C{i}c\"]\n"))),
        "combos" => {
            for i in 0..n {
                if i % 2 == 0 {
                    s.push_str(&format!("territory us{i} when country == \"US\" and state is present and state in [\"S{i}a\", \"S{i}b\"]\n"));
                } else {
                    s.push_str(&format!("territory w{i} when country in [\"C{i}a\", \"C{i}b\"]\n"));
                }
            }
        }
        "identical" => (0..n).for_each(|i| s.push_str(&format!("territory t{i} when country == \"US\"\n"))),
        "nested" => {
            s.push_str("territory all when country == \"US\"\n");
            (0..n).for_each(|i| s.push_str(&format!("territory t{i} when country == \"US\" and state is present and state == \"S{i}\"\n")));
        }
        "nested-routed" => {
            let half = n / 2;
            let rules: String = (0..half).map(|i| format!("  r{i}: when territory == t{i} -> queue review\n")).collect();
            s = s.replacen("route main {\n", &format!("route main {{\n{rules}"), 1);
            s.push_str("territory all when country == \"US\"\n");
            (0..half).for_each(|i| s.push_str(&format!("territory t{i} when country == \"US\" and state is present and state == \"S{i}\"\n")));
        }
        "chain" => (0..n).for_each(|i| s.push_str(&format!("territory t{i} when employees >= {i}\n"))),
        "bands" => (0..n).for_each(|i| s.push_str(&format!("territory t{i} when employees >= {} and employees < {}\n", 10 * i, 10 * i + 10))),
        "pairs" => (0..n).for_each(|i| s.push_str(&format!("territory t{i} when country == \"US\" and state is present and state in [\"S{i}\", \"S{}\"]\n", i + 1))),
        "pathological" => {
            let mut i = 0;
            while s.len() < n {
                s.push_str(&format!("territory t{i} when country == \"US\"\n"));
                i += 1;
            }
        }
        "realistic" => return Some(large_policy::generate(n)),
        "tiers" => {
            // The header's `tier standard otherwise` must stay last: the tiers go before it.
            let mut tiers = String::new();
            (0..n).for_each(|i| tiers.push_str(&format!("tier t{i} when country == \"C{i}\" and employees >= {} sla 1h\n", i % 100)));
            s = s.replacen("tier standard otherwise", &format!("{tiers}tier standard otherwise"), 1);
        }
        _ => return None,
    }
    Some(s)
}
