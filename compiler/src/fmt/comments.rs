//! Comments are not in the syntax tree (the grammar skips them): this finds
//! them in the text and decides which item of a block each one belongs to.

/// One `//` comment as written.
#[derive(Debug, Clone)]
pub(crate) struct Comment {
    /// Byte offset of the `//`.
    pub start: usize,
    /// One past its last byte (trailing whitespace and `\r` left out).
    pub end: usize,
    /// The text from `//` on, trailing whitespace removed.
    pub text: String,
    /// Only whitespace precedes it on its line.
    pub own_line: bool,
}

/// Every comment of `text`, in order. Strings are skipped, so a `//` inside
/// quotes is not a comment.
pub(crate) fn scan(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut line_start = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                i += 1;
                line_start = i;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i < bytes.len() && bytes[i] == b'"' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let start = i;
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                let raw = text[start..i].trim_end();
                let own_line = text[line_start..start].trim().is_empty();
                out.push(Comment { start, end: start + raw.len(), text: raw.to_string(), own_line });
            }
            _ => i += 1,
        }
    }
    out
}

/// True when a whole line between `from` and `to` is empty (whitespace only).
pub(crate) fn has_blank_line(text: &str, from: usize, to: usize) -> bool {
    if from >= to {
        return false;
    }
    let parts: Vec<&str> = text[from..to].split('\n').collect();
    parts.len() >= 3 && parts[1..parts.len() - 1].iter().any(|l| l.trim().is_empty())
}

/// An own-line comment placed before an item (or at the end of a block).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Leading {
    /// Index into the comment list.
    pub comment: usize,
    /// The source had a blank line before it.
    pub blank_before: bool,
}

/// The comments that belong to one item of a block.
#[derive(Debug, Clone, Default)]
pub(crate) struct Slot {
    /// Own-line comments just before the item.
    pub leading: Vec<Leading>,
    /// The source had a blank line just before the item (after its last leading comment, if any).
    pub blank_before: bool,
    /// Comments inside the item's span, in order.
    pub inner: Vec<usize>,
    /// Comments after the item on the line where it ends.
    pub trailing: Vec<usize>,
}

/// How the comments of one block (or of the whole file) attach to its items.
#[derive(Debug, Clone, Default)]
pub(crate) struct Attached {
    /// Comments on the opening line after `{` (not on a line of their own, not after an item).
    pub header: Vec<usize>,
    /// One slot per item, in the items' order.
    pub slots: Vec<Slot>,
    /// Own-line comments after the last item.
    pub tail: Vec<Leading>,
}

/// Attaches the comments `which` (indexes into `comments`, in order) to the
/// items of a block. `items` are the items' byte ranges in source order;
/// `region_start` is where the block's inside begins (after `{`, or 0 for a file).
pub(crate) fn attach(text: &str, comments: &[Comment], which: &[usize], region_start: usize, items: &[(usize, usize)]) -> Attached {
    let mut att = Attached { slots: vec![Slot::default(); items.len()], ..Attached::default() };
    // Ends of everything already placed, to find the gap before the next thing.
    let mut last_end = region_start;
    let mut pending: Vec<Leading> = Vec::new();
    let mut next_item = 0usize;
    let flush_items_before = |pos: usize, att: &mut Attached, pending: &mut Vec<Leading>, last_end: &mut usize, next_item: &mut usize| {
        while *next_item < items.len() && items[*next_item].0 <= pos {
            let (start, end) = items[*next_item];
            let slot = &mut att.slots[*next_item];
            slot.leading = std::mem::take(pending);
            slot.blank_before = has_blank_line(text, *last_end, start);
            *last_end = end;
            *next_item += 1;
        }
    };
    for &ci in which {
        let c = &comments[ci];
        flush_items_before(c.start, &mut att, &mut pending, &mut last_end, &mut next_item);
        // Inside an item?
        if next_item > 0 {
            let (s, e) = items[next_item - 1];
            if s <= c.start && c.start < e {
                att.slots[next_item - 1].inner.push(ci);
                continue;
            }
            if !text[e..c.start].contains('\n') {
                att.slots[next_item - 1].trailing.push(ci);
                last_end = last_end.max(c.end);
                continue;
            }
        }
        if !c.own_line && next_item == 0 {
            att.header.push(ci);
            last_end = last_end.max(c.end);
            continue;
        }
        pending.push(Leading { comment: ci, blank_before: has_blank_line(text, last_end, c.start) });
        last_end = c.end;
    }
    flush_items_before(usize::MAX, &mut att, &mut pending, &mut last_end, &mut next_item);
    att.tail = pending;
    att
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_hide_comment_markers() {
        let c = scan("set s = [\"a//b\", \"\\\"//\"] // real\n");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].text, "// real");
        assert!(!c[0].own_line);
    }

    #[test]
    fn comments_lose_trailing_whitespace_and_carriage_returns() {
        let c = scan("  // a  \r\nx // b\r\n");
        assert_eq!(c.iter().map(|c| (c.text.as_str(), c.own_line)).collect::<Vec<_>>(), [("// a", true), ("// b", false)]);
    }

    #[test]
    fn leading_trailing_header_and_tail_comments_attach_to_their_items() {
        let text = "{ // h\n  // lead\n  a // trail\n\n  b\n  // tail\n}";
        let items = [(text.find("a //").unwrap_or(0), text.find("a //").unwrap_or(0) + 1), (text.find("b\n").unwrap_or(0), text.find("b\n").unwrap_or(0) + 1)];
        let comments = scan(text);
        let which: Vec<usize> = (0..comments.len()).collect();
        let att = attach(text, &comments, &which, 1, &items);
        assert_eq!(att.header, [0]);
        assert_eq!(att.slots[0].leading, [Leading { comment: 1, blank_before: false }]);
        assert_eq!(att.slots[0].trailing, [2]);
        assert!(att.slots[1].blank_before);
        assert_eq!(att.tail, [Leading { comment: 3, blank_before: false }]);
    }
}
