//! Anomaly detection. [`ZScore`]: how many standard deviations a value lies from the mean of
//! the previous `window` values; [`Ewma`]: an exponentially weighted mean and variance, a value
//! outside `k` deviations of the mean before it is an anomaly. Both emit their score or mean
//! as a series and an [`AlarmKind::Anomaly`] event per outlier.

use std::collections::VecDeque;

use super::{AlarmEvent, AlarmKind, AlarmState, Emit, Operator};
use crate::Point;

/// Z-score of each value against the previous `window` values (population deviation). Emits the
/// score once two previous values exist; a deviation of zero scores 0 for the same value and
/// ±inf for any other.
#[derive(Debug, Clone)]
pub struct ZScore {
    source: String,
    window: usize,
    threshold: f64,
    buf: VecDeque<f64>,
    /// Sums of `v - shift` and its square: shifting by an early value keeps them precise.
    shift: f64,
    sum: f64,
    sum_sq: f64,
}

impl ZScore {
    /// Scores against the previous `window` (≥ 2) values; |z| > `threshold` is an anomaly.
    pub fn new(source: &str, window: usize, threshold: f64) -> Self {
        ZScore {
            source: source.to_string(),
            window: window.max(2),
            threshold,
            buf: VecDeque::new(),
            shift: 0.0,
            sum: 0.0,
            sum_sq: 0.0,
        }
    }

    fn mean_std(&self) -> (f64, f64) {
        let n = self.buf.len() as f64;
        let m = self.sum / n;
        let second = self.sum_sq / n;
        let var = second - m * m;
        if var > 1e-4 * second {
            return (m + self.shift, var.sqrt());
        }
        // The running sums cancel (the window varies far less than its distance from the
        // shift): compute this window exactly, in two passes.
        let m = self.buf.iter().sum::<f64>() / n;
        let var = self.buf.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
        (m + self.shift, var.sqrt())
    }
}

impl Operator for ZScore {
    fn push(&mut self, p: Point, out: &mut Emit) {
        if !p.value.is_finite() {
            return;
        }
        if self.buf.len() >= 2 {
            let (mean, std) = self.mean_std();
            let diff = p.value - mean;
            // Below this the deviation is rounding noise of a constant signal.
            let z = if std <= 1e-12 * mean.abs().max(1.0) {
                if diff.abs() <= 1e-12 * mean.abs().max(1.0) {
                    0.0
                } else {
                    diff.signum() * f64::INFINITY
                }
            } else {
                diff / std
            };
            out.points.push(Point::new(p.ts, z));
            if z.abs() > self.threshold {
                out.alarms.push(AlarmEvent {
                    ts: p.ts,
                    source: self.source.clone(),
                    kind: AlarmKind::Anomaly,
                    state: AlarmState::Raised,
                    value: p.value,
                    limit: z,
                });
            }
        }
        if self.buf.is_empty() {
            self.shift = p.value;
            self.sum = 0.0;
            self.sum_sq = 0.0;
        }
        let x = p.value - self.shift;
        self.buf.push_back(x);
        self.sum += x;
        self.sum_sq += x * x;
        if self.buf.len() > self.window
            && let Some(old) = self.buf.pop_front()
        {
            self.sum -= old;
            self.sum_sq -= old * old;
        }
    }
}

/// Exponentially weighted mean and variance (`alpha` in (0, 1]); emits the mean after each value,
/// and an anomaly when a value lies more than `k` deviations from the mean before it (after
/// `warmup` values).
#[derive(Debug, Clone)]
pub struct Ewma {
    source: String,
    alpha: f64,
    k: f64,
    warmup: u64,
    seen: u64,
    mean: f64,
    var: f64,
}

impl Ewma {
    /// Smoothing `alpha`, band of `k` deviations, no alarms during the first `warmup` values.
    pub fn new(source: &str, alpha: f64, k: f64, warmup: u64) -> Self {
        Ewma {
            source: source.to_string(),
            alpha: alpha.clamp(f64::MIN_POSITIVE, 1.0),
            k,
            warmup,
            seen: 0,
            mean: 0.0,
            var: 0.0,
        }
    }
}

impl Operator for Ewma {
    fn push(&mut self, p: Point, out: &mut Emit) {
        let v = p.value;
        if !v.is_finite() {
            return;
        }
        if self.seen == 0 {
            self.mean = v;
            self.var = 0.0;
        } else {
            let diff = v - self.mean;
            let band = self.k * self.var.sqrt();
            if self.seen >= self.warmup && diff.abs() > band {
                out.alarms.push(AlarmEvent {
                    ts: p.ts,
                    source: self.source.clone(),
                    kind: AlarmKind::Anomaly,
                    state: AlarmState::Raised,
                    value: v,
                    limit: band,
                });
            }
            let incr = self.alpha * diff;
            self.mean += incr;
            self.var = (1.0 - self.alpha) * (self.var + diff * incr);
        }
        self.seen += 1;
        out.points.push(Point::new(p.ts, self.mean));
    }
}
