//! Pipeline stages: what happens to points between a source and the sinks. A stage takes the
//! points of one poll round and returns what goes on — the same points changed, fewer, or new
//! ones (a window's mean, an alarm), which mint their ids from the context.
//!
//! Built in: `scale` (value * factor + offset) and `filter` (keep by series glob and value
//! range). Other kinds come from a [`StageFactory`] given to the gateway — the seam where the
//! time-series engine and stream analytics plug in.

use std::sync::Arc;

use crate::point::{IdGenerator, Point};

/// What a stage may use besides its points.
#[derive(Debug)]
pub struct StageContext<'a> {
    /// Mints ids for points a stage creates.
    pub ids: &'a IdGenerator,
}

/// One step of a pipeline.
pub trait Stage: Send {
    /// Transforms one round of points.
    fn process(&mut self, points: Vec<Point>, context: &StageContext<'_>) -> Vec<Point>;
}

/// Builds stages of kinds the gateway does not know itself.
pub trait StageFactory: Send + Sync {
    /// A stage for this table (`kind` is its `kind` key), `None` when the kind is not this
    /// factory's, or an error message for a table of its kind that is wrong.
    fn build(&self, kind: &str, table: &toml::Table) -> Option<Result<Box<dyn Stage>, String>>;
}

/// Matches a series name against a glob where `*` stands for any run of characters.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// `kind = "scale"`: `value = value * factor + offset` for series matching `series` (all when
/// absent). Raw words stay as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    pub series: Option<String>,
    pub factor: f64,
    pub offset: f64,
}

impl Stage for Scale {
    fn process(&mut self, mut points: Vec<Point>, _: &StageContext<'_>) -> Vec<Point> {
        for p in &mut points {
            if self
                .series
                .as_deref()
                .is_none_or(|g| glob_match(g, &p.series))
            {
                p.value = p.value * self.factor + self.offset;
            }
        }
        points
    }
}

/// `kind = "filter"`: keeps points whose series matches `series` (all when absent) and not
/// `exclude`, and whose value is within `[min, max]` where given.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub series: Option<String>,
    pub exclude: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Stage for Filter {
    fn process(&mut self, mut points: Vec<Point>, _: &StageContext<'_>) -> Vec<Point> {
        points.retain(|p| {
            self.series
                .as_deref()
                .is_none_or(|g| glob_match(g, &p.series))
                && !self
                    .exclude
                    .as_deref()
                    .is_some_and(|g| glob_match(g, &p.series))
                && self.min.is_none_or(|m| p.value >= m)
                && self.max.is_none_or(|m| p.value <= m)
        });
        points
    }
}

fn number(table: &toml::Table, key: &str) -> Result<Option<f64>, String> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::Float(f)) => Ok(Some(*f)),
        Some(toml::Value::Integer(i)) => Ok(Some(*i as f64)),
        Some(other) => Err(format!("`{key}` must be a number, not {other}")),
    }
}

fn text(table: &toml::Table, key: &str) -> Result<Option<String>, String> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("`{key}` must be a string, not {other}")),
    }
}

fn only_keys(table: &toml::Table, allowed: &[&str]) -> Result<(), String> {
    for key in table.keys() {
        if key != "kind" && !allowed.contains(&key.as_str()) {
            return Err(format!(
                "unknown key `{key}`; this stage takes {}",
                allowed.join(", ")
            ));
        }
    }
    Ok(())
}

/// Builds a stage: the built-in kinds, then each factory in turn.
pub fn build_stage(
    kind: &str,
    table: &toml::Table,
    factories: &[Arc<dyn StageFactory>],
) -> Result<Box<dyn Stage>, String> {
    match kind {
        "scale" => {
            only_keys(table, &["series", "factor", "offset"])?;
            let factor = number(table, "factor")?.unwrap_or(1.0);
            let offset = number(table, "offset")?.unwrap_or(0.0);
            if !factor.is_finite() || !offset.is_finite() {
                return Err("scale: factor and offset must be finite".into());
            }
            Ok(Box::new(Scale {
                series: text(table, "series")?,
                factor,
                offset,
            }))
        }
        "filter" => {
            only_keys(table, &["series", "exclude", "min", "max"])?;
            Ok(Box::new(Filter {
                series: text(table, "series")?,
                exclude: text(table, "exclude")?,
                min: number(table, "min")?,
                max: number(table, "max")?,
            }))
        }
        other => factories
            .iter()
            .find_map(|f| f.build(other, table))
            .unwrap_or_else(|| {
                Err(format!(
                    "unknown stage kind {other:?}; built in: scale, filter"
                ))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::PointId;

    fn point(series: &str, value: f64) -> Point {
        Point {
            id: PointId(1),
            series: series.into(),
            ts: 0,
            value,
            raw: None,
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("boiler.*", "boiler.temperature"));
        assert!(glob_match("*", "x"));
        assert!(glob_match("*.temp*", "a.temperature"));
        assert!(!glob_match("boiler.*", "line.count"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("a*b*c", "acb"));
    }

    #[test]
    fn scale_then_filter() {
        let ids = IdGenerator::new();
        let cx = StageContext { ids: &ids };
        let table: toml::Table =
            toml::from_str("series = \"t.*\"\nfactor = 2\noffset = 1.0").unwrap();
        let mut scale = build_stage("scale", &table, &[]).unwrap();
        let out = scale.process(vec![point("t.a", 10.0), point("u", 10.0)], &cx);
        assert_eq!(out[0].value, 21.0);
        assert_eq!(out[1].value, 10.0);
        let table: toml::Table = toml::from_str("max = 20").unwrap();
        let mut filter = build_stage("filter", &table, &[]).unwrap();
        let out = filter.process(out, &cx);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].series, "u");
        let bad: toml::Table = toml::from_str("factr = 2").unwrap();
        assert!(
            build_stage("scale", &bad, &[])
                .err()
                .unwrap()
                .contains("factr")
        );
        assert!(
            build_stage("fft", &bad, &[])
                .err()
                .unwrap()
                .contains("unknown stage")
        );
    }
}
