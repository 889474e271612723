//! Statistics of a window of values.

use std::fmt;
use std::str::FromStr;

/// A statistic of the values of a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    /// Number of values.
    Count,
    /// Smallest (NaN ignored).
    Min,
    /// Largest (NaN ignored).
    Max,
    /// Arithmetic mean.
    Mean,
    /// Population standard deviation (ddof = 0, numpy's default).
    Stddev,
    /// Percentile 0–100, linear interpolation between closest ranks (numpy's default).
    Percentile(f64),
}

impl Stat {
    /// The statistic of `values` (reordered in place for percentiles). `values` is not empty.
    pub fn compute(self, values: &mut [f64]) -> f64 {
        let n = values.len() as f64;
        match self {
            Stat::Count => n,
            Stat::Min => values.iter().copied().fold(f64::NAN, f64::min),
            Stat::Max => values.iter().copied().fold(f64::NAN, f64::max),
            Stat::Mean => values.iter().sum::<f64>() / n,
            Stat::Stddev => {
                let mean = values.iter().sum::<f64>() / n;
                (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt()
            }
            Stat::Percentile(p) => {
                values.sort_unstable_by(f64::total_cmp);
                let rank = (p / 100.0).clamp(0.0, 1.0) * (values.len() - 1) as f64;
                let lo = rank.floor() as usize;
                let hi = rank.ceil() as usize;
                values[lo] + (values[hi] - values[lo]) * (rank - lo as f64)
            }
        }
    }
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stat::Count => f.write_str("count"),
            Stat::Min => f.write_str("min"),
            Stat::Max => f.write_str("max"),
            Stat::Mean => f.write_str("mean"),
            Stat::Stddev => f.write_str("stddev"),
            Stat::Percentile(p) => write!(f, "p{p}"),
        }
    }
}

impl FromStr for Stat {
    type Err = String;
    /// `count`, `min`, `max`, `mean`, `stddev`, or `pNN` (`p50`, `p99.9`).
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "count" => Stat::Count,
            "min" => Stat::Min,
            "max" => Stat::Max,
            "mean" => Stat::Mean,
            "stddev" => Stat::Stddev,
            _ => match s.strip_prefix('p').and_then(|p| p.parse::<f64>().ok()) {
                Some(p) if (0.0..=100.0).contains(&p) => Stat::Percentile(p),
                _ => {
                    return Err(format!(
                        "unknown statistic {s:?}: use count, min, max, mean, stddev or p0..p100"
                    ));
                }
            },
        })
    }
}
