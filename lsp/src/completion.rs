//! Completion that knows where the cursor is: declaration keywords at the
//! start of a declaration, properties inside blocks, names of the right kind
//! after `assign team`, `queue`, `route`, `strategy`, enum variants after
//! `==` / `in` on an enum field, fields and functions inside conditions.

use leadroute_compiler::check::decls::STRATEGIES;
use leadroute_compiler::check::flow::EXCEPTIONS;
use leadroute_compiler::check::types::FUNCTIONS;
use leadroute_compiler::check::{Symbols, Ty};
use leadroute_compiler::syntax::split::{split, DECL_KEYWORDS};
use lsp_types::{CompletionItem, CompletionItemKind};

/// What a declaration keyword starts.
const DECL_DOCS: &[(&str, &str)] = &[
    ("policy", "policy NAME { owner \"…\" timezone \"…\" entry ROUTE }"),
    ("enum", "enum NAME { a, b, c }"),
    ("schema", "schema lead { field: type … }"),
    ("set", "set NAME = [\"a\", \"b\"]"),
    ("calendar", "calendar NAME { 2026-12-25 \"Christmas Day\" … }"),
    ("rep", "rep NAME { email \"…\" capacity N open … }"),
    ("team", "team NAME { members [a, b] strategy round_robin }"),
    ("queue", "queue NAME { owner \"…\" sla 30m }"),
    ("tier", "tier NAME when CONDITION sla 5m"),
    ("territory", "territory NAME when CONDITION"),
    ("route", "route NAME { when CONDITION -> ACTION … otherwise -> ACTION }"),
    ("on", "on EXCEPTION -> ACTION"),
    ("test", "test \"name\" { lead { … } expect … }"),
];

const PROPS: &[(&str, &[(&str, &str)])] = &[
    ("policy", &[("owner", "who answers for the policy"), ("timezone", "default IANA time zone"), ("entry", "the route every lead enters")]),
    (
        "rep",
        &[
            ("email", "the rep's address"),
            ("weight", "share for the weighted strategy (>= 1)"),
            ("capacity", "`capacity N open`, `capacity N per day` or `capacity N per shift`"),
            ("timezone", "the rep's IANA time zone"),
            ("hours", "working hours: `hours mon-fri 08:00-17:00`; `22:00-06:00` crosses midnight"),
            ("calendar", "days off: `calendar uk`"),
            ("skills", "skills: `skills [spanish]`"),
            ("active", "`active false` takes the rep out of rotation"),
        ],
    ),
    (
        "team",
        &[
            ("members", "the reps: `members [a, b]`"),
            ("strategy", "how a rep is picked"),
            ("timezone", "the zone of the team's hours"),
            ("hours", "when the team takes leads: `hours mon-fri 09:00-17:30`"),
            ("calendar", "days the team takes no leads: `calendar uk`"),
        ],
    ),
    (
        "queue",
        &[
            ("owner", "who works the queue"),
            ("sla", "how fast: `sla 30m`, or `sla 4h business` to count only the queue's hours"),
            ("escalate", "where an overdue item goes: `escalate QUEUE` or `escalate notify \"…\"`"),
            ("timezone", "the zone of the queue's hours"),
            ("hours", "when the queue is worked: `hours mon-fri 09:00-17:00`"),
            ("calendar", "days the queue is not worked: `calendar uk`"),
        ],
    ),
    (
        "test",
        &[
            ("now", "decision time (RFC 3339)"),
            ("lead", "the lead: `lead { id: \"L1\", … }`"),
            ("state", "rep state overrides"),
            ("expect", "what must happen"),
            ("after", "`after 6m breach expect …`: nobody contacted the lead in time"),
        ],
    ),
    ("route", &[("when", "a rule: `when CONDITION -> ACTION`"), ("otherwise", "the catch-all rule: `otherwise -> ACTION`")]),
];

/// The SLA words, with what they do (completion details and hovers).
pub const SLA_WORDS: &[(&str, &str)] = &[
    ("sla_breach", "**sla_breach**: the tier's SLA ran out before first contact. `on sla_breach(TIER) -> reassign | queue Q | assign … | notify \"…\"`; without a tier, every tier without its own handler"),
    ("sla_warning", "**sla_warning**: a reminder before the SLA runs out. `on sla_warning(TIER, 2m) -> notify \"…\"`"),
    ("reassign", "**reassign**: the next available rep of the lead's team, by the team's strategy, never one who already held the lead; `else …` when nobody is left (else `on no_available_rep`)"),
    ("notify", "**notify**: the lead stays where it is; a notification with this text goes out"),
    ("escalate", "**escalate**: where a queue item goes once the queue's SLA has passed: another queue (whose SLA then runs) or `notify \"…\"`"),
    ("duplicate", "**duplicate**: a lead whose email (or `by FIELD`, trimmed and lower-cased) an earlier lead had within the window. `on duplicate(within 30d) -> assign previous owner else continue`, or any action; the decision names the earlier lead (`duplicate_of`)"),
    ("within", "**within**: how far back an earlier lead counts as the same: `duplicate(within 30d)`, at most `3650d`"),
    ("previous", "**previous owner**: the earlier lead's current owner (after reassignments), if available; only inside `on duplicate(...)`; `else …` when not (`else continue` routes normally)"),
];

fn sla_word(w: &str) -> CompletionItem {
    let doc = SLA_WORDS.iter().find(|(k, _)| *k == w).map_or("", |(_, d)| d);
    let mut it = item(w, CompletionItemKind::KEYWORD, doc.split(':').next().unwrap_or("").trim_matches('*'));
    it.documentation = Some(lsp_types::Documentation::String(doc.replace("**", "")));
    it
}

fn item(label: &str, kind: CompletionItemKind, detail: impl Into<String>) -> CompletionItem {
    CompletionItem { label: label.to_string(), kind: Some(kind), detail: Some(detail.into()), ..Default::default() }
}

/// Tokens of the text before the cursor: words, and the punctuation that matters.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            i = crate::lex::comment_end(b, i);
        } else if c == b'"' {
            let s = i;
            i = crate::lex::string_end(b, i);
            out.push(&text[s..i]);
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
                i += 1;
            }
            out.push(&text[s..i]);
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else {
            let two = text.get(i..i + 2).unwrap_or("");
            if ["->", "==", "!=", "<=", ">=", "??"].contains(&two) {
                out.push(two);
                i += 2;
            } else {
                // One character, however many bytes it takes (`é`, `→`).
                let len = text[i..].chars().next().map_or(1, char::len_utf8);
                out.push(&text[i..i + len]);
                i += len;
            }
        }
    }
    out
}

fn names<'a>(it: impl Iterator<Item = &'a str>, kind: CompletionItemKind, detail: &str) -> Vec<CompletionItem> {
    it.map(|n| item(n, kind, detail)).collect()
}

/// Completions at byte `offset` of `text`, a file of the policy `syms` describes.
pub fn complete(text: &str, offset: usize, syms: &Symbols) -> Vec<CompletionItem> {
    let offset = crate::convert::floor_char_boundary(text, offset);
    let before = &text[..offset];
    let partial_len = before.bytes().rev().take_while(|c| c.is_ascii_alphanumeric() || *c == b'_').count();
    let before = &before[..before.len() - partial_len];
    let chunk = split(text).into_iter().rfind(|c| c.start <= offset);
    let chunk_text = chunk.map_or("", |c| &text[c.start..before.len().max(c.start)]);
    let toks = tokens(chunk_text);
    let head = toks.first().copied().unwrap_or("");
    let line = before.rsplit('\n').next().unwrap_or("");
    let depth: i32 = toks.iter().map(|t| match *t { "{" => 1, "}" => -1, _ => 0 }).sum();

    if let Some(v) = crate::tables::declaration_items(&toks, line.trim().is_empty(), syms) {
        return v;
    }
    if let Some(v) = crate::tables::column_items(&toks, syms) {
        return v;
    }
    // At the start of a line: a declaration keyword, or a property of the block.
    if line.trim().is_empty() {
        if depth <= 0 || chunk.is_none() {
            return DECL_DOCS.iter().map(|(k, d)| item(k, CompletionItemKind::KEYWORD, *d)).collect();
        }
        if let Some((_, props)) = PROPS.iter().find(|(h, _)| *h == head) {
            return props.iter().map(|(k, d)| item(k, CompletionItemKind::KEYWORD, *d)).collect();
        }
        if head == "schema" {
            return Vec::new();
        }
    }
    let prev = toks.last().copied().unwrap_or("");
    let prev2 = toks.len().checked_sub(2).map_or("", |i| toks[i]);
    let field_items = |filter: &dyn Fn(&Ty, bool) -> bool| -> Vec<CompletionItem> {
        syms.fields
            .iter()
            .filter(|(_, f)| filter(&f.ty, f.optional))
            .map(|(n, f)| item(n, CompletionItemKind::FIELD, format!("{}{}", f.ty.name(), if f.optional { "?" } else { "" })))
            .collect()
    };
    let tiers = || names(syms.tiers.iter().map(|t| t.name.name.as_str()), CompletionItemKind::ENUM_MEMBER, "tier");
    let territories = || {
        let mut v = names(syms.territories.iter().map(|t| t.name.name.as_str()), CompletionItemKind::ENUM_MEMBER, "territory");
        v.push(item("none", CompletionItemKind::ENUM_MEMBER, "no territory matched"));
        v
    };
    let sla_handler = head == "on" && toks.get(1).is_some_and(|t| t.starts_with("sla_"));
    let dup_handler = head == "on" && toks.get(1) == Some(&"duplicate");
    match (prev2, prev) {
        ("duplicate", "(") => return vec![sla_word("within")],
        (_, "by") if dup_handler && !toks.contains(&"->") => return field_items(&|t, _| *t == Ty::Str),
        ("->" | "else", "assign") if dup_handler => {
            let mut v: Vec<CompletionItem> = ["team", "rep", "owner"].iter().map(|k| item(k, CompletionItemKind::KEYWORD, "whom to assign")).collect();
            if prev2 == "->" {
                v.push(sla_word("previous"));
            }
            return v;
        }
        ("assign", "previous") => return vec![item("owner", CompletionItemKind::KEYWORD, "the earlier lead's owner")],
        ("sla_breach" | "sla_warning", "(") => return tiers(),
        (_, "escalate") => {
            let mut v = names(syms.queues.keys().map(String::as_str), CompletionItemKind::CLASS, "queue");
            v.push(sla_word("notify"));
            return v;
        }
        (_, "->") if sla_handler => {
            let mut v: Vec<CompletionItem> = ["reassign", "notify"].iter().map(|w| sla_word(w)).collect();
            v.extend(["queue", "assign"].iter().map(|k| item(k, CompletionItemKind::KEYWORD, "action")));
            return v;
        }
        ("assign", "team") => return names(syms.teams.keys().map(String::as_str), CompletionItemKind::CLASS, "team"),
        (_, "calendar") if head != "calendar" => return names(syms.calendars.keys().map(String::as_str), CompletionItemKind::CONSTANT, "calendar"),
        ("assign", "rep") | (_, "members") => return names(syms.reps.keys().map(String::as_str), CompletionItemKind::CLASS, "rep"),
        ("owner", "(") => return field_items(&|t, _| *t == Ty::Str),
        ("missing", "(") => return field_items(&|_, opt| opt),
        ("sticky", "(") => return field_items(&|t, _| *t == Ty::Str),
        (_, "queue") if head != "queue" || toks.len() > 2 => return names(syms.queues.keys().map(String::as_str), CompletionItemKind::CLASS, "queue"),
        ("->" | "else", "route") | (_, "entry") => return names(syms.routes.keys().map(String::as_str), CompletionItemKind::FUNCTION, "route"),
        (_, "strategy" | "by") => return STRATEGIES.iter().map(|(n, d)| item(n, CompletionItemKind::VALUE, *d)).collect(),
        ("->" | "else", "assign") => {
            return ["team", "rep", "owner"].iter().map(|k| item(k, CompletionItemKind::KEYWORD, "whom to assign")).collect();
        }
        (_, "->" | "else") => {
            let mut v: Vec<CompletionItem> = ["assign", "queue", "route", "drop"].iter().map(|k| item(k, CompletionItemKind::KEYWORD, "action")).collect();
            if prev == "else" {
                v.push(item("continue", CompletionItemKind::KEYWORD, if dup_handler { "route the lead normally" } else { "try the next rule" }));
            }
            if head == "on" && !dup_handler {
                v.push(item("assume", CompletionItemKind::KEYWORD, "use this value for a missing field"));
            }
            return v;
        }
        (_, "on") if head == "on" => {
            let mut v: Vec<CompletionItem> = EXCEPTIONS.iter().map(|(n, d)| item(n, CompletionItemKind::EVENT, *d)).collect();
            v.push(item("missing", CompletionItemKind::EVENT, "missing(field): an optional field is absent"));
            v.push(sla_word("sla_breach"));
            v.push(sla_word("sla_warning"));
            v.push(sla_word("duplicate"));
            return v;
        }
        _ => {}
    }
    if head == "test" {
        let expect_pos = toks.iter().rposition(|t| *t == "expect");
        let in_expect = expect_pos.is_some_and(|p| !toks[p..].iter().any(|t| ["lead", "state", "now", "}"].contains(t)));
        if in_expect {
            return match prev {
                "team" => names(syms.teams.keys().map(String::as_str), CompletionItemKind::CLASS, "team"),
                "rep" => names(syms.reps.keys().map(String::as_str), CompletionItemKind::CLASS, "rep"),
                "queue" => names(syms.queues.keys().map(String::as_str), CompletionItemKind::CLASS, "queue"),
                "tier" => tiers(),
                "territory" => territories(),
                "route" => names(syms.routes.keys().map(String::as_str), CompletionItemKind::FUNCTION, "route"),
                _ => ["team", "rep", "queue", "tier", "territory", "route", "assigned", "queued", "dropped"]
                    .iter()
                    .map(|k| item(k, CompletionItemKind::KEYWORD, "expectation"))
                    .collect(),
            };
        }
        if prev == "{" || prev == "," {
            return field_items(&|_, _| true);
        }
    }
    // Inside a condition: after a comparison or `in`, values of the subject's type.
    let op_at = toks.iter().rposition(|t| ["==", "!=", "in"].contains(t));
    if let Some(p) = op_at {
        let after: Vec<&str> = toks[p + 1..].to_vec();
        let still_value = after.is_empty() || (after.first() == Some(&"[") && !after.contains(&"]"));
        if still_value && p > 0 {
            let subject = toks[p - 1];
            let subject = if subject == "not" && p > 1 { toks[p - 2] } else { subject };
            if subject == "tier" && head == "route" {
                return tiers();
            }
            if subject == "territory" && head == "route" {
                return territories();
            }
            if let Some(f) = syms.fields.get(subject) {
                if let Ty::Enum(e) = &f.ty {
                    if let Some(d) = syms.enums.get(e) {
                        return names(d.variants.iter().map(|v| v.name.as_str()), CompletionItemKind::ENUM_MEMBER, e);
                    }
                }
            }
            // `x in` / `x not in`: sets, tables and list fields.
            if toks[p] == "in" && after.is_empty() {
                let mut v = names(syms.sets.keys().map(String::as_str), CompletionItemKind::VARIABLE, "set");
                v.extend(crate::tables::table_items(syms));
                v.extend(field_items(&|t, _| matches!(t, Ty::List(_))));
                return v;
            }
        }
    }
    // Anything else in a condition: fields, functions and builtin values.
    let in_condition = toks.contains(&"when") && !toks.iter().rev().take_while(|t| **t != "when").any(|t| *t == "->");
    if in_condition || ["and", "or", "not", "("].contains(&prev) {
        let mut v = field_items(&|_, _| true);
        v.extend(crate::tables::table_items(syms));
        v.extend(FUNCTIONS.iter().map(|(n, sig, doc)| {
            let mut it = item(n, CompletionItemKind::FUNCTION, *sig);
            it.documentation = Some(lsp_types::Documentation::String(doc.to_string()));
            it
        }));
        v.push(item("now", CompletionItemKind::CONSTANT, "time: the decision time"));
        if head == "route" {
            v.push(item("tier", CompletionItemKind::CONSTANT, "the lead's tier"));
            v.push(item("territory", CompletionItemKind::CONSTANT, "the lead's territory"));
        }
        return v;
    }
    if DECL_KEYWORDS.contains(&head) {
        return Vec::new();
    }
    DECL_DOCS.iter().map(|(k, d)| item(k, CompletionItemKind::KEYWORD, *d)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn non_ascii_before_the_cursor_completes_without_panicking() {
        let syms = Symbols::default();
        for text in ["tier é", "tier é\n", "territory →x when", "route r { when é == ", "team t { members [é, "] {
            for at in 0..=text.len() + 2 {
                let _ = complete(text, at, &syms);
            }
        }
        // After a complete declaration with a stray character, a new line still offers keywords.
        let labels: Vec<String> = complete("tier é\n", 8, &syms).into_iter().map(|c| c.label).collect();
        assert!(labels.iter().any(|l| l == "route"), "{labels:?}");
    }

    proptest! {
        #[test]
        fn completion_never_panics_on_any_text_and_offset(text in "(\\PC|[\n\r\"{}\\[\\]=é😀])*", at in 0usize..400) {
            let _ = complete(&text, at, &Symbols::default());
        }
    }
}
