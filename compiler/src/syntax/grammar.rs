//! The pest parser generated from `grammar/route.pest`, and readable names for its rules.

use pest_derive::Parser;

/// The generated parser. Use [`super::parse_file`] rather than this directly.
#[derive(Parser)]
#[grammar = "../grammar/route.pest"]
pub struct RouteParser;

/// How a grammar rule is named in "expected ..." messages.
pub fn describe(rule: Rule) -> String {
    let name = format!("{rule:?}");
    if let Some(word) = name.strip_prefix("kw_") {
        return format!("`{word}`");
    }
    let text = match rule {
        Rule::ident => "a name",
        Rule::string | Rule::string_inner => "a string",
        Rule::int => "a whole number",
        Rule::float => "a number",
        Rule::bool => "`true` or `false`",
        Rule::duration => "a duration like `30m`",
        Rule::clock => "a clock time like `08:00`",
        Rule::day | Rule::day_spec => "a day like `mon` or `mon-fri`",
        Rule::expr | Rule::and_expr | Rule::not_expr | Rule::cmp_expr | Rule::default_expr => "a condition",
        Rule::cmp_op => "a comparison (`==`, `<`, ...)",
        Rule::in_tail => "`in`",
        Rule::is_tail => "`is`",
        Rule::paren | Rule::call | Rule::list => "a value",
        Rule::action | Rule::assign_action => "an action (`assign`, `queue`, `route`, `drop`)",
        Rule::queue_action => "`queue`",
        Rule::route_action => "`route`",
        Rule::drop_action => "`drop`",
        Rule::else_clause => "`else`",
        Rule::route_rule | Rule::guard => "a rule (`when ... -> ...` or `otherwise -> ...`)",
        Rule::rule_name => "a rule name",
        Rule::value | Rule::value_list => "a value",
        Rule::record | Rule::record_field => "a field (`name: value`)",
        Rule::expectation | Rule::outcome_word => "an expectation (`team T`, `queue Q`, `dropped`, ...)",
        Rule::policy_prop => "a policy property (`owner`, `timezone`, `entry`)",
        Rule::rep_prop => "a rep property (`email`, `weight`, `capacity`, `timezone`, `hours`, `skills`, `active`)",
        Rule::capacity_unit => "`open` or `per day`",
        Rule::team_prop => "a team property (`members`, `strategy`)",
        Rule::queue_prop => "a queue property (`owner`, `sla`, `escalate`)",
        Rule::sla_event | Rule::breach_event | Rule::warning_event => "`sla_breach` or `sla_warning(...)`",
        Rule::sla_action => "an SLA action (`reassign`, `notify`, `queue`, `assign`)",
        Rule::reassign_action => "`reassign`",
        Rule::notify_action => "`notify`",
        Rule::field_decl => "a field (`name: type`)",
        Rule::type_expr | Rule::list_type => "a type",
        Rule::optional_mark => "`?`",
        Rule::strategy => "a strategy",
        Rule::team_target | Rule::rep_target | Rule::owner_target => "`team`, `rep` or `owner(...)`",
        Rule::previous_target => "`previous owner`",
        Rule::dup_event => "`duplicate(within D)` or `duplicate(within D, by FIELD)`",
        Rule::exception | Rule::missing_exc => "an exception",
        Rule::handler_action | Rule::assume_action => "an action or `assume VALUE`",
        Rule::test_now | Rule::test_lead | Rule::test_state | Rule::test_expect | Rule::test_breach | Rule::test_prior => {
            "a test item (`now`, `lead`, `state`, `prior`, `expect`, `after D breach`)"
        }
        Rule::rep_state => "a rep name",
        Rule::EOI => "end of input",
        Rule::decl_only | Rule::file => "a declaration",
        Rule::rule_only => "a rule",
        Rule::policy_decl
        | Rule::enum_decl
        | Rule::schema_decl
        | Rule::set_decl
        | Rule::rep_decl
        | Rule::team_decl
        | Rule::queue_decl
        | Rule::tier_decl
        | Rule::territory_decl
        | Rule::route_decl
        | Rule::handler_decl
        | Rule::sla_decl
        | Rule::dup_decl
        | Rule::test_decl => "a declaration",
        _ => return name,
    };
    text.to_string()
}
