//! Two `serve` processes on one PostgreSQL database, with a load spread over
//! both: the same invariants as one node.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::harness::*;
use crate::load::{check_invariants, leads, run_load};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_on_one_postgres_keep_every_invariant() {
    let Some(db) = postgres("nodes").await else { return };
    let a = Server::start(&Start::new(&db));
    let b = Server::start(&Start::new(&db));
    // The same lead at both nodes at once is still decided once.
    let c = client();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (c, base, body) = (c.clone(), if i % 2 == 0 { a.base.clone() } else { b.base.clone() }, lead("N-dup", true));
        tasks.push(tokio::spawn(async move { post(&c, format!("{base}/v1/leads"), body).await.expect("answers") }));
    }
    let mut fresh = 0;
    for t in tasks {
        let ans = t.await.expect("task");
        assert_eq!(ans.status, 200, "{}", ans.text);
        fresh += usize::from(ans.json["replayed"] == false);
    }
    assert_eq!(fresh, 1, "one node decided the lead; the other answered with the stored decision");
    let bases = Arc::new(RwLock::new(vec![a.base.clone(), b.base.clone()]));
    let mut all = leads("N", 8_000);
    all.push(("N-dup".into(), lead("N-dup", true)));
    let answers = run_load(bases, all, 64, false, Duration::from_secs(600)).await;
    check_invariants(&a.base, &answers, 8_001, "two nodes").await;
    // Both nodes report the same state.
    assert_eq!(reps(&c, &a.base).await.values().map(|r| r["open_load"].clone()).collect::<Vec<_>>(),
               reps(&c, &b.base).await.values().map(|r| r["open_load"].clone()).collect::<Vec<_>>());
}
