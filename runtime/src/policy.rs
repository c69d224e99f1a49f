//! A loaded policy: the IR checked for internal consistency, with time zones
//! resolved and lookups prepared, ready to decide leads.

use std::collections::BTreeMap;

use crate::ir::*;
use crate::load::LoadError;
use crate::schedule::Schedule;
use crate::select::Backend;

/// A policy ready to route leads. Cheap to share between threads (`&Policy`).
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) ir: PolicyIr,
    pub(crate) policy_tz: jiff::tz::TimeZone,
    /// Per rep: its own zone (for its calendar day).
    pub(crate) rep_tz: Vec<jiff::tz::TimeZone>,
    /// Holiday calendars, by index.
    pub(crate) calendars: Vec<crate::schedule::Calendar>,
    /// Per rep: its hours and days off.
    pub(crate) rep_sched: Vec<Schedule>,
    /// Per team: when it takes leads.
    pub(crate) team_sched: Vec<Schedule>,
    /// Per queue: when it is worked.
    pub(crate) queue_sched: Vec<Schedule>,
    pub(crate) rep_by_id: BTreeMap<String, u32>,
    /// Per field slot: its missing handler.
    pub(crate) missing: Vec<Option<MissingHandling>>,
    /// The conditions compiled for the fast path.
    pub(crate) compiled: crate::compiled::Compiled,
    /// Each table's hash index, and the free-mail domains.
    pub(crate) tables: crate::table::Tables,
    /// The names as JSON string literals, for writing decisions.
    pub(crate) json: crate::decide::JsonNames,
    /// The slot of the schema's `id` field, when there is one.
    pub(crate) id_slot: Option<usize>,
    /// Native code for the conditions (backend `jit`), shared by clones, freed with the last.
    #[cfg(feature = "jit")]
    pub(crate) jit: Option<std::sync::Arc<crate::jit::Jit>>,
}

/// Native code compiled for one policy ([`Policy::compile_jit`]), to be
/// installed in an engine deciding with it ([`crate::Engine::install`]).
#[derive(Debug)]
pub struct CompiledCode {
    /// The version of the policy it was compiled from.
    pub(crate) version: String,
    #[cfg(feature = "jit")]
    pub(crate) jit: std::sync::Arc<crate::jit::Jit>,
}

fn zone(name: &str, what: &str) -> Result<jiff::tz::TimeZone, String> {
    jiff::tz::TimeZone::get(name).map_err(|_| format!("{what}: unknown time zone `{name}`"))
}

/// A time zone of the IR, refused with the path that names it.
fn zone_at(name: &str, path: &str) -> Result<jiff::tz::TimeZone, LoadError> {
    jiff::tz::TimeZone::get(name).map_err(|_| LoadError::invalid(path, format!("unknown time zone `{name}`")))
}

impl Policy {
    /// Loads a policy from its IR, checking every index and time zone, so
    /// that deciding can never fail on a malformed IR. Conditions are
    /// compiled to native code where this build and host allow it
    /// ([`Backend::host_default`]); should that compilation fail, the policy
    /// falls back to the interpreter (see [`Policy::backend`]).
    pub fn from_ir(ir: PolicyIr) -> Result<Policy, LoadError> {
        let policy = Policy::from_ir_with(ir, Backend::Interp)?;
        if Backend::host_default() == Backend::Jit {
            return Ok(policy.clone().with_backend(Backend::Jit).unwrap_or(policy));
        }
        Ok(policy)
    }

    /// Loads a policy with the given backend; an error when the backend
    /// cannot run here or the policy cannot be compiled for it.
    pub fn from_ir_with(ir: PolicyIr, backend: Backend) -> Result<Policy, LoadError> {
        let policy = Policy::load(ir)?;
        match backend {
            Backend::Interp => Ok(policy),
            Backend::Jit => policy.with_backend(Backend::Jit),
        }
    }

    /// This policy with another backend (compiling its conditions for `jit`).
    #[cfg_attr(not(feature = "jit"), allow(unused_mut))]
    pub fn with_backend(mut self, backend: Backend) -> Result<Policy, LoadError> {
        match backend {
            Backend::Jit => {
                let code = self.compile_jit()?;
                self.set_code(code);
            }
            // The interpreter is always there.
            #[cfg(feature = "jit")]
            Backend::Interp => self.jit = None,
            #[cfg(not(feature = "jit"))]
            Backend::Interp => {}
        }
        Ok(self)
    }

    /// Native code for this policy's conditions, compiled apart from it
    /// (on another thread, say, while an [`crate::Engine`] decides with the
    /// interpreter; [`crate::Engine::install`] switches to it).
    pub fn compile_jit(&self) -> Result<CompiledCode, LoadError> {
        let backend = Backend::Jit;
        if let Some(why) = backend.unavailable() {
            return Err(LoadError::Backend { backend, reason: why.to_string() });
        }
        #[cfg(feature = "jit")]
        {
            let jit = crate::jit::Jit::compile(&self.ir, &self.compiled, &self.missing).map_err(|reason| LoadError::Backend { backend, reason })?;
            Ok(CompiledCode { version: self.version().to_string(), jit: std::sync::Arc::new(jit) })
        }
        #[cfg(not(feature = "jit"))]
        unreachable!("the JIT is unavailable without its feature")
    }

    /// Uses `code` (compiled from this policy) for its conditions.
    pub(crate) fn set_code(&mut self, code: CompiledCode) {
        #[cfg(feature = "jit")]
        {
            self.jit = Some(code.jit);
        }
        #[cfg(not(feature = "jit"))]
        let _ = code;
    }

    /// This policy compiled with at most `max_nodes` condition nodes per
    /// native function, so that a small policy runs through many chained
    /// functions: for tests of that cutting (the interpreter is unchanged).
    #[doc(hidden)]
    #[cfg_attr(not(feature = "jit"), allow(unused_mut))]
    pub fn with_jit_cut(mut self, max_nodes: usize) -> Result<Policy, LoadError> {
        let backend = Backend::Jit;
        if let Some(why) = backend.unavailable() {
            return Err(LoadError::Backend { backend, reason: why.to_string() });
        }
        #[cfg(feature = "jit")]
        {
            let jit = crate::jit::Jit::compile_cut(&self.ir, &self.compiled, &self.missing, max_nodes).map_err(|reason| LoadError::Backend { backend, reason })?;
            self.jit = Some(std::sync::Arc::new(jit));
        }
        #[cfg(not(feature = "jit"))]
        let _ = max_nodes;
        Ok(self)
    }

    /// The backend deciding conditions.
    pub fn backend(&self) -> Backend {
        #[cfg(feature = "jit")]
        if self.jit.is_some() {
            return Backend::Jit;
        }
        Backend::Interp
    }

    /// With compiled code: how many function results (`domain(email)` ...)
    /// are computed once per lead, and how many conditions call back into the
    /// interpreter. For tests and benchmarks.
    #[doc(hidden)]
    pub fn compiled_stats(&self) -> Option<(usize, usize)> {
        #[cfg(feature = "jit")]
        if let Some(j) = &self.jit {
            return Some(j.stats());
        }
        None
    }

    /// Bytes of native code compiled for this policy (0 with the interpreter).
    pub fn code_bytes(&self) -> usize {
        #[cfg(feature = "jit")]
        if let Some(j) = &self.jit {
            return j.code_bytes;
        }
        0
    }

    fn load(ir: PolicyIr) -> Result<Policy, LoadError> {
        if !(OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&ir.format_version) {
            return Err(LoadError::FormatVersion { found: Some(u64::from(ir.format_version)), supported: FORMAT_VERSION });
        }
        crate::validate::validate(&ir).map_err(|e| LoadError::Invalid { path: e.path, problem: e.problem })?;
        let policy_tz = zone_at(&ir.timezone, "$.timezone")?;
        let calendars = ir
            .calendars
            .iter()
            .enumerate()
            .map(|(i, c)| crate::schedule::Calendar::from_ir(c).map_err(|e| LoadError::invalid(format!("$.calendars[{i}].days"), e)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut rep_tz = Vec::new();
        let mut rep_sched = Vec::new();
        for (i, r) in ir.reps.iter().enumerate() {
            let what = format!("rep `{}`", r.id);
            let tz = zone_at(&r.timezone, &format!("$.reps[{i}].timezone"))?;
            let sched = Schedule::new(&r.hours, &tz, &r.calendars, |z| zone(z, &format!("{what} hours")));
            rep_sched.push(sched.map_err(|e| LoadError::invalid(format!("$.reps[{i}].hours"), e))?);
            rep_tz.push(tz);
        }
        // A team's or queue's schedule: its hours in its zone (else the policy's), minus its calendars.
        let group = |path: String, what: String, tz: &Option<String>, hours: &[HoursDef], cals: &[u32]| -> Result<Schedule, LoadError> {
            let tz = match tz {
                Some(z) => zone_at(z, &format!("{path}.timezone"))?,
                None => policy_tz.clone(),
            };
            Schedule::new(hours, &tz, cals, |z| zone(z, &format!("{what} hours"))).map_err(|e| LoadError::invalid(format!("{path}.hours"), e))
        };
        let team_sched = ir
            .teams
            .iter()
            .enumerate()
            .map(|(i, t)| group(format!("$.teams[{i}]"), format!("team `{}`", t.name), &t.timezone, &t.hours, &t.calendars))
            .collect::<Result<Vec<_>, _>>()?;
        let queue_sched = ir
            .queues
            .iter()
            .enumerate()
            .map(|(i, q)| group(format!("$.queues[{i}]"), format!("queue `{}`", q.name), &q.timezone, &q.hours, &q.calendars))
            .collect::<Result<Vec<_>, _>>()?;
        let rep_by_id = ir.reps.iter().enumerate().map(|(i, r)| (r.id.clone(), i as u32)).collect();
        let mut missing = vec![None; ir.fields.len()];
        for m in &ir.handlers.missing {
            missing[m.field as usize] = Some(m.handling.clone());
        }
        let compiled = crate::compiled::Compiled::new(&ir, &missing);
        let tables = crate::table::Tables::build(&ir);
        let json = crate::decide::JsonNames::new(&ir);
        let id_slot = ir.fields.iter().position(|f| f.name == "id");
        Ok(Policy {
            tables,
            json,
            id_slot,
            ir,
            policy_tz,
            rep_tz,
            calendars,
            rep_sched,
            team_sched,
            queue_sched,
            rep_by_id,
            missing,
            compiled,
            #[cfg(feature = "jit")]
            jit: None,
        })
    }

    /// Loads a policy from the IR's JSON (as `leadroute build` writes it).
    /// A hand-edited or corrupted file is refused with a [`LoadError`] naming
    /// the place, before any code is generated for it.
    pub fn from_json(text: &str) -> Result<Policy, LoadError> {
        Policy::from_ir(crate::load::parse_ir(text)?)
    }

    /// Like [`Policy::from_json`], with the given backend.
    pub fn from_json_with(text: &str, backend: Backend) -> Result<Policy, LoadError> {
        Policy::from_ir_with(crate::load::parse_ir(text)?, backend)
    }

    /// The IR.
    pub fn ir(&self) -> &PolicyIr {
        &self.ir
    }

    /// The content hash decisions carry.
    pub fn version(&self) -> &str {
        &self.ir.policy_version
    }

    /// Bytes held by the tables' key indexes (the rows are in [`Policy::ir`]).
    pub fn table_index_bytes(&self) -> usize {
        self.tables.heap_bytes()
    }

    /// The row a lookup of `key` finds in table `table` (its index in
    /// [`PolicyIr::tables`]), the key normalized as the policy's lookups
    /// normalize it: `None` for a miss, a free-mail domain or no such table.
    /// The same lookup both backends make.
    #[inline]
    pub fn find_row(&self, table: u32, key: &str) -> Option<u32> {
        self.tables.find(table, key)
    }

    /// A table cell: `table`'s row `row`, column `column` (`None` when empty
    /// or out of range).
    #[inline]
    pub(crate) fn cell(&self, table: u32, row: u32, column: u32) -> Option<&Value> {
        self.ir.tables.get(table as usize)?.rows.get(row as usize)?.get(column as usize)?.as_ref()
    }
}
