//! Embedding leadroute in a service: load a compiled policy, keep rep state in
//! memory, decide each lead as it arrives, and explain a decision.
//!
//! `cargo run --example embed`
//!
//! A service would load the JSON that CI wrote with
//! `leadroute build examples/inbound.route -o policy.json`; to stay
//! self-contained, this example compiles the bundled policy first.

use std::error::Error;

use leadroute_runtime::{parse_timestamp, Engine, EngineOptions, Outcome, Policy, State};

fn main() -> Result<(), Box<dyn Error>> {
    // In CI: `leadroute build examples/inbound.route -o policy.json`.
    let ir_json = build_policy_json()?;

    // In the service: only the runtime is needed from here on.
    let policy = Policy::from_json(&ir_json)?;
    let (state, warnings) = State::from_json(policy.ir(), include_str!("state.json"))?;
    for w in warnings {
        eprintln!("state: {}", w.0);
    }
    let mut engine = Engine::with_state(policy, state).with_options(EngineOptions { explain: true, strict: false });

    // The clock is the service's to read; `decide` never reads it.
    let now = parse_timestamp("2026-11-24T15:00:00Z")?;
    let leads = [
        r#"{"id":"L-1","email":"maria@globex.example","company":"Globex","country":"DE","employees":450,
            "intent":86.0,"source":"web","created_at":"2026-11-24T14:55:00Z","tags":[]}"#,
        r#"{"id":"L-2","email":"sam@gmail.com","company":"Self","country":"US","state":"OH",
            "intent":12.0,"source":"paid","created_at":"2026-11-24T14:58:00Z","tags":[]}"#,
        r#"{"id":"L-3","email":"oops@example.com","intent":"very high"}"#,
    ];
    for text in leads {
        let decision = engine.route_str(text, now);
        match decision.outcome {
            Outcome::Assigned => println!("{} -> rep {}", decision.lead_id, decision.rep.as_deref().unwrap_or("?")),
            Outcome::Queued => println!("{} -> queue {}", decision.lead_id, decision.queue.as_deref().unwrap_or("?")),
            Outcome::Dropped => println!("{} dropped: {}", decision.lead_id, decision.reason.as_deref().unwrap_or("")),
            // The same problems as a typed error (`LeadError`), each naming its field.
            Outcome::Rejected => match engine.read_lead_str(text) {
                Err(e) => println!("{e}"),
                Ok(_) => println!("{} rejected", decision.lead_id),
            },
        }
        // "Why did this lead go there?" — the readable explanation with its trace.
        print!("{}", decision.to_human());
        println!();
    }
    Ok(())
}

fn build_policy_json() -> Result<String, String> {
    let mut sources = leadroute_compiler::SourceSet::new();
    sources.add(leadroute_compiler::SourceFile::new("inbound.route", include_str!("inbound.route")));
    let checked = leadroute_compiler::check(&sources);
    let ir = leadroute_compiler::lower::lower(&sources, &checked).ok_or("the policy has errors: run `leadroute check`")?;
    serde_json::to_string(&ir).map_err(|e| e.to_string())
}
