//! Work items: claim, resolve, reassign (an operator's override) and
//! reprocess, each in one transaction under the state lock and audited; and
//! moving a lead to a new decision, which overrides, reprocessing and SLA
//! breaches share.

use leadroute_runtime::{Decision, Lead, LeadOptions, ManualAssignment, ManualTarget, Outcome, State};

use sqlx::{AnyConnection, Row};

use super::effects::Effects;
use super::rows::{find_lead, finish};
use super::{Cache, Decider, Head, Operations};
use crate::audit;
use crate::error::ServiceError;
use crate::store::{Context, StoreError};

/// What an operator does to a work item.
#[derive(Debug, Clone)]
pub enum ItemAction {
    /// Take it.
    Claim {
        /// Who.
        operator: String,
    },
    /// Close it with a note.
    Resolve {
        /// Who.
        operator: String,
        /// Why / what was done.
        note: String,
    },
    /// Give the lead to a rep or a team (an override decision).
    Reassign {
        /// Who.
        operator: String,
        /// `rep` or `team`, and its id.
        rep: Option<String>,
        /// A team, picked by its strategy.
        team: Option<String>,
        /// Why.
        reason: String,
        /// Assign to a rep even when unavailable.
        force: bool,
    },
    /// Decide the lead again under the active policy (after a policy fix).
    Reprocess {
        /// Who.
        operator: String,
    },
}

/// A stored lead, as the moves need it.
pub(crate) struct LeadNow {
    pub key: String,
    pub lead_id: String,
    pub lead_json: String,
    pub current: Decision,
    pub current_json: serde_json::Value,
    pub holders: Vec<String>,
    pub released: bool,
}

fn conflict(message: String) -> ServiceError {
    ServiceError::Conflict { code: "work_item_conflict", message }
}

/// Reads a lead's current decision as the runtime type (by re-deciding is
/// not possible: decisions are data), keeping the JSON for the audit log.
pub(crate) async fn load_lead(conn: &mut AnyConnection, cache: &Cache, key: &str) -> Result<LeadNow, ServiceError> {
    let row = find_lead(conn, key).await?.ok_or_else(|| ServiceError::NotFound { what: format!("lead `{key}`"), help: "the work item names a lead that is not stored".into() })?;
    let get = |c: &str| row.try_get::<Option<String>, _>(c).ctx("read a lead");
    let decision: String = get("decision")?.unwrap_or_default();
    let current_text = get("current")?.unwrap_or(decision);
    let current_json: serde_json::Value = serde_json::from_str(&current_text).unwrap_or_default();
    let lead_json = get("lead")?.unwrap_or_default();
    let holders: Vec<String> = get("holders")?.and_then(|h| serde_json::from_str(&h).ok()).unwrap_or_default();
    let released = row.try_get::<Option<i64>, _>("released_at").ctx("read a lead")?.is_some();
    let current = crate::replay::decision_from_json(&current_json, cache.policy.version());
    Ok(LeadNow { key: get("idem_key")?.unwrap_or_default(), lead_id: get("lead_id")?.unwrap_or_default(), lead_json, current, current_json, holders, released })
}

impl Decider {
    /// Moves a lead to `new`: frees the previous rep's load, commits the new
    /// decision, stops the old SLA timers, stores it as the lead's current
    /// decision, and sets its own work item, timers and deliveries going.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn move_lead(
        conn: &mut AnyConnection,
        head: &mut Head,
        effects: &mut Effects,
        ops: &Operations,
        cache: &mut Cache,
        lead: &mut LeadNow,
        new: &Decision,
        reason: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let mut freed = None;
        if lead.current.outcome == Outcome::Assigned && !lead.released {
            if let Some(rep) = &lead.current.rep {
                if let Some(&i) = cache.rep_index.get(rep) {
                    cache.state.reps[i].open_load = cache.state.reps[i].open_load.saturating_sub(1);
                    freed = Some(rep.clone());
                }
            }
        }
        cache.policy.commit(&mut cache.state, new);
        if let Some(rep) = &new.rep {
            if !lead.holders.contains(rep) {
                lead.holders.push(rep.clone());
            }
        }
        sqlx::query("UPDATE timers SET fired_at = $1, outcome = $2 WHERE lead_key = $3 AND fired_at IS NULL AND kind = 'sla'")
            .bind(now)
            .bind(format!("stopped: {reason}"))
            .bind(&lead.key)
            .execute(&mut *conn)
            .await
            .ctx("stop the lead's timers")?;
        sqlx::query("UPDATE leads SET current = $1, holders = $2 WHERE idem_key = $3")
            .bind(new.to_json_line())
            .bind(serde_json::to_string(&lead.holders).unwrap_or_else(|_| "[]".into()))
            .bind(&lead.key)
            .execute(&mut *conn)
            .await
            .ctx("store the lead's new decision")?;
        effects.decision(head, ops, &cache.policy, &lead.key, new, &lead.lead_json, reason, now);
        lead.current = new.clone();
        Ok(freed)
    }

    pub(super) async fn item_action(&mut self, id: i64, action: ItemAction) -> Result<serde_json::Value, ServiceError> {
        let (mut tx, mut head) = self.lock().await?;
        self.sync(&mut tx, &head).await?;
        let now = self.clock.now_ms();
        let row = sqlx::query("SELECT lead_key, lead_id, queue, status, claimed_by, history, created_at FROM work_items WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .ctx("read a work item")?
            .ok_or_else(|| ServiceError::NotFound { what: format!("work item {id}"), help: "GET /v1/work-items lists them".into() })?;
        let get = |c: &str| row.try_get::<Option<String>, _>(c).ctx("read a work item");
        let (key, status, claimed_by) = (get("lead_key")?.unwrap_or_default(), get("status")?.unwrap_or_default(), get("claimed_by")?);
        let mut history: Vec<serde_json::Value> = get("history")?.and_then(|h| serde_json::from_str(&h).ok()).unwrap_or_default();
        if status == "resolved" {
            return Err(conflict(format!("work item {id} is resolved already")));
        }
        let created_at: i64 = row.try_get("created_at").ctx("read a work item")?;
        let ops = self.ops.clone();
        let mut effects = Effects::default();
        let cache = self.cache()?;
        let before: State = cache.state.clone();
        let (operator, new_status, note, outcome, entry_fields) = match action {
            ItemAction::Claim { operator } => {
                if let Some(other) = claimed_by.filter(|c| *c != operator) {
                    return Err(conflict(format!("work item {id} is claimed by `{other}`; they must resolve it, or it is reassigned")));
                }
                (operator, "claimed", None, serde_json::json!({ "claimed_by": null }), serde_json::json!({}))
            }
            ItemAction::Resolve { operator, note } => (operator, "resolved", Some(note), serde_json::json!({}), serde_json::json!({})),
            ItemAction::Reassign { operator, rep, team, reason, force } => {
                let target = match (&rep, &team) {
                    (Some(r), None) => ManualTarget::Rep(r),
                    (None, Some(t)) => ManualTarget::Team(t),
                    _ => return Err(ServiceError::Invalid { code: "bad_reassign", message: "give exactly one of `rep` and `team`".into(), details: None }),
                };
                let mut lead = load_lead(&mut tx, cache, &key).await?;
                let parsed = Lead::from_json_str(cache.policy.ir(), &lead.lead_json, LeadOptions::default())
                    .map_err(|(_, e)| conflict(format!("the stored lead no longer reads under the active policy: {e:?}")))?;
                let note = format!("override by {operator}: {reason}");
                let moment = cache.policy.at(now);
                let d = cache
                    .policy
                    .assign_manually(&parsed, &lead.current, ManualAssignment { target, force, note: &note }, &cache.state, &moment)
                    .map_err(|e| conflict(format!("{e}; pick someone available or set `force`")))?;
                let previous = lead.current_json.clone();
                let freed = Self::move_lead(&mut tx, &mut head, &mut effects, &ops, cache, &mut lead, &d, "override", now).await?;
                let fields = serde_json::json!({ "lead_id": lead.lead_id, "key": lead.key, "operator": operator, "reason": reason,
                    "target": { "rep": rep, "team": team }, "force": force, "version": cache.version, "lead": serde_json::from_str::<serde_json::Value>(&lead.lead_json).unwrap_or_default(),
                    "previous": previous, "freed": freed, "decision": serde_json::to_value(&d).unwrap_or_default() });
                (operator, "resolved", Some(note), serde_json::to_value(&d).unwrap_or_default(), fields)
            }
            ItemAction::Reprocess { operator } => {
                let mut lead = load_lead(&mut tx, cache, &key).await?;
                let parsed = Lead::from_json_str(cache.policy.ir(), &lead.lead_json, LeadOptions::default())
                    .map_err(|(_, e)| conflict(format!("the stored lead does not read under the active policy: {e:?}")))?;
                let moment = cache.policy.at(now);
                // The lead's own load is freed before it is decided again, so
                // its rep counts as it would without it.
                let previous = lead.current_json.clone();
                let d = cache.policy.decide(&parsed, &cache.state, &moment, false);
                let freed = Self::move_lead(&mut tx, &mut head, &mut effects, &ops, cache, &mut lead, &d, "reprocessed", now).await?;
                let fields = serde_json::json!({ "lead_id": lead.lead_id, "key": lead.key, "operator": operator, "version": cache.version,
                    "lead": serde_json::from_str::<serde_json::Value>(&lead.lead_json).unwrap_or_default(),
                    "previous": previous, "freed": freed, "decision": serde_json::to_value(&d).unwrap_or_default() });
                let note = format!("reprocessed by {operator}: {}", d.outcome.as_str());
                (operator, "resolved", Some(note), serde_json::to_value(&d).unwrap_or_default(), fields)
            }
        };
        let kind = if entry_fields.get("target").is_some() {
            Some(audit::kind::OVERRIDE)
        } else if entry_fields.get("decision").is_some() {
            Some(audit::kind::REPROCESSED)
        } else {
            None
        };
        history.push(serde_json::json!({ "at": leadroute_runtime::state::format_time(now), "action": kind.unwrap_or(new_status), "by": operator, "detail": note }));
        sqlx::query("UPDATE work_items SET status = $1, claimed_by = $2, updated_at = $3, resolved_at = $4, note = COALESCE($5, note), history = $6 WHERE id = $7")
            .bind(new_status)
            .bind(&operator)
            .bind(now)
            .bind((new_status == "resolved").then_some(now))
            .bind(note.as_deref())
            .bind(serde_json::Value::Array(history.clone()).to_string())
            .bind(id)
            .execute(&mut *tx)
            .await
            .ctx("update the work item")?;
        if new_status == "resolved" {
            sqlx::query("UPDATE timers SET fired_at = $1, outcome = 'stopped: resolved' WHERE item_id = $2 AND fired_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await
                .ctx("stop the item's timer")?;
        }
        let mut entries = Vec::new();
        let fields = match entry_fields {
            serde_json::Value::Object(mut m) => {
                m.insert("item".into(), id.into());
                serde_json::Value::Object(m)
            }
            other => other,
        };
        let kind = kind.unwrap_or(audit::kind::WORK_ITEM);
        let fields = if kind == audit::kind::WORK_ITEM {
            serde_json::json!({ "item": id, "lead_key": key, "action": new_status, "operator": operator, "note": note })
        } else {
            fields
        };
        entries.push(audit::other(head.next_audit(), now, kind, None, fields));
        let cache = self.cache()?;
        finish(tx, &mut head, cache, &before, (&entries, &effects), now, "commit the work item").await?;
        metrics::counter!("leadroute_work_item_actions_total", "action" => kind).increment(1);
        if new_status == "resolved" {
            metrics::histogram!("leadroute_work_item_resolve_seconds").record((now - created_at).max(0) as f64 / 1000.0);
        }
        Ok(serde_json::json!({ "item": id, "status": new_status, "by": operator, "note": note, "decision": outcome, "history": history }))
    }
}
