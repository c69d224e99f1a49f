//! `leadroute serve`: load the policy, read the token, start the service.

use std::sync::Arc;

use leadroute_service::clock::{Clock, ManualClock, OffsetClock, SystemClock};
use leadroute_service::config::ServiceConfig;
use leadroute_service::{api::Limits, Config};

use crate::cli::ServeArgs;
use crate::policy_src;

fn token(args: &ServeArgs) -> Result<Option<String>, String> {
    let token = match &args.token_file {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| format!("cannot read --token-file `{}`: {e}", path.display()))?),
        None => std::env::var("LEADROUTE_TOKEN").ok(),
    };
    match token.map(|t| t.trim().to_string()) {
        Some(t) if t.is_empty() => Err("the token is empty; put a long random string in --token-file or LEADROUTE_TOKEN".into()),
        Some(t) if t.len() < 16 => Err("the token is shorter than 16 characters; use a long random string (e.g. `openssl rand -hex 32`)".into()),
        other => Ok(other),
    }
}

/// Runs the service; returns the exit status (0 after a clean stop, 2 when it cannot start).
pub fn run(args: &ServeArgs) -> u8 {
    let (ir, sources) = match policy_src::load_with_sources(&args.policy) {
        Ok(x) => x,
        Err(f) => return f.status,
    };
    let token = match token(args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("leadroute serve: {e}");
            return 2;
        }
    };
    let mut manual_clock = None;
    if let Some(t) = &args.manual_clock {
        match leadroute_runtime::parse_time(t) {
            Some(ms) => manual_clock = Some(Arc::new(ManualClock::new(ms))),
            None => {
                eprintln!("leadroute serve: --manual-clock {t:?} is not an RFC 3339 time like 2026-11-24T15:00:00Z");
                return 2;
            }
        }
    }
    let service = match policy_src::read_optional("serve", "--config", args.config.as_deref()) {
        Ok(None) => ServiceConfig::default(),
        Ok(Some(text)) => match ServiceConfig::parse(&text, |v| std::env::var(v).ok()) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("leadroute serve: {}: {e}", args.config.as_deref().map(|p| p.display().to_string()).unwrap_or_default());
                return 2;
            }
        },
        Err(f) => return f.status,
    };
    if !args.listen.ip().is_loopback() && token.is_none() && service.access.tokens.is_empty() {
        eprintln!(
            "leadroute serve: refusing to listen on {} without a token: anyone who can reach it could route and change reps; \
             give --token-file FILE, LEADROUTE_TOKEN or [[access.token]] in --config, or listen on 127.0.0.1",
            args.listen
        );
        return 2;
    }
    let clock: Arc<dyn Clock> = match &args.clock {
        None if manual_clock.is_some() => manual_clock.clone().map(|c| c as Arc<dyn Clock>).unwrap_or_else(|| Arc::new(SystemClock)),
        None => Arc::new(SystemClock),
        Some(t) => match leadroute_runtime::parse_time(t) {
            Some(ms) => Arc::new(OffsetClock::new(ms)),
            None => {
                eprintln!("leadroute serve: --clock {t:?} is not an RFC 3339 time like 2026-11-24T15:00:00Z");
                return 2;
            }
        },
    };
    let seed_state = match policy_src::read_optional("serve", "--state", args.state.as_deref()) {
        Ok(s) => s,
        Err(f) => return f.status,
    };
    let config = Config {
        db: args.db.clone(),
        listen: args.listen,
        ir,
        seed_state,
        token,
        sources,
        clock,
        limits: Limits { body: args.body_limit, batch_body: args.batch_limit },
        service,
        manual_clock,
    };
    match leadroute_service::run_blocking(config) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("leadroute serve: {e}");
            2
        }
    }
}

