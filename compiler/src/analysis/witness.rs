//! Example leads: a satisfying term of the predicate analysis completed into
//! a whole lead (every required field, with plain values where the term says
//! nothing), as JSON.

use super::predicate::{Analyzer, Term};
use crate::check::Ty;

/// A plain value of a type, unlikely to trip conditions.
fn plain(ty: &Ty, analyzer: &Analyzer) -> serde_json::Value {
    use serde_json::json;
    match ty {
        Ty::Int => json!(0),
        Ty::Float => json!(0.0),
        Ty::Bool => json!(false),
        Ty::Time => json!("2026-01-05T15:00:00Z"),
        Ty::Enum(e) => json!(analyzer.symbols().enums.get(e).and_then(|d| d.variants.first()).map(|v| v.name.clone()).unwrap_or_default()),
        Ty::List(_) => json!([]),
        _ => json!("example"),
    }
}

fn has_missing_action(syms: &crate::check::Symbols, field: &str) -> bool {
    use crate::syntax::ast::{Exception, HandlerAction};
    syms.handlers.iter().any(|h| matches!((&h.exception, &h.action), (Exception::Missing { field: f, .. }, HandlerAction::Action(_)) if f.name == field))
}

/// The constrained fields of an example, completed into a whole lead.
pub fn complete(analyzer: &Analyzer, constrained: &serde_json::Map<String, serde_json::Value>) -> serde_json::Value {
    fill(analyzer, constrained).unwrap_or_else(|| serde_json::Value::Object(constrained.clone()))
}

/// A whole example lead satisfying `term`, in schema order; `None` when the
/// term cannot be satisfied.
pub fn example_lead(analyzer: &Analyzer, term: &Term) -> Option<serde_json::Value> {
    fill(analyzer, &analyzer.witness(term)?)
}

fn fill(analyzer: &Analyzer, constrained: &serde_json::Map<String, serde_json::Value>) -> Option<serde_json::Value> {
    let syms = analyzer.symbols();
    let mut out = serde_json::Map::new();
    for f in syms.schema?.fields.iter() {
        let name = &f.name.name;
        let Some(info) = syms.fields.get(name) else { continue };
        match constrained.get(name) {
            Some(serde_json::Value::Null) => {}
            Some(v) => {
                out.insert(name.clone(), v.clone());
            }
            None if name == "id" => {
                out.insert(name.clone(), serde_json::json!("example-1"));
            }
            // An optional field whose absence a `missing(f) -> action` handler
            // intercepts gets a value, so the example goes where it is claimed to.
            None if info.optional && !has_missing_action(syms, name) => {}
            None => {
                out.insert(name.clone(), plain(&info.ty, analyzer));
            }
        }
    }
    Some(serde_json::Value::Object(out))
}
