//! Operations: `GET /v1/audit`, `/healthz`, `/readyz`, `/metrics`.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::Row;

use super::AppState;
use crate::audit::kind;
use crate::error::ApiError;
use crate::store::Store;

/// Which entries to read.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Entries after this `seq` (default 0: from the start).
    since: Option<i64>,
    /// Only this kind: decision, rejection, released, contacted, rep_changed, policy_activated, state_seeded.
    kind: Option<String>,
    /// At most this many entries (default: all).
    limit: Option<i64>,
}

const PAGE: i64 = 2000;

async fn page(store: &Store, after: i64, kind: Option<&str>, n: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let rows = match kind {
        Some(k) => {
            sqlx::query("SELECT seq, entry FROM audit WHERE seq > $1 AND kind = $2 ORDER BY seq LIMIT $3").bind(after).bind(k).bind(n).fetch_all(&store.pool).await?
        }
        None => sqlx::query("SELECT seq, entry FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2").bind(after).bind(n).fetch_all(&store.pool).await?,
    };
    rows.iter().map(|r| Ok((r.try_get("seq")?, r.try_get("entry")?))).collect()
}

/// The append-only audit log in commit order, as NDJSON (streamed).
#[utoipa::path(get, path = "/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "NDJSON entries: `seq`, `kind`, `at`, `time` and the kind's fields", body = String, content_type = "application/x-ndjson"),
        (status = 400, description = "A bad parameter", body = super::ErrorBody)))]
pub async fn audit(State(state): State<AppState>, query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()).help("?since=SEQ&kind=KIND&limit=N"))?;
    if let Some(k) = &q.kind {
        if !kind::ALL.contains(&k.as_str()) {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_query", format!("unknown kind `{k}`")).help(format!("kinds: {}", kind::ALL.join(", "))));
        }
    }
    let limit = q.limit.unwrap_or(i64::MAX);
    if limit < 0 {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_query", "`limit` must be >= 0"));
    }
    let store = state.store.clone();
    let since = q.since.unwrap_or(0);
    let kind = q.kind;
    // Pages stream one after another; the log may be long.
    let stream = futures_util::stream::unfold((since, limit, false), move |(after, left, done)| {
        let store = store.clone();
        let kind = kind.clone();
        async move {
            if done || left <= 0 {
                return None;
            }
            match page(&store, after, kind.as_deref(), left.min(PAGE)).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let n = rows.len() as i64;
                    let last = rows.last().map(|r| r.0).unwrap_or(after);
                    let mut text = String::new();
                    for (_, e) in rows {
                        text.push_str(&e);
                        text.push('\n');
                    }
                    Some((Ok::<_, std::io::Error>(text), (last, left - n, n < PAGE.min(left))))
                }
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), (after, 0, true))),
            }
        }
    });
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "application/x-ndjson")], axum::body::Body::from_stream(stream)).into_response())
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "`{\"status\": \"ok\"}`", body = Object)))]
pub async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// Ready once the database answers and a version is active.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses((status = 200, description = "`{\"ready\": true, \"active_version\"}`", body = Object),
    (status = 503, description = "Not ready, with why", body = Object)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    match crate::reps::active_version(&state.store).await {
        Ok(Some(v)) => axum::Json(serde_json::json!({ "ready": true, "active_version": v })).into_response(),
        Ok(None) => (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "ready": false, "reason": "no policy version is active" }))).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "ready": false, "reason": e.to_string() }))).into_response(),
    }
}

/// Prometheus text: decisions by outcome, team and queue; decide, request and database latency.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    if let Err(e) = work_gauges(&state).await {
        tracing::warn!("metrics: {e}");
    }
    let text = state.metrics.as_ref().map(|m| m.render()).unwrap_or_default();
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Gauges read from the store when scraped: queue depth and the oldest open
/// item's age per queue, and SLA compliance (first contact in time among
/// assignments whose SLA timer has ended).
async fn work_gauges(state: &AppState) -> Result<(), sqlx::Error> {
    let now = state.clock.now_ms();
    if let Some(v) = crate::reps::active_version(&state.store).await.ok().flatten() {
        if let Some(p) = state.policies.cached(&v) {
            for q in &p.ir().queues {
                metrics::gauge!("leadroute_queue_depth", "queue" => q.name.clone()).set(0.0);
                metrics::gauge!("leadroute_queue_oldest_age_seconds", "queue" => q.name.clone()).set(0.0);
            }
        }
    }
    let rows = sqlx::query("SELECT queue, COUNT(*) AS n, MIN(created_at) AS oldest FROM work_items WHERE status <> 'resolved' GROUP BY queue")
        .fetch_all(&state.store.pool)
        .await?;
    for r in rows {
        let queue: String = r.try_get("queue")?;
        let n: i64 = r.try_get("n")?;
        let oldest: Option<i64> = r.try_get("oldest")?;
        metrics::gauge!("leadroute_queue_depth", "queue" => queue.clone()).set(n as f64);
        metrics::gauge!("leadroute_queue_oldest_age_seconds", "queue" => queue).set(oldest.map_or(0.0, |o| (now - o) as f64 / 1000.0));
    }
    let row = sqlx::query(
        "SELECT SUM(CASE WHEN outcome LIKE 'stopped: contacted%' THEN 1 ELSE 0 END) AS met, \
                SUM(CASE WHEN outcome LIKE 'breach%' THEN 1 ELSE 0 END) AS breached FROM timers WHERE kind = 'sla' AND fired_at IS NOT NULL",
    )
    .fetch_one(&state.store.pool)
    .await?;
    let met = row.try_get::<Option<i64>, _>("met")?.unwrap_or(0);
    let breached = row.try_get::<Option<i64>, _>("breached")?.unwrap_or(0);
    metrics::gauge!("leadroute_sla_met_total").set(met as f64);
    metrics::gauge!("leadroute_sla_breached_total").set(breached as f64);
    if met + breached > 0 {
        metrics::gauge!("leadroute_sla_compliance_ratio").set(met as f64 / (met + breached) as f64);
    }
    Ok(())
}
