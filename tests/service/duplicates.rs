//! Duplicate leads in the service (`on duplicate(...)`), on SQLite and
//! PostgreSQL: the earlier lead is found in the decision's transaction, its
//! current owner gets the duplicate, and `leadroute replay` re-derives every
//! decision from the audit log.

use crate::harness::*;

/// How to start a server on the duplicate-lead policy with `handler` added.
fn dup_start(db: &Db, handler: &str) -> Start {
    let base = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/service/dup_policy.route")).expect("the test policy");
    let path = scratch("dup-policy").join("policy.route");
    std::fs::write(&path, format!("{base}{handler}\n")).expect("write the policy");
    let mut start = Start::new(db);
    start.policy = path;
    start
}

/// A server on the duplicate-lead policy with `handler` added, on a manual clock.
fn dup_server(db: &Db, handler: &str) -> Server {
    let mut start = dup_start(db, handler);
    start.args = vec!["--manual-clock".into(), CLOCK.into()];
    Server::start(&start)
}

/// A lead with this email, hot or warm.
fn dup_lead(id: &str, email: &str, intent: f64) -> String {
    serde_json::json!({ "id": id, "email": email, "intent": intent, "source": "web" }).to_string()
}

async fn decide(c: &reqwest::Client, base: &str, body: String) -> serde_json::Value {
    let a = post(c, format!("{base}/v1/leads"), body).await.expect("answers");
    assert_eq!(a.status, 200, "{}", a.text);
    a.json
}

async fn advance(c: &reqwest::Client, base: &str, by: &str) {
    let a = post(c, format!("{base}/v1/clock"), serde_json::json!({ "advance": by }).to_string()).await.expect("answers");
    assert_eq!(a.status, 200, "{}", a.text);
}

/// The audit log replays to the same decisions.
async fn replays_clean(c: &reqwest::Client, base: &str, db: &Db) {
    let (log, _) = audit(c, base).await;
    let (code, out) = replay(&log, &[]);
    assert_eq!(code, 0, "{}: {out}", db.kind);
    assert!(out.contains(" 0 different"), "{}: {out}", db.kind);
}

const PREVIOUS_OWNER: &str = "on duplicate(within 30d) -> assign previous owner else continue";

async fn previous_owner_window_and_normalized_key(db: &Db) {
    let server = dup_server(db, PREVIOUS_OWNER);
    let (c, base) = (client(), server.base.clone());
    let first = decide(&c, &base, dup_lead("D-1", " Ann@X.com ", 90.0)).await;
    assert_eq!(first["rep"], "a1", "{first}");
    assert!(first.get("duplicate_of").is_none(), "the first lead is no duplicate: {first}");
    // A retry of the same lead id is a replay of its decision, not a duplicate of itself.
    let again = decide(&c, &base, dup_lead("D-1", " Ann@X.com ", 90.0)).await;
    assert_eq!((again["replayed"].clone(), without_replayed(&again)), (true.into(), without_replayed(&first)), "{}", db.kind);
    // Same email, other spelling, an hour later: the previous owner, not the next in rotation (a2).
    advance(&c, &base, "1h").await;
    let dup = decide(&c, &base, dup_lead("D-2", "ann@x.com", 90.0)).await;
    assert_eq!((dup["rep"].clone(), dup["rule"].clone()), ("a1".into(), "on duplicate".into()), "{}: {dup}", db.kind);
    assert_eq!(dup["duplicate_of"], serde_json::json!({ "lead_id": "D-1", "decided_at": "2026-11-24T15:00:00Z", "owner": "a1", "team": "aes" }));
    assert!(dup["team"].is_null(), "assigned as the owner, not through the team: {dup}");
    // The stored lead re-derives its trace with the earlier lead it matched.
    let read = get(&c, format!("{base}/v1/leads/D-2?explain=true")).await;
    assert_eq!(read.json["trace_matches_decision"], true, "{}", read.text);
    assert!(read.json["decision"]["trace"].as_array().is_some_and(|t| t.iter().any(|s| s["step"] == "duplicate")), "{}", read.text);
    // 31 days after D-2: outside the window, routed normally (round robin goes on to a2).
    advance(&c, &base, "31d").await;
    let late = decide(&c, &base, dup_lead("D-3", "ann@x.com", 90.0)).await;
    assert!(late.get("duplicate_of").is_none(), "{}: {late}", db.kind);
    assert_eq!((late["rep"].clone(), late["rule"].clone()), ("a2".into(), "hot".into()), "{late}");
    // Another address: no duplicate.
    let other = decide(&c, &base, dup_lead("D-4", "bo@x.com", 90.0)).await;
    assert!(other.get("duplicate_of").is_none(), "{other}");
    replays_clean(&c, &base, db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_within_the_window_goes_to_the_previous_owner_and_later_ones_route_normally() {
    for db in databases("dup_window").await {
        previous_owner_window_and_normalized_key(&db).await;
    }
}

async fn unavailable_owner_takes_the_else(db: &Db) {
    let server = dup_server(db, PREVIOUS_OWNER);
    let (c, base) = (client(), server.base.clone());
    assert_eq!(decide(&c, &base, dup_lead("U-1", "cy@x.com", 90.0)).await["rep"], "a1");
    let off = send(c.patch(format!("{base}/v1/reps/a1")).header("content-type", "application/json").body(r#"{"active": false}"#)).await.expect("answers");
    assert_eq!(off.status, 200, "{}", off.text);
    let dup = decide(&c, &base, dup_lead("U-2", "cy@x.com", 90.0)).await;
    assert_eq!(dup["duplicate_of"]["lead_id"], "U-1", "{}: {dup}", db.kind);
    assert_eq!((dup["rep"].clone(), dup["rule"].clone()), ("a2".into(), "hot".into()), "`else continue` routes normally: {dup}");
    let handled: Vec<String> = dup["exceptions"].as_array().expect("exceptions").iter().map(|e| format!("{} -> {}", e["exception"], e["handled_by"])).collect();
    assert_eq!(handled, [format!("\"duplicate(U-1)\" -> \"{PREVIOUS_OWNER}\""), "\"no_available_rep\" -> \"else continue\"".to_string()]);
    replays_clean(&c, &base, db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_previous_owner_takes_the_else_branch() {
    for db in databases("dup_unavailable").await {
        unavailable_owner_takes_the_else(&db).await;
    }
}

async fn queue_variant(db: &Db) {
    let server = dup_server(db, "on duplicate(within 7d) -> queue dup_review");
    let (c, base) = (client(), server.base.clone());
    assert_eq!(decide(&c, &base, dup_lead("Q-1", "dee@x.com", 90.0)).await["rep"], "a1");
    let dup = decide(&c, &base, dup_lead("Q-2", "DEE@x.com", 90.0)).await;
    assert_eq!((dup["outcome"].clone(), dup["queue"].clone()), ("queued".into(), "dup_review".into()), "{}: {dup}", db.kind);
    assert_eq!(dup["duplicate_of"]["owner"], "a1");
    let items = get(&c, format!("{base}/v1/work-items?queue=dup_review")).await;
    assert!(items.json["items"].as_array().is_some_and(|i| i.iter().any(|x| x["lead_id"] == "Q-2")), "a person reviews it: {}", items.text);
    replays_clean(&c, &base, db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_handler_sends_duplicates_for_review() {
    for db in databases("dup_queue").await {
        queue_variant(&db).await;
    }
}

async fn by_key(db: &Db) {
    let server = dup_server(db, "on duplicate(within 30d, by company_domain) -> assign previous owner else continue");
    let (c, base) = (client(), server.base.clone());
    let lead = |id: &str, email: &str, domain: Option<&str>| {
        let mut v = serde_json::json!({ "id": id, "email": email, "intent": 90.0, "source": "web" });
        if let Some(d) = domain {
            v["company_domain"] = d.into();
        }
        v.to_string()
    };
    assert_eq!(decide(&c, &base, lead("K-1", "eve@acme.com", Some("acme.com"))).await["rep"], "a1");
    // Another person of the same company: the same owner.
    let dup = decide(&c, &base, lead("K-2", "fay@acme.com", Some("ACME.com"))).await;
    assert_eq!((dup["rep"].clone(), dup["duplicate_of"]["lead_id"].clone()), ("a1".into(), "K-1".into()), "{}: {dup}", db.kind);
    // The same email without a company: the key is the domain, so no duplicate.
    let none = decide(&c, &base, lead("K-3", "eve@acme.com", None)).await;
    assert!(none.get("duplicate_of").is_none(), "{none}");
    replays_clean(&c, &base, db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_by_field_is_the_duplicate_key() {
    for db in databases("dup_by").await {
        by_key(&db).await;
    }
}

async fn batch(db: &Db) {
    let server = dup_server(db, PREVIOUS_OWNER);
    let (c, base) = (client(), server.base.clone());
    let body = [dup_lead("B-1", "gil@x.com", 90.0), dup_lead("B-2", "Gil@x.com", 90.0), dup_lead("B-3", "hal@x.com", 90.0), dup_lead("B-4", "gil@x.com ", 90.0)].join("\n");
    let a = send(c.post(format!("{base}/v1/leads/batch")).header("content-type", "application/x-ndjson").body(body)).await.expect("answers");
    assert_eq!(a.status, 200, "{}", a.text);
    let lines: Vec<serde_json::Value> = a.text.lines().map(|l| serde_json::from_str(l).expect("NDJSON")).collect();
    let got: Vec<(String, String)> = lines
        .iter()
        .map(|d| (d["rep"].as_str().unwrap_or_default().to_string(), d["duplicate_of"]["lead_id"].as_str().unwrap_or("-").to_string()))
        .collect();
    let want = [("a1", "-"), ("a1", "B-1"), ("a2", "-"), ("a1", "B-2")].map(|(r, p)| (r.to_string(), p.to_string()));
    assert_eq!(got, want, "{}: a later duplicate in the batch sees the earlier ones, the most recent first", db.kind);
    replays_clean(&c, &base, db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_applies_the_rule_line_by_line() {
    for db in databases("dup_batch").await {
        batch(&db).await;
    }
}

async fn reassigned(db: &Db) {
    let server = dup_server(db, PREVIOUS_OWNER);
    let (c, base) = (client(), server.base.clone());
    // Warm: queued for triage; a person gives it to a3.
    let first = decide(&c, &base, dup_lead("W-1", "ida@x.com", 50.0)).await;
    assert_eq!(first["queue"], "triage");
    let items = get(&c, format!("{base}/v1/work-items?queue=triage")).await;
    let id = items.json["items"].as_array().and_then(|i| i.iter().find(|x| x["lead_id"] == "W-1")).and_then(|x| x["id"].as_i64()).expect("W-1's work item");
    let r = post(&c, format!("{base}/v1/work-items/{id}/reassign"), serde_json::json!({ "operator": "ana", "rep": "a3", "reason": "knows them" }).to_string()).await.expect("answers");
    assert_eq!(r.status, 200, "{}", r.text);
    // The duplicate goes to the earlier lead's owner now: a3.
    let dup = decide(&c, &base, dup_lead("W-2", "ida@x.com", 50.0)).await;
    assert_eq!((dup["rep"].clone(), dup["duplicate_of"]["owner"].clone()), ("a3".into(), "a3".into()), "{}: {dup}", db.kind);
    assert_eq!(reps(&c, &base).await["a3"]["open_load"], 2);
    replays_clean(&c, &base, db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reassigned_earlier_lead_gives_its_new_owner() {
    for db in databases("dup_reassigned").await {
        reassigned(&db).await;
    }
}

/// Leads with one email posted at once (to every server in turn): decided one
/// after the other, so exactly one is first and each other one duplicates a
/// different earlier one (a chain), all with the first one's owner.
async fn concurrent(servers: &[Server], db: &Db) {
    let c = client();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (c, base) = (c.clone(), servers[i % servers.len()].base.clone());
        let body = dup_lead(&format!("C-{i}"), "jo@x.com", 90.0);
        tasks.push(tokio::spawn(async move { post(&c, format!("{base}/v1/leads"), body).await.expect("answers") }));
    }
    let mut firsts = Vec::new();
    let mut priors = std::collections::BTreeSet::new();
    let mut reps = std::collections::BTreeSet::new();
    for t in tasks {
        let a = t.await.expect("task");
        assert_eq!(a.status, 200, "{}", a.text);
        reps.insert(a.json["rep"].as_str().unwrap_or_default().to_string());
        match a.json["duplicate_of"]["lead_id"].as_str() {
            None => firsts.push(a.json["lead_id"].clone()),
            Some(p) => assert!(priors.insert(p.to_string()), "{}: two leads duplicate {p}: they were not serialized", db.kind),
        }
    }
    assert_eq!((firsts.len(), priors.len(), reps.len()), (1, 23, 1), "{}: {firsts:?} {reps:?}", db.kind);
    replays_clean(&c, &servers[0].base, db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_duplicates_are_decided_one_after_the_other() {
    for db in databases("dup_concurrent").await {
        let server = Server::start(&dup_start(&db, PREVIOUS_OWNER));
        concurrent(&[server], &db).await;
    }
    // Two nodes on one PostgreSQL: the lookup runs under the shared state lock.
    if let Some(db) = postgres("dup_nodes").await {
        let start = dup_start(&db, PREVIOUS_OWNER);
        let (a, b) = (Server::start(&start), Server::start(&start));
        concurrent(&[a, b], &db).await;
    }
}
