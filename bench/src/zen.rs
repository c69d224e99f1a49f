//! GoRules ZEN (`zen-engine`), in two JDM graphs whose output `dest` is
//! the destination index. Evaluation is async; `pollster::block_on` drives
//! it on the calling thread (no tokio runtime).
//!
//! - [`jdm_graph`], the flat table: one decision table with hit policy
//!   `first` over all 206 rules (input → table → output);
//! - [`jdm_nested`], ZEN's idiomatic shape: a `segment` decision table
//!   (the overrides, then territory × tier from `country`, `state` and
//!   `score`), a switch node on the segment, and one small decision table
//!   per (territory, tier) on `source` and the head count.
//!
//! Columns: `country`, `state`, `score`, `source`, `employees ?? 0` (a
//! missing head count reads as 0), `partner_id`. A missing `state` or
//! `partner_id` is `null`, which matches no listed value.

use serde_json::{json, Map, Value};
use zen_engine::model::GraphContent;
use zen_engine::{Decision, Variable};

use crate::nested::nest;
use crate::table::{Cond, Place, Rule, Table, BANDS, PARTNER, REFERRAL, SOURCES, TERRITORIES, TIERS};

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
    let cols = ["country", "state", "score", "source", "employees", "partner_id"];
    let mut rules = Vec::with_capacity(t.rules.len() + 1);
    for r in &t.rules {
        let cells: Vec<(&str, String)> = match r.cond {
            Cond::Partner { .. } | Cond::Referral { .. } => override_cells(r).unwrap_or_default(),
            Cond::Specific { territory, tier, source, band } => {
                let mut c = place_cells(territory);
                c.push(("score", tier_cell(tier)));
                if let Some(src) = source {
                    c.push(("source", format!("\"{}\"", SOURCES[src])));
                }
                c.push(("employees", band_cell(band)));
                c
            }
        };
        rules.push(table_row(&r.name, &cols, &cells, &[("dest", r.dest.to_string())]));
    }
    rules.push(table_row("otherwise", &cols, &[], &[("dest", t.fallback.to_string())]));
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

/// The cells of an override rule (`None` for a specific rule).
fn override_cells(r: &Rule) -> Option<Vec<(&'static str, String)>> {
    match r.cond {
        Cond::Partner { partner_id } => {
            Some(vec![("source", format!("\"{}\"", SOURCES[PARTNER])), ("partner_id", format!("\"{partner_id}\""))])
        }
        Cond::Referral { min_score } => {
            Some(vec![("source", format!("\"{}\"", SOURCES[REFERRAL])), ("score", format!(">= {min_score}"))])
        }
        Cond::Specific { .. } => None,
    }
}

/// The `country` (and `state`) cells of a territory.
fn place_cells(territory: usize) -> Vec<(&'static str, String)> {
    match TERRITORIES[territory].place {
        Place::UsStates(states) => vec![("country", "\"US\"".to_string()), ("state", quoted(states))],
        Place::Countries(countries) => vec![("country", quoted(countries))],
    }
}

/// The `employees ?? 0` cell of a band: `[lo..hi)`, or `>= lo` for the last.
fn band_cell(band: usize) -> String {
    let (lo, hi) = BANDS[band];
    hi.map_or(format!(">= {lo}"), |hi| format!("[{lo}..{hi})"))
}

/// The segment a lead falls in: an override's rule name, or territory and tier.
fn segment_name(territory: usize, tier: usize) -> String {
    format!("{}_{}", TERRITORIES[territory].name, TIERS[tier].name)
}

/// The score cell of a tier: its own threshold, below the one above.
fn tier_cell(tier: usize) -> String {
    let min = TIERS[tier].min_score;
    let above = tier.checked_sub(1).and_then(|p| TIERS[p].min_score);
    match (min, above) {
        (Some(lo), Some(hi)) => format!(">= {lo} and < {hi}"),
        (Some(lo), None) => format!(">= {lo}"),
        (None, Some(hi)) => format!("< {hi}"),
        (None, None) => String::new(),
    }
}

/// A decision table row: `_id`, the given cells (others empty: any), outputs.
fn table_row(id: &str, columns: &[&str], cells: &[(&str, String)], outputs: &[(&str, String)]) -> Value {
    let mut m = Map::new();
    m.insert("_id".into(), id.into());
    for col in columns {
        let cell = cells.iter().find(|(c, _)| c == col).map_or(String::new(), |(_, v)| v.clone());
        m.insert((*col).into(), cell.into());
    }
    for (col, v) in outputs {
        m.insert((*col).into(), v.clone().into());
    }
    Value::Object(m)
}

/// A node setting `dest` (an override's or the fallback's destination).
fn dest_node(id: &str, dest: usize) -> Value {
    json!({ "id": id, "name": id, "type": "expressionNode", "content": {
        "expressions": [{ "id": format!("{id}_dest"), "key": "dest", "value": dest.to_string() }]
    } })
}

/// The table as ZEN's idiomatic nested graph (see the module comment).
///
/// - `segment` (first hit, passing the lead through): the overrides'
///   rows, then one row per (territory, tier) with rules, then `none`;
/// - `switch` (first hit) on `segment`: each override to a node setting
///   its `dest`, each (territory, tier) to its table, else the fallback;
/// - per (territory, tier): a first-hit table on `source` (when its rules
///   name one) and `employees ?? 0`, one row per rule, then the fallback.
///
/// Errors when the table's shape would make the nesting change
/// first-match results (see [`crate::nested`]).
pub fn jdm_nested(t: &Table) -> Result<Value, String> {
    let n = nest(t)?;
    let fb = n.fallback.to_string();
    let seg_cols = ["source", "partner_id", "country", "state", "score"];
    let mut seg_rows = Vec::new();
    let mut nodes = vec![json!({ "id": "in", "name": "request", "type": "inputNode", "content": {} })];
    let mut edges = vec![json!({ "id": "e_in", "sourceId": "in", "targetId": "segment" })];
    let mut statements = Vec::new();
    let mut branch = |segment: &str, target: &str, nodes: &mut Vec<Value>, node: Value| {
        let sid = format!("s_{segment}");
        statements.push(json!({ "id": sid, "condition": format!("segment == \"{segment}\"") }));
        edges.push(json!({ "id": format!("e_{segment}"), "sourceId": "switch", "targetId": target, "sourceHandle": sid }));
        edges.push(json!({ "id": format!("e_{segment}_out"), "sourceId": target, "targetId": "out" }));
        nodes.push(node);
    };
    for r in &n.overrides {
        let cells = override_cells(r).ok_or_else(|| format!("rule `{}` is not an override", r.name))?;
        seg_rows.push(table_row(&r.name, &seg_cols, &cells, &[("segment", format!("\"{}\"", r.name))]));
        let id = format!("dest_{}", r.name);
        branch(&r.name, &id, &mut nodes, dest_node(&id, r.dest));
    }
    for g in &n.territories {
        let place = place_cells(g.territory);
        for tr in &g.tiers {
            let segment = segment_name(g.territory, tr.tier);
            let mut cells = place.clone();
            cells.push(("score", tier_cell(tr.tier)));
            seg_rows.push(table_row(&segment, &seg_cols, &cells, &[("segment", format!("\"{segment}\""))]));
            let cols: &[&str] = if tr.by_source() { &["source", "employees"] } else { &["employees"] };
            let mut rows = Vec::new();
            for s in &tr.sources {
                for (band, dest) in s.bands.iter().enumerate() {
                    let Some(dest) = dest else { continue };
                    let mut cells = vec![("employees", band_cell(band))];
                    if let Some(src) = s.source {
                        cells.push(("source", format!("\"{}\"", SOURCES[src])));
                    }
                    rows.push(table_row(&format!("{segment}_{band}_{}", rows.len()), cols, &cells, &[("dest", dest.to_string())]));
                }
            }
            rows.push(table_row(&format!("{segment}_otherwise"), cols, &[], &[("dest", fb.clone())]));
            let inputs: Vec<Value> = cols
                .iter()
                .map(|&c| {
                    let field = if c == "employees" { "employees ?? 0" } else { c };
                    json!({ "id": c, "name": c, "field": field })
                })
                .collect();
            let id = format!("t_{segment}");
            let node = json!({ "id": id, "name": segment, "type": "decisionTableNode", "content": {
                "hitPolicy": "first", "inputs": inputs,
                "outputs": [{ "id": "dest", "name": "Destination", "field": "dest" }], "rules": rows
            } });
            branch(&segment, &id, &mut nodes, node);
        }
    }
    seg_rows.push(table_row("none", &seg_cols, &[], &[("segment", "\"none\"".into())]));
    statements.push(json!({ "id": "s_otherwise", "condition": "" }));
    edges.push(json!({ "id": "e_otherwise", "sourceId": "switch", "targetId": "dest_fallback", "sourceHandle": "s_otherwise" }));
    edges.push(json!({ "id": "e_otherwise_out", "sourceId": "dest_fallback", "targetId": "out" }));
    edges.push(json!({ "id": "e_segment", "sourceId": "segment", "targetId": "switch" }));
    nodes.push(dest_node("dest_fallback", n.fallback));
    let seg_inputs: Vec<Value> = seg_cols.iter().map(|&c| json!({ "id": c, "name": c, "field": c })).collect();
    nodes.push(json!({ "id": "segment", "name": "segment", "type": "decisionTableNode", "content": {
        "hitPolicy": "first", "passThrough": true, "inputs": seg_inputs,
        "outputs": [{ "id": "segment", "name": "Segment", "field": "segment" }], "rules": seg_rows
    } }));
    nodes.push(json!({ "id": "switch", "name": "by segment", "type": "switchNode", "content": {
        "hitPolicy": "first", "statements": statements
    } }));
    nodes.push(json!({ "id": "out", "name": "response", "type": "outputNode", "content": {} }));
    Ok(json!({ "nodes": nodes, "edges": edges }))
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
