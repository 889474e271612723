//! Trend: the least-squares slope of the last `window` points, in value units per second.

use std::collections::VecDeque;

use super::{Emit, Operator};
use crate::Point;

/// Emits, for each point once two are buffered, the slope of the line fitted to the last
/// `window` points (units per second).
#[derive(Debug, Clone)]
pub struct Trend {
    window: usize,
    buf: VecDeque<Point>,
}

impl Trend {
    /// Slope over the last `window` (≥ 2) points.
    pub fn new(window: usize) -> Self {
        Trend {
            window: window.max(2),
            buf: VecDeque::new(),
        }
    }
}

/// Least-squares slope of points, per second; `None` when all share one time.
pub fn slope(points: impl Iterator<Item = Point> + Clone) -> Option<f64> {
    let first = points.clone().next()?.ts;
    let n = points.clone().count() as f64;
    let xs = points.clone().map(|p| (p.ts - first) as f64 / 1000.0);
    let mx = xs.clone().sum::<f64>() / n;
    let my = points.clone().map(|p| p.value).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, p) in xs.zip(points) {
        sxy += (x - mx) * (p.value - my);
        sxx += (x - mx) * (x - mx);
    }
    (sxx > 0.0).then(|| sxy / sxx)
}

impl Operator for Trend {
    fn push(&mut self, p: Point, out: &mut Emit) {
        if !p.value.is_finite() {
            return;
        }
        self.buf.push_back(p);
        if self.buf.len() > self.window {
            self.buf.pop_front();
        }
        if self.buf.len() >= 2
            && let Some(s) = slope(self.buf.iter().copied())
        {
            out.points.push(Point::new(p.ts, s));
        }
    }
}
