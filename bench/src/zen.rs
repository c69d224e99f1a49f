//! GoRules ZEN (`zen-engine`): the table as one JDM decision table with hit
//! policy `first` (input → table → output), whose output `dest` is the
//! destination index. Evaluation is async; `pollster::block_on` drives it
//! on the calling thread (no tokio runtime).
//!
//! Columns: `country`, `state`, `score`, `source`, `employees ?? 0` (a
//! missing head count reads as 0), `partner_id`. A missing `state` or
//! `partner_id` is `null`, which matches no listed value.

use serde_json::{json, Map, Value};
use zen_engine::model::GraphContent;
use zen_engine::{Decision, Variable};

use crate::table::{Cond, Place, Table, BANDS, PARTNER, REFERRAL, SOURCES, TERRITORIES, TIERS};

fn quoted(items: &[&str]) -> String {
    items.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ")
}

/// The table as a JDM graph (JSON).
pub fn jdm_graph(t: &Table) -> Value {
    let inputs = json!([
        { "id": "country", "name": "Country", "field": "country" },
        { "id": "state", "name": "State", "field": "state" },
        { "id": "score", "name": "Score", "field": "score" },
        { "id": "source", "name": "Source", "field": "source" },
        { "id": "employees", "name": "Employees", "field": "employees ?? 0" },
        { "id": "partner_id", "name": "Partner", "field": "partner_id" }
    ]);
    let outputs = json!([{ "id": "dest", "name": "Destination", "field": "dest" }]);
    let mut rules = Vec::with_capacity(t.rules.len() + 1);
    let row = |id: String, cells: &[(&str, String)], dest: usize| {
        let mut m = Map::new();
        m.insert("_id".into(), id.into());
        for col in ["country", "state", "score", "source", "employees", "partner_id"] {
            let cell = cells.iter().find(|(c, _)| *c == col).map_or(String::new(), |(_, v)| v.clone());
            m.insert(col.into(), cell.into());
        }
        m.insert("dest".into(), dest.to_string().into());
        Value::Object(m)
    };
    for r in &t.rules {
        let cells: Vec<(&str, String)> = match r.cond {
            Cond::Partner { partner_id } => {
                vec![("source", format!("\"{}\"", SOURCES[PARTNER])), ("partner_id", format!("\"{partner_id}\""))]
            }
            Cond::Referral { min_score } => {
                vec![("source", format!("\"{}\"", SOURCES[REFERRAL])), ("score", format!(">= {min_score}"))]
            }
            Cond::Specific { territory, tier, source, band } => {
                let mut c = match TERRITORIES[territory].place {
                    Place::UsStates(states) => vec![("country", "\"US\"".to_string()), ("state", quoted(states))],
                    Place::Countries(countries) => vec![("country", quoted(countries))],
                };
                let min = TIERS[tier].min_score;
                let above = tier.checked_sub(1).and_then(|p| TIERS[p].min_score);
                let score = match (min, above) {
                    (Some(lo), Some(hi)) => format!(">= {lo} and < {hi}"),
                    (Some(lo), None) => format!(">= {lo}"),
                    (None, Some(hi)) => format!("< {hi}"),
                    (None, None) => String::new(),
                };
                c.push(("score", score));
                if let Some(src) = source {
                    c.push(("source", format!("\"{}\"", SOURCES[src])));
                }
                let (lo, hi) = BANDS[band];
                c.push(("employees", hi.map_or(format!(">= {lo}"), |hi| format!("[{lo}..{hi})"))));
                c
            }
        };
        rules.push(row(r.name.clone(), &cells, r.dest));
    }
    rules.push(row("otherwise".into(), &[], t.fallback));
    json!({
        "nodes": [
            { "id": "in", "name": "request", "type": "inputNode", "content": {} },
            { "id": "dt", "name": "routing", "type": "decisionTableNode", "content": {
                "hitPolicy": "first", "inputs": inputs, "outputs": outputs, "rules": rules
            } },
            { "id": "out", "name": "response", "type": "outputNode", "content": {} }
        ],
        "edges": [
            { "id": "e1", "sourceId": "in", "targetId": "dt" },
            { "id": "e2", "sourceId": "dt", "targetId": "out" }
        ]
    })
}

/// A compiled ZEN decision.
#[derive(Debug)]
pub struct Zen {
    decision: Decision,
}

/// Parses and compiles the JDM text: the "load" step timed for ZEN
/// (deserialize, pre-compile expressions and build the table indexes).
pub fn load(text: &str) -> Result<Decision, String> {
    let mut graph: GraphContent = serde_json::from_str(text).map_err(|e| e.to_string())?;
    graph.compile();
    Ok(Decision::from(graph))
}

impl Zen {
    /// Loads `text` (the JSON of [`jdm_graph`]).
    pub fn new(text: &str) -> Result<Zen, String> {
        let decision = load(text)?;
        decision.validate().map_err(|e| e.to_string())?;
        Ok(Zen { decision })
    }

    /// The lead as ZEN's input type (untimed, like a pre-parsed value).
    pub fn input(json: &str) -> Variable {
        // The leads are generated by serde_json: always valid JSON.
        Variable::from(serde_json::from_str::<Value>(json).expect("valid JSON"))
    }

    /// The destination for a prepared input.
    #[inline]
    pub fn decide(&self, input: &Variable) -> usize {
        match pollster::block_on(self.decision.evaluate(input.clone())) {
            Ok(response) => response
                .result
                .dot("dest")
                .and_then(|d| d.as_number())
                .map(|d| d.normalize())
                .filter(|d| d.scale() == 0)
                .map_or(usize::MAX, |d| d.mantissa() as usize),
            Err(_) => usize::MAX,
        }
    }
}
