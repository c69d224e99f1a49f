//! Reference tables: `table NAME from "file.csv" { columns }` declarations,
//! the CSV files they name (read through the [`SourceProvider`] into the
//! source set, so reports show their lines), and each column's type.
//! The rows themselves are checked in [`super::table_rows`].

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use super::suggest::help_for;
use super::symbols::{Symbols, Ty};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{SourceFile, SourceProvider, SourceSet};
use crate::syntax::ast::{ColumnDecl, Decl, TableDecl, TypeKind};

pub use super::table_rows::TableRows;

/// What a column's cells hold, beyond the type conditions see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// Text as written (trimmed).
    Str,
    /// A web domain, normalized (`leadroute_runtime::table::normalize_domain`).
    Domain,
    /// A rep id the policy declares.
    Rep,
    /// A 64-bit integer.
    Int,
    /// A 64-bit float.
    Float,
    /// `true` / `false`.
    Bool,
    /// An RFC 3339 instant.
    Time,
    /// A variant of this enum.
    Enum(String),
}

/// A column's resolved type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnType {
    /// What one value is.
    pub base: Base,
    /// `list<T>`: `;`-separated values in one cell.
    pub list: bool,
    /// `T?`: an empty cell is missing.
    pub optional: bool,
}

impl ColumnType {
    /// The type conditions see (`rep` and `domain` are text).
    pub fn ty(&self) -> Ty {
        let one = match &self.base {
            Base::Str | Base::Domain | Base::Rep => Ty::Str,
            Base::Int => Ty::Int,
            Base::Float => Ty::Float,
            Base::Bool => Ty::Bool,
            Base::Time => Ty::Time,
            Base::Enum(e) => Ty::Enum(e.clone()),
        };
        if self.list {
            Ty::List(Box::new(one))
        } else {
            one
        }
    }
}

/// The type names a column may have besides the policy's enums.
const COLUMN_TYPES: &[&str] = &["string", "domain", "rep", "int", "float", "bool", "time"];

/// A column's type, `None` when it names no type (reported by [`check`]).
pub fn column_type(col: &ColumnDecl, syms: &Symbols) -> Option<ColumnType> {
    let (named, list) = match &col.ty.kind {
        TypeKind::Named(n) => (n, false),
        TypeKind::List(inner) => match &inner.kind {
            TypeKind::Named(n) if !inner.optional => (n, true),
            _ => return None,
        },
    };
    let base = match named.name.as_str() {
        "string" => Base::Str,
        "domain" => Base::Domain,
        "rep" => Base::Rep,
        "int" => Base::Int,
        "float" => Base::Float,
        "bool" => Base::Bool,
        "time" => Base::Time,
        other if syms.enums.contains_key(other) => Base::Enum(other.to_string()),
        _ => return None,
    };
    Some(ColumnType { base, list, optional: col.ty.optional })
}

/// The CSV file a table names, as a source name: relative to the directory
/// of the file that declares the table (`policies/acme.route` and
/// `"data/accounts.csv"` give `policies/data/accounts.csv`).
pub fn resolve(declaring_file: &str, path: &str) -> String {
    let rel = Path::new(path);
    let joined: PathBuf = if rel.is_absolute() {
        rel.to_path_buf()
    } else {
        Path::new(declaring_file).parent().map_or_else(|| rel.to_path_buf(), |dir| dir.join(rel))
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.display().to_string()
}

/// Reads the CSV file of every table the `.route` files declare through
/// `provider` and adds it to `sources` (once each). A file that cannot be
/// read is left out; the checker then reports it at the table's `from "..."`.
pub fn attach(provider: &dyn SourceProvider, sources: &mut SourceSet) {
    let mut wanted: Vec<String> = Vec::new();
    for (id, file) in sources.iter() {
        if file.is_table() || !file.text.contains("table") {
            continue;
        }
        let (module, _) = crate::syntax::parse_file(id, &file.text);
        for decl in module.iter() {
            if let Decl::Table(t) = decl {
                wanted.push(resolve(&file.name, &t.path.value));
            }
        }
    }
    wanted.sort();
    wanted.dedup();
    for name in wanted {
        if sources.find(&name).is_some() {
            continue;
        }
        if let Ok(bytes) = provider.read(Path::new(&name)) {
            // Not UTF-8: still shown and checked, with the bad bytes replaced.
            let text = String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            sources.add(SourceFile::new(name, text));
        }
    }
}

/// Checks every table's declaration and rows; the rows of the tables that
/// could be read, by table name.
pub fn check(syms: &Symbols, sources: &SourceSet, diags: &mut Vec<Diagnostic>) -> BTreeMap<String, TableRows> {
    let free_mail = free_mail(syms, diags);
    let mut out = BTreeMap::new();
    for (name, decl) in &syms.tables {
        let Some(columns) = declaration(decl, syms, diags) else { continue };
        let declaring = &sources.get(decl.path.span.file).name;
        let resolved = resolve(declaring, &decl.path.value);
        let Some(file) = sources.find(&resolved) else {
            diags.push(
                Diagnostic::new(Code::E0060, decl.path.span, format!("cannot read table file `{resolved}`"))
                    .label(format!("table `{name}` reads its rows from here"))
                    .help("put the CSV file there, or fix the path: it is relative to the file that declares the table"),
            );
            continue;
        };
        let rows = super::table_rows::read(decl, &columns, file, sources, syms, &free_mail, diags);
        out.insert(name.clone(), rows);
    }
    out
}

/// The free-mail domains in force: the bundled list and every `free_mail`
/// declaration, normalized; sorted. An entry that is not a domain is an error.
pub fn free_mail(syms: &Symbols, diags: &mut Vec<Diagnostic>) -> Vec<String> {
    let mut all: Vec<String> = leadroute_runtime::table::bundled_free_mail().map(str::to_string).collect();
    for decl in &syms.free_mail {
        for d in &decl.domains {
            let n = leadroute_runtime::table::normalize_domain(&d.value);
            if n.is_empty() || n.contains(char::is_whitespace) || !n.contains('.') {
                diags.push(
                    Diagnostic::new(Code::E0061, d.span, format!("`{}` is not a web domain", d.value))
                        .label("not a domain")
                        .help("list domains such as \"corp-mail.example\""),
                );
                continue;
            }
            all.push(n.into_owned());
        }
    }
    all.sort();
    all.dedup();
    all
}

/// Checks a declaration's columns: known types, exactly one `key` (a
/// `string` or `domain`), at most one `alias` (a list of the key's type),
/// no column twice. `None` when the table cannot be read as declared.
fn declaration(decl: &TableDecl, syms: &Symbols, diags: &mut Vec<Diagnostic>) -> Option<Vec<ColumnType>> {
    let start = diags.len();
    let mut types = Vec::with_capacity(decl.columns.len());
    let mut seen: BTreeMap<&str, &ColumnDecl> = BTreeMap::new();
    for col in &decl.columns {
        if let Some(first) = seen.insert(&col.name.name, col) {
            diags.push(
                Diagnostic::new(Code::E0061, col.name.span, format!("column `{}` is declared twice", col.name.name))
                    .label("second declaration")
                    .with_secondary(first.name.span, "first declared here")
                    .help("remove one of them"),
            );
        }
        match column_type(col, syms) {
            Some(t) => types.push(t),
            None => {
                let written = match &col.ty.kind {
                    TypeKind::Named(n) => n.name.clone(),
                    TypeKind::List(inner) => match &inner.kind {
                        TypeKind::Named(n) => n.name.clone(),
                        TypeKind::List(_) => "list".into(),
                    },
                };
                let candidates: Vec<&str> = COLUMN_TYPES.iter().copied().chain(syms.enums.keys().map(String::as_str)).collect();
                diags.push(
                    Diagnostic::new(Code::E0007, col.ty.span, format!("`{written}` is not a column type"))
                        .label("unknown type")
                        .help(format!(
                            "{} (column types: string, domain, rep, int, float, bool, time, an enum, `list<T>` of one of them, `T?`)",
                            help_for(&written, "type", candidates)
                        )),
                );
                types.push(ColumnType { base: Base::Str, list: false, optional: true });
            }
        }
    }
    let keys: Vec<(usize, &ColumnDecl)> = decl.columns.iter().enumerate().filter(|(_, c)| c.key.is_some()).collect();
    match keys.as_slice() {
        [] => diags.push(
            Diagnostic::new(Code::E0061, decl.name.span, format!("table `{}` has no `key` column", decl.name.name))
                .label("no column is marked `key`")
                .help("mark the column rows are looked up by: `domain: domain key`"),
        ),
        [(i, k)] => {
            let t = &types[*i];
            if t.list || t.optional || !matches!(t.base, Base::Str | Base::Domain) {
                diags.push(
                    Diagnostic::new(Code::E0061, k.ty.span, format!("key column `{}` must be a required `string` or `domain`", k.name.name))
                        .label("not a string or domain")
                        .help("declare it `string key` (matched exactly, e.g. postal codes) or `domain key` (web domains, normalized)"),
                );
            }
        }
        [_, (_, second), ..] => diags.push(
            Diagnostic::new(Code::E0061, second.key.unwrap_or(second.span), format!("table `{}` has more than one `key` column", decl.name.name))
                .label("second key")
                .with_secondary(keys[0].1.key.unwrap_or(keys[0].1.span), "first key")
                .help("a table has exactly one key; mark more keys of the same row as a `list<...> alias` column"),
        ),
    }
    let aliases: Vec<(usize, &ColumnDecl)> = decl.columns.iter().enumerate().filter(|(_, c)| c.alias.is_some()).collect();
    if let [_, (_, second), ..] = aliases.as_slice() {
        diags.push(
            Diagnostic::new(Code::E0061, second.alias.unwrap_or(second.span), format!("table `{}` has more than one `alias` column", decl.name.name))
                .label("second alias column")
                .help("put every other key of a row in one `;`-separated `alias` column"),
        );
    }
    if let (Some((ai, a)), [(ki, _)]) = (aliases.first(), keys.as_slice()) {
        let (at, kt) = (&types[*ai], &types[*ki]);
        if !at.list || at.base != kt.base || a.key.is_some() {
            let key_ty = if kt.base == Base::Domain { "domain" } else { "string" };
            diags.push(
                Diagnostic::new(Code::E0061, a.ty.span, format!("alias column `{}` must be a `list<{key_ty}>`, like the key", a.name.name))
                    .label("not a list of the key's type")
                    .help(format!("declare it `{}: list<{key_ty}> alias` (values separated by `;` in the cell)", a.name.name)),
            );
        }
    }
    (diags.len() == start).then_some(types)
}

/// The position of `table` among the policy's tables (the IR's order: by name).
pub fn index_of(syms: &Symbols, table: &str) -> Option<usize> {
    syms.tables.keys().position(|n| n == table)
}
