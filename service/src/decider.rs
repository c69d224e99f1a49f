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

use crate::audit::{self, Entry};
use crate::clock::Clock;
use crate::error::ServiceError;
use crate::policies::PolicyCache;
use crate::state::{upsert_rep, upsert_team, Named};
use crate::store::{placeholders, Context, Store, StoreError};

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
    /// Make a stored (and loaded) version the active one.
    Activate(String, Reply<serde_json::Value>),
    /// Seed rep state from a state file if the database has none.
    Seed(String, Reply<bool>),
}

/// The head row: the state clock, read under the state lock.
#[derive(Debug)]
struct Head {
    seq: i64,
    audit_seq: i64,
    batch_seq: i64,
    active_version: Option<String>,
}

/// What this node caches: the active policy and the state as of `seq`.
struct Cache {
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
    cache: Option<Cache>,
}

impl std::fmt::Debug for Decider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decider").field("store", &self.store.display).finish()
    }
}

/// Written rows of one lead batch.
struct LeadRow {
    key: String,
    lead_id: String,
    hash: String,
    lead: String,
    decision: String,
    outcome: &'static str,
    rep: Option<String>,
    position: i64,
    audit_seq: i64,
}

impl Decider {
    /// A decider over `store` reading time from `clock`.
    pub fn new(store: Store, clock: Arc<dyn Clock>, policies: Arc<PolicyCache>) -> Decider {
        Decider { store, clock, policies, cache: None }
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
                Command::Activate(version, reply) => {
                    let r = self.guarded(|d| Box::pin(d.activate(version))).await;
                    let _ = reply.send(r);
                }
                Command::Seed(state, reply) => {
                    let r = self.guarded(|d| Box::pin(d.seed(state))).await;
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
        let head = Head {
            seq: row.try_get("seq").ctx("read the state clock")?,
            audit_seq: row.try_get("audit_seq").ctx("read the state clock")?,
            batch_seq: row.try_get("batch_seq").ctx("read the state clock")?,
            active_version: row.try_get("active_version").ctx("read the state clock")?,
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

    async fn decide_batch(&mut self, items: Vec<LeadItem>) -> Result<Vec<LeadResult>, ServiceError> {
        let (mut tx, head) = self.lock().await?;
        self.sync(&mut tx, &head).await?;
        let now = self.clock.now_ms();
        let existing = existing_keys(&mut tx, &items).await?;
        let cache = self.cache()?;
        let policy = cache.policy.clone();
        let ir = policy.ir();
        let version = cache.version.clone();
        let moment = policy.at(now);
        let before = cache.state.clone();
        let batch_id = head.batch_seq + 1;
        let mut seen: BTreeMap<String, (String, String)> = existing;
        let mut audit_seq = head.audit_seq;
        let mut entries: Vec<Entry> = Vec::new();
        let mut rows: Vec<LeadRow> = Vec::new();
        let mut results = Vec::with_capacity(items.len());
        let decide_started = Instant::now();
        for item in items {
            let value = match item.body {
                Err((_, message)) => {
                    audit_seq += 1;
                    let errors = serde_json::json!([{ "field": "", "expected": "a JSON object", "found": "", "message": message }]);
                    let d = serde_json::json!({ "lead_id": item.lead_id, "outcome": "rejected", "errors": errors, "policy_version": version });
                    entries.push(audit::other(audit_seq, now, audit::kind::REJECTION, None,
                        serde_json::json!({ "lead_id": item.lead_id, "key": null, "version": version, "errors": errors })));
                    results.push(LeadResult::Rejected { json: d.to_string() });
                    continue;
                }
                Ok(v) => v,
            };
            if let Some((hash, json)) = item.key.as_ref().and_then(|k| seen.get(k)) {
                results.push(if *hash == item.hash {
                    LeadResult::Decided { json: json.clone(), replayed: true }
                } else {
                    LeadResult::Conflict { key: item.key.clone().unwrap_or_default() }
                });
                continue;
            }
            let read = leadroute_runtime::Lead::from_json(ir, &value, leadroute_runtime::LeadOptions::default());
            let lead = match read {
                Ok(lead) => lead,
                Err(errors) => {
                    let d = leadroute_runtime::Decision::rejected(item.lead_id.clone(), errors, &version);
                    audit_seq += 1;
                    entries.push(audit::other(audit_seq, now, audit::kind::REJECTION, Some(&item.lead_id),
                        serde_json::json!({ "lead_id": item.lead_id, "key": item.key, "version": version, "lead": value, "errors": d.errors })));
                    results.push(LeadResult::Rejected { json: d.to_json_line() });
                    continue;
                }
            };
            let key = item.key.unwrap_or_else(|| item.lead_id.clone());
            let d = policy.decide(&lead, &cache.state, &moment, false);
            policy.commit(&mut cache.state, &d);
            let json = d.to_json_line();
            let lead_text = value.to_string();
            audit_seq += 1;
            entries.push(audit::decision(audit_seq, now, &key, &d.lead_id, &version, &lead_text, &json));
            metrics::counter!("leadroute_decisions_total", "outcome" => d.outcome.as_str(),
                "team" => d.team.clone().unwrap_or_default(), "queue" => d.queue.clone().unwrap_or_default()).increment(1);
            rows.push(LeadRow {
                key: key.clone(),
                lead_id: d.lead_id.clone(),
                hash: item.hash.clone(),
                lead: lead_text,
                decision: json.clone(),
                outcome: d.outcome.as_str(),
                rep: d.rep.clone(),
                position: rows.len() as i64,
                audit_seq,
            });
            seen.insert(key, (item.hash, json.clone()));
            results.push(LeadResult::Decided { json, replayed: false });
        }
        if !rows.is_empty() {
            metrics::histogram!("leadroute_decide_seconds").record(decide_started.elapsed().as_secs_f64() / rows.len() as f64);
        }
        // Which reps and teams moved.
        let changed_reps: Vec<usize> = (0..before.reps.len()).filter(|&i| before.reps[i] != cache.state.reps[i]).collect();
        let changed_teams: Vec<usize> = (0..before.teams.len()).filter(|&i| before.teams[i] != cache.state.teams[i]).collect();
        let state_changed = !changed_reps.is_empty() || !changed_teams.is_empty();
        let seq = if state_changed { head.seq + 1 } else { head.seq };
        for &i in &changed_reps {
            cache.named.take_rep(ir, &cache.state, i);
            upsert_rep(&mut tx, &ir.reps[i].id, &cache.state.reps[i], seq).await?;
        }
        for &i in &changed_teams {
            cache.named.take_team(ir, &cache.state, i);
            let name = &ir.teams[i].name;
            if let Some(row) = cache.named.teams.get(name) {
                upsert_team(&mut tx, name, row, seq).await?;
            }
        }
        let batch_seq = if rows.is_empty() { head.batch_seq } else { batch_id };
        if !rows.is_empty() {
            sqlx::query("INSERT INTO batches (id, version, decided_at, state) VALUES ($1, $2, $3, $4)")
                .bind(batch_id)
                .bind(&version)
                .bind(now)
                .bind(before.to_json(ir).to_string())
                .execute(&mut *tx)
                .await
                .ctx("record the batch")?;
            insert_leads(&mut tx, &rows, &version, now, batch_id).await?;
        }
        insert_audit(&mut tx, &entries).await?;
        set_head(&mut tx, seq, audit_seq, batch_seq).await?;
        tx.commit().await.ctx("commit the batch")?;
        cache.seq = seq;
        Ok(results)
    }

    async fn event(&mut self, lead: String, kind: EventKind) -> Result<serde_json::Value, ServiceError> {
        let (mut tx, head) = self.lock().await?;
        self.sync(&mut tx, &head).await?;
        let now = self.clock.now_ms();
        let row = find_lead(&mut tx, &lead).await?;
        let Some(row) = row else {
            return Err(ServiceError::NotFound {
                what: format!("lead `{lead}`"),
                help: "events apply to decided leads; give the lead id or the Idempotency-Key it was posted with".into(),
            });
        };
        let key: String = row.try_get("idem_key").ctx("read a lead")?;
        let lead_id: String = row.try_get("lead_id").ctx("read a lead")?;
        let rep: Option<String> = row.try_get("rep").ctx("read a lead")?;
        let outcome: String = row.try_get("outcome").ctx("read a lead")?;
        let (column, already_at): (&str, Option<i64>) = match kind {
            EventKind::Released => ("released_at", row.try_get("released_at").ctx("read a lead")?),
            EventKind::Contacted => ("contacted_at", row.try_get("contacted_at").ctx("read a lead")?),
        };
        let name = match kind {
            EventKind::Released => audit::kind::RELEASED,
            EventKind::Contacted => audit::kind::CONTACTED,
        };
        if let Some(at) = already_at {
            return Ok(serde_json::json!({ "lead_id": lead_id, "event": name, "recorded": false, "at": leadroute_runtime::state::format_time(at),
                "message": format!("already {name}; nothing changed") }));
        }
        let mut seq = head.seq;
        let mut freed = None;
        if kind == EventKind::Released && outcome == "assigned" {
            if let Some(rep) = &rep {
                let cache = self.cache()?;
                let mut s = cache.named.reps.get(rep).cloned().unwrap_or_default();
                s.open_load = s.open_load.saturating_sub(1);
                seq += 1;
                upsert_rep(&mut tx, rep, &s, seq).await?;
                if let Some(&i) = cache.rep_index.get(rep) {
                    cache.state.reps[i] = s.clone();
                }
                freed = Some(s.open_load);
                cache.named.reps.insert(rep.clone(), s);
            }
        }
        sqlx::query(&format!("UPDATE leads SET {column} = $1 WHERE idem_key = $2"))
            .bind(now)
            .bind(&key)
            .execute(&mut *tx)
            .await
            .ctx("record the event")?;
        let audit_seq = head.audit_seq + 1;
        let entry = audit::other(audit_seq, now, name, Some(&lead_id),
            serde_json::json!({ "lead_id": lead_id, "key": key, "rep": if freed.is_some() { rep.clone() } else { None } }));
        insert_audit(&mut tx, &[entry]).await?;
        set_head(&mut tx, seq, audit_seq, head.batch_seq).await?;
        tx.commit().await.ctx("commit the event")?;
        self.cache()?.seq = seq;
        let mut out = serde_json::json!({ "lead_id": lead_id, "event": name, "recorded": true, "at": leadroute_runtime::state::format_time(now) });
        if let (Some(rep), Some(load)) = (rep, freed) {
            out["rep"] = rep.into();
            out["open_load"] = load.into();
        }
        Ok(out)
    }

    async fn patch_rep(&mut self, rep: String, patch: RepPatch) -> Result<serde_json::Value, ServiceError> {
        let (mut tx, head) = self.lock().await?;
        self.sync(&mut tx, &head).await?;
        let now = self.clock.now_ms();
        let cache = self.cache()?;
        if !cache.rep_index.contains_key(&rep) {
            return Err(ServiceError::NotFound { what: format!("rep `{rep}`"), help: "GET /v1/reps lists the reps of the active policy".into() });
        }
        let before = cache.named.reps.get(&rep).cloned().unwrap_or_default();
        let mut after = before.clone();
        if let Some(a) = patch.active {
            after.active = a;
        }
        if let Some(o) = patch.out_of_office_until {
            after.out_of_office_until = o;
        }
        if let Some(m) = patch.max_open {
            after.max_open = m;
        }
        if let Some(m) = patch.max_per_day {
            after.max_per_day = m;
        }
        if after == before {
            return Ok(serde_json::json!({ "rep": rep, "changed": false, "state": crate::reps::settings_json(&after) }));
        }
        let seq = head.seq + 1;
        upsert_rep(&mut tx, &rep, &after, seq).await?;
        let audit_seq = head.audit_seq + 1;
        let entry = audit::other(audit_seq, now, audit::kind::REP_CHANGED, None,
            serde_json::json!({ "rep": rep, "before": crate::reps::settings_json(&before), "after": crate::reps::settings_json(&after) }));
        insert_audit(&mut tx, &[entry]).await?;
        set_head(&mut tx, seq, audit_seq, head.batch_seq).await?;
        tx.commit().await.ctx("commit the rep change")?;
        let cache = self.cache()?;
        if let Some(&i) = cache.rep_index.get(&rep) {
            cache.state.reps[i] = after.clone();
        }
        cache.named.reps.insert(rep.clone(), after.clone());
        cache.seq = seq;
        Ok(serde_json::json!({ "rep": rep, "changed": true, "state": crate::reps::settings_json(&after) }))
    }

    async fn activate(&mut self, version: String) -> Result<serde_json::Value, ServiceError> {
        let (mut tx, head) = self.lock().await?;
        if head.active_version.as_deref() == Some(version.as_str()) {
            return Ok(serde_json::json!({ "active": version, "changed": false }));
        }
        // Loads (and compiles) the version before anything changes: a version
        // that does not load never replaces the active one.
        let policy = self.policies.get(&mut tx, &version).await?;
        let now = self.clock.now_ms();
        let ir_json = serde_json::to_value(policy.ir()).unwrap_or(serde_json::Value::Null);
        let audit_seq = head.audit_seq + 1;
        let entry = audit::other(audit_seq, now, audit::kind::POLICY_ACTIVATED, None,
            serde_json::json!({ "version": version, "previous": head.active_version, "ir": ir_json }));
        insert_audit(&mut tx, &[entry]).await?;
        sqlx::query("UPDATE service_state SET active_version = $1, audit_seq = $2 WHERE id = 1")
            .bind(&version)
            .bind(audit_seq)
            .execute(&mut *tx)
            .await
            .ctx("activate the version")?;
        tx.commit().await.ctx("commit the activation")?;
        // The next batch rebuilds the state for the new version's reps and teams.
        self.cache = None;
        metrics::counter!("leadroute_policy_activations_total").increment(1);
        Ok(serde_json::json!({ "active": version, "previous": head.active_version, "changed": true }))
    }

    async fn seed(&mut self, state_text: String) -> Result<bool, ServiceError> {
        let (mut tx, head) = self.lock().await?;
        let version = head.active_version.clone().ok_or(ServiceError::NoActivePolicy)?;
        let count: i64 = sqlx::query("SELECT (SELECT COUNT(*) FROM rep_state) + (SELECT COUNT(*) FROM team_state) + (SELECT COUNT(*) FROM leads) AS n")
            .fetch_one(&mut *tx)
            .await
            .ctx("count stored state")?
            .try_get("n")
            .ctx("count stored state")?;
        if count > 0 {
            return Ok(false);
        }
        let policy = self.policies.get(&mut tx, &version).await?;
        let ir = policy.ir();
        let (state, _warnings) = State::from_json(ir, &state_text)
            .map_err(|e| ServiceError::Invalid { code: "bad_state", message: e, details: None })?;
        let seq = head.seq + 1;
        let mut named = Named::default();
        for i in 0..ir.reps.len() {
            named.take_rep(ir, &state, i);
        }
        for i in 0..ir.teams.len() {
            named.take_team(ir, &state, i);
        }
        for (id, s) in &named.reps {
            upsert_rep(&mut tx, id, s, seq).await?;
        }
        for (name, t) in &named.teams {
            upsert_team(&mut tx, name, t, seq).await?;
        }
        let now = self.clock.now_ms();
        let audit_seq = head.audit_seq + 1;
        let entry = audit::other(audit_seq, now, audit::kind::STATE_SEEDED, None,
            serde_json::json!({ "version": version, "state": state.to_json(ir) }));
        insert_audit(&mut tx, &[entry]).await?;
        set_head(&mut tx, seq, audit_seq, head.batch_seq).await?;
        tx.commit().await.ctx("commit the seeded state")?;
        self.cache = None;
        Ok(true)
    }
}

/// The stored hash and decision of every key in `items` already decided.
async fn existing_keys(conn: &mut AnyConnection, items: &[LeadItem]) -> Result<BTreeMap<String, (String, String)>, StoreError> {
    let keys: Vec<&str> = items.iter().filter_map(|i| i.key.as_deref()).collect();
    let mut out = BTreeMap::new();
    for chunk in keys.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT idem_key, body_hash, decision FROM leads WHERE idem_key IN ({})", marks.join(", "));
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = q.bind(*k);
        }
        for row in q.fetch_all(&mut *conn).await.ctx("look up idempotency keys")? {
            out.insert(
                row.try_get("idem_key").ctx("read a lead")?,
                (row.try_get("body_hash").ctx("read a lead")?, row.try_get("decision").ctx("read a lead")?),
            );
        }
    }
    Ok(out)
}

/// The lead row for a key, else the latest for a lead id.
pub async fn find_lead(conn: &mut AnyConnection, lead: &str) -> Result<Option<sqlx::any::AnyRow>, StoreError> {
    const COLS: &str = "idem_key, lead_id, body_hash, lead, decision, outcome, rep, version, decided_at, batch_id, position, audit_seq, released_at, contacted_at";
    let by_key = sqlx::query(&format!("SELECT {COLS} FROM leads WHERE idem_key = $1"))
        .bind(lead)
        .fetch_optional(&mut *conn)
        .await
        .ctx("read a lead")?;
    if by_key.is_some() {
        return Ok(by_key);
    }
    sqlx::query(&format!("SELECT {COLS} FROM leads WHERE lead_id = $1 ORDER BY audit_seq DESC LIMIT 1"))
        .bind(lead)
        .fetch_optional(&mut *conn)
        .await
        .ctx("read a lead")
}

async fn insert_leads(conn: &mut AnyConnection, rows: &[LeadRow], version: &str, now: i64, batch_id: i64) -> Result<(), StoreError> {
    const COLS: usize = 12;
    for chunk in rows.chunks(200) {
        let sql = format!(
            "INSERT INTO leads (idem_key, lead_id, body_hash, lead, decision, outcome, rep, version, decided_at, batch_id, position, audit_seq) VALUES {}",
            placeholders(chunk.len(), COLS)
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(&r.key)
                .bind(&r.lead_id)
                .bind(&r.hash)
                .bind(&r.lead)
                .bind(&r.decision)
                .bind(r.outcome)
                .bind(r.rep.as_deref())
                .bind(version)
                .bind(now)
                .bind(batch_id)
                .bind(r.position)
                .bind(r.audit_seq);
        }
        q.execute(&mut *conn).await.ctx("store decisions")?;
    }
    Ok(())
}

async fn insert_audit(conn: &mut AnyConnection, entries: &[Entry]) -> Result<(), StoreError> {
    for chunk in entries.chunks(400) {
        let sql = format!("INSERT INTO audit (seq, at, kind, lead_id, entry) VALUES {}", placeholders(chunk.len(), 5));
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q.bind(e.seq).bind(e.at).bind(e.kind).bind(e.lead_id.as_deref()).bind(&e.json);
        }
        q.execute(&mut *conn).await.ctx("append to the audit log")?;
    }
    Ok(())
}

async fn set_head(conn: &mut AnyConnection, seq: i64, audit_seq: i64, batch_seq: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE service_state SET seq = $1, audit_seq = $2, batch_seq = $3 WHERE id = 1")
        .bind(seq)
        .bind(audit_seq)
        .bind(batch_seq)
        .execute(&mut *conn)
        .await
        .ctx("advance the state clock")?;
    Ok(())
}
