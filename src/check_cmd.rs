//! `leadroute check`: load, check, render, and choose the exit status.
//!
//! Reports for people go to standard error, as rustc and cargo write them;
//! JSON, SARIF and GitHub annotations go to standard output for tools.

use std::io::Write;
use std::path::PathBuf;

use leadroute_compiler::render::{render_github, render_json_lines, render_sarif, summary_line, write_human, HumanOptions};
use leadroute_compiler::source::{DiskProvider, SourceFile, SourceProvider};
use leadroute_compiler::{check_paths, Code, Diagnostic, SourceSet};

use crate::cli::{CheckArgs, Format};

/// Runs the command and returns the exit status.
pub fn run(args: &CheckArgs) -> u8 {
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let (sources, diags) = if args.each { check_each(&DiskProvider, &paths) } else { check_together(&paths) };
    let failed = diags.iter().any(Diagnostic::is_error) || (args.deny_warnings && !diags.is_empty());
    // Closed pipes (`leadroute check | head`) are not worth a panic: write errors are ignored.
    match args.format {
        Format::Json => {
            let _ = std::io::stdout().lock().write_all(render_json_lines(&diags, &sources).as_bytes());
        }
        Format::Sarif => {
            let _ = std::io::stdout().lock().write_all(render_sarif(&diags, &sources, env!("CARGO_PKG_VERSION"), std::env::current_dir().ok().as_deref()).as_bytes());
        }
        Format::Github => {
            let _ = std::io::stdout().lock().write_all(render_github(&diags, &sources).as_bytes());
        }
        Format::Human => {
            let mut err = std::io::stderr().lock();
            let _ = write_human(&diags, &sources, HumanOptions::with_color(crate::cli::stderr_color()), &mut err);
            let tables = sources.iter().filter(|(_, f)| f.is_table()).count();
            let files = sources.len() - tables;
            let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
            let what = if tables == 0 { plural(files, "file") } else { format!("{} and {}", plural(files, "file"), plural(tables, "table")) };
            let _ = writeln!(err, "{}: {} in {what}", if failed { "failed" } else { "checked" }, summary_line(&diags));
        }
    }
    if diags.iter().any(|d| d.code == Code::E0050) {
        2
    } else if failed {
        1
    } else {
        0
    }
}

/// The files at `paths` checked as one policy (calendar checks included).
fn check_together(paths: &[PathBuf]) -> (SourceSet, Vec<Diagnostic>) {
    let (sources, mut checked) = check_paths(&DiskProvider, paths);
    add_stale_calendars(&mut checked, today());
    (sources, checked.diagnostics)
}

/// Adds the warnings for calendars that run out before `today` (when known).
fn add_stale_calendars(checked: &mut leadroute_compiler::Checked, today: Option<(i16, i8, i8)>) {
    if let Some(today) = today {
        checked.diagnostics.extend(leadroute_compiler::check::schedule::stale_calendars(&checked.modules, today));
        leadroute_compiler::diagnostic::sort_and_dedup(&mut checked.diagnostics);
    }
}

/// Every `.route` file at `paths` checked alone, as the language server
/// checks an open file; the diagnostics are collected into one source set
/// (each file's spans moved to its place there), in file order.
pub fn check_each(provider: &dyn SourceProvider, paths: &[PathBuf]) -> (SourceSet, Vec<Diagnostic>) {
    let (loaded, load_errors) = leadroute_compiler::source::load(provider, paths);
    let mut all = SourceSet::new();
    let mut diags: Vec<Diagnostic> = load_errors.iter().map(|e| e.to_diagnostic()).collect();
    let today = today();
    for (_, file) in loaded.iter() {
        let mut one = SourceSet::new();
        one.add(SourceFile::new(file.name.clone(), file.text.clone()));
        let mut checked = leadroute_compiler::check_with_tables(provider, &mut one);
        add_stale_calendars(&mut checked, today);
        // The file and the CSV files of its tables, at their places in `all`
        // (a table two policies read is one file there).
        let ids: Vec<_> = one
            .iter()
            .map(|(_, f)| all.find(&f.name).filter(|_| f.is_table()).unwrap_or_else(|| all.add(SourceFile::new(f.name.clone(), f.text.clone()))))
            .collect();
        for mut d in checked.diagnostics {
            for label in d.primary.iter_mut().chain(d.secondary.iter_mut()) {
                label.span.file = ids.get(label.span.file.0 as usize).or(ids.first()).copied().unwrap_or(label.span.file);
            }
            diags.push(d);
        }
    }
    (all, diags)
}

/// Today's date for calendar checks (W0010): `LEADROUTE_TODAY=YYYY-MM-DD`, else the system's local date.
fn today() -> Option<(i16, i8, i8)> {
    let d = match std::env::var("LEADROUTE_TODAY") {
        Ok(text) => text.trim().parse::<jiff::civil::Date>().ok()?,
        Err(_) => jiff::Zoned::now().date(),
    };
    Some((d.year(), d.month(), d.day()))
}
