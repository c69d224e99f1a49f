//! Writes a generated policy to stdout: `gen-policy KIND N [--no-handler]`
//! (kinds in `leadroute_bench::policies::KINDS`).

use leadroute_bench::policies::{generate, KINDS};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let handler = !args.iter().any(|a| a == "--no-handler");
    let plain: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let text = match (plain.first(), plain.get(1).and_then(|n| n.replace('_', "").parse::<usize>().ok())) {
        (Some(kind), Some(n)) => generate(kind, n, handler),
        _ => None,
    };
    match text {
        Some(t) => print!("{t}"),
        None => {
            eprintln!("usage: gen-policy KIND N [--no-handler]\nkinds:");
            for (k, what) in KINDS {
                eprintln!("  {k:<14} {what}");
            }
            std::process::exit(2);
        }
    }
}
