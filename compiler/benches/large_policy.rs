//! The generated 10,000-line policy the checker and language-server benchmarks share.

/// A realistic large policy: many reps, teams, territories and rules.
pub fn generate(target_lines: usize) -> String {
    let mut s = String::new();
    s.push_str("policy big {\n  owner \"revops@acme.example\"\n  timezone \"America/New_York\"\n  entry main\n}\n\n");
    s.push_str("enum Source { chat, paid, web, partner, event, referral }\nenum Segment { smb, mid_market, enterprise }\n\n");
    s.push_str("schema lead {\n  id: string\n  email: string\n  country: string\n  state: string?\n  employees: int?\n  intent: float\n  source: Source\n  segment: Segment?\n  account_owner: string?\n  created_at: time\n  tags: list<string>\n}\n\n");
    s.push_str("queue review { owner \"ops@acme.example\" sla 30m }\n");
    s.push_str("tier hot when intent >= 80 or source == chat sla 5m\ntier warm when intent >= 40 sla 1h\ntier cold otherwise sla 24h\n\n");
    s.push_str("on ambiguous_territory -> queue review\non missing(employees) -> assume 0\non no_available_rep -> queue review\n\n");
    let mut n = 0usize;
    let lines = |s: &String| s.lines().count();
    let mut rules = String::from("route main {\n");
    while lines(&s) + lines(&rules) < target_lines {
        // Per block: 8 reps, a team, a territory, a test and rules: about 40 lines.
        let mut members = Vec::new();
        for r in 0..8 {
            let rep = format!("rep_{n}_{r}");
            s.push_str(&format!(
                "rep {rep} {{\n  email \"{rep}@acme.example\"\n  timezone \"America/Chicago\"\n  hours mon-fri 08:00-17:00\n  capacity 25 open  capacity 10 per day\n}}\n"
            ));
            members.push(rep);
        }
        s.push_str(&format!("team team_{n} {{ members [{}] strategy weighted }}\n", members.join(", ")));
        s.push_str(&format!("set states_{n} = [\"S{n}A\", \"S{n}B\", \"S{n}C\"]\n"));
        s.push_str(&format!("territory terr_{n} when country == \"C{n}\" and state is present and state in states_{n}\n"));
        s.push_str(&format!(
            "test \"block {n}\" {{\n  lead {{ id: \"L{n}\", email: \"a@b.example\", country: \"C{n}\", intent: 90, source: chat,\n         created_at: \"2026-11-24T15:00:00Z\", tags: [] }}\n  expect team team_{n}\n}}\n"
        ));
        rules.push_str(&format!(
            "  r{n}a: when territory == terr_{n} and tier == hot -> assign team team_{n} else continue\n  r{n}b: when territory == terr_{n} and (employees > {n} or contains(tags, \"t{n}\")) -> assign team team_{n}\n  r{n}c: when domain(email) == \"d{n}.example\" and segment is present and segment == enterprise -> queue review\n"
        ));
        n += 1;
    }
    rules.push_str("  otherwise -> queue review\n}\n");
    s.push_str(&rules);
    s
}
