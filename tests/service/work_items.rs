//! Work items and SLA timers through the API, on a clock the test moves.

use crate::harness::*;

/// A server on the operations policy with a manual clock (and extra arguments).
pub fn ops_server(db: &Db, extra: &[&str]) -> Server {
    let mut start = Start::new(db);
    start.policy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/service/ops_policy.route");
    start.args = ["--manual-clock", CLOCK].iter().chain(extra).map(|s| s.to_string()).collect();
    Server::start(&start)
}

/// A lead of the operations policy.
pub fn ops_lead(id: &str, intent: f64) -> String {
    serde_json::json!({ "id": id, "email": format!("{id}@example.com"), "intent": intent, "source": "web", "crm_id": format!("00Q{id}") }).to_string()
}

pub async fn advance(c: &reqwest::Client, base: &str, by: &str) -> serde_json::Value {
    let a = post(c, format!("{base}/v1/clock"), serde_json::json!({ "advance": by }).to_string()).await.expect("answers");
    assert_eq!(a.status, 200, "{}", a.text);
    a.json
}

async fn act(c: &reqwest::Client, base: &str, item: i64, action: &str, body: serde_json::Value) -> Answer {
    post(c, format!("{base}/v1/work-items/{item}/{action}"), body.to_string()).await.expect("answers")
}

async fn sla_breaches_reassign_skip_earlier_holders_and_fall_back(db: &Db) {
    let server = ops_server(db, &[]);
    let (c, base) = (client(), server.base.clone());
    let a = post(&c, format!("{base}/v1/leads"), ops_lead("H-1", 90.0)).await.expect("answers");
    assert_eq!(a.json["rep"], "a1", "{}", a.text);
    // Contacted in time: no breach for this one.
    let b = post(&c, format!("{base}/v1/leads"), ops_lead("H-2", 90.0)).await.expect("answers");
    assert_eq!(b.json["rep"], "a2");
    advance(&c, &base, "3m").await;
    let r = post(&c, format!("{base}/v1/leads/H-2/events"), r#"{"event":"contacted"}"#.into()).await.expect("answers");
    assert_eq!(r.status, 200);
    // 6 minutes: H-1 breached its 5m SLA; the reminder went at 3m.
    advance(&c, &base, "3m").await;
    let lead = get(&c, format!("{base}/v1/leads/H-1")).await;
    assert_eq!(lead.json["current"]["rep"], "a3", "round robin goes on past a1 (holder) to a3: {}", lead.text);
    assert_eq!(lead.json["holders"], serde_json::json!(["a1", "a3"]));
    let reps = reps(&c, &base).await;
    assert_eq!((reps["a1"]["open_load"].clone(), reps["a3"]["open_load"].clone()), (0.into(), 1.into()), "a1's load moved to a3");
    // Another 5 minutes: a3 breached too; a2 never held it.
    advance(&c, &base, "5m").await;
    let lead = get(&c, format!("{base}/v1/leads/H-1")).await;
    assert_eq!(lead.json["current"]["rep"], "a2");
    // And again: everyone held it; the policy's no_available_rep handler queues it.
    advance(&c, &base, "5m").await;
    let lead = get(&c, format!("{base}/v1/leads/H-1")).await;
    assert_eq!(lead.json["current"]["outcome"], "queued", "{}", lead.text);
    assert_eq!(lead.json["current"]["queue"], "managers");
    assert_eq!(lead.json["work_items"].as_array().map(Vec::len), Some(1));
    // H-2 was contacted in time: never breached.
    let h2 = get(&c, format!("{base}/v1/leads/H-2")).await;
    assert!(h2.json.get("current").is_none() || h2.json["current"]["rep"] == "a2", "{}", h2.text);
    let (log, entries) = audit(&c, &base).await;
    let breaches: Vec<_> = entries.iter().filter(|e| e["kind"] == "sla_breach").collect();
    assert_eq!(breaches.len(), 3, "three breaches of H-1, none of H-2");
    assert!(breaches.iter().all(|e| e["lead_id"] == "H-1"));
    assert!(entries.iter().any(|e| e["kind"] == "reminder" && e["lead_id"] == "H-1"));
    let (code, out) = replay(&log, &[]);
    assert_eq!(code, 0, "{}: {out}", db.kind);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sla_breaches_move_the_lead_once_each_and_never_back_to_a_holder() {
    for db in databases("breach").await {
        sla_breaches_reassign_skip_earlier_holders_and_fall_back(&db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timer_due_while_the_service_was_down_fires_once_after_restart() {
    let db = sqlite("restart-timer");
    let server = ops_server(&db, &[]);
    let (c, base) = (client(), server.base.clone());
    let a = post(&c, format!("{base}/v1/leads"), ops_lead("R-1", 95.0)).await.expect("answers");
    assert_eq!(a.json["rep"], "a1");
    assert!(server.interrupt().success());
    // Back 10 minutes later: the 5m SLA came due while it was down.
    let mut start = Start::new(&db);
    start.policy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/service/ops_policy.route");
    start.args = vec!["--manual-clock".into(), "2026-11-24T15:10:00Z".into()];
    let server = Server::start(&start);
    let fired = advance(&c, &server.base, "0s").await;
    assert!(fired["fired"].as_u64().unwrap_or(0) >= 1, "{fired}");
    advance(&c, &server.base, "1s").await;
    let (_, entries) = audit(&c, &server.base).await;
    assert_eq!(entries.iter().filter(|e| e["kind"] == "sla_breach").count(), 1, "fired once");
    assert_eq!(get(&c, format!("{}/v1/leads/R-1", server.base)).await.json["current"]["rep"], "a2");
}

async fn work_items_through_the_api(db: &Db) {
    let server = ops_server(db, &[]);
    let (c, base) = (client(), server.base.clone());
    for i in 0..3 {
        let a = post(&c, format!("{base}/v1/leads"), ops_lead(&format!("W-{i}"), 50.0)).await.expect("answers");
        assert_eq!(a.json["queue"], "triage", "{}", a.text);
    }
    let list = get(&c, format!("{base}/v1/work-items?queue=triage")).await;
    let items = list.json["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 3, "{}", list.text);
    assert_eq!(items[0]["owner"], "ops@example.com");
    assert_eq!(items[0]["status"], "open");
    let ids: Vec<i64> = items.iter().map(|i| i["id"].as_i64().expect("id")).collect();
    // Claim; someone else cannot.
    let a = act(&c, &base, ids[0], "claim", serde_json::json!({ "operator": "ana" })).await;
    assert_eq!((a.status, a.json["status"].clone()), (200, "claimed".into()), "{}", a.text);
    let b = act(&c, &base, ids[0], "claim", serde_json::json!({ "operator": "bo" })).await;
    assert_eq!(b.status, 409, "{}", b.text);
    // Reassign to a rep: an override decision; the rep's load moves.
    let r = act(&c, &base, ids[0], "reassign", serde_json::json!({ "operator": "ana", "rep": "a2", "reason": "speaks German" })).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["decision"]["rep"], "a2");
    assert_eq!(r.json["decision"]["rule"], "override by ana: speaks German");
    assert_eq!(reps(&c, &base).await["a2"]["open_load"], 1);
    assert_eq!(act(&c, &base, ids[0], "resolve", serde_json::json!({ "operator": "ana", "note": "x" })).await.status, 409, "resolved already");
    // Reassign to a team: its strategy picks.
    let t = act(&c, &base, ids[1], "reassign", serde_json::json!({ "operator": "ana", "team": "aes", "reason": "hot after a call" })).await;
    assert_eq!((t.status, t.json["decision"]["team"].clone()), (200, "aes".into()), "{}", t.text);
    // Resolve with a note.
    let z = act(&c, &base, ids[2], "resolve", serde_json::json!({ "operator": "bo", "note": "duplicate of W-0" })).await;
    assert_eq!((z.status, z.json["status"].clone()), (200, "resolved".into()));
    // Bad actions are refused clearly.
    assert_eq!(act(&c, &base, ids[2], "claim", serde_json::json!({})).await.status, 422);
    assert_eq!(act(&c, &base, 9999, "claim", serde_json::json!({ "operator": "x" })).await.status, 404);
    assert_eq!(act(&c, &base, ids[1], "dance", serde_json::json!({ "operator": "x" })).await.status, 404);
    for path in ["/v1/work-items/abc", "/v1/work-items/99999999999999999999"] {
        let a = get(&c, format!("{base}{path}")).await;
        assert_eq!((a.status, a.json["error"]["code"].clone()), (404, "not_found".into()), "{path}: {}", a.text);
    }
    // Queue SLA: a new triage item escalates to managers after 30 minutes.
    post(&c, format!("{base}/v1/leads"), ops_lead("W-9", 45.0)).await.expect("answers");
    advance(&c, &base, "31m").await;
    let managers = get(&c, format!("{base}/v1/work-items?queue=managers")).await;
    let esc = managers.json["items"].as_array().expect("items").iter().find(|i| i["lead_id"] == "W-9").cloned().expect("W-9 escalated");
    assert!(esc["history"].as_array().is_some_and(|h| h.iter().any(|x| x["action"] == "escalated")), "{esc}");
    assert_eq!(esc["owner"], "mgr@example.com");
    // Reprocess: decided again under the active policy (still warm: queued again).
    let rp = act(&c, &base, esc["id"].as_i64().expect("id"), "reprocess", serde_json::json!({ "operator": "mgr" })).await;
    assert_eq!((rp.status, rp.json["decision"]["queue"].clone()), (200, "triage".into()), "{}", rp.text);
    // Overdue filter: the new triage item escalates to managers (1h SLA, no
    // escalation), then passes that SLA too.
    advance(&c, &base, "31m").await;
    advance(&c, &base, "61m").await;
    let overdue = get(&c, format!("{base}/v1/work-items?overdue=true")).await;
    assert!(overdue.json["items"].as_array().is_some_and(|i| !i.is_empty() && i.iter().all(|x| x["overdue"] == true)), "{}", overdue.text);
    let (log, entries) = audit(&c, &base).await;
    for kind in ["override", "work_item", "escalated", "reprocessed"] {
        assert!(entries.iter().any(|e| e["kind"] == kind), "{kind} is audited");
    }
    let (code, out) = replay(&log, &[]);
    assert_eq!(code, 0, "{}: {out}", db.kind);
    let m = get(&c, format!("{base}/metrics")).await;
    assert!(m.text.contains("leadroute_queue_depth{queue=\"triage\"}"), "{}", m.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_claim_reassign_reprocess_and_resolve_work_items() {
    for db in databases("items").await {
        work_items_through_the_api(&db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_two_postgres_nodes_each_timer_fires_exactly_once() {
    let Some(db) = postgres("timers2").await else { return };
    let a = ops_server(&db, &[]);
    let b = ops_server(&db, &[]);
    let c = client();
    for i in 0..30 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let r = post(&c, format!("{base}/v1/leads"), ops_lead(&format!("T-{i}"), 90.0)).await.expect("answers");
        assert_eq!(r.status, 200);
    }
    // Both nodes' clocks pass the SLA at once; both tick.
    let (x, y) = tokio::join!(advance(&c, &a.base, "6m"), advance(&c, &b.base, "6m"));
    let _ = (x, y);
    let (x, y) = tokio::join!(advance(&c, &a.base, "1s"), advance(&c, &b.base, "1s"));
    let _ = (x, y);
    let (log, entries) = audit(&c, &a.base).await;
    let mut per_lead = std::collections::BTreeMap::<String, usize>::new();
    for e in entries.iter().filter(|e| e["kind"] == "sla_breach") {
        *per_lead.entry(e["lead_id"].as_str().unwrap_or_default().to_string()).or_default() += 1;
    }
    assert_eq!(per_lead.len(), 30, "every lead breached");
    assert!(per_lead.values().all(|n| *n == 1), "each timer fired exactly once: {per_lead:?}");
    let (code, out) = replay(&log, &[]);
    assert_eq!(code, 0, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_business_hours_sla_timer_waits_out_the_night() {
    let db = sqlite("business-sla");
    let mut start = Start::new(&db);
    start.policy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/service/business_policy.route");
    start.args = ["--manual-clock", CLOCK].iter().map(|s| s.to_string()).collect();
    let server = Server::start(&start);
    let (c, base) = (client(), server.base.clone());
    // Tuesday 15:00 UTC: 4 business hours are 2 on Tuesday and 2 on Wednesday morning.
    let a = post(&c, format!("{base}/v1/leads"), r#"{"id": "B-1", "email": "b@example.com"}"#.into()).await.expect("answers");
    assert_eq!(a.json["rep"], "b1", "{}", a.text);
    assert_eq!(a.json["sla_due"], "2026-11-25T11:00:00Z", "{}", a.text);
    // Four elapsed hours later (19:00, after hours) nothing has breached.
    advance(&c, &base, "4h").await;
    let lead = get(&c, format!("{base}/v1/leads/B-1")).await;
    assert!(lead.json.get("current").is_none() && lead.json["decision"]["rep"] == "b1", "not moved yet: {}", lead.text);
    // Wednesday 10:59: still within the SLA; at 11:00 the timer fires and b2 takes the lead.
    advance(&c, &base, "959m").await;
    let lead = get(&c, format!("{base}/v1/leads/B-1")).await;
    assert!(lead.json.get("current").is_none(), "not moved at 10:59: {}", lead.text);
    advance(&c, &base, "1m").await;
    let lead = get(&c, format!("{base}/v1/leads/B-1")).await;
    assert_eq!(lead.json["current"]["rep"], "b2", "{}", lead.text);
    // b2's own 4 business hours start now: 11:00 + 4h = 15:00 Wednesday.
    assert_eq!(lead.json["current"]["sla_due"], "2026-11-25T15:00:00Z", "{}", lead.text);
}
