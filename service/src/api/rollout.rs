//! Rollouts: `POST /v1/rollout` (shadow or canary), `GET /v1/rollout`,
//! `POST /v1/rollout/promote`, `POST /v1/rollout/stop`.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use sqlx::Row;

use super::{json_object, read_body, AppState};
use crate::access::Actor;
use crate::decider::{Command, Guardrail, Mode, RolloutSpec};
use crate::error::{ApiError, ServiceError};
use crate::store::Context;

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_rollout", message)
}

/// Starts a rollout of a stored version.
#[utoipa::path(post, path = "/v1/rollout", tag = "rollout",
    request_body(content = Object, description = "`{\"version\", \"mode\": \"shadow\"|\"canary\", \"percent\": 10, \"guardrails\": [{\"metric\": \"queued\"|\"dropped\"|\"no_available_rep\", \"max_increase_points\": 5, \"min_leads\": 200}]}`", content_type = "application/json"),
    responses((status = 201, description = "Started", body = Object), (status = 404, description = "No such version", body = super::ErrorBody),
        (status = 409, description = "A rollout is running", body = super::ErrorBody), (status = 422, description = "A wrong field", body = super::ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn start(State(state): State<AppState>, req: Request) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let body = json_object(&read_body(req, state.limits.body).await?)?;
    for k in body.keys() {
        if !["version", "mode", "percent", "guardrails"].contains(&k.as_str()) {
            return Err(invalid(format!("unknown field `{k}`")).help("fields: version, mode, percent, guardrails"));
        }
    }
    let version = body.get("version").and_then(|v| v.as_str()).ok_or_else(|| invalid("`version` must name a stored version (GET /v1/policies)"))?.to_string();
    let mode = match body.get("mode").and_then(|v| v.as_str()) {
        Some("shadow") => Mode::Shadow,
        Some("canary") => Mode::Canary,
        _ => return Err(invalid("`mode` must be \"shadow\" or \"canary\"")),
    };
    let percent = match (mode, body.get("percent")) {
        (Mode::Shadow, None) => 0,
        (_, Some(v)) => v.as_u64().filter(|p| *p <= 100).ok_or_else(|| invalid("`percent` must be a whole number from 0 to 100"))? as u32,
        (Mode::Canary, None) => return Err(invalid("a canary needs `percent`")),
    };
    let guardrails: Vec<Guardrail> = match body.get("guardrails") {
        None => Vec::new(),
        Some(g) => serde_json::from_value(g.clone()).map_err(|e| invalid(format!("`guardrails`: {e}")).help("each: {\"metric\": \"queued\", \"max_increase_points\": 5, \"min_leads\": 200}"))?,
    };
    let out = state.submit(|reply| Command::StartRollout(RolloutSpec { version, mode, percent, guardrails }, reply)).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// The running (or last) rollout: live what `diff --leads` reports, old ->
/// new destinations with counts, shares and sample lead ids; the two
/// versions' outcome shares and each guardrail's standing.
#[utoipa::path(get, path = "/v1/rollout", tag = "rollout", responses((status = 200, description = "The rollout, or `{\"rollout\": null}`", body = Object)))]
pub async fn status(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let pool = &state.store.pool;
    let row = sqlx::query("SELECT id, candidate, base, mode, percent, guardrails, status, reason, started_at, ended_at, stats FROM rollouts ORDER BY id DESC LIMIT 1")
        .fetch_optional(pool)
        .await
        .ctx("read the rollout")
        .map_err(ServiceError::from)?;
    let Some(r) = row else { return Ok(Json(serde_json::json!({ "rollout": null }))) };
    let s = |c: &str| r.try_get::<Option<String>, _>(c).ok().flatten();
    let id: i64 = r.try_get("id").unwrap_or_default();
    let stats: crate::decider::RolloutStats = s("stats").and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
    let guardrails: Vec<Guardrail> = s("guardrails").and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
    let total: u64 = stats.pairs.values().sum();
    let mut transitions = Vec::new();
    let mut pairs: Vec<(&String, &u64)> = stats.pairs.iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (pair, n) in pairs {
        let (old, new) = pair.split_once(" -> ").unwrap_or((pair.as_str(), ""));
        let samples: Vec<String> = if old == new {
            Vec::new()
        } else {
            sqlx::query("SELECT lead_id FROM rollout_diffs WHERE rollout_id = $1 AND old_dest = $2 AND new_dest = $3 ORDER BY at LIMIT 3")
                .bind(id)
                .bind(old)
                .bind(new)
                .fetch_all(pool)
                .await
                .ctx("read disagreements")
                .map_err(ServiceError::from)?
                .iter()
                .filter_map(|x| x.try_get::<String, _>("lead_id").ok())
                .collect()
        };
        transitions.push(serde_json::json!({ "from": old, "to": new, "changed": old != new, "count": n,
            "share": if total > 0 { 100.0 * *n as f64 / total as f64 } else { 0.0 }, "sample_leads": samples }));
    }
    let changed: u64 = stats.pairs.iter().filter(|(k, _)| k.split_once(" -> ").is_some_and(|(a, b)| a != b)).map(|(_, n)| n).sum();
    let checks: Vec<serde_json::Value> = guardrails
        .iter()
        .map(|g| {
            let (c, a) = (stats.candidate.share(g.metric), stats.active.share(g.metric));
            serde_json::json!({ "guardrail": g, "candidate_share": c, "active_share": a, "judged": stats.candidate.n >= g.min_leads,
                "holds": !(stats.candidate.n >= g.min_leads && c - a > g.max_increase_points) })
        })
        .collect();
    let t = |c: &str| r.try_get::<Option<i64>, _>(c).ok().flatten().map(leadroute_runtime::state::format_time);
    Ok(Json(serde_json::json!({
        "rollout": id, "candidate": s("candidate"), "base": s("base"), "mode": s("mode"), "percent": r.try_get::<i64, _>("percent").unwrap_or_default(),
        "status": s("status"), "reason": s("reason"), "started_at": t("started_at"), "ended_at": t("ended_at"),
        "leads": total.max(stats.active.n + if s("mode").as_deref() == Some("canary") { stats.candidate.n } else { 0 }),
        "changed": changed, "changed_share": if total > 0 { 100.0 * changed as f64 / total as f64 } else { 0.0 },
        "transitions": transitions, "active": stats.active, "candidate_counts": stats.candidate, "guardrails": checks,
    })))
}

/// Promotes the candidate: it becomes the active version.
#[utoipa::path(post, path = "/v1/rollout/promote", tag = "rollout",
    responses((status = 200, description = "Promoted", body = Object), (status = 409, description = "No rollout is running", body = super::ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn promote(State(state): State<AppState>, Extension(actor): Extension<Actor>) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(state.submit(|reply| Command::EndRollout(true, format!("promoted by {}", actor.name), reply)).await?))
}

/// Stops the rollout; the active version keeps every lead.
#[utoipa::path(post, path = "/v1/rollout/stop", tag = "rollout",
    request_body(content = Object, description = "`{\"reason\": \"...\"}` (optional)", content_type = "application/json"),
    responses((status = 200, description = "Stopped", body = Object), (status = 409, description = "No rollout is running", body = super::ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn stop(State(state): State<AppState>, Extension(actor): Extension<Actor>, req: Request) -> Result<Json<serde_json::Value>, ApiError> {
    let bytes = read_body(req, state.limits.body).await?;
    let given = if bytes.iter().all(u8::is_ascii_whitespace) { None } else { json_object(&bytes)?.get("reason").and_then(|v| v.as_str()).map(str::to_string) };
    let reason = match given {
        Some(r) => format!("{r} (stopped by {})", actor.name),
        None => format!("stopped by {}", actor.name),
    };
    Ok(Json(state.submit(|reply| Command::EndRollout(false, reason, reply)).await?))
}
