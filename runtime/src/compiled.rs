//! The fast path of the interpreter: conditions compiled at load time into
//! specialised tests (a string field against a sorted set, a number against a
//! constant, the tier against a bit mask ...), with what a missing field does
//! folded in, and each route's rules bucketed by the territory they require.
//!
//! It must agree exactly with the reference evaluator in [`crate::eval`]
//! (used for traces); `tests` below and the runtime tests check that.

use std::cmp::Ordering;

use crate::eval::{compare, holds, Ctx, MissingRaised};
use crate::ir::*;
use crate::lead::Lead;
use crate::policy::Policy;

/// What a leaf test gives when its field is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Miss {
    /// A fixed answer (no handler: false; an `assume` or `??` default: folded).
    Const(bool),
    /// The `missing(field)` handler is an action: stop routing.
    Raise,
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub(crate) enum C {
    Const(bool),
    Not(Box<C>),
    And(Box<[C]>),
    Or(Box<[C]>),
    /// A string field equals / is in a sorted set of constants.
    StrIn { slot: u32, set: Box<[Box<str>]>, neg: bool, miss: Miss },
    /// An enum field is one of the variants in `mask`.
    EnumIn { slot: u32, mask: u64, neg: bool, miss: Miss },
    /// A number field against a constant.
    Num { slot: u32, op: CmpOp, k: f64, miss: Miss },
    /// The tier is one of `mask` (bit 63: no tier).
    Tier { mask: u64, neg: bool },
    /// The territory is one of `mask` (bit 63: none).
    Territory { mask: u64, neg: bool },
    /// The territory is one of `set` (sorted indexes), or none when `none`:
    /// for policies with territories past the 63rd.
    TerritoryAt { set: Box<[u32]>, none: bool, neg: bool },
    /// `field is present` / `is missing`.
    Present { slot: u32, present: bool },
    /// Anything else: the reference evaluator.
    General(Expr),
}

/// A compiled route: conditions, and for each territory the rules that
/// can fire there, in order ([`CRoute::rules_for`]).
#[derive(Debug, Clone)]
pub(crate) struct CRoute {
    pub rules: Vec<Option<C>>,
    /// The rules of each of the first 63 territories (those masks hold).
    by_territory: Vec<Vec<u32>>,
    /// The rules of every later territory: masks cannot tell them apart,
    /// so one list serves them all (a list each would be territories times
    /// rules: quadratic).
    beyond: Vec<u32>,
    /// The rules of a lead in no territory.
    none: Vec<u32>,
    /// How many territories the policy has.
    territories: usize,
    /// Per rule: its condition reads the territory (an ambiguous lead raises there).
    pub reads_territory: Vec<bool>,
}

impl CRoute {
    /// The rules that can fire for territory index `t` (the policy's
    /// territory count: none), in order.
    pub(crate) fn rules_for(&self, t: usize) -> &[u32] {
        match self.by_territory.get(t) {
            Some(rules) => rules,
            None if t >= self.territories => &self.none,
            None => &self.beyond,
        }
    }
}

/// Everything compiled for one policy.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub tiers: Vec<Option<C>>,
    pub territories: Vec<C>,
    pub routes: Vec<CRoute>,
}

/// The mask bit that stands for "no tier" / "no territory".
pub(crate) const NONE_BIT: u64 = 1 << 63;

/// The mask bit of a tier or territory index: [`NONE_BIT`] for none, 0 for
/// indexes past 62 (which masks cannot hold).
pub(crate) fn index_bit(x: Option<u32>) -> u64 {
    x.map_or(NONE_BIT, |t| if t < 63 { 1u64 << t } else { 0 })
}

struct Builder<'p> {
    ir: &'p PolicyIr,
    missing: &'p [Option<MissingHandling>],
}

/// A field operand: its slot, and the value used when it is missing (if any).
enum Operand<'e> {
    Field(u32),
    Default(u32, &'e Value),
}

impl Builder<'_> {
    fn operand<'e>(&self, e: &'e Expr) -> Option<Operand<'e>> {
        match e {
            Expr::Field { slot } => Some(Operand::Field(*slot)),
            Expr::Default { slot, default } => Some(Operand::Default(*slot, default)),
            _ => None,
        }
    }

    /// What a leaf gives for a missing field, given the test on a present value.
    fn miss(&self, op: &Operand, test: impl Fn(&Value) -> bool) -> Miss {
        let (slot, fallback) = match op {
            Operand::Field(s) => (*s, None),
            Operand::Default(s, v) => (*s, Some(*v)),
        };
        if let Some(v) = fallback {
            return Miss::Const(test(v));
        }
        match &self.missing[slot as usize] {
            None => Miss::Const(false),
            Some(MissingHandling::Assume(v)) => Miss::Const(test(v)),
            Some(MissingHandling::Action(_)) => Miss::Raise,
        }
    }

    fn slot(op: &Operand) -> u32 {
        match op {
            Operand::Field(s) | Operand::Default(s, _) => *s,
        }
    }

    fn field_ty(&self, slot: u32) -> &FieldType {
        &self.ir.fields[slot as usize].ty
    }

    fn compile(&self, e: &Expr) -> C {
        match e {
            Expr::Const { value: Value::Bool(b) } => C::Const(*b),
            Expr::Not { arg } => C::Not(Box::new(self.compile(arg))),
            Expr::And { args } => C::And(args.iter().map(|a| self.compile(a)).collect()),
            Expr::Or { args } => C::Or(args.iter().map(|a| self.compile(a)).collect()),
            Expr::Present { slot, present } => C::Present { slot: *slot, present: *present },
            // Compiled conditions only ever see leads in at most one territory:
            // an ambiguous lead's rules run on the reference evaluator (see `decide`).
            Expr::Ambiguous => C::Const(false),
            Expr::Cmp { cmp, lhs, rhs } => self.cmp(*cmp, lhs, rhs).unwrap_or_else(|| C::General(e.clone())),
            Expr::In { value, set, negated } => self.set(value, set, *negated).unwrap_or_else(|| C::General(e.clone())),
            _ => C::General(e.clone()),
        }
    }

    fn cmp(&self, op: CmpOp, lhs: &Expr, rhs: &Expr) -> Option<C> {
        let (subject, k, op) = match (lhs, rhs) {
            (x, Expr::Const { value }) => (x, value, op),
            (Expr::Const { value }, x) => (x, value, op.flipped()),
            _ => return None,
        };
        match subject {
            Expr::Territory if matches!(op, CmpOp::Eq | CmpOp::Ne) => return territory_test(std::slice::from_ref(k), op == CmpOp::Ne),
            Expr::Tier | Expr::Territory => {
                let bit = match k {
                    Value::Tier(t) if *t < 63 => 1u64 << t,
                    Value::Territory(Some(t)) if *t < 63 => 1u64 << t,
                    Value::Territory(None) => NONE_BIT,
                    _ => return None,
                };
                let neg = match op {
                    CmpOp::Eq => false,
                    CmpOp::Ne => true,
                    _ => return None,
                };
                return Some(if matches!(subject, Expr::Tier) { C::Tier { mask: bit, neg } } else { C::Territory { mask: bit, neg } });
            }
            _ => {}
        }
        let operand = self.operand(subject)?;
        let slot = Self::slot(&operand);
        match (self.field_ty(slot), k) {
            (FieldType::String, Value::Str(s)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => {
                let neg = op == CmpOp::Ne;
                let miss = self.miss(&operand, |v| (compare(v, k) == Some(Ordering::Equal)) != neg);
                Some(C::StrIn { slot, set: vec![s.clone().into_boxed_str()].into(), neg, miss })
            }
            (FieldType::Enum(_), Value::Enum(i)) if *i < 64 && matches!(op, CmpOp::Eq | CmpOp::Ne) => {
                let neg = op == CmpOp::Ne;
                let miss = self.miss(&operand, |v| (compare(v, k) == Some(Ordering::Equal)) != neg);
                Some(C::EnumIn { slot, mask: 1 << i, neg, miss })
            }
            (FieldType::Int | FieldType::Float, Value::Int(_) | Value::Float(_)) => {
                let kf = match k {
                    Value::Int(i) if i.unsigned_abs() < (1 << 53) => *i as f64,
                    Value::Float(f) => *f,
                    _ => return None,
                };
                // Integers beyond 2^53 are compared exactly by the general path.
                if matches!(self.field_ty(slot), FieldType::Int) && matches!(k, Value::Float(_)) && kf.abs() >= (1u64 << 53) as f64 {
                    return None;
                }
                let miss = self.miss(&operand, |v| compare(v, k).is_some_and(|o| holds(op, o)));
                Some(C::Num { slot, op, k: kf, miss })
            }
            _ => None,
        }
    }

    fn set(&self, value: &Expr, set: &[Value], negated: bool) -> Option<C> {
        if matches!(value, Expr::Territory) {
            return territory_test(set, negated);
        }
        if matches!(value, Expr::Tier) {
            let mut mask = 0u64;
            for v in set {
                mask |= match v {
                    Value::Tier(t) | Value::Territory(Some(t)) if *t < 63 => 1u64 << t,
                    Value::Territory(None) => NONE_BIT,
                    _ => return None,
                };
            }
            return Some(if matches!(value, Expr::Tier) { C::Tier { mask, neg: negated } } else { C::Territory { mask, neg: negated } });
        }
        let operand = self.operand(value)?;
        let slot = Self::slot(&operand);
        let found = |v: &Value| set.iter().any(|s| compare(v, s) == Some(Ordering::Equal)) != negated;
        match self.field_ty(slot) {
            FieldType::String => {
                let mut items: Vec<Box<str>> = Vec::with_capacity(set.len());
                for v in set {
                    match v {
                        Value::Str(s) => items.push(s.clone().into_boxed_str()),
                        _ => return None,
                    }
                }
                items.sort();
                items.dedup();
                let miss = self.miss(&operand, found);
                Some(C::StrIn { slot, set: items.into(), neg: negated, miss })
            }
            FieldType::Enum(_) => {
                let mut mask = 0u64;
                for v in set {
                    match v {
                        Value::Enum(i) if *i < 64 => mask |= 1 << i,
                        _ => return None,
                    }
                }
                let miss = self.miss(&operand, found);
                Some(C::EnumIn { slot, mask, neg: negated, miss })
            }
            _ => None,
        }
    }
}

/// A test of the territory against constants: a mask when every index is
/// under 63, else a sorted index set.
fn territory_test(values: &[Value], neg: bool) -> Option<C> {
    let (mut set, mut none) = (Vec::new(), false);
    for v in values {
        match v {
            Value::Territory(Some(t)) => set.push(*t),
            Value::Territory(None) => none = true,
            _ => return None,
        }
    }
    if set.iter().all(|t| *t < 63) {
        let mask = set.iter().fold(if none { NONE_BIT } else { 0 }, |m, t| m | 1 << t);
        return Some(C::Territory { mask, neg });
    }
    set.sort_unstable();
    set.dedup();
    Some(C::TerritoryAt { set: set.into(), none, neg })
}

/// The territory a rule requires through its leading conjuncts, as a mask.
fn required_territories(c: &C) -> u64 {
    match c {
        C::Territory { mask, neg: false } => *mask,
        C::Territory { mask, neg: true } => !mask,
        // Only leading conjuncts: a test after a raising one would change
        // whether the raise happens. Territory and tier tests never raise.
        C::And(args) => {
            let mut m = u64::MAX;
            for a in args.iter() {
                match a {
                    C::Territory { .. } => m &= required_territories(a),
                    C::Tier { .. } | C::TerritoryAt { .. } => {}
                    _ => break,
                }
            }
            m
        }
        _ => u64::MAX,
    }
}

impl Compiled {
    pub(crate) fn new(ir: &PolicyIr, missing: &[Option<MissingHandling>]) -> Compiled {
        let b = Builder { ir, missing };
        let nt = ir.territories.len();
        let routes = ir
            .routes
            .iter()
            .map(|r| {
                let rules: Vec<Option<C>> = r.rules.iter().map(|rule| rule.condition.as_ref().map(|c| b.compile(&c.expr))).collect();
                let of = |bit: u64| -> Vec<u32> {
                    (0..rules.len() as u32)
                        .filter(|i| match &rules[*i as usize] {
                            Some(c) if bit != 0 => required_territories(c) & bit != 0,
                            _ => true,
                        })
                        .collect()
                };
                let by_territory = (0..nt.min(63)).map(|t| of(index_bit(Some(t as u32)))).collect();
                let beyond = if nt > 63 { of(index_bit(Some(63))) } else { Vec::new() };
                let none = of(index_bit(None));
                let reads_territory = r.rules.iter().map(|rule| rule.condition.as_ref().is_some_and(|c| c.expr.reads_territory())).collect();
                CRoute { rules, by_territory, beyond, none, territories: nt, reads_territory }
            })
            .collect();
        Compiled {
            tiers: ir.tiers.iter().map(|t| t.condition.as_ref().map(|c| b.compile(&c.expr))).collect(),
            territories: ir.territories.iter().map(|t| b.compile(&t.condition.expr)).collect(),
            routes,
        }
    }
}

fn miss(m: Miss) -> Result<bool, MissingRaised> {
    match m {
        Miss::Const(b) => Ok(b),
        Miss::Raise => Err(MissingRaised(u32::MAX)),
    }
}

/// Evaluates a compiled condition for `lead`, knowing the tier and territory.
pub(crate) fn test(p: &Policy, c: &C, lead: &Lead, tier: Option<u32>, territory: Option<u32>, now: i64) -> Result<bool, MissingRaised> {
    let raise = |slot: u32, r: Result<bool, MissingRaised>| r.map_err(|_| MissingRaised(slot));
    Ok(match c {
        C::Const(b) => *b,
        C::Not(a) => !test(p, a, lead, tier, territory, now)?,
        C::And(args) => {
            for a in args.iter() {
                if !test(p, a, lead, tier, territory, now)? {
                    return Ok(false);
                }
            }
            true
        }
        C::Or(args) => {
            for a in args.iter() {
                if test(p, a, lead, tier, territory, now)? {
                    return Ok(true);
                }
            }
            false
        }
        C::StrIn { slot, set, neg, miss: m } => match &lead.values[*slot as usize] {
            Some(Value::Str(s)) => {
                let found = if set.len() <= 4 { set.iter().any(|x| **x == **s) } else { set.binary_search_by(|x| (**x).cmp(s.as_str())).is_ok() };
                found != *neg
            }
            _ => raise(*slot, miss(*m))?,
        },
        C::EnumIn { slot, mask, neg, miss: m } => match &lead.values[*slot as usize] {
            Some(Value::Enum(i)) => (*i < 64 && mask & (1 << i) != 0) != *neg,
            _ => raise(*slot, miss(*m))?,
        },
        C::Num { slot, op, k, miss: m } => match &lead.values[*slot as usize] {
            Some(Value::Int(i)) => match (*i as f64).partial_cmp(k) {
                Some(o) => holds(*op, o),
                None => false,
            },
            Some(Value::Float(f)) => f.partial_cmp(k).is_some_and(|o| holds(*op, o)),
            _ => raise(*slot, miss(*m))?,
        },
        C::Tier { mask, neg } => (index_bit(tier) & mask != 0) != *neg,
        C::Territory { mask, neg } => (index_bit(territory) & mask != 0) != *neg,
        C::TerritoryAt { set, none, neg } => territory.map_or(*none, |t| set.binary_search(&t).is_ok()) != *neg,
        C::Present { slot, present } => lead.values[*slot as usize].is_some() == *present,
        C::General(e) => {
            let mut ctx = Ctx { policy: p, lead, tier, territory, now, reads: None, read_tier: false, read_territory: false, ambiguous: false, lookups: None };
            ctx.test(e)?
        }
    })
}
