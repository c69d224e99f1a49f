//! Switching the active policy under load: no request fails, and every
//! decision names the version active when it was decided.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::harness::*;
use crate::load::{leads, run_load};

async fn switch_under_load(db: &Db) {
    let server = Server::start(&Start::new(db));
    let c = client();
    let v1 = get(&c, format!("{}/readyz", server.base)).await.json["active_version"].as_str().expect("a version is active").to_string();
    let source = std::fs::read_to_string(policy_path()).expect("the policy").replace("intent >= 80.0", "intent >= 10.0");
    let bases = Arc::new(RwLock::new(vec![server.base.clone()]));
    let load = tokio::spawn(run_load(bases, leads("S", 3_000), 16, false, Duration::from_secs(600)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let up = post(&c, format!("{}/v1/policies", server.base),
        serde_json::json!({ "sources": { "policy.route": source }, "author": "qa@example.com", "message": "hotter", "activate": true }).to_string())
        .await.expect("answers");
    assert_eq!(up.status, 201, "{}", up.text);
    let v2 = up.json["version"].as_str().expect("version").to_string();
    assert_ne!(v1, v2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let back = post(&c, format!("{}/v1/policies/{v1}/activate", server.base), String::new()).await.expect("answers");
    assert_eq!((back.status, back.json["changed"].clone()), (200, true.into()), "{}", back.text);
    let answers = load.await.expect("every request got a 200");
    assert_eq!(answers.len(), 3_000);
    let (log, entries) = audit(&c, &server.base).await;
    let mut active = String::new();
    let mut by_version = std::collections::BTreeMap::<String, usize>::new();
    for e in &entries {
        match e["kind"].as_str() {
            Some("policy_activated") => active = e["version"].as_str().unwrap_or_default().to_string(),
            Some("decision") => {
                assert_eq!(e["version"], active.as_str(), "{}: a decision names the version active at its commit", db.kind);
                assert_eq!(e["decision"]["policy_version"], active.as_str());
                *by_version.entry(active.clone()).or_default() += 1;
            }
            _ => {}
        }
    }
    assert_eq!(by_version.values().sum::<usize>(), 3_000);
    let (code, out) = replay(&log, &[]);
    assert_eq!(code, 0, "{}: {out}", db.kind);
    let versions = get(&c, format!("{}/v1/policies", server.base)).await;
    assert_eq!(versions.json["active"], v1.as_str());
    assert_eq!(versions.json["versions"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_policy_switch_and_rollback_under_load_fail_no_request() {
    for db in databases("switch").await {
        switch_under_load(&db).await;
    }
}
