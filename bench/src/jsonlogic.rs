//! JSONLogic through datalogic-rs, in two encodings that return the
//! destination index, compiled once, evaluated on pre-parsed leads:
//!
//! - [`jsonlogic_rule`], the flat chain: one `if` over all 206 rules
//!   (`{"if": [cond0, dest0, cond1, dest1, ..., fallback]}`), each rule
//!   testing territory, tier, source and band again;
//! - [`jsonlogic_nested`], as a JSONLogic author writes it: the two
//!   overrides, then `if` on the country (and the state for the US), then on
//!   the score for the tier, then on the source, then a chain of band
//!   thresholds — each rule still one leaf, found in a few tests.
//!
//! A missing `employees` reads as 0 through `{"var": ["employees", 0]}`; a
//! missing `state` or `partner_id` reads as `null`, which equals nothing
//! and is in no list.

use datalogic_rs::bumpalo::Bump;
use datalogic_rs::{Engine, Logic, ParsedData};
use serde_json::{json, Value};

use crate::nested::{nest, SourceRules, TierRules};
use crate::table::{Cond, Place, Rule, Table, BANDS, PARTNER, REFERRAL, SOURCES, TERRITORIES, TIERS};

fn var(name: &str) -> Value {
    json!({ "var": name })
}

/// The conditions of an override rule (`None` for a specific rule).
fn override_conds(r: &Rule) -> Option<Vec<Value>> {
    match r.cond {
        Cond::Partner { partner_id } => Some(vec![
            json!({ "==": [var("source"), SOURCES[PARTNER]] }),
            json!({ "==": [var("partner_id"), partner_id] }),
        ]),
        Cond::Referral { min_score } => {
            Some(vec![json!({ "==": [var("source"), SOURCES[REFERRAL]] }), json!({ ">=": [var("score"), min_score] })])
        }
        Cond::Specific { .. } => None,
    }
}

/// The table as one JSONLogic expression: the flat chain.
pub fn jsonlogic_rule(t: &Table) -> Value {
    let mut chain = Vec::with_capacity(t.rules.len() * 2 + 1);
    for r in &t.rules {
        let all: Vec<Value> = match r.cond {
            Cond::Partner { .. } | Cond::Referral { .. } => override_conds(r).unwrap_or_default(),
            Cond::Specific { territory, tier, source, band } => {
                let mut c = match TERRITORIES[territory].place {
                    Place::UsStates(states) => {
                        vec![json!({ "==": [var("country"), "US"] }), json!({ "in": [var("state"), states] })]
                    }
                    Place::Countries(countries) => vec![json!({ "in": [var("country"), countries] })],
                };
                if let Some(min) = TIERS[tier].min_score {
                    c.push(json!({ ">=": [var("score"), min] }));
                }
                if let Some(above) = tier.checked_sub(1).and_then(|p| TIERS[p].min_score) {
                    c.push(json!({ "<": [var("score"), above] }));
                }
                if let Some(src) = source {
                    c.push(json!({ "==": [var("source"), SOURCES[src]] }));
                }
                let employees = json!({ "var": ["employees", 0] });
                let (lo, hi) = BANDS[band];
                c.push(json!({ ">=": [employees, lo] }));
                if let Some(hi) = hi {
                    c.push(json!({ "<": [employees, hi] }));
                }
                c
            }
        };
        chain.push(json!({ "and": all }));
        chain.push(json!(r.dest));
    }
    chain.push(json!(t.fallback));
    json!({ "if": chain })
}

/// `{"if": [c0, v0, c1, v1, ..., otherwise]}`, or just `otherwise` when
/// there are no branches.
fn if_chain(branches: Vec<(Value, Value)>, otherwise: Value) -> Value {
    if branches.is_empty() {
        return otherwise;
    }
    let mut args = Vec::with_capacity(branches.len() * 2 + 1);
    for (c, v) in branches {
        args.push(c);
        args.push(v);
    }
    args.push(otherwise);
    json!({ "if": args })
}

/// One source's bands as thresholds on the head count, lowest first:
/// `employees < 0` falls back, then `< 10` → band 0, `< 50` → band 1, ...
/// (the bands are contiguous, checked by [`nest`]).
fn band_chain(s: &SourceRules, fallback: usize) -> Value {
    let employees = json!({ "var": ["employees", 0] });
    let mut branches = vec![(json!({ "<": [employees, BANDS[0].0] }), json!(fallback))];
    let last = BANDS.len() - 1;
    for (band, &(_, hi)) in BANDS.iter().enumerate().take(last) {
        let hi = hi.unwrap_or(i64::MAX); // contiguous: only the last band is unbounded
        branches.push((json!({ "<": [employees, hi] }), json!(s.bands[band].unwrap_or(fallback))));
    }
    if_chain(branches, json!(s.bands[last].unwrap_or(fallback)))
}

/// A tier's rules: `if` on the source, each to its band chain.
fn tier_block(tr: &TierRules, fallback: usize) -> Value {
    if !tr.by_source() {
        return tr.sources.first().map_or(json!(fallback), |s| band_chain(s, fallback));
    }
    let branches = tr
        .sources
        .iter()
        .filter_map(|s| s.source.map(|src| (json!({ "==": [var("source"), SOURCES[src]] }), band_chain(s, fallback))))
        .collect();
    if_chain(branches, json!(fallback))
}

/// The table as a JSONLogic author nests it: the overrides, then
/// territory (`country`, and `state` under `country == "US"`), then tier
/// (`score` thresholds), then source, then band. Errors when the table's
/// shape would make the nesting change first-match results.
pub fn jsonlogic_nested(t: &Table) -> Result<Value, String> {
    let n = nest(t)?;
    let fb = n.fallback;
    let mut us = Vec::new();
    let mut countries = Vec::new();
    for g in &n.territories {
        // Tiers in order, first reached wins: `score >= 80` → hot's rules,
        // `score >= 50` → warm's, otherwise cold's (none: the fallback).
        let mut tiers = Vec::new();
        let mut otherwise = json!(fb);
        for (i, tier) in TIERS.iter().enumerate() {
            let block = g.tiers.iter().find(|tr| tr.tier == i).map_or(json!(fb), |tr| tier_block(tr, fb));
            match tier.min_score {
                Some(min) => tiers.push((json!({ ">=": [var("score"), min] }), block)),
                None => {
                    otherwise = block;
                    break;
                }
            }
        }
        let by_tier = if_chain(tiers, otherwise);
        match TERRITORIES[g.territory].place {
            Place::UsStates(states) => us.push((json!({ "in": [var("state"), states] }), by_tier)),
            Place::Countries(list) => countries.push((json!({ "in": [var("country"), list] }), by_tier)),
        }
    }
    let mut by_place = Vec::new();
    if !us.is_empty() {
        by_place.push((json!({ "==": [var("country"), "US"] }), if_chain(us, json!(fb))));
    }
    by_place.extend(countries);
    let mut top: Vec<(Value, Value)> = Vec::new();
    for r in &n.overrides {
        let conds = override_conds(r).ok_or_else(|| format!("rule `{}` is not an override", r.name))?;
        top.push((json!({ "and": conds }), json!(r.dest)));
    }
    top.extend(by_place);
    Ok(if_chain(top, json!(fb)))
}

/// A compiled JSONLogic rule and the arena its evaluations use.
pub struct JsonLogic {
    engine: Engine,
    logic: Logic,
    arena: Bump,
}

impl std::fmt::Debug for JsonLogic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JsonLogic")
    }
}

/// Compiles the rule text: the "load" step timed for datalogic-rs.
pub fn compile(engine: &Engine, text: &str) -> Result<Logic, String> {
    engine.compile(text).map_err(|e| e.to_string())
}

impl JsonLogic {
    /// Compiles `text` (the JSON of [`jsonlogic_rule`]).
    pub fn new(text: &str) -> Result<JsonLogic, String> {
        let engine = Engine::new();
        let logic = compile(&engine, text)?;
        Ok(JsonLogic { engine, logic, arena: Bump::with_capacity(64 * 1024) })
    }

    /// Parses a lead into the crate's parse-once form (untimed).
    pub fn parse(json: &str) -> ParsedData {
        // The leads are generated by serde_json: always valid JSON.
        ParsedData::from_json(json).expect("valid JSON")
    }

    fn result(v: Result<&datalogic_rs::DataValue<'_>, datalogic_rs::Error>) -> usize {
        match v {
            Ok(v) => v.as_i64().map_or(usize::MAX, |d| d as usize),
            Err(_) => usize::MAX,
        }
    }

    /// The destination for a lead pre-parsed with [`JsonLogic::parse`]
    /// (the crate's fastest path: zero-copy input, caller-owned arena).
    #[inline]
    pub fn decide_parsed(&mut self, lead: &ParsedData) -> usize {
        self.arena.reset();
        Self::result(self.engine.evaluate(&self.logic, lead.value(), &self.arena))
    }

    /// The destination for a lead pre-parsed into a `serde_json::Value`
    /// (converted into the arena on each call).
    #[inline]
    pub fn decide_value(&mut self, lead: &Value) -> usize {
        self.arena.reset();
        Self::result(self.engine.evaluate(&self.logic, lead, &self.arena))
    }
}
