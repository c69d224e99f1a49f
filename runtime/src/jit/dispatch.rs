//! Decision-tree dispatch for sequences of conditions (a route's rules, the
//! territories): when many of them begin with a test on the same key (the
//! tier, an enum field, a string field), the code jumps on the key's value
//! to the sub-sequence of conditions that value can satisfy, with that test
//! removed, instead of testing every condition in turn.
//!
//! Only tests in a condition's *pure prefix* take part: its leading
//! conjuncts that cannot raise a missing-field exception. Removing such a
//! test, or skipping a condition it makes false, changes neither the result
//! nor which raise happens first, so the sub-sequences keep the order and
//! the semantics of the original.

use crate::compiled::{index_bit, Miss, C};
use crate::flat::Layout;

/// What a dispatch jumps on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Key {
    /// The tier index.
    Tier,
    /// The territory index.
    Territory,
    /// An enum field's variant index.
    Enum(u32),
    /// A string field's interned id.
    Str(u32),
}

/// One value of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Val {
    /// This tier / variant / string id.
    Is(u64),
    /// No tier, or the field is missing (or holds another type).
    Missing,
    /// A value no test of the sequence mentions.
    Other,
}

impl Val {
    /// The tier / territory mask bit of this value ([`index_bit`]); 0 for
    /// "other", which no mask names.
    pub(super) fn bit(self) -> u64 {
        match self {
            Val::Is(t) => index_bit(Some(u32::try_from(t).unwrap_or(u32::MAX))),
            Val::Missing => index_bit(None),
            Val::Other => 0,
        }
    }
}

/// Whether a conjunct can raise (or call back into the interpreter).
fn pure(c: &C) -> bool {
    match c {
        C::Const(_) | C::Tier { .. } | C::Territory { .. } | C::TerritoryAt { .. } | C::Present { .. } => true,
        C::StrIn { miss, .. } | C::EnumIn { miss, .. } | C::Num { miss, .. } => matches!(miss, Miss::Const(_)),
        C::Not(a) => pure(a),
        C::And(args) | C::Or(args) => args.iter().all(pure),
        C::General(_) => false,
    }
}

/// The conjuncts of a condition's pure prefix.
fn prefix(c: &C) -> &[C] {
    match c {
        C::And(args) => {
            let n = args.iter().take_while(|a| pure(a)).count();
            &args[..n]
        }
        other if pure(other) => std::slice::from_ref(other),
        _ => &[],
    }
}

/// The key a conjunct tests, if it is a test dispatch understands.
fn key_of(c: &C) -> Option<Key> {
    match c {
        C::Tier { .. } => Some(Key::Tier),
        C::Territory { .. } | C::TerritoryAt { .. } => Some(Key::Territory),
        C::EnumIn { slot, miss: Miss::Const(_), .. } => Some(Key::Enum(*slot)),
        C::StrIn { slot, miss: Miss::Const(_), .. } => Some(Key::Str(*slot)),
        _ => None,
    }
}

/// What a test on `key` gives for the value `v`.
fn eval(c: &C, v: Val, layout: &Layout) -> bool {
    match (c, v) {
        (C::Tier { mask, neg } | C::Territory { mask, neg }, v) => (v.bit() & mask != 0) != *neg,
        (C::TerritoryAt { set, none, neg }, v) => {
            let found = match v {
                Val::Is(t) => u32::try_from(t).is_ok_and(|t| set.binary_search(&t).is_ok()),
                Val::Missing => *none,
                Val::Other => false,
            };
            found != *neg
        }
        (C::EnumIn { miss: Miss::Const(b), .. } | C::StrIn { miss: Miss::Const(b), .. }, Val::Missing) => *b,
        (C::EnumIn { mask, neg, .. }, Val::Is(i)) => (i < 64 && mask & (1 << i) != 0) != *neg,
        (C::StrIn { set, neg, .. }, Val::Is(id)) => set.iter().any(|s| layout.id(s).map(u64::from) == Some(id)) != *neg,
        (C::EnumIn { neg, .. } | C::StrIn { neg, .. }, Val::Other) => *neg,
        _ => true,
    }
}

/// The values of `key` that the tests in `conds` tell apart.
fn values(key: Key, conds: &[Option<&C>], layout: &Layout, tiers: usize) -> Vec<Val> {
    let mut out = vec![Val::Missing];
    match key {
        Key::Tier => out.extend((0..tiers as u64).map(Val::Is)),
        Key::Territory => {
            out.push(Val::Other);
            for c in conds.iter().flatten() {
                for t in prefix(c) {
                    match t {
                        C::Territory { mask, .. } => out.extend((0..63).filter(|i| mask & (1 << i) != 0).map(Val::Is)),
                        C::TerritoryAt { set, .. } => out.extend(set.iter().map(|i| Val::Is(u64::from(*i)))),
                        _ => {}
                    }
                }
            }
        }
        Key::Enum(_) | Key::Str(_) => {
            out.push(Val::Other);
            for c in conds.iter().flatten() {
                for t in prefix(c) {
                    if key_of(t) != Some(key) {
                        continue;
                    }
                    match t {
                        C::EnumIn { mask, .. } => out.extend((0..64).filter(|i| mask & (1 << i) != 0).map(Val::Is)),
                        C::StrIn { set, .. } => out.extend(set.iter().filter_map(|s| layout.id(s)).map(|id| Val::Is(id.into()))),
                        _ => {}
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A condition specialised to `key == v`: `None` when it cannot hold, else
/// the condition with its pure-prefix tests on `key` removed.
fn specialise(c: &C, key: Key, v: Val, layout: &Layout) -> Option<C> {
    let p = prefix(c).len();
    let parts: Vec<&C> = match c {
        C::And(args) => args.iter().collect(),
        other => vec![other],
    };
    let mut kept = Vec::with_capacity(parts.len());
    for (i, part) in parts.into_iter().enumerate() {
        if i < p && key_of(part) == Some(key) {
            if !eval(part, v, layout) {
                return None;
            }
        } else {
            kept.push(part.clone());
        }
    }
    Some(match kept.len() {
        0 => C::Const(true),
        1 => kept.pop().unwrap_or(C::Const(true)),
        _ => C::And(kept.into()),
    })
}

/// One arm of a dispatch: indexes into the sequence, with the specialised
/// conditions (`None`: unconditional).
pub(super) type Arm = Vec<(usize, Option<C>)>;

/// A dispatch for a sequence: the key, and for each value its sub-sequence
/// (indexes into the sequence, with the specialised conditions; `None` is
/// an unconditional item).
#[derive(Debug)]
pub(super) struct Split {
    pub key: Key,
    pub arms: Vec<(Val, Arm)>,
}

/// The best dispatch for a sequence of conditions, if one pays: a key that
/// at least half of them (and at least three) test in their pure prefix,
/// splitting them without more than quadrupling the code (the caller also
/// keeps a budget for the whole function).
pub(super) fn split(conds: &[Option<&C>], layout: &Layout, tiers: usize, tier_known: bool, territory_known: bool) -> Option<Split> {
    if conds.len() < 4 {
        return None;
    }
    let mut counts: Vec<(Key, usize)> = Vec::new();
    for c in conds.iter().flatten() {
        let mut seen: Vec<Key> = prefix(c).iter().filter_map(key_of).collect();
        seen.sort();
        seen.dedup();
        for k in seen {
            match counts.iter_mut().find(|(key, _)| *key == k) {
                Some((_, n)) => *n += 1,
                None => counts.push((k, 1)),
            }
        }
    }
    counts.retain(|(k, n)| {
        let known = match k {
            Key::Tier => tier_known || tiers >= 63,
            Key::Territory => territory_known,
            _ => false,
        };
        *n >= 3 && *n * 2 >= conds.len() && !known
    });
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (key, _) in counts {
        let vals = values(key, conds, layout, tiers);
        if vals.len() < 2 || vals.len() > 4096 {
            continue;
        }
        // Stops building arms as soon as they pass the bound: a refused key costs little.
        let (limit, mut total) = (4 * conds.len(), 0);
        let mut arms: Vec<(Val, Arm)> = Vec::with_capacity(vals.len());
        for v in vals {
            let items: Arm = conds
                .iter()
                .enumerate()
                .filter_map(|(i, c)| match c {
                    None => Some((i, None)),
                    Some(c) => specialise(c, key, v, layout).map(|s| (i, Some(s))),
                })
                .collect();
            total += items.len();
            if total > limit {
                break;
            }
            arms.push((v, items));
        }
        if total <= limit {
            return Some(Split { key, arms });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(t: u32) -> C {
        C::Tier { mask: 1 << t, neg: false }
    }

    #[test]
    fn rules_split_on_the_tier_keep_their_order_and_lose_the_test() {
        let layout = Layout::new(1, [], []);
        let present = C::Present { slot: 0, present: true };
        let conds = [
            C::And(vec![tier(0), present.clone()].into()),
            C::And(vec![tier(1), present.clone()].into()),
            tier(0),
            C::And(vec![tier(2), present.clone()].into()),
            present.clone(),
        ];
        let refs: Vec<Option<&C>> = conds.iter().map(Some).collect();
        let s = split(&refs, &layout, 3, false, false).expect("a split on the tier");
        assert_eq!(s.key, Key::Tier);
        let arm = |v: Val| s.arms.iter().find(|(x, _)| *x == v).map(|(_, items)| items.iter().map(|(i, _)| *i).collect::<Vec<_>>());
        assert_eq!(arm(Val::Is(0)), Some(vec![0, 2, 4]));
        assert_eq!(arm(Val::Is(1)), Some(vec![1, 4]));
        assert_eq!(arm(Val::Missing), Some(vec![4]), "no tier: only the rule that does not test it");
        let first = &s.arms.iter().find(|(x, _)| *x == Val::Is(0)).map(|(_, items)| items.clone()).unwrap_or_default()[1];
        assert!(matches!(first.1, Some(C::Const(true))), "the tier test is gone: {first:?}");
    }

    #[test]
    fn a_test_after_one_that_can_raise_is_not_used() {
        let layout = Layout::new(2, [], []);
        let raising = C::Num { slot: 1, op: crate::ir::CmpOp::Gt, k: 1.0, miss: Miss::Raise };
        let conds: Vec<C> = (0..4).map(|t| C::And(vec![raising.clone(), tier(t % 2)].into())).collect();
        let refs: Vec<Option<&C>> = conds.iter().map(Some).collect();
        assert!(split(&refs, &layout, 2, false, false).is_none());
    }
}
