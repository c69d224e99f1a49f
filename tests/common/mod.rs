//! Running the real `leadroute` binary from end-to-end tests: a run with a
//! time limit (a hang fails the test), and temporary folders.
#![allow(dead_code)] // each test binary uses a different part

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Any single run taking longer than this counts as a hang.
pub const TIME_LIMIT: Duration = Duration::from_secs(120);

/// The outcome of one run of the binary.
#[derive(Debug)]
pub struct Run {
    /// The exit code; `None` when the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The exit code (a run killed by a signal fails the test).
    pub fn code(&self) -> i32 {
        self.code.unwrap_or_else(|| panic!("leadroute was killed by a signal\nstderr:\n{}", self.stderr))
    }

    /// Asserts that the run ended normally: exit 0 or 1, and no panic or
    /// internal error on stderr.
    pub fn expect_no_crash(&self) -> &Run {
        assert!(
            matches!(self.code, Some(0 | 1)),
            "leadroute crashed or misreported (status {:?})\n--- stderr ---\n{}\n--- stdout ---\n{}",
            self.code,
            truncated(&self.stderr),
            truncated(&self.stdout)
        );
        for bad in ["panicked", "internal error"] {
            assert!(!self.stderr.contains(bad), "stderr mentions `{bad}`:\n{}", truncated(&self.stderr));
        }
        self
    }

    /// Asserts the exit code, showing the output when it differs.
    pub fn expect_code(&self, want: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(want),
            "unexpected exit status\n--- stdout ---\n{}\n--- stderr ---\n{}",
            truncated(&self.stdout),
            truncated(&self.stderr)
        );
        for bad in ["panicked", "internal error"] {
            assert!(!self.stderr.contains(bad), "stderr mentions `{bad}`:\n{}", truncated(&self.stderr));
        }
        self
    }

    /// Asserts that standard error is exactly one line that mentions every one of `words`.
    pub fn expect_one_line_error(&self, words: &[&str]) -> &Run {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "expected a one-line message on stderr, got:\n{}", self.stderr);
        assert!(lines[0].starts_with("leadroute: "), "message should start with `leadroute: `: {}", lines[0]);
        for w in words {
            assert!(lines[0].contains(w), "message should mention `{w}`: {}", lines[0]);
        }
        self
    }
}

pub fn truncated(s: &str) -> String {
    const MAX: usize = 4000;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n... ({} more bytes)", &s[..end], s.len() - end)
}

/// The package root, where `examples/` lives.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `leadroute ARGS` in `dir`, feeding `stdin` (or nothing), with a time limit.
pub fn run_full<S: AsRef<OsStr>>(dir: &Path, args: &[S], stdin: Option<&[u8]>) -> Run {
    let shown: Vec<String> = args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect();
    let shown = shown.join(" ");
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadroute"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the leadroute binary starts");
    // Feed stdin and drain both pipes on their own threads so nothing blocks.
    let writer = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
            // Dropping the pipe closes it: end of input.
        })
    });
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut err = child.stderr.take().expect("stderr is piped");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + TIME_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for leadroute") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`leadroute {shown}` did not finish within {TIME_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if let Some(w) = writer {
        let _ = w.join();
    }
    let stdout = out_reader.join().expect("stdout reader");
    let stderr = err_reader.join().expect("stderr reader");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Runs `leadroute ARGS` in the package root.
pub fn run<S: AsRef<OsStr>>(args: &[S]) -> Run {
    run_full(root(), args, None)
}

/// Runs `leadroute ARGS` in `dir`.
pub fn run_in<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Run {
    run_full(dir, args, None)
}

/// Runs `leadroute ARGS` in the package root with `stdin` as standard input.
pub fn run_stdin<S: AsRef<OsStr>>(args: &[S], stdin: &[u8]) -> Run {
    run_full(root(), args, Some(stdin))
}

/// A scratch folder under the system temp folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("leadroute-{}-{}-{}", env!("CARGO_CRATE_NAME"), std::process::id(), name));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create the temp folder");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The full path of `rel` inside the folder, as a string for arguments.
    pub fn join(&self, rel: &str) -> String {
        self.0.join(rel).to_string_lossy().into_owned()
    }

    /// Writes `rel` (creating parent folders) and returns its full path as a string.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> String {
        self.write_path(rel, contents).to_string_lossy().into_owned()
    }

    /// Writes `rel` (creating parent folders) and returns its full path.
    pub fn write_path(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create a folder");
        }
        std::fs::write(&path, contents.as_ref()).expect("write a file");
        copy_example_tables(&path, contents.as_ref());
        path
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.0.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }
}

/// A copy of a bundled example written elsewhere brings along the CSV files
/// of the tables it declares (`from "accounts.csv"`), as a user copying the
/// example would: each `from "X.csv"` whose `examples/X.csv` exists and is
/// not beside `route` yet is copied there.
pub fn copy_example_tables(route: &Path, text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    let Some(dir) = route.parent() else { return };
    for part in text.split("from \"").skip(1) {
        let Some(name) = part.split('"').next().filter(|n| n.ends_with(".csv") && !n.contains('/')) else { continue };
        let (from, to) = (root().join("examples").join(name), dir.join(name));
        if from.is_file() && !to.exists() {
            std::fs::copy(&from, &to).expect("copy an example table");
        }
    }
}

/// The bundled examples' CSV files in memory, by bare name (`accounts.csv`),
/// for checking an example's text held in memory as `inbound.route`.
pub fn example_tables() -> leadroute_compiler::source::MemoryProvider {
    let mut files = leadroute_compiler::source::MemoryProvider::new();
    let dir = root().join("examples");
    for entry in std::fs::read_dir(&dir).expect("read examples/").flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "csv") {
            let name = path.file_name().map(PathBuf::from).expect("a file name");
            files.insert(name, std::fs::read(&path).expect("read an example table"));
        }
    }
    files
}

/// Checks and lowers in-memory `.route` files (the examples' tables read as
/// [`example_tables`]); panics with the diagnostics when there are errors.
pub fn ir_of(files: &[(&str, &str)]) -> leadroute_runtime::ir::PolicyIr {
    let mut set = leadroute_compiler::SourceSet::new();
    for (name, text) in files {
        set.add(leadroute_compiler::SourceFile::new(*name, *text));
    }
    let checked = leadroute_compiler::check_with_tables(&example_tables(), &mut set);
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "a policy without errors: {errors:#?}");
    leadroute_compiler::lower::lower(&set, &checked).expect("a policy without errors lowers")
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Decides `lead` with both policies (without and with a trace), from their
/// own states, asserting the decisions' JSON is byte-identical; commits the
/// untraced decision to each state.
pub fn assert_same_decisions(
    (interp, jit): (&leadroute_runtime::Policy, &leadroute_runtime::Policy),
    (si, sj): (&mut leadroute_runtime::State, &mut leadroute_runtime::State),
    lead: &leadroute_runtime::Lead,
    now: i64,
    what: &str,
) {
    let (mi, mj) = (interp.at(now), jit.at(now));
    for explain in [false, true] {
        let a = interp.decide(lead, si, &mi, explain);
        let b = jit.decide(lead, sj, &mj, explain);
        let (ja, jb) = (serde_json::to_string(&a).expect("json"), serde_json::to_string(&b).expect("json"));
        assert_eq!(ja, jb, "explain={explain}, lead {what}");
        if !explain {
            interp.commit(si, &a);
            jit.commit(sj, &b);
        }
    }
}
