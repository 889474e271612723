//! Downsampling: points grouped into fixed steps aligned to the Unix epoch, one aggregate each.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Point;

/// How the points of one step become one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// Arithmetic mean.
    Mean,
    /// Smallest value (NaN is ignored unless every value is NaN).
    Min,
    /// Largest value (NaN is ignored unless every value is NaN).
    Max,
    /// Number of points.
    Count,
    /// Sum of the values.
    Sum,
    /// The earliest point's value.
    First,
    /// The latest point's value.
    Last,
}

impl Aggregate {
    /// Every aggregate, in the order `--help` lists them.
    pub const ALL: [Aggregate; 7] = [
        Aggregate::Mean,
        Aggregate::Min,
        Aggregate::Max,
        Aggregate::Count,
        Aggregate::Sum,
        Aggregate::First,
        Aggregate::Last,
    ];

    /// The name used in text (`mean`, `min`…).
    pub fn name(self) -> &'static str {
        match self {
            Aggregate::Mean => "mean",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
            Aggregate::Count => "count",
            Aggregate::Sum => "sum",
            Aggregate::First => "first",
            Aggregate::Last => "last",
        }
    }
}

impl fmt::Display for Aggregate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Aggregate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Aggregate::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                format!("unknown aggregate {s:?}: use mean, min, max, count, sum, first or last")
            })
    }
}

/// Downsampling of a query: one `agg` value per `step_ms`, stamped with the step's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Downsample {
    /// The aggregate.
    pub agg: Aggregate,
    /// The step in milliseconds (> 0).
    pub step_ms: i64,
}

/// Running state of one step.
#[derive(Clone, Copy)]
struct Acc {
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
    first: f64,
    last: f64,
}

impl Acc {
    fn new(v: f64) -> Self {
        Acc {
            count: 1,
            sum: v,
            min: v,
            max: v,
            first: v,
            last: v,
        }
    }

    fn add(&mut self, v: f64) {
        self.count += 1;
        self.sum += v;
        // f64::min/max ignore NaN, which is what a min/max over sensor data wants.
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        self.last = v;
    }

    fn value(&self, agg: Aggregate) -> f64 {
        match agg {
            Aggregate::Mean => self.sum / self.count as f64,
            Aggregate::Min => self.min,
            Aggregate::Max => self.max,
            Aggregate::Count => self.count as f64,
            Aggregate::Sum => self.sum,
            Aggregate::First => self.first,
            Aggregate::Last => self.last,
        }
    }
}

/// The start of the step holding `ts` (floor division, so negative times align too).
pub fn step_start(ts: i64, step_ms: i64) -> i64 {
    ts.div_euclid(step_ms).saturating_mul(step_ms)
}

/// Downsamples points sorted by time; empty steps produce nothing.
pub fn downsample(points: impl IntoIterator<Item = Point>, d: Downsample) -> Vec<Point> {
    let mut out = Vec::new();
    let mut current: Option<(i64, Acc)> = None;
    for p in points {
        let start = step_start(p.ts, d.step_ms);
        match &mut current {
            Some((s, acc)) if *s == start => acc.add(p.value),
            _ => {
                if let Some((s, acc)) = current.take() {
                    out.push(Point::new(s, acc.value(d.agg)));
                }
                current = Some((start, Acc::new(p.value)));
            }
        }
    }
    if let Some((s, acc)) = current {
        out.push(Point::new(s, acc.value(d.agg)));
    }
    out
}
