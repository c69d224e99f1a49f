//! The lead log for a simulation: NDJSON leads with their arrival times, from
//! a lead field (RFC 3339) or a seeded Poisson arrival process at a rate.

use std::io::BufRead;
use std::path::Path;

use super::model::Rng;

/// One lead of the log, with its arrival time.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// Milliseconds since the epoch.
    pub at: i64,
    /// The line of the log it came from (1-based).
    pub line: usize,
    /// The lead as written.
    pub lead: serde_json::Value,
}

/// How arrival times are found.
#[derive(Debug, Clone)]
pub enum Clock {
    /// From this lead field (RFC 3339).
    Field(String),
    /// A Poisson process of this many leads per hour starting at `start`, seeded.
    Rate { per_hour: f64, start: i64, seed: u64 },
}

/// The log read: the leads in arrival order and the lines skipped, with why.
#[derive(Debug, Default)]
pub struct Log {
    /// Sorted by arrival (stable: file order at equal times).
    pub arrivals: Vec<Arrival>,
    /// `line N: why`, for every line that could not be used.
    pub skipped: Vec<String>,
}

/// Reads the log at `path` (`-` for standard input). An unreadable file is an
/// error; a malformed line is skipped and reported in [`Log::skipped`].
pub fn read(path: &Path, clock: &Clock) -> Result<Log, String> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else if path.is_dir() {
        return Err(format!("cannot read `{}`: it is a folder; --leads takes a newline-delimited JSON file", path.display()));
    } else {
        let f = std::fs::File::open(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        Box::new(std::io::BufReader::new(f))
    };
    read_from(reader, clock).map_err(|e| format!("cannot read `{}`: {e}", path.display()))
}

/// Like [`read`], from any reader.
pub fn read_from(mut reader: impl BufRead, clock: &Clock) -> Result<Log, std::io::Error> {
    let mut log = Log::default();
    let mut raw = Vec::new();
    let mut line = 0usize;
    let mut rate_rng = match clock {
        Clock::Rate { seed, .. } => Some(Rng::new(*seed, u64::MAX)),
        Clock::Field(_) => None,
    };
    let mut next_rate_at = match clock {
        Clock::Rate { start, .. } => *start,
        Clock::Field(_) => 0,
    };
    loop {
        raw.clear();
        if reader.read_until(b'\n', &mut raw)? == 0 {
            break;
        }
        line += 1;
        let Ok(text) = std::str::from_utf8(&raw) else {
            log.skipped.push(format!("line {line}: not valid UTF-8 text"));
            continue;
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let lead: serde_json::Value = match serde_json::from_str(text) {
            Ok(v @ serde_json::Value::Object(_)) => v,
            Ok(_) => {
                log.skipped.push(format!("line {line}: not a JSON object"));
                continue;
            }
            Err(e) => {
                log.skipped.push(format!("line {line}: not JSON: {e}"));
                continue;
            }
        };
        let at = match clock {
            Clock::Field(field) => match lead.get(field) {
                Some(serde_json::Value::String(s)) => match leadroute_runtime::parse_time(s) {
                    Some(t) => t,
                    None => {
                        log.skipped.push(format!("line {line}: `{field}` is {s:?}, not an RFC 3339 time"));
                        continue;
                    }
                },
                Some(other) => {
                    log.skipped.push(format!("line {line}: `{field}` is {other}, not an RFC 3339 time"));
                    continue;
                }
                None => {
                    log.skipped.push(format!("line {line}: no `{field}` to take the arrival time from"));
                    continue;
                }
            },
            Clock::Rate { per_hour, .. } => {
                let at = next_rate_at;
                if let Some(rng) = rate_rng.as_mut() {
                    // Exponential gaps: a Poisson process of `per_hour` leads an hour.
                    let gap = -(3_600_000.0 / per_hour) * (1.0 - rng.uniform()).ln();
                    next_rate_at = next_rate_at.saturating_add(gap.round().clamp(0.0, 1e15) as i64);
                }
                at
            }
        };
        log.arrivals.push(Arrival { at, line, lead });
    }
    log.arrivals.sort_by_key(|a| a.at);
    Ok(log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_lines_are_skipped_with_their_number() {
        let text = "{\"id\":\"a\",\"t\":\"2026-01-05T10:00:00Z\"}\nnot json\n\n{\"id\":\"b\"}\n{\"id\":\"c\",\"t\":\"2026-01-05T09:00:00Z\"}\n";
        let log = read_from(text.as_bytes(), &Clock::Field("t".into())).unwrap_or_default();
        let ids: Vec<_> = log.arrivals.iter().map(|a| a.lead["id"].as_str().unwrap_or("")).collect();
        assert_eq!(ids, ["c", "a"]);
        assert_eq!(log.skipped.len(), 2);
        assert!(log.skipped[0].starts_with("line 2:"), "{:?}", log.skipped);
        assert!(log.skipped[1].starts_with("line 4:"), "{:?}", log.skipped);
    }

    #[test]
    fn a_rate_spreads_leads_from_the_start_in_file_order() {
        let text = "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\"}\n";
        let log = read_from(text.as_bytes(), &Clock::Rate { per_hour: 10.0, start: 1_000, seed: 3 }).unwrap_or_default();
        assert_eq!(log.arrivals[0].at, 1_000);
        assert!(log.arrivals.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(log.arrivals[2].lead["id"], "c");
    }
}
