//! Lowering conditions to IR expressions: names resolve to slots, variants
//! and indexes exactly as the type checker resolved them.

use leadroute_runtime::ir::{self, Func};

use super::Lowerer;
use crate::check::Ty;
use crate::syntax::ast::*;

impl Lowerer<'_, '_> {
    fn known_value(&self, e: &Expr, in_route: bool) -> bool {
        match &e.kind {
            ExprKind::Name(n) => self.syms.fields.contains_key(n) || n == "now" || (in_route && (n == "tier" || n == "territory")),
            ExprKind::Paren(inner) => self.known_value(inner, in_route),
            _ => true,
        }
    }

    /// Lowers a checked expression; returns it with its type.
    pub(super) fn expr(&self, e: &Expr, in_route: bool, hint: Option<&Ty>) -> (ir::Expr, Ty) {
        match &e.kind {
            ExprKind::Lit(l) => {
                let (value, ty) = match l {
                    Lit::Str(s) => (ir::Value::Str(s.clone()), Ty::Str),
                    Lit::Int(i) => (ir::Value::Int(*i), Ty::Int),
                    Lit::Float(f) => (ir::Value::Float(*f), Ty::Float),
                    Lit::Bool(b) => (ir::Value::Bool(*b), Ty::Bool),
                    Lit::Duration(d, _) => (ir::Value::Duration(*d), Ty::Duration),
                    Lit::Clock(c) => (ir::Value::Clock(*c), Ty::Clock),
                };
                (ir::Expr::Const { value }, ty)
            }
            ExprKind::Name(n) => self.name(n, in_route, hint),
            ExprKind::Paren(inner) => self.expr(inner, in_route, hint),
            ExprKind::Not(inner) => (ir::Expr::Not { arg: Box::new(self.expr(inner, in_route, None).0) }, Ty::Bool),
            ExprKind::And(..) | ExprKind::Or(..) => {
                let is_and = matches!(e.kind, ExprKind::And(..));
                // Chains are left-deep: walked, not recursed.
                let args = crate::check::types::chain(e, is_and).into_iter().map(|x| self.expr(x, in_route, None).0).collect();
                (if is_and { ir::Expr::And { args } } else { ir::Expr::Or { args } }, Ty::Bool)
            }
            ExprKind::Cmp { op, lhs, rhs } => {
                let (l, r) = if !self.known_value(lhs, in_route) && self.known_value(rhs, in_route) {
                    let (r, rt) = self.expr(rhs, in_route, None);
                    (self.expr(lhs, in_route, Some(&rt)).0, r)
                } else {
                    let (l, lt) = self.expr(lhs, in_route, None);
                    (l, self.expr(rhs, in_route, Some(&lt)).0)
                };
                let cmp = match op {
                    CmpOp::Eq => ir::CmpOp::Eq,
                    CmpOp::Ne => ir::CmpOp::Ne,
                    CmpOp::Lt => ir::CmpOp::Lt,
                    CmpOp::Le => ir::CmpOp::Le,
                    CmpOp::Gt => ir::CmpOp::Gt,
                    CmpOp::Ge => ir::CmpOp::Ge,
                };
                (ir::Expr::Cmp { cmp, lhs: Box::new(l), rhs: Box::new(r) }, Ty::Bool)
            }
            ExprKind::In { value, set, negated } => {
                let (v, vt) = self.expr(value, in_route, None);
                let negated = *negated;
                let consts = |items: &[Expr]| -> Vec<ir::Value> {
                    items
                        .iter()
                        .filter_map(|i| match self.expr(i, in_route, Some(&vt)).0 {
                            ir::Expr::Const { value } => Some(value),
                            _ => None,
                        })
                        .collect()
                };
                let lowered = match &set.kind {
                    ExprKind::List(items) => ir::Expr::In { value: Box::new(v), set: consts(items), negated },
                    ExprKind::Name(n) => match (self.syms.sets.get(n), self.slots.get(n.as_str())) {
                        (Some(decl), _) => ir::Expr::In { value: Box::new(v), set: consts(&decl.items), negated },
                        (None, None) if self.syms.tables.contains_key(n) => {
                            ir::Expr::InTable { value: Box::new(v), table: self.table_index(n), negated }
                        }
                        (None, Some(slot)) => ir::Expr::InField { value: Box::new(v), list: *slot, negated },
                        _ => ir::Expr::Const { value: ir::Value::Bool(false) },
                    },
                    _ => ir::Expr::Const { value: ir::Value::Bool(false) },
                };
                (lowered, Ty::Bool)
            }
            ExprKind::Is { value, present } => {
                let lowered = match &value.kind {
                    ExprKind::Name(n) if self.slots.contains_key(n.as_str()) => {
                        ir::Expr::Present { slot: self.slots[n.as_str()], present: *present }
                    }
                    ExprKind::Lookup { .. } | ExprKind::Paren(_) if self.is_lookup(value) => {
                        ir::Expr::Has { value: Box::new(self.expr(value, in_route, None).0), present: *present }
                    }
                    // `territory is present` / `is missing`: whether a territory matched.
                    _ => ir::Expr::Cmp {
                        cmp: if *present { ir::CmpOp::Ne } else { ir::CmpOp::Eq },
                        lhs: Box::new(ir::Expr::Territory),
                        rhs: Box::new(ir::Expr::Const { value: ir::Value::Territory(None) }),
                    },
                };
                (lowered, Ty::Bool)
            }
            ExprKind::Ambiguous(_) => (ir::Expr::Ambiguous, Ty::Bool),
            ExprKind::Default { value, default } => match &value.kind {
                ExprKind::Name(n) if self.slots.contains_key(n.as_str()) => {
                    let ty = self.syms.fields[n].ty.clone();
                    let d = match self.expr(default, in_route, Some(&ty)).0 {
                        ir::Expr::Const { value } => value,
                        _ => ir::Value::Bool(false),
                    };
                    (ir::Expr::Default { slot: self.slots[n.as_str()], default: d }, ty)
                }
                _ if self.is_lookup(value) => {
                    let (v, ty) = self.expr(value, in_route, hint);
                    let d = self.expr(default, in_route, Some(&ty)).0;
                    (ir::Expr::Else { value: Box::new(v), default: Box::new(d) }, ty)
                }
                _ => self.expr(value, in_route, hint),
            },
            ExprKind::Call { func, args } => {
                let lowered: Vec<(ir::Expr, Ty)> = args.iter().map(|a| self.expr(a, in_route, None)).collect();
                let (f, ty) = match func.name.as_str() {
                    "lower" => (Func::Lower, Ty::Str),
                    "upper" => (Func::Upper, Ty::Str),
                    "starts_with" => (Func::StartsWith, Ty::Bool),
                    "ends_with" => (Func::EndsWith, Ty::Bool),
                    "contains" => (Func::Contains, Ty::Bool),
                    "domain" => (Func::Domain, Ty::Str),
                    "len" => (Func::Len, Ty::Int),
                    "since" => (Func::Since, Ty::Duration),
                    _ => (Func::Clock, Ty::Clock),
                };
                (ir::Expr::Call { func: f, args: lowered.into_iter().map(|(e, _)| e).collect() }, ty)
            }
            ExprKind::List(_) => (ir::Expr::Const { value: ir::Value::Bool(false) }, Ty::Error),
            ExprKind::Lookup { table, key, column } => self.lookup(table, key, column.as_ref(), in_route),
        }
    }

    fn name(&self, n: &str, in_route: bool, hint: Option<&Ty>) -> (ir::Expr, Ty) {
        let konst = |value| ir::Expr::Const { value };
        match hint {
            Some(Ty::Enum(en)) => {
                if let Some(i) = self.syms.variant_index(en, n) {
                    return (konst(ir::Value::Enum(i as u32)), Ty::Enum(en.clone()));
                }
            }
            Some(Ty::Tier) if !self.slots.contains_key(n) && n != "tier" => {
                if let Some(i) = self.syms.tier_index(n) {
                    return (konst(ir::Value::Tier(i as u32)), Ty::Tier);
                }
            }
            Some(Ty::Territory) if !self.slots.contains_key(n) && n != "territory" => {
                let i = self.syms.territory_index(n).map(|i| i as u32);
                return (konst(ir::Value::Territory(i)), Ty::Territory);
            }
            _ => {}
        }
        match n {
            "now" => return (ir::Expr::Now, Ty::Time),
            "tier" if in_route => return (ir::Expr::Tier, Ty::Tier),
            "territory" if in_route => return (ir::Expr::Territory, Ty::Territory),
            _ => {}
        }
        match self.slots.get(n) {
            Some(slot) => (ir::Expr::Field { slot: *slot }, self.syms.fields[n].ty.clone()),
            None => (konst(ir::Value::Bool(false)), Ty::Error),
        }
    }
}
