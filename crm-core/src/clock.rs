//! The injected clock: every time-dependent rule reads the time from a [`Clock`], so tests are deterministic.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use std::sync::Mutex;

/// A source of the current time (UTC).
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock, truncated to whole seconds (the precision stored in records).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
    }
}

/// A clock that stands still until told to move; for tests and replays.
///
/// ```
/// use crm_core::clock::{Clock, FixedClock};
/// let c = FixedClock::at("2026-01-01 09:00:00");
/// c.advance(chrono::Duration::hours(1));
/// assert_eq!(c.now().format("%H").to_string(), "10");
/// ```
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    /// A clock showing `instant`.
    pub fn new(instant: DateTime<Utc>) -> Self {
        Self(Mutex::new(instant))
    }
    /// A clock showing `yyyy-mm-dd hh:mm:ss` UTC; the Unix epoch if the text does not parse.
    pub fn at(text: &str) -> Self {
        let t = NaiveDateTime::parse_from_str(text, crate::value::DATETIME_FORMAT).map(|n| n.and_utc()).unwrap_or_default();
        Self::new(t)
    }
    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
    /// Sets the clock.
    pub fn set(&self, instant: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = instant;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}
