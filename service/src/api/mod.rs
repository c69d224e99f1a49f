//! The HTTP API: thin handlers over intake, the decider and the store; the
//! OpenAPI document is generated from the handlers' annotations.

mod items;
mod leads;
mod ops;
mod policies;
mod reps;
mod rollout;
mod ui;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::{mpsc, oneshot};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::{Actor, Role, Via};
use crate::clock::Clock;
use crate::decider::Command;
use crate::error::{ApiError, ServiceError};
use crate::policies::PolicyCache;
use crate::store::Store;

/// Size limits on request bodies.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// One lead, a rep change, an event (bytes).
    pub body: usize,
    /// An NDJSON batch or a policy upload (bytes).
    pub batch_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { body: 256 * 1024, batch_body: 32 * 1024 * 1024 }
    }
}

/// What every handler shares.
#[derive(Debug)]
pub struct Inner {
    /// The database.
    pub store: Store,
    /// The decider's queue.
    pub decider: mpsc::Sender<Command>,
    /// Loaded policy versions.
    pub policies: Arc<PolicyCache>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Tokens, roles and sessions.
    pub access: crate::access::Access,
    /// Wakes the workbench's live streams when something is committed
    /// (each stream subscribes; with none, the log's head is not polled).
    pub changes: Arc<tokio::sync::watch::Sender<i64>>,
    /// Renders `/metrics`.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Body limits.
    pub limits: Limits,
    /// The clock tests and trials move (`serve --manual-clock`).
    pub manual_clock: Option<Arc<crate::clock::ManualClock>>,
}

/// The handlers' state.
pub type AppState = Arc<Inner>;

impl Inner {
    /// Sends a command to the decider and waits for its answer.
    pub async fn submit<T>(&self, make: impl FnOnce(oneshot::Sender<Result<T, ServiceError>>) -> Command) -> Result<T, ServiceError> {
        let (tx, rx) = oneshot::channel();
        self.decider
            .send(make(tx))
            .await
            .map_err(|_| ServiceError::Unavailable("the service is shutting down; nothing was committed".into()))?;
        rx.await.map_err(|_| ServiceError::Unavailable("the decider stopped; nothing was committed".into()))?
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "leadroute", description = "The routing service: durable, idempotent lead intake decided by a checked policy."),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// An error answer.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// What went wrong.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `idempotency_conflict`.
    code: String,
    /// One line for people.
    message: String,
    /// What to do about it.
    help: Option<String>,
    /// Structured detail: per-field errors, diagnostics.
    details: Option<serde_json::Value>,
}

/// The router with every route, the OpenAPI document, and the middleware.
pub fn router(state: AppState) -> axum::Router {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(leads::post_lead, leads::list_leads))
        .routes(routes!(leads::post_batch))
        .routes(routes!(leads::get_lead))
        .routes(routes!(leads::post_event))
        .routes(routes!(reps::list_reps))
        .routes(routes!(reps::get_rep, reps::patch_rep))
        .routes(routes!(policies::post_policy, policies::list_policies))
        .routes(routes!(policies::activate))
        .routes(routes!(policies::get_policy))
        .routes(routes!(policies::diff))
        .routes(routes!(items::list_items))
        .routes(routes!(items::get_item))
        .routes(routes!(items::act))
        .routes(routes!(items::advance_clock))
        .routes(routes!(rollout::start, rollout::status))
        .routes(routes!(rollout::promote))
        .routes(routes!(rollout::stop))
        .routes(routes!(ops::audit))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(ui::whoami))
        .routes(routes!(ui::stream))
        .routes(routes!(ui::dashboard))
        .split_for_parts();
    let doc = Arc::new(doc);
    router
        .route("/", axum::routing::get(ui::index))
        .route("/login", axum::routing::get(ui::login_form).post(ui::login))
        .route("/logout", axum::routing::post(ui::logout))
        .route("/assets/app.js", axum::routing::get(ui::app_js))
        .route("/assets/app.css", axum::routing::get(ui::app_css))
        .route("/assets/icon.svg", axum::routing::get(ui::icon))
        .route("/favicon.ico", axum::routing::get(ui::icon))
        .route("/openapi.json", axum::routing::get(move || async move { axum::Json(doc.as_ref().clone()) }))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth))
        .layer(axum::middleware::from_fn(observe))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state)
}

async fn not_found(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no_such_route", format!("no route for {method} {}", uri.path()))
        .help("GET /openapi.json lists every route")
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", format!("{method} is not allowed on {}", uri.path()))
        .help("GET /openapi.json lists the methods of every route")
}

/// The cookie that holds a workbench sign-in.
pub const SESSION_COOKIE: &str = "leadroute_session";
/// The header the workbench sends with every change (a page on another site cannot).
pub const UI_HEADER: &str = "x-leadroute-ui";

/// A cookie's value from the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Who is calling: the open service's `local`, a bearer token's holder, or a
/// signed-in session; `Err` for a wrong token; `Ok(None)` for nobody.
pub(crate) fn caller(state: &Inner, headers: &axum::http::HeaderMap) -> Result<Option<Actor>, ApiError> {
    if !state.access.is_protected() {
        return Ok(Some(Actor { name: "local".into(), role: Role::Operator, via: Via::Open }));
    }
    if let Some(given) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")) {
        return state.access.by_token(given).map(Some).ok_or_else(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "bad_token", "the bearer token is wrong")
                .help("send `Authorization: Bearer TOKEN` with the service token (--token-file or LEADROUTE_TOKEN) or your own from [access] in --config")
        });
    }
    Ok(cookie(headers, SESSION_COOKIE).and_then(|s| state.access.by_session(s, state.clock.now_ms())))
}

/// With tokens configured, every `/v1` route needs one (or a workbench
/// sign-in), and changes need the operator role. The caller goes into the
/// request's extensions as an [`Actor`].
async fn auth(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let actor = match caller(&state, req.headers()) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let api = req.uri().path().starts_with("/v1/");
    let reading = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    match &actor {
        None if api => {
            let session = cookie(req.headers(), SESSION_COOKIE).is_some();
            return ApiError::new(StatusCode::UNAUTHORIZED, if session { "session_expired" } else { "token_required" },
                if session { "your sign-in has expired or its token was changed" } else { "this service needs a token" })
                .help("send `Authorization: Bearer TOKEN`, or sign in to the workbench at /login")
                .into_response();
        }
        Some(a) if api && !reading && a.role != Role::Operator => {
            return ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("`{}` is a viewer: viewers can read but not change anything", a.name))
                .help("ask an operator, or sign in with an operator's token")
                .into_response();
        }
        Some(a) if api && !reading && a.via == Via::Session && req.headers().get(UI_HEADER).is_none() => {
            return ApiError::new(StatusCode::FORBIDDEN, "missing_ui_header", format!("a change made with a workbench sign-in must carry the `{UI_HEADER}` header"))
                .help("the workbench sends it; scripts should use `Authorization: Bearer TOKEN`")
                .into_response();
        }
        _ => {}
    }
    if let Some(a) = actor {
        req.extensions_mut().insert(a);
    }
    next.run(req).await
}

/// Request latency by route, method and status.
async fn observe(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let response = next.run(req).await;
    metrics::histogram!("leadroute_request_seconds", "method" => method, "route" => route, "status" => response.status().as_u16().to_string())
        .record(started.elapsed().as_secs_f64());
    response
}

/// Reads a body within `limit` bytes, or the 413 saying so.
pub(crate) async fn read_body(req: Request, limit: usize) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(req.into_body(), limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            || e.to_string().contains("length limit");
        if too_large {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", format!("the request body is over the limit of {limit} bytes"))
                .help("send one lead per request to /v1/leads, or split the NDJSON batch")
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body", format!("cannot read the request body: {e}"))
        }
    })
}

/// The body as UTF-8 JSON text, or a 400.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, ApiError> {
    std::str::from_utf8(bytes)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "not_utf8", format!("the body is not UTF-8 text: {e}")).help("send JSON as UTF-8"))
}

/// A JSON object body, or a 400 saying where it breaks.
pub(crate) fn json_object(bytes: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    let text = utf8(bytes)?;
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", "the body must be a JSON object")),
        Err(e) => Err(ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", format!("the body is not valid JSON: {e}"))),
    }
}
