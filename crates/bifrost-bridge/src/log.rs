//! The disk log: one append-only log per sink, what the forwarder delivers from.
//!
//! Layout of a log directory:
//! - `NNNNNNNNNNNNNNNNNNNN.seg`: segments, named by the offset of their first record. A record
//!   is framed as `length (u32 LE) | CRC-32 of the payload (u32 LE) | payload` (a [`Point`]).
//!   Segments roll at `segment_bytes`.
//! - `acked`: the offset below which every record was acknowledged by the sink (or expired, or
//!   dropped by the overflow policy), 8 bytes LE. Replaced atomically: written to `acked.tmp`,
//!   fsynced, renamed over `acked`.
//!
//! A segment is removed only once every record in it is below the acknowledged offset — or when
//! the overflow policy `drop-oldest` drops it, which is counted.
//!
//! Durability (`fsync`): with `always` (the default) an append returns after the segment is
//! fsynced, so an appended record survives power loss; with `never` the bytes are handed to the
//! kernel (they survive `kill -9`, not a power cut). The acknowledged offset is fsynced before
//! the rename either way. On open, a torn tail (a frame cut short or failing its CRC at the end
//! of the newest segment) is truncated away; the records before it are kept.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{BridgeError, Result};
use crate::point::{Point, now_nanos};

const FRAME_HEADER: u64 = 8;
/// A frame longer than this is corruption, not a record.
const MAX_RECORD: u32 = 1 << 20;

/// What to do when the log would grow past `max_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Overflow {
    /// Remove the oldest segment (unacknowledged records in it are counted as dropped).
    #[default]
    DropOldest,
    /// Keep what is there; refuse (and count) the new records that do not fit.
    RefuseNewest,
}

/// When appends reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fsync {
    /// fsync every append batch.
    #[default]
    Always,
    /// Leave it to the kernel.
    Never,
}

/// A log's limits and durability.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// Most bytes of segments on disk.
    pub max_bytes: u64,
    /// Records older than this (by their timestamp) are expired, not delivered. `None`: never.
    pub max_age: Option<Duration>,
    pub overflow: Overflow,
    pub fsync: Fsync,
    /// A segment rolls past this size (capped at a quarter of `max_bytes`, so that dropping the
    /// oldest one frees a bounded share).
    pub segment_bytes: u64,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            max_bytes: 1 << 30,
            max_age: None,
            overflow: Overflow::DropOldest,
            fsync: Fsync::Always,
            segment_bytes: 16 << 20,
        }
    }
}

/// Counters of one log (and the forwarder that drains it).
#[derive(Debug, Default)]
pub struct LogStats {
    pub appended: AtomicU64,
    pub delivered: AtomicU64,
    pub expired: AtomicU64,
    /// Records removed unacknowledged by `drop-oldest`.
    pub dropped_oldest: AtomicU64,
    /// Records refused by `refuse-newest`.
    pub refused_newest: AtomicU64,
    pub dead_lettered: AtomicU64,
    /// Bytes of a torn tail cut off on open.
    pub truncated_bytes: AtomicU64,
    pub retries: AtomicU64,
    pub batches: AtomicU64,
    pub breaker_opened: AtomicU64,
}

impl LogStats {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

#[derive(Debug)]
struct Segment {
    first: u64,
    records: u64,
    bytes: u64,
    /// Newest record timestamp (for expiring whole segments).
    newest: i64,
    path: PathBuf,
}

impl Segment {
    fn end(&self) -> u64 {
        self.first + self.records
    }
}

#[derive(Debug)]
struct Inner {
    segments: VecDeque<Segment>,
    writer: Option<File>,
    next_offset: u64,
    acked: u64,
    /// Next record to hand to the reader: offset, and byte position in the segment whose first
    /// offset is `read_segment`.
    read_offset: u64,
    read_segment: u64,
    read_pos: u64,
    total_bytes: u64,
}

/// A batch read from the log: the records to deliver, and the offset to acknowledge once they
/// are (it also covers expired records skipped while reading).
#[derive(Debug, Default)]
pub struct Batch {
    pub records: Vec<Point>,
    pub end: u64,
}

/// One sink's disk log. Shared between the appending pipeline and the forwarder.
#[derive(Debug)]
pub struct DiskLog {
    dir: PathBuf,
    config: LogConfig,
    inner: Mutex<Inner>,
    stats: Arc<LogStats>,
    appended: tokio::sync::Notify,
}

fn segment_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{first:020}.seg"))
}

/// Reads frames from `reader` at `pos`; stops at the end or at the first bad frame. Returns the
/// records and the position after the last good frame.
fn scan(path: &Path, mut pos: u64, limit: Option<usize>) -> Result<(Vec<Point>, u64, bool)> {
    let file = File::open(path).map_err(BridgeError::io(path))?;
    let len = file.metadata().map_err(BridgeError::io(path))?.len();
    let mut reader = BufReader::with_capacity(256 << 10, file);
    reader
        .seek(SeekFrom::Start(pos))
        .map_err(BridgeError::io(path))?;
    let mut points = Vec::new();
    let mut payload = Vec::new();
    let mut clean = true;
    while pos < len && limit.is_none_or(|l| points.len() < l) {
        let mut header = [0u8; 8];
        if pos + FRAME_HEADER > len || reader.read_exact(&mut header).is_err() {
            clean = false;
            break;
        }
        let size = u32::from_le_bytes(header[..4].try_into().expect("4"));
        let crc = u32::from_le_bytes(header[4..].try_into().expect("4"));
        if size > MAX_RECORD || pos + FRAME_HEADER + u64::from(size) > len {
            clean = false;
            break;
        }
        payload.resize(size as usize, 0);
        if reader.read_exact(&mut payload).is_err() || crc32fast::hash(&payload) != crc {
            clean = false;
            break;
        }
        match Point::decode(&payload) {
            Ok(p) => points.push(p),
            Err(_) => {
                clean = false;
                break;
            }
        }
        pos += FRAME_HEADER + u64::from(size);
    }
    Ok((points, pos, clean))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(BridgeError::io(dir))
}

impl DiskLog {
    /// Opens (or creates) the log in `dir`, repairing a torn tail and removing segments that
    /// were fully acknowledged before a crash.
    pub fn open(dir: impl AsRef<Path>, config: LogConfig) -> Result<Arc<DiskLog>> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(BridgeError::io(&dir))?;
        let stats = Arc::new(LogStats::default());
        let acked_path = dir.join("acked");
        let acked = match fs::read(&acked_path) {
            Ok(b) if b.len() == 8 => u64::from_le_bytes(b.try_into().expect("8")),
            Ok(_) => {
                return Err(BridgeError::LogCorrupt {
                    path: acked_path,
                    message: "the acknowledged offset is not 8 bytes".into(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(BridgeError::io(&acked_path)(e)),
        };
        let mut firsts: Vec<u64> = Vec::new();
        for entry in fs::read_dir(&dir).map_err(BridgeError::io(&dir))? {
            let entry = entry.map_err(BridgeError::io(&dir))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if let Some(first) = name.strip_suffix(".seg").and_then(|n| n.parse().ok()) {
                firsts.push(first);
            }
        }
        firsts.sort_unstable();
        let mut segments = VecDeque::new();
        let mut total_bytes = 0;
        let count = firsts.len();
        for (i, first) in firsts.into_iter().enumerate() {
            let path = segment_path(&dir, first);
            let (points, good, clean) = scan(&path, 0, None)?;
            let len = fs::metadata(&path).map_err(BridgeError::io(&path))?.len();
            if !clean {
                if i + 1 != count {
                    return Err(BridgeError::LogCorrupt {
                        path,
                        message: format!(
                            "a bad frame at byte {good} of a segment that is not the newest"
                        ),
                    });
                }
                // A torn tail: the append that wrote it never returned.
                let f = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(BridgeError::io(&path))?;
                f.set_len(good).map_err(BridgeError::io(&path))?;
                f.sync_all().map_err(BridgeError::io(&path))?;
                LogStats::add(&stats.truncated_bytes, len - good);
                tracing::warn!(path = %path.display(), bytes = len - good, "cut a torn tail off the disk log");
            }
            let seg = Segment {
                first,
                records: points.len() as u64,
                bytes: good,
                newest: points.iter().map(|p| p.ts).max().unwrap_or(i64::MIN),
                path,
            };
            if seg.end() <= acked && i + 1 != count {
                fs::remove_file(&seg.path).map_err(BridgeError::io(&seg.path))?;
                continue;
            }
            total_bytes += seg.bytes;
            segments.push_back(seg);
        }
        let next_offset = segments
            .back()
            .map_or(acked, |s: &Segment| s.end().max(acked));
        let mut config = config;
        config.segment_bytes = config.segment_bytes.min(config.max_bytes / 4).max(4096);
        let log = DiskLog {
            dir,
            config,
            inner: Mutex::new(Inner {
                segments,
                writer: None,
                next_offset,
                acked,
                read_offset: acked,
                read_segment: u64::MAX,
                read_pos: 0,
                total_bytes,
            }),
            stats,
            appended: tokio::sync::Notify::new(),
        };
        {
            let mut inner = log.lock();
            log.seek_reader(&mut inner, acked)?;
        }
        Ok(Arc::new(log))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The log's counters.
    pub fn stats(&self) -> &Arc<LogStats> {
        &self.stats
    }

    /// The directory of the log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Records appended and not yet acknowledged (nor expired, nor dropped).
    pub fn pending(&self) -> u64 {
        let inner = self.lock();
        inner.next_offset - inner.acked
    }

    /// Bytes of segments on disk.
    pub fn disk_bytes(&self) -> u64 {
        self.lock().total_bytes
    }

    /// Places the reader at `offset` (the first record not yet handed out).
    fn seek_reader(&self, inner: &mut Inner, offset: u64) -> Result<()> {
        inner.read_offset = offset;
        inner.read_segment = u64::MAX;
        inner.read_pos = 0;
        let Some(seg) = inner
            .segments
            .iter()
            .find(|s| s.first <= offset && offset < s.end())
        else {
            return Ok(());
        };
        let (first, path) = (seg.first, seg.path.clone());
        let skip = (offset - first) as usize;
        let (_, pos, _) = scan(&path, 0, Some(skip))?;
        inner.read_segment = first;
        inner.read_pos = pos;
        Ok(())
    }

    /// Appends points. Returns how many were accepted: all, unless `refuse-newest` refused some
    /// (they are counted). With `fsync = always`, they are on disk when this returns.
    pub fn append(&self, points: &[Point]) -> Result<usize> {
        if points.is_empty() {
            return Ok(0);
        }
        let mut inner = self.lock();
        let mut buf = Vec::with_capacity(points.len() * 64);
        let mut accepted = 0usize;
        let mut frame = Vec::with_capacity(64);
        for p in points {
            frame.clear();
            p.encode(&mut frame);
            let size = FRAME_HEADER + frame.len() as u64;
            if inner.total_bytes + buf.len() as u64 + size > self.config.max_bytes {
                match self.config.overflow {
                    Overflow::RefuseNewest => {
                        let refused = (points.len() - accepted) as u64;
                        LogStats::add(&self.stats.refused_newest, refused);
                        break;
                    }
                    Overflow::DropOldest => {
                        // Write what we have, then make room (the active segment rolls first
                        // when it is the only one).
                        self.write_buffered(&mut inner, &mut buf, &points[..accepted])?;
                        self.drop_oldest(&mut inner, size)?;
                    }
                }
            }
            buf.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            buf.extend_from_slice(&crc32fast::hash(&frame).to_le_bytes());
            buf.extend_from_slice(&frame);
            accepted += 1;
            // Bytes already in the segment the buffer will go to (none when a new one opens).
            let current = match (&inner.writer, inner.segments.back()) {
                (Some(_), Some(seg)) => seg.bytes,
                _ => 0,
            };
            let active_full = current + buf.len() as u64 >= self.config.segment_bytes;
            if active_full {
                self.write_buffered(&mut inner, &mut buf, &points[..accepted])?;
                inner.writer = None; // roll: the next frame opens a new segment
            }
        }
        self.write_buffered(&mut inner, &mut buf, &points[..accepted])?;
        if self.config.fsync == Fsync::Always
            && let Some(w) = &inner.writer
        {
            w.sync_data().map_err(BridgeError::io(&self.dir))?;
        }
        drop(inner);
        LogStats::add(&self.stats.appended, accepted as u64);
        self.appended.notify_waiters();
        self.appended.notify_one();
        Ok(accepted)
    }

    /// Writes the framed bytes in `buf` to the active segment (opening a new one if needed);
    /// `written` are all points accepted so far in this append, the last of which are in `buf`.
    fn write_buffered(
        &self,
        inner: &mut Inner,
        buf: &mut Vec<u8>,
        written: &[Point],
    ) -> Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        // How many records the buffer holds: count frames.
        let mut n = 0u64;
        let mut at = 0usize;
        while at < buf.len() {
            let size = u32::from_le_bytes(buf[at..at + 4].try_into().expect("4")) as usize;
            at += 8 + size;
            n += 1;
        }
        let newest = written[written.len() - n as usize..]
            .iter()
            .map(|p| p.ts)
            .max()
            .unwrap_or(i64::MIN);
        if inner.writer.is_none() {
            let first = inner.next_offset;
            let path = segment_path(&self.dir, first);
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(BridgeError::io(&path))?;
            if inner.segments.back().is_none_or(|s| s.first != first) {
                inner.segments.push_back(Segment {
                    first,
                    records: 0,
                    bytes: 0,
                    newest: i64::MIN,
                    path,
                });
                if self.config.fsync == Fsync::Always {
                    sync_dir(&self.dir)?;
                }
            }
            inner.writer = Some(file);
        }
        let writer = inner.writer.as_mut().expect("opened above");
        let seg_path = &inner.segments.back().expect("pushed above").path;
        writer.write_all(buf).map_err(BridgeError::io(seg_path))?;
        let seg = inner.segments.back_mut().expect("pushed above");
        seg.records += n;
        seg.bytes += buf.len() as u64;
        seg.newest = seg.newest.max(newest);
        inner.total_bytes += buf.len() as u64;
        inner.next_offset += n;
        buf.clear();
        Ok(())
    }

    /// Removes oldest segments until `needed` more bytes fit, counting unacknowledged records.
    fn drop_oldest(&self, inner: &mut Inner, needed: u64) -> Result<()> {
        while inner.total_bytes + needed > self.config.max_bytes {
            if inner.segments.len() <= 1 {
                if inner.segments.back().is_some_and(|s| s.records > 0) {
                    // Roll, so the active segment can go too.
                    inner.writer = None;
                    let first = inner.next_offset;
                    let path = segment_path(&self.dir, first);
                    File::create(&path).map_err(BridgeError::io(&path))?;
                    inner.segments.push_back(Segment {
                        first,
                        records: 0,
                        bytes: 0,
                        newest: i64::MIN,
                        path: path.clone(),
                    });
                    inner.writer = Some(
                        OpenOptions::new()
                            .append(true)
                            .open(&path)
                            .map_err(BridgeError::io(&path))?,
                    );
                    continue;
                }
                return Ok(()); // nothing left to drop: a single record larger than the limit
            }
            let seg = inner.segments.pop_front().expect("two or more");
            let lost = seg.end().saturating_sub(inner.acked.max(seg.first));
            LogStats::add(&self.stats.dropped_oldest, lost);
            inner.total_bytes -= seg.bytes;
            fs::remove_file(&seg.path).map_err(BridgeError::io(&seg.path))?;
            if inner.acked < seg.end() {
                self.write_acked(inner, seg.end())?;
            }
            if inner.read_offset < seg.end() {
                inner.read_offset = seg.end();
                inner.read_segment = u64::MAX;
            }
        }
        Ok(())
    }

    fn write_acked(&self, inner: &mut Inner, offset: u64) -> Result<()> {
        let tmp = self.dir.join("acked.tmp");
        let path = self.dir.join("acked");
        {
            let mut f = File::create(&tmp).map_err(BridgeError::io(&tmp))?;
            f.write_all(&offset.to_le_bytes())
                .map_err(BridgeError::io(&tmp))?;
            f.sync_data().map_err(BridgeError::io(&tmp))?;
        }
        fs::rename(&tmp, &path).map_err(BridgeError::io(&path))?;
        inner.acked = offset;
        Ok(())
    }

    /// Reads up to `max` records from the reader's position, skipping (and counting) expired
    /// ones. Reading moves the reader on; a batch not acknowledged is redelivered only after a
    /// restart, so the forwarder keeps it until the sink took it.
    pub fn read_batch(&self, max: usize) -> Result<Batch> {
        let mut inner = self.lock();
        let cutoff = self
            .config
            .max_age
            .map(|age| now_nanos().saturating_sub(age.as_nanos() as i64));
        let mut batch = Batch {
            records: Vec::new(),
            end: inner.read_offset,
        };
        while batch.records.len() < max {
            let offset = inner.read_offset;
            if let Some(front) = inner.segments.front()
                && offset < front.first
            {
                // Dropped under the reader (overflow): go on from what is left.
                let first = front.first;
                self.seek_reader(&mut inner, first)?;
                continue;
            }
            let Some(seg) = inner
                .segments
                .iter()
                .find(|s| s.first <= offset && offset < s.end())
            else {
                break;
            };
            let (path, first, seg_end, newest) =
                (seg.path.clone(), seg.first, seg.end(), seg.newest);
            if let Some(cutoff) = cutoff
                && newest < cutoff
            {
                // The whole rest of this segment expired.
                LogStats::add(&self.stats.expired, seg_end - offset);
                inner.read_offset = seg_end;
                batch.end = seg_end;
                continue;
            }
            if inner.read_segment != first {
                self.seek_reader(&mut inner, offset)?;
            }
            let want = (max - batch.records.len()).min((seg_end - offset) as usize);
            let (points, pos, _) = scan(&path, inner.read_pos, Some(want))?;
            if points.is_empty() {
                return Err(BridgeError::LogCorrupt {
                    path,
                    message: format!("record {offset} cannot be read back"),
                });
            }
            inner.read_offset += points.len() as u64;
            inner.read_pos = pos;
            batch.end = inner.read_offset;
            for p in points {
                if cutoff.is_some_and(|c| p.ts < c) {
                    LogStats::add(&self.stats.expired, 1);
                } else {
                    batch.records.push(p);
                }
            }
        }
        Ok(batch)
    }

    /// Whether the reader has records it has not handed out.
    pub fn has_unread(&self) -> bool {
        let inner = self.lock();
        inner.read_offset < inner.next_offset
    }

    /// Marks every record below `offset` acknowledged (atomically, on disk) and removes the
    /// segments that leaves fully acknowledged.
    pub fn ack(&self, offset: u64) -> Result<()> {
        let mut inner = self.lock();
        if offset <= inner.acked {
            return Ok(());
        }
        let offset = offset.min(inner.next_offset);
        self.write_acked(&mut inner, offset)?;
        while let Some(seg) = inner.segments.front() {
            // The newest segment stays (appends go on into it) until a newer one exists.
            if seg.end() > offset || inner.segments.len() == 1 {
                break;
            }
            let seg = inner.segments.pop_front().expect("front exists");
            inner.total_bytes -= seg.bytes;
            fs::remove_file(&seg.path).map_err(BridgeError::io(&seg.path))?;
        }
        Ok(())
    }

    /// Waits until something is appended (or `timeout` passes).
    pub async fn wait_for_records(&self, timeout: Duration) {
        if self.has_unread() {
            return;
        }
        let _ = tokio::time::timeout(timeout, self.appended.notified()).await;
    }

    /// Every record not yet acknowledged, oldest first (for inspection and tests: reads the
    /// segments, does not move the reader).
    pub fn unacknowledged(&self) -> Result<Vec<Point>> {
        let inner = self.lock();
        let mut out = Vec::new();
        for seg in &inner.segments {
            if seg.end() <= inner.acked {
                continue;
            }
            let (points, _, _) = scan(&seg.path, 0, None)?;
            let skip = inner.acked.saturating_sub(seg.first) as usize;
            out.extend(points.into_iter().skip(skip));
        }
        Ok(out)
    }
}
