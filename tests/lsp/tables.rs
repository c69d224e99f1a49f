//! The language server on reference tables (`examples/accounts`): table
//! and column names completed, column types inside a `table` declaration,
//! hover on tables and columns, definition from a use to the declaration and
//! from `from "file.csv"` to the file, and CSV problems shown on the
//! declaration with related information pointing into the CSV.

use std::path::PathBuf;

use serde_json::Value;

use super::{at, codes, hover_text, inside, labels, pos, pos_lit, slice, uri, Lsp, TempDir};

fn accounts(rel: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/accounts").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// A copy of `examples/accounts` (policy and both CSVs) with `accounts.csv`
/// as given, the policy opened: (folder, policy path, uri, text, server, diagnostics).
fn opened(name: &str, accounts_csv: &str) -> (TempDir, PathBuf, String, String, Lsp, Vec<Value>) {
    let dir = TempDir::new(name);
    let text = accounts("accounts.route");
    let path = dir.file("accounts.route", &text);
    dir.file("accounts.csv", accounts_csv);
    dir.file("west_zips.csv", &accounts("west_zips.csv"));
    let u = uri(&path);
    let mut s = Lsp::start(&dir.0);
    let diags = s.open(&u, &text);
    (dir, path, u, text, s, diags)
}

#[test]
fn the_example_reads_its_csv_files_and_checks_clean() {
    let (_dir, _path, _u, _text, s, diags) = opened("tables-clean", &accounts("accounts.csv"));
    assert!(diags.is_empty(), "{diags:#?}");
    assert!(s.shutdown().success());
}

#[test]
fn completion_offers_tables_in_conditions_and_after_in() {
    let (_dir, _path, u, text, mut s, _) = opened("tables-complete", &accounts("accounts.csv"));
    let typed = text.replacen("territory west when", "territory north when zip is present and zip in \nterritory west when", 1);
    s.change(&u, 2, &typed);
    let r = s.request("textDocument/completion", at(&u, pos_lit(&typed, "zip in \n", 7)));
    assert_eq!(labels(&r), ["accounts", "west_zips"], "after `in`: the tables (no sets or list fields here)");
    let typed = text.replacen("tier standard otherwise", "tier big when \ntier standard otherwise", 1);
    s.change(&u, 3, &typed);
    let r = s.request("textDocument/completion", at(&u, pos_lit(&typed, "tier big when \n", 14)));
    let got = labels(&r);
    for want in ["accounts", "west_zips", "email", "zip", "domain"] {
        assert!(got.iter().any(|l| l == want), "`{want}` in {got:?}");
    }
    assert!(s.shutdown().success());
}

#[test]
fn completion_offers_columns_after_a_lookup_and_a_dot() {
    let (_dir, _path, u, text, mut s, _) = opened("tables-columns", &accounts("accounts.csv"));
    let typed = text.replacen("tier standard otherwise", "tier big when accounts[domain(email)].\ntier standard otherwise", 1);
    s.change(&u, 2, &typed);
    let r = s.request("textDocument/completion", at(&u, pos_lit(&typed, "(email)].\n", 9)));
    assert_eq!(labels(&r), ["domain", "aliases", "owner", "segment", "region", "notes"]);
    let details: Vec<&str> = r.as_array().map(|a| a.iter().filter_map(|i| i["detail"].as_str()).collect()).unwrap_or_default();
    assert_eq!(details, ["domain key", "list<domain> alias", "rep", "Segment", "string?", "string?"]);
    // A partly typed column name gets the same list.
    let partial = typed.replacen("(email)].\n", "(email)].ow\n", 1);
    s.change(&u, 3, &partial);
    let r = s.request("textDocument/completion", at(&u, pos_lit(&partial, "(email)].ow\n", 11)));
    assert!(labels(&r).contains(&"owner".to_string()), "{r}");
    assert!(s.shutdown().success());
}

#[test]
fn completion_inside_a_table_declaration_offers_column_types_then_key_and_alias() {
    let (_dir, _path, u, text, mut s, _) = opened("tables-types", &accounts("accounts.csv"));
    let typed = text.replacen("  zip: string key\n", "  zip: string key\n  extra: \n", 1);
    s.change(&u, 2, &typed);
    let r = s.request("textDocument/completion", at(&u, pos_lit(&typed, "  extra: \n", 9)));
    assert_eq!(labels(&r), ["string", "domain", "rep", "int", "float", "bool", "time", "list", "Segment", "Source"]);
    let typed = text.replacen("  zip: string key\n", "  zip: string key\n  extra: string \n", 1);
    s.change(&u, 3, &typed);
    let r = s.request("textDocument/completion", at(&u, pos_lit(&typed, "  extra: string \n", 16)));
    assert_eq!(labels(&r), ["key", "alias"]);
    // Inside `list<`: one value's type (no nested list).
    let typed = text.replacen("  zip: string key\n", "  zip: string key\n  extra: list<\n", 1);
    s.change(&u, 4, &typed);
    let r = s.request("textDocument/completion", at(&u, pos_lit(&typed, "  extra: list<\n", 14)));
    assert!(!labels(&r).contains(&"list".to_string()) && labels(&r).contains(&"domain".to_string()), "{r}");
    // A new column's name: nothing to offer (it is the CSV header's).
    let typed = text.replacen("  zip: string key\n", "  zip: string key\n  \n", 1);
    s.change(&u, 5, &typed);
    let r = s.request("textDocument/completion", at(&u, pos_lit(&typed, "string key\n  \n", 13)));
    assert_eq!(labels(&r), Vec::<String>::new());
    assert!(s.shutdown().success());
}

#[test]
fn hover_on_a_table_shows_its_file_columns_and_rows() {
    let (dir, _path, u, text, mut s, _) = opened("tables-hover", &accounts("accounts.csv"));
    let h = s.request("textDocument/hover", at(&u, inside(&text, "tier named when accounts[email]", "accounts")));
    let t = hover_text(&h);
    assert_eq!(slice(&text, &h["range"]), "accounts");
    assert!(t.contains("rows from `accounts.csv`: 35 rows, 6 columns; key `domain`, alias `aliases`"), "{t}");
    assert!(t.contains("owner:   rep"), "the declaration is shown: {t}");
    insta::assert_snapshot!("hover_table", dir.normalize(&t));
    let h = s.request("textDocument/hover", at(&u, inside(&text, "owner(accounts[email].owner)", "owner)")));
    let t = hover_text(&h);
    assert!(t.starts_with("**column** `accounts.owner`: `rep`"), "{t}");
    // A column's own comment shows with it.
    let h = s.request("textDocument/hover", at(&u, inside(&text, "notes:   string?", "notes")));
    assert!(hover_text(&h).contains("not used in routing"), "{h}");
    assert!(s.shutdown().success());
}

#[test]
fn definition_goes_from_a_table_use_to_its_declaration_and_from_the_file_name_to_the_csv() {
    let (dir, _path, u, text, mut s, _) = opened("tables-definition", &accounts("accounts.csv"));
    let d = s.request("textDocument/definition", at(&u, inside(&text, "zip not in west_zips", "west_zips")));
    assert_eq!(d["uri"], u);
    assert_eq!(d["range"]["start"], pos(&text, "table west_zips from", "west_zips"));
    let d = s.request("textDocument/definition", at(&u, inside(&text, "owner(accounts[email].owner)", "owner)")));
    assert_eq!(slice(&text, &d["range"]), "owner");
    assert_eq!(d["range"]["start"], pos(&text, "owner:   rep", "owner"));
    let d = s.request("textDocument/definition", at(&u, pos_lit(&text, "from \"accounts.csv\"", 8)));
    assert_eq!(d["uri"], uri(&dir.0.join("accounts.csv")));
    // Renaming a column would break its CSV header: refused with why.
    let e = s.request_err("textDocument/rename", serde_json::json!({ "textDocument": { "uri": u }, "position": inside(&text, "owner(accounts[email].owner)", "owner)"), "newName": "rep" }));
    assert!(e["message"].as_str().is_some_and(|m| m.contains("CSV")), "{e}");
    assert!(s.shutdown().success());
}

#[test]
fn csv_problems_show_on_the_table_declaration_and_clear_when_the_file_is_fixed() {
    let bad = accounts("accounts.csv").replacen("initech.com,,bob,", "initech.com,,zed,", 1);
    let (dir, path, u, text, mut s, diags) = opened("tables-csv-diagnostics", &bad);
    assert_eq!(codes(&diags), ["E0065"], "{diags:#?}");
    let d = &diags[0];
    assert_eq!(slice(&text, &d["range"]), "\"accounts.csv\"", "shown on the declaration's file name");
    let message = d["message"].as_str().unwrap_or("");
    assert!(message.starts_with("`accounts.csv` line 3: "), "{message}");
    assert!(message.contains("zed"), "{message}");
    let related = &d["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], uri(&dir.0.join("accounts.csv")));
    assert_eq!(related["location"]["range"]["start"]["line"], 2, "line 3 of the CSV, 0-based");
    assert_eq!(related["message"], "line 3 of `accounts.csv`");
    // Fixed on disk, then the policy is edited: the problem is gone.
    dir.file("accounts.csv", &accounts("accounts.csv"));
    let diags = s.change(&u, 2, &text);
    assert!(diags.is_empty(), "{diags:#?}");
    let _ = path;
    assert!(s.shutdown().success());
}
