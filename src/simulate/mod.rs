//! `leadroute simulate`: replay a lead log over simulated time through one
//! policy (or two, side by side) with a response-time model, and report load,
//! queues, SLA breaches and speed to lead as tables, JSON and a page of charts.

mod charts;
mod html;
mod input;
mod model;
mod sim;
mod summary;

use std::path::PathBuf;

use clap::Args;
use leadroute_runtime::State;

use crate::cli::RunFormat;
use crate::policy_src;

/// Arguments of `leadroute simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The policy: `.route` files, a folder of them, or a built `.json`.
    pub policy: PathBuf,
    /// The lead log (newline-delimited JSON; `-` for standard input).
    #[arg(long)]
    pub leads: PathBuf,
    /// Rep state at the start (each policy gets its own copy).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// A second policy to simulate on the same leads, side by side.
    #[arg(long, value_name = "OTHER_POLICY")]
    pub compare: Option<PathBuf>,
    /// Write the report here: index.html (self-contained) and the charts as PNG.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Output format of the summary on standard output.
    #[arg(long, value_enum, default_value_t = RunFormat::Human)]
    pub format: RunFormat,
    /// Seed of every random draw (response times, queue waits, --rate arrivals).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Arrivals as a Poisson process of this many leads per hour from --start, in file order.
    #[arg(long, value_name = "PER_HOUR", conflicts_with = "arrival_field")]
    pub rate: Option<f64>,
    /// The lead field (RFC 3339) each lead arrives at [default: created_at].
    #[arg(long, value_name = "FIELD")]
    pub arrival_field: Option<String>,
    /// With --rate: when the first lead arrives [default: 2026-01-05T00:00:00Z, a Monday].
    #[arg(long, value_name = "TIME", requires = "rate")]
    pub start: Option<String>,
    /// Mean time for a rep to reach an assigned lead: `TIER=DURATION` pairs and/or one
    /// DURATION for the other tiers (`hot=3m,warm=45m,4h`; `0` for instant) [default: half the tier's SLA].
    #[arg(long, value_name = "SPEC")]
    pub response: Option<String>,
    /// The shape of rep response times around their mean.
    #[arg(long, value_enum, default_value_t = model::Distribution::Lognormal)]
    pub response_dist: model::Distribution,
    /// Mean time before someone works a queued lead (exponential) [default: half the queue's SLA, 30m without one].
    #[arg(long, value_name = "DURATION")]
    pub queue_time: Option<String>,
    /// Timeline bucket for the charts and series (`1h`, `1d`) [default: 1h up to two weeks of leads, else 1d].
    #[arg(long, value_name = "DURATION")]
    pub bucket: Option<String>,
    /// Write the first policy's decisions here (NDJSON, as `leadroute route` prints them).
    #[arg(long, value_name = "FILE")]
    pub decisions: Option<PathBuf>,
}

/// What stops a simulation before it runs: the message is printed, the status returned.
struct Stop(u8);

fn fail(message: impl std::fmt::Display) -> Stop {
    eprintln!("leadroute: {message}");
    Stop(2)
}

/// Runs the command: 0 when the simulation ran, 1 when a policy has errors,
/// 2 when an input cannot be read or a flag is wrong.
pub fn run(args: &SimulateArgs) -> u8 {
    match simulate(args) {
        Ok(()) => 0,
        Err(Stop(status)) => status,
    }
}

fn simulate(args: &SimulateArgs) -> Result<(), Stop> {
    let mut model = model::Model { distribution: args.response_dist, tier_mean: Default::default(), all_tiers: None, queue_mean: None };
    if let Some(spec) = &args.response {
        model.parse_response(spec).map_err(fail)?;
    }
    if let Some(q) = &args.queue_time {
        model.queue_mean = Some(model::parse_duration(q).ok_or_else(|| fail(format!("--queue-time: `{q}` is not a duration like 30m")))?);
    }
    let clock = match (args.rate, &args.arrival_field) {
        (Some(rate), _) => {
            if !(rate.is_finite() && rate > 0.0) {
                return Err(fail(format!("--rate must be a positive number of leads per hour, not {rate}")));
            }
            let start = args.start.as_deref().unwrap_or("2026-01-05T00:00:00Z");
            let start = leadroute_runtime::parse_time(start).ok_or_else(|| fail(format!("--start {start:?} is not an RFC 3339 time like 2026-01-05T09:00:00Z")))?;
            input::Clock::Rate { per_hour: rate, start, seed: args.seed }
        }
        (None, field) => input::Clock::Field(field.clone().unwrap_or_else(|| "created_at".into())),
    };
    let load = |path: &PathBuf| {
        policy_src::load(std::slice::from_ref(path)).and_then(|ir| policy_src::ready(ir, None)).map_err(|f| Stop(f.status))
    };
    let mut policies = vec![(args.policy.clone(), load(&args.policy)?)];
    if let Some(other) = &args.compare {
        policies.push((other.clone(), load(other)?));
    }
    let state_text = match &args.state {
        None => None,
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read --state `{}`: {e}", path.display())))?),
    };
    // Each policy gets its own copy of the state, checked before the log is read.
    let mut with_state = Vec::new();
    for (path, policy) in policies {
        let state = match &state_text {
            None => State::new(policy.ir()),
            Some(text) => {
                let (state, warnings) = State::from_json(policy.ir(), text).map_err(|e| fail(format!("cannot use --state: {}", e.to_string().replace('\n', " "))))?;
                for w in warnings {
                    eprintln!("leadroute: warning: --state: {}", w.0);
                }
                state
            }
        };
        with_state.push((path, policy, state));
    }
    let policies = with_state;
    let log = input::read(&args.leads, &clock).map_err(fail)?;
    report_lines("skipped", &log.skipped);
    if log.arrivals.is_empty() {
        return Err(fail(format!("no lead in `{}` has an arrival time to simulate", args.leads.display())));
    }
    let span = log.arrivals.last().map_or(0, |l| l.at) - log.arrivals.first().map_or(0, |f| f.at);
    let bucket_ms = match &args.bucket {
        Some(b) => match model::parse_duration(b) {
            Some(ms) if ms >= 60_000 => ms,
            _ => return Err(fail(format!("--bucket: `{b}` is not a duration of a minute or more, like 1h or 1d"))),
        },
        None if span <= 14 * 86_400_000 => 3_600_000,
        None if span <= 400 * 86_400_000 => 86_400_000,
        None => 7 * 86_400_000,
    };
    // The timeline runs a day past the last lead; keep it to a size charts can show.
    if (span + 86_400_000) / bucket_ms > 20_000 {
        return Err(fail(format!("--bucket: {} buckets would be too many for leads spanning {}; give a longer bucket", (span + 86_400_000) / bucket_ms, model::duration_text(span))));
    }
    let mut runs = Vec::new();
    for (i, (path, policy, state)) in policies.into_iter().enumerate() {
        let setup = sim::Setup { policy: &policy, state, model: &model, seed: args.seed, bucket_ms, keep_decisions: i == 0 && args.decisions.is_some() };
        let result = sim::run(setup, &log.arrivals);
        report_lines("rejected", &result.rejections);
        runs.push(summary::Run { file: path.display().to_string(), policy, sim: result });
    }
    let arrivals = match &clock {
        input::Clock::Field(f) => format!("field {f}"),
        input::Clock::Rate { per_hour, start, .. } => format!("{per_hour} per hour from {}", leadroute_runtime::state::format_time(*start)),
    };
    let ctx = summary::Context {
        leads_file: args.leads.display().to_string(),
        arrivals,
        leads: log.arrivals.len(),
        skipped: log.skipped,
        seed: args.seed,
        model,
        bucket_ms,
    };
    if let (Some(path), Some(first)) = (&args.decisions, runs.first()) {
        let text: String = first.sim.decisions.iter().map(|d| d.to_json_line() + "\n").collect();
        std::fs::write(path, text).map_err(|e| fail(format!("cannot write `{}`: {e}", path.display())))?;
    }
    let summary_json = summary::json(&runs, &ctx);
    if let Some(dir) = &args.report {
        let written = charts::draw_all(&runs, &ctx).and_then(|charts| html::write(dir, &runs, &ctx, &summary_json, &charts));
        match written {
            Ok(page) => eprintln!("leadroute: report written to {}", page.display()),
            Err(e) => return Err(fail(format!("cannot write the report to `{}`: {e}", dir.display()))),
        }
    }
    let text = match args.format {
        RunFormat::Json => serde_json::to_string_pretty(&summary_json).unwrap_or_default() + "\n",
        RunFormat::Human => summary::human(&runs, &ctx),
    };
    print!("{text}");
    Ok(())
}

/// Prints problems with the input to standard error, the first 20 in full.
fn report_lines(what: &str, lines: &[String]) {
    for l in lines.iter().take(20) {
        eprintln!("leadroute: {what}: {l}");
    }
    if lines.len() > 20 {
        eprintln!("leadroute: ... and {} more {what}", lines.len() - 20);
    }
}
