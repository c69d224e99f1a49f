//! Sharper syntax errors for the mistakes new users make most: a string or
//! a `{` never closed, a misspelt keyword, a missing `->`, a duration with an
//! unknown unit, text in single quotes, `=` for `==`, `&&` for `and`. pest's "expected ..., found ..." is
//! replaced by what went wrong, where it started, and how to fix it.

use std::ops::Range;

use super::split::DECL_KEYWORDS;
use crate::check::suggest::closest;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// The words a rule or block starts with, besides the declaration keywords.
const LINE_KEYWORDS: &[&str] = &["when", "otherwise", "members", "strategy", "expect", "lead", "entry"];

/// The actions a rule's `->` leads to.
const ACTIONS: &[&str] = &["queue", "assign", "drop", "route", "continue", "reassign"];

/// `d` (a syntax error at the chunk `chunk` of `text`), or a sharper diagnostic for the same mistake.
pub fn refine(d: Diagnostic, file: FileId, text: &str, chunk: Range<usize>) -> Diagnostic {
    let Some(at) = d.primary.as_ref().map(|p| p.span.start as usize) else { return d };
    // At the end of input the error points at the last character; it is about what comes after it.
    let at_end = d.primary.as_ref().is_some_and(|p| p.span.end as usize >= chunk.end);
    // What pest wanted tells a condition (where these slips happen) from elsewhere.
    let in_condition = d.message.contains("condition") || d.message.contains("comparison") || d.message.contains("`and`");
    let scan = scan(&text[chunk.clone()]);
    if let Some(open) = scan.open_quote.map(|o| chunk.start + o).filter(|o| *o <= at) {
        return Diagnostic::new(Code::E0001, Span::new(file, open, open + 1), "this string is never closed")
            .label("the string starts here")
            .help("close it with `\"` on the same line: a string cannot run past the end of a line");
    }
    let rest = &text[at..];
    if in_condition && rest.starts_with('=') && !rest.starts_with("==") {
        return Diagnostic::new(Code::E0001, Span::new(file, at, at + 1), "a single `=` does not compare")
            .label("write `==` here")
            .help("compare with `==`: `country == \"US\"`");
    }
    if let Some(op) = ["&&", "||"].into_iter().find(|op| in_condition && rest.starts_with(op)) {
        let word = if op == "&&" { "and" } else { "or" };
        return Diagnostic::new(Code::E0001, Span::new(file, at, at + 2), format!("conditions are joined with `{word}`, not `{op}`"))
            .label(format!("write `{word}` here"))
            .help("combine conditions with the words `and`, `or` and `not`");
    }
    let word = word_at(text, at);
    if in_condition && text[at..].starts_with('\'') {
        let inner: String = text[at + 1..].chars().take_while(|c| *c != '\'' && *c != '\n').collect();
        return Diagnostic::new(Code::E0001, Span::new(file, at, at + 1), "text is written in double quotes")
            .label("a single quote")
            .help(format!("write `\"{inner}\"`"));
    }
    if let Some(w) = &word {
        let token = token_around(text, at);
        if text[token.clone()].starts_with(|c: char| c.is_ascii_digit()) && text[token.clone()].contains(|c: char| c.is_ascii_alphabetic()) {
            let written = &text[token.clone()];
            return Diagnostic::new(Code::E0001, Span::new(file, token.start, token.end), format!("`{written}` is not a duration"))
                .label("unknown unit")
                .help("write a whole number and one unit, with no space: `30s`, `5m` (minutes), `2h`, `1d`, `1w`, or `500ms`");
        }
        let at_line_start = text[..at].rsplit('\n').next().is_some_and(|before| before.trim().is_empty());
        let known = DECL_KEYWORDS.iter().chain(LINE_KEYWORDS).copied();
        if at_line_start && !known.clone().any(|k| k == w) {
            if let Some(best) = closest(w, known) {
                return Diagnostic::new(Code::E0001, Span::new(file, at, at + w.len()), format!("unknown keyword `{w}`"))
                    .label("not a keyword")
                    .help(format!("did you mean `{best}`?"));
            }
        }
        if ACTIONS.contains(&w.as_str()) && d.message.contains("`->`") {
            return Diagnostic::new(Code::E0001, Span::new(file, at, at + w.len()), format!("missing `->` before `{w}`"))
                .label("`->` goes before the action")
                .help(format!("an action follows `->`, in a rule (`when CONDITION -> ACTION`) as in a handler (`on EVENT -> ACTION`): write `-> {w} ...`"));
        }
    }
    if let Some(open) = scan.open_braces.last().map(|o| chunk.start + o).filter(|o| *o < at || at_end) {
        let end_of_chunk = at_end || text[at..chunk.end.max(at)].trim().is_empty();
        if end_of_chunk {
            let mut better = Diagnostic::new(Code::E0001, Span::new(file, open, open + 1), "this `{` is never closed")
                .label("unclosed `{`")
                .help("add the missing `}` at the end of the block");
            if let Some(p) = d.primary.as_ref().filter(|p| p.span.start as usize != open) {
                better = better.with_secondary(p.span, "the block ends here without `}`");
            }
            return better;
        }
    }
    d
}

/// What is still open at the end of a chunk.
struct Scan {
    /// Offset of a `"` whose string runs to the end of its line.
    open_quote: Option<usize>,
    /// Offsets of the `{`s not closed, innermost last.
    open_braces: Vec<usize>,
}

fn scan(piece: &str) -> Scan {
    let bytes = piece.as_bytes();
    let mut open_braces = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => return Scan { open_quote: Some(start), open_braces },
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
            }
            b'{' => open_braces.push(i),
            b'}' => {
                open_braces.pop();
            }
            _ => {}
        }
        i += 1;
    }
    Scan { open_quote: None, open_braces }
}

/// The identifier starting at `at`, if one does.
fn word_at(text: &str, at: usize) -> Option<String> {
    let w: String = text.get(at..)?.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    (!w.is_empty()).then_some(w)
}

/// The run of letters, digits and `_` around `at`.
fn token_around(text: &str, at: usize) -> Range<usize> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let start = text[..at].char_indices().rev().take_while(|(_, c)| is_word(*c)).last().map_or(at, |(i, _)| i);
    let end = text[at..].char_indices().find(|(_, c)| !is_word(*c)).map_or(text.len(), |(i, _)| at + i);
    start..end
}
