//! Rep state: activity, out-of-office, load, daily counts and team rotation,
//! by rep and team index, read from and written to a JSON file.
//!
//! File format (every part optional; absent values take the defaults):
//! ```json
//! { "as_of": "2026-11-24",
//!   "reps": { "alice": { "active": true, "out_of_office_until": null,
//!                        "open_load": 12, "assigned_today": 3 } },
//!   "teams": { "sdr_pool": { "cursor": 1 },
//!              "ae_east": { "weights": { "dan": 0, "erin": 0 } } } }
//! ```
//! A rep may also carry `max_open` / `max_per_day`, overriding the policy's
//! caps for that rep (set by an operator through the service).
//! Defaults: `active` true, `out_of_office_until` none, `open_load` 0,
//! `assigned_today` 0, no cursor, weights 0. `as_of` is the day
//! `assigned_today` counts belong to (a rep entry may name its own `day`,
//! as `--state-out` does for reps whose local day differs): on any other day (in the rep's time
//! zone) the count is taken as 0.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::StateError;
use crate::ir::PolicyIr;
use crate::lead::parse_time;

/// One rep's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepState {
    /// False takes the rep out of every assignment.
    pub active: bool,
    /// Unavailable until this instant (ms since epoch).
    pub out_of_office_until: Option<i64>,
    /// Open leads/opportunities the rep holds.
    pub open_load: u32,
    /// Leads assigned on `day`.
    pub assigned_today: u32,
    /// The day (`YYYY-MM-DD`, the rep's local day) `assigned_today` counts.
    pub day: Option<jiff::civil::Date>,
    /// Overrides the policy's open-load cap for this rep (an operator's change).
    pub max_open: Option<u32>,
    /// Overrides the policy's per-day cap for this rep.
    pub max_per_day: Option<u32>,
}

impl Default for RepState {
    fn default() -> Self {
        RepState { active: true, out_of_office_until: None, open_load: 0, assigned_today: 0, day: None, max_open: None, max_per_day: None }
    }
}

/// One team's rotation state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TeamState {
    /// Position (in the member list) of the last rep round robin gave a lead.
    pub cursor: Option<u32>,
    /// Smooth weighted round robin's current weights, by member position.
    pub weights: Vec<i64>,
}

/// The state of every rep and team of one policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// By rep index.
    pub reps: Vec<RepState>,
    /// By team index.
    pub teams: Vec<TeamState>,
}

/// A problem in a state file that does not stop routing (an unknown rep, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateWarning(pub String);

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RepStateJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    active: Option<bool>,
    #[serde(default)]
    out_of_office_until: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    open_load: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    assigned_today: Option<u32>,
    /// The rep's own day for `assigned_today`, when it differs from `as_of`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    day: Option<String>,
    /// An override of the policy's open-load cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_open: Option<u32>,
    /// An override of the policy's per-day cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_per_day: Option<u32>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamStateJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cursor: Option<u32>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    weights: BTreeMap<String, i64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    as_of: Option<String>,
    #[serde(default)]
    reps: BTreeMap<String, RepStateJson>,
    #[serde(default)]
    teams: BTreeMap<String, TeamStateJson>,
}

impl State {
    /// The default state: everyone active, idle, no rotation yet.
    pub fn new(ir: &PolicyIr) -> State {
        State {
            reps: vec![RepState::default(); ir.reps.len()],
            teams: ir.teams.iter().map(|t| TeamState { cursor: None, weights: vec![0; t.members.len()] }).collect(),
        }
    }

    /// Reads a state file's JSON. Errors are one line naming the place; reps
    /// and teams the policy does not know are warnings.
    pub fn from_json(ir: &PolicyIr, text: &str) -> Result<(State, Vec<StateWarning>), StateError> {
        let parsed: StateJson = serde_json::from_str(text).map_err(|e| StateError::NotStateJson { detail: e.to_string() })?;
        Self::from_parsed(ir, parsed)
    }

    /// Applies a JSON object of rep overrides (`{"alice": {"active": false}}`), as inline tests give.
    pub fn with_overrides(ir: &PolicyIr, reps: &serde_json::Value) -> Result<State, StateError> {
        let reps: BTreeMap<String, RepStateJson> =
            serde_json::from_value(reps.clone()).map_err(|e| StateError::NotOverrides { detail: e.to_string() })?;
        let (state, warnings) = Self::from_parsed(ir, StateJson { as_of: None, reps, teams: BTreeMap::new() })?;
        match warnings.into_iter().next() {
            Some(w) => Err(StateError::Unknown(w)),
            None => Ok(state),
        }
    }

    fn from_parsed(ir: &PolicyIr, parsed: StateJson) -> Result<(State, Vec<StateWarning>), StateError> {
        let mut state = State::new(ir);
        let mut warnings = Vec::new();
        let day = match &parsed.as_of {
            Some(d) => Some(d.parse::<jiff::civil::Date>().map_err(|_| StateError::BadDate { rep: None, text: d.clone() })?),
            None => None,
        };
        for (id, r) in parsed.reps {
            let Some(i) = ir.reps.iter().position(|d| d.id == id) else {
                warnings.push(StateWarning(format!("state names rep `{id}`, which the policy does not declare; ignored")));
                continue;
            };
            let out_of_office_until = match &r.out_of_office_until {
                Some(t) => Some(parse_time(t).ok_or_else(|| StateError::BadTime { rep: id.clone(), text: t.clone() })?),
                None => None,
            };
            let rep_day = match &r.day {
                Some(d) => Some(d.parse::<jiff::civil::Date>().map_err(|_| StateError::BadDate { rep: Some(id.clone()), text: d.clone() })?),
                None => day,
            };
            state.reps[i] = RepState {
                active: r.active.unwrap_or(true),
                out_of_office_until,
                open_load: r.open_load.unwrap_or(0),
                assigned_today: r.assigned_today.unwrap_or(0),
                day: rep_day,
                max_open: r.max_open,
                max_per_day: r.max_per_day,
            };
        }
        for (name, t) in parsed.teams {
            let Some(i) = ir.teams.iter().position(|d| d.name == name) else {
                warnings.push(StateWarning(format!("state names team `{name}`, which the policy does not declare; ignored")));
                continue;
            };
            let team = &ir.teams[i];
            if let Some(c) = t.cursor {
                if c as usize >= team.members.len() {
                    return Err(StateError::CursorPastMembers { team: name, cursor: c, members: team.members.len() });
                }
            }
            let mut weights = vec![0; team.members.len()];
            for (rep, w) in t.weights {
                match team.members.iter().position(|m| ir.reps[*m as usize].id == rep) {
                    Some(p) => weights[p] = w,
                    None => warnings.push(StateWarning(format!("state of team `{name}` weights `{rep}`, who is not a member; ignored"))),
                }
            }
            state.teams[i] = TeamState { cursor: t.cursor, weights };
        }
        Ok((state, warnings))
    }

    /// The state as JSON in the file format, with reps and teams by name (sorted).
    pub fn to_json(&self, ir: &PolicyIr) -> serde_json::Value {
        // `as_of` is the most common day; reps on another local day carry their own.
        let mut days: BTreeMap<jiff::civil::Date, usize> = BTreeMap::new();
        for d in self.reps.iter().filter_map(|r| r.day) {
            *days.entry(d).or_default() += 1;
        }
        let as_of = days.iter().max_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0))).map(|(d, _)| *d);
        let mut out = StateJson { as_of: as_of.map(|d| d.to_string()), ..Default::default() };
        for (i, r) in self.reps.iter().enumerate() {
            let own_day = match r.day {
                Some(d) if Some(d) != as_of => Some(d.to_string()),
                _ => None,
            };
            out.reps.insert(
                ir.reps[i].id.clone(),
                RepStateJson {
                    active: Some(r.active),
                    out_of_office_until: r.out_of_office_until.map(format_time),
                    open_load: Some(r.open_load),
                    assigned_today: Some(r.assigned_today),
                    day: own_day,
                    max_open: r.max_open,
                    max_per_day: r.max_per_day,
                },
            );
        }
        for (i, t) in self.teams.iter().enumerate() {
            let team = &ir.teams[i];
            let weights = if t.weights.iter().any(|w| *w != 0) {
                team.members.iter().zip(&t.weights).map(|(m, w)| (ir.reps[*m as usize].id.clone(), *w)).collect()
            } else {
                BTreeMap::new()
            };
            out.teams.insert(team.name.clone(), TeamStateJson { cursor: t.cursor, weights });
        }
        serde_json::to_value(out).unwrap_or(serde_json::Value::Null)
    }
}

/// Milliseconds since the epoch as RFC 3339 (UTC).
pub fn format_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_else(|_| ms.to_string())
}
