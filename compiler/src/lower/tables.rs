//! Lowering tables: the checked rows become [`ir::TableDef`]s (in name
//! order, the order lookups index), and lookups become IR expressions.

use leadroute_runtime::ir;

use super::Lowerer;
use crate::check::tables::{column_type, Base};
use crate::check::{Checked, Ty};
use crate::syntax::ast::*;

impl Lowerer<'_, '_> {
    /// The tables' rows and, when a table has a `domain` key, the free-mail domains.
    pub(super) fn tables(&self, checked: &Checked) -> (Vec<ir::TableDef>, Vec<String>) {
        let mut out = Vec::new();
        for (name, decl) in &self.syms.tables {
            let Some(rows) = checked.tables.get(name) else { continue };
            let mut columns = Vec::with_capacity(decl.columns.len());
            let mut matching = ir::KeyMatch::Exact;
            for c in &decl.columns {
                let Some(ct) = column_type(c, self.syms) else { continue };
                if c.key.is_some() && ct.base == Base::Domain {
                    matching = ir::KeyMatch::Domain;
                }
                columns.push(ir::ColumnDef { name: c.name.name.clone(), ty: super::ty(&ct.ty(), self.syms), optional: ct.optional, rep: ct.base == Base::Rep });
            }
            let file = &self.sources.get(rows.file).name;
            let file = std::path::Path::new(file).file_name().map_or(file.clone(), |n| n.to_string_lossy().into_owned());
            out.push(ir::TableDef {
                name: name.clone(),
                columns,
                key: decl.columns.iter().position(|c| c.key.is_some()).unwrap_or(0) as u32,
                alias: decl.columns.iter().position(|c| c.alias.is_some()).map(|i| i as u32),
                matching,
                rows: rows.rows.clone(),
                loc: ir::TableLoc { file, lines: rows.lines.clone() },
            });
        }
        let free_mail = if out.iter().any(|t| t.matching == ir::KeyMatch::Domain) {
            crate::check::tables::free_mail(self.syms, &mut Vec::new())
        } else {
            Vec::new()
        };
        (out, free_mail)
    }

    pub(super) fn table_index(&self, name: &str) -> u32 {
        crate::check::tables::index_of(self.syms, name).unwrap_or(0) as u32
    }

    pub(super) fn is_lookup(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Lookup { .. } => true,
            ExprKind::Paren(inner) => self.is_lookup(inner),
            _ => false,
        }
    }

    pub(super) fn lookup(&self, table: &Ident, key: &Expr, column: Option<&Ident>, in_route: bool) -> (ir::Expr, Ty) {
        let decl = self.syms.tables.get(&table.name);
        let col = column.and_then(|c| decl.and_then(|d| d.columns.iter().position(|x| x.name.name == c.name)));
        let ty = match (decl, col) {
            (Some(d), Some(i)) => column_type(&d.columns[i], self.syms).map_or(Ty::Error, |t| t.ty()),
            _ => Ty::Error,
        };
        let key = Box::new(self.expr(key, in_route, None).0);
        (ir::Expr::Lookup { table: self.table_index(&table.name), key, column: col.map(|c| c as u32) }, ty)
    }
}
