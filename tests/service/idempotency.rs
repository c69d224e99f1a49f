//! The same lead posted many times at once is decided once.

use crate::harness::*;

async fn same_lead_50_times(db: &Db) {
    let server = Server::start(&Start::new(db));
    let c = client();
    let body = lead("L-dup", true);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (c, url, body) = (c.clone(), format!("{}/v1/leads", server.base), body.clone());
        tasks.push(tokio::spawn(async move { post(&c, url, body).await.expect("the server answers") }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.expect("task"));
    }
    assert!(answers.iter().all(|a| a.status == 200), "{}: {:?}", db.kind, answers.iter().map(|a| a.status).collect::<Vec<_>>());
    let fresh = answers.iter().filter(|a| a.json["replayed"] == false).count();
    assert_eq!(fresh, 1, "{}: exactly one request decides the lead", db.kind);
    let first = without_replayed(&answers[0].json);
    assert!(answers.iter().all(|a| without_replayed(&a.json) == first), "{}: every answer carries the one decision", db.kind);
    let (_, entries) = audit(&c, &server.base).await;
    assert_eq!(entries.iter().filter(|e| e["kind"] == "decision").count(), 1, "{}: one decision in the audit log", db.kind);
    let reps = reps(&c, &server.base).await;
    let load: u64 = reps.values().map(|r| r["open_load"].as_u64().unwrap_or(0)).sum();
    assert_eq!(load, 1, "{}: the state moved once", db.kind);
    let rep = first["rep"].as_str().expect("a hot lead goes to a capped rep");
    assert_eq!(reps[rep]["assigned_today"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_lead_posted_50_times_concurrently_is_decided_once() {
    for db in databases("dup").await {
        same_lead_50_times(&db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_identifies_a_retry_and_a_different_body_is_a_conflict() {
    let db = sqlite("key");
    let server = Server::start(&Start::new(&db));
    let c = client();
    let url = format!("{}/v1/leads", server.base);
    let send_with = |key: &'static str, body: String| {
        let c = c.clone();
        let url = url.clone();
        async move { send(c.post(url).header("Idempotency-Key", key).body(body)).await.expect("answers") }
    };
    let a = send_with("form-42", lead("L-1", false)).await;
    assert_eq!((a.status, a.json["replayed"].clone()), (200, false.into()), "{}", a.text);
    // Same key, same lead with keys in another order and other spacing: a retry.
    let reordered = "{ \"source\": \"web\", \"intent\": 20.0, \"email\": \"L-1@example.com\", \"id\": \"L-1\" }".to_string();
    let b = send_with("form-42", reordered).await;
    assert_eq!((b.status, b.json["replayed"].clone()), (200, true.into()), "{}", b.text);
    assert_eq!(without_replayed(&a.json), without_replayed(&b.json));
    // Same key, another body: 409, and the stored decision stands.
    let c409 = send_with("form-42", lead("L-1", true)).await;
    assert_eq!(c409.status, 409, "{}", c409.text);
    assert_eq!(c409.json["error"]["code"], "idempotency_conflict");
    let stored = get(&c, format!("{}/v1/leads/form-42", server.base)).await;
    assert_eq!(stored.json["decision"], without_replayed(&a.json));
}
