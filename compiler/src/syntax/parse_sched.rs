//! The builder's part for people and schedules: reps, teams, queues,
//! working hours, calendars and SLAs.

use super::ast::*;
use super::grammar::Rule;
use super::parse::{day_index, next, nth, Builder, P};

impl Builder<'_> {
    pub(super) fn rep_prop(&mut self, p: P) -> Prop<RepProp> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let key = self.keyword(next(&mut it));
        let value = match key.name.as_str() {
            "email" => RepProp::Email(self.string(next(&mut it))),
            "weight" => RepProp::Weight(self.int(next(&mut it))),
            "capacity" => {
                let amount = self.int(next(&mut it));
                let unit: Vec<String> = next(&mut it).into_inner().map(|w| w.as_str().to_string()).collect();
                let per = unit.get(1).map(String::as_str);
                RepProp::Capacity { amount, per_day: per == Some("day"), per_shift: per == Some("shift") }
            }
            "timezone" => RepProp::Timezone(self.string(next(&mut it))),
            "hours" => RepProp::Hours(self.hours(next(&mut it))),
            "calendar" => RepProp::Calendar(self.ident(next(&mut it))),
            "skills" => RepProp::Skills(it.map(|s| self.ident(s)).collect()),
            _ => {
                let b = next(&mut it);
                RepProp::Active(Spanned { value: b.as_str() == "true", span: self.span(&b) })
            }
        };
        Prop { key, span, value }
    }

    pub(super) fn day_spec(&mut self, p: P) -> DaySpec {
        let span = self.span(&p);
        let days: Vec<u8> = p.into_inner().map(|d| day_index(d.as_str())).collect();
        let from = days.first().copied().unwrap_or(0);
        DaySpec { from, to: days.get(1).copied().unwrap_or(from), span }
    }

    pub(super) fn team_prop(&mut self, p: P) -> Prop<TeamProp> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let key = self.keyword(next(&mut it));
        let value = match key.name.as_str() {
            "members" => TeamProp::Members(it.map(|m| self.ident(m)).collect()),
            "timezone" => TeamProp::Timezone(self.string(next(&mut it))),
            "hours" => TeamProp::Hours(self.hours(next(&mut it))),
            "calendar" => TeamProp::Calendar(self.ident(next(&mut it))),
            _ => TeamProp::Strategy(self.strategy(next(&mut it))),
        };
        Prop { key, span, value }
    }

    pub(super) fn strategy(&mut self, p: P) -> StrategyRef {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let name = self.ident(next(&mut it));
        let arg = it.next().map(|a| self.ident(a));
        StrategyRef { name, arg, span }
    }

    pub(super) fn queue_prop(&mut self, p: P) -> Prop<QueueProp> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let key = self.keyword(next(&mut it));
        let v = next(&mut it);
        let value = match key.name.as_str() {
            "owner" => QueueProp::Owner(self.string(v)),
            "escalate" if v.as_rule() == Rule::notify_action => QueueProp::Escalate(Escalate::Notify(self.string(nth(v.into_inner(), 1)))),
            "escalate" => QueueProp::Escalate(Escalate::Queue(self.ident(v))),
            "timezone" => QueueProp::Timezone(self.string(v)),
            "hours" => QueueProp::Hours(self.hours(v)),
            "calendar" => QueueProp::Calendar(self.ident(v)),
            _ => {
                let (sla, business) = self.sla_spec(v);
                QueueProp::Sla(sla, business)
            }
        };
        Prop { key, span, value }
    }


    /// `mon-fri 08:00-17:00 ["Zone"]`.
    pub(super) fn hours(&mut self, p: P) -> Hours {
        let span = self.span(&p);
        let mut days = Vec::new();
        let mut clocks = Vec::new();
        let mut timezone = None;
        for part in p.into_inner() {
            match part.as_rule() {
                Rule::day_spec => days.push(self.day_spec(part)),
                Rule::clock => clocks.push(self.clock(part)),
                _ => timezone = Some(self.string(part)),
            }
        }
        // The grammar requires exactly two clocks.
        let end = clocks.pop().unwrap_or(Spanned { value: 0, span });
        let start = clocks.pop().unwrap_or(Spanned { value: 0, span });
        Hours { days, start, end, timezone }
    }

    /// `4h` or `4h business`.
    pub(super) fn sla_spec(&mut self, p: P) -> (Spanned<i64>, Option<crate::source::Span>) {
        let mut it = p.into_inner();
        let sla = self.duration(next(&mut it));
        (sla, it.next().map(|b| self.span(&b)))
    }

    /// `2026-12-25 ["Christmas Day"]`; a date that does not exist is reported.
    pub(super) fn holiday(&mut self, p: P) -> Holiday {
        let mut it = p.into_inner();
        let d = next(&mut it);
        let span = self.span(&d);
        let text = d.as_str();
        let parsed = text.parse::<jiff::civil::Date>().ok().filter(|d| d.year() >= 1970);
        if parsed.is_none() {
            self.error(span, format!("`{text}` is not a date"), "write calendar days as `YYYY-MM-DD`, like `2026-12-25`, from 1970 on");
        }
        let date = Spanned { value: parsed.map(|d| (d.year(), d.month(), d.day())), span };
        Holiday { date, label: it.next().map(|l| self.string(l)) }
    }
}
