//! What changes between two stored versions, for the workbench's policy
//! page: the semantic change list of `leadroute diff` (the compiler's diff
//! engine) and the recent leads that would go elsewhere.

use std::collections::BTreeMap;

use leadroute_runtime::{Decision, Lead, LeadOptions, Policy};
use sqlx::Row;

use crate::error::ServiceError;
use crate::policies::PolicyCache;
use crate::state::Named;
use crate::store::{Context, Store};

/// The most recent leads a diff decides again.
pub const RECENT: i64 = 500;

/// The diff from `from` to `to`: every semantic change, and the last
/// [`RECENT`] leads decided again now by each version, each from a copy of the
/// current rep state, committed in the order they came.
pub async fn diff(store: &Store, policies: &PolicyCache, from: &str, to: &str, now: i64) -> Result<serde_json::Value, ServiceError> {
    let mut conn = store.pool.acquire().await.ctx("connect")?;
    let old = policies.get(&mut conn, from).await?;
    let new = policies.get(&mut conn, to).await?;
    let changes: Vec<serde_json::Value> = leadroute_compiler::diff::changes(old.ir(), new.ir())
        .into_iter()
        .map(|c| serde_json::json!({ "kind": c.kind, "name": c.name, "change": c.what }))
        .collect();
    let named = Named::load_changed(&mut conn, -1).await?;
    let rows = sqlx::query("SELECT lead FROM leads ORDER BY audit_seq DESC LIMIT $1").bind(RECENT).fetch_all(&mut *conn).await.ctx("read recent leads")?;
    let mut leads: Vec<String> = rows.iter().filter_map(|r| r.try_get::<String, _>("lead").ok()).collect();
    leads.reverse();
    let (mut os, mut ns) = (named.to_state(old.ir()), named.to_state(new.ir()));
    let (om, nm) = (old.at(now), new.at(now));
    let mut moves: BTreeMap<(String, String), (usize, Vec<String>)> = BTreeMap::new();
    let mut changed = 0;
    for text in &leads {
        let a = decide(&old, text, &os, &om);
        let b = decide(&new, text, &ns, &nm);
        old.commit(&mut os, &a);
        new.commit(&mut ns, &b);
        let (da, db) = (a.full_destination(), b.full_destination());
        if da != db {
            changed += 1;
            let m = moves.entry((da, db)).or_default();
            m.0 += 1;
            if m.1.len() < 5 {
                m.1.push(a.lead_id.clone());
            }
        }
    }
    let mut moves: Vec<_> = moves.into_iter().collect();
    moves.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(&b.0)));
    Ok(serde_json::json!({
        "from": from, "to": to, "changes": changes,
        "recent": {
            "leads": leads.len(), "changed": changed,
            "moves": moves.into_iter().map(|((f, t), (n, ids))| serde_json::json!({ "from": f, "to": t, "leads": n, "examples": ids })).collect::<Vec<_>>(),
        },
    }))
}

fn decide(p: &Policy, text: &str, state: &leadroute_runtime::State, moment: &leadroute_runtime::Moment) -> Decision {
    match Lead::from_json_str(p.ir(), text, LeadOptions::default()) {
        Ok(lead) => p.decide(&lead, state, moment, false),
        Err((id, e)) => Decision::rejected(id, e, p.version()),
    }
}

/// One stored version: its metadata and its `.route` sources (when it came from sources).
pub async fn version(store: &Store, version: &str) -> Result<serde_json::Value, ServiceError> {
    let row = sqlx::query("SELECT version, name, author, message, created_at, sources FROM policy_versions WHERE version = $1")
        .bind(version)
        .fetch_optional(&store.pool)
        .await
        .ctx("read a policy version")?
        .ok_or_else(|| ServiceError::NotFound { what: format!("policy version `{version}`"), help: "GET /v1/policies lists the stored versions".into() })?;
    let sources = row
        .try_get::<Option<String>, _>("sources")
        .ok()
        .flatten()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .unwrap_or(serde_json::Value::Null);
    let mut out = version_json(&row, crate::reps::active_version(store).await?.as_deref());
    out["sources"] = sources;
    Ok(out)
}

/// A `policy_versions` row (`version, name, author, message, created_at`) as
/// the API shows it, marked active when it is `active`.
pub fn version_json(row: &sqlx::any::AnyRow, active: Option<&str>) -> serde_json::Value {
    let version: String = row.try_get("version").unwrap_or_default();
    serde_json::json!({
        "active": active == Some(version.as_str()),
        "version": version,
        "name": row.try_get::<String, _>("name").unwrap_or_default(),
        "author": row.try_get::<Option<String>, _>("author").unwrap_or_default(),
        "message": row.try_get::<Option<String>, _>("message").unwrap_or_default(),
        "created_at": leadroute_runtime::state::format_time(row.try_get::<i64, _>("created_at").unwrap_or_default()),
    })
}
