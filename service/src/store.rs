//! The store: one sqlx `Any` pool over SQLite (the embedded default) or
//! PostgreSQL, the embedded migrations, and the few statements where the two
//! dialects differ. Every query binds its parameters; none is built from input.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Executor, Transaction};

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// An embedded SQLite file (WAL, synchronous=FULL).
    Sqlite,
    /// A PostgreSQL server (several nodes may share it).
    Postgres,
}

/// A failure of the database, with what was being done.
#[derive(Debug)]
pub struct StoreError {
    /// What the service was doing.
    pub context: String,
    /// The driver's error.
    pub source: sqlx::Error,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.context, self.source)
    }
}

impl std::error::Error for StoreError {}

/// Adds what was being done to a driver error.
pub trait Context<T> {
    /// Wraps the error with `context`.
    fn ctx(self, context: &str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, sqlx::Error> {
    fn ctx(self, context: &str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError { context: context.to_string(), source })
    }
}

/// The connection pool and its dialect.
#[derive(Debug, Clone)]
pub struct Store {
    /// The pool (readers and the decider share it).
    pub pool: AnyPool,
    /// SQLite or PostgreSQL.
    pub dialect: Dialect,
    /// The database, for messages (no password).
    pub display: String,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Turns `--db` into a connection URL: a plain path is a SQLite file.
pub fn normalize_url(db: &str) -> Result<(String, Dialect), String> {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        return Ok((db.to_string(), Dialect::Postgres));
    }
    if let Some(rest) = db.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches("//");
        if path.is_empty() {
            return Err("--db sqlite: needs a file, e.g. sqlite://leadroute.db".into());
        }
        let sep = if path.contains('?') { "&" } else { "?" };
        let url = if path.contains("mode=") { format!("sqlite://{path}") } else { format!("sqlite://{path}{sep}mode=rwc") };
        return Ok((url, Dialect::Sqlite));
    }
    if db.contains("://") {
        return Err(format!("--db {db:?}: use a SQLite file (leadroute.db, sqlite://path) or postgres://user@host/db"));
    }
    Ok((format!("sqlite://{db}?mode=rwc"), Dialect::Sqlite))
}

fn redact(url: &str) -> String {
    // postgres://user:secret@host/db -> postgres://user:***@host/db
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// Connects, sets SQLite up for durability and concurrency, and runs the migrations.
    pub async fn connect(db: &str) -> Result<Store, String> {
        sqlx::any::install_default_drivers();
        let (url, dialect) = normalize_url(db)?;
        let options = AnyPoolOptions::new()
            .max_connections(if dialect == Dialect::Sqlite { 8 } else { 10 })
            .acquire_timeout(Duration::from_secs(15))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        // WAL lets readers run beside the one writer; FULL makes a
                        // commit durable before the answer goes out.
                        conn.execute(sqlx::raw_sql(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 15000;",
                        ))
                        .await?;
                    }
                    Ok(())
                })
            });
        let display = redact(&url);
        let pool = options.connect(&url).await.map_err(|e| format!("cannot open the database {display}: {e}"))?;
        MIGRATOR.run(&pool).await.map_err(|e| format!("cannot migrate the database {display}: {e}"))?;
        Ok(Store { pool, dialect, display })
    }

    /// Starts a write transaction: `BEGIN IMMEDIATE` on SQLite so the write
    /// lock is taken at once (a deferred BEGIN fails with SQLITE_BUSY when two
    /// writers upgrade), a plain `BEGIN` on PostgreSQL (the row lock follows).
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let sql = match self.dialect {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        };
        self.pool.begin_with(sql).await.ctx("begin a write transaction")
    }

    /// The state clock, locked until the transaction ends (the state lock).
    pub fn lock_head_sql(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "SELECT seq, audit_seq, batch_seq, item_seq, timer_seq, outbox_seq, active_version, rollout_id FROM service_state WHERE id = 1",
            Dialect::Postgres => "SELECT seq, audit_seq, batch_seq, item_seq, timer_seq, outbox_seq, active_version, rollout_id FROM service_state WHERE id = 1 FOR UPDATE",
        }
    }
}

/// Placeholders for a multi-row statement on `conn`: `(?, ?), (?, ?)` on
/// SQLite, `($1, $2), ($3, $4)` on PostgreSQL. SQLite looks a numbered
/// parameter's name up by a linear scan, so hundreds of `$N` in one
/// statement cost quadratic time there; plain `?` are bound by position.
pub fn placeholders_for(conn: &sqlx::AnyConnection, rows: usize, cols: usize) -> String {
    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        let row = format!("({})", vec!["?"; cols].join(", "));
        return vec![row; rows].join(", ");
    }
    placeholders(rows, cols)
}

/// Splits `items` into chunks whose lengths are powers of two (at most
/// `max`, itself a power of two): multi-row statements then come in a few
/// shapes, each prepared once and cached, instead of one per batch size.
pub fn chunks_pow2<T>(items: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut n = max.max(1);
        while n > rest.len() {
            n /= 2;
        }
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Some(head)
    })
}

/// `$1, $2, ...` placeholders for `rows` rows of `cols` columns, as
/// `($1, $2), ($3, $4)` (both dialects read `$N`).
pub fn placeholders(rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('$');
            s.push_str(&(r * cols + c + 1).to_string());
        }
        s.push(')');
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_are_sqlite_files_created_on_first_use() {
        assert_eq!(normalize_url("leadroute.db").unwrap(), ("sqlite://leadroute.db?mode=rwc".into(), Dialect::Sqlite));
        assert_eq!(normalize_url("sqlite:///tmp/x.db").unwrap().0, "sqlite:///tmp/x.db?mode=rwc");
        assert_eq!(normalize_url("postgres://u@h/db").unwrap().1, Dialect::Postgres);
        assert!(normalize_url("mysql://h/db").is_err());
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(redact("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn chunks_come_in_powers_of_two() {
        let v: Vec<u32> = (0..13).collect();
        let sizes: Vec<usize> = chunks_pow2(&v, 8).map(<[u32]>::len).collect();
        assert_eq!(sizes, vec![8, 4, 1]);
        assert_eq!(chunks_pow2(&v, 8).flatten().copied().collect::<Vec<_>>(), v);
        assert_eq!(chunks_pow2::<u32>(&[], 8).count(), 0);
    }

    #[test]
    fn placeholders_number_rows_then_columns() {
        assert_eq!(placeholders(2, 2), "($1, $2), ($3, $4)");
    }
}
