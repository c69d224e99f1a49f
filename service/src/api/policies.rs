//! Policy versions: `POST /v1/policies`, `GET /v1/policies`,
//! `POST /v1/policies/{version}/activate` (also the rollback).

use std::collections::BTreeMap;

use axum::extract::{Path, Query, Request, State};
use axum::Extension;
use axum::http::StatusCode;
use axum::Json;

use super::{json_object, read_body, AppState};
use crate::access::Actor;
use crate::decider::Command;
use crate::error::{ApiError, ServiceError};
use crate::policies::{compile_sources, ir_from_value, store_version, VersionMeta};
use crate::store::Context;

/// Checking recurses over expressions: a big stack keeps deep nesting a diagnostic.
async fn on_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", format!("cannot start a compile: {e}")))?;
    rx.await.map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "compile_failed", "the compiler stopped on this policy; please report it"))
}

fn text_field(body: &serde_json::Map<String, serde_json::Value>, name: &str) -> Result<Option<String>, ApiError> {
    match body.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_policy_upload", format!("`{name}` must be a string"))),
    }
}

/// Stores a policy version: `.route` sources (checked and compiled here) or
/// a built IR. A policy with errors is refused with its diagnostics.
#[utoipa::path(post, path = "/v1/policies", tag = "policies",
    request_body(content = Object, description = "`{\"sources\": {\"inbound.route\": \"...\"}}` or `{\"ir\": {...}}`, with optional `author`, `message`, `activate`", content_type = "application/json"),
    responses((status = 201, description = "Stored (or already stored: `stored: false`)", body = Object),
        (status = 422, description = "The policy has errors (diagnostics in `details`) or the IR does not load", body = super::ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn post_policy(State(state): State<AppState>, Extension(actor): Extension<Actor>, req: Request) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let mut body = json_object(&read_body(req, state.limits.batch_body).await?)?;
    // A person's own token names the author; the shared token takes the body's word.
    let author = if actor.is_personal() { Some(actor.name.clone()) } else { text_field(&body, "author")? };
    let mut meta = VersionMeta { author, message: text_field(&body, "message")?, sources: None };
    let activate = match body.get("activate") {
        None | Some(serde_json::Value::Null) => false,
        Some(v) => v.as_bool().ok_or_else(|| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_policy_upload", "`activate` must be true or false"))?,
    };
    let ir = match (body.remove("sources"), body.remove("ir")) {
        (Some(sources), None) => {
            let sources: BTreeMap<String, String> = serde_json::from_value(sources).map_err(|_| {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_policy_upload", "`sources` must be an object of file name -> source text")
            })?;
            meta.sources = Some(sources.clone());
            on_big_stack(move || compile_sources(&sources)).await??
        }
        (None, Some(ir)) => on_big_stack(move || ir_from_value(ir)).await??,
        _ => {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_policy_upload", "give exactly one of `sources` and `ir`")
                .help("`sources`: {\"inbound.route\": \"policy ...\"}; `ir`: the JSON `leadroute build` writes"))
        }
    };
    // Loading compiles to native code; it must succeed before the version is stored.
    let policies = state.policies.clone();
    let ir_for_load = ir.clone();
    on_big_stack(move || policies.insert(ir_for_load).map(|_| ())).await??;
    let stored = store_version(&state.store, &ir, &meta, state.clock.now_ms()).await?;
    let mut out = serde_json::json!({ "version": ir.policy_version, "name": ir.name, "stored": stored });
    if activate {
        out["activation"] = state.submit(|reply| Command::Activate(ir.policy_version.clone(), Some(actor.name.clone()), reply)).await?;
    }
    Ok((if stored { StatusCode::CREATED } else { StatusCode::OK }, Json(out)))
}

/// Every stored version, newest first, with which is active.
#[utoipa::path(get, path = "/v1/policies", tag = "policies", responses((status = 200, description = "`{\"active\", \"versions\": [...]}`", body = Object)))]
pub async fn list_policies(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let active = crate::reps::active_version(&state.store).await?;
    let rows = sqlx::query("SELECT version, name, author, message, created_at FROM policy_versions ORDER BY created_at DESC, version")
        .fetch_all(&state.store.pool)
        .await
        .ctx("list policy versions")
        .map_err(ServiceError::from)?;
    let versions: Vec<serde_json::Value> = rows.iter().map(|r| crate::policy_diff::version_json(r, active.as_deref())).collect();
    Ok(Json(serde_json::json!({ "active": active, "versions": versions })))
}

/// Makes a stored version the active one (rolling back is activating the older one).
#[utoipa::path(post, path = "/v1/policies/{version}/activate", tag = "policies", params(("version" = String, Path, description = "A stored version, e.g. `sha256:...`")),
    responses((status = 200, description = "`{\"active\", \"previous\", \"changed\"}`", body = Object),
        (status = 404, description = "No such version", body = super::ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn activate(State(state): State<AppState>, Extension(actor): Extension<Actor>, Path(version): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    // Compile before the decider takes the lock, so the switch is quick.
    let ir = {
        let mut conn = state.store.pool.acquire().await.ctx("connect").map_err(ServiceError::from)?;
        crate::policies::load_ir(&mut conn, &version).await?
    };
    let policies = state.policies.clone();
    on_big_stack(move || policies.insert(ir).map(|_| ())).await??;
    let out = state.submit(|reply| Command::Activate(version, Some(actor.name), reply)).await?;
    Ok(Json(out))
}

/// One stored version with its `.route` sources (null for a version stored as built IR).
#[utoipa::path(get, path = "/v1/policies/{version}", tag = "policies", params(("version" = String, Path, description = "A stored version")),
    responses((status = 200, description = "`{\"version\", \"name\", \"author\", \"message\", \"created_at\", \"active\", \"sources\"}`", body = Object),
        (status = 404, description = "No such version", body = super::ErrorBody)))]
pub async fn get_policy(State(state): State<AppState>, Path(version): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(crate::policy_diff::version(&state.store, &version).await?))
}

/// Which two versions to compare.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct DiffQuery {
    /// The older version.
    from: String,
    /// The newer version.
    to: String,
}

/// The semantic diff between two stored versions (as `leadroute diff`), and
/// the last 500 leads decided again now by both: how many would go elsewhere, and where.
#[utoipa::path(get, path = "/v1/policy-diff", tag = "policies", params(DiffQuery),
    responses((status = 200, description = "`{\"changes\": [...], \"recent\": {\"leads\", \"changed\", \"moves\"}}`", body = Object),
        (status = 400, description = "`from` or `to` is missing", body = super::ErrorBody), (status = 404, description = "No such version", body = super::ErrorBody)))]
pub async fn diff(State(state): State<AppState>, query: Result<Query<DiffQuery>, axum::extract::rejection::QueryRejection>) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()).help("?from=VERSION&to=VERSION (GET /v1/policies lists them)"))?;
    Ok(Json(crate::policy_diff::diff(&state.store, &state.policies, &q.from, &q.to, state.clock.now_ms()).await?))
}
