//! Starting the real `leadroute serve` process on loopback against a fresh
//! SQLite file or a fresh PostgreSQL database, and talking to it over HTTP.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The policy every service test uses.
pub fn policy_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/service/policy.route")
}

/// A moment inside everyone's working hours; the service clock starts there.
pub const CLOCK: &str = "2026-11-24T15:00:00Z";

/// A place for this test's files.
pub fn scratch(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("service-{name}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the target tmp dir is writable");
    dir
}

/// A database for one test.
#[derive(Debug, Clone)]
pub struct Db {
    /// What `--db` gets.
    pub url: String,
    /// "sqlite" or "postgres", for messages.
    pub kind: &'static str,
}

/// A fresh SQLite file.
pub fn sqlite(name: &str) -> Db {
    Db { url: scratch(name).join("leadroute.db").display().to_string(), kind: "sqlite" }
}

/// The PostgreSQL server the tests use, from LEADROUTE_TEST_DATABASE_URL.
/// Without it the test is skipped (and says so) unless CI=true, where it fails.
fn pg_base() -> Option<String> {
    match std::env::var("LEADROUTE_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but LEADROUTE_TEST_DATABASE_URL is unset: the PostgreSQL tests must run in CI (.ci/run sets it)");
            }
            eprintln!("SKIPPED (PostgreSQL): LEADROUTE_TEST_DATABASE_URL is unset; set it to e.g. postgres://postgres@127.0.0.1:5432/test to run these tests");
            None
        }
    }
}

/// A fresh PostgreSQL database (created on the test server), or None when skipped.
pub async fn postgres(name: &str) -> Option<Db> {
    use sqlx::Connection;
    let base = pg_base()?;
    static N: AtomicU32 = AtomicU32::new(0);
    let db = format!("lr_{}_{}_{}", name, std::process::id(), N.fetch_add(1, Ordering::SeqCst));
    let mut conn = match sqlx::PgConnection::connect(&base).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true and PostgreSQL at {base} is unreachable: {e}");
            }
            eprintln!("SKIPPED (PostgreSQL): cannot reach {base}: {e}");
            return None;
        }
    };
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db}")).execute(&mut conn).await.expect("drop an old test database");
    sqlx::query(&format!("CREATE DATABASE {db}")).execute(&mut conn).await.expect("create a test database");
    let url = match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").unwrap_or(0) + 2 => format!("{}/{db}", &base[..i]),
        _ => format!("{base}/{db}"),
    };
    Some(Db { url, kind: "postgres" })
}

/// Every database this run tests: SQLite always, PostgreSQL when available.
pub async fn databases(name: &str) -> Vec<Db> {
    let mut dbs = vec![sqlite(name)];
    if let Some(pg) = postgres(name).await {
        dbs.push(pg);
    }
    dbs
}

/// A running `leadroute serve`.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The port it listens on.
    pub port: u16,
    /// Where its standard error goes.
    pub log: PathBuf,
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct Start {
    /// The database.
    pub db: Db,
    /// The policy path.
    pub policy: PathBuf,
    /// Port (0: any free one).
    pub port: u16,
    /// Extra arguments.
    pub args: Vec<String>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
}

impl Start {
    /// The test policy on `db`, any port.
    pub fn new(db: &Db) -> Start {
        Start { db: db.clone(), policy: policy_path(), port: 0, args: Vec::new(), env: Vec::new() }
    }
}

impl Server {
    /// Starts the process and waits until it prints where it listens.
    pub fn start(s: &Start) -> Server {
        let log = scratch("log").join("serve.stderr");
        let stderr = std::fs::File::create(&log).expect("create the server log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadroute"));
        cmd.arg("serve").arg(&s.policy).args(["--db", &s.db.url, "--listen", &format!("127.0.0.1:{}", s.port)]);
        if !s.args.iter().any(|a| a == "--manual-clock") {
            cmd.args(["--clock", CLOCK]);
        }
        cmd.args(&s.args)
            .env_remove("LEADROUTE_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr));
        for (k, v) in &s.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start leadroute serve");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            for _ in lines {}
        });
        let first = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!("leadroute serve did not start: {}", std::fs::read_to_string(&log).unwrap_or_default());
            }
        };
        let base = first.strip_prefix("leadroute: listening on ").unwrap_or_else(|| panic!("unexpected first line {first:?}")).to_string();
        let port = base.rsplit(':').next().and_then(|p| p.parse().ok()).expect("the address has a port");
        Server { child, base, port, log }
    }

    /// kill -9.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGINT (Ctrl-C), then waits for the exit status.
    pub fn interrupt(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        for _ in 0..600 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("the server did not stop within 30 s of Ctrl-C");
    }

    /// The server's standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client for the tests (keep-alive, bounded timeouts).
pub fn client() -> reqwest::Client {
    // reqwest is built with rustls and no provider of its own (the service installs ring).
    leadroute_service::delivery::installs_crypto();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(128)
        .build()
        .expect("a client")
}

/// A response: status and body parsed as JSON (Null when not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body as JSON.
    pub json: serde_json::Value,
    /// The body as text.
    pub text: String,
}

/// Sends a request; `Err` for a transport failure (connection refused, reset).
pub async fn send(req: reqwest::RequestBuilder) -> Result<Answer, reqwest::Error> {
    let r = req.send().await?;
    let status = r.status().as_u16();
    let text = r.text().await?;
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Ok(Answer { status, json, text })
}

/// POSTs JSON text.
pub async fn post(c: &reqwest::Client, url: String, body: String) -> Result<Answer, reqwest::Error> {
    send(c.post(url).header("content-type", "application/json").body(body)).await
}

/// GETs.
pub async fn get(c: &reqwest::Client, url: String) -> Answer {
    send(c.get(url)).await.expect("a GET answers")
}

/// A lead of the test policy: hot (to the capped team) or cold (to the pool).
pub fn lead(id: &str, hot: bool) -> String {
    serde_json::json!({ "id": id, "email": format!("{id}@example.com"), "intent": if hot { 90.0 } else { 20.0 }, "source": "web" }).to_string()
}

/// A deterministic pseudo-random sequence (no clock, no global state).
pub struct Lcg(pub u64);

impl Lcg {
    /// The next value in 0..n.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// The whole audit log as entries.
pub async fn audit(c: &reqwest::Client, base: &str) -> (String, Vec<serde_json::Value>) {
    let a = get(c, format!("{base}/v1/audit")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let entries = a.text.lines().map(|l| serde_json::from_str(l).expect("audit lines are JSON")).collect();
    (a.text, entries)
}

/// Runs `leadroute replay` on an audit log; returns its exit code and output.
pub fn replay(log: &str, extra: &[&str]) -> (i32, String) {
    let path = scratch("replay").join("audit.ndjson");
    std::fs::write(&path, log).expect("write the audit log");
    let out = Command::new(env!("CARGO_BIN_EXE_leadroute")).arg("replay").arg(&path).args(extra).output().expect("run leadroute replay");
    (out.status.code().unwrap_or(-1), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// The reps as the service reports them, by id.
pub async fn reps(c: &reqwest::Client, base: &str) -> std::collections::BTreeMap<String, serde_json::Value> {
    let a = get(c, format!("{base}/v1/reps")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.json["reps"].as_array().expect("reps").iter().map(|r| (r["id"].as_str().unwrap_or_default().to_string(), r.clone())).collect()
}

/// A decision without the per-answer `replayed` flag.
pub fn without_replayed(v: &serde_json::Value) -> serde_json::Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("replayed");
    }
    v
}
