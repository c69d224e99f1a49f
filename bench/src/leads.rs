//! Deterministic leads for the benchmark, as typed [`NativeLead`]s and as
//! the same leads in JSON text.

use crate::native::{NativeLead, Source};
use crate::table::{self, Cond, Place, BANDS, SOURCES, TERRITORIES};

/// A small linear congruential generator (no `rand` dependency).
#[derive(Debug, Clone)]
pub struct Lcg(pub u64);

impl Lcg {
    /// The next 31 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// A number in `[lo, hi)`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo) as u64) as i64
    }

    /// True with probability `pct` percent.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.next_u64() % 100 < pct
    }

    /// One of `items`.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.next_u64() as usize % items.len()]
    }
}

/// Which kind of traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    /// Leads aimed at every rule in turn (85%) plus random leads.
    Spread,
    /// Mostly leads no specific rule matches (unknown countries, cold scores...).
    Fallback,
}

impl Mix {
    /// Both mixes.
    pub const ALL: [Mix; 2] = [Mix::Spread, Mix::Fallback];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Mix::Spread => "spread",
            Mix::Fallback => "fallback",
        }
    }
}

/// The same leads in the two forms engines take.
#[derive(Debug, Clone)]
pub struct LeadSet {
    /// Typed, for native Rust and Cedar.
    pub native: Vec<NativeLead>,
    /// One JSON object per lead, for leadroute, JSONLogic and ZEN.
    pub json: Vec<String>,
}

/// A score in `[lo, hi)` with two decimals.
fn score(g: &mut Lcg, lo: i64, hi: i64) -> f64 {
    g.range(lo * 100, hi * 100) as f64 / 100.0
}

fn partner_id(g: &mut Lcg) -> Option<String> {
    match g.next_u64() % 4 {
        0 => None,
        1 => Some("P-2".into()),
        _ => Some("P-1".into()),
    }
}

/// A lead with no particular target: anything goes.
fn random_lead(g: &mut Lcg) -> NativeLead {
    let (country, state) = match g.next_u64() % 4 {
        0 => ("US", g.chance(85).then(|| g.pick(&["CA", "NY", "TX", "WA", "AK", "OH", "FL", "MA"]))),
        1 => (g.pick(&["GB", "DE", "FR", "JP", "AU", "NL", "SG", "CH"]), None),
        _ => (g.pick(&["BR", "MX", "CA", "IN", "ZA", "ES", "IT", "CN", "us", ""]), None),
    };
    NativeLead {
        country: country.into(),
        state: state.map(String::from),
        employees: g.chance(90).then(|| g.pick(&[0, 1, 9, 10, 49, 50, 199, 200, 999, 1000, 4999, 5000, 100_000])),
        score: score(g, 0, 100),
        source: g.pick(&Source::ALL),
        partner_id: partner_id(g),
    }
}

/// A lead that reaches `rule` (or an earlier rule it also satisfies).
fn lead_for(g: &mut Lcg, cond: Cond) -> NativeLead {
    let mut lead = random_lead(g);
    match cond {
        Cond::Partner { partner_id } => {
            lead.source = Source::Partner;
            lead.partner_id = Some(partner_id.into());
        }
        Cond::Referral { min_score } => {
            lead.source = Source::Referral;
            lead.score = score(g, min_score as i64, 100);
        }
        Cond::Specific { territory, tier, source, band } => {
            match TERRITORIES[territory].place {
                Place::UsStates(states) => {
                    lead.country = "US".into();
                    lead.state = Some(g.pick(states).into());
                }
                Place::Countries(countries) => {
                    lead.country = g.pick(countries).into();
                    lead.state = g.chance(10).then(|| "CA".into());
                }
            }
            lead.score = match tier {
                table::HOT => score(g, 80, 100),
                _ => score(g, 50, 80),
            };
            if let Some(s) = source {
                lead.source = Source::ALL[s];
            }
            let (lo, hi) = BANDS[band];
            let hi = hi.unwrap_or(lo * 20);
            lead.employees = match g.next_u64() % 8 {
                0 => Some(lo),
                1 => Some(hi - 1),
                2 if lo == 0 => None,
                _ => Some(g.range(lo, hi)),
            };
        }
    }
    lead
}

/// A lead that most likely reaches no specific rule.
fn fallback_lead(g: &mut Lcg) -> NativeLead {
    let mut lead = random_lead(g);
    match g.next_u64() % 4 {
        0 | 1 => {
            lead.country = g.pick(&["BR", "MX", "CA", "IN", "ZA", "ES", "IT", "CN", "AR", "PL"]).into();
            lead.state = None;
        }
        2 => {
            lead.country = "US".into();
            lead.state = g.chance(50).then(|| g.pick(&["AK", "OH", "MI", "CO", "ca", ""]).into());
        }
        _ => lead.score = score(g, 0, 50),
    }
    if lead.source == Source::Referral {
        lead.score = lead.score.min(89.99);
    }
    lead
}

/// The lead as JSON text (the schema's field names; absent options omitted).
pub fn to_json(lead: &NativeLead, i: usize) -> String {
    let mut o = serde_json::Map::new();
    o.insert("id".into(), format!("L-{i}").into());
    o.insert("email".into(), format!("buyer{i}@example.com").into());
    o.insert("country".into(), lead.country.clone().into());
    if let Some(s) = &lead.state {
        o.insert("state".into(), s.clone().into());
    }
    if let Some(e) = lead.employees {
        o.insert("employees".into(), e.into());
    }
    o.insert("score".into(), lead.score.into());
    o.insert("source".into(), SOURCES[lead.source as usize].into());
    if let Some(p) = &lead.partner_id {
        o.insert("partner_id".into(), p.clone().into());
    }
    serde_json::Value::Object(o).to_string()
}

/// `n` leads of `mix` from `seed`.
pub fn generate(mix: Mix, n: usize, seed: u64) -> LeadSet {
    let t = table::table();
    let mut g = Lcg(seed ^ (mix as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let native: Vec<NativeLead> = (0..n)
        .map(|_| match mix {
            Mix::Spread if g.chance(85) => {
                let rule = g.next_u64() as usize % t.rules.len();
                lead_for(&mut g, t.rules[rule].cond)
            }
            Mix::Fallback if g.chance(90) => fallback_lead(&mut g),
            _ => random_lead(&mut g),
        })
        .collect();
    let json = native.iter().enumerate().map(|(i, l)| to_json(l, i)).collect();
    LeadSet { native, json }
}
