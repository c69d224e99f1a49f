//! Territory overlap: two territories that can match the same lead.

use super::predicate::{both, Analyzer, Dnf};
use super::reach::{empty, example_with, meet, prune, Raised};
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

/// Each pair of overlapping territories whose common leads reach a rule that
/// reads the territory, with an example lead and that rule: E0023 without an
/// `ambiguous_territory` handler, W0008 with one. Pairs whose leads a
/// `territory is ambiguous` rule takes first, or whose territory is never
/// read, route as written and are not reported.
pub fn check(syms: &Symbols, raised: &[Raised], diags: &mut Vec<Diagnostic>) {
    let handled = syms.has_handler("ambiguous_territory");
    let an = Analyzer::new(syms);
    let conds: Vec<Dnf> = syms.territories.iter().map(|t| prune(&an, an.dnf(&t.condition))).collect();
    for o in overlaps(syms) {
        let pair = both(&conds[o.first], &conds[o.second]);
        // Where the pair's leads are raised; a place whose leads are known first.
        let mut places = raised.iter().filter_map(|r| Some(meet(&an, &r.leads, &pair)).filter(|m| !empty(m)).map(|m| (r, m)));
        let Some((at, leads)) = places.clone().find(|(r, _)| !r.guess).or_else(|| places.next()) else {
            continue;
        };
        let found = if at.guess { None } else { example_with(&an, &leads) };
        if handled && found.is_none() && o.example.is_none() {
            continue; // an uncertain overlap that a handler would take anyway
        }
        let (a, b) = (syms.territories[o.first], syms.territories[o.second]);
        let code = if handled { Code::W0008 } else { Code::E0023 };
        let mut d = Diagnostic::new(code, b.name.span, format!("territories `{}` and `{}` can both match a lead", a.name.name, b.name.name))
            .with_secondary(a.name.span, format!("`{}` declared here", a.name.name))
            .with_secondary(at.rule.span, format!("such a lead is ambiguous when {} reads its territory", at.label));
        d = match (found, &o.example) {
            (Some((mut short, lead)), _) => {
                short.retain(|_, v| !v.is_null()); // missing fields: the whole example shows them absent
                d.label(format!("e.g. a lead with {}", serde_json::Value::Object(short))).with_example(lead)
            }
            // In both territories for certain, but whether it gets to the rule is beyond the analysis: no replayable example.
            (None, Some(short)) => d.label(format!("e.g. a lead with {}", serde_json::Value::Object(short.clone()))),
            (None, None) => d.label("leadroute cannot prove these conditions exclude each other"),
        };
        d = d.help(if handled {
            "such leads go to the `ambiguous_territory` handler there; test `territory is ambiguous` in an earlier rule to place them yourself, or allow W0008 on the territory"
        } else {
            "make the conditions exclusive, or decide what happens: `when territory is ambiguous -> queue territory_review` before that rule, or `on ambiguous_territory -> queue territory_review`"
        });
        diags.push(d);
    }
}
