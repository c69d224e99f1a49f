//! Availability: the clock-dependent part computed once per decision time
//! (working hours and calendar day in each rep's zone), and the per-lead
//! check against rep state.

use crate::policy::Policy;
use crate::state::{RepState, State};

/// The decision time, with what depends only on it precomputed for every rep.
/// Build one per distinct `now` ([`Policy::at`]); a batch at one time shares it.
#[derive(Debug, Clone)]
pub struct Moment {
    /// Milliseconds since the epoch.
    pub now: i64,
    /// Per rep: inside working hours now.
    pub(crate) in_hours: Vec<bool>,
    /// Per rep: the local calendar day now.
    pub(crate) day: Vec<jiff::civil::Date>,
}

/// Why a rep cannot take a lead now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// Marked inactive (policy or state).
    Inactive,
    /// Out of office until later.
    OutOfOffice,
    /// Outside working hours.
    OffHours,
    /// Open load at its cap.
    OpenCap,
    /// Daily count at its cap.
    DailyCap,
}

impl Unavailable {
    /// Short text for traces.
    pub fn as_str(self) -> &'static str {
        match self {
            Unavailable::Inactive => "inactive",
            Unavailable::OutOfOffice => "out of office",
            Unavailable::OffHours => "outside working hours",
            Unavailable::OpenCap => "at open-load capacity",
            Unavailable::DailyCap => "at daily cap",
        }
    }

    /// True for the two capacity causes (they raise `over_capacity`).
    pub fn is_capacity(self) -> bool {
        matches!(self, Unavailable::OpenCap | Unavailable::DailyCap)
    }
}

impl Policy {
    /// Prepares the decision time `now` (milliseconds since the epoch).
    pub fn at(&self, now: i64) -> Moment {
        let ts = jiff::Timestamp::from_millisecond(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let mut in_hours = Vec::with_capacity(self.ir.reps.len());
        let mut day = Vec::with_capacity(self.ir.reps.len());
        for (i, rep) in self.ir.reps.iter().enumerate() {
            day.push(ts.to_zoned(self.rep_tz[i].clone()).date());
            let inside = rep.hours.is_empty()
                || rep.hours.iter().zip(&self.hours_tz[i]).any(|(h, tz)| {
                    let local = ts.to_zoned(tz.clone());
                    let weekday = local.weekday().to_monday_zero_offset() as u8;
                    let minute = local.hour() as u16 * 60 + local.minute() as u16;
                    h.days & (1 << weekday) != 0 && minute >= h.start && minute < h.end
                });
            in_hours.push(inside);
        }
        Moment { now, in_hours, day }
    }

    /// The rep's count of leads today, at `moment` (0 when the state's day is another day).
    pub fn today_count(&self, rep: usize, s: &RepState, moment: &Moment) -> u32 {
        match s.day {
            Some(d) if d != moment.day[rep] => 0,
            _ => s.assigned_today,
        }
    }

    /// Whether the rep can take a lead now; the first reason it cannot.
    pub fn availability(&self, rep: usize, state: &State, moment: &Moment) -> Result<(), Unavailable> {
        let def = &self.ir.reps[rep];
        let s = &state.reps[rep];
        if !def.active || !s.active {
            return Err(Unavailable::Inactive);
        }
        if s.out_of_office_until.is_some_and(|t| t > moment.now) {
            return Err(Unavailable::OutOfOffice);
        }
        if !moment.in_hours[rep] {
            return Err(Unavailable::OffHours);
        }
        if s.max_open.or(def.max_open).is_some_and(|cap| s.open_load >= cap) {
            return Err(Unavailable::OpenCap);
        }
        if s.max_per_day.or(def.max_per_day).is_some_and(|cap| self.today_count(rep, s, moment) >= cap) {
            return Err(Unavailable::DailyCap);
        }
        Ok(())
    }
}
