//! How a policy's conditions are cut into native functions of bounded size.
//!
//! Cranelift's register allocator and its sorts grow faster than linearly
//! with one function's size, so a long sequence (a route's rules, the
//! territories, the tiers) is cut into consecutive chunks of at most
//! [`MAX_WEIGHT`] condition nodes, each compiled to its own function and
//! called in order until one gives an answer. A chunk tests its conditions
//! in the order written, as the whole sequence did, so the first match and
//! the first raise are the same: compile time and memory then grow with the
//! policy, while most policies still fit in one function per sequence.

use std::ops::Range;

use crate::compiled::{Compiled, C};

/// Condition nodes one function may hold (about a hundred typical rules).
/// Smaller compiles faster (decision trees inside a function cost up to
/// the square of its conditions); larger makes fewer calls per decision.
pub(in crate::jit) const MAX_WEIGHT: usize = 512;

/// Code size of a condition, in nodes: leaves count one, `and` / `or` /
/// `not` one plus their arguments.
pub(super) fn weight(c: &C) -> usize {
    match c {
        C::Not(a) => 1 + weight(a),
        C::And(args) | C::Or(args) => 1 + args.iter().map(weight).sum::<usize>(),
        _ => 1,
    }
}

/// Consecutive ranges covering `weights`, each of total weight at most
/// `max` unless it is a single item; one empty range for no items.
pub(super) fn chunks(weights: impl IntoIterator<Item = usize>, max: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut total, mut n) = (0, 0, 0);
    for w in weights {
        if n > start && total + w > max {
            out.push(start..n);
            (start, total) = (n, 0);
        }
        total += w;
        n += 1;
    }
    out.push(start..n);
    out
}

/// The functions of one policy: the chunks of each sequence.
#[derive(Debug)]
pub(super) struct Plan {
    pub tiers: Vec<Range<usize>>,
    pub territories: Vec<Range<usize>>,
    /// Per route.
    pub routes: Vec<Vec<Range<usize>>>,
    /// Whether the whole-selection function is built: up to 64 territories,
    /// and tiers and territories each in one chunk. It holds the entry
    /// route's first chunk.
    pub select: bool,
}

impl Plan {
    /// Cuts every sequence of `compiled` at `max` nodes per function.
    pub(super) fn new(compiled: &Compiled, max: usize) -> Plan {
        let opt = |c: &Option<C>| c.as_ref().map_or(1, weight);
        let tiers = chunks(compiled.tiers.iter().map(opt), max);
        let territories = chunks(compiled.territories.iter().map(weight), max);
        let routes = compiled.routes.iter().map(|r| chunks(r.rules.iter().map(opt), max)).collect();
        let select = compiled.territories.len() <= 64 && tiers.len() == 1 && territories.len() == 1;
        Plan { tiers, territories, routes, select }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_item_in_order_within_the_bound() {
        let ws = [3, 3, 3, 10, 1, 1];
        let cs = chunks(ws, 6);
        assert_eq!(cs, vec![0..2, 2..3, 3..4, 4..6]);
        assert_eq!(chunks([], 6), vec![0..0], "an empty sequence still has its function");
        assert_eq!(chunks([1; 5], 100), vec![0..5], "a small sequence is one function");
    }
}
