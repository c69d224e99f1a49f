//! kill -9 at random moments while clients post and retry: after restart,
//! every lead that got a 2xx has the same decision, none is decided twice,
//! and retries get the stored decision.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::harness::*;
use crate::load::{check_invariants, leads, run_load_counting};

async fn crash_under_load(db: &Db) {
    let mut start = Start::new(db);
    let first = Server::start(&start);
    // Restarts reuse the port, so clients retry against the same address.
    start.port = first.port;
    let bases = Arc::new(RwLock::new(vec![first.base.clone()]));
    let leads = leads("K", 5_000);
    let done = Arc::new(AtomicUsize::new(0));
    let load = tokio::spawn(run_load_counting(bases.clone(), leads.clone(), 16, true, Duration::from_secs(600), done.clone()));
    let mut rng = Lcg(0x5eed_0001);
    let mut server = first;
    for k in 0..4u64 {
        // Kill at a seeded point of the load: after 600..1,100 more answers.
        let at = (k as usize) * 1_100 + 600 + rng.below(500) as usize;
        let waited = Instant::now();
        while done.load(Ordering::SeqCst) < at && waited.elapsed() < Duration::from_secs(120) {
            tokio::time::sleep(Duration::from_millis(rng.below(4) + 1)).await;
        }
        let answered = done.load(Ordering::SeqCst);
        assert!(answered < 5_000, "{}: kill {k} came after the load finished ({answered} answered)", db.kind);
        server.kill9();
        tokio::time::sleep(Duration::from_millis(rng.below(300))).await;
        server = Server::start(&start);
    }
    let answers = load.await.expect("the load finished");
    assert_eq!(answers.len(), 5_000, "{}: every lead got a 2xx in the end", db.kind);
    let what = format!("{} kill -9 x4 during 5,000 leads", db.kind);
    check_invariants(&server.base, &answers, 5_000, &what).await;
    // Retries after the crashes get the stored decision.
    let c = client();
    for (id, body) in leads.iter().step_by(500) {
        let a = post(&c, format!("{}/v1/leads", server.base), body.clone()).await.expect("answers");
        assert_eq!(a.status, 200);
        assert_eq!(a.json["replayed"], true, "{what}: {id}");
        assert_eq!(without_replayed(&a.json), without_replayed(&answers[id][0]), "{what}: {id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_a_load_loses_and_duplicates_no_decision() {
    for db in databases("crash").await {
        crash_under_load(&db).await;
    }
}
