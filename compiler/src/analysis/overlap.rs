//! Territory overlap: territories that can match the same lead, reported
//! where such a lead reaches a rule that reads the territory. Territories
//! with the same condition are reported once as a group, and so is a
//! territory with the territories it overlaps (a territory and those nested
//! in it) when they make [`MIN_GROUP`] pairs or more; past [`MAX_SHOWN`]
//! groups the rest are counted in one summary.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::budget::{cut_short, thousands, work, Budget, REPORT_STEPS};
use super::index::Territories;
use super::predicate::{both, Analyzer, Dnf};
use super::reach::{empty, example_with, has_example, meet, Raised};
use crate::check::symbols::Symbols;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;

/// Groups of overlapping territories reported one by one; the rest are counted.
pub const MAX_SHOWN: usize = 20;

/// Pairs that make a territory and those it overlaps one report; fewer are reported pair by pair.
pub const MIN_GROUP: usize = 3;

/// Names shown before "and N more".
const NAMES_SHOWN: usize = 3;

/// Two territories that may both match, with an example lead when one is known for certain.
#[derive(Debug, Clone)]
pub struct Overlap {
    /// Index of the earlier territory.
    pub first: usize,
    /// Index of the later territory.
    pub second: usize,
    /// An example lead (constrained fields only) that matches both; `None`
    /// when the conditions are beyond the analysis.
    pub example: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Whether two territories' conditions meet: `None` when they cannot;
/// else an example lead in both when one is known for certain.
fn pair_example(an: &Analyzer, a: &Dnf, b: &Dnf) -> Option<Option<serde_json::Map<String, serde_json::Value>>> {
    let (Some(a), Some(b)) = (a, b) else { return Some(None) };
    let mut found = None;
    for x in a {
        for y in b {
            if let Some(t) = an.meet(x, y) {
                let example = if t.opaque { None } else { an.witness(&t) };
                if example.is_some() {
                    return Some(example);
                }
                found = Some(None);
            }
        }
    }
    found
}

/// Pairs of territories that may overlap, in declaration order, at most
/// `limit` of them (a class of `n` identical territories alone has n(n-1)/2).
pub fn overlaps(syms: &Symbols, terr: &Territories, limit: usize) -> Vec<Overlap> {
    let an = Analyzer::new(syms);
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for m in &terr.classes {
        for (x, &i) in m.iter().enumerate() {
            pairs.extend(m[x + 1..].iter().map(|&j| (i, j)).take(limit.saturating_sub(pairs.len())));
        }
    }
    for &(a, b) in &terr.pairs {
        for &i in &terr.classes[a] {
            pairs.extend(terr.classes[b].iter().map(|&j| (i.min(j), i.max(j))).take(limit.saturating_sub(pairs.len())));
        }
    }
    pairs.sort_unstable();
    pairs
        .into_iter()
        .filter_map(|(i, j)| pair_example(&an, &terr.conds[i], &terr.conds[j]).map(|example| Overlap { first: i, second: j, example }))
        .collect()
}

/// `` `a`, `b`, `c` and 12 more ``.
pub fn names(syms: &Symbols, members: &[usize]) -> String {
    listed(members.iter().map(|&i| format!("`{}`", syms.territories[i].name.name)), members.len())
}

/// The first [`NAMES_SHOWN`] of `count` names (already quoted), then "and N more".
pub fn listed(names: impl Iterator<Item = String>, count: usize) -> String {
    let shown: Vec<String> = names.take(NAMES_SHOWN).collect();
    match count.saturating_sub(shown.len()) {
        0 => shown.join(", "),
        more => format!("{} and {} more", shown.join(", "), thousands(more as u64)),
    }
}

/// What one diagnostic reports.
enum Unit {
    /// Territories with the same condition.
    Same(Vec<usize>),
    /// A territory (its class's members) and every territory it overlaps
    /// that no territory with more overlaps reports.
    Star(Vec<usize>, Vec<usize>),
}

/// The territories that overlap, grouped: each class of identical
/// territories, and each class with the classes it overlaps, taken by the
/// class with the most overlaps first. Territories in `skip` are left out.
fn units(terr: &Territories, skip: &BTreeSet<usize>) -> Vec<((usize, usize), Unit)> {
    let members: Vec<Vec<usize>> = terr.classes.iter().map(|m| m.iter().copied().filter(|i| !skip.contains(i)).collect()).collect();
    let mut out = Vec::new();
    for m in &members {
        if let [a, b, ..] = m[..] {
            out.push(((a, b), Unit::Same(m.clone())));
        }
    }
    let live = |k: usize| !members[k].is_empty();
    let degree: Vec<usize> = terr.partners.iter().map(|p| p.iter().filter(|&&k| live(k)).count()).collect();
    let rank = |k: usize| (std::cmp::Reverse(degree[k]), k);
    let mut stars: Vec<Vec<usize>> = vec![Vec::new(); terr.classes.len()];
    for &(a, b) in &terr.pairs {
        if live(a) && live(b) {
            let (centre, other) = if rank(a) <= rank(b) { (a, b) } else { (b, a) };
            stars[centre].push(other);
        }
    }
    for (c, others) in stars.into_iter().enumerate() {
        let partners: Vec<usize> = others.iter().flat_map(|&k| members[k].iter().copied()).collect();
        let key = |j: usize| (members[c][0].min(j), members[c][0].max(j));
        if partners.len() * members[c].len() >= MIN_GROUP {
            out.push((key(partners[0]), Unit::Star(members[c].clone(), partners)));
        } else {
            out.extend(partners.into_iter().map(|j| (key(j), Unit::Star(members[c].clone(), vec![j]))));
        }
    }
    out.sort_by_key(|(key, _)| *key);
    out
}

/// Where the leads of two territories meet a rule that reads the
/// territory: the place (one whose leads are known first) and the leads
/// that meet there (`None` at a guessed place: no example).
type Reached<'r, 'a> = (&'r Raised<'a>, Dnf);

/// The leads of both territories `a` and `b` are met with each place's
/// leads; they are built only when a place's leads are known (an unknown
/// meets anything as unknown).
fn reach<'r, 'a>(an: &Analyzer, raised: &'r [Raised<'a>], a: &Dnf, b: &Dnf, budget: &mut Budget) -> Option<Option<Reached<'r, 'a>>> {
    let mut first_guess = None;
    let both_of = std::cell::OnceCell::new();
    for r in raised {
        let pair: &Dnf = if r.leads.is_some() { both_of.get_or_init(|| both(a, b)) } else { &None };
        if !budget.spend(work(&r.leads, pair)) {
            return None;
        }
        let m = meet(an, &r.leads, pair);
        if empty(&m) {
            continue;
        }
        if !r.guess {
            return Some(Some((r, m)));
        }
        first_guess.get_or_insert(r);
    }
    Some(first_guess.map(|r| (r, None)))
}

/// True when two conditions meet in a lead known for certain: exactly when
/// [`pair_example`] gives an example, without building it.
fn pair_certain(an: &Analyzer, a: &Dnf, b: &Dnf) -> bool {
    let (Some(a), Some(b)) = (a, b) else { return false };
    a.iter().any(|x| !x.opaque && b.iter().any(|y| !y.opaque && an.terms_meet(x, y)))
}

/// What following a pair of territories to the rules found.
enum Pair {
    /// The report's budget ran out.
    Cut,
    /// Their common leads reach no reading rule (or only uncertainly, where a handler takes them anyway).
    Quiet,
    /// Reported: the diagnostic when asked for.
    Reported(Option<Diagnostic>),
}

/// Each group of overlapping territories whose common leads reach a rule
/// that reads the territory, with an example lead and that rule: E0023
/// without an `ambiguous_territory` handler, W0008 with one. Pairs whose
/// leads a `territory is ambiguous` rule takes first, or whose territory is
/// never read, route as written and are not reported. Territories in
/// `allowed` (an `allow W0008` names them) are reported pair by pair, once
/// each, so that the allow applies to them as written.
pub fn check(syms: &Symbols, terr: &Territories, raised: &[Raised], allowed: &BTreeSet<usize>, diags: &mut Vec<Diagnostic>) {
    diags.extend(terr.cut_short(syms));
    let handled = syms.has_handler("ambiguous_territory");
    let an = Analyzer::new(syms);
    let allowed: BTreeSet<usize> = if handled { allowed.clone() } else { BTreeSet::new() };
    let mut budget = Budget::new(REPORT_STEPS);
    let mut shown = 0usize;
    let (mut more_groups, mut more_pairs) = (0u64, 0u64);
    let mut summary_at: Option<usize> = None;
    let mut cut: Option<usize> = None;
    // What the last check found for each pair, when the rules that read the
    // territory and the handler are the same (an editor's re-check).
    let places = Places { handled, raised: raised.iter().map(|r| (r.leads.clone(), r.guess)).collect() };
    let last = terr.kept::<PairsSeen>().filter(|l| l.places == places);
    let seen = std::cell::RefCell::new(PairsSeen { places, pairs: Default::default() });
    // A pair that reaches a reading rule and is certain enough to report;
    // the diagnostic (and its examples) is built only when `build` asks.
    let try_pair = |i: usize, j: usize, budget: &mut Budget, build: bool| -> Pair {
        let (a, b) = (&terr.conds[i], &terr.conds[j]);
        // The same two conditions as last time: the same answer for the same steps (a diagnostic is built anew).
        let again = last.as_ref().and_then(|l| l.pairs.get(&(i, j))).filter(|p| Arc::ptr_eq(&p.0, a) && Arc::ptr_eq(&p.1, b));
        if let Some(&(_, _, reported, steps)) = again.filter(|p| !(build && p.2) && p.3 <= budget.left()) {
            budget.spend(steps);
            seen.borrow_mut().pairs.insert((i, j), (a.clone(), b.clone(), reported, steps));
            return if reported { Pair::Reported(None) } else { Pair::Quiet };
        }
        let before = budget.spent();
        let Some(reached) = reach(&an, raised, a, b, budget) else { return Pair::Cut };
        let keep = |reported: bool| seen.borrow_mut().pairs.insert((i, j), (a.clone(), b.clone(), reported, budget.spent() - before));
        let Some((at, leads)) = reached else {
            keep(false);
            return Pair::Quiet;
        };
        if handled && !has_example(&an, &leads) && !pair_certain(&an, a, b) {
            keep(false);
            return Pair::Quiet; // an uncertain overlap that a handler would take anyway
        }
        keep(true);
        if !build {
            return Pair::Reported(None);
        }
        let example = pair_example(&an, a, b).flatten();
        Pair::Reported(Some(diagnostic(syms, handled, i, j, at, example_with(&an, &leads), example)))
    };
    for &i in &allowed {
        for j in terr.neighbours(i) {
            match try_pair(i.min(j), i.max(j), &mut budget, true) {
                Pair::Cut => break,
                Pair::Quiet | Pair::Reported(None) => continue,
                Pair::Reported(Some(d)) => {
                    diags.push(d);
                    break;
                }
            }
        }
    }
    for (_, unit) in units(terr, &allowed) {
        if cut.is_some() {
            break;
        }
        let (centre, others) = match &unit {
            Unit::Same(m) => (&m[..1], &m[1..]),
            Unit::Star(c, o) => (&c[..], &o[..]),
        };
        let c = centre[0];
        if shown >= MAX_SHOWN {
            // Counted, not followed to the rules that read the territory.
            more_groups += 1;
            more_pairs += match &unit {
                Unit::Same(m) => (m.len() as u64) * (m.len() as u64 - 1) / 2,
                Unit::Star(c, o) => (c.len() as u64) * (o.len() as u64),
            };
            summary_at.get_or_insert(c);
            continue;
        }
        // Partners whose pair with the centre reaches a reading rule; for a class of identical territories, one pair says it for all.
        let mut reaching: Vec<usize> = Vec::new();
        let mut first: Option<Diagnostic> = None;
        for &j in others {
            if matches!(unit, Unit::Same(_)) && first.is_some() {
                reaching.push(j);
                continue;
            }
            match try_pair(c.min(j), c.max(j), &mut budget, first.is_none()) {
                Pair::Cut => {
                    cut = Some(c);
                    break;
                }
                Pair::Quiet => {}
                Pair::Reported(d) => {
                    if let Some(d) = d {
                        first.get_or_insert(d);
                    }
                    reaching.push(j);
                }
            }
        }
        let Some(mut d) = first else { continue };
        let pairs = match &unit {
            Unit::Same(m) => (m.len() as u64) * (m.len() as u64 - 1) / 2,
            Unit::Star(c, _) => (c.len() as u64) * (reaching.len() as u64),
        };
        shown += 1;
        match &unit {
            Unit::Same(m) if m.len() > 2 => {
                d.message = format!("territories {} have the same condition: a lead in one is in all ({} pairs)", names(syms, m), thousands(pairs));
            }
            Unit::Star(_, _) if pairs > 1 => {
                let j = reaching[0];
                let rest = &reaching[1..];
                let tail = if rest.is_empty() { String::new() } else { format!(", as can `{}` and each of {}", syms.territories[c].name.name, names(syms, rest)) };
                d.message = format!(
                    "territories `{}` and `{}` can both match a lead{tail} ({} pairs)",
                    syms.territories[c.min(j)].name.name,
                    syms.territories[c.max(j)].name.name,
                    thousands(pairs)
                );
            }
            _ => {}
        }
        diags.push(d);
    }
    if let Some(c) = summary_at {
        let t = syms.territories[c];
        let code = if handled { Code::W0008 } else { Code::E0023 };
        diags.push(
            Diagnostic::new(code, t.name.span, format!("{} more groups of territories can overlap ({} pairs)", thousands(more_groups), thousands(more_pairs)))
                .label(format!("the first {MAX_SHOWN} groups are reported one by one; these, from this territory on, are counted without following them to the rules that read the territory"))
                .help("fix the groups reported first; what is left is reported again at the next check"),
        );
    }
    if let Some(c) = cut {
        let t = syms.territories[c];
        diags.push(cut_short(
            t.name.span,
            "reporting territory overlaps",
            budget.spent(),
            format!("overlaps of `{}` and of the territories after it in the report order were not checked against the rules that read the territory", t.name.name),
            "fewer territories that overlap (or a `territory is ambiguous` rule before the first rule that reads the territory) make this cheaper",
        ));
    }
    terr.keep(seen.into_inner());
}

/// What decides whether a pair's common leads are reported, besides the
/// two conditions: whether a handler takes ambiguous leads, and each rule
/// that reads the territory (its leads, and whether they are a guess).
#[derive(PartialEq)]
struct Places {
    handled: bool,
    raised: Vec<(Dnf, bool)>,
}

/// Each pair of territories checked, by index, with the two conditions,
/// whether it was reported and the steps it cost, kept between an editor's
/// checks under the same [`Places`].
struct PairsSeen {
    places: Places,
    pairs: rustc_hash::FxHashMap<(usize, usize), PairSeen>,
}

/// The two conditions of a pair, whether it was reported, and the steps it cost.
type PairSeen = (Arc<Dnf>, Arc<Dnf>, bool, u64);

/// The diagnostic for the pair `i < j`, reaching the rule at `at`.
fn diagnostic(
    syms: &Symbols,
    handled: bool,
    i: usize,
    j: usize,
    at: &Raised,
    found: Option<(serde_json::Map<String, serde_json::Value>, serde_json::Value)>,
    example: Option<serde_json::Map<String, serde_json::Value>>,
) -> Diagnostic {
    let (a, b) = (syms.territories[i], syms.territories[j]);
    let code = if handled { Code::W0008 } else { Code::E0023 };
    let mut d = Diagnostic::new(code, b.name.span, format!("territories `{}` and `{}` can both match a lead", a.name.name, b.name.name))
        .with_secondary(a.name.span, format!("`{}` declared here", a.name.name))
        .with_secondary(at.rule.span, format!("such a lead is ambiguous when {} reads its territory", at.label));
    d = match (found, example) {
        (Some((mut short, lead)), _) => {
            short.retain(|_, v| !v.is_null()); // missing fields: the whole example shows them absent
            d.label(format!("e.g. a lead with {}", serde_json::Value::Object(short))).with_example(lead)
        }
        // In both territories for certain, but whether it gets to the rule is beyond the analysis: no replayable example.
        (None, Some(short)) => d.label(format!("e.g. a lead with {}", serde_json::Value::Object(short))),
        (None, None) => d.label("leadroute cannot prove these conditions exclude each other"),
    };
    d.help(if handled {
        "such leads go to the `ambiguous_territory` handler there; test `territory is ambiguous` in an earlier rule to place them yourself, or allow W0008 on the territory"
    } else {
        "make the conditions exclusive, or decide what happens: `when territory is ambiguous -> queue territory_review` before that rule, or `on ambiguous_territory -> queue territory_review`"
    })
}
