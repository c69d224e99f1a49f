//! Large enums read without the general parser: an `enum` of thousands of
//! variants (industry codes, say) is a list of names, and typing in it
//! should not cost a full parse of every name on each keystroke.
//!
//! [`parse`] reads `enum NAME { a, b, c }` (the grammar's `enum_decl`, with
//! its whitespace and `//` comments) into the tree the general parser
//! builds, or gives up (`None`) on anything else, which the general parser
//! then reads and reports as ever.

use super::ast::{Decl, EnumDecl, Ident};
use crate::source::{FileId, Span};

/// Enums shorter than this are left to the general parser (it reads a few
/// names in microseconds).
pub const MIN_BYTES: usize = 2048;

/// Names the grammar reserves (`reserved`): not a variant's name.
const RESERVED: &[&[u8]] =
    &[b"and", b"or", b"not", b"in", b"is", b"present", b"missing", b"true", b"false", b"when", b"otherwise", b"else", b"continue", b"null"];

/// The enum declared by `piece` (a chunk of `file` starting at `offset`), when
/// it is exactly one well-formed `enum` declaration; `None` otherwise.
pub fn parse(piece: &str, file: FileId, offset: usize) -> Option<Decl> {
    let b = piece.as_bytes();
    let ident = |start: usize| -> Option<(Ident, usize)> {
        let end = name_end(b, start)?;
        let word = &b[start..end];
        if RESERVED.contains(&word) {
            return None;
        }
        Some((Ident { name: piece[start..end].to_string(), span: Span::new(file, offset + start, offset + end) }, end))
    };
    let start = skip(b, 0)?;
    let after_keyword = start + 4;
    if b.get(start..after_keyword) != Some(b"enum") || b.get(after_keyword).is_some_and(|c| is_name_byte(*c)) {
        return None;
    }
    let (name, mut i) = ident(skip(b, after_keyword)?)?;
    i = skip(b, i)?;
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip(b, i + 1)?;
    let mut variants = Vec::new();
    // `{ }`, or names separated by commas, with a comma after the last allowed.
    while b.get(i) != Some(&b'}') {
        let (v, end) = ident(i)?;
        variants.push(v);
        i = skip(b, end)?;
        match b.get(i) {
            Some(b',') => i = skip(b, i + 1)?,
            Some(b'}') => {}
            _ => return None,
        }
    }
    let end = i + 1;
    // Only whitespace and comments may follow the closing brace.
    if skip(b, end)? != b.len() {
        return None;
    }
    Some(Decl::Enum(EnumDecl { name, variants, span: Span::new(file, offset + start, offset + end) }))
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The end of the name starting at `i` (a letter or `_`, then letters, digits and `_`).
fn name_end(b: &[u8], i: usize) -> Option<usize> {
    if !b.get(i).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') {
        return None;
    }
    Some(b[i..].iter().position(|c| !is_name_byte(*c)).map_or(b.len(), |p| i + p))
}

/// Past the grammar's whitespace (space, tab, line ends) and `//` comments
/// from `i`; `None` at anything the general parser had better judge (a
/// byte-order mark, say).
fn skip(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        match b.get(i) {
            Some(b' ' | b'\t' | b'\r' | b'\n') => i += 1,
            Some(b'/') if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            Some(c) if !c.is_ascii() => return None,
            _ => return Some(i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_file;

    /// What the general parser makes of `text`: its one declaration, or nothing when it reports errors.
    fn general(text: &str) -> Option<Decl> {
        let (m, diags) = parse_file(FileId(3), text);
        (diags.is_empty() && m.decls.len() == 1).then(|| (*m.decls[0]).clone())
    }

    const ENUM: &str = "// industries\nenum Industry { // the codes\n  naics_1111, naics_1112 ,\n\tnaics_2211,\r\n  _x9, // last\n}\n// after\n";

    #[test]
    fn a_large_enum_read_fast_is_the_tree_the_general_parser_builds() {
        let mut tried = 0;
        let mut fast = 0;
        // The enum, and the enum with each of these put at every place: whatever
        // the fast reader accepts, the general parser reads the same way.
        for insert in ["", " ", "\n", ",", ",,", "{", "}", "//", "x", "9", "and", " and ", " in,", "é", "\u{FEFF}", "/", "\"s\"", " b c ", "enum"] {
            for at in (0..=ENUM.len()).filter(|&i| ENUM.is_char_boundary(i)) {
                let text = format!("{}{insert}{}", &ENUM[..at], &ENUM[at..]);
                // The fast reader is given one chunk of a file at a time.
                let mine = (crate::syntax::split::split(&text).len() == 1).then(|| parse(&text, FileId(3), 0)).flatten();
                if let Some(d) = &mine {
                    fast += 1;
                    assert_eq!(Some(d), general(&text).as_ref(), "{insert:?} at {at}: {text:?}");
                }
                tried += 1;
                if insert.is_empty() {
                    break;
                }
            }
        }
        assert!(fast > tried / 4, "most variations are read fast: {fast} of {tried}");
        let Some(Decl::Enum(e)) = parse(ENUM, FileId(3), 7) else { panic!("the enum is read fast") };
        assert_eq!(e.variants.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["naics_1111", "naics_1112", "naics_2211", "_x9"]);
        assert_eq!(e.variants[0].span, Span::new(FileId(3), 7 + ENUM.find("naics_1111").unwrap_or(0), 7 + ENUM.find("naics_1111").unwrap_or(0) + 10));
        // A large one, as a file's chunk at an offset, against the general parser's tree of the same chunk.
        let names: Vec<String> = (0..3000).map(|i| format!("code_{i}")).collect();
        let large = format!("enum Codes {{\n  {}\n}}\n\n", names.join(",\n  "));
        let pair = {
            use pest::Parser;
            let pairs = crate::syntax::grammar::RouteParser::parse(crate::syntax::grammar::Rule::decl_only, &large).expect("the general parser reads it");
            pairs.into_iter().next().and_then(|p| p.into_inner().next()).expect("one declaration")
        };
        let mut diags = Vec::new();
        let by_general = crate::syntax::parse::Builder { file: FileId(1), offset: 500, diags: &mut diags }.decl(pair);
        assert!(large.len() >= MIN_BYTES && diags.is_empty());
        assert_eq!(parse(&large, FileId(1), 500), Some(by_general));
        assert!(parse("enum E { }", FileId(0), 0).is_some_and(|d| matches!(d, Decl::Enum(e) if e.variants.is_empty())));
        for broken in ["enum E { a b }", "enum E { , a }", "enum E { a,, }", "enum E { and }", "enum E { a } x", "enumE { a }", "enum E a }", "enum E { a"] {
            assert_eq!(parse(broken, FileId(0), 0), None, "{broken}");
        }
    }
}
