//! Damaged segments: flipped bytes and truncation are detected by checksums; what is damaged is
//! skipped with a warning and counted, everything else stays readable, and no wrong point is
//! ever returned.

use std::path::{Path, PathBuf};

use bifrost_series::{Engine, EngineConfig, Sample};

const T0: i64 = 1_765_000_000_000;
const SERIES: [&str; 3] = ["a/temp", "b/pressure", "c/count"];

fn value(series: usize, i: i64) -> f64 {
    match series {
        0 => 20.0 + (i as f64 / 30.0).sin(),
        1 => (i / 50) as f64 * 0.1,
        _ => i as f64,
    }
}

/// One segment holding three series, 2,000 points each; answers the segment's path.
fn write_segment(dir: &Path) -> PathBuf {
    let mut e = Engine::open(
        dir,
        EngineConfig {
            disk_floor: 0,
            ..EngineConfig::default()
        },
    )
    .unwrap();
    for i in 0..2_000 {
        for (k, s) in SERIES.iter().enumerate() {
            if k == 2 {
                let id = e.series_id(s).unwrap();
                e.append_raw(id, T0 + i * 100, value(k, i), i as u16)
                    .unwrap();
            } else {
                e.append(s, T0 + i * 100, value(k, i)).unwrap();
            }
        }
    }
    e.seal().unwrap();
    drop(e);
    std::fs::read_dir(dir)
        .unwrap()
        .map(|f| f.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "bfs"))
        .unwrap()
}

/// Reads every series; answers how many came back complete. Any point returned must be right.
fn check_readable(dir: &Path) -> (usize, Engine) {
    let e = Engine::open_read_only(dir).unwrap();
    let mut complete = 0;
    for (k, s) in SERIES.iter().enumerate() {
        let got: Vec<Sample> = match e.read(s, i64::MIN, i64::MAX) {
            Ok(v) => v,
            Err(err) => {
                assert_eq!(err.code(), "unknown_series");
                continue;
            }
        };
        for p in &got {
            let i = (p.ts - T0) / 100;
            assert_eq!(p.ts, T0 + i * 100);
            assert_eq!(p.value.to_bits(), value(k, i).to_bits(), "{s} at {i}");
        }
        if got.len() == 2_000 {
            complete += 1;
        }
    }
    (complete, e)
}

#[test]
fn every_flipped_byte_is_detected_and_the_rest_stays_readable() {
    let base = tempfile::tempdir().unwrap();
    let seg = write_segment(base.path());
    let image = std::fs::read(&seg).unwrap();
    assert_eq!(check_readable(base.path()).0, 3);
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join(seg.file_name().unwrap());
    // Every byte of small files; a stride over the big payloads keeps the test fast.
    let positions: Vec<usize> = (0..image.len())
        .filter(|&i| i < 200 || i + 200 > image.len() || i % 7 == 0)
        .collect();
    for pos in positions {
        let mut bad = image.clone();
        bad[pos] ^= 0x5a;
        std::fs::write(&target, &bad).unwrap();
        let (complete, e) = check_readable(work.path());
        // One flipped byte damages at most one block (or the file header or the index, which
        // scanning recovers from).
        assert!(
            complete >= 2 || pos < 16,
            "byte {pos}: only {complete} series complete"
        );
        if complete < 3 {
            let st = e.stats();
            assert!(
                st.corrupt_blocks_skipped + st.corrupt_segments_skipped > 0,
                "byte {pos}: damage not counted: {st:?}"
            );
        }
    }
}

#[test]
fn a_truncated_segment_keeps_its_whole_blocks() {
    let base = tempfile::tempdir().unwrap();
    let seg = write_segment(base.path());
    let image = std::fs::read(&seg).unwrap();
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join(seg.file_name().unwrap());
    let mut last_complete = 0;
    for cut in (0..image.len())
        .step_by(97)
        .chain([image.len() - 1, image.len() - 24])
    {
        std::fs::write(&target, &image[..cut]).unwrap();
        let (complete, e) = check_readable(work.path());
        if cut + 24 >= image.len() {
            // Only the footer or index is gone: scanning recovers every block.
            assert_eq!(complete, 3, "cut at {cut}");
            assert!(!e.warnings().is_empty());
        }
        assert!(complete >= last_complete || cut < 16);
        last_complete = complete;
    }
}

#[test]
fn a_file_that_is_not_a_segment_is_skipped_and_counted() {
    let base = tempfile::tempdir().unwrap();
    write_segment(base.path());
    std::fs::write(base.path().join("seg-0000000000000099.bfs"), b"garbage").unwrap();
    std::fs::write(base.path().join("seg-0000000000000098.bfs"), b"").unwrap();
    let (complete, e) = check_readable(base.path());
    assert_eq!(complete, 3);
    assert_eq!(e.stats().corrupt_segments_skipped, 2);
    assert_eq!(e.warnings().len(), 2);
    // A writer opening the directory removes staging files a crash left behind.
    std::fs::write(base.path().join("seg-0000000000000100.bfs.tmp"), b"torn").unwrap();
    drop(e);
    let e = Engine::open(
        base.path(),
        EngineConfig {
            disk_floor: 0,
            ..EngineConfig::default()
        },
    )
    .unwrap();
    assert!(!base.path().join("seg-0000000000000100.bfs.tmp").exists());
    drop(e);
}
