//! A complete unified diff (`diff -u` style, three lines of context) of a
//! file against its formatted text: what `leadroute fmt --check` prints.

use super::whole_file_change;

/// One line of the edit script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// In both: (old line, new line).
    Same(usize, usize),
    /// Only in the old text.
    Del(usize),
    /// Only in the new text.
    Ins(usize),
}

/// Lines of context around each change.
const CONTEXT: usize = 3;
/// Above this many cells the differing middle is shown as one replacement
/// instead of being aligned line by line (memory stays bounded).
const MAX_CELLS: usize = 4_000_000;

/// The edit script from `a` to `b`: common prefix and suffix, and a longest
/// common subsequence of the middle.
fn script(a: &[&str], b: &[&str]) -> Vec<Op> {
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..].iter().rev().zip(b[pre..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (ma, mb) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    let mut ops: Vec<Op> = (0..pre).map(|i| Op::Same(i, i)).collect();
    if ma.len().saturating_mul(mb.len()) <= MAX_CELLS {
        // lcs[i][j]: the LCS length of ma[i..] and mb[j..].
        let w = mb.len() + 1;
        let mut lcs = vec![0u32; (ma.len() + 1) * w];
        for i in (0..ma.len()).rev() {
            for j in (0..mb.len()).rev() {
                lcs[i * w + j] = if ma[i] == mb[j] { lcs[(i + 1) * w + j + 1] + 1 } else { lcs[(i + 1) * w + j].max(lcs[i * w + j + 1]) };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < ma.len() || j < mb.len() {
            if i < ma.len() && j < mb.len() && ma[i] == mb[j] {
                ops.push(Op::Same(pre + i, pre + j));
                (i, j) = (i + 1, j + 1);
            } else if i < ma.len() && (j == mb.len() || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
                // Removed lines before added ones, as `diff -u` shows a replacement.
                ops.push(Op::Del(pre + i));
                i += 1;
            } else {
                ops.push(Op::Ins(pre + j));
                j += 1;
            }
        }
    } else {
        ops.extend((0..ma.len()).map(|i| Op::Del(pre + i)));
        ops.extend((0..mb.len()).map(|j| Op::Ins(pre + j)));
    }
    ops.extend((0..suf).map(|k| Op::Same(a.len() - suf + k, b.len() - suf + k)));
    ops
}

/// `start,count` of a hunk side (`start` is 1-based; for an empty side, the
/// line before it, as `diff -u` writes it).
fn range(start: usize, count: usize) -> String {
    if count == 0 {
        format!("{start},0")
    } else {
        format!("{},{count}", start + 1)
    }
}

/// The unified diff of `old` against `new`, with `--- name` / `+++ name (formatted)`
/// headers; every changed line is shown. A byte-order mark, CRLF line ends or
/// a missing final newline, when that is all that differs, are named as
/// such. Empty when the texts are equal.
pub fn unified_diff(name: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let old_body = old.strip_prefix('\u{FEFF}').unwrap_or(old);
    let a: Vec<&str> = old_body.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut out = format!("--- {name}\n+++ {name} (formatted)\n");
    if a == b {
        out.push_str(&format!("@@ whole file @@ {}\n", whole_file_change(old)));
        return out;
    }
    let ops = script(&a, &b);
    let changed: Vec<usize> = ops.iter().enumerate().filter(|(_, o)| !matches!(o, Op::Same(..))).map(|(k, _)| k).collect();
    let mut k = 0;
    while k < changed.len() {
        // A hunk: changes closer than two contexts apart share one.
        let first = changed[k];
        let mut last = first;
        while k + 1 < changed.len() && changed[k + 1] - last <= 2 * CONTEXT {
            k += 1;
            last = changed[k];
        }
        k += 1;
        let (from, to) = (first.saturating_sub(CONTEXT), (last + CONTEXT + 1).min(ops.len()));
        let hunk = &ops[from..to];
        let old_start = hunk.iter().find_map(|o| match o {
            Op::Same(i, _) | Op::Del(i) => Some(*i),
            Op::Ins(_) => None,
        });
        let new_start = hunk.iter().find_map(|o| match o {
            Op::Same(_, j) | Op::Ins(j) => Some(*j),
            Op::Del(_) => None,
        });
        let old_count = hunk.iter().filter(|o| !matches!(o, Op::Ins(_))).count();
        let new_count = hunk.iter().filter(|o| !matches!(o, Op::Del(_))).count();
        // An empty side starts after the lines before the hunk on that side.
        let before = |side_old: bool| {
            ops[..from]
                .iter()
                .filter(|o| match o {
                    Op::Same(..) => true,
                    Op::Del(_) => side_old,
                    Op::Ins(_) => !side_old,
                })
                .count()
        };
        let os = old_start.unwrap_or_else(|| before(true));
        let ns = new_start.unwrap_or_else(|| before(false));
        out.push_str(&format!("@@ -{} +{} @@\n", range(os, old_count), range(ns, new_count)));
        for o in hunk {
            let (sign, line) = match *o {
                Op::Same(i, _) => (' ', a[i]),
                Op::Del(i) => ('-', a[i]),
                Op::Ins(j) => ('+', b[j]),
            };
            out.push(sign);
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies a unified diff's hunks to `old`: the diff must turn it into `new`.
    fn apply(old: &str, diff: &str) -> String {
        let a: Vec<&str> = old.lines().collect();
        let mut out: Vec<String> = Vec::new();
        let mut next = 0; // the next old line not yet copied
        let mut lines = diff.lines().skip(2).peekable();
        while let Some(head) = lines.next() {
            let start: usize = head.trim_start_matches("@@ -").split([',', ' ']).next().and_then(|s| s.parse().ok()).expect("a hunk header");
            let count: usize = head.split(',').nth(1).and_then(|s| s.split(' ').next()).and_then(|s| s.parse().ok()).expect("a count");
            let at = if count == 0 { start } else { start - 1 };
            out.extend(a[next..at].iter().map(|s| s.to_string()));
            next = at;
            while let Some(l) = lines.peek().filter(|l| !l.starts_with("@@")) {
                match l.split_at(1) {
                    (" ", rest) => {
                        assert_eq!(a[next], rest, "context matches the old text");
                        out.push(rest.to_string());
                        next += 1;
                    }
                    ("-", rest) => {
                        assert_eq!(a[next], rest, "a removed line is the old text's");
                        next += 1;
                    }
                    (_, rest) => out.push(rest.to_string()),
                }
                lines.next();
            }
        }
        out.extend(a[next..].iter().map(|s| s.to_string()));
        out.iter().map(|l| format!("{l}\n")).collect()
    }

    #[test]
    fn every_change_is_in_the_diff_and_applying_it_gives_the_new_text() {
        let old: String = (1..=40).map(|i| format!("line {i}\n")).collect();
        let new = old.replace("line 2\n", "line two\n").replace("line 20\n", "").replace("line 39\n", "line 39\nextra\n");
        let d = unified_diff("p.route", &old, &new);
        assert_eq!(d.matches("\n@@ ").count() + usize::from(d.starts_with("@@")), 3, "three separate hunks:\n{d}");
        assert!(d.contains("-line 2\n+line two\n") && d.contains("-line 20\n") && d.contains("+extra\n"), "{d}");
        assert!(d.contains("@@ -1,5 +1,5 @@"), "{d}");
        assert_eq!(apply(&old, &d), new);
    }

    #[test]
    fn changes_close_together_share_a_hunk_and_insertions_at_the_start_count_from_zero() {
        let old = "a\nb\nc\nd\n";
        let new = "x\na\nb\nC\nd\n";
        let d = unified_diff("f", old, new);
        assert_eq!(d, "--- f\n+++ f (formatted)\n@@ -1,4 +1,5 @@\n+x\n a\n b\n-c\n+C\n d\n");
        assert_eq!(apply(old, &d), new);
        assert_eq!(unified_diff("f", "a\n", "a\n"), "");
        assert!(unified_diff("f", "a\r\n", "a\n").contains("CRLF"));
    }
}
