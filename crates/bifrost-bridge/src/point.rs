//! A point: one value of one series at one time, with the id a consumer dedupes on, and its
//! binary form in the disk log.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A 128-bit id, unique per point: the high half names the process run that made it (start time
/// mixed with randomness), the low half counts. A retried delivery carries the same id, so a
/// consumer that keeps the ids it has seen drops what QoS 1 or a retry delivered twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PointId(pub u128);

impl fmt::Display for PointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl std::str::FromStr for PointId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.len() != 32 {
            return Err(format!("{s:?} is not a point id (32 hex digits)"));
        }
        u128::from_str_radix(s, 16)
            .map(PointId)
            .map_err(|_| format!("{s:?} is not a point id (32 hex digits)"))
    }
}

impl Serialize for PointId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PointId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Mints point ids for one process run.
#[derive(Debug)]
pub struct IdGenerator {
    run: u64,
    next: AtomicU64,
}

impl Default for IdGenerator {
    fn default() -> Self {
        IdGenerator::new()
    }
}

impl IdGenerator {
    /// A generator whose run half is the start time in nanoseconds mixed with 20 random bits, so
    /// two runs (a restart after `kill -9`, two gateways) never mint the same id.
    pub fn new() -> IdGenerator {
        let nanos = now_nanos() as u64;
        let salt: u64 = rand::random::<u64>() & 0xF_FFFF;
        IdGenerator {
            run: nanos ^ salt,
            next: AtomicU64::new(0),
        }
    }

    /// The next id.
    pub fn next_id(&self) -> PointId {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        PointId((u128::from(self.run) << 64) | u128::from(n))
    }
}

/// Nanoseconds since the Unix epoch, now.
pub fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// One value of one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Unique; what a consumer dedupes on.
    pub id: PointId,
    /// The series name (a tag name, or what a pipeline stage called its result).
    pub series: String,
    /// Nanoseconds since the Unix epoch.
    pub ts: i64,
    /// The engineering value (JSON writes NaN and infinities as the strings "NaN", "inf",
    /// "-inf", which JSON numbers cannot hold).
    #[serde(with = "float_or_name")]
    pub value: f64,
    /// The registers (or bits, as 0/1) the value was decoded from, when the source has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<Vec<u16>>,
}

mod float_or_name {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else if v.is_nan() {
            s.serialize_str("NaN")
        } else if *v > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(f64),
        Name(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Either::deserialize(d)? {
            Either::Number(n) => Ok(n),
            Either::Name(n) => match n.as_str() {
                "NaN" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                other => Err(serde::de::Error::custom(format!(
                    "{other:?} is not a value: a number, \"NaN\", \"inf\" or \"-inf\""
                ))),
            },
        }
    }
}

/// Why bytes do not decode as a point.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a point record: {0}")]
pub struct DecodeError(pub &'static str);

impl Point {
    /// Appends the point's binary form: id (16, LE), ts (8), value (8), series length (2) and
    /// UTF-8, raw count (2, 0xFFFF = none) and words (2 each).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id.0.to_le_bytes());
        out.extend_from_slice(&self.ts.to_le_bytes());
        out.extend_from_slice(&self.value.to_le_bytes());
        let name = self.series.as_bytes();
        let name = &name[..name.len().min(u16::MAX as usize)];
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name);
        match &self.raw {
            None => out.extend_from_slice(&u16::MAX.to_le_bytes()),
            Some(words) => {
                let words = &words[..words.len().min(u16::MAX as usize - 1)];
                out.extend_from_slice(&(words.len() as u16).to_le_bytes());
                for w in words {
                    out.extend_from_slice(&w.to_le_bytes());
                }
            }
        }
    }

    /// Reads a point written by [`Point::encode`]; every length is checked against the bytes.
    pub fn decode(bytes: &[u8]) -> Result<Point, DecodeError> {
        let mut r = Reader { bytes, at: 0 };
        let id = u128::from_le_bytes(r.array()?);
        let ts = i64::from_le_bytes(r.array()?);
        let value = f64::from_le_bytes(r.array()?);
        let len = u16::from_le_bytes(r.array()?) as usize;
        let series = std::str::from_utf8(r.take(len)?)
            .map_err(|_| DecodeError("series name is not UTF-8"))?
            .to_owned();
        let count = u16::from_le_bytes(r.array()?);
        let raw = if count == u16::MAX {
            None
        } else {
            let words = r.take(count as usize * 2)?;
            Some(
                words
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect(),
            )
        };
        if r.at != bytes.len() {
            return Err(DecodeError("longer than its fields"));
        }
        Ok(Point {
            id: PointId(id),
            series,
            ts,
            value,
            raw,
        })
    }
}

/// Reads fields off the front of a record, checking each length.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let s = self
            .bytes
            .get(self.at..self.at + n)
            .ok_or(DecodeError("shorter than its fields"))?;
        self.at += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_round_trip_and_ids_are_unique() {
        let ids = IdGenerator::new();
        let a = ids.next_id();
        let b = ids.next_id();
        assert_ne!(a, b);
        assert_eq!(a.to_string().parse::<PointId>().unwrap(), a);
        for raw in [None, Some(vec![]), Some(vec![1, 0xFFFF, 7])] {
            let p = Point {
                id: a,
                series: "boiler.temperature".into(),
                ts: 1_700_000_000_123_456_789,
                value: -21.5,
                raw,
            };
            let mut buf = Vec::new();
            p.encode(&mut buf);
            assert_eq!(Point::decode(&buf).unwrap(), p);
            assert!(Point::decode(&buf[..buf.len() - 1]).is_err());
            buf.push(0);
            assert!(Point::decode(&buf).is_err());
        }
        assert_ne!(IdGenerator::new().next_id(), IdGenerator::new().next_id());
        let mut nan = Point {
            id: a,
            series: "s".into(),
            ts: 1,
            value: f64::NAN,
            raw: None,
        };
        let back: Point = serde_json::from_str(&serde_json::to_string(&nan).unwrap()).unwrap();
        assert!(back.value.is_nan());
        nan.value = f64::NEG_INFINITY;
        let back: Point = serde_json::from_str(&serde_json::to_string(&nan).unwrap()).unwrap();
        assert_eq!(back, nan);
    }
}
