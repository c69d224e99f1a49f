//! Errors: the domain's [`ServiceError`] and its HTTP form, a JSON body
//! `{"error": {"code", "message", "help"?, "details"?}}` with a 4xx/5xx status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::store::StoreError;

/// Why a service operation failed.
#[derive(Debug)]
pub enum ServiceError {
    /// The database failed; nothing of the operation was committed.
    Store(StoreError),
    /// No policy version is active yet.
    NoActivePolicy,
    /// The named thing does not exist.
    NotFound {
        /// What was looked for, e.g. "lead `L-1`".
        what: String,
        /// How to find the right one.
        help: String,
    },
    /// The request conflicts with what is stored.
    Conflict {
        /// Stable code.
        code: &'static str,
        /// One line.
        message: String,
    },
    /// The request is malformed.
    Invalid {
        /// Stable code.
        code: &'static str,
        /// One line.
        message: String,
        /// Structured detail (per-field errors, diagnostics).
        details: Option<serde_json::Value>,
    },
    /// The service is shutting down or its decider stopped.
    Unavailable(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        ServiceError::Store(e)
    }
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServiceError::Store(e) => write!(f, "database error: {e}"),
            ServiceError::NoActivePolicy => f.write_str("no policy version is active"),
            ServiceError::NotFound { what, .. } => write!(f, "{what} not found"),
            ServiceError::Conflict { message, .. } | ServiceError::Invalid { message, .. } => f.write_str(message),
            ServiceError::Unavailable(m) => f.write_str(m),
        }
    }
}

/// An HTTP error answer.
#[derive(Debug)]
pub struct ApiError {
    /// The status.
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `idempotency_conflict`.
    pub code: &'static str,
    /// One line for people.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// Structured detail.
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), help: None, details: None }
    }

    /// Adds help.
    pub fn help(mut self, help: impl Into<String>) -> ApiError {
        self.help = Some(help.into());
        self
    }

    /// Adds details.
    pub fn details(mut self, details: serde_json::Value) -> ApiError {
        self.details = Some(details);
        self
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        let mut e = serde_json::json!({ "code": self.code, "message": self.message });
        if let Some(h) = &self.help {
            e["help"] = h.clone().into();
        }
        if let Some(d) = &self.details {
            e["details"] = d.clone();
        }
        serde_json::json!({ "error": e })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Store(e) => {
                tracing::error!("{e}");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable", format!("the database failed: {e}"))
                    .help("nothing was committed; retry with the same lead id or Idempotency-Key")
            }
            ServiceError::NoActivePolicy => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no_active_policy", "no policy version is active")
                .help("POST /v1/policies and activate a version, or start `leadroute serve POLICY`"),
            ServiceError::NotFound { what, help } => ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found")).help(help),
            ServiceError::Conflict { code, message } => ApiError::new(StatusCode::CONFLICT, code, message),
            ServiceError::Invalid { code, message, details } => {
                let e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message);
                match details {
                    Some(d) => e.details(d),
                    None => e,
                }
            }
            ServiceError::Unavailable(m) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m).help("retry shortly"),
        }
    }
}
