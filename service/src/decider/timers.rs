//! Durable timers: at each tick the decider fires, under the state lock,
//! every timer that is due (including those that came due while the service
//! was down). The lock makes each timer fire once across nodes: the timer is
//! marked fired in the same transaction that applies its effect. Also: a
//! delivery that failed for good becomes a `crm_error` work item.

use leadroute_runtime::{BreachResult, Escalation, Lead, LeadOptions, Outcome, State};
use sqlx::Row;

use super::effects::{timer, Effects};
use super::items::load_lead;
use super::rows::{finish, insert_audit, write_head};
use super::Decider;
use crate::audit;
use crate::error::ServiceError;
use crate::store::Context;

/// Timers fired per transaction at most (the rest fire at the next tick).
const TIMERS_PER_TICK: i64 = 200;
/// A work item escalates at most this many times (the compiler refuses cycles; this bounds the rest).
const MAX_ESCALATIONS: usize = 16;

impl Decider {
    pub(super) async fn tick(&mut self) -> Result<usize, ServiceError> {
        let (mut tx, mut head) = self.lock().await?;
        self.sync(&mut tx, &head).await?;
        let now = self.clock.now_ms();
        let reminders = sqlx::query(
            "SELECT id, lead_key, rep FROM timers WHERE remind_at IS NOT NULL AND reminded_at IS NULL AND remind_at <= $1 AND fired_at IS NULL ORDER BY remind_at, id LIMIT $2",
        )
        .bind(now)
        .bind(TIMERS_PER_TICK)
        .fetch_all(&mut *tx)
        .await
        .ctx("read due reminders")?;
        let due = sqlx::query("SELECT id, lead_key, kind, item_id, rep FROM timers WHERE fired_at IS NULL AND due_at <= $1 ORDER BY due_at, id LIMIT $2")
            .bind(now)
            .bind(TIMERS_PER_TICK)
            .fetch_all(&mut *tx)
            .await
            .ctx("read due timers")?;
        if due.is_empty() && reminders.is_empty() {
            return Ok(0);
        }
        let ops = self.ops.clone();
        let mut effects = Effects::default();
        let mut entries = Vec::new();
        let cache = self.cache()?;
        let before: State = cache.state.clone();
        let version = cache.version.clone();
        let moment = cache.policy.at(now);
        for t in &reminders {
            let id: i64 = t.try_get("id").ctx("read a timer")?;
            let key: String = t.try_get("lead_key").ctx("read a timer")?;
            let rep: Option<String> = t.try_get("rep").ctx("read a timer")?;
            let lead = load_lead(&mut tx, cache, &key).await?;
            if lead.current.outcome == Outcome::Assigned && lead.current.rep == rep && !lead.released {
                let tier = lead.current.tier.clone().unwrap_or_default();
                let text = cache.policy.reminder(&tier).map(|r| r.message).unwrap_or_else(|| format!("lead {} is due soon", lead.lead_id));
                effects.notify(&mut head, &ops, Some(&key), Some(&lead.lead_id), &format!("{text} (lead {}, rep {})", lead.lead_id, rep.as_deref().unwrap_or("?")));
                entries.push(audit::other(head.next_audit(), now, audit::kind::REMINDER, Some(&lead.lead_id),
                    serde_json::json!({ "lead_id": lead.lead_id, "key": key, "rep": rep, "message": text })));
            }
            sqlx::query("UPDATE timers SET reminded_at = $1 WHERE id = $2").bind(now).bind(id).execute(&mut *tx).await.ctx("mark a reminder sent")?;
        }
        for t in &due {
            let id: i64 = t.try_get("id").ctx("read a timer")?;
            let key: String = t.try_get("lead_key").ctx("read a timer")?;
            let kind: String = t.try_get("kind").ctx("read a timer")?;
            let item_id: Option<i64> = t.try_get("item_id").ctx("read a timer")?;
            let rep: Option<String> = t.try_get("rep").ctx("read a timer")?;
            let outcome = match kind.as_str() {
                timer::SLA => {
                    let mut lead = load_lead(&mut tx, cache, &key).await?;
                    let still = lead.current.outcome == Outcome::Assigned && lead.current.rep == rep && !lead.released;
                    if !still {
                        "stale: the lead moved".to_string()
                    } else {
                        let parsed = match Lead::from_json_str(cache.policy.ir(), &lead.lead_json, LeadOptions::default()) {
                            Ok(l) => l,
                            Err(_) => {
                                mark(&mut tx, id, now, "unhandled: the lead does not read under the active policy").await?;
                                continue;
                            }
                        };
                        let holders: Vec<&str> = lead.holders.iter().map(String::as_str).collect();
                        let result = cache.policy.breach(&parsed, &lead.current, &holders, &cache.state, &moment, false);
                        let tier = lead.current.tier.clone().unwrap_or_default();
                        metrics::counter!("leadroute_sla_breaches_total", "tier" => tier.clone()).increment(1);
                        let previous = lead.current_json.clone();
                        let holders_then = lead.holders.clone();
                        let (what, result_json, freed) = match result {
                            BreachResult::Moved(d) => {
                                let freed = Self::move_lead(&mut tx, &mut head, &mut effects, &ops, cache, &mut lead, &d, "sla_breach", now).await?;
                                let to = d.rep.clone().or_else(|| d.queue.clone().map(|q| format!("queue {q}"))).unwrap_or_else(|| d.outcome.as_str().to_string());
                                (format!("moved to {to}"), serde_json::json!({ "moved": serde_json::to_value(&d).unwrap_or_default() }), freed)
                            }
                            BreachResult::Notify(text) => {
                                effects.notify(&mut head, &ops, Some(&key), Some(&lead.lead_id), &text);
                                ("notified".to_string(), serde_json::json!({ "notify": text }), None)
                            }
                            BreachResult::Unhandled => ("unhandled".to_string(), serde_json::json!({ "unhandled": true }), None),
                        };
                        effects.notify(&mut head, &ops, Some(&key), Some(&lead.lead_id),
                            &format!("SLA breach: lead {} ({tier}) was not contacted by {} in time; {what}", lead.lead_id, rep.as_deref().unwrap_or("?")));
                        entries.push(audit::other(head.next_audit(), now, audit::kind::SLA_BREACH, Some(&lead.lead_id),
                            serde_json::json!({ "lead_id": lead.lead_id, "key": key, "version": version, "rep": rep,
                                "lead": serde_json::from_str::<serde_json::Value>(&lead.lead_json).unwrap_or_default(),
                                "previous": previous, "holders": holders_then, "freed": freed, "result": result_json })));
                        format!("breach: {what}")
                    }
                }
                timer::QUEUE_SLA => {
                    let Some(item) = item_id else {
                        mark(&mut tx, id, now, "stale: no work item").await?;
                        continue;
                    };
                    let row = sqlx::query("SELECT lead_id, queue, status, history FROM work_items WHERE id = $1").bind(item).fetch_optional(&mut *tx).await.ctx("read a work item")?;
                    let Some(row) = row else {
                        mark(&mut tx, id, now, "stale: no work item").await?;
                        continue;
                    };
                    let status: String = row.try_get("status").ctx("read a work item")?;
                    let queue: String = row.try_get("queue").ctx("read a work item")?;
                    let lead_id: String = row.try_get("lead_id").ctx("read a work item")?;
                    let mut history: Vec<serde_json::Value> = row.try_get::<String, _>("history").ok().and_then(|h| serde_json::from_str(&h).ok()).unwrap_or_default();
                    if status == "resolved" {
                        mark(&mut tx, id, now, "stale: resolved").await?;
                        continue;
                    }
                    let escalations = history.iter().filter(|h| h["action"] == "escalated").count();
                    let esc = if escalations >= MAX_ESCALATIONS { None } else { cache.policy.escalation(&queue) };
                    metrics::counter!("leadroute_queue_sla_breaches_total", "queue" => queue.clone()).increment(1);
                    let what = match esc {
                        Some(Escalation::Queue { queue: to, .. }) => {
                            // The target's SLA, counting its hours when it is `sla D business`.
                            let due_at = cache.policy.queue_due(&to, now);
                            history.push(serde_json::json!({ "at": leadroute_runtime::state::format_time(now), "action": "escalated", "by": null, "detail": format!("{queue} -> {to}") }));
                            let owner = cache.policy.ir().queues.iter().find(|q| q.name == to).and_then(|q| q.owner.clone());
                            sqlx::query("UPDATE work_items SET queue = $1, owner = $2, due_at = $3, status = 'open', claimed_by = NULL, updated_at = $4, history = $5 WHERE id = $6")
                                .bind(&to)
                                .bind(owner)
                                .bind(due_at)
                                .bind(now)
                                .bind(serde_json::Value::Array(history).to_string())
                                .bind(item)
                                .execute(&mut *tx)
                                .await
                                .ctx("escalate a work item")?;
                            if let Some(due) = due_at.filter(|_| ops.notify || cache.policy.escalation(&to).is_some()) {
                                effects.timer(&mut head, &key, timer::QUEUE_SLA, Some(item), None, due);
                            }
                            format!("escalated from {queue} to {to}")
                        }
                        Some(Escalation::Notify(text)) => {
                            effects.notify(&mut head, &ops, Some(&key), Some(&lead_id), &text);
                            format!("overdue in {queue}: notified")
                        }
                        None => format!("overdue in {queue}"),
                    };
                    effects.notify(&mut head, &ops, Some(&key), Some(&lead_id), &format!("Work item #{item} (lead {lead_id}) passed the SLA of `{queue}`: {what}"));
                    entries.push(audit::other(head.next_audit(), now, audit::kind::ESCALATED, Some(&lead_id),
                        serde_json::json!({ "item": item, "lead_id": lead_id, "key": key, "from": queue, "what": what })));
                    what
                }
                other => format!("unknown timer kind {other}"),
            };
            mark(&mut tx, id, now, &outcome).await?;
        }
        let cache = self.cache()?;
        finish(tx, &mut head, cache, &before, (&entries, &effects), now, "commit fired timers").await?;
        Ok(due.len() + reminders.len())
    }

    pub(super) async fn delivery_failed(&mut self, outbox_id: i64, error: String) -> Result<(), ServiceError> {
        let (mut tx, mut head) = self.lock().await?;
        self.sync(&mut tx, &head).await?;
        let now = self.clock.now_ms();
        let done = sqlx::query("UPDATE outbox SET status = 'failed', last_error = $1, claimed_until = NULL WHERE id = $2 AND status = 'pending'")
            .bind(&error)
            .bind(outbox_id)
            .execute(&mut *tx)
            .await
            .ctx("fail a delivery")?;
        if done.rows_affected() == 0 {
            return Ok(());
        }
        let row = sqlx::query("SELECT lead_key, lead_id, destination, kind FROM outbox WHERE id = $1").bind(outbox_id).fetch_one(&mut *tx).await.ctx("read a delivery")?;
        let kind: String = row.try_get("kind").ctx("read a delivery")?;
        let key: Option<String> = row.try_get("lead_key").ctx("read a delivery")?;
        let lead_id: Option<String> = row.try_get("lead_id").ctx("read a delivery")?;
        let destination: String = row.try_get("destination").ctx("read a delivery")?;
        let ops = self.ops.clone();
        let mut effects = Effects::default();
        let mut entries = Vec::new();
        metrics::counter!("leadroute_deliveries_failed_total", "destination" => destination.clone()).increment(1);
        if kind == "assignment" {
            let cache = self.cache()?;
            let (key, lead_id) = (key.unwrap_or_default(), lead_id.unwrap_or_default());
            let detail = format!("delivery {outbox_id} to `{destination}` failed for good: {error}");
            let item = effects.item(&mut head, &ops, &cache.policy, &key, &lead_id, &ops.error_queue, None, "crm_error", None, Some(detail.clone()));
            effects.notify(&mut head, &ops, Some(&key), Some(&lead_id), &format!("CRM error: lead {lead_id} could not be delivered to `{destination}` (work item #{item}): {error}"));
            entries.push(audit::other(head.next_audit(), now, audit::kind::DELIVERY_FAILED, Some(&lead_id),
                serde_json::json!({ "outbox": outbox_id, "lead_id": lead_id, "key": key, "destination": destination, "error": error, "item": item })));
        }
        insert_audit(&mut tx, &entries).await?;
        effects.write(&mut tx, now).await?;
        write_head(&mut tx, &head).await?;
        tx.commit().await.ctx("commit the failed delivery")?;
        Ok(())
    }
}

impl Decider {
    pub(super) async fn notify_only(&mut self, text: String) -> Result<(), ServiceError> {
        if !self.ops.notify {
            return Ok(());
        }
        let (mut tx, mut head) = self.lock().await?;
        let now = self.clock.now_ms();
        let mut effects = Effects::default();
        effects.notify(&mut head, &self.ops, None, None, &text);
        effects.write(&mut tx, now).await?;
        write_head(&mut tx, &head).await?;
        tx.commit().await.ctx("commit a notification")?;
        Ok(())
    }
}

async fn mark(conn: &mut sqlx::AnyConnection, id: i64, now: i64, outcome: &str) -> Result<(), ServiceError> {
    sqlx::query("UPDATE timers SET fired_at = $1, outcome = $2 WHERE id = $3").bind(now).bind(outcome).bind(id).execute(&mut *conn).await.ctx("mark a timer fired")?;
    Ok(())
}
