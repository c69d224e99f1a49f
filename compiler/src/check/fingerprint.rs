//! What an editor's re-check may reuse: fingerprints of what a condition's
//! analysis and type check read besides the condition itself.
//!
//! A tier's, territory's or rule's kept results (its [`Memo`]) are reused
//! only under the same key. The key of a declaration is the policy-wide
//! part every condition reads (the schema, the enums, the tables, and the
//! handlers other than `on missing(field)`), and then only the sets and
//! the `on missing(field)` handlers of the names its own conditions
//! mention: an edit to one set or one field's default re-checks the
//! conditions that name it, not every condition of the policy.

use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};

use crate::source::SourceSet;
use crate::syntax::ast::{Action, ActionKind, AssignTarget, Decl, Exception, Expr, ExprKind, Fallback, Guard, Memo, Module, RouteDecl, Rule};

/// The fingerprints of what conditions are checked and analysed against.
#[derive(Debug, Default)]
pub struct Fingerprint {
    /// The schema, enums, tables and handlers other than `on missing(field)`.
    base: u64,
    /// Per name: the texts of the set of that name and of the `on
    /// missing(name)` handlers, hashed in declaration order.
    named: FxHashMap<Box<str>, u64>,
    /// All of it: what a route's key is kept under (see [`Fingerprint::of_route`]).
    whole: u64,
}

/// A route's key, kept in its memo under the whole fingerprint.
struct RouteKey(u64);

/// The names (of sets and fields, among others) a declaration's
/// conditions and actions mention, sorted: they depend on its text alone,
/// so they are kept in its memo under [`TEXT_ONLY`].
pub struct Reads(Box<[Box<str>]>);

impl Reads {
    /// The names, sorted.
    pub fn names(&self) -> &[Box<str>] {
        &self.0
    }

    /// True when `name` is among them.
    pub fn has(&self, name: &str) -> bool {
        self.0.binary_search_by(|r| (**r).cmp(name)).is_ok()
    }
}

/// The key of what a declaration's memo keeps that depends on its text
/// alone and on no fingerprint ([`Reads`], say).
pub(crate) const TEXT_ONLY: u64 = 0;

impl Fingerprint {
    /// The fingerprints of `modules`' declarations, from their texts.
    pub fn new(modules: &[Module], sources: &SourceSet) -> Fingerprint {
        let mut base = FxHasher::default();
        let mut named: FxHashMap<Box<str>, FxHasher> = FxHashMap::default();
        for d in modules.iter().flat_map(Module::iter) {
            let s = d.span();
            let text = sources.get(s.file).text.get(s.start as usize..s.end as usize);
            let name = match d {
                Decl::Set(set) => Some(set.name.name.as_str()),
                Decl::Handler(h) => match &h.exception {
                    Exception::Missing { field, .. } => Some(field.name.as_str()),
                    Exception::Named(_) => None,
                },
                Decl::Schema(_) | Decl::Enum(_) | Decl::Table(_) => None,
                _ => continue,
            };
            match name {
                Some(n) => text.hash(named.entry(n.into()).or_default()),
                None => text.hash(&mut base),
            }
        }
        let named: FxHashMap<Box<str>, u64> = named.into_iter().map(|(n, h)| (n, h.finish())).collect();
        let base = base.finish();
        let mut sorted: Vec<(&Box<str>, &u64)> = named.iter().collect();
        sorted.sort_unstable();
        Fingerprint { base, whole: keyed((base, sorted)), named }
    }

    /// The policy-wide part: what results that compare analysed conditions
    /// (kept for the whole policy, each condition compared as the same
    /// object) are kept under.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// The key of what is worked out from the declaration that owns `memo`,
    /// whose conditions and actions mention the names `mentions` adds.
    pub fn key<'e>(&self, memo: &Memo, mentions: impl FnOnce(&mut Vec<&'e str>)) -> u64 {
        if self.named.is_empty() {
            return self.base;
        }
        self.of_reads(&reads(memo, mentions))
    }

    /// Hashes the sets and handlers among `reads` into `h`.
    fn mix(&self, reads: &Reads, h: &mut FxHasher) {
        for n in reads.0.iter() {
            if let Some(v) = self.named.get(n) {
                (n, v).hash(h);
            }
        }
    }

    /// [`Fingerprint::key`] of a tier or territory condition.
    pub fn of_condition(&self, memo: &Memo, e: &Expr) -> u64 {
        self.key(memo, |out| expr_names(e, out))
    }

    /// [`Fingerprint::key`] of a guard (`otherwise` reads nothing).
    pub fn of_guard(&self, memo: &Memo, g: &Guard) -> u64 {
        self.key(memo, |out| guard_names(g, out))
    }

    /// [`Fingerprint::key`] of a route rule: its guard and its action.
    pub fn of_rule(&self, rule: &Rule) -> u64 {
        self.key(&rule.memo, |out| rule_names(rule, out))
    }

    /// The names `rule` mentions, sorted (kept in its memo).
    pub fn rule_mentions(&self, rule: &Rule) -> std::sync::Arc<Reads> {
        reads(&rule.memo, |out| rule_names(rule, out))
    }

    /// [`Fingerprint::key`] of a declaration that mentions `reads`.
    pub fn of_reads(&self, reads: &Reads) -> u64 {
        if self.named.is_empty() {
            return self.base;
        }
        let mut h = FxHasher::default();
        self.base.hash(&mut h);
        self.mix(reads, &mut h);
        h.finish()
    }

    /// The key of a whole route: every rule's, rule by rule (each rule's
    /// names are kept in the rule's memo, so a route of thousands of rules
    /// typed into is not walked whole), kept in the route's memo while the
    /// whole fingerprint is the same.
    pub fn of_route(&self, route: &RouteDecl) -> u64 {
        if self.named.is_empty() {
            return self.base;
        }
        let key = route.memo.get_or_insert_with(self.whole, || {
            let mut h = FxHasher::default();
            self.base.hash(&mut h);
            for (i, rule) in route.rules.iter().enumerate() {
                let reads = reads(&rule.memo, |out| rule_names(rule, out));
                if reads.0.iter().any(|n| self.named.contains_key(n)) {
                    i.hash(&mut h);
                    self.mix(&reads, &mut h);
                }
            }
            RouteKey(h.finish())
        });
        key.0
    }
}

/// A key made of the parts of `what`.
pub(crate) fn keyed(what: impl Hash) -> u64 {
    let mut h = FxHasher::default();
    what.hash(&mut h);
    h.finish()
}

/// The names the declaration owning `memo` mentions (as `mentions` adds
/// them), kept in its memo.
fn reads<'e>(memo: &Memo, mentions: impl FnOnce(&mut Vec<&'e str>)) -> std::sync::Arc<Reads> {
    memo.get_or_insert_with(TEXT_ONLY, || {
        let mut names = Vec::new();
        mentions(&mut names);
        names.sort_unstable();
        names.dedup();
        Reads(names.into_iter().map(Box::from).collect())
    })
}

fn guard_names<'e>(g: &'e Guard, out: &mut Vec<&'e str>) {
    if let Guard::When(e) = g {
        expr_names(e, out);
    }
}

fn rule_names<'e>(rule: &'e Rule, out: &mut Vec<&'e str>) {
    guard_names(&rule.guard, out);
    action_names(&rule.action, out);
}

/// Every name an action mentions: its targets, `owner(field)`'s field, a
/// strategy's field, and the names in an `owner(...)` expression.
fn action_names<'e>(a: &'e Action, out: &mut Vec<&'e str>) {
    let mut next = Some(a);
    while let Some(a) = next.take() {
        match &a.kind {
            ActionKind::Assign { target, fallback } => {
                match target {
                    AssignTarget::Team { team, by } => {
                        out.push(&team.name);
                        if let Some(arg) = by.as_ref().and_then(|b| b.arg.as_ref()) {
                            out.push(&arg.name);
                        }
                    }
                    AssignTarget::Rep(i) | AssignTarget::Owner(i) => out.push(&i.name),
                    AssignTarget::OwnerOf(e) => expr_names(e, out),
                    AssignTarget::Previous(_) => {}
                }
                if let Some(Fallback::Action(inner)) = fallback {
                    next = Some(inner);
                }
            }
            ActionKind::Queue(i) | ActionKind::Route(i) => out.push(&i.name),
            ActionKind::Drop(_) => {}
        }
    }
}

/// Every bare name in `e` (fields, sets, variants, tiers, territories).
fn expr_names<'e>(e: &'e Expr, out: &mut Vec<&'e str>) {
    // A stack, not recursion: `and` chains may be long.
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Name(n) => out.push(n),
            ExprKind::Lit(_) => {}
            ExprKind::Call { args: items, .. } | ExprKind::List(items) => stack.extend(items),
            ExprKind::Paren(x) | ExprKind::Not(x) | ExprKind::Is { value: x, .. } | ExprKind::Ambiguous(x) | ExprKind::Lookup { key: x, .. } => stack.push(x),
            ExprKind::And(a, b) | ExprKind::Or(a, b) | ExprKind::Default { value: a, default: b } | ExprKind::Cmp { lhs: a, rhs: b, .. } => {
                stack.push(a);
                stack.push(b);
            }
            ExprKind::In { value, set, .. } => {
                stack.push(value);
                stack.push(set);
            }
        }
    }
}
