//! The documentation's Route snippets are real Route: every block in the
//! README's language tour and every `Fix:` block of an explanation parses.

use leadroute_compiler::syntax::parse_file;
use leadroute_compiler::{Code, FileId};

/// The fenced ```route blocks of a Markdown text, with the line each starts on.
fn route_blocks(md: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in md.lines().enumerate() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```route") => current = Some((i + 1, String::new())),
            (Some(_), l) if l.starts_with("```") => out.extend(current.take()),
            (Some((_, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            _ => {}
        }
    }
    out
}

fn syntax_errors(text: &str) -> Vec<String> {
    let (_, diags) = parse_file(FileId(0), text);
    diags.iter().filter(|d| matches!(d.code, Code::E0001 | Code::E0002 | Code::E0003)).map(|d| d.message.clone()).collect()
}

#[test]
fn every_route_block_in_the_readme_parses() {
    let readme = include_str!("../../README.md");
    let blocks = route_blocks(readme);
    assert!(blocks.len() >= 10, "the language tour should show the language ({} blocks)", blocks.len());
    for (line, text) in blocks {
        assert_eq!(syntax_errors(&text), Vec::<String>::new(), "README.md block at line {line}:\n{text}");
    }
}

#[test]
fn every_fix_in_the_explanations_parses() {
    for code in Code::ALL {
        let text = code.explanation();
        let Some(fix) = text.split("Fix:").nth(1) else { continue };
        for (line, block) in route_blocks(fix) {
            assert_eq!(syntax_errors(&block), Vec::<String>::new(), "{code}.md Fix block (line {line} after `Fix:`):\n{block}");
        }
    }
}

#[test]
fn every_erroneous_example_shows_its_own_code_or_is_a_fragment() {
    // Syntax-level codes must be produced by the parser alone on their example.
    for code in [Code::E0001, Code::E0003] {
        let text = code.explanation();
        let (_, block) = route_blocks(text).into_iter().next().expect("an erroneous example");
        let (_, diags) = parse_file(FileId(0), &block);
        assert!(diags.iter().any(|d| d.code == code), "{code}'s example does not produce it: {block}");
    }
}

#[test]
fn every_erroneous_example_produces_its_code() {
    let mut failures = Vec::new();
    for code in Code::ALL {
        if matches!(code, Code::E0050 | Code::E0039 | Code::E0052 | Code::W0040 | Code::E0068) {
            // Not one Route file: a shell session, a 1025-part line, a folder of files, thousands of territories,
            // 100,001 declarations (E0068: `robustness.rs` produces it).
            continue;
        }
        if matches!(code, Code::E0062 | Code::E0063 | Code::E0064 | Code::E0065 | Code::E0066 | Code::W0020 | Code::W0021) {
            // About a table's CSV file: each is produced with its file in `tables.rs`.
            continue;
        }
        let text = code.explanation();
        let Some((_, block)) = route_blocks(text).into_iter().next() else {
            failures.push(format!("{code}: no example"));
            continue;
        };
        let mut set = leadroute_compiler::SourceSet::new();
        set.add(leadroute_compiler::SourceFile::new("example.route", block.clone()));
        let checked = leadroute_compiler::check(&set);
        let mut found: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
        // W0010 compares calendars with today's date, which only `leadroute check` reads: its example is "checked during 2026".
        found.extend(leadroute_compiler::check::schedule::stale_calendars(&checked.modules, (2026, 6, 1)).iter().map(|d| d.code));
        if !found.contains(code) {
            failures.push(format!("{code}: got {found:?} from\n{block}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
