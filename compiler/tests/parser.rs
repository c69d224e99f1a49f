//! Parser tests: every construct of the grammar, precedence, spans and recovery.

use leadroute_compiler::syntax::ast::*;
use leadroute_compiler::syntax::parse_file;
use leadroute_compiler::{Code, FileId};

fn parse_ok(src: &str) -> Module {
    let (module, diags) = parse_file(FileId(0), src);
    assert!(diags.is_empty(), "unexpected diagnostics: {diags:#?}");
    module
}

fn one(src: &str) -> Decl {
    let mut m = parse_ok(src);
    assert_eq!(m.decls.len(), 1, "{:#?}", m.decls);
    (*m.decls.remove(0)).clone()
}

fn cond(src: &str) -> Expr {
    match one(&format!("territory t when {src}")) {
        Decl::Territory(t) => t.condition,
        other => panic!("{other:?}"),
    }
}

/// A compact rendering of an expression tree, for asserting structure.
fn show(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Lit(l) => format!("{l:?}"),
        ExprKind::Name(n) => n.clone(),
        ExprKind::Call { func, args } => format!("{}({})", func.name, args.iter().map(show).collect::<Vec<_>>().join(", ")),
        ExprKind::List(items) => format!("[{}]", items.iter().map(show).collect::<Vec<_>>().join(", ")),
        ExprKind::Paren(i) => format!("({})", show(i)),
        ExprKind::Not(i) => format!("(not {})", show(i)),
        ExprKind::And(a, b) => format!("({} and {})", show(a), show(b)),
        ExprKind::Or(a, b) => format!("({} or {})", show(a), show(b)),
        ExprKind::Cmp { op, lhs, rhs } => format!("({} {} {})", show(lhs), op.as_str(), show(rhs)),
        ExprKind::In { value, set, negated } => format!("({} {}in {})", show(value), if *negated { "not " } else { "" }, show(set)),
        ExprKind::Is { value, present } => format!("({} is {})", show(value), if *present { "present" } else { "missing" }),
        ExprKind::Ambiguous(value) => format!("({} is ambiguous)", show(value)),
        ExprKind::Default { value, default } => format!("({} ?? {})", show(value), show(default)),
        ExprKind::Lookup { table, key, column } => {
            format!("{}[{}]{}", table.name, show(key), column.as_ref().map_or(String::new(), |c| format!(".{}", c.name)))
        }
    }
}

#[test]
fn table_declarations_parse_with_key_alias_and_free_mail() {
    let m = parse_ok(
        "table accounts from \"data/accounts.csv\" {\n  domain: domain key\n  aliases: list<domain> alias\n  owner: rep\n  key: string?\n}\nfree_mail [\"corp-mail.example\", \"x.example\"]",
    );
    let Decl::Table(t) = &*m.decls[0] else { panic!("{:?}", m.decls[0]) };
    assert_eq!(t.name.name, "accounts");
    assert_eq!(t.path.value, "data/accounts.csv");
    let cols: Vec<(&str, bool, bool, bool)> =
        t.columns.iter().map(|c| (c.name.name.as_str(), c.key.is_some(), c.alias.is_some(), c.ty.optional)).collect();
    assert_eq!(cols, [("domain", true, false, false), ("aliases", false, true, false), ("owner", false, false, false), ("key", false, false, true)]);
    let Decl::FreeMail(f) = &*m.decls[1] else { panic!() };
    assert_eq!(f.domains.iter().map(|d| d.value.as_str()).collect::<Vec<_>>(), ["corp-mail.example", "x.example"]);
}

#[test]
fn lookups_bind_tighter_than_comparisons_and_defaults() {
    assert_eq!(show(&cond("accounts[domain(email)] is present")), "(accounts[domain(email)] is present)");
    assert_eq!(show(&cond("accounts[email].segment ?? smb == enterprise")), "((accounts[email].segment ?? smb) == enterprise)");
    assert_eq!(show(&cond("zip not in west_zips")), "(zip not in west_zips)");
}

#[test]
fn owner_takes_a_field_or_an_expression() {
    let m = parse_ok("route r {\n  when x -> assign owner(account_owner) else continue\n  otherwise -> assign owner(accounts[email].owner) else queue q\n}");
    let Decl::Route(r) = &*m.decls[0] else { panic!() };
    assert!(matches!(&r.rules[0].action.kind, ActionKind::Assign { target: AssignTarget::Owner(f), .. } if f.name == "account_owner"));
    assert!(matches!(&r.rules[1].action.kind, ActionKind::Assign { target: AssignTarget::OwnerOf(e), .. } if show(e) == "accounts[email].owner"));
}

#[test]
fn policy_header_has_owner_timezone_and_entry() {
    let Decl::Policy(p) = one("policy inbound {\n  owner \"revops@acme.example\"\n  timezone \"America/New_York\"\n  entry main\n}") else { panic!() };
    assert_eq!(p.name.name, "inbound");
    assert!(matches!(&p.props[0].value, PolicyProp::Owner(s) if s.value == "revops@acme.example"));
    assert!(matches!(&p.props[1].value, PolicyProp::Timezone(s) if s.value == "America/New_York"));
    assert!(matches!(&p.props[2].value, PolicyProp::Entry(i) if i.name == "main"));
}

#[test]
fn enums_and_schema_types_parse_with_lists_and_optionals() {
    let m = parse_ok("enum Source { chat, paid, web, }\nschema lead {\n  id: string\n  tags: list<string>\n  scores: list<int>?\n  employees: int?, source: Source\n}");
    let Decl::Enum(e) = &*m.decls[0] else { panic!() };
    assert_eq!(e.variants.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["chat", "paid", "web"]);
    let Decl::Schema(s) = &*m.decls[1] else { panic!() };
    let shapes: Vec<(String, bool, bool)> = s
        .fields
        .iter()
        .map(|f| (f.name.name.clone(), matches!(f.ty.kind, TypeKind::List(_)), f.ty.optional))
        .collect();
    assert_eq!(
        shapes,
        [
            ("id".into(), false, false),
            ("tags".into(), true, false),
            ("scores".into(), true, true),
            ("employees".into(), false, true),
            ("source".into(), false, false)
        ]
    );
}

#[test]
fn a_rep_takes_every_property() {
    let Decl::Rep(r) = one("rep alice { email \"a@x.example\" weight 2 capacity 25 open capacity 8 per day timezone \"UTC\"\n hours mon-fri, sat 08:00-17:30 \"Europe/Berlin\" skills [spanish, fintech] active false }") else {
        panic!()
    };
    let keys: Vec<&str> = r.props.iter().map(|p| p.key.name.as_str()).collect();
    assert_eq!(keys, ["email", "weight", "capacity", "capacity", "timezone", "hours", "skills", "active"]);
    assert!(matches!(r.props[2].value, RepProp::Capacity { amount: Spanned { value: 25, .. }, per_day: false, .. }));
    assert!(matches!(r.props[3].value, RepProp::Capacity { amount: Spanned { value: 8, .. }, per_day: true, .. }));
    let RepProp::Hours(h) = &r.props[5].value else { panic!() };
    assert_eq!((h.days[0].from, h.days[0].to, h.days[1].from, h.days[1].to), (0, 4, 5, 5));
    assert_eq!((h.start.value, h.end.value), (8 * 60, 17 * 60 + 30));
    assert_eq!(h.timezone.as_ref().map(|t| t.value.as_str()), Some("Europe/Berlin"));
    assert!(matches!(r.props[7].value, RepProp::Active(Spanned { value: false, .. })));
}

#[test]
fn teams_take_members_and_strategies_with_arguments() {
    let Decl::Team(t) = one("team owners { members [alice, bob,] strategy sticky(account_owner) }") else { panic!() };
    assert!(matches!(&t.props[0].value, TeamProp::Members(m) if m.len() == 2));
    let TeamProp::Strategy(s) = &t.props[1].value else { panic!() };
    assert_eq!((s.name.name.as_str(), s.arg.as_ref().map(|a| a.name.as_str())), ("sticky", Some("account_owner")));
}

#[test]
fn queues_tiers_and_territories_parse() {
    let m = parse_ok("queue review { owner \"ops@x.example\" sla 30m }\ntier hot when intent >= 80 sla 5m\ntier cold otherwise sla 1d\nterritory west when state in [\"CA\"]");
    let Decl::Queue(q) = &*m.decls[0] else { panic!() };
    assert!(matches!(q.props[1].value, QueueProp::Sla(Spanned { value: 1_800_000, .. }, None)));
    let Decl::Tier(hot) = &*m.decls[1] else { panic!() };
    assert!(matches!(hot.guard, Guard::When(_)));
    assert_eq!(hot.sla.map(|s| s.value), Some(300_000));
    let Decl::Tier(cold) = &*m.decls[2] else { panic!() };
    assert!(matches!(cold.guard, Guard::Otherwise(_)));
    assert_eq!(cold.sla.map(|s| s.value), Some(86_400_000));
    assert!(matches!(&*m.decls[3], Decl::Territory(t) if t.name.name == "west"));
}

#[test]
fn routes_hold_named_rules_every_action_and_else_chains() {
    let Decl::Route(r) = one(
        "route inbound {\n  vip: when x -> assign rep victor\n  when y -> assign team ae by capacity else assign owner(account_owner) else continue\n  when z -> route partners\n  when w -> drop \"spam\"\n  otherwise -> queue review\n}",
    ) else {
        panic!()
    };
    assert_eq!(r.rules.len(), 5);
    assert_eq!(r.rules[0].name.as_ref().map(|n| n.name.as_str()), Some("vip"));
    assert!(matches!(&r.rules[0].action.kind, ActionKind::Assign { target: AssignTarget::Rep(i), fallback: None } if i.name == "victor"));
    let ActionKind::Assign { target: AssignTarget::Team { team, by: Some(by) }, fallback: Some(Fallback::Action(inner)) } = &r.rules[1].action.kind else {
        panic!("{:?}", r.rules[1].action)
    };
    assert_eq!((team.name.as_str(), by.name.name.as_str()), ("ae", "capacity"));
    assert!(matches!(&inner.kind, ActionKind::Assign { target: AssignTarget::Owner(f), fallback: Some(Fallback::Continue(_)) } if f.name == "account_owner"));
    assert!(matches!(&r.rules[2].action.kind, ActionKind::Route(i) if i.name == "partners"));
    assert!(matches!(&r.rules[3].action.kind, ActionKind::Drop(s) if s.value == "spam"));
    assert!(matches!(r.rules[4].guard, Guard::Otherwise(_)));
    assert!(matches!(&r.rules[4].action.kind, ActionKind::Queue(i) if i.name == "review"));
}

#[test]
fn handlers_name_exceptions_and_assume_values() {
    let m = parse_ok("on ambiguous_territory -> queue review\non missing(employees) -> assume 0\non no_available_rep -> assign team backup else queue review");
    assert!(matches!(&*m.decls[0], Decl::Handler(HandlerDecl { exception: Exception::Named(i), .. }) if i.name == "ambiguous_territory"));
    let Decl::Handler(h) = &*m.decls[1] else { panic!() };
    assert!(matches!(&h.exception, Exception::Missing { field, .. } if field.name == "employees"));
    assert!(matches!(&h.action, HandlerAction::Assume(Value { kind: ValueKind::Int(0), .. })));
    assert!(matches!(&*m.decls[2], Decl::Handler(HandlerDecl { action: HandlerAction::Action(_), .. })));
}

#[test]
fn tests_hold_now_lead_state_and_expectations() {
    let Decl::Test(t) = one(
        "test \"hot lead\" {\n  now \"2026-11-24T15:00:00Z\"\n  lead { id: \"L1\", intent: 92.5, employees: null, source: chat, tags: [\"a\", \"b\"], ok: true }\n  state { alice { active: false, open_load: 3 } bob { assigned_today: 2 } }\n  expect team ae_west, tier hot, territory none, assigned\n}",
    ) else {
        panic!()
    };
    assert_eq!(t.name.value, "hot lead");
    assert!(matches!(&t.items[0], TestItem::Now(s) if s.value == "2026-11-24T15:00:00Z"));
    let TestItem::Lead(lead) = &t.items[1] else { panic!() };
    let kinds: Vec<&ValueKind> = lead.fields.iter().map(|f| &f.value.kind).collect();
    assert!(matches!(
        kinds[..],
        [ValueKind::Str(_), ValueKind::Float(_), ValueKind::Null, ValueKind::Name(_), ValueKind::List(_), ValueKind::Bool(true)]
    ));
    assert!(matches!(&t.items[2], TestItem::State(s) if s.len() == 2 && s[0].record.fields.len() == 2));
    let TestItem::Expect(e) = &t.items[3] else { panic!() };
    let kinds: Vec<ExpectKind> = e.iter().map(|x| x.kind).collect();
    assert_eq!(kinds, [ExpectKind::Team, ExpectKind::Tier, ExpectKind::Territory, ExpectKind::Assigned]);
}

#[test]
fn and_binds_tighter_than_or_and_not_tighter_than_and() {
    assert_eq!(show(&cond("a or b and not c")), "(a or (b and (not c)))");
    assert_eq!(show(&cond("not not a")), "(not (not a))");
    assert_eq!(show(&cond("(a or b) and c")), "(((a or b)) and c)");
    assert_eq!(show(&cond("a == 1 or b != 2 and c < 3")), "((a == Int(1)) or ((b != Int(2)) and (c < Int(3))))");
}

#[test]
fn membership_presence_defaults_and_calls_parse() {
    assert_eq!(show(&cond("state in [\"CA\", \"OR\"]")), "(state in [Str(\"CA\"), Str(\"OR\")])");
    assert_eq!(show(&cond("country not in emea")), "(country not in emea)");
    assert_eq!(show(&cond("owner is present and x is missing")), "((owner is present) and (x is missing))");
    assert_eq!(show(&cond("(employees ?? 0) > 500")), "(((employees ?? Int(0))) > Int(500))");
    assert_eq!(show(&cond("domain(email) in free")), "(domain(email) in free)");
    assert_eq!(show(&cond("starts_with(lower(campaign ?? \"\"), \"abm-\")")), "starts_with(lower((campaign ?? Str(\"\"))), Str(\"abm-\"))");
}

#[test]
fn literals_parse_to_their_values() {
    assert_eq!(show(&cond("since(t) > 90s")), "(since(t) > Duration(90000, \"90s\"))");
    assert_eq!(show(&cond("since(t) > 2w")), "(since(t) > Duration(1209600000, \"2w\"))");
    assert_eq!(show(&cond("since(t) > 250ms")), "(since(t) > Duration(250, \"250ms\"))");
    assert_eq!(show(&cond("clock(now) >= 18:30")), "(clock(now) >= Clock(1110))");
    assert_eq!(show(&cond("x > -5 and y < 2.5 and z == true")), "(((x > Int(-5)) and (y < Float(2.5))) and (z == Bool(true)))");
    assert_eq!(show(&cond("s == \"a \\\"quoted\\\" word\"")), "(s == Str(\"a \\\"quoted\\\" word\"))");
}

#[test]
fn bad_literals_are_e0003() {
    for src in ["x > 99999999999999999999", "clock(now) > 25:00", "clock(now) > 08:75"] {
        let (_, diags) = parse_file(FileId(0), &format!("territory t when {src}"));
        assert_eq!(diags.iter().map(|d| d.code).collect::<Vec<_>>(), [Code::E0003], "{src}");
    }
}

#[test]
fn every_broken_declaration_is_reported_and_the_rest_still_parse() {
    let src = "team a { members [x y] }\nqueue ok1 { sla 5m }\ntier hot when intent >= > 5 sla 5m\nqueue ok2 { sla 5m }\nroute r { when a queue q }\nqueue ok3 { sla 5m }\n";
    let (module, diags) = parse_file(FileId(0), src);
    assert_eq!(diags.iter().map(|d| d.code).collect::<Vec<_>>(), [Code::E0001; 3]);
    let lines: Vec<usize> = diags.iter().map(|d| src[..d.primary.as_ref().map_or(0, |l| l.span.start as usize)].lines().count()).collect();
    assert_eq!(lines, [1, 3, 5]);
    let names: Vec<&str> = module
        .iter()
        .map(|d| match d {
            Decl::Queue(q) => q.name.name.as_str(),
            _ => "?",
        })
        .collect();
    assert_eq!(names, ["ok1", "ok2", "ok3"]);
}

#[test]
fn an_unclosed_block_costs_only_its_own_declaration() {
    let (module, diags) = parse_file(FileId(0), "team a { members [x]\nqueue q { sla 5m }\n");
    assert_eq!(diags.len(), 1);
    assert_eq!(module.decls.len(), 1);
}

#[test]
fn spans_cover_exactly_the_node_without_trailing_comments() {
    let src = "schema lead {\n  intent: float   // 0..100\n  source: Source\n}\n";
    let Decl::Schema(s) = one(src) else { panic!() };
    assert_eq!(&src[s.fields[0].span.range()], "intent: float");
    assert_eq!(&src[s.fields[0].name.span.range()], "intent");
    assert_eq!(&src[s.span.range()], src.trim_end());
}

#[test]
fn syntax_errors_say_what_was_expected_and_what_was_found() {
    let (_, diags) = parse_file(FileId(0), "route r { when x > ] -> queue q }");
    assert_eq!(diags.len(), 1);
    assert!(diags[0].message.starts_with("expected "), "{}", diags[0].message);
    assert!(diags[0].message.contains("found `]`"), "{}", diags[0].message);
    // The commonest slips get a message of their own (see tests/new_user_mistakes.rs).
    let (_, diags) = parse_file(FileId(0), "route r { when x = 1 -> queue q }");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].message, "a single `=` does not compare");
    assert!(diags[0].help.as_deref().unwrap_or("").contains("`==`"));
    let (_, diags) = parse_file(FileId(0), "on over_capacity queue triage");
    assert_eq!(diags[0].message, "missing `->` before `queue`");
}

#[test]
fn the_whole_file_rule_and_the_chunked_parse_agree_on_the_example() {
    use pest::Parser;
    let src = include_str!("../../examples/inbound.route");
    let module = parse_ok(src);
    let whole = leadroute_compiler::syntax::grammar::RouteParser::parse(leadroute_compiler::syntax::grammar::Rule::file, src)
        .expect("the example parses as a whole file");
    let decls = whole.into_iter().next().map_or(0, |f| f.into_inner().filter(|p| p.as_rule() != leadroute_compiler::syntax::grammar::Rule::EOI).count());
    assert_eq!(module.decls.len(), decls);
}

#[test]
fn the_parse_cache_gives_the_same_trees_as_a_fresh_parse_after_edits() {
    use leadroute_compiler::syntax::{parse_file_cached, ParseCache};
    let text = include_str!("../../examples/inbound.route");
    let mut cache = ParseCache::new();
    // Warm the cache from another file id, then parse edited versions: every
    // declaration that moved must come back at its new place.
    let _ = parse_file_cached(FileId(3), text, Some(&mut cache));
    let edits = [
        text.to_string(),
        format!("// a new first line\n{text}"),
        text.replacen("tier warm when", "tier warm  when", 1),
        text.replacen("ae_west", "ae_wset", 1),
        text.replacen("sla 5m", "sla 5q", 1),
    ];
    for (i, edited) in edits.iter().enumerate() {
        let fresh = parse_file(FileId(1), edited);
        let cached = parse_file_cached(FileId(1), edited, Some(&mut cache));
        assert_eq!(fresh, cached, "edit {i}");
    }
    // Back and forth (typing, then undo), and in another file: each time at the right place.
    for (i, (file, t)) in [(1, text.to_string()), (1, edits[1].clone()), (2, text.to_string()), (1, text.to_string())].into_iter().enumerate() {
        assert_eq!(parse_file(FileId(file), &t), parse_file_cached(FileId(file), &t, Some(&mut cache)), "round {i}");
    }
}

#[test]
fn the_parse_cache_shares_declarations_that_did_not_move() {
    use leadroute_compiler::syntax::{parse_file_cached, ParseCache};
    let text = include_str!("../../examples/inbound.route");
    let mut cache = ParseCache::new();
    let (before, _) = parse_file_cached(FileId(0), text, Some(&mut cache));
    // One character replaced (`sla 5m` becomes `sla 6m`): nothing moves.
    let edited = text.replacen("sla 5m", "sla 6m", 1);
    let (after, _) = parse_file_cached(FileId(0), &edited, Some(&mut cache));
    assert_eq!(before.decls.len(), after.decls.len());
    let shared = before.decls.iter().zip(&after.decls).filter(|(a, b)| std::sync::Arc::ptr_eq(a, b)).count();
    assert_eq!(shared, before.decls.len() - 1, "every declaration but the edited one is shared");
    // A line inserted at the top moves every declaration: none is shared, all are right.
    let moved = format!("\n{text}");
    let (shifted, _) = parse_file_cached(FileId(0), &moved, Some(&mut cache));
    assert!(before.decls.iter().zip(&shifted.decls).all(|(a, b)| !std::sync::Arc::ptr_eq(a, b)));
    assert_eq!(shifted, parse_file(FileId(0), &moved).0);
}

/// Typing near the top of a large policy moves every declaration after
/// it; past `PLACE_IN_PARALLEL` of them they are copied on two threads.
/// The result is the fresh parse, in order, whatever moved, with a
/// broken declaration, a too-deep one and a repeated text among them.
#[test]
fn the_parse_cache_moves_many_declarations_as_a_fresh_parse_does() {
    use leadroute_compiler::syntax::{parse_file_cached, Moves, ParseCache, PLACE_IN_PARALLEL};
    let mut text = String::from("policy p { entry main }\nschema lead { id: string  country: string }\n");
    for i in 0..(PLACE_IN_PARALLEL * 3) {
        text += &format!("territory t{i} when country == \"C{i}\"\n");
        if i == 700 {
            text += "territory broken when country ==\n";
            text += &format!("territory deep when {}country == \"X\"{}\n", "(".repeat(80), ")".repeat(80));
            text += "allow W0008 \"same text twice\"\nallow W0008 \"same text twice\"\n";
        }
    }
    let mut cache = ParseCache::new();
    let (first, first_diags) = parse_file_cached(FileId(0), &text, Some(&mut cache));
    assert_eq!((&first, &first_diags), (&parse_file(FileId(0), &text).0, &parse_file(FileId(0), &text).1));
    drop(first);
    // Forward and back, by one byte and by many: after two moves a
    // declaration's earlier copy is free again and is moved in place.
    let edits = [
        format!("\n{text}"),
        text.replacen("t5 when", "t5  when", 1),
        text.clone(),
        format!("// a comment\n{text}"),
        format!("\n{text}"),
        text.clone(),
        format!("\n\n{text}"),
        text.replacen("t1500 when", "t1500  when", 1),
    ];
    let mut moves = Vec::new();
    for edited in edits {
        let (cached, diags) = parse_file_cached(FileId(0), &edited, Some(&mut cache));
        let (fresh, fresh_diags) = parse_file(FileId(0), &edited);
        assert_eq!(cached, fresh);
        assert_eq!(diags, fresh_diags);
        assert_eq!(diags.len(), 2, "the broken and the too-deep declarations: {diags:#?}");
        moves.push(cache.last_moves());
    }
    let n = PLACE_IN_PARALLEL * 3 + 3;
    // Every declaration moves in the first edit: copied, the first copies still held by `first` until then.
    assert_eq!(moves[0], Moves { in_place: 0, copied: n }, "{moves:?}");
    // From the fourth edit on, a moved declaration's copy from two edits back is free: moved in place
    // (the third edit copies: the copy from two edits back is the first one, which the cache keeps to copy from).
    // One is copied: the `allow` written twice has one entry, and one spare for its two places.
    for (i, m) in moves.iter().enumerate().skip(3) {
        assert!(m.in_place >= n - 8 && m.copied <= 1, "edit {i}: {m:?} (all: {moves:?})");
    }
}

/// A long route is parsed a rule at a time through the cache: each edit
/// (a rule changed, a rule added, a rule broken, a comment between rules,
/// the route moved) gives the fresh parse's tree and errors.
#[test]
fn a_long_route_parsed_a_rule_at_a_time_is_the_fresh_parse_after_edits() {
    use leadroute_compiler::syntax::{parse_file_cached, ParseCache};
    let mut route = String::from("route main {\n");
    for i in 0..400 {
        route += &format!("  r{i}: when country == \"C{i}\" and (employees >= {i}\n      or source == web) -> assign team t{} else continue\n", i % 7);
        if i % 50 == 0 {
            route += "  // a section\n  when contains(company, \"when: otherwise\") -> queue review // not a rule start\n";
        }
    }
    route += "  otherwise -> queue review\n}\n";
    let text = format!("policy p {{ entry main }}\nschema lead {{ id: string  country: string  employees: int }}\n{route}tier t otherwise sla 1h\n");
    let mut cache = ParseCache::new();
    let edits = [
        text.clone(),
        text.replacen("\"C200\"", "\"C2000\"", 1),
        text.replacen("r300:", "r300x:", 1),
        text.replacen("  r100: when", "  r100b: when country == \"Z\" -> queue review\n  r100: when", 1),
        // A broken rule: the route is parsed whole and reports it.
        text.replacen("(employees >= 150", "(employees >= ", 1),
        // A literal error inside one rule.
        text.replacen(">= 250\n", ">= 99999999999999999999999\n", 1),
        format!("// moved\n{text}"),
        text.clone(),
    ];
    for (i, edited) in edits.iter().enumerate() {
        let fresh = parse_file(FileId(2), edited);
        let cached = parse_file_cached(FileId(2), edited, Some(&mut cache));
        assert_eq!(fresh, cached, "edit {i}");
        assert_eq!(fresh.1.is_empty(), !(4..=5).contains(&i), "edit {i}: {:?}", fresh.1);
        // The route was cut into its 410 rules (402 texts: the eight section
        // rules are the same); an edit parses the one rule it changed, or
        // nothing is kept when a rule does not parse cleanly.
        let kept = [402, 403, 404, 405, 405, 405, 405, 405][i];
        assert_eq!(cache.kept_rules(), kept, "edit {i}");
    }
}

/// Typing in a long declaration makes a new version of it per keystroke:
/// the cache keeps a few, not all (each is a tree as large as the route).
#[test]
fn typing_in_a_long_route_keeps_the_parse_cache_bounded() {
    use leadroute_compiler::syntax::{parse_file_cached, ParseCache};
    let mut route = String::from("route main {\n");
    for i in 0..10_000 {
        route += &format!("  r{i}: when country == \"C{i}\" -> queue review\n");
    }
    route += "}\n";
    let mut cache = ParseCache::new();
    let mut most = 0;
    for n in 0..24 {
        // Each keystroke one more character in the same string: a new text every time.
        let text = route.replacen("\"C500\"", &format!("\"C500{}\"", "x".repeat(n)), 1);
        let (module, diags) = parse_file_cached(FileId(0), &text, Some(&mut cache));
        assert!(diags.is_empty() && module.decls.len() == 1);
        cache.sweep();
        most = most.max(cache.kept_text());
    }
    // Each version is 0.35 MB of text; without the sweep 24 would be kept (8.4 MB).
    assert!(most < 4 * route.len() + 2 * (1 << 20), "kept {most} bytes of text for a {} byte route", route.len());
}

/// A check that finds a long route unchanged uses it whole without looking
/// its rules up; the sweep after it must keep those rules, or the next
/// edit parses every rule again (a long route over 1 MB: 400 ms).
#[test]
fn a_long_route_used_whole_keeps_its_rules_through_a_sweep() {
    use leadroute_compiler::syntax::{parse_file_cached, ParseCache};
    let mut text = String::from("route main {\n");
    for i in 0..20_000 {
        text += &format!("  r{i}: when country == \"C{i}\" -> queue review // 60 bytes\n");
    }
    text += "}\n";
    assert!(text.len() > 1 << 20);
    let mut cache = ParseCache::new();
    for _ in 0..3 {
        let (m, diags) = parse_file_cached(FileId(0), &text, Some(&mut cache));
        assert!(diags.is_empty() && m.decls.len() == 1);
        cache.sweep();
        assert_eq!(cache.kept_rules(), 20_000);
    }
    let edited = text.replacen("\"C7\"", "\"C77\"", 1);
    let (m, _) = parse_file_cached(FileId(0), &edited, Some(&mut cache));
    assert_eq!(m, parse_file(FileId(0), &edited).0);
    assert_eq!(cache.kept_rules(), 20_001, "one rule parsed, the rest kept");
}
