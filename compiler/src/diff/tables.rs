//! The table part of the semantic diff: a table added or removed, its
//! columns changed, and its rows added, removed and changed by key (the
//! first few named, the rest counted). Linear in the rows apart from sorting
//! the keys, so a 100,000-row table diffs quickly and always the same way.

use std::collections::BTreeMap;

use leadroute_runtime::decision::value_json;
use leadroute_runtime::ir::{ColumnDef, KeyMatch, PolicyIr, TableDef, Value};

use super::{type_text, Change};

/// How many keys (or changed rows) a change line names before it counts the rest.
pub const SHOWN_ROWS: usize = 5;

/// Every table change from `old` to `new`: tables in name order; per table,
/// columns first, then rows.
pub fn changes(old: &PolicyIr, new: &PolicyIr, out: &mut Vec<Change>) {
    let olds: BTreeMap<&str, &TableDef> = old.tables.iter().map(|t| (t.name.as_str(), t)).collect();
    let news: BTreeMap<&str, &TableDef> = new.tables.iter().map(|t| (t.name.as_str(), t)).collect();
    for (name, a) in &olds {
        match news.get(name) {
            None => out.push(change(name, format!("removed (was {} from {})", rows_text(a.rows.len()), a.loc.file))),
            Some(b) => table_changes(old, a, new, b, out),
        }
    }
    for (name, b) in &news {
        if !olds.contains_key(name) {
            let columns: Vec<String> = b.columns.iter().enumerate().map(|(i, c)| column_text(new, b, i, c)).collect();
            out.push(change(name, format!("added: {} from {} {{ {} }}", rows_text(b.rows.len()), b.loc.file, columns.join(", "))));
        }
    }
    free_mail(old, new, out);
}

/// An expression's JSON with every `"table":N` replaced by the table's name
/// (one pass over the text).
pub fn named(ir: &PolicyIr, json: &str) -> String {
    const NEEDLE: &str = "\"table\":";
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(at) = rest.find(NEEDLE) {
        let after = &rest[at + NEEDLE.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(&rest[..at + NEEDLE.len()]);
        match after[..digits].parse::<usize>().ok().and_then(|i| ir.tables.get(i)) {
            Some(t) => out.push_str(&format!("{:?}", t.name)),
            None => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

fn change(name: &str, what: String) -> Change {
    Change { kind: "table", name: name.to_string(), what }
}

fn rows_text(n: usize) -> String {
    format!("{n} row{}", if n == 1 { "" } else { "s" })
}

/// `domain: domain key`, `aliases: list<domain> alias`, `owner: rep`, `region: string?`.
fn column_text(ir: &PolicyIr, t: &TableDef, i: usize, c: &ColumnDef) -> String {
    let is_key = t.key as usize == i;
    let is_alias = t.alias == Some(i as u32);
    let domain = t.matching == KeyMatch::Domain && (is_key || is_alias);
    let base = match (&c.ty, c.rep, domain) {
        (_, true, _) => "rep".to_string(),
        (leadroute_runtime::ir::FieldType::List(_), _, true) => "list<domain>".to_string(),
        (_, _, true) => "domain".to_string(),
        (ty, _, _) => type_text(ir, ty),
    };
    let mut text = format!("{}: {base}{}", c.name, if c.optional { "?" } else { "" });
    if is_key {
        text.push_str(" key");
    }
    if is_alias {
        text.push_str(" alias");
    }
    text
}

fn table_changes(oir: &PolicyIr, a: &TableDef, nir: &PolicyIr, b: &TableDef, out: &mut Vec<Change>) {
    let name = a.name.as_str();
    // Columns, by name: removed and changed in the old order, added in the new.
    let old_cols: Vec<String> = a.columns.iter().enumerate().map(|(i, c)| column_text(oir, a, i, c)).collect();
    let new_cols: Vec<String> = b.columns.iter().enumerate().map(|(i, c)| column_text(nir, b, i, c)).collect();
    let new_at = |n: &str| b.columns.iter().position(|c| c.name == n);
    let old_at = |n: &str| a.columns.iter().position(|c| c.name == n);
    for (i, c) in a.columns.iter().enumerate() {
        match new_at(&c.name) {
            None => out.push(change(name, format!("column removed: `{}`", old_cols[i]))),
            Some(j) if new_cols[j] != old_cols[i] => out.push(change(name, format!("column `{}` -> `{}`", old_cols[i], new_cols[j]))),
            Some(_) => {}
        }
    }
    for (j, c) in b.columns.iter().enumerate() {
        if old_at(&c.name).is_none() {
            out.push(change(name, format!("column added: `{}`", new_cols[j])));
        }
    }
    // Rows, by key: only the columns both versions have are compared.
    let common: Vec<(usize, usize)> = a.columns.iter().enumerate().filter_map(|(i, c)| new_at(&c.name).map(|j| (i, j))).collect();
    let old_rows = by_key(a);
    let new_rows = by_key(b);
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut changed = Vec::new();
    let mut changed_count = 0usize;
    for (key, ra) in &old_rows {
        let Some(rb) = new_rows.get(key) else {
            removed.push(*key);
            continue;
        };
        let mut cells = Vec::new();
        for &(i, j) in &common {
            let (ca, cb) = (cell_text(oir, &a.columns[i], ra.get(i)), cell_text(nir, &b.columns[j], rb.get(j)));
            if ca != cb {
                cells.push(format!("{} {ca} -> {cb}", a.columns[i].name));
            }
        }
        if !cells.is_empty() {
            changed_count += 1;
            if changed.len() < SHOWN_ROWS {
                changed.push(format!("{key} {}", cells.join(", ")));
            }
        }
    }
    for key in new_rows.keys() {
        if !old_rows.contains_key(key) {
            added.push(*key);
        }
    }
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("{} added ({})", rows_text(added.len()), listed(&added)));
    }
    if !removed.is_empty() {
        parts.push(format!("{} removed ({})", rows_text(removed.len()), listed(&removed)));
    }
    if changed_count > 0 {
        let more = changed_count - changed.len();
        let tail = if more > 0 { format!("; and {more} more") } else { String::new() };
        parts.push(format!("{} changed: {}{tail}", rows_text(changed_count), changed.join("; ")));
    }
    if !parts.is_empty() {
        out.push(change(name, parts.join(", ")));
    }
}

/// The rows by their (normalized) key, sorted; a row whose key is not a
/// string (not a valid policy) is left out rather than guessed at.
fn by_key(t: &TableDef) -> BTreeMap<&str, &Vec<Option<Value>>> {
    t.rows
        .iter()
        .filter_map(|r| match r.get(t.key as usize) {
            Some(Some(Value::Str(k))) => Some((k.as_str(), r)),
            _ => None,
        })
        .collect()
}

/// `a, b, c, d, e and 12 more`.
fn listed(keys: &[&str]) -> String {
    let shown: Vec<&str> = keys.iter().take(SHOWN_ROWS).copied().collect();
    let more = keys.len() - shown.len();
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// A cell as the CSV would say it: text as is, enums by name, lists
/// `;`-separated, an empty cell as `(empty)`.
fn cell_text(ir: &PolicyIr, c: &ColumnDef, cell: Option<&Option<Value>>) -> String {
    match cell {
        None | Some(None) => "(empty)".to_string(),
        Some(Some(v)) => value_text(&value_json(ir, Some(&c.ty), v)),
    }
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

/// Free-mail domains added and removed (they decide which domains never match a table).
fn free_mail(old: &PolicyIr, new: &PolicyIr, out: &mut Vec<Change>) {
    // Both lists are sorted; a set difference either way.
    let a: std::collections::BTreeSet<&str> = old.free_mail.iter().map(String::as_str).collect();
    let b: std::collections::BTreeSet<&str> = new.free_mail.iter().map(String::as_str).collect();
    let added: Vec<&str> = b.difference(&a).copied().collect();
    let removed: Vec<&str> = a.difference(&b).copied().collect();
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("{} added ({})", added.len(), listed(&added)));
    }
    if !removed.is_empty() {
        parts.push(format!("{} removed ({})", removed.len(), listed(&removed)));
    }
    if !parts.is_empty() {
        out.push(Change { kind: "free_mail", name: "domains".into(), what: parts.join(", ") });
    }
}
