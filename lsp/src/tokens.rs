//! Semantic tokens (names coloured by what they denote) and folding ranges.

use leadroute_compiler::FileId;
use lsp_types as lsp;

use crate::index::Kind;
use crate::workspace::Analysis;

/// The token types, in legend order.
pub const TOKEN_TYPES: &[lsp::SemanticTokenType] = &[
    lsp::SemanticTokenType::KEYWORD,
    lsp::SemanticTokenType::PROPERTY,
    lsp::SemanticTokenType::ENUM_MEMBER,
    lsp::SemanticTokenType::ENUM,
    lsp::SemanticTokenType::CLASS,
    lsp::SemanticTokenType::TYPE,
    lsp::SemanticTokenType::FUNCTION,
    lsp::SemanticTokenType::VARIABLE,
    lsp::SemanticTokenType::NAMESPACE,
    lsp::SemanticTokenType::STRING,
    lsp::SemanticTokenType::NUMBER,
    lsp::SemanticTokenType::COMMENT,
    lsp::SemanticTokenType::OPERATOR,
];

/// The token modifiers, in legend order.
pub const TOKEN_MODIFIERS: &[lsp::SemanticTokenModifier] = &[lsp::SemanticTokenModifier::DECLARATION];

const KEYWORDS: &[&str] = &[
    "policy", "enum", "schema", "set", "rep", "team", "queue", "tier", "territory", "route", "on", "test", "owner", "timezone", "entry",
    "email", "weight", "capacity", "open", "per", "day", "hours", "skills", "active", "members", "strategy", "sla", "when", "otherwise",
    "assign", "by", "drop", "else", "continue", "assume", "lead", "state", "now", "expect", "and", "or", "not", "in", "is", "present",
    "missing", "true", "false", "null", "list", "string", "int", "float", "bool", "time", "table", "from", "key", "alias",
    "free_mail",
];

fn kind_type(k: Kind) -> u32 {
    match k {
        Kind::Field => 1,
        Kind::Variant => 2,
        Kind::Enum => 3,
        Kind::Rep | Kind::Team | Kind::Queue | Kind::Calendar => 4,
        Kind::Tier | Kind::Territory => 5,
        Kind::Route | Kind::Rule => 6,
        Kind::Set | Kind::Table => 7,
        Kind::Policy => 8,
        Kind::Column => 1,
    }
}

/// Every token of a file, in order, as (start, end, type, modifiers), given to `emit`.
fn raw_tokens(a: &Analysis, file: FileId, mut emit: impl FnMut((usize, usize, u32, u32))) {
    let text = &a.sources.get(file).text;
    let mut names: Vec<(usize, usize, u32, u32)> = a
        .index()
        .occurrences
        .iter()
        .filter(|o| o.span.file == file)
        .map(|o| (o.span.start as usize, o.span.end as usize, kind_type(o.kind), u32::from(o.is_decl)))
        .collect();
    names.sort_unstable();
    let b = text.as_bytes();
    let mut i = 0;
    let mut next_name = 0;
    while i < b.len() {
        while next_name < names.len() && names[next_name].0 < i {
            next_name += 1;
        }
        if next_name < names.len() && names[next_name].0 == i {
            let t = names[next_name];
            emit(t);
            i = t.1.max(i + 1);
            continue;
        }
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            let s = i;
            i = crate::lex::comment_end(b, i);
            emit((s, i, 11, 0));
        } else if c == b'"' {
            let s = i;
            i = crate::lex::string_end(b, i);
            emit((s, i, 9, 0));
        } else if c.is_ascii_digit() || (c == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit) && !b.get(i.wrapping_sub(1)).is_some_and(|p| p.is_ascii_alphanumeric())) {
            let s = i;
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b':') {
                i += 1;
            }
            emit((s, i, 10, 0));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            if KEYWORDS.contains(&&text[s..i]) {
                emit((s, i, 0, 0));
            }
        } else if let Some(op) = ["->", "==", "!=", "<=", ">=", "??"].iter().find(|op| text[i..].starts_with(**op)) {
            emit((i, i + op.len(), 12, 0));
            i += op.len();
        } else {
            i += if c.is_ascii() { 1 } else { text[i..].chars().next().map_or(1, char::len_utf8) };
        }
    }
}

/// Semantic tokens of a file, encoded relative to each other as the protocol
/// wants (five numbers a token, as `lsp::SemanticTokens` writes them).
#[derive(serde::Serialize)]
pub struct Tokens {
    data: Vec<u32>,
}

/// Semantic tokens of a file.
pub fn semantic_tokens(a: &Analysis, file: FileId) -> Tokens {
    let src = a.sources.get(file);
    let mut data = Vec::new();
    let (mut last_line, mut last_col) = (0u32, 0u32);
    raw_tokens(a, file, |(s, e, ty, m)| {
        let (line, col) = src.line_utf16(s);
        let (end_line, end_col) = src.line_utf16(e);
        if end_line != line {
            return; // tokens never span lines here; skip anything odd
        }
        let delta_line = line - last_line;
        let delta_start = if delta_line == 0 { col - last_col } else { col };
        data.extend([delta_line, delta_start, end_col - col, ty, m]);
        last_line = line;
        last_col = col;
    });
    Tokens { data }
}

/// Folding ranges: every multi-line declaration, and runs of comment lines.
pub fn folding(a: &Analysis, file: FileId) -> Vec<lsp::FoldingRange> {
    let src = a.sources.get(file);
    let mut out = Vec::new();
    if let Some(m) = a.checked.modules.get(file.0 as usize) {
        for d in m.iter() {
            let s = d.span();
            let (l0, _) = src.line_utf16(s.start as usize);
            let (l1, _) = src.line_utf16(s.end as usize);
            if l1 > l0 {
                out.push(lsp::FoldingRange { start_line: l0, end_line: l1, kind: Some(lsp::FoldingRangeKind::Region), ..Default::default() });
            }
        }
    }
    let mut run: Option<(u32, u32)> = None;
    for (i, line) in src.text.lines().enumerate() {
        let i = i as u32;
        if line.trim_start().starts_with("//") {
            run = Some(run.map_or((i, i), |(s, _)| (s, i)));
        } else {
            if let Some((s, e)) = run.take() {
                if e > s {
                    out.push(lsp::FoldingRange { start_line: s, end_line: e, kind: Some(lsp::FoldingRangeKind::Comment), ..Default::default() });
                }
            }
        }
    }
    if let Some((s, e)) = run {
        if e > s {
            out.push(lsp::FoldingRange { start_line: s, end_line: e, kind: Some(lsp::FoldingRangeKind::Comment), ..Default::default() });
        }
    }
    out
}
