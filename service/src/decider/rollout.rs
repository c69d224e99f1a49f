//! Rollouts inside the decider: a candidate version in `shadow` decides
//! beside the active one on its own copy of rep state (nothing real moves),
//! or in `canary` decides a stable share of the leads on the real state.
//! Guardrails compare the two versions' outcome shares and roll a canary
//! back on their own.

use std::collections::BTreeMap;
use std::sync::Arc;

use leadroute_runtime::ir::PolicyIr;
use leadroute_runtime::{Decision, Outcome, Policy, State};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::error::ServiceError;
use crate::policies::PolicyCache;
use crate::state::{team_row, team_state};
use crate::store::{chunks_pow2, placeholders_for, Context, StoreError};

/// How the candidate runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Decides every lead beside the active version; commits nothing real.
    Shadow,
    /// Decides a stable share of the leads for real.
    Canary,
}

/// What a guardrail watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Share of leads queued.
    Queued,
    /// Share of leads dropped.
    Dropped,
    /// Share of leads that raised `no_available_rep`.
    NoAvailableRep,
}

/// The candidate's share of `metric` must not exceed the active version's by
/// more than `max_increase_points` percentage points, once it decided `min_leads`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guardrail {
    /// What is compared.
    pub metric: Metric,
    /// Allowed increase, in percentage points.
    pub max_increase_points: f64,
    /// Leads the candidate must have decided before the guardrail judges.
    pub min_leads: u64,
}

/// A rollout as asked for.
#[derive(Debug, Clone)]
pub struct RolloutSpec {
    /// The candidate version (stored).
    pub version: String,
    /// Shadow or canary.
    pub mode: Mode,
    /// Canary share, 0 to 100.
    pub percent: u32,
    /// Canary guardrails.
    pub guardrails: Vec<Guardrail>,
}

/// Outcome counts of one version.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counts {
    /// Leads decided.
    pub n: u64,
    /// Queued.
    pub queued: u64,
    /// Dropped.
    pub dropped: u64,
    /// Raised `no_available_rep`.
    pub no_available_rep: u64,
}

impl Counts {
    /// Counts one decision.
    pub fn add_decision(&mut self, d: &Decision) {
        self.n += 1;
        self.queued += u64::from(d.outcome == Outcome::Queued);
        self.dropped += u64::from(d.outcome == Outcome::Dropped);
        self.no_available_rep += u64::from(d.exceptions.iter().any(|e| e.exception == "no_available_rep"));
    }

    /// The share (0 to 100) of `metric`.
    pub fn share(&self, metric: Metric) -> f64 {
        let k = match metric {
            Metric::Queued => self.queued,
            Metric::Dropped => self.dropped,
            Metric::NoAvailableRep => self.no_available_rep,
        };
        if self.n == 0 { 0.0 } else { 100.0 * k as f64 / self.n as f64 }
    }
}

/// A rollout's running totals.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stats {
    /// Leads the active version decided.
    pub active: Counts,
    /// Leads the candidate decided (canary) or would have (shadow).
    pub candidate: Counts,
    /// Shadow: `old -> new` destination pairs with counts (agreements too).
    pub pairs: BTreeMap<String, u64>,
}

/// The running rollout as the decider holds it during one transaction.
pub(crate) struct Live {
    pub id: i64,
    pub version: String,
    pub policy: Arc<Policy>,
    pub mode: Mode,
    pub percent: u32,
    pub guardrails: Vec<Guardrail>,
    /// Shadow: the candidate's own rep state. Canary: the real state seen through the candidate's reps and teams.
    pub state: State,
    pub stats: Stats,
    pub diffs: Vec<(String, String, String, String)>,
}

/// The first of `guardrails` that `stats` break, said in words.
pub fn broken(guardrails: &[Guardrail], stats: &Stats) -> Option<String> {
    let (a, c) = (&stats.active, &stats.candidate);
    guardrails.iter().find_map(|g| {
        let (ours, theirs) = (c.share(g.metric), a.share(g.metric));
        (c.n >= g.min_leads && ours - theirs > g.max_increase_points).then(|| {
            let name = match g.metric {
                Metric::Queued => "queued",
                Metric::Dropped => "dropped",
                Metric::NoAvailableRep => "no_available_rep",
            };
            format!(
                "{name} share {ours:.1}% for the candidate vs {theirs:.1}% for the active version (+{:.1} points > {}) over {} candidate leads",
                ours - theirs,
                g.max_increase_points,
                c.n
            )
        })
    })
}

/// Which of 100 buckets a lead falls in: a stable hash of its id, so the
/// same lead always goes to the same version.
pub fn bucket(lead_id: &str) -> u32 {
    let d = Sha256::digest(lead_id.as_bytes());
    u32::from_be_bytes([d[0], d[1], d[2], d[3]]) % 100
}

/// Copies what `d` changed (its rep, its team's rotation) from one policy's
/// state to another's, by rep id and team name.
pub(crate) fn mirror(from: &PolicyIr, src: &State, to: &PolicyIr, dst: &mut State, d: &Decision) {
    if let Some(rep) = &d.rep {
        if let (Some(i), Some(j)) = (from.reps.iter().position(|r| &r.id == rep), to.reps.iter().position(|r| &r.id == rep)) {
            dst.reps[j] = src.reps[i].clone();
        }
    }
    if let Some(team) = &d.team {
        if let (Some(i), Some(j)) = (from.teams.iter().position(|t| &t.name == team), to.teams.iter().position(|t| &t.name == team)) {
            dst.teams[j] = team_state(to, j, &team_row(from, i, &src.teams[i]));
        }
    }
}

impl Live {
    /// Reads the running rollout `id` (the candidate loaded), with the real
    /// state for canary leads built from `named`.
    pub async fn load(conn: &mut AnyConnection, id: i64, policies: &PolicyCache, named: &crate::state::Named) -> Result<Option<Live>, ServiceError> {
        let row = sqlx::query("SELECT candidate, mode, percent, guardrails, status, shadow_state, stats FROM rollouts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .ctx("read the rollout")?;
        let Some(row) = row else { return Ok(None) };
        let get = |c: &str| row.try_get::<Option<String>, _>(c).ctx("read the rollout");
        if get("status")?.as_deref() != Some("running") {
            return Ok(None);
        }
        let version = get("candidate")?.unwrap_or_default();
        let policy = policies.get(conn, &version).await?;
        let mode = if get("mode")?.as_deref() == Some("canary") { Mode::Canary } else { Mode::Shadow };
        let state = match (mode, get("shadow_state")?) {
            (Mode::Shadow, Some(text)) => {
                let mut s = State::from_json(policy.ir(), &text).map(|(s, _)| s).unwrap_or_else(|_| named.to_state(policy.ir()));
                // The shadow keeps its own loads and rotation, but what operators
                // set on reps (active, out of office, caps) is the real one.
                for (i, rep) in policy.ir().reps.iter().enumerate() {
                    if let Some(real) = named.reps.get(&rep.id) {
                        let sh = &mut s.reps[i];
                        (sh.active, sh.out_of_office_until, sh.max_open, sh.max_per_day) = (real.active, real.out_of_office_until, real.max_open, real.max_per_day);
                    }
                }
                s
            }
            _ => named.to_state(policy.ir()),
        };
        Ok(Some(Live {
            id,
            version,
            mode,
            percent: u32::try_from(row.try_get::<i64, _>("percent").ctx("read the rollout")?).unwrap_or(0),
            guardrails: get("guardrails")?.and_then(|g| serde_json::from_str(&g).ok()).unwrap_or_default(),
            stats: get("stats")?.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default(),
            policy,
            state,
            diffs: Vec::new(),
        }))
    }

    /// Whether the candidate decides this lead (canary).
    pub fn takes(&self, lead_id: &str) -> bool {
        self.mode == Mode::Canary && bucket(lead_id) < self.percent
    }

    /// Shadow: what the candidate would have done with the lead the active
    /// version decided as `real`, on its own state.
    pub fn shadow(&mut self, lead: &serde_json::Value, key: &str, real: &Decision, now: i64) {
        let policy = self.policy.clone();
        let d = match leadroute_runtime::Lead::from_json(policy.ir(), lead, leadroute_runtime::LeadOptions::default()) {
            Ok(l) => {
                let d = policy.decide(&l, &self.state, &policy.at(now), false);
                policy.commit(&mut self.state, &d);
                d
            }
            Err(errors) => Decision::rejected(real.lead_id.clone(), errors, policy.version()),
        };
        self.stats.candidate.add_decision(&d);
        self.stats.active.add_decision(real);
        let (old, new) = (real.destination(), d.destination());
        *self.stats.pairs.entry(format!("{old} -> {new}")).or_default() += 1;
        if old != new {
            self.diffs.push((key.to_string(), real.lead_id.clone(), old, new));
        }
    }

    /// The first guardrail the candidate breaks, as the reason to roll back.
    pub fn broken_guardrail(&self) -> Option<String> {
        broken(&self.guardrails, &self.stats)
    }

    /// Canary: the reps and teams only the candidate has, whose real state
    /// it changed (the active version's view cannot hold them), by name.
    pub fn candidate_only_changes(&self, named: &crate::state::Named, active: &PolicyIr) -> crate::state::Named {
        if self.mode != Mode::Canary {
            return crate::state::Named::default();
        }
        let ir = self.policy.ir();
        let reps = ir
            .reps
            .iter()
            .enumerate()
            .filter(|(_, r)| !active.reps.iter().any(|a| a.id == r.id))
            .filter(|(i, r)| named.reps.get(&r.id).cloned().unwrap_or_default() != self.state.reps[*i])
            .map(|(i, r)| (r.id.clone(), self.state.reps[i].clone()))
            .collect();
        let teams = ir
            .teams
            .iter()
            .enumerate()
            .filter(|(_, t)| !active.teams.iter().any(|a| a.name == t.name))
            .map(|(i, t)| (t.name.clone(), team_row(ir, i, &self.state.teams[i])))
            .filter(|(name, row)| named.teams.get(name) != Some(row))
            .collect();
        crate::state::Named { reps, teams }
    }

    /// Stores the totals, the shadow state and the disagreements.
    pub async fn save(&mut self, conn: &mut AnyConnection, now: i64) -> Result<(), StoreError> {
        let shadow = (self.mode == Mode::Shadow).then(|| self.state.to_json(self.policy.ir()).to_string());
        sqlx::query("UPDATE rollouts SET stats = $1, shadow_state = COALESCE($2, shadow_state) WHERE id = $3")
            .bind(serde_json::to_string(&self.stats).unwrap_or_else(|_| "{}".into()))
            .bind(shadow)
            .bind(self.id)
            .execute(&mut *conn)
            .await
            .ctx("save the rollout")?;
        for chunk in chunks_pow2(&self.diffs, 128) {
            let sql = format!("INSERT INTO rollout_diffs (rollout_id, lead_key, lead_id, old_dest, new_dest, at) VALUES {}", placeholders_for(conn, chunk.len(), 6));
            let mut q = sqlx::query(&sql);
            for (key, lead, old, new) in chunk {
                q = q.bind(self.id).bind(key).bind(lead).bind(old).bind(new).bind(now);
            }
            q.execute(&mut *conn).await.ctx("record shadow disagreements")?;
        }
        self.diffs.clear();
        Ok(())
    }
}


/// Marks a rollout ended.
pub(crate) async fn finish(conn: &mut AnyConnection, id: i64, status: &str, reason: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE rollouts SET status = $1, reason = $2, ended_at = $3 WHERE id = $4")
        .bind(status)
        .bind(reason)
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await
        .ctx("end the rollout")?;
    Ok(())
}

impl super::Decider {
    pub(super) async fn start_rollout(&mut self, spec: RolloutSpec) -> Result<serde_json::Value, ServiceError> {
        let (mut tx, mut head) = self.lock().await?;
        self.sync(&mut tx, &head).await?;
        if let Some(id) = head.rollout_id {
            return Err(ServiceError::Conflict { code: "rollout_running", message: format!("rollout {id} is running; promote or stop it first") });
        }
        if head.active_version.as_deref() == Some(spec.version.as_str()) {
            return Err(ServiceError::Invalid { code: "invalid_rollout", message: format!("`{}` is the active version already", spec.version), details: None });
        }
        if spec.percent > 100 {
            return Err(ServiceError::Invalid { code: "invalid_rollout", message: "`percent` must be 0 to 100".into(), details: None });
        }
        let candidate = self.policies.get(&mut tx, &spec.version).await?;
        let now = self.clock.now_ms();
        let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM rollouts").fetch_one(&mut *tx).await.ctx("number the rollout")?.try_get("next").ctx("number the rollout")?;
        let cache = self.cache()?;
        let shadow = (spec.mode == Mode::Shadow).then(|| cache.named.to_state(candidate.ir()).to_json(candidate.ir()).to_string());
        let base = cache.version.clone();
        let guardrails = serde_json::to_string(&spec.guardrails).unwrap_or_else(|_| "[]".into());
        let mode = if spec.mode == Mode::Shadow { "shadow" } else { "canary" };
        sqlx::query("INSERT INTO rollouts (id, candidate, base, mode, percent, guardrails, status, started_at, shadow_state, stats) VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8, '{}')")
            .bind(id)
            .bind(&spec.version)
            .bind(&base)
            .bind(mode)
            .bind(i64::from(spec.percent))
            .bind(&guardrails)
            .bind(now)
            .bind(shadow)
            .execute(&mut *tx)
            .await
            .ctx("start the rollout")?;
        head.rollout_id = Some(id);
        let entry = crate::audit::other(head.next_audit(), now, crate::audit::kind::ROLLOUT_STARTED, None,
            serde_json::json!({ "rollout": id, "candidate": spec.version, "base": base, "mode": mode, "percent": spec.percent,
                "guardrails": spec.guardrails, "ir": serde_json::to_value(candidate.ir()).unwrap_or_default() }));
        super::rows::insert_audit(&mut tx, &[entry]).await?;
        super::rows::write_head(&mut tx, &head).await?;
        tx.commit().await.ctx("commit the rollout")?;
        Ok(serde_json::json!({ "rollout": id, "candidate": spec.version, "base": base, "mode": mode, "percent": spec.percent, "status": "running" }))
    }

    pub(super) async fn end_rollout(&mut self, promote: bool, reason: String) -> Result<serde_json::Value, ServiceError> {
        let (mut tx, mut head) = self.lock().await?;
        let Some(id) = head.rollout_id.take() else {
            return Err(ServiceError::Conflict { code: "no_rollout", message: "no rollout is running".into() });
        };
        let candidate: String = sqlx::query("SELECT candidate FROM rollouts WHERE id = $1").bind(id).fetch_one(&mut *tx).await.ctx("read the rollout")?.try_get("candidate").ctx("read the rollout")?;
        let now = self.clock.now_ms();
        let status = if promote { "promoted" } else { "stopped" };
        let mut entries = Vec::new();
        if promote {
            entries.push(self.activation(&mut tx, &mut head, &candidate, Some("rollout"), now).await?);
        }
        finish(&mut tx, id, status, &reason, now).await?;
        entries.push(crate::audit::other(head.next_audit(), now, crate::audit::kind::ROLLOUT_ENDED, None,
            serde_json::json!({ "rollout": id, "candidate": candidate, "status": status, "reason": reason })));
        super::rows::insert_audit(&mut tx, &entries).await?;
        super::rows::write_head(&mut tx, &head).await?;
        tx.commit().await.ctx("commit the end of the rollout")?;
        self.cache = None;
        Ok(serde_json::json!({ "rollout": id, "candidate": candidate, "status": status, "active": head.active_version }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lead_always_lands_in_the_same_bucket() {
        assert_eq!(bucket("L-1"), bucket("L-1"));
        assert!((0..1000).map(|i| bucket(&format!("L-{i}"))).all(|b| b < 100));
    }

    #[test]
    fn a_guardrail_judges_only_after_its_minimum_and_names_the_gap() {
        let g = [Guardrail { metric: Metric::Queued, max_increase_points: 5.0, min_leads: 50 }];
        let mut stats = Stats {
            active: Counts { n: 100, queued: 10, dropped: 0, no_available_rep: 0 },
            candidate: Counts { n: 40, queued: 30, dropped: 0, no_available_rep: 0 },
            pairs: BTreeMap::new(),
        };
        assert_eq!(broken(&g, &stats), None, "40 leads: not judged yet");
        stats.candidate = Counts { n: 60, queued: 45, dropped: 0, no_available_rep: 0 };
        let why = broken(&g, &stats).unwrap_or_default();
        assert!(why.starts_with("queued share 75.0% for the candidate vs 10.0%"), "{why}");
        stats.candidate.queued = 9;
        assert_eq!(broken(&g, &stats), None, "15% vs 10%: within 5 points");
    }
}
