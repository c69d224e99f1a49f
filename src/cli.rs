//! The command line: commands, flags and their help texts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Check, test and run lead-routing policies written in the Route language.
///
/// A policy is a `.route` file, or a folder of them that together form one
/// policy. Start with `leadroute check examples/inbound.route`, and look up
/// any diagnostic code with `leadroute explain E0004`.
#[derive(Debug, Parser)]
#[command(name = "leadroute", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and type-check a policy, reporting every problem found.
    ///
    /// Exit status: 0 when the policy is clean (warnings allowed), 1 when it
    /// has errors (or warnings, with --deny-warnings), 2 when an input cannot
    /// be read.
    ///
    /// Examples:
    ///   leadroute check examples/inbound.route
    ///   leadroute check policies/inbound/ --format json
    ///   leadroute check --deny-warnings
    #[command(verbatim_doc_comment)]
    Check(CheckArgs),
    /// Explain a diagnostic code, with an example and the fix.
    ///
    /// Examples:
    ///   leadroute explain E0004
    ///   leadroute explain --list
    #[command(verbatim_doc_comment)]
    Explain(ExplainArgs),
}

/// Output formats for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source excerpts with labels, for people.
    Human,
    /// One JSON object per diagnostic per line, for CI.
    Json,
}

/// When to colour human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `leadroute check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// `.route` files, or folders whose `.route` files form one policy [default: .]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Colour the human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Arguments of `leadroute explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A diagnostic code such as `E0004` or `W0001`.
    #[arg(required_unless_present = "list")]
    pub code: Option<String>,
    /// List every code with its title.
    #[arg(long)]
    pub list: bool,
}
