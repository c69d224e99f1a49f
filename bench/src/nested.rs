//! The table regrouped the way a rule author nests it by hand: the
//! overrides first, then territory → tier → source → employee band.
//!
//! Both nested peer encodings (JSONLogic in [`crate::jsonlogic`], the ZEN
//! decision graph in [`crate::zen`]) are generated from this shape, so the
//! regrouping is checked once, here. It keeps first-match semantics only
//! because of facts about the table that [`nest`] verifies instead of
//! assuming: the overrides come before every specific rule, territories do
//! not overlap (and no country list holds `"US"`, which the US territories
//! claim), tiers are exclusive, and the bands are contiguous and disjoint,
//! so at most one specific rule can hold for a lead and the order of the
//! groups does not matter.

use crate::table::{Cond, Place, Rule, Table, BANDS, TERRITORIES, TIERS};

/// One source's rules inside a (territory, tier): the destination per band.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRules {
    /// Index into [`crate::table::SOURCES`]; `None` matches every source.
    pub source: Option<usize>,
    /// Destination per band of [`BANDS`] (`None`: no rule, the fallback).
    pub bands: Vec<Option<usize>>,
}

/// The rules of one tier inside one territory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierRules {
    /// Index into [`TIERS`].
    pub tier: usize,
    /// Either one entry with `source: None`, or one per source, in the
    /// order the table first names them.
    pub sources: Vec<SourceRules>,
}

/// The rules of one territory, by tier in [`TIERS`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerritoryRules {
    /// Index into [`TERRITORIES`].
    pub territory: usize,
    /// Only the tiers that have rules.
    pub tiers: Vec<TierRules>,
}

/// The table as nested groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Nested<'t> {
    /// The rules before the first specific rule (partner, referral), in order.
    pub overrides: Vec<&'t Rule>,
    /// Territories with rules, in [`TERRITORIES`] order.
    pub territories: Vec<TerritoryRules>,
    /// Where a lead goes when no rule holds.
    pub fallback: usize,
}

impl TierRules {
    /// True when the tier's rules name their sources (else they hold for any).
    pub fn by_source(&self) -> bool {
        self.sources.iter().any(|s| s.source.is_some())
    }
}

/// Checks the facts the regrouping relies on (see the module comment).
fn check_table_shape() -> Result<(), String> {
    for pair in BANDS.windows(2) {
        if pair[0].1 != Some(pair[1].0) {
            return Err(format!("bands {:?} and {:?} are not contiguous", pair[0], pair[1]));
        }
    }
    if BANDS.last().is_some_and(|b| b.1.is_some()) {
        return Err("the last band has an upper bound".into());
    }
    for t in &TERRITORIES {
        if let Place::Countries(countries) = t.place {
            if countries.contains(&"US") {
                return Err(format!("territory `{}` lists `US`, which the US territories match by state", t.name));
            }
        }
    }
    for t in &TERRITORIES {
        let (Place::UsStates(mine) | Place::Countries(mine)) = t.place;
        let same_kind: Vec<&str> = TERRITORIES
            .iter()
            .filter(|o| o.name != t.name && std::mem::discriminant(&o.place) == std::mem::discriminant(&t.place))
            .flat_map(|o| match o.place {
                Place::UsStates(s) | Place::Countries(s) => s.iter().copied(),
            })
            .collect();
        if let Some(p) = mine.iter().find(|p| same_kind.contains(p)) {
            return Err(format!("territory `{}` overlaps another on `{p}`", t.name));
        }
    }
    Ok(())
}

/// Regroups `t`; an error names the fact about the table that would make
/// the nested encodings disagree with first-match order.
pub fn nest(t: &Table) -> Result<Nested<'_>, String> {
    check_table_shape()?;
    let first_specific = t.rules.iter().position(|r| matches!(r.cond, Cond::Specific { .. })).unwrap_or(t.rules.len());
    let (overrides, specific) = t.rules.split_at(first_specific);
    let mut territories: Vec<TerritoryRules> = Vec::new();
    for r in specific {
        let Cond::Specific { territory, tier, source, band } = r.cond else {
            return Err(format!("rule `{}` is an override after a specific rule", r.name));
        };
        if territory >= TERRITORIES.len() || tier >= TIERS.len() || band >= BANDS.len() {
            return Err(format!("rule `{}` names an unknown territory, tier or band", r.name));
        }
        let terr = match territories.iter_mut().position(|g| g.territory == territory) {
            Some(i) => &mut territories[i],
            None => {
                territories.push(TerritoryRules { territory, tiers: Vec::new() });
                territories.last_mut().ok_or("just pushed")?
            }
        };
        let tr = match terr.tiers.iter_mut().position(|g| g.tier == tier) {
            Some(i) => &mut terr.tiers[i],
            None => {
                terr.tiers.push(TierRules { tier, sources: Vec::new() });
                terr.tiers.last_mut().ok_or("just pushed")?
            }
        };
        if tr.sources.iter().any(|s| s.source.is_some() != source.is_some()) {
            return Err(format!("rule `{}` mixes rules for any source and for one source in one tier", r.name));
        }
        let sr = match tr.sources.iter_mut().position(|s| s.source == source) {
            Some(i) => &mut tr.sources[i],
            None => {
                tr.sources.push(SourceRules { source, bands: vec![None; BANDS.len()] });
                tr.sources.last_mut().ok_or("just pushed")?
            }
        };
        // First match wins: a later rule for the same band never fires.
        sr.bands[band].get_or_insert(r.dest);
    }
    territories.sort_by_key(|g| g.territory);
    for g in &mut territories {
        g.tiers.sort_by_key(|t| t.tier);
    }
    Ok(Nested { overrides: overrides.iter().collect(), territories, fallback: t.fallback })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::table;

    #[test]
    fn every_specific_rule_lands_in_one_group() {
        let t = table();
        let n = nest(&t).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n.overrides.len(), 2);
        let leaves: usize =
            n.territories.iter().flat_map(|g| &g.tiers).flat_map(|t| &t.sources).map(|s| s.bands.iter().flatten().count()).sum();
        assert_eq!(leaves + n.overrides.len(), t.rules.len());
    }

    #[test]
    fn an_override_after_a_specific_rule_is_refused() {
        let mut t = table();
        let partner = t.rules.remove(0);
        t.rules.push(partner);
        assert!(nest(&t).is_err_and(|e| e.contains("after a specific rule")));
    }
}
