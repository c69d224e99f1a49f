//! `leadroute diff` on reference tables: a CSV edit is a policy change, shown
//! row by row (added, removed, changed, by key), with the leads it moves;
//! tables and columns added or removed; long lists counted, not printed.
//! Every test runs the real executable on copies of `examples/accounts`.

mod common;
use common::*;

const NOW: &str = "2026-11-24T15:00:00Z";

fn example(rel: &str) -> String {
    std::fs::read_to_string(root().join("examples/accounts").join(rel)).unwrap_or_else(|e| panic!("read examples/accounts/{rel}: {e}"))
}

/// `text` with `from` replaced by `to` exactly once (the edit must apply).
fn edit_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` should occur exactly once");
    text.replacen(from, to, 1)
}

/// `old/` is the example; `new/` the same policy with `accounts.csv` replaced.
fn versions(name: &str, new_accounts: &str) -> TempDir {
    let dir = TempDir::new(name);
    for v in ["old", "new"] {
        dir.write(&format!("{v}/accounts.route"), example("accounts.route"));
        dir.write(&format!("{v}/west_zips.csv"), example("west_zips.csv"));
    }
    dir.write("old/accounts.csv", example("accounts.csv"));
    dir.write("new/accounts.csv", new_accounts);
    dir
}

/// The sales-ops edit: initech changes owner, hooli changes segment and
/// region, soylent is gone, two accounts are new (one of them newco.example).
fn edited_accounts() -> String {
    let mut csv = example("accounts.csv");
    csv = edit_once(&csv, "initech.com,,bob,mid_market,NA,", "initech.com,,alice,mid_market,NA,");
    csv = edit_once(&csv, "hooli.com,hooli.xyz,alice,enterprise,NA,", "hooli.com,hooli.xyz,alice,mid_market,EMEA,");
    csv = edit_once(&csv, "soylent.com,,bob,mid_market,NA,\n", "");
    csv.push_str("newco.example,,carol,smb,NA,\nacme-anvils.com,anvils.example,bob,smb,,\n");
    csv
}

#[test]
fn a_csv_edit_lists_rows_added_removed_and_changed_and_the_leads_that_move() {
    let dir = versions("edit", &edited_accounts());
    dir.write(
        "leads.ndjson",
        [
            r#"{"id":"T-1","email":"cfo@initech.com","source":"web"}"#,
            r#"{"id":"T-2","email":"ops@newco.example","zip":"10001","source":"event"}"#,
            r#"{"id":"T-3","email":"it@soylent.com","zip":"94103","source":"chat"}"#,
            r#"{"id":"T-4","email":"ceo@globex.com","source":"web"}"#,
        ]
        .join("\n"),
    );
    let out = run_in(dir.path(), &["diff", "old", "new", "--leads", "leads.ndjson", "--now", NOW]);
    out.expect_code(0);
    insta::assert_snapshot!("diff_tables_csv_edit", out.stdout);
    // Only the rows changed: no declaration that uses the table is reported.
    let block = out.stdout.split("\n\n").nth(1).unwrap_or("");
    assert_eq!(block.lines().count(), 2, "one change:\n{block}");
    assert!(block.starts_with("1 semantic change:\n  table accounts: "), "{block}");
    // The leads that move: initech's to its new owner, newco's to its account owner, soylent's to its territory.
    for moved in ["* rep bob                              rep alice", "* team east_sdr (rep frank)            rep carol", "* rep bob                              team west_sdr"] {
        assert!(out.stdout.contains(moved), "`{moved}` in\n{}", out.stdout);
    }
}

#[test]
fn the_same_rows_in_another_order_are_no_change() {
    let csv = example("accounts.csv");
    let mut lines: Vec<&str> = csv.lines().collect();
    lines[1..].reverse();
    let dir = versions("reorder", &(lines.join("\n") + "\n"));
    let out = run_in(dir.path(), &["diff", "old/accounts.route", "new/accounts.route"]);
    out.expect_code(0);
    assert!(out.stdout.contains("no semantic changes"), "{}", out.stdout);
}

#[test]
fn a_key_written_another_way_is_the_same_row() {
    // Keys are compared normalized: `WWW.Initech.COM` is `initech.com`.
    let csv = edit_once(&example("accounts.csv"), "initech.com,,bob", "WWW.Initech.COM,,bob");
    let dir = versions("normalized", &csv);
    let out = run_in(dir.path(), &["diff", "old", "new"]);
    out.expect_code(0);
    assert!(out.stdout.contains("no semantic changes"), "{}", out.stdout);
}

#[test]
fn many_changed_rows_name_the_first_few_by_key_and_count_the_rest() {
    let header = "domain,aliases,owner,segment,region,notes\n";
    let rows = |owner: &dyn Fn(usize) -> &'static str, range: std::ops::Range<usize>| -> String {
        range.map(|i| format!("acct{i:04}.example,,{},smb,NA,\n", owner(i))).collect()
    };
    let old = format!("{header}{}", rows(&|_| "alice", 0..1000));
    // 0..100 removed, 100..1000 kept with every 3rd moved to bob, 1000..1250 added.
    let new = format!("{header}{}{}", rows(&|i| if i % 3 == 0 { "bob" } else { "alice" }, 100..1000), rows(&|_| "carol", 1000..1250));
    let dir = versions("many", &new);
    dir.write("old/accounts.csv", old);
    let out = run_in(dir.path(), &["diff", "old", "new"]);
    out.expect_code(0);
    let line = out.stdout.lines().find(|l| l.starts_with("  table accounts:")).unwrap_or_else(|| panic!("no table line:\n{}", out.stdout));
    assert_eq!(
        line,
        "  table accounts: 250 rows added (acct1000.example, acct1001.example, acct1002.example, acct1003.example, acct1004.example and 245 more), \
         100 rows removed (acct0000.example, acct0001.example, acct0002.example, acct0003.example, acct0004.example and 95 more), \
         300 rows changed: acct0102.example owner alice -> bob; acct0105.example owner alice -> bob; acct0108.example owner alice -> bob; \
         acct0111.example owner alice -> bob; acct0114.example owner alice -> bob; and 295 more"
    );
    // The JSON report says the same.
    let json = run_in(dir.path(), &["diff", "old", "new", "--format", "json"]);
    json.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let change = v["changes"].as_array().and_then(|c| c.iter().find(|c| c["kind"] == "table")).expect("a table change");
    assert_eq!(format!("  table {}: {}", change["name"].as_str().unwrap_or(""), change["change"].as_str().unwrap_or("")), line);
}

#[test]
fn tables_and_columns_added_and_removed_are_declaration_changes() {
    let dir = versions("columns", &example("accounts.csv"));
    // New: `region` is gone from the declaration (the CSV keeps it, as an
    // extra column), `tier_hint` is a new optional column, and a third
    // table lists partner domains; the old version's `west_zips` is kept.
    let route = edit_once(&example("accounts.route"), "  region:  string?\n", "");
    let route = edit_once(&route, "  notes:   string? // for people; not used in routing\n", "  notes:   string? // for people; not used in routing\n  tier_hint: string?\n");
    let route = route + "\ntable partners from \"partners.csv\" {\n  domain: domain key\n}\n";
    dir.write("new/accounts.route", route);
    let csv = example("accounts.csv").replacen("region,notes\n", "region,notes,tier_hint\n", 1).lines().map(|l| if l.ends_with("tier_hint") { l.to_string() } else { format!("{l},") }).collect::<Vec<_>>().join("\n") + "\n";
    dir.write("new/accounts.csv", csv);
    dir.write("new/partners.csv", "domain\npartner-one.example\npartner-two.example\n");
    let out = run_in(dir.path(), &["diff", "old", "new"]);
    out.expect_code(0);
    insta::assert_snapshot!("diff_tables_columns", out.stdout);
}
