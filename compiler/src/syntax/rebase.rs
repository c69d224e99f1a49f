//! Moving a parsed declaration to another place: a declaration parsed once
//! (at offset 0) is reused wherever the same text stands, in any file. This
//! is what makes re-checking after an edit cheap: only changed declarations
//! are parsed again (see [`ParseCache`]).

use std::sync::Arc;

use super::ast::*;
use crate::source::{FileId, Span};

/// Shifts every span of a node by `delta` bytes into `file`.
pub trait Rebase {
    /// Moves the node.
    fn rebase(&mut self, file: FileId, delta: u32);
}

impl Rebase for Span {
    /// `delta` wraps: a copy moved back by `n` bytes is moved by `2^32 - n`.
    fn rebase(&mut self, file: FileId, delta: u32) {
        self.file = file;
        self.start = self.start.wrapping_add(delta);
        self.end = self.end.wrapping_add(delta);
    }
}

impl<T: Rebase> Rebase for Vec<T> {
    fn rebase(&mut self, file: FileId, delta: u32) {
        self.iter_mut().for_each(|x| x.rebase(file, delta));
    }
}

impl<T: Rebase> Rebase for Option<T> {
    fn rebase(&mut self, file: FileId, delta: u32) {
        if let Some(x) = self {
            x.rebase(file, delta);
        }
    }
}

impl<T: Rebase + Clone> Rebase for Arc<T> {
    /// Shifts a copy when the node is shared, the node itself when not.
    fn rebase(&mut self, file: FileId, delta: u32) {
        Arc::make_mut(self).rebase(file, delta);
    }
}

impl<T: Rebase> Rebase for Box<T> {
    fn rebase(&mut self, file: FileId, delta: u32) {
        (**self).rebase(file, delta);
    }
}

macro_rules! spans {
    ($($ty:ty => [$($field:ident),*];)*) => {
        $(impl Rebase for $ty {
            fn rebase(&mut self, file: FileId, delta: u32) {
                $(self.$field.rebase(file, delta);)*
            }
        })*
    };
}

spans! {
    Ident => [span];
    StrLit => [span];
    PolicyDecl => [name, props, span];
    EnumDecl => [name, variants, span];
    SchemaDecl => [name, fields, span];
    FieldDecl => [name, ty, span];
    TypeExpr => [kind, span];
    SetDecl => [name, items, span];
    AllowDecl => [code, reason, span];
    CalendarDecl => [name, days, span];
    Holiday => [date, label];
    RepDecl => [name, props, span];
    Hours => [days, start, end, timezone];
    DaySpec => [span];
    TeamDecl => [name, props, span];
    StrategyRef => [name, arg, span];
    QueueDecl => [name, props, span];
    TierDecl => [name, guard, sla, business, span];
    TerritoryDecl => [name, condition, span];
    RouteDecl => [name, rules, span];
    Rule => [name, guard, action, span];
    Action => [kind, span];
    HandlerDecl => [exception, action, span];
    SlaDecl => [event, action, span];
    DuplicateDecl => [within, by, event, action, span];
    SlaEvent => [tier, before, span];
    SlaAction => [kind, span];
    BreachTest => [after, expect, span];
    TestDecl => [name, items, span];
    Record => [fields, span];
    RecordField => [name, value];
    RepStateEntry => [rep, record];
    Value => [kind, span];
    Expectation => [name, span];
    Expr => [kind, span];
    TableDecl => [name, path, columns, span];
    ColumnDecl => [name, ty, key, alias, span];
    FreeMailDecl => [domains, span];
}

impl<T> Rebase for Spanned<T> {
    fn rebase(&mut self, file: FileId, delta: u32) {
        self.span.rebase(file, delta);
    }
}

impl<V: Rebase> Rebase for Prop<V> {
    fn rebase(&mut self, file: FileId, delta: u32) {
        self.key.rebase(file, delta);
        self.span.rebase(file, delta);
        self.value.rebase(file, delta);
    }
}

impl Rebase for Decl {
    fn rebase(&mut self, f: FileId, d: u32) {
        match self {
            Decl::Policy(x) => x.rebase(f, d),
            Decl::Enum(x) => x.rebase(f, d),
            Decl::Schema(x) => x.rebase(f, d),
            Decl::Set(x) => x.rebase(f, d),
            Decl::Calendar(x) => x.rebase(f, d),
            Decl::Rep(x) => x.rebase(f, d),
            Decl::Team(x) => x.rebase(f, d),
            Decl::Queue(x) => x.rebase(f, d),
            Decl::Tier(x) => x.rebase(f, d),
            Decl::Territory(x) => x.rebase(f, d),
            Decl::Route(x) => x.rebase(f, d),
            Decl::Handler(x) => x.rebase(f, d),
            Decl::Sla(x) => x.rebase(f, d),
            Decl::Duplicate(x) => x.rebase(f, d),
            Decl::Test(x) => x.rebase(f, d),
            Decl::Allow(x) => x.rebase(f, d),
            Decl::Table(x) => x.rebase(f, d),
            Decl::FreeMail(x) => x.rebase(f, d),
        }
    }
}

impl Rebase for PolicyProp {
    fn rebase(&mut self, f: FileId, d: u32) {
        match self {
            PolicyProp::Owner(s) | PolicyProp::Timezone(s) => s.rebase(f, d),
            PolicyProp::Entry(i) => i.rebase(f, d),
        }
    }
}

impl Rebase for TypeKind {
    fn rebase(&mut self, f: FileId, d: u32) {
        match self {
            TypeKind::Named(i) => i.rebase(f, d),
            TypeKind::List(t) => t.rebase(f, d),
        }
    }
}

impl Rebase for RepProp {
    fn rebase(&mut self, f: FileId, d: u32) {
        match self {
            RepProp::Email(s) | RepProp::Timezone(s) => s.rebase(f, d),
            RepProp::Weight(w) => w.rebase(f, d),
            RepProp::Capacity { amount, .. } => amount.rebase(f, d),
            RepProp::Hours(h) => h.rebase(f, d),
            RepProp::Calendar(c) => c.rebase(f, d),
            RepProp::Skills(s) => s.rebase(f, d),
            RepProp::Active(a) => a.rebase(f, d),
        }
    }
}

impl Rebase for TeamProp {
    fn rebase(&mut self, f: FileId, d: u32) {
        match self {
            TeamProp::Members(m) => m.rebase(f, d),
            TeamProp::Strategy(s) => s.rebase(f, d),
            TeamProp::Timezone(s) => s.rebase(f, d),
            TeamProp::Hours(h) => h.rebase(f, d),
            TeamProp::Calendar(c) => c.rebase(f, d),
        }
    }
}

impl Rebase for QueueProp {
    fn rebase(&mut self, f: FileId, d: u32) {
        match self {
            QueueProp::Owner(s) => s.rebase(f, d),
            QueueProp::Sla(s, business) => {
                s.rebase(f, d);
                business.rebase(f, d);
            }
            QueueProp::Timezone(s) => s.rebase(f, d),
            QueueProp::Hours(h) => h.rebase(f, d),
            QueueProp::Calendar(c) => c.rebase(f, d),
            QueueProp::Escalate(Escalate::Queue(i)) => i.rebase(f, d),
            QueueProp::Escalate(Escalate::Notify(s)) => s.rebase(f, d),
        }
    }
}

impl Rebase for SlaActionKind {
    fn rebase(&mut self, f: FileId, d: u32) {
        match self {
            SlaActionKind::Reassign { fallback } => fallback.rebase(f, d),
            SlaActionKind::Notify(s) => s.rebase(f, d),
            SlaActionKind::Action(a) => a.rebase(f, d),
        }
    }
}

impl Rebase for Guard {
    fn rebase(&mut self, f: FileId, d: u32) {
        match self {
            Guard::When(e) => e.rebase(f, d),
            Guard::Otherwise(s) => s.rebase(f, d),
        }
    }
}

impl Rebase for ActionKind {
    fn rebase(&mut self, f: FileId, d: u32) {
        match self {
            ActionKind::Assign { target, fallback } => {
                target.rebase(f, d);
                fallback.rebase(f, d);
            }
            ActionKind::Queue(i) | ActionKind::Route(i) => i.rebase(f, d),
            ActionKind::Drop(s) => s.rebase(f, d),
        }
    }
}

impl Rebase for AssignTarget {
    fn rebase(&mut self, f: FileId, d: u32) {
        match self {
            AssignTarget::Team { team, by } => {
                team.rebase(f, d);
                by.rebase(f, d);
            }
            AssignTarget::Rep(i) | AssignTarget::Owner(i) => i.rebase(f, d),
            AssignTarget::Previous(s) => s.rebase(f, d),
            AssignTarget::OwnerOf(e) => e.rebase(f, d),
        }
    }
}

impl Rebase for Fallback {
    fn rebase(&mut self, f: FileId, d: u32) {
        match self {
            Fallback::Continue(s) => s.rebase(f, d),
            Fallback::Action(a) => a.rebase(f, d),
        }
    }
}

impl Rebase for Exception {
    fn rebase(&mut self, f: FileId, d: u32) {
        match self {
            Exception::Named(i) => i.rebase(f, d),
            Exception::Missing { field, span } => {
                field.rebase(f, d);
                span.rebase(f, d);
            }
        }
    }
}

impl Rebase for HandlerAction {
    fn rebase(&mut self, f: FileId, d: u32) {
        match self {
            HandlerAction::Assume(v) => v.rebase(f, d),
            HandlerAction::Action(a) => a.rebase(f, d),
        }
    }
}

impl Rebase for TestItem {
    fn rebase(&mut self, f: FileId, d: u32) {
        match self {
            TestItem::Now(s) => s.rebase(f, d),
            TestItem::Lead(r) => r.rebase(f, d),
            TestItem::State(s) => s.rebase(f, d),
            TestItem::Expect(e) => e.rebase(f, d),
            TestItem::Breach(b) => b.rebase(f, d),
            TestItem::Prior(r) => r.rebase(f, d),
        }
    }
}

impl Rebase for ValueKind {
    fn rebase(&mut self, f: FileId, d: u32) {
        if let ValueKind::List(items) = self {
            items.rebase(f, d);
        }
    }
}

impl Rebase for ExprKind {
    fn rebase(&mut self, f: FileId, d: u32) {
        // Iterative over the left spine of long and/or chains.
        let mut cur = self;
        loop {
            match cur {
                ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                    b.rebase(f, d);
                    a.span.rebase(f, d);
                    cur = &mut a.kind;
                }
                ExprKind::Lit(_) | ExprKind::Name(_) => return,
                ExprKind::Call { func, args } => {
                    func.rebase(f, d);
                    return args.rebase(f, d);
                }
                ExprKind::List(items) => return items.rebase(f, d),
                ExprKind::Paren(e) | ExprKind::Not(e) => return e.rebase(f, d),
                ExprKind::Cmp { lhs, rhs, .. } => {
                    lhs.rebase(f, d);
                    return rhs.rebase(f, d);
                }
                ExprKind::In { value, set, .. } => {
                    value.rebase(f, d);
                    return set.rebase(f, d);
                }
                ExprKind::Is { value, .. } | ExprKind::Ambiguous(value) => return value.rebase(f, d),
                ExprKind::Default { value, default } => {
                    value.rebase(f, d);
                    return default.rebase(f, d);
                }
                ExprKind::Lookup { table, key, column } => {
                    table.rebase(f, d);
                    column.rebase(f, d);
                    return key.rebase(f, d);
                }
            }
        }
    }
}

/// Moved declarations from which [`ParseCache::get_many`] copies them on two threads.
pub const PLACE_IN_PARALLEL: usize = 512;

/// Declarations parsed before, by their exact text (each kept as first
/// built, at its place then). Only declarations that parsed without any diagnostic are kept.
/// Each entry also keeps the copy last handed out, moved to its place: a
/// declaration whose text and place did not change is shared, not copied.
/// And it keeps the copy handed out before that one: once nothing else
/// holds it (the analysis that read it is gone), a declaration that moves
/// again is that copy with its spans shifted, with nothing allocated or
/// freed (typing moves every declaration after the cursor on each keystroke).
/// [`ParseCache::sweep`] drops the entries the latest check did not use once
/// they hold more text than it used (typing in a long declaration adds a
/// version of it per keystroke: at most a few are kept).
#[derive(Debug, Default)]
pub struct ParseCache {
    /// Each text's entry in `entries` (found once per declaration per parse).
    decls: rustc_hash::FxHashMap<String, usize>,
    entries: Vec<Entry>,
    /// What analyses of the whole policy keep between checks (the
    /// territory search: [`crate::analysis::index::SearchMemo`]).
    pub policy: crate::syntax::ast::Memo,
    /// The last [`ParseCache::get_many`]'s moved declarations.
    last_moves: Moves,
    /// The rules of long routes, by text (see `syntax::route_rules`).
    rules: rustc_hash::FxHashMap<String, Entry<Rule>>,
    /// Each long route's last version, by file and name: its rules come
    /// from `rules`, and only the latest is kept (so that the copies of
    /// its rules two versions back are free to move in place).
    long_routes: rustc_hash::FxHashMap<(FileId, String), LongRoute>,
    /// The memos of the long routes' versions replaced last, with their
    /// text, newest last: undoing an edit finds what the analyses worked
    /// out for the text it goes back to.
    replaced_memos: Vec<(String, Memo)>,
    /// Each file's last text and its chunks: the next version is split
    /// again from them ([`crate::syntax::split::split_again`]).
    splits: rustc_hash::FxHashMap<FileId, (String, crate::syntax::split::Split)>,
    /// The current check (the number of sweeps so far).
    check: u64,
    /// Bytes of text of all kept declarations and rules, and of those the current check used.
    bytes: Bytes,
}

/// Bytes of text kept and used, for [`ParseCache::sweep`].
#[derive(Debug, Default, Clone, Copy)]
struct Bytes {
    decls: usize,
    decls_used: usize,
    rules: usize,
    rules_used: usize,
}

/// How many replaced long routes' memos are kept (each holds what the
/// analyses worked out for every rule of one version).
const REPLACED_MEMOS: usize = 2;

/// Garbage a sweep leaves in place: below this, sweeping costs more than it frees.
const SWEEP_SLACK: usize = 1 << 20;

/// How [`ParseCache::get_many`] moved declarations to their new place.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Moves {
    /// An earlier copy nothing else held, its spans shifted in place.
    pub in_place: usize,
    /// Copied anew from the parsed original.
    pub copied: usize,
}

#[derive(Debug)]
struct Entry<T = Decl> {
    /// The copy first built, with its file and offset: every new copy is made from it.
    base: Placed<T>,
    /// The copy last handed out, with its file and offset.
    placed: Option<Placed<T>>,
    /// The copy handed out before `placed`.
    spare: Option<Placed<T>>,
    /// The check that last used it.
    used: u64,
}

/// A long route's last version (see `ParseCache::long_routes`).
#[derive(Debug)]
pub(super) struct LongRoute {
    /// Its text.
    pub(super) text: String,
    /// Where it stood.
    pub(super) file: FileId,
    pub(super) offset: usize,
    /// The declaration built there.
    pub(super) decl: Arc<Decl>,
    /// Where its rules were cut (the next version is cut again from it).
    pub(super) cut: Arc<super::route_rules::Cut>,
    /// The check that last used it.
    used: u64,
}

/// A copy of a declaration at a file and offset.
type Placed<T = Decl> = (FileId, usize, Arc<T>);

impl ParseCache {
    /// An empty cache.
    pub fn new() -> ParseCache {
        ParseCache::default()
    }

    /// `text` (the latest version of `file`) split into chunks, from the
    /// split of its last version when there is one.
    pub fn split(&mut self, file: FileId, text: &str) -> Vec<crate::syntax::split::Chunk> {
        use crate::syntax::split::{split_again, split_marked};
        let split = match self.splits.get(&file) {
            Some((old_text, old)) => split_again(text, old_text, old),
            None => split_marked(text),
        };
        let chunks = split.chunks.clone();
        let kept = self.splits.entry(file).or_default();
        kept.0.clear();
        kept.0.push_str(text);
        kept.1 = split;
        chunks
    }

    /// The declaration parsed from each `(text, offset)` of `file`, moved to
    /// its place, in order (`None` where the text is not kept). Those that
    /// moved are copied to their new place together, on
    /// two threads when there are [`PLACE_IN_PARALLEL`] or more (typing
    /// near the top of a large policy moves every declaration after it).
    pub fn get_many(&mut self, wanted: &[(&str, usize)], file: FileId) -> Vec<Option<Arc<Decl>>> {
        let mut out: Vec<Option<Arc<Decl>>> = Vec::with_capacity(wanted.len());
        // Each moved declaration, with its spare copy to move in place.
        let mut moved: Vec<(usize, usize, Option<Placed>)> = Vec::new();
        for (i, &(text, offset)) in wanted.iter().enumerate() {
            let Some(e) = self.decls.get(text).and_then(|&at| Some((at, self.entries.get_mut(at)?))) else {
                out.push(None);
                continue;
            };
            let (at, e) = e;
            e.use_in(self.check, &mut self.bytes.decls_used, text.len());
            let unmoved = e.unmoved(file, offset);
            if unmoved.is_none() {
                moved.push((i, at, e.spare.take()));
            }
            out.push(unmoved);
        }
        // Each job: its place in `wanted`, its entry's index and the entry, and the spare copy.
        let entries = &self.entries;
        let jobs: Vec<(usize, usize, &Entry, Option<Placed>)> = moved.into_iter().map(|(i, at, spare)| (i, at, &entries[at], spare)).collect();
        let place = |part: Vec<(usize, usize, &Entry, Option<Placed>)>| -> Vec<(usize, usize, Arc<Decl>, bool)> {
            part.into_iter()
                .map(|(i, at, e, spare)| {
                    let (d, in_place) = e.move_to(file, wanted[i].1, spare);
                    (i, at, d, in_place)
                })
                .collect()
        };
        let two = jobs.len() >= PLACE_IN_PARALLEL && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
        let placed: Vec<(usize, usize, Arc<Decl>, bool)> = if two {
            let mut first = jobs;
            let second = first.split_off(first.len() / 2);
            // Kept to copy again from the parsed originals should the other thread fail.
            let again: Vec<(usize, usize, &Entry)> = second.iter().map(|&(i, at, e, _)| (i, at, e)).collect();
            std::thread::scope(|s| {
                let second = s.spawn(|| place(second));
                let mut first = place(first);
                // A panic while copying is the copy's own bug: copy the rest here instead.
                first.extend(second.join().unwrap_or_else(|_| place(again.into_iter().map(|(i, at, e)| (i, at, e, None)).collect())));
                first
            })
        } else {
            place(jobs)
        };
        self.last_moves = Moves::default();
        for (i, at, d, in_place) in placed {
            *(if in_place { &mut self.last_moves.in_place } else { &mut self.last_moves.copied }) += 1;
            if let Some(e) = self.entries.get_mut(at) {
                e.hand_out(file, wanted[i].1, d.clone());
            }
            out[i] = Some(d);
        }
        out
    }

    /// How the last [`ParseCache::get_many`] moved declarations.
    pub fn last_moves(&self) -> Moves {
        self.last_moves
    }

    /// Remembers a clean declaration parsed from `text`, built at `offset`
    /// of `file` (where it stands), and returns it.
    pub fn put(&mut self, text: &str, decl: Decl, file: FileId, offset: usize) -> Arc<Decl> {
        let placed = Arc::new(decl);
        let e = Entry::new(file, offset, placed.clone(), self.check);
        self.bytes.decls_used += text.len();
        match self.decls.get(text) {
            Some(&at) => self.entries[at] = e,
            None => {
                self.bytes.decls += text.len();
                self.decls.insert(text.to_string(), self.entries.len());
                self.entries.push(e);
            }
        }
        placed
    }

    /// The rule of a long route whose text is `text`, at `offset` of
    /// `file`: the copy handed out last time when it did not move, else
    /// moved there (in place when nothing holds its copy from two checks
    /// back); parsed there by `parse` when the text is new (`None` when it
    /// does not parse cleanly: nothing is kept).
    pub(super) fn rule_at(&mut self, text: &str, file: FileId, offset: usize, parse: impl FnOnce() -> Option<Rule>) -> Option<Arc<Rule>> {
        if let Some(e) = self.rules.get_mut(text) {
            e.use_in(self.check, &mut self.bytes.rules_used, text.len());
            if let Some(r) = e.unmoved(file, offset) {
                return Some(r);
            }
            let spare = e.spare.take();
            let (r, _) = e.move_to(file, offset, spare);
            e.hand_out(file, offset, r.clone());
            return Some(r);
        }
        let r = Arc::new(parse()?);
        self.rules.insert(text.to_string(), Entry::new(file, offset, r.clone(), self.check));
        self.bytes.rules += text.len();
        self.bytes.rules_used += text.len();
        Some(r)
    }

    /// The memo of a replaced long route whose text was `text`, if kept.
    pub(super) fn replaced_memo(&self, text: &str) -> Option<Memo> {
        self.replaced_memos.iter().rev().find(|(t, _)| t == text).map(|(_, m)| m.clone())
    }

    /// The last version of route `name` of `file`, marked used by this check.
    pub(super) fn long_route(&mut self, file: FileId, name: &str) -> Option<&LongRoute> {
        let l = self.long_routes.get_mut(&(file, name.to_string()))?;
        if l.used != self.check {
            l.used = self.check;
            // Its rules are in use whether or not this check looks them up.
            self.bytes.rules_used += l.text.len();
        }
        Some(l)
    }

    /// Keeps `decl`, built from `text` at `offset` of `file`, as route `name`'s last version.
    pub(super) fn keep_long_route(&mut self, file: FileId, name: &str, text: &str, offset: usize, decl: Arc<Decl>, cut: Arc<super::route_rules::Cut>) {
        let l = LongRoute { text: text.to_string(), file, offset, decl, cut, used: self.check };
        if let Some(old) = self.long_routes.insert((file, name.to_string()), l) {
            if let Decl::Route(r) = &*old.decl {
                if old.text != text {
                    self.replaced_memos.push((old.text.clone(), r.memo.clone()));
                }
            }
            if self.replaced_memos.len() > REPLACED_MEMOS {
                drop_elsewhere(self.replaced_memos.remove(0));
            }
            // The version it replaces holds what the analyses worked out
            // for every rule (milliseconds to free for a long route).
            drop_elsewhere(old);
        }
    }

    /// Bytes of text kept: the declarations' and the long routes' rules'.
    pub fn kept_text(&self) -> usize {
        self.bytes.decls + self.bytes.rules
    }

    /// How many rules of long routes are kept (each text parsed once).
    pub fn kept_rules(&self) -> usize {
        self.rules.len()
    }

    /// Ends a check: forgets the declarations (and the rules of long
    /// routes) it did not use, once they hold more text than it used.
    pub fn sweep(&mut self) {
        let now = self.check;
        let b = self.bytes;
        self.long_routes.retain(|_, l| l.used == now);
        if b.rules > 2 * b.rules_used + SWEEP_SLACK {
            // A long route used whole (its text unchanged) did not look its rules up: they are kept too.
            for l in self.long_routes.values() {
                for text in super::route_rules::rule_texts(&l.text) {
                    if let Some(e) = self.rules.get_mut(text) {
                        e.used = now;
                    }
                }
            }
            self.rules.retain(|_, e| e.used == now);
            self.bytes.rules = self.rules.keys().map(String::len).sum();
        }
        if b.decls > 2 * b.decls_used + SWEEP_SLACK {
            let mut kept = Vec::new();
            let mut now_at = vec![usize::MAX; self.entries.len()];
            for (at, e) in std::mem::take(&mut self.entries).into_iter().enumerate() {
                if e.used == now {
                    now_at[at] = kept.len();
                    kept.push(e);
                }
            }
            self.entries = kept;
            self.decls.retain(|_, at| {
                *at = now_at[*at];
                *at != usize::MAX
            });
            self.bytes.decls = self.decls.keys().map(String::len).sum();
        }
        self.check += 1;
        self.bytes.decls_used = 0;
        self.bytes.rules_used = 0;
    }
}

/// Frees `value` on a thread of its own, so that the caller does not wait
/// for a large tree to be freed. Should no thread start, it is freed here.
pub fn drop_elsewhere<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

impl<T: Rebase + Clone> Entry<T> {
    /// A new entry for `d`, built at `file` and `offset`, used by check `check`.
    fn new(file: FileId, offset: usize, d: Arc<T>, check: u64) -> Entry<T> {
        Entry { base: (file, offset, d.clone()), placed: Some((file, offset, d)), spare: None, used: check }
    }

    /// Marks the entry used by check `check`, counting its `len` bytes of
    /// text into `used` the first time that check uses it.
    fn use_in(&mut self, check: u64, used: &mut usize, len: usize) {
        if self.used != check {
            self.used = check;
            *used += len;
        }
    }

    /// Records `d` as handed out at `file` and `offset`; the copy handed
    /// out before becomes the spare.
    fn hand_out(&mut self, file: FileId, offset: usize, d: Arc<T>) {
        self.spare = self.placed.replace((file, offset, d));
    }

    /// The copy last handed out, when it stands at `file` and `offset`.
    fn unmoved(&self, file: FileId, offset: usize) -> Option<Arc<T>> {
        match &self.placed {
            Some((f, o, d)) if *f == file && *o == offset => Some(d.clone()),
            _ => None,
        }
    }

    /// A new copy, moved to `file` at `offset`.
    fn copy_to(&self, file: FileId, offset: usize) -> Arc<T> {
        let (_, was, base) = &self.base;
        let mut d = (**base).clone();
        d.rebase(file, (offset as u32).wrapping_sub(*was as u32));
        Arc::new(d)
    }

    /// The declaration at `file` and `offset`: `spare` moved there in place
    /// when nothing else holds it (`true`), else a new copy.
    fn move_to(&self, file: FileId, offset: usize, spare: Option<Placed<T>>) -> (Arc<T>, bool) {
        if let Some((_, was, mut d)) = spare {
            if let Some(inner) = Arc::get_mut(&mut d) {
                inner.rebase(file, (offset as u32).wrapping_sub(was as u32));
                return (d, true);
            }
        }
        (self.copy_to(file, offset), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_keeps_exactly_the_declarations_the_last_parse_used() {
        let (module, _) = crate::syntax::parse::parse_file(FileId(0), "territory t when country == \"US\"\n");
        let decl: Decl = (*module.decls[0]).clone();
        let mut cache = ParseCache::new();
        // Texts of 64 bytes: 3.2 MB in all, each standing for a declaration of its own.
        let texts: Vec<String> = (0..50_010).map(|i| format!("{i:<64}")).collect();
        for (i, t) in texts.iter().enumerate() {
            let mut d = decl.clone();
            d.rebase(FileId(0), i as u32);
            cache.put(t, d, FileId(0), i);
        }
        cache.sweep(); // every entry was used by this check: all kept
        assert_eq!(cache.entries.len(), texts.len());
        // The next check uses one in seven: the rest (2.7 MB) is more than twice that and the slack.
        let used: Vec<(&str, usize)> = texts.iter().enumerate().filter(|(i, _)| i % 7 == 0).map(|(i, t)| (t.as_str(), i + 1)).collect();
        let got = cache.get_many(&used, FileId(0));
        assert!(got.iter().all(Option::is_some));
        cache.sweep();
        assert_eq!(cache.entries.len(), used.len());
        assert_eq!(cache.decls.len(), used.len());
        // What is kept is found under its own text, at its last place; the rest is gone.
        let again = cache.get_many(&used, FileId(0));
        for ((_, at), (first, second)) in used.iter().zip(got.iter().zip(&again)) {
            let (first, second) = (first.as_ref().expect("kept"), second.as_ref().expect("kept"));
            assert!(Arc::ptr_eq(first, second), "not moved since: the same copy");
            let Decl::Territory(t) = &**second else { panic!("a territory") };
            assert_eq!(t.span.start as usize, *at);
        }
        // A check that leaves little unused sweeps nothing: both versions of an edited declaration stay.
        cache.sweep();
        let _ = cache.get_many(&used[1..], FileId(0));
        cache.sweep();
        assert_eq!(cache.entries.len(), used.len());
        assert!(cache.get_many(&[(texts[1].as_str(), 0)], FileId(0))[0].is_none());
    }
}
