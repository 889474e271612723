//! Stream analytics: operators that take points in time order and emit points (a new series)
//! and alarm events. Chain them with [`Pipeline`]; build them from configuration with
//! [`OperatorSpec`].
//!
//! ```
//! use bifrost_series::Point;
//! use bifrost_series::analytics::{Map, Pipeline, Stat, Threshold, Window};
//!
//! let mut p = Pipeline::new()
//!     .then(Map::linear(0.1, 0.0))                       // raw tenths of a degree → °C
//!     .then(Threshold::high("boiler.temp", 80.0, 75.0))  // alarm above 80, clear below 75
//!     .then(Window::tumbling(60_000, Stat::Mean));       // one mean per minute
//! let out = p.push(Point::new(0, 812.0));
//! assert_eq!(out.alarms.len(), 1);
//! ```

mod alarm;
mod anomaly;
mod filter;
mod map;
mod spec;
pub mod stats;
mod trend;
mod window;

pub use alarm::{Limit, Threshold};
pub use anomaly::{Ewma, ZScore};
pub use filter::Filter;
pub use map::{Map, Unit};
pub use spec::{OperatorSpec, parse_duration_ms};
pub use stats::Stat;
pub use trend::Trend;
pub use window::Window;

use serde::{Deserialize, Serialize};

use crate::Point;

/// Which condition an alarm is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// The value went above the high limit.
    High,
    /// The value went below the low limit.
    Low,
    /// The value is an outlier (z-score or EWMA band).
    Anomaly,
}

/// Whether the condition began or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmState {
    /// The condition began (for anomalies: was seen).
    Raised,
    /// The condition ended.
    Cleared,
}

/// An alarm: a condition of a source began or ended at a point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmEvent {
    /// The time of the point that raised or cleared it.
    pub ts: i64,
    /// What the alarm is about (the operator's label, usually the series).
    pub source: String,
    /// The condition.
    pub kind: AlarmKind,
    /// Began or ended.
    pub state: AlarmState,
    /// The value that crossed.
    pub value: f64,
    /// The limit it crossed (for anomalies: the score).
    pub limit: f64,
}

/// What operators emit for one input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Emit {
    /// Points of the output series.
    pub points: Vec<Point>,
    /// Alarm events.
    pub alarms: Vec<AlarmEvent>,
}

/// A stream operator. Points arrive in time order; an operator emits zero or more points and
/// alarms per point, and whatever it still holds at [`Operator::finish`].
pub trait Operator: Send {
    /// Takes one point.
    fn push(&mut self, p: Point, out: &mut Emit);
    /// The stream ended: emit what is pending (open windows).
    fn finish(&mut self, _out: &mut Emit) {}
}

/// Operators in a chain: each one's points feed the next; alarms of every stage come out.
#[derive(Default)]
pub struct Pipeline {
    stages: Vec<Box<dyn Operator>>,
}

impl Pipeline {
    /// An empty pipeline (passes points through).
    pub fn new() -> Self {
        Pipeline::default()
    }

    /// Appends a stage.
    pub fn then(mut self, op: impl Operator + 'static) -> Self {
        self.stages.push(Box::new(op));
        self
    }

    /// Appends a boxed stage (from [`OperatorSpec::build`]).
    pub fn then_boxed(mut self, op: Box<dyn Operator>) -> Self {
        self.stages.push(op);
        self
    }

    /// Runs one point through every stage.
    pub fn push(&mut self, p: Point) -> Emit {
        self.run(vec![p], false)
    }

    /// Ends the stream: flushes every stage in order.
    pub fn finish(&mut self) -> Emit {
        self.run(Vec::new(), true)
    }

    /// Runs a batch of points through every stage, stage by stage: the points pushing them one
    /// by one would give, without the per-point overhead; alarms in time order (within one
    /// time, by stage).
    pub fn push_batch(&mut self, points: Vec<Point>) -> Emit {
        self.run(points, false)
    }

    /// Runs a whole batch and finishes (convenient for series read back from the engine).
    pub fn run_all(&mut self, points: impl IntoIterator<Item = Point>) -> Emit {
        let mut all = self.run(points.into_iter().collect(), false);
        let mut end = self.finish();
        all.points.append(&mut end.points);
        all.alarms.append(&mut end.alarms);
        all
    }

    fn run(&mut self, mut points: Vec<Point>, finish: bool) -> Emit {
        let mut alarms = Vec::new();
        for stage in &mut self.stages {
            let mut next = Emit::default();
            for p in points {
                stage.push(p, &mut next);
            }
            if finish {
                stage.finish(&mut next);
            }
            alarms.append(&mut next.alarms);
            points = next.points;
        }
        // Stage by stage, a batch's alarms come out grouped by stage: put them in time order
        // (stable, so alarms of one time keep the order of the stages).
        alarms.sort_by_key(|a| a.ts);
        Emit { points, alarms }
    }
}

impl Operator for Pipeline {
    fn push(&mut self, p: Point, out: &mut Emit) {
        let mut e = Pipeline::push(self, p);
        out.points.append(&mut e.points);
        out.alarms.append(&mut e.alarms);
    }

    fn finish(&mut self, out: &mut Emit) {
        let mut e = Pipeline::finish(self);
        out.points.append(&mut e.points);
        out.alarms.append(&mut e.alarms);
    }
}
