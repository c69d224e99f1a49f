//! Which function results (`domain(email)`, `contains(tags, "x")` ...) are
//! computed with each lead's record, and which when a condition reaches them.

use rustc_hash::FxHashMap;

use crate::compiled::C;
use crate::flat::Layout;
use crate::ir::Expr;

use super::super::derived;

/// At most this many function results are computed with each lead's
/// record: every one costs every lead its evaluation, whether or not a
/// condition reaching it runs. Past it, the results most conditions share
/// are computed with the record and the others when a condition needs them
/// (as any other function call: through the interpreter).
const MAX_DERIVED: usize = 64;

/// A function result's identity among the policy's (expressions hold floats,
/// so they have no `Hash`; their debug text tells them apart exactly).
pub(super) fn derived_key(e: &Expr) -> String {
    format!("{e:?}")
}

/// The function results conditions test, in first-use order, each with how
/// many conditions test it.
#[derive(Default)]
pub(super) struct Candidates {
    calls: Vec<(Expr, usize)>,
    index: FxHashMap<String, usize>,
}

impl Candidates {
    /// Collects the function results worth computing per lead, interning the
    /// strings conditions compare them with.
    pub(super) fn collect(&mut self, c: &C, layout: &mut Layout) {
        match c {
            C::Not(a) => self.collect(a, layout),
            C::And(args) | C::Or(args) => args.iter().for_each(|a| self.collect(a, layout)),
            C::General(e) => {
                if let Some((call, test)) = derived::shape(e) {
                    let n = self.calls.len();
                    let k = *self.index.entry(derived_key(call)).or_insert(n);
                    if k == n {
                        self.calls.push((call.clone(), 0));
                    }
                    self.calls[k].1 += 1;
                    if let derived::Test::StrIn { set, .. } = test {
                        set.iter().for_each(|s| {
                            layout.intern(s);
                        });
                    }
                }
            }
            _ => {}
        }
    }

    /// The results computed with the record: all of them up to
    /// [`MAX_DERIVED`], else the most tested (ties: first used), in first-use
    /// order; and each one's index among them, by its key.
    pub(super) fn chosen(self) -> (Vec<Expr>, FxHashMap<String, usize>) {
        let Candidates { calls, index } = self;
        let n = calls.len();
        let mut keep = vec![n <= MAX_DERIVED; n];
        if n > MAX_DERIVED {
            let mut by_use: Vec<usize> = (0..n).collect();
            by_use.sort_by_key(|&i| (std::cmp::Reverse(calls[i].1), i));
            by_use[..MAX_DERIVED].iter().for_each(|&i| keep[i] = true);
        }
        let mut position = vec![None; n];
        let mut derived = Vec::new();
        for (i, ((e, _), kept)) in calls.into_iter().zip(keep).enumerate() {
            if kept {
                position[i] = Some(derived.len());
                derived.push(e);
            }
        }
        let index = index.into_iter().filter_map(|(key, i)| Some((key, position[i]?))).collect();
        (derived, index)
    }
}
