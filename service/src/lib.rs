//! `leadroute serve`: the routing service. Leads come in over HTTP, a decider
//! task decides them in groups, each group one database transaction under the
//! state lock (SQLite by default, PostgreSQL for several nodes); the answer
//! goes out once the decision and its state change are durable.
//!
//! [`serve`] is what the command line runs; tests start the real process.

pub mod access;
pub mod api;
pub mod audit;
pub mod charts;
pub mod client;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod decider;
pub mod delivery;
pub mod duplicates;
pub mod error;
pub mod intake;
pub mod policies;
pub mod policy_diff;
pub mod replay;
pub mod reps;
pub mod state;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use leadroute_runtime::ir::PolicyIr;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::decider::{Command, Decider, Operations};
use crate::policies::{store_version, PolicyCache, VersionMeta};
use crate::store::Store;

/// Everything `serve` needs.
#[derive(Debug)]
pub struct Config {
    /// `--db`: a SQLite file or a `postgres://` URL.
    pub db: String,
    /// `--listen`.
    pub listen: SocketAddr,
    /// The policy to store and activate.
    pub ir: PolicyIr,
    /// `--state`: rep state seeded into an empty database.
    pub seed_state: Option<String>,
    /// The service token (the operator `service`).
    pub token: Option<String>,
    /// The policy's `.route` sources by file name (kept with the version, for the workbench).
    pub sources: Option<std::collections::BTreeMap<String, String>>,
    /// The clock.
    pub clock: Arc<dyn clock::Clock>,
    /// Body limits.
    pub limits: api::Limits,
    /// The service configuration (delivery, notifications, timers).
    pub service: config::ServiceConfig,
    /// A clock only the API moves (`--manual-clock`), for trials and tests.
    pub manual_clock: Option<Arc<clock::ManualClock>>,
}

/// The process-wide Prometheus recorder (installed once).
fn metrics_handle() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
            let sizes = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
            let builder = PrometheusBuilder::new()
                .set_buckets(&buckets)
                .ok()?
                .set_buckets_for_metric(metrics_exporter_prometheus::Matcher::Full("leadroute_batch_leads".into()), &sizes)
                .ok()?
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full("leadroute_work_item_resolve_seconds".into()),
                    &[60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14_400.0, 28_800.0, 86_400.0, 259_200.0],
                )
                .ok()?;
            builder.install_recorder().ok()
        })
        .clone()
}

/// Runs the service until `shutdown` resolves, then drains: in-flight
/// requests finish and the decider answers every command it took.
/// `on_ready` gets the bound address and the active version.
pub async fn serve(config: Config, shutdown: impl Future<Output = ()> + Send + 'static, on_ready: impl FnOnce(SocketAddr, &str, &str)) -> Result<(), String> {
    let store = Store::connect(&config.db).await?;
    let policies = Arc::new(PolicyCache::default());
    let version = config.ir.policy_version.clone();
    let access = access::Access::new(config.token.as_deref(), &config.service.access, |v| std::env::var(v).ok())?;
    let meta = VersionMeta { author: None, message: Some("loaded by `leadroute serve`".into()), sources: config.sources.clone() };
    // Loading compiles; a policy that does not load is never stored or activated.
    policies.insert(config.ir.clone()).map_err(|e| e.to_string())?;
    store_version(&store, &config.ir, &meta, config.clock.now_ms()).await.map_err(|e| e.to_string())?;
    let ops = Operations {
        destinations: config.service.destinations.iter().map(|d| d.name.clone()).collect(),
        notify: config.service.notifications.is_some(),
        error_queue: config.service.delivery.error_queue.clone(),
    };
    let tick = config::duration(&config.service.timers.tick, "timers.tick")?;
    let (decider, task) = Decider::new(store.clone(), config.clock.clone(), policies.clone(), Arc::new(ops)).spawn(4096);
    let delivery = delivery::Delivery::new(store.clone(), config.clock.clone(), decider.clone(), &config.service, |v| std::env::var(v).ok())?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    // Without destinations the workers do not run (and hold no sender, so the decider can drain).
    if !delivery.is_empty() {
        workers.push(tokio::spawn(Arc::new(delivery).run(stop_rx.clone())));
    } else {
        drop(delivery);
    }
    let changes = Arc::new(tokio::sync::watch::Sender::new(0));
    workers.push(tokio::spawn(watch_changes(store.clone(), changes.clone(), stop_rx.clone())));
    workers.push(tokio::spawn(ticker(decider.clone(), tick, stop_rx)));
    let state = Arc::new(api::Inner {
        store: store.clone(),
        decider,
        policies,
        clock: config.clock.clone(),
        access,
        changes,
        metrics: metrics_handle(),
        limits: config.limits,
        manual_clock: config.manual_clock.clone(),
    });
    state.submit(|reply| Command::Activate(version.clone(), Some("leadroute serve".into()), reply)).await.map_err(|e| format!("cannot activate {version}: {e}"))?;
    if let Some(seed) = config.seed_state {
        let seeded = state.submit(|reply| Command::Seed(seed, reply)).await.map_err(|e| format!("--state: {e}"))?;
        if !seeded {
            eprintln!("leadroute: the database already holds rep state; --state was not applied");
        }
    }
    let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    on_ready(addr, &version, &store.display);
    let app = api::router(state);
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await.map_err(|e| format!("the server failed: {e}"))?;
    // Timers and deliveries stop (a claimed delivery is retried after its claim expires).
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = w.await;
    }
    // The router (and with it every sender) is gone: the decider drains and stops.
    let _ = task.await;
    store.pool.close().await;
    Ok(())
}

/// Asks the decider to fire due timers every `every`, until `stop` flips.
async fn ticker(decider: tokio::sync::mpsc::Sender<Command>, every: std::time::Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        if decider.send(Command::Tick(tx)).await.is_err() {
            return;
        }
        if let Ok(Err(e)) = rx.await {
            tracing::warn!("timers: {e}");
        }
    }
}

/// Waits for Ctrl-C or SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    eprintln!("leadroute: stopping: finishing in-flight requests");
}

/// Runs the service on its own runtime until Ctrl-C or SIGTERM, printing
/// where it listens and which version is active.
pub fn run_blocking(config: Config) -> Result<(), String> {
    let protected = config.token.is_some() || !config.service.access.tokens.is_empty();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(serve(config, stop_signal(), |addr, version, db| {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "leadroute: listening on http://{addr}");
        let _ = writeln!(out, "leadroute: active policy {version}; database {db}");
        let access = if protected { "sign in with your access token" } else { "no tokens configured: open to everyone who can reach this address" };
        let _ = writeln!(out, "leadroute: workbench at http://{addr}/ ({access})");
        let _ = out.flush();
    }))?;
    eprintln!("leadroute: stopped cleanly");
    Ok(())
}

/// Publishes the audit log's last `seq` (once a second, from the database,
/// so changes made by other nodes count too) for the workbench's live stream.
async fn watch_changes(store: Store, tx: Arc<tokio::sync::watch::Sender<i64>>, mut stop: tokio::sync::watch::Receiver<bool>) {
    use sqlx::Row;
    let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.changed() => return,
        }
        // Nobody has the workbench open: nothing to tell.
        if tx.receiver_count() == 0 {
            continue;
        }
        if let Ok(row) = sqlx::query("SELECT audit_seq FROM service_state WHERE id = 1").fetch_one(&store.pool).await {
            let seq: i64 = row.try_get("audit_seq").unwrap_or_default();
            tx.send_if_modified(|v| std::mem::replace(v, seq) != seq);
        }
    }
}
