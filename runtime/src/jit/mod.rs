//! The compiled backend: a policy's tier selection, territory conditions and
//! every route's rules compiled with Cranelift to native functions over the
//! flat lead record ([`crate::flat`]).
//!
//! Each function returns the index of what fired (or writes the territory
//! match set), [`NONE`] when nothing did, or [`RAISE`] with a field slot when
//! a missing field's handler stops routing. Long sequences (a route's rules,
//! the territories, the tiers) are cut into functions of bounded size,
//! called in order, so that compile time grows linearly with the policy.
//! Conditions the backend has no
//! native form for call back into the reference evaluator, so the two
//! backends cannot disagree on them. The machine code lives in one
//! `JITModule` per policy, freed when the last clone of the policy drops.
//! (`unsafe` is allowed for this module where `lib.rs` declares it.)

mod codegen;
mod derived;
mod dispatch;

use std::sync::Mutex;

use cranelift_jit::JITModule;

use crate::compiled::Compiled;
use crate::eval::{Ctx, MissingRaised};
use crate::flat::{Layout, Record};
use crate::ir::{Expr, PolicyIr};
use crate::lead::Lead;
use crate::policy::Policy;
use crate::select::{Selected, Selection};

/// Result: nothing fired.
pub(crate) const NONE: u32 = 0x7FFF_FFFF;
/// Result bit: a missing field's handler stops routing; the low bits are its slot.
pub(crate) const RAISE: u32 = 0x8000_0000;
/// Tier / territory: none.
pub(crate) const ABSENT: u32 = u32::MAX;
/// Tier passed to the whole-selection function: do the whole selection.
pub(crate) const SELECT: u32 = u32::MAX - 1;

/// `(record, env, tier, territory, extra) -> result`. `extra` is the rule to
/// resume from for routes, and the match-set buffer for territories.
type Entry = extern "C" fn(*const u64, *const Env, u32, u32, u64) -> u32;

/// What the callback for general conditions needs, passed by pointer.
#[repr(C)]
pub(crate) struct Env<'a> {
    policy: &'a Policy,
    lead: &'a Lead,
    now: i64,
    generals: &'a [Expr],
}

/// A policy's compiled code.
pub(crate) struct Jit {
    module: Mutex<Option<JITModule>>,
    pub(crate) layout: Layout,
    /// The tiers in chunks, first match.
    tiers: Vec<Entry>,
    /// The territories in chunks, each setting its matches in the set.
    territories: Vec<Entry>,
    /// The whole selection (tier, territories, the entry route's first
    /// chunk) in one call; up to 64 territories.
    select: Option<Entry>,
    /// Per route: its chunks, each with the end of its rule range.
    routes: Vec<Box<[(u32, Entry)]>>,
    /// Per route and rule: the route its action enters (`NONE` for other actions).
    pub(crate) enters: Vec<Box<[u32]>>,
    /// The entry route.
    pub(crate) entry: u32,
    /// Per route: whether its code has the entry that resumes after a rule (`else continue`).
    pub(crate) resumable: Vec<bool>,
    /// Function results computed while the record is built, and the word of the first.
    derived: Vec<Expr>,
    /// Per derived expression reading a table cell, that column's words by row.
    cells: Vec<Option<derived::ColumnWords>>,
    derived_base: usize,
    /// Conditions run by the reference evaluator, by the id the code passes.
    generals: Vec<Expr>,
    /// Bitmaps for large string sets; the code holds their addresses.
    #[allow(dead_code)]
    bitmaps: Vec<Box<[u64]>>,
    /// Words in the territory match set.
    territory_words: usize,
    /// Bytes of machine code.
    pub(crate) code_bytes: usize,
    /// Unique among every compilation in this process: which layout a [`FlatLead`](crate::FlatLead) has.
    pub(crate) id: u64,
}

/// The next compilation's id.
pub(crate) fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl std::fmt::Debug for Jit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let functions = self.tiers.len() + self.territories.len() + usize::from(self.select.is_some()) + self.routes.iter().map(|r| r.len()).sum::<usize>();
        f.debug_struct("Jit").field("code_bytes", &self.code_bytes).field("functions", &functions).finish()
    }
}

impl Drop for Jit {
    fn drop(&mut self) {
        let module = match self.module.get_mut() {
            Ok(m) => m.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(module) = module {
            // SAFETY: the function pointers are private to this value, which
            // is being dropped: no call into this module can happen after.
            unsafe { module.free_memory() };
        }
    }
}

/// Whether this host can run compiled code.
pub(crate) fn host_supported() -> bool {
    cranelift_native::builder().is_ok()
}

impl Jit {
    /// Compiles a policy's conditions.
    pub(crate) fn compile(ir: &PolicyIr, compiled: &Compiled, missing: &[Option<crate::ir::MissingHandling>]) -> Result<Jit, String> {
        codegen::compile(ir, compiled, missing, codegen::MAX_WEIGHT)
    }

    /// [`Jit::compile`] with at most `max_weight` condition nodes per
    /// function (tests cut small policies into many functions with it).
    pub(crate) fn compile_cut(ir: &PolicyIr, compiled: &Compiled, missing: &[Option<crate::ir::MissingHandling>], max_weight: usize) -> Result<Jit, String> {
        codegen::compile(ir, compiled, missing, max_weight)
    }

    /// How many function results are computed with the record, and how many
    /// conditions call back into the interpreter.
    pub(crate) fn stats(&self) -> (usize, usize) {
        (self.derived.len(), self.generals.len())
    }

    /// Builds the record for `lead`: its fields, then the derived values.
    pub(crate) fn fill(&self, p: &Policy, lead: &Lead, rec: &mut Record) {
        rec.fill(&self.layout, &lead.values);
        self.fill_derived(p, lead, rec);
    }

    /// Adds the derived values to a record whose fields are already filled.
    pub(crate) fn fill_derived(&self, p: &Policy, lead: &Lead, rec: &mut Record) {
        if !self.derived.is_empty() {
            derived::fill(&self.derived, &self.cells, &self.layout, p, lead, rec.words_mut(), self.derived_base);
        }
    }

    fn env<'a>(&'a self, p: &'a Policy, lead: &'a Lead, now: i64) -> Env<'a> {
        Env { policy: p, lead, now, generals: &self.generals }
    }

    /// The first tier whose condition holds.
    pub(crate) fn tier(&self, p: &Policy, lead: &Lead, rec: &Record, now: i64) -> Result<Option<u32>, MissingRaised> {
        let env = self.env(p, lead, now);
        for f in &self.tiers {
            let r = f(rec.as_ptr(), &env, ABSENT, ABSENT, 0);
            if r != NONE {
                return decode(r);
            }
        }
        Ok(None)
    }

    /// Every territory whose condition holds, in order, as a callback per match.
    pub(crate) fn territories(&self, p: &Policy, lead: &Lead, rec: &Record, now: i64, tier: Option<u32>, mut each: impl FnMut(u32)) -> Result<(), MissingRaised> {
        let env = self.env(p, lead, now);
        let mut small = [0u64; 4];
        let mut big = Vec::new();
        let set: &mut [u64] = if self.territory_words <= 4 {
            &mut small
        } else {
            big.resize(self.territory_words, 0);
            &mut big
        };
        for f in &self.territories {
            let r = f(rec.as_ptr(), &env, tier.unwrap_or(ABSENT), ABSENT, set.as_mut_ptr() as u64);
            decode(r)?;
        }
        for (w, word) in set.iter().enumerate() {
            let mut bits = *word;
            while bits != 0 {
                each((w * 64) as u32 + bits.trailing_zeros());
                bits &= bits - 1;
            }
        }
        Ok(())
    }

    /// [`Policy::select`] in one native call plus one per `route` action
    /// followed (`None` when the policy has too many territories for it).
    pub(crate) fn selection(&self, p: &Policy, lead: &Lead, now: i64) -> Option<Selection> {
        self.select?;
        let mut rec = Record::new();
        self.fill(p, lead, &mut rec);
        self.selection_in(p, lead, &rec, now)
    }

    /// [`Jit::selection`] on a record already built for this code.
    pub(crate) fn selection_in(&self, p: &Policy, lead: &Lead, rec: &Record, now: i64) -> Option<Selection> {
        let f = self.select?;
        let env = self.env(p, lead, now);
        let mut out = [ABSENT, ABSENT, 0, NONE];
        let mut r = f(rec.as_ptr(), &env, SELECT, ABSENT, out.as_mut_ptr() as u64);
        let opt = |x: u32| (x != ABSENT).then_some(x);
        let (tier, territory) = (opt(out[0]), opt(out[1]));
        let mut route = self.entry;
        if r == 0 {
            r = out[3];
            if r == NONE {
                // The entry route's later chunks.
                r = self.run(route, 1, rec, &env, out[0], out[1], 0);
            }
        }
        // Each hop enters another route; routes do not cycle (checked at load), so this ends.
        for _ in 0..=self.routes.len() {
            let next = match self.enters.get(route as usize).and_then(|rules| rules.get(r as usize)) {
                Some(&to) if to != NONE => to,
                _ => break,
            };
            route = next;
            r = self.run(route, 0, rec, &env, out[0], out[1], 0);
        }
        let outcome = if r & RAISE != 0 {
            Selected::Missing { field: r & !RAISE }
        } else if r == NONE {
            Selected::NoRule { route }
        } else {
            Selected::Rule { route, rule: r }
        };
        Some(Selection { tier, territory, territories_matched: out[2], outcome })
    }

    /// The first rule of `route` at or after `from` whose condition holds.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn rule(&self, p: &Policy, lead: &Lead, rec: &Record, now: i64, route: u32, tier: Option<u32>, territory: Option<u32>, from: u32) -> Result<Option<u32>, MissingRaised> {
        let env = self.env(p, lead, now);
        let r = self.run(route, 0, rec, &env, tier.unwrap_or(ABSENT), territory.unwrap_or(ABSENT), from);
        decode(r)
    }

    /// Runs `route`'s chunks from the `skip`th on, skipping those that end
    /// at or before rule `from`, until one gives a rule or a raise.
    #[allow(clippy::too_many_arguments)]
    fn run(&self, route: u32, skip: usize, rec: &Record, env: &Env, tier: u32, territory: u32, from: u32) -> u32 {
        let chunks = self.routes.get(route as usize).map_or(&[][..], |c| c.get(skip..).unwrap_or(&[]));
        for &(end, f) in chunks {
            if from < end {
                let r = f(rec.as_ptr(), env, tier, territory, u64::from(from));
                if r != NONE {
                    return r;
                }
            }
        }
        NONE
    }
}

fn decode(r: u32) -> Result<Option<u32>, MissingRaised> {
    if r & RAISE != 0 {
        Err(MissingRaised(r & !RAISE))
    } else if r == NONE {
        Ok(None)
    } else {
        Ok(Some(r))
    }
}

/// Called by compiled code for a condition it has no native form for:
/// 0 false, 1 true, or [`RAISE`] with the slot.
extern "C" fn general(env: *const Env, id: u32, tier: u32, territory: u32) -> u32 {
    // SAFETY: compiled code passes on the `Env` it was called with, which the
    // caller keeps alive for the whole call.
    let env = unsafe { &*env };
    // The code generator took `id` from this very vector; `false` is a safe answer otherwise.
    let Some(e) = env.generals.get(id as usize) else { return 0 };
    let opt = |x: u32| (x != ABSENT).then_some(x);
    let mut ctx = Ctx { policy: env.policy, lead: env.lead, tier: opt(tier), territory: opt(territory), now: env.now, reads: None, read_tier: false, read_territory: false, ambiguous: false, lookups: None };
    match ctx.test(e) {
        Ok(b) => b as u32,
        Err(MissingRaised(slot)) => RAISE | slot,
    }
}
