//! The service configuration file (`serve --config service.toml`): delivery
//! destinations (a Standard Webhooks endpoint, Salesforce, HubSpot), retry
//! and circuit-breaker settings, notifications and timers. Secrets come from
//! environment variables named here, never from the file or the policy.
//!
//! ```toml
//! [delivery]
//! max_attempts = 8          # then the lead becomes a `crm_error` work item
//! base_delay = "1s"         # exponential backoff with jitter, from here ...
//! max_delay = "10m"         # ... up to here; Retry-After on 429/503 wins when longer
//! error_queue = "crm_errors"
//!
//! [[destination]]
//! name = "crm"
//! kind = "webhook"          # webhook | salesforce | hubspot
//! url = "https://crm.example/hooks/leadroute"
//! secret_env = "LEADROUTE_WEBHOOK_SECRET"   # whsec_... (Standard Webhooks)
//! timeout = "10s"
//! rate_per_second = 20      # protects the CRM's API quota
//! breaker_failures = 5      # consecutive failures that open the breaker
//! breaker_open = "30s"      # then one probe; success closes it
//!
//! [notifications]
//! url = "https://hooks.slack.com/services/..."   # Slack-compatible {"text": ...}
//!
//! [timers]
//! tick = "1s"               # how often due SLA timers are looked for
//!
//! [access]
//! session = "12h"           # how long a workbench sign-in lasts
//! [[access.token]]          # one per person; the --token-file token is `service`
//! name = "ana"
//! role = "operator"         # operator | viewer
//! token_env = "LEADROUTE_TOKEN_ANA"
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// Retry settings shared by every destination.
    #[serde(default)]
    pub delivery: DeliveryConfig,
    /// Where assignments are delivered.
    #[serde(default, rename = "destination")]
    pub destinations: Vec<DestinationConfig>,
    /// Where notifications go.
    #[serde(default)]
    pub notifications: Option<NotificationConfig>,
    /// SLA timers.
    #[serde(default)]
    pub timers: TimerConfig,
    /// Named tokens with roles, and how long a workbench sign-in lasts.
    #[serde(default)]
    pub access: crate::access::AccessConfig,
}

/// Retries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryConfig {
    /// Attempts before the delivery fails for good.
    pub max_attempts: u32,
    /// First retry delay.
    pub base_delay: String,
    /// Longest retry delay.
    pub max_delay: String,
    /// The work-item queue for deliveries that failed for good.
    pub error_queue: String,
    /// How long a worker holds a claimed delivery before another may retry it.
    pub claim_timeout: String,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig { max_attempts: 8, base_delay: "1s".into(), max_delay: "10m".into(), error_queue: "crm_errors".into(), claim_timeout: "60s".into() }
    }
}

/// The kinds of destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationKind {
    /// A generic webhook signed as the Standard Webhooks specification says.
    Webhook,
    /// Salesforce REST API: PATCH the Lead's `OwnerId`.
    Salesforce,
    /// HubSpot CRM v3: PATCH the contact's `hubspot_owner_id`.
    Hubspot,
}

/// One destination.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestinationConfig {
    /// Its name (in the outbox and metrics).
    pub name: String,
    /// What it speaks.
    pub kind: DestinationKind,
    /// Webhook URL, or the CRM's base URL (`https://acme.my.salesforce.com`, `https://api.hubapi.com`).
    pub url: String,
    /// Environment variable with the webhook secret (`whsec_...`) or the CRM's bearer token.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// Per-request timeout.
    #[serde(default = "default_timeout")]
    pub timeout: String,
    /// Requests per second at most (none: no limit).
    #[serde(default)]
    pub rate_per_second: Option<u32>,
    /// Consecutive failures that open the breaker.
    #[serde(default = "default_breaker_failures")]
    pub breaker_failures: u32,
    /// How long the breaker stays open before a probe.
    #[serde(default = "default_breaker_open")]
    pub breaker_open: String,
    /// Rep id -> CRM user id (Salesforce `OwnerId`, HubSpot owner id).
    #[serde(default)]
    pub users: BTreeMap<String, String>,
    /// The lead field holding the CRM record id (Salesforce Lead id, HubSpot contact id).
    #[serde(default)]
    pub record_id_field: Option<String>,
    /// Salesforce API version.
    #[serde(default = "default_sf_version")]
    pub api_version: String,
}

fn default_timeout() -> String {
    "10s".into()
}
fn default_breaker_failures() -> u32 {
    5
}
fn default_breaker_open() -> String {
    "30s".into()
}
fn default_sf_version() -> String {
    "v61.0".into()
}

/// Notifications (Slack-compatible incoming webhook).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationConfig {
    /// The webhook URL.
    pub url: String,
    /// Per-request timeout.
    #[serde(default = "default_timeout")]
    pub timeout: String,
}

/// SLA timers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimerConfig {
    /// How often the service looks for due timers.
    pub tick: String,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig { tick: "1s".into() }
    }
}

/// Parses `500ms`, `1s`, `10m`, `2h`, `1d`.
pub fn duration(text: &str, what: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("{what}: {text:?} is not a duration like \"500ms\", \"1s\", \"10m\", \"2h\""))?;
    let ms = match unit {
        "ms" => n,
        "s" => n * 1_000,
        "m" => n * 60_000,
        "h" => n * 3_600_000,
        "d" => n * 86_400_000,
        _ => return Err(format!("{what}: {text:?} has no unit; write ms, s, m, h or d")),
    };
    Ok(Duration::from_millis(ms))
}

impl ServiceConfig {
    /// Reads and checks a configuration file's text: every duration parses,
    /// names are unique, the secrets it names are set.
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<ServiceConfig, String> {
        let config: ServiceConfig = toml::from_str(text).map_err(|e| format!("service configuration: {e}"))?;
        duration(&config.delivery.base_delay, "delivery.base_delay")?;
        duration(&config.delivery.max_delay, "delivery.max_delay")?;
        duration(&config.delivery.claim_timeout, "delivery.claim_timeout")?;
        duration(&config.timers.tick, "timers.tick")?;
        if config.delivery.max_attempts == 0 {
            return Err("delivery.max_attempts must be at least 1".into());
        }
        let mut names = std::collections::BTreeSet::new();
        for d in &config.destinations {
            if !names.insert(d.name.as_str()) {
                return Err(format!("destination `{}` is named twice", d.name));
            }
            duration(&d.timeout, &format!("destination `{}`: timeout", d.name))?;
            duration(&d.breaker_open, &format!("destination `{}`: breaker_open", d.name))?;
            if !(d.url.starts_with("http://") || d.url.starts_with("https://")) {
                return Err(format!("destination `{}`: url must start with https:// (or http:// for a local test)", d.name));
            }
            match (&d.secret_env, d.kind) {
                (Some(var), _) if env(var).is_none_or(|v| v.is_empty()) => {
                    return Err(format!("destination `{}`: the environment variable {var} (secret_env) is not set", d.name))
                }
                (None, DestinationKind::Salesforce | DestinationKind::Hubspot) => {
                    return Err(format!("destination `{}`: a CRM needs secret_env naming the variable that holds its access token", d.name))
                }
                _ => {}
            }
            if d.kind != DestinationKind::Webhook && d.record_id_field.is_none() {
                return Err(format!("destination `{}`: record_id_field must name the lead field that holds the CRM record id", d.name));
            }
        }
        if let Some(s) = &config.access.session {
            duration(s, "access.session")?;
        }
        if let Some(n) = &config.notifications {
            duration(&n.timeout, "notifications.timeout")?;
        }
        Ok(config)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(duration("250ms", "x").unwrap(), Duration::from_millis(250));
        assert_eq!(duration("10m", "x").unwrap(), Duration::from_secs(600));
        assert!(duration("10", "x").unwrap_err().contains("no unit"));
        assert!(duration("soon", "x").is_err());
    }

    #[test]
    fn a_missing_secret_is_named() {
        let text = "[[destination]]\nname = \"crm\"\nkind = \"webhook\"\nurl = \"https://x.example\"\nsecret_env = \"NOPE\"\n";
        let err = ServiceConfig::parse(text, |_| None).unwrap_err();
        assert!(err.contains("NOPE"), "{err}");
        assert!(ServiceConfig::parse(text, |_| Some("whsec_abc".into())).is_ok());
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(ServiceConfig::parse("[delivery]\nmax_attemps = 3\n", |_| None).unwrap_err().contains("max_attemps"));
    }
}
