//! The engine: per-series in-memory buffers sealed together into compressed segment files, with
//! retention by age and size, a hard cap on buffer memory and a floor of free disk space.
//!
//! Durability: a point is durable once its buffer is sealed (a segment is renamed into place
//! only after it is synced). A process killed with `kill -9` loses at most the unsealed buffers:
//! at most `seal_interval` of data, `block_points` points of a series, or `memory_cap` bytes,
//! whichever comes first. There is no write-ahead log; a gateway that must lose nothing keeps
//! its own acknowledged log (the store-and-forward bridge).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::block::{self, Codec, NO_RAW};
use crate::downsample::{Downsample, downsample};
use crate::error::{Result, SeriesError};
use crate::segment::{self, BlockInput, SEGMENT_EXT, Segment};
use crate::{Point, Sample};

/// What to do when writing a segment would leave less free disk than the floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FloorPolicy {
    /// Delete the oldest segments (counted) to make room; refuse when even that is not enough.
    #[default]
    EvictOldest,
    /// Keep every segment and refuse to seal (the buffers keep filling up to the memory cap).
    Refuse,
}

/// How an engine stores and expires points.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Hard cap on the bytes held by the in-memory buffers (allocated capacity, 16 bytes per
    /// point, 20 with a raw word). Reaching it seals every buffer early.
    pub memory_cap: usize,
    /// Segments whose newest point is older than this (by the wall clock) are deleted.
    pub retention_age: Option<Duration>,
    /// The oldest segments are deleted while all segments together exceed this many bytes.
    pub retention_bytes: Option<u64>,
    /// Free bytes that must remain on the file system after a segment is written.
    pub disk_floor: u64,
    /// What to do at the floor.
    pub floor_policy: FloorPolicy,
    /// How timestamp and value columns are compressed.
    pub codec: Codec,
    /// A series buffer holding this many points seals every buffer (the largest block).
    pub block_points: usize,
    /// Buffers older than this are sealed by the next append or [`Engine::tick`].
    pub seal_interval: Duration,
    /// How free space is measured: `None` asks the file system (statvfs, as `df` shows it);
    /// a device with a storage quota gives its own function of the engine directory.
    pub free_space: Option<fn(&Path) -> u64>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            memory_cap: 64 << 20,
            retention_age: None,
            retention_bytes: None,
            disk_floor: 64 << 20,
            floor_policy: FloorPolicy::default(),
            codec: Codec::default(),
            block_points: 1 << 16,
            seal_interval: Duration::from_secs(60),
            free_space: None,
        }
    }
}

/// A series' handle for fast appends ([`Engine::series_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeriesId(u32);

/// One stored series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesInfo {
    /// Its name.
    pub name: String,
    /// Points stored, sealed and buffered.
    pub points: u64,
    /// Points still in memory (lost by a crash).
    pub buffered: u64,
    /// The earliest point's time (ms since the Unix epoch).
    pub first_ts: Option<i64>,
    /// The newest point's time.
    pub last_ts: Option<i64>,
}

/// Counters since the engine opened, and its current size.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EngineStats {
    /// Points accepted.
    pub points_appended: u64,
    /// Points written to segments.
    pub points_sealed: u64,
    /// Segment files written.
    pub segments_written: u64,
    /// Points refused for arriving out of time order.
    pub refused_out_of_order: u64,
    /// Points refused because the buffers were full and could not be sealed.
    pub refused_memory_full: u64,
    /// Seals refused at the disk floor.
    pub seals_refused_disk_floor: u64,
    /// Segments deleted to keep the disk floor.
    pub segments_evicted_disk_floor: u64,
    /// Segments deleted by age retention.
    pub segments_expired_age: u64,
    /// Segments deleted by size retention.
    pub segments_expired_size: u64,
    /// Blocks skipped because they failed their checksum or did not decode.
    pub corrupt_blocks_skipped: u64,
    /// Segment files skipped whole (not a segment).
    pub corrupt_segments_skipped: u64,
    /// Points in the buffers now.
    pub buffered_points: u64,
    /// Bytes allocated by the buffers now (what `memory_cap` bounds).
    pub buffered_bytes: u64,
    /// Segment files now.
    pub segments: u64,
    /// Their bytes.
    pub segment_bytes: u64,
}

struct SeriesState {
    name: String,
    last_ts: Option<i64>,
    first_ts: Option<i64>,
    sealed_points: u64,
    ts: Vec<i64>,
    values: Vec<f64>,
    /// Empty until the series' first point with a raw word.
    raw: Vec<u32>,
}

impl SeriesState {
    fn new(name: String) -> Self {
        SeriesState {
            name,
            last_ts: None,
            first_ts: None,
            sealed_points: 0,
            ts: Vec::new(),
            values: Vec::new(),
            raw: Vec::new(),
        }
    }

    fn allocated(&self) -> usize {
        self.ts.capacity() * 8 + self.values.capacity() * 8 + self.raw.capacity() * 4
    }

    fn release(&mut self) {
        self.ts = Vec::new();
        self.values = Vec::new();
        self.raw = Vec::new();
    }
}

/// A time-series store in one directory. Appends take `&mut self`; share it behind a mutex.
pub struct Engine {
    dir: PathBuf,
    config: EngineConfig,
    /// Held for the engine's life: one writer per directory.
    lock: Option<File>,
    segments: Vec<Segment>,
    next_seq: u64,
    ids: HashMap<String, SeriesId>,
    series: Vec<SeriesState>,
    buffered_bytes: usize,
    last_seal: Instant,
    appends: u64,
    stats: EngineStats,
    corrupt_blocks: AtomicU64,
    warnings: Vec<String>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Checks a series name: 1 to 1,024 bytes, no control characters.
pub fn validate_series_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > 1024 {
        "it is longer than 1,024 bytes"
    } else if name.chars().any(char::is_control) {
        "it holds a control character"
    } else {
        return Ok(());
    };
    Err(SeriesError::BadSeriesName {
        name: name.to_string(),
        reason,
    })
}

impl Engine {
    /// Opens (creating) an engine directory for writing. Staging files left by a crash are
    /// removed; damaged segments are read as far as they can be, with warnings.
    pub fn open(dir: impl AsRef<Path>, config: EngineConfig) -> Result<Engine> {
        let dir = dir.as_ref().to_path_buf();
        if config.memory_cap < 4096 || config.block_points == 0 {
            return Err(SeriesError::Config(
                "memory_cap must be at least 4096 bytes and block_points at least 1".into(),
            ));
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| SeriesError::io(format!("cannot create {}", dir.display()), e))?;
        let lock_path = dir.join("LOCK");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| SeriesError::io(format!("cannot open {}", lock_path.display()), e))?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive)
            .map_err(|_| SeriesError::Locked(dir.clone()))?;
        for entry in list_dir(&dir)? {
            if entry.extension().is_some_and(|e| e == "tmp") {
                std::fs::remove_file(&entry).map_err(|e| {
                    SeriesError::io(format!("cannot remove {}", entry.display()), e)
                })?;
            }
        }
        let mut engine = Self::load(dir, config)?;
        engine.lock = Some(lock);
        Ok(engine)
    }

    /// Opens an engine directory to query it, beside a writer that may be running: sees what
    /// was sealed when it opened; appends are refused.
    pub fn open_read_only(dir: impl AsRef<Path>) -> Result<Engine> {
        let dir = dir.as_ref().to_path_buf();
        if !dir.is_dir() {
            return Err(SeriesError::io(
                format!("cannot open engine directory {}", dir.display()),
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
            ));
        }
        Self::load(dir, EngineConfig::default())
    }

    fn load(dir: PathBuf, config: EngineConfig) -> Result<Engine> {
        let mut found: Vec<(u64, PathBuf)> = list_dir(&dir)?
            .into_iter()
            .filter_map(|p| {
                let name = p.file_name()?.to_str()?;
                let seq = name
                    .strip_prefix("seg-")?
                    .strip_suffix(&format!(".{SEGMENT_EXT}"))?
                    .parse()
                    .ok()?;
                Some((seq, p))
            })
            .collect();
        found.sort();
        let mut engine = Engine {
            next_seq: found.last().map_or(1, |(s, _)| s + 1),
            dir,
            config,
            lock: None,
            segments: Vec::new(),
            ids: HashMap::new(),
            series: Vec::new(),
            buffered_bytes: 0,
            last_seal: Instant::now(),
            appends: 0,
            stats: EngineStats::default(),
            corrupt_blocks: AtomicU64::new(0),
            warnings: Vec::new(),
        };
        for (_, path) in found {
            match Segment::open(&path) {
                Ok((seg, warnings)) => {
                    engine.stats.corrupt_blocks_skipped += warnings.len() as u64;
                    engine.warn(warnings);
                    for b in &seg.blocks {
                        let id = engine.intern(&b.name);
                        let s = &mut engine.series[id.0 as usize];
                        s.sealed_points += b.count as u64;
                        s.last_ts = Some(s.last_ts.map_or(b.max_ts, |t| t.max(b.max_ts)));
                        s.first_ts = Some(s.first_ts.map_or(b.min_ts, |t| t.min(b.min_ts)));
                    }
                    engine.segments.push(seg);
                }
                Err(e) => {
                    engine.stats.corrupt_segments_skipped += 1;
                    engine.warn(vec![format!("segment skipped: {e}")]);
                }
            }
        }
        Ok(engine)
    }

    fn warn(&mut self, warnings: Vec<String>) {
        for w in warnings {
            tracing::warn!("{w}");
            self.warnings.push(w);
        }
    }

    /// Problems found while opening (damaged blocks and segments skipped).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The engine's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn intern(&mut self, name: &str) -> SeriesId {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = SeriesId(self.series.len() as u32);
        self.series.push(SeriesState::new(name.to_string()));
        self.ids.insert(name.to_string(), id);
        id
    }

    /// The handle of a series, creating it; appends by handle skip the name lookup.
    pub fn series_id(&mut self, name: &str) -> Result<SeriesId> {
        if let Some(&id) = self.ids.get(name) {
            return Ok(id);
        }
        validate_series_name(name)?;
        Ok(self.intern(name))
    }

    /// Appends one point to a series by name.
    pub fn append(&mut self, series: &str, ts: i64, value: f64) -> Result<()> {
        let id = self.series_id(series)?;
        self.push(id, ts, value, NO_RAW)
    }

    /// Appends one point by handle.
    #[inline]
    pub fn append_id(&mut self, id: SeriesId, ts: i64, value: f64) -> Result<()> {
        self.push(id, ts, value, NO_RAW)
    }

    /// Appends one point with the raw 16-bit register word it was converted from.
    pub fn append_raw(&mut self, id: SeriesId, ts: i64, value: f64, raw: u16) -> Result<()> {
        self.push(id, ts, value, raw as u32)
    }

    /// Appends points in time order; stops at the first refused one (the earlier ones stay).
    pub fn append_batch(&mut self, id: SeriesId, points: &[Point]) -> Result<()> {
        for p in points {
            self.push(id, p.ts, p.value, NO_RAW)?;
        }
        Ok(())
    }

    #[inline]
    fn push(&mut self, id: SeriesId, ts: i64, value: f64, raw: u32) -> Result<()> {
        if self.lock.is_none() {
            return Err(SeriesError::ReadOnly);
        }
        let i = id.0 as usize;
        let s = &self.series[i];
        if let Some(last) = s.last_ts
            && ts < last
        {
            self.stats.refused_out_of_order += 1;
            return Err(SeriesError::OutOfOrder {
                series: s.name.clone(),
                ts,
                last,
            });
        }
        let needs_raw = raw != NO_RAW || !s.raw.is_empty();
        if s.ts.len() == s.ts.capacity() || (needs_raw && s.raw.len() == s.raw.capacity()) {
            self.make_room(i, needs_raw)?;
        }
        let s = &mut self.series[i];
        if needs_raw && s.raw.len() < s.ts.len() {
            s.raw.resize(s.ts.len(), NO_RAW);
        }
        s.ts.push(ts);
        s.values.push(value);
        if needs_raw {
            s.raw.push(raw);
        }
        s.last_ts = Some(ts);
        s.first_ts.get_or_insert(ts);
        self.stats.points_appended += 1;
        self.appends += 1;
        if s.ts.len() >= self.config.block_points
            || (self.appends.is_multiple_of(4096)
                && self.last_seal.elapsed() >= self.config.seal_interval)
        {
            // The point is already buffered; a refused seal is retried later and is counted.
            if let Err(e) = self.seal() {
                tracing::warn!("sealing deferred: {e}");
            }
        }
        Ok(())
    }

    /// Grows series `i`'s buffer within the memory cap, sealing every buffer first if needed.
    fn make_room(&mut self, i: usize, needs_raw: bool) -> Result<()> {
        let target =
            |s: &SeriesState, block: usize| (s.ts.len().max(32) * 2).min(block.max(s.ts.len() + 1));
        let grow_bytes = |s: &SeriesState, block: usize| {
            let t = target(s, block);
            let per = if needs_raw { 20 } else { 16 };
            t * per - s.allocated().min(t * per)
        };
        let block = self.config.block_points;
        if self.buffered_bytes + grow_bytes(&self.series[i], block) > self.config.memory_cap {
            if let Err(e) = self.seal() {
                self.stats.refused_memory_full += 1;
                return Err(match e {
                    SeriesError::DiskFloor { .. } => e,
                    other => SeriesError::MemoryFull {
                        cap: self.config.memory_cap,
                        reason: other.to_string(),
                        refused: self.stats.refused_memory_full,
                    },
                });
            }
            for s in &mut self.series {
                s.release();
            }
            self.buffered_bytes = 0;
        }
        let s = &mut self.series[i];
        let before = s.allocated();
        let t = target(s, block);
        s.ts.reserve_exact(t - s.ts.len());
        s.values.reserve_exact(t - s.values.len());
        if needs_raw {
            s.raw.reserve_exact(t - s.raw.len());
        }
        self.buffered_bytes = self.buffered_bytes + s.allocated() - before;
        Ok(())
    }

    /// Seals buffers older than the seal interval and applies retention; call it now and then
    /// when appends are rare.
    pub fn tick(&mut self) -> Result<()> {
        if self.lock.is_some() && self.last_seal.elapsed() >= self.config.seal_interval {
            self.seal()?;
        }
        Ok(())
    }

    /// Writes every buffered point to a new segment now; answers how many points it wrote.
    pub fn seal(&mut self) -> Result<u64> {
        if self.lock.is_none() {
            return Err(SeriesError::ReadOnly);
        }
        self.last_seal = Instant::now();
        let codec = self.config.codec;
        let inputs: Vec<BlockInput<'_>> = self
            .series
            .iter()
            .filter(|s| !s.ts.is_empty())
            .map(|s| BlockInput {
                name: &s.name,
                ts: &s.ts,
                columns: block::encode(&s.ts, &s.values, &s.raw, codec),
            })
            .collect();
        if inputs.is_empty() {
            self.apply_retention(now_ms())?;
            return Ok(0);
        }
        let image = segment::build(&inputs);
        drop(inputs);
        self.keep_floor(image.len() as u64)?;
        let seq = self.next_seq;
        let path = segment::write_atomically(&self.dir, seq, &image)?;
        self.next_seq += 1;
        drop(image);
        let (seg, warnings) = Segment::open(&path)?;
        self.warn(warnings);
        self.segments.push(seg);
        let mut sealed = 0;
        for s in &mut self.series {
            sealed += s.ts.len() as u64;
            s.sealed_points += s.ts.len() as u64;
            s.ts.clear();
            s.values.clear();
            s.raw.clear();
        }
        self.stats.points_sealed += sealed;
        self.stats.segments_written += 1;
        self.apply_retention(now_ms())?;
        Ok(sealed)
    }

    /// Makes sure `needed` bytes can be written above the disk floor, evicting the oldest
    /// segments when the policy allows and that is enough.
    fn keep_floor(&mut self, needed: u64) -> Result<()> {
        let floor = self.config.disk_floor;
        let measure = |dir: &Path| match self.config.free_space {
            Some(probe) => Ok(probe(dir)),
            None => free_bytes(dir),
        };
        let free = measure(&self.dir)?;
        let short = (needed + floor).saturating_sub(free);
        if short == 0 {
            return Ok(());
        }
        let evictable: u64 = self.segments.iter().map(Segment::len).sum();
        if self.config.floor_policy == FloorPolicy::EvictOldest && evictable >= short {
            let mut freed = 0;
            while freed < short && !self.segments.is_empty() {
                freed += self.segments[0].len();
                self.delete_oldest()?;
                self.stats.segments_evicted_disk_floor += 1;
            }
            let measure = |dir: &Path| match self.config.free_space {
                Some(probe) => Ok(probe(dir)),
                None => free_bytes(dir),
            };
            if measure(&self.dir)? >= needed + floor {
                return Ok(());
            }
        }
        self.stats.seals_refused_disk_floor += 1;
        Err(SeriesError::DiskFloor {
            dir: self.dir.clone(),
            free,
            needed,
            floor,
            refused: self.stats.seals_refused_disk_floor,
        })
    }

    fn delete_oldest(&mut self) -> Result<()> {
        let seg = self.segments.remove(0);
        std::fs::remove_file(&seg.path)
            .map_err(|e| SeriesError::io(format!("cannot delete {}", seg.path.display()), e))?;
        for b in &seg.blocks {
            if let Some(&id) = self.ids.get(&b.name) {
                let s = &mut self.series[id.0 as usize];
                s.sealed_points = s.sealed_points.saturating_sub(b.count as u64);
            }
        }
        self.recompute_first_ts();
        Ok(())
    }

    fn recompute_first_ts(&mut self) {
        for s in &mut self.series {
            s.first_ts = s.ts.first().copied();
        }
        for seg in &self.segments {
            for b in &seg.blocks {
                if let Some(&id) = self.ids.get(&b.name) {
                    let s = &mut self.series[id.0 as usize];
                    s.first_ts = Some(s.first_ts.map_or(b.min_ts, |t| t.min(b.min_ts)));
                }
            }
        }
    }

    /// Deletes segments past the retention age (relative to `now_ms`) or beyond the retention
    /// size, oldest first; the newest segment is never deleted for size.
    pub fn apply_retention(&mut self, now_ms: i64) -> Result<()> {
        if let Some(age) = self.config.retention_age {
            let cutoff = now_ms.saturating_sub(age.as_millis() as i64);
            while let Some(first) = self.segments.first() {
                let newest = first.blocks.iter().map(|b| b.max_ts).max();
                if newest.is_some_and(|t| t >= cutoff) {
                    break;
                }
                self.delete_oldest()?;
                self.stats.segments_expired_age += 1;
            }
        }
        if let Some(limit) = self.config.retention_bytes {
            while self.segments.len() > 1
                && self.segments.iter().map(Segment::len).sum::<u64>() > limit
            {
                self.delete_oldest()?;
                self.stats.segments_expired_size += 1;
            }
        }
        Ok(())
    }

    /// Calls `visit` with the columns (timestamps, values, raw words or empty) of every block
    /// and the buffer of `series`, in time order, cut to `from <= ts < to`.
    fn scan(
        &self,
        series: &str,
        from: i64,
        to: i64,
        mut visit: impl FnMut(&[i64], &[f64], &[u32]),
    ) -> Result<()> {
        let id = *self
            .ids
            .get(series)
            .ok_or_else(|| SeriesError::UnknownSeries(series.to_string()))?;
        let mut cut = |ts: &[i64], values: &[f64], raw: &[u32]| {
            let lo = ts.partition_point(|&t| t < from);
            let hi = ts.partition_point(|&t| t < to);
            if lo < hi {
                visit(&ts[lo..hi], &values[lo..hi], raw.get(lo..hi).unwrap_or(&[]));
            }
        };
        for seg in &self.segments {
            for b in seg.blocks.iter().filter(|b| b.name == series) {
                if b.max_ts < from || b.min_ts >= to {
                    continue;
                }
                match seg.read_block(b) {
                    Ok(c) => cut(&c.ts, &c.values, &c.raw),
                    Err(e) => {
                        self.corrupt_blocks.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!("{}: block of {series} skipped: {e}", seg.path.display());
                    }
                }
            }
        }
        let s = &self.series[id.0 as usize];
        cut(&s.ts, &s.values, &s.raw);
        Ok(())
    }

    /// Every point of `series` with `from <= ts < to`, in time order, with raw words.
    pub fn read(&self, series: &str, from: i64, to: i64) -> Result<Vec<Sample>> {
        let mut out = Vec::new();
        self.scan(series, from, to, |ts, values, raw| {
            out.extend(
                ts.iter()
                    .zip(values)
                    .enumerate()
                    .map(|(k, (&ts, &value))| Sample {
                        ts,
                        value,
                        raw: raw.get(k).and_then(|&r| u16::try_from(r).ok()),
                    }),
            );
        })?;
        Ok(out)
    }

    /// Points of `series` with `from <= ts < to`, downsampled when asked.
    pub fn query(
        &self,
        series: &str,
        from: i64,
        to: i64,
        downsampling: Option<Downsample>,
    ) -> Result<Vec<Point>> {
        if let Some(d) = downsampling
            && d.step_ms <= 0
        {
            return Err(SeriesError::Config("downsampling step must be > 0".into()));
        }
        let mut points = Vec::new();
        self.scan(series, from, to, |ts, values, _| {
            points.extend(ts.iter().zip(values).map(|(&t, &v)| Point::new(t, v)));
        })?;
        Ok(match downsampling {
            Some(d) => downsample(points, d),
            None => points,
        })
    }

    /// The stored series, by name.
    pub fn series(&self) -> Vec<SeriesInfo> {
        let mut list: Vec<SeriesInfo> = self
            .series
            .iter()
            .filter(|s| s.sealed_points > 0 || !s.ts.is_empty())
            .map(|s| SeriesInfo {
                name: s.name.clone(),
                points: s.sealed_points + s.ts.len() as u64,
                buffered: s.ts.len() as u64,
                first_ts: s.first_ts,
                last_ts: s.last_ts,
            })
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    /// Counters and sizes.
    pub fn stats(&self) -> EngineStats {
        let mut s = self.stats.clone();
        s.corrupt_blocks_skipped += self.corrupt_blocks.load(Ordering::Relaxed);
        s.buffered_points = self.series.iter().map(|s| s.ts.len() as u64).sum();
        s.buffered_bytes = self.buffered_bytes as u64;
        s.segments = self.segments.len() as u64;
        s.segment_bytes = self.segments.iter().map(Segment::len).sum();
        s
    }
}

impl Drop for Engine {
    /// A clean close seals what is buffered (errors are logged: a drop cannot report them).
    fn drop(&mut self) {
        if self.lock.is_some()
            && let Err(e) = self.seal()
        {
            tracing::warn!("closing engine {}: {e}", self.dir.display());
        }
    }
}

fn list_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let read = std::fs::read_dir(dir)
        .map_err(|e| SeriesError::io(format!("cannot list {}", dir.display()), e))?;
    let mut out = Vec::new();
    for entry in read {
        let entry =
            entry.map_err(|e| SeriesError::io(format!("cannot list {}", dir.display()), e))?;
        out.push(entry.path());
    }
    Ok(out)
}

/// Bytes an unprivileged writer may still use on `dir`'s file system.
fn free_bytes(dir: &Path) -> Result<u64> {
    let st = rustix::fs::statvfs(dir).map_err(|e| {
        SeriesError::io(
            format!("cannot read free space of {}", dir.display()),
            e.into(),
        )
    })?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}
