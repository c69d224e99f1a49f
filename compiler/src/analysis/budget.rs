//! Work budgets for the analyses that can grow faster than the policy:
//! counted steps, not wall-clock time, so a cut falls at the same place on
//! every machine and every run. An analysis that runs out says so (W0040)
//! with what it did not check.

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;

/// Steps the territory overlap search may take: one per candidate pair
/// considered, one per pair of terms compared, and [`PAIR_STEPS`] per
/// overlapping pair found.
pub const OVERLAP_STEPS: u64 = 2_000_000;

/// Steps charged for each overlapping pair of territories the search keeps:
/// every pair kept is reported, tested for coverage and followed through
/// the routes, on every check and in an editor on every keystroke, so the
/// pairs kept are bounded (to about 90,000) and not only the comparisons.
pub const PAIR_STEPS: u64 = 20;

/// Steps for reporting overlaps and for the territory coverage check
/// (W0006): one per term pair met, per group or containment tested.
pub const REPORT_STEPS: u64 = 1_000_000;

/// A count of steps an analysis may still take.
#[derive(Debug, Clone)]
pub struct Budget {
    left: u64,
    spent: u64,
}

impl Budget {
    /// A budget of `steps`.
    pub fn new(steps: u64) -> Self {
        Budget { left: steps, spent: 0 }
    }

    /// A budget of `steps` of which `spent` are already taken (a search resumed).
    pub fn resume(steps: u64, spent: u64) -> Self {
        Budget { left: steps.saturating_sub(spent), spent }
    }

    /// The steps left.
    pub fn left(&self) -> u64 {
        self.left
    }

    /// Takes `n` steps; false (and nothing taken) when fewer are left.
    pub fn spend(&mut self, n: u64) -> bool {
        if n > self.left {
            self.left = 0;
            return false;
        }
        self.left -= n;
        self.spent += n;
        true
    }

    /// True once a [`Budget::spend`] has failed or nothing is left.
    pub fn exhausted(&self) -> bool {
        self.left == 0
    }

    /// Steps taken so far.
    pub fn spent(&self) -> u64 {
        self.spent
    }
}

/// The steps of meeting two conditions: one per pair of terms (one when
/// either is beyond the analysis).
pub fn work(a: &super::predicate::Dnf, b: &super::predicate::Dnf) -> u64 {
    match (a, b) {
        (Some(x), Some(y)) => (x.len() as u64).saturating_mul(y.len() as u64).max(1),
        _ => 1,
    }
}

/// W0040: `analysis` stopped after `steps` steps at `span`; `unchecked`
/// says what was not looked at, `narrow` how to make it cheaper.
pub fn cut_short(span: Span, analysis: &str, steps: u64, unchecked: String, narrow: &str) -> Diagnostic {
    Diagnostic::new(Code::W0040, span, format!("{analysis} cut short after {} steps", thousands(steps)))
        .label(unchecked)
        .help(narrow.to_string())
}

/// `items` joined with `sep`; of more than `shown`, the first and last
/// halves of `shown` and how many `what` are left out between them, so a
/// message about a chain of thousands stays readable.
pub fn both_ends(items: &[&str], sep: &str, shown: usize, what: &str) -> String {
    if items.len() <= shown {
        return items.join(sep);
    }
    let half = shown / 2;
    let left = thousands((items.len() - 2 * half) as u64);
    format!("{}{sep}… {left} more {what} …{sep}{}", items[..half].join(sep), items[items.len() - half..].join(sep))
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_999_000), "1,999,000");
    }

    #[test]
    fn a_budget_refuses_what_it_cannot_pay() {
        let mut b = Budget::new(5);
        assert!(b.spend(3));
        assert!(!b.spend(3));
        assert!(b.exhausted());
        assert_eq!(b.spent(), 3);
    }
}
