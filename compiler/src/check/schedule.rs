//! Checks of schedules: working hours (shifts may cross midnight, day ranges
//! may wrap), holiday calendars and the references to them, daily caps on
//! night shifts, and calendars that run out.

use std::collections::BTreeMap;

use super::flow::unknown;
use super::symbols::Symbols;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::syntax::ast::*;
use crate::syntax::parse::BAD_CLOCK;

/// Checks one `hours` entry. `22:00-06:00` crosses midnight and `fri-mon`
/// wraps the week; only an empty window or one starting at `24:00` is wrong.
pub fn hours(h: &Hours, diags: &mut Vec<Diagnostic>) {
    if let Some(tz) = &h.timezone {
        super::decls::time_zone(tz, diags);
    }
    // A clock that is not a time was reported by the parser; nothing more to say.
    if h.start.value == BAD_CLOCK || h.end.value == BAD_CLOCK {
        return;
    }
    if h.start.value == 24 * 60 {
        diags.push(
            Diagnostic::new(Code::E0027, h.start.span, "working hours cannot start at `24:00`")
                .label("`24:00` is the end of a day")
                .help("start at `00:00` of the next day, or write the shift as `22:00-24:00`"),
        );
    } else if h.end.value == h.start.value {
        diags.push(
            Diagnostic::new(Code::E0027, h.start.span.to(h.end.span), "working hours start and end at the same time")
                .label("an empty window")
                .help("a whole day is `00:00-24:00`; a shift across midnight is written `22:00-06:00`"),
        );
    }
}

/// Checks the schedule properties of a team or queue.
pub fn parts<'a>(parts: impl Iterator<Item = SchedulePart<'a>>, syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    for part in parts {
        match part {
            SchedulePart::Timezone(tz) => super::decls::time_zone(tz, diags),
            SchedulePart::Hours(h) => hours(h, diags),
            SchedulePart::Calendar(c) => calendar_ref(c, syms, diags),
        }
    }
}

/// True when the hours cross midnight (`22:00-06:00`).
pub fn crosses_midnight(h: &Hours) -> bool {
    h.end.value < h.start.value && h.start.value != BAD_CLOCK && h.end.value != BAD_CLOCK
}

/// Checks a `calendar NAME` reference.
pub fn calendar_ref(name: &Ident, syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    if !syms.calendars.contains_key(&name.name) {
        diags.push(unknown(name, "calendar", syms.calendars.keys().map(String::as_str)));
    }
}

/// Checks calendars (a day listed twice) and reps whose daily cap restarts mid-shift.
pub fn calendars(syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    for cal in syms.calendars.values() {
        let mut seen: BTreeMap<(i16, i8, i8), Span> = BTreeMap::new();
        for day in &cal.days {
            let Some(date) = day.date.value else { continue };
            if let Some(first) = seen.insert(date, day.date.span) {
                diags.push(
                    Diagnostic::new(Code::E0010, day.date.span, format!("{} is listed twice in calendar `{}`", ymd(date), cal.name.name))
                        .label("second time")
                        .with_secondary(first, "first here")
                        .help("list each day once"),
                );
            }
        }
    }
    for rep in syms.reps.values() {
        let night = rep.props.iter().find_map(|p| match &p.value {
            RepProp::Hours(h) if crosses_midnight(h) => Some(h),
            _ => None,
        });
        let per_day = rep.props.iter().find_map(|p| match &p.value {
            RepProp::Capacity { amount, per_day: true, .. } => Some((p.span, amount.value)),
            _ => None,
        });
        if let (Some(h), Some((span, n))) = (night, per_day) {
            diags.push(
                Diagnostic::new(Code::W0011, span, format!("rep `{}` works across midnight, and `capacity {n} per day` restarts at midnight", rep.name.name))
                    .label("counts per local calendar day")
                    .with_secondary(h.start.span.to(h.end.span), "this shift crosses midnight")
                    .help(format!("write `capacity {n} per shift` to count each shift once; keep `per day` if a new count at midnight is meant")),
            );
        }
    }
}

/// Calendars that run out: no day in the year after `today`'s (so, from
/// January, every day is a working day). Needs today's date, so the command
/// line adds these to `check`; the checker itself reads no clock.
pub fn stale_calendars(modules: &[Module], today: (i16, i8, i8)) -> Vec<Diagnostic> {
    let next_year = today.0.saturating_add(1);
    let mut out = Vec::new();
    for decl in modules.iter().flat_map(|m| m.iter()) {
        let Decl::Calendar(cal) = decl else { continue };
        let last = cal.days.iter().filter_map(|d| d.date.value.map(|v| (v, d.date.span))).max_by_key(|(v, _)| *v);
        let Some((last, span)) = last else { continue };
        if last.0 < next_year {
            out.push(
                Diagnostic::new(Code::W0010, cal.name.span, format!("calendar `{}` ends on {}: it has no days for {next_year}", cal.name.name, ymd(last)))
                    .label("runs out")
                    .with_secondary(span, "its last day")
                    .help(format!("add the days off of {next_year}; after {} every day counts as a working day", ymd(last))),
            );
        }
    }
    out
}

/// `2026-12-25`.
pub fn ymd((y, m, d): (i16, i8, i8)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}
