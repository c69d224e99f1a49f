//! The one routing table every engine in the benchmark is generated from.
//!
//! This file is also compiled into `build.rs` (`#[path = "src/table.rs"]`),
//! which turns it into the native Rust baseline, so it uses `std` only and
//! refers to nothing else in the crate.
//!
//! Semantics, shared by every engine (first match wins):
//! - territory: the first of [`TERRITORIES`] whose place matches (US
//!   territories need `country == "US"` and a `state` in their list; the
//!   others a `country` in theirs); none when nothing matches;
//! - tier: the first of [`TIERS`] whose `min_score` the score reaches
//!   (`hot >= 80`, `warm >= 50`, `cold` otherwise);
//! - a missing `employees` counts as 0; a band `[lo, hi)` holds when
//!   `lo <= employees < hi` (no upper bound for the last);
//! - the rules of [`Table::rules`] in order, then [`Table::fallback`].

#![allow(dead_code)]

/// Where a territory is: US states, or countries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// `country == "US"` and `state` in the list.
    UsStates(&'static [&'static str]),
    /// `country` in the list.
    Countries(&'static [&'static str]),
}

/// A named territory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Territory {
    /// Identifier (valid in Route, Rust and Cedar).
    pub name: &'static str,
    /// What it matches.
    pub place: Place,
}

/// The eight territories, in evaluation order (they do not overlap).
pub const TERRITORIES: [Territory; 8] = [
    Territory { name: "us_west", place: Place::UsStates(&["CA", "OR", "WA", "NV"]) },
    Territory { name: "us_east", place: Place::UsStates(&["NY", "MA", "NJ", "CT"]) },
    Territory { name: "us_south", place: Place::UsStates(&["TX", "FL", "GA", "IL"]) },
    Territory { name: "uk_ie", place: Place::Countries(&["GB", "IE"]) },
    Territory { name: "dach", place: Place::Countries(&["DE", "AT", "CH"]) },
    Territory { name: "fr_benelux", place: Place::Countries(&["FR", "BE", "NL", "LU"]) },
    Territory { name: "japac", place: Place::Countries(&["JP", "KR", "SG"]) },
    Territory { name: "anz", place: Place::Countries(&["AU", "NZ"]) },
];

/// A tier: reached when the score is at least `min_score` (`None`: always).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tier {
    /// Identifier.
    pub name: &'static str,
    /// Threshold, inclusive.
    pub min_score: Option<f64>,
}

/// Tiers in order: the first reached wins.
pub const TIERS: [Tier; 3] = [
    Tier { name: "hot", min_score: Some(80.0) },
    Tier { name: "warm", min_score: Some(50.0) },
    Tier { name: "cold", min_score: None },
];
/// Index of `hot` in [`TIERS`].
pub const HOT: usize = 0;
/// Index of `warm` in [`TIERS`].
pub const WARM: usize = 1;

/// The lead's `source` enum, in declaration order.
pub const SOURCES: [&str; 6] = ["chat", "paid", "web", "partner", "event", "referral"];
/// Index of `partner` in [`SOURCES`].
pub const PARTNER: usize = 3;
/// Index of `referral` in [`SOURCES`].
pub const REFERRAL: usize = 5;

/// Employee-count bands `[lo, hi)`; `hi == None` is unbounded.
pub const BANDS: [(i64, Option<i64>); 6] =
    [(0, Some(10)), (10, Some(50)), (50, Some(200)), (200, Some(1000)), (1000, Some(5000)), (5000, None)];

/// What a destination is in leadroute terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestKind {
    /// `assign team <name>`.
    Team,
    /// `queue <name>`.
    Queue,
}

/// A destination: a team or a queue, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dest {
    /// Identifier.
    pub name: &'static str,
    /// Team or queue.
    pub kind: DestKind,
}

/// All destinations; engines return an index into this list.
pub const DESTS: [Dest; 12] = [
    Dest { name: "partner_desk", kind: DestKind::Team },
    Dest { name: "referral_desk", kind: DestKind::Team },
    Dest { name: "na_smb", kind: DestKind::Team },
    Dest { name: "na_mid", kind: DestKind::Team },
    Dest { name: "na_ent", kind: DestKind::Team },
    Dest { name: "emea_smb", kind: DestKind::Team },
    Dest { name: "emea_ent", kind: DestKind::Team },
    Dest { name: "apac", kind: DestKind::Team },
    Dest { name: "field_events", kind: DestKind::Team },
    Dest { name: "inside_sales", kind: DestKind::Team },
    Dest { name: "nurture", kind: DestKind::Queue },
    Dest { name: "review", kind: DestKind::Queue },
];

/// Index into [`DESTS`] by name (panics on an unknown name: the table is fixed).
pub fn dest(name: &str) -> usize {
    match DESTS.iter().position(|d| d.name == name) {
        Some(i) => i,
        None => panic!("unknown destination `{name}`"),
    }
}

/// When a rule holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cond {
    /// `source == partner and partner_id == id`.
    Partner {
        /// The partner id that gets the desk.
        partner_id: &'static str,
    },
    /// `source == referral and score >= min_score`.
    Referral {
        /// Inclusive threshold.
        min_score: f64,
    },
    /// Territory, tier, source (`None`: any) and employee band (indices).
    Specific {
        /// Index into [`TERRITORIES`].
        territory: usize,
        /// Index into [`TIERS`].
        tier: usize,
        /// Index into [`SOURCES`]; `None` matches every source.
        source: Option<usize>,
        /// Index into [`BANDS`].
        band: usize,
    },
}

/// One rule: a name, a condition, a destination (index into [`DESTS`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Label (valid identifier).
    pub name: String,
    /// When it fires.
    pub cond: Cond,
    /// Index into [`DESTS`].
    pub dest: usize,
}

/// The routing policy: rules in order, then the fallback.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Rules, first match wins.
    pub rules: Vec<Rule>,
    /// Where a lead goes when no rule holds (index into [`DESTS`]).
    pub fallback: usize,
}

/// Sources the US territories have specific rules for.
const US_SOURCES: [usize; 4] = [0, 1, 2, 4];

/// Which team a specific rule sends its leads to.
fn specific_dest(territory: usize, tier: usize, source: Option<usize>, band: usize) -> usize {
    let us = matches!(TERRITORIES[territory].place, Place::UsStates(_));
    match (tier, source) {
        (WARM, _) if band == 0 => dest("nurture"),
        (HOT, Some(4)) => dest("field_events"),
        (WARM, Some(0)) => dest("inside_sales"),
        _ if us => dest(["na_smb", "na_smb", "na_mid", "na_mid", "na_ent", "na_ent"][band]),
        _ if territory <= 5 => dest(if band <= 2 { "emea_smb" } else { "emea_ent" }),
        _ => dest("apac"),
    }
}

/// The benchmark's table: 2 overrides, 204 specific rules (3 US territories
/// × 6 bands × 4 sources × 2 tiers, and 5 international territories × 6
/// bands × 2 tiers for any source), and the fallback `review` queue.
pub fn table() -> Table {
    let mut rules = vec![
        Rule { name: "partner_p1".into(), cond: Cond::Partner { partner_id: "P-1" }, dest: dest("partner_desk") },
        Rule { name: "referral_hot".into(), cond: Cond::Referral { min_score: 90.0 }, dest: dest("referral_desk") },
    ];
    for (territory, t) in TERRITORIES.iter().enumerate() {
        let sources: Vec<Option<usize>> = match t.place {
            Place::UsStates(_) => US_SOURCES.iter().map(|&s| Some(s)).collect(),
            Place::Countries(_) => vec![None],
        };
        for band in 0..BANDS.len() {
            for &source in &sources {
                for tier in [HOT, WARM] {
                    let name = format!("r{}", rules.len());
                    let dest = specific_dest(territory, tier, source, band);
                    rules.push(Rule { name, cond: Cond::Specific { territory, tier, source, band }, dest });
                }
            }
        }
    }
    Table { rules, fallback: dest("review") }
}

/// A lead reduced to what the table reads (indices instead of names); the
/// reference semantics, used to check the generators themselves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Facts<'a> {
    /// Index into [`TERRITORIES`], if any matched.
    pub territory: Option<usize>,
    /// Index into [`TIERS`].
    pub tier: usize,
    /// Index into [`SOURCES`].
    pub source: usize,
    /// Employees (missing counted as 0).
    pub employees: i64,
    /// Score.
    pub score: f64,
    /// The partner id, if any.
    pub partner_id: Option<&'a str>,
}

impl Table {
    /// The destination for `facts`, by walking the rules (the slow, obvious way).
    pub fn decide(&self, f: &Facts<'_>) -> usize {
        for r in &self.rules {
            let hit = match r.cond {
                Cond::Partner { partner_id } => f.source == PARTNER && f.partner_id == Some(partner_id),
                Cond::Referral { min_score } => f.source == REFERRAL && f.score >= min_score,
                Cond::Specific { territory, tier, source, band } => {
                    let (lo, hi) = BANDS[band];
                    f.territory == Some(territory)
                        && f.tier == tier
                        && source.is_none_or(|s| s == f.source)
                        && f.employees >= lo
                        && hi.is_none_or(|h| f.employees < h)
                }
            };
            if hit {
                return r.dest;
            }
        }
        self.fallback
    }
}
