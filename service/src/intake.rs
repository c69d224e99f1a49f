//! Intake: turning request bodies into lead items for the decider (the
//! idempotency key and the body's canonical hash), and reading decided leads
//! back, with the trace re-derived by deterministic replay of their batch.

use std::collections::BTreeMap;

use leadroute_runtime::{Backend, Lead, LeadOptions, Policy, Prior, State};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::decider::{find_lead, LeadItem};
use crate::error::ServiceError;
use crate::policies::load_ir;
use crate::state::Named;
use crate::store::{Context, Store};

/// A stored version for re-derivation (interpreter backend), loaded once per read.
async fn load_policy(conn: &mut sqlx::AnyConnection, versions: &mut BTreeMap<String, Policy>, version: &str) -> Result<Policy, ServiceError> {
    if let Some(p) = versions.get(version) {
        return Ok(p.clone());
    }
    let ir = load_ir(conn, version).await?;
    let p = Policy::from_ir_with(ir, Backend::Interp).map_err(|e| ServiceError::Unavailable(format!("version `{version}` does not load: {e}")))?;
    versions.insert(version.to_string(), p.clone());
    Ok(p)
}

/// Writes `v` with object keys sorted, so equal JSON documents hash equally
/// whatever their key order or spacing.
fn canonical(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String((*k).clone()).to_string());
                out.push(':');
                canonical(&m[*k], out);
            }
            out.push('}');
        }
        serde_json::Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The SHA-256 of a document's canonical form, hex.
pub fn body_hash(v: &serde_json::Value) -> String {
    let mut text = String::new();
    canonical(v, &mut text);
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// One lead item from a JSON text; `header_key` is the `Idempotency-Key`.
pub fn item(text: &str, header_key: Option<&str>) -> LeadItem {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) if v.is_object() => {
            // The parsed value keeps one of a repeated key's values: refuse the text instead.
            if let Some(k) = leadroute_runtime::first_duplicate_key(text) {
                let message = leadroute_runtime::duplicate_key(&k).message;
                return LeadItem { key: None, lead_id: Lead::id_of(&v), hash: String::new(), body: Err((400, message)) };
            }
            let lead_id = Lead::id_of(&v);
            let key = header_key.map(str::to_string).or_else(|| (!lead_id.is_empty()).then(|| lead_id.clone()));
            if key.is_none() {
                let message = "the lead has no `id` (and there is no Idempotency-Key header): give every lead an id so a retry returns the stored decision";
                return LeadItem { key: None, lead_id, hash: String::new(), body: Err((422, message.into())) };
            }
            LeadItem { key, lead_id, hash: body_hash(&v), body: Ok(v) }
        }
        Ok(v) => LeadItem {
            key: None,
            lead_id: String::new(),
            hash: String::new(),
            body: Err((400, format!("a lead must be a JSON object of fields, not {}", kind_of(&v)))),
        },
        Err(e) => LeadItem { key: None, lead_id: String::new(), hash: String::new(), body: Err((400, format!("not valid JSON: {e}"))) },
    }
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A stored lead: its decision, and with `explain` the trace, re-derived by
/// replaying its batch from the state stored before it.
pub async fn read(store: &Store, lead: &str, explain: bool) -> Result<serde_json::Value, ServiceError> {
    let mut conn = store.pool.acquire().await.ctx("connect")?;
    let Some(row) = find_lead(&mut conn, lead).await? else {
        return Err(ServiceError::NotFound {
            what: format!("lead `{lead}`"),
            help: "give the lead's id or the Idempotency-Key it was posted with; rejected leads are in GET /v1/audit?kind=rejection".into(),
        });
    };
    let decision_text: String = row.try_get("decision").ctx("read a lead")?;
    let mut decision: serde_json::Value =
        serde_json::from_str(&decision_text).map_err(|e| ServiceError::Unavailable(format!("stored decision is not JSON: {e}")))?;
    let lead_text: String = row.try_get("lead").ctx("read a lead")?;
    let decided_at: i64 = row.try_get("decided_at").ctx("read a lead")?;
    let mut out = serde_json::json!({
        "key": row.try_get::<String, _>("idem_key").ctx("read a lead")?,
        "decided_at": leadroute_runtime::state::format_time(decided_at),
        "audit_seq": row.try_get::<i64, _>("audit_seq").ctx("read a lead")?,
        "released_at": row.try_get::<Option<i64>, _>("released_at").ctx("read a lead")?.map(leadroute_runtime::state::format_time),
        "contacted_at": row.try_get::<Option<i64>, _>("contacted_at").ctx("read a lead")?.map(leadroute_runtime::state::format_time),
        "lead": serde_json::from_str::<serde_json::Value>(&lead_text).unwrap_or(serde_json::Value::Null),
    });
    if explain {
        let version: String = row.try_get("version").ctx("read a lead")?;
        let batch_id: i64 = row.try_get("batch_id").ctx("read a lead")?;
        let position: i64 = row.try_get("position").ctx("read a lead")?;
        let batch = sqlx::query("SELECT version, state FROM batches WHERE id = $1").bind(batch_id).fetch_one(&mut *conn).await.ctx("read the batch")?;
        let batch_version: String = batch.try_get("version").ctx("read the batch")?;
        let snapshot: String = batch.try_get("state").ctx("read the batch")?;
        let earlier = sqlx::query("SELECT lead, version, decision FROM leads WHERE batch_id = $1 AND position < $2 ORDER BY position")
            .bind(batch_id)
            .bind(position)
            .fetch_all(&mut *conn)
            .await
            .ctx("read the batch")?;
        // The interpreter is the reference backend; it gives the same decisions.
        // A canary mixes versions in one batch: the state is carried by name between them.
        let mut versions: BTreeMap<String, Policy> = BTreeMap::new();
        let replay_err = |e: String| ServiceError::Unavailable(format!("cannot replay the batch: {e}"));
        let base = load_policy(&mut conn, &mut versions, &batch_version).await?;
        let (state, _) = State::from_json(base.ir(), &snapshot).map_err(|e| replay_err(e.to_string()))?;
        let mut named = Named::default();
        named.take_all(base.ir(), &state);
        for r in &earlier {
            let text: String = r.try_get("lead").ctx("read the batch")?;
            let v: String = r.try_get("version").ctx("read the batch")?;
            let policy = load_policy(&mut conn, &mut versions, &v).await?;
            let mut state = named.to_state(policy.ir());
            let lead = Lead::from_json_str(policy.ir(), &text, LeadOptions::default()).map_err(|(_, e)| replay_err(format!("{e:?}")))?;
            let stored: String = r.try_get("decision").ctx("read the batch")?;
            let prior = prior_of(&serde_json::from_str(&stored).unwrap_or_default());
            let d = policy.decide_with(&lead, &state, &policy.at(decided_at), false, prior.as_ref());
            policy.commit(&mut state, &d);
            named.take_all(policy.ir(), &state);
        }
        let policy = load_policy(&mut conn, &mut versions, &version).await?;
        let state = named.to_state(policy.ir());
        let lead = Lead::from_json_str(policy.ir(), &lead_text, LeadOptions::default()).map_err(|(_, e)| replay_err(format!("{e:?}")))?;
        let again = policy.decide_with(&lead, &state, &policy.at(decided_at), true, prior_of(&decision).as_ref());
        let mut again_json = serde_json::to_value(&again).unwrap_or_default();
        let trace = again_json.as_object_mut().and_then(|o| o.remove("trace")).unwrap_or_default();
        out["trace_matches_decision"] = (again_json == decision).into();
        decision["trace"] = trace;
    }
    out["decision"] = decision;
    let key: String = row.try_get("idem_key").ctx("read a lead")?;
    if let Some(current) = row.try_get::<Option<String>, _>("current").ctx("read a lead")? {
        out["current"] = serde_json::from_str(&current).unwrap_or_default();
    }
    out["holders"] = row.try_get::<Option<String>, _>("holders").ctx("read a lead")?.and_then(|h| serde_json::from_str(&h).ok()).unwrap_or_default();
    out["work_items"] = history_of(&mut conn, "SELECT id, queue, status, reason, claimed_by, due_at, note, history FROM work_items WHERE lead_key = $1 ORDER BY id", &key).await?;
    out["timers"] = history_of(&mut conn, "SELECT id, kind, rep, due_at, fired_at, outcome FROM timers WHERE lead_key = $1 ORDER BY id", &key).await?;
    out["deliveries"] = history_of(&mut conn, "SELECT id, destination, kind, status, attempts, last_status, last_error, next_at, delivered_at FROM outbox WHERE lead_key = $1 ORDER BY id", &key).await?;
    Ok(out)
}

/// The earlier lead a stored decision says it duplicated (its `duplicate_of`).
fn prior_of(decision: &serde_json::Value) -> Option<Prior> {
    serde_json::from_value(decision.get("duplicate_of")?.clone()).ok()
}

/// A lead's rows in another table as JSON objects (times as RFC 3339).
async fn history_of(conn: &mut sqlx::AnyConnection, sql: &str, key: &str) -> Result<serde_json::Value, ServiceError> {
    use sqlx::Column;
    let rows = sqlx::query(sql).bind(key).fetch_all(&mut *conn).await.ctx("read a lead's history")?;
    let mut out = Vec::new();
    for r in &rows {
        let mut o = serde_json::Map::new();
        for (i, c) in r.columns().iter().enumerate() {
            let name = c.name();
            let v = if let Ok(Some(n)) = r.try_get::<Option<i64>, _>(i) {
                if name.ends_with("_at") {
                    serde_json::Value::String(leadroute_runtime::state::format_time(n))
                } else {
                    n.into()
                }
            } else if let Ok(Some(t)) = r.try_get::<Option<String>, _>(i) {
                // A work item's history is a JSON array in its column.
                if name == "history" { serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)) } else { t.into() }
            } else {
                serde_json::Value::Null
            };
            o.insert(name.to_string(), v);
        }
        out.push(serde_json::Value::Object(o));
    }
    Ok(serde_json::Value::Array(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn key_order_and_spacing_do_not_change_the_hash() {
        let a = item(r#"{"id":"L1","intent":50,"tags":["a","b"]}"#, None);
        let b = item("{ \"tags\": [\"a\", \"b\"], \"intent\": 50, \"id\": \"L1\" }", None);
        assert_eq!(a.hash, b.hash);
        assert_ne!(a.hash, item(r#"{"id":"L1","intent":51,"tags":["a","b"]}"#, None).hash);
        assert_eq!(a.key.as_deref(), Some("L1"));
    }

    #[test]
    fn the_header_key_wins_over_the_lead_id() {
        assert_eq!(item(r#"{"id":"L1"}"#, Some("form-7")).key.as_deref(), Some("form-7"));
    }

    #[test]
    fn unreadable_bodies_say_why() {
        assert!(item("{nope", None).body.unwrap_err().1.starts_with("not valid JSON"));
        assert_eq!(item("[1]", None).body.unwrap_err(), (400, "a lead must be a JSON object of fields, not an array".to_string()));
        assert_eq!(item(r#"{"email":"a@b.c"}"#, None).body.unwrap_err().0, 422);
    }
}
