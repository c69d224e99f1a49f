//! Many leads from many clients: caps hold, round robin is fair, and the
//! audit log replays to the same decisions.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::harness::*;

/// Every 2xx answer a client got, by lead id.
pub type Answers = BTreeMap<String, Vec<serde_json::Value>>;

/// Posts `leads` from `clients` concurrent clients, spread over `bases`
/// (which a test may change while it runs, e.g. after a restart). With
/// `retry`, a lead is sent again after a transport error or a 5xx until it
/// gets an answer or `deadline` passes.
pub async fn run_load(bases: Arc<RwLock<Vec<String>>>, leads: Vec<(String, String)>, clients: usize, retry: bool, deadline: Duration) -> Answers {
    run_load_counting(bases, leads, clients, retry, deadline, Arc::new(AtomicUsize::new(0))).await
}

/// Like [`run_load`], counting answered leads in `done` as it goes.
pub async fn run_load_counting(
    bases: Arc<RwLock<Vec<String>>>,
    leads: Vec<(String, String)>,
    clients: usize,
    retry: bool,
    deadline: Duration,
    done: Arc<AtomicUsize>,
) -> Answers {
    let leads = Arc::new(leads);
    let next = Arc::new(AtomicUsize::new(0));
    let answers = Arc::new(Mutex::new(Answers::new()));
    let stop_at = Instant::now() + deadline;
    let mut tasks = Vec::new();
    for w in 0..clients {
        let (leads, next, answers, bases, done) = (leads.clone(), next.clone(), answers.clone(), bases.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let c = client();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((id, body)) = leads.get(i) else { break };
                let mut attempt = 0usize;
                loop {
                    let base = {
                        let b = bases.read().expect("lock");
                        b[(i + w + attempt) % b.len()].clone()
                    };
                    match post(&c, format!("{base}/v1/leads"), body.clone()).await {
                        Ok(a) if a.status == 200 => {
                            answers.lock().expect("lock").entry(id.clone()).or_default().push(a.json);
                            done.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        Ok(a) if !retry || a.status < 500 => panic!("lead {id}: {} {}", a.status, a.text),
                        Err(e) if !retry => panic!("lead {id}: {e}"),
                        _ => {
                            assert!(Instant::now() < stop_at, "lead {id} got no answer before the deadline");
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("a client panicked");
    }
    Arc::try_unwrap(answers).expect("clients are done").into_inner().expect("lock")
}

/// `n` leads of the test policy, every third one hot.
pub fn leads(prefix: &str, n: usize) -> Vec<(String, String)> {
    (0..n).map(|i| {
        let id = format!("{prefix}-{i:05}");
        let body = lead(&id, i % 3 == 0);
        (id, body)
    }).collect()
}

/// The invariants after a load: each lead decided once and as answered,
/// caps never exceeded, round robin counts within one, and the audit log
/// replays to the same decisions.
pub async fn check_invariants(base: &str, answers: &Answers, expected_leads: usize, what: &str) {
    let c = client();
    let (log, entries) = audit(&c, base).await;
    let mut decided: BTreeMap<String, &serde_json::Value> = BTreeMap::new();
    for e in entries.iter().filter(|e| e["kind"] == "decision") {
        let id = e["lead_id"].as_str().expect("lead id").to_string();
        assert!(decided.insert(id.clone(), &e["decision"]).is_none(), "{what}: lead {id} was decided twice");
    }
    assert_eq!(decided.len(), expected_leads, "{what}: every lead decided exactly once");
    for (id, got) in answers {
        let stored = decided.get(id).unwrap_or_else(|| panic!("{what}: lead {id} got a 2xx but is not in the audit log"));
        for a in got {
            assert_eq!(&without_replayed(a), *stored, "{what}: lead {id}: an answer differs from the stored decision");
        }
    }
    let mut per_rep: BTreeMap<String, usize> = BTreeMap::new();
    for d in decided.values() {
        if let Some(r) = d["rep"].as_str() {
            *per_rep.entry(r.to_string()).or_default() += 1;
        }
    }
    let reps = reps(&c, base).await;
    for cap in ["c1", "c2", "c3"] {
        let n = per_rep.get(cap).copied().unwrap_or(0);
        assert!(n <= 40, "{what}: {cap} got {n} leads over its cap of 40");
        assert!(reps[cap]["open_load"].as_u64().unwrap_or(0) <= 40, "{what}: {cap}'s open load is over its cap");
        assert_eq!(reps[cap]["open_load"].as_u64(), Some(n as u64), "{what}: {cap}'s load matches its decisions");
    }
    let pool: Vec<usize> = ["r1", "r2", "r3", "r4"].iter().map(|r| per_rep.get(*r).copied().unwrap_or(0)).collect();
    let (lo, hi) = (pool.iter().min().copied().unwrap_or(0), pool.iter().max().copied().unwrap_or(0));
    assert!(hi - lo <= 1, "{what}: round robin counts {pool:?} differ by more than one");
    let (code, out) = replay(&log, &[]);
    assert_eq!(code, 0, "{what}: replay found differences:\n{out}");
    assert!(out.contains(&format!("{expected_leads} the same, 0 different")), "{what}: {out}");
}

async fn ten_thousand(db: &Db) {
    let server = Server::start(&Start::new(db));
    let bases = Arc::new(RwLock::new(vec![server.base.clone()]));
    let leads = leads("L", 10_000);
    let hot = leads.iter().filter(|(_, b)| b.contains("90.0")).count();
    let answers = run_load(bases, leads, 64, false, Duration::from_secs(600)).await;
    assert_eq!(answers.len(), 10_000);
    let what = format!("{} 10,000 leads", db.kind);
    check_invariants(&server.base, &answers, 10_000, &what).await;
    // The capped team filled to exactly its caps; the rest of the hot leads queued.
    let queued = answers.values().filter(|a| a[0]["queue"] == "overflow").count();
    assert_eq!(queued, hot - 120, "{what}");
    // A decision's trace is re-derived from its batch and agrees with it.
    let c = client();
    for id in ["L-00000", "L-04999", "L-09999"] {
        let a = get(&c, format!("{}/v1/leads/{id}?explain=true", server.base)).await;
        assert_eq!(a.json["trace_matches_decision"], true, "{what}: {id}: {}", a.text);
        assert!(a.json["decision"]["trace"].as_array().is_some_and(|t| !t.is_empty()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_leads_from_64_clients_keep_caps_and_fairness_and_replay_the_same() {
    for db in databases("load").await {
        ten_thousand(&db).await;
    }
}
