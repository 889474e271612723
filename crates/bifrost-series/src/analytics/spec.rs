//! Operators described in configuration (a gateway file, TOML or JSON), built into
//! [`Operator`]s. Durations are text: `500ms`, `10s`, `5m`, `1h`, `1d`.
//!
//! ```toml
//! pipeline = [
//!   { op = "scale", factor = 0.1 },
//!   { op = "threshold", high = 80.0, high_clear = 75.0 },
//!   { op = "tumbling", size = "1m", stat = "p95" },
//! ]
//! ```

use serde::{Deserialize, Serialize};

use super::{Ewma, Filter, Limit, Map, Operator, Pipeline, Stat, Threshold, Trend, Window, ZScore};
use crate::error::{Result, SeriesError};

/// One operator of a pipeline, as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum OperatorSpec {
    /// Keep values in `[min, max]` (either may be left out); `finite` drops NaN and ±inf.
    Filter {
        /// Lowest value kept.
        min: Option<f64>,
        /// Highest value kept.
        max: Option<f64>,
        /// Drop NaN and ±inf.
        #[serde(default)]
        finite: bool,
    },
    /// `value * factor + offset`.
    Scale {
        /// The factor.
        factor: f64,
        /// Added after scaling.
        #[serde(default)]
        offset: f64,
    },
    /// Unit conversion (`degC` → `degF`, `bar` → `psi`…).
    Unit {
        /// The values' unit.
        from: String,
        /// The wanted unit.
        to: String,
    },
    /// Back-to-back windows.
    Tumbling {
        /// Window length.
        size: String,
        /// `count`, `min`, `max`, `mean`, `stddev` or `pNN`.
        stat: String,
    },
    /// Overlapping windows.
    Sliding {
        /// Window length.
        size: String,
        /// A new window starts every `slide`.
        slide: String,
        /// The statistic.
        stat: String,
    },
    /// Windows that end at a gap.
    Session {
        /// Longest gap within a session.
        gap: String,
        /// The statistic.
        stat: String,
    },
    /// Threshold alarm with hysteresis.
    Threshold {
        /// Raise above this.
        high: Option<f64>,
        /// Clear below this (default: `high`).
        high_clear: Option<f64>,
        /// Raise below this.
        low: Option<f64>,
        /// Clear above this (default: `low`).
        low_clear: Option<f64>,
    },
    /// Z-score anomalies against the previous `window` values.
    Zscore {
        /// Values in the reference window.
        window: usize,
        /// |z| above this is an anomaly.
        threshold: f64,
    },
    /// EWMA anomalies.
    Ewma {
        /// Smoothing factor in (0, 1].
        alpha: f64,
        /// Band width in deviations.
        k: f64,
        /// Values before alarms start.
        #[serde(default)]
        warmup: u64,
    },
    /// Slope over the last `window` points (units per second).
    Trend {
        /// Points in the fit.
        window: usize,
    },
}

/// Parses `500ms`, `10s`, `5m`, `1h`, `2d` (integer counts) into milliseconds.
pub fn parse_duration_ms(text: &str) -> Result<i64> {
    let bad = || {
        SeriesError::Config(format!(
            "invalid duration {text:?}: use a whole number with ms, s, m, h or d (e.g. 500ms, 1m)"
        ))
    };
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad()),
    };
    let out = n.checked_mul(ms).ok_or_else(bad)?;
    if out <= 0 {
        return Err(SeriesError::Config(format!(
            "duration {text:?} must be positive"
        )));
    }
    Ok(out)
}

fn stat(text: &str) -> Result<Stat> {
    text.parse().map_err(SeriesError::Config)
}

impl OperatorSpec {
    /// Builds the operator; `source` labels its alarms (usually the series name).
    pub fn build(&self, source: &str) -> Result<Box<dyn Operator>> {
        Ok(match self {
            OperatorSpec::Filter { min, max, finite } => {
                let mut f = Filter::range(
                    min.unwrap_or(f64::NEG_INFINITY),
                    max.unwrap_or(f64::INFINITY),
                );
                if *finite {
                    f = Filter::finite();
                    if min.is_some() || max.is_some() {
                        return Err(SeriesError::Config(
                            "filter: use either `finite` or `min`/`max` (a range already drops NaN)"
                                .into(),
                        ));
                    }
                }
                Box::new(f)
            }
            OperatorSpec::Scale { factor, offset } => Box::new(Map::linear(*factor, *offset)),
            OperatorSpec::Unit { from, to } => Box::new(Map::unit(from, to)?),
            OperatorSpec::Tumbling { size, stat: s } => {
                Box::new(Window::tumbling(parse_duration_ms(size)?, stat(s)?))
            }
            OperatorSpec::Sliding {
                size,
                slide,
                stat: s,
            } => Box::new(Window::sliding(
                parse_duration_ms(size)?,
                parse_duration_ms(slide)?,
                stat(s)?,
            )),
            OperatorSpec::Session { gap, stat: s } => {
                Box::new(Window::session(parse_duration_ms(gap)?, stat(s)?))
            }
            OperatorSpec::Threshold {
                high,
                high_clear,
                low,
                low_clear,
            } => {
                if high.is_none() && low.is_none() {
                    return Err(SeriesError::Config(
                        "threshold: give `high`, `low` or both".into(),
                    ));
                }
                let high = high.map(|raise| Limit {
                    raise,
                    clear: high_clear.unwrap_or(raise),
                });
                let low = low.map(|raise| Limit {
                    raise,
                    clear: low_clear.unwrap_or(raise),
                });
                Box::new(Threshold::new(source, high, low)?)
            }
            OperatorSpec::Zscore { window, threshold } => {
                if *window < 2 {
                    return Err(SeriesError::Config(
                        "zscore: window must be at least 2".into(),
                    ));
                }
                Box::new(ZScore::new(source, *window, *threshold))
            }
            OperatorSpec::Ewma { alpha, k, warmup } => {
                if !(*alpha > 0.0 && *alpha <= 1.0) {
                    return Err(SeriesError::Config(format!(
                        "ewma: alpha must be in (0, 1], not {alpha}"
                    )));
                }
                Box::new(Ewma::new(source, *alpha, *k, *warmup))
            }
            OperatorSpec::Trend { window } => {
                if *window < 2 {
                    return Err(SeriesError::Config(
                        "trend: window must be at least 2".into(),
                    ));
                }
                Box::new(Trend::new(*window))
            }
        })
    }

    /// Builds a pipeline of specs in order.
    pub fn pipeline(specs: &[OperatorSpec], source: &str) -> Result<Pipeline> {
        specs
            .iter()
            .try_fold(Pipeline::new(), |p, s| Ok(p.then_boxed(s.build(source)?)))
    }
}
