//! Single-core throughput of the store's cut-and-hash step against raw BLAKE3.
//!
//! The store cuts data with FastCDC 2020 (64 KiB / 256 KiB / 1 MiB) and names every chunk by its
//! BLAKE3 hash. This example measures, on one thread and on the same in-memory buffer of
//! pseudo-random bytes (1 GiB by default), best of 3 runs each:
//!
//! - raw BLAKE3 of the whole buffer (`blake3::hash`, single-threaded),
//! - raw BLAKE3 through `blake3::Hasher::update` in 256 KiB pieces,
//! - FastCDC cut points alone,
//! - BLAKE3 per chunk alone, over cut points computed beforehand,
//! - FastCDC + `blake3::hash` per chunk (what ingest does per chunk): the headline row,
//! - and, to attribute the rest of ingest's CPU time: the same plus a whole-stream BLAKE3 (ingest
//!   also hashes every file as a whole for its content id), and the zstd level-1 probe of the
//!   first 16 KiB of every chunk (how ingest decides whether a chunk is worth compressing).
//!
//! Every row is single-threaded; the store spreads chunk hashing over all cores, but the cut
//! points of one file are found by one thread.
//!
//! Run: `cargo run --release -p bifrost-store --example chunk_hash [-- --size-mib N --runs N]`

use std::hint::black_box;
use std::time::{Duration, Instant};

const MIN: usize = 64 * 1024;
const AVG: usize = 256 * 1024;
const MAX: usize = 1024 * 1024;
const PIECE: usize = 256 * 1024;
const PROBE: usize = 16 * 1024;

/// Deterministic pseudo-random bytes (SplitMix64), the same on every machine.
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        out.extend_from_slice(&z.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn cuts(data: &[u8]) -> fastcdc::v2020::FastCDC<'_> {
    fastcdc::v2020::FastCDC::new(data, MIN, AVG, MAX)
}

/// One measured step: a name and the work, which returns something to keep it from being
/// optimised away.
type Step<'a> = (&'static str, Box<dyn FnMut() -> u64 + 'a>);

/// Best (shortest) of `runs` timings of every step. The steps take turns (round robin), so a
/// burst of load from other processes on a shared machine hits them alike.
fn best_of(runs: usize, steps: &mut [Step<'_>]) -> Vec<Duration> {
    let mut best = vec![Duration::MAX; steps.len()];
    for _ in 0..runs {
        for (i, (_, f)) in steps.iter_mut().enumerate() {
            let t = Instant::now();
            black_box(f());
            best[i] = best[i].min(t.elapsed());
        }
    }
    best
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number, got {v}"))
        })
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let size = arg(&args, "--size-mib", 1024) * 1024 * 1024;
    let runs = arg(&args, "--runs", 3).max(1);
    let data = pseudo_random(size, 0x00B1_F905_7BE4_C400);

    let chunks = cuts(&data).count();
    println!(
        "buffer: {} MiB of pseudo-random bytes in memory; {} FastCDC chunks (mean {} KiB); \
         best of {runs} runs taken in turns; one thread; GB/s = 10^9 bytes/s",
        size >> 20,
        chunks,
        size / chunks.max(1) / 1024
    );

    let ranges: Vec<(usize, usize)> = cuts(&data).map(|c| (c.offset, c.length)).collect();
    let data = &data[..];
    let ranges = &ranges[..];
    let mut steps: Vec<Step<'_>> = vec![
        (
            "raw BLAKE3, blake3::hash(whole buffer)",
            Box::new(|| u64::from(blake3::hash(data).as_bytes()[0])),
        ),
        (
            "raw BLAKE3, Hasher::update in 256 KiB pieces",
            Box::new(|| {
                let mut h = blake3::Hasher::new();
                for piece in data.chunks(PIECE) {
                    h.update(piece);
                }
                u64::from(h.finalize().as_bytes()[0])
            }),
        ),
        (
            "FastCDC cut points alone",
            Box::new(|| cuts(data).map(|c| c.length as u64).sum()),
        ),
        (
            "blake3::hash per chunk alone (cuts precomputed)",
            Box::new(|| {
                ranges
                    .iter()
                    .map(|&(o, l)| u64::from(blake3::hash(&data[o..o + l]).as_bytes()[0]))
                    .sum()
            }),
        ),
        (
            "**FastCDC + blake3::hash per chunk (as the store)**",
            Box::new(|| {
                cuts(data)
                    .map(|c| {
                        u64::from(blake3::hash(&data[c.offset..c.offset + c.length]).as_bytes()[0])
                    })
                    .sum()
            }),
        ),
        (
            "FastCDC + per-chunk + whole-stream BLAKE3 (content id)",
            Box::new(|| {
                let mut whole = blake3::Hasher::new();
                let x: u64 = cuts(data)
                    .map(|c| {
                        let chunk = &data[c.offset..c.offset + c.length];
                        whole.update(chunk);
                        u64::from(blake3::hash(chunk).as_bytes()[0])
                    })
                    .sum();
                x + u64::from(whole.finalize().as_bytes()[0])
            }),
        ),
        (
            "zstd-1 probe of each chunk's first 16 KiB alone",
            Box::new(|| {
                let mut z = zstd::bulk::Compressor::new(1).expect("level 1");
                ranges
                    .iter()
                    .map(|&(o, l)| {
                        z.compress(&data[o..o + l.min(PROBE)])
                            .map_or(0, |v| v.len() as u64)
                    })
                    .sum()
            }),
        ),
    ];
    let times = best_of(runs, &mut steps);
    let rows: Vec<(&str, Duration)> = steps.iter().map(|(n, _)| *n).zip(times).collect();

    let raw = rows[0].1;
    println!();
    println!("| step (single thread) | time (s) | GB/s | vs raw blake3::hash |");
    println!("|---|---:|---:|---:|");
    for (name, d) in &rows {
        let gbps = size as f64 / d.as_secs_f64() / 1e9;
        println!(
            "| {name} | {:.3} | {gbps:.2} | {:.2}x |",
            d.as_secs_f64(),
            raw.as_secs_f64() / d.as_secs_f64()
        );
    }
    let store = rows[4].1.as_secs_f64();
    println!();
    println!(
        "Store cut+hash on one core: {:.2} GB/s = {:.2}x raw blake3::hash. GB/s is per byte of the \
         buffer on every row (the zstd probe reads only 16 KiB of each chunk).",
        size as f64 / store / 1e9,
        raw.as_secs_f64() / store
    );
}
