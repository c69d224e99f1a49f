//! What the editor knows about reference tables: completion of table,
//! column and column-type names, hover summaries (file, columns, rows),
//! going from `from "file.csv"` to the file, CSV problems shown on the
//! `table` declaration, reading the CSV files a policy's tables name, and
//! where their rows name reps and enum variants (for references and rename).

use std::path::{Path, PathBuf};

use leadroute_compiler::check::tables::{column_type, resolve, Base};
use leadroute_compiler::check::Symbols;
use leadroute_compiler::source::SourceProvider;
use leadroute_compiler::syntax::ast::{ColumnDecl, Decl, TableDecl, TypeExpr, TypeKind};
use leadroute_compiler::{Diagnostic, FileId, SourceSet, Span};
use lsp_types::{self as lsp, CompletionItem, CompletionItemKind};

use crate::convert::{path_to_uri, range};
use crate::index::{Kind, Occurrence};
use crate::workspace::Analysis;

/// The column types a `table` declaration accepts, with what they hold.
const COLUMN_TYPES: &[(&str, &str)] = &[
    ("string", "text as written (trimmed)"),
    ("domain", "a web domain: matched without case, `www.` or an address's user part"),
    ("rep", "a rep id the policy declares"),
    ("int", "a whole number"),
    ("float", "a number"),
    ("bool", "`true` or `false`"),
    ("time", "an RFC 3339 instant"),
    ("list", "`list<T>`: `;`-separated values in one cell"),
];

fn item(label: &str, kind: CompletionItemKind, detail: impl Into<String>) -> CompletionItem {
    CompletionItem { label: label.to_string(), kind: Some(kind), detail: Some(detail.into()), ..Default::default() }
}

/// A column's type as written: `rep`, `list<domain>`, `string?`.
fn column_text(c: &ColumnDecl) -> String {
    fn text(t: &TypeExpr) -> String {
        let inner = match &t.kind {
            TypeKind::Named(n) => n.name.clone(),
            TypeKind::List(i) => format!("list<{}>", text(i)),
        };
        format!("{inner}{}", if t.optional { "?" } else { "" })
    }
    text(&c.ty)
}

/// Every table name, for places that take a value or follow `in`.
pub fn table_items(syms: &Symbols) -> Vec<CompletionItem> {
    syms.tables
        .iter()
        .map(|(name, t)| {
            let n = t.columns.len();
            item(name, CompletionItemKind::STRUCT, format!("table from {:?} ({n} column{})", t.path.value, if n == 1 { "" } else { "s" }))
        })
        .collect()
}

/// After `TABLE[...].`: the table's columns, or `None` when the tokens before
/// the cursor are not such a lookup.
pub fn column_items(toks: &[&str], syms: &Symbols) -> Option<Vec<CompletionItem>> {
    let [.., close, dot] = toks else { return None };
    if (*close, *dot) != ("]", ".") {
        return None;
    }
    // The `[` matching the `]` before the dot, and the table name before it.
    let mut depth = 0i32;
    let mut at = None;
    for i in (0..toks.len() - 1).rev() {
        match toks[i] {
            "]" => depth += 1,
            "[" => {
                depth -= 1;
                if depth == 0 {
                    at = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let table = syms.tables.get(*toks.get(at?.checked_sub(1)?)?)?;
    Some(
        table
            .columns
            .iter()
            .map(|c| {
                let mut detail = column_text(c);
                if c.key.is_some() {
                    detail.push_str(" key");
                }
                if c.alias.is_some() {
                    detail.push_str(" alias");
                }
                item(&c.name.name, CompletionItemKind::FIELD, detail)
            })
            .collect(),
    )
}

/// Inside `table NAME from "…" { … }`: column types after `name:` and
/// `key` / `alias` after a type; `None` outside the braces.
pub fn declaration_items(toks: &[&str], at_line_start: bool, syms: &Symbols) -> Option<Vec<CompletionItem>> {
    let open = toks.iter().position(|t| *t == "{")?;
    if toks.first() != Some(&"table") || toks[open..].contains(&"}") {
        return None;
    }
    if at_line_start {
        // A new column: its name is the CSV header's, nothing to offer.
        return Some(Vec::new());
    }
    let prev = toks.last().copied().unwrap_or("");
    // Inside `list<`: one value's type.
    if prev == ":" || prev == "<" {
        let mut v: Vec<CompletionItem> = COLUMN_TYPES.iter().filter(|(n, _)| prev == ":" || *n != "list").map(|(n, d)| item(n, CompletionItemKind::TYPE_PARAMETER, *d)).collect();
        v.extend(syms.enums.keys().map(|e| item(e, CompletionItemKind::ENUM, "enum: a variant of it")));
        return Some(v);
    }
    // After a column's type: what the column is for.
    let colon = toks.iter().rposition(|t| *t == ":").filter(|&c| c > open);
    if colon.is_some_and(|c| toks.len() > c + 1 && !toks[c + 1..].contains(&"key") && !toks[c + 1..].contains(&"alias")) {
        return Some(vec![
            item("key", CompletionItemKind::KEYWORD, "the column lookups find a row by (a `string` or `domain`, one per table)"),
            item("alias", CompletionItemKind::KEYWORD, "a `list` of the key's type: more keys of the same row"),
        ]);
    }
    Some(Vec::new())
}

/// The table declaration named `name`.
fn table_decl<'a>(a: &'a Analysis, name: &str) -> Option<&'a TableDecl> {
    a.checked.modules.iter().flat_map(|m| m.iter()).find_map(|d| match d {
        Decl::Table(t) if t.name.name == name => Some(t),
        _ => None,
    })
}

/// Hover text for a table: where its rows come from, its key and how many rows.
pub fn table_summary(a: &Analysis, name: &str) -> Option<String> {
    let t = table_decl(a, name)?;
    let rows = match a.checked.tables.get(name) {
        Some(r) => format!("{} row{}", r.rows.len(), if r.rows.len() == 1 { "" } else { "s" }),
        None => "its file could not be read".to_string(),
    };
    let key = t.columns.iter().find(|c| c.key.is_some()).map(|c| format!("; key `{}`", c.name.name)).unwrap_or_default();
    let alias = t.columns.iter().find(|c| c.alias.is_some()).map(|c| format!(", alias `{}`", c.name.name)).unwrap_or_default();
    Some(format!("rows from `{}`: {rows}, {} column{}{key}{alias}", t.path.value, t.columns.len(), if t.columns.len() == 1 { "" } else { "s" }))
}

/// Hover text for a column (`accounts.owner`): its type and role.
pub fn column_hover(a: &Analysis, key: &str) -> String {
    let (table, column) = key.split_once('.').unwrap_or((key, ""));
    let syms = a.checked.symbols();
    let Some(c) = table_decl(a, table).and_then(|t| t.columns.iter().find(|c| c.name.name == column)) else {
        return format!("**column** `{key}`");
    };
    let mut text = format!("**column** `{key}`: `{}`", column_text(c));
    if c.key.is_some() {
        text.push_str(" (the table's key)");
    }
    if c.alias.is_some() {
        text.push_str(" (more keys of the row)");
    }
    if let Some(ct) = column_type(c, &syms) {
        let what = match ct.base {
            Base::Domain => "web domains, compared without case, `www.` or an address's user part; free-mail domains never match",
            Base::Rep => "rep ids: `owner(...)` assigns the rep",
            _ => "",
        };
        if !what.is_empty() {
            text.push_str(&format!("\n\n{what}"));
        }
    }
    text
}

/// From the `"file.csv"` of a table declaration to that file.
pub fn file_definition(a: &Analysis, file: FileId, offset: usize) -> Option<lsp::Location> {
    let module = a.checked.modules.get(file.0 as usize)?;
    let t = module.iter().find_map(|d| match d {
        Decl::Table(t) if t.path.span.start as usize <= offset && offset <= t.path.span.end as usize => Some(t),
        _ => None,
    })?;
    let path = resolve(&a.sources.get(file).name, &t.path.value);
    Some(lsp::Location { uri: path_to_uri(Path::new(&path)), range: lsp::Range::default() })
}

/// A problem found in a table's CSV file, shown on the `table` declaration
/// that reads it: the file and line lead the message, and the related
/// information points into the CSV. `None` for problems in `.route` files.
pub fn on_declaration(a: &Analysis, d: &Diagnostic, converted: lsp::Diagnostic) -> Option<(PathBuf, lsp::Diagnostic)> {
    let at = d.primary.as_ref()?.span;
    let csv = a.sources.get(at.file);
    if !csv.is_table() {
        return None;
    }
    let t = a.checked.modules.iter().flat_map(|m| m.iter()).find_map(|x| match x {
        Decl::Table(t) if resolve(&a.sources.get(t.name.span.file).name, &t.path.value) == csv.name => Some(t),
        _ => None,
    })?;
    let line = csv.line_utf16(at.start as usize).0 + 1;
    let shown = Path::new(&csv.name).file_name().map_or_else(|| csv.name.clone(), |n| n.to_string_lossy().into_owned());
    let mut out = converted;
    let here = lsp::DiagnosticRelatedInformation {
        location: lsp::Location { uri: path_to_uri(Path::new(&csv.name)), range: out.range },
        message: format!("line {line} of `{shown}`"),
    };
    out.related_information.get_or_insert_with(Vec::new).insert(0, here);
    out.message = format!("`{shown}` line {line}: {}", out.message);
    out.range = range(&a.sources, t.path.span);
    Some((a.path(t.name.span.file), out))
}

/// Where the rows of the policy's tables name a declared rep (a `rep`
/// column) or enum variant (a column of that enum), lists included: uses of
/// those names, so that references list them and a rename edits the CSV
/// files too. A cell naming nothing declared is left alone (`check`
/// reports it).
pub fn cell_occurrences(sources: &SourceSet, syms: &Symbols) -> Vec<Occurrence> {
    let mut out = Vec::new();
    for decl in syms.tables.values() {
        let declaring = &sources.get(decl.path.span.file).name;
        let Some(file) = sources.find(&resolve(declaring, &decl.path.value)) else { continue };
        let text = sources.get(file).text.as_str();
        let records = leadroute_compiler::check::table_rows::cell_ranges(text);
        let Some((_, header)) = records.first() else { continue };
        let names: Vec<&str> = header.iter().map(|&(s, e)| text.get(s..e).unwrap_or("").trim()).collect();
        for col in &decl.columns {
            let Some(ty) = column_type(col, syms) else { continue };
            if !matches!(ty.base, Base::Rep | Base::Enum(_)) {
                continue;
            }
            let key = |v: &str| -> Option<(String, Kind)> {
                match &ty.base {
                    Base::Rep => syms.reps.contains_key(v).then(|| (v.to_string(), Kind::Rep)),
                    Base::Enum(e) => syms.enums.get(e).filter(|d| d.variants.iter().any(|x| x.name == v)).map(|_| (format!("{e}.{v}"), Kind::Variant)),
                    _ => None,
                }
            };
            let Some(at) = names.iter().position(|n| *n == col.name.name) else { continue };
            for (_, cells) in records.iter().skip(1) {
                let Some(&(start, end)) = cells.get(at) else { continue };
                let Some(cell) = text.get(start..end) else { continue };
                // A list's values are `;`-separated in the cell; any other cell is one value.
                let mut piece_start = start;
                for piece in cell.splitn(if ty.list { usize::MAX } else { 1 }, ';') {
                    let value = piece.trim();
                    let from = piece_start + piece.len() - piece.trim_start().len();
                    if let Some((key, kind)) = key(value) {
                        out.push(Occurrence { key, kind, span: Span::new(file, from, from + value.len()), is_decl: false });
                    }
                    piece_start += piece.len() + 1;
                }
            }
        }
    }
    out
}

/// Reads policy files for the checker: open documents' text first, else the disk.
pub struct OpenOrDisk<'a> {
    /// The text of a file as the editor has it, if it is open.
    pub open: &'a dyn Fn(&Path) -> Option<String>,
}

impl SourceProvider for OpenOrDisk<'_> {
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn read_dir(&self, path: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::read_dir(path)?.map(|e| e.map(|e| e.path())).collect()
    }

    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        match (self.open)(path) {
            Some(text) => Ok(text.into_bytes()),
            None => std::fs::read(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use leadroute_compiler::{SourceFile, SourceSet};

    /// A list cell names several reps: one use each, at the name itself;
    /// a name no rep has is not a use.
    #[test]
    fn each_value_of_a_list_cell_is_a_use() {
        let mut set = SourceSet::new();
        let policy = "policy p { owner \"o@x.example\" timezone \"UTC\" }\nschema lead { id: string }\nrep ann { email \"a@x.example\" }\nrep bob { email \"b@x.example\" }\n\
                      table cover from \"cover.csv\" {\n  region: string key\n  backups: list<rep>\n  lead: rep\n}\n";
        set.add(SourceFile::new("/p/p.route", policy));
        set.add(SourceFile::new("/p/cover.csv", "region,backups,lead\nnorth, ann ;nobody;bob ,bob\nsouth,\"bob\",ann\n"));
        let checked = leadroute_compiler::check(&set);
        let uses = super::cell_occurrences(&set, &checked.symbols());
        let csv = &set.get(set.find("/p/cover.csv").expect("the table file")).text;
        let shown: Vec<(&str, &str)> = uses.iter().map(|o| (o.key.as_str(), &csv[o.span.start as usize..o.span.end as usize])).collect();
        assert_eq!(shown, [("ann", "ann"), ("bob", "bob"), ("bob", "bob"), ("bob", "bob"), ("ann", "ann")]);
        let starts: Vec<usize> = uses.iter().map(|o| o.span.start as usize).collect();
        // Column by column: the backups (north's two, south's quoted one), then the leads.
        assert_eq!(starts, [csv.find(" ann").expect("ann") + 1, csv.find(";bob").expect("bob") + 1, csv.find("\"bob\"").expect("quoted") + 1, csv.find(",bob\n").expect("lead") + 1, csv.rfind("ann").expect("south lead")]);
    }
}
