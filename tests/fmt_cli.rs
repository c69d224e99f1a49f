//! `leadroute fmt` end to end: rewrites files in place, `--check` changes
//! nothing and fails on unformatted files, broken files are left alone.

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
    let original = include_str!("../examples/inbound.route");
    std::fs::write(&file, original).expect("write");
    let path = file.to_str().expect("utf-8 path");
    let (code, stdout, _) = fmt(&["--check", path]);
    assert_eq!(code, 1, "the example is not in canonical form: {stdout}");
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
