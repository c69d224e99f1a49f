//! Schedules against an independent model: random rotas (shifts across
//! midnight, wrapping day ranges, several zones, holidays) decided at random
//! instants, many of them around the 2026 daylight-saving changes in the US
//! and the EU. The model reads each instant's local wall clock with jiff and
//! counts business time minute by minute; the engine builds spans of real
//! time and adds them up. Both backends must give the same decisions.
//!
//! Shift boundaries are drawn outside 01:00-03:00 local, where a wall clock
//! is ambiguous (the engine's rule there is tested on its own below).

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use leadroute_runtime::{parse_time, Backend, Decision, Lead, LeadOptions, Outcome, Policy, State};
use proptest::prelude::*;
use proptest::sample::select;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const ZONES: [&str; 5] = ["America/New_York", "Europe/London", "Europe/Berlin", "America/Los_Angeles", "UTC"];
/// The 2026 changes: US spring and fall, EU spring and fall.
const DST: [&str; 4] = ["2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z", "2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"];

/// One `hours` entry: days `from`..=`to` (wrapping), local minutes, a zone.
#[derive(Debug, Clone)]
struct Shift {
    from: usize,
    to: usize,
    start: u16,
    end: u16,
    zone: &'static str,
}

impl Shift {
    fn works(&self, weekday: usize) -> bool {
        if self.from <= self.to {
            (self.from..=self.to).contains(&weekday)
        } else {
            weekday >= self.from || weekday <= self.to
        }
    }

    fn text(&self) -> String {
        let days = if self.from == self.to { DAYS[self.from].to_string() } else { format!("{}-{}", DAYS[self.from], DAYS[self.to]) };
        format!("hours {days} {}-{} \"{}\"", clock(self.start), clock(self.end), self.zone)
    }
}

fn clock(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

#[derive(Debug, Clone)]
struct Rota {
    shifts: Vec<Shift>,
    /// The zone of each shift, looked up once.
    zones: Vec<TimeZone>,
    holidays: Vec<Date>,
    sla_min: i64,
}

/// What the model says about one instant.
#[derive(Debug, PartialEq, Eq)]
enum Model {
    Working,
    Holiday,
    Off,
}

impl Rota {
    /// Wall-clock reading: a shift is on when the local clock on its start day
    /// reads at or after its start, or, for a shift across midnight, on the
    /// next day reads before its end. A holiday cancels the shifts that start on it.
    fn at(&self, t: Timestamp) -> Model {
        let mut holiday = false;
        for (s, tz) in self.shifts.iter().zip(&self.zones) {
            let local = t.to_zoned(tz.clone());
            let minute = local.hour() as u16 * 60 + local.minute() as u16;
            let today = local.date();
            let yesterday = today.yesterday().expect("in range");
            let weekday = |d: Date| d.weekday().to_monday_zero_offset() as usize;
            let overnight = s.end <= s.start;
            let mut starts_on = Vec::new();
            if s.works(weekday(today)) && minute >= s.start && (overnight || minute < s.end) {
                starts_on.push(today);
            }
            if overnight && s.works(weekday(yesterday)) && minute < s.end {
                starts_on.push(yesterday);
            }
            for day in starts_on {
                if self.holidays.contains(&day) {
                    holiday = true;
                } else {
                    return Model::Working;
                }
            }
        }
        if holiday {
            Model::Holiday
        } else {
            Model::Off
        }
    }

    /// Business time, minute by minute: the instant `sla_min` working minutes after `from`.
    fn due(&self, from: Timestamp) -> Option<Timestamp> {
        let mut left = self.sla_min;
        let mut t = from;
        for _ in 0..(60 * 24 * 60) {
            if self.at(t) == Model::Working {
                left -= 1;
                if left == 0 {
                    return t.checked_add(jiff::SignedDuration::from_mins(1)).ok();
                }
            }
            t = t.checked_add(jiff::SignedDuration::from_mins(1)).ok()?;
        }
        None
    }

    fn policy(&self) -> String {
        let hours: Vec<String> = self.shifts.iter().map(Shift::text).collect();
        let hours = hours.join("\n  ");
        let (cal_decl, cal) = if self.holidays.is_empty() {
            (String::new(), "")
        } else {
            let days: Vec<String> = self.holidays.iter().map(|d| d.to_string()).collect();
            (format!("calendar hol {{\n  {}\n}}\n", days.join("\n  ")), "calendar hol")
        };
        let sla = self.sla_min;
        format!(
            "policy p {{ timezone \"UTC\" }}\nschema lead {{ id: string }}\n{cal_decl}\
             rep r {{\n  timezone \"{zone}\"\n  {hours}\n  {cal}\n}}\nteam t {{ members [r] }}\n\
             queue q {{\n  owner \"ops@acme.example\"\n  sla {sla}m business\n  timezone \"{zone}\"\n  {hours}\n  {cal}\n}}\n\
             tier only otherwise sla {sla}m business\nroute main {{\n  otherwise -> assign team t else queue q\n}}\n",
            zone = self.shifts[0].zone
        )
    }
}

fn policies(text: &str) -> [Policy; 2] {
    let mut set = leadroute_compiler::SourceSet::new();
    set.add(leadroute_compiler::SourceFile::new("rota.route", text));
    let checked = leadroute_compiler::check(&set);
    assert!(!checked.has_errors(), "{:#?}\n{text}", checked.diagnostics);
    let ir = leadroute_compiler::lower::lower(&set, &checked).expect("lowers");
    [Backend::Interp, Backend::Jit].map(|b| Policy::from_ir_with(ir.clone(), b).expect("loads"))
}

fn decide(p: &Policy, now: i64) -> Decision {
    let lead = Lead::from_json_str(p.ir(), r#"{"id": "L1"}"#, LeadOptions::default()).expect("a valid lead");
    p.decide(&lead, &State::new(p.ir()), &p.at(now), true)
}

fn boundary() -> impl Strategy<Value = u16> {
    // Quarter hours outside 01:00-03:00 (where local times are skipped or repeated).
    prop_oneof![(0u16..4).prop_map(|q| q * 15), (12u16..=96).prop_map(|q| q * 15)]
}

fn shift() -> impl Strategy<Value = Shift> {
    (0usize..7, 0usize..7, boundary(), boundary(), select(&ZONES[..]))
        .prop_filter("a window of two hours or more", |(_, _, s, e, _)| *s != 1440 && (i32::from(*e) - i32::from(*s)).rem_euclid(1440) >= 120)
        .prop_map(|(from, to, start, end, zone)| Shift { from, to, start, end, zone })
}

/// An instant on the minute: near one of the daylight-saving changes, or anywhere in 2026.
fn instant() -> impl Strategy<Value = Timestamp> {
    let near = (select(&DST[..]), -4 * 24 * 60i64..4 * 24 * 60).prop_map(|(d, m)| d.parse::<Timestamp>().expect("a time") + jiff::SignedDuration::from_mins(m));
    let any = (0i64..365 * 24 * 60).prop_map(|m| "2026-01-01T00:00:00Z".parse::<Timestamp>().expect("a time") + jiff::SignedDuration::from_mins(m));
    prop_oneof![3 => near, 1 => any]
}

fn rota_at() -> impl Strategy<Value = (Rota, Timestamp)> {
    (proptest::collection::vec(shift(), 1..3), instant(), 15i64..(6 * 60), proptest::collection::vec(-3i32..6, 0..4)).prop_map(
        |(shifts, t, sla_min, offsets)| {
            // Holidays fall on the days around the instant, so they matter.
            let day = t.to_zoned(TimeZone::get(shifts[0].zone).expect("a known zone")).date();
            let mut holidays: Vec<Date> = offsets.iter().map(|o| day.checked_add(jiff::Span::new().days(i64::from(*o))).expect("in range")).collect();
            holidays.sort();
            holidays.dedup();
            let zones = shifts.iter().map(|s| TimeZone::get(s.zone).expect("a known zone")).collect();
            (Rota { shifts, zones, holidays, sla_min }, t)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn availability_and_business_sla_match_the_wall_clock_model((rota, t) in rota_at()) {
        let text = rota.policy();
        let [interp, jit] = policies(&text);
        let now = t.as_millisecond();
        let (a, b) = (decide(&interp, now), decide(&jit, now));
        prop_assert_eq!(serde_json::to_string(&a).expect("json"), serde_json::to_string(&b).expect("json"));
        let want = rota.at(t);
        prop_assert_eq!(a.outcome == Outcome::Assigned, want == Model::Working, "at {} for\n{}", t, text);
        let detail = a.trace.as_ref().and_then(|tr| tr.iter().filter(|s| s.step == "assign").find_map(|s| s.detail.clone())).unwrap_or_default();
        match want {
            Model::Holiday => prop_assert!(detail.contains("r on holiday"), "{detail}"),
            Model::Off => prop_assert!(detail.contains("r outside working hours"), "{detail}"),
            Model::Working => {}
        }
        let due = a.sla_due.as_deref().and_then(parse_time).expect("an SLA due time");
        let want_due = rota.due(t).expect("working time within two months");
        prop_assert_eq!(due, want_due.as_millisecond(), "due {} vs model {} from {} for\n{}", a.sla_due.as_deref().unwrap_or(""), want_due, t, text);
        if a.outcome == Outcome::Queued {
            prop_assert_eq!(a.queue_sla_due.as_deref(), a.sla_due.as_deref());
        }
    }
}

fn ms(t: &str) -> i64 {
    parse_time(t).expect("an RFC 3339 time")
}

fn one(text: &str) -> Policy {
    let [interp, _] = policies(text);
    interp
}

const BASE: &str = "policy p { timezone \"UTC\" }\nschema lead { id: string }\nteam t { members [r] }\nqueue q { owner \"ops@acme.example\" }\nroute main {\n  otherwise -> assign team t else queue q\n}\n";

#[test]
fn four_business_hours_from_friday_afternoon_end_on_monday() {
    let p = one(&format!("{BASE}rep r {{ timezone \"America/New_York\" hours mon-fri 09:00-17:00 }}\ntier hot otherwise sla 4h business\n"));
    // Friday 2026-12-04 16:00 New York: one hour on Friday, three on Monday.
    let d = decide(&p, ms("2026-12-04T21:00:00Z"));
    assert_eq!(d.rep.as_deref(), Some("r"));
    assert_eq!(d.sla_due.as_deref(), Some("2026-12-07T17:00:00Z"));
    // Plain `sla 4h` stays elapsed time.
    let p = one(&format!("{BASE}rep r {{ timezone \"America/New_York\" hours mon-fri 09:00-17:00 }}\ntier hot otherwise sla 4h\n"));
    assert_eq!(decide(&p, ms("2026-12-04T21:00:00Z")).sla_due.as_deref(), Some("2026-12-05T01:00:00Z"));
}

#[test]
fn business_hours_across_the_spring_change_count_real_time() {
    // Saturday 2026-03-07 22:00 New York to Sunday 06:00: the clocks skip 02:00-03:00, so the shift is 7 hours long.
    let p = one(&format!("{BASE}rep r {{ timezone \"America/New_York\" hours sat 22:00-06:00 }}\ntier hot otherwise sla 7h business\n"));
    let d = decide(&p, ms("2026-03-08T03:00:00Z"));
    assert_eq!(d.outcome, Outcome::Assigned);
    assert_eq!(d.sla_due.as_deref(), Some("2026-03-08T10:00:00Z"), "the whole shift, ending at 06:00 EDT");
    // A whole day on the fall-back day is 25 hours of working time.
    let p = one(&format!("{BASE}rep r {{ timezone \"America/New_York\" hours sun 00:00-24:00 }}\ntier hot otherwise sla 25h business\n"));
    assert_eq!(decide(&p, ms("2026-11-01T04:00:00Z")).sla_due.as_deref(), Some("2026-11-02T05:00:00Z"));
}

#[test]
fn a_start_in_the_skipped_hour_moves_forward_by_the_gap() {
    // 02:30 does not exist on 2026-03-08 in New York: the shift starts at 03:30 EDT (07:30Z).
    let p = one(&format!("{BASE}rep r {{ timezone \"America/New_York\" hours sun 02:30-05:00 }}\ntier hot otherwise sla 1h\n"));
    assert_eq!(decide(&p, ms("2026-03-08T07:29:00Z")).outcome, Outcome::Queued);
    assert_eq!(decide(&p, ms("2026-03-08T07:30:00Z")).outcome, Outcome::Assigned);
}

#[test]
fn hours_include_the_start_minute_and_exclude_the_end() {
    let p = one(&format!("{BASE}rep r {{ timezone \"UTC\" hours mon-fri 09:00-17:00 }}\ntier hot otherwise sla 1h\n"));
    assert_eq!(decide(&p, ms("2026-12-07T09:00:00Z")).outcome, Outcome::Assigned);
    assert_eq!(decide(&p, ms("2026-12-07T16:59:59.999Z")).outcome, Outcome::Assigned);
    assert_eq!(decide(&p, ms("2026-12-07T17:00:00Z")).outcome, Outcome::Queued);
}

#[test]
fn a_night_shift_belongs_to_the_day_it_starts_on() {
    let p = one(&format!("{BASE}rep r {{ timezone \"UTC\" hours fri 22:00-06:00 }}\ntier hot otherwise sla 1h\n"));
    assert_eq!(decide(&p, ms("2026-12-05T03:00:00Z")).outcome, Outcome::Assigned, "Saturday 03:00 is Friday's shift");
    assert_eq!(decide(&p, ms("2026-12-04T03:00:00Z")).outcome, Outcome::Queued, "Friday 03:00 would be Thursday's");
    // A holiday on the Friday cancels the whole shift, also after midnight; one on the Saturday does not.
    let p = one(&format!("{BASE}calendar c {{ 2026-12-04 }}\nrep r {{ timezone \"UTC\" hours fri 22:00-06:00 calendar c }}\ntier hot otherwise sla 1h\n"));
    let d = decide(&p, ms("2026-12-05T03:00:00Z"));
    assert_eq!(d.outcome, Outcome::Queued);
    let trace = serde_json::to_string(&d.trace).expect("json");
    assert!(trace.contains("r on holiday: 2026-12-04 (calendar `c`)"), "{trace}");
    let p = one(&format!("{BASE}calendar c {{ 2026-12-05 }}\nrep r {{ timezone \"UTC\" hours fri 22:00-06:00 calendar c }}\ntier hot otherwise sla 1h\n"));
    assert_eq!(decide(&p, ms("2026-12-05T03:00:00Z")).outcome, Outcome::Assigned);
}

#[test]
fn out_of_office_ending_at_now_means_available() {
    let p = one(&format!("{BASE}rep r {{ timezone \"UTC\" }}\ntier hot otherwise sla 1h\n"));
    let lead = Lead::from_json_str(p.ir(), r#"{"id": "L1"}"#, LeadOptions::default()).expect("a valid lead");
    let state = State::with_overrides(p.ir(), &serde_json::json!({ "r": { "out_of_office_until": "2026-12-07T09:00:00Z" } })).expect("state");
    assert_eq!(p.decide(&lead, &state, &p.at(ms("2026-12-07T08:59:59.999Z")), false).outcome, Outcome::Queued);
    assert_eq!(p.decide(&lead, &state, &p.at(ms("2026-12-07T09:00:00Z")), false).outcome, Outcome::Assigned);
}

#[test]
fn per_shift_caps_count_a_night_shift_once_and_per_day_caps_restart_at_midnight() {
    for (unit, fourth) in [("per shift", Outcome::Queued), ("per day", Outcome::Assigned)] {
        let p = one(&format!("{BASE}rep r {{ timezone \"UTC\" hours mon 22:00-06:00 capacity 3 {unit} }}\ntier hot otherwise sla 1h\n"));
        let lead = Lead::from_json_str(p.ir(), r#"{"id": "L1"}"#, LeadOptions::default()).expect("a valid lead");
        let mut state = State::new(p.ir());
        // Three leads before midnight, then one after.
        for t in ["2026-12-07T22:00:00Z", "2026-12-07T23:00:00Z", "2026-12-07T23:30:00Z", "2026-12-08T01:00:00Z"] {
            let d = p.decide(&lead, &state, &p.at(ms(t)), false);
            if t.starts_with("2026-12-08") {
                assert_eq!(d.outcome, fourth, "{unit}");
            } else {
                assert_eq!(d.outcome, Outcome::Assigned, "{unit} at {t}");
            }
            p.commit(&mut state, &d);
        }
        let written = state.to_json(p.ir());
        let want_day = if unit == "per shift" { "2026-12-07" } else { "2026-12-08" };
        assert_eq!(written["as_of"], want_day, "{unit}: the day the count belongs to, in the state file");
    }
}

#[test]
fn a_closed_team_finds_nobody_and_says_why() {
    let text = "policy p { timezone \"UTC\" }\nschema lead { id: string }\ncalendar uk { 2026-12-25 \"Christmas Day\" }\nrep r { timezone \"UTC\" }\n\
         team t { members [r] timezone \"Europe/London\" hours mon-fri 08:00-18:00 calendar uk }\n\
         queue q { owner \"ops@acme.example\" sla 2h business timezone \"Europe/London\" hours mon-fri 09:00-17:00 calendar uk }\n\
         tier hot otherwise sla 4h business\nroute main {\n  otherwise -> assign team t else queue q\n}\n";
    let p = one(text);
    let d = decide(&p, ms("2026-12-25T10:00:00Z"));
    assert_eq!(d.queue.as_deref(), Some("q"));
    let trace = serde_json::to_string(&d.trace).expect("json");
    assert!(trace.contains("team t is closed: on holiday: 2026-12-25 Christmas Day (calendar `uk`)"), "{trace}");
    // The queue's SLA counts its hours: Monday 28th 09:00 London + 2h.
    assert_eq!(d.queue_sla_due.as_deref(), Some("2026-12-28T11:00:00Z"));
    let d = decide(&p, ms("2026-12-24T19:00:00Z"));
    assert!(serde_json::to_string(&d.trace).expect("json").contains("team t is closed: outside its hours"));
    // The rep has no hours of its own: through the team it works the team's, so 4 business hours
    // from Thursday 16:00 are 2 on Thursday and 2 on Monday (Friday is Christmas).
    let d = decide(&p, ms("2026-12-24T16:00:00Z"));
    assert_eq!(d.rep.as_deref(), Some("r"));
    assert_eq!(d.sla_due.as_deref(), Some("2026-12-28T10:00:00Z"));
    // The queue's due time is what the service's timers use when an item escalates into it.
    assert_eq!(p.queue_due("q", ms("2026-12-25T10:00:00Z")), Some(ms("2026-12-28T11:00:00Z")));
}

#[test]
fn the_rota_example_passes_its_tests() {
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_leadroute"))
        .args(["test", "examples/rota.route"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("leadroute runs");
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success() && out.contains("6 passed; 0 failed"), "{out}");
}
