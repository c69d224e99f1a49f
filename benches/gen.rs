//! Generators shared by the benchmarks: a 200-rule policy and leads for it.

/// Eight territories by country and state lists, tiers by score, ~200 rules
/// over source, employee bands, partner and referral overrides, a fallback.
pub fn policy_200() -> String {
    let mut s = String::from(
        "policy bench {\n  owner \"revops@acme.example\"\n  timezone \"UTC\"\n}\n\
         enum Source { chat, paid, web, partner, event, referral }\n\
         schema lead {\n  id: string\n  email: string\n  country: string\n  state: string?\n  employees: int?\n  score: float\n  source: Source\n  partner_id: string?\n}\n\
         queue review { owner \"ops@acme.example\" sla 1h }\n\
         tier hot when score >= 80 sla 5m\ntier warm when score >= 50 sla 1h\ntier cold otherwise sla 1d\n\
         on missing(employees) -> assume 0\non no_available_rep -> queue review\non ambiguous_territory -> queue review\n",
    );
    let states = ["CA", "OR", "WA", "NV", "NY", "MA", "NJ", "CT", "TX", "FL", "GA", "IL"];
    let countries = [["GB", "IE"], ["DE", "AT"], ["FR", "BE"], ["JP", "KR"], ["AU", "NZ"]];
    for (i, chunk) in states.chunks(4).enumerate() {
        let list: Vec<String> = chunk.iter().map(|s| format!("\"{s}\"")).collect();
        s.push_str(&format!("territory us{i} when country == \"US\" and state is present and state in [{}]\n", list.join(", ")));
    }
    for (i, c) in countries.iter().enumerate() {
        s.push_str(&format!("territory intl{i} when country in [\"{}\", \"{}\"]\n", c[0], c[1]));
    }
    for t in 0..40 {
        s.push_str(&format!("rep r{t} {{ email \"r{t}@acme.example\" capacity 1000000 open }}\n"));
    }
    for t in 0..8 {
        let members: Vec<String> = (0..5).map(|k| format!("r{}", t * 5 + k)).collect();
        let strategy = ["round_robin", "weighted", "capacity", "round_robin"][t % 4];
        s.push_str(&format!("team t{t} {{ members [{}] strategy {strategy} }}\n", members.join(", ")));
    }
    let terrs: Vec<String> = (0..3).map(|i| format!("us{i}")).chain((0..5).map(|i| format!("intl{i}"))).collect();
    s.push_str("route main {\n");
    s.push_str("  partner: when source == partner and partner_id is present and partner_id == \"P-1\" -> assign team t0\n");
    s.push_str("  referral: when source == referral and score >= 90 -> assign team t1\n");
    let bands = [(0, 10), (10, 50), (50, 200), (200, 1000), (1000, 5000), (5000, 1_000_000)];
    let sources = ["chat", "paid", "web", "event"];
    let mut n = 0;
    'outer: for terr in &terrs {
        for (lo, hi) in bands {
            for src in sources {
                for tier in ["hot", "warm"] {
                    if n >= 196 {
                        break 'outer;
                    }
                    s.push_str(&format!(
                        "  r{n}: when territory == {terr} and tier == {tier} and source == {src} and employees >= {lo} and employees < {hi} -> assign team t{}\n",
                        n % 8
                    ));
                    n += 1;
                }
            }
        }
    }
    s.push_str("  otherwise -> queue review\n}\n");
    s
}

/// A small deterministic generator (no external crates).
pub struct Lcg(pub u64);

impl Lcg {
    // A plain number generator, not an iterator: it never ends.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() as usize % items.len()]
    }
}

/// Leads for [`policy_200`]. `spread`: matches spread across rules; else mostly fallback.
pub fn leads_200(n: usize, spread: bool, seed: u64) -> Vec<String> {
    let mut g = Lcg(seed);
    (0..n)
        .map(|i| {
            let (country, state) = if spread {
                match g.next() % 3 {
                    0 => ("US", Some(g.pick(&["CA", "OR", "WA", "NV", "NY", "MA", "NJ", "CT", "TX", "FL", "GA", "IL"]))),
                    1 => (g.pick(&["GB", "IE", "DE", "AT", "FR", "BE", "JP", "KR", "AU", "NZ"]), None),
                    _ => ("US", Some("CA")),
                }
            } else {
                (g.pick(&["BR", "MX", "CA", "IN", "ZA"]), None)
            };
            let score = if spread { 50 + g.next() % 50 } else { g.next() % 50 };
            let source = g.pick(&["chat", "paid", "web", "event", "partner", "referral"]);
            let employees = [5, 20, 100, 500, 2000, 10000][g.next() as usize % 6];
            let state = state.map_or(String::new(), |s| format!(",\"state\":\"{s}\""));
            format!(
                "{{\"id\":\"B-{i}\",\"email\":\"x{i}@corp{}.example\",\"country\":\"{country}\"{state},\"employees\":{employees},\"score\":{score}.5,\"source\":\"{source}\"}}",
                g.next() % 1000
            )
        })
        .collect()
}
