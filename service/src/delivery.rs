//! Delivery workers: claim due outbox rows, send each to its destination (a
//! Standard Webhooks endpoint, Salesforce, HubSpot, or the notification
//! webhook), and record the result. Retries back off exponentially with
//! jitter and honour `Retry-After`; a destination's circuit breaker opens
//! after consecutive failures and lets one probe through when it half-opens;
//! a rate limit keeps the CRM's API quota. A delivery that fails for good
//! goes to the decider, which turns it into a `crm_error` work item.
//!
//! Delivery is at least once with a stable id per row (`webhook-id`,
//! `Idempotency-Key`): a row claimed by a worker that died is retried after
//! its claim expires, so receivers see each assignment once in effect.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use sqlx::Row;
use tokio::sync::mpsc;

use crate::clock::Clock;
use crate::config::{duration, DestinationConfig, DestinationKind, ServiceConfig};
use crate::decider::Command;
use crate::store::{Context, Dialect, Store, StoreError};

/// One destination's circuit breaker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breaker {
    /// Requests flow; counts consecutive failures.
    Closed {
        /// Consecutive failures so far.
        failures: u32,
    },
    /// Requests wait until this time (ms).
    Open {
        /// When a probe may go.
        until: i64,
    },
    /// One probe is in flight.
    HalfOpen,
}

impl Breaker {
    /// Whether a request may go at `now`; an open breaker past its time lets one probe through.
    pub fn allow(&mut self, now: i64) -> bool {
        match *self {
            Breaker::Closed { .. } => true,
            Breaker::Open { until } if now >= until => {
                *self = Breaker::HalfOpen;
                true
            }
            Breaker::Open { .. } | Breaker::HalfOpen => false,
        }
    }

    /// A success closes it.
    pub fn success(&mut self) {
        *self = Breaker::Closed { failures: 0 };
    }

    /// A failure; returns true when this one opened the breaker.
    pub fn failure(&mut self, now: i64, threshold: u32, open_ms: i64) -> bool {
        match *self {
            Breaker::Closed { failures } if failures + 1 >= threshold => {
                *self = Breaker::Open { until: now + open_ms };
                true
            }
            Breaker::Closed { failures } => {
                *self = Breaker::Closed { failures: failures + 1 };
                false
            }
            Breaker::HalfOpen | Breaker::Open { .. } => {
                *self = Breaker::Open { until: now + open_ms };
                false
            }
        }
    }

    /// When requests may go again (for rescheduling), if open.
    pub fn open_until(&self) -> Option<i64> {
        match self {
            Breaker::Open { until } => Some(*until),
            _ => None,
        }
    }
}

type Limiter = governor::DefaultDirectRateLimiter;

struct Destination {
    config: DestinationConfig,
    secret: Option<String>,
    timeout: Duration,
    open_ms: i64,
    breaker: Mutex<Breaker>,
    limiter: Option<Limiter>,
}

/// The outcome of one attempt.
#[derive(Debug)]
enum Sent {
    Delivered(u16),
    /// Worth retrying (5xx, 429, 408, network, timeout), with the server's `Retry-After` if any.
    Retry { status: Option<u16>, error: String, retry_after: Option<Duration> },
    /// Will not succeed on retry (another 4xx, a missing mapping).
    Permanent { status: Option<u16>, error: String },
}

/// The delivery workers' shared set-up.
pub struct Delivery {
    store: Store,
    clock: Arc<dyn Clock>,
    decider: mpsc::Sender<Command>,
    client: reqwest::Client,
    destinations: BTreeMap<String, Destination>,
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    claim_ms: i64,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery").field("destinations", &self.destinations.keys().collect::<Vec<_>>()).finish()
    }
}

/// Installs the TLS crypto provider (ring) for every reqwest client of the process; idempotent.
pub fn installs_crypto() {
    // reqwest is built without a TLS provider of its own: ring, installed once.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Delivery {
    /// Sets up every destination of `config` (secrets read through `env`).
    pub fn new(store: Store, clock: Arc<dyn Clock>, decider: mpsc::Sender<Command>, config: &ServiceConfig, env: impl Fn(&str) -> Option<String>) -> Result<Delivery, String> {
        installs_crypto();
        let client = reqwest::Client::builder().build().map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let mut destinations = BTreeMap::new();
        let mut all: Vec<DestinationConfig> = config.destinations.clone();
        if let Some(n) = &config.notifications {
            all.push(DestinationConfig {
                name: crate::decider::NOTIFICATIONS.into(),
                kind: DestinationKind::Webhook,
                url: n.url.clone(),
                secret_env: None,
                timeout: n.timeout.clone(),
                rate_per_second: None,
                breaker_failures: 5,
                breaker_open: "30s".into(),
                users: BTreeMap::new(),
                record_id_field: None,
                api_version: String::new(),
            });
        }
        for d in all {
            let limiter = d.rate_per_second.and_then(std::num::NonZeroU32::new).map(|n| governor::RateLimiter::direct(governor::Quota::per_second(n)));
            let secret = d.secret_env.as_deref().and_then(&env);
            destinations.insert(
                d.name.clone(),
                Destination {
                    timeout: duration(&d.timeout, "timeout")?,
                    open_ms: duration(&d.breaker_open, "breaker_open")?.as_millis() as i64,
                    breaker: Mutex::new(Breaker::Closed { failures: 0 }),
                    limiter,
                    secret,
                    config: d,
                },
            );
        }
        Ok(Delivery {
            store,
            clock,
            decider,
            client,
            destinations,
            max_attempts: config.delivery.max_attempts,
            base_delay: duration(&config.delivery.base_delay, "base_delay")?,
            max_delay: duration(&config.delivery.max_delay, "max_delay")?,
            claim_ms: duration(&config.delivery.claim_timeout, "claim_timeout")?.as_millis() as i64,
        })
    }

    /// Whether anything is configured to deliver to.
    pub fn is_empty(&self) -> bool {
        self.destinations.is_empty()
    }

    /// Runs until `stop` flips: claims due rows and delivers them.
    pub async fn run(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                break;
            }
            let claimed = match self.claim().await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!("delivery: {e}");
                    Vec::new()
                }
            };
            let busy = !claimed.is_empty();
            let mut tasks = Vec::new();
            for row in claimed {
                let me = self.clone();
                tasks.push(tokio::spawn(async move { me.deliver(row).await }));
            }
            for t in tasks {
                let _ = t.await;
            }
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }

    async fn claim(&self) -> Result<Vec<Claimed>, StoreError> {
        let now = self.clock.now_ms();
        let lock = if self.store.dialect == Dialect::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE outbox SET claimed_until = $1 WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_at <= $2 \
             AND (claimed_until IS NULL OR claimed_until < $2) ORDER BY id LIMIT 16 {lock}) \
             AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < $2) \
             RETURNING id, destination, kind, payload, attempts"
        );
        let rows = sqlx::query(&sql).bind(now + self.claim_ms).bind(now).fetch_all(&self.store.pool).await.ctx("claim deliveries")?;
        rows.iter()
            .map(|r| {
                Ok(Claimed {
                    id: r.try_get("id")?,
                    destination: r.try_get("destination")?,
                    kind: r.try_get("kind")?,
                    payload: r.try_get("payload")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .ctx("read claimed deliveries")
    }

    async fn deliver(&self, row: Claimed) {
        let now = self.clock.now_ms();
        let Some(dest) = self.destinations.get(&row.destination) else {
            self.give_up(&row, None, format!("destination `{}` is not in the service configuration", row.destination)).await;
            return;
        };
        let allowed = dest.breaker.lock().map(|mut b| b.allow(now)).unwrap_or(true);
        if !allowed {
            // Not an attempt: wait for the breaker (no load on a failing CRM).
            let until = dest.breaker.lock().ok().and_then(|b| b.open_until()).unwrap_or(now + 1000);
            let _ = self.reschedule(&row, row.attempts, until.max(now + 50), None, "circuit breaker open").await;
            return;
        }
        if let Some(l) = &dest.limiter {
            l.until_ready().await;
        }
        let sent = self.send(dest, &row).await;
        let attempts = row.attempts + 1;
        metrics::counter!("leadroute_delivery_attempts_total", "destination" => row.destination.clone()).increment(1);
        match sent {
            Sent::Delivered(status) => {
                if let Ok(mut b) = dest.breaker.lock() {
                    b.success();
                }
                metrics::gauge!("leadroute_breaker_open", "destination" => row.destination.clone()).set(0.0);
                let done = sqlx::query("UPDATE outbox SET status = 'delivered', delivered_at = $1, attempts = $2, last_status = $3, claimed_until = NULL WHERE id = $4")
                    .bind(self.clock.now_ms())
                    .bind(attempts)
                    .bind(i64::from(status))
                    .bind(row.id)
                    .execute(&self.store.pool)
                    .await;
                if let Err(e) = done {
                    tracing::warn!("delivery {}: delivered, but recording it failed ({e}); it will be sent again", row.id);
                }
            }
            Sent::Retry { status, error, retry_after } => {
                self.failed(dest, &row).await;
                if attempts >= i64::from(self.max_attempts) {
                    self.give_up(&row, status, format!("{error} (after {attempts} attempts)")).await;
                } else {
                    let backoff = self.backoff(row.id, attempts);
                    let wait = retry_after.map_or(backoff, |r| r.max(backoff));
                    let _ = self.reschedule(&row, attempts, now + wait.as_millis() as i64, status, &error).await;
                }
            }
            Sent::Permanent { status, error } => {
                self.failed(dest, &row).await;
                self.give_up(&row, status, error).await;
            }
        }
    }

    async fn failed(&self, dest: &Destination, row: &Claimed) {
        let now = self.clock.now_ms();
        let opened = dest.breaker.lock().map(|mut b| b.failure(now, dest.config.breaker_failures.max(1), dest.open_ms)).unwrap_or(false);
        if opened {
            metrics::gauge!("leadroute_breaker_open", "destination" => row.destination.clone()).set(1.0);
            if row.destination != crate::decider::NOTIFICATIONS {
                let text = format!("Circuit breaker opened for `{}` after {} consecutive failures; deliveries wait {} ms", row.destination, dest.config.breaker_failures, dest.open_ms);
                let (tx, _rx) = tokio::sync::oneshot::channel();
                let _ = self.decider.send(Command::Notify(text, tx)).await;
            }
        }
    }

    /// Exponential backoff with jitter for the `attempts`-th retry; the
    /// jitter is seeded by the row and attempt, so a schedule is reproducible.
    fn backoff(&self, id: i64, attempts: i64) -> Duration {
        use backon::BackoffBuilder;
        let mut it = backon::ExponentialBuilder::default()
            .with_min_delay(self.base_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_jitter()
            .with_jitter_seed((id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ attempts as u64)
            .without_max_times()
            .build();
        it.nth((attempts.max(1) - 1) as usize).unwrap_or(self.max_delay)
    }

    async fn reschedule(&self, row: &Claimed, attempts: i64, next_at: i64, status: Option<u16>, error: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET attempts = $1, next_at = $2, last_status = $3, last_error = $4, claimed_until = NULL WHERE id = $5")
            .bind(attempts)
            .bind(next_at)
            .bind(status.map(i64::from))
            .bind(error)
            .bind(row.id)
            .execute(&self.store.pool)
            .await
            .ctx("reschedule a delivery")?;
        Ok(())
    }

    async fn give_up(&self, row: &Claimed, status: Option<u16>, error: String) {
        let _ = sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_status = $1 WHERE id = $2").bind(status.map(i64::from)).bind(row.id).execute(&self.store.pool).await;
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.decider.send(Command::DeliveryFailed(row.id, error, tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    async fn send(&self, dest: &Destination, row: &Claimed) -> Sent {
        let msg_id = format!("msg_{}", row.id);
        let request = match build_request(&self.client, dest, row, &msg_id, self.clock.now_ms()) {
            Ok(r) => r,
            Err(e) => return Sent::Permanent { status: None, error: e },
        };
        match request.timeout(dest.timeout).send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                if resp.status().is_success() {
                    return Sent::Delivered(status);
                }
                let retry_after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| retry_after(v, self.clock.now_ms()));
                let body: String = resp.text().await.unwrap_or_default().chars().take(300).collect();
                let error = format!("HTTP {status} from `{}`: {body}", dest.config.name);
                if matches!(status, 408 | 409 | 425 | 429) || status >= 500 {
                    Sent::Retry { status: Some(status), error, retry_after }
                } else {
                    Sent::Permanent { status: Some(status), error }
                }
            }
            Err(e) => Sent::Retry { status: None, error: format!("`{}`: {}", dest.config.name, if e.is_timeout() { "timed out".to_string() } else { e.to_string() }), retry_after: None },
        }
    }
}

/// A claimed outbox row.
#[derive(Debug)]
struct Claimed {
    id: i64,
    destination: String,
    kind: String,
    payload: String,
    attempts: i64,
}

/// `Retry-After`: seconds, or an HTTP date.
fn retry_after(v: &str, now: i64) -> Option<Duration> {
    if let Ok(s) = v.trim().parse::<u64>() {
        return Some(Duration::from_secs(s.min(86_400)));
    }
    let at = jiff::fmt::rfc2822::parse(v.trim()).ok()?.timestamp().as_millisecond();
    Some(Duration::from_millis((at - now).clamp(0, 86_400_000) as u64))
}

/// The Standard Webhooks signature: `v1,` + base64(HMAC-SHA256(key, "id.timestamp.body")),
/// the key being the base64 after `whsec_` (or the secret's bytes without it).
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = match secret.strip_prefix("whsec_") {
        Some(k) => b64.decode(k).unwrap_or_else(|_| k.as_bytes().to_vec()),
        None => secret.as_bytes().to_vec(),
    };
    // HMAC takes a key of any length.
    let mut mac = match <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", b64.encode(mac.finalize().into_bytes()))
}

fn build_request(client: &reqwest::Client, dest: &Destination, row: &Claimed, msg_id: &str, now: i64) -> Result<reqwest::RequestBuilder, String> {
    let c = &dest.config;
    if row.kind == "notification" || c.kind == DestinationKind::Webhook {
        let ts = now / 1000;
        let mut req = client
            .post(&c.url)
            .header("content-type", "application/json")
            .header("webhook-id", msg_id)
            .header("webhook-timestamp", ts.to_string())
            .body(row.payload.clone());
        if let Some(secret) = &dest.secret {
            req = req.header("webhook-signature", sign(secret, msg_id, ts, &row.payload));
        }
        return Ok(req);
    }
    let payload: serde_json::Value = serde_json::from_str(&row.payload).map_err(|e| format!("the stored payload is not JSON: {e}"))?;
    let data = &payload["data"];
    let rep = data["rep"].as_str().ok_or("the assignment names no rep")?;
    let user = c.users.get(rep).ok_or_else(|| format!("rep `{rep}` has no CRM user id in destination `{}`'s `users` mapping", c.name))?;
    let field = c.record_id_field.as_deref().unwrap_or("crm_id");
    let record = data["lead"][field].as_str().ok_or_else(|| format!("the lead has no `{field}` (the CRM record id)"))?;
    if record.is_empty() || !record.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_') {
        return Err(format!("the CRM record id {record:?} is not a valid id"));
    }
    let base = c.url.trim_end_matches('/');
    let (url, body) = match c.kind {
        DestinationKind::Salesforce => (format!("{base}/services/data/{}/sobjects/Lead/{record}", c.api_version), serde_json::json!({ "OwnerId": user })),
        DestinationKind::Hubspot => (format!("{base}/crm/v3/objects/contacts/{record}"), serde_json::json!({ "properties": { "hubspot_owner_id": user } })),
        DestinationKind::Webhook => unreachable_webhook(),
    };
    let mut req = client.patch(url).header("content-type", "application/json").header("idempotency-key", msg_id).body(body.to_string());
    if let Some(token) = &dest.secret {
        req = req.bearer_auth(token);
    }
    Ok(req)
}

/// Webhooks return above; kept as a function so the match stays total without a panic.
fn unreachable_webhook() -> (String, serde_json::Value) {
    (String::new(), serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_the_standard_webhooks_example() {
        // From the Standard Webhooks specification's test vectors.
        let sig = sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, r#"{"test": 2432232314}"#);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn the_breaker_opens_after_consecutive_failures_and_probes_once() {
        let mut b = Breaker::Closed { failures: 0 };
        assert!(!b.failure(0, 3, 1000));
        assert!(!b.failure(0, 3, 1000));
        assert!(b.failure(10, 3, 1000), "the third failure opens it");
        assert!(!b.allow(500), "open: nothing goes");
        assert!(b.allow(1010), "half-open: one probe");
        assert!(!b.allow(1011), "only one probe at a time");
        assert!(!b.failure(1020, 3, 1000), "a failed probe re-opens it");
        assert_eq!(b.open_until(), Some(2020));
        assert!(b.allow(2020));
        b.success();
        assert_eq!(b, Breaker::Closed { failures: 0 });
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after("7", 0), Some(Duration::from_secs(7)));
        let now = jiff::Timestamp::from_second(1_700_000_000).map(|t| t.as_millisecond()).unwrap_or(0);
        assert_eq!(retry_after("Tue, 14 Nov 2023 22:13:30 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(retry_after("soon", 0), None);
    }
}
