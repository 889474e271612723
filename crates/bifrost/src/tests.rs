//! Facade tests that need to reach below the public API (to stage what only a crash or a
//! concurrent writer would otherwise leave behind).

use std::sync::Arc;

use bifrost_core::synthetic::random_bytes;
use bifrost_core::{FileEntry, NewAsset, NewContent, NewVersion};
use bifrost_store::{NothingKnown, SourceFile};

use crate::{CheckoutOptions, GcOptions, InitOptions, NoProgress, Repository};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gc_repacks_sparse_packs_and_removes_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path(), InitOptions::default())
        .await
        .unwrap();
    repo.create_asset(&NewAsset {
        name: "hero".into(),
        asset_type: "prop".into(),
        ..NewAsset::default()
    })
    .await
    .unwrap();
    let src = tempfile::tempdir().unwrap();
    let keep = random_bytes(300_000, 1);
    let drop = random_bytes(3_000_000, 2);
    std::fs::write(src.path().join("keep"), &keep).unwrap();
    std::fs::write(src.path().join("drop"), &drop).unwrap();
    let lease = repo.pack_lease();
    let index = lease.index();
    let sources = ["keep", "drop"]
        .map(|n| SourceFile {
            path: src.path().join(n),
            size_hint: 1,
        })
        .to_vec();
    // Both files land in one recorded pack; only `keep` gets committed, as if the publish of
    // `drop` had been abandoned after its bytes were written.
    let report = repo
        .store
        .ingest(sources, index, Arc::new(NoProgress))
        .await
        .unwrap();
    assert_eq!(report.packs.len(), 1);
    let k = &report.files[0];
    repo.catalog
        .commit_version(
            repo.project(),
            "hero",
            &NewVersion {
                author: "t".into(),
                note: String::new(),
                files: vec![FileEntry {
                    path: "keep".into(),
                    size: k.size,
                    mode: 0o644,
                    content: k.content,
                }],
                contents: vec![NewContent {
                    id: k.content,
                    size: k.size,
                    chunks: k.chunks.clone(),
                }],
            },
            &mut bifrost_catalog::Journal::none(),
        )
        .await
        .unwrap();
    // The abandoned publish's lease is gone (released, or expired after its writer died).
    lease.release().await;
    // An orphan: a pack uploaded but never recorded (a crash between upload and record).
    std::fs::write(src.path().join("orphan"), random_bytes(100_000, 3)).unwrap();
    let orphan = repo
        .store
        .ingest(
            vec![SourceFile {
                path: src.path().join("orphan"),
                size_hint: 1,
            }],
            Arc::new(NothingKnown),
            Arc::new(NoProgress),
        )
        .await
        .unwrap();
    assert_eq!(repo.store.list_packs().await.unwrap().len(), 2);

    let fsck = repo.fsck(true, Arc::new(NoProgress)).await.unwrap();
    assert!(fsck.is_clean(), "{:?}", fsck.problems);
    assert_eq!(fsck.unreferenced_packs, vec![orphan.packs[0].id]);

    let dry = repo
        .gc(GcOptions {
            dry_run: true,
            grace: std::time::Duration::ZERO,
            force: true,
            ..GcOptions::default()
        })
        .await
        .unwrap();
    assert_eq!((dry.packs_repacked, dry.orphan_packs_deleted), (1, 1));
    assert_eq!(
        repo.store.list_packs().await.unwrap().len(),
        2,
        "dry run deletes nothing"
    );

    // Within the grace period nothing is touched.
    let young = repo.gc(GcOptions::default()).await.unwrap();
    assert_eq!(young.bytes_freed, 0);

    let done = repo
        .gc(GcOptions {
            grace: std::time::Duration::ZERO,
            force: true,
            ..GcOptions::default()
        })
        .await
        .unwrap();
    assert_eq!((done.packs_repacked, done.orphan_packs_deleted), (1, 1));
    assert!(done.bytes_freed >= 3_000_000, "{done:?}");
    let packs = repo.store.list_packs().await.unwrap();
    assert_eq!(packs.len(), 1);
    assert!(packs[0].size < 400_000);
    let stats = repo.stats().await.unwrap();
    assert_eq!(stats.stored_bytes, packs[0].size);

    let fsck = repo.fsck(true, Arc::new(NoProgress)).await.unwrap();
    assert!(fsck.is_clean(), "{:?}", fsck.problems);
    assert!(fsck.unreferenced_packs.is_empty());
    let out = tempfile::tempdir().unwrap();
    repo.checkout(
        &"hero".parse().unwrap(),
        out.path(),
        CheckoutOptions::default(),
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(out.path().join("keep")).unwrap(), keep);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repository_on_s3_store() {
    let server = bifrost_store::testing::S3TestServer::start("assets")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(
        dir.path(),
        InitOptions {
            store: Some(server.store_url("assets", "show")),
            ..InitOptions::default()
        },
    )
    .await
    .unwrap();
    let config = std::fs::read_to_string(dir.path().join(".bifrost/config.toml")).unwrap();
    assert!(config.contains("s3://assets/show"), "{config}");
    repo.create_asset(&NewAsset {
        name: "plate".into(),
        asset_type: "plate".into(),
        ..NewAsset::default()
    })
    .await
    .unwrap();
    let src = tempfile::tempdir().unwrap();
    let data = random_bytes(5_000_000, 9);
    std::fs::write(src.path().join("plate.exr"), &data).unwrap();
    let v = repo
        .publish("plate", &[src.path().to_owned()], "n", Arc::new(NoProgress))
        .await
        .unwrap();
    assert_eq!(v.version.number, 1);
    let reopened = Repository::open(dir.path()).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    reopened
        .checkout(
            &"plate@v1".parse().unwrap(),
            out.path(),
            CheckoutOptions::default(),
            Arc::new(NoProgress),
        )
        .await
        .unwrap();
    assert_eq!(std::fs::read(out.path().join("plate.exr")).unwrap(), data);
}
