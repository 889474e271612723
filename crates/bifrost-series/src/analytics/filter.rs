//! Filter: keeps the points whose value is in a range (and, optionally, finite).

use super::{Emit, Operator};
use crate::Point;

/// Keeps points with `min <= value <= max`; NaN never passes a range, and `finite` also drops
/// ±inf.
#[derive(Debug, Clone)]
pub struct Filter {
    min: f64,
    max: f64,
    finite: bool,
}

impl Filter {
    /// Keeps values in `[min, max]`.
    pub fn range(min: f64, max: f64) -> Self {
        Filter {
            min,
            max,
            finite: false,
        }
    }

    /// Keeps finite values (drops NaN and ±inf).
    pub fn finite() -> Self {
        Filter {
            min: f64::NEG_INFINITY,
            max: f64::INFINITY,
            finite: true,
        }
    }

    /// Whether a value passes.
    pub fn keeps(&self, v: f64) -> bool {
        v >= self.min && v <= self.max && (!self.finite || v.is_finite())
    }
}

impl Operator for Filter {
    fn push(&mut self, p: Point, out: &mut Emit) {
        if self.keeps(p.value) {
            out.points.push(p);
        }
    }
}
