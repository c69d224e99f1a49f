//! leadroute: the table as Route source text, compiled with both backends,
//! with each rule mapped back to its destination index.

use leadroute_runtime::FlatLead;
use leadroute_runtime::ir::{Action, PolicyIr};
use leadroute_runtime::{Backend, Lead, LeadOptions, LeadReader, Policy, Selected};

use crate::leads::LeadSet;
use crate::table::{Cond, DestKind, Place, Table, BANDS, DESTS, SOURCES, TERRITORIES, TIERS};

/// Reps per team (each team needs members for `assign team`).
const REPS_PER_TEAM: usize = 3;

/// The table as Route source text (the shape of `benches/gen.rs`'s `policy_200`).
pub fn route_source(t: &Table) -> String {
    let mut s = String::from(
        "policy bench {\n  owner \"revops@acme.example\"\n  timezone \"UTC\"\n}\n\
         schema lead {\n  id: string\n  email: string\n  country: string\n  state: string?\n  employees: int?\n  score: float\n  source: Source\n  partner_id: string?\n}\n",
    );
    s.push_str(&format!("enum Source {{ {} }}\n", SOURCES.join(", ")));
    for d in DESTS.iter().filter(|d| d.kind == DestKind::Queue) {
        s.push_str(&format!("queue {} {{ owner \"ops@acme.example\" sla 1h }}\n", d.name));
    }
    for tier in &TIERS {
        match tier.min_score {
            Some(min) => s.push_str(&format!("tier {} when score >= {min} sla 1h\n", tier.name)),
            None => s.push_str(&format!("tier {} otherwise sla 1d\n", tier.name)),
        }
    }
    s.push_str("on missing(employees) -> assume 0\non no_available_rep -> queue review\non ambiguous_territory -> queue review\n");
    let quoted = |items: &[&str]| items.iter().map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(", ");
    for terr in &TERRITORIES {
        match terr.place {
            Place::UsStates(states) => s.push_str(&format!(
                "territory {} when country == \"US\" and state is present and state in [{}]\n",
                terr.name,
                quoted(states)
            )),
            Place::Countries(countries) => {
                s.push_str(&format!("territory {} when country in [{}]\n", terr.name, quoted(countries)))
            }
        }
    }
    for (ti, team) in DESTS.iter().filter(|d| d.kind == DestKind::Team).enumerate() {
        let members: Vec<String> = (0..REPS_PER_TEAM).map(|k| format!("rep{}", ti * REPS_PER_TEAM + k)).collect();
        for m in &members {
            s.push_str(&format!("rep {m} {{ email \"{m}@acme.example\" capacity 1000000 open }}\n"));
        }
        s.push_str(&format!("team {} {{ members [{}] strategy round_robin }}\n", team.name, members.join(", ")));
    }
    s.push_str("route main {\n");
    for r in &t.rules {
        let cond = match r.cond {
            Cond::Partner { partner_id } => {
                format!("source == partner and partner_id is present and partner_id == \"{partner_id}\"")
            }
            Cond::Referral { min_score } => format!("source == referral and score >= {min_score}"),
            Cond::Specific { territory, tier, source, band } => {
                let mut c = format!("territory == {} and tier == {}", TERRITORIES[territory].name, TIERS[tier].name);
                if let Some(src) = source {
                    c.push_str(&format!(" and source == {}", SOURCES[src]));
                }
                let (lo, hi) = BANDS[band];
                c.push_str(&format!(" and employees >= {lo}"));
                if let Some(hi) = hi {
                    c.push_str(&format!(" and employees < {hi}"));
                }
                c
            }
        };
        s.push_str(&format!("  {}: when {cond} -> {}\n", r.name, action(r.dest)));
    }
    s.push_str(&format!("  otherwise -> {}\n}}\n", action(t.fallback)));
    s
}

fn action(dest: usize) -> String {
    match DESTS[dest].kind {
        DestKind::Team => format!("assign team {}", DESTS[dest].name),
        DestKind::Queue => format!("queue {}", DESTS[dest].name),
    }
}

/// Checks and lowers Route source text to the policy IR.
pub fn check_and_lower(text: &str) -> Result<PolicyIr, String> {
    let mut set = leadroute_compiler::SourceSet::new();
    set.add(leadroute_compiler::SourceFile::new("bench.route", text));
    let checked = leadroute_compiler::check(&set);
    if checked.has_errors() {
        let errors: Vec<String> =
            checked.diagnostics.iter().filter(|d| d.is_error()).map(|d| format!("{d:?}")).collect();
        return Err(format!("the generated policy has errors:\n{}", errors.join("\n")));
    }
    leadroute_compiler::lower::lower(&set, &checked).ok_or_else(|| "the generated policy does not lower".to_string())
}

/// Marks a rule whose action is not a destination (`route`, `drop`...).
pub const NO_DEST: u16 = u16::MAX;

/// A loaded leadroute policy plus the (route, rule) → destination map.
#[derive(Debug)]
pub struct Leadroute {
    /// The loaded policy.
    pub policy: Policy,
    /// Per route, per rule: index into [`DESTS`], or [`NO_DEST`].
    dests: Vec<Vec<u16>>,
}

/// The destination index of an action, by name.
fn dest_of(ir: &PolicyIr, action: &Action) -> u16 {
    let name = match action {
        Action::AssignTeam { team, .. } => &ir.teams[*team as usize].name,
        Action::Queue { queue } => &ir.queues[*queue as usize].name,
        _ => return NO_DEST,
    };
    DESTS.iter().position(|d| d.name == name).map_or(NO_DEST, |i| i as u16)
}

impl Leadroute {
    /// Loads `ir` with `backend` (the timed "JIT compile" step for `Jit`).
    pub fn load(ir: PolicyIr, backend: Backend) -> Result<Leadroute, String> {
        let policy = Policy::from_ir_with(ir, backend).map_err(|e| e.to_string())?;
        let ir = policy.ir();
        let dests = ir.routes.iter().map(|r| r.rules.iter().map(|rule| dest_of(ir, &rule.action)).collect()).collect();
        Ok(Leadroute { policy, dests })
    }

    /// Check, lower and load in one step.
    pub fn compile(text: &str, backend: Backend) -> Result<Leadroute, String> {
        Leadroute::load(check_and_lower(text)?, backend)
    }

    /// Validates the JSON leads against the policy's schema (untimed).
    pub fn leads(&self, set: &LeadSet) -> Vec<Lead> {
        set.json
            .iter()
            .map(|j| match Lead::from_json_str(self.policy.ir(), j, LeadOptions::default()) {
                Ok(lead) => lead,
                Err((id, errors)) => panic!("lead {id} does not fit the schema: {errors:?}\n{j}"),
            })
            .collect()
    }

    /// The destination of `lead` at `now` through [`Policy::select`]: no string work.
    #[inline]
    pub fn select(&self, lead: &Lead, now: i64) -> u16 {
        self.dest(self.policy.select(lead, now).outcome)
    }

    /// The leads laid out for this policy's compiled code (before timing, like parsing).
    pub fn flat_leads(&self, set: &LeadSet) -> Vec<FlatLead> {
        self.leads(set).into_iter().map(|l| self.policy.flat_lead(l)).collect()
    }

    /// Like [`LeadroutePolicy::select`] for a lead laid out by [`LeadroutePolicy::flat_leads`].
    pub fn select_flat(&self, lead: &FlatLead, now: i64) -> u16 {
        self.dest(self.policy.select_flat(lead, now).outcome)
    }

    /// Reads `json` with `reader` and selects: from JSON text to the destination.
    pub fn select_text(&self, reader: &mut LeadReader, json: &str, now: i64) -> u16 {
        match reader.read(&self.policy, json, LeadOptions::default()) {
            Ok(read) => self.dest(self.policy.select_read(&read, now).outcome),
            Err(_) => u16::MAX,
        }
    }

    fn dest(&self, outcome: Selected) -> u16 {
        match outcome {
            Selected::Rule { route, rule } => self.dests[route as usize][rule as usize],
            Selected::NoRule { .. } | Selected::Missing { .. } | Selected::Ambiguous { .. } => NO_DEST,
        }
    }
}
