//! The store against real backends: a local directory and an S3 server (s3s-fs) on loopback.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bifrost_api::{ApiError, ErrorCode};
use bifrost_core::synthetic::random_bytes;
use bifrost_core::{ChunkId, ChunkLocation, ContentId, PackRecord};
use bifrost_store::testing::S3TestServer;
use bifrost_store::{
    IngestReport, KnownChunks, SourceFile, Store, StoreConfig, StoreError, StoreLocation,
};
use fastcdc::v2020::FastCDC;

/// An in-memory index standing in for the catalog's chunk table.
#[derive(Default)]
struct MemIndex(Mutex<HashMap<ChunkId, ChunkLocation>>);

impl KnownChunks for MemIndex {
    fn known(&self, ids: &[ChunkId]) -> Result<Vec<bool>, ApiError> {
        let map = self.0.lock().unwrap();
        Ok(ids.iter().map(|id| map.contains_key(id)).collect())
    }
}

impl MemIndex {
    fn record(&self, packs: &[PackRecord]) {
        let mut map = self.0.lock().unwrap();
        for p in packs {
            for e in &p.entries {
                map.entry(e.chunk).or_insert(ChunkLocation {
                    pack: p.id,
                    entry: *e,
                });
            }
        }
    }
    fn locate(&self, chunks: &[ChunkId]) -> Vec<ChunkLocation> {
        let map = self.0.lock().unwrap();
        chunks.iter().map(|c| map[c]).collect()
    }
}

fn write(dir: &Path, name: &str, data: &[u8]) -> SourceFile {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    SourceFile {
        path,
        size_hint: data.len() as u64,
    }
}

async fn ingest(store: &Store, index: &Arc<MemIndex>, files: Vec<SourceFile>) -> IngestReport {
    let report = store
        .ingest(files, index.clone(), Arc::new(bifrost_files::NoProgress))
        .await
        .unwrap();
    index.record(&report.packs);
    report
}

async fn restore(
    store: &Store,
    index: &MemIndex,
    content: &ContentId,
    size: u64,
    chunks: &[ChunkId],
) -> Result<Vec<u8>, StoreError> {
    let out = tempfile::tempfile().unwrap();
    let out = Arc::new(out);
    store
        .restore(content, size, &index.locate(chunks), out.clone())
        .await?;
    let mut buf = Vec::new();
    use std::io::{Read, Seek};
    let mut f = out.as_ref();
    f.rewind().unwrap();
    f.read_to_end(&mut buf).unwrap();
    Ok(buf)
}

/// Ingests a mix of files, checks ids and chunking, restores each and checks dedup of an edit.
async fn round_trip(store: Store) {
    let src = tempfile::tempdir().unwrap();
    let big = random_bytes(40 * 1024 * 1024 + 12345, 1);
    let text = b"shader source line\n".repeat(50_000);
    let files = vec![
        write(src.path(), "big.bin", &big),
        write(src.path(), "empty", b""),
        write(src.path(), "small.txt", b"hello"),
        write(src.path(), "text.glsl", &text),
        write(src.path(), "copy.bin", &big[..3_000_000]),
    ];
    let datas: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(&f.path).unwrap())
        .collect();
    let index = Arc::new(MemIndex::default());
    let report = ingest(&store, &index, files).await;
    assert_eq!(report.files.len(), 5);
    assert_eq!(
        report.bytes_read,
        datas.iter().map(|d| d.len() as u64).sum::<u64>()
    );
    assert!(
        report.packs.len() >= 2,
        "40 MiB of random data fills several 16 MiB packs"
    );
    for (f, data) in report.files.iter().zip(&datas) {
        assert_eq!(f.content, ContentId::of(data));
        assert_eq!(f.size, data.len() as u64);
        let p = store.config().chunking;
        let expected: Vec<ChunkId> = FastCDC::new(
            data,
            p.min_size as usize,
            p.avg_size as usize,
            p.max_size as usize,
        )
        .map(|c| ChunkId::of(&data[c.offset..c.offset + c.length]))
        .collect();
        assert_eq!(
            f.chunks, expected,
            "streamed cut points equal whole-buffer cut points"
        );
        let back = restore(&store, &index, &f.content, f.size, &f.chunks)
            .await
            .unwrap();
        assert!(back == *data, "restored bytes differ");
    }
    let stored: u64 = report.packs.iter().map(|p| p.size).sum();
    assert!(
        stored < big.len() as u64 + text.len() as u64 / 10 + 1_000_000,
        "text compressed, copy deduplicated: {stored}"
    );

    // A second version: a few scattered edits and an insertion that shifts everything after it.
    let mut edited = big.clone();
    for at in [1_000_000usize, 17_000_000, 33_000_000] {
        for b in &mut edited[at..at + 4096] {
            *b = b.wrapping_add(1);
        }
    }
    edited.splice(20_000_000..20_000_000, b"inserted bytes".iter().copied());
    let v2 = write(src.path(), "big.v2", &edited);
    let report2 = ingest(&store, &index, vec![v2]).await;
    assert!(
        report2.bytes_written < 4 * 1024 * 1024,
        "only the edited chunks are new: {}",
        report2.bytes_written
    );
    let f = &report2.files[0];
    assert_eq!(
        restore(&store, &index, &f.content, f.size, &f.chunks)
            .await
            .unwrap(),
        edited
    );

    // Same bytes again: nothing new at all.
    let again = write(src.path(), "again.bin", &edited);
    let report3 = ingest(&store, &index, vec![again]).await;
    assert_eq!(report3.new_chunks, 0);
    assert!(report3.packs.is_empty());

    let listed = store.list_packs().await.unwrap();
    assert_eq!(listed.len(), report.packs.len() + report2.packs.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(
        StoreLocation::Local(dir.path().join("store")),
        StoreConfig::default(),
    )
    .await
    .unwrap();
    round_trip(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_round_trip() {
    let server = S3TestServer::start("assets").await.unwrap();
    let url = server.store_url("assets", "studio/repo");
    let location = StoreLocation::parse(&url, Path::new("/")).unwrap();
    let store = Store::create(location, StoreConfig::default())
        .await
        .unwrap();
    round_trip(store.clone()).await;
    // Objects really are in the server's bucket, under the prefix.
    let packs = store.list_packs().await.unwrap();
    let first = packs[0].id.to_hex();
    let on_disk = server
        .data_dir()
        .join("assets/studio/repo/packs")
        .join(&first[..2])
        .join(format!("{first}.pack"));
    assert!(on_disk.exists(), "{on_disk:?}");
    store.delete_pack(&packs[0].id).await.unwrap();
    assert_eq!(store.list_packs().await.unwrap().len(), packs.len() - 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_wrong_credentials_or_bucket_fail_clearly() {
    let server = S3TestServer::start("assets").await.unwrap();
    let url = server
        .store_url("nope", "")
        .replace("bifrost-test-secret", "wrong");
    let location = StoreLocation::parse(&url, Path::new("/")).unwrap();
    let err = Store::create(location, StoreConfig::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("check the endpoint, bucket and credentials"),
        "{err}"
    );
    let dead = StoreLocation::parse(
        "s3://b?endpoint=http://127.0.0.1:1&access_key_id=a&secret_access_key=b",
        Path::new("/"),
    )
    .unwrap();
    assert!(Store::create(dead, StoreConfig::default()).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_and_missing_packs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let store = Store::create(StoreLocation::Local(root.clone()), StoreConfig::default())
        .await
        .unwrap();
    let src = tempfile::tempdir().unwrap();
    let data = random_bytes(2_000_000, 7);
    let index = Arc::new(MemIndex::default());
    let report = ingest(&store, &index, vec![write(src.path(), "a", &data)]).await;
    let f = report.files[0].clone();
    let pack = report.packs[0].clone();
    let hex = pack.id.to_hex();
    let pack_file = root
        .join("packs")
        .join(&hex[..2])
        .join(format!("{hex}.pack"));

    let mut bytes = std::fs::read(&pack_file).unwrap();
    bytes[100] ^= 0x40;
    std::fs::write(&pack_file, &bytes).unwrap();
    let err = restore(&store, &index, &f.content, f.size, &f.chunks)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::CorruptChunk { .. }), "{err}");
    assert!(err.to_string().contains("nothing was written"), "{err}");
    // The CLI adds the command to run (`bifrost fsck --read-data`) as a hint.
    assert!(!err.to_string().contains("bifrost "), "{err}");
    assert_eq!(err.code(), ErrorCode::Store);
    let whole = store.read_pack(&pack.id).await.unwrap();
    assert!(bifrost_store::verify_pack(&pack.id, &whole).is_err());

    std::fs::remove_file(&pack_file).unwrap();
    let err = restore(&store, &index, &f.content, f.size, &f.chunks)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::MissingPack { .. }), "{err}");
    let err = restore(&store, &index, &f.content, f.size + 1, &f.chunks)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::SizeMismatch { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_source_fails_and_writes_nothing_visible() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(
        StoreLocation::Local(dir.path().join("s")),
        StoreConfig::default(),
    )
    .await
    .unwrap();
    let missing = SourceFile {
        path: dir.path().join("does-not-exist"),
        size_hint: 10,
    };
    let err = store
        .ingest(
            vec![missing],
            Arc::new(MemIndex::default()),
            Arc::new(bifrost_files::NoProgress),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::ReadSource { .. }), "{err}");
    assert!(err.to_string().contains("does-not-exist"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repack_keeps_only_live_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(
        StoreLocation::Local(dir.path().join("s")),
        StoreConfig::default(),
    )
    .await
    .unwrap();
    let src = tempfile::tempdir().unwrap();
    let data = random_bytes(3_000_000, 3);
    let index = Arc::new(MemIndex::default());
    let report = ingest(&store, &index, vec![write(src.path(), "a", &data)]).await;
    let old = &report.packs[0];
    let keep = &old.entries[..old.entries.len() / 2];
    let new = store.repack(&old.id, keep).await.unwrap();
    assert_eq!(new.entries.len(), keep.len());
    assert!(new.size < old.size);
    let bytes = store.read_pack(&new.id).await.unwrap();
    let entries = bifrost_store::verify_pack(&new.id, &bytes).unwrap();
    assert_eq!(
        entries.iter().map(|e| e.chunk).collect::<Vec<_>>(),
        keep.iter().map(|e| e.chunk).collect::<Vec<_>>()
    );
}

/// An index that refuses to record packs after the first (a lost lease, a catalog gone away).
struct FailingIndex {
    recorded: Mutex<usize>,
}

impl KnownChunks for FailingIndex {
    fn known(&self, ids: &[ChunkId]) -> Result<Vec<bool>, ApiError> {
        Ok(vec![false; ids.len()])
    }

    fn pack_written<'a>(
        &'a self,
        _pack: &'a PackRecord,
    ) -> futures::future::BoxFuture<'a, Result<(), ApiError>> {
        let mut recorded = self.recorded.lock().unwrap();
        *recorded += 1;
        let outcome = if *recorded > 1 {
            Err(ApiError::new(
                ErrorCode::LeaseLost,
                "the catalog refused the pack",
            ))
        } else {
            Ok(())
        };
        Box::pin(std::future::ready(outcome))
    }
}

/// A failure to record a pack ends the ingest with that error: the chunking pipeline, which
/// may be blocked handing over its next sealed packs, is not left waiting forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_pack_record_ends_the_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig {
        pack_target: 256 * 1024,
        ..StoreConfig::default()
    };
    let store = Store::create(StoreLocation::Local(dir.path().join("store")), config)
        .await
        .unwrap();
    // Many packs' worth, so the pipeline fills the hand-over channel after the failure.
    let file = write(dir.path(), "big", &random_bytes(8 << 20, 77));
    let index = Arc::new(FailingIndex {
        recorded: Mutex::new(0),
    });
    let outcome = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        store.ingest(vec![file], index, Arc::new(bifrost_files::NoProgress)),
    )
    .await
    .expect("the ingest hung after an upload failed");
    let err = outcome.unwrap_err();
    assert!(err.to_string().contains("refused the pack"), "{err}");
    // The index's code survives the store: a lost lease is not a store fault.
    assert_eq!(err.code(), ErrorCode::LeaseLost, "{err}");
}
