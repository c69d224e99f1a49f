//! Availability: the clock-dependent part computed once per decision time
//! (working hours, holidays and calendar day in each rep's zone, whether each
//! team is open), the per-lead check against rep state, and SLA due times
//! (business-hours SLAs count the holder's working time).

use std::borrow::Cow;

use crate::decision::{Skip, SkipReason};
use crate::policy::Policy;
use crate::schedule::{Off, Schedule};
use crate::state::{format_time, RepState, State};

/// The decision time, with what depends only on it precomputed for every rep.
/// Build one per distinct `now` ([`Policy::at`]); a batch at one time shares it.
#[derive(Debug, Clone)]
pub struct Moment {
    /// Milliseconds since the epoch.
    pub now: i64,
    /// Per rep: why it is not working now (`None`: it is).
    pub(crate) off: Vec<Option<Off>>,
    /// Per rep: the day its daily count belongs to: the local calendar day,
    /// or with `capacity N per shift` the day the current shift started on.
    pub(crate) day: Vec<jiff::civil::Date>,
    /// Per team: why it takes no leads now (`None`: it is open).
    pub(crate) team_off: Vec<Option<Off>>,
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
    /// A day off in one of the rep's calendars.
    Holiday {
        /// Calendar index.
        calendar: u32,
        /// The day off.
        date: jiff::civil::Date,
    },
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
            Unavailable::Holiday { .. } => "on holiday",
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
        let mut off = Vec::with_capacity(self.ir.reps.len());
        let mut day = Vec::with_capacity(self.ir.reps.len());
        for (i, rep) in self.ir.reps.iter().enumerate() {
            let sched = &self.rep_sched[i];
            let status = if sched.is_always() { Err(Off::Hours) } else { sched.status(&self.calendars, now) };
            let local = crate::schedule::local_date(now, &self.rep_tz[i]);
            day.push(match status {
                Ok(shift_day) if rep.cap_per_shift => shift_day,
                _ => local,
            });
            off.push(if sched.is_always() { None } else { status.err() });
        }
        let team_off = self.team_sched.iter().map(|s| if s.is_always() { None } else { s.status(&self.calendars, now).err() }).collect();
        Moment { now, off, day, team_off }
    }

    /// Why a rep cannot take a lead, for traces: [`Unavailable::as_str`] with the holiday named.
    pub fn why(&self, u: Unavailable) -> String {
        match u {
            Unavailable::Holiday { calendar, date } => self.holiday_text(calendar, date),
            other => other.as_str().to_string(),
        }
    }

    /// `on holiday: 2026-12-25 Christmas Day (calendar `uk`)`.
    fn holiday_text(&self, calendar: u32, date: jiff::civil::Date) -> String {
        let Some(cal) = self.calendars.get(calendar as usize) else { return format!("on holiday: {date}") };
        match cal.days.get(&date) {
            Some(Some(name)) => format!("on holiday: {date} {name} (calendar `{}`)", cal.name),
            _ => format!("on holiday: {date} (calendar `{}`)", cal.name),
        }
    }

    /// `2026-12-25 Christmas Day in calendar `uk``.
    fn holiday_day(&self, calendar: u32, date: jiff::civil::Date) -> String {
        let Some(cal) = self.calendars.get(calendar as usize) else { return date.to_string() };
        match cal.days.get(&date) {
            Some(Some(name)) => format!("{date} {name} in calendar `{}`", cal.name),
            _ => format!("{date} in calendar `{}`", cal.name),
        }
    }

    /// Rep `rep` passed over for `u`, as a trace names it: the reason and its particulars.
    pub(crate) fn skip_of(&self, rep: u32, u: Unavailable, state: &State, moment: &Moment) -> Skip {
        let def = &self.ir.reps[rep as usize];
        let s = &state.reps[rep as usize];
        let (why, detail) = match u {
            Unavailable::Inactive if !def.active => (SkipReason::Inactive, "inactive in the policy".to_string()),
            Unavailable::Inactive => (SkipReason::Inactive, "marked inactive in the rep state".to_string()),
            Unavailable::OutOfOffice => (SkipReason::OutOfOffice, format!("until {}", s.out_of_office_until.map_or_else(String::new, format_time))),
            Unavailable::OffHours => {
                let local = jiff::Timestamp::from_millisecond(moment.now).map(|t| t.to_zoned(self.rep_tz[rep as usize].clone()).strftime("%a %H:%M").to_string());
                (SkipReason::OutsideHours, format!("{} in {}", local.unwrap_or_default(), def.timezone))
            }
            Unavailable::Holiday { calendar, date } => (SkipReason::Holiday, self.holiday_day(calendar, date)),
            Unavailable::OpenCap => (SkipReason::AtCap, format!("open load {} of {}", s.open_load, s.max_open.or(def.max_open).unwrap_or(0))),
            Unavailable::DailyCap => {
                (SkipReason::AtCap, format!("{} today of {} per day", self.today_count(rep as usize, s, moment), s.max_per_day.or(def.max_per_day).unwrap_or(0)))
            }
        };
        Skip { rep: def.id.clone(), why, detail: Some(detail) }
    }

    /// Why team `team` takes no leads at `moment`, if it does not.
    pub(crate) fn team_closed(&self, team: u32, moment: &Moment) -> Option<String> {
        let name = &self.ir.teams[team as usize].name;
        Some(match moment.team_off[team as usize]? {
            Off::Hours => format!("team {name} is closed: outside its hours"),
            Off::Holiday { calendar, date } => format!("team {name} is closed: {}", self.holiday_text(calendar, date)),
        })
    }

    /// The schedule of whoever holds a lead: a rep's own hours; a rep without
    /// hours who took it through a team with a schedule works the team's
    /// (keeping the rep's own days off); a queue's hours.
    fn holder_schedule(&self, holder: Holder) -> Option<Cow<'_, Schedule>> {
        Some(match holder {
            Holder::Rep { rep, team } => {
                let own = &self.rep_sched[rep as usize];
                match team.map(|t| &self.team_sched[t as usize]) {
                    Some(ts) if !own.has_hours() && !ts.is_always() => Cow::Owned(ts.with_calendars(&self.ir.reps[rep as usize].calendars)),
                    _ => Cow::Borrowed(own),
                }
            }
            Holder::Queue(q) => Cow::Borrowed(&self.queue_sched[q as usize]),
            Holder::Nobody => return None,
        })
    }

    /// When an SLA of `ms` that starts at `from` runs out: elapsed time, or with
    /// `business` only the holder's working time (elapsed when nobody holds the lead).
    pub(crate) fn due(&self, from: i64, ms: i64, business: bool, holder: Holder) -> i64 {
        // Only a business-hours SLA needs the holder's schedule.
        match business.then(|| self.holder_schedule(holder)).flatten() {
            Some(s) => s.add(&self.calendars, from, ms),
            None => from.saturating_add(ms),
        }
    }

    /// The tier SLA due time (RFC 3339) of a lead of tier `tier` held by
    /// `holder` from `from`; `None` for a tier without an SLA.
    pub(crate) fn tier_due(&self, tier: u32, from: i64, holder: Holder) -> Option<String> {
        let t = &self.ir.tiers[tier as usize];
        t.sla_ms.map(|ms| format_time(self.due(from, ms, t.sla_business, holder)))
    }

    /// The due time (RFC 3339) of queue `queue`'s SLA for an item queued at `from`.
    pub(crate) fn queue_due_text(&self, queue: u32, from: i64) -> Option<String> {
        let q = &self.ir.queues[queue as usize];
        q.sla_ms.map(|ms| format_time(self.due(from, ms, q.sla_business, Holder::Queue(queue))))
    }

    /// When an item that enters queue `queue` at `from` (ms) is due, by the
    /// queue's SLA (counting the queue's hours for `sla D business`); `None`
    /// for an unknown queue or one without an SLA. The service's timers use it.
    pub fn queue_due(&self, queue: &str, from: i64) -> Option<i64> {
        let i = self.ir.queues.iter().position(|q| q.name == queue)?;
        let q = &self.ir.queues[i];
        q.sla_ms.map(|ms| self.due(from, ms, q.sla_business, Holder::Queue(i as u32)))
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
        match moment.off[rep] {
            None => {}
            Some(Off::Hours) => return Err(Unavailable::OffHours),
            Some(Off::Holiday { calendar, date }) => return Err(Unavailable::Holiday { calendar, date }),
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

/// Who holds a lead, for a business-hours SLA.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Holder {
    /// A rep, and the team it came through.
    Rep { rep: u32, team: Option<u32> },
    /// A queue.
    Queue(u32),
    /// Nobody (a dropped lead).
    Nobody,
}
