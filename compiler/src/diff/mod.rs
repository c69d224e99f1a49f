//! The semantic diff of two built policies: what changed, declaration by
//! declaration, compared by meaning (the IR), shown as Route-like text. Used
//! by `leadroute diff` and by the service's policy pages.

use std::collections::BTreeMap;

use leadroute_runtime::decide::action_text;
use leadroute_runtime::ir::{PolicyIr, Strategy};

mod tables;

/// One semantic change: what kind of thing, its name, and what changed.
pub struct Change {
    /// `policy`, `enum`, `field`, `tier`, `rule`, ...
    pub kind: &'static str,
    /// The declaration's name.
    pub name: String,
    /// What changed, as Route-like text.
    pub what: String,
}

/// A declaration as shown (Route-like text) and as compared (its meaning: the
/// IR, where set names are already replaced by their members).
struct Shown {
    text: String,
    meaning: String,
}

fn shown(text: String, meaning: impl serde::Serialize) -> Shown {
    let meaning = serde_json::to_string(&meaning).unwrap_or_default();
    Shown { text, meaning }
}

/// [`shown`] for a meaning holding expressions: tables are named, not
/// numbered, so a table added before another (by name) changes nothing else.
fn shown_expr(ir: &PolicyIr, text: String, meaning: impl serde::Serialize) -> Shown {
    let s = shown(text, meaning);
    Shown { text: s.text, meaning: tables::named(ir, &s.meaning) }
}

/// Every semantic change from `old` to `new`, in declaration-kind order.
pub fn changes(old: &PolicyIr, new: &PolicyIr) -> Vec<Change> {
    let mut out = Vec::new();
    let mut keyed = |kind: &'static str, a: Vec<(String, Shown)>, b: Vec<(String, Shown)>| {
        let bm: BTreeMap<&String, &Shown> = b.iter().map(|(k, v)| (k, v)).collect();
        let am: BTreeMap<&String, &Shown> = a.iter().map(|(k, v)| (k, v)).collect();
        for (k, v) in &a {
            match bm.get(k) {
                None => out.push(Change { kind, name: k.clone(), what: format!("removed (was `{}`)", v.text) }),
                Some(w) if w.meaning != v.meaning && w.text == v.text => {
                    out.push(Change { kind, name: k.clone(), what: format!("`{}`: the sets, enums or names it uses changed", v.text) })
                }
                Some(w) if w.meaning != v.meaning => out.push(Change { kind, name: k.clone(), what: format!("`{}` -> `{}`", v.text, w.text) }),
                _ => {}
            }
        }
        for (k, w) in &b {
            if !am.contains_key(k) {
                out.push(Change { kind, name: k.clone(), what: format!("added: `{}`", w.text) });
            }
        }
        // First-match lists: the same items in another order is a change too.
        if matches!(kind, "tier" | "rule") {
            let common_a: Vec<&String> = a.iter().map(|(k, _)| k).filter(|k| bm.contains_key(k)).collect();
            let common_b: Vec<&String> = b.iter().map(|(k, _)| k).filter(|k| am.contains_key(k)).collect();
            if common_a != common_b {
                out.push(Change { kind, name: "order".into(), what: format!("{kind}s are tried in a different order") });
            }
        }
    };
    let header = |ir: &PolicyIr| {
        vec![
            ("owner".to_string(), shown(format!("{:?}", ir.owner.clone().unwrap_or_default()), &ir.owner)),
            ("timezone".to_string(), shown(format!("{:?}", ir.timezone), &ir.timezone)),
            ("entry".to_string(), shown(ir.routes.get(ir.entry as usize).map_or(String::new(), |r| r.name.clone()), ir.routes.get(ir.entry as usize).map(|r| &r.name))),
        ]
    };
    keyed("policy", header(old), header(new));
    let enums = |ir: &PolicyIr| ir.enums.iter().map(|e| (e.name.clone(), shown(format!("{{ {} }}", e.variants.join(", ")), &e.variants))).collect();
    keyed("enum", enums(old), enums(new));
    let fields = |ir: &PolicyIr| {
        ir.fields
            .iter()
            .map(|f| {
                let ty = type_text(ir, &f.ty);
                let text = format!("{}: {ty}{}", f.name, if f.optional { "?" } else { "" });
                (f.name.clone(), shown(text.clone(), text))
            })
            .collect()
    };
    keyed("field", fields(old), fields(new));
    let tiers = |ir: &PolicyIr| {
        ir.tiers
            .iter()
            .map(|t| {
                let cond = t.condition.as_ref().map_or("otherwise".to_string(), |c| format!("when {}", c.text));
                let sla = t.sla_ms.map(|ms| format!(" sla {}", duration(ms))).unwrap_or_default();
                (t.name.clone(), shown_expr(ir, format!("{cond}{sla}"), (t.condition.as_ref().map(|c| &c.expr), t.sla_ms)))
            })
            .collect()
    };
    keyed("tier", tiers(old), tiers(new));
    let territories = |ir: &PolicyIr| ir.territories.iter().map(|t| (t.name.clone(), shown_expr(ir, format!("when {}", t.condition.text), &t.condition.expr))).collect();
    keyed("territory", territories(old), territories(new));
    let rules = |ir: &PolicyIr| {
        let mut v = Vec::new();
        for r in &ir.routes {
            for rule in &r.rules {
                let cond = rule.condition.as_ref().map_or("otherwise".to_string(), |c| format!("when {}", c.text));
                // Named rules are matched by name, others by their condition.
                let key = match &rule.name {
                    Some(n) => format!("{}/{n}", r.name),
                    None => format!("{}/{cond}", r.name),
                };
                let action = action_text(ir, &rule.action);
                v.push((key, shown_expr(ir, format!("{cond} -> {action}"), (rule.condition.as_ref().map(|c| &c.expr), &action))));
            }
        }
        v
    };
    keyed("rule", rules(old), rules(new));
    let teams = |ir: &PolicyIr| {
        ir.teams
            .iter()
            .map(|t| {
                let members: Vec<&str> = t.members.iter().map(|m| ir.reps[*m as usize].id.as_str()).collect();
                let strategy = match t.strategy {
                    Strategy::Sticky { field } => format!("sticky({})", ir.fields[field as usize].name),
                    s => s.name().to_string(),
                };
                let text = format!("members [{}] strategy {strategy}", members.join(", "));
                (t.name.clone(), shown(text.clone(), text))
            })
            .collect()
    };
    keyed("team", teams(old), teams(new));
    let reps = |ir: &PolicyIr| {
        ir.reps
            .iter()
            .map(|r| {
                let mut parts = Vec::new();
                if let Some(e) = &r.email {
                    parts.push(format!("email {e:?}"));
                }
                // Defaults that were (most likely) never written stay out: the
                // policy's time zone, `weight 1`, `active true`.
                if r.timezone != ir.timezone {
                    parts.push(format!("timezone {:?}", r.timezone));
                }
                for h in &r.hours {
                    parts.push(format!("hours {} {}-{}{}", days_text(h.days), clock(h.start), clock(h.end), h.timezone.as_ref().map(|z| format!(" {z:?}")).unwrap_or_default()));
                }
                if let Some(c) = r.max_open {
                    parts.push(format!("capacity {c} open"));
                }
                if let Some(c) = r.max_per_day {
                    parts.push(format!("capacity {c} per day"));
                }
                if r.weight != 1 {
                    parts.push(format!("weight {}", r.weight));
                }
                if !r.skills.is_empty() {
                    parts.push(format!("skills [{}]", r.skills.join(", ")));
                }
                if !r.active {
                    parts.push("active false".to_string());
                }
                let text = parts.join(" ");
                (r.id.clone(), shown(text.clone(), text))
            })
            .collect()
    };
    keyed("rep", reps(old), reps(new));
    let queues = |ir: &PolicyIr| {
        ir.queues
            .iter()
            .map(|q| {
                let mut parts = Vec::new();
                if let Some(o) = &q.owner {
                    parts.push(format!("owner {o:?}"));
                }
                if let Some(ms) = q.sla_ms {
                    parts.push(format!("sla {}", duration(ms)));
                }
                let text = parts.join(" ");
                (q.name.clone(), shown(text.clone(), text))
            })
            .collect()
    };
    keyed("queue", queues(old), queues(new));
    let handlers = |ir: &PolicyIr| {
        let h = &ir.handlers;
        let mut v = Vec::new();
        for (name, a) in [("ambiguous_territory", &h.ambiguous_territory), ("no_available_rep", &h.no_available_rep), ("over_capacity", &h.over_capacity), ("no_match", &h.no_match)] {
            if let Some(a) = a {
                let t = action_text(ir, a);
                v.push((name.to_string(), shown(t.clone(), t)));
            }
        }
        for mh in &h.missing {
            let text = match &mh.handling {
                leadroute_runtime::ir::MissingHandling::Assume(v) => format!("assume {}", leadroute_runtime::decision::value_json(ir, Some(&ir.fields[mh.field as usize].ty), v)),
                leadroute_runtime::ir::MissingHandling::Action(a) => action_text(ir, a),
            };
            v.push((format!("missing({})", ir.fields[mh.field as usize].name), shown(text.clone(), text)));
        }
        v
    };
    keyed("handler", handlers(old), handlers(new));
    tables::changes(old, new, &mut out);
    out
}

fn type_text(ir: &PolicyIr, t: &leadroute_runtime::ir::FieldType) -> String {
    use leadroute_runtime::ir::FieldType as F;
    match t {
        F::String => "string".into(),
        F::Int => "int".into(),
        F::Float => "float".into(),
        F::Bool => "bool".into(),
        F::Time => "time".into(),
        F::Enum(e) => ir.enums.get(*e as usize).map_or("?".into(), |d| d.name.clone()),
        F::List(i) => format!("list<{}>", type_text(ir, i)),
    }
}

fn clock(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// `mon-fri`, `sat, sun`, ... from a day mask (bit 0 = Monday).
fn days_text(mask: u8) -> String {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let mut parts = Vec::new();
    let mut d = 0;
    while d < 7 {
        if mask & (1 << d) == 0 {
            d += 1;
            continue;
        }
        let start = d;
        while d + 1 < 7 && mask & (1 << (d + 1)) != 0 {
            d += 1;
        }
        parts.push(if d == start { NAMES[start].to_string() } else { format!("{}-{}", NAMES[start], NAMES[d]) });
        d += 1;
    }
    parts.join(", ")
}

fn duration(ms: i64) -> String {
    match ms {
        m if m % 86_400_000 == 0 => format!("{}d", m / 86_400_000),
        m if m % 3_600_000 == 0 => format!("{}h", m / 3_600_000),
        m if m % 60_000 == 0 => format!("{}m", m / 60_000),
        m => format!("{}s", m / 1000),
    }
}
