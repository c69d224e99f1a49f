//! Shadow and canary rollouts in the service: shadow state never leaks, a
//! canary's share is what it says, and a guardrail rolls a bad candidate back.

use crate::harness::*;

/// Stores a variant of the test policy (not activated); returns its version.
async fn candidate(c: &reqwest::Client, base: &str, from: &str, to: &str) -> String {
    let source = std::fs::read_to_string(policy_path()).expect("the policy").replace(from, to);
    assert!(source.contains(to));
    let a = post(c, format!("{base}/v1/policies"), serde_json::json!({ "sources": { "policy.route": source }, "message": "candidate" }).to_string()).await.expect("answers");
    assert!(a.status == 201 || a.status == 200, "{}", a.text);
    a.json["version"].as_str().expect("version").to_string()
}

async fn post_batch(c: &reqwest::Client, base: &str, leads: &[String]) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for chunk in leads.chunks(500) {
        let body: String = chunk.iter().map(|l| format!("{l}\n")).collect();
        let a = send(c.post(format!("{base}/v1/leads/batch")).body(body)).await.expect("answers");
        assert_eq!(a.status, 200, "{}", a.text);
        out.extend(a.text.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).expect("NDJSON")));
    }
    out
}

async fn shadow(db: &Db) {
    let server = Server::start(&Start::new(db));
    let (c, base) = (client(), server.base.clone());
    let v2 = candidate(&c, &base, "hot: when tier == hot -> assign team capped", "hot: when tier == hot -> assign team pool").await;
    let r = post(&c, format!("{base}/v1/rollout"), serde_json::json!({ "version": v2, "mode": "shadow" }).to_string()).await.expect("answers");
    assert_eq!(r.status, 201, "{}", r.text);
    let again = post(&c, format!("{base}/v1/rollout"), serde_json::json!({ "version": v2, "mode": "shadow" }).to_string()).await.expect("answers");
    assert_eq!(again.status, 409, "one rollout at a time");
    let leads: Vec<String> = (0..90).map(|i| lead(&format!("SH-{i}"), i % 3 == 0)).collect();
    let decided = post_batch(&c, &base, &leads).await;
    assert!(decided.iter().all(|d| d["policy_version"] != v2.as_str()), "shadow decides nothing real");
    let status = get(&c, format!("{base}/v1/rollout")).await;
    assert_eq!(status.json["mode"], "shadow", "{}", status.text);
    let t = status.json["transitions"].as_array().expect("transitions");
    let moved = t.iter().find(|x| x["from"] == "team capped" && x["to"] == "team pool").expect("hot leads would move");
    assert_eq!(moved["count"], 30);
    assert_eq!(moved["sample_leads"].as_array().map(Vec::len), Some(3));
    assert_eq!(status.json["changed"], 30);
    // The real state moved only with the real decisions.
    let reps = reps(&c, &base).await;
    let load = |ids: &[&str]| ids.iter().map(|r| reps[*r]["open_load"].as_u64().unwrap_or(0)).sum::<u64>();
    assert_eq!(load(&["c1", "c2", "c3"]), 30);
    assert_eq!(load(&["r1", "r2", "r3", "r4"]), 60, "the shadow's 30 extra pool leads did not leak");
    let (log, _) = audit(&c, &base).await;
    let (code, out) = replay(&log, &[]);
    assert_eq!(code, 0, "{}: {out}", db.kind);
    // Promote: the candidate is active and decides for real.
    let p = post(&c, format!("{base}/v1/rollout/promote"), String::new()).await.expect("answers");
    assert_eq!((p.status, p.json["status"].clone()), (200, "promoted".into()), "{}", p.text);
    let hot = post(&c, format!("{base}/v1/leads"), lead("SH-after", true)).await.expect("answers");
    assert_eq!((hot.json["team"].clone(), hot.json["policy_version"].clone()), ("pool".into(), v2.as_str().into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shadow_candidate_reports_where_leads_would_go_and_never_touches_real_state() {
    for db in databases("shadow").await {
        shadow(&db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_decides_its_share_of_leads_stably_and_replays_the_same() {
    let server = Server::start(&Start::new(&sqlite("canary")));
    let (c, base) = (client(), server.base.clone());
    let v2 = candidate(&c, &base, "otherwise -> assign team pool", "otherwise -> assign team pool by round_robin").await;
    let r = post(&c, format!("{base}/v1/rollout"), serde_json::json!({ "version": v2, "mode": "canary", "percent": 10 }).to_string()).await.expect("answers");
    assert_eq!(r.status, 201, "{}", r.text);
    let leads: Vec<String> = (0..2000).map(|i| lead(&format!("CY-{i}"), false)).collect();
    let decided = post_batch(&c, &base, &leads).await;
    let by_candidate = decided.iter().filter(|d| d["policy_version"] == v2.as_str()).count();
    // Binomial(2000, 0.1): mean 200, sd 13.4; four sd either side.
    assert!((146..=254).contains(&by_candidate), "{by_candidate} of 2000 went to the 10% canary");
    // The same lead id always gets the same version (a new key decides it again).
    for i in [3, 17, 99] {
        let id = format!("CY-{i}");
        let first = decided.iter().find(|d| d["lead_id"] == id.as_str()).expect("decided");
        let a = send(c.post(format!("{base}/v1/leads")).header("Idempotency-Key", format!("again-{i}")).body(lead(&id, false))).await.expect("answers");
        assert_eq!(a.json["policy_version"], first["policy_version"], "{id}");
    }
    let (log, _) = audit(&c, &base).await;
    let (code, out) = replay(&log, &[]);
    assert_eq!(code, 0, "{out}");
    let s = post(&c, format!("{base}/v1/rollout/stop"), r#"{"reason":"enough"}"#.into()).await.expect("answers");
    assert_eq!(s.json["status"], "stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guardrail_rolls_back_a_candidate_that_queues_too_much() {
    let server = Server::start(&Start::new(&sqlite("guardrail")));
    let (c, base) = (client(), server.base.clone());
    let v1 = get(&c, format!("{base}/readyz")).await.json["active_version"].as_str().expect("active").to_string();
    let v3 = candidate(&c, &base, "otherwise -> assign team pool", "otherwise -> queue overflow").await;
    let body = serde_json::json!({ "version": v3, "mode": "canary", "percent": 50,
        "guardrails": [{ "metric": "queued", "max_increase_points": 10.0, "min_leads": 40 }] });
    let r = post(&c, format!("{base}/v1/rollout"), body.to_string()).await.expect("answers");
    assert_eq!(r.status, 201, "{}", r.text);
    let mut decided = Vec::new();
    for i in 0..300 {
        let a = post(&c, format!("{base}/v1/leads"), lead(&format!("G-{i}"), false)).await.expect("answers");
        assert_eq!(a.status, 200);
        decided.push(a.json);
    }
    let status = get(&c, format!("{base}/v1/rollout")).await;
    assert_eq!(status.json["status"], "rolled_back", "{}", status.text);
    assert!(status.json["reason"].as_str().is_some_and(|r| r.starts_with("queued share 100.0% for the candidate")), "{}", status.text);
    // After the rollback every lead goes to the active version.
    let after: Vec<&serde_json::Value> = decided.iter().skip(150).collect();
    assert!(after.iter().all(|d| d["policy_version"] == v1.as_str()), "no candidate decisions long after the rollback");
    let (log, entries) = audit(&c, &base).await;
    let ended = entries.iter().find(|e| e["kind"] == "rollout_ended").expect("the rollback is audited");
    assert_eq!(ended["status"], "rolled_back");
    let (code, out) = replay(&log, &[]);
    assert_eq!(code, 0, "{out}");
    let bad = post(&c, format!("{base}/v1/rollout"), r#"{"version": "sha256:nope", "mode": "canary", "percent": 5}"#.into()).await.expect("answers");
    assert_eq!(bad.status, 404, "{}", bad.text);
    let bad = post(&c, format!("{base}/v1/rollout"), serde_json::json!({ "version": v3, "mode": "canary", "percent": 500 }).to_string()).await.expect("answers");
    assert_eq!(bad.status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_drives_a_rollout_on_a_running_service() {
    let server = Server::start(&Start::new(&sqlite("rollout-cli")));
    let (c, base) = (client(), server.base.clone());
    let variant = scratch("variant").join("policy.route");
    let text = std::fs::read_to_string(policy_path()).expect("the policy").replace("assign team capped", "assign team pool");
    std::fs::write(&variant, text).expect("write the variant");
    let cli = |args: Vec<String>| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_leadroute")).arg("rollout").args(args).args(["--url", &base]).output().expect("runs");
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, out, err) = tokio::task::block_in_place(|| cli(vec!["start".into(), variant.display().to_string(), "--mode".into(), "shadow".into()]));
    assert_eq!(code, Some(0), "{out}{err}");
    for i in 0..9 {
        post(&c, format!("{base}/v1/leads"), lead(&format!("CLI-{i}"), i % 3 == 0)).await.expect("answers");
    }
    let (code, out, err) = tokio::task::block_in_place(|| cli(vec!["status".into()]));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("9 leads, 3 (33.3%) change destination"), "{out}");
    assert!(out.contains("team capped") && out.contains("team pool"), "{out}");
    let (code, _, err) = tokio::task::block_in_place(|| cli(vec!["start".into(), variant.display().to_string(), "--mode".into(), "canary".into(), "--guardrail".into(), "queued:lots:1".into()]));
    assert_eq!(code, Some(2), "a bad guardrail is refused before anything is sent");
    assert!(err.contains("METRIC:POINTS:MIN_LEADS"), "{err}");
    let (code, out, _) = tokio::task::block_in_place(|| cli(vec!["promote".into()]));
    assert_eq!(code, Some(0));
    assert!(out.contains("promoted"), "{out}");
    let (code, _, err) = tokio::task::block_in_place(|| cli(vec!["stop".into()]));
    assert_eq!(code, Some(1), "nothing to stop");
    assert!(err.contains("no rollout is running"), "{err}");
}
