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
    /// Colour diagnostics: `auto` when standard error is a terminal and NO_COLOR is unset.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// The `--color` choice for this run, set once by `main`.
static COLOR: std::sync::OnceLock<ColorChoice> = std::sync::OnceLock::new();

/// Remembers `--color` for [`stderr_color`].
pub fn set_color(choice: ColorChoice) {
    // Set once at start-up; a second call keeps the first choice.
    let _ = COLOR.set(choice);
}

/// Whether diagnostics written to standard error are coloured.
pub fn stderr_color() -> bool {
    use std::io::IsTerminal;
    match COLOR.get().copied().unwrap_or(ColorChoice::Auto) {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and type-check a policy, reporting every problem found.
    ///
    /// Diagnostics go to standard error for people (--format human); JSON,
    /// SARIF and GitHub annotations go to standard output.
    ///
    /// Exit status: 0 when the policy is clean (warnings allowed), 1 when it
    /// has errors (or warnings, with --deny-warnings), 2 when an input cannot
    /// be read.
    ///
    /// Examples:
    ///   leadroute check examples/inbound.route
    ///   leadroute check policies/inbound/ --format json
    ///   leadroute check policies/ --each
    ///   leadroute check --format sarif > leadroute.sarif
    ///   leadroute check --format github   (in a GitHub Actions step)
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
    /// Check a policy and write its compiled IR (JSON) for services to load.
    ///
    /// Examples:
    ///   leadroute build examples/inbound.route -o policy.json
    ///   leadroute route policy.json --leads leads.ndjson
    #[command(verbatim_doc_comment)]
    Build(BuildArgs),
    /// Route leads through a policy: one JSON decision per lead.
    ///
    /// Leads are committed in order, so rotation and capacity move through a
    /// batch. An invalid lead gets a `rejected` decision with its errors and
    /// the batch goes on. Exit status: 0 when every lead was routed, 1 when
    /// any was rejected, 2 when an input cannot be read.
    ///
    /// Examples:
    ///   leadroute route examples/inbound.route --leads examples/leads.ndjson \
    ///       --state examples/state.json --now 2026-11-24T15:00:00Z --format human
    ///   leadroute route policy.json --lead lead.json --explain
    ///   cat leads.ndjson | leadroute route policy.json --leads - --summary
    #[command(verbatim_doc_comment)]
    Route(RouteArgs),
    /// Run a policy's inline tests, or compare routing with a stored snapshot.
    ///
    /// Tests without `now` run at 2026-01-05T15:00:00Z. With --snapshot, the
    /// decisions for a lead file are compared with LEADS.decisions.ndjson next
    /// to it; --update records them.
    ///
    /// Examples:
    ///   leadroute test examples/inbound.route
    ///   leadroute test examples/inbound.route --snapshot examples/leads.ndjson \
    ///       --state examples/state.json --now 2026-11-24T15:00:00Z
    #[command(verbatim_doc_comment)]
    Test(TestArgs),
    /// Compare two versions of a policy: what changed, and whom it affects.
    ///
    /// Lists the semantic changes (tiers, territories, rules, teams, reps,
    /// queues, handlers, fields), example leads from the analysis whose
    /// destination changes, and with --leads replays a lead log through both
    /// versions (shadow routing: each gets its own copy of --state, the real
    /// state is never written) into a table of old -> new destinations.
    /// --fail-on-change PCT exits 1 when more than PCT percent of the replayed
    /// leads change destination, so CI can gate a change; --level rep (the
    /// default) counts a move to another rep of the same team, --level team
    /// only changes of team, queue or outcome.
    ///
    /// Examples:
    ///   leadroute diff old/inbound.route examples/inbound.route
    ///   leadroute diff main.json examples/ --leads last_week.ndjson \
    ///       --state examples/state.json --fail-on-change 5
    #[command(verbatim_doc_comment)]
    Diff(DiffArgs),
    /// Replay a lead log over simulated time: load, queues, SLA breaches, speed to lead.
    ///
    /// Leads arrive at a lead field's time (default `created_at`) or at a
    /// --rate; reps' hours, out-of-office and caps come from the policy and
    /// --state, and each assigned rep responds after a time drawn (with
    /// --seed) from a per-tier model, which frees their load and decides
    /// whether the tier's SLA was met. --compare runs a second policy on the
    /// same leads; --report writes a page of charts. See docs/simulate.md.
    ///
    /// Examples:
    ///   leadroute simulate examples/inbound.route --leads examples/leads.ndjson \
    ///       --state examples/state.json --report sim/
    ///   leadroute simulate new.route --compare examples/inbound.route \
    ///       --leads last_week.ndjson --response hot=3m,warm=45m,4h --format json
    #[command(verbatim_doc_comment)]
    Simulate(crate::simulate::SimulateArgs),
    /// Rewrite `.route` files in the canonical layout, keeping every comment.
    ///
    /// Examples:
    ///   leadroute fmt examples/inbound.route
    ///   leadroute fmt --check            (CI: exit 1 when a file is not formatted)
    #[command(verbatim_doc_comment)]
    Fmt(crate::fmt_cmd::FmtArgs),
    /// Run the routing service: durable, idempotent lead intake over HTTP.
    ///
    /// Stores POLICY as a version if it is new, activates it, seeds rep state
    /// from --state on an empty database, and serves the API (see
    /// docs/service.md). Ctrl-C or SIGTERM finishes in-flight requests and exits.
    ///
    /// Examples:
    ///   leadroute serve examples/inbound.route
    ///   leadroute serve policy.json --db postgres://localhost/leadroute --listen 0.0.0.0:8080 --token-file /etc/leadroute/token
    ///   curl -s localhost:8080/v1/leads -d '{"id":"L-1", ...}'
    #[command(verbatim_doc_comment)]
    Serve(ServeArgs),
    /// Verify an audit log offline: re-decide every decision with the runtime.
    ///
    /// Reads the NDJSON of `GET /v1/audit` and re-decides each decision in
    /// commit order with the version that made it, from the start state,
    /// applying rep changes and releases as they happened. Exit status: 0
    /// when every decision is the same, 1 when any differs, 2 when an input
    /// cannot be read.
    ///
    /// Examples:
    ///   curl -s localhost:8080/v1/audit > audit.ndjson
    ///   leadroute replay audit.ndjson --state examples/state.json
    #[command(verbatim_doc_comment)]
    Replay(ReplayArgs),
    /// Try a policy change on a running service: shadow, canary, promote, stop.
    ///
    /// `start` takes a stored version (`sha256:...`) or policy files, which
    /// are built here and stored on the service first. A shadow decides every
    /// lead beside the active version without committing anything; a canary
    /// decides PCT% of the leads (by a stable hash of the lead id) and rolls
    /// itself back when a guardrail breaks.
    ///
    /// Examples:
    ///   leadroute rollout start examples/inbound.route --mode shadow
    ///   leadroute rollout status
    ///   leadroute rollout start sha256:1f2e... --mode canary --percent 10 --guardrail queued:5:200
    ///   leadroute rollout promote
    #[command(verbatim_doc_comment)]
    Rollout(RolloutArgs),
    /// Run the language server over standard input/output (for editors).
    ///
    /// Editors start it themselves; see editors/README.md for VS Code,
    /// Neovim and Helix.
    Lsp(LspArgs),
}

/// Arguments of `leadroute lsp`: the transport flags language clients add
/// (vscode-languageclient appends `--stdio`, and `--clientProcessId=N` for
/// some server kinds). Only standard input/output is served.
#[derive(Debug, Args)]
pub struct LspArgs {
    /// Speak LSP over standard input/output (the default, and the only transport).
    #[arg(long)]
    pub stdio: bool,
    /// Not supported (refused with exit status 2): use stdio.
    #[arg(long, value_name = "PORT", hide = true)]
    pub socket: Option<String>,
    /// Not supported (refused with exit status 2): use stdio.
    #[arg(long, value_name = "NAME", hide = true)]
    pub pipe: Option<String>,
    /// Not supported (refused with exit status 2): use stdio.
    #[arg(long = "node-ipc", hide = true)]
    pub node_ipc: bool,
    /// The editor's process id; accepted and ignored.
    #[arg(long = "clientProcessId", value_name = "PID", hide = true)]
    pub client_process_id: Option<String>,
}

impl LspArgs {
    /// The transport flag asked for that this server cannot serve (`--socket`,
    /// `--pipe` or `--node-ipc`), if any.
    pub fn unsupported_transport(&self) -> Option<&'static str> {
        if self.socket.is_some() {
            Some("--socket")
        } else if self.pipe.is_some() {
            Some("--pipe")
        } else if self.node_ipc {
            Some("--node-ipc")
        } else {
            None
        }
    }
}

/// Arguments of `leadroute diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old policy (a `.route` file, a folder, or a built `.json`).
    pub old: PathBuf,
    /// The new policy.
    pub new: PathBuf,
    /// A lead log (newline-delimited JSON, `-` for standard input) to replay through both.
    #[arg(long)]
    pub leads: Option<PathBuf>,
    /// Rep state both versions start from.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Decision time for the replay [default: 2026-01-05T15:00:00Z]. Example leads from the analysis are synthetic and always decided at 2026-01-05T15:00:00Z.
    #[arg(long)]
    pub now: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RunFormat::Human)]
    pub format: RunFormat,
    /// Exit 1 when more than this percentage of replayed leads change destination (needs --leads); 0 to 100.
    #[arg(long, value_name = "PCT", value_parser = percentage, allow_hyphen_values = true)]
    pub fail_on_change: Option<f64>,
    /// What --fail-on-change counts: `rep` (any change of team, rep or queue) or `team` (team, queue or outcome only).
    #[arg(long, value_enum, default_value_t = ChangeLevel::Rep)]
    pub level: ChangeLevel,
}

/// A percentage from 0 to 100 (`NaN`, infinities and values outside the
/// range would silently disable or misread the gate).
fn percentage(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().trim_end_matches('%').parse().map_err(|_| format!("`{s}` is not a number: give a percentage from 0 to 100, like 5 or 2.5"))?;
    if v.is_finite() && (0.0..=100.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("`{s}` is not a percentage from 0 to 100"))
    }
}

/// Which destination changes `diff --fail-on-change` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChangeLevel {
    /// Any change: another team, queue or outcome, or another rep of the same team.
    Rep,
    /// Another team, queue or outcome; a move between reps of one team does not count.
    Team,
}

impl ChangeLevel {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ChangeLevel::Rep => "rep",
            ChangeLevel::Team => "team",
        }
    }
}

/// Output formats for decisions and test results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    /// One JSON object per line.
    Json,
    /// A readable explanation.
    Human,
}

/// Arguments of `leadroute build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The policy: `.route` files or a folder of them.
    #[arg(required = true)]
    pub policy: Vec<PathBuf>,
    /// Where to write the IR [default: standard output].
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

/// Arguments of `leadroute route`.
#[derive(Debug, Args)]
pub struct RouteArgs {
    /// The policy: `.route` files, a folder of them, or an IR `.json` from `leadroute build`.
    #[arg(required = true)]
    pub policy: Vec<PathBuf>,
    /// One lead: a JSON file (`-` for standard input).
    #[arg(long, conflicts_with = "leads")]
    pub lead: Option<PathBuf>,
    /// Many leads: newline-delimited JSON (`-` for standard input).
    #[arg(long)]
    pub leads: Option<PathBuf>,
    /// Rep state to start from (JSON; absent reps take the defaults).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Write the rep state after the batch here.
    #[arg(long)]
    pub state_out: Option<PathBuf>,
    /// Decision time, RFC 3339 [default: now].
    #[arg(long)]
    pub now: Option<String>,
    /// Attach a trace of every step to each decision.
    #[arg(long)]
    pub explain: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RunFormat::Json)]
    pub format: RunFormat,
    /// Print counts per outcome, team, rep, queue and exception, and each rep's final load, instead of the decisions.
    #[arg(long)]
    pub summary: bool,
    /// Reject leads with fields the schema does not know.
    #[arg(long)]
    pub strict: bool,
    /// Which evaluator decides conditions: `jit` compiles the policy to native
    /// code before the first lead, `interp` interprets it. Outputs are
    /// identical. By default the first leads are interpreted while the
    /// policy compiles on another thread, and native code decides the rest
    /// once it is ready (where this build and machine support it).
    #[arg(long, value_enum)]
    pub backend: Option<BackendChoice>,
}

/// Arguments of `leadroute test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The policy [default: .]
    #[arg(default_value = ".")]
    pub policy: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RunFormat::Human)]
    pub format: RunFormat,
    /// Also report which tiers, territories, rules and handlers the tests exercise, and which none reaches.
    #[arg(long, conflicts_with = "snapshot")]
    pub coverage: bool,
    /// Route this lead file and compare with its stored snapshot.
    #[arg(long)]
    pub snapshot: Option<PathBuf>,
    /// With --snapshot: record the new decisions as the snapshot.
    #[arg(long, requires = "snapshot")]
    pub update: bool,
    /// With --snapshot: rep state to start from.
    #[arg(long, requires = "snapshot")]
    pub state: Option<PathBuf>,
    /// With --snapshot: decision time [default: the snapshot's, else 2026-01-05T15:00:00Z].
    #[arg(long, requires = "snapshot")]
    pub now: Option<String>,
    /// Which evaluator decides conditions: `jit` compiles the policy to native
    /// code at load time, `interp` interprets it. Outputs are identical; the
    /// default is `jit` where this build and machine support it.
    #[arg(long, value_enum)]
    pub backend: Option<BackendChoice>,
}

/// The evaluators `--backend` chooses from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendChoice {
    /// Native code compiled with Cranelift when the policy loads.
    Jit,
    /// The interpreter (always available).
    Interp,
}

impl BackendChoice {
    /// The runtime's backend.
    pub fn backend(self) -> leadroute_runtime::Backend {
        match self {
            BackendChoice::Jit => leadroute_runtime::Backend::Jit,
            BackendChoice::Interp => leadroute_runtime::Backend::Interp,
        }
    }
}

/// Output formats for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source excerpts with labels, for people.
    Human,
    /// One JSON object per diagnostic per line, for CI.
    Json,
    /// A SARIF 2.1.0 log, for GitHub code scanning (`github/codeql-action/upload-sarif`) and other tools.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...`): annotations on the pull request.
    Github,
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
    /// Check every `.route` file as a policy of its own (as the language server does), not the files together as one.
    #[arg(long)]
    pub each: bool,
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

/// Arguments of `leadroute serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The policy: `.route` files, a folder of them, or a built `.json`.
    #[arg(required = true)]
    pub policy: Vec<PathBuf>,
    /// The database: a SQLite file (created if missing) or a postgres:// URL.
    #[arg(long, default_value = "leadroute.db", env = "LEADROUTE_DB")]
    pub db: String,
    /// Where to listen. A non-loopback address needs a token.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Rep state to seed an empty database with (the `route --state` file format).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// A file holding the bearer token every write must carry (or set LEADROUTE_TOKEN).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Start the service clock at this RFC 3339 time (it then runs at real speed): trials at a chosen moment.
    #[arg(long, value_name = "TIME")]
    pub clock: Option<String>,
    /// The service configuration (TOML): delivery destinations, retries, notifications, timers. See docs/operations.md.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Run on a clock that stands still at TIME and moves only through `POST /v1/clock` (trials and tests).
    #[arg(long, value_name = "TIME", conflicts_with = "clock")]
    pub manual_clock: Option<String>,
    /// Largest accepted body for one lead or rep change, in bytes.
    #[arg(long, default_value_t = 256 * 1024)]
    pub body_limit: usize,
    /// Largest accepted NDJSON batch or policy upload, in bytes.
    #[arg(long, default_value_t = 32 * 1024 * 1024)]
    pub batch_limit: usize,
}

/// Arguments of `leadroute replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The audit log (NDJSON from `GET /v1/audit`; `-` for standard input).
    pub audit: PathBuf,
    /// Rep state at the start of the log (a `state_seeded` entry in the log replaces it).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Policy versions the log does not carry (sources or built `.json`), one per flag.
    #[arg(long)]
    pub policy: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RunFormat::Human)]
    pub format: RunFormat,
}

/// Arguments of `leadroute rollout`.
#[derive(Debug, Args)]
pub struct RolloutArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: RolloutAction,
    /// The service.
    #[arg(long, global = true, default_value = "http://127.0.0.1:8080", env = "LEADROUTE_URL")]
    pub url: String,
    /// A file holding the service's bearer token (or set LEADROUTE_TOKEN).
    #[arg(long, global = true)]
    pub token_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = RunFormat::Human)]
    pub format: RunFormat,
}

/// The rollout actions.
#[derive(Debug, Subcommand)]
pub enum RolloutAction {
    /// Start a shadow or canary rollout of a version or of policy files.
    Start {
        /// A stored version (`sha256:...`), or `.route` files / a built `.json` to store first.
        #[arg(required = true)]
        candidate: Vec<PathBuf>,
        /// `shadow` or `canary`.
        #[arg(long)]
        mode: String,
        /// Canary share of leads, 0 to 100.
        #[arg(long, value_parser = clap::value_parser!(u32).range(0..=100))]
        percent: Option<u32>,
        /// METRIC:POINTS:MIN_LEADS, e.g. `queued:5:200` (metrics: queued, dropped, no_available_rep).
        #[arg(long)]
        guardrail: Vec<String>,
    },
    /// Where leads go under the candidate compared with the active version.
    Status,
    /// Make the candidate the active version.
    Promote,
    /// Stop the rollout; the active version keeps every lead.
    Stop {
        /// Why (kept in the audit log).
        #[arg(long)]
        reason: Option<String>,
    },
}
