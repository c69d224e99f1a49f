//! Duplicate leads in the service: finding the earlier lead a new one
//! duplicates (the most recent decided lead with the same key within the
//! policy's window), with its current owner after reassignments. The store
//! lookup runs inside the decision's transaction, under the state lock, so
//! two duplicates arriving together are decided one after the other; leads
//! earlier in the same batch are not stored yet and come from a [`Seen`].

use leadroute_runtime::{Lead, Policy, Prior, Seen};
use sqlx::{AnyConnection, Row};

use crate::store::{Context, StoreError};

/// The most recent stored lead with `key` decided within `window_ms` before
/// `now`, other than `lead_id` itself, where it is now (its current decision
/// after overrides and breaches, else its first). Most recent in commit order
/// (batches are numbered under the state lock): another node's clock may run
/// a little ahead of this one's, so a time after `now` still counts.
pub async fn stored_prior(conn: &mut AnyConnection, key: &str, window_ms: i64, now: i64, lead_id: &str) -> Result<Option<Prior>, StoreError> {
    let row = sqlx::query(
        "SELECT lead_id, decided_at, decision, current FROM leads WHERE dup_key = $1 AND decided_at >= $2 AND lead_id <> $3 \
         ORDER BY batch_id DESC, position DESC LIMIT 1",
    )
    .bind(key)
    .bind(now.saturating_sub(window_ms))
    .bind(lead_id)
    .fetch_optional(&mut *conn)
    .await
    .ctx("look up an earlier lead with the same duplicate key")?;
    let Some(row) = row else { return Ok(None) };
    let read = "read an earlier lead";
    let first: String = row.try_get("decision").ctx(read)?;
    let current: Option<String> = row.try_get("current").ctx(read)?;
    let now_json: serde_json::Value = serde_json::from_str(current.as_deref().unwrap_or(&first)).unwrap_or_default();
    let s = |k: &str| now_json[k].as_str().map(str::to_string);
    let prior = Prior::new(row.try_get::<String, _>("lead_id").ctx(read)?, row.try_get("decided_at").ctx(read)?);
    Ok(Some(Prior { owner: s("rep"), team: s("team"), queue: s("queue"), ..prior }))
}

/// The key of `lead` under `policy` and the earlier lead it duplicates:
/// one of this batch's leads (`batch`, the most recent) first, else the store's.
pub async fn find_prior(conn: &mut AnyConnection, batch: &Seen, policy: &Policy, lead: &Lead, now: i64) -> Result<(Option<String>, Option<Prior>), StoreError> {
    let (Some(key), Some(window)) = (policy.duplicate_key(lead), policy.duplicate_window_ms()) else { return Ok((None, None)) };
    if let Some(p) = batch.prior(policy, &key, now, &lead.id) {
        return Ok((Some(key), Some(p)));
    }
    let prior = stored_prior(conn, &key, window, now, &lead.id).await?;
    Ok((Some(key), prior))
}
