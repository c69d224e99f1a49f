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

/// The constrained fields of an example, completed into a whole lead.
pub fn complete(analyzer: &Analyzer, constrained: &serde_json::Map<String, serde_json::Value>) -> serde_json::Value {
    fill(analyzer, constrained).unwrap_or_else(|| serde_json::Value::Object(constrained.clone()))
}

/// A whole example lead satisfying `term`, in schema order; `None` when the
/// term cannot be satisfied.
pub fn example_lead(analyzer: &Analyzer, term: &Term) -> Option<serde_json::Value> {
    fill(analyzer, &analyzer.witness(term)?)
}

/// The constrained fields of the schema (`null`: it must be missing), and
/// every field each example has ([`crate::check::Symbols::example_fields`])
/// with a plain value where the term says nothing. The work is in the
/// fields an example has, not in the schema's: a schema of thousands of
/// optional fields has thousands of examples.
fn fill(analyzer: &Analyzer, constrained: &serde_json::Map<String, serde_json::Value>) -> Option<serde_json::Value> {
    let syms = analyzer.symbols();
    syms.schema?;
    let mut out = serde_json::Map::new();
    for (name, v) in constrained {
        if !v.is_null() && syms.fields.contains_key(name) {
            out.insert(name.clone(), v.clone());
        }
    }
    for name in syms.example_fields() {
        let Some(info) = syms.fields.get(name).filter(|_| !constrained.contains_key(name)) else { continue };
        let v = if name == "id" { serde_json::json!("example-1") } else { plain(&info.ty, analyzer) };
        out.insert(name.to_string(), v);
    }
    Some(serde_json::Value::Object(out))
}
