//! CRM delivery through the outbox, against a scripted fake CRM over
//! loopback that fails, rate-limits, times out and answers slowly.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::harness::*;
use crate::work_items::ops_lead;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// How the fake answers one request.
#[derive(Debug, Clone, Copy)]
pub enum Act {
    Ok,
    Status(u16),
    RetryAfter(u64),
    Slow(u64),
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    pub at: Instant,
}

#[derive(Default)]
pub struct Fake {
    script: VecDeque<Act>,
    /// Leads whose id contains this get a 400 (a permanent failure).
    refuse: Option<String>,
    /// Leads whose id contains this always get a 500.
    down: Option<String>,
    pub seen: Vec<Seen>,
}

type Shared = Arc<Mutex<Fake>>;

async fn handle(State(fake): State<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: String) -> Response {
    let act = {
        let mut f = fake.lock().expect("lock");
        f.seen.push(Seen {
            method: method.to_string(),
            path: uri.path().to_string(),
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string())).collect(),
            body: body.clone(),
            at: Instant::now(),
        });
        if f.refuse.as_ref().is_some_and(|r| body.contains(r.as_str())) {
            Act::Status(400)
        } else if f.down.as_ref().is_some_and(|r| body.contains(r.as_str())) {
            Act::Status(500)
        } else {
            f.script.pop_front().unwrap_or(Act::Ok)
        }
    };
    match act {
        Act::Ok => (StatusCode::OK, "{}").into_response(),
        Act::Status(s) => (StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), "{\"error\":\"scripted\"}").into_response(),
        Act::RetryAfter(secs) => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", secs.to_string())], "slow down").into_response(),
        Act::Slow(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            (StatusCode::OK, "{}").into_response()
        }
    }
}

/// Starts the fake on 127.0.0.1 at a free port.
pub async fn fake_crm(script: Vec<Act>, refuse: Option<&str>, down: Option<&str>) -> (Shared, u16) {
    let fake: Shared = Arc::new(Mutex::new(Fake { script: script.into(), refuse: refuse.map(str::to_string), down: down.map(str::to_string), seen: Vec::new() }));
    let app = axum::Router::new().fallback(handle).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake CRM");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (fake, port)
}

fn config(port: u16, extra: &str) -> std::path::PathBuf {
    let path = scratch("config").join("service.toml");
    let text = format!(
        "[delivery]\nmax_attempts = 5\nbase_delay = \"20ms\"\nmax_delay = \"200ms\"\nclaim_timeout = \"1s\"\n\n\
         [[destination]]\nname = \"crm\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{port}/hook\"\nsecret_env = \"LR_TEST_WEBHOOK_SECRET\"\n\
         timeout = \"300ms\"\n{extra}\n\n[notifications]\nurl = \"http://127.0.0.1:{port}/slack\"\n\n[timers]\ntick = \"100ms\"\n"
    );
    std::fs::write(&path, text).expect("write the config");
    path
}

fn start(db: &Db, config: &std::path::Path) -> Start {
    let mut s = Start::new(db);
    s.policy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/service/ops_policy.route");
    s.args = vec!["--config".into(), config.display().to_string()];
    s.env.push(("LR_TEST_WEBHOOK_SECRET".into(), SECRET.into()));
    s.env.push(("LR_TEST_CRM_TOKEN".into(), "crm-token-123".into()));
    s
}

/// Distinct webhook ids the fake saw on the hook path, with their lead ids.
fn delivered(fake: &Shared) -> BTreeMap<String, String> {
    let f = fake.lock().expect("lock");
    f.seen
        .iter()
        .filter(|s| s.path == "/hook")
        .filter_map(|s| {
            let id = s.headers.get("webhook-id")?.clone();
            let body: serde_json::Value = serde_json::from_str(&s.body).ok()?;
            Some((id, body["data"]["lead_id"].as_str().unwrap_or_default().to_string()))
        })
        .collect()
}

async fn wait_until(what: &str, secs: u64, mut ok: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(secs);
    while !ok() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_assignment_reaches_the_crm_once_in_effect_through_500s_429s_and_timeouts() {
    let script = vec![Act::Status(500), Act::Status(503), Act::RetryAfter(1), Act::Slow(800), Act::Status(500)];
    let (fake, port) = fake_crm(script, None, None).await;
    let cfg = config(port, "breaker_failures = 50");
    let server = Server::start(&start(&sqlite("deliver"), &cfg));
    let c = client();
    for i in 0..20 {
        let a = post(&c, format!("{}/v1/leads", server.base), ops_lead(&format!("D-{i}"), 90.0)).await.expect("answers");
        assert_eq!(a.json["outcome"], "assigned");
    }
    wait_until("20 deliveries", 60, || delivered(&fake).len() == 20).await;
    let got = delivered(&fake);
    let leads: std::collections::BTreeSet<&String> = got.values().collect();
    assert_eq!(leads.len(), 20, "one distinct delivery per assignment: {got:?}");
    // Every request is signed as Standard Webhooks says.
    for s in fake.lock().expect("lock").seen.iter().filter(|s| s.path == "/hook") {
        let (id, ts) = (&s.headers["webhook-id"], s.headers["webhook-timestamp"].parse::<i64>().expect("a timestamp"));
        assert_eq!(s.headers["webhook-signature"], leadroute_service::delivery::sign(SECRET, id, ts, &s.body));
    }
    // The lead shows its delivery and attempts.
    wait_until("the outbox to record them", 10, || true).await;
    let lead = get(&c, format!("{}/v1/leads/D-0", server.base)).await;
    let deliveries = lead.json["deliveries"].as_array().expect("deliveries").clone();
    assert_eq!(deliveries.len(), 1, "{}", lead.text);
    let m = get(&c, format!("{}/metrics", server.base)).await;
    assert!(m.text.contains("leadroute_delivery_attempts_total{destination=\"crm\"}"), "{}", m.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_breaker_opens_on_consecutive_failures_and_closes_when_the_crm_recovers() {
    let script = vec![Act::Status(500); 6];
    let (fake, port) = fake_crm(script, None, None).await;
    let cfg = config(port, "breaker_failures = 3\nbreaker_open = \"300ms\"");
    let server = Server::start(&start(&sqlite("breaker"), &cfg));
    let c = client();
    for i in 0..8 {
        post(&c, format!("{}/v1/leads", server.base), ops_lead(&format!("B-{i}"), 90.0)).await.expect("answers");
    }
    wait_until("8 deliveries", 60, || delivered(&fake).len() == 8).await;
    // The notification goes through the outbox too: it may arrive a moment later.
    let opened = |f: &Shared| f.lock().expect("lock").seen.iter().any(|s| s.path == "/slack" && s.body.contains("Circuit breaker opened"));
    wait_until("the breaker notification", 30, || opened(&fake)).await;
    let seen = fake.lock().expect("lock").seen.clone();
    let slack: Vec<&Seen> = seen.iter().filter(|s| s.path == "/slack").collect();
    assert!(slack.iter().any(|s| s.body.contains("Circuit breaker opened for `crm`")), "a notification says the breaker opened: {slack:?}");
    // While open, requests stopped: fewer hook requests than 6 failures + a retry for each of 8 leads at full speed would make.
    let hook_requests = seen.iter().filter(|s| s.path == "/hook").count();
    assert!(hook_requests <= 8 + 6 + 2, "the breaker held requests back: {hook_requests}");
    let m = get(&c, format!("{}/metrics", server.base)).await;
    assert!(m.text.contains("leadroute_breaker_open{destination=\"crm\"} 0"), "closed again: {}", m.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delivery_that_fails_for_good_becomes_a_crm_error_work_item() {
    let (_fake, port) = fake_crm(vec![], Some("PERM"), Some("DOWN")).await;
    let cfg = config(port, "breaker_failures = 100");
    let server = Server::start(&start(&sqlite("crmerror"), &cfg));
    let c = client();
    for id in ["PERM-1", "DOWN-1", "FINE-1"] {
        post(&c, format!("{}/v1/leads", server.base), ops_lead(id, 90.0)).await.expect("answers");
    }
    let mut items = Vec::new();
    let until = Instant::now() + Duration::from_secs(60);
    while items.len() < 2 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(100)).await;
        items = get(&c, format!("{}/v1/work-items?queue=crm_errors", server.base)).await.json["items"].as_array().cloned().unwrap_or_default();
    }
    assert_eq!(items.len(), 2, "PERM-1 (a 400) and DOWN-1 (500 after 5 attempts): {items:?}");
    let perm = items.iter().find(|i| i["lead_id"] == "PERM-1").expect("PERM-1");
    assert!(perm["detail"].as_str().is_some_and(|d| d.contains("HTTP 400")), "{perm}");
    assert_eq!(perm["reason"], "crm_error");
    let down = items.iter().find(|i| i["lead_id"] == "DOWN-1").expect("DOWN-1");
    assert!(down["detail"].as_str().is_some_and(|d| d.contains("after 5 attempts")), "{down}");
    let lead = get(&c, format!("{}/v1/leads/DOWN-1", server.base)).await;
    assert_eq!(lead.json["deliveries"][0]["status"], "failed", "{}", lead.text);
    assert_eq!(lead.json["deliveries"][0]["attempts"], 5);
    let fine = get(&c, format!("{}/v1/leads/FINE-1", server.base)).await;
    assert_eq!(fine.json["deliveries"][0]["status"], "delivered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_mid_delivery_loses_no_assignment() {
    let (fake, port) = fake_crm(vec![Act::Slow(250); 40], None, None).await;
    let cfg = config(port, "breaker_failures = 100");
    let db = sqlite("killdeliver");
    let mut s = start(&db, &cfg);
    let server = Server::start(&s);
    s.port = server.port;
    let c = client();
    for i in 0..15 {
        post(&c, format!("{}/v1/leads", server.base), ops_lead(&format!("K-{i}"), 90.0)).await.expect("answers");
    }
    wait_until("the first deliveries", 30, || fake.lock().expect("lock").seen.len() >= 3).await;
    server.kill9();
    let server = Server::start(&s);
    wait_until("all 15 delivered after the restart", 90, || delivered(&fake).len() == 15).await;
    let leads: std::collections::BTreeSet<String> = delivered(&fake).into_values().collect();
    assert_eq!(leads.len(), 15);
    for i in 0..15 {
        let lead = get(&c, format!("{}/v1/leads/K-{i}", server.base)).await;
        let d = &lead.json["deliveries"][0];
        assert!(d["status"] == "delivered" || d["status"] == "pending", "{}", lead.text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn salesforce_and_hubspot_get_their_own_request_shapes() {
    let (fake, port) = fake_crm(vec![], None, None).await;
    let path = scratch("crmconfig").join("service.toml");
    std::fs::write(
        &path,
        format!(
            "[[destination]]\nname = \"sfdc\"\nkind = \"salesforce\"\nurl = \"http://127.0.0.1:{port}\"\nsecret_env = \"LR_TEST_CRM_TOKEN\"\nrecord_id_field = \"crm_id\"\n\
             [destination.users]\na1 = \"005A1\"\na2 = \"005A2\"\na3 = \"005A3\"\n\n\
             [[destination]]\nname = \"hubspot\"\nkind = \"hubspot\"\nurl = \"http://127.0.0.1:{port}\"\nsecret_env = \"LR_TEST_CRM_TOKEN\"\nrecord_id_field = \"crm_id\"\n\
             [destination.users]\na1 = \"101\"\na2 = \"102\"\na3 = \"103\"\n"
        ),
    )
    .expect("write");
    let server = Server::start(&start(&sqlite("crms"), &path));
    let c = client();
    post(&c, format!("{}/v1/leads", server.base), ops_lead("S-1", 90.0)).await.expect("answers");
    wait_until("both CRMs", 30, || fake.lock().expect("lock").seen.len() >= 2).await;
    let seen = fake.lock().expect("lock").seen.clone();
    let sf = seen.iter().find(|s| s.path.starts_with("/services/")).expect("a Salesforce request");
    assert_eq!((sf.method.as_str(), sf.path.as_str()), ("PATCH", "/services/data/v61.0/sobjects/Lead/00QS-1"));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&sf.body).expect("JSON"), serde_json::json!({ "OwnerId": "005A1" }));
    assert_eq!(sf.headers["authorization"], "Bearer crm-token-123");
    let hs = seen.iter().find(|s| s.path.starts_with("/crm/")).expect("a HubSpot request");
    assert_eq!((hs.method.as_str(), hs.path.as_str()), ("PATCH", "/crm/v3/objects/contacts/00QS-1"));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&hs.body).expect("JSON"), serde_json::json!({ "properties": { "hubspot_owner_id": "101" } }));
    assert!(hs.headers.contains_key("idempotency-key"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_rate_limit_spaces_requests_to_the_crm() {
    let (fake, port) = fake_crm(vec![], None, None).await;
    let cfg = config(port, "rate_per_second = 4");
    let server = Server::start(&start(&sqlite("rate"), &cfg));
    let c = client();
    let body: String = (0..12).map(|i| ops_lead(&format!("Q-{i}"), 90.0) + "\n").collect();
    let b = send(c.post(format!("{}/v1/leads/batch", server.base)).body(body)).await.expect("answers");
    assert_eq!(b.status, 200);
    wait_until("12 deliveries", 60, || delivered(&fake).len() == 12).await;
    let times: Vec<Instant> = fake.lock().expect("lock").seen.iter().filter(|s| s.path == "/hook").map(|s| s.at).collect();
    let span = times.iter().max().expect("some").duration_since(*times.iter().min().expect("some"));
    // 4 per second with a burst of 4: the last 8 take at least ~2 s (a lower bound: a busy machine only adds).
    assert!(span >= Duration::from_millis(1_500), "12 deliveries at 4/s spread over {span:?}");
}

#[test]
fn serve_refuses_a_configuration_with_a_missing_secret() {
    let path = scratch("badconfig").join("service.toml");
    std::fs::write(&path, "[[destination]]\nname = \"crm\"\nkind = \"webhook\"\nurl = \"https://x.example\"\nsecret_env = \"LR_TEST_NOT_SET\"\n").expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leadroute"))
        .args(["serve", &policy_path().display().to_string(), "--config", &path.display().to_string(), "--db"])
        .arg(scratch("badconfig").join("x.db"))
        .env_remove("LR_TEST_NOT_SET")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("LR_TEST_NOT_SET"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_configuration_in_docs_operations_md_is_accepted() {
    let doc = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/operations.md")).expect("docs/operations.md");
    let start = doc.find("```toml\n").expect("a TOML example") + "```toml\n".len();
    let text = &doc[start..start + doc[start..].find("```").expect("the example ends")];
    let config = leadroute_service::config::ServiceConfig::parse(text, |_| Some("whsec_c2VjcmV0".into())).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.destinations.len(), 3);
    assert!(config.notifications.is_some());
    assert_eq!(config.delivery.max_attempts, 8);
}
