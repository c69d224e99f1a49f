//! `leadroute check`: load, check, render, and choose the exit status.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use leadroute_compiler::render::{render_human, render_json_lines, summary_line, HumanOptions};
use leadroute_compiler::source::DiskProvider;
use leadroute_compiler::{check_paths, Code};

use crate::cli::{CheckArgs, ColorChoice, Format};

/// Runs the command and returns the exit status.
pub fn run(args: &CheckArgs) -> u8 {
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let (sources, mut checked) = check_paths(&DiskProvider, &paths);
    if let Some(today) = today() {
        checked.diagnostics.extend(leadroute_compiler::check::schedule::stale_calendars(&checked.modules, today));
        leadroute_compiler::diagnostic::sort_and_dedup(&mut checked.diagnostics);
    }
    let diags = &checked.diagnostics;
    let failed = checked.has_errors() || (args.deny_warnings && !diags.is_empty());
    let output = match args.format {
        Format::Json => render_json_lines(diags, &sources),
        Format::Human => {
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            };
            let mut text = render_human(diags, &sources, HumanOptions { color });
            let files = sources.len();
            text.push_str(&format!(
                "{}: {} in {} file{}\n",
                if failed { "failed" } else { "checked" },
                summary_line(diags),
                files,
                if files == 1 { "" } else { "s" }
            ));
            text
        }
    };
    // A closed pipe (`leadroute check | head`) is not an error worth a panic.
    let _ = std::io::stdout().lock().write_all(output.as_bytes());
    if diags.iter().any(|d| d.code == Code::E0050) {
        2
    } else if failed {
        1
    } else {
        0
    }
}

/// Today's date for calendar checks (W0010): `LEADROUTE_TODAY=YYYY-MM-DD`, else the system's local date.
fn today() -> Option<(i16, i8, i8)> {
    let d = match std::env::var("LEADROUTE_TODAY") {
        Ok(text) => text.trim().parse::<jiff::civil::Date>().ok()?,
        Err(_) => jiff::Zoned::now().date(),
    };
    Some((d.year(), d.month(), d.day()))
}
