//! One linear pass over a policy IR before anything is compiled or run: every
//! index in range, no cycle in any graph the IR has (routes, queue
//! escalations), counts within limits, floats finite, times and clock
//! minutes in range, SLAs not negative, builtin calls with their arity. A built policy file is
//! untrusted input: whatever it holds, loading it either succeeds with an IR
//! the engine and the code generator can rely on, or names the first problem.

use crate::ir::*;

/// The first problem found: where (a JSON path like `$.routes[0].rules[1].action.team`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    /// JSON path of the offending value.
    pub path: String,
    /// What is wrong with it.
    pub problem: String,
}

type R = Result<(), Invalid>;

/// Most items of one kind (fields, reps, rules of a route, members ...) a policy may have.
pub const MAX_ITEMS: usize = 100_000;
/// Most expression nodes in the whole policy.
pub const MAX_EXPR_NODES: usize = 1_000_000;
/// Deepest expression nesting.
pub const MAX_EXPR_DEPTH: usize = 64;
/// Earliest and latest times (`Value::Time`, ms since the epoch): the years -9999 to 9999.
pub const TIME_RANGE_MS: (i64, i64) = (-377_705_116_800_000, 253_402_207_199_999);

fn err(path: impl Into<String>, problem: impl Into<String>) -> Invalid {
    Invalid { path: path.into(), problem: problem.into() }
}

/// Counts the items of a list, refusing more than [`MAX_ITEMS`].
fn count<T>(path: &str, items: &[T]) -> R {
    if items.len() > MAX_ITEMS {
        return Err(err(path, format!("has {} items, more than the limit of {MAX_ITEMS}", items.len())));
    }
    Ok(())
}

struct V<'a> {
    ir: &'a PolicyIr,
    nodes: usize,
}

impl<'a> V<'a> {
    fn index(&self, path: &str, what: &str, i: u32, len: usize) -> R {
        if (i as usize) < len {
            Ok(())
        } else if len == 0 {
            Err(err(path, format!("names {what} {i}, but the policy has no {what}s")))
        } else {
            Err(err(path, format!("names {what} {i}, but the policy has {len} (0 to {})", len - 1)))
        }
    }

    fn field(&self, path: &str, slot: u32) -> R {
        self.index(path, "field", slot, self.ir.fields.len())
    }

    /// An SLA or delay: any length the language can write (due times saturate), but not negative.
    fn duration(&self, path: &str, ms: i64) -> R {
        if ms < 0 {
            return Err(err(path, format!("duration {ms} ms is negative")));
        }
        Ok(())
    }

    fn hours(&self, path: &str, hours: &[HoursDef]) -> R {
        count(path, hours)?;
        for (i, h) in hours.iter().enumerate() {
            let p = format!("{path}[{i}]");
            if h.days > 0x7f {
                return Err(err(format!("{p}.days"), format!("{} is not a set of weekdays (bits 0 to 6)", h.days)));
            }
            if h.start >= 24 * 60 {
                return Err(err(format!("{p}.start"), format!("{} is not a minute of the day (0 to 1439)", h.start)));
            }
            if h.end > 24 * 60 {
                return Err(err(format!("{p}.end"), format!("{} is not a minute of the day (0 to 1440)", h.end)));
            }
        }
        Ok(())
    }

    fn calendars(&self, path: &str, cals: &[u32]) -> R {
        count(path, cals)?;
        cals.iter().enumerate().try_for_each(|(i, c)| self.index(&format!("{path}[{i}]"), "calendar", *c, self.ir.calendars.len()))
    }

    fn strategy(&self, path: &str, s: &Strategy) -> R {
        match s {
            Strategy::Sticky { field } => self.field(&format!("{path}.field"), *field),
            _ => Ok(()),
        }
    }

    fn action(&mut self, path: &str, a: &Action) -> R {
        // Fallbacks nest (`else assign ... else ...`): followed in a loop, not recursion.
        let (mut a, mut path) = (a, path.to_string());
        loop {
            let fallback = match a {
                Action::AssignTeam { team, strategy, fallback } => {
                    self.index(&format!("{path}.team"), "team", *team, self.ir.teams.len())?;
                    if let Some(s) = strategy {
                        self.strategy(&format!("{path}.strategy"), s)?;
                    }
                    fallback
                }
                Action::AssignRep { rep, fallback } => {
                    self.index(&format!("{path}.rep"), "rep", *rep, self.ir.reps.len())?;
                    fallback
                }
                Action::AssignOwner { field, fallback } => {
                    self.field(&format!("{path}.field"), *field)?;
                    fallback
                }
                Action::AssignOwnerOf { value, fallback } => {
                    self.expr(&format!("{path}.value"), value, 0)?;
                    fallback
                }
                Action::Queue { queue } => return self.index(&format!("{path}.queue"), "queue", *queue, self.ir.queues.len()),
                Action::Route { route } => return self.index(&format!("{path}.route"), "route", *route, self.ir.routes.len()),
                Action::Drop { .. } => return Ok(()),
            };
            match fallback {
                Fallback::Action(next) => {
                    path = format!("{path}.fallback.action");
                    a = next;
                }
                Fallback::Handler | Fallback::Continue => return Ok(()),
            }
        }
    }

    fn value(&self, path: &str, v: &Value, depth: usize) -> R {
        match v {
            Value::Float(f) if !f.is_finite() => Err(err(path, "a float that is not finite (NaN or infinite)")),
            Value::Time(t) if !(TIME_RANGE_MS.0..=TIME_RANGE_MS.1).contains(t) => {
                Err(err(path, format!("time {t} ms is outside the years -9999 to 9999")))
            }
            // `24:00` (1440) is a clock time the language accepts: the end of a day.
            Value::Clock(m) if *m > 24 * 60 => Err(err(path, format!("{m} is not a clock time (minutes 0 to 1440)"))),
            Value::Enum(i) if *i as usize >= MAX_ITEMS => Err(err(path, format!("enum variant {i} is past the limit of {MAX_ITEMS}"))),
            Value::Tier(t) => self.index(path, "tier", *t, self.ir.tiers.len()),
            Value::Territory(Some(t)) => self.index(path, "territory", *t, self.ir.territories.len()),
            Value::List(items) => {
                count(path, items)?;
                if depth >= MAX_EXPR_DEPTH {
                    return Err(err(path, format!("lists nest deeper than {MAX_EXPR_DEPTH}")));
                }
                items.iter().enumerate().try_for_each(|(i, x)| self.value(&format!("{path}.value[{i}]"), x, depth + 1))
            }
            _ => Ok(()),
        }
    }

    fn expr(&mut self, path: &str, e: &Expr, depth: usize) -> R {
        self.nodes += 1;
        if self.nodes > MAX_EXPR_NODES {
            return Err(err(path, format!("the policy's conditions have more than {MAX_EXPR_NODES} nodes")));
        }
        if depth > MAX_EXPR_DEPTH {
            return Err(err(path, format!("the condition nests deeper than {MAX_EXPR_DEPTH}")));
        }
        let d = depth + 1;
        match e {
            Expr::Const { value } => self.value(&format!("{path}.value"), value, 0),
            Expr::Field { slot } | Expr::Present { slot, .. } => self.field(&format!("{path}.slot"), *slot),
            Expr::Default { slot, default } => {
                self.field(&format!("{path}.slot"), *slot)?;
                self.value(&format!("{path}.default"), default, 0)
            }
            Expr::Tier | Expr::Territory | Expr::Ambiguous | Expr::Now => Ok(()),
            Expr::Not { arg } => self.expr(&format!("{path}.arg"), arg, d),
            Expr::And { args } | Expr::Or { args } => {
                count(&format!("{path}.args"), args)?;
                args.iter().enumerate().try_for_each(|(i, a)| self.expr(&format!("{path}.args[{i}]"), a, d))
            }
            Expr::Cmp { lhs, rhs, .. } => {
                self.expr(&format!("{path}.lhs"), lhs, d)?;
                self.expr(&format!("{path}.rhs"), rhs, d)
            }
            Expr::In { value, set, .. } => {
                self.expr(&format!("{path}.value"), value, d)?;
                count(&format!("{path}.set"), set)?;
                set.iter().enumerate().try_for_each(|(i, v)| self.value(&format!("{path}.set[{i}]"), v, 0))
            }
            Expr::InField { value, list, .. } => {
                self.field(&format!("{path}.list"), *list)?;
                self.expr(&format!("{path}.value"), value, d)
            }
            Expr::Lookup { table, key, column } => {
                self.index(&format!("{path}.table"), "table", *table, self.ir.tables.len())?;
                if let Some(c) = column {
                    let n = self.ir.tables[*table as usize].columns.len();
                    self.index(&format!("{path}.column"), "column", *c, n)?;
                }
                self.expr(&format!("{path}.key"), key, d)
            }
            Expr::InTable { value, table, .. } => {
                self.index(&format!("{path}.table"), "table", *table, self.ir.tables.len())?;
                self.expr(&format!("{path}.value"), value, d)
            }
            Expr::Has { value, .. } => self.expr(&format!("{path}.value"), value, d),
            Expr::Else { value, default } => {
                self.expr(&format!("{path}.value"), value, d)?;
                self.expr(&format!("{path}.default"), default, d)
            }
            Expr::Call { func, args } => {
                let arity = match func {
                    Func::StartsWith | Func::EndsWith | Func::Contains => 2,
                    Func::Lower | Func::Upper | Func::Domain | Func::Len | Func::Since | Func::Clock => 1,
                };
                if args.len() != arity {
                    let name = serde_json::to_value(func).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                    return Err(err(
                        format!("{path}.args"),
                        format!("`{name}` takes {arity} argument{}, not {}", if arity == 1 { "" } else { "s" }, args.len()),
                    ));
                }
                args.iter().enumerate().try_for_each(|(i, a)| self.expr(&format!("{path}.args[{i}]"), a, d))
            }
        }
    }

    fn condition(&mut self, path: &str, c: &Condition) -> R {
        self.expr(&format!("{path}.expr"), &c.expr, 0)
    }
}

/// Checks the whole IR (not its `format_version`, which loading checks first).
pub(crate) fn validate(ir: &PolicyIr) -> R {
    let mut v = V { ir, nodes: 0 };
    count("$.enums", &ir.enums)?;
    for (i, e) in ir.enums.iter().enumerate() {
        count(&format!("$.enums[{i}].variants"), &e.variants)?;
    }
    count("$.fields", &ir.fields)?;
    for (i, f) in ir.fields.iter().enumerate() {
        let mut ty = &f.ty;
        let mut depth = 0;
        loop {
            match ty {
                FieldType::Enum(e) => v.index(&format!("$.fields[{i}].type"), "enum", *e, ir.enums.len())?,
                FieldType::List(inner) => {
                    depth += 1;
                    if depth > 1 {
                        return Err(err(format!("$.fields[{i}].type"), "a list of lists (lead fields are lists of plain values)"));
                    }
                    ty = inner;
                    continue;
                }
                _ => {}
            }
            break;
        }
    }
    if !ir.fields.iter().any(|f| f.name == "id" && f.ty == FieldType::String && !f.optional) {
        return Err(err("$.fields", "the schema has no required string `id`"));
    }
    count("$.calendars", &ir.calendars)?;
    for (i, c) in ir.calendars.iter().enumerate() {
        count(&format!("$.calendars[{i}].days"), &c.days)?;
    }
    count("$.reps", &ir.reps)?;
    for (i, r) in ir.reps.iter().enumerate() {
        let p = format!("$.reps[{i}]");
        // Weights are summed per team in i64: any u32 is safe, 0 is not a weight.
        if r.weight == 0 {
            return Err(err(format!("{p}.weight"), "weight 0: weights start at 1"));
        }
        v.hours(&format!("{p}.hours"), &r.hours)?;
        v.calendars(&format!("{p}.calendars"), &r.calendars)?;
        count(&format!("{p}.skills"), &r.skills)?;
    }
    count("$.teams", &ir.teams)?;
    for (i, t) in ir.teams.iter().enumerate() {
        let p = format!("$.teams[{i}]");
        if t.members.is_empty() {
            return Err(err(format!("{p}.members"), format!("team `{}` has no members", t.name)));
        }
        count(&format!("{p}.members"), &t.members)?;
        for (j, m) in t.members.iter().enumerate() {
            v.index(&format!("{p}.members[{j}]"), "rep", *m, ir.reps.len())?;
        }
        v.strategy(&format!("{p}.strategy"), &t.strategy)?;
        v.hours(&format!("{p}.hours"), &t.hours)?;
        v.calendars(&format!("{p}.calendars"), &t.calendars)?;
    }
    count("$.queues", &ir.queues)?;
    for (i, q) in ir.queues.iter().enumerate() {
        let p = format!("$.queues[{i}]");
        if let Some(ms) = q.sla_ms {
            v.duration(&format!("{p}.sla_ms"), ms)?;
        }
        if let Some(EscalateDef::Queue { queue }) = &q.escalate {
            v.index(&format!("{p}.escalate.queue"), "queue", *queue, ir.queues.len())?;
        }
        v.hours(&format!("{p}.hours"), &q.hours)?;
        v.calendars(&format!("{p}.calendars"), &q.calendars)?;
    }
    count("$.tiers", &ir.tiers)?;
    for (i, t) in ir.tiers.iter().enumerate() {
        let p = format!("$.tiers[{i}]");
        if let Some(c) = &t.condition {
            v.condition(&format!("{p}.condition"), c)?;
        }
        if let Some(ms) = t.sla_ms {
            v.duration(&format!("{p}.sla_ms"), ms)?;
        }
    }
    count("$.territories", &ir.territories)?;
    for (i, t) in ir.territories.iter().enumerate() {
        v.condition(&format!("$.territories[{i}].condition"), &t.condition)?;
    }
    count("$.routes", &ir.routes)?;
    if ir.routes.is_empty() {
        return Err(err("$.routes", "the policy has no routes"));
    }
    v.index("$.entry", "route", ir.entry, ir.routes.len())?;
    for (i, r) in ir.routes.iter().enumerate() {
        count(&format!("$.routes[{i}].rules"), &r.rules)?;
        for (j, rule) in r.rules.iter().enumerate() {
            let p = format!("$.routes[{i}].rules[{j}]");
            if let Some(c) = &rule.condition {
                v.condition(&format!("{p}.condition"), c)?;
            }
            v.action(&format!("{p}.action"), &rule.action)?;
        }
    }
    let h = &ir.handlers;
    for (name, a) in [
        ("ambiguous_territory", &h.ambiguous_territory),
        ("no_available_rep", &h.no_available_rep),
        ("over_capacity", &h.over_capacity),
        ("no_match", &h.no_match),
    ] {
        if let Some(a) = a {
            v.action(&format!("$.handlers.{name}"), a)?;
        }
    }
    count("$.handlers.missing", &h.missing)?;
    for (i, m) in h.missing.iter().enumerate() {
        let p = format!("$.handlers.missing[{i}]");
        v.field(&format!("{p}.field"), m.field)?;
        match &m.handling {
            MissingHandling::Action(a) => v.action(&format!("{p}.handling.value"), a)?,
            MissingHandling::Assume(x) => v.value(&format!("{p}.handling.value"), x, 0)?,
        }
    }
    count("$.breach", &ir.breach)?;
    for (i, b) in ir.breach.iter().enumerate() {
        let p = format!("$.breach[{i}]");
        if let Some(t) = b.tier {
            v.index(&format!("{p}.tier"), "tier", t, ir.tiers.len())?;
        }
        match &b.action {
            BreachAction::Reassign { fallback: Fallback::Action(a) } => v.action(&format!("{p}.action.fallback.action"), a)?,
            BreachAction::Act { action } => v.action(&format!("{p}.action.action"), action)?,
            BreachAction::Reassign { .. } | BreachAction::Notify { .. } => {}
        }
    }
    count("$.reminders", &ir.reminders)?;
    for (i, r) in ir.reminders.iter().enumerate() {
        let p = format!("$.reminders[{i}]");
        if let Some(t) = r.tier {
            v.index(&format!("{p}.tier"), "tier", t, ir.tiers.len())?;
        }
        v.duration(&format!("{p}.before_ms"), r.before_ms)?;
    }
    if let Some(d) = &ir.duplicate {
        duplicate(&mut v, d)?;
    }
    count("$.tests", &ir.tests)?;
    for (i, t) in ir.tests.iter().enumerate() {
        for (j, b) in t.breach.iter().enumerate() {
            v.duration(&format!("$.tests[{i}].breach[{j}].after_ms"), b.after_ms)?;
        }
    }
    tables(&v, ir)?;
    acyclic_routes(ir)?;
    acyclic_escalations(ir)
}

/// The longest duplicate window: ten years (the checker's bound).
const MAX_DUPLICATE_WINDOW_MS: i64 = 3650 * 86_400_000;

/// `$.duplicate`: a string key field, a window in (0, ten years], a valid action.
fn duplicate(v: &mut V, d: &DuplicateDef) -> R {
    if v.ir.format_version < DUPLICATE_FORMAT_VERSION {
        return Err(err("$.duplicate", format!("a duplicate handler needs format version {DUPLICATE_FORMAT_VERSION}")));
    }
    v.field("$.duplicate.key", d.key)?;
    if v.ir.fields[d.key as usize].ty != FieldType::String {
        return Err(err("$.duplicate.key", "the key field is not a string"));
    }
    if d.window_ms <= 0 || d.window_ms > MAX_DUPLICATE_WINDOW_MS {
        return Err(err("$.duplicate.window_ms", format!("window {} ms is not between 1 ms and 3650 days", d.window_ms)));
    }
    match &d.action {
        DuplicateAction::AssignPrevious { fallback: Fallback::Action(a) } => v.action("$.duplicate.action.fallback.action", a),
        DuplicateAction::Act { action } => v.action("$.duplicate.action.action", action),
        DuplicateAction::AssignPrevious { .. } => Ok(()),
    }
}

/// Most rows of one table.
pub const MAX_ROWS: usize = 10_000_000;

/// Every table: its key and alias columns, each row's arity and cell types,
/// rep ids that name reps, and keys unique once normalized.
fn tables(v: &V, ir: &PolicyIr) -> R {
    if ir.format_version < TABLES_FORMAT_VERSION && (!ir.tables.is_empty() || !ir.free_mail.is_empty()) {
        return Err(err("$.tables", format!("tables need format version {TABLES_FORMAT_VERSION}")));
    }
    count("$.tables", &ir.tables)?;
    let reps: rustc_hash::FxHashSet<&str> = ir.reps.iter().map(|r| r.id.as_str()).collect();
    for (i, t) in ir.tables.iter().enumerate() {
        let p = format!("$.tables[{i}]");
        count(&format!("{p}.columns"), &t.columns)?;
        v.index(&format!("{p}.key"), "column", t.key, t.columns.len())?;
        if let Some(a) = t.alias {
            v.index(&format!("{p}.alias"), "column", a, t.columns.len())?;
        }
        for (c, col) in t.columns.iter().enumerate() {
            if let FieldType::Enum(e) = col.ty {
                v.index(&format!("{p}.columns[{c}].type"), "enum", e, ir.enums.len())?;
            }
        }
        if t.rows.len() > MAX_ROWS {
            return Err(err(format!("{p}.rows"), format!("has {} rows, more than the limit of {MAX_ROWS}", t.rows.len())));
        }
        if t.loc.lines.len() != t.rows.len() {
            return Err(err(format!("{p}.loc.lines"), format!("has {} lines for {} rows", t.loc.lines.len(), t.rows.len())));
        }
        let mut keys: rustc_hash::FxHashMap<String, usize> = rustc_hash::FxHashMap::default();
        keys.reserve(t.rows.len());
        // Paths are only spelled out for the problem found: 100,000 rows are checked without allocating one each.
        let rp = |r: usize| format!("{p}.rows[{r}]");
        for (r, row) in t.rows.iter().enumerate() {
            if row.len() != t.columns.len() {
                return Err(err(rp(r), format!("has {} cells for {} columns", row.len(), t.columns.len())));
            }
            for (c, (cell, col)) in row.iter().zip(&t.columns).enumerate() {
                match cell {
                    None if col.optional => {}
                    None => return Err(err(format!("{}[{c}]", rp(r)), format!("is empty, but column `{}` is required", col.name))),
                    Some(value) => {
                        if matches!(value, Value::Float(_) | Value::Time(_) | Value::List(_) | Value::Clock(_) | Value::Tier(_) | Value::Territory(_)) {
                            v.value(&format!("{}[{c}]", rp(r)), value, 0)?;
                        }
                        if !cell_fits(value, &col.ty, ir) {
                            let problem = format!("is not a `{}`, the type of column `{}`", type_name(&col.ty), col.name);
                            return Err(err(format!("{}[{c}]", rp(r)), problem));
                        }
                        if let (true, Value::Str(id)) = (col.rep, value) {
                            if !reps.contains(id.as_str()) {
                                return Err(err(format!("{}[{c}]", rp(r)), format!("names rep `{id}`, which the policy does not declare")));
                            }
                        }
                    }
                }
            }
            let mut add = |k: &str, at: &dyn Fn() -> String| -> R {
                let k = crate::table::normalize_key(t.matching, k);
                match keys.get(k.as_ref()) {
                    Some(first) if *first != r => Err(err(at(), format!("key `{k}` is also the key of row {first}"))),
                    Some(_) => Ok(()),
                    None => {
                        keys.insert(k.into_owned(), r);
                        Ok(())
                    }
                }
            };
            match row.get(t.key as usize) {
                Some(Some(Value::Str(k))) => add(k, &|| format!("{}[{}]", rp(r), t.key))?,
                _ => return Err(err(format!("{}[{}]", rp(r), t.key), "the key is not a string")),
            }
            if let (Some(a), Some(Some(Value::List(aliases)))) = (t.alias, t.alias.and_then(|a| row.get(a as usize))) {
                for (j, x) in aliases.iter().enumerate() {
                    if let Value::Str(k) = x {
                        add(k, &|| format!("{}[{a}][{j}]", rp(r)))?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Whether a table cell has its column's type.
fn cell_fits(value: &Value, ty: &FieldType, ir: &PolicyIr) -> bool {
    match (value, ty) {
        (Value::Str(_), FieldType::String) | (Value::Int(_), FieldType::Int) | (Value::Float(_), FieldType::Float) => true,
        (Value::Bool(_), FieldType::Bool) | (Value::Time(_), FieldType::Time) => true,
        (Value::Enum(v), FieldType::Enum(e)) => ir.enums.get(*e as usize).is_some_and(|en| (*v as usize) < en.variants.len()),
        (Value::List(items), FieldType::List(inner)) => items.iter().all(|x| !matches!(x, Value::List(_)) && cell_fits(x, inner, ir)),
        _ => false,
    }
}

fn type_name(ty: &FieldType) -> String {
    match ty {
        FieldType::String => "string".into(),
        FieldType::Int => "int".into(),
        FieldType::Float => "float".into(),
        FieldType::Bool => "bool".into(),
        FieldType::Time => "time".into(),
        FieldType::Enum(e) => format!("enum #{e}"),
        FieldType::List(inner) => format!("list<{}>", type_name(inner)),
    }
}

/// The routes a rule's action can send a lead to (through `route R` and `else` fallbacks).
fn route_targets(a: &Action, out: &mut Vec<u32>) {
    out.extend(a.chain().filter_map(|x| match x {
        Action::Route { route } => Some(*route),
        _ => None,
    }));
}

/// Routes must not cycle: a lead would never leave. Iterative depth-first search (indexes already checked).
fn acyclic_routes(ir: &PolicyIr) -> R {
    let edges: Vec<Vec<u32>> = ir
        .routes
        .iter()
        .map(|r| {
            let mut out = Vec::new();
            r.rules.iter().for_each(|rule| route_targets(&rule.action, &mut out));
            out
        })
        .collect();
    let n = ir.routes.len();
    let mut state = vec![0u8; n];
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        state[start] = 1;
        while let Some((node, i)) = stack.pop() {
            match edges.get(node).and_then(|e| e.get(i)) {
                Some(&next) => {
                    stack.push((node, i + 1));
                    match state.get(next as usize) {
                        Some(1) => {
                            let name = ir.routes.get(next as usize).map_or("", |r| r.name.as_str());
                            return Err(err(format!("$.routes[{next}]"), format!("routes cycle through `{name}`: a lead would never leave")));
                        }
                        Some(0) => {
                            state[next as usize] = 1;
                            stack.push((next as usize, 0));
                        }
                        _ => {}
                    }
                }
                None => state[node] = 2,
            }
        }
    }
    Ok(())
}

/// Queue escalations must not cycle: each queue escalates to at most one
/// other, so one walk per queue, each queue finished once.
fn acyclic_escalations(ir: &PolicyIr) -> R {
    let n = ir.queues.len();
    // 0: unvisited, 1: on the current walk, 2: known to end.
    let mut state = vec![0u8; n];
    for start in 0..n {
        let mut walk = Vec::new();
        let mut at = start;
        let cycle = loop {
            match state[at] {
                1 => break Some(at),
                2 => break None,
                _ => {}
            }
            state[at] = 1;
            walk.push(at);
            match &ir.queues[at].escalate {
                Some(EscalateDef::Queue { queue }) if (*queue as usize) < n => at = *queue as usize,
                _ => break None,
            }
        };
        if let Some(at) = cycle {
            return Err(err(format!("$.queues[{at}].escalate"), format!("queue escalations cycle through `{}`", ir.queues[at].name)));
        }
        walk.iter().for_each(|w| state[*w] = 2);
    }
    Ok(())
}
