//! Reps: `GET /v1/reps`, `GET /v1/reps/{id}`, `PATCH /v1/reps/{id}`.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::{Extension, Json};

use super::{json_object, read_body, AppState};
use crate::decider::{Command, RepPatch};
use crate::error::ApiError;

/// Every rep of the active policy: load, today's count, availability now and why not.
#[utoipa::path(get, path = "/v1/reps", tag = "reps", responses((status = 200, description = "`{\"reps\": [...]}`", body = Object)))]
pub async fn list_reps(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let reps = crate::reps::view(&state.store, &state.policies, state.clock.now_ms(), None).await?;
    Ok(Json(serde_json::json!({ "reps": reps })))
}

/// One rep.
#[utoipa::path(get, path = "/v1/reps/{id}", tag = "reps", params(("id" = String, Path, description = "Rep id")),
    responses((status = 200, description = "The rep", body = Object), (status = 404, description = "No such rep", body = super::ErrorBody)))]
pub async fn get_rep(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    let mut reps = crate::reps::view(&state.store, &state.policies, state.clock.now_ms(), Some(&id)).await?;
    Ok(Json(reps.pop().unwrap_or_default()))
}

fn field_error(field: &str, expected: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_rep_change", format!("`{field}` must be {expected}"))
}

fn optional_count(v: &serde_json::Value, field: &str) -> Result<Option<u32>, ApiError> {
    if v.is_null() {
        return Ok(None);
    }
    v.as_u64().and_then(|n| u32::try_from(n).ok()).map(Some).ok_or_else(|| field_error(field, "a whole number >= 0, or null for the policy's cap"))
}

/// Parses a rep change; every unknown or wrong-typed field is refused.
pub fn parse_patch(body: &serde_json::Map<String, serde_json::Value>) -> Result<RepPatch, ApiError> {
    let mut patch = RepPatch::default();
    for (k, v) in body {
        match k.as_str() {
            "active" => patch.active = Some(v.as_bool().ok_or_else(|| field_error("active", "true or false"))?),
            "out_of_office_until" => {
                patch.out_of_office_until = Some(if v.is_null() {
                    None
                } else {
                    let t = v.as_str().and_then(leadroute_runtime::parse_time);
                    Some(t.ok_or_else(|| field_error("out_of_office_until", "an RFC 3339 time like \"2026-12-08T09:00:00Z\", or null"))?)
                })
            }
            "max_open" => patch.max_open = Some(optional_count(v, "max_open")?),
            "max_per_day" => patch.max_per_day = Some(optional_count(v, "max_per_day")?),
            other => {
                return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_rep_change", format!("`{other}` cannot be changed"))
                    .help("a rep change may set `active`, `out_of_office_until`, `max_open` and `max_per_day`"))
            }
        }
    }
    Ok(patch)
}

/// Changes a rep: `active`, `out_of_office_until`, cap overrides `max_open` / `max_per_day` (null: the policy's).
#[utoipa::path(patch, path = "/v1/reps/{id}", tag = "reps", params(("id" = String, Path, description = "Rep id")),
    request_body(content = Object, description = "Any of `active`, `out_of_office_until`, `max_open`, `max_per_day`", content_type = "application/json"),
    responses((status = 200, description = "The rep's settings after the change", body = Object),
        (status = 404, description = "No such rep", body = super::ErrorBody), (status = 422, description = "A field is wrong", body = super::ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn patch_rep(State(state): State<AppState>, Extension(actor): Extension<crate::access::Actor>, Path(id): Path<String>, req: Request) -> Result<Json<serde_json::Value>, ApiError> {
    let body = json_object(&read_body(req, state.limits.body).await?)?;
    let mut patch = parse_patch(&body)?;
    patch.by = Some(actor.name);
    let out = state.submit(|reply| Command::PatchRep(id, patch, reply)).await?;
    Ok(Json(out))
}
