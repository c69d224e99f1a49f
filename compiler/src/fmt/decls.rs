//! Lays out declarations: blocks one item per line in a stable order, arrows
//! and columns aligned, each comment placed next to the item it belongs to.

use pest::Parser;

use super::comments::{attach, scan, Attached, Comment, Leading, Slot};
use super::expr;
use super::lines::{fill, width, Out, ALIGN_MAX, MAX_WIDTH};
use crate::source::Span;
use crate::syntax::ast::*;
use crate::syntax::grammar::{self as g, RouteParser};
use crate::syntax::split::DECL_KEYWORDS;

/// Formats a parsed file. `text` is the text `module` was parsed from.
pub(crate) fn format_module(text: &str, module: &Module) -> String {
    let comments = scan(text);
    let mut p = Printer { text, comments, out: Out::default(), blocks: 0 };
    p.module(module);
    p.out.render()
}

struct Printer<'t> {
    text: &'t str,
    comments: Vec<Comment>,
    out: Out,
    blocks: u32,
}

/// Column widths shared by a run of like declarations.
#[derive(Debug, Clone, Copy, Default)]
struct Columns {
    /// Names are padded to this width (tiers, territories).
    name: usize,
    /// Text before `->` or `sla` is padded to this width.
    head: usize,
}

fn range(span: Span) -> (usize, usize) {
    (span.start as usize, span.end as usize)
}

/// One item of a block, laid out: its lines (relative to the block's
/// indent), where it is in the source, and its place in the canonical order.
struct Item {
    lines: Vec<String>,
    span: (usize, usize),
    rank: u8,
}

impl Item {
    fn new(line: String, span: Span, rank: u8) -> Item {
        Item { lines: vec![line], span: range(span), rank }
    }
}

/// A block's items on one line, in canonical order, two spaces apart
/// (`{ owner "ops@acme.example"  sla 30m }`): what a short declaration
/// keeps when it fits the width. `None` when an item takes several lines.
fn one_line(items: &[Item]) -> Option<String> {
    let mut order: Vec<&Item> = items.iter().collect();
    order.sort_by_key(|i| i.rank);
    let parts: Option<Vec<&str>> = order.iter().map(|i| if let [l] = i.lines.as_slice() { Some(l.as_str()) } else { None }).collect();
    parts.filter(|p| !p.is_empty()).map(|p| format!("{{ {} }}", p.join("  ")))
}

impl Printer<'_> {
    fn new_block(&mut self) -> u32 {
        self.blocks += 1;
        self.blocks
    }

    fn texts(&self, which: &[usize]) -> Vec<&str> {
        which.iter().map(|&i| self.comments[i].text.as_str()).collect()
    }

    /// Own-line comments, each after a blank line when the source had one
    /// (unless `at_start`: the first thing of a block takes no blank line).
    fn leading(&mut self, indent: usize, comments: &[Leading], mut at_start: bool) -> bool {
        for l in comments {
            if l.blank_before && !at_start {
                self.out.blank();
            }
            let text = self.comments[l.comment].text.clone();
            self.out.comment(indent, &text);
            at_start = false;
        }
        at_start
    }

    fn module(&mut self, module: &Module) {
        let items: Vec<(usize, usize)> = module.iter().map(|d| range(d.span())).collect();
        let all: Vec<usize> = (0..self.comments.len()).collect();
        let att = attach(self.text, &self.comments, &all, 0, &items);
        let top = self.new_block();
        let columns = self.columns(module, &att);
        for ((decl, slot), cols) in module.iter().zip(&att.slots).zip(columns) {
            self.leading(0, &slot.leading, false);
            if slot.blank_before {
                self.out.blank();
            }
            self.decl(decl, slot, top, cols);
        }
        self.leading(0, &att.tail, false);
    }

    /// Column widths for runs of handlers, tiers and territories: a run is
    /// consecutive declarations of one kind with no blank line between them.
    fn columns(&self, module: &Module, att: &Attached) -> Vec<Columns> {
        let kind = |d: &Decl| match d {
            Decl::Handler(_) => 1,
            Decl::Tier(_) => 2,
            Decl::Territory(_) => 3,
            Decl::Sla(_) => 4,
            _ => 0,
        };
        let mut out = vec![Columns::default(); module.decls.len()];
        let mut i = 0;
        while i < module.decls.len() {
            let k = kind(&module.decls[i]);
            let mut j = i + 1;
            while j < module.decls.len() && k != 0 && kind(&module.decls[j]) == k && !starts_after_blank(&att.slots[j]) {
                j += 1;
            }
            let run = &module.decls[i..j];
            let name = run
                .iter()
                .map(|d| match &**d {
                    Decl::Tier(t) => width(&t.name.name),
                    Decl::Territory(t) => width(&t.name.name),
                    _ => 0,
                })
                // A longer name is not a column to pad to: padding every line of
                // a run to it would make the output grow with its square.
                .filter(|w| *w <= ALIGN_MAX)
                .max()
                .unwrap_or(0);
            let head = run
                .iter()
                .map(|d| match &**d {
                    Decl::Handler(h) => width(&handler_head(h)),
                    Decl::Sla(h) => width(&self.sla_head(h)),
                    Decl::Tier(t) => width(&tier_head(t, name)),
                    _ => 0,
                })
                .filter(|w| *w <= ALIGN_MAX)
                .max()
                .unwrap_or(0);
            let cols = Columns { name, head };
            for c in &mut out[i..j] {
                *c = cols;
            }
            i = j;
        }
        out
    }

    fn decl(&mut self, decl: &Decl, slot: &Slot, top: u32, cols: Columns) {
        match decl {
            Decl::Set(s) => {
                let items: Vec<String> = s.items.iter().map(expr::expr).collect();
                let prefix = format!("set {} = [", s.name.name);
                let may_start = |item: &str| !starts_with_decl_keyword(item);
                for line in fill(0, &prefix, &items, "]", &may_start) {
                    self.out.code(0, line, top);
                }
                self.trail_leaf(0, slot);
            }
            Decl::Tier(t) => {
                let head = tier_head(t, cols.name);
                let line = match &t.sla {
                    Some(sla) => format!("{} sla {}", pad(&head, cols.head), sla_text(self.written(sla), t.business.is_some())),
                    None => head,
                };
                self.out.code(0, line, top);
                self.trail_leaf(0, slot);
            }
            Decl::Territory(t) => {
                let line = format!("territory {} when {}", pad(&t.name.name, cols.name), expr::expr(&t.condition));
                self.out.code(0, line, top);
                self.trail_leaf(0, slot);
            }
            Decl::Handler(h) => {
                let action = match &h.action {
                    HandlerAction::Action(a) => self.action(a),
                    other => expr::handler_action(other),
                };
                let line = format!("{} -> {action}", pad(&handler_head(h), cols.head));
                self.out.code(0, line, top);
                self.trail_leaf(0, slot);
            }
            Decl::Duplicate(h) => {
                let mut head = format!("on duplicate(within {}", self.written(&h.within));
                if let Some(by) = &h.by {
                    head.push_str(&format!(", by {}", by.name));
                }
                let line = format!("{head}) -> {}", self.action(&h.action));
                self.out.code(0, line, top);
                self.trail_leaf(0, slot);
            }
            Decl::Sla(h) => {
                let action = match &h.action.kind {
                    SlaActionKind::Reassign { fallback: None } => "reassign".to_string(),
                    SlaActionKind::Reassign { fallback: Some(Fallback::Continue(_)) } => "reassign else continue".to_string(),
                    SlaActionKind::Reassign { fallback: Some(Fallback::Action(a)) } => format!("reassign else {}", self.action(a)),
                    SlaActionKind::Notify(m) => format!("notify {}", expr::quote(&m.value)),
                    SlaActionKind::Action(a) => self.action(a),
                };
                let line = format!("{} -> {action}", pad(&self.sla_head(h), cols.head));
                self.out.code(0, line, top);
                self.trail_leaf(0, slot);
            }
            Decl::Policy(d) => {
                let items: Vec<Item> = d
                    .props
                    .iter()
                    .map(|p| {
                        let (text, rank) = match &p.value {
                            PolicyProp::Owner(s) => (format!("owner {}", expr::quote(&s.value)), 0),
                            PolicyProp::Timezone(s) => (format!("timezone {}", expr::quote(&s.value)), 1),
                            PolicyProp::Entry(e) => (format!("entry {}", e.name), 2),
                        };
                        Item::new(text, p.span, rank)
                    })
                    .collect();
                let short = one_line(&items);
                self.block(format!("policy {}", d.name.name), d.span, d.name.span, slot, top, items, short);
            }
            Decl::Enum(d) => {
                let items = d.variants.iter().map(|v| Item::new(format!("{},", v.name), v.span, 0)).collect();
                let names: Vec<&str> = d.variants.iter().map(|v| v.name.as_str()).collect();
                let one_line = if names.is_empty() { "{}".to_string() } else { format!("{{ {} }}", names.join(", ")) };
                self.block(format!("enum {}", d.name.name), d.span, d.name.span, slot, top, items, Some(one_line));
            }
            Decl::Schema(d) => {
                // Fields longer than ALIGN_MAX are not padded to (see `columns`).
                let name_w = d.fields.iter().map(|f| width(&f.name.name) + 1).filter(|w| *w <= ALIGN_MAX).max().unwrap_or(0);
                let items = d
                    .fields
                    .iter()
                    .map(|f| Item::new(format!("{} {}", pad(&format!("{}:", f.name.name), name_w), expr::type_expr(&f.ty)), f.span, 0))
                    .collect();
                self.block(format!("schema {}", d.name.name), d.span, d.name.span, slot, top, items, None);
            }
            Decl::Calendar(d) => {
                let items = d
                    .days
                    .iter()
                    .map(|h| {
                        let (a, b) = range(h.date.span);
                        let mut text = self.text[a..b].to_string();
                        let mut span = h.date.span;
                        if let Some(l) = &h.label {
                            text = format!("{text} {}", expr::quote(&l.value));
                            span = span.to(l.span);
                        }
                        Item::new(text, span, 0)
                    })
                    .collect();
                self.block(format!("calendar {}", d.name.name), d.span, d.name.span, slot, top, items, None);
            }
            Decl::Rep(d) => {
                let items: Vec<Item> = d.props.iter().map(rep_prop).collect();
                let short = one_line(&items);
                self.block(format!("rep {}", d.name.name), d.span, d.name.span, slot, top, items, short);
            }
            Decl::Team(d) => {
                let items: Vec<Item> = d
                    .props
                    .iter()
                    .map(|p| match &p.value {
                        TeamProp::Members(m) => {
                            let names: Vec<String> = m.iter().map(|i| i.name.clone()).collect();
                            Item { lines: fill(2, "members [", &names, "]", &|_| true), span: range(p.span), rank: 0 }
                        }
                        TeamProp::Strategy(s) => Item::new(format!("strategy {}", expr::strategy(s)), p.span, 1),
                        TeamProp::Timezone(s) => Item::new(format!("timezone {}", expr::quote(&s.value)), p.span, 2),
                        TeamProp::Hours(h) => Item::new(hours_text(h), p.span, 3),
                        TeamProp::Calendar(c) => Item::new(format!("calendar {}", c.name), p.span, 4),
                    })
                    .collect();
                let short = one_line(&items);
                self.block(format!("team {}", d.name.name), d.span, d.name.span, slot, top, items, short);
            }
            Decl::Queue(d) => {
                let items: Vec<Item> = d
                    .props
                    .iter()
                    .map(|p| match &p.value {
                        QueueProp::Owner(s) => Item::new(format!("owner {}", expr::quote(&s.value)), p.span, 0),
                        QueueProp::Sla(s, business) => Item::new(format!("sla {}", sla_text(self.written(s), business.is_some())), p.span, 1),
                        QueueProp::Escalate(Escalate::Queue(q)) => Item::new(format!("escalate {}", q.name), p.span, 2),
                        QueueProp::Escalate(Escalate::Notify(m)) => Item::new(format!("escalate notify {}", expr::quote(&m.value)), p.span, 2),
                        QueueProp::Timezone(s) => Item::new(format!("timezone {}", expr::quote(&s.value)), p.span, 3),
                        QueueProp::Hours(h) => Item::new(hours_text(h), p.span, 4),
                        QueueProp::Calendar(c) => Item::new(format!("calendar {}", c.name), p.span, 5),
                    })
                    .collect();
                let short = one_line(&items);
                self.block(format!("queue {}", d.name.name), d.span, d.name.span, slot, top, items, short);
            }
            Decl::Route(d) => {
                let heads: Vec<String> = d.rules.iter().map(|r| rule_head(r)).collect();
                let column = heads.iter().map(|h| 2 + width(h)).filter(|w| *w <= ALIGN_MAX).max().unwrap_or(0);
                let items = d
                    .rules
                    .iter()
                    .zip(&heads)
                    .map(|(r, head)| Item::new(format!("{} -> {}", pad(head, column.saturating_sub(2)), self.action(&r.action)), r.span, 0))
                    .collect();
                self.block(format!("route {}", d.name.name), d.span, d.name.span, slot, top, items, None);
            }
            Decl::Test(d) => {
                let spans = self.test_item_spans(d);
                let items = d
                    .items
                    .iter()
                    .zip(spans)
                    .map(|(item, span)| Item { lines: test_item(item, &|d| self.written(d)), span, rank: 0 })
                    .collect();
                self.block(format!("test {}", expr::quote(&d.name.value)), d.span, d.name.span, slot, top, items, None);
            }
            Decl::Allow(a) => {
                self.out.code(0, format!("allow {} {}", a.code.name, expr::quote(&a.reason.value)), top);
                self.trail_leaf(0, slot);
            }
            Decl::Table(d) => {
                let name_w = d.columns.iter().map(|c| width(&c.name.name) + 1).filter(|w| *w <= ALIGN_MAX).max().unwrap_or(0);
                let items = d
                    .columns
                    .iter()
                    .map(|c| {
                        let marks = format!("{}{}", if c.key.is_some() { " key" } else { "" }, if c.alias.is_some() { " alias" } else { "" });
                        Item::new(format!("{} {}{marks}", pad(&format!("{}:", c.name.name), name_w), expr::type_expr(&c.ty)), c.span, 0)
                    })
                    .collect();
                let head = format!("table {} from {}", d.name.name, expr::quote(&d.path.value));
                self.block(head, d.span, d.name.span, slot, top, items, None);
            }
            Decl::FreeMail(d) => {
                let items: Vec<String> = d.domains.iter().map(|s| expr::quote(&s.value)).collect();
                let may_start = |item: &str| !starts_with_decl_keyword(item);
                for line in fill(0, "free_mail [", &items, "]", &may_start) {
                    self.out.code(0, line, top);
                }
                self.trail_leaf(0, slot);
            }
        }
    }

    /// Comments inside a one-line declaration and after it: trailing.
    fn trail_leaf(&mut self, indent: usize, slot: &Slot) {
        let mut all = slot.inner.clone();
        all.extend(&slot.trailing);
        let texts: Vec<String> = self.texts(&all).into_iter().map(str::to_string).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        self.out.trail(indent, &refs);
    }

    /// A block declaration: `head {`, its items one per line in canonical
    /// order with their comments, `}`. `one_line` is the whole block on one
    /// line (`{ a, b }`), used when it fits and holds no comment.
    // Each argument is one part of the declaration block being laid out.
    #[allow(clippy::too_many_arguments)]
    fn block(&mut self, head: String, span: Span, name: Span, slot: &Slot, top: u32, items: Vec<Item>, one_line: Option<String>) {
        let (start, end) = range(span);
        let open = self.open_brace(name.end as usize, end);
        let (before_open, inside): (Vec<usize>, Vec<usize>) = slot.inner.iter().partition(|&&c| self.comments[c].start < open);
        let spans: Vec<(usize, usize)> = items.iter().map(|i| i.span).collect();
        let att = attach(self.text, &self.comments, &inside, open + 1, &spans);
        let mut header = before_open;
        header.extend(&att.header);
        let quiet = header.is_empty() && att.tail.is_empty() && att.slots.iter().all(|s| s.leading.is_empty() && s.inner.is_empty() && s.trailing.is_empty());
        let one_line = match one_line {
            Some(l) if quiet && width(&head) + 1 + width(&l) <= MAX_WIDTH => Some(l),
            _ if quiet && items.is_empty() => Some("{}".to_string()),
            _ => None,
        };
        if let Some(l) = one_line {
            self.out.code(0, format!("{head} {l}"), top);
            self.trail_leaf(0, &Slot { trailing: slot.trailing.clone(), ..Slot::default() });
            return;
        }
        // A declaration written on one line keeps its trailing comment on its first line.
        let mut close_trailing = slot.trailing.clone();
        if !self.text[start..end].contains('\n') {
            header.splice(0..0, close_trailing.drain(..));
        }
        self.out.code(0, format!("{head} {{"), top);
        let header_texts: Vec<String> = self.texts(&header).into_iter().map(str::to_string).collect();
        if let Some((first, rest)) = header_texts.split_first() {
            self.out.trail(0, &[first.as_str()]);
            for c in rest {
                self.out.comment(2, c);
            }
        }
        let inner = self.new_block();
        let mut at_start = header.len() <= 1;
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by_key(|&i| items[i].rank);
        for i in order {
            let s = &att.slots[i];
            at_start = self.leading(2, &s.leading, at_start);
            if s.blank_before && !at_start {
                self.out.blank();
            }
            for line in &items[i].lines {
                self.out.code(2, line.clone(), inner);
            }
            self.trail_leaf(2, s);
            at_start = false;
        }
        self.leading(2, &att.tail, at_start);
        self.out.code(0, "}".to_string(), top);
        self.trail_leaf(0, &Slot { trailing: close_trailing, ..Slot::default() });
    }

    fn sla_head(&self, h: &SlaDecl) -> String {
        format!("on {}", expr::sla_event_with(&h.event, &|d| self.written(d)))
    }

    /// A duration as written (`24h` stays `24h`, `90s` stays `90s`); the
    /// canonical form only if the span does not hold a duration literal.
    fn written(&self, d: &Spanned<i64>) -> String {
        let (start, end) = range(d.span);
        match self.text.get(start..end) {
            Some(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric()) => t.to_string(),
            _ => expr::duration(d.value),
        }
    }

    /// The `{` that opens a block: the first one after the name, past comments.
    fn open_brace(&self, from: usize, end: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut i = from;
        while i < end {
            match bytes[i] {
                b'{' => return i,
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    while i < end && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                _ => i += 1,
            }
        }
        from
    }

    /// Where each item of a test is: the tree does not keep it, so the test
    /// is parsed again on its own.
    fn test_item_spans(&self, d: &TestDecl) -> Vec<(usize, usize)> {
        let (start, end) = range(d.span);
        let fallback = vec![(end, end); d.items.len()];
        let Ok(mut pairs) = RouteParser::parse(g::Rule::test_decl, &self.text[start..end]) else { return fallback };
        let Some(decl) = pairs.next() else { return fallback };
        let spans: Vec<(usize, usize)> = decl
            .into_inner()
            .filter(|p| matches!(p.as_rule(), g::Rule::test_now | g::Rule::test_lead | g::Rule::test_state | g::Rule::test_expect))
            .map(|p| {
                let s = p.as_span();
                (start + s.start(), self.trim_end(start + s.start(), start + s.end()))
            })
            .collect();
        if spans.len() == d.items.len() {
            spans
        } else {
            fallback
        }
    }

    /// Moves `end` back over whitespace and comments.
    fn trim_end(&self, start: usize, mut end: usize) -> usize {
        let bytes = self.text.as_bytes();
        while end > start {
            if bytes[end - 1].is_ascii_whitespace() {
                end -= 1;
            } else if let Some(c) = self.comments.iter().find(|c| c.end == end && c.start >= start) {
                end = c.start;
            } else {
                break;
            }
        }
        end
    }

    /// An action; an `else` the tree does not keep (after a fallback that
    /// cannot fail) is kept by writing the action as it was written.
    fn action(&self, a: &Action) -> String {
        let (start, end) = range(a.span);
        let code = self.code_only(start, end);
        if count_else_words(&code) == else_count(a) {
            expr::action(a)
        } else {
            code.split_whitespace().collect::<Vec<_>>().join(" ")
        }
    }

    /// The text of a range with its comments left out.
    fn code_only(&self, start: usize, end: usize) -> String {
        let mut out = String::new();
        let mut at = start;
        for c in self.comments.iter().filter(|c| c.start >= start && c.start < end) {
            out.push_str(&self.text[at..c.start]);
            out.push(' ');
            at = c.end.min(end);
        }
        out.push_str(&self.text[at..end]);
        out
    }
}

/// True when a slot's item or its first comment follows a blank line.
fn starts_after_blank(slot: &Slot) -> bool {
    slot.blank_before || slot.leading.iter().any(|l| l.blank_before)
}

/// `s` followed by spaces up to `to` characters. By hand, not `{:<to$}`:
/// `format!` panics on widths of 65,535 and more, which a long name reaches.
fn pad(s: &str, to: usize) -> String {
    let mut out = String::with_capacity(s.len() + to);
    out.push_str(s);
    out.extend(std::iter::repeat_n(' ', to.saturating_sub(s.chars().count())));
    out
}

fn handler_head(h: &HandlerDecl) -> String {
    format!("on {}", expr::exception(&h.exception))
}


fn tier_head(t: &TierDecl, name_w: usize) -> String {
    match &t.guard {
        Guard::When(e) => format!("tier {} when {}", pad(&t.name.name, name_w), expr::expr(e)),
        Guard::Otherwise(_) => format!("tier {} otherwise", pad(&t.name.name, name_w)),
    }
}

fn rule_head(r: &Rule) -> String {
    let guard = match &r.guard {
        Guard::When(e) => format!("when {}", expr::expr(e)),
        Guard::Otherwise(_) => "otherwise".to_string(),
    };
    match &r.name {
        Some(n) => format!("{}: {guard}", n.name),
        None => guard,
    }
}

fn else_count(a: &Action) -> usize {
    let mut n = 0;
    let mut current = a;
    while let ActionKind::Assign { fallback: Some(f), .. } = &current.kind {
        n += 1;
        match f {
            Fallback::Continue(_) => break,
            Fallback::Action(next) => current = next,
        }
    }
    n
}

/// How many times the word `else` is written in `code`, strings skipped.
fn count_else_words(code: &str) -> usize {
    let mut n = 0;
    let mut word = String::new();
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        n += usize::from(word == "else");
        word.clear();
        if c == '"' {
            while let Some(s) = chars.next() {
                match s {
                    '\\' => {
                        chars.next();
                    }
                    '"' => break,
                    _ => {}
                }
            }
        }
    }
    n + usize::from(word == "else")
}

/// A word that would start a new declaration if it began a line at the top level.
fn starts_with_decl_keyword(s: &str) -> bool {
    let word: String = s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    DECL_KEYWORDS.contains(&word.as_str())
}

/// A rep property and its place in the order: email, timezone, hours,
/// capacity open, capacity per day, weight, skills, active.
fn rep_prop(p: &Prop<RepProp>) -> Item {
    let (text, rank) = match &p.value {
        RepProp::Email(s) => (format!("email {}", expr::quote(&s.value)), 0),
        RepProp::Timezone(s) => (format!("timezone {}", expr::quote(&s.value)), 1),
        RepProp::Hours(h) => (hours_text(h), 2),
        RepProp::Calendar(c) => (format!("calendar {}", c.name), 2),
        RepProp::Capacity { amount, per_shift: true, .. } => (format!("capacity {} per shift", amount.value), 4),
        RepProp::Capacity { amount, per_day: false, .. } => (format!("capacity {} open", amount.value), 3),
        RepProp::Capacity { amount, per_day: true, .. } => (format!("capacity {} per day", amount.value), 4),
        RepProp::Weight(w) => (format!("weight {}", w.value), 5),
        RepProp::Skills(s) => {
            let names: Vec<String> = s.iter().map(|i| i.name.clone()).collect();
            return Item { lines: fill(2, "skills [", &names, "]", &|_| true), span: range(p.span), rank: 6 };
        }
        RepProp::Active(a) => (format!("active {}", a.value), 7),
    };
    Item::new(text, p.span, rank)
}

/// `hours mon-fri 08:00-17:00 ["Zone"]`.
fn hours_text(h: &Hours) -> String {
    let days: Vec<String> = h.days.iter().map(expr::days).collect();
    let mut text = format!("hours {} {}-{}", days.join(", "), expr::clock(h.start.value), expr::clock(h.end.value));
    if let Some(tz) = &h.timezone {
        text.push(' ');
        text.push_str(&expr::quote(&tz.value));
    }
    text
}

/// `4h` or `4h business` (the duration as written).
fn sla_text(d: String, business: bool) -> String {
    if business {
        format!("{d} business")
    } else {
        d
    }
}

/// A test item: `now`, `lead { ... }`, `state { rep { ... } }`, `expect ...`.
fn test_item(item: &TestItem, written: &dyn Fn(&Spanned<i64>) -> String) -> Vec<String> {
    match item {
        TestItem::Now(s) => vec![format!("now {}", expr::quote(&s.value))],
        TestItem::Lead(r) if r.fields.is_empty() => vec!["lead {}".to_string()],
        TestItem::Lead(r) => fill(2, "lead { ", &expr::record_fields(r), " }", &|_| true),
        TestItem::State(entries) if entries.is_empty() => vec!["state {}".to_string()],
        TestItem::State(entries) => {
            let reps: Vec<String> = entries
                .iter()
                .map(|e| {
                    let fields = expr::record_fields(&e.record);
                    if fields.is_empty() {
                        format!("{} {{}}", e.rep.name)
                    } else {
                        format!("{} {{ {} }}", e.rep.name, fields.join(", "))
                    }
                })
                .collect();
            fill(2, "state { ", &reps, " }", &|_| true)
        }
        TestItem::Expect(list) => vec![format!("expect {}", expectations(list))],
        TestItem::Breach(b) => vec![format!("after {} breach expect {}", written(&b.after), expectations(&b.expect))],
        TestItem::Prior(r) if r.fields.is_empty() => vec!["prior {}".to_string()],
        TestItem::Prior(r) => fill(2, "prior { ", &expr::record_fields(r), " }", &|_| true),
    }
}

/// `team ae_west, tier hot, assigned`.
fn expectations(list: &[Expectation]) -> String {
    let parts: Vec<String> = list
        .iter()
        .map(|e| {
            let word = match e.kind {
                ExpectKind::Team => "team",
                ExpectKind::Rep => "rep",
                ExpectKind::Queue => "queue",
                ExpectKind::Tier => "tier",
                ExpectKind::Territory => "territory",
                ExpectKind::Route => "route",
                ExpectKind::Assigned => return "assigned".to_string(),
                ExpectKind::Queued => return "queued".to_string(),
                ExpectKind::Dropped => return "dropped".to_string(),
            };
            match &e.name {
                Some(n) => format!("{word} {}", n.name),
                None => word.to_string(),
            }
        })
        .collect();
    parts.join(", ")
}
