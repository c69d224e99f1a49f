//! The workbench: its page and assets (all inside the binary), sign-in and
//! sign-out, who is signed in, the live change stream and the dashboard.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::Deserialize;

use super::{AppState, SESSION_COOKIE};
use crate::access::{Actor, Via};
use crate::error::ApiError;

const INDEX: &str = include_str!("../../web/index.html");
const APP_JS: &str = include_str!("../../web/app.js");
const APP_CSS: &str = include_str!("../../web/app.css");
const LOGIN: &str = include_str!("../../web/login.html");
const ICON: &str = include_str!("../../web/icon.svg");

/// No page of the workbench loads anything from elsewhere.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

fn asset(content_type: &'static str, body: impl Into<axum::body::Body>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body.into(),
    )
        .into_response()
}

/// The workbench page (`/`); it signs in first when the service needs a token.
pub async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !matches!(super::caller(&state, &headers), Ok(Some(_))) {
        return Redirect::to("/login").into_response();
    }
    asset("text/html; charset=utf-8", INDEX)
}

/// `/assets/app.js`.
pub async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

/// `/assets/app.css`.
pub async fn app_css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

/// `/favicon.ico` and `/assets/icon.svg`.
pub async fn icon() -> Response {
    asset("image/svg+xml", ICON)
}

fn login_page(status: StatusCode, message: &str) -> Response {
    let escaped = message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let body = LOGIN.replace("{{message}}", &escaped).replace("{{hidden}}", if message.is_empty() { "hidden" } else { "" });
    let mut r = asset("text/html; charset=utf-8", body);
    *r.status_mut() = status;
    r
}

/// The sign-in page.
pub async fn login_form(State(state): State<AppState>) -> Response {
    if !state.access.is_protected() {
        return Redirect::to("/").into_response();
    }
    login_page(StatusCode::OK, "")
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    token: String,
}

/// Signs in with a token: a signed session cookie, then the workbench.
pub async fn login(State(state): State<AppState>, form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>) -> Response {
    if !state.access.is_protected() {
        return Redirect::to("/").into_response();
    }
    let Ok(Form(form)) = form else {
        return login_page(StatusCode::BAD_REQUEST, "Enter your access token.");
    };
    let Some(mut actor) = state.access.by_token(&form.token) else {
        metrics::counter!("leadroute_sign_in_failures_total").increment(1);
        // The page itself renders fine (a 401 would be logged as a console error); no cookie is set.
        return login_page(StatusCode::OK, "That token is not valid. Check it and try again, or ask whoever runs the service for yours.");
    };
    actor.via = Via::Session;
    let ttl = state.access.session_ms();
    let value = state.access.session_for(&actor, state.clock.now_ms() + ttl);
    let cookie = format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", ttl / 1000);
    let mut r = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// Signs out: the cookie is cleared.
pub async fn logout() -> Response {
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static("leadroute_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"));
    r
}

/// Who is calling and what they may do.
#[utoipa::path(get, path = "/v1/whoami", tag = "workbench",
    responses((status = 200, description = "`{\"name\", \"role\", \"open\", \"can_act\"}`", body = Object), (status = 401, description = "No token", body = super::ErrorBody)))]
pub async fn whoami(State(state): State<AppState>, Extension(actor): Extension<Actor>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "name": actor.name, "role": actor.role.as_str(), "open": actor.via == Via::Open, "personal": actor.is_personal(),
        "can_act": actor.role == crate::access::Role::Operator,
        "manual_clock": state.manual_clock.is_some(),
        "now": leadroute_runtime::state::format_time(state.clock.now_ms()),
    }))
}

/// Server-sent events: `change` with the audit log's last `seq` whenever
/// something is committed (on any node), so open pages refresh.
#[utoipa::path(get, path = "/v1/stream", tag = "workbench",
    responses((status = 200, description = "`text/event-stream` of `change` events whose data is the last audit seq", body = String, content_type = "text/event-stream")))]
pub async fn stream(State(state): State<AppState>) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let mut rx = state.changes.subscribe();
    // The first event says where the log is now.
    rx.mark_changed();
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        let seq = *rx.borrow_and_update();
        Some((Ok(Event::default().event("change").data(seq.to_string())), rx))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// The dashboard's window.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DashboardQuery {
    /// Hours back from now (1 to 720, default 24).
    hours: Option<i64>,
}

/// Speed to lead, SLA compliance, decisions by outcome over time, exception
/// queues and per-rep load, with SVG charts.
#[utoipa::path(get, path = "/v1/dashboard", tag = "workbench", params(DashboardQuery),
    responses((status = 200, description = "Figures, series and `charts` (SVG text)", body = Object), (status = 400, description = "A bad window", body = super::ErrorBody)))]
pub async fn dashboard(State(state): State<AppState>, query: Result<Query<DashboardQuery>, axum::extract::rejection::QueryRejection>) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()).help("?hours=24"))?;
    let hours = q.hours.unwrap_or(24);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_query", format!("hours must be 1 to 720, not {hours}")));
    }
    Ok(Json(crate::dashboard::build(&state.store, &state.policies, state.clock.now_ms(), hours).await?))
}
