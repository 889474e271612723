//! The disk log on its own: records survive reopening, segments go only once acknowledged, a
//! torn tail is cut, overflow and expiration drop what they say and count it.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use bifrost_bridge::IdGenerator;
use bifrost_bridge::log::{DiskLog, Fsync, LogConfig, Overflow};

fn config(max_bytes: u64, segment_bytes: u64, overflow: Overflow) -> LogConfig {
    LogConfig {
        max_bytes,
        max_age: None,
        overflow,
        fsync: Fsync::Always,
        segment_bytes,
    }
}

fn segments(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".seg")
        })
        .count()
}

#[test]
fn records_survive_reopening_and_segments_go_only_once_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let ids = IdGenerator::new();
    let pts = common::points(&ids, 1000, &["a", "b.c"]);
    let log = DiskLog::open(dir.path(), config(1 << 30, 8192, Overflow::DropOldest)).unwrap();
    assert_eq!(log.append(&pts).unwrap(), 1000);
    let many = segments(dir.path());
    assert!(many > 3, "segments roll at 8 KiB: {many}");
    let first = log.read_batch(300).unwrap();
    assert_eq!(first.records, pts[..300]);
    // Not acknowledged: a reopened log hands the same records out again, nothing deleted.
    drop(log);
    let log = DiskLog::open(dir.path(), config(1 << 30, 8192, Overflow::DropOldest)).unwrap();
    assert_eq!(segments(dir.path()), many);
    assert_eq!(log.pending(), 1000);
    let again = log.read_batch(300).unwrap();
    assert_eq!(again.records, pts[..300]);
    log.ack(again.end).unwrap();
    assert!(
        segments(dir.path()) < many,
        "fully acknowledged segments are removed"
    );
    assert_eq!(log.pending(), 700);
    drop(log);
    let log = DiskLog::open(dir.path(), config(1 << 30, 8192, Overflow::DropOldest)).unwrap();
    assert_eq!(log.unacknowledged().unwrap(), pts[300..]);
    let rest = log.read_batch(5000).unwrap();
    assert_eq!(rest.records, pts[300..]);
    log.ack(rest.end).unwrap();
    assert_eq!(log.pending(), 0);
    assert_eq!(
        segments(dir.path()),
        1,
        "the newest segment stays for appends"
    );
    // Appends after a full acknowledgement go on at the next offset.
    let more = common::points(&ids, 10, &["z"]);
    log.append(&more).unwrap();
    assert_eq!(log.read_batch(100).unwrap().records, more);
}

#[test]
fn a_torn_tail_is_cut_and_the_records_before_it_kept() {
    let dir = tempfile::tempdir().unwrap();
    let ids = IdGenerator::new();
    let pts = common::points(&ids, 50, &["a"]);
    let log = DiskLog::open(dir.path(), LogConfig::default()).unwrap();
    log.append(&pts).unwrap();
    drop(log);
    let seg = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "seg"))
        .unwrap();
    // Half a frame at the end, as a crash in the middle of an append leaves it.
    let mut bytes = std::fs::read(&seg).unwrap();
    let len = bytes.len();
    bytes.extend_from_slice(&[40, 0, 0, 0, 1, 2, 3, 4, 5, 6]);
    std::fs::write(&seg, &bytes).unwrap();
    let log = DiskLog::open(dir.path(), LogConfig::default()).unwrap();
    assert_eq!(log.stats().truncated_bytes.load(Ordering::Relaxed), 10);
    assert_eq!(std::fs::metadata(&seg).unwrap().len(), len as u64);
    assert_eq!(log.unacknowledged().unwrap(), pts);
    // A flipped byte inside the last frame fails its CRC: that frame goes, the rest stays.
    drop(log);
    let mut bytes = std::fs::read(&seg).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0xFF;
    std::fs::write(&seg, &bytes).unwrap();
    let log = DiskLog::open(dir.path(), LogConfig::default()).unwrap();
    assert_eq!(log.unacknowledged().unwrap(), pts[..49]);
}

#[test]
fn drop_oldest_drops_whole_old_segments_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let ids = IdGenerator::new();
    // 64 KiB at most, 16 KiB segments; 5,000 points are about 300 KiB.
    let log = DiskLog::open(dir.path(), config(64 << 10, 16 << 10, Overflow::DropOldest)).unwrap();
    let pts = common::points(&ids, 5000, &["boiler.temperature"]);
    for chunk in pts.chunks(100) {
        assert_eq!(
            log.append(chunk).unwrap(),
            chunk.len(),
            "drop-oldest accepts the new"
        );
    }
    assert!(log.disk_bytes() <= 64 << 10, "{}", log.disk_bytes());
    let dropped = log.stats().dropped_oldest.load(Ordering::Relaxed);
    let kept = log.unacknowledged().unwrap();
    assert_eq!(
        dropped + kept.len() as u64,
        5000,
        "every point is kept or counted as dropped"
    );
    assert_eq!(log.pending(), kept.len() as u64);
    // What is kept is the newest, in order.
    assert_eq!(kept[..], pts[5000 - kept.len()..]);
    let mut read = Vec::new();
    loop {
        let b = log.read_batch(700).unwrap();
        if b.records.is_empty() {
            break;
        }
        read.extend(b.records);
        log.ack(b.end).unwrap();
    }
    assert_eq!(read, kept);
}

#[test]
fn refuse_newest_keeps_the_oldest_and_counts_the_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ids = IdGenerator::new();
    let log = DiskLog::open(
        dir.path(),
        config(64 << 10, 16 << 10, Overflow::RefuseNewest),
    )
    .unwrap();
    let pts = common::points(&ids, 5000, &["boiler.temperature"]);
    let mut accepted = 0;
    for chunk in pts.chunks(100) {
        accepted += log.append(chunk).unwrap();
    }
    let refused = log.stats().refused_newest.load(Ordering::Relaxed);
    assert!(refused > 0);
    assert_eq!(accepted as u64 + refused, 5000);
    assert!(log.disk_bytes() <= 64 << 10);
    assert_eq!(log.unacknowledged().unwrap(), pts[..accepted]);
    // Once delivered (acknowledged), room comes back.
    let b = log.read_batch(100_000).unwrap();
    log.ack(b.end).unwrap();
    let more = common::points(&ids, 100, &["x"]);
    assert_eq!(log.append(&more).unwrap(), 100);
}

#[test]
fn expired_records_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let ids = IdGenerator::new();
    let cfg = LogConfig {
        max_age: Some(Duration::from_secs(60)),
        ..LogConfig::default()
    };
    let log = DiskLog::open(dir.path(), cfg).unwrap();
    let mut old = common::points(&ids, 10, &["a"]);
    for p in &mut old {
        p.ts -= 3_600_000_000_000; // an hour ago
    }
    let fresh = common::points(&ids, 5, &["a"]);
    log.append(&old).unwrap();
    log.append(&fresh).unwrap();
    let b = log.read_batch(100).unwrap();
    assert_eq!(b.records, fresh);
    assert_eq!(log.stats().expired.load(Ordering::Relaxed), 10);
    log.ack(b.end).unwrap();
    assert_eq!(log.pending(), 0);
}
