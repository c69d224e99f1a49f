//! The terminal, SARIF and GitHub renderers on awkward input: long lines of
//! multi-byte text, labels past the window, many reports, reserved characters.

use leadroute_compiler::render::{escape_data, escape_property, render_github, render_human, render_sarif, HumanOptions, LINE_WINDOW};
use leadroute_compiler::source::SourceFile;
use leadroute_compiler::{Code, Diagnostic, SourceSet, Span};

fn one_file(text: &str) -> SourceSet {
    let mut set = SourceSet::new();
    set.add(SourceFile::new("p.route", text));
    set
}

#[test]
fn a_long_line_of_multibyte_text_is_cut_to_a_window_with_the_files_column() {
    // 300 two-byte characters, then the label, then 300 more, on line 2.
    let line = format!("{}target{}", "é".repeat(300), "ü".repeat(300));
    let text = format!("first line\n{line}\nlast\n");
    let set = one_file(&text);
    let start = text.find("target").expect("target");
    let d = Diagnostic::new(Code::E0004, Span::new(leadroute_compiler::FileId(0), start, start + 6), "unknown name `target`")
        .label("here")
        .with_secondary(Span::new(leadroute_compiler::FileId(0), 0, 5), "first");
    let out = render_human(&[d], &set, HumanOptions::plain());
    assert!(out.contains("p.route:2:301"), "the header names the file's column, not the window's:\n{out}");
    assert!(out.contains("…"), "{out}");
    assert!(out.contains("target"), "{out}");
    for l in out.lines() {
        assert!(l.chars().count() < LINE_WINDOW + 40, "no line much longer than the window: {l}");
    }
    // Both labelled lines keep their numbers.
    assert!(out.lines().any(|l| l.trim_start().starts_with("1 │")), "{out}");
    assert!(out.lines().any(|l| l.trim_start().starts_with("2 │")), "{out}");
}

#[test]
fn a_label_outside_the_window_still_renders() {
    let line = format!("a{}b{}c", " ".repeat(500), " ".repeat(500));
    let set = one_file(&line);
    let f = leadroute_compiler::FileId(0);
    let d = Diagnostic::new(Code::E0004, Span::new(f, 501, 502), "middle").with_secondary(Span::new(f, 0, 1), "far left").with_secondary(Span::new(f, 1002, 1003), "far right");
    let out = render_human(&[d], &set, HumanOptions::plain());
    assert!(out.contains("far left") && out.contains("far right") && out.contains("middle"), "every label's text is kept:\n{out}");
}

#[test]
fn reports_past_the_cap_are_counted_not_shown() {
    let set = one_file("x\n");
    let f = leadroute_compiler::FileId(0);
    let diags: Vec<Diagnostic> = (0..5).map(|i| Diagnostic::new(if i < 3 { Code::E0004 } else { Code::W0003 }, Span::new(f, 0, 1), format!("number {i}"))).collect();
    let out = render_human(&diags, &set, HumanOptions { color: false, max_reports: 2 });
    assert_eq!(out.matches("number ").count(), 2, "{out}");
    assert!(out.contains("... and 3 more diagnostics not shown (1 of them errors)"), "{out}");
}

#[test]
fn colour_is_only_emitted_when_asked() {
    let set = one_file("x\n");
    let d = Diagnostic::new(Code::E0004, Span::new(leadroute_compiler::FileId(0), 0, 1), "m").label("l");
    assert!(!render_human(std::slice::from_ref(&d), &set, HumanOptions::plain()).contains('\u{1b}'));
    assert!(render_human(&[d], &set, HumanOptions::with_color(true)).contains("\u{1b}["));
}

#[test]
fn github_escapes_data_and_properties_as_documented() {
    assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
    assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    let set = one_file("x\n");
    let d = Diagnostic::unlocated(Code::E0050, "cannot read `a,b`");
    assert_eq!(render_github(&[d], &set), "::error title=E0050::cannot read `a,b`\n");
}

#[test]
fn sarif_of_an_unlocated_diagnostic_has_no_location_and_names_its_rule() {
    let set = one_file("x\n");
    let d = Diagnostic::unlocated(Code::E0050, "cannot read `x`");
    let log: serde_json::Value = serde_json::from_str(&render_sarif(&[d], &set, "9.9.9", None)).expect("JSON");
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "E0050");
    assert!(result.get("locations").is_none());
    assert_eq!(log["runs"][0]["tool"]["driver"]["version"], "9.9.9");
}
