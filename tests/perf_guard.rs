//! Performance guard: instruction counts of `leadroute check`, JIT compile
//! and `route` on fixed inputs, measured with `valgrind --tool=callgrind`
//! (total `Ir`), so the numbers do not depend on machine load.
//!
//! Two assertions (docs/performance.md, "Performance guard in CI"):
//! - growth: every input is measured at a small and a 4× size; the ratio of
//!   the work above a fixed base must stay below [`MAX_GROWTH`], which linear
//!   and n·log n pass with margin and quadratic (≈16×) fails;
//! - baselines: each count is compared with `tests/perf_baselines.json`;
//!   more than [`TOLERANCE`] above fails, more than that below prints a note
//!   asking to lower the baseline. `LEADROUTE_PERF_BLESS=1` rewrites the file.
//!
//! Under `CI=true` a missing valgrind fails; locally the guard is skipped.

#[path = "../bench/src/policies.rs"]
#[allow(dead_code)]
mod policies;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Ratio of the work at 4× input to the work at 1× input that fails the guard.
const MAX_GROWTH: f64 = 6.0;
/// Relative change from the baseline that fails (above) or asks for a re-bless (below).
const TOLERANCE: f64 = 0.25;
/// Where the committed baselines live, relative to the crate root.
const BASELINES: &str = "tests/perf_baselines.json";
/// Leads decided at 1× (examples/leads.ndjson has 600).
const LEADS: usize = 50;
/// Fixed decision time, so `since(...)` and schedules do not depend on the clock.
const NOW: &str = "2026-11-24T15:00:00Z";

/// One measured command: a name for the baselines file and the arguments
/// (after the binary) with `{dir}` standing for the scratch directory.
struct Run {
    name: String,
    args: Vec<String>,
}

/// A growth check: the runs at size 0 (the fixed part: start-up, header), 1× and 4×.
struct Growth {
    name: &'static str,
    base: String,
    small: String,
    large: String,
}

/// `N` rules on one field, and tiers on the same field, for `check` and JIT compile.
fn rules_policy(n: usize) -> String {
    let mut s = String::from(
        "policy rules {\n  owner \"revops@acme.example\"\n  timezone \"UTC\"\n  entry main\n}\n\
         schema lead {\n  id: string\n  country: string\n  employees: int\n}\n\
         queue review { owner \"ops@acme.example\" sla 1h }\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "tier t{i} when employees >= {} sla 1h\n",
            1000 * (n - i)
        ));
    }
    s.push_str("tier rest otherwise sla 24h\nroute main {\n");
    for i in 0..n {
        s.push_str(&format!(
            "  r{i}: when employees == {i} and country == \"C{i}\" -> queue review\n"
        ));
    }
    s.push_str("  otherwise -> queue review\n}\n");
    s
}

/// Writes the inputs into `dir` and returns the runs and growth checks.
fn plan(dir: &Path, root: &Path) -> (Vec<Run>, Vec<Growth>) {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path.display().to_string()
    };
    let mut runs = Vec::new();
    let mut growth = Vec::new();
    let mut pair = |runs: &mut Vec<Run>,
                    name: &'static str,
                    sizes: [usize; 2],
                    make: &dyn Fn(usize) -> Vec<String>| {
        let [a, b] = sizes;
        let (base, small, large) = (
            format!("{name}_0"),
            format!("{name}_{a}"),
            format!("{name}_{b}"),
        );
        runs.push(Run {
            name: base.clone(),
            args: make(0),
        });
        runs.push(Run {
            name: small.clone(),
            args: make(a),
        });
        runs.push(Run {
            name: large.clone(),
            args: make(b),
        });
        growth.push(Growth {
            name,
            base,
            small,
            large,
        });
    };
    let check = |file: String| vec!["check".into(), file, "--color".into(), "never".into()];
    for (kind, name) in [
        ("disjoint", "check_disjoint"),
        ("identical", "check_identical"),
    ] {
        pair(&mut runs, name, [100, 400], &|n| {
            check(write(
                &format!("{kind}_{n}.route"),
                &policies::generate(kind, n, true).unwrap_or_default(),
            ))
        });
    }
    pair(&mut runs, "check_rules", [25, 100], &|n| {
        check(write(&format!("rules_{n}.route"), &rules_policy(n)))
    });
    pair(&mut runs, "check_realistic", [60, 240], &|n| {
        check(write(
            &format!("realistic_{n}.route"),
            &policies::generate("realistic", n, true).unwrap_or_default(),
        ))
    });
    let empty = write("empty.ndjson", "");
    let route = |policy: String, leads: String, backend: &str| {
        [
            "route",
            &policy,
            "--leads",
            &leads,
            "--backend",
            backend,
            "--now",
            NOW,
            "--summary",
            "--color",
            "never",
        ]
        .map(String::from)
        .to_vec()
    };
    pair(&mut runs, "jit_compile_rules", [10, 40], &|n| {
        route(
            write(&format!("rules_{n}.route"), &rules_policy(n)),
            empty.clone(),
            "jit",
        )
    });
    // Decisions load the IR `leadroute build` wrote (built here, outside
    // valgrind): parsing the source would dwarf the decisions.
    let ir = dir.join("inbound.json");
    let built = Command::new(env!("CARGO_BIN_EXE_leadroute"))
        .args(["build", "--color", "never", "-o"])
        .arg(&ir)
        .arg(root.join("examples/inbound.route"))
        .output()
        .unwrap_or_else(|e| panic!("running leadroute build: {e}"));
    assert!(
        built.status.success(),
        "leadroute build examples/inbound.route failed: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let ir = ir.display().to_string();
    let leads = std::fs::read_to_string(root.join("examples/leads.ndjson")).unwrap_or_default();
    for (backend, name) in [
        ("jit", "route_inbound_jit"),
        ("interp", "route_inbound_interp"),
    ] {
        pair(&mut runs, name, [LEADS, 4 * LEADS], &|n| {
            let file = write(
                &format!("leads_{n}.ndjson"),
                &leads
                    .lines()
                    .take(n)
                    .map(|l| format!("{l}\n"))
                    .collect::<String>(),
            );
            route(ir.clone(), file, backend)
        });
    }
    (runs, growth)
}

/// Total instructions (`Ir`) of one run of `leadroute` under callgrind.
fn count(valgrind: &Path, dir: &Path, run: &Run) -> u64 {
    let out = dir.join(format!("{}.callgrind", run.name));
    let output = Command::new(valgrind)
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(env!("CARGO_BIN_EXE_leadroute"))
        .args(&run.args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("running valgrind for {}: {e}", run.name));
    let text = std::fs::read_to_string(&out).unwrap_or_else(|e| {
        panic!(
            "{}: no callgrind output ({e}); stderr:\n{}",
            run.name,
            String::from_utf8_lossy(&output.stderr)
        )
    });
    // The profile's `totals:` (or `summary:`) line holds the total Ir.
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{}: no totals in {}", run.name, out.display()))
}

/// valgrind on the PATH (or /usr/bin), if installed.
fn find_valgrind() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join("valgrind"))
        .find(|p| p.is_file())
}

#[test]
fn instruction_counts_stay_linear_and_near_baselines() {
    let Some(valgrind) = find_valgrind() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("valgrind is not installed: the performance guard needs it under CI (.ci/run installs Debian's `valgrind`)");
        }
        eprintln!("perf_guard: skipped (valgrind not found; `apt-get install valgrind` to run it)");
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("perf_guard");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    let (runs, growth) = plan(&dir, root);

    // Two workers: the machine's cores; counts do not depend on load.
    let queue = Mutex::new(runs.iter().collect::<Vec<_>>());
    let counts = Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                // A poisoned lock means another worker panicked; that panic fails the test.
                let Some(run) = queue.lock().expect("queue lock").pop() else {
                    break;
                };
                let n = count(&valgrind, &dir, run);
                // As above: only a panicked worker poisons it.
                counts
                    .lock()
                    .expect("counts lock")
                    .insert(run.name.clone(), n);
            });
        }
    });
    // Poisoned only if a worker panicked, and scope() has re-raised that panic already.
    let counts = counts.into_inner().expect("counts lock");

    let mut failures = Vec::new();
    for g in &growth {
        let base = counts[&g.base];
        let (small, large) = (
            counts[&g.small].saturating_sub(base),
            counts[&g.large].saturating_sub(base),
        );
        let ratio = large as f64 / small.max(1) as f64;
        eprintln!(
            "perf_guard: growth {:<24} 4x input -> {ratio:.2}x instructions",
            g.name
        );
        if ratio >= MAX_GROWTH {
            failures.push(format!(
                "{}: 4x the input took {ratio:.2}x the instructions ({} -> {}), over {MAX_GROWTH}: a regression to quadratic?",
                g.name, small, large
            ));
        }
    }

    let path = root.join(BASELINES);
    if std::env::var("LEADROUTE_PERF_BLESS").is_ok_and(|v| v == "1") {
        let text = serde_json::to_string_pretty(&counts).unwrap_or_default() + "\n";
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        eprintln!("perf_guard: wrote {}", path.display());
    } else {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "reading {}: {e}; run with LEADROUTE_PERF_BLESS=1 to create it",
                path.display()
            )
        });
        let baselines: BTreeMap<String, u64> = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run with LEADROUTE_PERF_BLESS=1 to rewrite it",
                path.display()
            )
        });
        for (name, &now) in &counts {
            let Some(&was) = baselines.get(name) else {
                failures.push(format!(
                    "{name}: no baseline in {BASELINES}; run with LEADROUTE_PERF_BLESS=1"
                ));
                continue;
            };
            let change = now as f64 / was as f64 - 1.0;
            eprintln!(
                "perf_guard: {name:<28} {now:>14} instructions ({:+.1}% vs baseline {was})",
                change * 100.0
            );
            if change > TOLERANCE {
                failures.push(format!(
                    "{name}: {now} instructions, {:+.1}% over the baseline {was} (tolerance {:.0}%)",
                    change * 100.0,
                    TOLERANCE * 100.0
                ));
            } else if change < -TOLERANCE {
                eprintln!("perf_guard: note: {name} is {:.1}% below its baseline; lower it with LEADROUTE_PERF_BLESS=1", -change * 100.0);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "performance guard failed:\n{}",
        failures.join("\n")
    );
}
