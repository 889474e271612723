//! Bifrost's edge time-series engine and stream analytics.
//!
//! - [`Engine`]: per-series in-memory buffers sealed together into compressed segment files
//!   (timestamps and values each by Gorilla — delta-of-delta, XOR — or pco, whichever is
//!   smaller; raw 16-bit register words kept beside values when the source has them), read
//!   through memory maps.
//!   Segments appear by atomic rename and carry checksums, so a torn or damaged file is detected
//!   and the rest stays readable. Retention by age and size, a hard cap on buffer memory (seals
//!   early), a free-disk floor (evicts or refuses, counted). Queries by series and time range,
//!   optionally downsampled ([`Downsample`]: mean, min, max, count, sum, first, last per step).
//! - [`analytics`]: composable operators over a point stream: filter and map (scale, offset,
//!   units), tumbling, sliding and session windows (count, min, max, mean, stddev,
//!   percentiles), threshold alarms with hysteresis, z-score and EWMA anomaly detection, trend
//!   (slope). Operators produce points (a series again) and [`analytics::AlarmEvent`]s.
//!
//! Times are milliseconds since the Unix epoch (`i64`). Depends on no other Bifrost crate, and
//! none of the hub's crates depends on it: the CLI (`bifrost edge query`) and the gateway use it.

pub mod analytics;
mod bits;
mod block;
pub mod downsample;
pub mod engine;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
mod gorilla;
mod segment;

pub use block::Codec;
pub use downsample::{Aggregate, Downsample};
pub use engine::{
    Engine, EngineConfig, EngineStats, FloorPolicy, SeriesId, SeriesInfo, validate_series_name,
};
pub use error::{Result, SeriesError};

use serde::{Deserialize, Serialize};

/// One value of a series at one time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Milliseconds since the Unix epoch.
    pub ts: i64,
    /// The value.
    pub value: f64,
}

impl Point {
    /// A point.
    pub fn new(ts: i64, value: f64) -> Self {
        Point { ts, value }
    }
}

/// A stored point with the raw register word it came from, when the source had one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Milliseconds since the Unix epoch.
    pub ts: i64,
    /// The value.
    pub value: f64,
    /// The raw 16-bit word, when appended with one.
    pub raw: Option<u16>,
}

/// The column codecs, exposed for property tests and benchmarks.
#[doc(hidden)]
pub mod codec {
    pub use crate::gorilla::{decode_floats, decode_ints, encode_floats, encode_ints};

    /// Bytes the value column of `values` takes with each codec: (Gorilla, pco).
    pub fn value_column_sizes(values: &[f64]) -> (usize, usize) {
        let g = crate::block::encode(&vec![0; values.len()], values, &[], crate::Codec::Gorilla);
        let p = crate::block::encode(&vec![0; values.len()], values, &[], crate::Codec::Pco);
        (g.values.len(), p.values.len())
    }

    /// Round-trips timestamps through pco (tests).
    pub fn pco_ts_round_trip(ts: &[i64]) -> Vec<i64> {
        let e = crate::block::encode(ts, &vec![0.0; ts.len()], &[], crate::Codec::Pco);
        crate::block::decode(
            ts.len(),
            (e.ts_codec, e.value_codec),
            &e.ts,
            &e.values,
            &e.raw,
        )
        .map(|c| c.ts)
        .unwrap_or_default()
    }

    /// Round-trips values through pco (tests).
    pub fn pco_round_trip(values: &[f64]) -> Vec<f64> {
        let e = crate::block::encode(&vec![0; values.len()], values, &[], crate::Codec::Pco);
        crate::block::decode(
            values.len(),
            (e.ts_codec, e.value_codec),
            &e.ts,
            &e.values,
            &e.raw,
        )
        .map(|c| c.values)
        .unwrap_or_default()
    }
}
