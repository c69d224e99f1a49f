//! kill -9 at random moments while clients post and retry: after restart,
//! every lead that got a 2xx has the same decision, none is decided twice,
//! and retries get the stored decision.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::harness::*;
use crate::load::{check_invariants, leads, run_load};

async fn crash_under_load(db: &Db) {
    let mut start = Start::new(db);
    let first = Server::start(&start);
    // Restarts reuse the port, so clients retry against the same address.
    start.port = first.port;
    let bases = Arc::new(RwLock::new(vec![first.base.clone()]));
    let leads = leads("K", 5_000);
    let load = tokio::spawn(run_load(bases.clone(), leads.clone(), 16, true, Duration::from_secs(600)));
    let mut rng = Lcg(0x5eed_0001);
    let mut server = first;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(200 + rng.below(700))).await;
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
