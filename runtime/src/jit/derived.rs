//! Function results computed once per lead while the record is built:
//! `domain(email)`, `lower(company)`, `starts_with(campaign ?? "", "abm-")`,
//! `contains(tags, "spam")`, table lookups (`accounts[domain(email)] is present`,
//! `accounts[email].tier == "gold"`, `zip in west_zips`) ... Conditions over them then compile to
//! integer tests instead of calls back into the interpreter.
//!
//! A derived value is a pure function of the lead (no `now`, tier or
//! territory). It takes two words in the record: its state ([`ABSENT`],
//! [`STR`], [`BOOL`], [`OTHER`], or [`RAISED`] with the slot of a missing
//! field whose handler stops routing, raised when a condition reads it, as
//! the interpreter would) and its value (an interned string id, or 0/1).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::eval::{compare, Ctx, MissingRaised};
use crate::flat::{Layout, NO_ID};
use crate::ir::{CmpOp, Expr, Func, MissingHandling, PolicyIr, Value};
use crate::lead::Lead;
use crate::policy::Policy;

/// State: no value (a missing argument).
pub(super) const ABSENT: u64 = 0;
/// State: a string, as an interned id.
pub(super) const STR: u64 = 1;
/// State: reading the value raises; the slot is in the bits above 8.
pub(super) const RAISED: u64 = 2;
/// State: a boolean, 0 or 1.
pub(super) const BOOL: u64 = 3;
/// State: a value of another type (only in an IR the checker did not see).
pub(super) const OTHER: u64 = 4;

/// What a compiled condition over a derived value tests.
#[derive(Debug, Clone)]
pub(super) enum Test {
    /// The value is one of these strings (`neg`: is not); absent is false
    /// either way, and a value that is not a string gives `other`.
    StrIn { set: Vec<Box<str>>, neg: bool, other: bool },
    /// The value is `true` (a bool-valued call used as a condition).
    True,
}

/// Whether `e` can be computed from the lead alone, and is worth it (a call).
fn derivable(e: &Expr) -> bool {
    fn pure(e: &Expr) -> bool {
        match e {
            Expr::Const { .. } | Expr::Field { .. } | Expr::Default { .. } => true,
            Expr::Call { func, args } => !matches!(func, Func::Since) && args.iter().all(pure),
            // Table lookups: hashed once per lead, not once per condition.
            Expr::Lookup { key: value, .. } | Expr::Has { value, .. } | Expr::InTable { value, .. } => pure(value),
            Expr::Else { value, default } => pure(value) && pure(default),
            _ => false,
        }
    }
    matches!(e, Expr::Call { .. } | Expr::Lookup { .. } | Expr::Has { .. } | Expr::InTable { .. } | Expr::Else { .. }) && pure(e)
}

/// `since(field) OP duration` (either way round): the time field, the
/// operator with the call on the left, and the duration in ms.
pub(super) fn since(e: &Expr) -> Option<(u32, CmpOp, i64)> {
    let Expr::Cmp { cmp, lhs, rhs } = e else { return None };
    let (call, k, op) = match (&**lhs, &**rhs) {
        (c, Expr::Const { value: Value::Duration(k) }) => (c, *k, *cmp),
        (Expr::Const { value: Value::Duration(k) }, c) => (c, *k, cmp.flipped()),
        _ => return None,
    };
    let Expr::Call { func: Func::Since, args } = call else { return None };
    match args.as_slice() {
        [Expr::Field { slot }] => Some((*slot, op, k)),
        _ => None,
    }
}

/// The derived expression a general condition tests, and how, if it has that shape.
pub(super) fn shape(e: &Expr) -> Option<(&Expr, Test)> {
    match e {
        Expr::Call { func: Func::StartsWith | Func::EndsWith | Func::Contains, .. } if derivable(e) => Some((e, Test::True)),
        Expr::Has { .. } | Expr::InTable { .. } if derivable(e) => Some((e, Test::True)),
        Expr::Cmp { cmp: cmp @ (CmpOp::Eq | CmpOp::Ne), lhs, rhs } => {
            let (call, k) = match (&**lhs, &**rhs) {
                (c, Expr::Const { value: Value::Str(k) }) | (Expr::Const { value: Value::Str(k) }, c) => (c, k),
                _ => return None,
            };
            // A comparison of values of different types is false, `==` or `!=`.
            derivable(call).then(|| (call, Test::StrIn { set: vec![k.as_str().into()], neg: *cmp == CmpOp::Ne, other: false }))
        }
        Expr::In { value, set, negated } if derivable(value) => {
            let set: Option<Vec<Box<str>>> = set.iter().map(|v| if let Value::Str(s) = v { Some(s.as_str().into()) } else { None }).collect();
            // A value equal to no member: `in` is false, `not in` true.
            Some((value, Test::StrIn { set: set?, neg: *negated, other: *negated }))
        }
        _ => None,
    }
}

/// An argument that is a field, a field with a default, or a constant, read
/// as the interpreter reads it: `Err(slot)` when its missing-field handler
/// stops routing. `None` for other arguments.
fn arg<'a>(p: &'a Policy, lead: &'a Lead, e: &'a Expr) -> Option<Result<Option<&'a Value>, u32>> {
    Some(match e {
        Expr::Const { value } => Ok(Some(value)),
        Expr::Default { slot, default } => Ok(Some(lead.values.get(*slot as usize)?.as_ref().unwrap_or(default))),
        Expr::Field { slot } => match lead.values.get(*slot as usize)? {
            Some(v) => Ok(Some(v)),
            None => match p.missing.get(*slot as usize)? {
                Some(MissingHandling::Assume(v)) => Ok(Some(v)),
                Some(MissingHandling::Action(_)) => Err(*slot),
                None => Ok(None),
            },
        },
        _ => return None,
    })
}

/// The id of `s` mapped byte by byte with `map`, for short ASCII text
/// (no allocation); `None` for other text.
fn mapped_id(layout: &Layout, s: &str, map: fn(u8) -> u8) -> Option<u64> {
    let mut buf = [0u8; 64];
    let out = buf.get_mut(..s.len())?;
    if !s.is_ascii() {
        return None;
    }
    for (o, c) in out.iter_mut().zip(s.bytes()) {
        *o = map(c);
    }
    let text = std::str::from_utf8(out).ok()?;
    Some(layout.id(text).map_or(NO_ID, u64::from))
}

/// The row `key` finds in `table` (`Ok(None)` for a miss, an absent key or
/// one that is not a string), `Err(slot)` when reading the key raises, as
/// the interpreter's lookup; `None` when the key is not a plain argument.
fn row_of(p: &Policy, lead: &Lead, table: u32, key: &Expr) -> Option<Result<Option<u32>, u32>> {
    Some(match arg(p, lead, key)? {
        Ok(Some(Value::Str(k))) => Ok(p.tables.find(table, k)),
        Ok(_) => Ok(None),
        Err(slot) => Err(slot),
    })
}

/// A value's two words in the record.
fn word(layout: &Layout, v: Option<&Value>) -> (u64, u64) {
    match v {
        Some(Value::Str(s)) => (STR, layout.id(s).map_or(NO_ID, u64::from)),
        Some(Value::Bool(b)) => (BOOL, u64::from(*b)),
        Some(_) => (OTHER, 0),
        None => (ABSENT, 0),
    }
}

/// Per table row, the two words of one column's cell: a cell read by a
/// derived lookup is then one read in a dense array, not three pointers
/// (the row, the cell, its string). Shared by the expressions reading the
/// same column.
pub(super) type ColumnWords = Arc<[[u64; 2]]>;

/// For each derived expression that reads a table cell (`T[k].col`,
/// `T[k].col ?? default`), that column's words by row; built once per load.
pub(super) fn cell_words(exprs: &[Expr], layout: &Layout, ir: &PolicyIr) -> Vec<Option<ColumnWords>> {
    let mut made: BTreeMap<(u32, u32), ColumnWords> = BTreeMap::new();
    exprs
        .iter()
        .map(|e| {
            let look = match e {
                Expr::Else { value, .. } => &**value,
                e => e,
            };
            let Expr::Lookup { table, column: Some(c), .. } = look else { return None };
            let rows = &ir.tables.get(*table as usize)?.rows;
            let words = made.entry((*table, *c)).or_insert_with(|| {
                rows.iter()
                    .map(|r| {
                        let (state, value) = word(layout, r.get(*c as usize).and_then(Option::as_ref));
                        [state, value]
                    })
                    .collect()
            });
            Some(Arc::clone(words))
        })
        .collect()
}

/// The two words of a value whose computation raised on the missing field in `slot`.
fn raised(slot: u32) -> (u64, u64) {
    (RAISED | u64::from(slot) << 8, 0)
}

/// The common calls and table lookups computed without the interpreter's general machinery
/// (and without allocating); `None` to let the interpreter compute it.
fn fast(e: &Expr, cells: Option<&[[u64; 2]]>, layout: &Layout, p: &Policy, lead: &Lead) -> Option<(u64, u64)> {
    // A cell's words, from the column's array ([`cell_words`] builds one
    // for every cell this backend reads; a table the IR does not have has
    // no rows, so no cell).
    let cell = |row: u32| cells.and_then(|words| words.get(row as usize)).map_or((ABSENT, 0), |w| (w[0], w[1]));
    let (func, args) = match e {
        Expr::Call { func, args } => (func, args),
        Expr::Has { value, present } => {
            let Expr::Lookup { table, key, column: None } = &**value else { return None };
            return Some(row_of(p, lead, *table, key)?.map_or_else(raised, |row| (BOOL, u64::from(row.is_some() == *present))));
        }
        Expr::InTable { value, table, negated } => {
            return Some(match arg(p, lead, value)? {
                Ok(Some(Value::Str(k))) => (BOOL, u64::from(p.tables.find(*table, k).is_some() != *negated)),
                Ok(Some(_)) => (BOOL, u64::from(*negated)),
                Ok(None) => (BOOL, 0),
                Err(slot) => raised(slot),
            });
        }
        Expr::Lookup { table, key, column: Some(_) } => {
            return Some(match row_of(p, lead, *table, key)? {
                Ok(row) => row.map_or((ABSENT, 0), cell),
                Err(slot) => raised(slot),
            });
        }
        Expr::Else { value, default } => {
            let Expr::Lookup { table, key, column: Some(_) } = &**value else { return None };
            let default = arg(p, lead, default)?;
            return Some(match row_of(p, lead, *table, key)? {
                Ok(row) => match row.map(cell) {
                    Some(w) if w.0 != ABSENT => w,
                    _ => default.map_or_else(raised, |v| word(layout, v)),
                },
                Err(slot) => raised(slot),
            });
        }
        _ => return None,
    };
    let mut vals: [Option<&Value>; 2] = [None, None];
    if args.len() > 2 {
        return None;
    }
    for (i, a) in args.iter().enumerate() {
        match arg(p, lead, a)? {
            Ok(Some(v)) => vals[i] = Some(v),
            Ok(None) => return Some((ABSENT, 0)),
            Err(slot) => return Some(raised(slot)),
        }
    }
    let text = |i: usize| match vals[i] {
        Some(Value::Str(s)) => Some(s.as_str()),
        _ => None,
    };
    let boolean = |b: bool| Some((BOOL, u64::from(b)));
    match (func, args.len()) {
        (Func::Contains, 2) => match (vals[0]?, vals[1]?) {
            (Value::List(items), x) => boolean(items.iter().any(|i| compare(i, x) == Some(std::cmp::Ordering::Equal))),
            (Value::Str(s), Value::Str(x)) => boolean(s.contains(x.as_str())),
            _ => None,
        },
        (Func::StartsWith, 2) => boolean(text(0)?.starts_with(text(1)?)),
        (Func::EndsWith, 2) => boolean(text(0)?.ends_with(text(1)?)),
        (Func::Lower, 1) => Some((STR, mapped_id(layout, text(0)?, |c| c.to_ascii_lowercase())?)),
        (Func::Upper, 1) => Some((STR, mapped_id(layout, text(0)?, |c| c.to_ascii_uppercase())?)),
        (Func::Domain, 1) => {
            let d = text(0)?.rsplit_once('@').map_or("", |(_, d)| d.trim());
            Some((STR, mapped_id(layout, d, |c| c.to_ascii_lowercase())?))
        }
        _ => None,
    }
}

/// Computes each derived expression for `lead` into its two words at `base`.
pub(super) fn fill(exprs: &[Expr], cells: &[Option<ColumnWords>], layout: &Layout, p: &Policy, lead: &Lead, out: &mut [u64], base: usize) {
    for (k, e) in exprs.iter().enumerate() {
        if let Some((state, value)) = fast(e, cells.get(k).and_then(Option::as_deref), layout, p, lead) {
            if let Some(w) = out.get_mut(base + 2 * k..base + 2 * k + 2) {
                w[0] = state;
                w[1] = value;
            }
            continue;
        }
        let mut ctx = Ctx { policy: p, lead, tier: None, territory: None, now: 0, reads: None, read_tier: false, read_territory: false, ambiguous: false, lookups: None };
        let (state, value) = match ctx.value(e) {
            Ok(v) => word(layout, v.as_deref()),
            Err(MissingRaised(slot)) => raised(slot),
        };
        if let Some(w) = out.get_mut(base + 2 * k..base + 2 * k + 2) {
            w[0] = state;
            w[1] = value;
        }
    }
}
