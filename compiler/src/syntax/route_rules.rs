//! A long route parsed a rule at a time, each rule's text looked up in the
//! parse cache first: typing in a route of thousands of rules re-parses the
//! rule typed in, not the route (a route of 9,750 rules took 390 ms to parse
//! whole). The route is cut where a rule starts a line (`name:`, `when`,
//! `otherwise`); each piece must parse as exactly one rule with no literal
//! errors, or the route is parsed whole as before, so errors and the tree
//! are the same either way.

use std::sync::Arc;

use pest::Parser;

use super::ast::{Decl, Ident, Memo, RouteDecl, Rule as RouteRule};
use super::grammar::{Rule, RouteParser};
use super::parse::Builder;
use super::rebase::ParseCache;
use super::split::{comment_end, string_end};
use crate::source::{FileId, Span};

/// Routes shorter than this are parsed whole (a few rules parse in microseconds).
pub const MIN_BYTES: usize = 4096;

/// The route declaration in `piece` (a chunk starting with `route`) at
/// `offset` of `file`, built from its rules' kept or newly parsed trees;
/// `None` when the route cannot be cut into rules that each parse cleanly
/// (the caller then parses it whole). The same text at the same place is
/// the same declaration; moved, it keeps what the analyses worked out.
pub(super) fn route_at(piece: &str, file: FileId, offset: usize, cache: &mut ParseCache) -> Option<Arc<Decl>> {
    let b = piece.as_bytes();
    let at = skip_space(b, word(b, skip_space(b, 0))?);
    let name = &piece[at..word(b, at)?];
    let (memo, cut) = match cache.long_route(file, name) {
        Some(last) if last.text == piece && (last.file, last.offset) == (file, offset) => return Some(last.decl.clone()),
        Some(last) if last.text == piece => match &*last.decl {
            Decl::Route(r) => (r.memo.clone(), last.cut.clone()),
            _ => (Memo::default(), Arc::new(cut(piece)?)),
        },
        // Typed into: cut again from where the last version was cut.
        Some(last) => {
            let again = Arc::new(cut_again(piece, &last.text, &last.cut)?);
            (cache.replaced_memo(piece).unwrap_or_default(), again)
        }
        None => (cache.replaced_memo(piece).unwrap_or_default(), Arc::new(cut(piece)?)),
    };
    let mut rules = Vec::with_capacity(cut.rules.len());
    for &(start, end) in &cut.rules {
        let text = &piece[start..end];
        rules.push(cache.rule_at(text, file, offset + start, || parse_rule(text, file, offset + start))?);
    }
    let name = Ident { name: name.to_string(), span: Span::new(file, offset + cut.name.0, offset + cut.name.1) };
    let decl = Arc::new(Decl::Route(RouteDecl { name, rules, span: Span::new(file, offset, offset + cut.close + 1), memo }));
    cache.keep_long_route(file, &piece[cut.name.0..cut.name.1], piece, offset, decl.clone(), cut);
    Some(decl)
}

/// The texts of the rules `piece` (a long route) is cut into; none when it does not cut.
pub(super) fn rule_texts(piece: &str) -> impl Iterator<Item = &str> {
    cut(piece).into_iter().flat_map(|c| c.rules).map(move |(start, end)| &piece[start..end])
}

/// One rule's text (with the whitespace and comments after it) parsed at
/// `offset` of `file`, when it is exactly one rule whose literals are all valid.
fn parse_rule(text: &str, file: FileId, offset: usize) -> Option<RouteRule> {
    let pair = RouteParser::parse(Rule::rule_only, text).ok()?.next()?.into_inner().next()?;
    let mut diags = Vec::new();
    let rule = Builder { file, offset, diags: &mut diags }.rule(pair);
    diags.is_empty().then_some(rule)
}

/// Where a route's name, rules and closing brace are.
#[derive(Debug, PartialEq)]
pub(super) struct Cut {
    /// The name's byte range.
    name: (usize, usize),
    /// Each rule's byte range, from its first token to the next rule's (or the closing brace).
    rules: Vec<(usize, usize)>,
    /// The closing brace's offset.
    close: usize,
}

/// Cuts `route NAME { ... }` into its rules, each starting a line outside
/// strings, comments and brackets. `None` for anything else (no rules, text
/// after the closing brace, a brace inside): the whole parse handles it.
fn cut(piece: &str) -> Option<Cut> {
    let b = piece.as_bytes();
    let mut i = skip_space(b, 0);
    i = word(b, i).filter(|&e| &piece[i..e] == "route")?;
    i = skip_space(b, i);
    let name_end = word(b, i)?;
    let name = (i, name_end);
    i = skip_space(b, name_end);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut starts: Vec<usize> = Vec::new();
    // The first rule may follow the brace on its line.
    let first = skip_space(b, i);
    if rule_starts(b, first) {
        starts.push(first);
    }
    scan_rules(b, name, i, starts, None)
}

/// [`cut`] of `piece`, given `old`, the cut of `old_piece` (the route's
/// last version): the rules before the first changed byte are kept, and
/// the scan stops at the first rule start in the unchanged end that was a
/// rule start before, whose rules are the old ones moved. Typing in a
/// route of thousands of rules scans about one rule.
fn cut_again(piece: &str, old_piece: &str, old: &Cut) -> Option<Cut> {
    use super::split::{common_ends, MARGIN};
    let (new_b, old_b) = (piece.as_bytes(), old_piece.as_bytes());
    let (prefix, suffix) = common_ends(new_b, old_b);
    // The old rules that start (their first word and all) before the first change; the scan restarts at the last.
    let before = old.rules.partition_point(|r| r.0 + MARGIN <= prefix);
    if before == 0 {
        return cut(piece);
    }
    let starts: Vec<usize> = old.rules[..before].iter().map(|r| r.0).collect();
    let resync = RulesResync { old, from: new_b.len() - suffix, delta: new_b.len() as isize - old_b.len() as isize };
    scan_rules(new_b, old.name, old.rules[before - 1].0, starts, Some(resync))
}

/// Where a scan may stop and take the old rules (see [`cut_again`]).
struct RulesResync<'o> {
    old: &'o Cut,
    /// Rule starts from here on are in the unchanged end of the text.
    from: usize,
    /// New place minus old place in that unchanged end.
    delta: isize,
}

/// Cuts the rules of a route from `i` (after its `{`, or at a rule start,
/// at bracket depth zero), after the rule starts `starts`.
fn scan_rules(b: &[u8], name: (usize, usize), mut i: usize, mut starts: Vec<usize>, resync: Option<RulesResync>) -> Option<Cut> {
    let mut depth = 0usize;
    let finish = |starts: Vec<usize>, close: usize| {
        let mut rules: Vec<(usize, usize)> = starts.windows(2).map(|w| (w[0], w[1])).collect();
        rules.push((*starts.last()?, close));
        Some(Cut { name, rules, close })
    };
    while i < b.len() {
        // Most bytes mean nothing here: skip them in a tight loop.
        // (The bytes that matter to the cut are those that matter to the file's split.)
        while i < b.len() && super::split::PLAIN[b[i] as usize] {
            i += 1;
        }
        let Some(&c) = b.get(i) else { break };
        match c {
            b'\n' => {
                // A rule starts a line: look at the line's first byte past blanks.
                i += 1;
                while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r') {
                    i += 1;
                }
                if depth == 0 && rule_starts(b, i) && starts.last() != Some(&i) {
                    starts.push(i);
                    // From a rule start the old cut made in the unchanged end, the rest is the old rules moved.
                    if let Some(r) = resync.as_ref().filter(|r| i >= r.from) {
                        let was = (i as isize - r.delta) as usize;
                        if let Ok(j) = r.old.rules.binary_search_by_key(&was, |rule| rule.0) {
                            let moved = |at: usize| (at as isize + r.delta) as usize;
                            starts.extend(r.old.rules[j + 1..].iter().map(|rule| moved(rule.0)));
                            return finish(starts, moved(r.old.close));
                        }
                    }
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = comment_end(b, i);
                continue;
            }
            b'"' => i = string_end(b, i),
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.checked_sub(1)?,
            b'{' => return None,
            b'}' if depth == 0 => {
                // Only whitespace and comments may follow the route's closing brace.
                if skip_space(b, i + 1) != b.len() || starts.is_empty() {
                    return None;
                }
                return finish(starts, i);
            }
            b'}' => return None,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Past whitespace and comments from `i`.
fn skip_space(b: &[u8], mut i: usize) -> usize {
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b.get(i) == Some(&b'/') && b.get(i + 1) == Some(&b'/') {
            i = comment_end(b, i);
        } else {
            return i;
        }
    }
}

/// The end of the word (a name or keyword) starting at `i`, if one does.
fn word(b: &[u8], i: usize) -> Option<usize> {
    if !b.get(i).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') {
        return None;
    }
    Some(b[i..].iter().position(|c| !(c.is_ascii_alphanumeric() || *c == b'_')).map_or(b.len(), |p| i + p))
}

/// A rule starts at `i`: `when`, `otherwise`, or a name and a colon.
fn rule_starts(b: &[u8], i: usize) -> bool {
    let Some(end) = word(b, i) else { return false };
    match &b[i..end] {
        b"when" | b"otherwise" => true,
        _ => {
            let mut j = end;
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            b.get(j) == Some(&b':')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_file;

    /// The route parsed whole, at offset 0 of file 0.
    fn whole(text: &str) -> Decl {
        let (m, diags) = parse_file(FileId(0), text);
        assert!(diags.is_empty(), "{diags:?}");
        (*m.decls[0]).clone()
    }

    const ROUTE: &str = r#"route main {
  // a comment with when: and otherwise
  enterprise: when employees >= 1000 and country in ["US", "CA"] -> assign team ent by round_robin else continue
  when contains(company, "when:") or
       domain(email) == "x.example" // otherwise
    -> assign rep r1 else assign team t2 else queue review
  mid : when (employees
     >= 100) -> route other
  otherwise -> drop "no match"
}
// trailing
"#;

    #[test]
    fn a_route_cut_into_rules_is_the_tree_parsed_whole() {
        let mut cache = ParseCache::new();
        let cut_once = route_at(ROUTE, FileId(0), 0, &mut cache).expect("the route cuts into rules");
        assert_eq!(*cut_once, whole(ROUTE));
        let Decl::Route(r) = &*cut_once else { panic!("a route") };
        assert_eq!(r.rules.len(), 4);
        // Again, from the cached rules, and with one rule changed.
        assert!(Arc::ptr_eq(&route_at(ROUTE, FileId(0), 0, &mut cache).expect("kept"), &cut_once), "the same text at the same place");
        let edited = ROUTE.replace(">= 1000", ">= 10000");
        assert_eq!(*route_at(&edited, FileId(0), 0, &mut cache).expect("edited"), whole(&edited));
        // Moved (a line inserted above it, in another file): every rule moved with it.
        let moved = format!("\n{edited}");
        let (m, _) = parse_file(FileId(2), &moved);
        assert_eq!(*route_at(&edited, FileId(2), 1, &mut cache).expect("moved"), *m.decls[0]);
    }

    /// The cut as first written, a byte at a time: the reference the
    /// table-driven [`cut`] must agree with.
    fn cut_byte_by_byte(piece: &str) -> Option<Cut> {
        let b = piece.as_bytes();
        let mut i = skip_space(b, 0);
        i = word(b, i).filter(|&e| &piece[i..e] == "route")?;
        i = skip_space(b, i);
        let name_end = word(b, i)?;
        let name = (i, name_end);
        i = skip_space(b, name_end);
        if b.get(i) != Some(&b'{') {
            return None;
        }
        i += 1;
        let mut starts: Vec<usize> = Vec::new();
        let (mut depth, mut line_start) = (0usize, false);
        let first = skip_space(b, i);
        if rule_starts(b, first) {
            starts.push(first);
        }
        while i < b.len() {
            match b[i] {
                b'\n' => {
                    line_start = true;
                    i += 1;
                    continue;
                }
                b' ' | b'\t' | b'\r' => {
                    i += 1;
                    continue;
                }
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    i = comment_end(b, i);
                    continue;
                }
                _ => {}
            }
            if line_start && depth == 0 && rule_starts(b, i) && starts.last() != Some(&i) {
                starts.push(i);
            }
            line_start = false;
            match b[i] {
                b'"' => i = string_end(b, i),
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth = depth.checked_sub(1)?,
                b'{' => return None,
                b'}' if depth == 0 => {
                    if skip_space(b, i + 1) != b.len() || starts.is_empty() {
                        return None;
                    }
                    let mut rules: Vec<(usize, usize)> = starts.windows(2).map(|w| (w[0], w[1])).collect();
                    rules.push((*starts.last()?, i));
                    return Some(Cut { name, rules, close: i });
                }
                b'}' => return None,
                _ => {}
            }
            i += 1;
        }
        None
    }

    #[test]
    fn the_table_driven_cut_agrees_with_the_byte_by_byte_cut() {
        // Every byte the cut acts on (and blanks and a rule's colon), put at every place of a route.
        let mut tried = 0;
        for insert in ["\n", "\r", "\t", " ", "/", "//", "\"", "\\", "(", ")", "[", "]", "{", "}", ":", "\n  x:", "\n when", "\n//c\n otherwise"] {
            for at in (0..=ROUTE.len()).filter(|&i| ROUTE.is_char_boundary(i)) {
                let text = format!("{}{insert}{}", &ROUTE[..at], &ROUTE[at..]);
                assert_eq!(cut(&text), cut_byte_by_byte(&text), "{insert:?} at {at}");
                tried += 1;
            }
        }
        assert!(tried > 5000);
        assert!(cut(ROUTE).is_some_and(|c| c.rules.len() == 4));
    }

    #[test]
    fn a_route_cut_again_after_an_edit_is_the_cut_of_the_new_text() {
        let mut text = String::from("route main {\n");
        for i in 0..80 {
            text += &format!("  r{i}: when country == \"C{i}\" and (score > {i} or x in [1, 2]) -> queue q // rule {i}\n  when y -> queue r\n");
        }
        text += "  otherwise -> queue q\n}\n";
        let snippets = ["(", ")", "[", "]", "{", "}", "\"", "//", "\n", "\n  z: when a -> queue q\n", "\n  otherwise", " ", "x", ":", "\n\n", "\"\n"];
        let mut last = cut(&text).expect("the route cuts");
        let mut edits = crate::syntax::random_edits::RandomEdits::new(0x9E37_79B9_7F4A_7C15, &snippets, 30);
        let (mut resumed, mut cuts) = (0, 0);
        for round in 0..800 {
            let (new, at) = edits.edit(&text);
            let again = cut_again(&new, &text, &last);
            assert_eq!(again, cut(&new), "round {round}: edit at {at}");
            resumed += usize::from(at > 200);
            // Go on from the new text when it still cuts; else edit the last one again.
            if let Some(c) = again {
                cuts += 1;
                (text, last) = (new, c);
            }
        }
        assert!(resumed > 300 && cuts > 300, "{resumed} {cuts}");
    }

    #[test]
    fn routes_that_do_not_cut_cleanly_are_left_to_the_whole_parse() {
        let mut cache = ParseCache::new();
        for text in [
            // Two rules on one line: the piece is not one rule.
            "route a { when x == 1 -> queue q  when x == 2 -> queue r }",
            // A syntax error in a rule.
            "route a {\n when x == -> queue q\n otherwise -> queue r\n}",
            // A literal error (an invalid duration) is reported by the whole parse.
            "route a {\n when employees > 99999999999999999999999 -> queue q\n}",
            // No rules, text after the brace, an unclosed bracket.
            "route a { }",
            "route a {\n otherwise -> queue q\n} x",
            "route a {\n when (x == 1 -> queue q\n}",
        ] {
            assert!(route_at(text, FileId(0), 0, &mut cache).is_none(), "{text}");
        }
    }
}
