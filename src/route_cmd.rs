//! `leadroute route`: decide leads from a file or standard input, in order,
//! committing each decision so rotation and capacity move through the batch.

use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Write};

use leadroute_runtime::{Decision, Engine, EngineOptions, Outcome, Policy, State};

use crate::cli::{RouteArgs, RunFormat};
use crate::policy_src;

/// Counts for `--summary`.
#[derive(Default)]
struct Summary {
    leads: usize,
    outcomes: BTreeMap<&'static str, usize>,
    teams: BTreeMap<String, usize>,
    reps: BTreeMap<String, usize>,
    queues: BTreeMap<String, usize>,
    exceptions: BTreeMap<String, usize>,
    rejected_fields: BTreeMap<String, usize>,
}

impl Summary {
    fn add(&mut self, d: &Decision) {
        self.leads += 1;
        *self.outcomes.entry(d.outcome.as_str()).or_default() += 1;
        for (map, key) in [(&mut self.teams, &d.team), (&mut self.reps, &d.rep), (&mut self.queues, &d.queue)] {
            if let Some(k) = key {
                *map.entry(k.clone()).or_default() += 1;
            }
        }
        for e in &d.exceptions {
            *self.exceptions.entry(e.exception.clone()).or_default() += 1;
        }
        for e in &d.errors {
            *self.rejected_fields.entry(if e.field.is_empty() { "(lead)".into() } else { e.field.clone() }).or_default() += 1;
        }
    }

    fn json(&self, policy: &Policy, state: &State) -> serde_json::Value {
        let loads: BTreeMap<&str, serde_json::Value> = policy
            .ir()
            .reps
            .iter()
            .zip(&state.reps)
            .map(|(r, s)| (r.id.as_str(), serde_json::json!({ "open_load": s.open_load, "assigned_today": s.assigned_today })))
            .collect();
        serde_json::json!({ "summary": {
            "leads": self.leads, "outcomes": self.outcomes, "teams": self.teams, "reps": self.reps,
            "queues": self.queues, "exceptions": self.exceptions, "rejected_fields": self.rejected_fields,
            "final_load": loads,
        }})
    }

    fn human(&self, policy: &Policy, state: &State) -> String {
        let mut out = format!("{} leads\n", self.leads);
        let section = |out: &mut String, title: &str, map: &BTreeMap<String, usize>| {
            if map.is_empty() {
                return;
            }
            out.push_str(&format!("{title}:\n"));
            let mut rows: Vec<_> = map.iter().collect();
            rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (k, n) in rows {
                out.push_str(&format!("  {k:<28} {n:>8}  {:>5.1}%\n", 100.0 * *n as f64 / self.leads.max(1) as f64));
            }
        };
        let outcomes: BTreeMap<String, usize> = self.outcomes.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        section(&mut out, "outcomes", &outcomes);
        section(&mut out, "teams", &self.teams);
        section(&mut out, "reps", &self.reps);
        section(&mut out, "queues", &self.queues);
        section(&mut out, "exceptions", &self.exceptions);
        section(&mut out, "rejected, by field", &self.rejected_fields);
        out.push_str("load at the end (open / today):\n");
        for (r, s) in policy.ir().reps.iter().zip(&state.reps) {
            out.push_str(&format!("  {:<28} {:>4} / {:<4}\n", r.id, s.open_load, s.assigned_today));
        }
        out
    }
}

/// Compiles the engine's policy to native code on another thread; the
/// code arrives on the channel when it is ready, and the engine decides
/// with the interpreter until then. A run that ends first does not wait
/// for it: a large policy (a 10 MB file takes seconds to compile) routing
/// a few leads is answered at once.
fn compile_aside(engine: &Engine) -> std::sync::mpsc::Receiver<Result<leadroute_runtime::CompiledCode, leadroute_runtime::LoadError>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let policy = engine.shared_policy();
    std::thread::spawn(move || {
        let code = policy.compile_jit();
        // Dropped before sending, so that installing the code does not copy the policy.
        drop(policy);
        let _ = tx.send(code);
    });
    rx
}

/// Runs the command and returns the exit status: 0 when every lead was
/// routed, 1 when any was rejected, 2 when an input cannot be read.
pub fn run(args: &RouteArgs) -> u8 {
    // Without `--backend`, leads are interpreted while the JIT compiles (see `compile_aside`).
    let aside = args.backend.is_none() && leadroute_runtime::Backend::host_default() == leadroute_runtime::Backend::Jit;
    let choice = if aside { Some(crate::cli::BackendChoice::Interp) } else { args.backend };
    let policy = match policy_src::load(&args.policy).and_then(|ir| policy_src::ready(ir, choice)) {
        Ok(p) => p,
        Err(f) => return f.status,
    };
    let now = match policy_src::now_at(args.now.as_deref()) {
        Ok(n) => n,
        Err(f) => return f.status,
    };
    let state = match &args.state {
        None => State::new(policy.ir()),
        Some(path) => match std::fs::read_to_string(path).map_err(|e| e.to_string()).and_then(|t| State::from_json(policy.ir(), &t).map_err(|e| e.to_string())) {
            Ok((state, warnings)) => {
                for w in warnings {
                    eprintln!("leadroute: warning: {}: {}", path.display(), w.0);
                }
                state
            }
            Err(e) => {
                eprintln!("leadroute: cannot use state `{}`: {e}", path.display());
                return 2;
            }
        },
    };
    let input: Box<dyn BufRead> = match (&args.lead, &args.leads) {
        // One lead: the whole document (it may be pretty-printed) as one line.
        (Some(path), _) => {
            let text = if path.as_os_str() == "-" {
                let mut t = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut t).map(|_| t)
            } else {
                std::fs::read_to_string(path)
            };
            match text {
                Ok(text) => Box::new(std::io::Cursor::new(one_line(&text).into_bytes())),
                Err(e) => {
                    eprintln!("leadroute: cannot read `{}`: {e}", path.display());
                    return 2;
                }
            }
        }
        (None, Some(path)) if path.as_os_str() == "-" => Box::new(std::io::stdin().lock()),
        (None, Some(path)) if path.is_dir() => {
            eprintln!("leadroute: cannot read `{}`: it is a folder; --leads takes a newline-delimited JSON file", path.display());
            return 2;
        }
        (None, Some(path)) => match std::fs::File::open(path) {
            Ok(f) => Box::new(std::io::BufReader::with_capacity(1 << 16, f)),
            Err(e) => {
                eprintln!("leadroute: cannot read `{}`: {e}", path.display());
                return 2;
            }
        },
        (None, None) => {
            eprintln!("leadroute: give leads with --lead FILE or --leads FILE.ndjson (`-` reads standard input)");
            return 2;
        }
    };
    let options = EngineOptions { explain: args.explain, strict: args.strict };
    let mut engine = Engine::with_state(policy, state).with_options(options);
    let mut compiling = aside.then(|| compile_aside(&engine));
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut summary = Summary::default();
    let mut rejected = 0usize;
    // `on duplicate(...)`: a lead duplicates an earlier one of the file (all are decided at `now`).
    let dedup = engine.policy().duplicate_window_ms().is_some();
    let mut seen = leadroute_runtime::Seen::default();
    let mut input = input;
    let mut raw: Vec<u8> = Vec::new();
    // JSON lines are written straight from the decision, through this buffer.
    let lean = args.format == RunFormat::Json && !args.summary;
    let mut line_out: Vec<u8> = Vec::new();
    let mut n = 0usize;
    loop {
        if let Some(code) = compiling.as_ref().and_then(|c| c.try_recv().ok()) {
            match code {
                // The same bytes either way: both backends decide alike.
                Ok(code) => {
                    let _ = engine.install(code);
                }
                Err(e) => eprintln!("leadroute: the policy is interpreted: {e}"),
            }
            compiling = None;
        }
        raw.clear();
        match input.read_until(b'\n', &mut raw) {
            Ok(0) => break,
            Ok(_) => n += 1,
            Err(e) => {
                let _ = out.flush();
                eprintln!("leadroute: reading leads failed after line {n}: {e}");
                return 2;
            }
        }
        // A line that is not UTF-8 is one rejected lead; the batch goes on.
        let line = utf8_line(&raw);
        let not_utf8 = matches!(line, std::borrow::Cow::Owned(_));
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let mut decision = if not_utf8 {
            Decision::rejected(String::new(), vec![leadroute_runtime::FieldError {
                field: String::new(),
                expected: "UTF-8 text".into(),
                found: "invalid bytes".into(),
                message: "not valid UTF-8 text; save the lead file as UTF-8".into(),
            }], engine.policy().version())
        } else if lean {
            line_out.clear();
            match engine.route_str_json(text, now, dedup.then_some(&mut seen), &mut line_out) {
                Ok(_) => {
                    if out.write_all(&line_out).is_err() {
                        // The reader went away (`| head`); stop quietly.
                        return if rejected > 0 { 1 } else { 0 };
                    }
                    continue;
                }
                Err(rejected_lead) => *rejected_lead,
            }
        } else if dedup {
            engine.route_str_seen(text, now, &mut seen)
        } else {
            engine.route_str(text, now)
        };
        if decision.outcome == Outcome::Rejected && decision.lead_id.is_empty() {
            // Say where in the file the unreadable lead is.
            for e in &mut decision.errors {
                if e.field.is_empty() {
                    e.message = format!("line {n}: {}", e.message);
                }
            }
        }
        if decision.outcome == Outcome::Rejected {
            rejected += 1;
        }
        if args.summary {
            summary.add(&decision);
            continue;
        }
        let written = match args.format {
            RunFormat::Json => serde_json::to_writer(&mut out, &decision).map_err(std::io::Error::from).and_then(|_| out.write_all(b"\n")),
            RunFormat::Human => out.write_all(decision.to_human().as_bytes()),
        };
        if written.is_err() {
            // The reader went away (`| head`); stop quietly.
            return if rejected > 0 { 1 } else { 0 };
        }
    }
    if args.summary {
        let text = match args.format {
            RunFormat::Json => summary.json(engine.policy(), engine.state()).to_string() + "\n",
            RunFormat::Human => summary.human(engine.policy(), engine.state()),
        };
        let _ = out.write_all(text.as_bytes());
    }
    let _ = out.flush();
    if let Some(path) = &args.state_out {
        let json = engine.state().to_json(engine.policy().ir());
        let text = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("leadroute: cannot write `{}`: {e}", path.display());
            return 2;
        }
    }
    if rejected > 0 {
        eprintln!("leadroute: {rejected} lead{} rejected", if rejected == 1 { "" } else { "s" });
        1
    } else {
        0
    }
}

/// A line of a leads file as text: borrowed when it is UTF-8 (checked
/// with the standard library's fast validation), else with the bad bytes
/// replaced (the caller rejects that lead).
pub(crate) fn utf8_line(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(raw),
    }
}

/// A (possibly pretty-printed) JSON document as one line. Line breaks are
/// only whitespace in JSON, so this keeps valid documents valid and an
/// invalid one gives one rejection with its real error.
fn one_line(text: &str) -> String {
    let mut line: String = text.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
    line.push('\n');
    line
}
