//! `leadroute-loadgen`: posts leads to one or more `leadroute serve` nodes
//! from C concurrent keep-alive connections and reports durable leads per
//! second, latency percentiles, errors, and the CPU time used by itself and
//! by the server processes (from /proc), with the machine's load average.
//!
//! ```text
//! leadroute-loadgen --url http://127.0.0.1:8080[,http://127.0.0.1:8081] \
//!     --leads 20000 --concurrency 64 --template examples/leads.ndjson \
//!     [--server-pid PID[,PID]] [--prefix RUN1] [--json]
//! ```
//! Leads are the template's lines with fresh ids (`PREFIX-N`), so every lead
//! is new to the service; each connection sends one request at a time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;

struct Args {
    urls: Vec<String>,
    leads: usize,
    concurrency: usize,
    template: String,
    pids: Vec<u32>,
    prefix: String,
    json: bool,
}

fn usage(msg: &str) -> ! {
    eprintln!("leadroute-loadgen: {msg}\nusage: leadroute-loadgen --url URL[,URL] --leads N --concurrency C --template LEADS.ndjson [--server-pid PID[,PID]] [--prefix P] [--json]");
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args { urls: vec![], leads: 10_000, concurrency: 16, template: "examples/leads.ndjson".into(), pids: vec![], prefix: String::new(), json: false };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| usage(&format!("{k} needs a value")));
        match k.as_str() {
            "--url" => a.urls = v().split(',').map(str::to_string).collect(),
            "--leads" => a.leads = v().parse().unwrap_or_else(|_| usage("--leads takes a number")),
            "--concurrency" => a.concurrency = v().parse().unwrap_or_else(|_| usage("--concurrency takes a number")),
            "--template" => a.template = v(),
            "--server-pid" => a.pids = v().split(',').map(|p| p.parse().unwrap_or_else(|_| usage("--server-pid takes numbers"))).collect(),
            "--prefix" => a.prefix = v(),
            "--json" => a.json = true,
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if a.urls.is_empty() {
        usage("give --url");
    }
    if a.prefix.is_empty() {
        a.prefix = format!("LG{}", std::process::id());
    }
    a
}

/// CPU seconds (user + system) of a process, from /proc.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")).unwrap_or_default()
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

async fn connect(url: &str) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>, String> {
    let host = url.trim_start_matches("http://").trim_end_matches('/').to_string();
    let stream = tokio::net::TcpStream::connect(&host).await.map_err(|e| format!("{host}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    Ok(sender)
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let template: Vec<serde_json::Value> = std::fs::read_to_string(&args.template)
        .unwrap_or_else(|e| usage(&format!("cannot read {}: {e}", args.template)))
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.is_object())
        .collect();
    if template.is_empty() {
        usage("the template has no leads");
    }
    // Bodies are made before the clock starts.
    let bodies: Arc<Vec<Bytes>> = Arc::new(
        (0..args.leads)
            .map(|i| {
                let mut v = template[i % template.len()].clone();
                v["id"] = format!("{}-{i}", args.prefix).into();
                Bytes::from(v.to_string())
            })
            .collect(),
    );
    let pids: Vec<String> = args.pids.iter().map(u32::to_string).collect();
    let cpu_before: Vec<f64> = pids.iter().map(|p| cpu_seconds(p).unwrap_or(0.0)).collect();
    let self_before = cpu_seconds("self").unwrap_or(0.0);
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let rejected = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..args.concurrency {
        let (bodies, next, errors, rejected) = (bodies.clone(), next.clone(), errors.clone(), rejected.clone());
        let url = args.urls[w % args.urls.len()].clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut sender = match connect(&url).await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("connect: {e}");
                    errors.fetch_add(1, Ordering::Relaxed);
                    return lat;
                }
            };
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let req = hyper::Request::post(format!("{url}/v1/leads"))
                    .header("content-type", "application/json")
                    .header("host", url.trim_start_matches("http://"))
                    .body(Full::new(body.clone()));
                let Ok(req) = req else { continue };
                let t = Instant::now();
                // A 4xx is a lead the policy's schema rejects (the template
                // has some): answered, recorded, and counted apart.
                let ok = match sender.send_request(req).await {
                    Ok(resp) => {
                        let status = resp.status();
                        let _ = resp.into_body().collect().await;
                        if status.is_client_error() {
                            rejected.fetch_add(1, Ordering::Relaxed);
                        }
                        status.is_success() || status.is_client_error()
                    }
                    Err(_) => false,
                };
                lat.push(t.elapsed().as_micros() as u64);
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                    if let Ok(s) = connect(&url).await {
                        sender = s;
                    }
                }
            }
            lat
        }));
    }
    let mut lat = Vec::with_capacity(args.leads);
    for t in tasks {
        lat.extend(t.await.unwrap_or_default());
    }
    let wall = started.elapsed();
    lat.sort_unstable();
    let server_cpu: f64 = pids.iter().zip(&cpu_before).map(|(p, b)| cpu_seconds(p).unwrap_or(0.0) - b).sum();
    let self_cpu = cpu_seconds("self").unwrap_or(0.0) - self_before;
    let errors = errors.load(Ordering::Relaxed);
    let rejected = rejected.load(Ordering::Relaxed);
    let ok = lat.len().saturating_sub(errors);
    let rate = ok as f64 / wall.as_secs_f64().max(1e-9);
    let out = serde_json::json!({
        "nodes": args.urls.len(), "concurrency": args.concurrency, "leads": lat.len(), "errors": errors, "rejected_4xx": rejected,
        "seconds": (wall.as_secs_f64() * 1000.0).round() / 1000.0,
        "leads_per_s": rate.round(),
        "p50_ms": percentile(&lat, 0.50), "p90_ms": percentile(&lat, 0.90), "p99_ms": percentile(&lat, 0.99), "max_ms": percentile(&lat, 1.0),
        "server_cpu_s": (server_cpu * 100.0).round() / 100.0, "loadgen_cpu_s": (self_cpu * 100.0).round() / 100.0,
        "server_cpu_us_per_lead": if ok > 0 { (server_cpu * 1e6 / ok as f64).round() } else { 0.0 },
        "loadavg": loadavg(),
    });
    if args.json {
        println!("{out}");
    } else {
        println!(
            "{} node(s), concurrency {:>3}: {:>7.0} leads/s  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms  errors {}  rejected {}  server CPU {:.2} s ({:.0} us/lead)  loadgen CPU {:.2} s  load {}",
            args.urls.len(), args.concurrency, rate, percentile(&lat, 0.5), percentile(&lat, 0.99), percentile(&lat, 1.0), errors, rejected,
            server_cpu, if ok > 0 { server_cpu * 1e6 / ok as f64 } else { 0.0 }, self_cpu, loadavg()
        );
    }
    if errors > 0 {
        std::process::exit(1);
    }
}
