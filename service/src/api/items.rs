//! Work items: `GET /v1/work-items`, `GET /v1/work-items/{id}`, and the
//! actions `claim`, `resolve`, `reassign`, `reprocess`.

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::{Extension, Json};

use crate::access::Actor;
use serde::Deserialize;
use sqlx::Row;

use super::{json_object, read_body, AppState};
use crate::decider::{Command, ItemAction};
use crate::error::{ApiError, ServiceError};
use crate::store::Context;

/// Filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ItemQuery {
    /// Only this queue.
    queue: Option<String>,
    /// `open`, `claimed`, `resolved`, or `active` (open or claimed, the default).
    status: Option<String>,
    /// Only items past their SLA.
    #[serde(default)]
    overdue: bool,
    /// At most this many (default 500).
    limit: Option<i64>,
}

const ITEM_COLUMNS: &str = "id, lead_key, lead_id, queue, owner, tier, priority, reason, status, claimed_by, due_at, created_at, updated_at, resolved_at, note, detail, history";

/// One work item row as JSON.
pub(crate) fn item_json(r: &sqlx::any::AnyRow, now: i64) -> serde_json::Value {
    let s = |c: &str| r.try_get::<Option<String>, _>(c).ok().flatten();
    let n = |c: &str| r.try_get::<Option<i64>, _>(c).ok().flatten();
    let t = |c: &str| n(c).map(leadroute_runtime::state::format_time);
    let due = n("due_at");
    serde_json::json!({
        "id": n("id"), "lead_id": s("lead_id"), "key": s("lead_key"), "queue": s("queue"), "owner": s("owner"), "tier": s("tier"),
        "priority": n("priority"), "reason": s("reason"), "status": s("status"), "claimed_by": s("claimed_by"),
        "due": t("due_at"), "overdue": due.is_some_and(|d| d < now) && s("status").as_deref() != Some("resolved"),
        "due_in_seconds": due.map(|d| (d - now) / 1000),
        "created_at": t("created_at"), "updated_at": t("updated_at"), "resolved_at": t("resolved_at"),
        "note": s("note"), "detail": s("detail"),
        "history": s("history").and_then(|h| serde_json::from_str::<serde_json::Value>(&h).ok()).unwrap_or_default(),
    })
}

/// Work items, most urgent first (by SLA due time, then priority).
#[utoipa::path(get, path = "/v1/work-items", tag = "work items", params(ItemQuery),
    responses((status = 200, description = "`{\"items\": [...]}`", body = Object), (status = 400, description = "A bad filter", body = super::ErrorBody)))]
pub async fn list_items(State(state): State<AppState>, query: Result<Query<ItemQuery>, axum::extract::rejection::QueryRejection>) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()).help("?queue=Q&status=open|claimed|resolved|active&overdue=true"))?;
    let statuses: &[&str] = match q.status.as_deref().unwrap_or("active") {
        "active" => &["open", "claimed"],
        "open" => &["open"],
        "claimed" => &["claimed"],
        "resolved" => &["resolved"],
        other => return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_query", format!("unknown status `{other}`")).help("status: open, claimed, resolved or active")),
    };
    let now = state.clock.now_ms();
    let limit = q.limit.unwrap_or(500).clamp(1, 10_000);
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM work_items WHERE status IN ($1, $2) AND ($3 = '' OR queue = $3) AND ($4 = 0 OR (due_at IS NOT NULL AND due_at < $5)) \
         ORDER BY CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at, priority, id LIMIT $6"
    );
    let rows = sqlx::query(&sql)
        .bind(statuses[0])
        .bind(statuses[statuses.len() - 1])
        .bind(q.queue.unwrap_or_default())
        .bind(i64::from(q.overdue))
        .bind(now)
        .bind(limit)
        .fetch_all(&state.store.pool)
        .await
        .ctx("list work items")
        .map_err(ServiceError::from)?;
    Ok(Json(serde_json::json!({ "items": rows.iter().map(|r| item_json(r, now)).collect::<Vec<_>>() })))
}

/// One work item with its history.
#[utoipa::path(get, path = "/v1/work-items/{id}", tag = "work items", params(("id" = i64, Path, description = "Work item id")),
    responses((status = 200, description = "The item", body = Object), (status = 404, description = "No such item", body = super::ErrorBody)))]
pub async fn get_item(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    let id = item_id(&id)?;
    let row = sqlx::query(&format!("SELECT {ITEM_COLUMNS} FROM work_items WHERE id = $1"))
        .bind(id)
        .fetch_optional(&state.store.pool)
        .await
        .ctx("read a work item")
        .map_err(ServiceError::from)?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("work item {id} not found")).help("GET /v1/work-items lists them"))?;
    Ok(Json(item_json(&row, state.clock.now_ms())))
}

/// A work item id from the path, or a JSON 404 naming it.
fn item_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().map_err(|_| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("work item `{text}` not found")).help("work item ids are whole numbers; GET /v1/work-items lists them")
    })
}

fn text(body: &serde_json::Map<String, serde_json::Value>, name: &str, required: bool) -> Result<Option<String>, ApiError> {
    match body.get(name) {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
        None | Some(serde_json::Value::Null) if !required => Ok(None),
        _ => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_work_item_action", format!("`{name}` must be a non-empty string"))),
    }
}

/// The operator recorded for an action: a person's own token (or
/// workbench sign-in) names them; with the shared token or an open service,
/// the body's `operator` does.
fn operator(actor: &Actor, body: &serde_json::Map<String, serde_json::Value>) -> Result<String, ApiError> {
    if actor.is_personal() {
        return Ok(actor.name.clone());
    }
    text(body, "operator", true).map(Option::unwrap_or_default)
}

/// Acts on a work item: `claim` (`operator`), `resolve` (`operator`, `note`),
/// `reassign` (`operator`, `rep` or `team`, `reason`, `force`?), `reprocess` (`operator`).
#[utoipa::path(post, path = "/v1/work-items/{id}/{action}", tag = "work items",
    params(("id" = i64, Path, description = "Work item id"), ("action" = String, Path, description = "claim, resolve, reassign or reprocess")),
    request_body(content = Object, description = "`{\"operator\": \"ana\"}` plus the action's fields", content_type = "application/json"),
    responses((status = 200, description = "The item's new status, the decision for reassign/reprocess, and its history", body = Object),
        (status = 404, description = "No such item", body = super::ErrorBody),
        (status = 409, description = "Resolved already, claimed by someone else, or the rep cannot take it", body = super::ErrorBody),
        (status = 422, description = "A missing or wrong field", body = super::ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn act(State(state): State<AppState>, Extension(actor): Extension<Actor>, Path((id, action)): Path<(String, String)>, req: Request) -> Result<Json<serde_json::Value>, ApiError> {
    let id = item_id(&id)?;
    let body = json_object(&read_body(req, state.limits.body).await?)?;
    let action = match action.as_str() {
        "claim" => ItemAction::Claim { operator: operator(&actor, &body)? },
        "resolve" => ItemAction::Resolve { operator: operator(&actor, &body)?, note: text(&body, "note", true)?.unwrap_or_default() },
        "reprocess" => ItemAction::Reprocess { operator: operator(&actor, &body)? },
        "reassign" => ItemAction::Reassign {
            operator: operator(&actor, &body)?,
            rep: text(&body, "rep", false)?,
            team: text(&body, "team", false)?,
            reason: text(&body, "reason", true)?.unwrap_or_default(),
            force: body.get("force").and_then(|v| v.as_bool()).unwrap_or(false),
        },
        other => {
            return Err(ApiError::new(StatusCode::NOT_FOUND, "no_such_route", format!("no work-item action `{other}`"))
                .help("actions: claim, resolve, reassign, reprocess"))
        }
    };
    Ok(Json(state.submit(|reply| Command::Item(id, action, reply)).await?))
}

/// Moves the manual clock forward and fires what came due (only with `serve --manual-clock`).
#[utoipa::path(post, path = "/v1/clock", tag = "ops",
    request_body(content = Object, description = "`{\"advance\": \"10m\"}`", content_type = "application/json"),
    responses((status = 200, description = "`{\"now\", \"fired\"}`", body = Object), (status = 404, description = "The service runs on the real clock", body = super::ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn advance_clock(State(state): State<AppState>, req: Request) -> Result<Json<serde_json::Value>, ApiError> {
    let Some(clock) = state.manual_clock.clone() else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no_manual_clock", "this service runs on the real clock").help("start it with --manual-clock TIME to drive time in trials and tests"));
    };
    let body = json_object(&read_body(req, state.limits.body).await?)?;
    let by = body.get("advance").and_then(|v| v.as_str()).ok_or_else(|| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_clock", "`advance` must be a duration like \"10m\""))?;
    let d = crate::config::duration(by, "advance").map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_clock", e))?;
    clock.advance(d.as_millis() as i64);
    let mut fired = 0;
    // Fire everything now due, tick after tick.
    loop {
        let n = state.submit(Command::Tick).await?;
        fired += n;
        if n == 0 {
            break;
        }
    }
    Ok(Json(serde_json::json!({ "now": leadroute_runtime::state::format_time(crate::clock::Clock::now_ms(clock.as_ref())), "fired": fired })))
}
