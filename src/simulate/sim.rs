//! The discrete-event simulation: arrivals, rep responses and queue work in
//! one time-ordered queue, deciding and committing with the runtime, and the
//! measurements taken along the way.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use leadroute_runtime::{Decision, Lead, LeadOptions, Outcome, Policy, State};

use super::input::Arrival;
use super::model::{Luck, Model};

/// What to simulate with.
#[derive(Debug)]
pub struct Setup<'a> {
    /// The policy deciding.
    pub policy: &'a Policy,
    /// Rep state at the start (this run's own copy).
    pub state: State,
    /// Response times.
    pub model: &'a Model,
    /// Seed of every random draw.
    pub seed: u64,
    /// Width of a timeline bucket (ms).
    pub bucket_ms: i64,
    /// Keep every decision (for `--decisions`).
    pub keep_decisions: bool,
}

/// One rep's measurements.
#[derive(Debug, Clone, Default)]
pub struct RepStats {
    /// Leads assigned.
    pub assigned: usize,
    /// Open-load cap (state override, else policy).
    pub cap_open: Option<u32>,
    /// Per-day cap.
    pub cap_day: Option<u32>,
    /// Open load at the start.
    pub start_load: u32,
    /// Highest open load.
    pub peak_load: u32,
    /// Most leads assigned on one local day.
    pub peak_day: u32,
    /// Integral of open load over the window (load × ms).
    pub load_ms: f64,
    /// Time at the open-load cap within the window (ms).
    pub cap_ms: i64,
    /// Response times of the leads this rep reached (ms).
    pub responses: Vec<i64>,
    /// Tier SLAs missed.
    pub breaches: usize,
}

/// Measurements for a team, a tier or a queue.
#[derive(Debug, Clone, Default)]
pub struct GroupStats {
    /// Leads that went there (assigned through the team, in the tier, queued).
    pub leads: usize,
    /// Leads first contacted (responded to, or worked from the queue).
    pub contacted: usize,
    /// Tier SLAs missed.
    pub breaches: usize,
    /// Speed to lead of each contacted lead (ms).
    pub speeds: Vec<i64>,
    /// Highest depth (queues only).
    pub peak_depth: u32,
}

/// One timeline bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// Start (ms since the epoch).
    pub start: i64,
    /// Leads arrived, by outcome: assigned, queued, dropped, rejected.
    pub outcomes: [u32; 4],
    /// Leads assigned per rep.
    pub rep_leads: Vec<u32>,
    /// Highest open load per rep in the bucket.
    pub rep_load: Vec<u32>,
    /// Leads queued per queue.
    pub queue_in: Vec<u32>,
    /// Highest depth per queue in the bucket.
    pub queue_depth: Vec<u32>,
}

/// Everything one simulation measured.
#[derive(Debug)]
pub struct Sim {
    /// Counts per outcome.
    pub outcomes: BTreeMap<&'static str, usize>,
    /// By rep index.
    pub reps: Vec<RepStats>,
    /// By team index.
    pub teams: Vec<GroupStats>,
    /// By tier index.
    pub tiers: Vec<GroupStats>,
    /// By queue index.
    pub queues: Vec<GroupStats>,
    /// Speed to lead of every contacted lead (ms).
    pub speeds: Vec<i64>,
    /// The timeline.
    pub buckets: Vec<Bucket>,
    /// `line N: lead ID: why` for each rejected lead.
    pub rejections: Vec<String>,
    /// The decisions in arrival order, when kept.
    pub decisions: Vec<Decision>,
    /// The state after every response and queue item was worked.
    pub state: State,
    /// First arrival and the end of the measured window (ms).
    pub window: (i64, i64),
}

/// A pending event. Arrivals sort first at equal times, so that with zero
/// response time a batch at one instant sees the loads `route` would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Arrival { index: usize },
    Contact { lead: Contact },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Contact {
    arrived: i64,
    sla_due: Option<i64>,
    tier: Option<u32>,
    team: Option<u32>,
    rep: Option<u32>,
    queue: Option<u32>,
}

fn index_of<'a>(names: impl Iterator<Item = &'a str>) -> BTreeMap<&'a str, u32> {
    names.enumerate().map(|(i, n)| (n, i as u32)).collect()
}

/// Runs the simulation over `arrivals` (sorted by arrival time).
pub fn run(setup: Setup<'_>, arrivals: &[Arrival]) -> Sim {
    let Setup { policy, mut state, model, seed, bucket_ms, keep_decisions } = setup;
    let ir = policy.ir();
    let rep_ix = index_of(ir.reps.iter().map(|r| r.id.as_str()));
    let team_ix = index_of(ir.teams.iter().map(|t| t.name.as_str()));
    let tier_ix = index_of(ir.tiers.iter().map(|t| t.name.as_str()));
    let queue_ix = index_of(ir.queues.iter().map(|q| q.name.as_str()));
    let (nr, nq) = (ir.reps.len(), ir.queues.len());
    let mut sim = Sim {
        outcomes: BTreeMap::new(),
        reps: ir
            .reps
            .iter()
            .zip(&state.reps)
            .map(|(d, s)| RepStats {
                cap_open: s.max_open.or(d.max_open),
                cap_day: s.max_per_day.or(d.max_per_day),
                start_load: s.open_load,
                peak_load: s.open_load,
                ..RepStats::default()
            })
            .collect(),
        teams: vec![GroupStats::default(); ir.teams.len()],
        tiers: vec![GroupStats::default(); ir.tiers.len()],
        queues: vec![GroupStats::default(); nq],
        speeds: Vec::new(),
        buckets: Vec::new(),
        rejections: Vec::new(),
        decisions: Vec::new(),
        state: State::new(ir),
        window: (0, 0),
    };
    let (Some(first), Some(last)) = (arrivals.first(), arrivals.last()) else {
        sim.state = state;
        return sim;
    };
    let bucket_ms = bucket_ms.max(60_000);
    let origin = first.at.div_euclid(bucket_ms) * bucket_ms;
    // The timeline runs a day past the last arrival: long enough to see loads drain.
    let horizon = last.at.saturating_add(86_400_000);
    sim.window = (first.at, horizon);
    let mut depth = vec![0u32; nq];
    let new_bucket = |start: i64, state: &State, depth: &[u32]| Bucket {
        start,
        outcomes: [0; 4],
        rep_leads: vec![0; nr],
        rep_load: state.reps.iter().map(|r| r.open_load).collect(),
        queue_in: vec![0; nq],
        queue_depth: depth.to_vec(),
    };
    sim.buckets.push(new_bucket(origin, &state, &depth));
    let mut heap: BinaryHeap<Reverse<(i64, Event, u64)>> = arrivals.iter().enumerate().map(|(i, a)| Reverse((a.at, Event::Arrival { index: i }, i as u64))).collect();
    let mut seq = arrivals.len() as u64;
    let mut moment = policy.at(first.at);
    let mut clock = first.at;
    while let Some(Reverse((t, event, _))) = heap.pop() {
        // Time passes up to `t`: integrate loads, close the buckets that ended.
        let until = t.min(horizon);
        if until > clock {
            let dt = until - clock;
            for (stats, s) in sim.reps.iter_mut().zip(&state.reps) {
                stats.load_ms += f64::from(s.open_load) * dt as f64;
                if stats.cap_open.is_some_and(|c| s.open_load >= c) {
                    stats.cap_ms += dt;
                }
            }
            clock = until;
        }
        while t < horizon && sim.buckets.last().is_some_and(|b| b.start + bucket_ms <= t) {
            let start = sim.buckets.last().map_or(origin, |b| b.start + bucket_ms);
            sim.buckets.push(new_bucket(start, &state, &depth));
        }
        let in_window = t < horizon;
        match event {
            Event::Arrival { index } => {
                let a = &arrivals[index];
                if moment.now != t {
                    moment = policy.at(t);
                }
                let decision = match Lead::from_json(ir, &a.lead, LeadOptions::default()) {
                    Ok(lead) => policy.decide(&lead, &state, &moment, false),
                    Err(errors) => Decision::rejected(Lead::id_of(&a.lead), errors, policy.version()),
                };
                policy.commit(&mut state, &decision);
                *sim.outcomes.entry(decision.outcome.as_str()).or_default() += 1;
                let tier = decision.tier.as_deref().and_then(|n| tier_ix.get(n).copied());
                if let Some(ti) = tier {
                    sim.tiers[ti as usize].leads += 1;
                }
                let mut contact = Contact {
                    arrived: t,
                    sla_due: decision.sla_due.as_deref().and_then(leadroute_runtime::parse_time),
                    tier,
                    team: None,
                    rep: None,
                    queue: None,
                };
                let luck = Luck::for_lead(seed, index as u64);
                let bucket = sim.buckets.last_mut().filter(|_| in_window);
                let slot = match decision.outcome {
                    Outcome::Assigned => 0,
                    Outcome::Queued => 1,
                    Outcome::Dropped => 2,
                    Outcome::Rejected => 3,
                };
                let mut due = None;
                match decision.outcome {
                    Outcome::Assigned => {
                        let rep = decision.rep.as_deref().and_then(|n| rep_ix.get(n).copied());
                        contact.rep = rep;
                        contact.team = decision.team.as_deref().and_then(|n| team_ix.get(n).copied());
                        if let Some(ti) = contact.team {
                            sim.teams[ti as usize].leads += 1;
                        }
                        if let Some(r) = rep {
                            let (stats, s) = (&mut sim.reps[r as usize], &state.reps[r as usize]);
                            stats.assigned += 1;
                            stats.peak_load = stats.peak_load.max(s.open_load);
                            stats.peak_day = stats.peak_day.max(s.assigned_today);
                            if let Some(b) = bucket {
                                b.outcomes[slot] += 1;
                                b.rep_leads[r as usize] += 1;
                                b.rep_load[r as usize] = b.rep_load[r as usize].max(s.open_load);
                            }
                        }
                        let tier_name = decision.tier.as_deref().unwrap_or("");
                        let sla = tier.and_then(|ti| ir.tiers[ti as usize].sla_ms);
                        due = Some(model.distribution.sample(model.tier_mean(tier_name, sla), luck.u, luck.z));
                    }
                    Outcome::Queued => {
                        let q = decision.queue.as_deref().and_then(|n| queue_ix.get(n).copied());
                        contact.queue = q;
                        if let Some(q) = q {
                            let qi = q as usize;
                            depth[qi] += 1;
                            sim.queues[qi].leads += 1;
                            sim.queues[qi].peak_depth = sim.queues[qi].peak_depth.max(depth[qi]);
                            if let Some(b) = bucket {
                                b.outcomes[slot] += 1;
                                b.queue_in[qi] += 1;
                                b.queue_depth[qi] = b.queue_depth[qi].max(depth[qi]);
                            }
                            let mean = model.queue_mean(ir.queues[qi].sla_ms);
                            due = Some(super::model::Distribution::Exponential.sample(mean, luck.queue_u, 0.0));
                        }
                    }
                    Outcome::Dropped | Outcome::Rejected => {
                        if let Some(b) = bucket {
                            b.outcomes[slot] += 1;
                        }
                        if decision.outcome == Outcome::Rejected {
                            let why: Vec<&str> = decision.errors.iter().map(|e| e.message.as_str()).collect();
                            let id = if decision.lead_id.is_empty() { "(no id)" } else { &decision.lead_id };
                            sim.rejections.push(format!("line {}: lead {id}: {}", a.line, why.join("; ")));
                        }
                    }
                }
                if let Some(after) = due {
                    heap.push(Reverse((t.saturating_add(after), Event::Contact { lead: contact }, seq)));
                    seq += 1;
                }
                if keep_decisions {
                    sim.decisions.push(decision);
                }
            }
            Event::Contact { lead } => {
                let speed = t - lead.arrived;
                let breached = lead.sla_due.is_some_and(|due| t > due);
                sim.speeds.push(speed);
                if let Some(ti) = lead.tier {
                    let g = &mut sim.tiers[ti as usize];
                    g.contacted += 1;
                    g.breaches += usize::from(breached);
                    g.speeds.push(speed);
                }
                if let Some(ti) = lead.team {
                    let g = &mut sim.teams[ti as usize];
                    g.contacted += 1;
                    g.breaches += usize::from(breached);
                    g.speeds.push(speed);
                }
                if let Some(r) = lead.rep {
                    let s = &mut state.reps[r as usize];
                    s.open_load = s.open_load.saturating_sub(1);
                    let stats = &mut sim.reps[r as usize];
                    stats.responses.push(speed);
                    stats.breaches += usize::from(breached);
                }
                if let Some(q) = lead.queue {
                    let qi = q as usize;
                    depth[qi] = depth[qi].saturating_sub(1);
                    let g = &mut sim.queues[qi];
                    g.contacted += 1;
                    g.breaches += usize::from(breached);
                    g.speeds.push(speed);
                }
            }
        }
    }
    sim.state = state;
    sim
}

