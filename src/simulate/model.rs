//! The response-time model: how long a rep takes to reach an assigned lead
//! (per tier) and how long a queued lead waits for a person, drawn from a
//! seeded generator so that every run with the same seed is the same.

use std::collections::BTreeMap;

/// The shape of the response-time distribution; the mean comes per tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Distribution {
    /// Log-normal with σ = 1 (a long right tail: most reps answer quickly, a few leads wait long).
    Lognormal,
    /// Exponential (memoryless).
    Exponential,
    /// Always exactly the mean.
    Fixed,
}

impl Distribution {
    /// The name used in flags and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Distribution::Lognormal => "lognormal",
            Distribution::Exponential => "exponential",
            Distribution::Fixed => "fixed",
        }
    }

    /// A sample with mean `mean_ms`, from the standard uniform `u` in (0, 1)
    /// and standard normal `z` (both drawn per lead, so the two policies of a
    /// comparison see the same luck for the same lead).
    pub fn sample(self, mean_ms: i64, u: f64, z: f64) -> i64 {
        let mean = mean_ms.max(0) as f64;
        let x = match self {
            Distribution::Fixed => mean,
            Distribution::Exponential => -mean * (1.0 - u).ln(),
            // mean = exp(mu + sigma^2 / 2) with sigma = 1.
            Distribution::Lognormal => (mean.ln() - 0.5 + z).exp(),
        };
        if x.is_finite() { x.round().clamp(0.0, 1e15) as i64 } else { 0 }
    }
}

/// The response model: a mean per tier and per queue, and the distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The distribution of rep response times.
    pub distribution: Distribution,
    /// Mean rep response time by tier name; tiers not named use half their SLA.
    pub tier_mean: BTreeMap<String, i64>,
    /// Mean for every tier not in `tier_mean`, when given (`--response 10m`).
    pub all_tiers: Option<i64>,
    /// Mean time a queued lead waits before someone works it (exponential);
    /// `None`: half the queue's SLA, or 30 minutes for a queue without one.
    pub queue_mean: Option<i64>,
}

impl Model {
    /// The mean response time for a tier with SLA `sla_ms` (30 minutes for a tier without one).
    pub fn tier_mean(&self, tier: &str, sla_ms: Option<i64>) -> i64 {
        self.tier_mean.get(tier).copied().or(self.all_tiers).unwrap_or_else(|| sla_ms.map_or(30 * 60_000, |s| s / 2))
    }

    /// The mean wait of a queue with SLA `sla_ms`.
    pub fn queue_mean(&self, sla_ms: Option<i64>) -> i64 {
        self.queue_mean.unwrap_or_else(|| sla_ms.map_or(30 * 60_000, |s| s / 2))
    }

    /// Reads `--response`: comma-separated `TIER=DURATION`, or a bare
    /// `DURATION` for every tier not named (`hot=3m,warm=40m`, `0s`).
    pub fn parse_response(&mut self, text: &str) -> Result<(), String> {
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some((tier, d)) => {
                    let ms = parse_duration(d.trim()).ok_or_else(|| bad_duration("--response", d))?;
                    self.tier_mean.insert(tier.trim().to_string(), ms);
                }
                None => self.all_tiers = Some(parse_duration(part).ok_or_else(|| bad_duration("--response", part))?),
            }
        }
        Ok(())
    }

    /// The model as JSON for reports.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "distribution": self.distribution.as_str(),
            "tier_mean": self.tier_mean.iter().map(|(k, v)| (k.clone(), duration_text(*v))).collect::<BTreeMap<_, _>>(),
            "other_tiers_mean": self.all_tiers.map_or("half the tier's SLA".to_string(), duration_text),
            "queue_mean": self.queue_mean.map_or("half the queue's SLA (30m without one)".to_string(), duration_text),
        })
    }
}

fn bad_duration(flag: &str, text: &str) -> String {
    format!("{flag}: `{text}` is not a duration like 90s, 30m, 4h or 1d")
}

/// Parses `500ms`, `45s`, `30m`, `1h`, `2d`, `1w` (a bare `0` is zero) into milliseconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    if text == "0" {
        return Some(0);
    }
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (num, unit) = text.split_at(split);
    let n: f64 = num.parse().ok()?;
    let scale = match unit {
        "ms" => 1.0,
        "s" => 1_000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        "w" => 604_800_000.0,
        _ => return None,
    };
    let ms = n * scale;
    (ms.is_finite() && (0.0..1e15).contains(&ms)).then(|| ms.round() as i64)
}

/// Milliseconds as a short duration (`4m`, `1h30m`, `2.5s`).
pub fn duration_text(ms: i64) -> String {
    if ms < 1_000 {
        return format!("{ms}ms");
    }
    if ms < 60_000 {
        return format!("{}s", trim_float(ms as f64 / 1_000.0));
    }
    let mins = ms / 60_000;
    let (d, h, m) = (mins / 1_440, mins / 60 % 24, mins % 60);
    let mut out = String::new();
    for (v, u) in [(d, "d"), (h, "h"), (m, "m")] {
        if v > 0 {
            out.push_str(&format!("{v}{u}"));
        }
    }
    out
}

fn trim_float(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// SplitMix64: a tiny, well-mixed generator whose sequence is fixed forever
/// (a library's generator may change between versions; reports must not).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for one stream: the run's seed and a stream number (the lead's index).
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in the open interval (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// The random draws for one lead, made once and shared by both policies of a
/// comparison (common random numbers: differences come from the policies, not luck).
#[derive(Debug, Clone, Copy)]
pub struct Luck {
    /// Uniform draw for the rep's response.
    pub u: f64,
    /// Normal draw for the rep's response.
    pub z: f64,
    /// Uniform draw for the queue wait.
    pub queue_u: f64,
}

impl Luck {
    /// The draws for lead number `index` of a run seeded with `seed`.
    pub fn for_lead(seed: u64, index: u64) -> Luck {
        let mut r = Rng::new(seed, index);
        Luck { u: r.uniform(), z: r.normal(), queue_u: r.uniform() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(parse_duration("90s"), Some(90_000));
        assert_eq!(parse_duration("1.5h"), Some(5_400_000));
        assert_eq!(parse_duration("0"), Some(0));
        assert_eq!(parse_duration("5 parsecs"), None);
        assert_eq!(duration_text(5_400_000), "1h30m");
        assert_eq!(duration_text(2_500), "2.5s");
    }

    #[test]
    fn samples_have_the_requested_mean() {
        for dist in [Distribution::Lognormal, Distribution::Exponential, Distribution::Fixed] {
            let n = 20_000;
            let total: i64 = (0..n).map(|i| {
                let l = Luck::for_lead(7, i);
                dist.sample(600_000, l.u, l.z)
            }).sum();
            let mean = total as f64 / n as f64;
            assert!((mean - 600_000.0).abs() < 30_000.0, "{dist:?}: mean {mean}");
        }
    }

    #[test]
    fn response_flag_sets_tiers_and_the_rest() {
        let mut m = Model { distribution: Distribution::Fixed, tier_mean: BTreeMap::new(), all_tiers: None, queue_mean: None };
        m.parse_response("hot=3m, 1h").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.tier_mean("hot", Some(300_000)), 180_000);
        assert_eq!(m.tier_mean("cold", Some(300_000)), 3_600_000);
        assert!(m.parse_response("hot=soon").is_err());
    }
}
