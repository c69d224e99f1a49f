//! The decider: one task per node that takes commands in arrival order and
//! runs each group of waiting leads as one database transaction under the
//! state lock (group commit). Before deciding it reloads what other nodes
//! changed since its cached state; after committing it answers. A 2xx is
//! sent only after the commit returned.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use leadroute_runtime::{Policy, State};
use sqlx::{Any, AnyConnection, Row, Transaction};
use tokio::sync::{mpsc, oneshot};

use crate::clock::Clock;
use crate::error::ServiceError;
use crate::policies::PolicyCache;
use crate::state::Named;
use crate::store::{Context, Store};

mod admin;
mod batch;
mod effects;
mod items;
mod rollout;
mod rows;
mod timers;

pub use effects::{Operations, NOTIFICATIONS};
pub use items::ItemAction;
pub use rollout::{Guardrail, Metric, Mode, RolloutSpec, Stats as RolloutStats};
pub use rows::find_lead;

/// At most this many leads go into one transaction.
pub const MAX_BATCH: usize = 512;

/// One lead to decide.
#[derive(Debug)]
pub struct LeadItem {
    /// The idempotency key (`Idempotency-Key`, else the lead's id); none for unreadable input.
    pub key: Option<String>,
    /// The lead's id as given (may be empty).
    pub lead_id: String,
    /// Hash of the canonical body: the same key with another body is a conflict.
    pub hash: String,
    /// The lead, or why the body cannot be one (the HTTP status and a message).
    pub body: Result<serde_json::Value, (u16, String)>,
}

/// What became of one lead item.
#[derive(Debug, Clone)]
pub enum LeadResult {
    /// Decided now (`replayed` false) or earlier (true); the decision's JSON.
    Decided {
        /// The stored decision JSON.
        json: String,
        /// True when an earlier request decided it.
        replayed: bool,
    },
    /// Failed validation: the `rejected` decision's JSON (recorded in the audit log).
    Rejected {
        /// The decision JSON with `errors`.
        json: String,
    },
    /// The key was decided for a different body.
    Conflict {
        /// The key.
        key: String,
    },
}

/// An event on a decided lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Closed or moved in the CRM: frees the rep's open load.
    Released,
    /// First contact made (SLA timers read it).
    Contacted,
}

/// Changes to one rep; `Some(None)` clears a value.
#[derive(Debug, Clone, Default)]
pub struct RepPatch {
    /// Takes the rep in or out of every assignment.
    pub active: Option<bool>,
    /// Out of office until (ms), or back now.
    pub out_of_office_until: Option<Option<i64>>,
    /// Open-load cap override, or the policy's.
    pub max_open: Option<Option<u32>>,
    /// Daily cap override, or the policy's.
    pub max_per_day: Option<Option<u32>>,
    /// Who made the change (recorded in the audit log).
    pub by: Option<String>,
}

type Reply<T> = oneshot::Sender<Result<T, ServiceError>>;

/// A request to the decider.
#[derive(Debug)]
pub enum Command {
    /// Decide leads (one request's, or one NDJSON batch's, in order).
    Leads(Vec<LeadItem>, Reply<Vec<LeadResult>>),
    /// Record an event on a lead.
    Event(String, EventKind, Reply<serde_json::Value>),
    /// Change a rep.
    PatchRep(String, RepPatch, Reply<serde_json::Value>),
    /// Make a stored (and loaded) version the active one; who asked.
    Activate(String, Option<String>, Reply<serde_json::Value>),
    /// Seed rep state from a state file if the database has none.
    Seed(String, Reply<bool>),
    /// Act on a work item.
    Item(i64, ItemAction, Reply<serde_json::Value>),
    /// Fire every timer due now; answers how many fired.
    Tick(Reply<usize>),
    /// A delivery failed for good: its lead becomes a `crm_error` work item.
    DeliveryFailed(i64, String, Reply<()>),
    /// Queue a notification (e.g. a breaker opened).
    Notify(String, Reply<()>),
    /// Start a rollout.
    StartRollout(RolloutSpec, Reply<serde_json::Value>),
    /// End the running rollout: promote the candidate, or stop it (`reason`).
    EndRollout(bool, String, Reply<serde_json::Value>),
}

/// The head row: the state clock and the counters, read under the state lock.
#[derive(Debug)]
pub(crate) struct Head {
    pub seq: i64,
    pub audit_seq: i64,
    pub batch_seq: i64,
    pub item_seq: i64,
    pub timer_seq: i64,
    pub outbox_seq: i64,
    pub active_version: Option<String>,
    /// The running rollout, if any.
    pub rollout_id: Option<i64>,
}

impl Head {
    /// The next audit entry's seq.
    pub fn next_audit(&mut self) -> i64 {
        self.audit_seq += 1;
        self.audit_seq
    }
}

/// What this node caches: the active policy and the state as of `seq`.
pub(crate) struct Cache {
    version: String,
    seq: i64,
    policy: Arc<Policy>,
    state: State,
    named: Named,
    rep_index: BTreeMap<String, usize>,
    team_index: BTreeMap<String, usize>,
}

impl Cache {
    fn new(version: String, seq: i64, policy: Arc<Policy>, named: Named) -> Cache {
        let ir = policy.ir();
        let state = named.to_state(ir);
        let rep_index = ir.reps.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
        let team_index = ir.teams.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
        Cache { version, seq, policy, state, named, rep_index, team_index }
    }

    /// Folds rows another node committed into the cached state.
    fn apply(&mut self, newer: Named) {
        let ir = self.policy.ir();
        for (id, s) in &newer.reps {
            if let Some(&i) = self.rep_index.get(id) {
                self.state.reps[i] = s.clone();
            }
        }
        for (name, t) in &newer.teams {
            if let Some(&i) = self.team_index.get(name) {
                self.state.teams[i] = crate::state::team_state(ir, i, t);
            }
        }
        self.named.merge(newer);
    }
}

/// The decider task's own data.
pub struct Decider {
    store: Store,
    clock: Arc<dyn Clock>,
    policies: Arc<PolicyCache>,
    ops: Arc<Operations>,
    cache: Option<Cache>,
}

impl std::fmt::Debug for Decider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decider").field("store", &self.store.display).finish()
    }
}

impl Decider {
    /// A decider over `store` reading time from `clock`.
    pub fn new(store: Store, clock: Arc<dyn Clock>, policies: Arc<PolicyCache>, ops: Arc<Operations>) -> Decider {
        Decider { store, clock, policies, ops, cache: None }
    }

    /// Starts the task; it ends when every sender is dropped, after answering
    /// every command it received (the drain on shutdown).
    pub fn spawn(self, queue: usize) -> (mpsc::Sender<Command>, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(queue);
        (tx, tokio::spawn(self.run(rx)))
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        let mut pending: Option<Command> = None;
        loop {
            let first = match pending.take() {
                Some(c) => c,
                None => match rx.recv().await {
                    Some(c) => c,
                    None => break,
                },
            };
            match first {
                Command::Leads(items, reply) => {
                    let mut group = vec![(items, reply)];
                    let mut n = group[0].0.len();
                    while n < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(Command::Leads(items, reply)) => {
                                n += items.len();
                                group.push((items, reply));
                            }
                            Ok(other) => {
                                pending = Some(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    self.run_leads(group).await;
                }
                Command::Event(lead, kind, reply) => {
                    let r = self.guarded(|d| Box::pin(d.event(lead, kind))).await;
                    let _ = reply.send(r);
                }
                Command::PatchRep(rep, patch, reply) => {
                    let r = self.guarded(|d| Box::pin(d.patch_rep(rep, patch))).await;
                    let _ = reply.send(r);
                }
                Command::Activate(version, by, reply) => {
                    let r = self.guarded(|d| Box::pin(d.activate(version, by))).await;
                    let _ = reply.send(r);
                }
                Command::Seed(state, reply) => {
                    let r = self.guarded(|d| Box::pin(d.seed(state))).await;
                    let _ = reply.send(r);
                }
                Command::Item(id, action, reply) => {
                    let r = self.guarded(|d| Box::pin(d.item_action(id, action))).await;
                    let _ = reply.send(r);
                }
                Command::Tick(reply) => {
                    let r = self.guarded(|d| Box::pin(d.tick())).await;
                    let _ = reply.send(r);
                }
                Command::StartRollout(spec, reply) => {
                    let r = self.guarded(|d| Box::pin(d.start_rollout(spec))).await;
                    let _ = reply.send(r);
                }
                Command::EndRollout(promote, reason, reply) => {
                    let r = self.guarded(|d| Box::pin(d.end_rollout(promote, reason))).await;
                    let _ = reply.send(r);
                }
                Command::Notify(text, reply) => {
                    let r = self.guarded(|d| Box::pin(d.notify_only(text))).await;
                    let _ = reply.send(r);
                }
                Command::DeliveryFailed(id, error, reply) => {
                    let r = self.guarded(|d| Box::pin(d.delivery_failed(id, error))).await;
                    let _ = reply.send(r);
                }
            }
        }
    }

    /// Runs one write; on failure the cache may hold uncommitted changes, so it is dropped.
    async fn guarded<T>(
        &mut self,
        f: impl for<'a> FnOnce(&'a mut Decider) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, ServiceError>> + Send + 'a>>,
    ) -> Result<T, ServiceError> {
        let started = Instant::now();
        let r = f(self).await;
        metrics::histogram!("leadroute_db_transaction_seconds").record(started.elapsed().as_secs_f64());
        if r.is_err() {
            self.cache = None;
        }
        r
    }

    async fn run_leads(&mut self, group: Vec<(Vec<LeadItem>, Reply<Vec<LeadResult>>)>) {
        let mut items = Vec::new();
        let mut replies = Vec::new();
        for (its, reply) in group {
            replies.push((its.len(), reply));
            items.extend(its);
        }
        metrics::histogram!("leadroute_batch_leads").record(items.len() as f64);
        let result = self.guarded(|d| Box::pin(d.decide_batch(items))).await;
        match result {
            Ok(results) => {
                let mut it = results.into_iter();
                for (n, reply) in replies {
                    let _ = reply.send(Ok(it.by_ref().take(n).collect()));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                for (_, reply) in replies {
                    let _ = reply.send(Err(match &e {
                        ServiceError::NoActivePolicy => ServiceError::NoActivePolicy,
                        _ => ServiceError::Unavailable(format!("nothing was committed: {msg}")),
                    }));
                }
            }
        }
    }

    /// Begins a write transaction and reads the head under the state lock.
    async fn lock(&self) -> Result<(Transaction<'static, Any>, Head), ServiceError> {
        let mut tx = self.store.begin_write().await?;
        let row = sqlx::query(self.store.lock_head_sql()).fetch_one(&mut *tx).await.ctx("take the state lock")?;
        let get = |c: &str| row.try_get::<i64, _>(c).ctx("read the state clock");
        let head = Head {
            seq: get("seq")?,
            audit_seq: get("audit_seq")?,
            batch_seq: get("batch_seq")?,
            item_seq: get("item_seq")?,
            timer_seq: get("timer_seq")?,
            outbox_seq: get("outbox_seq")?,
            active_version: row.try_get("active_version").ctx("read the state clock")?,
            rollout_id: row.try_get("rollout_id").ctx("read the state clock")?,
        };
        Ok((tx, head))
    }

    /// Brings the cache up to the head: the active version, and every row
    /// changed since the cached `seq`.
    async fn sync(&mut self, conn: &mut AnyConnection, head: &Head) -> Result<(), ServiceError> {
        let version = head.active_version.clone().ok_or(ServiceError::NoActivePolicy)?;
        if let Some(c) = &mut self.cache {
            if c.version == version {
                if c.seq != head.seq {
                    let newer = Named::load_changed(conn, c.seq).await?;
                    c.apply(newer);
                    c.seq = head.seq;
                }
                return Ok(());
            }
        }
        let policy = self.policies.get(conn, &version).await?;
        let named = Named::load_changed(conn, -1).await?;
        self.cache = Some(Cache::new(version, head.seq, policy, named));
        Ok(())
    }

    fn cache(&mut self) -> Result<&mut Cache, ServiceError> {
        self.cache.as_mut().ok_or(ServiceError::NoActivePolicy)
    }

}
