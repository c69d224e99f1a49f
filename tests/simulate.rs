//! `leadroute simulate` end to end: the real binary on the bundled example
//! and on small policies written here.

mod common;

use common::{root, run, TempDir};

const POLICY: &str = "examples/inbound.route";
const STATE: &str = "examples/state.json";

fn example(rel: &str) -> String {
    root().join(rel).display().to_string()
}

/// The example log's leads that are JSON objects, every one arriving at `at`.
fn leads_at(at: &str) -> String {
    let text = std::fs::read_to_string(root().join("examples/leads.ndjson")).expect("the example lead log");
    let mut out = String::new();
    for line in text.lines() {
        if let Ok(serde_json::Value::Object(mut lead)) = serde_json::from_str::<serde_json::Value>(line) {
            lead.insert("created_at".into(), serde_json::json!(at));
            out.push_str(&serde_json::Value::Object(lead).to_string());
            out.push('\n');
        }
    }
    out
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

#[test]
fn with_zero_response_time_at_one_instant_the_simulation_decides_as_route_does() {
    let dir = TempDir::new("sim-route");
    let at = "2026-11-24T17:00:00Z";
    let leads = dir.write("leads.ndjson", leads_at(at));
    let routed = run(&["route", &example(POLICY), "--leads", &leads, "--state", &example(STATE), "--now", at]);
    routed.expect_no_crash();
    let decisions = dir.join("sim.ndjson");
    run(&["simulate", &example(POLICY), "--leads", &leads, "--state", &example(STATE), "--response", "0", "--decisions", &decisions, "--format", "json"])
        .expect_code(0);
    let simulated = dir.read("sim.ndjson");
    let (a, b): (Vec<&str>, Vec<&str>) = (routed.stdout.lines().collect(), simulated.lines().collect());
    assert_eq!(a.len(), b.len(), "route and simulate decided a different number of leads");
    assert!(a.len() > 500);
    for (i, (r, s)) in a.iter().zip(&b).enumerate() {
        assert_eq!(r, s, "lead {} decided differently", i + 1);
    }
    let assigned = a.iter().filter(|l| l.contains("\"outcome\":\"assigned\"")).count();
    assert!(assigned > 50, "the comparison should cover real assignments, got {assigned}");
}

#[test]
fn the_same_seed_gives_the_same_report_and_another_seed_another() {
    let dir = TempDir::new("sim-seed");
    let args = |seed: &str, report: &str| {
        vec![
            "simulate".to_string(),
            example(POLICY),
            "--leads".into(),
            example("examples/leads.ndjson"),
            "--state".into(),
            example(STATE),
            "--seed".into(),
            seed.into(),
            "--format".into(),
            "json".into(),
            "--report".into(),
            dir.join(report),
        ]
    };
    let one = run(&args("7", "one"));
    one.expect_code(0);
    let two = run(&args("7", "two"));
    two.expect_code(0);
    assert_eq!(one.stdout, two.stdout, "the same seed must give a byte-identical JSON summary");
    assert_eq!(dir.read("one/index.html"), dir.read("two/index.html"), "the same seed must give the same page");
    let other = run(&args("8", "three"));
    other.expect_code(0);
    assert_ne!(one.stdout, other.stdout, "another seed should draw other response times");
    let summary = json(&one.stdout);
    assert_eq!(summary["simulation"]["seed"], 7);
    assert_eq!(summary["simulation"]["skipped_lines"], 5, "the example log has five leads without a usable created_at");
}

/// Decodes a PNG to (width, height, RGB(A) bytes, channels).
fn decode(path: &std::path::Path) -> (u32, u32, Vec<u8>, usize) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf, info.color_type.samples())
}

#[test]
fn the_report_is_one_offline_page_with_charts_that_have_data_in_them() {
    let dir = TempDir::new("sim-report");
    let report = dir.path().join("report");
    run(&["simulate", &example(POLICY), "--leads", &example("examples/leads.ndjson"), "--state", &example(STATE), "--report", &report.display().to_string()])
        .expect_code(0);
    let page = std::fs::read_to_string(report.join("index.html")).expect("index.html");
    for chart in ["load.png", "queues.png", "leads-over-time.png", "sla-breaches.png", "leads-per-rep.png"] {
        let (w, h, pixels, channels) = decode(&report.join(chart));
        assert!(w >= 600 && h >= 300, "{chart}: {w}x{h}");
        let colours: std::collections::BTreeSet<&[u8]> = pixels.chunks(channels).collect();
        assert!(colours.len() > 8, "{chart} is (nearly) blank: {} colours", colours.len());
        // Data, not just axes: a good share of the pixels are coloured (not white/grey).
        let coloured = pixels.chunks(channels).filter(|p| p[..3].iter().max().unwrap_or(&0) - p[..3].iter().min().unwrap_or(&0) > 60).count();
        assert!(coloured > 500, "{chart} has only {coloured} coloured pixels");
        assert!(page.contains(chart), "the page names {chart}");
    }
    assert_eq!(page.matches("src=\"data:image/png;base64,").count(), 5, "every chart is embedded in the page");
    for outside in ["http://", "https://", "<script", "<link"] {
        assert!(!page.contains(outside), "the page must work offline, but it has `{outside}`");
    }
    let summary = json(&std::fs::read_to_string(report.join("summary.json")).expect("summary.json"));
    assert!(summary["simulation"]["policies"][0]["reps"]["sid"]["assigned"].as_u64().unwrap_or(0) > 0);
}

#[test]
fn compare_simulates_both_policies_side_by_side_with_their_own_state() {
    let dir = TempDir::new("sim-compare");
    let source = std::fs::read_to_string(root().join(POLICY)).expect("the example policy");
    let hotter = source.replace("tier hot  when intent >= 80.0", "tier hot  when intent >= 50.0");
    assert_ne!(source, hotter, "the example's hot tier moved; update this test");
    let candidate = dir.write("candidate.route", hotter);
    let report = dir.join("report");
    let out = run(&[
        "simulate", &candidate, "--compare", &example(POLICY), "--leads", &example("examples/leads.ndjson"), "--state", &example(STATE), "--format", "json",
        "--report", &report,
    ]);
    out.expect_code(0);
    let summary = json(&out.stdout);
    let policies = summary["simulation"]["policies"].as_array().expect("policies");
    assert_eq!(policies.len(), 2);
    assert!(policies[0]["file"].as_str().unwrap_or("").ends_with("candidate.route"));
    assert!(policies[1]["file"].as_str().unwrap_or("").ends_with("inbound.route"));
    let hot = |p: &serde_json::Value| p["tiers"]["hot"]["leads"].as_u64().unwrap_or(0);
    assert!(hot(&policies[0]) > hot(&policies[1]), "the candidate has more hot leads: {} vs {}", hot(&policies[0]), hot(&policies[1]));
    // Each started from the state file: the same start load, not one run's leftovers.
    assert_eq!(policies[0]["reps"]["sam"]["start_load"], 41);
    assert_eq!(policies[1]["reps"]["sam"]["start_load"], 41);
    for chart in ["compare-load.png", "compare-queues.png"] {
        assert!(std::path::Path::new(&report).join(chart).exists(), "{chart}");
    }
    let human = run(&["simulate", &candidate, "--compare", &example(POLICY), "--leads", &example("examples/leads.ndjson")]);
    human.expect_code(0);
    assert!(human.stdout.contains("candidate.route") && human.stdout.contains("inbound.route"), "{}", human.stdout);
}

const TINY: &str = r#"policy tiny {
  owner "ops@x.example"
  timezone "UTC"
}
schema lead {
  id: string
  intent: float
  created_at: time
}
rep ana { email "ana@x.example"  timezone "Asia/Tokyo"  capacity 2 per day }
team solo { members [ana] }
queue overflow { owner "ops@x.example"  sla 1h }
tier hot  when intent >= 80.0  sla 5m
tier cold otherwise            sla 1h
route main {
  otherwise -> assign team solo
}
on no_available_rep -> queue overflow
"#;

#[test]
fn daily_caps_reset_at_the_reps_local_midnight_in_simulated_time() {
    let dir = TempDir::new("sim-days");
    let policy = dir.write("tiny.route", TINY);
    // 10:00-12:00 UTC is 19:00-21:00 in Tokyo; 15:30 UTC is past Tokyo's midnight.
    let times = ["2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z", "2026-01-05T12:00:00Z", "2026-01-05T15:30:00Z", "2026-01-05T16:00:00Z", "2026-01-05T17:00:00Z"];
    let leads: String = times.iter().enumerate().map(|(i, t)| format!("{{\"id\":\"L{i}\",\"intent\":10.0,\"created_at\":\"{t}\"}}\n")).collect();
    let leads = dir.write("leads.ndjson", leads);
    let out = run(&["simulate", &policy, "--leads", &leads, "--format", "json"]);
    out.expect_code(0);
    let p = &json(&out.stdout)["simulation"]["policies"][0];
    assert_eq!(p["outcomes"]["assigned"], 4, "two a Tokyo day on two Tokyo days: {p}");
    assert_eq!(p["outcomes"]["queued"], 2);
    assert_eq!(p["reps"]["ana"]["peak_day"], 2);
    // A response releases load: with instant responses nothing stays open.
    let out = run(&["simulate", &policy, "--leads", &leads, "--format", "json", "--response", "0"]);
    assert_eq!(json(&out.stdout)["simulation"]["policies"][0]["reps"]["ana"]["end_load"], 0);
}

#[test]
fn a_rate_spreads_leads_over_time_and_a_slow_response_breaches_the_sla() {
    let dir = TempDir::new("sim-rate");
    let policy = dir.write("tiny.route", TINY);
    let leads: String = (0..40).map(|i| format!("{{\"id\":\"L{i}\",\"intent\":90.0,\"created_at\":\"2026-01-05T10:00:00Z\"}}\n")).collect();
    let leads = dir.write("leads.ndjson", leads);
    let out = run(&["simulate", &policy, "--leads", &leads, "--rate", "2", "--start", "2026-01-05T00:00:00Z", "--response", "hot=1h", "--response-dist", "fixed", "--format", "json"]);
    out.expect_code(0);
    let sim = &json(&out.stdout)["simulation"];
    assert!(sim["to"].as_str().unwrap_or("") > "2026-01-06", "40 leads at 2 an hour take most of a day: {sim}");
    let hot = &sim["policies"][0]["tiers"]["hot"];
    assert_eq!(hot["leads"], 40);
    let assigned = sim["policies"][0]["outcomes"]["assigned"].as_u64().unwrap_or(0);
    assert!(assigned >= 2, "{sim}");
    assert_eq!(sim["policies"][0]["reps"]["ana"]["sla_breaches"].as_u64(), Some(assigned), "a 1h response misses a 5m SLA every time");
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = TempDir::new("sim-bad");
    let policy = example(POLICY);
    let missing = dir.join("nope.ndjson");
    run(&["simulate", &policy, "--leads", &missing]).expect_code(2).expect_one_line_error(&["cannot read", "nope.ndjson"]);
    let folder = dir.path().display().to_string();
    run(&["simulate", &policy, "--leads", &folder]).expect_code(2).expect_one_line_error(&["folder"]);
    let leads = example("examples/leads.ndjson");
    run(&["simulate", &policy, "--leads", &leads, "--response", "hot=soon"]).expect_code(2).expect_one_line_error(&["--response", "soon"]);
    run(&["simulate", &policy, "--leads", &leads, "--state", &missing]).expect_code(2).expect_one_line_error(&["--state", "nope.ndjson"]);
    let state = dir.write("state.json", "{\"reps\": {\"alice\": {\"open_load\": -3}}}");
    run(&["simulate", &policy, "--leads", &leads, "--state", &state]).expect_code(2).expect_one_line_error(&["--state"]);
    run(&["simulate", &policy, "--leads", &leads, "--arrival-field", "arrived"]).expect_code(2);
    let garbled = dir.write("garbled.ndjson", "{\"id\":\"L1\",\"email\":\"a@b.example\",\"created_at\":\"2026-01-05T15:00:00Z\"}\n{not json\n");
    let out = run(&["simulate", &policy, "--leads", &garbled]);
    out.expect_code(0);
    assert!(out.stderr.contains("line 2: not JSON"), "{}", out.stderr);
    assert!(out.stderr.contains("line 1: lead L1"), "the invalid lead is named with its line: {}", out.stderr);
    let broken = dir.write("broken.route", "policy broken {");
    assert_eq!(run(&["simulate", &broken, "--leads", &leads]).code(), 1);
}
