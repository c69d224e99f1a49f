//! Hover, go to definition, find references, rename, and symbols.

use std::collections::HashMap;

use leadroute_compiler::syntax::ast::*;
use leadroute_compiler::{Code, FileId};
use lsp_types as lsp;

use crate::convert::{path_to_uri, range};
use crate::index::{Kind, Occurrence};
use crate::workspace::Analysis;

/// The `//` comment lines directly above a declaration line, and a comment at its end.
fn doc_comment(text: &str, start: usize) -> String {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let mut lines: Vec<&str> = Vec::new();
    let mut end = line_start;
    while end > 0 {
        let prev_start = text[..end - 1].rfind('\n').map_or(0, |i| i + 1);
        let prev = text[prev_start..end - 1].trim();
        match prev.strip_prefix("//") {
            // A section rule (`// ---- tiers ...`) heads a group, not this declaration.
            Some(c) if c.trim_start().starts_with("--") || c.trim_start().starts_with("==") => break,
            Some(c) => lines.push(c.trim()),
            None => break,
        }
        end = prev_start;
    }
    lines.reverse();
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    if let Some(pos) = text[start..line_end].find("//") {
        lines.push(text[start + pos + 2..line_end].trim());
    }
    lines.join("\n")
}

fn decl_of<'a>(a: &'a Analysis, o: &Occurrence) -> Option<&'a Decl> {
    a.checked.modules.iter().flat_map(|m| m.iter()).find(|d| {
        let s = d.span();
        s.file == o.span.file && s.start <= o.span.start && o.span.end <= s.end
    })
}

/// A calendar's days (first, last, how many) and who observes it.
fn calendar_summary(a: &Analysis, c: &CalendarDecl) -> String {
    let dates: Vec<(i16, i8, i8)> = c.days.iter().filter_map(|d| d.date.value).collect();
    let ymd = leadroute_compiler::check::schedule::ymd;
    let mut text = match (dates.iter().min(), dates.iter().max()) {
        (Some(first), Some(last)) => format!("{} day{} off, {} to {}", dates.len(), if dates.len() == 1 { "" } else { "s" }, ymd(*first), ymd(*last)),
        _ => "no days off".to_string(),
    };
    let users: Vec<String> = a
        .index()
        .all(Kind::Calendar, &c.name.name)
        .filter(|o| !o.is_decl)
        .filter_map(|o| decl_of(a, o))
        .map(|d| decl_name(a, d).0)
        .collect();
    if !users.is_empty() {
        text.push_str(&format!("; observed by {}", users.join(", ")));
    }
    text
}

/// Hover text for the name at `offset`, and the explanation of any diagnostic there.
pub fn hover(a: &Analysis, file: FileId, offset: usize) -> Option<lsp::Hover> {
    let text = &a.sources.get(file).text;
    let mut parts: Vec<String> = Vec::new();
    let mut hover_range = None;
    if let Some(o) = a.index().at(file, offset) {
        hover_range = Some(range(&a.sources, o.span));
        let decl = a.index().declaration(o.kind, &o.key);
        let syms = a.checked.symbols();
        let mut body = match o.kind {
            Kind::Field => {
                let f = syms.fields.get(&o.key);
                let ty = f.map_or("?".to_string(), |f| format!("{}{}", f.ty.name(), if f.optional { "?" } else { "" }));
                format!("**field** `{}`: `{ty}`", o.key)
            }
            Kind::Variant => format!("**enum variant** `{}`", o.key),
            Kind::Column => crate::tables::column_hover(a, &o.key),
            other => format!("**{}** `{}`", other.word(), o.key),
        };
        if let Some(d) = decl {
            let dtext = &a.sources.get(d.span.file).text;
            let doc = doc_comment(dtext, d.span.start as usize);
            // Tiers, teams, reps ...: show the declaration itself.
            if !matches!(o.kind, Kind::Field | Kind::Variant | Kind::Column) {
                if let Some(whole) = decl_of(a, d) {
                    let src: String = a.sources.slice(whole.span()).lines().take(12).collect::<Vec<_>>().join("\n");
                    body.push_str(&format!("\n\n```route\n{src}\n```"));
                    if let Some(summary) = (o.kind == Kind::Table).then(|| crate::tables::table_summary(a, &o.key)).flatten() {
                        body.push_str(&format!("\n\n{summary}"));
                    }
                    if let Decl::Calendar(c) = whole {
                        body.push_str(&format!("\n\n{}", calendar_summary(a, c)));
                    }
                    if let Decl::Tier(t) = whole {
                        let pos = syms.tiers.iter().position(|x| x.name.name == t.name.name).map_or(0, |p| p + 1);
                        body.push_str(&format!("\n\ntier {pos} of {} (first match wins)", syms.tiers.len()));
                        // What happens when the SLA runs out: the tier's own handlers, else the catch-alls.
                        for kind in [SlaEventKind::Warning, SlaEventKind::Breach] {
                            let of = |own: bool| syms.sla.iter().find(|h| h.event.kind == kind && h.event.tier.as_ref().map(|x| x.name == t.name.name).unwrap_or(!own));
                            if let Some(h) = of(true).or_else(|| of(false)) {
                                body.push_str(&format!("\n\n`{}`", a.sources.slice(h.span).split_whitespace().collect::<Vec<_>>().join(" ")));
                            }
                        }
                    }
                }
            }
            if !doc.is_empty() {
                body.push_str(&format!("\n\n{doc}"));
            }
        }
        parts.push(body);
    }
    // A diagnostic code under the cursor (`E0004` in a comment), or diagnostics here.
    // The word around `offset`: its bounds are the characters (of any width) that stop it.
    let offset = crate::convert::floor_char_boundary(text, offset);
    let word_of = |extra: char| {
        let part = |c: char| c.is_ascii_alphanumeric() || c == extra;
        let start = text[..offset].char_indices().rev().find(|(_, c)| !part(*c)).map_or(0, |(i, c)| i + c.len_utf8());
        let end = text[offset..].find(|c: char| !part(c)).map_or(text.len(), |i| offset + i);
        text.get(start..end).unwrap_or("")
    };
    if let Some((_, doc)) = crate::completion::SLA_WORDS.iter().find(|(w, _)| *w == word_of('_')) {
        parts.push(doc.to_string());
    }
    // `'0'` adds nothing to the letters and digits: the plain word (`E0004`).
    if let Some(code) = Some(word_of('0')).filter(|w| w.len() == 5).and_then(Code::parse) {
        parts.push(code.explanation().to_string());
    }
    for d in &a.checked.diagnostics {
        if let Some(l) = &d.primary {
            if l.span.file == file && l.span.start as usize <= offset && offset <= l.span.end as usize {
                let first = d.code.explanation().split("\n\n").nth(1).unwrap_or("").replace('\n', " ");
                parts.push(format!("**{}** {}: {first}\n\n(`leadroute explain {}`)", d.code, d.code.title(), d.code));
            }
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value: parts.join("\n\n---\n\n") }),
        range: hover_range,
    })
}

fn location(a: &Analysis, o: &Occurrence) -> lsp::Location {
    lsp::Location { uri: path_to_uri(&a.path(o.span.file)), range: range(&a.sources, o.span) }
}

/// Where the name at `offset` is declared.
pub fn definition(a: &Analysis, file: FileId, offset: usize) -> Option<lsp::Location> {
    let Some(o) = a.index().at(file, offset) else { return crate::tables::file_definition(a, file, offset) };
    a.index().declaration(o.kind, &o.key).map(|d| location(a, d))
}

/// Every place the name at `offset` is written.
pub fn references(a: &Analysis, file: FileId, offset: usize, include_decl: bool) -> Vec<lsp::Location> {
    let Some(o) = a.index().at(file, offset) else { return Vec::new() };
    let mut out: Vec<&Occurrence> = a.index().all(o.kind, &o.key).filter(|x| include_decl || !x.is_decl).collect();
    out.sort_by_key(|x| (x.span.file, x.span.start));
    out.into_iter().map(|x| location(a, x)).collect()
}

const RESERVED: &[&str] = &["and", "or", "not", "in", "is", "present", "missing", "true", "false", "when", "otherwise", "else", "continue", "null"];

/// The range a rename at `offset` would change.
pub fn prepare_rename(a: &Analysis, file: FileId, offset: usize) -> Option<lsp::Range> {
    let o = a.index().at(file, offset)?;
    // A column's name is its CSV header's: renaming it here would break the file.
    (!matches!(o.kind, Kind::Policy | Kind::Column)).then(|| range(&a.sources, o.span))
}

/// Renames the symbol at `offset`, refusing invalid or colliding names;
/// `None` when there is no name at `offset`.
// lsp-types keys `WorkspaceEdit::changes` by `Uri`, whose parsed form caches inside.
#[allow(clippy::mutable_key_type)]
pub fn rename(a: &Analysis, file: FileId, offset: usize, new_name: &str) -> Option<Result<lsp::WorkspaceEdit, String>> {
    let o = a.index().at(file, offset)?;
    if o.kind == Kind::Column {
        return Some(Err("a column is named by its CSV file's header: rename it there and in the `table` declaration together".into()));
    }
    Some(rename_occurrence(a, o, new_name))
}

// lsp-types keys `WorkspaceEdit::changes` by `Uri`, whose parsed form caches inside.
#[allow(clippy::mutable_key_type)]
fn rename_occurrence(a: &Analysis, o: &crate::index::Occurrence, new_name: &str) -> Result<lsp::WorkspaceEdit, String> {
    let valid = new_name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && new_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&new_name);
    if !valid {
        return Err(format!("`{new_name}` is not a valid name: use letters, digits and `_`, not starting with a digit, and not a keyword"));
    }
    let new_key = match o.kind {
        Kind::Variant | Kind::Rule => format!("{}.{new_name}", o.key.split('.').next().unwrap_or("")),
        _ => new_name.to_string(),
    };
    if a.index().declaration(o.kind, &new_key).is_some() {
        return Err(format!("a {} named `{new_name}` already exists", o.kind.word()));
    }
    // Fields, sets, tiers, territories and enum variants share the names of
    // conditions: a rename must not make one read as another.
    const SHARED: &[Kind] = &[Kind::Field, Kind::Set, Kind::Tier, Kind::Territory, Kind::Variant];
    if SHARED.contains(&o.kind) {
        let clash = a.index().occurrences.iter().find(|x| {
            x.is_decl && SHARED.contains(&x.kind) && x.key.rsplit('.').next() == Some(new_name) && !(x.kind == o.kind && x.key == o.key)
        });
        if let Some(x) = clash {
            return Err(format!("`{new_name}` is already a {} name, and conditions would mix the two up", x.kind.word()));
        }
    }
    if matches!(o.kind, Kind::Field) && ["tier", "territory", "now"].contains(&new_name) {
        return Err(format!("`{new_name}` is reserved for fields"));
    }
    let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
    for x in a.index().all(o.kind, &o.key) {
        changes.entry(path_to_uri(&a.path(x.span.file))).or_default().push(lsp::TextEdit { range: range(&a.sources, x.span), new_text: new_name.to_string() });
    }
    Ok(lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() })
}

fn symbol_kind(d: &Decl) -> lsp::SymbolKind {
    match d {
        Decl::Policy(_) => lsp::SymbolKind::NAMESPACE,
        Decl::Enum(_) => lsp::SymbolKind::ENUM,
        Decl::Schema(_) => lsp::SymbolKind::STRUCT,
        Decl::Set(_) | Decl::Calendar(_) => lsp::SymbolKind::CONSTANT,
        Decl::Rep(_) => lsp::SymbolKind::OBJECT,
        Decl::Team(_) => lsp::SymbolKind::CLASS,
        Decl::Queue(_) => lsp::SymbolKind::OBJECT,
        Decl::Tier(_) => lsp::SymbolKind::ENUM_MEMBER,
        Decl::Territory(_) => lsp::SymbolKind::MODULE,
        Decl::Route(_) => lsp::SymbolKind::FUNCTION,
        Decl::Handler(_) | Decl::Sla(_) | Decl::Duplicate(_) => lsp::SymbolKind::EVENT,
        Decl::Test(_) => lsp::SymbolKind::METHOD,
        Decl::Allow(_) => lsp::SymbolKind::KEY,
        Decl::Table(_) => lsp::SymbolKind::ARRAY,
        Decl::FreeMail(_) => lsp::SymbolKind::CONSTANT,
    }
}

/// A declaration's display name and the span of its name.
fn decl_name(a: &Analysis, d: &Decl) -> (String, leadroute_compiler::Span) {
    match d {
        Decl::Policy(x) => (format!("policy {}", x.name.name), x.name.span),
        Decl::Enum(x) => (format!("enum {}", x.name.name), x.name.span),
        Decl::Schema(x) => (format!("schema {}", x.name.name), x.name.span),
        Decl::Set(x) => (format!("set {}", x.name.name), x.name.span),
        Decl::Calendar(x) => (format!("calendar {}", x.name.name), x.name.span),
        Decl::Rep(x) => (format!("rep {}", x.name.name), x.name.span),
        Decl::Team(x) => (format!("team {}", x.name.name), x.name.span),
        Decl::Queue(x) => (format!("queue {}", x.name.name), x.name.span),
        Decl::Tier(x) => (format!("tier {}", x.name.name), x.name.span),
        Decl::Territory(x) => (format!("territory {}", x.name.name), x.name.span),
        Decl::Route(x) => (format!("route {}", x.name.name), x.name.span),
        Decl::Handler(x) => (format!("on {}", a.sources.slice(x.exception.span())), x.exception.span()),
        Decl::Sla(x) => (format!("on {}", a.sources.slice(x.event.span)), x.event.span),
        Decl::Duplicate(x) => (format!("on {}", a.sources.slice(x.event)), x.event),
        Decl::Test(x) => (format!("test {:?}", x.name.value), x.name.span),
        Decl::Allow(x) => (format!("allow {}", x.code.name), x.code.span),
        Decl::Table(x) => (format!("table {}", x.name.name), x.name.span),
        Decl::FreeMail(x) => ("free_mail".to_string(), x.span),
    }
}

/// The outline of one file, serialized one declaration at a time (a file
/// of 259,251 territories is never held as a list of symbols).
pub struct Outline<'a> {
    a: &'a Analysis,
    file: FileId,
}

/// The outline of one file.
pub fn document_symbols(a: &Analysis, file: FileId) -> Outline<'_> {
    Outline { a, file }
}

impl serde::Serialize for Outline<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let decls = self.a.checked.modules.get(self.file.0 as usize).map_or(&[][..], |m| &m.decls[..]);
        s.collect_seq(decls.iter().map(|d| decl_symbol(self.a, d)))
    }
}

/// One declaration's outline entry, with its rules or fields inside.
#[allow(deprecated)] // `DocumentSymbol::deprecated` must be written, though deprecated.
fn decl_symbol(a: &Analysis, d: &Decl) -> lsp::DocumentSymbol {
    let (name, name_span) = decl_name(a, d);
    let children: Vec<lsp::DocumentSymbol> = match d {
        Decl::Route(r) => r
            .rules
            .iter()
            .map(|rule| {
                let label = match (&rule.name, &rule.guard) {
                    (Some(n), _) => n.name.clone(),
                    (None, Guard::Otherwise(_)) => "otherwise".into(),
                    (None, Guard::When(e)) => format!("when {}", a.sources.slice(e.span).chars().take(40).collect::<String>()),
                };
                let sel = rule.name.as_ref().map_or(rule.span, |n| n.span);
                lsp::DocumentSymbol {
                    name: label,
                    detail: None,
                    kind: lsp::SymbolKind::FIELD,
                    tags: None,
                    deprecated: None,
                    range: range(&a.sources, rule.span),
                    selection_range: range(&a.sources, sel),
                    children: None,
                }
            })
            .collect(),
        Decl::Schema(s) => s
            .fields
            .iter()
            .map(|f| lsp::DocumentSymbol {
                name: f.name.name.clone(),
                detail: Some(a.sources.slice(f.ty.span).to_string()),
                kind: lsp::SymbolKind::FIELD,
                tags: None,
                deprecated: None,
                range: range(&a.sources, f.span),
                selection_range: range(&a.sources, f.name.span),
                children: None,
            })
            .collect(),
        _ => Vec::new(),
    };
    lsp::DocumentSymbol {
        name,
        detail: None,
        kind: symbol_kind(d),
        tags: None,
        deprecated: None,
        range: range(&a.sources, d.span()),
        selection_range: range(&a.sources, name_span),
        children: (!children.is_empty()).then_some(children),
    }
}

/// Declarations whose name contains `query` (case-insensitive), across analyses.
#[allow(deprecated)] // `SymbolInformation::deprecated` must be written, though deprecated.
pub fn workspace_symbols<'a>(analyses: impl Iterator<Item = &'a Analysis>, query: &str) -> Vec<lsp::SymbolInformation> {
    let q = query.to_lowercase();
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for a in analyses {
        for (i, m) in a.checked.modules.iter().enumerate() {
            for d in m.iter() {
                let (name, span) = decl_name(a, d);
                if !name.to_lowercase().contains(&q) {
                    continue;
                }
                let uri = path_to_uri(&a.path(FileId(i as u32)));
                if seen.insert((uri.as_str().to_string(), span.start)) {
                    out.push(lsp::SymbolInformation {
                        name,
                        kind: symbol_kind(d),
                        tags: None,
                        deprecated: None,
                        location: lsp::Location { uri, range: range(&a.sources, span) },
                        container_name: None,
                    });
                }
            }
        }
    }
    out
}
