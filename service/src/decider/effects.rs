//! What a decision sets going, written in the same transaction: a work item
//! for a queued lead, the SLA timers of an assignment or a queue item, and an
//! outbox row per delivery destination (and per notification).

use leadroute_runtime::state::format_time;
use leadroute_runtime::{Decision, Outcome, Policy};
use sqlx::AnyConnection;

use super::Head;
use crate::store::{chunks_pow2, placeholders_for, Context, StoreError};

/// What the decider needs of the service configuration.
#[derive(Debug, Clone, Default)]
pub struct Operations {
    /// Delivery destinations, by name: every assignment goes to each.
    pub destinations: Vec<String>,
    /// Whether notifications are configured.
    pub notify: bool,
    /// The queue of deliveries that failed for good.
    pub error_queue: String,
}

/// The outbox destination of notifications.
pub const NOTIFICATIONS: &str = "notifications";

pub(crate) struct ItemRow {
    pub id: i64,
    pub lead_key: String,
    pub lead_id: String,
    pub queue: String,
    pub owner: Option<String>,
    pub tier: Option<String>,
    pub priority: i64,
    pub reason: String,
    pub due_at: Option<i64>,
    pub detail: Option<String>,
}

pub(crate) struct TimerRow {
    pub id: i64,
    pub lead_key: String,
    pub kind: &'static str,
    pub item_id: Option<i64>,
    pub rep: Option<String>,
    pub due_at: i64,
    /// When a reminder goes before the SLA (assignments only).
    pub remind_at: Option<i64>,
}

pub(crate) struct OutboxRow {
    pub id: i64,
    pub lead_key: Option<String>,
    pub lead_id: Option<String>,
    pub destination: String,
    pub kind: &'static str,
    pub payload: String,
}

/// Rows one transaction adds.
#[derive(Default)]
pub(crate) struct Effects {
    pub items: Vec<ItemRow>,
    pub timers: Vec<TimerRow>,
    pub outbox: Vec<OutboxRow>,
}

/// Timer kinds.
pub(crate) mod timer {
    /// An assignment's tier SLA: first contact is due.
    pub const SLA: &str = "sla";
    /// A work item's queue SLA.
    pub const QUEUE_SLA: &str = "queue_sla";
}

fn ms(t: &Option<String>) -> Option<i64> {
    t.as_deref().and_then(leadroute_runtime::parse_time)
}

impl Effects {
    /// A work item in `queue` for a lead; returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn item(&mut self, head: &mut Head, ops: &Operations, policy: &Policy, key: &str, lead_id: &str, queue: &str, tier: Option<&str>, reason: &str, due_at: Option<i64>, detail: Option<String>) -> i64 {
        head.item_seq += 1;
        let ir = policy.ir();
        let owner = ir.queues.iter().find(|q| q.name == queue).and_then(|q| q.owner.clone());
        let priority = tier.and_then(|t| ir.tiers.iter().position(|d| d.name == t)).unwrap_or(ir.tiers.len()) as i64;
        self.items.push(ItemRow {
            id: head.item_seq,
            lead_key: key.to_string(),
            lead_id: lead_id.to_string(),
            queue: queue.to_string(),
            owner,
            tier: tier.map(str::to_string),
            priority,
            reason: reason.to_string(),
            due_at,
            detail,
        });
        // The queue's SLA gets a timer when passing it does something.
        if let Some(due) = due_at.filter(|_| ops.notify || policy.escalation(queue).is_some()) {
            self.timer(head, key, timer::QUEUE_SLA, Some(head.item_seq), None, due);
        }
        head.item_seq
    }

    /// A durable timer.
    pub fn timer(&mut self, head: &mut Head, key: &str, kind: &'static str, item_id: Option<i64>, rep: Option<String>, due_at: i64) {
        head.timer_seq += 1;
        self.timers.push(TimerRow { id: head.timer_seq, lead_key: key.to_string(), kind, item_id, rep, due_at, remind_at: None });
    }

    /// A notification (Slack-compatible `{"text": ...}`), when notifications are configured.
    pub fn notify(&mut self, head: &mut Head, ops: &Operations, key: Option<&str>, lead_id: Option<&str>, text: &str) {
        if !ops.notify {
            return;
        }
        head.outbox_seq += 1;
        self.outbox.push(OutboxRow {
            id: head.outbox_seq,
            lead_key: key.map(str::to_string),
            lead_id: lead_id.map(str::to_string),
            destination: NOTIFICATIONS.into(),
            kind: "notification",
            payload: serde_json::json!({ "text": text }).to_string(),
        });
    }

    /// What a lead's new decision sets going: a work item when queued; the
    /// SLA timer, a reminder and the deliveries when assigned.
    #[allow(clippy::too_many_arguments)]
    pub fn decision(&mut self, head: &mut Head, ops: &Operations, policy: &Policy, key: &str, d: &Decision, lead_json: &str, reason: &str, now: i64) {
        match d.outcome {
            Outcome::Queued => {
                let queue = d.queue.clone().unwrap_or_default();
                let id = self.item(head, ops, policy, key, &d.lead_id, &queue, d.tier.as_deref(), reason, ms(&d.queue_sla_due), d.rule.clone());
                self.notify(head, ops, Some(key), Some(&d.lead_id), &format!("New work item #{id} in `{queue}`: lead {} ({})", d.lead_id, d.rule.as_deref().unwrap_or(reason)));
            }
            Outcome::Assigned => {
                if let Some(due) = ms(&d.sla_due) {
                    self.timer(head, key, timer::SLA, None, d.rep.clone(), due);
                    let remind = d.tier.as_deref().and_then(|t| policy.reminder(t)).map(|r| due - r.before_ms).filter(|at| *at > now);
                    if let Some(t) = self.timers.last_mut() {
                        t.remind_at = remind;
                    }
                }
                let rep_email = d.rep.as_deref().and_then(|r| policy.ir().reps.iter().find(|x| x.id == r)).and_then(|r| r.email.clone());
                let payload = format!(
                    "{{\"type\":\"lead.assigned\",\"timestamp\":{},\"data\":{{\"lead_id\":{},\"key\":{},\"rep\":{},\"rep_email\":{},\"team\":{},\"tier\":{},\"sla_due\":{},\"rule\":{},\"policy_version\":{},\"lead\":{lead_json}}}}}",
                    q(&format_time(now)),
                    q(&d.lead_id),
                    q(key),
                    opt(&d.rep),
                    opt(&rep_email),
                    opt(&d.team),
                    opt(&d.tier),
                    opt(&d.sla_due),
                    opt(&d.rule),
                    q(&d.policy_version),
                );
                for dest in &ops.destinations {
                    head.outbox_seq += 1;
                    self.outbox.push(OutboxRow {
                        id: head.outbox_seq,
                        lead_key: Some(key.to_string()),
                        lead_id: Some(d.lead_id.clone()),
                        destination: dest.clone(),
                        kind: "assignment",
                        payload: payload.clone(),
                    });
                }
            }
            Outcome::Dropped | Outcome::Rejected => {}
        }
    }

    /// Inserts every row.
    pub async fn write(&self, conn: &mut AnyConnection, now: i64) -> Result<(), StoreError> {
        for chunk in chunks_pow2(&self.items, 128) {
            let sql = format!(
                "INSERT INTO work_items (id, lead_key, lead_id, queue, owner, tier, priority, reason, status, due_at, created_at, updated_at, detail, history) VALUES {}",
                placeholders_for(conn, chunk.len(), 14)
            );
            let mut qy = sqlx::query(&sql);
            for r in chunk {
                let history = serde_json::json!([{ "at": format_time(now), "action": "opened", "by": null, "detail": r.reason }]).to_string();
                qy = qy
                    .bind(r.id)
                    .bind(&r.lead_key)
                    .bind(&r.lead_id)
                    .bind(&r.queue)
                    .bind(r.owner.as_deref())
                    .bind(r.tier.as_deref())
                    .bind(r.priority)
                    .bind(&r.reason)
                    .bind("open")
                    .bind(r.due_at)
                    .bind(now)
                    .bind(now)
                    .bind(r.detail.as_deref())
                    .bind(history);
            }
            qy.execute(&mut *conn).await.ctx("open work items")?;
        }
        for chunk in chunks_pow2(&self.timers, 256) {
            let sql = format!("INSERT INTO timers (id, lead_key, kind, item_id, rep, due_at, remind_at) VALUES {}", placeholders_for(conn, chunk.len(), 7));
            let mut qy = sqlx::query(&sql);
            for t in chunk {
                qy = qy.bind(t.id).bind(&t.lead_key).bind(t.kind).bind(t.item_id).bind(t.rep.as_deref()).bind(t.due_at).bind(t.remind_at);
            }
            qy.execute(&mut *conn).await.ctx("set timers")?;
        }
        for chunk in chunks_pow2(&self.outbox, 128) {
            let sql = format!(
                "INSERT INTO outbox (id, lead_key, lead_id, destination, kind, payload, status, attempts, next_at, created_at) VALUES {}",
                placeholders_for(conn, chunk.len(), 10)
            );
            let mut qy = sqlx::query(&sql);
            for o in chunk {
                qy = qy
                    .bind(o.id)
                    .bind(o.lead_key.as_deref())
                    .bind(o.lead_id.as_deref())
                    .bind(&o.destination)
                    .bind(o.kind)
                    .bind(&o.payload)
                    .bind("pending")
                    .bind(0i64)
                    .bind(now)
                    .bind(now);
            }
            qy.execute(&mut *conn).await.ctx("queue deliveries")?;
        }
        Ok(())
    }
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map_or_else(|| "null".to_string(), q)
}
