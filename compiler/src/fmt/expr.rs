//! Canonical text of expressions, values, literals, actions and types.

use crate::syntax::ast::*;

/// A string literal with its quotes, escapes written back.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A float with at least one decimal (`80` is written `80.0`).
pub(crate) fn float(f: f64) -> String {
    let s = f.to_string();
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

/// A duration in its largest exact unit: 300000 ms is `5m`.
pub(crate) fn duration(ms: i64) -> String {
    const UNITS: [(&str, i64); 6] = [("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)];
    for (unit, size) in UNITS {
        if ms != 0 && ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// A clock time as `HH:MM`.
pub(crate) fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A day range: `mon`, `mon-fri`.
pub(crate) fn days(d: &DaySpec) -> String {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let name = |i: u8| NAMES.get(usize::from(i)).copied().unwrap_or("mon");
    if d.from == d.to {
        name(d.from).to_string()
    } else {
        format!("{}-{}", name(d.from), name(d.to))
    }
}

fn lit(l: &Lit) -> String {
    match l {
        Lit::Str(s) => quote(s),
        Lit::Int(i) => i.to_string(),
        Lit::Float(f) => float(*f),
        Lit::Bool(b) => b.to_string(),
        Lit::Duration(_, written) => written.clone(),
        Lit::Clock(m) => clock(*m),
    }
}

/// An expression with single spaces around operators and its parentheses as written.
pub(crate) fn expr(e: &Expr) -> String {
    let mut s = String::new();
    write_expr(e, &mut s);
    s
}

fn write_expr(e: &Expr, out: &mut String) {
    match &e.kind {
        // `and`, `or` and `??` chains nest to the left; walk them in a loop
        // so that a long chain does not recurse once per operand.
        ExprKind::Or(..) | ExprKind::And(..) | ExprKind::Default { .. } => {
            let mut rights = Vec::new();
            let mut left = e;
            let op = match &e.kind {
                ExprKind::Or(..) => " or ",
                ExprKind::And(..) => " and ",
                _ => " ?? ",
            };
            loop {
                match (&left.kind, op) {
                    (ExprKind::Or(l, r), " or ") | (ExprKind::And(l, r), " and ") => {
                        rights.push(&**r);
                        left = l;
                    }
                    (ExprKind::Default { value, default }, " ?? ") => {
                        rights.push(&**default);
                        left = value;
                    }
                    _ => break,
                }
            }
            write_expr(left, out);
            for r in rights.into_iter().rev() {
                out.push_str(op);
                write_expr(r, out);
            }
        }
        ExprKind::Lit(l) => out.push_str(&lit(l)),
        ExprKind::Name(n) => out.push_str(n),
        ExprKind::Lookup { table, key, column } => {
            out.push_str(&table.name);
            out.push('[');
            write_expr(key, out);
            out.push(']');
            if let Some(c) = column {
                out.push('.');
                out.push_str(&c.name);
            }
        }
        ExprKind::Call { func, args } => {
            out.push_str(&func.name);
            out.push('(');
            write_list(args, out);
            out.push(')');
        }
        ExprKind::List(items) => {
            out.push('[');
            write_list(items, out);
            out.push(']');
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            write_expr(inner, out);
            out.push(')');
        }
        ExprKind::Not(inner) => {
            out.push_str("not ");
            write_expr(inner, out);
        }
        ExprKind::Cmp { op, lhs, rhs } => {
            write_expr(lhs, out);
            out.push(' ');
            out.push_str(op.as_str());
            out.push(' ');
            write_expr(rhs, out);
        }
        ExprKind::In { value, set, negated } => {
            write_expr(value, out);
            out.push_str(if *negated { " not in " } else { " in " });
            write_expr(set, out);
        }
        ExprKind::Is { value, present } => {
            write_expr(value, out);
            out.push_str(if *present { " is present" } else { " is missing" });
        }
        ExprKind::Ambiguous(value) => {
            write_expr(value, out);
            out.push_str(" is ambiguous");
        }
    }
}

fn write_list(items: &[Expr], out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(item, out);
    }
}

/// A value of a test lead, a rep state or an `assume`.
pub(crate) fn value(v: &Value) -> String {
    match &v.kind {
        ValueKind::Str(s) => quote(s),
        ValueKind::Int(i) => i.to_string(),
        ValueKind::Float(f) => float(*f),
        ValueKind::Bool(b) => b.to_string(),
        ValueKind::Null => "null".to_string(),
        ValueKind::List(items) => format!("[{}]", items.iter().map(value).collect::<Vec<_>>().join(", ")),
        ValueKind::Name(n) => n.clone(),
    }
}

/// `{ name: value, ... }` on one line (`{}` when empty).
pub(crate) fn record_fields(r: &Record) -> Vec<String> {
    r.fields.iter().map(|f| format!("{}: {}", f.name.name, value(&f.value))).collect()
}

/// A written type: `string`, `list<Source>`, `int?`.
pub(crate) fn type_expr(t: &TypeExpr) -> String {
    let base = match &t.kind {
        TypeKind::Named(n) => n.name.clone(),
        TypeKind::List(inner) => format!("list<{}>", type_expr(inner)),
    };
    if t.optional {
        format!("{base}?")
    } else {
        base
    }
}

/// `round_robin`, `sticky(field)`.
pub(crate) fn strategy(s: &StrategyRef) -> String {
    match &s.arg {
        Some(a) => format!("{}({})", s.name.name, a.name),
        None => s.name.name.clone(),
    }
}

/// An action with its `else` chain.
pub(crate) fn action(a: &Action) -> String {
    let mut out = String::new();
    let mut current = a;
    loop {
        match &current.kind {
            ActionKind::Assign { target, fallback } => {
                out.push_str("assign ");
                match target {
                    AssignTarget::Team { team, by } => {
                        out.push_str("team ");
                        out.push_str(&team.name);
                        if let Some(by) = by {
                            out.push_str(" by ");
                            out.push_str(&strategy(by));
                        }
                    }
                    AssignTarget::Rep(r) => {
                        out.push_str("rep ");
                        out.push_str(&r.name);
                    }
                    AssignTarget::Owner(f) => {
                        out.push_str("owner(");
                        out.push_str(&f.name);
                        out.push(')');
                    }
                    AssignTarget::Previous(_) => out.push_str("previous owner"),
                    AssignTarget::OwnerOf(e) => {
                        out.push_str("owner(");
                        out.push_str(&expr(e));
                        out.push(')');
                    }
                }
                match fallback {
                    None => return out,
                    Some(Fallback::Continue(_)) => {
                        out.push_str(" else continue");
                        return out;
                    }
                    Some(Fallback::Action(next)) => {
                        out.push_str(" else ");
                        current = next;
                    }
                }
            }
            ActionKind::Queue(q) => {
                out.push_str("queue ");
                out.push_str(&q.name);
                return out;
            }
            ActionKind::Route(r) => {
                out.push_str("route ");
                out.push_str(&r.name);
                return out;
            }
            ActionKind::Drop(reason) => {
                out.push_str("drop ");
                out.push_str(&quote(&reason.value));
                return out;
            }
        }
    }
}

/// `ambiguous_territory`, `missing(field)`.
pub(crate) fn exception(e: &Exception) -> String {
    match e {
        Exception::Named(n) => n.name.clone(),
        Exception::Missing { field, .. } => format!("missing({})", field.name),
    }
}

/// `sla_breach(hot)`, `sla_warning(hot, 2m)`, `sla_warning(2m)`.
pub(crate) fn sla_event(e: &SlaEvent) -> String {
    sla_event_with(e, &|b| duration(b.value))
}

/// [`sla_event`], with the reminder's lead time written by `written`.
pub(crate) fn sla_event_with(e: &SlaEvent, written: &dyn Fn(&Spanned<i64>) -> String) -> String {
    let key = e.key();
    match (e.kind, e.before) {
        (SlaEventKind::Warning, Some(b)) if e.tier.is_some() => format!("{}, {})", key.trim_end_matches(')'), written(&b)),
        (SlaEventKind::Warning, Some(b)) => format!("{key}({})", written(&b)),
        _ => key,
    }
}

/// What a handler does.
pub(crate) fn handler_action(a: &HandlerAction) -> String {
    match a {
        HandlerAction::Assume(v) => format!("assume {}", value(v)),
        HandlerAction::Action(a) => action(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_their_largest_exact_unit() {
        assert_eq!(duration(300_000), "5m");
        assert_eq!(duration(86_400_000), "1d");
        assert_eq!(duration(14 * 86_400_000), "2w");
        assert_eq!(duration(90_000), "90s");
        assert_eq!(duration(1_500), "1500ms");
    }

    #[test]
    fn floats_keep_a_decimal_and_strings_their_escapes() {
        assert_eq!(float(80.0), "80.0");
        assert_eq!(float(-0.5), "-0.5");
        assert_eq!(quote("a\"b\\c\nd\te"), "\"a\\\"b\\\\c\\nd\\te\"");
        assert_eq!(clock(8 * 60 + 5), "08:05");
    }
}
