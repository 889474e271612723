//! Reading what users type into what operations take: `--meta KEY=VALUE` pairs, frame
//! ranges, version numbers, `SEQ/SHOT`, durations and times.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use bifrost::core::production::EntityRef;
use bifrost::core::{VersionRef, VersionSelector};

/// `--meta KEY=VALUE` pairs as metadata. VALUE is JSON when it parses (12, true, [1,2], null)
/// and text otherwise; a dotted KEY is a path into nested objects (`cam.lens=35` is
/// `{"cam": {"lens": 35}}`), the same path search's `meta.cam.lens` reads.
pub fn parse_meta(items: &[String]) -> Result<BTreeMap<String, serde_json::Value>> {
    let mut meta = serde_json::Map::new();
    for item in items {
        let Some((key, v)) = item.split_once('=') else {
            bail!("--meta `{item}`: write KEY=VALUE, e.g. --meta poly=12000");
        };
        let path: Vec<&str> = key.trim().split('.').collect();
        if path.iter().any(|k| k.is_empty()) {
            bail!("--meta `{item}`: the key is empty or has an empty part; write KEY or A.B=VALUE");
        }
        let value = serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.into()));
        let (last, parents) = path.split_last().expect("split yields at least one part");
        let mut object = &mut meta;
        for (depth, part) in parents.iter().enumerate() {
            let slot = object
                .entry(*part)
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            let serde_json::Value::Object(inner) = slot else {
                bail!(
                    "--meta `{item}`: `{}` is already given a value, so it cannot hold `{last}`",
                    path[..=depth].join(".")
                );
            };
            object = inner;
        }
        if matches!(object.get(*last), Some(serde_json::Value::Object(_))) {
            bail!(
                "--meta `{item}`: `{}` already holds nested keys",
                path.join(".")
            );
        }
        object.insert((*last).to_owned(), value);
    }
    Ok(meta.into_iter().collect())
}

/// The metadata change `--meta` pairs and `--replace-meta` ask for, if any: the keys to set
/// (or, with `--replace-meta`, all the metadata there will be).
pub fn meta_change(
    items: &[String],
    replace: bool,
) -> Result<Option<BTreeMap<String, serde_json::Value>>> {
    if items.is_empty() && !replace {
        return Ok(None);
    }
    parse_meta(items).map(Some)
}

/// `1001-1096` → (1001, 1096).
pub fn parse_frames(text: &str) -> Result<(i64, i64)> {
    let parsed = text
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
    match parsed {
        Some((a, b)) if a <= b && a >= 0 => Ok((a, b)),
        Some((a, b)) if a > b => bail!(
            "frame range {text} is reversed: write FIRST-LAST with FIRST <= LAST, e.g. {b}-{a}"
        ),
        _ => bail!("`{text}` is not a frame range: write FIRST-LAST, e.g. 1001-1096"),
    }
}

/// `v3` or `3` → 3.
pub fn parse_version_number(text: &str) -> Result<i64> {
    match text.strip_prefix('v').unwrap_or(text).parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => bail!("`{text}` is not a version: write vN, e.g. v3"),
    }
}

/// The number a `NAME@vN` names (`NAME` alone, the latest, is refused).
pub fn version_number(r: &VersionRef) -> Result<i64> {
    match r.version {
        VersionSelector::Number(n) => Ok(n),
        VersionSelector::Latest => bail!("name a version: write {}@vN", r.asset),
    }
}

/// The sequence and shot names of a `SEQ/SHOT` argument, which the shot commands require.
pub fn shot_names(shot: &EntityRef) -> Result<(&str, &str)> {
    let EntityRef::Shot { sequence, shot } = shot else {
        bail!("write the shot as SEQ/SHOT, e.g. SQ010/SH010");
    };
    Ok((sequence, shot))
}

/// A duration (`30m`, `4h`, `7d`) in whole seconds.
pub fn seconds(text: &str) -> Result<u64> {
    Ok(bifrost::parse_duration(text)?.as_secs())
}

/// `--since`: a duration ago (`2h`, `7d`) or an RFC 3339 time.
pub fn since(text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&chrono::Utc));
    }
    let ago = bifrost::parse_duration(text).with_context(|| {
        format!("--since `{text}`: give a duration (2h, 7d) or an RFC 3339 time")
    })?;
    // Within the shared maximum (100 years) this is always a date; checked all the same.
    bifrost::core::duration::checked_before(chrono::Utc::now(), ago)
        .with_context(|| format!("--since `{text}` reaches before the first date there is"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_ranges() {
        assert_eq!(parse_frames("1001-1096").unwrap(), (1001, 1096));
        assert_eq!(parse_frames("0-0").unwrap(), (0, 0));
        let e = parse_frames("1096-1001").unwrap_err().to_string();
        assert!(e.contains("reversed"), "{e}");
        for bad in ["", "1001", "a-b", "-5-3", "1001-"] {
            assert!(parse_frames(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn version_numbers() {
        assert_eq!(parse_version_number("v3").unwrap(), 3);
        assert_eq!(parse_version_number("12").unwrap(), 12);
        for bad in ["v0", "x", "v-1", ""] {
            assert!(parse_version_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metadata_changes() {
        assert_eq!(meta_change(&[], false).unwrap(), None);
        assert_eq!(meta_change(&[], true).unwrap(), Some(BTreeMap::new()));
        let set = meta_change(&["cam.lens=35".into()], false)
            .unwrap()
            .unwrap();
        assert_eq!(set["cam"], serde_json::json!({"lens": 35}));
    }
}
