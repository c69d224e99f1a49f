//! The duplicate step of a decision: before the routes, a lead whose key
//! an earlier lead had within the window goes to the `on duplicate(...)`
//! handler. It reads no condition, so both backends share it.

use super::{Done, Exc, ExcName, Handled, Origin, Run, Stop};
use crate::ir::DuplicateAction;

impl<'a> Run<'a, '_> {
    /// Runs the duplicate handler when it applies; `None` routes the lead
    /// normally (no handler, no prior, outside the window, or `else continue`).
    pub(super) fn duplicate(&mut self) -> Option<Stop<'a>> {
        let ir = self.ir();
        let def = ir.duplicate.as_ref()?;
        let prior = self.prior?;
        self.p.duplicate_key(self.lead)?;
        let at = prior.decided_at_ms();
        if !at.is_some_and(|at| self.p.within_window(at, self.m.now)) {
            let detail = format!("lead {} decided {}", prior.lead_id, prior.decided_at);
            self.note("duplicate", prior.lead_id.clone(), "outside the window", Some(detail));
            return None;
        }
        self.duplicate_of = Some(prior);
        let owner = prior.owner.as_deref().map(|o| format!(", owner {o}")).unwrap_or_default();
        self.note("duplicate", prior.lead_id.clone(), &def.text, Some(format!("decided {}{owner}", prior.decided_at)));
        self.exceptions.push(Exc { exception: ExcName::Duplicate(&prior.lead_id), handled_by: Handled::Text(&def.text) });
        let origin = Origin::Duplicate;
        let mut hops = 0;
        let stop = match &def.action {
            DuplicateAction::Act { action } => self.action(action, origin, false, &mut hops),
            DuplicateAction::AssignPrevious { fallback } => {
                let rep = prior.owner.as_ref().and_then(|o| self.p.rep_by_id.get(o).copied());
                let failure = match rep {
                    Some(rep) => match self.rep(rep, origin) {
                        Ok(stop) => return Some(stop),
                        Err(exc) => (exc, None),
                    },
                    None => {
                        let why = match &prior.owner {
                            Some(o) => format!("`{o}` is not a rep"),
                            None => format!("lead {} has no owner", prior.lead_id),
                        };
                        self.note("assign", "previous owner".into(), "no such rep", Some(why));
                        ("no_match", Some("no_available_rep"))
                    }
                };
                self.fail(failure, fallback, origin, false, &mut hops)
            }
        };
        match stop.0 {
            Done::Continue => None,
            _ => Some(stop),
        }
    }
}
