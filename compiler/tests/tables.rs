//! Tables: one snapshot per table diagnostic (the policy, the CSV file and
//! the rendered report, which shows the CSV line), and the checks around them.

use leadroute_compiler::render::{render_human, HumanOptions};
use leadroute_compiler::source::MemoryProvider;
use leadroute_compiler::{check_paths, Code, Diagnostic, SourceSet};

const POLICY: &str = r#"policy p { owner "ops@acme.example" timezone "UTC" }
enum Segment { smb, mid_market, enterprise }
schema lead { id: string  email: string  zip: string? }
queue triage { owner "ops@acme.example" sla 1h }
rep alice { email "alice@acme.example" }
rep bob { email "bob@acme.example" }
team sales { members [alice, bob] }
tier standard otherwise sla 24h
table accounts from "accounts.csv" {
  domain:  domain key
  aliases: list<domain> alias
  owner:   rep
  segment: Segment
  region:  string?
}
route main {
  when accounts[email] is present -> assign owner(accounts[email].owner) else queue triage
  otherwise -> queue triage
}
"#;

const CSV: &str = "domain,aliases,owner,segment,region\nglobex.com,globex.co.uk;globexcorp.com,alice,enterprise,NA\ninitech.com,,bob,smb,\n";

/// Checks `policy/p.route` with `policy/accounts.csv` (when given).
fn run(policy: &str, csv: Option<&str>) -> (SourceSet, Vec<Diagnostic>) {
    let mut fs = MemoryProvider::new();
    fs.insert("policy/p.route", policy);
    if let Some(csv) = csv {
        fs.insert("policy/accounts.csv", csv);
    }
    let (sources, checked) = check_paths(&fs, &["policy/p.route".into()]);
    (sources, checked.diagnostics)
}

/// (snapshot name, code, policy edit (from, to), CSV).
type Case = (&'static str, Code, (&'static str, &'static str), Option<&'static str>);

const CASES: &[Case] = &[
    ("E0060_missing_file", Code::E0060, ("\"accounts.csv\"", "\"acounts.csv\""), Some(CSV)),
    ("E0061_no_key", Code::E0061, ("domain key", "domain"), Some(CSV)),
    ("E0061_alias_type", Code::E0061, ("list<domain> alias", "list<string> alias"), Some(CSV)),
    ("E0061_two_keys", Code::E0061, ("owner:   rep", "owner:   string key"), Some(CSV)),
    ("E0007_column_type", Code::E0007, ("segment: Segment", "segment: Segmnt"), Some(CSV)),
    ("E0062_header", Code::E0062, ("", ""), Some("Domain,aliases,owner,segment,region\nglobex.com,,alice,enterprise,NA\n")),
    ("E0063_cells", Code::E0063, ("", ""), Some("domain,aliases,owner,segment,region\nglobex.com,,alice,enterprise,NA\nacme.example,,bob,smb,Acme, Inc.\n")),
    ("E0064_empty", Code::E0064, ("", ""), Some("domain,aliases,owner,segment,region\nglobex.com,,alice,enterprise,NA\ninitech.com,,,smb,\n")),
    ("E0064_type", Code::E0064, ("region:  string?", "region:  int?"), Some(CSV)),
    ("E0065_rep", Code::E0065, ("", ""), Some("domain,aliases,owner,segment,region\nglobex.com,,alcie,enterprise,NA\n")),
    ("E0065_enum", Code::E0065, ("", ""), Some("domain,aliases,owner,segment,region\nglobex.com,,alice,Enterprise,NA\n")),
    ("E0066_duplicate", Code::E0066, ("", ""), Some("domain,aliases,owner,segment,region\nglobex.com,,alice,enterprise,NA\ninitech.com,,bob,smb,\nhooli.com,WWW.Globex.COM.,bob,smb,\n")),
    ("E0067_column", Code::E0067, ("accounts[email].owner)", "accounts[email].ownr)"), Some(CSV)),
    ("E0067_table", Code::E0067, ("owner(accounts[email].owner)", "owner(acounts[email].owner)"), Some(CSV)),
    ("E0015_unguarded", Code::E0015, ("  otherwise -> queue triage\n}", "  when accounts[email].segment == enterprise -> queue triage\n  otherwise -> queue triage\n}"), Some(CSV)),
    ("W0020_free_mail", Code::W0020, ("", ""), Some("domain,aliases,owner,segment,region\nglobex.com,,alice,enterprise,NA\ngmail.com,,bob,smb,\n")),
    ("W0021_extra_column", Code::W0021, ("", ""), Some("domain,aliases,owner,segment,region,notes\nglobex.com,,alice,enterprise,NA,renewal in May\n")),
];

#[test]
fn the_base_policy_with_its_table_is_clean() {
    let (_, diags) = run(POLICY, Some(CSV));
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn each_table_diagnostic_renders_as_snapshotted() {
    for (name, code, (from, to), csv) in CASES {
        assert!(POLICY.contains(from), "{name}: the edit's text is in the policy");
        let policy = POLICY.replacen(from, to, 1);
        let (sources, diags) = run(&policy, *csv);
        let own: Vec<Diagnostic> = diags.iter().filter(|d| d.code == *code).cloned().collect();
        assert!(!own.is_empty(), "{name}: expected {code} among {diags:#?}");
        assert!(own.iter().all(|d| d.help.is_some() && d.primary.is_some()), "{name}: place and help");
        let human = render_human(&own, &sources, HumanOptions::plain());
        let shown_csv = csv.map_or(String::new(), |c| format!("--- accounts.csv ---\n{c}"));
        let edit = if from.is_empty() { String::new() } else { format!("--- policy edit ---\n{from}\n=>\n{to}\n") };
        insta::assert_snapshot!(*name, format!("{edit}{shown_csv}--- report ---\n{human}"));
    }
}

#[test]
fn a_file_of_bad_rows_reports_a_bounded_number_of_problems() {
    let mut csv = String::from("domain,aliases,owner,segment,region\n");
    for i in 0..20_000 {
        csv.push_str(&format!("company{i}.example,,nobody,enterprise,\n"));
    }
    let (_, diags) = run(POLICY, Some(&csv));
    let unknown = diags.iter().filter(|d| d.code == Code::E0065).count();
    assert_eq!(unknown, 50, "the first 50 bad cells");
    let more: Vec<&Diagnostic> = diags.iter().filter(|d| d.code == Code::E0064).collect();
    assert_eq!(more.len(), 1);
    assert!(more[0].message.starts_with("19950 more problems"), "{}", more[0].message);
}

#[test]
fn a_csv_with_a_byte_order_mark_and_crlf_lines_reads() {
    let csv = "\u{FEFF}domain,aliases,owner,segment,region\r\n\"globex.com\",,alice,enterprise,\"North America, West\"\r\n";
    let (_, diags) = run(POLICY, Some(csv));
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn a_semicolon_or_tab_separated_file_reads_and_reports_the_right_cell() {
    // What a spreadsheet set to German or French saves as "CSV", and a TSV export.
    for sep in [";", "\t"] {
        let csv = format!("domain{sep}aliases{sep}owner{sep}segment{sep}region\nglobex.com{sep}globex.co.uk{sep}alice{sep}enterprise{sep}\"North America, West{sep} 2\"\n");
        let (_, diags) = run(POLICY, Some(&csv));
        assert!(diags.is_empty(), "{sep:?}: {diags:#?}");
        let bad = format!("{csv}initech.com{sep}{sep}bobb{sep}smb{sep}\n");
        let (sources, diags) = run(POLICY, Some(&bad));
        assert_eq!(diags.len(), 1, "{sep:?}: {diags:#?}");
        assert_eq!(diags[0].code, Code::E0065);
        let span = diags[0].primary.as_ref().expect("a place").span;
        assert_eq!(&sources.get(span.file).text[span.start as usize..span.end as usize], "bobb", "{sep:?}: the cell itself is underlined");
        assert!(diags[0].help.as_deref().unwrap_or("").contains("bob"), "did you mean: {:?}", diags[0].help);
    }
}

#[test]
fn a_file_that_is_not_utf8_is_an_error_at_its_first_bad_line() {
    // Latin-1 "Café" and "München", as an old spreadsheet export writes them.
    let mut csv = b"domain,aliases,owner,segment,region\nglobex.com,,alice,enterprise,NA\n".to_vec();
    csv.extend_from_slice(b"caf\xe9.example,,bob,smb,\nm\xfcnchen.example,,bob,smb,\n");
    let mut fs = MemoryProvider::new();
    fs.insert("policy/p.route", POLICY);
    fs.insert("policy/accounts.csv", csv);
    let (sources, checked) = check_paths(&fs, &["policy/p.route".into()]);
    let errors: Vec<&Diagnostic> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].code, Code::E0060);
    assert_eq!(errors[0].message, "line 3 of the table file is not UTF-8 text (and 1 more line)");
    assert!(errors[0].help.as_deref().unwrap_or("").contains("UTF-8"));
    let span = errors[0].primary.as_ref().expect("a place").span;
    assert_eq!(sources.get(span.file).name, "policy/accounts.csv");
}

#[test]
fn an_alias_equal_to_its_own_key_is_not_a_duplicate() {
    let csv = "domain,aliases,owner,segment,region\nglobex.com,www.globex.com,alice,enterprise,\n";
    let (_, diags) = run(POLICY, Some(csv));
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn the_table_path_is_relative_to_the_declaring_file() {
    assert_eq!(leadroute_compiler::check::tables::resolve("policies/acme.route", "data/a.csv"), "policies/data/a.csv");
    assert_eq!(leadroute_compiler::check::tables::resolve("acme.route", "./a.csv"), "a.csv");
    assert_eq!(leadroute_compiler::check::tables::resolve("policies/acme.route", "../shared/a.csv"), "shared/a.csv");
}

#[test]
fn a_guard_on_the_row_and_a_default_both_satisfy_the_checker() {
    let policy = POLICY.replacen(
        "  otherwise -> queue triage\n}",
        "  ent: when accounts[email] is present and accounts[email].segment == enterprise -> queue triage\n  \
         reg: when accounts[email].region is present and accounts[email].region == \"NA\" -> queue triage\n  \
         seg: when (accounts[email].segment ?? smb) == mid_market -> queue triage\n  \
         zip: when zip is present and zip in accounts -> queue triage\n  otherwise -> queue triage\n}",
        1,
    );
    let (_, diags) = run(&policy, Some(CSV));
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn an_optional_column_needs_its_own_guard() {
    let policy = POLICY.replacen(
        "  otherwise -> queue triage\n}",
        "  when accounts[email] is present and accounts[email].region == \"NA\" -> queue triage\n  otherwise -> queue triage\n}",
        1,
    );
    let (_, diags) = run(&policy, Some(CSV));
    let e: Vec<&Diagnostic> = diags.iter().filter(|d| d.code == Code::E0015).collect();
    assert_eq!(e.len(), 1, "{diags:#?}");
    assert!(e[0].message.contains("the cell may be empty"), "{}", e[0].message);
}
