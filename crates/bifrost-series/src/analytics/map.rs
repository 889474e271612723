//! Map: a linear transformation of values (scale and offset), or a unit conversion.

use super::{Emit, Operator};
use crate::Point;
use crate::error::{Result, SeriesError};

/// `value * scale + offset`.
#[derive(Debug, Clone, Copy)]
pub struct Map {
    scale: f64,
    offset: f64,
}

/// Units [`Map::unit`] converts between: each is `factor * v + offset` in its dimension's SI
/// unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    /// Its symbol.
    pub symbol: &'static str,
    /// Its dimension (`temperature`, `pressure`…).
    pub dimension: &'static str,
    factor: f64,
    offset: f64,
}

const fn unit(symbol: &'static str, dimension: &'static str, factor: f64, offset: f64) -> Unit {
    Unit {
        symbol,
        dimension,
        factor,
        offset,
    }
}

/// Every unit known to [`Map::unit`].
pub const UNITS: &[Unit] = &[
    unit("K", "temperature", 1.0, 0.0),
    unit("degC", "temperature", 1.0, 273.15),
    unit("degF", "temperature", 5.0 / 9.0, 273.15 - 32.0 * 5.0 / 9.0),
    unit("Pa", "pressure", 1.0, 0.0),
    unit("hPa", "pressure", 100.0, 0.0),
    unit("kPa", "pressure", 1e3, 0.0),
    unit("MPa", "pressure", 1e6, 0.0),
    unit("mbar", "pressure", 100.0, 0.0),
    unit("bar", "pressure", 1e5, 0.0),
    unit("psi", "pressure", 6894.757293168361, 0.0),
    unit("m", "length", 1.0, 0.0),
    unit("mm", "length", 1e-3, 0.0),
    unit("cm", "length", 1e-2, 0.0),
    unit("in", "length", 0.0254, 0.0),
    unit("ft", "length", 0.3048, 0.0),
    unit("m3/s", "flow", 1.0, 0.0),
    unit("m3/h", "flow", 1.0 / 3600.0, 0.0),
    unit("l/s", "flow", 1e-3, 0.0),
    unit("l/min", "flow", 1e-3 / 60.0, 0.0),
    unit("W", "power", 1.0, 0.0),
    unit("kW", "power", 1e3, 0.0),
    unit("MW", "power", 1e6, 0.0),
    unit("Wh", "energy", 3600.0, 0.0),
    unit("kWh", "energy", 3.6e6, 0.0),
    unit("J", "energy", 1.0, 0.0),
    unit("V", "voltage", 1.0, 0.0),
    unit("mV", "voltage", 1e-3, 0.0),
    unit("A", "current", 1.0, 0.0),
    unit("mA", "current", 1e-3, 0.0),
    unit("Hz", "frequency", 1.0, 0.0),
    unit("rpm", "frequency", 1.0 / 60.0, 0.0),
    unit("%", "ratio", 0.01, 0.0),
    unit("ratio", "ratio", 1.0, 0.0),
];

impl Map {
    /// `value * scale + offset`.
    pub fn linear(scale: f64, offset: f64) -> Self {
        Map { scale, offset }
    }

    /// Converts from one unit to another of the same dimension (`degC` → `degF`, `bar` → `psi`).
    pub fn unit(from: &str, to: &str) -> Result<Self> {
        let find = |s: &str| {
            UNITS.iter().find(|u| u.symbol == s).ok_or_else(|| {
                let known: Vec<_> = UNITS.iter().map(|u| u.symbol).collect();
                SeriesError::Config(format!("unknown unit {s:?}; known: {}", known.join(", ")))
            })
        };
        let (a, b) = (find(from)?, find(to)?);
        if a.dimension != b.dimension {
            return Err(SeriesError::Config(format!(
                "cannot convert {from} ({}) to {to} ({})",
                a.dimension, b.dimension
            )));
        }
        // si = v * a.factor + a.offset; out = (si - b.offset) / b.factor
        Ok(Map {
            scale: a.factor / b.factor,
            offset: (a.offset - b.offset) / b.factor,
        })
    }

    /// Applies the map to one value.
    pub fn apply(&self, v: f64) -> f64 {
        v * self.scale + self.offset
    }
}

impl Operator for Map {
    fn push(&mut self, p: Point, out: &mut Emit) {
        out.points.push(Point::new(p.ts, self.apply(p.value)));
    }
}
