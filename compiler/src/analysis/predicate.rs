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

use std::collections::{BTreeMap, BTreeSet};

use crate::check::symbols::{Symbols, Ty};
use crate::syntax::ast::*;

/// Largest number of conjunctions kept before giving up (answer: unknown).
pub const MAX_TERMS: usize = 512;

/// The allowed values of one field's equality tests.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueSet {
    /// One of these.
    In(BTreeSet<String>),
    /// None of these.
    NotIn(BTreeSet<String>),
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

    /// A point inside, if any; `integer` asks for a whole number.
    pub fn pick(self, integer: bool) -> Option<f64> {
        if integer {
            let mut v = if self.lo.is_finite() { self.lo.ceil() } else if self.hi.is_finite() { self.hi.floor().min(0.0) } else { 0.0 };
            if self.lo.is_finite() && v == self.lo && !self.lo_in {
                v += 1.0;
            }
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

/// One conjunction: constraints on fields, and whether an opaque atom took part.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Term {
    /// Per-field constraints.
    pub fields: BTreeMap<String, FieldConstraint>,
    /// An atom the analysis does not model was involved.
    pub opaque: bool,
}

/// A condition as a disjunction of terms; `None` when it grew too large to analyse.
pub type Dnf = Option<Vec<Term>>;

/// Turns conditions into [`Dnf`]s and compares them.
pub struct Analyzer<'s, 'a> {
    syms: &'s Symbols<'a>,
}

impl<'s, 'a> Analyzer<'s, 'a> {
    /// An analyzer over a checked policy's symbols.
    pub fn new(syms: &'s Symbols<'a>) -> Self {
        Analyzer { syms }
    }

    /// The DNF of a condition.
    pub fn dnf(&self, e: &Expr) -> Dnf {
        self.nnf(e, false)
    }

    fn nnf(&self, e: &Expr, neg: bool) -> Dnf {
        match &e.kind {
            ExprKind::Paren(inner) => self.nnf(inner, neg),
            ExprKind::Not(inner) => self.nnf(inner, !neg),
            ExprKind::And(a, b) if !neg => and(self.nnf(a, false)?, self.nnf(b, false)?),
            ExprKind::And(a, b) => or(self.nnf(a, true)?, self.nnf(b, true)?),
            ExprKind::Or(a, b) if !neg => or(self.nnf(a, false)?, self.nnf(b, false)?),
            ExprKind::Or(a, b) => and(self.nnf(a, true)?, self.nnf(b, true)?),
            ExprKind::Lit(Lit::Bool(b)) => Some(if *b != neg { vec![Term::default()] } else { vec![] }),
            ExprKind::Is { value, present } => match &value.kind {
                ExprKind::Name(f) if self.syms.fields.contains_key(f) => {
                    Some(vec![single(f, FieldConstraint { present: Some(*present != neg), ..Default::default() })])
                }
                _ => opaque(),
            },
            ExprKind::Cmp { op, lhs, rhs } => self.compare(*op, lhs, rhs, neg),
            ExprKind::In { value, set, negated } => self.membership(value, set, *negated != neg),
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

    fn compare(&self, op: CmpOp, lhs: &Expr, rhs: &Expr, neg: bool) -> Dnf {
        let (field, ty, c, op) = if let Some((f, ty)) = self.field_of(lhs) {
            (f, ty, self.constant(rhs, ty), op)
        } else if let Some((f, ty)) = self.field_of(rhs) {
            (f, ty, self.constant(lhs, ty), flip(op))
        } else {
            return opaque();
        };
        let Some(c) = c else { return opaque() };
        let op = if neg { negate(op) } else { op };
        match c {
            Const::Text(v) => {
                let set = BTreeSet::from([v]);
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
        }
    }

    fn membership(&self, value: &Expr, set: &Expr, negated: bool) -> Dnf {
        let Some((field, ty)) = self.field_of(value) else { return opaque() };
        let items: Vec<&Expr> = match &set.kind {
            ExprKind::List(items) => items.iter().collect(),
            ExprKind::Name(n) => match self.syms.sets.get(n) {
                Some(decl) => decl.items.iter().collect(),
                None => return opaque(),
            },
            _ => return opaque(),
        };
        let mut texts = BTreeSet::new();
        let mut nums = Vec::new();
        for item in items {
            match self.constant(item, ty) {
                Some(Const::Text(t)) => {
                    texts.insert(t);
                }
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
        let (present, values) = if negated { (None, ValueSet::NotIn(texts)) } else { (Some(true), ValueSet::In(texts)) };
        Some(vec![single(field, FieldConstraint { present, values: Some(self.normalise(ty, values)), ..Default::default() })])
    }

    /// Over a finite domain (enum, bool) `NotIn` becomes `In` of the rest.
    fn normalise(&self, ty: &Ty, v: ValueSet) -> ValueSet {
        let universe: Option<BTreeSet<String>> = match ty {
            Ty::Bool => Some(["false", "true"].into_iter().map(String::from).collect()),
            Ty::Enum(e) => self.syms.enums.get(e).map(|d| d.variants.iter().map(|v| v.name.clone()).collect()),
            _ => None,
        };
        match (v, universe) {
            (ValueSet::NotIn(out), Some(all)) => ValueSet::In(all.difference(&out).cloned().collect()),
            (v, _) => v,
        }
    }

    /// True when the term can hold for some lead (ignoring opaque atoms).
    pub fn satisfiable(&self, t: &Term) -> bool {
        t.fields.iter().all(|(f, c)| self.pick(f, c).is_some())
    }

    /// The conjunction of two terms, or None when they contradict.
    pub fn meet(&self, a: &Term, b: &Term) -> Option<Term> {
        let t = meet_terms(a, b);
        self.satisfiable(&t).then_some(t)
    }

    /// A JSON value for the field satisfying the constraint; `Null` means missing;
    /// `None` when nothing satisfies it.
    pub fn pick(&self, field: &str, c: &FieldConstraint) -> Option<serde_json::Value> {
        let ty = self.syms.fields.get(field).map(|f| &f.ty);
        let constrained = c.values.is_some() || c.range != Interval::ALL;
        if c.present == Some(false) {
            return (!constrained).then_some(serde_json::Value::Null);
        }
        let integer = matches!(ty, Some(Ty::Int));
        match &c.values {
            Some(ValueSet::In(set)) => {
                let v = set.iter().next()?;
                Some(text_value(v, ty))
            }
            Some(ValueSet::NotIn(out)) => {
                let v = (0..).map(|i| if i == 0 { "other".to_string() } else { format!("other{i}") }).find(|s| !out.contains(s))?;
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
        .filter(|_| c.range == Interval::ALL || c.values.is_none() || c.range.pick(integer).is_some())
    }

    /// An example (partial) lead satisfying the term, as a JSON object of the constrained fields.
    pub fn witness(&self, t: &Term) -> Option<serde_json::Map<String, serde_json::Value>> {
        t.fields.iter().map(|(f, c)| self.pick(f, c).map(|v| (f.clone(), v))).collect()
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

fn single(field: &str, c: FieldConstraint) -> Term {
    Term { fields: BTreeMap::from([(field.to_string(), c)]), opaque: false }
}

fn opaque() -> Dnf {
    Some(vec![Term { fields: BTreeMap::new(), opaque: true }])
}

fn or(mut a: Vec<Term>, b: Vec<Term>) -> Dnf {
    a.extend(b);
    (a.len() <= MAX_TERMS).then_some(a)
}

fn and(a: Vec<Term>, b: Vec<Term>) -> Dnf {
    if a.len().saturating_mul(b.len()) > MAX_TERMS {
        return None;
    }
    Some(a.iter().flat_map(|x| b.iter().map(move |y| meet_terms(x, y))).collect())
}

fn meet_terms(a: &Term, b: &Term) -> Term {
    let mut t = a.clone();
    t.opaque |= b.opaque;
    for (f, c) in &b.fields {
        let e = t.fields.entry(f.clone()).or_default();
        e.present = match (e.present, c.present) {
            (Some(x), Some(y)) if x != y => {
                // Contradiction: present and missing. Encode as an empty value set.
                e.values = Some(ValueSet::In(BTreeSet::new()));
                Some(true)
            }
            (x, y) => x.or(y),
        };
        e.values = match (e.values.take(), &c.values) {
            (None, v) => v.clone(),
            (v, None) => v,
            (Some(ValueSet::In(x)), Some(ValueSet::In(y))) => Some(ValueSet::In(x.intersection(y).cloned().collect())),
            (Some(ValueSet::In(x)), Some(ValueSet::NotIn(y))) => Some(ValueSet::In(x.difference(y).cloned().collect())),
            (Some(ValueSet::NotIn(y)), Some(ValueSet::In(x))) => Some(ValueSet::In(x.difference(&y).cloned().collect())),
            (Some(ValueSet::NotIn(x)), Some(ValueSet::NotIn(y))) => Some(ValueSet::NotIn(x.union(y).cloned().collect())),
        };
        e.range = e.range.meet(c.range);
    }
    t
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        o => o,
    }
}

fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
    }
}
