//! The decider's other transactions: lead events, rep changes, activation, seeding.

use leadroute_runtime::State;
use sqlx::Row;

use super::rows::{find_lead, insert_audit, write_head};
use super::{Decider, EventKind, RepPatch};
use crate::audit;
use crate::error::ServiceError;
use crate::state::{upsert_rep, upsert_reps, upsert_teams, Named};
use crate::store::Context;

impl Decider {
    pub(super) async fn event(&mut self, lead: String, kind: EventKind) -> Result<serde_json::Value, ServiceError> {
        let (mut tx, mut head) = self.lock().await?;
        self.sync(&mut tx, &head).await?;
        let now = self.clock.now_ms();
        let row = find_lead(&mut tx, &lead).await?;
        let Some(row) = row else {
            return Err(ServiceError::NotFound {
                what: format!("lead `{lead}`"),
                help: "events apply to decided leads; give the lead id or the Idempotency-Key it was posted with".into(),
            });
        };
        let key: String = row.try_get("idem_key").ctx("read a lead")?;
        let lead_id: String = row.try_get("lead_id").ctx("read a lead")?;
        // After an override or an SLA breach the lead's current decision names its rep.
        let current: Option<serde_json::Value> = row.try_get::<Option<String>, _>("current").ctx("read a lead")?.and_then(|c| serde_json::from_str(&c).ok());
        let (rep, outcome): (Option<String>, String) = match &current {
            Some(c) => (c["rep"].as_str().map(str::to_string), c["outcome"].as_str().unwrap_or_default().to_string()),
            None => (row.try_get("rep").ctx("read a lead")?, row.try_get("outcome").ctx("read a lead")?),
        };
        let (column, already_at): (&str, Option<i64>) = match kind {
            EventKind::Released => ("released_at", row.try_get("released_at").ctx("read a lead")?),
            EventKind::Contacted => ("contacted_at", row.try_get("contacted_at").ctx("read a lead")?),
        };
        let name = match kind {
            EventKind::Released => audit::kind::RELEASED,
            EventKind::Contacted => audit::kind::CONTACTED,
        };
        if let Some(at) = already_at {
            return Ok(serde_json::json!({ "lead_id": lead_id, "event": name, "recorded": false, "at": leadroute_runtime::state::format_time(at),
                "message": format!("already {name}; nothing changed") }));
        }
        let mut seq = head.seq;
        let mut freed = None;
        if kind == EventKind::Released && outcome == "assigned" {
            if let Some(rep) = &rep {
                let cache = self.cache()?;
                let mut s = cache.named.reps.get(rep).cloned().unwrap_or_default();
                s.open_load = s.open_load.saturating_sub(1);
                seq += 1;
                upsert_rep(&mut tx, rep, &s, seq).await?;
                if let Some(&i) = cache.rep_index.get(rep) {
                    cache.state.reps[i] = s.clone();
                }
                freed = Some(s.open_load);
                cache.named.reps.insert(rep.clone(), s);
            }
        }
        sqlx::query(&format!("UPDATE leads SET {column} = $1 WHERE idem_key = $2"))
            .bind(now)
            .bind(&key)
            .execute(&mut *tx)
            .await
            .ctx("record the event")?;
        // Contact or release stops the lead's SLA clock.
        sqlx::query("UPDATE timers SET fired_at = $1, outcome = $2 WHERE lead_key = $3 AND fired_at IS NULL AND kind = 'sla'")
            .bind(now)
            .bind(format!("stopped: {name}"))
            .bind(&key)
            .execute(&mut *tx)
            .await
            .ctx("stop the lead's timers")?;
        let audit_seq = head.next_audit();
        let entry = audit::other(audit_seq, now, name, Some(&lead_id),
            serde_json::json!({ "lead_id": lead_id, "key": key, "rep": if freed.is_some() { rep.clone() } else { None } }));
        insert_audit(&mut tx, &[entry]).await?;
        head.seq = seq;
        write_head(&mut tx, &head).await?;
        tx.commit().await.ctx("commit the event")?;
        self.cache()?.seq = seq;
        let mut out = serde_json::json!({ "lead_id": lead_id, "event": name, "recorded": true, "at": leadroute_runtime::state::format_time(now) });
        if let (Some(rep), Some(load)) = (rep, freed) {
            out["rep"] = rep.into();
            out["open_load"] = load.into();
        }
        Ok(out)
    }

    pub(super) async fn patch_rep(&mut self, rep: String, patch: RepPatch) -> Result<serde_json::Value, ServiceError> {
        let (mut tx, mut head) = self.lock().await?;
        self.sync(&mut tx, &head).await?;
        let now = self.clock.now_ms();
        let cache = self.cache()?;
        if !cache.rep_index.contains_key(&rep) {
            return Err(ServiceError::NotFound { what: format!("rep `{rep}`"), help: "GET /v1/reps lists the reps of the active policy".into() });
        }
        let before = cache.named.reps.get(&rep).cloned().unwrap_or_default();
        let mut after = before.clone();
        if let Some(a) = patch.active {
            after.active = a;
        }
        if let Some(o) = patch.out_of_office_until {
            after.out_of_office_until = o;
        }
        if let Some(m) = patch.max_open {
            after.max_open = m;
        }
        if let Some(m) = patch.max_per_day {
            after.max_per_day = m;
        }
        if after == before {
            return Ok(serde_json::json!({ "rep": rep, "changed": false, "state": crate::reps::settings_json(&after) }));
        }
        let seq = head.seq + 1;
        upsert_rep(&mut tx, &rep, &after, seq).await?;
        let audit_seq = head.next_audit();
        let entry = audit::other(audit_seq, now, audit::kind::REP_CHANGED, None,
            serde_json::json!({ "rep": rep, "before": crate::reps::settings_json(&before), "after": crate::reps::settings_json(&after), "by": patch.by }));
        insert_audit(&mut tx, &[entry]).await?;
        head.seq = seq;
        write_head(&mut tx, &head).await?;
        tx.commit().await.ctx("commit the rep change")?;
        let cache = self.cache()?;
        if let Some(&i) = cache.rep_index.get(&rep) {
            cache.state.reps[i] = after.clone();
        }
        cache.named.reps.insert(rep.clone(), after.clone());
        cache.seq = seq;
        Ok(serde_json::json!({ "rep": rep, "changed": true, "state": crate::reps::settings_json(&after) }))
    }

    pub(super) async fn activate(&mut self, version: String, by: Option<String>) -> Result<serde_json::Value, ServiceError> {
        let (mut tx, mut head) = self.lock().await?;
        if head.active_version.as_deref() == Some(version.as_str()) {
            return Ok(serde_json::json!({ "active": version, "changed": false }));
        }
        let now = self.clock.now_ms();
        let previous = head.active_version.clone();
        let mut entries = vec![self.activation(&mut tx, &mut head, &version, by.as_deref(), now).await?];
        if let Some(id) = head.rollout_id.take() {
            let reason = format!("version `{version}` was activated");
            super::rollout::finish(&mut tx, id, "stopped", &reason, now).await?;
            entries.push(audit::other(head.next_audit(), now, audit::kind::ROLLOUT_ENDED, None,
                serde_json::json!({ "rollout": id, "status": "stopped", "reason": reason })));
        }
        insert_audit(&mut tx, &entries).await?;
        write_head(&mut tx, &head).await?;
        tx.commit().await.ctx("commit the activation")?;
        // The next batch rebuilds the state for the new version's reps and teams.
        self.cache = None;
        Ok(serde_json::json!({ "active": version, "previous": previous, "changed": true }))
    }

    /// Makes `version` the active one in `head` (written by the caller) and
    /// returns its audit entry, which carries the version's IR for replay.
    /// Loads (and compiles) it first: a version that does not load never
    /// replaces the active one.
    pub(super) async fn activation(&mut self, tx: &mut sqlx::AnyConnection, head: &mut super::Head, version: &str, by: Option<&str>, now: i64) -> Result<audit::Entry, ServiceError> {
        let policy = self.policies.get(tx, version).await?;
        let ir_json = serde_json::to_value(policy.ir()).unwrap_or(serde_json::Value::Null);
        let previous = head.active_version.replace(version.to_string());
        metrics::counter!("leadroute_policy_activations_total").increment(1);
        Ok(audit::other(head.next_audit(), now, audit::kind::POLICY_ACTIVATED, None,
            serde_json::json!({ "version": version, "previous": previous, "by": by, "ir": ir_json })))
    }

    pub(super) async fn seed(&mut self, state_text: String) -> Result<bool, ServiceError> {
        let (mut tx, mut head) = self.lock().await?;
        let version = head.active_version.clone().ok_or(ServiceError::NoActivePolicy)?;
        let count: i64 = sqlx::query("SELECT (SELECT COUNT(*) FROM rep_state) + (SELECT COUNT(*) FROM team_state) + (SELECT COUNT(*) FROM leads) AS n")
            .fetch_one(&mut *tx)
            .await
            .ctx("count stored state")?
            .try_get("n")
            .ctx("count stored state")?;
        if count > 0 {
            return Ok(false);
        }
        let policy = self.policies.get(&mut tx, &version).await?;
        let ir = policy.ir();
        let (state, _warnings) = State::from_json(ir, &state_text)
            .map_err(|e| ServiceError::Invalid { code: "bad_state", message: e.to_string(), details: None })?;
        let seq = head.seq + 1;
        let mut named = Named::default();
        named.take_all(ir, &state);
        let reps: Vec<(&str, &leadroute_runtime::RepState)> = named.reps.iter().map(|(k, v)| (k.as_str(), v)).collect();
        upsert_reps(&mut tx, &reps, seq).await?;
        let teams: Vec<(&str, &crate::state::TeamRow)> = named.teams.iter().map(|(k, v)| (k.as_str(), v)).collect();
        upsert_teams(&mut tx, &teams, seq).await?;
        let now = self.clock.now_ms();
        let audit_seq = head.next_audit();
        let entry = audit::other(audit_seq, now, audit::kind::STATE_SEEDED, None,
            serde_json::json!({ "version": version, "state": state.to_json(ir) }));
        insert_audit(&mut tx, &[entry]).await?;
        head.seq = seq;
        write_head(&mut tx, &head).await?;
        tx.commit().await.ctx("commit the seeded state")?;
        self.cache = None;
        Ok(true)
    }
}
