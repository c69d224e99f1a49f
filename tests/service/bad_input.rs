//! Bad input gets a clear 4xx with a JSON error; the server keeps serving
//! and nothing accepted is lost.

use crate::harness::*;

fn code(a: &Answer) -> &str {
    a.json["error"]["code"].as_str().unwrap_or_else(|| panic!("no JSON error body: {} {}", a.status, a.text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_gets_a_clear_4xx_and_the_server_keeps_serving() {
    let db = sqlite("bad");
    let token = "s3cret-token-for-tests-0123456789";
    let mut start = Start::new(&db);
    start.env.push(("LEADROUTE_TOKEN".into(), token.into()));
    start.args.extend(["--body-limit".to_string(), "4096".to_string()]);
    let server = Server::start(&start);
    let c = client();
    let base = &server.base;
    let auth = format!("Bearer {token}");
    let with = |req: reqwest::RequestBuilder| req.header("authorization", auth.clone());
    let ok = send(with(c.post(format!("{base}/v1/leads"))).body(lead("B-ok", false))).await.expect("answers");
    assert_eq!(ok.status, 200, "{}", ok.text);

    // Tokens: missing and wrong are 401, for reads too (leads are personal data).
    let a = send(c.post(format!("{base}/v1/leads")).body(lead("B-1", false))).await.expect("answers");
    assert_eq!((a.status, code(&a)), (401, "token_required"));
    let a = send(c.post(format!("{base}/v1/leads")).header("authorization", "Bearer nope").body(lead("B-1", false))).await.expect("answers");
    assert_eq!((a.status, code(&a)), (401, "bad_token"));
    assert_eq!(get(&c, format!("{base}/v1/reps")).await.status, 401);
    assert_eq!(send(with(c.get(format!("{base}/v1/reps")))).await.expect("answers").status, 200);

    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        ("malformed JSON", with(c.post(format!("{base}/v1/leads"))).body("{\"id\": \"B-2\", "), 400, "malformed_lead"),
        ("not an object", with(c.post(format!("{base}/v1/leads"))).body("[1, 2]"), 400, "malformed_lead"),
        ("duplicate key", with(c.post(format!("{base}/v1/leads"))).body(r#"{"id": "B-6", "email": "a@example.com", "intent": 20, "source": "web", "email": "b@example.com"}"#), 400, "malformed_lead"),
        ("no id", with(c.post(format!("{base}/v1/leads"))).body(r#"{"email": "x@example.com"}"#), 422, "invalid_lead"),
        ("wrong types", with(c.post(format!("{base}/v1/leads"))).body(r#"{"id": "B-3", "email": 7, "intent": "high", "source": "fax"}"#), 422, "invalid_lead"),
        ("too large", with(c.post(format!("{base}/v1/leads"))).body(format!("{{\"id\": \"B-4\", \"email\": \"{}\"}}", "x".repeat(10_000))), 413, "body_too_large"),
        ("not UTF-8", with(c.post(format!("{base}/v1/leads"))).body(vec![0xff, 0xfe, 0x7b]), 400, "not_utf8"),
        ("unknown path", with(c.get(format!("{base}/v1/nothing"))), 404, "no_such_route"),
        ("wrong method", with(c.delete(format!("{base}/v1/leads"))), 405, "method_not_allowed"),
        ("unknown lead", with(c.get(format!("{base}/v1/leads/nobody"))), 404, "not_found"),
        ("bad explain", with(c.get(format!("{base}/v1/leads/B-ok?explain=maybe"))), 400, "bad_query"),
        ("unknown rep", with(c.patch(format!("{base}/v1/reps/zed"))).body(r#"{"active": false}"#), 404, "not_found"),
        ("bad rep field", with(c.patch(format!("{base}/v1/reps/r1"))).body(r#"{"active": "no"}"#), 422, "invalid_rep_change"),
        ("unknown rep field", with(c.patch(format!("{base}/v1/reps/r1"))).body(r#"{"open_load": 0}"#), 422, "invalid_rep_change"),
        ("unknown event", with(c.post(format!("{base}/v1/leads/B-ok/events"))).body(r#"{"event": "won"}"#), 422, "unknown_event"),
        ("event on unknown lead", with(c.post(format!("{base}/v1/leads/nobody/events"))).body(r#"{"event": "released"}"#), 404, "not_found"),
        ("policy with errors", with(c.post(format!("{base}/v1/policies"))).body(r#"{"sources": {"p.route": "policy p { owner \"x\" }\nroute r { otherwise -> assign team nobody }"}}"#), 422, "policy_has_errors"),
        ("not a policy IR", with(c.post(format!("{base}/v1/policies"))).body(r#"{"ir": {"name": 1}}"#), 422, "bad_policy_ir"),
        ("unknown version", with(c.post(format!("{base}/v1/policies/sha256:0000/activate"))), 404, "not_found"),
        ("unknown audit kind", with(c.get(format!("{base}/v1/audit?kind=everything"))), 400, "bad_query"),
    ];
    for (what, req, status, want) in cases {
        let a = send(req).await.expect("the server answers");
        assert_eq!(a.status, status, "{what}: {}", a.text);
        assert_eq!(code(&a), want, "{what}: {}", a.text);
        assert!(a.json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}");
    }
    // A key written twice is named.
    let a = send(with(c.post(format!("{base}/v1/leads"))).body(r#"{"id": "B-6", "id": "B-7", "email": "a@example.com", "intent": 20, "source": "web"}"#)).await.expect("answers");
    assert_eq!(a.status, 400, "{}", a.text);
    assert!(a.json["error"]["message"].as_str().is_some_and(|m| m.contains("`id` appears more than once")), "{}", a.text);
    // Per-field errors name the field and say what was expected.
    let a = send(with(c.post(format!("{base}/v1/leads"))).body(r#"{"id": "B-5", "email": 7, "intent": 1, "source": "web"}"#)).await.expect("answers");
    let details = a.json["error"]["details"].as_array().expect("per-field errors");
    assert!(details.iter().any(|d| d["field"] == "email" && d["expected"] == "string"), "{}", a.text);
    // A policy with errors comes back with its diagnostics, and the active version is unchanged.
    let p = send(with(c.post(format!("{base}/v1/policies"))).body(r#"{"sources": {"p.route": "route r { otherwise -> assign team nobody }"}}"#)).await.expect("answers");
    assert!(p.json["error"]["details"].as_array().is_some_and(|d| d.iter().any(|x| x["code"].as_str().is_some_and(|c| c.starts_with('E')))), "{}", p.text);

    // A batch: good lines are decided, bad lines answered in place.
    let batch = format!("{}\n{{oops\n\n{}\n{}\n", lead("B-10", false), lead("B-11", true), r#"{"id": "B-12", "intent": "x"}"#);
    let b = send(with(c.post(format!("{base}/v1/leads/batch"))).body(batch)).await.expect("answers");
    assert_eq!(b.status, 200);
    let lines: Vec<serde_json::Value> = b.text.lines().map(|l| serde_json::from_str(l).expect("NDJSON")).collect();
    assert_eq!(lines.len(), 4, "{}", b.text);
    assert_eq!(lines[0]["lead_id"], "B-10");
    assert_eq!((lines[1]["outcome"].clone(), lines[1]["line"].clone()), ("rejected".into(), 2.into()));
    assert_eq!(lines[2]["lead_id"], "B-11");
    assert_eq!((lines[3]["outcome"].clone(), lines[3]["line"].clone()), ("rejected".into(), 5.into()));
    // On its own connection: the server answers 413 and closes it while the
    // body is still being sent, and that connection must not be reused below.
    let big = "x".repeat(40 * 1024 * 1024);
    let t = send(with(client().post(format!("{base}/v1/leads/batch"))).body(big)).await;
    assert!(t.map(|a| a.status == 413).unwrap_or(true), "an oversized batch is refused (or the connection closed)");

    // Still serving; what was accepted is there; rejections are recorded.
    let after = send(with(c.post(format!("{base}/v1/leads"))).body(lead("B-last", true))).await.expect("answers");
    assert_eq!(after.status, 200);
    for id in ["B-ok", "B-10", "B-11", "B-last"] {
        assert_eq!(send(with(c.get(format!("{base}/v1/leads/{id}")))).await.expect("answers").status, 200, "{id}");
    }
    let log = send(with(c.get(format!("{base}/v1/audit")))).await.expect("answers");
    assert_eq!(log.status, 200, "{}", log.text);
    let entries: Vec<serde_json::Value> = log.text.lines().map(|l| serde_json::from_str(l).expect("audit lines are JSON")).collect();
    assert!(entries.iter().filter(|e| e["kind"] == "rejection").count() >= 6);
    assert!(entries.iter().any(|e| e["kind"] == "rejection" && e["lead_id"] == "B-3"));
    let doc = get(&c, format!("{base}/openapi.json")).await;
    for path in ["/v1/leads", "/v1/leads/batch", "/v1/leads/{id}", "/v1/reps/{id}", "/v1/policies/{version}/activate", "/v1/audit", "/readyz"] {
        assert!(doc.json["paths"][path].is_object(), "the OpenAPI document lists {path}");
    }
    let m = get(&c, format!("{base}/metrics")).await;
    assert!(m.text.contains("leadroute_decisions_total{"), "{}", m.text);
    assert!(m.text.contains("leadroute_request_seconds_bucket"));
    assert!(!server.stderr().contains("panicked"));
}

#[test]
fn serve_refuses_a_public_address_without_a_token() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leadroute"))
        .args(["serve", &policy_path().display().to_string(), "--listen", "0.0.0.0:0", "--db"])
        .arg(scratch("public").join("x.db"))
        .env_remove("LEADROUTE_TOKEN")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refusing to listen on 0.0.0.0:0 without a token"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ir_changed_after_build_is_refused_and_an_unchanged_one_keeps_its_version() {
    let db = sqlite("ir-edited");
    let server = Server::start(&Start::new(&db));
    let c = client();
    let base = &server.base;
    // The policy as `leadroute build` writes it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leadroute")).arg("build").arg(policy_path()).output().expect("run leadroute build");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ir: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the IR is JSON");
    let version = ir["policy_version"].as_str().expect("a version").to_string();
    let a = post(&c, format!("{base}/v1/policies"), serde_json::json!({ "ir": ir }).to_string()).await.expect("answers");
    assert!(a.status == 200 || a.status == 201, "{}", a.text);
    assert_eq!(a.json["version"], version.as_str());
    // A hand edit of what it does, under the same version string: refused, saying why.
    let mut edited = ir.clone();
    edited["tiers"][0]["sla_ms"] = serde_json::json!(1);
    let a = post(&c, format!("{base}/v1/policies"), serde_json::json!({ "ir": edited }).to_string()).await.expect("answers");
    assert_eq!((a.status, code(&a)), (422, "bad_policy_ir"), "{}", a.text);
    let message = a.json["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains(&version) && message.contains("leadroute build"), "{message}");
    // What does not change behaviour (the digest of the source text) keeps the version: the same one, already stored.
    let mut same = ir.clone();
    same["source_digest"] = serde_json::json!("sha256:0000");
    let a = post(&c, format!("{base}/v1/policies"), serde_json::json!({ "ir": same }).to_string()).await.expect("answers");
    assert_eq!((a.status, a.json["stored"].clone()), (200, serde_json::json!(false)), "{}", a.text);
    assert_eq!(a.json["version"], version.as_str());
}
