//! Writes a lead file `N` times over to stdout, each copy's `id`s made new
//! (`L-000001` becomes `L-000001-2` in the second copy), so that a long file
//! has the bundled leads' mix without repeating a lead. `repeat-leads FILE N`.

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(n)) = (args.first(), args.get(1).and_then(|n| n.parse::<usize>().ok())) else {
        eprintln!("usage: repeat-leads FILE.ndjson N");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(path)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for copy in 1..=n {
        for line in text.lines() {
            match serde_json::from_str::<serde_json::Value>(line) {
                Ok(serde_json::Value::Object(mut o)) if copy > 1 => {
                    if let Some(serde_json::Value::String(id)) = o.get("id") {
                        let id = format!("{id}-{copy}");
                        o.insert("id".into(), id.into());
                    }
                    serde_json::to_writer(&mut out, &o)?;
                    out.write_all(b"\n")?;
                }
                // The first copy, and lines that are not objects (invalid on purpose), as they are.
                _ => writeln!(out, "{line}")?,
            }
        }
    }
    out.flush()
}
