//! Operators' assignments: a lead given by hand to a rep or a team (an
//! override from the exceptions workbench), as a decision that commits like
//! any other.

use crate::avail::{Holder, Moment};
use crate::decision::{CommitPlan, Decision, ExceptionRecord, Outcome};
use crate::lead::Lead;
use crate::policy::Policy;
use crate::state::State;

/// Who an operator gives a lead to.
#[derive(Debug, Clone, Copy)]
pub enum ManualTarget<'a> {
    /// A rep by id.
    Rep(&'a str),
    /// A team by name: its strategy picks the rep.
    Team(&'a str),
}

/// An operator's assignment: to whom, whether to override availability, and the note it carries.
#[derive(Debug, Clone, Copy)]
pub struct ManualAssignment<'a> {
    /// A rep or a team.
    pub target: ManualTarget<'a>,
    /// Assign to a rep even when unavailable.
    pub force: bool,
    /// The decision's rule, e.g. `override by ana: speaks German`.
    pub note: &'a str,
}

/// Why a manual assignment cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManualError {
    /// The policy declares no such rep.
    UnknownRep(String),
    /// The policy declares no such team.
    UnknownTeam(String),
    /// The rep cannot take a lead now (and the assignment was not forced).
    Unavailable {
        /// The rep.
        rep: String,
        /// Why not.
        why: &'static str,
    },
    /// Nobody in the team can take a lead now; each member and why not.
    NobodyAvailable {
        /// The team.
        team: String,
        /// Member and reason.
        skipped: Vec<(String, &'static str)>,
    },
}

impl std::fmt::Display for ManualError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ManualError::UnknownRep(r) => write!(f, "the policy has no rep `{r}`"),
            ManualError::UnknownTeam(t) => write!(f, "the policy has no team `{t}`"),
            ManualError::Unavailable { rep, why } => write!(f, "rep `{rep}` cannot take a lead now ({why})"),
            ManualError::NobodyAvailable { team, skipped } => {
                let who: Vec<String> = skipped.iter().map(|(r, w)| format!("{r} {w}")).collect();
                write!(f, "nobody in team `{team}` can take a lead now: {}", who.join("; "))
            }
        }
    }
}

impl std::error::Error for ManualError {}

impl Policy {
    /// An operator's assignment of `lead` (whose latest decision is
    /// `current`) to a rep or a team, at `moment`. A rep must be available
    /// unless `force`; a team's strategy picks among its available members.
    /// The decision keeps the lead's tier and territory, names `note` as its
    /// rule, gets a fresh tier SLA, and commits with [`Policy::commit`].
    pub fn assign_manually(&self, lead: &Lead, current: &Decision, how: ManualAssignment<'_>, state: &State, moment: &Moment) -> Result<Decision, ManualError> {
        let ManualAssignment { target, force, note } = how;
        let (rep, team, update) = match target {
            ManualTarget::Rep(id) => {
                let i = self.rep_by_id.get(id).copied().ok_or_else(|| ManualError::UnknownRep(id.to_string()))?;
                if let Err(why) = self.availability(i as usize, state, moment) {
                    if !force {
                        return Err(ManualError::Unavailable { rep: id.to_string(), why: why.as_str() });
                    }
                }
                (i, None, None)
            }
            ManualTarget::Team(name) => {
                let t = self.ir.teams.iter().position(|t| t.name == name).ok_or_else(|| ManualError::UnknownTeam(name.to_string()))? as u32;
                let strategy = self.ir.teams[t as usize].strategy;
                match self.pick(t, strategy, lead, state, moment) {
                    Ok(pick) => (pick.rep, Some(t), Some(pick.update)),
                    Err(no) => {
                        return Err(ManualError::NobodyAvailable {
                            team: name.to_string(),
                            skipped: no.skipped.iter().map(|(r, w)| (self.ir.reps[*r as usize].id.clone(), w.as_str())).collect(),
                        })
                    }
                }
            }
        };
        let mut d = current.clone();
        d.outcome = Outcome::Assigned;
        d.rep = Some(self.ir.reps[rep as usize].id.clone());
        d.team = team.map(|t| self.ir.teams[t as usize].name.clone());
        d.queue = None;
        d.queue_sla_due = None;
        d.rule = Some(note.to_string());
        d.route = None;
        d.reason = None;
        d.errors = Vec::new();
        d.trace = None;
        d.policy_version = self.version().to_string();
        let tier = current.tier.as_deref().and_then(|t| self.ir.tiers.iter().position(|d| d.name == t));
        d.sla_due = tier.and_then(|t| self.tier_due(t as u32, moment.now, Holder::Rep { rep, team }));
        d.exceptions = vec![ExceptionRecord { exception: "override".into(), handled_by: note.to_string() }];
        d.commit = Some(CommitPlan { rep, day: moment.day[rep as usize], team: team.zip(update) });
        Ok(d)
    }
}
