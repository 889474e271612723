//! A repository whose store is an S3 bucket (an in-process s3s server on a loopback port).

use bifrost_store::testing::{S3TestServer, SECRET_KEY};
use serde_json::json;

use crate::support::*;

#[test]
fn s3_store_round_trip() {
    // The server runs on this runtime's worker threads while the test thread runs the CLI.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let server = runtime
        .block_on(S3TestServer::start("assets"))
        .expect("start the S3 test server");
    let url = server.store_url("assets", "repo");

    let repo = Repo::bare();
    let init = repo.json(&["init", "--store", &url]);
    let shown = init["store"].as_str().unwrap();
    assert!(shown.starts_with("s3://assets/repo"), "{init}");
    assert!(
        !shown.contains(SECRET_KEY),
        "init printed the secret key: {init}"
    );
    assert!(
        !repo.store().exists(),
        "an S3 repository must not make a local store"
    );

    repo.create_asset("hero", "prop");
    repo.create_asset("copy", "prop");
    let dir = repo.work("hero");
    write_random(&dir.join("mesh.bin"), 4 * 1024 * 1024, 41);
    write_file(
        &dir.join("tex/albedo.txt"),
        &b"albedo ".repeat(10_000),
        0o644,
    );
    write_file(&dir.join("bin/run.sh"), b"#!/bin/sh\n", 0o755);
    write_file(&dir.join("empty"), b"", 0o644);
    let v1 = published_tree(&[&dir]);
    repo.publish("hero", &[&dir]);
    let dup = repo.publish("copy", &[&dir.join("mesh.bin")]);
    assert_eq!(dup["bytes_stored"], 0, "the copy must deduplicate: {dup}");

    // The packs are objects in the bucket under the prefix.
    let objects = all_files(&server.data_dir().join("assets/repo/packs"));
    assert!(
        objects
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "pack")),
        "no pack objects in the bucket: {objects:?}"
    );

    let dest = repo.work("out");
    repo.checkout("hero@v1", &dest);
    assert_tree(&dest, &v1);
    let dest = repo.work("out_copy");
    repo.checkout("copy", &dest);
    assert_tree(&dest, &published_tree(&[&dir.join("mesh.bin")]));

    let fsck = repo.json(&["fsck", "--read-data"]);
    assert_eq!(fsck["problems"], json!([]), "{fsck}");
    assert!(fsck["chunks_verified"].as_u64().unwrap() > 0, "{fsck}");
    let stats = repo.json(&["stats"]);
    let stored = stats["stored_bytes"].as_u64().unwrap();
    let logical = stats["logical_bytes"].as_u64().unwrap();
    assert!(stored > 4 * 1024 * 1024 && stored < logical, "{stats}");
    assert_eq!(stats["versions"], 2);

    let gc = repo.json(&["gc", "--grace", "0", "--force"]);
    assert_eq!(gc["packs_deleted"], 0, "{gc}");
    assert_eq!(repo.json(&["fsck", "--read-data"])["problems"], json!([]));

    // A pack deleted behind the repository's back is reported missing.
    let pack = objects
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap();
    let id = pack.file_stem().unwrap().to_str().unwrap().to_owned();
    std::fs::remove_file(pack).unwrap();
    let out = repo.run(&["--json", "fsck"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&["fsck"], &out));
    let report = parse_json(&["fsck"], &String::from_utf8_lossy(&out.stdout));
    assert!(
        report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["kind"] == "missing_pack" && p["object"] == id.as_str()),
        "{report}"
    );

    drop(server);
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
}
