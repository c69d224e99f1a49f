//! The two lexical facts the editor features scan text for: where a `//`
//! comment ends and where a string literal ends.

/// The end of the `//` comment starting at `i` (before the line break).
pub fn comment_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
        i += 1;
    }
    i
}

/// The end (after the closing quote) of the string starting at `i`; an
/// unterminated string ends at the line break.
pub fn string_end(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
        i += if b[i] == b'\\' { 2 } else { 1 };
    }
    (i + 1).min(b.len())
}
