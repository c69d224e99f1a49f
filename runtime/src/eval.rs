//! The reference interpreter for conditions.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::ir::*;
use crate::lead::Lead;
use crate::policy::Policy;

/// A missing field whose `on missing(field)` handler is an action: routing stops there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingRaised(pub u32);

/// What evaluation can see.
pub struct Ctx<'a> {
    pub(crate) policy: &'a Policy,
    pub(crate) lead: &'a Lead,
    pub(crate) tier: Option<u32>,
    pub(crate) territory: Option<u32>,
    pub(crate) now: i64,
    /// Field reads, recorded for traces when `Some`.
    pub(crate) reads: Option<Vec<(u32, Option<Value>)>>,
    /// The condition looked at the tier / the territory (for traces).
    pub(crate) read_tier: bool,
    pub(crate) read_territory: bool,
    /// More than one territory matched (what `territory is ambiguous` reads).
    pub(crate) ambiguous: bool,
    /// Table lookups (table, value looked up), recorded for traces when `Some`.
    pub(crate) lookups: Option<Vec<(u32, String)>>,
}

type R<'a> = Result<Option<Cow<'a, Value>>, MissingRaised>;

impl<'a> Ctx<'a> {
    /// Evaluates a condition; a missing value makes it false.
    pub fn test(&mut self, e: &'a Expr) -> Result<bool, MissingRaised> {
        Ok(match e {
            Expr::Not { arg } => !self.test(arg)?,
            Expr::And { args } => {
                for a in args {
                    if !self.test(a)? {
                        return Ok(false);
                    }
                }
                true
            }
            Expr::Or { args } => {
                for a in args {
                    if self.test(a)? {
                        return Ok(true);
                    }
                }
                false
            }
            other => matches!(self.value(other)?.as_deref(), Some(Value::Bool(true))),
        })
    }

    fn field(&mut self, slot: u32) -> R<'a> {
        let v = self.lead.values[slot as usize].as_ref();
        if let Some(reads) = &mut self.reads {
            if !reads.iter().any(|(s, _)| *s == slot) {
                reads.push((slot, v.cloned()));
            }
        }
        match v {
            Some(v) => Ok(Some(Cow::Borrowed(v))),
            None => match &self.policy.missing[slot as usize] {
                Some(MissingHandling::Assume(v)) => Ok(Some(Cow::Owned(v.clone()))),
                Some(MissingHandling::Action(_)) => Err(MissingRaised(slot)),
                None => Ok(None),
            },
        }
    }

    /// Evaluates an expression to a value (`None` when a field is missing).
    pub fn value(&mut self, e: &'a Expr) -> R<'a> {
        Ok(match e {
            Expr::Const { value } => Some(Cow::Borrowed(value)),
            Expr::Field { slot } => return self.field(*slot),
            Expr::Tier => {
                self.read_tier = true;
                self.tier.map(|t| Cow::Owned(Value::Tier(t)))
            }
            Expr::Territory => {
                self.read_territory = true;
                Some(Cow::Owned(Value::Territory(self.territory)))
            }
            Expr::Ambiguous => Some(Cow::Owned(Value::Bool(self.ambiguous))),
            Expr::Now => Some(Cow::Owned(Value::Time(self.now))),
            Expr::Not { .. } | Expr::And { .. } | Expr::Or { .. } => Some(Cow::Owned(Value::Bool(self.test(e)?))),
            Expr::Cmp { cmp, lhs, rhs } => {
                let (l, r) = (self.value(lhs)?, self.value(rhs)?);
                let result = match (l, r) {
                    (Some(l), Some(r)) => compare(&l, &r).is_some_and(|o| holds(*cmp, o)),
                    _ => false,
                };
                Some(Cow::Owned(Value::Bool(result)))
            }
            Expr::In { value, set, negated } => {
                let v = self.value(value)?;
                let found = match &v {
                    Some(v) => set.iter().any(|s| compare(v, s) == Some(Ordering::Equal)),
                    None => return Ok(Some(Cow::Owned(Value::Bool(false)))),
                };
                Some(Cow::Owned(Value::Bool(found != *negated)))
            }
            Expr::InField { value, list, negated } => {
                let v = self.value(value)?;
                let l = self.field(*list)?;
                let found = match (&v, l.as_deref()) {
                    (Some(v), Some(Value::List(items))) => items.iter().any(|s| compare(v, s) == Some(Ordering::Equal)),
                    _ => return Ok(Some(Cow::Owned(Value::Bool(false)))),
                };
                Some(Cow::Owned(Value::Bool(found != *negated)))
            }
            Expr::Present { slot, present } => {
                let has = self.lead.values[*slot as usize].is_some();
                if let Some(reads) = &mut self.reads {
                    if !reads.iter().any(|(s, _)| s == slot) {
                        reads.push((*slot, self.lead.values[*slot as usize].clone()));
                    }
                }
                Some(Cow::Owned(Value::Bool(has == *present)))
            }
            Expr::Default { slot, default } => {
                let v = self.lead.values[*slot as usize].as_ref();
                if let Some(reads) = &mut self.reads {
                    if !reads.iter().any(|(s, _)| s == slot) {
                        reads.push((*slot, v.cloned()));
                    }
                }
                Some(Cow::Borrowed(v.unwrap_or(default)))
            }
            Expr::Lookup { table, key, column } => {
                let Some(k) = self.value(key)? else { return Ok(None) };
                let Value::Str(k) = k.as_ref() else { return Ok(None) };
                if let Some(l) = &mut self.lookups {
                    if !l.iter().any(|(t, v)| t == table && v == k) {
                        l.push((*table, k.clone()));
                    }
                }
                let Some(row) = self.policy.tables.find(*table, k) else { return Ok(None) };
                match column {
                    None => Some(Cow::Owned(Value::Int(i64::from(row)))),
                    Some(c) => self.policy.cell(*table, row, *c).map(Cow::Borrowed),
                }
            }
            Expr::Has { value, present } => Some(Cow::Owned(Value::Bool(self.value(value)?.is_some() == *present))),
            Expr::InTable { value, table, negated } => {
                let found = match self.value(value)?.as_deref() {
                    Some(Value::Str(k)) => {
                        if let Some(l) = &mut self.lookups {
                            if !l.iter().any(|(t, v)| t == table && v == k) {
                                l.push((*table, k.clone()));
                            }
                        }
                        self.policy.tables.find(*table, k).is_some()
                    }
                    Some(_) => false,
                    None => return Ok(Some(Cow::Owned(Value::Bool(false)))),
                };
                Some(Cow::Owned(Value::Bool(found != *negated)))
            }
            Expr::Else { value, default } => match self.value(value)? {
                Some(v) => Some(v),
                None => return self.value(default),
            },
            Expr::Call { func, args } => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    match self.value(a)? {
                        Some(v) => vals.push(v),
                        None => return Ok(None),
                    }
                }
                call(self.policy, self.now, *func, &vals).map(Cow::Owned)
            }
        })
    }
}

/// Whether an ordering satisfies a comparison operator.
pub(crate) fn holds(op: CmpOp, o: Ordering) -> bool {
    match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Ne => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    }
}

/// Orders two values of compatible types (`None` when they cannot be compared).
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    use Value::*;
    match (a, b) {
        (Int(x), Int(y)) => Some(x.cmp(y)),
        (Int(x), Float(y)) => (*x as f64).partial_cmp(y),
        (Float(x), Int(y)) => x.partial_cmp(&(*y as f64)),
        (Float(x), Float(y)) => x.partial_cmp(y),
        (Str(x), Str(y)) => Some(x.as_str().cmp(y.as_str())),
        (Bool(x), Bool(y)) => Some(x.cmp(y)),
        (Time(x), Time(y)) | (Duration(x), Duration(y)) => Some(x.cmp(y)),
        (Clock(x), Clock(y)) => Some(x.cmp(y)),
        (Enum(x), Enum(y)) | (Tier(x), Tier(y)) => Some(x.cmp(y)),
        (Territory(x), Territory(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn call(policy: &Policy, now: i64, func: Func, args: &[Cow<'_, Value>]) -> Option<Value> {
    let s = |i: usize| match args.get(i).map(|v| v.as_ref()) {
        Some(Value::Str(s)) => Some(s.as_str()),
        _ => None,
    };
    Some(match func {
        Func::Lower => Value::Str(s(0)?.to_lowercase()),
        Func::Upper => Value::Str(s(0)?.to_uppercase()),
        Func::StartsWith => Value::Bool(s(0)?.starts_with(s(1)?)),
        Func::EndsWith => Value::Bool(s(0)?.ends_with(s(1)?)),
        Func::Contains => match args.first().map(|v| v.as_ref()) {
            Some(Value::List(items)) => {
                let x = args.get(1)?;
                Value::Bool(items.iter().any(|i| compare(i, x) == Some(Ordering::Equal)))
            }
            _ => Value::Bool(s(0)?.contains(s(1)?)),
        },
        Func::Domain => Value::Str(domain(s(0)?)),
        Func::Len => match args.first().map(|v| v.as_ref()) {
            Some(Value::List(items)) => Value::Int(items.len() as i64),
            _ => Value::Int(s(0)?.chars().count() as i64),
        },
        Func::Since => match args.first().map(|v| v.as_ref()) {
            Some(Value::Time(t)) => Value::Duration(now.saturating_sub(*t)),
            _ => return None,
        },
        Func::Clock => match args.first().map(|v| v.as_ref()) {
            Some(Value::Time(t)) => {
                let z = jiff::Timestamp::from_millisecond(*t).ok()?.to_zoned(policy.policy_tz.clone());
                Value::Clock(z.hour() as u16 * 60 + z.minute() as u16)
            }
            _ => return None,
        },
    })
}

/// The lower-cased part of an email address after its last `@` ("" without one).
pub fn domain(email: &str) -> String {
    email.rsplit_once('@').map(|(_, d)| d.trim().to_lowercase()).unwrap_or_default()
}
