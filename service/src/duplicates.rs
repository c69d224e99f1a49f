//! Duplicate leads in the service: finding the earlier lead a new one
//! duplicates (the most recent decided lead with the same key within the
//! policy's window), with its current owner after reassignments. The store
//! is read inside the decision's transaction, under the state lock, so two
//! duplicates arriving together are decided one after the other: once per
//! group for every key in it ([`Stored::fetch`]), then lead by lead, where
//! the group's own earlier leads (not stored yet) come first from a [`Seen`].

use std::collections::{BTreeMap, BTreeSet};

use leadroute_runtime::{Lead, Policy, Prior, Seen};
use sqlx::{AnyConnection, Row};

use crate::store::{chunks_pow2, placeholders_for, Context, StoreError};

/// The stored leads a group's keys may duplicate: per key, the two most
/// recent within the window (two, so one can be the lead itself).
#[derive(Debug, Default)]
pub struct Stored {
    /// Keys looked up; a key outside them (a canary's) is looked up alone.
    fetched: BTreeSet<String>,
    /// Per key, most recent first.
    by_key: BTreeMap<String, Vec<Prior>>,
}

/// The columns every lookup reads, most recent in commit order first
/// (batches are numbered under the state lock: another node's clock may run a
/// little ahead of this one's, so a decision time after `now` still counts).
const RECENT: &str = "SELECT dup_key, lead_id, decided_at, decision, current, \
     ROW_NUMBER() OVER (PARTITION BY dup_key ORDER BY batch_id DESC, position DESC) AS recency FROM leads";

impl Stored {
    /// Reads, for every key the group's leads have under `policy`, the most
    /// recent stored leads with it decided within the window before `now`.
    pub async fn fetch(conn: &mut AnyConnection, policy: &Policy, leads: impl Iterator<Item = &serde_json::Value>, now: i64) -> Result<Stored, StoreError> {
        let mut out = Stored::default();
        let Some(window) = policy.duplicate_window_ms() else { return Ok(out) };
        out.fetched = leads.filter_map(|l| policy.duplicate_key_json(l)).collect();
        let keys: Vec<&String> = out.fetched.iter().collect();
        let sqlite = conn.backend_name().eq_ignore_ascii_case("sqlite");
        for chunk in chunks_pow2(&keys, 256) {
            let since = if sqlite { "?".to_string() } else { format!("${}", chunk.len() + 1) };
            let sql = format!(
                "SELECT dup_key, lead_id, decided_at, decision, current FROM ({RECENT} WHERE dup_key IN {} AND decided_at >= {since}) recent \
                 WHERE recency <= 2 ORDER BY dup_key, recency",
                placeholders_for(conn, 1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for k in chunk {
                q = q.bind(k.as_str());
            }
            for row in q.bind(now.saturating_sub(window)).fetch_all(&mut *conn).await.ctx("look up earlier leads with the same duplicate keys")? {
                let key: String = row.try_get("dup_key").ctx("read an earlier lead")?;
                out.by_key.entry(key).or_default().push(prior_of(&row)?);
            }
        }
        Ok(out)
    }

    /// The most recent stored lead with `key` other than `lead_id`; `None` for
    /// a key not fetched.
    fn prior(&self, key: &str, lead_id: &str) -> Option<Option<Prior>> {
        self.fetched.contains(key).then(|| self.by_key.get(key).and_then(|ps| ps.iter().find(|p| p.lead_id != lead_id).cloned()))
    }
}

/// An earlier lead's row as it is now: its current decision after overrides
/// and breaches, else its first.
fn prior_of(row: &sqlx::any::AnyRow) -> Result<Prior, StoreError> {
    let read = "read an earlier lead";
    let first: String = row.try_get("decision").ctx(read)?;
    let current: Option<String> = row.try_get("current").ctx(read)?;
    let now: serde_json::Value = serde_json::from_str(current.as_deref().unwrap_or(&first)).unwrap_or_default();
    let s = |k: &str| now[k].as_str().map(str::to_string);
    let prior = Prior::new(row.try_get::<String, _>("lead_id").ctx(read)?, row.try_get("decided_at").ctx(read)?);
    Ok(Prior { owner: s("rep"), team: s("team"), queue: s("queue"), ..prior })
}

/// The most recent stored lead with `key` decided within `window_ms` before
/// `now`, other than `lead_id` itself.
async fn stored_prior(conn: &mut AnyConnection, key: &str, window_ms: i64, now: i64, lead_id: &str) -> Result<Option<Prior>, StoreError> {
    let sql = format!("SELECT dup_key, lead_id, decided_at, decision, current FROM ({RECENT} WHERE dup_key = $1 AND decided_at >= $2 AND lead_id <> $3) recent WHERE recency = 1");
    let row = sqlx::query(&sql)
        .bind(key)
        .bind(now.saturating_sub(window_ms))
        .bind(lead_id)
        .fetch_optional(&mut *conn)
        .await
        .ctx("look up an earlier lead with the same duplicate key")?;
    row.as_ref().map(prior_of).transpose()
}

/// The key of `lead` under `policy` and the earlier lead it duplicates: one
/// of this group's leads (`group`, the most recent) first, else the store's.
pub async fn find_prior(conn: &mut AnyConnection, group: &Seen, stored: &Stored, policy: &Policy, lead: &Lead, now: i64) -> Result<(Option<String>, Option<Prior>), StoreError> {
    let (Some(key), Some(window)) = (policy.duplicate_key(lead), policy.duplicate_window_ms()) else { return Ok((None, None)) };
    if let Some(p) = group.prior(policy, &key, now, &lead.id) {
        return Ok((Some(key), Some(p)));
    }
    let prior = match stored.prior(&key, &lead.id) {
        Some(found) => found,
        None => stored_prior(conn, &key, window, now, &lead.id).await?,
    };
    Ok((Some(key), prior))
}
