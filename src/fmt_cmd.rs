//! `leadroute fmt`: rewrites `.route` files in the canonical layout, or with
//! `--check` lists the files that are not in it, for CI.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use leadroute_compiler::fmt::{format_files, unified_diff, FileStatus};
use leadroute_compiler::render::{summary_line, write_human, HumanOptions};
use leadroute_compiler::source::{DiskProvider, SourceProvider};

/// Arguments of `leadroute fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// `.route` files, or folders whose `.route` files are formatted
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Write nothing; list the files that would change, with their first
    /// difference, and exit 1 if any would.
    #[arg(long)]
    pub check: bool,
}

/// Runs the command and returns the exit status: 0 when every file is (now)
/// formatted; 1 when `--check` finds a file that would change, or a file has
/// syntax errors (it is left untouched); 2 when an input cannot be read or a
/// file cannot be written.
pub fn run(args: &FmtArgs) -> u8 {
    let color = crate::cli::stderr_color();
    let mut write = |path: &Path, text: &str| std::fs::write(path, text);
    let io = Io { write: &mut write, out: &mut std::io::stdout().lock(), err: &mut std::io::stderr().lock(), color };
    run_with(&DiskProvider, &args.paths, args.check, io)
}

/// Where [`run_with`] writes: formatted files, the report, the diagnostics.
pub struct Io<'a> {
    /// Writes a file's new text.
    pub write: &'a mut dyn FnMut(&Path, &str) -> std::io::Result<()>,
    /// Standard output: with `--check`, the files that would change.
    pub out: &'a mut dyn Write,
    /// Standard error: unreadable inputs and syntax errors.
    pub err: &'a mut dyn Write,
    /// Colour the diagnostics.
    pub color: bool,
}

/// [`run`] reading through `provider` and writing through `io`, so that it
/// can be tested without a disk.
pub fn run_with(provider: &dyn SourceProvider, paths: &[PathBuf], check: bool, io: Io) -> u8 {
    let paths = if paths.is_empty() { vec![PathBuf::from(".")] } else { paths.to_vec() };
    let (files, load_errors) = format_files(provider, &paths);
    // Closed pipes are not worth a panic: write errors to the terminal are ignored.
    let mut status = 0u8;
    for e in &load_errors {
        let _ = writeln!(io.err, "leadroute: {e}");
        status = 2;
    }
    let mut would_change = 0usize;
    for file in &files {
        let name = file.path.display().to_string();
        match &file.status {
            FileStatus::Unchanged => {}
            FileStatus::Broken(diags) => {
                let _ = write_human(diags, &file.source_set(), HumanOptions::with_color(io.color), io.err);
                let _ = writeln!(io.err, "leadroute: `{name}` was not formatted: {}", summary_line(diags));
                status = status.max(1);
            }
            FileStatus::Changed(new) if check => {
                would_change += 1;
                let _ = writeln!(io.out, "would reformat {name}");
                let _ = write!(io.out, "{}", unified_diff(&name, &file.original, new));
                status = status.max(1);
            }
            FileStatus::Changed(new) => {
                if let Err(e) = (io.write)(&file.path, new) {
                    let _ = writeln!(io.err, "leadroute: cannot write `{name}`: {e}");
                    status = 2;
                }
            }
        }
    }
    if would_change > 0 {
        let plural = if would_change == 1 { "" } else { "s" };
        let _ = writeln!(io.out, "{would_change} file{plural} would be reformatted; run `leadroute fmt` to rewrite them");
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadroute_compiler::source::MemoryProvider;

    struct Run {
        status: u8,
        written: Vec<(PathBuf, String)>,
        out: String,
        err: String,
    }

    fn run_on(files: &[(&str, &str)], paths: &[&str], check: bool) -> Run {
        let mut provider = MemoryProvider::new();
        for (path, text) in files {
            provider.insert(*path, text.as_bytes().to_vec());
        }
        let mut written = Vec::new();
        let mut write = |path: &Path, text: &str| {
            written.push((path.to_path_buf(), text.to_string()));
            Ok(())
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        let status = run_with(&provider, &paths, check, Io { write: &mut write, out: &mut out, err: &mut err, color: false });
        Run { status, written, out: String::from_utf8_lossy(&out).into(), err: String::from_utf8_lossy(&err).into() }
    }

    const MESSY: &str = "enum Source {chat,web}\n";
    const TIDY: &str = "enum Source { chat, web }\n";

    #[test]
    fn fmt_rewrites_only_the_files_that_change() {
        let run = run_on(&[("p/a.route", MESSY), ("p/b.route", TIDY)], &["p"], false);
        assert_eq!(run.status, 0, "{}", run.err);
        assert_eq!(run.written, [(PathBuf::from("p/a.route"), TIDY.to_string())]);
        assert_eq!(run.out, "");
    }

    #[test]
    fn fmt_check_writes_nothing_and_names_the_files_that_would_change() {
        let run = run_on(&[("p/a.route", MESSY), ("p/b.route", TIDY)], &["p"], true);
        assert_eq!(run.status, 1);
        assert!(run.written.is_empty());
        assert!(run.out.contains("would reformat p/a.route\n"), "{}", run.out);
        assert!(run.out.contains("-enum Source {chat,web}\n+enum Source { chat, web }\n"), "{}", run.out);
        assert!(!run.out.contains("b.route"), "{}", run.out);
    }

    #[test]
    fn fmt_check_passes_on_formatted_files() {
        let run = run_on(&[("p/b.route", TIDY)], &["p/b.route"], true);
        assert_eq!((run.status, run.out.as_str(), run.err.as_str()), (0, "", ""));
    }

    #[test]
    fn a_file_with_syntax_errors_is_reported_and_left_untouched() {
        let run = run_on(&[("p/a.route", "on over_capacity queue triage\n"), ("p/b.route", MESSY)], &["p"], false);
        assert_eq!(run.status, 1);
        assert_eq!(run.written, [(PathBuf::from("p/b.route"), TIDY.to_string())]);
        assert!(run.err.contains("E0001"), "{}", run.err);
        assert!(run.err.contains("`p/a.route` was not formatted"), "{}", run.err);
    }

    #[test]
    fn an_unreadable_path_exits_2() {
        let run = run_on(&[("p/b.route", TIDY)], &["p/missing.route"], false);
        assert_eq!(run.status, 2);
        assert!(run.err.contains("p/missing.route"), "{}", run.err);
    }
}
