//! Lead intake and reads: `POST /v1/leads`, `POST /v1/leads/batch`,
//! `GET /v1/leads/{id}`, `POST /v1/leads/{id}/events`.

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{json_object, read_body, utf8, AppState};
use crate::decider::{Command, EventKind, LeadResult, MAX_BATCH};
use crate::error::ApiError;
use crate::intake;

/// Adds `"replayed"` to a stored decision's JSON without re-parsing it.
fn with_replayed(json: &str, replayed: bool) -> String {
    match json.strip_suffix('}') {
        Some(head) => format!("{head},\"replayed\":{replayed}}}"),
        None => json.to_string(),
    }
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn conflict(key: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "idempotency_conflict", format!("`{key}` was already decided for a different lead body; the stored decision stands"))
        .help("a retry must send the same body; a different lead needs its own id or Idempotency-Key")
}

fn rejected(json: &str, status: u16) -> ApiError {
    let decision: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let errors = decision.get("errors").cloned().unwrap_or_default();
    let n = errors.as_array().map_or(0, Vec::len);
    let id = decision.get("lead_id").and_then(|v| v.as_str()).unwrap_or_default();
    let (code, message) = if status == 400 {
        ("malformed_lead", errors[0]["message"].as_str().unwrap_or("the body is not a lead").to_string())
    } else if id.is_empty() {
        ("invalid_lead", format!("the lead failed validation ({n} error{})", if n == 1 { "" } else { "s" }))
    } else {
        ("invalid_lead", format!("lead `{id}` failed validation ({n} error{})", if n == 1 { "" } else { "s" }))
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    ApiError::new(status, code, message).help("fix the fields listed in `details` and post it again; the rejection is in the audit log").details(errors)
}

/// Routes one lead.
#[utoipa::path(post, path = "/v1/leads", tag = "leads",
    request_body(content = Object, description = "A lead: a JSON object of the schema's fields, with its `id`", content_type = "application/json"),
    params(("Idempotency-Key" = Option<String>, Header, description = "The retry key (default: the lead's `id`)")),
    responses(
        (status = 200, description = "The decision (as `leadroute route` writes it) with `replayed`; durable when sent", body = Object),
        (status = 400, description = "Not a JSON object", body = super::ErrorBody),
        (status = 409, description = "The key was used for a different body", body = super::ErrorBody),
        (status = 413, description = "Body over the limit", body = super::ErrorBody),
        (status = 422, description = "The lead fails validation (per-field errors in `details`); recorded", body = super::ErrorBody),
        (status = 503, description = "Database unavailable; nothing committed, retry", body = super::ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn post_lead(State(state): State<AppState>, headers: HeaderMap, req: Request) -> Result<Response, ApiError> {
    let bytes = read_body(req, state.limits.body).await?;
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .map(|s| s.trim().trim_matches('"').to_string())
                .filter(|s| !s.is_empty() && s.len() <= 255)
                .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "bad_idempotency_key", "Idempotency-Key must be 1 to 255 visible ASCII characters"))?,
        ),
        None => None,
    };
    let item = intake::item(utf8(&bytes)?, key.as_deref());
    let status = item.body.as_ref().err().map(|e| e.0);
    let mut results = state.submit(|reply| Command::Leads(vec![item], reply)).await?;
    match results.pop() {
        Some(LeadResult::Decided { json, replayed }) => Ok(json_response(StatusCode::OK, with_replayed(&json, replayed))),
        Some(LeadResult::Rejected { json }) => Err(rejected(&json, status.unwrap_or(422))),
        Some(LeadResult::Conflict { key }) => Err(conflict(&key)),
        None => Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "no_answer", "the decider gave no answer")),
    }
}

/// Routes newline-delimited leads in order; one answer line per lead line.
#[utoipa::path(post, path = "/v1/leads/batch", tag = "leads",
    request_body(content = String, description = "NDJSON: one lead per line", content_type = "application/x-ndjson"),
    responses((status = 200, description = "NDJSON: per line, the decision with `replayed`, a `rejected` decision with `errors`, or `{\"line\", \"error\"}`", body = String, content_type = "application/x-ndjson"),
        (status = 413, description = "Body over the limit", body = super::ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn post_batch(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let bytes = read_body(req, state.limits.batch_body).await?;
    let mut items = Vec::new();
    let mut lines = Vec::new();
    for (n, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let text = String::from_utf8_lossy(raw);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let item = match std::str::from_utf8(raw) {
            Ok(_) => intake::item(text, None),
            Err(_) => crate::decider::LeadItem { key: None, lead_id: String::new(), hash: String::new(), body: Err((400, "not UTF-8 text".into())) },
        };
        lines.push(n + 1);
        items.push(item);
    }
    // Chunks go to the decider back to back, so they stay in order.
    let mut waits = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(MAX_BATCH));
        let chunk = std::mem::replace(&mut rest, tail);
        let (tx, rx) = tokio::sync::oneshot::channel();
        state.decider.send(Command::Leads(chunk, tx)).await.map_err(|_| ApiError::from(crate::error::ServiceError::Unavailable("the service is shutting down".into())))?;
        waits.push(rx);
    }
    let mut out = String::new();
    let mut line = lines.into_iter();
    for rx in waits {
        let results = match rx.await {
            Ok(r) => r,
            Err(_) => Err(crate::error::ServiceError::Unavailable("the decider stopped".into())),
        };
        match results {
            Ok(results) => {
                for r in results {
                    let n = line.next().unwrap_or(0);
                    match r {
                        LeadResult::Decided { json, replayed } => out.push_str(&with_replayed(&json, replayed)),
                        LeadResult::Rejected { json } => out.push_str(&with_line(&json, n)),
                        LeadResult::Conflict { key } => out.push_str(&serde_json::json!({ "line": n, "error": conflict(&key).body()["error"] }).to_string()),
                    }
                    out.push('\n');
                }
            }
            Err(e) => {
                // This chunk was not committed; say so for each of its lines.
                let e = ApiError::from(e);
                for _ in 0..MAX_BATCH {
                    let Some(n) = line.next() else { break };
                    out.push_str(&serde_json::json!({ "line": n, "error": e.body()["error"] }).to_string());
                    out.push('\n');
                }
            }
        }
    }
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "application/x-ndjson")], out).into_response())
}

fn with_line(json: &str, n: usize) -> String {
    match json.strip_suffix('}') {
        Some(head) => format!("{head},\"line\":{n}}}"),
        None => json.to_string(),
    }
}

/// `?explain=true` adds the trace.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExplainQuery {
    /// Re-derive the trace by replaying the lead's batch.
    #[serde(default)]
    explain: bool,
}

/// A stored decision, by lead id or Idempotency-Key.
#[utoipa::path(get, path = "/v1/leads/{id}", tag = "leads", params(("id" = String, Path, description = "Lead id or Idempotency-Key"), ExplainQuery),
    responses((status = 200, description = "The lead, its decision, events; with explain, `decision.trace` and `trace_matches_decision`", body = Object),
        (status = 404, description = "No such lead", body = super::ErrorBody)))]
pub async fn get_lead(State(state): State<AppState>, Path(id): Path<String>, query: Result<Query<ExplainQuery>, axum::extract::rejection::QueryRejection>) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()).help("use ?explain=true or ?explain=false"))?;
    let out = intake::read(&state.store, &id, q.explain).await?;
    Ok(axum::Json(out).into_response())
}

/// Records `released` (frees the rep's open load) or `contacted`.
#[utoipa::path(post, path = "/v1/leads/{id}/events", tag = "leads", params(("id" = String, Path, description = "Lead id or Idempotency-Key")),
    request_body(content = Object, description = "`{\"event\": \"released\" | \"contacted\"}`", content_type = "application/json"),
    responses((status = 200, description = "Recorded (or already recorded: `recorded: false`)", body = Object),
        (status = 404, description = "No such lead", body = super::ErrorBody),
        (status = 422, description = "Unknown event", body = super::ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn post_event(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Result<Response, ApiError> {
    let body = json_object(&read_body(req, state.limits.body).await?)?;
    let kind = match body.get("event").and_then(|v| v.as_str()) {
        Some("released") => EventKind::Released,
        Some("contacted") => EventKind::Contacted,
        other => {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_event", format!("`event` must be \"released\" or \"contacted\", not {}", other.map_or("missing".to_string(), |s| format!("{s:?}")))))
        }
    };
    let out = state.submit(|reply| Command::Event(id, kind, reply)).await?;
    Ok(axum::Json(out).into_response())
}

/// Which recent leads to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RecentQuery {
    /// At most this many (1 to 500, default 50).
    limit: Option<i64>,
    /// Only this outcome now: assigned, queued, dropped, rejected.
    outcome: Option<String>,
}

/// The most recently decided leads, newest first, each with where it is now.
#[utoipa::path(get, path = "/v1/leads", tag = "leads", params(RecentQuery),
    responses((status = 200, description = "`{\"leads\": [{\"lead_id\", \"key\", \"decided_at\", \"outcome\", \"destination\", \"rule\"}]}`", body = Object),
        (status = 400, description = "A bad parameter", body = super::ErrorBody)))]
pub async fn list_leads(State(state): State<AppState>, query: Result<Query<RecentQuery>, axum::extract::rejection::QueryRejection>) -> Result<Response, ApiError> {
    use crate::store::Context;
    use sqlx::Row;
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()).help("?limit=50&outcome=queued"))?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_query", format!("limit must be 1 to 500, not {limit}")));
    }
    let outcome = q.outcome.unwrap_or_default();
    if !["", "assigned", "queued", "dropped", "rejected"].contains(&outcome.as_str()) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_query", format!("unknown outcome `{outcome}`")).help("outcome: assigned, queued, dropped or rejected"));
    }
    // Read a few more than asked when filtering by the current outcome, which may differ from the first.
    let rows = sqlx::query("SELECT lead_id, idem_key, decided_at, decision, current FROM leads ORDER BY decided_at DESC, batch_id DESC, position DESC LIMIT $1")
        .bind(if outcome.is_empty() { limit } else { limit * 20 })
        .fetch_all(&state.store.pool)
        .await
        .ctx("list leads")
        .map_err(crate::error::ServiceError::from)?;
    let mut out = Vec::new();
    for r in &rows {
        let text: Option<String> = r.try_get::<Option<String>, _>("current").ok().flatten().or_else(|| r.try_get("decision").ok());
        let d: serde_json::Value = text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
        let now_outcome = d["outcome"].as_str().unwrap_or_default().to_string();
        if !outcome.is_empty() && now_outcome != outcome {
            continue;
        }
        let destination = match now_outcome.as_str() {
            "assigned" => format!("rep {}", d["rep"].as_str().unwrap_or("?")),
            "queued" => format!("queue {}", d["queue"].as_str().unwrap_or("?")),
            o => o.to_string(),
        };
        out.push(serde_json::json!({
            "lead_id": r.try_get::<String, _>("lead_id").unwrap_or_default(),
            "key": r.try_get::<String, _>("idem_key").unwrap_or_default(),
            "decided_at": leadroute_runtime::state::format_time(r.try_get::<i64, _>("decided_at").unwrap_or_default()),
            "outcome": now_outcome, "destination": destination, "tier": d["tier"], "rule": d["rule"],
        }));
        if out.len() as i64 >= limit {
            break;
        }
    }
    Ok(axum::Json(serde_json::json!({ "leads": out })).into_response())
}
