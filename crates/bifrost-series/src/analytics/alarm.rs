//! Threshold alarms with hysteresis: a high alarm is raised when the value goes above `raise`
//! and cleared only when it comes back below `clear` (≤ `raise`); a low alarm mirrors it. The
//! band between stops a value hovering at the limit from raising and clearing at every point.
//! Points pass through unchanged; NaN changes no state.

use super::{AlarmEvent, AlarmKind, AlarmState, Emit, Operator};
use crate::Point;
use crate::error::{Result, SeriesError};

/// One limit with its hysteresis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Crossing this raises the alarm.
    pub raise: f64,
    /// Coming back past this clears it.
    pub clear: f64,
}

/// A threshold alarm on high and/or low limits.
#[derive(Debug, Clone)]
pub struct Threshold {
    source: String,
    high: Option<Limit>,
    low: Option<Limit>,
    high_active: bool,
    low_active: bool,
}

impl Threshold {
    /// High and low limits; `clear` must lie on the normal side of `raise`.
    pub fn new(source: &str, high: Option<Limit>, low: Option<Limit>) -> Result<Self> {
        if let Some(h) = high
            && h.clear.partial_cmp(&h.raise) != Some(std::cmp::Ordering::Less)
            && h.clear != h.raise
        {
            return Err(SeriesError::Config(format!(
                "high alarm of {source}: clear ({}) must be at or below raise ({})",
                h.clear, h.raise
            )));
        }
        if let Some(l) = low
            && l.clear.partial_cmp(&l.raise) != Some(std::cmp::Ordering::Greater)
            && l.clear != l.raise
        {
            return Err(SeriesError::Config(format!(
                "low alarm of {source}: clear ({}) must be at or above raise ({})",
                l.clear, l.raise
            )));
        }
        Ok(Threshold {
            source: source.to_string(),
            high,
            low,
            high_active: false,
            low_active: false,
        })
    }

    /// A high alarm only. Panics never: a `clear` above `raise` is lowered to `raise`.
    pub fn high(source: &str, raise: f64, clear: f64) -> Self {
        let limit = Limit {
            raise,
            clear: clear.min(raise),
        };
        Threshold {
            source: source.to_string(),
            high: Some(limit),
            low: None,
            high_active: false,
            low_active: false,
        }
    }

    /// Whether the high / low alarm is active now.
    pub fn active(&self) -> (bool, bool) {
        (self.high_active, self.low_active)
    }

    fn event(&self, p: Point, kind: AlarmKind, state: AlarmState, limit: f64) -> AlarmEvent {
        AlarmEvent {
            ts: p.ts,
            source: self.source.clone(),
            kind,
            state,
            value: p.value,
            limit,
        }
    }
}

impl Operator for Threshold {
    fn push(&mut self, p: Point, out: &mut Emit) {
        let v = p.value;
        if let Some(h) = self.high {
            if !self.high_active && v > h.raise {
                self.high_active = true;
                out.alarms
                    .push(self.event(p, AlarmKind::High, AlarmState::Raised, h.raise));
            } else if self.high_active && v < h.clear {
                self.high_active = false;
                out.alarms
                    .push(self.event(p, AlarmKind::High, AlarmState::Cleared, h.clear));
            }
        }
        if let Some(l) = self.low {
            if !self.low_active && v < l.raise {
                self.low_active = true;
                out.alarms
                    .push(self.event(p, AlarmKind::Low, AlarmState::Raised, l.raise));
            } else if self.low_active && v > l.clear {
                self.low_active = false;
                out.alarms
                    .push(self.event(p, AlarmKind::Low, AlarmState::Cleared, l.clear));
            }
        }
        out.points.push(p);
    }
}
