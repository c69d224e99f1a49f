//! Generated policies for the analysis-scaling measurements
//! (`docs/performance.md`, "Checking many territories"): many territories
//! that are disjoint, identical or nested, a file of a given size, the
//! realistic large policy the checker's benchmark uses, and policies of
//! about N lines that grow something else: rules, routes, reps, queues,
//! tests, enum variants, sets, schema fields, SLAs (`scale` below).
//!
//! `cargo run --release -p leadroute-bench --bin gen-policy -- KIND N > p.route`

#[path = "../../compiler/benches/large_policy.rs"]
mod large_policy;

/// The shapes [`generate`] knows, with what `N` means for each.
pub const KINDS: [(&str, &str); 22] = [
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
    ("flat-rules", "one route of about N rules on several fields (account domains, country and intent, campaigns, tags, company), no territories"),
    ("route-tree", "about N lines of routes in a tree, four children each, each route sending leads on by country, company or campaign"),
    ("route-chain", "about N lines of routes in a waterfall: ten rules each, `otherwise -> route` the next stage"),
    ("roster", "about N lines of reps (hours, calendars, capacities, skills) in teams of 25, one sticky team of all of them, two rules a team"),
    ("queues", "about N lines of queues with business-hours SLAs escalating to manager queues, a rule per queue"),
    ("tests", "a 500-rule policy and about N lines of inline tests"),
    ("enums", "an enum of 2N/3 industries, vertical territories of four industries each and a rule per territory"),
    ("sets", "about N lines of postal-code sets (64 codes each), a territory per set and a rule per territory"),
    ("fields", "N/3 optional schema fields, an `on missing(F) -> assume 0` handler and a rule for each"),
    ("slas", "N/4 campaign tiers, each with an SLA, an `sla_warning`, an `sla_breach` handler and a rule"),
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
        "pairs" => {
            (0..n).for_each(|i| s.push_str(&format!("territory t{i} when country == \"US\" and state is present and state in [\"S{i}\", \"S{}\"]\n", i + 1)))
        }
        "pathological" => {
            let mut i = 0;
            while s.len() < n {
                s.push_str(&format!("territory t{i} when country == \"US\"\n"));
                i += 1;
            }
        }
        "realistic" => return Some(large_policy::generate(n)),
        "flat-rules" | "route-tree" | "route-chain" | "roster" | "queues" | "tests" | "enums" | "sets" | "fields" | "slas" => {
            return Some(scale::generate(kind, n))
        }
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

/// Policies of about N lines that grow something other than territories
/// (rules, routes, reps, queues, tests, enum variants, sets, fields, SLAs),
/// as a RevOps team might write them at scale. Each checks clean.
mod scale {
    /// The header, enums, schema (`extra` fields appended), a queue, three
    /// tiers (`tiers` before the `otherwise` one) and the usual handlers.
    fn prelude(enums: &str, extra: &str, tiers: &str) -> String {
        format!(
            "policy scale {{\n  owner \"revops@acme.example\"\n  timezone \"America/New_York\"\n  entry main\n}}\n\n\
             enum Source {{ chat, paid, web, partner, event, referral }}\nenum Segment {{ smb, mid_market, enterprise }}\n{enums}\n\
             schema lead {{\n  id: string\n  email: string\n  company: string\n  country: string\n  state: string?\n  zip: string?\n  \
             employees: int?\n  segment: Segment?\n  intent: float\n  source: Source\n  campaign: string?\n  account_owner: string?\n  \
             created_at: time\n  tags: list<string>\n{extra}}}\n\n\
             queue review {{ owner \"ops@acme.example\"  sla 30m }}\n\
             tier hot when intent >= 80.0 or source == chat sla 5m\ntier warm when intent >= 40.0 sla 1h\n{tiers}tier cold otherwise sla 24h\n\n\
             on missing(employees) -> assume 0\non no_available_rep -> queue review\non over_capacity -> queue review\n\
             on no_match -> queue review\non ambiguous_territory -> queue review\n\n"
        )
    }

    /// `teams` teams of `per` one-line reps each: `team_K` with reps `rK_J`.
    fn small_roster(teams: usize, per: usize) -> String {
        let mut s = String::new();
        for k in 0..teams {
            let mut members = Vec::new();
            for j in 0..per {
                s.push_str(&format!(
                    "rep r{k}_{j} {{ email \"r{k}_{j}@acme.example\"  timezone \"America/Chicago\"  hours mon-fri 08:00-17:00  capacity 25 open }}\n"
                ));
                members.push(format!("r{k}_{j}"));
            }
            s.push_str(&format!("team team_{k} {{ members [{}]  strategy round_robin }}\n", members.join(", ")));
        }
        s
    }

    fn lines(s: &str) -> usize {
        s.lines().count()
    }

    pub fn generate(kind: &str, n: usize) -> String {
        match kind {
            "flat-rules" => flat_rules(n),
            "route-tree" => route_tree(n),
            "route-chain" => route_chain(n),
            "roster" => roster(n),
            "queues" => queues(n),
            "tests" => tests(n),
            "enums" => enums(n),
            "sets" => sets(n),
            "fields" => fields(n),
            "slas" => slas(n),
            _ => unreachable!("a scale kind"),
        }
    }

    /// One route of rules on several fields; rule I names a value of its own.
    fn flat_rules(n: usize) -> String {
        let mut s = prelude("", "", "");
        s.push_str(&small_roster(40, 4));
        s.push_str("route main {\n");
        let rules = n.saturating_sub(lines(&s) + 2);
        for i in 0..rules {
            let t = i % 40;
            s.push_str(&match i % 5 {
                0 => format!("  r{i}: when domain(email) == \"acct{i}.example\" -> assign team team_{t} else queue review\n"),
                1 => format!("  r{i}: when country == \"K{i}\" and intent >= {}.0 and source in [web, paid] -> assign team team_{t}\n", 30 + i % 50),
                2 => format!(
                    "  r{i}: when campaign ?? \"\" == \"cmp-{i}\" and (employees >= {} or segment is present and segment == enterprise) -> queue review\n",
                    i % 5000
                ),
                3 => format!("  r{i}: when contains(tags, \"tag-{i}\") and country not in [\"US\", \"CA\"] -> assign rep r{t}_1 else assign team team_{t}\n"),
                _ => format!("  r{i}: when company == \"Co{i}\" and since(created_at) < 30d -> assign team team_{t} else continue\n"),
            });
        }
        s.push_str("  otherwise -> queue review\n}\n");
        s
    }

    /// The condition a route uses to send leads to child route `c`.
    fn branch(c: usize) -> String {
        match c % 3 {
            0 => format!("country == \"K{c}\""),
            1 => format!("company == \"Co{c}\""),
            _ => format!("campaign ?? \"\" == \"cmp{c}\""),
        }
    }

    /// The condition route K's parent uses to send it leads: one field per
    /// depth, so that no branch contradicts the ones above it.
    fn tree_branch(c: usize) -> String {
        let mut depth = 0;
        let mut k = c;
        while k > 0 {
            k = (k - 1) / 4;
            depth += 1;
        }
        match depth {
            1 => format!("country == \"K{c}\""),
            2 => format!("company == \"Co{c}\""),
            3 => format!("campaign ?? \"\" == \"cmp{c}\""),
            4 => format!("state ?? \"\" == \"S{c}\""),
            5 => format!("zip ?? \"\" == \"Z{c}\""),
            6 => format!("domain(email) == \"d{c}.example\""),
            _ => format!("contains(tags, \"tag{c}\")"),
        }
    }

    /// Route `k` of a generated set: `main` first, then `PREFIXk`.
    fn route_name(prefix: &str, k: usize) -> String {
        if k == 0 {
            "main".to_string()
        } else {
            format!("{prefix}{k}")
        }
    }

    /// Routes `main` (0) and `nK`, route K sending leads to 4K+1..4K+4.
    fn route_tree(n: usize) -> String {
        let mut s = prelude("", "", "");
        s.push_str(&small_roster(40, 4));
        // About 6 lines a route: its header, three rules, `}` and the rule that sends leads to it.
        let count = (n.saturating_sub(lines(&s)) / 6).max(2);
        let name = |k: usize| route_name("n", k);
        for k in 0..count {
            s.push_str(&format!("route {} {{\n", name(k)));
            for c in (4 * k + 1)..=(4 * k + 4) {
                if c < count {
                    s.push_str(&format!("  to{c}: when {} -> route n{c}\n", tree_branch(c)));
                }
            }
            s.push_str(&format!("  hot{k}: when tier == hot and employees >= {} -> assign team team_{} else queue review\n", k % 1000, k % 40));
            s.push_str(&format!("  big{k}: when segment is present and segment == enterprise -> assign team team_{}\n", (k + 1) % 40));
            s.push_str("  otherwise -> queue review\n}\n");
        }
        s
    }

    /// Stages `main` (0) and `stageK`, each falling through to the next.
    fn route_chain(n: usize) -> String {
        let mut s = prelude("", "", "");
        s.push_str(&small_roster(40, 4));
        let count = (n.saturating_sub(lines(&s)) / 13).max(2);
        let name = |k: usize| route_name("stage", k);
        for k in 0..count {
            s.push_str(&format!("route {} {{\n", name(k)));
            for j in 0..10 {
                let c = k * 10 + j;
                s.push_str(&format!("  s{c}: when {} and intent >= {}.0 -> assign team team_{}\n", branch(c), 20 + c % 60, c % 40));
            }
            if k + 1 < count {
                s.push_str(&format!("  otherwise -> route stage{}\n}}\n", k + 1));
            } else {
                s.push_str("  otherwise -> queue review\n}\n");
            }
        }
        s
    }

    /// Reps of 8 lines each, in teams of 25, one sticky team of every rep.
    fn roster(n: usize) -> String {
        let mut s = prelude("", "", "");
        s.push_str(
            "calendar us {\n  2026-12-25 \"Christmas Day\"\n  2027-01-01 \"New Year's Day\"\n  2027-05-31 \"Memorial Day\"\n  2027-07-05 \"Independence Day\"\n  2027-09-06 \"Labor Day\"\n  2027-11-25 \"Thanksgiving\"\n  2027-12-24 \"Christmas Day (observed)\"\n}\n\
             calendar uk {\n  2026-12-25 \"Christmas Day\"\n  2026-12-28 \"Boxing Day\"\n  2027-01-01 \"New Year's Day\"\n  2027-12-27 \"Christmas Day (substitute)\"\n}\n",
        );
        // Per rep: 8 lines; per team of 25: 3 lines of rules and team; the sticky team a line per 10 reps.
        let reps = (n.saturating_sub(lines(&s) + 10) * 25 / (25 * 8 + 3 + 3)).max(25);
        let teams = reps / 25;
        let zones = [("America/New_York", "us"), ("America/Chicago", "us"), ("America/Los_Angeles", "us"), ("Europe/London", "uk")];
        let skills = ["fintech", "spanish", "german", "healthcare", "public_sector"];
        for i in 0..reps {
            let (tz, cal) = zones[(i / 25) % zones.len()];
            s.push_str(&format!(
                "rep r{i} {{\n  email \"r{i}@acme.example\"\n  timezone \"{tz}\"\n  hours mon-fri 08:00-17:00\n  calendar {cal}\n  capacity {} open  capacity {} per day\n  skills [{}]\n}}\n",
                20 + i % 15,
                6 + i % 5,
                skills[i % skills.len()]
            ));
        }
        let strategies = ["round_robin", "weighted", "capacity"];
        for k in 0..teams {
            let members: Vec<String> = (k * 25..(k + 1) * 25).map(|i| format!("r{i}")).collect();
            s.push_str(&format!("team t{k} {{ members [{}]  strategy {} }}\n", members.join(", "), strategies[k % 3]));
        }
        s.push_str("team owners {\n  members [\n");
        for chunk in (0..teams * 25).collect::<Vec<_>>().chunks(10) {
            let names: Vec<String> = chunk.iter().map(|i| format!("r{i}")).collect();
            s.push_str(&format!("    {},\n", names.join(", ")));
        }
        s.push_str("  ]\n  strategy sticky(account_owner)\n}\n");
        s.push_str("route main {\n  known: when account_owner is present -> assign team owners else assign owner(account_owner) else continue\n");
        for k in 0..teams {
            s.push_str(&format!(
                "  t{k}_hot: when country == \"K{k}\" and tier == hot -> assign team t{k} else assign team t{} else queue review\n",
                (k + 1) % teams
            ));
            s.push_str(&format!("  t{k}: when country == \"K{k}\" -> assign team t{k} by capacity else queue review\n"));
        }
        s.push_str("  otherwise -> queue review\n}\n");
        s
    }

    /// Queues of 7 lines, 25 to a manager queue, and a rule for each.
    fn queues(n: usize) -> String {
        let mut s = prelude("", "", "");
        let count = (n.saturating_sub(lines(&s) + 2) * 25 / (25 * 8 + 1)).max(25);
        let zones = ["America/New_York", "America/Chicago", "Europe/London", "Asia/Tokyo"];
        for m in 0..count.div_ceil(25) {
            s.push_str(&format!("queue m{m} {{ owner \"managers{m}@acme.example\"  sla 2h  escalate notify \"desk group {m} is overdue\" }}\n"));
        }
        for i in 0..count {
            s.push_str(&format!(
                "queue q{i} {{\n  owner \"desk{i}@acme.example\"\n  sla {}m business\n  timezone \"{}\"\n  hours mon-fri 08:00-18:00\n  escalate m{}\n}}\n",
                15 + (i % 4) * 15,
                zones[i % zones.len()],
                i / 25
            ));
        }
        s.push_str("route main {\n");
        for i in 0..count {
            s.push_str(&format!("  q{i}: when country == \"K{i}\" or campaign ?? \"\" == \"cmp-{i}\" -> queue q{i}\n"));
        }
        s.push_str("  otherwise -> queue review\n}\n");
        s
    }

    /// 100 territories and teams, 500 rules, then tests of 6 lines.
    fn tests(n: usize) -> String {
        let mut s = prelude("", "", "");
        s.push_str(&small_roster(100, 3));
        for k in 0..100 {
            s.push_str(&format!("territory z{k} when country in [\"K{k}\", \"J{k}\"]\n"));
        }
        s.push_str("route main {\n");
        for k in 0..100 {
            s.push_str(&format!("  z{k}_hot: when territory == z{k} and tier == hot -> assign team team_{k} else queue review\n"));
            s.push_str(&format!("  z{k}_warm: when territory == z{k} and tier == warm -> assign team team_{}\n", (k + 1) % 100));
            s.push_str(&format!("  z{k}_acct: when domain(email) == \"acct{k}.example\" -> assign rep r{k}_2 else queue review\n"));
            s.push_str(&format!("  z{k}_cmp: when campaign ?? \"\" == \"cmp-{k}\" -> queue review\n"));
            s.push_str(&format!("  z{k}_big: when territory == z{k} and employees >= 1000 -> assign team team_{k}\n"));
        }
        s.push_str("  otherwise -> queue review\n}\n");
        let count = n.saturating_sub(lines(&s)) / 6;
        for i in 0..count {
            let k = i % 100;
            let (intent, tier, team) = if i % 2 == 0 { (90, "hot", k) } else { (50, "warm", (k + 1) % 100) };
            s.push_str(&format!(
                "test \"lead {i} in z{k}\" {{\n  now \"2026-11-24T16:00:00Z\"\n  lead {{ id: \"L{i}\", email: \"buyer{i}@co{i}.example\", company: \"Co{i}\", country: \"K{k}\",\n         intent: {intent}.0, source: web, created_at: \"2026-11-24T15:00:00Z\", tags: [] }}\n  expect team team_{team}, tier {tier}, territory z{k}\n}}\n"
            ));
        }
        s
    }

    /// An industry enum of 2N/3 variants; territory K takes variants 5K..5K+3 (5K+4 is unused).
    fn enums(n: usize) -> String {
        let variants = n * 2 / 3;
        let mut e = String::from("enum Industry {\n");
        (0..variants).for_each(|i| e.push_str(&format!("  naics_{i},\n")));
        e.push_str("}\n");
        let mut s = prelude(&e, "  industry: Industry?\n", "");
        s.push_str(&small_roster(40, 4));
        let verticals = variants / 5;
        for k in 0..verticals {
            let v: Vec<String> = (5 * k..5 * k + 4).map(|i| format!("naics_{i}")).collect();
            s.push_str(&format!("territory v{k} when industry is present and industry in [{}]\n", v.join(", ")));
        }
        s.push_str("route main {\n");
        for k in 0..verticals {
            s.push_str(&format!("  v{k}: when territory == v{k} and tier != cold -> assign team team_{} else queue review\n", k % 40));
        }
        s.push_str("  otherwise -> queue review\n}\n");
        s
    }

    /// Postal code J of set K (set K holds codes 64K..64K+63).
    fn zip(k: usize, j: usize) -> String {
        format!("{:05}", 64 * k + j)
    }

    /// Sets of 64 postal codes (10 lines), a territory and a rule for each.
    fn sets(n: usize) -> String {
        let mut s = prelude("", "", "");
        s.push_str(&small_roster(40, 4));
        let count = (n.saturating_sub(lines(&s) + 2) / 12).max(1);
        for k in 0..count {
            s.push_str(&format!("set zips_{k} = [\n"));
            for row in 0..8 {
                let codes: Vec<String> = (0..8).map(|j| format!("\"{}\"", zip(k, row * 8 + j))).collect();
                s.push_str(&format!("  {},\n", codes.join(", ")));
            }
            s.push_str("]\n");
            s.push_str(&format!("territory z{k} when country == \"US\" and zip is present and zip in zips_{k}\n"));
        }
        s.push_str("route main {\n");
        for k in 0..count {
            s.push_str(&format!("  z{k}: when territory == z{k} -> assign team team_{} else queue review\n", k % 40));
        }
        s.push_str("  otherwise -> queue review\n}\n");
        s
    }

    /// N/3 optional score fields, each with a default and a rule.
    fn fields(n: usize) -> String {
        let count = n / 3;
        let extra: String = (0..count).map(|i| format!("  score_{i}: int?\n")).collect();
        let mut s = prelude("", &extra, "");
        s.push_str(&small_roster(40, 4));
        (0..count).for_each(|i| s.push_str(&format!("on missing(score_{i}) -> assume 0\n")));
        s.push_str("route main {\n");
        for i in 0..count {
            s.push_str(&format!("  s{i}: when score_{i} >= {} and intent >= 40.0 -> assign team team_{} else queue review\n", 50 + i % 50, i % 40));
        }
        s.push_str("  otherwise -> queue review\n}\n");
        s
    }

    /// N/4 campaign tiers with SLAs, an SLA warning and breach handler each, and a rule each.
    fn slas(n: usize) -> String {
        let count = n / 4;
        let tiers: String = (0..count).map(|i| format!("tier c{i} when campaign ?? \"\" == \"cmp-{i}\" sla {}m\n", 30 + i % 60)).collect();
        let mut s = prelude("", "", &tiers);
        s.push_str(&small_roster(40, 4));
        for i in 0..count {
            s.push_str(&format!("on sla_warning(c{i}, 2m) -> notify \"campaign {i} lead due in 2 minutes\"\n"));
            s.push_str(&format!("on sla_breach(c{i}) -> reassign else queue review\n"));
        }
        s.push_str("route main {\n");
        for i in 0..count {
            s.push_str(&format!("  c{i}: when tier == c{i} -> assign team team_{} else queue review\n", i % 40));
        }
        s.push_str("  otherwise -> queue review\n}\n");
        s
    }
}
