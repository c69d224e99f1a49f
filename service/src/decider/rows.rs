//! Statements the decider's transactions share: reading a lead, appending
//! to the audit log, writing the head row back.

use sqlx::AnyConnection;

use leadroute_runtime::State;

use super::{Cache, Head};
use crate::audit::Entry;
use crate::state::{upsert_reps, upsert_teams};
use crate::store::{chunks_pow2, placeholders_for, Context, StoreError};

/// The columns of a lead row.
pub const LEAD_COLUMNS: &str = "idem_key, lead_id, body_hash, lead, decision, outcome, rep, version, decided_at, batch_id, position, audit_seq, released_at, contacted_at, current, holders";

/// The lead row for a key, else the latest for a lead id.
pub async fn find_lead(conn: &mut AnyConnection, lead: &str) -> Result<Option<sqlx::any::AnyRow>, StoreError> {
    let by_key = sqlx::query(&format!("SELECT {LEAD_COLUMNS} FROM leads WHERE idem_key = $1"))
        .bind(lead)
        .fetch_optional(&mut *conn)
        .await
        .ctx("read a lead")?;
    if by_key.is_some() {
        return Ok(by_key);
    }
    sqlx::query(&format!("SELECT {LEAD_COLUMNS} FROM leads WHERE lead_id = $1 ORDER BY audit_seq DESC LIMIT 1"))
        .bind(lead)
        .fetch_optional(&mut *conn)
        .await
        .ctx("read a lead")
}

/// Appends entries to the audit log.
pub async fn insert_audit(conn: &mut AnyConnection, entries: &[Entry]) -> Result<(), StoreError> {
    for chunk in chunks_pow2(entries, 256) {
        let sql = format!("INSERT INTO audit (seq, at, kind, lead_id, entry) VALUES {}", placeholders_for(conn, chunk.len(), 5));
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q.bind(e.seq).bind(e.at).bind(e.kind).bind(e.lead_id.as_deref()).bind(&e.json);
        }
        q.execute(&mut *conn).await.ctx("append to the audit log")?;
    }
    Ok(())
}

/// Writes the head row's clock and counters back.
pub async fn write_head(conn: &mut AnyConnection, head: &Head) -> Result<(), StoreError> {
    sqlx::query("UPDATE service_state SET seq = $1, audit_seq = $2, batch_seq = $3, item_seq = $4, timer_seq = $5, outbox_seq = $6, rollout_id = $7, active_version = $8 WHERE id = 1")
        .bind(head.seq)
        .bind(head.audit_seq)
        .bind(head.batch_seq)
        .bind(head.item_seq)
        .bind(head.timer_seq)
        .bind(head.outbox_seq)
        .bind(head.rollout_id)
        .bind(head.active_version.as_deref())
        .execute(&mut *conn)
        .await
        .ctx("advance the state clock")?;
    Ok(())
}

/// Writes the reps and teams whose state differs from `before`, stamped
/// with the next `seq` (which the head takes) when anything changed.
pub(crate) async fn write_state_changes(conn: &mut AnyConnection, head: &mut Head, cache: &mut Cache, before: &State) -> Result<(), StoreError> {
    let ir = cache.policy.ir();
    let changed_reps: Vec<usize> = (0..before.reps.len()).filter(|&i| before.reps[i] != cache.state.reps[i]).collect();
    let changed_teams: Vec<usize> = (0..before.teams.len()).filter(|&i| before.teams[i] != cache.state.teams[i]).collect();
    if changed_reps.is_empty() && changed_teams.is_empty() {
        return Ok(());
    }
    head.seq += 1;
    for &i in &changed_reps {
        cache.named.take_rep(ir, &cache.state, i);
    }
    for &i in &changed_teams {
        cache.named.take_team(ir, &cache.state, i);
    }
    let reps: Vec<(&str, &leadroute_runtime::RepState)> = changed_reps.iter().map(|&i| (ir.reps[i].id.as_str(), &cache.state.reps[i])).collect();
    upsert_reps(conn, &reps, head.seq).await?;
    let teams: Vec<(&str, &crate::state::TeamRow)> =
        changed_teams.iter().filter_map(|&i| cache.named.teams.get(&ir.teams[i].name).map(|t| (ir.teams[i].name.as_str(), t))).collect();
    upsert_teams(conn, &teams, head.seq).await?;
    Ok(())
}

/// Ends a write that moved state: the changed reps and teams, the audit
/// entries, the effects' rows and the head, then the commit; the cache is
/// then at the new `seq`.
pub(crate) async fn finish(
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    head: &mut Head,
    cache: &mut Cache,
    before: &State,
    writes: (&[Entry], &super::effects::Effects),
    now: i64,
    what: &str,
) -> Result<(), StoreError> {
    let (entries, effects) = writes;
    write_state_changes(&mut tx, head, cache, before).await?;
    insert_audit(&mut tx, entries).await?;
    effects.write(&mut tx, now).await?;
    write_head(&mut tx, head).await?;
    tx.commit().await.ctx(what)?;
    cache.seq = head.seq;
    Ok(())
}
