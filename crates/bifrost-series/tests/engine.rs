//! The engine on a real directory: appends and queries against a reference, downsampling,
//! raw words, ordering, locking, retention by age and size, the memory cap and the disk floor.

use std::time::Duration;

use bifrost_series::{
    Aggregate, Codec, Downsample, Engine, EngineConfig, FloorPolicy, Point, SeriesError,
};

const T0: i64 = 1_765_000_000_000;

fn config() -> EngineConfig {
    EngineConfig {
        disk_floor: 0,
        ..EngineConfig::default()
    }
}

fn signal(i: i64) -> f64 {
    20.0 + ((i as f64) / 50.0).sin() * 3.0 + (i % 7) as f64 * 0.01
}

#[test]
fn points_come_back_exactly_from_buffers_and_segments() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = Engine::open(dir.path(), config()).unwrap();
    let a = e.series_id("plant/boiler.temp").unwrap();
    for i in 0..10_000 {
        e.append_id(a, T0 + i * 1000, signal(i)).unwrap();
        if i == 4_000 {
            assert_eq!(e.seal().unwrap(), 4_001);
        }
    }
    e.append("plant/pump.on", T0, 1.0).unwrap();
    let all = e
        .query("plant/boiler.temp", i64::MIN, i64::MAX, None)
        .unwrap();
    assert_eq!(all.len(), 10_000);
    assert!(
        all.iter()
            .enumerate()
            .all(|(i, p)| p.ts == T0 + i as i64 * 1000 && p.value == signal(i as i64))
    );
    // A range across the sealed/buffered boundary, end exclusive.
    let part = e
        .query("plant/boiler.temp", T0 + 3_990_000, T0 + 4_010_000, None)
        .unwrap();
    assert_eq!(part.len(), 20);
    assert_eq!(part[0].ts, T0 + 3_990_000);
    drop(e);

    // Closing sealed the buffers; reopening reads everything from segments.
    let e = Engine::open(dir.path(), config()).unwrap();
    let again = e
        .query("plant/boiler.temp", i64::MIN, i64::MAX, None)
        .unwrap();
    assert_eq!(again, all);
    let list = e.series();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].name, "plant/boiler.temp");
    assert_eq!(list[0].points, 10_000);
    assert_eq!(list[0].first_ts, Some(T0));
    assert_eq!(list[0].last_ts, Some(T0 + 9_999_000));
    assert_eq!(list[1].points, 1);
    let err = e.query("nope", 0, 1, None).unwrap_err();
    assert_eq!(err.code(), "unknown_series");
}

#[test]
fn downsampling_matches_a_reference() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = Engine::open(dir.path(), config()).unwrap();
    let id = e.series_id("s").unwrap();
    let pts: Vec<Point> = (0..5_000)
        .map(|i| Point::new(T0 + i * 777, signal(i)))
        .collect();
    e.append_batch(id, &pts[..2_500]).unwrap();
    e.seal().unwrap();
    e.append_batch(id, &pts[2_500..]).unwrap();
    let step = 60_000;
    for agg in Aggregate::ALL {
        let got = e
            .query(
                "s",
                i64::MIN,
                i64::MAX,
                Some(Downsample { agg, step_ms: step }),
            )
            .unwrap();
        let mut want: Vec<(i64, Vec<f64>)> = Vec::new();
        for p in &pts {
            let b = p.ts.div_euclid(step) * step;
            match want.last_mut() {
                Some((s, v)) if *s == b => v.push(p.value),
                _ => want.push((b, vec![p.value])),
            }
        }
        assert_eq!(got.len(), want.len(), "{agg}");
        for (g, (b, v)) in got.iter().zip(&want) {
            let w = match agg {
                Aggregate::Mean => v.iter().sum::<f64>() / v.len() as f64,
                Aggregate::Min => v.iter().copied().fold(f64::INFINITY, f64::min),
                Aggregate::Max => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                Aggregate::Count => v.len() as f64,
                Aggregate::Sum => v.iter().sum(),
                Aggregate::First => v[0],
                Aggregate::Last => *v.last().unwrap(),
            };
            assert_eq!(g.ts, *b);
            assert!(
                (g.value - w).abs() < 1e-9,
                "{agg} at {b}: {} vs {w}",
                g.value
            );
        }
    }
    let err = e
        .query(
            "s",
            0,
            1,
            Some(Downsample {
                agg: Aggregate::Mean,
                step_ms: 0,
            }),
        )
        .unwrap_err();
    assert_eq!(err.code(), "bad_series_config");
}

#[test]
fn raw_words_and_special_values_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    for codec in [Codec::Gorilla, Codec::Pco, Codec::Smallest] {
        let path = dir.path().join(format!("{codec:?}"));
        let mut e = Engine::open(&path, EngineConfig { codec, ..config() }).unwrap();
        let id = e.series_id("reg").unwrap();
        e.append_id(id, T0, f64::NAN).unwrap();
        e.append_raw(id, T0 + 1, 123.4, 1234).unwrap();
        e.append_id(id, T0 + 2, -0.0).unwrap();
        e.append_raw(id, T0 + 3, f64::INFINITY, 65535).unwrap();
        e.seal().unwrap();
        let s = e.read("reg", i64::MIN, i64::MAX).unwrap();
        let raw: Vec<Option<u16>> = s.iter().map(|s| s.raw).collect();
        assert_eq!(raw, vec![None, Some(1234), None, Some(65535)], "{codec:?}");
        assert!(s[0].value.is_nan());
        assert_eq!(s[2].value.to_bits(), (-0.0f64).to_bits());
        assert_eq!(s[3].value, f64::INFINITY);
    }
}

#[test]
fn out_of_order_points_and_bad_names_are_refused_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = Engine::open(dir.path(), config()).unwrap();
    e.append("s", T0 + 10, 1.0).unwrap();
    e.append("s", T0 + 10, 2.0).unwrap(); // same time is allowed
    let err = e.append("s", T0 + 9, 3.0).unwrap_err();
    assert!(matches!(err, SeriesError::OutOfOrder { last, .. } if last == T0 + 10));
    assert_eq!(err.code(), "series_out_of_order");
    e.seal().unwrap();
    // The order holds across a seal and a reopen.
    drop(e);
    let mut e = Engine::open(dir.path(), config()).unwrap();
    assert!(e.append("s", T0, 0.0).is_err());
    assert_eq!(e.stats().refused_out_of_order, 1);
    assert_eq!(e.append("", 0, 0.0).unwrap_err().code(), "bad_series_name");
    assert_eq!(
        e.append("a\nb", 0, 0.0).unwrap_err().code(),
        "bad_series_name"
    );
    assert_eq!(e.query("s", i64::MIN, i64::MAX, None).unwrap().len(), 2);
}

#[test]
fn one_writer_per_directory_and_readers_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Engine::open(dir.path(), config()).unwrap();
    assert_eq!(
        Engine::open(dir.path(), config()).err().unwrap().code(),
        "series_dir_locked"
    );
    w.append("s", T0, 1.0).unwrap();
    w.seal().unwrap();
    w.append("s", T0 + 1, 2.0).unwrap();
    let mut r = Engine::open_read_only(dir.path()).unwrap();
    // The reader sees what was sealed when it opened.
    assert_eq!(r.query("s", i64::MIN, i64::MAX, None).unwrap().len(), 1);
    assert_eq!(
        r.append("s", T0 + 2, 0.0).unwrap_err().code(),
        "series_read_only"
    );
    assert!(Engine::open_read_only(dir.path().join("missing")).is_err());
}

#[test]
fn retention_deletes_old_segments_by_age_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = EngineConfig {
        retention_age: Some(Duration::from_secs(3600)),
        ..config()
    };
    let mut e = Engine::open(dir.path(), cfg).unwrap();
    // Retention runs on the wall clock at every seal: write ten hours ending now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let t0 = now - 10 * 3_600_000 + 200_000;
    for h in 0..10 {
        for i in 0..100 {
            e.append("s", t0 + h * 3_600_000 + i * 1000, i as f64)
                .unwrap();
        }
        e.seal().unwrap();
    }
    e.apply_retention(now).unwrap();
    let left = e.query("s", i64::MIN, i64::MAX, None).unwrap();
    // Only the last hour's segment (newest point within an hour of `now`) survives.
    assert_eq!(left.len(), 100);
    assert_eq!(left[0].ts, t0 + 9 * 3_600_000);
    assert_eq!(e.stats().segments_expired_age, 9);
    assert_eq!(e.series()[0].first_ts, Some(t0 + 9 * 3_600_000));
    // An hour later by the clock, the last one goes too.
    e.apply_retention(now + 3_600_000).unwrap();
    assert!(e.query("s", i64::MIN, i64::MAX, None).unwrap().is_empty());
    drop(e);

    let dir = tempfile::tempdir().unwrap();
    let mut e = Engine::open(
        dir.path(),
        EngineConfig {
            retention_bytes: Some(6_000),
            ..config()
        },
    )
    .unwrap();
    let mut i = 0i64;
    for _ in 0..20 {
        for _ in 0..1000 {
            e.append("noise", T0 + i, ((i * 7919) % 1000) as f64 * 1.37)
                .unwrap();
            i += 1;
        }
        e.seal().unwrap();
    }
    let st = e.stats();
    assert!(st.segment_bytes <= 6_000, "{st:?}");
    assert!(st.segments_expired_size > 0);
    let left = e.query("noise", i64::MIN, i64::MAX, None).unwrap();
    // What is left is the newest data, contiguous up to the last point.
    assert_eq!(left.last().unwrap().ts, T0 + i - 1);
    assert!(left.windows(2).all(|w| w[1].ts == w[0].ts + 1));
    let files = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|f| {
            f.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "bfs")
        })
        .count();
    assert_eq!(files as u64, st.segments);
}

#[test]
fn the_memory_cap_is_hard_and_seals_early() {
    let dir = tempfile::tempdir().unwrap();
    let cap = 64 * 1024;
    let mut e = Engine::open(
        dir.path(),
        EngineConfig {
            memory_cap: cap,
            ..config()
        },
    )
    .unwrap();
    let ids: Vec<_> = (0..50)
        .map(|k| e.series_id(&format!("s{k}")).unwrap())
        .collect();
    for i in 0..4_000i64 {
        for (k, &id) in ids.iter().enumerate() {
            e.append_id(id, T0 + i, (i + k as i64) as f64).unwrap();
        }
        assert!(e.stats().buffered_bytes <= cap as u64, "{:?}", e.stats());
    }
    let st = e.stats();
    assert!(st.segments_written >= 10, "{st:?}");
    assert_eq!(st.points_appended, 200_000);
    for k in [0, 49] {
        let pts = e.query(&format!("s{k}"), i64::MIN, i64::MAX, None).unwrap();
        assert_eq!(pts.len(), 4_000);
        assert!(
            pts.iter()
                .enumerate()
                .all(|(i, p)| p.value == (i + k) as f64)
        );
    }
}

#[test]
fn the_disk_floor_refuses_or_evicts_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let impossible = u64::MAX / 4;
    // Refuse: nothing is deleted, the points stay buffered and queryable, and once memory is
    // full the refusals reach the caller, named and counted.
    let cfg = EngineConfig {
        disk_floor: impossible,
        floor_policy: FloorPolicy::Refuse,
        memory_cap: 16 * 1024,
        ..config()
    };
    let mut e = Engine::open(dir.path(), cfg).unwrap();
    let err = loop {
        if let Err(e) = e.append("s", T0 + e.stats().points_appended as i64, 1.0) {
            break e;
        }
    };
    assert_eq!(err.code(), "disk_floor_reached");
    assert!(err.to_string().contains("disk space floor"));
    let st = e.stats();
    assert!(
        st.seals_refused_disk_floor >= 1 && st.refused_memory_full >= 1,
        "{st:?}"
    );
    assert_eq!(st.segments_written, 0);
    assert_eq!(
        e.query("s", i64::MIN, i64::MAX, None).unwrap().len() as u64,
        st.points_appended
    );

    drop(e); // its seal fails again and is logged

    // Evict, on a device with a 64 KiB quota for this directory: the oldest segments go first,
    // each eviction counted; the newest data stays.
    let dir = tempfile::tempdir().unwrap();
    let cfg = EngineConfig {
        disk_floor: 16 * 1024,
        floor_policy: FloorPolicy::EvictOldest,
        free_space: Some(quota_64k),
        codec: Codec::Gorilla,
        ..config()
    };
    let mut e = Engine::open(dir.path(), cfg.clone()).unwrap();
    let mut i = 0i64;
    for _ in 0..40 {
        for _ in 0..500 {
            e.append(
                "noise",
                T0 + i,
                f64::from_bits(
                    0x4000_0000_0000_0000 ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 12,
                ),
            )
            .unwrap();
            i += 1;
        }
        e.seal().unwrap();
        assert!(quota_64k(dir.path()) >= 16 * 1024, "the floor holds");
    }
    let st = e.stats();
    assert!(st.segments_evicted_disk_floor > 0, "{st:?}");
    assert_eq!(st.seals_refused_disk_floor, 0);
    let left = e.query("noise", i64::MIN, i64::MAX, None).unwrap();
    assert_eq!(left.last().unwrap().ts, T0 + i - 1);
    drop(e);

    // Refuse on the same quota: once full, seals are refused and nothing is deleted.
    let mut e = Engine::open(
        dir.path(),
        EngineConfig {
            floor_policy: FloorPolicy::Refuse,
            ..cfg
        },
    )
    .unwrap();
    let before = e.stats().segments;
    for _ in 0..20 {
        for _ in 0..500 {
            e.append(
                "noise",
                T0 + i,
                f64::from_bits(
                    0x4000_0000_0000_0000 ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 12,
                ),
            )
            .unwrap();
            i += 1;
        }
        let _ = e.seal();
    }
    let st = e.stats();
    assert!(st.seals_refused_disk_floor > 0, "{st:?}");
    assert_eq!(st.segments_evicted_disk_floor, 0);
    assert!(st.segments >= before);
    assert!(quota_64k(dir.path()) >= 16 * 1024);
}

/// Free space of a device whose only contents are this directory, with 64 KiB in all.
fn quota_64k(dir: &std::path::Path) -> u64 {
    let used: u64 = std::fs::read_dir(dir)
        .unwrap()
        .map(|f| f.unwrap().metadata().unwrap().len())
        .sum();
    (64u64 * 1024).saturating_sub(used)
}
