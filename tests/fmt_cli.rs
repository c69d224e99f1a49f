//! `leadroute fmt` end to end: rewrites files in place, `--check` changes
//! nothing and fails on unformatted files, broken files are left alone.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leadroute-fmt-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn fmt(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_leadroute")).arg("fmt").args(args).output().expect("run leadroute");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn fmt_rewrites_a_file_and_check_then_passes() {
    let dir = tmp("rewrite");
    let file = dir.join("inbound.route");
    // The example, which is in canonical form, with its layout undone.
    let example = include_str!("../examples/inbound.route");
    let messed = example.replace(" -> ", "->").replace("  ", " ");
    let original = messed.as_str();
    std::fs::write(&file, original).expect("write");
    // Its tables, so that the formatted copy can be tested below.
    common::copy_example_tables(&file, original.as_bytes());
    let path = file.to_str().expect("utf-8 path");
    let (code, stdout, _) = fmt(&["--check", path]);
    assert_eq!(code, 1, "the messed-up copy is not in canonical form: {stdout}");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), original, "--check writes nothing");
    assert_eq!(fmt(&[path]).0, 0);
    let formatted = std::fs::read_to_string(&file).expect("read");
    assert_ne!(formatted, original);
    // Every comment survives, and the result is stable.
    for line in original.lines().filter_map(|l| l.find("//").map(|i| l[i..].trim().to_string())) {
        assert!(formatted.contains(&line), "comment lost: {line}");
    }
    assert_eq!(fmt(&["--check", path]).0, 0);
    assert_eq!(fmt(&[path]).0, 0);
    assert_eq!(std::fs::read_to_string(&file).expect("read"), formatted);
    assert_eq!(formatted, example, "formatting gives the example back");
    // The formatted policy still checks clean and passes its tests.
    let check = Command::new(env!("CARGO_BIN_EXE_leadroute")).args(["test", path]).output().expect("run");
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fmt_leaves_a_file_with_syntax_errors_alone_and_says_why() {
    let dir = tmp("broken");
    let file = dir.join("broken.route");
    let original = include_str!("../examples/broken.route");
    std::fs::write(&file, original).expect("write");
    let (code, _, stderr) = fmt(&[file.to_str().expect("utf-8 path")]);
    assert_eq!(code, 1);
    assert!(stderr.contains("E0001"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), original);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fmt_of_a_missing_path_exits_2() {
    assert_eq!(fmt(&["/nonexistent/leadroute/x.route"]).0, 2);
}

/// Every example is in the formatter's canonical form, so `fmt` leaves what
/// people wrote alone (`examples/broken.route` has a deliberate syntax
/// error and is never formatted).
#[test]
fn every_example_is_fmt_check_clean() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [root.clone(), root.join("gaps"), root.join("accounts")] {
        let entries = std::fs::read_dir(&dir).expect("examples folder");
        files.extend(entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "route")));
    }
    files.sort();
    let mut checked = 0;
    for file in &files {
        let path = file.to_str().expect("utf-8 path");
        let (code, stdout, stderr) = fmt(&["--check", path]);
        if file.ends_with("broken.route") {
            assert_eq!(code, 1, "{stderr}");
            assert!(stderr.contains("was not formatted"), "{stderr}");
            continue;
        }
        assert_eq!(code, 0, "{path} is not fmt-clean:\n{stdout}{stderr}");
        checked += 1;
    }
    assert!(checked >= 4, "{files:?}");
}

/// `fmt --check` shows every change, as a unified diff that turns the file into its formatted text.
#[test]
fn fmt_check_prints_a_complete_unified_diff() {
    let dir = tmp("diff");
    let file = dir.join("inbound.route");
    let example = include_str!("../examples/inbound.route");
    // Two changes far apart: the policy header and the last test's closing brace.
    let messed = example.replacen("policy acme_inbound {", "policy   acme_inbound{", 1).replacen("  expect queue manager_review, tier cold\n}", "  expect queue manager_review, tier cold }", 1);
    assert_ne!(messed, example);
    std::fs::write(&file, &messed).expect("write");
    let (code, stdout, _) = fmt(&["--check", file.to_str().expect("utf-8 path")]);
    assert_eq!(code, 1);
    let hunks = stdout.lines().filter(|l| l.starts_with("@@ ")).count();
    assert_eq!(hunks, 2, "one hunk per change, none left out:\n{stdout}");
    let removed: Vec<&str> = stdout.lines().filter(|l| l.starts_with('-') && !l.starts_with("---")).collect();
    let added: Vec<&str> = stdout.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")).collect();
    assert_eq!(removed, ["-policy   acme_inbound{", "-  expect queue manager_review, tier cold }"]);
    assert_eq!(added, ["+policy acme_inbound {", "+  expect queue manager_review, tier cold", "+}"]);
    let _ = std::fs::remove_dir_all(&dir);
}
