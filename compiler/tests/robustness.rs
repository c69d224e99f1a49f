//! Pathological input gets a diagnostic, never a panic or a stack overflow.
//! These run on the test harness's ordinary 2 MiB threads on purpose: the
//! language server and embedders do not get the command line's big stack.

use leadroute_compiler::source::MemoryProvider;
use leadroute_compiler::{check_with_tables, Code, SourceFile, SourceSet};

/// The codes `check` gives `text`, with the bundled example's CSV files
/// beside it (the example's tables read them).
fn codes(text: &str) -> Vec<Code> {
    let mut set = SourceSet::new();
    set.add(SourceFile::new("p.route", text));
    check_with_tables(&example_tables(), &mut set).diagnostics.iter().map(|d| d.code).collect()
}

/// The bundled example's CSV files, by the names its tables read.
fn example_tables() -> MemoryProvider {
    let mut tables = MemoryProvider::new();
    tables.insert("accounts.csv", include_str!("../../examples/accounts.csv"));
    tables.insert("us_west_zips.csv", include_str!("../../examples/us_west_zips.csv"));
    tables
}

const VALID: &str = include_str!("../../examples/inbound.route");

#[test]
fn ten_thousand_nested_parentheses_are_e0002() {
    let text = format!("territory t when {}x{}\n", "(".repeat(10_000), ")".repeat(10_000));
    assert!(codes(&text).contains(&Code::E0002));
}

#[test]
fn ten_thousand_nested_brackets_are_e0002() {
    let text = format!("set s = {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    assert!(codes(&text).contains(&Code::E0002));
}

#[test]
fn a_hundred_thousand_nots_are_e0002() {
    let text = format!("tier t when {}x sla 5m\n", "not ".repeat(100_000));
    assert!(codes(&text).contains(&Code::E0002));
}

#[test]
fn very_long_and_or_chains_are_e0002() {
    let text = format!("territory t when {}\n", vec!["country == \"US\""; 5000].join(" or "));
    assert!(codes(&text).contains(&Code::E0002));
}

#[test]
fn the_longest_allowed_chain_checks_on_a_small_stack() {
    let chain = vec!["intent > 1.0"; leadroute_compiler::syntax::parse::MAX_CHAIN].join(" and ");
    let text = VALID.replacen("tier cold otherwise", &format!("tier long when {chain} sla 1h\ntier cold otherwise"), 1);
    assert!(!codes(&text).iter().any(|c| c.severity() == leadroute_compiler::Severity::Error));
}

#[test]
fn thousands_of_else_fallbacks_are_e0002() {
    let text = format!("route r {{\n  when x -> {}\n}}\n", vec!["assign team a"; 5000].join(" else "));
    assert!(codes(&text).contains(&Code::E0002));
}

#[test]
fn nul_bytes_are_a_syntax_error() {
    let text = VALID.replacen("enum Source", "enum \0Source", 1);
    assert!(codes(&text).contains(&Code::E0001));
}

#[test]
fn a_byte_order_mark_and_crlf_line_ends_check_clean() {
    let text = format!("\u{FEFF}{}", VALID.replace('\n', "\r\n"));
    assert_eq!(codes(&text), []);
}

#[test]
fn an_unterminated_string_costs_one_declaration() {
    let text = VALID.replacen("owner \"revops@acme.example\"", "owner \"revops@acme.example", 1);
    let found = codes(&text);
    assert_eq!(found.iter().filter(|c| **c == Code::E0001).count(), 1, "{found:?}");
}

#[test]
fn random_text_never_panics() {
    // A fixed-seed linear congruential generator over characters the grammar cares about.
    let alphabet: Vec<char> = "abcdefgz_019 \n\t\"{}[]()<>=!?:,.-/\\é😀\u{0}".chars().collect();
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..300 {
        let len = (state % 400) as usize;
        let text: String = (0..len)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                alphabet[(state >> 33) as usize % alphabet.len()]
            })
            .collect();
        let _ = codes(&text);
        // Random mutations of the valid policy exercise the checker, not only the parser.
        let cut = (state as usize) % VALID.len();
        let cut = (0..=cut).rev().find(|i| VALID.is_char_boundary(*i)).unwrap_or(0);
        let _ = codes(&format!("{}{}{}", &VALID[..cut], text, &VALID[cut..]));
    }
}

#[test]
fn a_ten_megabyte_file_is_checked() {
    let mut text = String::from(VALID);
    let mut i = 0;
    while text.len() < 10 * 1024 * 1024 {
        text.push_str(&format!("rep filler_{i} {{ email \"filler{i}@acme.example\" capacity 5 open active false }}\n"));
        i += 1;
    }
    let found = codes(&text);
    // Every filler rep is inactive and in no team (so no account owner
    // either): one warning each. And there are more reps than the runtime
    // loads (about 130,000): one E0068 says so, nothing else.
    assert!(i > leadroute_runtime::MAX_ITEMS, "{i} reps");
    let errors: Vec<&Code> = found.iter().filter(|c| **c != Code::W0001).collect();
    assert_eq!(errors, [&Code::E0068]);
    assert_eq!(found.len(), i + 1);
}

#[test]
fn more_items_than_the_runtime_loads_is_e0068_at_the_first_past_the_bound() {
    // A set of 100,001 values: the runtime refuses lists past 100,000, so
    // the checker says so instead of every command that loads the build.
    let items: Vec<String> = (0..=100_000).map(|i| format!("\"v{i}\"")).collect();
    let text = format!("{VALID}\nset huge = [{}]\n", items.join(", "));
    let mut set = SourceSet::new();
    set.add(SourceFile::new("p.route", text.as_str()));
    let checked = check_with_tables(&example_tables(), &mut set);
    let over: Vec<_> = checked.diagnostics.iter().filter(|d| d.code == Code::E0068).collect();
    assert_eq!(over.len(), 1, "{:?}", checked.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>());
    assert_eq!(over[0].message, "100001 items in set `huge`: a policy can have at most 100000");
    let span = over[0].primary.as_ref().expect("a place").span;
    assert_eq!(&text[span.start as usize..span.end as usize], "\"v100000\"");
}
