//! Answering from an analysis of an older text: offsets of the current text
//! map to the older one outside the region an edit changed (the common
//! prefix and suffix of the two texts), and back.

use lsp_types as lsp;

/// How the offsets of two versions of a file correspond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shift {
    /// Bytes both texts start with.
    prefix: usize,
    /// Bytes both texts end with (not overlapping the prefix).
    suffix: usize,
    old_len: usize,
    new_len: usize,
}

impl Shift {
    /// The correspondence between `old` and `new`.
    pub fn between(old: &str, new: &str) -> Shift {
        let (o, n) = (old.as_bytes(), new.as_bytes());
        let prefix = o.iter().zip(n).take_while(|(a, b)| a == b).count();
        let max_suffix = o.len().min(n.len()) - prefix;
        let suffix = o.iter().rev().zip(n.iter().rev()).take(max_suffix).take_while(|(a, b)| a == b).count();
        Shift { prefix, suffix, old_len: o.len(), new_len: n.len() }
    }

    /// The offset in the old text of a new-text offset outside the edit.
    pub fn to_old(self, at: usize) -> Option<usize> {
        Self::map(at, self.prefix, self.new_len, self.old_len, self.suffix)
    }

    /// The offset in the new text of an old-text offset outside the edit.
    pub fn to_new(self, at: usize) -> Option<usize> {
        Self::map(at, self.prefix, self.old_len, self.new_len, self.suffix)
    }

    /// The bytes of the new text the edit wrote (empty for a deletion).
    pub fn edited(&self) -> std::ops::Range<usize> {
        self.prefix.min(self.new_len - self.suffix)..self.new_len - self.suffix
    }

    fn map(at: usize, prefix: usize, from_len: usize, to_len: usize, suffix: usize) -> Option<usize> {
        let at = at.min(from_len);
        if at <= prefix {
            Some(at)
        } else if at >= from_len - suffix {
            // `to_len >= suffix`, so this does not go below zero.
            Some(at + to_len - from_len)
        } else {
            None
        }
    }
}

/// The byte offset of a protocol position in `text` (clamped, as
/// [`leadroute_compiler::SourceFile::offset_of_utf16`] does).
pub fn offset(text: &str, pos: lsp::Position) -> usize {
    let mut start = 0;
    for _ in 0..pos.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let mut units = 0u32;
    for (i, ch) in text[start..].char_indices() {
        if units >= pos.character || ch == '\n' {
            return start + i;
        }
        units += ch.len_utf16() as u32;
    }
    text.len()
}

/// The protocol position of a byte offset of `text` (an offset inside a
/// character counts as that character's start).
pub fn position(text: &str, at: usize) -> lsp::Position {
    let at = crate::convert::floor_char_boundary(text, at);
    let before = &text[..at];
    let line = before.bytes().filter(|&b| b == b'\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    // `\r` before `\n` counts as a character of the line, as the compiler's positions do.
    let character = before[line_start..].encode_utf16().count() as u32;
    lsp::Position { line, character }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadroute_compiler::SourceFile;
    use proptest::prelude::*;

    proptest! {
        /// Offsets outside the edit map to the same text in the other version,
        /// and back.
        #[test]
        fn offsets_outside_an_edit_keep_their_text(old in "[a-c\n]{0,40}", cut in 0usize..40, del in 0usize..5, ins in "[a-c\n]{0,5}", at in 0usize..50) {
            let cut = cut.min(old.len());
            let end = (cut + del).min(old.len());
            let new = format!("{}{ins}{}", &old[..cut], &old[end..]);
            let s = Shift::between(&old, &new);
            let at = at.min(new.len());
            if let Some(o) = s.to_old(at) {
                // Before the edit the texts agree up to the offset; after it, from it on.
                prop_assert!(old[..o] == new[..at] || old[o..] == new[at..]);
            }
            let at = at.min(old.len());
            if let Some(n) = s.to_new(at) {
                prop_assert!(new[..n] == old[..at] || new[n..] == old[at..]);
            }
            // The ends of the texts are outside any edit.
            prop_assert_eq!(s.to_old(0), Some(0));
            prop_assert!(s.to_old(new.len()).is_some() && s.to_new(old.len()).is_some());
        }

        /// Positions agree with the compiler's conversions.
        #[test]
        fn positions_agree_with_source_files(text in "(\\PC|[\n\r\té😀])*", line in 0u32..10, character in 0u32..20, at in 0usize..200) {
            let f = SourceFile::new("t.route", text.clone());
            let pos = lsp::Position { line, character };
            prop_assert_eq!(offset(&text, pos), f.offset_of_utf16(line, character));
            let at = crate::convert::floor_char_boundary(&text, at);
            let (l, c) = f.line_utf16(at);
            prop_assert_eq!(position(&text, at), lsp::Position { line: l, character: c });
        }
    }
}
