//! Incremental document sync: an editor sends only the range it changed, not
//! the whole document, on every keystroke (a 10,000-line policy is close to
//! 1 MB of JSON to write, read and copy per character otherwise).

use lsp_types as lsp;

use crate::stale::offset;

/// Applies an editor's changes to `text`, in order: a change with a range
/// replaces that range (a range past the end is clamped to it; a reversed
/// one is read in order), one without replaces the whole text.
pub fn apply(text: &mut String, changes: Vec<lsp::TextDocumentContentChangeEvent>) {
    for c in changes {
        match c.range {
            Some(r) => {
                let (a, b) = (offset(text, r.start), offset(text, r.end));
                text.replace_range(a.min(b)..a.max(b), &c.text);
            }
            None => *text = c.text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadroute_compiler::SourceFile;
    use proptest::prelude::*;

    fn pos(line: u32, character: u32) -> lsp::Position {
        lsp::Position { line, character }
    }

    fn change(range: Option<(lsp::Position, lsp::Position)>, text: &str) -> lsp::TextDocumentContentChangeEvent {
        lsp::TextDocumentContentChangeEvent { range: range.map(|(start, end)| lsp::Range { start, end }), range_length: None, text: text.into() }
    }

    proptest! {
        /// Positions mean here what they mean everywhere else in the server.
        #[test]
        fn offsets_agree_with_the_source_files(text in "(\\PC|[\n\r\té😀𝄞])*", line in 0u32..40, character in 0u32..80) {
            prop_assert_eq!(offset(&text, pos(line, character)), SourceFile::new("t.route", text.clone()).offset_of_utf16(line, character));
        }

        /// Replacing the range between two offsets gives the text spliced there.
        #[test]
        fn a_ranged_change_splices_the_text(text in "([a-z]|[\n]|é|😀){0,60}", a in 0usize..80, b in 0usize..80, new in "([a-z]|[\n]|😀){0,5}") {
            let f = SourceFile::new("t.route", text.clone());
            let (a, b) = (crate::convert::floor_char_boundary(&text, a), crate::convert::floor_char_boundary(&text, b));
            let (lo, hi) = (a.min(b), a.max(b));
            let mut got = text.clone();
            apply(&mut got, vec![change(Some((crate::convert::position(&f, a), crate::convert::position(&f, b))), &new)]);
            prop_assert_eq!(got, format!("{}{}{}", &text[..lo], new, &text[hi..]));
        }
    }

    #[test]
    fn changes_apply_in_order_and_a_change_without_a_range_replaces_everything() {
        let mut text = String::from("territory a when country == \"US\"\nterritory b when country == \"DE\"\n");
        apply(
            &mut text,
            vec![
                // Typing `X` after `"U`, then deleting the `a` of the first name.
                change(Some((pos(0, 30), pos(0, 30))), "X"),
                change(Some((pos(0, 10), pos(0, 11))), ""),
                // A range past the end of a line and of the text is clamped.
                change(Some((pos(1, 99), pos(7, 0))), "\n// end\n"),
            ],
        );
        assert_eq!(text, "territory  when country == \"UXS\"\nterritory b when country == \"DE\"\n// end\n");
        apply(&mut text, vec![change(None, "policy p {}\n"), change(Some((pos(0, 7), pos(0, 8))), "q")]);
        assert_eq!(text, "policy q {}\n");
    }
}
