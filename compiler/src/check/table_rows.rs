//! A table's CSV file checked row by row against its declaration: the header
//! names every declared column, each cell has its column's type, reps and
//! enum values exist, keys (and aliases) are unique once normalized. One
//! linear pass; at most [`MAX_REPORTS`] problems per file are reported.

use std::collections::BTreeMap;

use leadroute_runtime::ir::Value;
use leadroute_runtime::table::{normalize_domain, normalize_key};
use rustc_hash::FxHashMap;

use super::suggest::help_for;
use super::symbols::Symbols;
use super::tables::{Base, ColumnType};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, SourceSet, Span};
use crate::syntax::ast::TableDecl;

/// Most problems reported for one CSV file; the rest are counted in one more.
pub const MAX_REPORTS: usize = 50;

/// A table's rows as read: one cell per declared column (`None`: empty
/// optional cell), keys normalized, with each row's line in the CSV file.
#[derive(Debug, Clone, Default)]
pub struct TableRows {
    /// The CSV file.
    pub file: FileId,
    /// The rows, cells in declared column order.
    pub rows: Vec<Vec<Option<Value>>>,
    /// Per row: its 1-based line.
    pub lines: Vec<u32>,
}

struct Reader<'a> {
    decl: &'a TableDecl,
    file: FileId,
    text: &'a str,
    /// The byte between cells: `,`, or `;` or a tab (see [`delimiter`]).
    delim: u8,
    syms: &'a Symbols<'a>,
    reported: usize,
    more: usize,
    diags: &'a mut Vec<Diagnostic>,
}

impl Reader<'_> {
    /// Adds a problem unless the cap is reached (then it is only counted).
    fn report(&mut self, make: impl FnOnce() -> Diagnostic) {
        if self.reported < MAX_REPORTS {
            self.reported += 1;
            self.diags.push(make());
        } else {
            self.more += 1;
        }
    }

    fn full(&self) -> bool {
        self.reported >= MAX_REPORTS
    }

    /// The span of cell `i` of the record starting at byte `start`
    /// (quotes included); the end of the record past its last cell.
    fn cell_span(&self, start: usize, i: usize) -> Span {
        let (s, e) = cell_range(self.text, self.delim, start, i);
        Span::new(self.file, s, e.max(s))
    }
}

/// The byte between cells: a comma, unless the header line has none and
/// has a `;` (spreadsheets set to a language whose decimal mark is a comma
/// save "CSV" so) or a tab (a TSV file).
fn delimiter(text: &str) -> u8 {
    let header = text.split(['\n', '\r']).next().unwrap_or("");
    if header.contains(',') {
        b','
    } else if header.contains(';') {
        b';'
    } else if header.contains('\t') {
        b'\t'
    } else {
        b','
    }
}

/// A CSV reader over `text` as table files are read: no header handling
/// (the first record is the header), lines of any length, `delim` between cells.
fn csv_reader(text: &str, delim: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delim).from_reader(text.as_bytes())
}

/// Every record of a CSV table file, the header first: its 1-based line and
/// the byte range of each cell's text (inside the quotes of a quoted cell),
/// read with the file's delimiter as [`read`] reads it. For editors: the
/// places where rows name reps and enum variants.
pub fn cell_ranges(text: &str) -> Vec<(u32, Vec<(usize, usize)>)> {
    let delim = delimiter(text);
    let mut csv = csv_reader(text, delim);
    let mut out = Vec::new();
    for record in csv.records().flatten() {
        let Some(pos) = record.position() else { continue };
        let start = pos.byte() as usize;
        let cells = (0..record.len())
            .map(|i| {
                let (s, e) = cell_range(text, delim, start, i);
                let quoted = e > s + 1 && text.as_bytes()[s] == b'"' && text.as_bytes()[e - 1] == b'"';
                if quoted { (s + 1, e - 1) } else { (s, e) }
            })
            .collect();
        out.push((pos.line() as u32, cells));
    }
    out
}

/// Byte range of cell `i` of the record at `start`: RFC 4180 quoting.
fn cell_range(text: &str, delim: u8, start: usize, want: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let mut at = start;
    let mut i = 0;
    loop {
        let cell_start = at;
        if b.get(at) == Some(&b'"') {
            at += 1;
            while at < b.len() {
                if b[at] == b'"' {
                    if b.get(at + 1) == Some(&b'"') {
                        at += 2;
                        continue;
                    }
                    at += 1;
                    break;
                }
                at += 1;
            }
        }
        while at < b.len() && b[at] != delim && !matches!(b[at], b'\n' | b'\r') {
            at += 1;
        }
        if i == want {
            return (cell_start, at);
        }
        if b.get(at) != Some(&delim) {
            return (at, at);
        }
        at += 1;
        i += 1;
    }
}

/// Reads and checks the rows of `decl` from `file`.
pub fn read(
    decl: &TableDecl,
    columns: &[ColumnType],
    file: FileId,
    sources: &SourceSet,
    syms: &Symbols,
    free_mail: &[String],
    diags: &mut Vec<Diagnostic>,
) -> TableRows {
    let text = sources.get(file).text.as_str();
    let delim = delimiter(text);
    let mut r = Reader { decl, file, text, delim, syms, reported: 0, more: 0, diags };
    let mut out = TableRows { file, ..TableRows::default() };
    not_utf8(&mut r);
    let mut csv = csv_reader(text, delim);
    let mut records = csv.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            r.report(|| csv_error(file, text, &e));
            return out;
        }
        None => {
            r.report(|| {
                Diagnostic::new(Code::E0062, decl.path.span, format!("`{}` is empty: it has no header line", sources.get(file).name))
                    .label(format!("table `{}` reads this file", decl.name.name))
                    .help(header_help(decl))
            });
            return out;
        }
    };
    let Some(slots) = header_slots(&mut r, &header) else { return out };
    let free: rustc_hash::FxHashSet<&str> = free_mail.iter().map(String::as_str).collect();
    let key_col = decl.columns.iter().position(|c| c.key.is_some()).unwrap_or(0);
    let alias_col = decl.columns.iter().position(|c| c.alias.is_some());
    let domain = columns.get(key_col).is_some_and(|c| c.base == Base::Domain);
    let matching = if domain { leadroute_runtime::ir::KeyMatch::Domain } else { leadroute_runtime::ir::KeyMatch::Exact };
    // Normalized key -> (row, record start, cell), for the duplicate report.
    let mut keys: FxHashMap<String, (usize, usize, usize)> = FxHashMap::default();
    for record in records {
        let record = match record {
            Ok(rec) => rec,
            Err(e) => {
                r.report(|| csv_error(file, text, &e));
                continue;
            }
        };
        let pos = record.position().map_or((0, 0), |p| (p.byte() as usize, p.line() as u32));
        if record.len() == 1 && record.get(0).is_some_and(|c| c.trim().is_empty()) {
            continue; // a blank line
        }
        if record.len() != header.len() {
            let (start, line) = pos;
            let (n, h) = (record.len(), header.len());
            let (span, label) = if n > h {
                (r.cell_span(start, h), "this cell and those after it have no column")
            } else {
                (r.cell_span(start, n.saturating_sub(1)), "the line ends after this cell")
            };
            r.report(|| {
                Diagnostic::new(Code::E0063, span, format!("line {line} has {n} cells, the header has {h}"))
                    .label(label)
                    .help("every line needs one cell per header column; quote a cell holding a comma: \"Acme, Inc.\"")
            });
            continue;
        }
        let mut row: Vec<Option<Value>> = Vec::with_capacity(columns.len());
        let mut ok = true;
        for (c, (col, ty)) in decl.columns.iter().zip(columns).enumerate() {
            let at = slots[c];
            let raw = record.get(at).unwrap_or("");
            match cell(&mut r, raw, ty, col, pos.0, at) {
                Ok(v) => row.push(v),
                Err(()) => {
                    ok = false;
                    row.push(None);
                }
            }
        }
        if !ok {
            continue;
        }
        let n = out.rows.len();
        let mut add_key = |r: &mut Reader, k: &str, cell: usize| {
            let norm = normalize_key(matching, k).into_owned();
            if domain && free.contains(norm.as_str()) {
                let span = r.cell_span(pos.0, cell);
                r.report(|| {
                    Diagnostic::new(Code::W0020, span, format!("`{norm}` is a free-mail domain: this row can never match"))
                        .label("free-mail domain")
                        .help("leads from free-mail addresses match no account; remove the row or key it by the company's own domain")
                });
                return;
            }
            match keys.get(&norm) {
                Some(&(first, first_start, first_cell)) if first != n => {
                    let span = r.cell_span(pos.0, cell);
                    let first_span = r.cell_span(first_start, first_cell);
                    let first_line = out.lines.get(first).copied().unwrap_or(0);
                    r.report(|| {
                        Diagnostic::new(Code::E0066, span, format!("key `{norm}` is in two rows of table `{}`", r.decl.name.name))
                            .label(format!("also the key of line {first_line}"))
                            .with_secondary(first_span, "first here")
                            .help("each key (and alias) names one row; after normalization (case, `www.`, a trailing dot) these are the same; merge the rows")
                    });
                }
                Some(_) => {}
                None => {
                    keys.insert(norm, (n, pos.0, cell));
                }
            }
        };
        if let Some(Some(Value::Str(k))) = row.get(key_col) {
            add_key(&mut r, k, slots[key_col]);
        }
        if let Some(Some(Value::List(items))) = alias_col.and_then(|a| row.get(a)) {
            for item in items {
                if let Value::Str(k) = item {
                    add_key(&mut r, k, alias_col.map_or(0, |a| slots[a]));
                }
            }
        }
        out.rows.push(row);
        out.lines.push(pos.1);
    }
    if r.more > 0 {
        let (more, name) = (r.more, sources.get(file).name.clone());
        r.diags.push(
            Diagnostic::new(Code::E0064, decl.path.span, format!("{more} more problems in `{name}` are not shown"))
                .label(format!("table `{}`", decl.name.name))
                .help(format!("fix the {MAX_REPORTS} above and check again")),
        );
    }
    out
}

/// A file that was not UTF-8 is read with its bad bytes replaced by `�`
/// (so the rest can still be checked and shown); that is an error at the
/// first such line, since a key or a name with a replaced byte would never
/// match.
fn not_utf8(r: &mut Reader) {
    let Some(at) = r.text.find('\u{FFFD}') else { return };
    let line = r.text[..at].matches('\n').count() + 1;
    let lines = r.text.lines().filter(|l| l.contains('\u{FFFD}')).count();
    let span = Span::new(r.file, at, at + '\u{FFFD}'.len_utf8());
    let others = match lines {
        0 | 1 => String::new(),
        2 => " (and 1 more line)".to_string(),
        n => format!(" (and {} more lines)", n - 1),
    };
    r.report(|| {
        Diagnostic::new(Code::E0060, span, format!("line {line} of the table file is not UTF-8 text{others}"))
            .label("a byte that is not UTF-8, shown as `�`")
            .help("save the file as UTF-8: in Excel, \"CSV UTF-8 (Comma delimited)\"; in LibreOffice, character set \"Unicode (UTF-8)\"")
    });
}

/// The header's position of each declared column; `None` when one is missing.
fn header_slots(r: &mut Reader, header: &csv::StringRecord) -> Option<Vec<usize>> {
    let names: Vec<&str> = header.iter().map(str::trim).collect();
    let mut at: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        if let Some(first) = at.insert(n, i) {
            let span = r.cell_span(0, i);
            let first_span = r.cell_span(0, first);
            r.report(|| {
                Diagnostic::new(Code::E0062, span, format!("the header names column `{n}` twice"))
                    .label("second time")
                    .with_secondary(first_span, "first time")
                    .help("rename or remove one of the two columns")
            });
            return None;
        }
    }
    let declared: Vec<&str> = r.decl.columns.iter().map(|c| c.name.name.as_str()).collect();
    let mut slots = Vec::with_capacity(declared.len());
    let mut missing = false;
    for col in &r.decl.columns {
        match at.get(col.name.name.as_str()) {
            Some(i) => slots.push(*i),
            None => {
                missing = true;
                let extra: Vec<&str> = names.iter().copied().filter(|n| !declared.contains(n)).collect();
                let header_span = Span::new(r.file, 0, r.text.find(['\n', '\r']).unwrap_or(r.text.len()));
                let help = match super::suggest::closest(&col.name.name, extra.iter().copied()) {
                    Some(best) => format!("the header has `{best}`: rename it `{}`, or rename the column in the declaration", col.name.name),
                    None => header_help(r.decl),
                };
                let name = col.name.name.clone();
                let decl_span = col.name.span;
                r.report(|| {
                    Diagnostic::new(Code::E0062, header_span, format!("the header has no column `{name}`"))
                        .label("header line")
                        .with_secondary(decl_span, "declared here")
                        .help(help)
                });
            }
        }
    }
    for (i, n) in names.iter().enumerate() {
        if !declared.contains(n) {
            let span = r.cell_span(0, i);
            let help = format!(
                "{}; an undeclared column is ignored: declare it in table `{}` to use it",
                help_for(n, "column", declared.iter().copied()),
                r.decl.name.name
            );
            let n = n.to_string();
            r.report(|| {
                Diagnostic::new(Code::W0021, span, format!("column `{n}` is not declared in the table"))
                    .label("not declared")
                    .help(help)
            });
        }
    }
    (!missing).then_some(slots)
}

fn header_help(decl: &TableDecl) -> String {
    let names: Vec<&str> = decl.columns.iter().map(|c| c.name.name.as_str()).collect();
    format!("the first line names the columns, in any order: `{}`", names.join(","))
}

/// A CSV syntax error (an unclosed quote ...) at its place.
fn csv_error(file: FileId, text: &str, e: &csv::Error) -> Diagnostic {
    let at = e.position().map_or(0, |p| p.byte() as usize).min(text.len());
    let end = text[at..].find(['\n', '\r']).map_or(text.len(), |i| at + i);
    let what = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text".to_string(),
        _ => format!("cannot be read as CSV ({e})"),
    };
    Diagnostic::new(Code::E0063, Span::new(file, at, end.max(at)), format!("this line {what}"))
        .label("here")
        .help("save the file as UTF-8 CSV: cells separated by commas, a cell with a comma or quote in \"double quotes\"")
}

/// One cell, parsed as its column says; an error is reported and gives `Err`.
fn cell(r: &mut Reader, raw: &str, ty: &ColumnType, col: &crate::syntax::ast::ColumnDecl, start: usize, at: usize) -> Result<Option<Value>, ()> {
    let raw = raw.trim();
    if ty.list {
        let mut items = Vec::new();
        for part in raw.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            match one(r, part, &ty.base) {
                Ok(v) => items.push(v),
                Err(problem) => {
                    bad(r, problem, col, start, at);
                    return Err(());
                }
            }
        }
        if items.is_empty() && ty.optional {
            return Ok(None);
        }
        return Ok(Some(Value::List(items)));
    }
    if raw.is_empty() {
        if ty.optional {
            return Ok(None);
        }
        let span = r.cell_span(start, at);
        let name = col.name.name.clone();
        let decl_span = col.span;
        r.report(|| {
            Diagnostic::new(Code::E0064, span, format!("column `{name}` is required but this cell is empty"))
                .label("empty cell")
                .with_secondary(decl_span, "declared required here")
                .help(format!("fill the cell, or declare the column optional: `{name}: {}?`", crate::fmt::expr::type_expr(&col.ty)))
        });
        return Err(());
    }
    match one(r, raw, &ty.base) {
        Ok(v) => Ok(Some(v)),
        Err(problem) => {
            bad(r, problem, col, start, at);
            Err(())
        }
    }
}

/// Why a value does not fit.
enum Problem {
    /// Not of the type: what was expected.
    Type(&'static str),
    /// No rep / variant of this name: the kind, the candidates.
    Unknown(&'static str, Vec<String>),
}

fn one(r: &Reader, raw: &str, base: &Base) -> Result<Value, Problem> {
    Ok(match base {
        Base::Str => Value::Str(raw.to_string()),
        Base::Domain => {
            let d = normalize_domain(raw);
            if d.is_empty() || d.contains(char::is_whitespace) || d.contains([',', '/']) {
                return Err(Problem::Type("a web domain like `globex.com`"));
            }
            Value::Str(d.into_owned())
        }
        Base::Rep => {
            if !r.syms.reps.contains_key(raw) {
                return Err(Problem::Unknown("rep", r.syms.reps.keys().cloned().collect()));
            }
            Value::Str(raw.to_string())
        }
        Base::Int => Value::Int(raw.parse().map_err(|_| Problem::Type("a whole number like `250`"))?),
        Base::Float => match raw.parse::<f64>() {
            Ok(f) if f.is_finite() => Value::Float(f),
            _ => return Err(Problem::Type("a number like `4.5`")),
        },
        Base::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(Problem::Type("`true` or `false`")),
        },
        Base::Time => {
            let t: jiff::Timestamp = raw.parse().map_err(|_| Problem::Type("an RFC 3339 time like `2026-11-24T15:00:00Z`"))?;
            Value::Time(t.as_millisecond())
        }
        Base::Enum(e) => {
            match r.syms.variant_index(e, raw) {
                Some(i) => Value::Enum(i as u32),
                None => {
                    let variants = r.syms.enums.get(e).map(|d| d.variants.iter().map(|v| v.name.clone()).collect()).unwrap_or_default();
                    return Err(Problem::Unknown("variant", variants));
                }
            }
        }
    })
}

fn bad(r: &mut Reader, problem: Problem, col: &crate::syntax::ast::ColumnDecl, start: usize, at: usize) {
    if r.full() {
        r.more += 1;
        return;
    }
    let span = r.cell_span(start, at);
    let shown = r.text.get(span.range()).unwrap_or("").trim().to_string();
    let name = &col.name.name;
    let d = match problem {
        Problem::Type(want) => Diagnostic::new(Code::E0064, span, format!("`{shown}` is not a valid `{name}`: expected {want}"))
            .label("wrong type")
            .with_secondary(col.ty.span, "the column's type")
            .help(format!("write {want} in the cell, or change the column's type")),
        Problem::Unknown(kind, candidates) => {
            let word = shown.trim_matches('"');
            let help = help_for(word, kind, candidates.iter().map(String::as_str));
            let what = if kind == "rep" { "no rep".to_string() } else { format!("no variant of `{}`", type_word(col)) };
            Diagnostic::new(Code::E0065, span, format!("`{word}` in column `{name}` names {what}"))
                .label(format!("unknown {kind}"))
                .with_secondary(col.ty.span, "the column's type")
                .help(help)
        }
    };
    r.report(|| d);
}

fn type_word(col: &crate::syntax::ast::ColumnDecl) -> String {
    match &col.ty.kind {
        crate::syntax::ast::TypeKind::Named(n) => n.name.clone(),
        crate::syntax::ast::TypeKind::List(inner) => match &inner.kind {
            crate::syntax::ast::TypeKind::Named(n) => n.name.clone(),
            crate::syntax::ast::TypeKind::List(_) => "list".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::cell_range;

    #[test]
    fn cells_are_found_with_quotes() {
        let t = "a,\"b, \"\"c\"\"\",d\nx";
        assert_eq!(&t[cell_range(t, b',', 0, 0).0..cell_range(t, b',', 0, 0).1], "a");
        let (s, e) = cell_range(t, b',', 0, 1);
        assert_eq!(&t[s..e], "\"b, \"\"c\"\"\"");
        let (s, e) = cell_range(t, b',', 0, 2);
        assert_eq!(&t[s..e], "d");
        assert_eq!(cell_range(t, b',', 0, 5), (14, 14), "past the last cell: the end of the line");
    }
}
