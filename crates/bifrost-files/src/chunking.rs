//! Content-defined chunking (FastCDC 2020): where every writer of a repository cuts bytes, held
//! in memory (the store's ingest) or streamed (remote publishing, `dedupe` by chunks).
//!
//! The streamed cut equals the in-memory one for the same bytes and parameters, whatever sizes
//! the reader's reads return: otherwise nothing a remote client uploads would deduplicate
//! against what the store holds.

use std::io::{self, Read};
use std::ops::Range;

use bifrost_core::{ChunkId, ChunkingParams, ContentId, NewContent};
use fastcdc::v2020::FastCDC;

/// A file cut and hashed as the store would, without storing anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDescription {
    /// BLAKE3 of the bytes.
    pub content: ContentId,
    /// Number of bytes.
    pub size: u64,
    /// Each chunk's id and length, in order.
    pub chunks: Vec<(ChunkId, usize)>,
}

/// The chunks of `reader`, streamed, cut exactly where [`cut_points`] cuts the same bytes held
/// in memory: for readers of files too large to hold (remote publishing, `dedupe --chunks`).
pub fn stream_chunks<R: Read>(
    reader: R,
    params: ChunkingParams,
) -> impl Iterator<Item = io::Result<Vec<u8>>> {
    fastcdc::v2020::StreamCDC::new(
        reader,
        params.min_size as usize,
        params.avg_size as usize,
        params.max_size as usize,
    )
    .map(|chunk| chunk.map(|c| c.data).map_err(io::Error::other))
}

/// Describes what `reader` holds (content id, size, chunks) in one streamed pass.
pub fn describe_reader<R: Read>(reader: R, params: ChunkingParams) -> io::Result<FileDescription> {
    let mut whole = blake3::Hasher::new();
    let mut size = 0u64;
    let mut chunks = Vec::new();
    for data in stream_chunks(reader, params) {
        let data = data?;
        whole.update(&data);
        size += data.len() as u64;
        chunks.push((ChunkId::of(&data), data.len()));
    }
    Ok(FileDescription {
        content: ContentId::from_hash(whole.finalize()),
        size,
        chunks,
    })
}

/// Where content-defined chunking cuts `data` with `params`: what every writer of a repository
/// must use for its chunks to deduplicate (remote clients included).
pub fn cut_points(data: &[u8], params: ChunkingParams) -> Vec<Range<usize>> {
    FastCDC::new(
        data,
        params.min_size as usize,
        params.avg_size as usize,
        params.max_size as usize,
    )
    .map(|c| c.offset..c.offset + c.length)
    .collect()
}

/// Cuts a file's bytes as the repository would: its content description (id, size, chunk
/// ids) and the byte range of each chunk, for a client that uploads.
pub fn describe_content(data: &[u8], params: ChunkingParams) -> (NewContent, Vec<Range<usize>>) {
    let ranges = cut_points(data, params);
    let chunks = ranges
        .iter()
        .map(|r| ChunkId::of(&data[r.clone()]))
        .collect();
    let content = NewContent {
        id: ContentId::of(data),
        size: data.len() as u64,
        chunks,
    };
    (content, ranges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn small_params() -> ChunkingParams {
        ChunkingParams {
            min_size: 256,
            avg_size: 1024,
            max_size: 4096,
        }
    }

    /// A reader that hands out at most `step` bytes per read, as a pipe or a socket may.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    proptest! {
        /// The streaming cutter must cut exactly where the in-memory one does, or nothing a
        /// remote client uploads would deduplicate against what the store holds: from memory,
        /// from a file (what a remote publish reads) and from a reader returning short reads.
        #[test]
        fn streaming_cuts_match_in_memory_cuts(
            data in proptest::collection::vec(any::<u8>(), 0..40_000),
            step in 1usize..5_000,
        ) {
            let (expected, ranges) = describe_content(&data, small_params());
            prop_assert_eq!(&ranges, &cut_points(&data, small_params()));
            prop_assert_eq!(expected.id, ContentId::of(&data));
            let in_memory = FileDescription {
                content: expected.id,
                size: data.len() as u64,
                chunks: expected
                    .chunks
                    .iter()
                    .zip(&ranges)
                    .map(|(id, r)| (*id, r.len()))
                    .collect(),
            };

            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("f");
            std::fs::write(&path, &data).unwrap();
            let from_file = describe_reader(std::fs::File::open(&path).unwrap(), small_params());
            prop_assert_eq!(from_file.unwrap(), in_memory.clone());
            let from_slice = describe_reader(&data[..], small_params());
            prop_assert_eq!(from_slice.unwrap(), in_memory.clone());
            let trickled = describe_reader(Trickle { data: &data, step }, small_params());
            prop_assert_eq!(trickled.unwrap(), in_memory);
        }
    }
}
