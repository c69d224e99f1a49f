//! Schedules: working hours (shifts, which may cross midnight) in a time
//! zone, minus the days of holiday calendars. A schedule answers two
//! questions: is this instant working time (and on which shift's day), and
//! when has a given amount of working time passed since an instant (for
//! business-hours SLAs).
//!
//! A shift is a span of real time: from its start on the local day it
//! belongs to, to its end on that day, or on the next when the end is not
//! after the start (`22:00-06:00`). Local times that fall in a daylight-saving
//! gap move forward by the gap's length; in a repeated hour they mean the
//! first occurrence (jiff's "compatible" rule, as RFC 5545 does). A holiday
//! takes away every shift that starts on it, in that shift's zone; with no
//! hours, the whole local day.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::ir::{CalendarDef, HoursDef};

const DAY_MS: i64 = 86_400_000;
/// How far ahead working time is looked for before a schedule counts as having none (then time counts as elapsed).
const HORIZON_DAYS: i64 = 732;

/// One `hours` entry with its zone resolved.
#[derive(Debug, Clone)]
struct Shift {
    days: u8,
    start: u16,
    end: u16,
    tz: TimeZone,
}

/// The days of one calendar, with their names.
#[derive(Debug, Clone, Default)]
pub(crate) struct Calendar {
    pub name: String,
    pub days: BTreeMap<Date, Option<String>>,
}

impl Calendar {
    /// Reads a calendar of the IR; an error names the bad date.
    pub(crate) fn from_ir(c: &CalendarDef) -> Result<Calendar, String> {
        let mut days = BTreeMap::new();
        for d in &c.days {
            let date = d.date.parse::<Date>().map_err(|_| format!("calendar `{}`: `{}` is not a date", c.name, d.date))?;
            days.insert(date, d.name.clone());
        }
        Ok(Calendar { name: c.name.clone(), days })
    }
}

/// Why an instant is not working time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Off {
    /// Outside every shift.
    Hours,
    /// The shift covering the instant starts on a day of this calendar.
    Holiday {
        /// Calendar index.
        calendar: u32,
        /// The day off.
        date: Date,
    },
}

/// Working hours and days off of a rep, team or queue.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    shifts: Vec<Shift>,
    /// No hours were given (the one shift is the whole day).
    always: bool,
    calendars: Vec<u32>,
}

impl Schedule {
    /// `hours` with zones (`default_tz` where an entry names none), minus the days of `calendars`.
    pub(crate) fn new(hours: &[HoursDef], default_tz: &TimeZone, calendars: &[u32], zone: impl Fn(&str) -> Result<TimeZone, String>) -> Result<Schedule, String> {
        let mut shifts = Vec::with_capacity(hours.len().max(1));
        for h in hours {
            if h.start >= 24 * 60 || h.end > 24 * 60 {
                return Err(format!("policy IR is inconsistent: hours {}-{} are not minutes of a day", h.start, h.end));
            }
            let tz = match &h.timezone {
                Some(z) => zone(z)?,
                None => default_tz.clone(),
            };
            shifts.push(Shift { days: h.days, start: h.start, end: h.end, tz });
        }
        let always = shifts.is_empty();
        if always {
            shifts.push(Shift { days: 0x7f, start: 0, end: 24 * 60, tz: default_tz.clone() });
        }
        Ok(Schedule { shifts, always, calendars: calendars.to_vec() })
    }

    /// True when every instant is working time.
    pub(crate) fn is_always(&self) -> bool {
        self.always && self.calendars.is_empty()
    }

    /// True when the schedule names hours of its own.
    pub(crate) fn has_hours(&self) -> bool {
        !self.always
    }

    /// This schedule with more days off.
    pub(crate) fn with_calendars(&self, more: &[u32]) -> Schedule {
        let mut s = self.clone();
        s.calendars.extend(more.iter().copied().filter(|c| !self.calendars.contains(c)));
        s
    }

    /// The calendar (index) that has `day` off, if any.
    fn holiday(&self, cals: &[Calendar], day: Date) -> Option<u32> {
        self.calendars.iter().copied().find(|c| cals.get(*c as usize).is_some_and(|cal| cal.days.contains_key(&day)))
    }

    /// Working time at `now` (ms): the day the current shift belongs to, or why not.
    pub(crate) fn status(&self, cals: &[Calendar], now: i64) -> Result<Date, Off> {
        let mut off = Off::Hours;
        for s in &self.shifts {
            let today = local_date(now, &s.tz);
            for day in [today.yesterday().unwrap_or(today), today] {
                let Some((a, b)) = span(s, day) else { continue };
                if a <= now && now < b {
                    match self.holiday(cals, day) {
                        None => return Ok(day),
                        Some(calendar) => off = Off::Holiday { calendar, date: day },
                    }
                }
            }
        }
        Err(off)
    }

    /// The instant when `amount` ms of working time have passed since `from`.
    /// Without working time in the next two years, `amount` counts as elapsed time.
    pub(crate) fn add(&self, cals: &[Calendar], from: i64, amount: i64) -> i64 {
        if self.is_always() || amount <= 0 {
            return from.saturating_add(amount);
        }
        let mut days = 8;
        while days <= HORIZON_DAYS {
            if let Some(t) = self.add_within(cals, from, amount, days) {
                return t;
            }
            days *= 2;
        }
        from.saturating_add(amount)
    }

    /// [`Schedule::add`] looking `days` ahead; `None` when that is not far enough.
    fn add_within(&self, cals: &[Calendar], from: i64, amount: i64, days: i64) -> Option<i64> {
        // Any shift of a local day D starts after UTC midnight of D minus a day
        // and lasts at most a day and a half (a 24:00 end on a long DST day):
        // starting three days back and stopping a day before the window's
        // last day sees every shift that touches the counted span.
        let first = utc_date(from).checked_sub(jiff::Span::new().days(3)).ok()?;
        let horizon = from.saturating_add((days - 1) * DAY_MS);
        let mut spans = Vec::new();
        for s in &self.shifts {
            let mut day = local_date(utc_midnight(first), &s.tz);
            let last = utc_date(from).checked_add(jiff::Span::new().days(days + 1)).ok()?;
            while day <= last {
                if let (Some(sp), None) = (span(s, day), self.holiday(cals, day)) {
                    spans.push(sp);
                }
                day = day.tomorrow().ok()?;
            }
        }
        spans.sort_unstable();
        let (mut left, mut cur) = (amount, from);
        for (a, b) in spans {
            let a = a.max(cur);
            if b <= a {
                continue;
            }
            if a >= horizon {
                return None;
            }
            let b = b.min(horizon);
            if b - a >= left {
                return Some(a + left);
            }
            left -= b - a;
            cur = b;
        }
        None
    }
}

/// The shift's span of real time (ms) on `day`, if it works that weekday.
fn span(s: &Shift, day: Date) -> Option<(i64, i64)> {
    if s.days & (1 << day.weekday().to_monday_zero_offset()) == 0 {
        return None;
    }
    let start = at(day, s.start, &s.tz)?;
    let end_day = if s.end <= s.start { day.tomorrow().ok()? } else { day };
    let end = at(end_day, s.end, &s.tz)?;
    (end > start).then_some((start, end))
}

/// The instant (ms) of local `minute` (0..=1440) on `day` in `tz`.
fn at(day: Date, minute: u16, tz: &TimeZone) -> Option<i64> {
    let (day, minute) = if minute >= 24 * 60 { (day.tomorrow().ok()?, minute - 24 * 60) } else { (day, minute) };
    let time = jiff::civil::Time::new(i8::try_from(minute / 60).ok()?, (minute % 60) as i8, 0, 0).ok()?;
    Some(day.to_datetime(time).to_zoned(tz.clone()).ok()?.timestamp().as_millisecond())
}

/// The local date of `ms` in `tz`.
pub(crate) fn local_date(ms: i64, tz: &TimeZone) -> Date {
    let ts = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    tz.to_datetime(ts).date()
}

fn utc_date(ms: i64) -> Date {
    local_date(ms, &TimeZone::UTC)
}

fn utc_midnight(d: Date) -> i64 {
    at(d, 0, &TimeZone::UTC).unwrap_or(0)
}
