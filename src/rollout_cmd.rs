//! `leadroute rollout`: shadow and canary rollouts on a running service.

use std::path::PathBuf;

use leadroute_service::client::call;

use crate::cli::{RolloutAction, RolloutArgs, RunFormat};
use crate::policy_src;

fn token(args: &RolloutArgs) -> Result<Option<String>, String> {
    match &args.token_file {
        Some(p) => std::fs::read_to_string(p).map(|t| Some(t.trim().to_string())).map_err(|e| format!("cannot read --token-file `{}`: {e}", p.display())),
        None => Ok(std::env::var("LEADROUTE_TOKEN").ok().filter(|t| !t.is_empty())),
    }
}

fn guardrail(text: &str) -> Result<serde_json::Value, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let bad = || format!("--guardrail {text:?}: write METRIC:POINTS:MIN_LEADS, e.g. queued:5:200 (metrics: queued, dropped, no_available_rep)");
    let [metric, points, min] = parts.as_slice() else { return Err(bad()) };
    if !["queued", "dropped", "no_available_rep"].contains(metric) {
        return Err(bad());
    }
    let points: f64 = points.parse().ok().filter(|p: &f64| p.is_finite() && *p >= 0.0).ok_or_else(bad)?;
    let min: u64 = min.parse().map_err(|_| bad())?;
    Ok(serde_json::json!({ "metric": metric, "max_increase_points": points, "min_leads": min }))
}

/// The version to roll out: given as `sha256:...`, or built from files and stored.
fn version_of(args: &RolloutArgs, candidate: &[PathBuf], token: Option<&str>) -> Result<String, u8> {
    if let [one] = candidate {
        let s = one.to_string_lossy();
        if s.starts_with("sha256:") && !one.exists() {
            return Ok(s.into_owned());
        }
    }
    let ir = policy_src::load(candidate).map_err(|f| f.status)?;
    let body = serde_json::json!({ "ir": ir, "message": "rollout candidate from `leadroute rollout start`" }).to_string();
    match call(&args.url, "POST", "/v1/policies", Some(body), token) {
        Ok((200 | 201, v)) => Ok(v["version"].as_str().unwrap_or_default().to_string()),
        Ok((status, v)) => {
            eprintln!("leadroute rollout: the service refused the candidate ({status}): {}", message(&v));
            Err(1)
        }
        Err(e) => {
            eprintln!("leadroute rollout: {e}");
            Err(2)
        }
    }
}

fn message(v: &serde_json::Value) -> String {
    match v["error"]["message"].as_str() {
        Some(m) => match v["error"]["help"].as_str() {
            Some(h) => format!("{m} ({h})"),
            None => m.to_string(),
        },
        None => v.to_string(),
    }
}

fn human(v: &serde_json::Value) -> String {
    if v["rollout"].is_null() {
        return "no rollout has run on this service\n".into();
    }
    let mut out = format!(
        "rollout {} ({}): {} {} over {}{}\n",
        v["rollout"],
        v["status"].as_str().unwrap_or("?"),
        v["mode"].as_str().unwrap_or("?"),
        v["candidate"].as_str().unwrap_or("?"),
        v["base"].as_str().unwrap_or("?"),
        v["reason"].as_str().map(|r| format!(" — {r}")).unwrap_or_default()
    );
    if let Some(t) = v["transitions"].as_array().filter(|t| !t.is_empty()) {
        out.push_str(&format!("{} leads, {} ({:.1}%) change destination:\n", v["leads"], v["changed"], v["changed_share"].as_f64().unwrap_or(0.0)));
        for x in t {
            let samples: Vec<&str> = x["sample_leads"].as_array().map(|s| s.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
            out.push_str(&format!(
                "  {:<28} -> {:<28} {:>7}  {:>5.1}%  {}\n",
                x["from"].as_str().unwrap_or(""),
                x["to"].as_str().unwrap_or(""),
                x["count"],
                x["share"].as_f64().unwrap_or(0.0),
                samples.join(", ")
            ));
        }
    }
    for (who, counts) in [("active", &v["active"]), ("candidate", &v["candidate_counts"])] {
        out.push_str(&format!("{who:<10} {} leads: {} queued, {} dropped, {} no_available_rep\n", counts["n"], counts["queued"], counts["dropped"], counts["no_available_rep"]));
    }
    for g in v["guardrails"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "guardrail {}: candidate {:.1}% vs active {:.1}% — {}\n",
            g["guardrail"]["metric"].as_str().unwrap_or("?"),
            g["candidate_share"].as_f64().unwrap_or(0.0),
            g["active_share"].as_f64().unwrap_or(0.0),
            if g["judged"] != true { "not judged yet" } else if g["holds"] == true { "holds" } else { "broken" }
        ));
    }
    out
}

/// Runs the command: 0 on success, 1 when the service refuses, 2 when it cannot be reached.
pub fn run(args: &RolloutArgs) -> u8 {
    let token = match token(args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("leadroute rollout: {e}");
            return 2;
        }
    };
    let token = token.as_deref();
    let (method, path, body) = match &args.action {
        RolloutAction::Start { candidate, mode, percent, guardrail: rails } => {
            let mut guardrails = Vec::new();
            for g in rails {
                match guardrail(g) {
                    Ok(v) => guardrails.push(v),
                    Err(e) => {
                        eprintln!("leadroute rollout: {e}");
                        return 2;
                    }
                }
            }
            let version = match version_of(args, candidate, token) {
                Ok(v) => v,
                Err(code) => return code,
            };
            let mut body = serde_json::json!({ "version": version, "mode": mode, "guardrails": guardrails });
            if let Some(p) = percent {
                body["percent"] = (*p).into();
            }
            ("POST", "/v1/rollout", Some(body.to_string()))
        }
        RolloutAction::Status => ("GET", "/v1/rollout", None),
        RolloutAction::Promote => ("POST", "/v1/rollout/promote", None),
        RolloutAction::Stop { reason } => ("POST", "/v1/rollout/stop", Some(serde_json::json!({ "reason": reason }).to_string())),
    };
    match call(&args.url, method, path, body, token) {
        Ok((status, v)) if status < 300 => {
            let text = match (args.format, &args.action) {
                (RunFormat::Json, _) => format!("{v}\n"),
                (RunFormat::Human, RolloutAction::Status) => human(&v),
                (RunFormat::Human, _) => format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default()),
            };
            print!("{text}");
            0
        }
        Ok((status, v)) => {
            eprintln!("leadroute rollout: the service answered {status}: {}", message(&v));
            1
        }
        Err(e) => {
            eprintln!("leadroute rollout: {e}");
            2
        }
    }
}
