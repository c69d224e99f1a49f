//! Policy versions: compiling sources or a built IR on the server, storing
//! versions by content hash, and a cache of loaded (compiled) policies shared
//! by the decider and the readers.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use leadroute_compiler::render::diagnostic_json;
use leadroute_compiler::source::MemoryProvider;
use leadroute_compiler::{check_paths, lower};
use leadroute_runtime::ir::PolicyIr;
use leadroute_runtime::{Backend, Policy};
use sqlx::{AnyConnection, Row};

use crate::error::ServiceError;
use crate::store::{Context, Store};

/// Checks `.route` sources (file name -> text, with the `.csv` files their
/// tables read) and lowers them to IR. A
/// policy with errors gives every diagnostic as JSON (as `check --format json`).
pub fn compile_sources(sources: &BTreeMap<String, String>) -> Result<PolicyIr, ServiceError> {
    if sources.is_empty() {
        return Err(invalid("empty_policy", "`sources` names no file; give at least one `.route` file", None));
    }
    let mut provider = MemoryProvider::new();
    let mut paths = Vec::new();
    for (name, text) in sources {
        if name.contains("..") || name.starts_with('/') {
            return Err(invalid("bad_source_name", &format!("source name {name:?} must be a plain relative file name"), None));
        }
        provider.insert(PathBuf::from(name), text.as_bytes().to_vec());
        // A `.csv` source is a table's rows: read when a `table ... from "name.csv"` names it.
        if !name.to_ascii_lowercase().ends_with(".csv") {
            paths.push(PathBuf::from(name));
        }
    }
    let (set, checked) = check_paths(&provider, &paths);
    let errors: Vec<serde_json::Value> =
        checked.diagnostics.iter().filter(|d| d.is_error()).map(|d| diagnostic_json(d, &set)).collect();
    if !errors.is_empty() {
        let n = errors.len();
        return Err(invalid(
            "policy_has_errors",
            &format!("the policy has {n} error{}; nothing was stored", if n == 1 { "" } else { "s" }),
            Some(serde_json::Value::Array(errors)),
        ));
    }
    lower::lower(&set, &checked).ok_or_else(|| invalid("policy_has_errors", "the policy could not be lowered", None))
}

/// Reads a built IR (the JSON `leadroute build` writes) and checks it loads.
pub fn ir_from_value(value: serde_json::Value) -> Result<PolicyIr, ServiceError> {
    // Untrusted input: refused with the JSON path of the first bad value (`$.tiers[3].sla_ms`).
    let ir: PolicyIr = leadroute_runtime::load::ir_from_value(value)
        .map_err(|e| invalid("bad_policy_ir", &format!("`ir`: {e}"), None))?;
    // A version names one behaviour: an IR edited after `leadroute build`
    // would store other behaviour under a version that says otherwise.
    let (claimed, actual) = (&ir.policy_version, lower::policy_version(&ir));
    if *claimed != actual {
        return Err(invalid(
            "bad_policy_ir",
            &format!("`ir`: its policy_version `{claimed}` is not the hash of what it does (`{actual}`): it was changed after `leadroute build`; build it again from the `.route` files, or send them as `sources`"),
            None,
        ));
    }
    Policy::from_ir_with(ir.clone(), Backend::Interp).map_err(|e| invalid("bad_policy_ir", &format!("`ir` does not load: {e}"), None))?;
    Ok(ir)
}

fn invalid(code: &'static str, message: &str, details: Option<serde_json::Value>) -> ServiceError {
    ServiceError::Invalid { code, message: message.to_string(), details }
}

/// Who stored a version and why.
#[derive(Debug, Clone, Default)]
pub struct VersionMeta {
    /// The author (free text, e.g. an e-mail address).
    pub author: Option<String>,
    /// The change message.
    pub message: Option<String>,
    /// The `.route` sources by file name, when the version came from sources.
    pub sources: Option<BTreeMap<String, String>>,
}

/// Stores `ir` as a version unless it is stored already. Returns whether it
/// was new. The same version with different content is a conflict.
pub async fn store_version(store: &Store, ir: &PolicyIr, meta: &VersionMeta, now: i64) -> Result<bool, ServiceError> {
    let text = serde_json::to_string(ir).map_err(|e| ServiceError::Unavailable(format!("cannot serialize the policy: {e}")))?;
    let done = sqlx::query(
        "INSERT INTO policy_versions (version, name, ir, author, message, created_at, sources) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (version) DO NOTHING",
    )
    .bind(&ir.policy_version)
    .bind(&ir.name)
    .bind(&text)
    .bind(meta.author.as_deref())
    .bind(meta.message.as_deref())
    .bind(now)
    .bind(meta.sources.as_ref().map(|m| serde_json::to_string(m).unwrap_or_default()))
    .execute(&store.pool)
    .await
    .ctx("store a policy version")?;
    if done.rows_affected() == 1 {
        return Ok(true);
    }
    // A version first stored as IR gains its sources when they are given.
    if let Some(sources) = &meta.sources {
        sqlx::query("UPDATE policy_versions SET sources = $1 WHERE version = $2 AND sources IS NULL")
            .bind(serde_json::to_string(sources).unwrap_or_default())
            .bind(&ir.policy_version)
            .execute(&store.pool)
            .await
            .ctx("store a policy version's sources")?;
    }
    let stored: String = sqlx::query("SELECT ir FROM policy_versions WHERE version = $1")
        .bind(&ir.policy_version)
        .fetch_one(&store.pool)
        .await
        .ctx("read a policy version")?
        .try_get("ir")
        .ctx("read a policy version")?;
    // One version is one behaviour: the same policy with other comments or
    // layout is the same version. Both sides are hashed as `leadroute build`
    // hashes them (tables streamed, never a JSON tree of their rows).
    let same = match serde_json::from_str::<PolicyIr>(&stored) {
        Ok(stored) => lower::policy_version(&stored) == lower::policy_version(ir),
        Err(_) => false,
    };
    if !same {
        return Err(ServiceError::Conflict {
            code: "version_conflict",
            message: format!("version `{}` is stored with different content; a built IR must keep the hash `leadroute build` gave it", ir.policy_version),
        });
    }
    Ok(false)
}

/// Loaded policies by version. Loading compiles to native code, so each
/// version is loaded once per process.
#[derive(Debug, Default)]
pub struct PolicyCache {
    map: Mutex<BTreeMap<String, Arc<Policy>>>,
}

impl PolicyCache {
    /// The policy of `version`, loaded from the store on first use.
    pub async fn get(&self, conn: &mut AnyConnection, version: &str) -> Result<Arc<Policy>, ServiceError> {
        if let Some(p) = self.cached(version) {
            return Ok(p);
        }
        let ir = load_ir(conn, version).await?;
        self.insert(ir)
    }

    /// The policy of `version` if loaded already.
    pub fn cached(&self, version: &str) -> Option<Arc<Policy>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).get(version).cloned()
    }

    /// Loads `ir` (compiling it) and keeps it.
    pub fn insert(&self, ir: PolicyIr) -> Result<Arc<Policy>, ServiceError> {
        let version = ir.policy_version.clone();
        if let Some(p) = self.cached(&version) {
            return Ok(p);
        }
        let policy = Policy::from_ir(ir).map_err(|e| invalid("bad_policy_ir", &format!("version `{version}` does not load: {e}"), None))?;
        let policy = Arc::new(policy);
        self.map.lock().unwrap_or_else(|p| p.into_inner()).insert(version, policy.clone());
        Ok(policy)
    }
}

/// Reads the IR of a stored version.
pub async fn load_ir(conn: &mut AnyConnection, version: &str) -> Result<PolicyIr, ServiceError> {
    let row = sqlx::query("SELECT ir FROM policy_versions WHERE version = $1")
        .bind(version)
        .fetch_optional(&mut *conn)
        .await
        .ctx("read a policy version")?;
    let Some(row) = row else {
        return Err(ServiceError::NotFound { what: format!("policy version `{version}`"), help: "GET /v1/policies lists the stored versions".into() });
    };
    let text: String = row.try_get("ir").ctx("read a policy version")?;
    serde_json::from_str(&text).map_err(|e| invalid("bad_policy_ir", &format!("stored version `{version}` is not a policy IR: {e}"), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "policy p { owner \"o@x.example\" timezone \"UTC\" }\nschema lead { id: string  email: string }\n\
        rep alice { email \"a@x.example\" }\nteam t { members [alice] }\nqueue q { sla 1h }\ntier s otherwise sla 1h\n\
        table accounts from \"accounts.csv\" { domain: domain key  owner: rep }\n\
        route r {\n  when accounts[email] is present -> assign owner(accounts[email].owner) else queue q\n  otherwise -> queue q\n}\n";

    #[test]
    fn a_policy_with_a_table_compiles_from_its_sources_and_csv() {
        let sources = BTreeMap::from([
            ("p.route".to_string(), POLICY.to_string()),
            ("accounts.csv".to_string(), "domain,owner\nglobex.com,alice\n".to_string()),
        ]);
        let ir = compile_sources(&sources).expect("compiles");
        assert_eq!(ir.tables.len(), 1);
        assert_eq!(ir.tables[0].rows.len(), 1);
        assert_eq!(ir.tables[0].loc.file, "accounts.csv");
    }

    #[test]
    fn a_missing_or_bad_table_file_is_reported_with_its_diagnostics() {
        let missing = BTreeMap::from([("p.route".to_string(), POLICY.to_string())]);
        let Err(ServiceError::Invalid { code, details, .. }) = compile_sources(&missing) else { panic!("a policy without its CSV compiled") };
        assert_eq!(code, "policy_has_errors");
        assert!(details.is_some_and(|d| d.to_string().contains("E0060")));
        let bad = BTreeMap::from([
            ("p.route".to_string(), POLICY.to_string()),
            ("accounts.csv".to_string(), "domain,owner\nglobex.com,alcie\n".to_string()),
        ]);
        let Err(ServiceError::Invalid { details, .. }) = compile_sources(&bad) else { panic!("an unknown rep compiled") };
        let details = details.map(|d| d.to_string()).unwrap_or_default();
        assert!(details.contains("E0065") && details.contains("accounts.csv"), "{details}");
    }
}
