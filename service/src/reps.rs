//! Reps as the API shows them: state, load against capacity, today's count,
//! and availability now with the reason when not.

use leadroute_runtime::state::format_time;
use leadroute_runtime::{Policy, RepState};
use sqlx::Row;

use crate::error::ServiceError;
use crate::policies::PolicyCache;
use crate::state::Named;
use crate::store::{Context, Store};

/// The settings an operator changes, as JSON.
pub fn settings_json(s: &RepState) -> serde_json::Value {
    serde_json::json!({
        "active": s.active,
        "out_of_office_until": s.out_of_office_until.map(format_time),
        "max_open": s.max_open,
        "max_per_day": s.max_per_day,
    })
}

/// The active version's id, if any.
pub async fn active_version(store: &Store) -> Result<Option<String>, ServiceError> {
    let row = sqlx::query("SELECT active_version FROM service_state WHERE id = 1").fetch_one(&store.pool).await.ctx("read the active version")?;
    Ok(row.try_get("active_version").ctx("read the active version")?)
}

/// Every rep of the active policy (or one, by id), as of `now`.
pub async fn view(store: &Store, policies: &PolicyCache, now: i64, only: Option<&str>) -> Result<Vec<serde_json::Value>, ServiceError> {
    let mut conn = store.pool.acquire().await.ctx("connect")?;
    let version = active_version(store).await?.ok_or(ServiceError::NoActivePolicy)?;
    let policy = policies.get(&mut conn, &version).await?;
    let named = Named::load_changed(&mut conn, -1).await?;
    let state = named.to_state(policy.ir());
    let moment = policy.at(now);
    let ir = policy.ir();
    let mut out = Vec::new();
    for (i, def) in ir.reps.iter().enumerate() {
        if only.is_some_and(|id| id != def.id) {
            continue;
        }
        out.push(one(&policy, &state, &moment, i, &version));
    }
    if let (Some(id), true) = (only, out.is_empty()) {
        return Err(ServiceError::NotFound { what: format!("rep `{id}`"), help: "GET /v1/reps lists the reps of the active policy".into() });
    }
    Ok(out)
}

fn one(policy: &Policy, state: &leadroute_runtime::State, moment: &leadroute_runtime::Moment, i: usize, version: &str) -> serde_json::Value {
    let ir = policy.ir();
    let def = &ir.reps[i];
    let s = &state.reps[i];
    let teams: Vec<&str> = ir.teams.iter().filter(|t| t.members.contains(&(i as u32))).map(|t| t.name.as_str()).collect();
    let availability = policy.availability(i, state, moment);
    serde_json::json!({
        "id": def.id,
        "email": def.email,
        "teams": teams,
        "timezone": def.timezone,
        "active": s.active && def.active,
        "out_of_office_until": s.out_of_office_until.map(format_time),
        "open_load": s.open_load,
        "max_open": s.max_open.or(def.max_open),
        "assigned_today": policy.today_count(i, s, moment),
        "max_per_day": s.max_per_day.or(def.max_per_day),
        "overrides": { "max_open": s.max_open, "max_per_day": s.max_per_day },
        "available": availability.is_ok(),
        "unavailable_because": availability.err().map(|u| u.as_str()),
        "as_of": format_time(moment.now),
        "policy_version": version,
    })
}
