//! The workbench, used as a person would: in a real (headless) Chromium
//! against a real `leadroute serve`, signed in with named tokens. Screenshots
//! of every page land in `target/workbench-screenshots/`.

use std::time::Duration;

use fantoccini::Locator;

use super::browser::Browser;
use super::harness::{client, get, post, send, sqlite, Server, Start};

const ANA: &str = "ana-operator-token-0123456789";
const VIC: &str = "vic-viewer-token-0123456789ab";
const SERVICE: &str = "service-token-for-tests-0123456789";

const ACCESS: &str = "[[access.token]]\nname = \"ana\"\nrole = \"operator\"\ntoken_env = \"LR_TEST_TOKEN_ANA\"\n\
[[access.token]]\nname = \"vic\"\nrole = \"viewer\"\ntoken_env = \"LR_TEST_TOKEN_VIC\"\n";

fn ops_policy() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/service/ops_policy.route")
}

/// A service with the operations policy and three tokens: the service
/// token, ana (operator) and vic (viewer).
pub fn start_with_tokens(name: &str) -> Server {
    let db = sqlite(name);
    let config = super::harness::scratch(name).join("service.toml");
    std::fs::write(&config, ACCESS).expect("write the config");
    let mut s = Start::new(&db);
    s.policy = ops_policy();
    s.args.extend(["--config".to_string(), config.display().to_string()]);
    s.env.push(("LEADROUTE_TOKEN".into(), SERVICE.into()));
    s.env.push(("LR_TEST_TOKEN_ANA".into(), ANA.into()));
    s.env.push(("LR_TEST_TOKEN_VIC".into(), VIC.into()));
    Server::start(&s)
}

fn warm(id: &str) -> String {
    serde_json::json!({ "id": id, "email": format!("{id}@example.com"), "intent": 50.0, "source": "web" }).to_string()
}

async fn api_post(c: &reqwest::Client, url: String, token: &str, body: String) -> super::harness::Answer {
    send(c.post(url).bearer_auth(token).header("content-type", "application/json").body(body)).await.expect("the service answers")
}

async fn api_get(c: &reqwest::Client, url: String, token: &str) -> super::harness::Answer {
    send(c.get(url).bearer_auth(token)).await.expect("the service answers")
}

/// Signs in through the sign-in page.
async fn sign_in(b: &Browser, base: &str, token: &str) {
    b.client.delete_all_cookies().await.ok();
    b.open(&format!("{base}/")).await;
    // Without a session, `/` sends you to the sign-in page.
    let field = b.wait("#token").await;
    field.send_keys(token).await.expect("type the token");
    b.click("form.signin button[type=submit]").await;
    b.wait("#main h1").await;
}

/// Every form control has a label a screen reader reads, and every button a name.
const LABELLED: &str = "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')].every(e => \
  e.getAttribute('aria-label') || e.closest('label') || (e.id && document.querySelector('label[for=\"' + e.id + '\"]'))) && \
  [...document.querySelectorAll('button')].every(b => (b.getAttribute('aria-label') || b.textContent).trim().length > 0)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_works_the_queue_reads_why_and_rolls_back_in_a_real_browser() {
    let Some(b) = Browser::start("operator").await else { return };
    let server = start_with_tokens("workbench");
    let c = client();
    let base = server.base.clone();

    // A second policy version (warm leads go straight to the team), stored by ana and active.
    let v1 = api_get(&c, format!("{base}/v1/policies"), VIC).await.json["active"].as_str().expect("an active version").to_string();
    let source = std::fs::read_to_string(ops_policy()).expect("read the policy").replace("warm: when tier == warm -> queue triage", "warm: when tier == warm -> assign team aes");
    let up = api_post(&c, format!("{base}/v1/policies"), ANA,
        serde_json::json!({ "sources": { "ops_policy.route": source }, "message": "warm leads straight to the AEs", "activate": true }).to_string()).await;
    assert_eq!(up.status, 201, "{}", up.text);
    let v2 = up.json["version"].as_str().expect("a version").to_string();
    // Roll back by API first (the UI roll back comes later): the queue needs v1's triage queue.
    let back = api_post(&c, format!("{base}/v1/policies/{v1}/activate"), SERVICE, "{}".into()).await;
    assert_eq!(back.status, 200, "{}", back.text);

    // The sign-in page refuses a wrong token, with a message.
    b.client.delete_all_cookies().await.ok();
    b.open(&format!("{base}/")).await;
    b.wait("#token").await.send_keys("not-the-token-at-all-000").await.expect("type");
    b.click("form.signin button[type=submit]").await;
    let err = b.text("#login-error").await;
    assert!(err.contains("not valid"), "{err}");
    b.shot("01-sign-in-refused").await;

    sign_in(&b, &base, ANA).await;
    b.wait("#empty").await;
    assert!(b.text("#me").await.contains("ana · operator"));

    // A lead arrives while the page is open: its work item appears without a reload.
    let a = api_post(&c, format!("{base}/v1/leads"), SERVICE, warm("W-1")).await;
    assert_eq!((a.status, a.json["queue"].as_str()), (200, Some("triage")), "{}", a.text);
    b.wait(r#"tr[data-lead="W-1"]"#).await;
    b.until("the SLA countdown runs", r#"return /due in \d+m/.test(document.querySelector('tr[data-lead="W-1"] .due').textContent)"#).await;
    b.until("every control is labelled", LABELLED).await;
    b.shot("02-queues").await;

    // Claim, then reassign to a2 (picked from who is available now).
    b.click(r#"button[aria-label="Claim lead W-1"]"#).await;
    b.until("claimed by ana", r#"return document.querySelector('tr[data-lead="W-1"]').innerText.includes('by ana')"#).await;
    // By keyboard: Enter on the focused Reassign button opens the dialog.
    b.wait(r#"button[aria-label="Reassign lead W-1"]"#).await.send_keys("\u{E007}").await.expect("press Enter");
    b.wait("#dialog[open] select").await.select_by_value("rep:a2").await.expect("pick a2");
    b.wait("#dialog[open] input[name=reason]").await.send_keys("named account").await.expect("type a reason");
    b.shot("03-reassign-dialog").await;
    b.click("#dialog-ok").await;
    b.until("the item leaves the open queue", r#"return !document.querySelector('tr[data-lead="W-1"]') && !document.querySelector('#dialog').open"#).await;

    // The lead page says where it is now and why it first went to triage, linked to the source.
    b.open(&format!("{base}/#/leads/W-1")).await;
    b.until("the lead moved to a2", r#"return (document.querySelector('#lead-destination') || {}).textContent === 'a2'"#).await;
    let trace = b.client.find_all(Locator::Css("#trace li")).await.expect("trace steps");
    assert!(trace.len() >= 3, "a trace through tiers and rules");
    let why = b.text("#trace").await;
    assert!(why.contains("intent >= 80.0") && why.contains("intent = 50"), "conditions and the values read: {why}");
    b.shot("04-lead").await;
    b.click("#trace a[href*='/source/']").await;
    b.until("the rule's line is marked", "return !!document.querySelector('#source li.here') && document.querySelector('#source li.here').textContent.includes('tier')").await;
    b.shot("05-policy-source").await;

    // The rep's load changed.
    b.open(&format!("{base}/#/reps")).await;
    b.until("a2 holds one lead", r#"return /1 \/ /.test(document.querySelector('tr[data-rep="a2"] td.load').textContent)"#).await;
    b.shot("06-reps").await;
    // Out of office: a3 leaves until tomorrow (the dialog's default), then comes back.
    b.click(r#"button[aria-label="Set a3 out of office"]"#).await;
    b.wait("#dialog[open] input[type=datetime-local]").await;
    b.click("#dialog-ok").await;
    b.until("a3 is away", r#"return document.querySelector('tr[data-rep="a3"]').textContent.includes('out of office') && document.querySelector('tr[data-rep="a3"]').textContent.includes('until')"#).await;
    b.until("until the next day by the service's clock", r#"return document.querySelector('tr[data-rep="a3"]').textContent.includes('Nov 25, 2026')"#).await;
    b.click(r#"button[aria-label="a3 is back now"]"#).await;
    b.until("a3 is back", r#"return document.querySelector('tr[data-rep="a3"] .badge.ok') !== null"#).await;

    // The dashboard's charts hold data.
    b.open(&format!("{base}/#/dashboard")).await;
    b.wait("#chart-outcomes svg").await;
    b.until("one decision counted", "return document.querySelector('#kpi-decisions .value').textContent === '1'").await;
    b.until("the outcome chart has a bar", "return document.querySelectorAll('#chart-outcomes svg rect').length >= 3").await;
    b.until("the rep chart has a bar per rep", "return document.querySelectorAll('#chart-reps svg rect').length >= 4").await;
    b.until("the open-items figure", "return document.querySelector('#kpi-open .value').textContent === '0'").await;
    b.shot("07-dashboard").await;

    // Policies: the diff between the two versions, then a roll back with confirmation.
    b.open(&format!("{base}/#/policies?from={}&to={}", v1, v2)).await;
    b.until("the semantic diff names the rule", "return (document.querySelector('#diff') || {textContent: ''}).textContent.includes('warm')").await;
    b.until("the replay of recent leads", "return /Of the last 1 leads/.test(document.querySelector('#diff-recent').textContent)").await;
    b.shot("08-policy-diff").await;
    // v2 is newer: activating it is not a roll back; activate it, then roll back to v1 in the page.
    b.click(&format!(r#"tr[data-version="{v2}"] button"#)).await;
    b.wait("#dialog[open]").await;
    b.click("#dialog-ok").await;
    b.until("v2 active", &format!(r#"return !!document.querySelector('tr[data-version="{v2}"] .badge.ok')"#)).await;
    b.click(&format!(r#"tr[data-version="{v1}"] button"#)).await;
    let title = b.text("#dialog-title").await;
    assert!(title.starts_with("Roll back to"), "{title}");
    b.shot("09-roll-back-confirm").await;
    b.click("#dialog-ok").await;
    b.until("v1 active again", &format!(r#"return !!document.querySelector('tr[data-version="{v1}"] .badge.ok')"#)).await;
    assert_eq!(api_get(&c, format!("{base}/v1/policies"), VIC).await.json["active"], v1.as_str());

    // Phone width: nothing spills sideways.
    b.client.set_window_size(390, 844).await.expect("resize");
    for (page, shot) in [("#/queues", "10-phone-queues"), ("#/leads/W-1", "11-phone-lead"), ("#/dashboard", "12-phone-dashboard")] {
        b.open(&format!("{base}/{page}")).await;
        b.wait("#main h1").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        b.until(&format!("{page} fits a phone"), "return document.documentElement.scrollWidth <= window.innerWidth + 1").await;
        b.shot(shot).await;
    }
    b.client.set_window_size(1280, 900).await.expect("resize");

    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");

    // Every action is in the audit log under ana's name.
    let log = api_get(&c, format!("{base}/v1/audit"), VIC).await;
    let entries: Vec<serde_json::Value> = log.text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let claim = entries.iter().find(|e| e["kind"] == "work_item" && e["action"] == "claimed").expect("the claim is audited");
    assert_eq!(claim["operator"], "ana");
    let moved = entries.iter().find(|e| e["kind"] == "override").expect("the reassignment is audited");
    assert_eq!((moved["operator"].as_str(), moved["target"]["rep"].as_str()), (Some("ana"), Some("a2")));
    let activations: Vec<&serde_json::Value> = entries.iter().filter(|e| e["kind"] == "policy_activated").collect();
    assert_eq!(activations.last().map(|e| (e["version"].as_str(), e["by"].as_str())), Some((Some(v1.as_str()), Some("ana"))));
    let v2_meta = api_get(&c, format!("{base}/v1/policies/{v2}"), VIC).await;
    assert_eq!(v2_meta.json["author"], "ana", "a personal token names the author");

    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_reads_everything_and_can_change_nothing() {
    let Some(b) = Browser::start("viewer").await else { return };
    let server = start_with_tokens("workbench-viewer");
    let c = client();
    let base = server.base.clone();
    assert_eq!(api_post(&c, format!("{base}/v1/leads"), SERVICE, warm("V-1")).await.status, 200);

    sign_in(&b, &base, VIC).await;
    b.wait(r#"tr[data-lead="V-1"]"#).await;
    assert!(b.text(".notice").await.contains("viewer"));
    // Read in one script: the list re-renders as it refreshes, which makes
    // element handles found a moment earlier stale.
    let disabled = b
        .client
        .execute("return [...document.querySelectorAll('#items button')].map(x => x.disabled)", vec![])
        .await
        .expect("the buttons' state");
    let disabled: Vec<bool> = serde_json::from_value(disabled).expect("a list of booleans");
    assert!(!disabled.is_empty());
    assert!(disabled.iter().all(|d| *d), "a viewer's action buttons are disabled: {disabled:?}");
    b.shot("01-viewer-queues").await;
    // The API refuses a viewer's change, by token and by session alike.
    let refused = api_post(&c, format!("{base}/v1/work-items/1/claim"), VIC, r#"{"operator":"vic"}"#.into()).await;
    assert_eq!((refused.status, refused.json["error"]["code"].as_str()), (403, Some("forbidden")), "{}", refused.text);
    let by_page = b
        .client
        .execute("return fetch('/v1/work-items/1/claim', {method: 'POST', headers: {'x-leadroute-ui': '1', 'content-type': 'application/json'}, body: '{}'}).then(r => r.status)", vec![])
        .await
        .expect("fetch from the page");
    assert_eq!(by_page, 403);
    b.open(&format!("{base}/#/reps")).await;
    b.wait("#reps").await;
    b.shot("02-viewer-reps").await;
    // Signing out ends the session.
    b.open(&format!("{base}/#/queues")).await;
    b.click("#logout button").await;
    b.wait("#token").await;
    let after = b.client.execute("return fetch('/v1/whoami').then(r => r.status)", vec![]).await.expect("fetch");
    assert_eq!(after, 401);
    // A 403 answer logs a console error in Chromium; only that one is expected.
    let errors = b.console_errors().await;
    assert!(errors.iter().all(|e| e.contains("403") || e.contains("401")), "console errors: {errors:#?}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_sessions_and_roles_over_http() {
    let server = start_with_tokens("access");
    let c = client();
    let base = server.base.clone();
    // Reads need a token too once tokens are configured.
    let anon = get(&c, format!("{base}/v1/reps")).await;
    assert_eq!((anon.status, anon.json["error"]["code"].as_str()), (401, Some("token_required")));
    assert_eq!(api_get(&c, format!("{base}/v1/reps"), VIC).await.status, 200);
    // Health, metrics and the OpenAPI document stay open; the workbench page sends you to sign in.
    assert_eq!(get(&c, format!("{base}/healthz")).await.status, 200);
    let page = send(c.get(format!("{base}/"))).await.expect("answer");
    assert!(page.text.contains("Access token"), "redirected to the sign-in page");
    // Signing in sets a session cookie; it reads, and changes only with the workbench header.
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let r = no_redirect.post(format!("{base}/login")).header("content-type", "application/x-www-form-urlencoded").body(format!("token={ANA}")).send().await.expect("sign in");
    assert_eq!(r.status().as_u16(), 303);
    let cookie = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("a session cookie").to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let session = cookie.split(';').next().expect("name=value").to_string();
    let me = send(c.get(format!("{base}/v1/whoami")).header("cookie", &session)).await.expect("answer");
    assert_eq!((me.json["name"].as_str(), me.json["role"].as_str()), (Some("ana"), Some("operator")));
    assert_eq!(post(&c, format!("{base}/v1/leads"), warm("H-1")).await.expect("answer").status, 401);
    let without_header = send(c.post(format!("{base}/v1/leads")).header("cookie", &session).header("content-type", "application/json").body(warm("H-1"))).await.expect("answer");
    assert_eq!((without_header.status, without_header.json["error"]["code"].as_str()), (403, Some("missing_ui_header")));
    let with_header = send(c.post(format!("{base}/v1/leads")).header("cookie", &session).header("x-leadroute-ui", "1").header("content-type", "application/json").body(warm("H-1")))
        .await
        .expect("answer");
    assert_eq!(with_header.status, 200, "{}", with_header.text);
    // A tampered session is nobody.
    let forged = format!("{}x", session);
    assert_eq!(send(c.get(format!("{base}/v1/whoami")).header("cookie", &forged)).await.expect("answer").status, 401);
    // A personal token's work-item actions carry its name, whatever the body says.
    let claimed = api_post(&c, format!("{base}/v1/work-items/1/claim"), ANA, r#"{"operator":"mallory"}"#.into()).await;
    assert_eq!((claimed.status, claimed.json["by"].as_str()), (200, Some("ana")), "{}", claimed.text);
    // A wrong sign-in shows the page again with why, and no session.
    let bad = no_redirect.post(format!("{base}/login")).header("content-type", "application/x-www-form-urlencoded").body("token=nope-nope-nope-nope").send().await.expect("answer");
    assert!(bad.headers().get("set-cookie").is_none());
    assert!(bad.text().await.expect("a page").contains("not valid"));
    // A rep change by the viewer is refused; by ana it is audited with her name.
    let patch = |token: &'static str| {
        let c = c.clone();
        let url = format!("{base}/v1/reps/a1");
        async move { send(c.patch(url).bearer_auth(token).header("content-type", "application/json").body(r#"{"out_of_office_until":"2026-11-25T09:00:00Z"}"#)).await.expect("answer") }
    };
    assert_eq!(patch(VIC).await.status, 403);
    assert_eq!(patch(ANA).await.status, 200);
    let log = api_get(&c, format!("{base}/v1/audit?kind=rep_changed"), VIC).await;
    assert!(log.text.contains(r#""by":"ana""#), "{}", log.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_service_opens_without_sign_in_and_explains_the_bundled_leads() {
    let Some(b) = Browser::start("readme").await else { return };
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut s = Start::new(&sqlite("workbench-readme"));
    s.policy = root.join("examples/inbound.route");
    s.args.extend(["--state".to_string(), root.join("examples/state.json").display().to_string()]);
    let server = Server::start(&s);
    let base = server.base.clone();
    let c = client();
    let leads = std::fs::read_to_string(root.join("examples/leads.ndjson")).expect("the bundled leads");
    let first: Vec<String> = leads.lines().take(120).map(str::to_string).collect();
    let out = send(c.post(format!("{base}/v1/leads/batch")).body(first.join("\n"))).await.expect("the batch answers");
    assert_eq!(out.status, 200);
    let assigned: serde_json::Value = out
        .text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|d| d["outcome"] == "assigned" && d["territory"].is_string())
        .expect("an assigned lead with a territory");
    let id = assigned["lead_id"].as_str().expect("an id");
    let rep = assigned["rep"].as_str().expect("a rep");

    // No tokens: the page opens straight away, as the open operator `local`.
    b.open(&format!("{base}/")).await;
    b.wait("#items").await;
    assert!(b.text("#me").await.contains("local"));
    b.shot("01-queues").await;
    b.open(&format!("{base}/#/leads/{id}")).await;
    b.until("the lead's rep", &format!("return (document.querySelector('#lead-destination') || {{}}).textContent.startsWith('{rep}')")).await;
    let why = b.text("#trace").await;
    assert!(why.contains("TERRITORY") && why.contains("MATCHED"), "the trace walks the territories: {why}");
    b.until("source links into the bundled policy", "return [...document.querySelectorAll('#trace a')].some(a => a.textContent.startsWith('inbound.route:'))").await;
    b.shot("02-lead").await;
    // The assigned lead is contacted: the lead page's history and the dashboard's speed to lead show it.
    let contacted = send(c.post(format!("{base}/v1/leads/{id}/events")).header("content-type", "application/json").body(r#"{"event":"contacted"}"#)).await.expect("answers");
    assert_eq!(contacted.status, 200, "{}", contacted.text);
    b.until("the history lists the contact", "return document.querySelector('#history').textContent.includes('contacted')").await;
    b.open(&format!("{base}/#/dashboard")).await;
    b.until("speed to lead has a figure", "return /min$/.test(document.querySelector('#kpi-speed .value').textContent)").await;
    b.until("the speed chart has points", "return document.querySelectorAll('#chart-speed svg circle').length >= 2").await;
    b.until("the decisions are counted", "return Number(document.querySelector('#kpi-decisions .value').textContent) >= 100").await;
    b.until("the queues chart has bars", "return document.querySelectorAll('#chart-queues svg rect').length >= 3").await;
    b.shot("03-dashboard").await;
    b.open(&format!("{base}/#/reps")).await;
    b.wait("#reps").await;
    b.shot("04-reps").await;
    b.open(&format!("{base}/#/policies")).await;
    b.wait("#versions").await;
    b.shot("05-policies").await;
    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    b.close().await;
}

/// The dashboard's figures follow their definitions (docs/workbench.md), on both databases.
async fn dashboard_figures(db: &super::harness::Db) {
    use super::work_items::{advance, ops_lead, ops_server};
    let server = ops_server(db, &[]);
    let (c, base) = (client(), server.base.clone());
    for (id, intent) in [("H-1", 90.0), ("H-2", 90.0), ("W-1", 50.0)] {
        assert_eq!(post(&c, format!("{base}/v1/leads"), ops_lead(id, intent)).await.expect("answers").status, 200);
    }
    advance(&c, &base, "2m").await;
    // H-1 contacted after 2 minutes (its 5m SLA met); W-1's work item resolved after 2 minutes.
    assert_eq!(post(&c, format!("{base}/v1/leads/H-1/events"), r#"{"event":"contacted"}"#.into()).await.expect("answers").status, 200);
    let item = get(&c, format!("{base}/v1/work-items?queue=triage")).await.json["items"][0]["id"].as_i64().expect("W-1's item");
    let r = post(&c, format!("{base}/v1/work-items/{item}/resolve"), r#"{"operator":"ana","note":"called back"}"#.into()).await.expect("answers");
    assert_eq!(r.status, 200, "{}", r.text);
    // H-2 is never contacted: its SLA is breached at 5 minutes.
    advance(&c, &base, "10m").await;
    let d = get(&c, format!("{base}/v1/dashboard?hours=1")).await;
    assert_eq!(d.status, 200, "{}", d.text);
    let j = &d.json;
    assert_eq!(j["outcomes"]["totals"], serde_json::json!({ "assigned": 2, "queued": 1 }), "{}", db.kind);
    assert_eq!((j["speed_to_lead"]["contacted"].as_i64(), j["speed_to_lead"]["median_minutes"].as_f64()), (Some(1), Some(2.0)));
    assert_eq!((j["sla"]["met"].as_i64(), j["sla"]["breached"].as_i64(), j["sla"]["compliance_percent"].as_f64()), (Some(1), Some(1), Some(50.0)), "{}", j["sla"]);
    let triage = j["queues"].as_array().and_then(|q| q.iter().find(|q| q["queue"] == "triage")).expect("the triage queue");
    assert_eq!((triage["open"].as_i64(), triage["resolved"].as_i64(), triage["median_resolve_minutes"].as_f64()), (Some(0), Some(1), Some(2.0)));
    for name in ["outcomes", "speed_to_lead", "sla", "queues", "reps"] {
        assert!(j["charts"][name].as_str().is_some_and(|s| s.starts_with("<svg") && s.contains("<rect")), "{name} is an SVG chart");
    }
    // A bad window is a clear 400.
    assert_eq!(get(&c, format!("{base}/v1/dashboard?hours=0")).await.json["error"]["code"], "bad_query");
    // The diff between a version and itself changes nothing; an unknown version is a 404.
    let v = get(&c, format!("{base}/v1/policies")).await.json["active"].as_str().expect("active").to_string();
    let same = get(&c, format!("{base}/v1/policy-diff?from={v}&to={v}")).await;
    assert_eq!((same.json["changes"].as_array().map(Vec::len), same.json["recent"]["changed"].as_i64(), same.json["recent"]["leads"].as_i64()), (Some(0), Some(0), Some(3)), "{}", same.text);
    assert_eq!(get(&c, format!("{base}/v1/policy-diff?from={v}&to=sha256:00")).await.status, 404);
    let recent = get(&c, format!("{base}/v1/leads?limit=2")).await;
    assert_eq!(recent.json["leads"].as_array().map(Vec::len), Some(2), "{}", recent.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_figures_follow_their_definitions() {
    for db in super::harness::databases("dashboard").await {
        dashboard_figures(&db).await;
    }
}
