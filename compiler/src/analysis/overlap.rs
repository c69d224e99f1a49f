//! Territory overlap: two territories that can match the same lead.

use super::predicate::Analyzer;
use crate::check::symbols::Symbols;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;

/// Two territories that may both match, with an example lead when one is known for certain.
#[derive(Debug, Clone)]
pub struct Overlap {
    /// Index of the earlier territory.
    pub first: usize,
    /// Index of the later territory.
    pub second: usize,
    /// An example lead (constrained fields only) that matches both; `None`
    /// when the conditions are beyond the analysis.
    pub example: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Every pair of territories that may overlap, in declaration order.
pub fn overlaps(syms: &Symbols) -> Vec<Overlap> {
    let an = Analyzer::new(syms);
    let dnfs: Vec<_> = syms.territories.iter().map(|t| an.dnf(&t.condition)).collect();
    let mut out = Vec::new();
    for i in 0..dnfs.len() {
        for j in i + 1..dnfs.len() {
            let (Some(a), Some(b)) = (&dnfs[i], &dnfs[j]) else {
                out.push(Overlap { first: i, second: j, example: None });
                continue;
            };
            if !an.intersects(&dnfs[i], &dnfs[j]) {
                continue;
            }
            let mut found: Option<Option<serde_json::Map<String, serde_json::Value>>> = None;
            'pairs: for x in a {
                for y in b {
                    if let Some(t) = an.meet(x, y) {
                        let example = if t.opaque { None } else { an.witness(&t) };
                        let certain = example.is_some();
                        found = Some(example);
                        if certain {
                            break 'pairs;
                        }
                    }
                }
            }
            if let Some(example) = found {
                out.push(Overlap { first: i, second: j, example });
            }
        }
    }
    out
}

/// E0023 for overlapping territories when no `ambiguous_territory` handler exists
/// (each territory is reported once, against the first territory it overlaps).
pub fn check(syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    if syms.has_handler("ambiguous_territory") {
        return;
    }
    let an = Analyzer::new(syms);
    let mut reported = std::collections::BTreeSet::new();
    for o in overlaps(syms) {
        if !reported.insert(o.second) {
            continue;
        }
        let (a, b) = (syms.territories[o.first], syms.territories[o.second]);
        let mut d = Diagnostic::new(
            Code::E0023,
            b.name.span,
            format!("territories `{}` and `{}` can both match a lead", a.name.name, b.name.name),
        )
        .with_secondary(a.name.span, format!("`{}` declared here", a.name.name));
        d = match &o.example {
            Some(ex) => d
                .label(format!("e.g. a lead with {}", serde_json::Value::Object(ex.clone())))
                .with_example(super::witness::complete(&an, ex)),
            None => d.label("leadroute cannot prove these conditions exclude each other"),
        };
        d = d.help("make the conditions exclusive, or decide what happens: `on ambiguous_territory -> queue territory_review`");
        diags.push(d);
    }
}
