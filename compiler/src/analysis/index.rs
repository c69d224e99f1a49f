//! The territory index: territories with the same condition form one class,
//! and classes are compared only when what they require of a lead can meet.
//!
//! Each class's condition is keyed by the fields every one of its terms
//! tests for equality or membership (`country == "DE"`, `state in [...]`),
//! with the values allowed, and by the fields every term bounds
//! (`employees >= 200`), with the hull of the intervals. Classes are grouped by which
//! fields they key on; a class is looked up in each group through the most
//! selective field the two share, so two territories with different
//! countries are never compared. Classes that share no keyed field (only
//! numbers, functions, or conditions too large to analyse) are compared
//! pair by pair, behind a cheap interval check. The search runs under a
//! [`Budget`]; where it runs out is kept, so that nothing after it is
//! claimed to be disjoint (W0040 says so).

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::budget::{cut_short, thousands, work, Budget, OVERLAP_STEPS, PAIR_STEPS};
use super::predicate::{hash_terms, negate, Analyzer, Dnf, Interval, ValueSet};
use super::reach::{empty, prune};
use crate::check::Symbols;
use crate::diagnostic::Diagnostic;
use crate::syntax::ast::Memo;

/// The territories' conditions, their classes and the classes that can overlap.
#[derive(Debug, Clone, Default)]
pub struct Territories {
    /// Each territory's condition, pruned to its satisfiable terms (shared
    /// with the territory's memo: an editor's re-check copies none).
    pub conds: Vec<Arc<Dnf>>,
    /// Territories whose conditions are the same (and fully analysed), in
    /// declaration order; classes are ordered by their first member.
    pub classes: Vec<Vec<usize>>,
    /// Each territory's class.
    pub class_of: Vec<usize>,
    /// Pairs of classes `(a, b)`, `a < b`, whose conditions may hold together, sorted.
    pub pairs: Vec<(usize, usize)>,
    /// Per class, the classes it may overlap, ascending.
    pub partners: Vec<Vec<usize>>,
    /// The first class the search did not compare with every class before it.
    pub cut: Option<usize>,
    /// Steps the search took.
    pub steps: u64,
    /// Each class's negation, made when first asked for ([`Territories::neg`]).
    negs: Vec<std::sync::OnceLock<Arc<Negation>>>,
    /// The fingerprints a territory's own results (its negation) are kept
    /// under, and the policy-wide one of [`Territories::kept`].
    fingerprint: Option<Arc<crate::check::Fingerprint>>,
    /// What the analyses of the whole policy keep between an editor's checks.
    policy_memo: Option<Memo>,
}

/// A territory's condition pruned to its satisfiable terms, as kept in its
/// memo, with the hash its class is found by.
#[derive(Debug)]
struct Cond {
    dnf: Arc<Dnf>,
    /// `None` for a condition that never holds or that has opaque terms
    /// (which stand for different conditions that merely look alike here).
    class_hash: Option<u64>,
}

impl Cond {
    fn new(dnf: Dnf) -> Cond {
        let class_hash = match &dnf {
            Some(t) if !t.is_empty() && !t.iter().any(|x| x.opaque) => Some(hash_terms(t)),
            _ => None,
        };
        Cond { dnf: Arc::new(dnf), class_hash }
    }
}

/// A territory condition's negation, as kept in its memo.
#[derive(Debug)]
struct Negation(Dnf);

/// What a class's condition requires of every lead it matches. Both lists
/// are sorted by field (looked up by binary search: a class keys on a field
/// or two, and there is one `Keys` per class). Its names and values are
/// shared with the condition, so that the keys of the classes an edit did not
/// change are kept between an editor's checks ([`SearchMemo`]).
#[derive(Default)]
struct Keys {
    /// Fields every term tests with `==` or `in`, with every value allowed (sorted).
    anchors: Vec<(Arc<str>, Vec<Arc<str>>)>,
    /// Fields every term bounds, with the hull of the bounds.
    hulls: Vec<(Arc<str>, Interval)>,
}

impl Keys {
    /// The values every term allows `field`, when it is keyed.
    fn anchor(&self, field: &str) -> Option<&[Arc<str>]> {
        self.anchors.binary_search_by(|(f, _)| (**f).cmp(field)).ok().map(|i| &self.anchors[i].1[..])
    }
}

fn keys(d: &Dnf) -> Keys {
    let mut k = Keys::default();
    let Some(terms) = d else { return k };
    let Some((first, rest)) = terms.split_first() else { return k };
    // The first term's fields come sorted: so do the lists built from them.
    for (f, c) in first.fields.iter_shared() {
        if let Some(ValueSet::In(s)) = &c.values {
            let mut all: Vec<Arc<str>> = s.iter_shared().cloned().collect();
            let every = rest.iter().all(|t| match t.fields.get(f).and_then(|c| c.values.as_ref()) {
                Some(ValueSet::In(s)) => {
                    all.extend(s.iter_shared().cloned());
                    true
                }
                _ => false,
            });
            if every {
                if !rest.is_empty() {
                    all.sort_unstable();
                    all.dedup();
                }
                k.anchors.push((f.clone(), all));
            }
        }
        if c.range != Interval::ALL {
            let mut hull = c.range;
            let every = rest.iter().all(|t| match t.fields.get(f) {
                Some(c) if c.range != Interval::ALL => {
                    hull = hull.hull(c.range);
                    true
                }
                _ => false,
            });
            if every {
                k.hulls.push((f.clone(), hull));
            }
        }
    }
    k
}

/// Classes keyed on the same fields, with a value index per field (looked up, never walked).
struct Group<'d> {
    members: Vec<usize>,
    /// Per field, per value: the first and last of the classes allowing it,
    /// chained through [`Postings`] in the order they were added.
    index: FxHashMap<&'d str, FxHashMap<&'d str, (u32, u32)>>,
}

/// The classes of every value of every group, as chains in one array (most
/// values belong to one class: no list of its own for each).
#[derive(Default)]
struct Postings {
    /// A class and the next link of its chain (`u32::MAX`: the end).
    links: Vec<(usize, u32)>,
}

impl Postings {
    /// Adds class `b` at the end of the chain `ends` (a new chain when `None`).
    fn push(&mut self, ends: Option<&mut (u32, u32)>, b: usize) -> (u32, u32) {
        let at = u32::try_from(self.links.len()).unwrap_or(u32::MAX);
        self.links.push((b, u32::MAX));
        match ends {
            Some(e) => {
                if let Some(last) = self.links.get_mut(e.1 as usize) {
                    last.1 = at;
                }
                e.1 = at;
                *e
            }
            None => (at, at),
        }
    }

    /// The classes of the chain starting at `head`, in the order they were added.
    fn chain(&self, head: u32) -> impl Iterator<Item = usize> + '_ {
        let mut at = head;
        std::iter::from_fn(move || {
            let &(b, next) = self.links.get(at as usize)?;
            at = next;
            Some(b)
        })
    }
}

impl Territories {
    /// Classifies and indexes the territories of `an`'s policy and finds the
    /// classes that may overlap, within [`OVERLAP_STEPS`].
    pub fn build(an: &Analyzer) -> Self {
        Self::build_within(an, OVERLAP_STEPS, None)
    }

    /// [`Territories::build`] with a budget of `steps`, resuming the search
    /// kept in `memo` by an earlier check (under `an`'s fingerprint).
    pub fn build_within(an: &Analyzer, steps: u64, memo: Option<&Memo>) -> Self {
        let syms = an.symbols();
        // Each condition and its class hash depend on the territory's text alone (and the schema).
        let kept: Vec<Arc<Cond>> = syms.territories.iter().map(|t| an.remember(&t.memo, |f| f.of_condition(&t.memo, &t.condition), || Cond::new(prune(an, an.dnf(&t.condition))))).collect();
        let conds: Vec<Arc<Dnf>> = kept.iter().map(|k| k.dnf.clone()).collect();
        // Classes by a hash of their condition, confirmed by comparing the conditions.
        // Per hash the latest class with it; per class the one before it with the same hash.
        let mut by_hash: FxHashMap<u64, usize> = FxHashMap::with_capacity_and_hasher(conds.len(), Default::default());
        let mut same_hash: Vec<usize> = Vec::with_capacity(conds.len());
        let mut classes: Vec<Vec<usize>> = Vec::new();
        let mut class_of = Vec::with_capacity(conds.len());
        for (i, (c, kept)) in conds.iter().zip(&kept).enumerate() {
            let c: &Dnf = c;
            let key = kept.class_hash;
            let latest = key.and_then(|h| by_hash.get(&h).copied());
            let same = std::iter::successors(latest, |&k| Some(same_hash[k]).filter(|&p| p != usize::MAX)).find(|&k| *conds[classes[k][0]] == *c);
            let k = match same {
                Some(k) => k,
                None => {
                    let k = classes.len();
                    same_hash.push(latest.unwrap_or(usize::MAX));
                    if let Some(h) = key {
                        by_hash.insert(h, k);
                    }
                    classes.push(Vec::new());
                    k
                }
            };
            classes[k].push(i);
            class_of.push(k);
        }
        drop(by_hash);
        let reps: Vec<Arc<Dnf>> = classes.iter().map(|m| conds[m[0]].clone()).collect();
        let prev = memo.and_then(|m| m.get::<SearchMemo>(an.memo_key()?));
        let found = search(an, &reps, steps, prev.as_deref());
        let (cut, spent) = (found.cut, found.spent);
        // The pairs come in the order of their later class: per earlier
        // class its later partners are ascending, and walking the earlier
        // classes in order lists the pairs sorted and each class's partners
        // ascending, with no sort.
        let mut later: Vec<Vec<usize>> = vec![Vec::new(); classes.len()];
        for &(a, b) in &found.found {
            later[a].push(b);
        }
        let mut pairs = Vec::with_capacity(found.found.len());
        let mut partners: Vec<Vec<usize>> = vec![Vec::new(); classes.len()];
        for (a, l) in later.into_iter().enumerate() {
            for &b in &l {
                pairs.push((a, b));
                partners[b].push(a);
            }
            partners[a].extend(l);
        }
        if let (Some(m), Some(key)) = (memo, an.memo_key()) {
            m.set(key, Arc::new(found));
        }
        let negs = (0..classes.len()).map(|_| std::sync::OnceLock::new()).collect();
        Territories { conds, classes, class_of, pairs, partners, cut, steps: spent, negs, fingerprint: an.fingerprint().cloned(), policy_memo: memo.cloned() }
    }

    /// The negation of a class's condition: made once per check, and kept
    /// between an editor's checks in the memo of the class's first territory.
    pub fn neg(&self, syms: &Symbols, class: usize) -> &Dnf {
        let make = || Negation(negate(self.cond(class)));
        let kept = self.negs[class].get_or_init(|| {
            let first = syms.territories.get(self.classes[class][0]);
            match (first, &self.fingerprint) {
                // The memo holds one value per type: the negation is kept beside the condition.
                (Some(t), Some(f)) => t.memo.get_or_insert_with(f.of_condition(&t.memo, &t.condition), make),
                _ => Arc::new(make()),
            }
        });
        &kept.0
    }

    /// What an analysis of the territories kept of type `T` at the last
    /// check (`None`: none, or outside an editor's checks). Kept for the
    /// whole policy in one place, not in each territory's memo: read in
    /// order, it costs no cache miss per territory.
    pub(crate) fn kept<T: std::any::Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.policy_memo.as_ref()?.get::<T>(self.fingerprint.as_ref()?.base())
    }

    /// Keeps `value` for the next check (see [`Territories::kept`]).
    pub(crate) fn keep<T: std::any::Any + Send + Sync>(&self, value: T) {
        if let (Some(m), Some(f)) = (&self.policy_memo, &self.fingerprint) {
            m.set(f.base(), Arc::new(value));
        }
    }

    /// The condition of a class.
    pub fn cond(&self, class: usize) -> &Dnf {
        &self.conds[self.classes[class][0]]
    }

    /// The other territories of territory `i`'s class and of the classes
    /// that may overlap it, in declaration order.
    pub fn neighbours(&self, i: usize) -> Vec<usize> {
        let k = self.class_of[i];
        let mut out: Vec<usize> = self.classes[k].iter().copied().filter(|&j| j != i).collect();
        out.extend(self.partners[k].iter().flat_map(|&p| self.classes[p].iter().copied()));
        out.sort_unstable();
        out
    }

    /// W0040 when the search ran out: which territories were not compared.
    pub fn cut_short(&self, syms: &Symbols) -> Option<Diagnostic> {
        let class = self.cut?;
        let first = *self.classes[class].first()?;
        let t = syms.territories.get(first)?;
        let rest: usize = self.classes[class..].iter().map(Vec::len).sum();
        Some(cut_short(
            t.name.span,
            "the territory overlap analysis",
            self.steps,
            format!(
                "`{}` and the territories after it ({} of {}) were not compared with every territory before them: overlaps among those are not reported",
                t.name.name,
                thousands(rest as u64),
                thousands(syms.territories.len() as u64)
            ),
            "give each territory an equality test on a field (`country == \"DE\"`, `country in [...]`): territories are compared only when those values can meet; conditions on numbers or functions alone are compared pair by pair",
        ))
    }
}

/// What a search did, kept between an editor's re-checks (in
/// [`crate::syntax::ParseCache`]): the classes' conditions it ran on, the
/// steps taken and pairs found before each class, and where it stopped. A
/// re-check whose first classes have the same conditions resumes after
/// them, and one that only changed classes past the cut reuses it whole;
/// either way the answer is the one a fresh search gives.
#[derive(Default)]
pub struct SearchMemo {
    reps: Vec<Arc<Dnf>>,
    /// Per class: the steps spent and the pairs found before it was searched.
    before: Vec<(u64, usize)>,
    /// The pairs found, in the order found (by their later class).
    found: Vec<(usize, usize)>,
    cut: Option<usize>,
    spent: u64,
    /// The budget it ran under.
    steps: u64,
    /// Each class's keys.
    keys: Vec<Arc<Keys>>,
    /// Per class, the earlier classes whose conditions were met with its
    /// own, in the order met, and whether they meet.
    met: Vec<Arc<Vec<(usize, bool)>>>,
}

/// Every pair of classes (by their conditions `reps`) that may overlap, and
/// the first class not fully compared when the budget of `steps` ran out,
/// resuming from `prev` where its classes are the same.
fn search(an: &Analyzer, reps: &[Arc<Dnf>], steps: u64, prev: Option<&SearchMemo>) -> SearchMemo {
    // How many leading classes are the same as the previous search's.
    let prev = prev.filter(|p| p.steps == steps);
    let same = prev.map_or(0, |p| p.reps.iter().zip(reps).take_while(|(a, b)| Arc::ptr_eq(a, b) || a == b).count());
    if let Some(p) = prev {
        let whole = match p.cut {
            Some(c) => same > c,
            None => same == p.reps.len() && same == reps.len(),
        };
        if whole {
            return SearchMemo { reps: reps.to_vec(), before: p.before.clone(), found: p.found.clone(), cut: p.cut, spent: p.spent, steps, keys: p.keys.clone(), met: p.met.clone() };
        }
    }
    let start = match prev {
        Some(p) => same.min(p.before.len()),
        None => 0,
    };
    // The steps and pairs before class `start`: past the last class the previous search
    // compared (every one of its classes is unchanged; more follow), all of them.
    let (spent, kept) = prev.map_or((0, 0), |p| p.before.get(start).copied().unwrap_or((p.spent, p.found.len())));
    let mut memo = SearchMemo { reps: reps.to_vec(), before: Vec::with_capacity(reps.len()), found: Vec::new(), cut: None, spent: 0, steps, keys: Vec::new(), met: Vec::new() };
    if let Some(p) = prev {
        memo.before.extend_from_slice(&p.before[..start]);
        memo.found.extend_from_slice(&p.found[..kept]);
        memo.met.extend(p.met.iter().take(start).cloned());
    }
    // Class `a`'s condition is the same object as in the last search: what was worked out from it
    // (its keys; whether it meets another such class) stands (steps are charged as ever).
    let same_class = |a: usize| prev.is_some_and(|p| p.reps.get(a).is_some_and(|r| Arc::ptr_eq(r, &reps[a])));
    let mut budget = Budget::resume(steps, spent);
    let keys: Vec<Arc<Keys>> = reps
        .iter()
        .enumerate()
        .map(|(b, d)| match prev.filter(|_| same_class(b)).and_then(|p| p.keys.get(b)) {
            Some(k) => k.clone(),
            None => Arc::new(keys(d)),
        })
        .collect();
    memo.keys = keys.clone();
    let mut groups: BTreeMap<Vec<&str>, Group> = BTreeMap::new();
    let mut postings = Postings::default();
    // The classes before `start` are indexed as the search left them, without comparing them again.
    for b in 0..start {
        if !empty(&reps[b]) {
            index_class(&mut groups, &mut postings, &keys[b], b);
        }
    }
    // Per bounded field, each class's hull of it, side by side: telling two
    // classes apart by their bounds reads one array, not each class's keys
    // (classes keyed on numbers alone are compared with every class before them).
    let mut hulls_of: FxHashMap<&str, Vec<Option<Interval>>> = FxHashMap::default();
    for (b, k) in keys.iter().enumerate() {
        for (f, h) in &k.hulls {
            hulls_of.entry(&**f).or_insert_with(|| vec![None; reps.len()])[b] = Some(*h);
        }
    }
    let mut stamp = vec![usize::MAX; reps.len()];
    let mut cands: Vec<usize> = Vec::new();
    let mut bounds: Vec<(&[Option<Interval>], Interval)> = Vec::new();
    for b in start..reps.len() {
        memo.before.push((budget.spent(), memo.found.len()));
        memo.met.push(Arc::default());
        if empty(&reps[b]) {
            continue; // holds for no lead: overlaps nothing
        }
        let old: &[(usize, bool)] = match prev.and_then(|p| p.met.get(b)) {
            Some(m) if same_class(b) => m,
            _ => &[],
        };
        let mut met: Vec<(usize, bool)> = Vec::new();
        let kb = &keys[b];
        bounds.clear();
        bounds.extend(kb.hulls.iter().filter_map(|(f, hb)| Some((&hulls_of.get(&**f)?[..], *hb))));
        for (sig, g) in &groups {
            cands.clear();
            // The shared keyed field with the most distinct values so far.
            let best = sig.iter().filter(|f| kb.anchor(f).is_some()).max_by_key(|f| g.index.get(*f).map_or(0, FxHashMap::len));
            match best.and_then(|f| Some((g.index.get(f), kb.anchor(f)?))) {
                None => cands.extend(&g.members),
                Some((ix, values)) => {
                    for v in values {
                        let head = ix.and_then(|ix| ix.get(&**v)).map_or(u32::MAX, |e| e.0);
                        for a in postings.chain(head) {
                            if stamp[a] != b {
                                stamp[a] = b;
                                cands.push(a);
                            }
                        }
                    }
                }
            }
            for &a in &cands {
                if !budget.spend(1) {
                    return memo.stop(Some(b), &budget);
                }
                // A class of this group is keyed on the group's fields (none: nothing to compare).
                let keyed_apart = !sig.is_empty() && keys[a].anchors.iter().any(|(f, va)| kb.anchor(f).is_some_and(|vb| !meets(va, vb)));
                // The fields both bound, with hulls that do not meet (meeting is symmetric).
                let bounded_apart = bounds.iter().any(|(of, hb)| of[a].is_some_and(|ha| !ha.meets(*hb)));
                if keyed_apart || bounded_apart {
                    continue;
                }
                if !budget.spend(work(&reps[a], &reps[b])) {
                    return memo.stop(Some(b), &budget);
                }
                // Met in the same order as last time, as a rule: that place first; a short list is searched.
                let again = old.get(met.len()).filter(|(x, _)| *x == a).or_else(|| if old.len() <= 32 { old.iter().find(|(x, _)| *x == a) } else { None });
                let meets = match again {
                    Some(&(_, meets)) if same_class(a) => meets,
                    _ => an.intersects(&reps[a], &reps[b]),
                };
                met.push((a, meets));
                if meets {
                    if !budget.spend(PAIR_STEPS) {
                        return memo.stop(Some(b), &budget);
                    }
                    memo.found.push((a, b));
                }
            }
        }
        if let Some(last) = memo.met.last_mut() {
            *last = Arc::new(met);
        }
        index_class(&mut groups, &mut postings, kb, b);
    }
    memo.stop(None, &budget)
}

impl SearchMemo {
    fn stop(mut self, cut: Option<usize>, budget: &Budget) -> SearchMemo {
        self.cut = cut;
        self.spent = budget.spent();
        self
    }
}

/// Adds class `b` (keyed by `kb`) to the group of classes keyed on the same fields.
fn index_class<'d>(groups: &mut BTreeMap<Vec<&'d str>, Group<'d>>, postings: &mut Postings, kb: &'d Keys, b: usize) {
    let sig: Vec<&str> = kb.anchors.iter().map(|(f, _)| &**f).collect();
    let g = groups.entry(sig).or_insert_with(|| Group { members: Vec::new(), index: FxHashMap::default() });
    g.members.push(b);
    for (f, vs) in &kb.anchors {
        let ix = g.index.entry(&**f).or_default();
        for v in vs {
            match ix.get_mut(&**v) {
                Some(ends) => {
                    postings.push(Some(ends), b);
                }
                None => {
                    let ends = postings.push(None, b);
                    ix.insert(&**v, ends);
                }
            }
        }
    }
}

/// True when two sorted value lists share a value.
fn meets(a: &[Arc<str>], b: &[Arc<str>]) -> bool {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    small.iter().any(|v| large.binary_search(v).is_ok())
}
