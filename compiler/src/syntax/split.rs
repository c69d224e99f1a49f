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
    let bytes = text.as_bytes();
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut has_content = false;
    let mut braces = 0usize;
    let mut nesting = 0usize;
    let mut too_deep_at = None;
    let mut line_start = true;
    let mut col0 = true;
    let mut i = 0usize;
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
    fn comments_only_give_no_chunks() {
        assert!(split("// nothing\n\n   // here\n").is_empty());
    }
}
