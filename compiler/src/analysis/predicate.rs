//! A predicate analysis over conditions: each condition becomes a disjunction
//! of conjunctions of per-field constraints (value sets for strings, enums and
//! bools; intervals for numbers; presence for optional fields).
//!
//! It is exact for those atoms. Anything else (string functions, comparisons
//! between two fields, `??` defaults, durations) is *opaque*: treated as "may
//! be true either way", which can only make two conditions look more likely
//! to overlap, never less. So "disjoint" answers are proofs; "may overlap"
//! answers come with an example lead, marked as certain only when no opaque
//! atom was involved.

use std::sync::Arc;

pub use super::values::Values;

use crate::check::symbols::{Symbols, Ty};
use crate::check::Fingerprint;
use super::index::Territories;
use crate::syntax::ast::*;


/// Largest number of conjunctions kept before giving up (answer: unknown).
pub const MAX_TERMS: usize = 512;

/// Past this many values in one field's equality set (`country` none of
/// 1,025 codes, built up by 1,025 tiers) a conjunction is given up on, as past
/// [`MAX_TERMS`] terms: every step of the analysis stays bounded, so `check`
/// on a policy of many thousands of tiers does not grow with its square.
pub const MAX_VALUES: usize = 1024;

/// The allowed values of one field's equality tests.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueSet {
    /// One of these.
    In(Values),
    /// None of these.
    NotIn(Values),
}

/// A numeric interval; bounds are inclusive when the flag says so.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower bound (`-inf` when unbounded).
    pub lo: f64,
    /// Lower bound included.
    pub lo_in: bool,
    /// Upper bound (`+inf` when unbounded).
    pub hi: f64,
    /// Upper bound included.
    pub hi_in: bool,
}

impl Interval {
    /// Every number.
    pub const ALL: Interval = Interval { lo: f64::NEG_INFINITY, lo_in: false, hi: f64::INFINITY, hi_in: false };

    fn meet(self, o: Interval) -> Interval {
        let (lo, lo_in) = if self.lo > o.lo || (self.lo == o.lo && !self.lo_in) { (self.lo, self.lo_in) } else { (o.lo, o.lo_in) };
        let (hi, hi_in) = if self.hi < o.hi || (self.hi == o.hi && !self.hi_in) { (self.hi, self.hi_in) } else { (o.hi, o.hi_in) };
        Interval { lo, lo_in, hi, hi_in }
    }

    /// The smallest interval holding both.
    pub fn hull(self, o: Interval) -> Interval {
        let (lo, lo_in) = if self.lo < o.lo || (self.lo == o.lo && self.lo_in) { (self.lo, self.lo_in) } else { (o.lo, o.lo_in) };
        let (hi, hi_in) = if self.hi > o.hi || (self.hi == o.hi && self.hi_in) { (self.hi, self.hi_in) } else { (o.hi, o.hi_in) };
        Interval { lo, lo_in, hi, hi_in }
    }

    /// True when some number lies in both.
    pub fn meets(self, o: Interval) -> bool {
        self.meet(o).pick(false).is_some()
    }

    /// A point inside, if any; `integer` asks for a whole number.
    pub fn pick(self, integer: bool) -> Option<f64> {
        if integer {
            // The smallest whole number above the lower bound; without one,
            // the largest below the upper bound (or 0 when that is allowed).
            let v = if self.lo.is_finite() {
                let c = self.lo.ceil();
                if c == self.lo && !self.lo_in { c + 1.0 } else { c }
            } else if self.hi.is_finite() {
                let f = self.hi.floor();
                let top = if f == self.hi && !self.hi_in { f - 1.0 } else { f };
                top.min(0.0)
            } else {
                0.0
            };
            let ok = v < self.hi || (v == self.hi && self.hi_in);
            let ok = ok && (v > self.lo || (v == self.lo && self.lo_in));
            return ok.then_some(v);
        }
        if self.lo > self.hi || (self.lo == self.hi && !(self.lo_in && self.hi_in)) {
            return None;
        }
        Some(match (self.lo.is_finite(), self.hi.is_finite()) {
            (true, true) if self.lo_in => self.lo,
            (true, true) => (self.lo + self.hi) / 2.0,
            (true, false) => if self.lo_in { self.lo } else { self.lo + 1.0 },
            (false, true) => if self.hi_in { self.hi } else { self.hi - 1.0 },
            (false, false) => 0.0,
        })
    }
}

/// What a conjunction says about one field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldConstraint {
    /// Some(true): must be present; Some(false): must be missing.
    pub present: Option<bool>,
    /// Equality constraints.
    pub values: Option<ValueSet>,
    /// Numeric range.
    pub range: Interval,
}

impl Default for FieldConstraint {
    fn default() -> Self {
        FieldConstraint { present: None, values: None, range: Interval::ALL }
    }
}

/// A term's constraints by field name, sorted by name. Terms constrain a
/// few fields and are copied on every step of the analyses: a sorted `Vec`
/// with shared names copies in one allocation where a tree of owned strings
/// took one per node and per name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fields(Vec<(Arc<str>, FieldConstraint)>);

impl Fields {
    /// One field's constraint.
    pub fn one(field: Arc<str>, c: FieldConstraint) -> Fields {
        Fields(vec![(field, c)])
    }

    fn position(&self, field: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(f, _)| (**f).cmp(field))
    }

    /// The constraint on `field`.
    pub fn get(&self, field: &str) -> Option<&FieldConstraint> {
        self.position(field).ok().map(|i| &self.0[i].1)
    }

    /// The constraint on `field`, to narrow.
    pub fn get_mut(&mut self, field: &str) -> Option<&mut FieldConstraint> {
        self.position(field).ok().map(|i| &mut self.0[i].1)
    }

    /// Sets the constraint on `field`.
    pub fn insert(&mut self, field: Arc<str>, c: FieldConstraint) {
        match self.position(&field) {
            Ok(i) => self.0[i].1 = c,
            Err(i) => self.0.insert(i, (field, c)),
        }
    }

    /// The fields and their constraints, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FieldConstraint)> {
        self.0.iter().map(|(f, c)| (&**f, c))
    }

    /// The fields, as the shared names they are kept in, and their constraints.
    pub fn iter_shared(&self) -> impl Iterator<Item = &(Arc<str>, FieldConstraint)> {
        self.0.iter()
    }

    /// The constraints, by field name.
    pub fn values(&self) -> impl Iterator<Item = &FieldConstraint> {
        self.0.iter().map(|(_, c)| c)
    }

    /// How many fields are constrained.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no field is constrained.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'f> IntoIterator for &'f Fields {
    type Item = (&'f str, &'f FieldConstraint);
    type IntoIter = std::iter::Map<std::slice::Iter<'f, (Arc<str>, FieldConstraint)>, fn(&'f (Arc<str>, FieldConstraint)) -> (&'f str, &'f FieldConstraint)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(f, c)| (&**f, c))
    }
}

/// One conjunction: constraints on fields, and whether an opaque atom took part.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Term {
    /// Per-field constraints.
    pub fields: Fields,
    /// An atom the analysis does not model was involved.
    pub opaque: bool,
}

/// A condition as a disjunction of terms; `None` when it grew too large to analyse.
pub type Dnf = Option<Vec<Term>>;

/// A hash of the terms' structure (field names, value sets, the bits of the
/// bounds): equal terms hash alike, so conditions can be grouped without
/// comparing every pair.
pub fn hash_terms(terms: &[Term]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    terms.len().hash(&mut h);
    for t in terms {
        t.opaque.hash(&mut h);
        t.fields.len().hash(&mut h);
        for (name, c) in &t.fields {
            name.hash(&mut h);
            c.present.hash(&mut h);
            match &c.values {
                None => 0u8.hash(&mut h),
                Some(ValueSet::In(v)) => (1u8, v).hash(&mut h),
                Some(ValueSet::NotIn(v)) => (2u8, v).hash(&mut h),
            }
            (c.range.lo.to_bits(), c.range.lo_in, c.range.hi.to_bits(), c.range.hi_in).hash(&mut h);
        }
    }
    h.finish()
}

/// The names the routes' conditions compare `territory` with or list after
/// `territory in`: the territories (and `none`) a route asks about.
fn names_in_routes<'s>(syms: &'s Symbols) -> rustc_hash::FxHashSet<&'s str> {
    // What `Analyzer::compare` and the `in` of a route ask about: the name
    // compared with `territory` (`==`, `!=`), or listed after `territory in`.
    fn is_territory(e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Name(n) => n == "territory",
            ExprKind::Paren(inner) => is_territory(inner),
            _ => false,
        }
    }
    fn name_of(e: &Expr) -> Option<&str> {
        match &e.kind {
            ExprKind::Name(n) => Some(n),
            ExprKind::Paren(inner) => name_of(inner),
            _ => None,
        }
    }
    let mut names = rustc_hash::FxHashSet::default();
    if syms.territories.is_empty() {
        return names;
    }
    let mut stack: Vec<&Expr> = syms.routes.values().flat_map(|r| &r.rules).filter_map(|rule| match &rule.guard {
        Guard::When(e) => Some(e),
        Guard::Otherwise(_) => None,
    }).collect();
    // A stack, not recursion: `and` chains may be long.
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Name(_) | ExprKind::Lit(_) => {}
            ExprKind::Call { args: items, .. } | ExprKind::List(items) => stack.extend(items),
            ExprKind::Paren(x) | ExprKind::Not(x) | ExprKind::Is { value: x, .. } | ExprKind::Ambiguous(x) | ExprKind::Lookup { key: x, .. } => stack.push(x),
            ExprKind::Cmp { lhs, rhs, .. } => {
                for (side, other) in [(lhs, rhs), (rhs, lhs)] {
                    if is_territory(side) {
                        names.extend(name_of(other));
                    }
                }
                stack.push(lhs);
                stack.push(rhs);
            }
            ExprKind::In { value, set, .. } => {
                if let (true, ExprKind::List(items)) = (is_territory(value), &set.kind) {
                    names.extend(items.iter().filter_map(name_of));
                }
                stack.push(value);
                stack.push(set);
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) | ExprKind::Default { value: a, default: b } => {
                stack.push(a);
                stack.push(b);
            }
        }
    }
    names
}

/// Per territory (by index), whether its first neighbour takes every lead
/// it matches, under the two conditions it was worked out for: kept between
/// an editor's checks (a territory nested in another is asked on every check).
#[derive(Default)]
struct FirstCovers(Vec<Option<FirstCover>>);

/// A territory's condition, its first neighbour's, and whether the neighbour takes all its leads.
type FirstCover = (Arc<Dnf>, Arc<Dnf>, bool);

/// Whether class `p`, territory `i`'s first neighbour, takes every lead `i`
/// matches: the last check's answer when both conditions are the same (`last`),
/// and kept for the next (`found`).
fn first_covers(an: &Analyzer, terr: &Territories, last: Option<&FirstCovers>, found: &mut FirstCovers, i: usize, p: usize) -> bool {
    let (cond, first) = (&terr.conds[i], &terr.conds[terr.classes[p][0]]);
    let again = last.and_then(|l| l.0.get(i)?.as_ref()).filter(|(c, f, _)| Arc::ptr_eq(c, cond) && Arc::ptr_eq(f, first));
    let covers = match again {
        Some(&(_, _, covers)) => covers,
        None => an.meet_is_empty(cond, terr.neg(an.symbols(), p)),
    };
    found.0.resize_with(i, || None);
    found.0.push(Some((cond.clone(), first.clone(), covers)));
    covers
}

/// What `tier == t` and `territory == t` mean inside routes, as conditions
/// on the lead: tier `t` is decided when its condition holds and no earlier
/// tier's does; territory `t` when its condition holds and no other's does.
#[derive(Debug, Clone, Default)]
pub struct RouteCtx {
    /// Per tier: the leads that get it.
    pub tier_is: Vec<Dnf>,
    /// Per territory: the leads that end up in it.
    pub territory_is: Vec<Dnf>,
    /// The leads in no territory.
    pub territory_none: Dnf,
    /// The leads in two territories or more (`territory is ambiguous`).
    pub ambiguous: Dnf,
}

/// Turns conditions into [`Dnf`]s and compares them.
pub struct Analyzer<'s, 'a> {
    syms: &'s Symbols<'a>,
    route: Option<RouteCtx>,
    /// The fingerprints of what conditions are analysed against (see
    /// [`Analyzer::memoized`]); `None`: nothing is kept between checks.
    fingerprint: Option<Arc<Fingerprint>>,
}

/// How a field's constraint is read (see [`Analyzer::pick`]).
enum Reading<'t, 'c> {
    /// The field must be missing, and may be.
    Missing,
    /// The field must be present: its type, whether it is a whole number,
    /// and the value set that counts (none for numbers: their ranges do).
    Present { ty: Option<&'t Ty>, integer: bool, values: Option<&'c ValueSet> },
}

impl<'s, 'a> Analyzer<'s, 'a> {
    /// An analyzer over a checked policy's symbols (tier and territory are opaque).
    pub fn new(syms: &'s Symbols<'a>) -> Self {
        Analyzer { syms, route: None, fingerprint: None }
    }

    /// This analyzer, keeping each tier's and territory's analysed condition
    /// in the declaration's [`Memo`] under its key in `fingerprint`: what
    /// else a condition's analysis reads (the schema and enums, and the sets
    /// and `missing` handlers it names).
    pub fn memoized(mut self, fingerprint: Arc<Fingerprint>) -> Self {
        self.fingerprint = Some(fingerprint);
        self
    }

    /// The fingerprints memos are kept under, when this analyzer keeps them.
    pub fn fingerprint(&self) -> Option<&Arc<Fingerprint>> {
        self.fingerprint.as_ref()
    }

    /// The policy-wide key of results kept for the whole policy (which
    /// compare analysed conditions as the same objects), when this analyzer
    /// keeps them.
    pub fn memo_key(&self) -> Option<u64> {
        self.fingerprint.as_ref().map(|f| f.base())
    }

    /// What `work` gives for the declaration that owns `memo`, kept under
    /// its `key` in the fingerprints ([`Fingerprint::of_condition`], say):
    /// from an earlier check of the same text when nothing else it reads changed.
    pub(crate) fn remember<T: std::any::Any + Send + Sync>(&self, memo: &Memo, key: impl FnOnce(&Fingerprint) -> u64, work: impl FnOnce() -> T) -> Arc<T> {
        match &self.fingerprint {
            Some(f) => memo.get_or_insert_with(key(f), work),
            None => Arc::new(work()),
        }
    }

    /// An analyzer that also understands `tier` and `territory` inside routes,
    /// through the tier and territory conditions.
    pub fn with_routes(syms: &'s Symbols<'a>) -> Self {
        let base = Analyzer::new(syms);
        let takes = super::reach::tiers(&base, &mut Vec::new());
        Self::with_territories(syms, &Territories::build(&base), takes)
    }

    /// [`Analyzer::with_routes`] on territories already indexed and what
    /// each tier takes (from [`super::reach::tiers`]).
    pub fn with_territories(syms: &'s Symbols<'a>, terr: &Territories, tier_takes: Vec<Dnf>) -> Self {
        let base = Analyzer::new(syms);
        let mut ctx = RouteCtx { tier_is: tier_takes, ..RouteCtx::default() };
        let complete = terr.cut.is_none();
        let last = terr.kept::<FirstCovers>();
        let mut found = FirstCovers(Vec::new());
        // Only `territory == x` (or `in`, `!=`) in a route asks which leads end up in `x`,
        // and only `territory == none` which leads are in none: the rest is not worked out.
        let named = names_in_routes(syms);
        for (i, c) in terr.conds.iter().enumerate() {
            let k = terr.class_of[i];
            // Not named by any route: never asked. Or some overlaps are not known: which leads end up here is not either.
            let is = if !named.contains(syms.territories[i].name.name.as_str()) || !complete {
                None
            } else if terr.classes[k].len() > 1 || terr.partners[k].first().is_some_and(|&p| first_covers(&base, terr, last.as_deref(), &mut found, i, p)) {
                // Its twin, or its first neighbour (a territory nested in another), takes every lead it matches.
                Some(vec![])
            } else {
                let mut acc: Dnf = (**c).clone();
                // Only territories that may overlap this one exclude any of its leads.
                for &p in &terr.partners[k] {
                    // Nothing left, or too large to follow: no later partner changes that.
                    let terms = match acc.take() {
                        Some(t) if !t.is_empty() => t,
                        done => {
                            acc = done;
                            break;
                        }
                    };
                    acc = base.and_pruned(terms, terr.neg(syms, p).as_deref());
                }
                acc
            };
            ctx.territory_is.push(is);
        }
        terr.keep(found);
        let mut none: Dnf = named.contains("none").then(|| vec![Term::default()]);
        for k in 0..terr.classes.len() {
            let Some(terms) = none.take() else { break };
            none = and_with(terms, terr.neg(syms, k).as_deref());
        }
        ctx.territory_none = none;
        ctx.ambiguous = if complete { ambiguous(&base, terr) } else { None };
        Analyzer { syms, route: Some(ctx), fingerprint: None }
    }

    /// What `tier` and `territory` mean, for an analyzer made [`Analyzer::with_routes`].
    pub fn route_ctx(&self) -> Option<&RouteCtx> {
        self.route.as_ref()
    }

    /// The symbols analysed.
    pub fn symbols(&self) -> &'s Symbols<'a> {
        self.syms
    }

    /// The DNF of a condition.
    pub fn dnf(&self, e: &Expr) -> Dnf {
        self.nnf(e, false)
    }

    fn nnf(&self, e: &Expr, neg: bool) -> Dnf {
        match &e.kind {
            ExprKind::Paren(inner) => self.nnf(inner, neg),
            ExprKind::Not(inner) => self.nnf(inner, !neg),
            ExprKind::And(..) | ExprKind::Or(..) => {
                // Chains are left-deep and may be long: walk the spine instead of recursing down it.
                let is_and = matches!(e.kind, ExprKind::And(..));
                let parts = crate::check::types::chain(e, is_and);
                // `and` under no negation (or `or` under one) is a conjunction.
                let conjunction = is_and != neg;
                let mut acc: Option<Vec<Term>> = None;
                for p in parts {
                    let d = self.nnf(p, neg)?;
                    acc = Some(match acc {
                        None => d,
                        Some(a) if conjunction => and(a, d)?,
                        Some(a) => or(a, d)?,
                    });
                }
                acc
            }
            ExprKind::Lit(Lit::Bool(b)) => Some(if *b != neg { vec![Term::default()] } else { vec![] }),
            ExprKind::Is { value, present } => match &value.kind {
                ExprKind::Name(f) if self.syms.fields.contains_key(f) => {
                    Some(vec![single(f, FieldConstraint { present: Some(*present != neg), ..Default::default() })])
                }
                _ => opaque(),
            },
            ExprKind::Cmp { op, lhs, rhs } => self.compare(*op, lhs, rhs, neg),
            ExprKind::In { value, set, negated } => self.membership(value, set, *negated != neg),
            ExprKind::Ambiguous(_) => match &self.route {
                Some(ctx) if neg => negate(&ctx.ambiguous),
                Some(ctx) => ctx.ambiguous.clone(),
                None => opaque(),
            },
            _ => opaque(),
        }
    }

    fn field_of(&self, e: &Expr) -> Option<(&'s str, &'s Ty)> {
        match &e.kind {
            ExprKind::Name(n) => self.syms.fields.get_key_value(n).map(|(k, f)| (k.as_str(), &f.ty)),
            ExprKind::Paren(inner) => self.field_of(inner),
            _ => None,
        }
    }

    fn constant(&self, e: &Expr, ty: &Ty) -> Option<Const> {
        match (&e.kind, ty) {
            (ExprKind::Lit(Lit::Str(s)), Ty::Str) => Some(Const::Text(s.clone())),
            (ExprKind::Lit(Lit::Bool(b)), Ty::Bool) => Some(Const::Text(b.to_string())),
            (ExprKind::Lit(Lit::Int(i)), Ty::Int | Ty::Float) => Some(Const::Num(*i as f64)),
            (ExprKind::Lit(Lit::Float(f)), Ty::Int | Ty::Float) => Some(Const::Num(*f)),
            (ExprKind::Name(n), Ty::Enum(_)) => Some(Const::Text(n.clone())),
            (ExprKind::Paren(inner), _) => self.constant(inner, ty),
            _ => None,
        }
    }

    /// `tier == x`, `territory != y`: the named tier's or territory's leads.
    fn decided(&self, which: &str, names: &[&str], neg: bool) -> Dnf {
        let ctx = self.route.as_ref()?;
        let mut out: Vec<Term> = Vec::new();
        for n in names {
            let d = if which == "tier" {
                let i = self.syms.tier_index(n)?;
                ctx.tier_is[i].clone()?
            } else if *n == "none" {
                ctx.territory_none.clone()?
            } else {
                let i = self.syms.territory_index(n)?;
                ctx.territory_is[i].clone()?
            };
            out.extend(d);
        }
        if neg {
            negate(&Some(out))
        } else {
            Some(out)
        }
    }

    fn pseudo(&self, e: &Expr) -> Option<&'static str> {
        match &e.kind {
            ExprKind::Name(n) if self.route.is_some() && !self.syms.fields.contains_key(n) && (n == "tier" || n == "territory") => {
                Some(if n == "tier" { "tier" } else { "territory" })
            }
            ExprKind::Paren(inner) => self.pseudo(inner),
            _ => None,
        }
    }

    fn name_of(e: &Expr) -> Option<&str> {
        match &e.kind {
            ExprKind::Name(n) => Some(n),
            ExprKind::Paren(inner) => Self::name_of(inner),
            _ => None,
        }
    }

    fn compare(&self, op: CmpOp, lhs: &Expr, rhs: &Expr, neg: bool) -> Dnf {
        if matches!(op, CmpOp::Eq | CmpOp::Ne) {
            let pair = match (self.pseudo(lhs), self.pseudo(rhs)) {
                (Some(w), None) => Self::name_of(rhs).map(|n| (w, n)),
                (None, Some(w)) => Self::name_of(lhs).map(|n| (w, n)),
                _ => None,
            };
            if let Some((which, name)) = pair {
                return self.decided(which, &[name], (op == CmpOp::Ne) != neg).or_else(opaque);
            }
        }
        let (field, ty, c, op) = if let Some((f, ty)) = self.field_of(lhs) {
            (f, ty, self.constant(rhs, ty), op)
        } else if let Some((f, ty)) = self.field_of(rhs) {
            (f, ty, self.constant(lhs, ty), op.flipped())
        } else {
            return opaque();
        };
        let Some(c) = c else { return opaque() };
        let op = if neg { negate_op(op) } else { op };
        let assumed = self.assumed(field).map(|a| match (&a, &c) {
            (Const::Text(x), Const::Text(y)) => match op {
                CmpOp::Eq => x == y,
                CmpOp::Ne => x != y,
                _ => false,
            },
            (Const::Num(x), Const::Num(y)) => x.partial_cmp(y).is_some_and(|o| match op {
                CmpOp::Eq => o.is_eq(),
                CmpOp::Ne => !o.is_eq(),
                CmpOp::Lt => o.is_lt(),
                CmpOp::Le => o.is_le(),
                CmpOp::Gt => o.is_gt(),
                CmpOp::Ge => o.is_ge(),
            }),
            _ => false,
        });
        let with_missing = |d: Dnf| -> Dnf {
            let mut d = d?;
            if assumed == Some(true) {
                d.push(single(field, FieldConstraint { present: Some(false), ..Default::default() }));
            }
            Some(d)
        };
        with_missing(match c {
            Const::Text(v) => {
                let set = Values::one(v);
                let values = match op {
                    CmpOp::Eq => self.normalise(ty, ValueSet::In(set)),
                    CmpOp::Ne => self.normalise(ty, ValueSet::NotIn(set)),
                    _ => return opaque(),
                };
                Some(vec![single(field, FieldConstraint { present: Some(true), values: Some(values), ..Default::default() })])
            }
            Const::Num(v) => {
                let range = |lo, lo_in, hi, hi_in| {
                    single(field, FieldConstraint { present: Some(true), range: Interval { lo, lo_in, hi, hi_in }, ..Default::default() })
                };
                let inf = f64::INFINITY;
                Some(match op {
                    CmpOp::Eq => vec![range(v, true, v, true)],
                    CmpOp::Ne => vec![range(-inf, false, v, false), range(v, false, inf, false)],
                    CmpOp::Lt => vec![range(-inf, false, v, false)],
                    CmpOp::Le => vec![range(-inf, false, v, true)],
                    CmpOp::Gt => vec![range(v, false, inf, false)],
                    CmpOp::Ge => vec![range(v, true, inf, false)],
                })
            }
        })
    }

    /// The value an `on missing(field) -> assume V` handler gives the field.
    fn assumed(&self, field: &str) -> Option<Const> {
        let h = self.syms.assume_handler(field)?;
        let HandlerAction::Assume(v) = &h.action else { return None };
        match &v.kind {
            ValueKind::Int(i) => Some(Const::Num(*i as f64)),
            ValueKind::Float(x) => Some(Const::Num(*x)),
            ValueKind::Str(t) | ValueKind::Name(t) => Some(Const::Text(t.clone())),
            ValueKind::Bool(b) => Some(Const::Text(b.to_string())),
            _ => None,
        }
    }

    fn membership(&self, value: &Expr, set: &Expr, negated: bool) -> Dnf {
        if let (Some(which), ExprKind::List(items)) = (self.pseudo(value), &set.kind) {
            let names: Option<Vec<&str>> = items.iter().map(Self::name_of).collect();
            return names.and_then(|n| self.decided(which, &n, negated)).or_else(opaque);
        }
        let Some((field, ty)) = self.field_of(value) else { return opaque() };
        if self.assumed(field).is_some() {
            // The assumed value may or may not be in the set: keep it simple and sound.
            return opaque();
        }
        let items: Vec<&Expr> = match &set.kind {
            ExprKind::List(items) => items.iter().collect(),
            ExprKind::Name(n) => match self.syms.sets.get(n) {
                Some(decl) => decl.items.iter().collect(),
                None => return opaque(),
            },
            _ => return opaque(),
        };
        let mut texts: Vec<String> = Vec::new();
        let mut nums = Vec::new();
        for item in items {
            match self.constant(item, ty) {
                Some(Const::Text(t)) => texts.push(t),
                Some(Const::Num(n)) => nums.push(n),
                None => return opaque(),
            }
        }
        if !nums.is_empty() {
            if negated {
                return opaque();
            }
            return Some(
                nums.into_iter()
                    .map(|n| {
                        let range = Interval { lo: n, lo_in: true, hi: n, hi_in: true };
                        single(field, FieldConstraint { present: Some(true), range, ..Default::default() })
                    })
                    .collect(),
            );
        }
        let texts: Values = texts.into_iter().collect();
        let (present, values) = if negated { (None, ValueSet::NotIn(texts)) } else { (Some(true), ValueSet::In(texts)) };
        Some(vec![single(field, FieldConstraint { present, values: Some(self.normalise(ty, values)), ..Default::default() })])
    }

    /// Over a finite domain (enum, bool) `NotIn` becomes `In` of the rest.
    /// (Only a `NotIn` reads the domain: an enum of thousands of variants
    /// tested with `in` costs nothing more than its members.)
    fn normalise(&self, ty: &Ty, v: ValueSet) -> ValueSet {
        let ValueSet::NotIn(out) = v else { return v };
        let domain: Vec<&str> = match ty {
            Ty::Bool => vec!["false", "true"],
            Ty::Enum(e) => match self.syms.enums.get(e) {
                Some(d) => d.variants.iter().map(|v| v.name.as_str()).collect(),
                None => return ValueSet::NotIn(out),
            },
            _ => return ValueSet::NotIn(out),
        };
        let rest: Values = domain.into_iter().filter(|v| !out.contains(v)).collect();
        ValueSet::In(rest)
    }

    /// True when the term can hold for some lead (ignoring opaque atoms).
    pub fn satisfiable(&self, t: &Term) -> bool {
        t.fields.iter().all(|(f, c)| self.holds_for_some(f, c))
    }

    /// True when some value of `field` satisfies the constraint: exactly
    /// when [`Analyzer::pick`] finds one, without building it (conditions
    /// are pruned with this on every step of the analyses).
    fn holds_for_some(&self, field: &str, c: &FieldConstraint) -> bool {
        match self.reading(field, c) {
            None => false,
            Some(Reading::Missing) => true,
            Some(Reading::Present { ty, integer, values }) => match values {
                Some(ValueSet::In(set)) => !set.is_empty(),
                Some(ValueSet::NotIn(out)) => match ty {
                    Some(Ty::Bool) => ["false", "true"].iter().any(|v| !out.contains(v)),
                    Some(Ty::Enum(e)) => self.syms.enums.get(e).is_none_or(|d| d.variants.iter().any(|v| !out.contains(&v.name))),
                    // Text: some `otherN` is always left out of a finite set.
                    _ => true,
                },
                None => c.range == Interval::ALL || c.range.pick(integer).is_some(),
            },
        }
    }

    /// How `field`'s constraint is read, for [`Analyzer::pick`] and
    /// [`Analyzer::holds_for_some`]; `None` when presence, type or range
    /// alone leave no value.
    fn reading<'c>(&self, field: &str, c: &'c FieldConstraint) -> Option<Reading<'_, 'c>> {
        let info = self.syms.fields.get(field);
        if c.present == Some(false) {
            // A required field is never missing (such leads are rejected before routing).
            let constrained = c.values.is_some() || c.range != Interval::ALL;
            return (!constrained && info.is_none_or(|f| f.optional)).then_some(Reading::Missing);
        }
        let ty = info.map(|f| &f.ty);
        let integer = matches!(ty, Some(Ty::Int));
        // Numbers are constrained by ranges; a value set on a number can only
        // be the empty set that records a contradiction (or its negation).
        let numeric = matches!(ty, Some(Ty::Int | Ty::Float));
        let values = match &c.values {
            Some(ValueSet::In(s)) if numeric && s.is_empty() => return None,
            Some(_) if numeric => None,
            v => v.as_ref(),
        };
        if values.is_some() && c.range != Interval::ALL && c.range.pick(integer).is_none() {
            return None;
        }
        Some(Reading::Present { ty, integer, values })
    }

    /// True when some lead satisfies both (satisfiable) terms; no term is built.
    pub fn terms_intersect(&self, a: &Term, b: &Term) -> bool {
        a.fields.iter().all(|(f, c)| match b.fields.get(f) {
            None => true,
            Some(d) => {
                let mut m = c.clone();
                meet_constraint(&mut m, d);
                self.holds_for_some(f, &m)
            }
        })
    }

    /// True when the two conditions may hold together (unknown counts as may).
    pub fn intersects(&self, a: &Dnf, b: &Dnf) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => a.iter().any(|x| b.iter().any(|y| self.terms_intersect(x, y))),
            _ => true,
        }
    }

    /// True when the two conditions certainly hold together for no lead:
    /// exactly `empty(&meet(a, b))` (`reach::meet`), without building the
    /// meet. `None` conditions, and meets too large to analyse, are not empty.
    pub fn meet_is_empty(&self, a: &Dnf, b: &Dnf) -> bool {
        let (Some(a), Some(b)) = (a, b) else { return false };
        if a.len().saturating_mul(b.len()) > MAX_TERMS {
            return false;
        }
        // A term past the value limit makes the whole meet unknown.
        a.iter().all(|x| b.iter().all(|y| matches!(self.pair_meet(x, y), Some(false))))
    }

    /// True when the meet of two terms can hold for some lead: exactly
    /// `self.meet(x, y).is_some()`, without building the meet.
    pub fn terms_meet(&self, x: &Term, y: &Term) -> bool {
        self.fields_meet(x, y, |_| true)
    }

    /// Whether the meet of two terms can hold (`None`: one of its value
    /// sets is past [`MAX_VALUES`], so the meet is not analysed).
    fn pair_meet(&self, x: &Term, y: &Term) -> Option<bool> {
        let mut over = false;
        let sat = self.fields_meet(x, y, |c| {
            over |= !within_limit(c);
            !over
        });
        (!over).then_some(sat)
    }

    /// Every field of the meet of `x` and `y` (each field's constraints met)
    /// holds for some value; `look` sees each field's met constraint first
    /// and stops the walk (answer: false) when it says so.
    fn fields_meet(&self, x: &Term, y: &Term, mut look: impl FnMut(&FieldConstraint) -> bool) -> bool {
        let mut sat = true;
        for (f, c) in &x.fields {
            let met;
            let c = match y.fields.get(f) {
                Some(d) => {
                    let mut m = c.clone();
                    meet_constraint(&mut m, d);
                    met = m;
                    &met
                }
                None => c,
            };
            if !look(c) {
                return false;
            }
            sat = sat && self.holds_for_some(f, c);
        }
        for (f, c) in &y.fields {
            if x.fields.get(f).is_none() {
                if !look(c) {
                    return false;
                }
                sat = sat && self.holds_for_some(f, c);
            }
        }
        sat
    }

    /// [`and_with`] of `a` and `b`, keeping the satisfiable terms: each
    /// term is tested as it is made and dropped at once when it cannot
    /// hold, and the last meet of each of `a`'s terms takes the term itself
    /// rather than a copy, so a value set that only it holds grows in place.
    fn and_pruned(&self, a: Vec<Term>, b: Option<&[Term]>) -> Dnf {
        let b = b?;
        if a.len().saturating_mul(b.len()) > MAX_TERMS {
            return None;
        }
        let mut out = Vec::new();
        let mut keep = |t: Term| -> Option<()> {
            within_value_limit(&t).then_some(())?;
            if self.satisfiable(&t) {
                out.push(t);
            }
            Some(())
        };
        if is_identity(&a) {
            b.iter().try_for_each(|y| keep(y.clone()))?;
            return Some(out);
        }
        for x in a {
            if let Some((last, rest)) = b.split_last() {
                rest.iter().try_for_each(|y| keep(meet_into(x.clone(), y)))?;
                keep(meet_into(x, last))?;
            }
        }
        Some(out)
    }

    /// The conjunction of two terms, or None when they contradict.
    pub fn meet(&self, a: &Term, b: &Term) -> Option<Term> {
        let t = meet_into(a.clone(), b);
        self.satisfiable(&t).then_some(t)
    }

    /// A JSON value for the field satisfying the constraint; `Null` means missing;
    /// `None` when nothing satisfies it.
    pub fn pick(&self, field: &str, c: &FieldConstraint) -> Option<serde_json::Value> {
        let (ty, integer, values) = match self.reading(field, c)? {
            Reading::Missing => return Some(serde_json::Value::Null),
            Reading::Present { ty, integer, values } => (ty, integer, values),
        };
        match values {
            Some(ValueSet::In(set)) => {
                let v = set.iter().next()?;
                Some(text_value(v, ty))
            }
            Some(ValueSet::NotIn(out)) => {
                let universe: Option<Vec<String>> = match ty {
                    Some(Ty::Bool) => Some(vec!["false".into(), "true".into()]),
                    Some(Ty::Enum(e)) => self.syms.enums.get(e).map(|d| d.variants.iter().map(|v| v.name.clone()).collect()),
                    _ => None,
                };
                let v = match universe {
                    Some(all) => all.into_iter().find(|v| !out.contains(v))?,
                    None => (0..).map(|i| if i == 0 { "other".to_string() } else { format!("other{i}") }).find(|s| !out.contains(s))?,
                };
                Some(text_value(&v, ty))
            }
            None if c.range != Interval::ALL => {
                let v = c.range.pick(integer)?;
                Some(if integer { serde_json::json!(v as i64) } else { serde_json::json!(v) })
            }
            None => Some(match ty {
                Some(Ty::Int) => serde_json::json!(0),
                Some(Ty::Float) => serde_json::json!(0.0),
                Some(Ty::Bool) => serde_json::json!(false),
                _ => serde_json::json!("x"),
            }),
        }
    }

    /// An example (partial) lead satisfying the term, as a JSON object of the constrained fields.
    pub fn witness(&self, t: &Term) -> Option<serde_json::Map<String, serde_json::Value>> {
        t.fields.iter().map(|(f, c)| self.pick(f, c).map(|v| (f.to_string(), v))).collect()
    }
}

enum Const {
    Text(String),
    Num(f64),
}

fn text_value(v: &str, ty: Option<&Ty>) -> serde_json::Value {
    match ty {
        Some(Ty::Bool) => serde_json::Value::Bool(v == "true"),
        _ => serde_json::Value::String(v.to_string()),
    }
}

/// The leads in two territories or more: a class of several territories
/// contributes its condition, an overlapping pair of classes their meet,
/// in the order the pairs of territories come in.
fn ambiguous(an: &Analyzer, terr: &Territories) -> Dnf {
    // What each part is, by the pair of territories it is named for: the
    // meets are made in that order, and only until the result is too large.
    enum Part {
        Class(usize),
        Pair(usize, usize),
    }
    let mut parts: Vec<((usize, usize), Part)> = Vec::new();
    for (k, members) in terr.classes.iter().enumerate() {
        if let [a, b, ..] = members[..] {
            parts.push(((a, b), Part::Class(k)));
        }
    }
    for &(a, b) in &terr.pairs {
        parts.push(((terr.classes[a][0], terr.classes[b][0]), Part::Pair(a, b)));
    }
    parts.sort_by_key(|(key, _)| *key);
    let mut amb: Vec<Term> = Vec::new();
    for (_, part) in parts {
        let d = match part {
            Part::Class(k) => terr.cond(k).clone(),
            Part::Pair(a, b) => both(terr.cond(a), terr.cond(b)),
        }?;
        // As `either` then a prune: the terms kept so far are satisfiable already.
        if amb.len() + d.len() > MAX_TERMS {
            return None;
        }
        amb.extend(d.into_iter().filter(|x| an.satisfiable(x)));
    }
    Some(amb)
}

/// Both conditions (`None` when too large).
pub fn both(a: &Dnf, b: &Dnf) -> Dnf {
    and(a.clone()?, b.clone()?)
}

/// Either condition.
pub fn either(a: &Dnf, b: &Dnf) -> Dnf {
    or(a.clone()?, b.clone()?)
}

/// The negation of a condition. A term with an opaque atom negates to
/// "anything" (opaque): sets only grow, so unsatisfiability stays a proof.
pub fn negate(d: &Dnf) -> Dnf {
    let d = d.as_ref()?;
    let mut acc: Vec<Term> = vec![Term::default()];
    for t in d {
        acc = and(acc, negate_term(t))?;
    }
    Some(acc)
}

fn negate_term(t: &Term) -> Vec<Term> {
    if t.opaque {
        return vec![Term { fields: Fields::default(), opaque: true }];
    }
    let mut out = Vec::new();
    for (f, c) in &t.fields.0 {
        let value_constrained = c.values.is_some() || c.range != Interval::ALL;
        // Not present-and-constrained: missing, or present with a value outside.
        if c.present == Some(true) || value_constrained {
            out.push(single_shared(f.clone(), FieldConstraint { present: Some(false), ..Default::default() }));
        }
        if c.present == Some(false) {
            out.push(single_shared(f.clone(), FieldConstraint { present: Some(true), ..Default::default() }));
        }
        match &c.values {
            Some(ValueSet::In(s)) => out.push(single_shared(f.clone(), FieldConstraint { present: Some(true), values: Some(ValueSet::NotIn(s.clone())), ..Default::default() })),
            Some(ValueSet::NotIn(s)) => out.push(single_shared(f.clone(), FieldConstraint { present: Some(true), values: Some(ValueSet::In(s.clone())), ..Default::default() })),
            None => {}
        }
        let r = c.range;
        if r.lo.is_finite() {
            out.push(single_shared(f.clone(), FieldConstraint { present: Some(true), range: Interval { lo: f64::NEG_INFINITY, lo_in: false, hi: r.lo, hi_in: !r.lo_in }, ..Default::default() }));
        }
        if r.hi.is_finite() {
            out.push(single_shared(f.clone(), FieldConstraint { present: Some(true), range: Interval { lo: r.hi, lo_in: !r.hi_in, hi: f64::INFINITY, hi_in: false }, ..Default::default() }));
        }
    }
    out
}

fn single(field: &str, c: FieldConstraint) -> Term {
    single_shared(Arc::from(field), c)
}

fn single_shared(field: Arc<str>, c: FieldConstraint) -> Term {
    Term { fields: Fields::one(field, c), opaque: false }
}

fn opaque() -> Dnf {
    Some(vec![Term { fields: Fields::default(), opaque: true }])
}

fn or(mut a: Vec<Term>, b: Vec<Term>) -> Dnf {
    a.extend(b);
    (a.len() <= MAX_TERMS).then_some(a)
}

/// [`and`] of `a` and a borrowed `b` (`None`: too large): `b`'s terms are
/// not copied, only met into copies of `a`'s.
fn and_with(a: Vec<Term>, b: Option<&[Term]>) -> Dnf {
    let b = b?;
    match b {
        [y] => and(a, vec![y.clone()]),
        _ if a.len().saturating_mul(b.len()) > MAX_TERMS => None,
        _ => {
            let out: Vec<Term> = if is_identity(&a) { b.to_vec() } else { a.iter().flat_map(|x| b.iter().map(move |y| meet_into(x.clone(), y))).collect() };
            out.iter().all(within_value_limit).then_some(out)
        }
    }
}

fn and(a: Vec<Term>, mut b: Vec<Term>) -> Dnf {
    if a.len().saturating_mul(b.len()) > MAX_TERMS {
        return None;
    }
    // With the identity on one side the other side is the answer as it is.
    let out: Vec<Term> = if is_identity(&a) {
        b
    } else if is_identity(&b) {
        a
    } else if b.len() == 1 {
        // One term on the right: narrow the left's terms in place.
        let y = b.pop().unwrap_or_default();
        a.into_iter().map(|x| meet_into(x, &y)).collect()
    } else {
        a.iter().flat_map(|x| b.iter().map(move |y| meet_into(x.clone(), y))).collect()
    };
    out.iter().all(within_value_limit).then_some(out)
}

/// True when no field of `t` tests more than [`MAX_VALUES`] values.
fn within_value_limit(t: &Term) -> bool {
    t.fields.values().all(within_limit)
}

/// True when the constraint tests at most [`MAX_VALUES`] values.
fn within_limit(c: &FieldConstraint) -> bool {
    match &c.values {
        Some(ValueSet::In(s) | ValueSet::NotIn(s)) => s.len() <= MAX_VALUES,
        None => true,
    }
}

/// True for the term with no constraint, the identity of a conjunction
/// (conditions start from it and negations build on it).
fn is_identity(v: &[Term]) -> bool {
    matches!(v, [t] if t.fields.is_empty() && !t.opaque)
}

/// `t` narrowed by `b` (the field name is copied only when `t` lacks the field).
fn meet_into(mut t: Term, b: &Term) -> Term {
    t.opaque |= b.opaque;
    for (f, c) in &b.fields.0 {
        match t.fields.get_mut(f) {
            Some(e) => meet_constraint(e, c),
            None => {
                let mut e = FieldConstraint::default();
                meet_constraint(&mut e, c);
                t.fields.insert(f.clone(), e);
            }
        }
    }
    t
}

/// Narrows `e` to what both constraints allow.
fn meet_constraint(e: &mut FieldConstraint, c: &FieldConstraint) {
    {
        e.present = match (e.present, c.present) {
            (Some(x), Some(y)) if x != y => {
                // Contradiction: present and missing. Encode as an empty value set.
                e.values = Some(ValueSet::In(Values::new()));
                Some(true)
            }
            (x, y) => x.or(y),
        };
        e.values = match (e.values.take(), &c.values) {
            (None, v) => v.clone(),
            (v, None) => v,
            (Some(ValueSet::In(x)), Some(ValueSet::In(y))) => Some(ValueSet::In(x.intersection(y))),
            (Some(ValueSet::In(x)), Some(ValueSet::NotIn(y))) => Some(ValueSet::In(x.difference(y))),
            (Some(ValueSet::NotIn(y)), Some(ValueSet::In(x))) => Some(ValueSet::In(x.difference(&y))),
            (Some(ValueSet::NotIn(mut x)), Some(ValueSet::NotIn(y))) => {
                x.extend_from(y);
                Some(ValueSet::NotIn(x))
            }
        };
        e.range = e.range.meet(c.range);
    }
}

fn negate_op(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A policy with a field of every kind, required and optional.
    const EVERY_KIND: &str = r#"
policy p { version "1" entry main }
enum Size { small, large }
schema lead { id: string  n: int  m: int?  x: float  b: bool  s: Size  o: Size?  t: string  u: string? }
tier standard otherwise sla 1h
route main { otherwise -> queue q }
queue q
"#;

    /// `holds_for_some` answers exactly when `pick` finds a value, for every
    /// kind of field and every shape of constraint.
    #[test]
    fn holds_for_some_agrees_with_pick() {
        let checked = crate::analysis::checked(EVERY_KIND);
        let syms = checked.symbols();
        let an = Analyzer::new(&syms);
        let set = |v: &[&str]| v.iter().copied().collect::<Values>();
        let values = [
            None,
            Some(ValueSet::In(set(&[]))),
            Some(ValueSet::In(set(&["small"]))),
            Some(ValueSet::NotIn(set(&["small"]))),
            Some(ValueSet::NotIn(set(&["small", "large"]))),
            Some(ValueSet::NotIn(set(&["false", "true"]))),
            Some(ValueSet::NotIn(set(&["other", "other1"]))),
        ];
        let ranges = [
            Interval::ALL,
            Interval { lo: 1.0, lo_in: true, hi: 5.0, hi_in: false },
            Interval { lo: 3.0, lo_in: false, hi: 3.0, hi_in: true },
            Interval { lo: 2.5, lo_in: false, hi: 3.0, hi_in: false },
            Interval { lo: f64::NEG_INFINITY, lo_in: false, hi: -1.0, hi_in: true },
        ];
        let mut compared = 0;
        for field in ["n", "m", "x", "b", "s", "o", "t", "u", "unknown"] {
            for present in [None, Some(true), Some(false)] {
                for v in &values {
                    for r in ranges {
                        let c = FieldConstraint { present, values: v.clone(), range: r };
                        assert_eq!(an.holds_for_some(field, &c), an.pick(field, &c).is_some(), "{field}: {c:?}");
                        compared += 1;
                    }
                }
            }
        }
        assert_eq!(compared, 9 * 3 * 7 * 5);
    }

    /// `meet_is_empty` answers exactly as building the meet and pruning it
    /// does (and `terms_meet` as building one term's), and `and_pruned` builds what `and_with` and a prune build, on
    /// conditions of one and two terms, their negations, and sets past the
    /// value limit.
    #[test]
    fn meet_is_empty_agrees_with_the_built_meet() {
        let checked = crate::analysis::checked(EVERY_KIND);
        let syms = checked.symbols();
        let an = Analyzer::new(&syms);
        let set = |v: &[&str]| v.iter().copied().collect::<Values>();
        let many: Values = (0..MAX_VALUES).map(|i| format!("v{i}")).collect();
        let c = |present, values, range| FieldConstraint { present, values, range };
        let atoms: Vec<Term> = vec![
            single("t", c(Some(true), Some(ValueSet::In(set(&["a", "b"]))), Interval::ALL)),
            single("t", c(Some(true), Some(ValueSet::NotIn(set(&["a"]))), Interval::ALL)),
            single("t", c(Some(true), Some(ValueSet::NotIn(many.clone())), Interval::ALL)),
            single("u", c(Some(false), None, Interval::ALL)),
            single("u", c(Some(true), Some(ValueSet::In(set(&["a"]))), Interval::ALL)),
            single("u", c(None, Some(ValueSet::NotIn(set(&["x"]))), Interval::ALL)),
            single("s", c(Some(true), Some(ValueSet::NotIn(set(&["small"]))), Interval::ALL)),
            single("o", c(Some(true), Some(ValueSet::In(set(&["large"]))), Interval::ALL)),
            single("n", c(Some(true), None, Interval { lo: 5.0, lo_in: true, hi: f64::INFINITY, hi_in: false })),
            single("n", c(Some(true), None, Interval { lo: f64::NEG_INFINITY, lo_in: false, hi: 5.0, hi_in: false })),
        ];
        let mut conds: Vec<Dnf> = vec![None, Some(vec![]), Some(vec![Term::default()])];
        for (i, x) in atoms.iter().enumerate() {
            conds.push(Some(vec![x.clone()]));
            for y in &atoms[i + 1..] {
                conds.push(Some(vec![meet_into(x.clone(), y)]));
                conds.push(Some(vec![x.clone(), y.clone()]));
            }
        }
        let negs: Vec<Dnf> = conds.iter().map(negate).collect();
        conds.extend(negs);
        let mut compared = 0;
        for a in &conds {
            for b in &conds {
                let built = super::super::reach::empty(&super::super::reach::meet(&an, a, b));
                assert_eq!(an.meet_is_empty(a, b), built, "{a:?} and {b:?}");
                for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
                    assert_eq!(an.terms_meet(x, y), an.meet(x, y).is_some(), "{x:?} and {y:?}");
                }
                if let Some(terms) = a {
                    let pruned = and_with(terms.clone(), b.as_deref()).map(|mut t| {
                        t.retain(|x| an.satisfiable(x));
                        t
                    });
                    assert_eq!(an.and_pruned(terms.clone(), b.as_deref()), pruned, "{a:?} and {b:?}, pruned");
                }
                compared += 1;
            }
        }
        assert!(compared > 10_000, "{compared} pairs");
    }
}
