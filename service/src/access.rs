//! Who may do what: bearer tokens with a name and a role (viewer or
//! operator), and the workbench's sign-in sessions, kept in a signed cookie
//! so that every node holding the same tokens accepts them.
//!
//! With no token configured the service is open (it listens on loopback
//! only) and everyone is the operator `local`. With tokens, every `/v1` route
//! needs one (reads too: leads are personal data), writes need the operator
//! role, and every write is recorded with the caller's name.

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything, changes nothing.
    Viewer,
    /// Reads and acts: work items, reps, policies, rollouts.
    Operator,
}

impl Role {
    /// The role as written in configuration and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
        }
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// No tokens are configured: the service is open on loopback.
    Open,
    /// An `Authorization: Bearer` header.
    Bearer,
    /// The workbench's sign-in cookie.
    Session,
}

/// The caller of one request, put in the request's extensions by the access check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The token's name (`service` for the `--token-file` token, `local` when open).
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// How they signed in.
    pub via: Via,
}

impl Actor {
    /// Whether the caller is a person named by their own token (not the
    /// shared service token nor the open service), so their name is the
    /// operator name recorded for their actions.
    pub fn is_personal(&self) -> bool {
        self.via != Via::Open && self.name != SERVICE_TOKEN_NAME
    }
}

/// The name of the `--token-file` / `LEADROUTE_TOKEN` token.
pub const SERVICE_TOKEN_NAME: &str = "service";

/// One named token in the configuration file.
///
/// ```toml
/// [[access.token]]
/// name = "ana"
/// role = "operator"            # or "viewer"
/// token_env = "LEADROUTE_TOKEN_ANA"
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Who holds it: recorded with every action they take.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The environment variable that holds the token.
    pub token_env: Option<String>,
    /// Or a file that holds it.
    pub token_file: Option<String>,
}

/// The `[access]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessConfig {
    /// Named tokens.
    #[serde(default, rename = "token")]
    pub tokens: Vec<TokenConfig>,
    /// How long a workbench sign-in lasts (default `12h`).
    pub session: Option<String>,
}

/// The tokens the service accepts, and the key its sessions are signed with.
#[derive(Clone, Default)]
pub struct Access {
    tokens: Vec<(String, Role, String)>,
    key: Vec<u8>,
    session_ms: i64,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a token.
        f.debug_struct("Access").field("names", &self.tokens.iter().map(|t| (&t.0, t.1)).collect::<Vec<_>>()).finish()
    }
}

const MIN_TOKEN: usize = 16;

impl Access {
    /// The access rules from the service token (if any) and the `[access]`
    /// section; `env` reads environment variables. Every token must be at
    /// least 16 characters and unique, every name unique.
    pub fn new(service_token: Option<&str>, config: &AccessConfig, env: impl Fn(&str) -> Option<String>) -> Result<Access, String> {
        let mut tokens = Vec::new();
        if let Some(t) = service_token {
            tokens.push((SERVICE_TOKEN_NAME.to_string(), Role::Operator, t.to_string()));
        }
        for t in &config.tokens {
            let name = t.name.trim();
            if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_alphanumeric() || "._@-".contains(c)) {
                return Err(format!("access.token `{}`: a name is 1-64 letters, digits, `.`, `_`, `@` or `-`", t.name));
            }
            let secret = match (&t.token_env, &t.token_file) {
                (Some(var), None) => env(var).ok_or_else(|| format!("access.token `{name}`: the environment variable {var} (token_env) is not set"))?,
                (None, Some(path)) => std::fs::read_to_string(path).map_err(|e| format!("access.token `{name}`: cannot read token_file `{path}`: {e}"))?,
                _ => return Err(format!("access.token `{name}`: give exactly one of token_env and token_file")),
            };
            let secret = secret.trim().to_string();
            if secret.len() < MIN_TOKEN {
                return Err(format!("access.token `{name}`: the token is shorter than {MIN_TOKEN} characters; use a long random string (e.g. `openssl rand -hex 32`)"));
            }
            if tokens.iter().any(|(n, _, _)| n == name) {
                return Err(format!("access.token `{name}` is named twice (`{SERVICE_TOKEN_NAME}` is the --token-file token)"));
            }
            if tokens.iter().any(|(_, _, s)| *s == secret) {
                return Err(format!("access.token `{name}`: its token is also another name's; give each person their own"));
            }
            tokens.push((name.to_string(), t.role, secret));
        }
        let session_ms = match &config.session {
            None => 12 * 3_600_000,
            Some(d) => crate::config::duration(d, "access.session")?.as_millis() as i64,
        };
        // Sessions are signed with a key derived from every token: the same
        // configuration on every node accepts the same sessions, and changing
        // any token signs everyone out.
        let mut mac = hmac_sha256(b"leadroute-session-key-v1");
        for (n, r, s) in &tokens {
            mac.update(format!("{}:{n}:{}:{s}\n", n.len(), r.as_str()).as_bytes());
        }
        let key = mac.finalize().into_bytes().to_vec();
        Ok(Access { tokens, key, session_ms })
    }

    /// Whether any token is configured (otherwise the service is open).
    pub fn is_protected(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// How long a session lasts (ms).
    pub fn session_ms(&self) -> i64 {
        self.session_ms
    }

    /// The caller a bearer token belongs to, compared in constant time.
    pub fn by_token(&self, given: &str) -> Option<Actor> {
        let mut found = None;
        for (name, role, secret) in &self.tokens {
            if same_secret(given.trim().as_bytes(), secret.as_bytes()) {
                found = Some(Actor { name: name.clone(), role: *role, via: Via::Bearer });
            }
        }
        found
    }

    /// A signed session value for `actor`, valid until `until` (ms).
    pub fn session_for(&self, actor: &Actor, until: i64) -> String {
        let body = format!("{}|{}|{until}", actor.role.as_str(), actor.name);
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body);
        let mut mac = hmac_sha256(&self.key);
        mac.update(body.as_bytes());
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{body}.{sig}")
    }

    /// The caller of a session value, if it is signed by this configuration,
    /// names a token that still exists with the same role, and has not expired at `now`.
    pub fn by_session(&self, value: &str, now: i64) -> Option<Actor> {
        let (body, sig) = value.split_once('.')?;
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sig).ok()?;
        let mut mac = hmac_sha256(&self.key);
        mac.update(body.as_bytes());
        mac.verify_slice(&sig).ok()?;
        let text = String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
        let mut parts = text.splitn(3, '|');
        let (role, name, until) = (parts.next()?, parts.next()?, parts.next()?.parse::<i64>().ok()?);
        if until <= now {
            return None;
        }
        let (name, role, _) = self.tokens.iter().find(|(n, r, _)| n == name && r.as_str() == role)?;
        Some(Actor { name: name.clone(), role: *role, via: Via::Session })
    }

    /// The names and roles configured, for the sign-in page's hint (never the tokens).
    pub fn names(&self) -> BTreeMap<String, &'static str> {
        self.tokens.iter().map(|(n, r, _)| (n.clone(), r.as_str())).collect()
    }
}

fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length, so this cannot fail.
    #[allow(clippy::expect_used)]
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length")
}

/// Compares in time independent of where the strings differ.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    diff == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn access() -> Access {
        let config: AccessConfig = toml::from_str(
            "[[token]]\nname = \"ana\"\nrole = \"operator\"\ntoken_env = \"A\"\n[[token]]\nname = \"vic\"\nrole = \"viewer\"\ntoken_env = \"V\"\n",
        )
        .unwrap();
        Access::new(Some("service-token-0123456789"), &config, |v| Some(format!("{v}-token-0123456789abcdef"))).unwrap()
    }

    #[test]
    fn tokens_name_their_holder_and_role() {
        let a = access();
        assert_eq!(a.by_token("A-token-0123456789abcdef").unwrap().name, "ana");
        assert_eq!(a.by_token("V-token-0123456789abcdef").unwrap().role, Role::Viewer);
        assert_eq!(a.by_token("service-token-0123456789").unwrap().name, "service");
        assert!(a.by_token("V-token-0123456789abcdeX").is_none());
        assert!(a.by_token("").is_none());
    }

    #[test]
    fn sessions_are_signed_and_expire() {
        let a = access();
        let ana = a.by_token("A-token-0123456789abcdef").unwrap();
        let s = a.session_for(&ana, 1_000);
        assert_eq!(a.by_session(&s, 999).unwrap().name, "ana");
        assert!(a.by_session(&s, 1_000).is_none(), "expired at its end");
        // Forged: a viewer's session rewritten to operator keeps the old signature.
        let vic = a.by_token("V-token-0123456789abcdef").unwrap();
        let v = a.session_for(&vic, 5_000);
        let (_, sig) = v.split_once('.').unwrap();
        let forged = format!("{}.{sig}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("operator|vic|5000"));
        assert!(a.by_session(&forged, 0).is_none());
        // Another configuration (a rotated token) does not accept it.
        let other = Access::new(Some("another-service-token-xyz"), &AccessConfig::default(), |_| None).unwrap();
        assert!(other.by_session(&s, 0).is_none());
    }

    #[test]
    fn bad_configuration_is_named() {
        let cfg: AccessConfig = toml::from_str("[[token]]\nname = \"ana\"\nrole = \"operator\"\ntoken_env = \"A\"\n").unwrap();
        assert!(Access::new(None, &cfg, |_| None).unwrap_err().contains("A (token_env) is not set"));
        assert!(Access::new(None, &cfg, |_| Some("short".into())).unwrap_err().contains("shorter than 16"));
        assert!(toml::from_str::<AccessConfig>("[[token]]\nname = \"x\"\nrole = \"admin\"\ntoken_env = \"A\"\n").is_err());
    }
}
