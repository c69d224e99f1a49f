//! Cranelift code generation: compiled conditions ([`C`]) to branches over
//! the flat record. `And`/`Or`/`not` become short-circuit control flow in the
//! order written, so a missing field raises exactly where the interpreter
//! raises; each route is one function that jumps on the territory to the
//! rules that can fire there.

mod candidates;

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Mutex;

use rustc_hash::FxHashMap;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, AbiParam, Block, BlockArg, InstBuilder, JumpTableData, MemFlagsData, SigRef, Signature, Type, UserFuncName, Value};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, FuncId, Module};

use super::{derived, dispatch};
use super::{general, Entry, Jit, ABSENT, NONE, RAISE, SELECT};
use candidates::Candidates;
use crate::compiled::{index_bit, Compiled, C, NONE_BIT};
use crate::flat::{Kind, Layout};
use crate::ir::{Action, CmpOp, Expr, Fallback, PolicyIr};


/// What the generated code refers to outside itself.
#[derive(Default)]
struct Tables {
    generals: Vec<Expr>,
    bitmaps: Vec<Box<[u64]>>,
    /// Function results computed while the record is built, and the word of the first.
    derived: Vec<Expr>,
    derived_base: usize,
    /// Each of `derived` by its key ([`candidates::derived_key`]), to its index.
    derived_index: FxHashMap<String, usize>,
    /// Per field slot: its missing handler.
    missing: Vec<Option<crate::ir::MissingHandling>>,
}

fn err(what: &str) -> impl Fn(String) -> String + '_ {
    move |e| format!("compiling the policy to native code: {what}: {e}")
}

/// Every condition of the policy, in no particular order.
fn conditions(compiled: &Compiled) -> impl Iterator<Item = &C> {
    compiled.tiers.iter().flatten().chain(compiled.territories.iter()).chain(compiled.routes.iter().flat_map(|r| r.rules.iter().flatten()))
}

/// The fields a condition reads from the record, with how they are stored,
/// and those whose presence it tests.
fn collect(c: &C, ir: &PolicyIr, used: &mut Vec<(u32, Kind)>, tested: &mut Vec<u32>) {
    if let C::General(e) = c {
        if let Some((slot, ..)) = derived::since(e) {
            if ir.fields.get(slot as usize).is_some_and(|f| f.ty == crate::ir::FieldType::Time) {
                used.push((slot, Kind::Time));
                // Whether it has any value tells a raise from a wrong-typed value.
                tested.push(slot);
            }
        }
    }
    let mut add = |slot: u32| {
        if let Some(kind) = ir.fields.get(slot as usize).and_then(|f| Kind::of(&f.ty)) {
            used.push((slot, kind));
        }
    };
    match c {
        C::Not(a) => collect(a, ir, used, tested),
        C::And(args) | C::Or(args) => args.iter().for_each(|a| collect(a, ir, used, tested)),
        C::StrIn { slot, .. } | C::EnumIn { slot, .. } | C::Num { slot, .. } => add(*slot),
        C::Present { slot, .. } => tested.push(*slot),
        C::Const(_) | C::Tier { .. } | C::Territory { .. } | C::TerritoryAt { .. } | C::General(_) => {}
    }
}

fn intern(c: &C, layout: &mut Layout) {
    match c {
        C::Not(a) => intern(a, layout),
        C::And(args) | C::Or(args) => args.iter().for_each(|a| intern(a, layout)),
        C::StrIn { set, .. } => set.iter().for_each(|s| {
            layout.intern(s);
        }),
        _ => {}
    }
}

/// Whether a rule's action can end in `else continue` (routing resumes at the next rule).
fn can_continue(a: &Action) -> bool {
    a.chain().last().and_then(Action::fallback) == Some(&Fallback::Continue)
}

pub(super) fn compile(ir: &PolicyIr, compiled: &Compiled, missing: &[Option<crate::ir::MissingHandling>], max_weight: usize) -> Result<Jit, String> {
    let (mut used, mut tested) = (Vec::new(), Vec::new());
    for c in conditions(compiled) {
        collect(c, ir, &mut used, &mut tested);
    }
    let mut layout = Layout::new(ir.fields.len(), used, tested);
    let mut tables = Tables { missing: missing.to_vec(), ..Tables::default() };
    let mut candidates = Candidates::default();
    for c in conditions(compiled) {
        intern(c, &mut layout);
        candidates.collect(c, &mut layout);
    }
    (tables.derived, tables.derived_index) = candidates.chosen();
    tables.derived_base = layout.add_derived(tables.derived.len());
    layout.seal();

    let mut flags = settings::builder();
    // The IR verifier checks this generator's output: on in debug builds (every test), off in release.
    let verify = if cfg!(debug_assertions) { "true" } else { "false" };
    // `opt_level` "none": the e-graph pass cost about a quarter of compile
    // time and saved about 1 % of the instructions of a `select` (mostly
    // branches and loads that it cannot improve). The single-pass register
    // allocator compiles faster still but spills: +10 % per `select`.
    for (k, v) in [("opt_level", "none"), ("is_pic", "false"), ("use_colocated_libcalls", "false"), ("enable_verifier", verify)] {
        flags.set(k, v).map_err(|e| err("setting")(e.to_string()))?;
    }
    let isa = cranelift_native::builder().map_err(|e| err("host")(e.to_string()))?;
    let isa = isa.finish(settings::Flags::new(flags)).map_err(|e| err("target")(e.to_string()))?;
    let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    let resumable: Vec<bool> = ir.routes.iter().map(|r| r.rules.iter().any(|rule| can_continue(&rule.action))).collect();
    let plan = Plan::new(compiled, max_weight);
    match define_all(&mut module, ir, compiled, &plan, &layout, &mut tables, &resumable) {
        Ok((ids, code_bytes)) => {
            let get = |id: FuncId| -> Entry {
                let p = module.get_finalized_function(id);
                // SAFETY: `id` was defined with the `Entry` signature (see `entry_signature`)
                // in the host's default calling convention, which `extern "C"` is.
                unsafe { std::mem::transmute::<*const u8, Entry>(p) }
            };
            let tiers = ids.tiers.iter().map(|id| get(*id)).collect();
            let territories = ids.territories.iter().map(|id| get(*id)).collect();
            let select = ids.select.map(get);
            let cells = derived::cell_words(&tables.derived, &layout, ir);
            let routes = ids.routes.iter().zip(&plan.routes).map(|(fs, ranges)| fs.iter().zip(ranges).map(|(id, r)| (r.end as u32, get(*id))).collect()).collect();
            Ok(Jit {
                module: Mutex::new(Some(module)),
                layout,
                tiers,
                territories,
                select,
                routes,
                resumable,
                enters: ir
                    .routes
                    .iter()
                    .map(|r| r.rules.iter().map(|rule| if let Action::Route { route } = rule.action { route } else { NONE }).collect())
                    .collect(),
                entry: ir.entry,
                cells,
                derived: tables.derived,
                derived_base: tables.derived_base,
                generals: tables.generals,
                bitmaps: tables.bitmaps,
                territory_words: ir.territories.len().div_ceil(64).max(1),
                code_bytes,
                id: super::next_id(),
            })
        }
        Err(e) => {
            // SAFETY: no function of this module was handed out.
            unsafe { module.free_memory() };
            Err(e)
        }
    }
}

/// `(record, env, tier, territory, extra) -> result`, as [`Entry`].
fn entry_signature(module: &JITModule) -> Signature {
    let ptr = module.target_config().pointer_type();
    let mut sig = module.make_signature();
    sig.params.extend([AbiParam::new(ptr), AbiParam::new(ptr), AbiParam::new(types::I32), AbiParam::new(types::I32), AbiParam::new(types::I64)]);
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// The functions [`define_all`] made, per [`Plan`] chunk.
struct Ids {
    tiers: Vec<FuncId>,
    territories: Vec<FuncId>,
    select: Option<FuncId>,
    routes: Vec<Vec<FuncId>>,
}

/// Defines one function after another, reusing Cranelift's contexts.
struct Gen<'m> {
    module: &'m mut JITModule,
    ctx: cranelift_codegen::Context,
    fctx: FunctionBuilderContext,
    sig: Signature,
    ntiers: usize,
    count: u32,
    code_bytes: usize,
}

impl Gen<'_> {
    /// Defines a function over `conds` conditions whose body `body` emits.
    fn define(&mut self, layout: &Layout, tables: &mut Tables, conds: usize, body: impl FnOnce(&mut Fx<'_>)) -> Result<FuncId, String> {
        let id = self.module.declare_anonymous_function(&self.sig).map_err(|e| err("declare")(e.to_string()))?;
        self.ctx.func.signature = self.sig.clone();
        self.ctx.func.name = UserFuncName::user(0, self.count);
        self.count += 1;
        {
            // Decision trees may add up to three copies per condition of the function, plus some slack.
            let mut fx = Fx::new(self.module, &mut self.ctx.func, &mut self.fctx, layout, tables, self.ntiers, 3 * conds + 256);
            body(&mut fx);
            fx.finish();
        }
        self.module.define_function(id, &mut self.ctx).map_err(|e| err("define")(format!("{e:?}")))?;
        self.code_bytes += self.ctx.compiled_code().map_or(0, |c| c.code_buffer().len());
        self.module.clear_context(&mut self.ctx);
        Ok(id)
    }
}

/// Defines the tier, territory, whole-selection and route functions of
/// `plan`; their ids and the code size.
#[allow(clippy::too_many_arguments)]
fn define_all(module: &mut JITModule, ir: &PolicyIr, compiled: &Compiled, plan: &Plan, layout: &Layout, tables: &mut Tables, resumable: &[bool]) -> Result<(Ids, usize), String> {
    let sig = entry_signature(module);
    let ctx = module.make_context();
    let mut g = Gen { module, ctx, fctx: FunctionBuilderContext::new(), sig, ntiers: ir.tiers.len(), count: 0, code_bytes: 0 };
    let (nt, entry) = (ir.territories.len(), ir.entry as usize);
    let tiers = plan.tiers.iter().map(|r| g.define(layout, tables, r.len(), |fx| fx.tiers(&compiled.tiers, r.clone()))).collect::<Result<_, _>>()?;
    let territories = plan.territories.iter().map(|r| g.define(layout, tables, r.len(), |fx| fx.territories(&compiled.territories, r.clone()))).collect::<Result<_, _>>()?;
    let mut routes: Vec<Vec<FuncId>> = Vec::with_capacity(plan.routes.len());
    for (r, ranges) in plan.routes.iter().enumerate() {
        let mut fs = Vec::with_capacity(ranges.len());
        for (k, range) in ranges.iter().enumerate() {
            // The entry route's first chunk is also the whole selection.
            let select = (plan.select && r == entry && k == 0).then_some(compiled);
            let conds = range.len() + select.map_or(0, |_| ir.tiers.len() + nt);
            fs.push(g.define(layout, tables, conds, |fx| fx.route(&compiled.routes[r], range.clone(), nt, resumable[r], select))?);
        }
        routes.push(fs);
    }
    let select = if plan.select { routes.get(entry).and_then(|fs| fs.first()).copied() } else { None };
    g.module.finalize_definitions().map_err(|e| err("finalize")(e.to_string()))?;
    Ok((Ids { tiers, territories, select, routes }, g.code_bytes))
}

/// One function being built.
struct Fx<'a> {
    b: FunctionBuilder<'a>,
    layout: &'a Layout,
    tables: &'a mut Tables,
    ptr: Type,
    rec: Value,
    env: Value,
    tier: Value,
    terr: Value,
    extra: Value,
    tier_bit: Value,
    terr_bit: Value,
    /// The territory's bit when the code is on a path that knows it.
    known_terr: Option<u64>,
    /// The territory's index (`ABSENT`: none) when the code is on a path that knows it.
    known_terr_index: Option<u32>,
    /// The tier's bit when the code is on a path that knows it.
    known_tier: Option<u64>,
    /// How many tiers the policy has.
    ntiers: usize,
    /// Condition copies decision trees may still add in this function, so
    /// that code stays within a small multiple of the policy's size.
    budget: usize,
    /// The index of the first hit block of the sequence being emitted.
    hit_base: u32,
    /// In the whole-selection function: the territory match set being built.
    terr_set: Option<cranelift_frontend::Variable>,
    gsig: SigRef,
    /// Returns its one argument.
    ret: Block,
    raise: BTreeMap<u32, Block>,
    /// Blocks still to fill with a constant return.
    pending: Vec<(Block, u32)>,
    /// In a function that is also the whole selection: whether this call
    /// is one (then results other than raises are the rule, stored).
    selecting: Option<Value>,
    cfg: cranelift_codegen::isa::TargetFrontendConfig,
}

impl<'a> Fx<'a> {
    fn new(module: &JITModule, func: &'a mut cranelift_codegen::ir::Function, fctx: &'a mut FunctionBuilderContext, layout: &'a Layout, tables: &'a mut Tables, ntiers: usize, budget: usize) -> Fx<'a> {
        let ptr = module.target_config().pointer_type();
        let mut gsig = module.make_signature();
        gsig.params.extend([AbiParam::new(ptr), AbiParam::new(types::I32), AbiParam::new(types::I32), AbiParam::new(types::I32)]);
        gsig.returns.push(AbiParam::new(types::I32));
        let mut b = FunctionBuilder::new(func, fctx);
        let gsig = b.import_signature(gsig);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let p = b.block_params(entry).to_vec();
        let ret = b.create_block();
        b.append_block_param(ret, types::I32);
        let mut fx = Fx {
            b,
            layout,
            tables,
            ptr,
            rec: p[0],
            env: p[1],
            tier: p[2],
            terr: p[3],
            extra: p[4],
            tier_bit: p[2],
            terr_bit: p[3],
            known_terr: None,
            known_tier: None,
            known_terr_index: None,
            ntiers,
            budget,
            hit_base: 0,
            terr_set: None,
            gsig,
            ret,
            raise: BTreeMap::new(),
            pending: Vec::new(),
            selecting: None,
            cfg: module.target_config(),
        };
        fx.tier_bit = fx.bit_of(p[2]);
        fx.terr_bit = fx.bit_of(p[3]);
        fx
    }

    /// Fills the blocks that return constants and the shared return block; the body must be complete.
    fn finish(mut self) {
        for (blk, v) in std::mem::take(&mut self.pending) {
            self.b.switch_to_block(blk);
            self.give(v);
        }
        self.b.switch_to_block(self.ret);
        let rv = self.b.block_params(self.ret)[0];
        if let Some(selecting) = self.selecting {
            // A result that is not a raise is the rule: stored, and 0 returned.
            let raised = self.b.ins().band_imm_u(rv, RAISE as i64);
            let plain = self.b.ins().icmp_imm_u(IntCC::Equal, raised, 0);
            let keep = self.b.ins().band(plain, selecting);
            let (stop, store) = (self.b.create_block(), self.b.create_block());
            self.b.ins().brif(keep, store, &[], stop, &[]);
            self.b.switch_to_block(stop);
            self.b.ins().return_(&[rv]);
            self.b.switch_to_block(store);
            self.b.ins().store(MemFlagsData::trusted(), rv, self.extra, 12);
            let zero = self.b.ins().iconst(types::I32, 0);
            self.b.ins().return_(&[zero]);
        } else {
            self.b.ins().return_(&[rv]);
        }
        self.b.seal_all_blocks();
        self.b.finalize(self.cfg);
    }

    /// The mask bit of a tier / territory index: bit 63 for none, 0 beyond 62.
    fn bit_of(&mut self, x: Value) -> Value {
        let ins = self.b.ins();
        let absent = ins.icmp_imm_u(IntCC::Equal, x, ABSENT as i64);
        let b = self.b.ins();
        let small = b.icmp_imm_u(IntCC::UnsignedLessThan, x, 63);
        let wide = self.b.ins().uextend(types::I64, x);
        let one = self.b.ins().iconst(types::I64, 1);
        let shifted = self.b.ins().ishl(one, wide);
        let zero = self.b.ins().iconst(types::I64, 0);
        let bit = self.b.ins().select(small, shifted, zero);
        let none = self.b.ins().iconst(types::I64, NONE_BIT as i64);
        self.b.ins().select(absent, none, bit)
    }

    fn give(&mut self, v: u32) {
        let k = self.b.ins().iconst(types::I32, v as i64);
        self.b.ins().jump(self.ret, &[BlockArg::Value(k)]);
    }

    /// A block that returns `v` (filled in by [`Fx::finish`]).
    fn block_giving(&mut self, v: u32) -> Block {
        let blk = self.b.create_block();
        self.pending.push((blk, v));
        blk
    }

    fn raise_block(&mut self, slot: u32) -> Block {
        if let Some(b) = self.raise.get(&slot) {
            return *b;
        }
        let blk = self.block_giving(RAISE | slot);
        self.raise.insert(slot, blk);
        blk
    }

    /// Tiers `range`: the first that holds, or `NONE`.
    fn tiers(&mut self, tiers: &[Option<C>], range: Range<usize>) {
        self.hit_base = range.start as u32;
        let hits: Vec<Block> = range.clone().map(|i| self.block_giving(i as u32)).collect();
        let none = self.block_giving(NONE);
        let items: Vec<(u32, Option<&C>)> = range.map(|i| (i as u32, tiers[i].as_ref())).collect();
        self.seq(&items, Some(&hits), none, 0);
    }

    /// Territories `range`: each that holds sets its bit in the buffer.
    fn territories(&mut self, territories: &[C], range: Range<usize>) {
        let done = self.b.create_block();
        let items: Vec<(u32, Option<&C>)> = range.map(|i| (i as u32, Some(&territories[i]))).collect();
        self.seq(&items, None, done, 0);
        self.b.switch_to_block(done);
        self.give(0);
    }

    /// Records that territory `i` matched: in the match set being built, or
    /// in the caller's buffer.
    fn set_territory(&mut self, i: u32) {
        match self.terr_set {
            Some(set) => {
                let m = self.b.use_var(set);
                let m = self.b.ins().bor_imm_u(m, (1u64 << i) as i64);
                self.b.def_var(set, m);
            }
            None => {
                let flags = MemFlagsData::trusted();
                let off = ((i / 64) * 8) as i32;
                let w = self.b.ins().load(types::I64, flags, self.extra, off);
                let w = self.b.ins().bor_imm_u(w, (1u64 << (i % 64)) as i64);
                self.b.ins().store(flags, w, self.extra, off);
            }
        }
    }

    /// Emits a sequence of conditions (`None`: unconditional) that ends at
    /// `end`. With `hits` it is first-match: the first that holds jumps to
    /// its hit block. Without, every condition is tested and each that holds
    /// sets its territory. Where it pays, the sequence first jumps on a key
    /// many conditions test ([`dispatch`]).
    fn seq(&mut self, items: &[(u32, Option<&C>)], hits: Option<&[Block]>, end: Block, depth: u32) {
        if depth < 3 {
            let conds: Vec<Option<&C>> = items.iter().map(|(_, c)| *c).collect();
            let split = dispatch::split(&conds, self.layout, self.ntiers, self.known_tier.is_some(), self.known_terr.is_some());
            // Copies a split adds count against the function's budget.
            let extra = split.as_ref().map_or(0, |s| s.arms.iter().map(|(_, a)| a.len()).sum::<usize>().saturating_sub(items.len()));
            if let Some(split) = split.filter(|_| extra <= self.budget) {
                self.budget -= extra;
                if self.emit_split(items, split, hits, end, depth) {
                    return;
                }
            }
        }
        for &(idx, c) in items {
            match hits {
                Some(h) => match c {
                    None => return self.jump(h[(idx - self.hit_base) as usize]),
                    Some(c) => {
                        let next = self.b.create_block();
                        self.cond(c, h[(idx - self.hit_base) as usize], next);
                        self.b.switch_to_block(next);
                    }
                },
                None => {
                    let (set, next) = (self.b.create_block(), self.b.create_block());
                    match c {
                        None => self.jump(set),
                        Some(c) => self.cond(c, set, next),
                    }
                    self.b.switch_to_block(set);
                    self.set_territory(idx);
                    self.jump(next);
                    self.b.switch_to_block(next);
                }
            }
        }
        self.jump(end);
    }

    /// Emits a dispatch on the split's key and each arm's sub-sequence; false
    /// (nothing emitted) when the key cannot be jumped on here.
    fn emit_split(&mut self, items: &[(u32, Option<&C>)], split: dispatch::Split, hits: Option<&[Block]>, end: Block, depth: u32) -> bool {
        let arm_of = |v: dispatch::Val| split.arms.iter().position(|(x, _)| *x == v);
        let (Some(missing), other) = (arm_of(dispatch::Val::Missing), arm_of(dispatch::Val::Other)) else { return false };
        let is = || split.arms.iter().filter_map(|(v, _)| if let dispatch::Val::Is(i) = v { Some(*i) } else { None });
        let max = is().max().unwrap_or(0);
        // The table starts at the least value tested (tiers: at 0, as every tier has its arm),
        // so that a chunk testing high ids does not pay for the low ones.
        let min = if split.key == dispatch::Key::Tier { 0 } else { is().min().unwrap_or(0) };
        if max - min > 4096 {
            return false;
        }
        let value = match split.key {
            dispatch::Key::Tier | dispatch::Key::Territory => None,
            dispatch::Key::Enum(slot) | dispatch::Key::Str(slot) => match self.layout.value_offset(slot) {
                Some(off) => Some((slot, off)),
                None => return false,
            },
        };
        let blocks: Vec<Block> = split.arms.iter().map(|_| self.b.create_block()).collect();
        let default = blocks[other.unwrap_or(missing)];
        let mut table = vec![default; (max - min + 1) as usize];
        for ((v, _), blk) in split.arms.iter().zip(&blocks) {
            if let dispatch::Val::Is(i) = v {
                table[(i - min) as usize] = *blk;
            }
        }
        let index = match value {
            None if split.key == dispatch::Key::Territory => {
                // No territory goes to its own arm; other indexes through the table.
                let absent = self.b.ins().icmp_imm_u(IntCC::Equal, self.terr, ABSENT as i64);
                let some = self.b.create_block();
                self.branch(absent, blocks[missing], some);
                self.b.switch_to_block(some);
                self.terr
            }
            None => self.tier,
            Some((slot, off)) => {
                let here = self.present(slot);
                let load = self.b.create_block();
                self.branch(here, load, blocks[missing]);
                self.b.switch_to_block(load);
                let v = self.b.ins().load(types::I64, record_flags(), self.rec, off);
                self.b.ins().ireduce(types::I32, v)
            }
        };
        // Below `min` wraps past the table, to the default like any value no test names.
        let index = if min == 0 { index } else { self.b.ins().iadd_imm_s(index, -(min as i64)) };
        let calls: Vec<_> = table.iter().map(|blk| self.b.func.dfg.block_call(*blk, &[])).collect();
        let def = self.b.func.dfg.block_call(if split.key == dispatch::Key::Tier { blocks[missing] } else { default }, &[]);
        let jt = self.b.create_jump_table(JumpTableData::new(def, &calls));
        self.b.ins().br_table(index, jt);
        let saved = (self.known_tier, self.known_terr, self.known_terr_index);
        for ((v, arm), blk) in split.arms.iter().zip(&blocks) {
            self.b.switch_to_block(*blk);
            if split.key == dispatch::Key::Territory {
                // "Other" stands for many territories: nothing is known there.
                (self.known_terr, self.known_terr_index) = match v {
                    dispatch::Val::Is(t) => (Some(v.bit()), Some(*t as u32)),
                    dispatch::Val::Missing => (Some(v.bit()), Some(ABSENT)),
                    dispatch::Val::Other => (None, None),
                };
            }
            if split.key == dispatch::Key::Tier {
                self.known_tier = Some(v.bit());
            }
            let sub: Vec<(u32, Option<&C>)> = arm.iter().map(|(i, c)| (items[*i].0, c.as_ref())).collect();
            self.seq(&sub, hits, end, depth + 1);
            (self.known_tier, self.known_terr, self.known_terr_index) = saved;
        }
        true
    }

    /// The start of the whole selection, for [`Policy::select`](crate::Policy::select)
    /// with up to 64 territories: the tier and the territory match set,
    /// stored where `extra` points (four `u32`: the tier, the first
    /// territory, how many matched, and later the rule; `ABSENT` / `NONE`
    /// for none). Gives the tier and the territory for the rules.
    fn select(&mut self, compiled: &Compiled) -> (Value, Value) {
        let flags = MemFlagsData::trusted();
        // Tiers: the first that holds, passed on as a block argument.
        let tiers_done = self.b.create_block();
        let tier = self.b.append_block_param(tiers_done, types::I32);
        let hits: Vec<Block> = (0..=compiled.tiers.len()).map(|_| self.b.create_block()).collect();
        let items: Vec<(u32, Option<&C>)> = compiled.tiers.iter().enumerate().map(|(i, c)| (i as u32, c.as_ref())).collect();
        let none = hits[compiled.tiers.len()];
        self.seq(&items, Some(&hits), none, 0);
        for (i, hit) in hits.iter().enumerate() {
            self.b.switch_to_block(*hit);
            let k = self.b.ins().iconst(types::I32, if i == compiled.tiers.len() { ABSENT as i64 } else { i as i64 });
            self.b.ins().jump(tiers_done, &[BlockArg::Value(k)]);
        }
        self.b.switch_to_block(tiers_done);
        self.b.ins().store(flags, tier, self.extra, 0);
        self.tier = tier;
        self.tier_bit = self.bit_of(tier);
        // Territories: every one, into a bit set.
        let set = self.b.declare_var(types::I64);
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.def_var(set, zero);
        self.terr_set = Some(set);
        let done = self.b.create_block();
        let items: Vec<(u32, Option<&C>)> = compiled.territories.iter().enumerate().map(|(i, c)| (i as u32, Some(c))).collect();
        self.seq(&items, None, done, 0);
        self.b.switch_to_block(done);
        self.terr_set = None;
        let m = self.b.use_var(set);
        let count = self.b.ins().popcnt(m);
        let count = self.b.ins().ireduce(types::I32, count);
        let first = self.b.ins().ctz(m);
        let first = self.b.ins().ireduce(types::I32, first);
        let none = self.b.ins().icmp_imm_u(IntCC::Equal, m, 0);
        let absent = self.b.ins().iconst(types::I32, ABSENT as i64);
        let terr = self.b.ins().select(none, absent, first);
        self.b.ins().store(flags, terr, self.extra, 4);
        self.b.ins().store(flags, count, self.extra, 8);
        (tier, terr)
    }

    /// Rules `range` of a route: a jump on the territory to the rules that
    /// can fire there; when `resumable`, a second entry resumes at the rule
    /// numbered `extra` (past the range start). With `select` (the entry
    /// route's first chunk), a call with the tier [`SELECT`] is the whole
    /// selection ([`Fx::select`]), which then stores the rule: one copy of
    /// the rules serves both.
    fn route(&mut self, route: &crate::compiled::CRoute, range: Range<usize>, nt: usize, resumable: bool, select: Option<&Compiled>) {
        let (a, n) = (range.start, range.len());
        self.hit_base = a as u32;
        let hits: Vec<Block> = range.clone().map(|i| self.block_giving(i as u32)).collect();
        let none = self.block_giving(NONE);
        // The rules, given the tier and the territory.
        let dispatch = self.b.create_block();
        let (tier_at, terr_at) = (self.b.append_block_param(dispatch, types::I32), self.b.append_block_param(dispatch, types::I32));
        let given = [BlockArg::Value(self.tier), BlockArg::Value(self.terr)];
        if let Some(compiled) = select {
            let selecting = self.b.ins().icmp_imm_u(IntCC::Equal, self.tier, SELECT as i64);
            self.selecting = Some(selecting);
            let (whole, rules) = (self.b.create_block(), self.b.create_block());
            self.branch(selecting, whole, rules);
            self.b.switch_to_block(whole);
            let saved = (self.tier, self.tier_bit);
            let (tier, terr) = self.select(compiled);
            self.b.ins().jump(dispatch, &[BlockArg::Value(tier), BlockArg::Value(terr)]);
            (self.tier, self.tier_bit) = saved;
            self.b.switch_to_block(rules);
        }
        if resumable {
            let linear: Vec<Block> = (0..n).map(|_| self.b.create_block()).collect();
            let start = self.b.ins().ireduce(types::I32, self.extra);
            let first = self.b.ins().icmp_imm_u(IntCC::UnsignedLessThanOrEqual, start, a as i64);
            let resume = self.b.create_block();
            self.b.ins().brif(first, dispatch, &given, resume, &[]);
            self.b.switch_to_block(resume);
            let index = if a == 0 { start } else { self.b.ins().iadd_imm_s(start, -(a as i64)) };
            let table: Vec<_> = linear.iter().map(|blk| self.b.func.dfg.block_call(*blk, &[])).collect();
            let def = self.b.func.dfg.block_call(none, &[]);
            let jt = self.b.create_jump_table(JumpTableData::new(def, &table));
            self.b.ins().br_table(index, jt);
            for i in 0..n {
                self.b.switch_to_block(linear[i]);
                let next = linear.get(i + 1).copied().unwrap_or(none);
                self.rule(route.rules[a + i].as_ref(), hits[i], next);
            }
        } else {
            self.b.ins().jump(dispatch, &given);
        }
        self.b.switch_to_block(dispatch);
        (self.tier, self.terr) = (tier_at, terr_at);
        self.tier_bit = self.bit_of(tier_at);
        self.terr_bit = self.bit_of(terr_at);
        // A chain per territory pays while rules are not copied into many
        // chains and the territories are not many more than the rules; past
        // that one chain tests the territory at run time, and code stays
        // linear in the rules.
        let one_chain = |this: &mut Self| {
            let items: Vec<(u32, Option<&C>)> = range.clone().map(|ri| (ri as u32, route.rules[ri].as_ref())).collect();
            this.seq(&items, Some(&hits), none, 0);
        };
        if nt > 4 * n + 64 {
            one_chain(self);
            return;
        }
        // This chunk's rules per territory (the lists are in rule order).
        let by_territory: Vec<&[u32]> = (0..=nt)
            .map(|t| {
                let v = route.rules_for(t);
                let (lo, hi) = (v.partition_point(|&r| (r as usize) < a), v.partition_point(|&r| (r as usize) < range.end));
                &v[lo..hi]
            })
            .collect();
        let copies: usize = by_territory.iter().map(|v| v.len()).sum();
        if copies > 2 * n + 64 {
            one_chain(self);
            return;
        }
        let chains: Vec<Block> = (0..=nt).map(|_| self.b.create_block()).collect();
        let table: Vec<_> = chains[..nt].iter().map(|blk| self.b.func.dfg.block_call(*blk, &[])).collect();
        let def = self.b.func.dfg.block_call(chains[nt], &[]);
        let jt = self.b.create_jump_table(JumpTableData::new(def, &table));
        self.b.ins().br_table(self.terr, jt);
        for (t, chain) in chains.iter().enumerate() {
            self.b.switch_to_block(*chain);
            self.known_terr = Some(index_bit((t < nt).then_some(t as u32)));
            self.known_terr_index = Some(if t == nt { ABSENT } else { t as u32 });
            let items: Vec<(u32, Option<&C>)> = by_territory[t].iter().map(|&ri| (ri, route.rules[ri as usize].as_ref())).collect();
            self.seq(&items, Some(&hits), none, 0);
        }
        self.known_terr = None;
        self.known_terr_index = None;
    }

    fn rule(&mut self, c: Option<&C>, hit: Block, next: Block) {
        match c {
            Some(c) => self.cond(c, hit, next),
            None => {
                self.b.ins().jump(hit, &[]);
            }
        }
    }

    fn jump(&mut self, to: Block) {
        self.b.ins().jump(to, &[]);
    }

    fn branch(&mut self, v: Value, t: Block, f: Block) {
        self.b.ins().brif(v, t, &[], f, &[]);
    }

    /// Emits `c`, ending the current block with a jump to `t` or `f` (or a raise).
    fn cond(&mut self, c: &C, t: Block, f: Block) {
        match c {
            C::Const(v) => self.jump(if *v { t } else { f }),
            C::Not(a) => self.cond(a, f, t),
            C::And(args) | C::Or(args) => {
                let and = matches!(c, C::And(_));
                let Some((last, init)) = args.split_last() else {
                    return self.jump(if and { t } else { f });
                };
                for a in init {
                    let next = self.b.create_block();
                    if and {
                        self.cond(a, next, f);
                    } else {
                        self.cond(a, t, next);
                    }
                    self.b.switch_to_block(next);
                }
                self.cond(last, t, f);
            }
            C::StrIn { slot, set, neg, miss } => {
                let ids: Vec<u64> = set.iter().filter_map(|s| self.layout.id(s)).map(u64::from).collect();
                self.leaf(*slot, *miss, *neg, t, f, |fx, v| fx.member(v, ids));
            }
            C::EnumIn { slot, mask, neg, miss } => {
                let ids: Vec<u64> = (0..64).filter(|i| mask & (1 << i) != 0).collect();
                self.leaf(*slot, *miss, *neg, t, f, |fx, v| fx.member(v, ids));
            }
            C::Num { slot, op, k, miss } => {
                let cc = match op {
                    CmpOp::Eq => FloatCC::Equal,
                    CmpOp::Ne => FloatCC::OrderedNotEqual,
                    CmpOp::Lt => FloatCC::LessThan,
                    CmpOp::Le => FloatCC::LessThanOrEqual,
                    CmpOp::Gt => FloatCC::GreaterThan,
                    CmpOp::Ge => FloatCC::GreaterThanOrEqual,
                };
                let k = *k;
                self.leaf(*slot, *miss, false, t, f, |fx, v| {
                    let x = fx.b.ins().bitcast(types::F64, MemFlagsData::new(), v);
                    let k = fx.b.ins().f64const(k);
                    fx.b.ins().fcmp(cc, x, k)
                });
            }
            C::Tier { mask, neg } => match self.known_tier {
                Some(bit) => self.jump(if (bit & mask != 0) != *neg { t } else { f }),
                None => {
                    let v = self.mask_test(self.tier_bit, *mask);
                    self.branch(v, if *neg { f } else { t }, if *neg { t } else { f });
                }
            },
            C::TerritoryAt { set, none, neg } => {
                let found = self.known_terr_index.map(|k| if k == ABSENT { *none } else { set.binary_search(&k).is_ok() });
                match found {
                    Some(b) => self.jump(if b != *neg { t } else { f }),
                    None => {
                        let wide = self.b.ins().uextend(types::I64, self.terr);
                        let ids: Vec<u64> = set.iter().map(|x| u64::from(*x)).collect();
                        let mut v = self.member(wide, ids);
                        if *none {
                            let absent = self.b.ins().icmp_imm_u(IntCC::Equal, self.terr, ABSENT as i64);
                            v = self.b.ins().bor(v, absent);
                        }
                        self.branch(v, if *neg { f } else { t }, if *neg { t } else { f });
                    }
                }
            }
            C::Territory { mask, neg } => match self.known_terr {
                Some(bit) => self.jump(if (bit & mask != 0) != *neg { t } else { f }),
                None => {
                    let v = self.mask_test(self.terr_bit, *mask);
                    self.branch(v, if *neg { f } else { t }, if *neg { t } else { f });
                }
            },
            C::Present { slot, present } => {
                let (off, bit) = self.layout.tested_presence(*slot);
                let w = self.b.ins().load(types::I64, record_flags(), self.rec, off);
                let v = self.mask_test(w, bit);
                self.branch(v, if *present { t } else { f }, if *present { f } else { t });
            }
            C::General(e) if self.since_leaf(e, t, f) => {}
            C::General(e) if self.derived_leaf(e, t, f) => {}
            C::General(e) => {
                let id = self.tables.generals.len() as i64;
                self.tables.generals.push(e.clone());
                let callee = self.b.ins().iconst(self.ptr, general as *const () as usize as i64);
                let id = self.b.ins().iconst(types::I32, id);
                let call = self.b.ins().call_indirect(self.gsig, callee, &[self.env, id, self.tier, self.terr]);
                let r = self.b.inst_results(call)[0];
                let raised = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, r, 2);
                let cont = self.b.create_block();
                self.b.ins().brif(raised, self.ret, &[BlockArg::Value(r)], cont, &[]);
                self.b.switch_to_block(cont);
                self.branch(r, t, f);
            }
        }
    }

}

mod leaves;
mod plan;

pub(in crate::jit) use plan::MAX_WEIGHT;

use leaves::record_flags;
use plan::Plan;
