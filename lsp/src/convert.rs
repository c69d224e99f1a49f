//! Conversions between the compiler's byte spans and file names, and the
//! protocol's UTF-16 positions and `file://` URIs.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use leadroute_compiler::{Diagnostic, Severity, SourceFile, SourceSet, Span};
use lsp_types as lsp;

/// The file path of a `file://` URI (percent-decoded); `None` for other schemes.
pub fn uri_to_path(uri: &lsp::Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok().map(PathBuf::from)
}

/// A `file://` URI for a path (absolute paths; unsafe characters percent-encoded).
pub fn path_to_uri(path: &Path) -> lsp::Uri {
    let mut s = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    // Every string built above is a valid URI: a scheme and percent-encoded path.
    lsp::Uri::from_str(&s).unwrap_or_else(|_| lsp::Uri::from_str("file:///").expect("a literal URI"))
}

/// `offset` clamped to `text` and moved back to the start of the character it falls in.
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The protocol position of a byte offset (an offset inside a character
/// counts as that character's start).
pub fn position(file: &SourceFile, offset: usize) -> lsp::Position {
    let (line, character) = file.line_utf16(floor_char_boundary(&file.text, offset));
    lsp::Position { line, character }
}

/// The protocol range of a span.
pub fn range(sources: &SourceSet, span: Span) -> lsp::Range {
    let file = sources.get(span.file);
    lsp::Range { start: position(file, span.start as usize), end: position(file, span.end as usize) }
}

/// The byte offset of a protocol position.
pub fn offset(file: &SourceFile, pos: lsp::Position) -> usize {
    file.offset_of_utf16(pos.line, pos.character)
}

/// A compiler diagnostic for the editor: same code, message and help; related
/// places as related information. `uri_of` gives each file's URI.
pub fn diagnostic(d: &Diagnostic, sources: &SourceSet, uri_of: &dyn Fn(leadroute_compiler::FileId) -> lsp::Uri) -> lsp::Diagnostic {
    let primary_range = d.primary.as_ref().map_or_else(lsp::Range::default, |l| range(sources, l.span));
    let mut message = d.message.clone();
    if let Some(l) = &d.primary {
        if !l.message.is_empty() {
            message.push_str(&format!("\n{}", l.message));
        }
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .map(|l| lsp::DiagnosticRelatedInformation {
            location: lsp::Location { uri: uri_of(l.span.file), range: range(sources, l.span) },
            message: if l.message.is_empty() { "related".into() } else { l.message.clone() },
        })
        .collect();
    lsp::Diagnostic {
        range: primary_range,
        severity: Some(match d.severity() {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(d.code.as_str().to_string())),
        code_description: None,
        source: Some("leadroute".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: d.example.clone().map(|e| serde_json::json!({ "example": e })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("t.route", text.to_string())
    }

    proptest! {
        /// Any protocol position maps to a character boundary inside the text,
        /// and every character boundary maps to a position and back to itself.
        #[test]
        fn positions_and_offsets_round_trip(text in "(\\PC|[\n\r\té😀𝄞])*", line in 0u32..40, character in 0u32..80, cut in 0usize..400) {
            let f = file(&text);
            let at = offset(&f, lsp::Position { line, character });
            prop_assert!(at <= text.len() && text.is_char_boundary(at));
            let b = floor_char_boundary(&text, cut);
            prop_assert!(text.is_char_boundary(b));
            prop_assert_eq!(offset(&f, position(&f, b)), b);
            // An offset inside a character is that character's position.
            prop_assert_eq!(position(&f, cut), position(&f, b));
        }
    }
}
