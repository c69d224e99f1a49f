//! The service's clock, taken as a value so tests and trials drive time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

/// Where decision times come from (milliseconds since the epoch).
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now_ms(&self) -> i64;
}

/// The system's clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        jiff::Timestamp::now().as_millisecond()
    }
}

/// A clock that starts at a given time and runs at real speed (`serve
/// --clock`): trials of a policy at a chosen moment, e.g. inside working hours.
#[derive(Debug)]
pub struct OffsetClock {
    start_ms: i64,
    started: Instant,
}

impl OffsetClock {
    /// A clock reading `start_ms` now.
    pub fn new(start_ms: i64) -> OffsetClock {
        OffsetClock { start_ms, started: Instant::now() }
    }
}

impl Clock for OffsetClock {
    fn now_ms(&self) -> i64 {
        self.start_ms + i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX / 2)
    }
}

/// A clock that moves only when told (tests).
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock reading `ms`.
    pub fn new(ms: i64) -> ManualClock {
        ManualClock(AtomicI64::new(ms))
    }

    /// Moves the clock forward by `ms`.
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
