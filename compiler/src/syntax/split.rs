//! Cuts a file into declaration-sized chunks before parsing, so that a syntax
//! error costs one declaration, not the rest of the file.
//!
//! A chunk starts at a declaration keyword that begins a line at brace depth
//! zero, or at column zero whatever the depth (so an unclosed `{` does not
//! swallow the declarations after it). Strings and comments are skipped.

/// The words that start a declaration.
pub const DECL_KEYWORDS: &[&str] =
    &["policy", "enum", "schema", "set", "calendar", "rep", "team", "queue", "tier", "territory", "route", "on", "test", "allow", "table", "free_mail"];

/// Deepest nesting of `(` and `[` the parser accepts.
pub const MAX_NESTING: usize = 64;

/// A byte range of a file holding (at most) one declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// Where nesting first went past [`MAX_NESTING`], if it did.
    pub too_deep_at: Option<usize>,
}

/// Bytes that change nothing once a line has begun (not a line end, a
/// comment's `/`, a quote or a bracket).
pub(super) const PLAIN: [bool; 256] = {
    let mut t = [true; 256];
    let special = *b"\n/\"{}()[]";
    let mut k = 0;
    while k < special.len() {
        t[special[k] as usize] = false;
        k += 1;
    }
    t
};

/// Where the `//` comment at `i` ends: its line end (or the end of the text).
pub(super) fn comment_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i] != b'\n' {
        i += 1;
    }
    i
}

/// Where the string opened by the quote at `i` ends: its closing quote, or
/// the line end where it stops unclosed (or the end of the text).
pub(super) fn string_end(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
        if b[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    i
}

/// Splits `text` into chunks; only chunks holding something other than
/// whitespace and comments are returned.
pub fn split(text: &str) -> Vec<Chunk> {
    split_marked(text).chunks
}

/// A file's chunks, and where its next version's split may resume.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Split {
    /// The chunks, as [`split`] gives them.
    pub chunks: Vec<Chunk>,
    /// The scan's state at a line start every [`MARK_BYTES`] or so inside
    /// chunks: a long declaration (a route of thousands of rules) is
    /// resumed from the last mark before an edit, not from its start.
    marks: Vec<Mark>,
}

/// The scan's state at line start `at` of the chunk starting at `start`
/// (with content, and nesting never too deep).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Mark {
    at: usize,
    start: usize,
    braces: usize,
    nesting: usize,
}

/// Bytes between [`Mark`]s.
const MARK_BYTES: usize = 4096;

/// [`split`], with the marks [`split_again`] resumes from.
pub fn split_marked(text: &str) -> Split {
    scan(text, Mark { at: 0, start: 0, braces: 0, nesting: 0 }, false, Split::default(), None)
}

/// Leave this many bytes between a chunk's start and an edit before
/// trusting the chunk (its keyword must lie before the edit).
pub(super) const MARGIN: usize = 64;

/// [`split_marked`] of `text`, given that `old` is the split of `old_text`
/// (an earlier version of it): the chunks before the first changed byte
/// are kept and the scan restarts at the last chunk start or mark before
/// it; it stops at the first chunk start or mark inside the unchanged end
/// of the text where the old scan was in the same state, after which the
/// chunks are the old ones moved. Typing in a large file scans a few
/// kilobytes around the edit.
pub fn split_again(text: &str, old_text: &str, old: &Split) -> Split {
    let (new_b, old_b) = (text.as_bytes(), old_text.as_bytes());
    let (prefix, suffix) = common_ends(new_b, old_b);
    // The last old chunk start, and the last mark, well before the first change.
    let chunk = old.chunks.partition_point(|c| c.start + MARGIN <= prefix).checked_sub(1);
    let mark = old.marks.partition_point(|m| m.at + MARGIN <= prefix).checked_sub(1).map(|k| old.marks[k]);
    let resync = Resync { old, from: new_b.len() - suffix, delta: new_b.len() as isize - old_b.len() as isize };
    match (chunk, mark) {
        (_, Some(m)) if chunk.is_none_or(|c| old.chunks[c].start < m.at) => {
            // Inside the chunk that starts at `m.start`: the chunks before it stand, and the marks to here.
            let kept = Split {
                chunks: old.chunks[..old.chunks.partition_point(|c| c.start < m.start)].to_vec(),
                marks: old.marks[..old.marks.partition_point(|k| k.at <= m.at)].to_vec(),
            };
            scan(text, m, true, kept, Some(resync))
        }
        (Some(c), _) => {
            let at = old.chunks[c].start;
            let kept = Split { chunks: old.chunks[..c].to_vec(), marks: old.marks[..old.marks.partition_point(|k| k.at < at)].to_vec() };
            scan(text, Mark { at, start: at, braces: 0, nesting: 0 }, false, kept, Some(resync))
        }
        (None, _) => split_marked(text),
    }
}

/// How many leading and trailing bytes `a` and `b` share (not overlapping in the shorter).
pub(super) fn common_ends(a: &[u8], b: &[u8]) -> (usize, usize) {
    // Blocks compared whole (a `memcmp` each), then bytes within the first that differs.
    const BLOCK: usize = 256;
    let n = a.len().min(b.len());
    let same_blocks = a[..n].chunks(BLOCK).zip(b[..n].chunks(BLOCK)).take_while(|(x, y)| x == y).count();
    let from = (same_blocks * BLOCK).min(n);
    let prefix = from + a[from..n].iter().zip(&b[from..n]).take_while(|(x, y)| x == y).count();
    let most = n - prefix;
    let (ta, tb) = (&a[a.len() - most..], &b[b.len() - most..]);
    let same_blocks = ta.rchunks(BLOCK).zip(tb.rchunks(BLOCK)).take_while(|(x, y)| x == y).count();
    let from = (same_blocks * BLOCK).min(most);
    let suffix = from + ta[..most - from].iter().rev().zip(tb[..most - from].iter().rev()).take_while(|(x, y)| x == y).count();
    (prefix, suffix)
}

/// Where a scan may stop and take the old chunks (see [`split_again`]).
struct Resync<'o> {
    old: &'o Split,
    /// Chunk starts and marks from here on are in the unchanged end of the text.
    from: usize,
    /// New place minus old place in that unchanged end.
    delta: isize,
}

impl Resync<'_> {
    fn moved(&self, at: usize) -> usize {
        (at as isize + self.delta) as usize
    }

    /// Ends `out` with the old chunks from the `j`th and the old marks from
    /// the `k`th, moved; the chunk the scan is in (started at `start`, new
    /// place) is the old chunk `j`, when `open`.
    fn finish(&self, mut out: Split, j: usize, k: usize, open: Option<usize>) -> Split {
        let old_start = self.old.chunks.get(j).map(|c| c.start);
        for (i, c) in self.old.chunks[j..].iter().enumerate() {
            let start = match open {
                Some(s) if i == 0 => s,
                _ => self.moved(c.start),
            };
            out.chunks.push(Chunk { start, end: self.moved(c.end), too_deep_at: c.too_deep_at.map(|t| self.moved(t)) });
        }
        for m in &self.old.marks[k..] {
            let start = match open {
                Some(s) if Some(m.start) == old_start => s,
                _ => self.moved(m.start),
            };
            out.marks.push(Mark { at: self.moved(m.at), start, ..*m });
        }
        out
    }
}

/// Splits `text` from `from.at`, in the state of a scan there (in the
/// chunk starting at `from.start`, at a line start), after `out`'s chunks
/// and marks; `has_content` tells whether that chunk has content yet (a
/// fresh start, or at a chunk's first byte: not).
fn scan(text: &str, from: Mark, mut has_content: bool, mut out: Split, resync: Option<Resync>) -> Split {
    let bytes = text.as_bytes();
    let mut start = from.start;
    let mut braces = from.braces;
    let mut nesting = from.nesting;
    let mut too_deep_at = None;
    let mut line_start = true;
    let mut col0 = true;
    let mut i = from.at;
    let mut last_mark = from.at;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                line_start = true;
                col0 = true;
                i += 1;
                if has_content && too_deep_at.is_none() && i < bytes.len() {
                    // In the unchanged end, at a mark where the old scan was in this state: the rest is the old split moved.
                    if let Some(r) = resync.as_ref().filter(|r| i >= r.from) {
                        let was = (i as isize - r.delta) as usize;
                        if let Ok(k) = r.old.marks.binary_search_by_key(&was, |m| m.at) {
                            let m = r.old.marks[k];
                            if (m.braces, m.nesting) == (braces, nesting) {
                                if let Ok(j) = r.old.chunks.binary_search_by_key(&m.start, |c| c.start) {
                                    return r.finish(out, j, k, Some(start));
                                }
                            }
                        }
                    }
                    if i - last_mark >= MARK_BYTES {
                        out.marks.push(Mark { at: i, start, braces, nesting });
                        last_mark = i;
                    }
                }
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                col0 = false;
                i += 1;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = comment_end(bytes, i);
                continue;
            }
            _ => {}
        }
        if line_start && (b.is_ascii_alphabetic()) {
            let word_end = bytes[i..]
                .iter()
                .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                .map_or(bytes.len(), |p| i + p);
            let word = &text[i..word_end];
            if DECL_KEYWORDS.contains(&word) && (braces == 0 || col0) && has_content {
                out.chunks.push(Chunk { start, end: i, too_deep_at });
                // From a chunk start the old scan made in the unchanged end, the rest is the old chunks moved.
                if let Some(r) = resync.as_ref().filter(|r| i >= r.from) {
                    let was = (i as isize - r.delta) as usize;
                    if let Ok(j) = r.old.chunks.binary_search_by_key(&was, |c| c.start) {
                        let k = r.old.marks.partition_point(|m| m.at < was);
                        return r.finish(out, j, k, None);
                    }
                }
                start = i;
                braces = 0;
                nesting = 0;
                too_deep_at = None;
                last_mark = i;
            }
        }
        line_start = false;
        col0 = false;
        has_content = true;
        match b {
            b'"' => i = string_end(bytes, i),
            b'{' => braces += 1,
            b'}' => braces = braces.saturating_sub(1),
            b'(' | b'[' => {
                nesting += 1;
                if nesting > MAX_NESTING && too_deep_at.is_none() {
                    too_deep_at = Some(i);
                }
            }
            b')' | b']' => nesting = nesting.saturating_sub(1),
            _ => {}
        }
        i += 1;
        // Inside a line only line ends, comments, strings and brackets matter: skip the rest.
        while i < bytes.len() && PLAIN[usize::from(bytes[i])] {
            i += 1;
        }
    }
    if has_content {
        out.chunks.push(Chunk { start, end: bytes.len(), too_deep_at });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<&str> {
        split(src).iter().map(|c| src[c.start..c.end].trim_end()).collect()
    }

    #[test]
    fn splits_at_declaration_keywords_on_new_lines() {
        let src = "// c\nteam a { members [x] }\nqueue q { sla 5m }\ntier hot when x > 1\n  sla 5m\n";
        assert_eq!(texts(src), ["// c\nteam a { members [x] }", "queue q { sla 5m }", "tier hot when x > 1\n  sla 5m"]);
    }

    #[test]
    fn an_unclosed_brace_does_not_swallow_the_next_declaration() {
        let src = "team a { members [x]\nqueue q { sla 5m }\n";
        assert_eq!(texts(src).len(), 2);
    }

    #[test]
    fn keywords_inside_blocks_strings_and_comments_do_not_split() {
        let src = "route r {\n  when x -> queue q\n  otherwise -> route s\n}\ntest \"team\n\" {}\n";
        assert_eq!(texts(src).len(), 2);
    }

    #[test]
    fn deep_nesting_is_flagged_not_recursed() {
        let src = format!("tier t when {}x{} sla 5m", "(".repeat(10_000), ")".repeat(10_000));
        let chunks = split(&src);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].too_deep_at, Some(12 + MAX_NESTING));
    }

    #[test]
    fn a_split_again_after_an_edit_is_the_split_of_the_new_text() {
        // A policy-like text of many declarations, edited at random places with
        // the bytes the split acts on; each edit is split again from the last.
        let mut text = String::new();
        // A long route among them: splits resume inside it, from its marks.
        text += "route long {\n";
        for i in 0..400 {
            // Some rules are named like declarations: inside braces they do not start one.
            let name = if i % 10 == 0 { "on".to_string() } else { format!("r{i}") };
            text += &format!("  {name}: when x == \"s{i}\" and (y > {i}) -> queue q\n");
        }
        text += "}\n";
        for i in 0..60 {
            text += &format!("// declaration {i}\nteam t{i} {{ members [a{i}, b{i}] }}\ntier x{i} when (score > {i}) sla 5m\nroute r{i} {{\n  when x == \"s{i}\" -> queue q\n  otherwise -> queue q\n}}\n\n");
        }
        let snippets = ["{", "}", "(", ")", "[", "]", "\"", "//", "/", "\n", "\nteam z { }\n", "\nroute ", "tier", " ", "x", "\n\n", "((((", "\"\n"];
        let mut chunks = split_marked(&text);
        assert!(chunks.marks.len() >= 3, "the long route has marks: {:?}", chunks.marks);
        let mut edits = crate::syntax::random_edits::RandomEdits::new(0x2545_F491_4F6C_DD1D, &snippets, 40);
        let mut resumed = 0;
        for round in 0..800 {
            let (new, at) = edits.edit(&text);
            let again = split_again(&new, &text, &chunks);
            let fresh = split_marked(&new);
            assert_eq!(again.chunks, fresh.chunks, "round {round}: edit at {at}");
            // Each mark is the scan's state where it stands: scanning on from it gives the same chunks.
            for m in again.marks.iter().skip(round % 7).step_by(7) {
                let c = fresh.chunks.partition_point(|c| c.start < m.start);
                let from_mark = scan(&new, *m, true, Split { chunks: fresh.chunks[..c].to_vec(), marks: Vec::new() }, None);
                assert_eq!(from_mark.chunks, fresh.chunks, "round {round}: mark {m:?}");
            }
            resumed += usize::from(at > MARGIN + 200);
            (text, chunks) = (new, again);
        }
        assert!(resumed > 300);
        // An unchanged text, an emptied one, one made from nothing.
        assert_eq!(split_again(&text, &text, &chunks).chunks, chunks.chunks);
        assert_eq!(split_again("", &text, &chunks), split_marked(""));
        assert_eq!(split_again(&text, "", &Split::default()).chunks, chunks.chunks);
    }

    #[test]
    fn common_ends_are_the_bytes_shared_at_both_ends() {
        let naive = |a: &[u8], b: &[u8]| {
            let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
            let most = a.len().min(b.len()) - p;
            (p, a.iter().rev().zip(b.iter().rev()).take(most).take_while(|(x, y)| x == y).count())
        };
        let base: Vec<u8> = (0..2000u32).map(|i| b"abcdefgh\n"[(i % 9) as usize]).collect();
        for at in [0, 1, 255, 256, 257, 700, 1743, 1999, 2000] {
            for (del, ins) in [(0, &b"x"[..]), (1, &b""[..]), (3, &b"abc"[..]), (0, &b"abcdefgh\n"[..]), (300, &b""[..])] {
                let end = (at + del).min(base.len());
                let edited: Vec<u8> = base[..at].iter().chain(ins).chain(&base[end..]).copied().collect();
                assert_eq!(common_ends(&edited, &base), naive(&edited, &base), "at {at}, {del} out, {ins:?} in");
                assert_eq!(common_ends(&base, &edited), naive(&base, &edited));
            }
        }
        assert_eq!(common_ends(b"", b"abc"), (0, 0));
        assert_eq!(common_ends(b"abc", b"abc"), (3, 0));
    }

    #[test]
    fn comments_only_give_no_chunks() {
        assert!(split("// nothing\n\n   // here\n").is_empty());
    }
}
