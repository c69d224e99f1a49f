//! Duplicate leads: the earlier lead a caller found for a new one
//! ([`Prior`]), and what the policy says makes two leads the same (its key
//! and window). The engine reads no clock and no store: the caller looks the
//! earlier lead up with [`Policy::duplicate_key`] and
//! [`Policy::duplicate_window_ms`] and passes it to the decision.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::decision::{Decision, Outcome};
use crate::ir::Value;
use crate::lead::Lead;
use crate::policy::Policy;
use crate::state::format_time;

/// The earlier decided lead a new lead may duplicate, as the caller knows
/// it. A decision the duplicate handler applied to carries it back as
/// `duplicate_of`, so replaying that decision needs nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prior {
    /// The earlier lead's id.
    pub lead_id: String,
    /// When it was decided (RFC 3339).
    pub decided_at: String,
    /// Its owner now (after reassignments), else the rep it was assigned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The team it was assigned through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The queue it went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
}

impl Prior {
    /// An earlier lead decided at `decided_at` (milliseconds since the epoch), with no owner, team or queue.
    pub fn new(lead_id: impl Into<String>, decided_at_ms: i64) -> Prior {
        Prior { lead_id: lead_id.into(), decided_at: format_time(decided_at_ms), owner: None, team: None, queue: None }
    }

    /// With its owner.
    pub fn owned_by(mut self, owner: Option<String>) -> Prior {
        self.owner = owner;
        self
    }

    /// When it was decided, in milliseconds; `None` when `decided_at` is not a time.
    pub fn decided_at_ms(&self) -> Option<i64> {
        crate::time::parse_timestamp(&self.decided_at).ok().map(|t| t.as_millisecond())
    }
}

/// Leads decided so far, by duplicate key, with where each is now: what a
/// caller without a store (a lead file routed in order, an audit log
/// replayed, a batch not yet stored) looks earlier leads up in. Lookups
/// only (nothing is listed in map order), so hash maps.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// Per key: the most recent lead with it.
    by_key: FxHashMap<String, Latest>,
    /// Per lead id: its key, so a move updates the owner.
    key_of: FxHashMap<String, String>,
}

/// The most recent lead of a key, kept as numbers and names (a [`Prior`] is
/// made only for a lead that finds it).
#[derive(Debug, Clone)]
struct Latest {
    lead_id: String,
    at: i64,
    owner: Option<String>,
    team: Option<String>,
    queue: Option<String>,
}

impl Seen {
    /// The earlier lead with `key` decided within `policy`'s window before
    /// `now` (milliseconds), other than `lead_id` itself.
    pub fn prior(&self, policy: &Policy, key: &str, now: i64, lead_id: &str) -> Option<Prior> {
        let l = self.by_key.get(key)?;
        (l.lead_id != lead_id && policy.within_window(l.at, now))
            .then(|| Prior { owner: l.owner.clone(), team: l.team.clone(), queue: l.queue.clone(), ..Prior::new(l.lead_id.clone(), l.at) })
    }

    /// A lead with `key` (when it has one) was decided at `at`: it is now the most recent with its key.
    pub fn decided(&mut self, key: Option<&str>, at: i64, d: &Decision) {
        let Some(key) = key else { return };
        if d.outcome == Outcome::Rejected {
            return;
        }
        self.decided_parts(Some(key), at, &d.lead_id, d.rep.as_deref(), d.team.as_deref(), d.queue.as_deref());
    }

    /// [`Seen::decided`] for a decision that was not rejected, given by its parts.
    pub(crate) fn decided_parts(&mut self, key: Option<&str>, at: i64, lead_id: &str, rep: Option<&str>, team: Option<&str>, queue: Option<&str>) {
        let Some(key) = key else { return };
        let own = |s: Option<&str>| s.map(str::to_string);
        let latest = Latest { lead_id: lead_id.to_string(), at, owner: own(rep), team: own(team), queue: own(queue) };
        self.key_of.insert(lead_id.to_string(), key.to_string());
        self.by_key.insert(key.to_string(), latest);
    }

    /// A lead got a new decision (an override, a breach): its owner, team and queue follow.
    pub fn moved(&mut self, d: &Decision) {
        let Some(l) = self.key_of.get(&d.lead_id).and_then(|k| self.by_key.get_mut(k)) else { return };
        if l.lead_id == d.lead_id {
            (l.owner, l.team, l.queue) = (d.rep.clone(), d.team.clone(), d.queue.clone());
        }
    }
}

/// A duplicate key as compared: trimmed and lower-cased; `None` when empty.
pub fn normalize_key(raw: &str) -> Option<String> {
    let k = raw.trim().to_lowercase();
    (!k.is_empty()).then_some(k)
}

impl Policy {
    /// The lead's duplicate key (its `email`, or the handler's `by` field,
    /// normalized); `None` when the policy has no duplicate handler or the
    /// lead has no key.
    pub fn duplicate_key(&self, lead: &Lead) -> Option<String> {
        let def = self.ir.duplicate.as_ref()?;
        match lead.values.get(def.key as usize)? {
            Some(Value::Str(s)) => normalize_key(s),
            _ => None,
        }
    }

    /// [`Policy::duplicate_key`] of a lead still as JSON (its key field's
    /// text, normalized), without validating the rest of it.
    pub fn duplicate_key_json(&self, lead: &serde_json::Value) -> Option<String> {
        let def = self.ir.duplicate.as_ref()?;
        normalize_key(lead.get(&self.ir.fields.get(def.key as usize)?.name)?.as_str()?)
    }

    /// How far back (milliseconds) an earlier decision with the same key makes
    /// a lead a duplicate; `None` when the policy has no duplicate handler.
    pub fn duplicate_window_ms(&self) -> Option<i64> {
        self.ir.duplicate.as_ref().map(|d| d.window_ms)
    }

    /// True when a lead decided at `prior_ms` is within the window before
    /// `now`. A time after `now` counts too: the caller found it earlier in
    /// its own order, and another node's clock may run a little ahead.
    pub fn within_window(&self, prior_ms: i64, now: i64) -> bool {
        self.duplicate_window_ms().is_some_and(|w| now.saturating_sub(prior_ms) <= w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_trimmed_and_lower_cased() {
        assert_eq!(normalize_key(" A@X.com ").as_deref(), Some("a@x.com"));
        assert_eq!(normalize_key("   "), None);
    }

    #[test]
    fn a_prior_keeps_its_time_in_rfc_3339() {
        let p = Prior::new("L-1", 1_795_000_000_000);
        assert_eq!(p.decided_at_ms(), Some(1_795_000_000_000));
        assert_eq!(serde_json::to_string(&p).unwrap_or_default(), format!("{{\"lead_id\":\"L-1\",\"decided_at\":\"{}\"}}", p.decided_at));
    }
}
