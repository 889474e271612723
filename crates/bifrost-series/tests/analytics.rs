//! Stream analytics against straightforward reference computations.

use bifrost_series::Point;
use bifrost_series::analytics::{
    AlarmKind, AlarmState, Ewma, Filter, Map, OperatorSpec, Pipeline, Stat, Threshold, Trend,
    Window, ZScore, stats,
};
use proptest::prelude::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0) || (a.is_nan() && b.is_nan())
}

fn bits(points: &[Point]) -> Vec<(i64, u64)> {
    points.iter().map(|p| (p.ts, p.value.to_bits())).collect()
}

fn series(points: &[(i64, f64)]) -> Vec<Point> {
    points.iter().map(|&(t, v)| Point::new(t, v)).collect()
}

/// Reference: every window `[e - size, e)` for each multiple `e` of `slide`, computed by brute
/// force over all points.
fn reference_windows(points: &[Point], size: i64, slide: i64, stat: Stat) -> Vec<Point> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut end = first.ts.div_euclid(slide) * slide + slide;
    while end - size <= last.ts {
        let mut vals: Vec<f64> = points
            .iter()
            .filter(|p| p.ts >= end - size && p.ts < end)
            .map(|p| p.value)
            .collect();
        if !vals.is_empty() {
            out.push(Point::new(end - size, stat.compute(&mut vals)));
        }
        end += slide;
    }
    out
}

fn stat_strategy() -> impl Strategy<Value = Stat> {
    prop_oneof![
        Just(Stat::Count),
        Just(Stat::Min),
        Just(Stat::Max),
        Just(Stat::Mean),
        Just(Stat::Stddev),
        (0.0f64..=100.0).prop_map(Stat::Percentile),
    ]
}

fn points_strategy() -> impl Strategy<Value = Vec<Point>> {
    prop::collection::vec((0i64..5_000, -1e3f64..1e3), 0..200).prop_map(|steps| {
        let mut t = 1_000_000i64;
        steps
            .into_iter()
            .map(|(dt, v)| {
                t += dt;
                Point::new(t, v)
            })
            .collect()
    })
}

fn assert_same(got: &[Point], want: &[Point]) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), want.len(), "got {:?}\nwant {:?}", got, want);
    for (g, w) in got.iter().zip(want) {
        prop_assert_eq!(g.ts, w.ts);
        prop_assert!(
            close(g.value, w.value),
            "{} vs {} at {}",
            g.value,
            w.value,
            g.ts
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn tumbling_windows_match_brute_force(
        points in points_strategy(), size in 1i64..20_000, stat in stat_strategy(),
    ) {
        let got = Pipeline::new().then(Window::tumbling(size, stat)).run_all(points.clone()).points;
        assert_same(&got, &reference_windows(&points, size, size, stat))?;
    }

    #[test]
    fn sliding_windows_match_brute_force(
        points in points_strategy(), slide in 1i64..5_000, mult in 1i64..6, stat in stat_strategy(),
    ) {
        let size = slide * mult;
        let got = Pipeline::new().then(Window::sliding(size, slide, stat)).run_all(points.clone()).points;
        assert_same(&got, &reference_windows(&points, size, slide, stat))?;
    }

    #[test]
    fn session_windows_match_brute_force(points in points_strategy(), gap in 0i64..6_000) {
        let got = Pipeline::new().then(Window::session(gap, Stat::Mean)).run_all(points.clone()).points;
        let mut want = Vec::new();
        let mut start = 0;
        for i in 1..=points.len() {
            if i == points.len() || points[i].ts - points[i - 1].ts > gap {
                let mut vals: Vec<f64> = points[start..i].iter().map(|p| p.value).collect();
                want.push(Point::new(points[start].ts, Stat::Mean.compute(&mut vals)));
                start = i;
            }
        }
        assert_same(&got, &want)?;
    }

    #[test]
    fn zscore_matches_brute_force(points in points_strategy(), window in 2usize..30) {
        let mut op = Pipeline::new().then(ZScore::new("s", window, 3.0));
        let got = op.run_all(points.clone());
        let mut want = Vec::new();
        let mut want_alarms = 0;
        for i in 2..points.len() {
            let prev: Vec<f64> = points[i.saturating_sub(window)..i].iter().map(|p| p.value).collect();
            let n = prev.len() as f64;
            let mean = prev.iter().sum::<f64>() / n;
            let std = (prev.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            if std < 1e-6 {
                continue; // the constant-signal edge case is checked by its own test
            }
            let z = (points[i].value - mean) / std;
            want.push(Point::new(points[i].ts, z));
            want_alarms += usize::from(z.abs() > 3.0);
        }
        let got_pts: Vec<Point> = got.points.iter().copied().filter(|p| {
            want.iter().any(|w| w.ts == p.ts)
        }).collect();
        for w in &want {
            let g = got_pts.iter().find(|g| g.ts == w.ts && (g.value - w.value).abs() <= 1e-6 * w.value.abs().max(1.0));
            prop_assert!(g.is_some(), "z at {} should be {}; got {:?}", w.ts, w.value, got.points);
        }
        prop_assert!(got.alarms.len() >= want_alarms);
    }

    #[test]
    fn batches_give_what_point_by_point_gives(points in points_strategy(), size in 1i64..20_000) {
        let make = || Pipeline::new()
            .then(Map::linear(0.5, 1.0))
            .then(ZScore::new("z", 5, 1.5))
            .then(Threshold::high("t", 1.0, 0.0))
            .then(Window::sliding(size * 2, size, Stat::Max));
        let batch = make().run_all(points.clone());
        let mut one = make();
        let (mut pts, mut alarms) = (Vec::new(), Vec::new());
        for p in points {
            let e = one.push(p);
            pts.extend(e.points);
            alarms.extend(e.alarms);
        }
        let e = one.finish();
        pts.extend(e.points);
        alarms.extend(e.alarms);
        prop_assert_eq!(batch.points, pts);
        // A batch gives alarms in time order, and within one time by stage.
        let key = |a: &bifrost_series::analytics::AlarmEvent| (a.ts, a.source.clone(), a.value.to_bits());
        let mut want = alarms.clone();
        want.sort_by_key(key);
        let mut got = batch.alarms.clone();
        got.sort_by_key(key);
        prop_assert_eq!(got, want);
        prop_assert!(batch.alarms.windows(2).all(|w| w[0].ts <= w[1].ts));
    }

    #[test]
    fn ewma_matches_its_recurrence(values in prop::collection::vec(-100f64..100.0, 1..100), alpha in 0.01f64..1.0) {
        let points: Vec<Point> = values.iter().enumerate().map(|(i, &v)| Point::new(i as i64, v)).collect();
        let got = Pipeline::new().then(Ewma::new("s", alpha, 3.0, 5)).run_all(points).points;
        let mut mean = values[0];
        prop_assert!(close(got[0].value, mean));
        for (i, &v) in values.iter().enumerate().skip(1) {
            mean = alpha * v + (1.0 - alpha) * mean;
            prop_assert!((got[i].value - mean).abs() < 1e-9 * mean.abs().max(1.0));
        }
    }

    #[test]
    fn trend_matches_least_squares(values in prop::collection::vec(-100f64..100.0, 2..60), window in 2usize..20) {
        let points: Vec<Point> = values.iter().enumerate().map(|(i, &v)| Point::new(i as i64 * 500, v)).collect();
        let got = Pipeline::new().then(Trend::new(window)).run_all(points.clone()).points;
        prop_assert_eq!(got.len(), points.len() - 1);
        for (k, g) in got.iter().enumerate() {
            let i = k + 1;
            let w = &points[(i + 1).saturating_sub(window)..=i];
            let n = w.len() as f64;
            let mx = w.iter().map(|p| p.ts as f64 / 1000.0).sum::<f64>() / n;
            let my = w.iter().map(|p| p.value).sum::<f64>() / n;
            let sxy: f64 = w.iter().map(|p| (p.ts as f64 / 1000.0 - mx) * (p.value - my)).sum();
            let sxx: f64 = w.iter().map(|p| (p.ts as f64 / 1000.0 - mx).powi(2)).sum();
            prop_assert!((g.value - sxy / sxx).abs() < 1e-6 * (sxy / sxx).abs().max(1.0));
        }
    }
}

#[test]
fn percentiles_interpolate_like_numpy() {
    let mut v = vec![1.0, 2.0, 3.0, 4.0];
    // numpy.percentile([1, 2, 3, 4], [0, 25, 50, 90, 100]) = [1, 1.75, 2.5, 3.7, 4]
    for (p, want) in [
        (0.0, 1.0),
        (25.0, 1.75),
        (50.0, 2.5),
        (90.0, 3.7),
        (100.0, 4.0),
    ] {
        assert!(close(Stat::Percentile(p).compute(&mut v), want), "p{p}");
    }
    assert!(close(Stat::Stddev.compute(&mut v), 1.118033988749895));
    assert_eq!("p99.9".parse::<Stat>().unwrap(), Stat::Percentile(99.9));
    assert!("p101".parse::<Stat>().is_err());
    let _ = stats::Stat::Count;
}

#[test]
fn threshold_alarms_have_hysteresis() {
    let values = [
        70.0,
        81.0,
        79.0,
        80.5,
        76.0,
        74.9,
        81.0,
        f64::NAN,
        60.0,
        10.0,
        25.0,
        31.0,
    ];
    let points: Vec<Point> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| Point::new(i as i64, v))
        .collect();
    let th = Threshold::new(
        "boiler",
        Some(bifrost_series::analytics::Limit {
            raise: 80.0,
            clear: 75.0,
        }),
        Some(bifrost_series::analytics::Limit {
            raise: 20.0,
            clear: 30.0,
        }),
    )
    .unwrap();
    let out = Pipeline::new().then(th).run_all(points.clone());
    // Points pass through unchanged (NaN included).
    assert_eq!(bits(&out.points), bits(&points));
    let got: Vec<(i64, AlarmKind, AlarmState)> =
        out.alarms.iter().map(|a| (a.ts, a.kind, a.state)).collect();
    assert_eq!(
        got,
        vec![
            (1, AlarmKind::High, AlarmState::Raised),
            // 79 and 80.5 stay inside the band: no chatter.
            (5, AlarmKind::High, AlarmState::Cleared),
            (6, AlarmKind::High, AlarmState::Raised),
            (8, AlarmKind::High, AlarmState::Cleared),
            (9, AlarmKind::Low, AlarmState::Raised),
            (11, AlarmKind::Low, AlarmState::Cleared),
        ]
    );
    assert!(out.alarms.iter().all(|a| a.source == "boiler"));
    assert!(
        Threshold::new(
            "x",
            Some(bifrost_series::analytics::Limit {
                raise: 1.0,
                clear: 2.0
            }),
            None
        )
        .is_err()
    );
}

#[test]
fn zscore_flags_a_spike_in_a_constant_signal() {
    let mut pts = series(&[(0, 5.0), (1, 5.0), (2, 5.0), (3, 5.0)]);
    pts.push(Point::new(4, 9.0));
    let out = Pipeline::new().then(ZScore::new("s", 10, 3.0)).run_all(pts);
    assert_eq!(out.points.len(), 3);
    assert_eq!(out.points[0].value, 0.0);
    assert_eq!(out.points[2].value, f64::INFINITY);
    assert_eq!(out.alarms.len(), 1);
    assert_eq!(out.alarms[0].ts, 4);
    assert_eq!(out.alarms[0].kind, AlarmKind::Anomaly);
}

#[test]
fn ewma_flags_a_step_after_warmup() {
    let mut pts: Vec<Point> = (0..50)
        .map(|i| Point::new(i, 10.0 + if i % 2 == 0 { 0.1 } else { -0.1 }))
        .collect();
    pts.push(Point::new(50, 20.0));
    let out = Pipeline::new()
        .then(Ewma::new("s", 0.2, 4.0, 10))
        .run_all(pts);
    assert_eq!(out.alarms.len(), 1, "{:?}", out.alarms);
    assert_eq!(out.alarms[0].ts, 50);
}

#[test]
fn filter_and_map_compose() {
    let pts = series(&[
        (0, 1000.0),
        (1, f64::NAN),
        (2, 250.0),
        (3, -5.0),
        (4, f64::INFINITY),
    ]);
    let out = Pipeline::new()
        .then(Filter::range(0.0, 1e9))
        .then(Map::linear(0.1, 0.0))
        .then(Map::unit("degC", "degF").unwrap())
        .run_all(pts);
    let v: Vec<f64> = out.points.iter().map(|p| p.value).collect();
    assert_eq!(v.len(), 2);
    assert!(close(v[0], 212.0) && close(v[1], 77.0), "{v:?}");
    assert!(Map::unit("bar", "degC").is_err());
    assert!(close(
        Map::unit("bar", "psi").unwrap().apply(1.0),
        14.503773773
    ));
    assert!(Filter::finite().keeps(1.0) && !Filter::finite().keeps(f64::NEG_INFINITY));
}

#[test]
fn pipelines_build_from_toml() {
    #[derive(serde::Deserialize)]
    struct File {
        pipeline: Vec<OperatorSpec>,
    }
    let text = r#"
        pipeline = [
          { op = "scale", factor = 0.1 },
          { op = "threshold", high = 80.0, high_clear = 75.0 },
          { op = "tumbling", size = "1s", stat = "p50" },
        ]
    "#;
    let file: File = toml::from_str(text).unwrap();
    let mut p = OperatorSpec::pipeline(&file.pipeline, "boiler.temp").unwrap();
    let out = p.run_all(series(&[(0, 700.0), (500, 900.0), (1500, 100.0)]));
    assert_eq!(
        out.points,
        vec![Point::new(0, 80.0), Point::new(1000, 10.0)]
    );
    assert_eq!(out.alarms.len(), 2);
    assert_eq!(out.alarms[0].source, "boiler.temp");

    let typo = "pipeline = [{ op = \"scale\", factr = 2.0 }]";
    let err = toml::from_str::<File>(typo).err().unwrap().to_string();
    assert!(err.contains("factr"), "{err}");
    let bad_stat = "pipeline = [{ op = \"tumbling\", size = \"1m\", stat = \"median\" }]";
    let specs: File = toml::from_str(bad_stat).unwrap();
    let err = OperatorSpec::pipeline(&specs.pipeline, "x").err().unwrap();
    assert_eq!(err.code(), "bad_series_config");
    assert!(err.to_string().contains("median"));
    assert!(bifrost_series::analytics::parse_duration_ms("1h").unwrap() == 3_600_000);
    assert!(bifrost_series::analytics::parse_duration_ms("1.5h").is_err());
}
