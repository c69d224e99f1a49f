//! Decisions: what happened to a lead and why, as JSON and as readable text.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::ir::{FieldType, PolicyIr, Value};
use crate::lead::FieldError;
use crate::state::format_time;

/// What became of a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A rep has it.
    Assigned,
    /// A review queue has it.
    Queued,
    /// Dropped on purpose, with a reason.
    Dropped,
    /// The lead failed validation; see `errors`.
    Rejected,
}

impl Outcome {
    /// The outcome as written in decisions.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Assigned => "assigned",
            Outcome::Queued => "queued",
            Outcome::Dropped => "dropped",
            Outcome::Rejected => "rejected",
        }
    }
}

/// An exception raised while deciding, and what handled it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionRecord {
    /// `ambiguous_territory`, `missing(field)`, `no_available_rep`, `over_capacity`, `no_match`.
    pub exception: String,
    /// What handled it: `on no_available_rep -> queue review`, `else continue`, ...
    pub handled_by: String,
}

/// One step of a trace: what was evaluated, what it read, what came out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceStep {
    /// `tier`, `territory`, `rule`, `assign`, `exception`, `route`.
    pub step: &'static str,
    /// The tier, territory, rule, team or rep concerned.
    pub name: String,
    /// `file:line` of the declaration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The condition's source text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// The lead fields it read, with their values (`null` when missing).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub reads: BTreeMap<String, serde_json::Value>,
    /// `true` / `false` for conditions; a word for other steps.
    pub result: serde_json::Value,
    /// More detail (why a rep was skipped ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For a team assignment: every other member and why it did not get the
    /// lead, in team order (empty for other steps).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skip>,
}

/// A team member an assignment passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    /// The rep's id.
    pub rep: String,
    /// Why it did not get the lead.
    pub why: SkipReason,
    /// The particulars (`until 2026-11-25T09:00:00Z`, `open load 25 of 25` ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Why a team member did not get a lead, as written in traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Marked inactive (policy or state).
    Inactive,
    /// Out of office now.
    OutOfOffice,
    /// Outside the rep's working hours.
    OutsideHours,
    /// A day off in one of the rep's calendars.
    Holiday,
    /// Open load or today's count at its cap.
    AtCap,
    /// Available, but the strategy chose another member (rotation, weight, load).
    NotNext,
}

impl SkipReason {
    /// The reason as written in traces (`out_of_office` ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Inactive => "inactive",
            SkipReason::OutOfOffice => "out_of_office",
            SkipReason::OutsideHours => "outside_hours",
            SkipReason::Holiday => "holiday",
            SkipReason::AtCap => "at_cap",
            SkipReason::NotNext => "not_next",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `result` of an `assign` step that found nobody in the team.
pub(crate) const NOBODY_AVAILABLE: &str = "nobody available";
/// The `result` of a sticky `assign` step whose owner could not take the lead.
pub(crate) const NO_OWNER_TO_KEEP: &str = "no owner to keep";

/// What committing a decision changes in the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommitPlan {
    pub rep: u32,
    pub day: jiff::civil::Date,
    pub team: Option<(u32, TeamUpdate)>,
}

/// The rotation change a team strategy made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TeamUpdate {
    Cursor(u32),
    Weights(Vec<i64>),
    None,
}

/// The decision for one lead.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The lead's id.
    pub lead_id: String,
    /// What became of it.
    pub outcome: Outcome,
    /// The rep, when assigned.
    pub rep: Option<String>,
    /// The team, when assigned through one.
    pub team: Option<String>,
    /// The queue, when queued.
    pub queue: Option<String>,
    /// The tier.
    pub tier: Option<String>,
    /// The territory (none when no territory matched, or when several did).
    pub territory: Option<String>,
    /// Every territory that matched, when more than one did (the lead is ambiguous).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub territories: Vec<String>,
    /// The rule that decided: its name or `file:line` (or the handler).
    pub rule: Option<String>,
    /// The route the deciding rule is in.
    pub route: Option<String>,
    /// Why the lead was dropped.
    pub reason: Option<String>,
    /// When the tier's SLA runs out (RFC 3339).
    pub sla_due: Option<String>,
    /// For a queued lead, when the queue's own SLA runs out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_sla_due: Option<String>,
    /// Exceptions raised and how they were handled.
    pub exceptions: Vec<ExceptionRecord>,
    /// The earlier lead this one duplicates, when the policy's `on duplicate(...)` handler applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<crate::duplicate::Prior>,
    /// Validation errors of a rejected lead.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The policy's content hash.
    pub policy_version: String,
    /// Every step taken, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceStep>>,
    #[serde(skip)]
    pub(crate) commit: Option<CommitPlan>,
}

impl Decision {
    /// A decision for a lead that failed validation.
    pub fn rejected(lead_id: String, errors: Vec<FieldError>, policy_version: &str) -> Decision {
        Decision {
            lead_id,
            outcome: Outcome::Rejected,
            rep: None,
            team: None,
            queue: None,
            tier: None,
            territory: None,
            territories: Vec::new(),
            rule: None,
            route: None,
            reason: None,
            sla_due: None,
            queue_sla_due: None,
            exceptions: Vec::new(),
            duplicate_of: None,
            errors,
            policy_version: policy_version.to_string(),
            trace: None,
            commit: None,
        }
    }

    /// When the tier's SLA runs out, as a time (`sla_due` read back).
    pub fn sla_due_at(&self) -> Option<jiff::Timestamp> {
        self.sla_due.as_deref().and_then(|t| t.parse().ok())
    }

    /// For a queued lead, when the queue's SLA runs out, as a time.
    pub fn queue_sla_due_at(&self) -> Option<jiff::Timestamp> {
        self.queue_sla_due.as_deref().and_then(|t| t.parse().ok())
    }

    /// The decision as one line of JSON.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"cannot serialize decision: {e}\"}}"))
    }

    /// A readable explanation, several lines.
    pub fn to_human(&self) -> String {
        let mut out = String::new();
        let id = if self.lead_id.is_empty() { "(no id)" } else { &self.lead_id };
        let head = match self.outcome {
            Outcome::Assigned => format!(
                "assigned to {}{}",
                self.rep.as_deref().unwrap_or("?"),
                self.team.as_deref().map(|t| format!(" (team {t})")).unwrap_or_default()
            ),
            Outcome::Queued => format!("queued in {}", self.queue.as_deref().unwrap_or("?")),
            Outcome::Dropped => format!("dropped: {}", self.reason.as_deref().unwrap_or("")),
            Outcome::Rejected => "rejected: invalid lead".to_string(),
        };
        out.push_str(&format!("lead {id}: {head}\n"));
        if self.outcome == Outcome::Rejected {
            for e in &self.errors {
                out.push_str(&format!("  - {}\n", e.message));
            }
            return out;
        }
        let mut facts = Vec::new();
        if let Some(t) = &self.tier {
            facts.push(format!("tier {t}"));
        }
        if self.territories.is_empty() {
            facts.push(format!("territory {}", self.territory.as_deref().unwrap_or("none")));
        } else {
            facts.push(format!("territory ambiguous ({})", self.territories.join(", ")));
        }
        if let Some(r) = &self.rule {
            facts.push(format!("rule {r}{}", self.route.as_deref().map(|r| format!(" in route {r}")).unwrap_or_default()));
        }
        match (&self.sla_due, &self.tier) {
            (Some(s), _) => facts.push(format!("SLA due {s}")),
            (None, Some(t)) => facts.push(format!("no SLA (tier {t} sets none: no timer, no breach handler runs)")),
            (None, None) => {}
        }
        if let Some(s) = &self.queue_sla_due {
            facts.push(format!("queue SLA due {s}"));
        }
        out.push_str(&format!("  {}\n", facts.join(", ")));
        if let Some(p) = &self.duplicate_of {
            let owner = p.owner.as_deref().map(|o| format!(", owner {o}")).unwrap_or_default();
            out.push_str(&format!("  duplicate of lead {} (decided {}{owner})\n", p.lead_id, p.decided_at));
        }
        for e in &self.exceptions {
            out.push_str(&format!("  exception {} handled by {}\n", e.exception, e.handled_by));
        }
        if let Some(trace) = &self.trace {
            out.push_str("  why:\n");
            for s in trace {
                out.push_str(&format!("    {}\n", step_text(s)));
                // A step that found nobody names them in its detail already.
                let chose = !matches!(&s.result, serde_json::Value::String(r) if r == NOBODY_AVAILABLE || r == NO_OWNER_TO_KEEP);
                for k in s.skipped.iter().filter(|_| chose) {
                    let detail = k.detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
                    out.push_str(&format!("      passed over {}: {}{detail}\n", k.rep, k.why));
                }
            }
        }
        out
    }
}

fn step_text(s: &TraceStep) -> String {
    let mut line = format!("{} {}", s.step, s.name);
    if let Some(c) = &s.condition {
        line.push_str(&format!(": {c}"));
    }
    if !s.reads.is_empty() {
        let reads: Vec<String> = s.reads.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        line.push_str(&format!(" [{}]", reads.join(", ")));
    }
    let result = match &s.result {
        serde_json::Value::Bool(true) => "yes".to_string(),
        serde_json::Value::Bool(false) => "no".to_string(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    line.push_str(&format!(" -> {result}"));
    if let Some(d) = &s.detail {
        line.push_str(&format!(" ({d})"));
    }
    if let Some(at) = &s.at {
        line.push_str(&format!("  @ {at}"));
    }
    line
}

/// A lead value as JSON, in the lead file's own notation.
pub fn value_json(ir: &PolicyIr, ty: Option<&FieldType>, v: &Value) -> serde_json::Value {
    use serde_json::json;
    match v {
        Value::Str(s) => json!(s),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Bool(b) => json!(b),
        Value::Time(t) => json!(format_time(*t)),
        Value::Duration(ms) => json!(format!("{}s", ms / 1000)),
        Value::Clock(m) => json!(format!("{:02}:{:02}", m / 60, m % 60)),
        Value::Enum(i) => match ty {
            Some(FieldType::Enum(e)) => json!(ir.enums.get(*e as usize).and_then(|d| d.variants.get(*i as usize)).cloned().unwrap_or_default()),
            _ => json!(i),
        },
        Value::List(items) => {
            let inner = match ty {
                Some(FieldType::List(t)) => Some(t.as_ref()),
                _ => None,
            };
            serde_json::Value::Array(items.iter().map(|i| value_json(ir, inner, i)).collect())
        }
        Value::Tier(t) => json!(ir.tiers.get(*t as usize).map(|t| t.name.clone())),
        Value::Territory(t) => json!(t.and_then(|t| ir.territories.get(t as usize)).map_or("none".to_string(), |t| t.name.clone())),
    }
}

impl Decision {
    /// Where the lead went, as one comparable word: `team T`, `rep R`,
    /// `queue Q`, `dropped` or `rejected` (what `diff` and rollouts compare).
    pub fn destination(&self) -> String {
        match self.outcome {
            Outcome::Assigned => match (&self.team, &self.rep) {
                (Some(t), _) => format!("team {t}"),
                (None, Some(r)) => format!("rep {r}"),
                _ => "assigned".into(),
            },
            Outcome::Queued => format!("queue {}", self.queue.as_deref().unwrap_or("?")),
            Outcome::Dropped => "dropped".into(),
            Outcome::Rejected => "rejected".into(),
        }
    }

    /// [`Decision::destination`] down to the rep: `team T (rep R)` for a lead
    /// assigned through a team, else the same word.
    pub fn full_destination(&self) -> String {
        match (self.outcome, &self.team, &self.rep) {
            (Outcome::Assigned, Some(t), Some(r)) => format!("team {t} (rep {r})"),
            _ => self.destination(),
        }
    }
}
