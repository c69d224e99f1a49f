//! The values one field's equality tests allow or exclude: a sorted set of
//! strings, shared between the copies of a term. The analyses copy terms on
//! every step (a territory minus each of its neighbours, a tier minus every
//! tier before it), so a copy must cost a reference count, not a tree of
//! owned strings; only a meet that changes the set builds a new one.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A sorted set of distinct strings, shared by its copies (and grown in
/// place by [`Values::extend_from`] when no copy shares it).
#[derive(Clone, Default)]
pub struct Values(Arc<Vec<Arc<str>>>);

impl Values {
    /// The empty set.
    pub fn new() -> Values {
        Values::default()
    }

    /// The set of one value.
    pub fn one(v: impl Into<Arc<str>>) -> Values {
        Values(Arc::new(vec![v.into()]))
    }

    fn sorted(mut v: Vec<Arc<str>>) -> Values {
        v.sort_unstable();
        v.dedup();
        Values(Arc::new(v))
    }

    /// The values, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.0.iter().map(|v| &**v)
    }

    /// The values as the shared strings they are kept in, in order.
    pub fn iter_shared(&self) -> impl Iterator<Item = &Arc<str>> + '_ {
        self.0.iter()
    }

    /// How many values.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `v` is one of them.
    pub fn contains(&self, v: &str) -> bool {
        self.0.binary_search_by(|x| (**x).cmp(v)).is_ok()
    }

    fn same(&self, o: &Values) -> bool {
        Arc::ptr_eq(&self.0, &o.0)
    }

    /// The values in both.
    pub fn intersection(&self, o: &Values) -> Values {
        if self.same(o) {
            return self.clone();
        }
        self.merge(o, |a, b| a && b)
    }

    /// The values of `self` not in `o`.
    pub fn difference(&self, o: &Values) -> Values {
        if o.is_empty() {
            return self.clone();
        }
        if self.same(o) {
            return Values::new();
        }
        self.merge(o, |a, b| a && !b)
    }

    /// The values in either.
    pub fn union(&self, o: &Values) -> Values {
        if o.is_empty() || self.same(o) {
            return self.clone();
        }
        if self.is_empty() {
            return o.clone();
        }
        self.merge(o, |a, b| a || b)
    }

    /// The values `keep(in self, in o)` accepts, by one walk of both lists.
    fn merge(&self, o: &Values, keep: impl Fn(bool, bool) -> bool) -> Values {
        let (a, b) = (&self.0[..], &o.0[..]);
        let (mut i, mut j) = (0, 0);
        let mut out: Vec<Arc<str>> = Vec::new();
        while i < a.len() || j < b.len() {
            let order = match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            let (value, ina, inb) = match order {
                std::cmp::Ordering::Less => (&a[i], true, false),
                std::cmp::Ordering::Greater => (&b[j], false, true),
                std::cmp::Ordering::Equal => (&a[i], true, true),
            };
            if keep(ina, inb) {
                out.push(value.clone());
            }
            i += usize::from(ina);
            j += usize::from(inb);
        }
        if out.len() == a.len() && keep(true, false) {
            // Every value of `self` kept and none added: share it.
            return self.clone();
        }
        Values(Arc::new(out))
    }

    /// Adds the values of `o` (a union): in place when this set is not
    /// shared and `o` is small, as when a condition excludes one more value
    /// on every step of an analysis (no copy of the values already there).
    pub fn extend_from(&mut self, o: &Values) {
        if o.is_empty() || self.same(o) {
            return;
        }
        match Arc::get_mut(&mut self.0) {
            Some(v) if o.len() <= 8 => {
                for x in o.0.iter() {
                    if let Err(at) = v.binary_search(x) {
                        v.insert(at, x.clone());
                    }
                }
            }
            _ => *self = self.union(o),
        }
    }
}

impl PartialEq for Values {
    fn eq(&self, o: &Values) -> bool {
        self.same(o) || self.0 == o.0
    }
}

impl Hash for Values {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.len().hash(h);
        self.iter().for_each(|v| v.hash(h));
    }
}

impl fmt::Debug for Values {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<String> for Values {
    fn from_iter<I: IntoIterator<Item = String>>(it: I) -> Values {
        Values::sorted(it.into_iter().map(Arc::from).collect())
    }
}

impl<'a> FromIterator<&'a str> for Values {
    fn from_iter<I: IntoIterator<Item = &'a str>>(it: I) -> Values {
        Values::sorted(it.into_iter().map(Arc::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The set operations agree with `BTreeSet`'s on every pair of subsets
    /// of a small universe.
    #[test]
    fn set_operations_agree_with_btreeset() {
        let universe = ["a", "b", "c", "d"];
        let subsets: Vec<Vec<&str>> = (0..16u32).map(|m| universe.iter().enumerate().filter(|(i, _)| m & (1 << i) != 0).map(|(_, v)| *v).collect()).collect();
        for x in &subsets {
            for y in &subsets {
                let (vx, vy): (Values, Values) = (x.iter().copied().collect(), y.iter().copied().collect());
                let (bx, by): (BTreeSet<&str>, BTreeSet<&str>) = (x.iter().copied().collect(), y.iter().copied().collect());
                let list = |v: Values| v.iter().map(str::to_string).collect::<Vec<_>>();
                let want = |s: Vec<&&str>| s.into_iter().map(|v| v.to_string()).collect::<Vec<_>>();
                assert_eq!(list(vx.intersection(&vy)), want(bx.intersection(&by).collect()), "{x:?} ∩ {y:?}");
                assert_eq!(list(vx.difference(&vy)), want(bx.difference(&by).collect()), "{x:?} − {y:?}");
                assert_eq!(list(vx.union(&vy)), want(bx.union(&by).collect()), "{x:?} ∪ {y:?}");
                let mut grown: Values = x.iter().copied().collect();
                grown.extend_from(&vy);
                assert_eq!(list(grown), want(bx.union(&by).collect()), "{x:?} ∪= {y:?}");
                let mut shared = vx.clone();
                shared.extend_from(&vy);
                assert_eq!(list(vx.clone()), want(bx.iter().collect()), "a shared set is not changed by its copy's growth");
                assert_eq!(vx == vy, bx == by);
                for v in universe {
                    assert_eq!(vx.contains(v), bx.contains(v));
                }
            }
        }
        let dup: Values = ["b", "a", "b"].into_iter().collect();
        assert_eq!(dup.iter().collect::<Vec<_>>(), ["a", "b"]);
    }
}
