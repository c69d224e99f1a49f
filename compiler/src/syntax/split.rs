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
const PLAIN: [bool; 256] = {
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
    scan(text, 0, Vec::new(), None)
}

/// Leave this many bytes between a chunk's start and an edit before
/// trusting the chunk (its keyword must lie before the edit).
const MARGIN: usize = 64;

/// [`split`] of `text`, given that `old` is the split of `old_text` (an
/// earlier version of it): the chunks before the first changed byte are
/// kept, and the scan stops at the first chunk start inside the unchanged
/// end of the text that was a chunk start before, whose chunks are the old
/// ones moved. Typing in a large file scans about one declaration.
pub fn split_again(text: &str, old_text: &str, old: &[Chunk]) -> Vec<Chunk> {
    let (new_b, old_b) = (text.as_bytes(), old_text.as_bytes());
    let prefix = new_b.iter().zip(old_b).position(|(a, b)| a != b).unwrap_or(new_b.len().min(old_b.len()));
    let most = new_b.len().min(old_b.len()) - prefix;
    let suffix = new_b.iter().rev().zip(old_b.iter().rev()).take(most).position(|(a, b)| a != b).unwrap_or(most);
    // The old chunks that start (keyword and all) before the first change; the scan restarts at the last.
    let before = old.partition_point(|c| c.start + MARGIN <= prefix);
    if before == 0 {
        return split(text);
    }
    let restart = old[before - 1].start;
    let resync = Resync { old, from: new_b.len() - suffix, delta: new_b.len() as isize - old_b.len() as isize };
    scan(text, restart, old[..before - 1].to_vec(), Some(resync))
}

/// Where a scan may stop and take the old chunks (see [`split_again`]).
struct Resync<'o> {
    old: &'o [Chunk],
    /// Chunk starts from here on are in the unchanged end of the text.
    from: usize,
    /// New place minus old place in that unchanged end.
    delta: isize,
}

/// Splits `text` from `from` (0, or the start of a chunk, where the scan's
/// state is that of a fresh start) after the chunks `chunks`.
fn scan(text: &str, from: usize, mut chunks: Vec<Chunk>, resync: Option<Resync>) -> Vec<Chunk> {
    let bytes = text.as_bytes();
    let mut start = from;
    let mut has_content = false;
    let mut braces = 0usize;
    let mut nesting = 0usize;
    let mut too_deep_at = None;
    let mut line_start = true;
    let mut col0 = true;
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                line_start = true;
                col0 = true;
                i += 1;
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
                chunks.push(Chunk { start, end: i, too_deep_at });
                // From a chunk start the old scan made in the unchanged end, the rest is the old chunks moved.
                if let Some(r) = resync.as_ref().filter(|r| i >= r.from) {
                    let was = (i as isize - r.delta) as usize;
                    if let Ok(j) = r.old.binary_search_by_key(&was, |c| c.start) {
                        let moved = |at: usize| (at as isize + r.delta) as usize;
                        chunks.extend(r.old[j..].iter().map(|c| Chunk { start: moved(c.start), end: moved(c.end), too_deep_at: c.too_deep_at.map(moved) }));
                        return chunks;
                    }
                }
                start = i;
                braces = 0;
                nesting = 0;
                too_deep_at = None;
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
        chunks.push(Chunk { start, end: bytes.len(), too_deep_at });
    }
    chunks
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
        for i in 0..60 {
            text += &format!("// declaration {i}\nteam t{i} {{ members [a{i}, b{i}] }}\ntier x{i} when (score > {i}) sla 5m\nroute r{i} {{\n  when x == \"s{i}\" -> queue q\n  otherwise -> queue q\n}}\n\n");
        }
        let snippets = ["{", "}", "(", ")", "[", "]", "\"", "//", "/", "\n", "\nteam z { }\n", "\nroute ", "tier", " ", "x", "\n\n", "((((", "\"\n"];
        let mut chunks = split(&text);
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut resumed = 0;
        for round in 0..600 {
            let at = next(text.len() + 1);
            let new = if next(3) == 0 && at < text.len() {
                // Delete a few bytes.
                let end = (at + 1 + next(40)).min(text.len());
                format!("{}{}", &text[..at], &text[end..])
            } else {
                format!("{}{}{}", &text[..at], snippets[next(snippets.len())], &text[at..])
            };
            let again = split_again(&new, &text, &chunks);
            assert_eq!(again, split(&new), "round {round}: edit at {at}");
            resumed += usize::from(at > MARGIN + 200);
            (text, chunks) = (new, again);
        }
        assert!(resumed > 300);
        // An unchanged text, an emptied one, one made from nothing.
        assert_eq!(split_again(&text, &text, &chunks), chunks);
        assert_eq!(split_again("", &text, &chunks), split(""));
        assert_eq!(split_again(&text, "", &[]), chunks);
    }

    #[test]
    fn comments_only_give_no_chunks() {
        assert!(split("// nothing\n\n   // here\n").is_empty());
    }
}
