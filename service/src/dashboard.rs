//! The workbench dashboard: speed to lead, SLA compliance, decisions by
//! outcome over time, exception queues and per-rep load, as numbers and as
//! SVG charts. Everything is read from the store as of the service's clock.
//!
//! Definitions (also in docs/workbench.md):
//! - *speed to lead*: from the decision to the first `contacted` event, over
//!   the leads decided in the window that have been contacted;
//! - *SLA compliance*: of the SLA clocks (assignment and queue) that came due
//!   in the window and were not made stale by a move, the share stopped in
//!   time (by a contact, a release or a resolution) rather than breached;
//! - *time to resolve*: from a work item's creation to its resolution, over
//!   the items resolved in the window.

use std::collections::BTreeMap;

use leadroute_runtime::state::format_time;
use sqlx::Row;

use crate::charts;
use crate::error::ServiceError;
use crate::policies::PolicyCache;
use crate::store::{Context, Store};

/// Buckets across the window.
const BUCKETS: i64 = 24;
/// Most rows read for a percentile.
const SAMPLE: i64 = 100_000;

/// The `p`-th percentile (0..=1) of sorted values, by nearest rank.
fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn minutes(ms: Option<i64>) -> Option<f64> {
    ms.map(|m| (m as f64 / 60_000.0 * 10.0).round() / 10.0)
}

/// The dashboard over the last `hours` hours before `now`.
pub async fn build(store: &Store, policies: &PolicyCache, now: i64, hours: i64) -> Result<serde_json::Value, ServiceError> {
    let span = hours * 3_600_000;
    let since = now - span;
    let bucket = (span / BUCKETS).max(1);
    let label = |b: i64| {
        let t = format_time(since + b * bucket);
        // `2026-11-24T15:00:00Z` -> `11-24 15:00`
        t.get(5..16).map(|s| s.replace('T', " ")).unwrap_or(t)
    };
    let labels: Vec<String> = (0..BUCKETS).map(label).collect();
    let pool = &store.pool;

    // Decisions by outcome over time.
    let rows = sqlx::query("SELECT (decided_at - $1) / $2 AS b, outcome, COUNT(*) AS n FROM leads WHERE decided_at >= $1 AND decided_at <= $3 GROUP BY (decided_at - $1) / $2, outcome")
        .bind(since)
        .bind(bucket)
        .bind(now)
        .fetch_all(pool)
        .await
        .ctx("count decisions")?;
    let mut by_outcome: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    for r in &rows {
        let b: i64 = r.try_get("b").ctx("count decisions")?;
        let outcome: String = r.try_get("outcome").ctx("count decisions")?;
        let n: i64 = r.try_get("n").ctx("count decisions")?;
        let slot = by_outcome.entry(outcome.clone()).or_insert_with(|| vec![0.0; BUCKETS as usize]);
        if let Some(v) = slot.get_mut(b.clamp(0, BUCKETS - 1) as usize) {
            *v += n as f64;
        }
        *totals.entry(outcome).or_default() += n;
    }
    // A stable order and colour: assigned, queued, dropped, rejected.
    let order = ["assigned", "queued", "dropped", "rejected"];
    let outcome_series: Vec<(String, Vec<f64>)> =
        order.iter().map(|o| (o.to_string(), by_outcome.remove(*o).unwrap_or_else(|| vec![0.0; BUCKETS as usize]))).collect();

    // Speed to lead.
    let rows = sqlx::query("SELECT decided_at, contacted_at FROM leads WHERE decided_at >= $1 AND decided_at <= $2 AND contacted_at IS NOT NULL LIMIT $3")
        .bind(since)
        .bind(now)
        .bind(SAMPLE)
        .fetch_all(pool)
        .await
        .ctx("read contacts")?;
    let mut all = Vec::new();
    let mut per_bucket: Vec<Vec<i64>> = vec![Vec::new(); BUCKETS as usize];
    for r in &rows {
        let d: i64 = r.try_get("decided_at").ctx("read contacts")?;
        let c: i64 = r.try_get("contacted_at").ctx("read contacts")?;
        let took = (c - d).max(0);
        all.push(took);
        per_bucket[((d - since) / bucket).clamp(0, BUCKETS - 1) as usize].push(took);
    }
    all.sort_unstable();
    for b in &mut per_bucket {
        b.sort_unstable();
    }
    let decided: i64 = totals.values().sum();
    let speed = serde_json::json!({
        "contacted": all.len(), "decided": decided,
        "median_minutes": minutes(percentile(&all, 0.5)), "p90_minutes": minutes(percentile(&all, 0.9)),
    });
    let speed_series = vec![
        ("median".to_string(), per_bucket.iter().map(|b| minutes(percentile(b, 0.5))).collect::<Vec<_>>()),
        ("p90".to_string(), per_bucket.iter().map(|b| minutes(percentile(b, 0.9))).collect::<Vec<_>>()),
    ];

    // SLA compliance by the bucket the clock came due in.
    let rows = sqlx::query(
        "SELECT (due_at - $1) / $2 AS b, \
                SUM(CASE WHEN outcome LIKE 'stopped%' THEN 1 ELSE 0 END) AS met, \
                SUM(CASE WHEN outcome IS NOT NULL AND outcome NOT LIKE 'stopped%' AND outcome NOT LIKE 'stale%' THEN 1 ELSE 0 END) AS breached \
         FROM timers WHERE kind IN ('sla', 'queue_sla') AND due_at >= $1 AND due_at <= $3 GROUP BY (due_at - $1) / $2",
    )
    .bind(since)
    .bind(bucket)
    .bind(now)
    .fetch_all(pool)
    .await
    .ctx("read SLA clocks")?;
    let (mut met, mut breached) = (vec![0i64; BUCKETS as usize], vec![0i64; BUCKETS as usize]);
    for r in &rows {
        let b = r.try_get::<i64, _>("b").ctx("read SLA clocks")?.clamp(0, BUCKETS - 1) as usize;
        met[b] += r.try_get::<Option<i64>, _>("met").ctx("read SLA clocks")?.unwrap_or(0);
        breached[b] += r.try_get::<Option<i64>, _>("breached").ctx("read SLA clocks")?.unwrap_or(0);
    }
    let (m, br): (i64, i64) = (met.iter().sum(), breached.iter().sum());
    let sla = serde_json::json!({
        "met": m, "breached": br,
        "compliance_percent": if m + br > 0 { Some((1000.0 * m as f64 / (m + br) as f64).round() / 10.0) } else { None },
    });
    let sla_series = vec![
        ("met".to_string(), met.iter().map(|&v| v as f64).collect::<Vec<_>>()),
        ("breached".to_string(), breached.iter().map(|&v| v as f64).collect::<Vec<_>>()),
    ];

    // Exception queues: open now, and time to resolve in the window.
    let rows = sqlx::query("SELECT queue, COUNT(*) AS n FROM work_items WHERE status IN ('open', 'claimed') GROUP BY queue").fetch_all(pool).await.ctx("count work items")?;
    let mut queues: BTreeMap<String, (i64, Vec<i64>)> = BTreeMap::new();
    for r in &rows {
        queues.entry(r.try_get("queue").ctx("count work items")?).or_default().0 = r.try_get("n").ctx("count work items")?;
    }
    let rows = sqlx::query("SELECT queue, created_at, resolved_at FROM work_items WHERE status = 'resolved' AND resolved_at >= $1 AND resolved_at <= $2 LIMIT $3")
        .bind(since)
        .bind(now)
        .bind(SAMPLE)
        .fetch_all(pool)
        .await
        .ctx("read resolved work items")?;
    for r in &rows {
        let q: String = r.try_get("queue").ctx("read resolved work items")?;
        let took = r.try_get::<i64, _>("resolved_at").ctx("read resolved work items")? - r.try_get::<i64, _>("created_at").ctx("read resolved work items")?;
        queues.entry(q).or_default().1.push(took.max(0));
    }
    let mut queue_json = Vec::new();
    let (mut qnames, mut qopen, mut qresolve) = (Vec::new(), Vec::new(), Vec::new());
    for (q, (open, mut took)) in queues {
        took.sort_unstable();
        let median = minutes(percentile(&took, 0.5));
        queue_json.push(serde_json::json!({ "queue": q, "open": open, "resolved": took.len(), "median_resolve_minutes": median }));
        qnames.push(q);
        qopen.push(open as f64);
        qresolve.push(median.unwrap_or(0.0));
    }

    // Per-rep load against capacity.
    let reps = crate::reps::view(store, policies, now, None).await.unwrap_or_default();
    let (mut rnames, mut rload, mut rcap) = (Vec::new(), Vec::new(), Vec::new());
    let mut rep_json = Vec::new();
    for r in &reps {
        let id = r["id"].as_str().unwrap_or_default().to_string();
        let load = r["open_load"].as_f64().unwrap_or(0.0);
        let cap = r["max_open"].as_f64();
        rep_json.push(serde_json::json!({ "rep": id, "open_load": load, "max_open": cap, "assigned_today": r["assigned_today"], "available": r["available"] }));
        rnames.push(id);
        rload.push(load);
        rcap.push(cap.unwrap_or(0.0));
    }

    let chart = |r: Result<String, String>| r.unwrap_or_else(|e| format!("<p>chart unavailable: {e}</p>"));
    Ok(serde_json::json!({
        "as_of": format_time(now), "since": format_time(since), "hours": hours, "bucket_minutes": bucket / 60_000,
        "labels": labels,
        "outcomes": { "totals": totals, "series": outcome_series.iter().map(|(n, v)| serde_json::json!({ "outcome": n, "counts": v })).collect::<Vec<_>>() },
        "speed_to_lead": speed,
        "sla": sla,
        "queues": queue_json,
        "reps": rep_json,
        "charts": {
            "outcomes": chart(charts::stacked_bars("decisions", &labels, &outcome_series)),
            "speed_to_lead": chart(charts::lines("minutes to first contact", &labels, &speed_series)),
            "sla": chart(charts::stacked_bars("SLA clocks", &labels, &sla_series)),
            "queues": chart(charts::grouped_bars("items / minutes", &qnames, &[("open now".into(), qopen), ("median minutes to resolve".into(), qresolve)])),
            "reps": chart(charts::grouped_bars("leads", &rnames, &[("open load".into(), rload), ("max open".into(), rcap)])),
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&v, 0.5), Some(5));
        assert_eq!(percentile(&v, 0.9), Some(9));
        assert_eq!(percentile(&[7], 0.9), Some(7));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
