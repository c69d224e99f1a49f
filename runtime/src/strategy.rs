//! The allocation strategies: which available member of a team gets the lead,
//! and how the team's rotation state moves.

use crate::avail::{Moment, Unavailable};
use crate::decision::{Skip, SkipReason, TeamUpdate};
use crate::ir::{Strategy, Value};
use crate::lead::Lead;
use crate::policy::Policy;
use crate::state::State;

/// A rep chosen by a strategy.
pub(crate) struct Pick {
    pub rep: u32,
    pub update: TeamUpdate,
}

/// Why no member was chosen: each member skipped and why.
pub(crate) struct NoPick {
    pub skipped: Vec<(u32, Unavailable)>,
    pub detail: Option<String>,
}

impl Policy {
    pub(crate) fn pick(&self, team: u32, strategy: Strategy, lead: &Lead, state: &State, m: &Moment) -> Result<Pick, NoPick> {
        self.pick_excluding(team, strategy, lead, state, m, &[])
    }

    /// [`Policy::pick`] among the members not in `exclude` (reps who already
    /// held the lead, for an SLA breach); excluded members are not reported
    /// as skipped, the caller knows why they were left out.
    pub(crate) fn pick_excluding(&self, team: u32, strategy: Strategy, lead: &Lead, state: &State, m: &Moment, exclude: &[u32]) -> Result<Pick, NoPick> {
        let def = &self.ir.teams[team as usize];
        if let Some(closed) = self.team_closed(team, m) {
            return Err(NoPick { skipped: Vec::new(), detail: Some(closed) });
        }
        let ts = &state.teams[team as usize];
        let n = def.members.len();
        // Round robin takes the first available member from the cursor on:
        // only the members it passes are looked at, and everyone only when
        // nobody is available (to say why each was skipped).
        if strategy == Strategy::RoundRobin {
            let start = ts.cursor.map_or(0, |c| (c as usize + 1) % n.max(1));
            let found = (0..n).map(|k| (start + k) % n).find(|&p| {
                let rep = def.members[p];
                !exclude.contains(&rep) && self.availability(rep as usize, state, m).is_ok()
            });
            return match found {
                Some(p) => Ok(Pick { rep: def.members[p], update: TeamUpdate::Cursor(p as u32) }),
                None => {
                    let skipped = def.members.iter().filter(|r| !exclude.contains(r)).filter_map(|&rep| self.availability(rep as usize, state, m).err().map(|why| (rep, why))).collect();
                    Err(NoPick { skipped, detail: None })
                }
            };
        }
        // Which members are available, by position: on the stack for usual teams.
        let (mut small, mut big) = ([false; 64], Vec::new());
        let avail: &mut [bool] = if n <= small.len() {
            &mut small[..n]
        } else {
            big.resize(n, false);
            &mut big
        };
        let mut skipped = Vec::new();
        for (pos, &rep) in def.members.iter().enumerate() {
            if exclude.contains(&rep) {
                continue;
            }
            match self.availability(rep as usize, state, m) {
                Ok(()) => avail[pos] = true,
                Err(why) => skipped.push((rep, why)),
            }
        }
        let avail = &*avail;
        let available = || (0..n).filter(|p| avail[*p]);
        let member = |pos: usize| def.members[pos];
        match strategy {
            // Answered above.
            Strategy::RoundRobin => Err(NoPick { skipped, detail: None }),
            Strategy::Weighted => {
                let Some(first) = available().next() else {
                    return Err(NoPick { skipped, detail: None });
                };
                let mut current: Vec<i64> = (0..def.members.len()).map(|p| ts.weights.get(p).copied().unwrap_or(0)).collect();
                let mut total = 0i64;
                for p in available() {
                    let w = i64::from(self.ir.reps[member(p) as usize].weight);
                    current[p] = current[p].saturating_add(w);
                    total += w;
                }
                // The highest current weight wins; ties go to the earlier member.
                let best = available().fold(first, |b, p| if current[p] > current[b] { p } else { b });
                current[best] = current[best].saturating_sub(total);
                Ok(Pick { rep: member(best), update: TeamUpdate::Weights(current) })
            }
            Strategy::Capacity => {
                // Lowest load relative to capacity (open load over its cap, else
                // today's count over its daily cap, else zero); ties: lower open
                // load, then member order.
                let key = |p: usize| {
                    let (num, den, _) = self.capacity_load(member(p) as usize, state, m);
                    (num, den, state.reps[member(p) as usize].open_load, p)
                };
                let best = available().map(key).min_by(|a, b| {
                    (a.0 * b.1).cmp(&(b.0 * a.1)).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3))
                });
                best.map(|k| Pick { rep: member(k.3), update: TeamUpdate::None }).ok_or(NoPick { skipped, detail: None })
            }
            Strategy::Sticky { field } => {
                let owner = match lead.values[field as usize].as_ref() {
                    Some(Value::Str(id)) => id,
                    _ => return Err(NoPick { skipped, detail: Some("the lead names no owner".into()) }),
                };
                let Some(&rep) = self.rep_by_id.get(owner) else {
                    return Err(NoPick { skipped, detail: Some(format!("owner `{owner}` is not a rep")) });
                };
                match def.members.iter().position(|m| *m == rep) {
                    None => Err(NoPick { skipped, detail: Some(format!("owner `{owner}` is not in team `{}`", def.name)) }),
                    Some(p) if avail[p] => Ok(Pick { rep, update: TeamUpdate::None }),
                    Some(_) => {
                        let why = skipped.iter().find(|(r, _)| *r == rep).map_or_else(|| "unavailable".to_string(), |(_, w)| self.why(*w));
                        Err(NoPick { detail: Some(format!("owner `{owner}` is {why}")), skipped })
                    }
                }
            }
        }
    }

    /// A rep's load relative to its capacity for the `capacity` strategy:
    /// open load over its cap (`open`), else today's count over its daily
    /// cap (`today`), else zero over one (no cap: `None`).
    fn capacity_load(&self, rep: usize, state: &State, m: &Moment) -> (u64, u64, Option<&'static str>) {
        let d = &self.ir.reps[rep];
        let s = &state.reps[rep];
        match (s.max_open.or(d.max_open), s.max_per_day.or(d.max_per_day)) {
            (Some(cap), _) => (u64::from(s.open_load), u64::from(cap), Some("open")),
            (None, Some(cap)) => (u64::from(self.today_count(rep, s, m)), u64::from(cap), Some("today")),
            (None, None) => (0, 1, None),
        }
    }

    /// [`Policy::capacity_load`] as a trace writes it: `4 of 10 open`, `1 of 3 today`, `no cap`.
    fn capacity_text(&self, rep: usize, state: &State, m: &Moment) -> String {
        match self.capacity_load(rep, state, m) {
            (n, cap, Some(unit)) => format!("{n} of {cap} {unit}"),
            (_, _, None) => "no cap".into(),
        }
    }

    /// Every member of `team` but `chosen`, in team order, with why the
    /// strategy did not give it the lead: unavailable, or not next (for the
    /// rotating and balancing strategies; a sticky team has one candidate,
    /// its owner, so it names nobody). `state` is the state before the pick;
    /// members in `exclude` were left out by the caller and are not named.
    pub(crate) fn passed_over(&self, team: u32, strategy: Strategy, state: &State, m: &Moment, chosen: u32, exclude: &[u32]) -> Vec<Skip> {
        if matches!(strategy, Strategy::Sticky { .. }) {
            return Vec::new();
        }
        let def = &self.ir.teams[team as usize];
        let ts = &state.teams[team as usize];
        let id = |rep: u32| self.ir.reps[rep as usize].id.as_str();
        let weight = |pos: usize| {
            let rep = def.members[pos];
            ts.weights.get(pos).copied().unwrap_or(0).saturating_add(i64::from(self.ir.reps[rep as usize].weight))
        };
        let chosen_pos = def.members.iter().position(|r| *r == chosen).unwrap_or(0);
        let mut out = Vec::new();
        for (pos, &rep) in def.members.iter().enumerate() {
            if rep == chosen || exclude.contains(&rep) {
                continue;
            }
            if let Err(u) = self.availability(rep as usize, state, m) {
                out.push(self.skip_of(rep, u, state, m));
                continue;
            }
            let detail = match strategy {
                Strategy::RoundRobin => match ts.cursor.and_then(|c| def.members.get(c as usize)) {
                    Some(&last) => format!("the last lead went to {}; {} comes first after", id(last), id(chosen)),
                    None => format!("no lead yet; {} comes first", id(chosen)),
                },
                Strategy::Weighted => {
                    let (mine, theirs) = (weight(pos), weight(chosen_pos));
                    if mine == theirs {
                        format!("current weight {mine}, tied with {}, who comes earlier in the team", id(chosen))
                    } else {
                        format!("current weight {mine}, {} has {theirs}", id(chosen))
                    }
                }
                Strategy::Capacity => {
                    let (mine, theirs) = (self.capacity_text(rep as usize, state, m), self.capacity_text(chosen as usize, state, m));
                    format!("load {mine}, {} has {theirs}", id(chosen))
                }
                Strategy::Sticky { .. } => String::new(),
            };
            out.push(Skip { rep: id(rep).to_string(), why: SkipReason::NotNext, detail: Some(detail) });
        }
        out
    }
}
