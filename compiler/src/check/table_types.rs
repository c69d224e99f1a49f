//! Types of table lookups in conditions and actions: `accounts[key]` is an
//! optional row, `accounts[key].column` an optional value that must be
//! guarded like an optional field (`accounts[key] is present and ...`, or a
//! `??` default), and `value in table` tests the table's keys.

use super::suggest::help_for;
use super::symbols::Ty;
use super::tables::column_type;
use super::types::{a_ty, Env, TypeChecker};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::syntax::ast::*;

/// The names a lookup proves present when `lookup is present` holds: the
/// row (`accounts[domain(email)]`) and, for a column, the column too.
pub fn lookup_facts(e: &Expr) -> Vec<String> {
    match &e.kind {
        ExprKind::Lookup { column: None, .. } => vec![crate::fmt::expr::expr(e)],
        ExprKind::Lookup { table, key, column: Some(_) } => {
            let row = Expr { kind: ExprKind::Lookup { table: table.clone(), key: key.clone(), column: None }, span: e.span };
            vec![crate::fmt::expr::expr(&row), crate::fmt::expr::expr(e)]
        }
        ExprKind::Paren(inner) => lookup_facts(inner),
        _ => Vec::new(),
    }
}

impl TypeChecker<'_, '_> {
    /// Types `table[key]` / `table[key].column`. `guarded`: the context
    /// handles a miss itself (`is present`, `??`, `owner(...)`).
    pub fn lookup(&mut self, e: &Expr, env: &Env, guarded: bool) -> Ty {
        let ExprKind::Lookup { table, key, column } = &e.kind else { return self.expr(e, env, None) };
        let kt = match &key.kind {
            // A missing key is a miss, not an error: no guard needed on it.
            ExprKind::Name(n) if self.syms.fields.get(n).is_some_and(|f| f.optional) => self.syms.fields[n].ty.clone(),
            _ => self.expr(key, env, None),
        };
        let Some(decl) = self.syms.tables.get(&table.name).copied() else {
            self.diags.push(
                Diagnostic::new(Code::E0067, table.span, format!("unknown table `{}`", table.name))
                    .label("no table has this name")
                    .help(help_for(&table.name, "table", self.syms.tables.keys().map(String::as_str))),
            );
            return Ty::Error;
        };
        self.used_sets.insert(table.name.clone());
        if !matches!(kt, Ty::Str | Ty::Error) {
            self.diags.push(
                Diagnostic::new(Code::E0012, key.span, format!("table `{}` is looked up by text, not by {}", table.name, a_ty(&kt.name())))
                    .label(format!("this is {}", a_ty(&kt.name())))
                    .help("look it up by a `string` value, such as `accounts[domain(email)]`"),
            );
        }
        let facts = lookup_facts(e);
        let Some(col) = column else {
            if !guarded {
                self.diags.push(
                    Diagnostic::new(Code::E0012, e.span, format!("a row of table `{}` is not a value", table.name))
                        .label("a row, which may be missing")
                        .help(format!("test it with `{} is present`, or read a column: `{}.{}`", facts[0], facts[0], first_column(decl))),
                );
            }
            return Ty::Error;
        };
        let Some(cdecl) = decl.columns.iter().find(|c| c.name.name == col.name) else {
            self.diags.push(
                Diagnostic::new(Code::E0067, col.span, format!("table `{}` has no column `{}`", table.name, col.name))
                    .label("no such column")
                    .with_secondary(decl.name.span, format!("table `{}` declared here", table.name))
                    .help(help_for(&col.name, "column", decl.columns.iter().map(|c| c.name.name.as_str()))),
            );
            return Ty::Error;
        };
        let Some(ct) = column_type(cdecl, self.syms) else { return Ty::Error };
        let row_known = env.present.contains(&facts[0]);
        let cell_known = !ct.optional || env.present.contains(&facts[1]);
        if !guarded && !(row_known && cell_known) {
            let (what, guard) = if row_known { ("the cell may be empty", &facts[1]) } else { ("no row may match", &facts[0]) };
            let default = match ct.ty() {
                Ty::Int => "0".to_string(),
                Ty::Float => "0.0".to_string(),
                Ty::Bool => "false".to_string(),
                Ty::Enum(e) => self.syms.enums.get(&e).and_then(|d| d.variants.first()).map_or("\"\"".to_string(), |v| v.name.clone()),
                _ => "\"\"".to_string(),
            };
            self.diags.push(
                Diagnostic::new(Code::E0015, e.span, format!("`{}` may be missing here: {what}", facts[1]))
                    .label("read without a presence guard")
                    .with_secondary(cdecl.span, format!("column of table `{}`", table.name))
                    .help(format!("guard it (`{guard} is present and ...`) or give a default (`{} ?? {default}`)", facts[1])),
            );
        }
        ct.ty()
    }

    /// `value in table`: the value must be text; the table's keys are tested.
    pub fn table_membership(&mut self, vt: &Ty, value: &Expr, name: &str, set_span: Span) {
        self.used_sets.insert(name.to_string());
        if !matches!(vt, Ty::Str | Ty::Error) {
            self.diags.push(
                Diagnostic::new(Code::E0012, value.span, format!("the keys of table `{name}` are text, and this is {}", a_ty(&vt.name())))
                    .label(format!("this is {}", a_ty(&vt.name())))
                    .with_secondary(set_span, format!("table `{name}`"))
                    .help("test a `string` value against a table's keys"),
            );
        }
    }
}

fn first_column(decl: &TableDecl) -> String {
    decl.columns.iter().find(|c| c.key.is_none()).or(decl.columns.first()).map_or("column".into(), |c| c.name.name.clone())
}
