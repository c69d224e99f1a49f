//! Deciding a group of leads in one transaction.

use std::collections::BTreeMap;
use std::time::Instant;

use sqlx::{AnyConnection, Row};

use super::effects::Effects;
use super::rollout;
use super::rows::{insert_audit, write_head, write_state_changes};
use super::{Decider, LeadItem, LeadResult};
use crate::audit::{self, Entry};
use crate::duplicates::{find_prior, Stored};
use crate::error::ServiceError;
use crate::store::{chunks_pow2, placeholders_for, Context, StoreError};

/// Written rows of one lead batch.
struct LeadRow {
    key: String,
    lead_id: String,
    hash: String,
    lead: String,
    decision: String,
    outcome: &'static str,
    rep: Option<String>,
    position: i64,
    audit_seq: i64,
    version: String,
    /// The deciding version's duplicate key of the lead.
    dup_key: Option<String>,
}

impl Decider {
    pub(super) async fn decide_batch(&mut self, items: Vec<LeadItem>) -> Result<Vec<LeadResult>, ServiceError> {
        let (mut tx, mut head) = self.lock().await?;
        self.sync(&mut tx, &head).await?;
        let now = self.clock.now_ms();
        let existing = existing_keys(&mut tx, &items).await?;
        let ops = self.ops.clone();
        let mut live = match (head.rollout_id, self.cache.as_ref()) {
            (Some(id), Some(c)) => rollout::Live::load(&mut tx, id, &self.policies, &c.named).await?,
            _ => None,
        };
        let cache = self.cache()?;
        let policy = cache.policy.clone();
        let ir = policy.ir();
        let version = cache.version.clone();
        let moment = policy.at(now);
        let before = cache.state.clone();
        let batch_id = head.batch_seq + 1;
        let mut seen: BTreeMap<String, (String, String)> = existing;
        let mut effects = Effects::default();
        let mut entries: Vec<Entry> = Vec::new();
        let mut rows: Vec<LeadRow> = Vec::new();
        let mut results = Vec::with_capacity(items.len());
        // Earlier leads with the group's duplicate keys, read once; the group's
        // own leads are stored at its end: later duplicates in it find them in `recent`.
        let stored = Stored::fetch(&mut tx, &policy, items.iter().filter_map(|i| i.body.as_ref().ok()), now).await?;
        let mut recent = leadroute_runtime::Seen::default();
        let decide_started = Instant::now();
        for item in items {
            let value = match item.body {
                Err((_, message)) => {
                    let audit_seq = head.next_audit();
                    let errors = serde_json::json!([{ "field": "", "expected": "a JSON object", "found": "", "message": message }]);
                    let d = serde_json::json!({ "lead_id": item.lead_id, "outcome": "rejected", "errors": errors, "policy_version": version });
                    entries.push(audit::other(audit_seq, now, audit::kind::REJECTION, None,
                        serde_json::json!({ "lead_id": item.lead_id, "key": null, "version": version, "errors": errors })));
                    results.push(LeadResult::Rejected { json: d.to_string() });
                    continue;
                }
                Ok(v) => v,
            };
            if let Some((hash, json)) = item.key.as_ref().and_then(|k| seen.get(k)) {
                results.push(if *hash == item.hash {
                    LeadResult::Decided { json: json.clone(), replayed: true }
                } else {
                    LeadResult::Conflict { key: item.key.clone().unwrap_or_default() }
                });
                continue;
            }
            let read = leadroute_runtime::Lead::from_json(ir, &value, leadroute_runtime::LeadOptions::default());
            let lead = match read {
                Ok(lead) => lead,
                Err(errors) => {
                    let d = leadroute_runtime::Decision::rejected(item.lead_id.clone(), errors, &version);
                    let audit_seq = head.next_audit();
                    entries.push(audit::other(audit_seq, now, audit::kind::REJECTION, Some(&item.lead_id),
                        serde_json::json!({ "lead_id": item.lead_id, "key": item.key, "version": version, "lead": value, "errors": d.errors })));
                    results.push(LeadResult::Rejected { json: d.to_json_line() });
                    continue;
                }
            };
            let key = item.key.unwrap_or_else(|| item.lead_id.clone());
            // A canary decides its share of the leads on the real state (seen
            // through its own reps and teams); each side mirrors the other's change.
            let canary_lead = live
                .as_ref()
                .filter(|l| l.takes(&item.lead_id))
                .and_then(|l| leadroute_runtime::Lead::from_json(l.policy.ir(), &value, leadroute_runtime::LeadOptions::default()).ok());
            // The duplicate key is the deciding version's; the earlier lead is looked up in this transaction.
            let (dup_key, prior) = match (&canary_lead, live.as_ref()) {
                (Some(cl), Some(l)) => find_prior(&mut tx, &recent, &stored, &l.policy, cl, now).await?,
                _ => find_prior(&mut tx, &recent, &stored, &policy, &lead, now).await?,
            };
            let canary = live.as_mut().zip(canary_lead).map(|(l, lead)| {
                let cand = l.policy.clone();
                let d = cand.decide_with(&lead, &l.state, &cand.at(now), false, prior.as_ref());
                cand.commit(&mut l.state, &d);
                rollout::mirror(cand.ir(), &l.state, ir, &mut cache.state, &d);
                l.stats.candidate.add_decision(&d);
                (d, cand)
            });
            let (d, used) = match canary {
                Some(x) => x,
                None => {
                    let d = policy.decide_with(&lead, &cache.state, &moment, false, prior.as_ref());
                    policy.commit(&mut cache.state, &d);
                    if let Some(l) = live.as_mut() {
                        match l.mode {
                            rollout::Mode::Canary => {
                                rollout::mirror(ir, &cache.state, l.policy.ir(), &mut l.state, &d);
                                l.stats.active.add_decision(&d);
                            }
                            rollout::Mode::Shadow => l.shadow(&value, &key, &d, now),
                        }
                    }
                    (d, policy.clone())
                }
            };
            let version = used.version().to_string();
            let json = d.to_json_line();
            recent.decided(dup_key.as_deref(), now, &d);
            let lead_text = value.to_string();
            let audit_seq = head.next_audit();
            effects.decision(&mut head, &ops, &used, &key, &d, &lead_text, "queued", now);
            entries.push(audit::decision(audit_seq, now, &key, &d.lead_id, &version, &lead_text, &json));
            metrics::counter!("leadroute_decisions_total", "outcome" => d.outcome.as_str(),
                "team" => d.team.clone().unwrap_or_default(), "queue" => d.queue.clone().unwrap_or_default()).increment(1);
            rows.push(LeadRow {
                key: key.clone(),
                lead_id: d.lead_id.clone(),
                hash: item.hash.clone(),
                lead: lead_text,
                decision: json.clone(),
                outcome: d.outcome.as_str(),
                rep: d.rep.clone(),
                position: rows.len() as i64,
                audit_seq,
                version,
                dup_key,
            });
            seen.insert(key, (item.hash, json.clone()));
            results.push(LeadResult::Decided { json, replayed: false });
        }
        if !rows.is_empty() {
            metrics::histogram!("leadroute_decide_seconds").record(decide_started.elapsed().as_secs_f64() / rows.len() as f64);
        }
        if let Some(l) = live.as_mut() {
            l.save(&mut tx, now).await?;
            if let Some(reason) = l.broken_guardrail() {
                // The candidate rolls itself back; later leads go to the active version.
                rollout::finish(&mut tx, l.id, "rolled_back", &reason, now).await?;
                head.rollout_id = None;
                entries.push(audit::other(head.next_audit(), now, audit::kind::ROLLOUT_ENDED, None,
                    serde_json::json!({ "rollout": l.id, "candidate": l.version, "status": "rolled_back", "reason": reason })));
                metrics::counter!("leadroute_rollout_rollbacks_total").increment(1);
            }
        }
        write_state_changes(&mut tx, &mut head, cache, &before).await?;
        if let Some(l) = live.as_ref() {
            let only = l.candidate_only_changes(&cache.named, ir);
            if !only.reps.is_empty() || !only.teams.is_empty() {
                head.seq += 1;
                let r: Vec<(&str, &leadroute_runtime::RepState)> = only.reps.iter().map(|(k, v)| (k.as_str(), v)).collect();
                crate::state::upsert_reps(&mut tx, &r, head.seq).await?;
                let t: Vec<(&str, &crate::state::TeamRow)> = only.teams.iter().map(|(k, v)| (k.as_str(), v)).collect();
                crate::state::upsert_teams(&mut tx, &t, head.seq).await?;
                cache.named.merge(only);
            }
        }
        if !rows.is_empty() {
            head.batch_seq = batch_id;
            sqlx::query("INSERT INTO batches (id, version, decided_at, state) VALUES ($1, $2, $3, $4)")
                .bind(batch_id)
                .bind(&version)
                .bind(now)
                .bind(before.to_json(ir).to_string())
                .execute(&mut *tx)
                .await
                .ctx("record the batch")?;
            insert_leads(&mut tx, &rows, now, batch_id).await?;
        }
        insert_audit(&mut tx, &entries).await?;
        effects.write(&mut tx, now).await?;
        write_head(&mut tx, &head).await?;
        tx.commit().await.ctx("commit the batch")?;
        cache.seq = head.seq;
        Ok(results)
    }

}

/// The stored hash and decision of every key in `items` already decided.
async fn existing_keys(conn: &mut AnyConnection, items: &[LeadItem]) -> Result<BTreeMap<String, (String, String)>, StoreError> {
    let keys: Vec<&str> = items.iter().filter_map(|i| i.key.as_deref()).collect();
    let mut out = BTreeMap::new();
    for chunk in chunks_pow2(&keys, 256) {
        let marks = placeholders_for(conn, 1, chunk.len());
        let sql = format!("SELECT idem_key, body_hash, decision FROM leads WHERE idem_key IN {marks}");
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = q.bind(*k);
        }
        for row in q.fetch_all(&mut *conn).await.ctx("look up idempotency keys")? {
            out.insert(
                row.try_get("idem_key").ctx("read a lead")?,
                (row.try_get("body_hash").ctx("read a lead")?, row.try_get("decision").ctx("read a lead")?),
            );
        }
    }
    Ok(out)
}

async fn insert_leads(conn: &mut AnyConnection, rows: &[LeadRow], now: i64, batch_id: i64) -> Result<(), StoreError> {
    const COLS: usize = 14;
    for chunk in chunks_pow2(rows, 128) {
        let sql = format!(
            "INSERT INTO leads (idem_key, lead_id, body_hash, lead, decision, outcome, rep, version, decided_at, batch_id, position, audit_seq, holders, dup_key) VALUES {}",
            placeholders_for(conn, chunk.len(), COLS)
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(&r.key)
                .bind(&r.lead_id)
                .bind(&r.hash)
                .bind(&r.lead)
                .bind(&r.decision)
                .bind(r.outcome)
                .bind(r.rep.as_deref())
                .bind(&r.version)
                .bind(now)
                .bind(batch_id)
                .bind(r.position)
                .bind(r.audit_seq)
                .bind(r.rep.as_ref().map(|rep| serde_json::json!([rep]).to_string()))
                .bind(r.dup_key.as_deref());
        }
        q.execute(&mut *conn).await.ctx("store decisions")?;
    }
    Ok(())
}

