//! Windows: tumbling (fixed, back to back), sliding (fixed length, starting every `slide`) and
//! session (points closer than a gap). Each closed window emits one point, stamped with the
//! window's start, whose value is the window's statistic. Windows are aligned to the Unix
//! epoch; windows without points emit nothing; points older than an emitted window are dropped.

use std::collections::VecDeque;

use super::{Emit, Operator, Stat};
use crate::Point;
use crate::downsample::step_start;

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Fixed windows of `size` every `slide` (tumbling: slide == size).
    Fixed { size: i64, slide: i64 },
    /// A window closes when the next point is more than `gap` later.
    Session { gap: i64 },
}

/// A window operator; see the module documentation.
#[derive(Debug, Clone)]
pub struct Window {
    kind: Kind,
    stat: Stat,
    buf: VecDeque<Point>,
    /// Fixed windows: the end of the next window to emit.
    next_end: Option<i64>,
    scratch: Vec<f64>,
    /// Tumbling windows of a statistic that needs no values kept: the open window.
    running: Option<Running>,
}

/// Count, sum, min, max and (Welford) mean and squared deviations of one open window.
#[derive(Debug, Clone, Copy)]
struct Running {
    start: i64,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
    mean: f64,
    m2: f64,
}

impl Running {
    fn new(start: i64, v: f64) -> Self {
        Running {
            start,
            count: 1,
            sum: v,
            min: v,
            max: v,
            mean: v,
            m2: 0.0,
        }
    }

    #[inline]
    fn add(&mut self, v: f64) {
        self.count += 1;
        self.sum += v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        let d = v - self.mean;
        self.mean += d / self.count as f64;
        self.m2 += d * (v - self.mean);
    }

    fn value(&self, stat: Stat) -> f64 {
        let n = self.count as f64;
        match stat {
            Stat::Count => n,
            Stat::Min => self.min,
            Stat::Max => self.max,
            Stat::Mean => self.sum / n,
            Stat::Stddev => (self.m2 / n).sqrt(),
            // Never running: percentiles keep their values.
            Stat::Percentile(_) => f64::NAN,
        }
    }
}

impl Window {
    /// Back-to-back windows of `size_ms` (> 0).
    pub fn tumbling(size_ms: i64, stat: Stat) -> Self {
        Self::sliding(size_ms, size_ms, stat)
    }

    /// Windows of `size_ms` starting every `slide_ms` (both > 0).
    pub fn sliding(size_ms: i64, slide_ms: i64, stat: Stat) -> Self {
        Self::new(
            Kind::Fixed {
                size: size_ms.max(1),
                slide: slide_ms.max(1),
            },
            stat,
        )
    }

    /// Sessions: a window ends when the next point is more than `gap_ms` after the last.
    pub fn session(gap_ms: i64, stat: Stat) -> Self {
        Self::new(Kind::Session { gap: gap_ms.max(0) }, stat)
    }

    fn new(kind: Kind, stat: Stat) -> Self {
        Window {
            kind,
            stat,
            buf: VecDeque::new(),
            next_end: None,
            scratch: Vec::new(),
            running: None,
        }
    }

    /// Tumbling windows of count, min, max, mean or stddev fold each point in as it comes
    /// (no buffer); other windows keep their points.
    fn is_running(&self) -> bool {
        matches!(self.kind, Kind::Fixed { size, slide } if size == slide)
            && !matches!(self.stat, Stat::Percentile(_))
    }

    /// Emits the statistic of the buffered points with `from <= ts < to`, stamped `from`.
    fn emit_range(&mut self, from: i64, to: i64, out: &mut Emit) {
        self.scratch.clear();
        self.scratch.extend(
            self.buf
                .iter()
                .filter(|p| p.ts >= from && p.ts < to)
                .map(|p| p.value),
        );
        if !self.scratch.is_empty() {
            out.points
                .push(Point::new(from, self.stat.compute(&mut self.scratch)));
        }
    }

    /// Fixed windows: emits every window ending at or before `upto`, then drops points no
    /// later window holds.
    fn close_until(&mut self, upto: i64, size: i64, slide: i64, out: &mut Emit) {
        while let Some(end) = self.next_end {
            if end > upto {
                break;
            }
            if self.buf.is_empty() {
                self.next_end = None;
                break;
            }
            self.emit_range(end - size, end, out);
            let next = end + slide;
            while self.buf.front().is_some_and(|p| p.ts < next - size) {
                self.buf.pop_front();
            }
            self.next_end = Some(next);
        }
    }
}

impl Operator for Window {
    fn push(&mut self, p: Point, out: &mut Emit) {
        if let Kind::Fixed { size, .. } = self.kind
            && self.is_running()
        {
            match &mut self.running {
                Some(r) if p.ts >= r.start && p.ts - r.start < size => r.add(p.value),
                Some(r) if p.ts < r.start => {} // older than the open window
                _ => {
                    if let Some(r) = self.running.take() {
                        out.points.push(Point::new(r.start, r.value(self.stat)));
                    }
                    self.running = Some(Running::new(step_start(p.ts, size), p.value));
                }
            }
            return;
        }
        match self.kind {
            Kind::Fixed { size, slide } => {
                self.close_until(p.ts, size, slide, out);
                if let Some(end) = self.next_end
                    && p.ts < end - slide
                {
                    return; // older than a window already emitted
                }
                if self.next_end.is_none() || self.buf.is_empty() {
                    self.next_end = Some(step_start(p.ts, slide) + slide);
                }
                self.buf.push_back(p);
            }
            Kind::Session { gap } => {
                if let Some(last) = self.buf.back() {
                    if p.ts < last.ts {
                        return;
                    }
                    if p.ts - last.ts > gap {
                        let start = self.buf.front().map_or(p.ts, |f| f.ts);
                        self.emit_range(start, i64::MAX, out);
                        self.buf.clear();
                    }
                }
                self.buf.push_back(p);
            }
        }
    }

    fn finish(&mut self, out: &mut Emit) {
        if let Some(r) = self.running.take() {
            out.points.push(Point::new(r.start, r.value(self.stat)));
        }
        match self.kind {
            Kind::Fixed { size, slide } => self.close_until(i64::MAX, size, slide, out),
            Kind::Session { .. } => {
                if let Some(start) = self.buf.front().map(|f| f.ts) {
                    self.emit_range(start, i64::MAX, out);
                }
            }
        }
        self.buf.clear();
        self.next_end = None;
    }
}
