//! The embedding API's errors: one enum per operation (loading a policy is
//! [`crate::LoadError`], in `load`; reading a state file, choosing a backend, reading a time, reading a lead),
//! each a [`std::error::Error`] whose message is one line naming the problem.

use std::fmt;

use crate::lead::FieldError;
use crate::state::StateWarning;

/// Why a backend cannot be used (`"fast".parse::<Backend>()`, or `jit` where it cannot run).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackendError {
    /// No backend has this name.
    Unknown {
        /// The name given.
        name: String,
    },
    /// This build has no compiled backend (built without the `jit` feature).
    NotBuilt,
    /// The compiled backend does not support this machine's architecture.
    UnsupportedHost,
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendError::Unknown { name } => write!(f, "unknown backend `{name}`: expected `jit` or `interp`"),
            BackendError::NotBuilt => f.write_str("this leadroute was built without the `jit` feature; use `--backend interp`"),
            BackendError::UnsupportedHost => {
                f.write_str("the compiled backend does not support this machine's architecture; use `--backend interp`")
            }
        }
    }
}

impl std::error::Error for BackendError {}

/// Why a time was not read ([`crate::parse_timestamp`], [`crate::timestamp_from_ms`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeError {
    /// The text is not an RFC 3339 time with an offset.
    NotRfc3339 {
        /// The text given.
        text: String,
    },
    /// A well-formed time outside the years -9999 to 9999.
    OutOfRange {
        /// The text given.
        text: String,
    },
    /// Milliseconds since the epoch outside the years -9999 to 9999.
    MillisecondsOutOfRange {
        /// The value given.
        ms: i64,
    },
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::NotRfc3339 { text } => write!(f, "`{text}` is not an RFC 3339 time like `2026-11-24T15:00:00Z`"),
            TimeError::OutOfRange { text } => write!(f, "`{text}` is out of range: {}", time_range()),
            TimeError::MillisecondsOutOfRange { ms } => write!(f, "{ms} ms since the epoch is out of range: {}", time_range()),
        }
    }
}

impl std::error::Error for TimeError {}

/// Why a state file (or a test's rep overrides) was not read ([`crate::State::from_json`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateError {
    /// The state file is not JSON of the state file's shape.
    NotStateJson {
        /// What the JSON reader said.
        detail: String,
    },
    /// The rep overrides are not JSON of their shape.
    NotOverrides {
        /// What the JSON reader said.
        detail: String,
    },
    /// A date (`as_of`, a rep's `day`) is not a date like `2026-11-24`.
    BadDate {
        /// The rep whose `day` it is; `None` for `as_of`.
        rep: Option<String>,
        /// The text given.
        text: String,
    },
    /// A rep's `out_of_office_until` is not an RFC 3339 time.
    BadTime {
        /// The rep.
        rep: String,
        /// The text given.
        text: String,
    },
    /// A team's rotation cursor is past its members.
    CursorPastMembers {
        /// The team.
        team: String,
        /// The cursor given.
        cursor: u32,
        /// How many members the team has.
        members: usize,
    },
    /// Rep overrides name a rep or team the policy does not declare.
    Unknown(StateWarning),
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::NotStateJson { detail } => write!(f, "state file: {detail}"),
            StateError::NotOverrides { detail } => write!(f, "rep state: {detail}"),
            StateError::BadDate { rep: None, text } => write!(f, "state file: `as_of` must be a date like \"2026-11-24\", not {text:?}"),
            StateError::BadDate { rep: Some(rep), text } => {
                write!(f, "state of rep `{rep}`: `day` must be a date like \"2026-11-24\", not {text:?}")
            }
            StateError::BadTime { rep, text } => {
                write!(f, "state of rep `{rep}`: `out_of_office_until` must be an RFC 3339 time, not {text:?}")
            }
            StateError::CursorPastMembers { team, cursor, members } => {
                write!(f, "state of team `{team}`: cursor {cursor} is past its {members} members")
            }
            StateError::Unknown(w) => f.write_str(&w.0),
        }
    }
}

impl std::error::Error for StateError {}

/// Why a lead was not accepted ([`crate::Engine::read_lead`]): every field
/// that does not fit the schema, each naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeadError {
    /// The lead does not fit the policy's schema (or is not a JSON object).
    Invalid {
        /// The lead's `id`, when it has one.
        lead_id: String,
        /// One error per field (a field of `""` is about the whole lead).
        errors: Vec<FieldError>,
    },
}

impl LeadError {
    /// The field errors.
    pub fn errors(&self) -> &[FieldError] {
        match self {
            LeadError::Invalid { errors, .. } => errors,
        }
    }
}

impl fmt::Display for LeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let LeadError::Invalid { lead_id, errors } = self;
        let id = if lead_id.is_empty() { "(no id)" } else { lead_id };
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        write!(f, "lead {id} is invalid: {}", messages.join("; "))
    }
}

impl std::error::Error for LeadError {}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FieldError {}

/// The range a time must fall in, as the end of a sentence.
pub(crate) fn time_range() -> String {
    format!("times run from {} to {}", jiff::Timestamp::MIN, jiff::Timestamp::MAX)
}
