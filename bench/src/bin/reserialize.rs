//! The JSON baseline for `leadroute route`: reads a newline-delimited JSON
//! file, parses each line into a `serde_json::Value` and writes it back as
//! one line, to stdout. `reserialize FILE`.

use std::io::{BufRead, BufWriter, Write};

/// The allocator of the `leadroute` binary, so that the comparison is of the work alone.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::io::Result<()> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: reserialize FILE.ndjson");
        std::process::exit(2);
    };
    let input = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or(serde_json::Value::Null);
        serde_json::to_writer(&mut out, &v)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
