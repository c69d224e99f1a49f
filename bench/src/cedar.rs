//! Cedar (`cedar-policy`): each rule a `permit` policy annotated with its
//! index; the decision is the lowest index among the satisfied policies.
//!
//! Cedar has no floating point: the score goes into the context as a Long
//! in ten-thousandths (`floor(score * 10000)`), which orders exactly like
//! the float against the table's whole-number thresholds. A missing
//! `employees` is passed as 0 (the table's rule, like Route's
//! `on missing(employees) -> assume 0`); a missing `state` or `partner_id`
//! is left out of the context and tested with `has`.

use std::collections::HashMap;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Entities, EntityId, EntityTypeName, EntityUid, PolicyId, PolicySet, Request,
    RestrictedExpression,
};

use crate::native::NativeLead;
use crate::table::{Cond, Place, Table, BANDS, SOURCES, TERRITORIES, TIERS};

/// Score scale: Cedar Longs hold the score in ten-thousandths.
const SCALE: f64 = 10_000.0;

fn scaled(score: f64) -> i64 {
    (score * SCALE).floor() as i64
}

fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The table as Cedar policies, one `permit` per rule plus one for the
/// fallback, each with `@rule("<index>")`.
pub fn cedar_source(t: &Table) -> String {
    let mut s = String::new();
    for (i, r) in t.rules.iter().enumerate() {
        let cond = match r.cond {
            Cond::Partner { partner_id } => format!(
                "context.source == \"{}\" && context has partner_id && context.partner_id == \"{partner_id}\"",
                SOURCES[crate::table::PARTNER]
            ),
            Cond::Referral { min_score } => format!(
                "context.source == \"{}\" && context.score >= {}",
                SOURCES[crate::table::REFERRAL],
                scaled(min_score)
            ),
            Cond::Specific { territory, tier, source, band } => {
                let mut c = match TERRITORIES[territory].place {
                    Place::UsStates(states) => {
                        format!("context.country == \"US\" && context has state && {}.contains(context.state)", list(states))
                    }
                    Place::Countries(countries) => format!("{}.contains(context.country)", list(countries)),
                };
                // First tier reached wins: this tier's threshold, and below the previous one's.
                if let Some(min) = TIERS[tier].min_score {
                    c.push_str(&format!(" && context.score >= {}", scaled(min)));
                }
                if let Some(above) = tier.checked_sub(1).and_then(|p| TIERS[p].min_score) {
                    c.push_str(&format!(" && context.score < {}", scaled(above)));
                }
                if let Some(src) = source {
                    c.push_str(&format!(" && context.source == \"{}\"", SOURCES[src]));
                }
                let (lo, hi) = BANDS[band];
                c.push_str(&format!(" && context.employees >= {lo}"));
                if let Some(hi) = hi {
                    c.push_str(&format!(" && context.employees < {hi}"));
                }
                c
            }
        };
        s.push_str(&format!("@rule(\"{i}\")\n@name(\"{}\")\npermit(principal, action, resource) when {{ {cond} }};\n", r.name));
    }
    s.push_str(&format!("@rule(\"{}\")\n@name(\"otherwise\")\npermit(principal, action, resource);\n", t.rules.len()));
    s
}

/// A parsed Cedar policy set ready to authorize, and the policy → destination map.
#[derive(Debug)]
pub struct Cedar {
    policies: PolicySet,
    authorizer: Authorizer,
    entities: Entities,
    principal: EntityUid,
    action: EntityUid,
    resource: EntityUid,
    /// Policy id → (rule index, destination index).
    by_id: HashMap<PolicyId, (usize, usize)>,
}

fn uid(ty: &str, id: &str) -> Result<EntityUid, String> {
    let ty = EntityTypeName::from_str(ty).map_err(|e| e.to_string())?;
    Ok(EntityUid::from_type_name_and_id(ty, EntityId::new(id)))
}

/// Parses the policy text: the "load" step timed for Cedar.
pub fn parse(text: &str) -> Result<PolicySet, String> {
    PolicySet::from_str(text).map_err(|e| format!("{e:?}"))
}

impl Cedar {
    /// Parses `text` (from [`cedar_source`] of `t`) and indexes its policies.
    pub fn new(t: &Table, text: &str) -> Result<Cedar, String> {
        let policies = parse(text)?;
        let mut by_id = HashMap::new();
        for p in policies.policies() {
            let rule: usize = p
                .annotation("rule")
                .and_then(|r| r.parse().ok())
                .ok_or_else(|| format!("policy {} has no @rule index", p.id()))?;
            let dest = t.rules.get(rule).map_or(t.fallback, |r| r.dest);
            by_id.insert(p.id().clone(), (rule, dest));
        }
        Ok(Cedar {
            policies,
            authorizer: Authorizer::new(),
            entities: Entities::empty(),
            principal: uid("Lead", "lead")?,
            action: uid("Action", "route")?,
            resource: uid("Router", "main")?,
            by_id,
        })
    }

    /// The request a service builds for one lead: the context from the typed
    /// lead. (A missing `employees` is sent as 0.)
    pub fn request(&self, lead: &NativeLead) -> Request {
        let mut pairs = Vec::with_capacity(6);
        pairs.push(("country".to_string(), RestrictedExpression::new_string(lead.country.clone())));
        if let Some(s) = &lead.state {
            pairs.push(("state".to_string(), RestrictedExpression::new_string(s.clone())));
        }
        pairs.push(("employees".to_string(), RestrictedExpression::new_long(lead.employees.unwrap_or(0))));
        pairs.push(("score".to_string(), RestrictedExpression::new_long(scaled(lead.score))));
        pairs.push(("source".to_string(), RestrictedExpression::new_string(lead.source.name().to_string())));
        if let Some(p) = &lead.partner_id {
            pairs.push(("partner_id".to_string(), RestrictedExpression::new_string(p.clone())));
        }
        // Keys are distinct and values are plain literals: this cannot fail.
        let context = Context::from_pairs(pairs).expect("a flat context of literals");
        // No schema is given, so there is nothing to validate against.
        Request::new(self.principal.clone(), self.action.clone(), self.resource.clone(), context, None)
            .expect("a request without schema")
    }

    /// The destination for a prepared request: `is_authorized`, then the
    /// lowest rule index among the satisfied policies.
    #[inline]
    pub fn decide_request(&self, request: &Request) -> usize {
        let response = self.authorizer.is_authorized(request, &self.policies, &self.entities);
        let mut best = (usize::MAX, usize::MAX);
        for id in response.diagnostics().reason() {
            if let Some(&(rule, dest)) = self.by_id.get(id) {
                if rule < best.0 {
                    best = (rule, dest);
                }
            }
        }
        best.1
    }

    /// Builds the request for `lead` and decides it (what a service does per lead).
    #[inline]
    pub fn decide(&self, lead: &NativeLead) -> usize {
        self.decide_request(&self.request(lead))
    }
}
