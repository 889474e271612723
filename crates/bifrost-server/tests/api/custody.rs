//! Bytes in custody: a remote commit proves it holds what it names, chunk negotiation says
//! nothing about other projects, and a publish the caller may not make uploads nothing.

use bifrost::core::{ChunkId, FileEntry, NewContent};
use bifrost::{Manifest, describe_content};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

/// How a test publish treats the bytes.
#[derive(Clone, Copy, PartialEq)]
enum Bytes {
    /// Upload every chunk the server reports missing.
    Upload,
    /// Upload nothing, but describe the content's chunks in the manifest.
    DescribeOnly,
    /// Upload nothing and describe nothing: name the content by its id alone.
    IdOnly,
}

/// Publishes `data` as file `f.bin` of `project/asset`; (status, body) of the last request
/// made, and the chunk ids the server said were missing.
async fn publish(
    s: &Server,
    token: &str,
    project: &str,
    asset: &str,
    data: &[u8],
    bytes: Bytes,
) -> (StatusCode, Value, Vec<ChunkId>) {
    let (content, ranges) = describe_content(data, s.repo.chunking());
    let (status, body) = s
        .post(
            &format!("/projects/{project}/chunks/missing"),
            token,
            json!({ "asset": asset, "chunks": content.chunks }),
        )
        .await;
    if status != StatusCode::OK {
        return (status, body, Vec::new());
    }
    let missing: Vec<ChunkId> = serde_json::from_value(body["missing"].clone()).unwrap();
    if bytes == Bytes::Upload && !missing.is_empty() {
        let mut upload = Vec::new();
        for (id, range) in content.chunks.iter().zip(&ranges) {
            if missing.contains(id) {
                record(&mut upload, id, &data[range.clone()]);
            }
        }
        let response = s
            .http
            .post(s.api(&format!("/projects/{project}/chunks?asset={asset}")))
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(upload)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    let manifest = Manifest {
        note: "custody".into(),
        files: vec![FileEntry {
            path: "f.bin".into(),
            size: data.len() as u64,
            mode: 0o644,
            content: content.id,
        }],
        contents: if bytes == Bytes::IdOnly {
            Vec::new()
        } else {
            vec![NewContent {
                id: content.id,
                size: content.size,
                chunks: content.chunks.clone(),
            }]
        },
    };
    let (status, body) = s
        .post(
            &format!("/projects/{project}/assets/{asset}/versions"),
            token,
            serde_json::to_value(&manifest).unwrap(),
        )
        .await;
    (status, body, missing)
}

async fn create(s: &Server, project: &str, asset: &str, department: Option<&str>) {
    let mut body = json!({ "name": asset, "type": "prop" });
    if let Some(d) = department {
        body["department"] = json!(d);
    }
    let (status, body) = s
        .post(&format!("/projects/{project}/assets"), &s.admin, body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn version_count(s: &Server, project: &str, asset: &str) -> u64 {
    let (status, body) = s
        .get(
            &format!("/projects/{project}/assets/{asset}/versions"),
            &s.admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["total"].as_u64().unwrap()
}

async fn pack_count(s: &Server) -> (usize, u64) {
    let stats = s.repo.stats().await.unwrap();
    let fsck = s
        .repo
        .fsck(false, std::sync::Arc::new(bifrost::NoProgress))
        .await
        .unwrap();
    (
        fsck.unreferenced_packs.len() + fsck.packs_checked as usize,
        stats.stored_bytes,
    )
}

#[tokio::test]
async fn another_projects_content_needs_proof_of_possession() {
    each_backend(|backend| async move {
        let s = Server::start(backend).await;
        let (status, body) = s
            .post("/projects", &s.admin, json!({ "name": "secret" }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        create(&s, "secret", "vault", None).await;
        create(&s, "main", "scene", None).await;
        // Several chunks, so that the secret is not one small blob.
        let secret = noise(3 << 20, 41);
        let (status, body, _) =
            publish(&s, &s.admin, "secret", "vault", &secret, Bytes::Upload).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let ana = s.member("ana", "artist", &[]).await;
        let (content, _) = describe_content(&secret, s.repo.chunking());

        // Negotiation reveals nothing: every chunk of the secret is "missing" for ana.
        let (status, body) = s
            .post(
                "/projects/main/chunks/missing",
                &ana,
                json!({ "asset": "scene", "chunks": content.chunks }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let missing: Vec<ChunkId> = serde_json::from_value(body["missing"].clone()).unwrap();
        assert_eq!(missing.len(), content.chunks.len(), "{body}");

        // Naming the secret's content id, with or without its chunk list, is refused.
        for bytes in [Bytes::IdOnly, Bytes::DescribeOnly] {
            let (status, body, _) = publish(&s, &ana, "main", "scene", &secret, bytes).await;
            assert_eq!(status, StatusCode::CONFLICT, "{body}");
            assert_eq!(code(&body), "content_not_uploaded", "{body}");
        }
        assert_eq!(version_count(&s, "main", "scene").await, 0);

        // Uploading the bytes proves possession: then the commit is accepted, and the store
        // keeps the bytes once.
        let stored = s.repo.stats().await.unwrap().stored_bytes;
        let (status, body, missing) =
            publish(&s, &ana, "main", "scene", &secret, Bytes::Upload).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(missing.len(), content.chunks.len());
        assert_eq!(
            s.repo.stats().await.unwrap().stored_bytes,
            stored,
            "known chunks are verified, not stored again"
        );
        let response = s
            .http
            .get(s.api("/projects/main/assets/scene/versions/1/files/f.bin"))
            .bearer_auth(&ana)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.bytes().await.unwrap() == secret);

        // Within her project, what is already there is not asked for again.
        create(&s, "main", "copy", None).await;
        let (status, body, missing) =
            publish(&s, &ana, "main", "copy", &secret, Bytes::IdOnly).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert!(missing.is_empty(), "{missing:?}");
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_publish_that_would_be_refused_uploads_nothing() {
    each_backend(|backend| async move {
        let s = Server::start(backend).await;
        for department in ["modeling", "animation"] {
            let (status, body) = s
                .post(
                    "/projects/main/departments",
                    &s.admin,
                    json!({ "name": department }),
                )
                .await;
            // New projects may come with them.
            assert!(status.is_success() || code(&body) == "exists", "{body}");
        }
        create(&s, "main", "rig", Some("modeling")).await;
        let vendor = s.member("vic", "vendor", &[]).await;
        let animator = s.member("ana", "artist", &["animation"]).await;
        let modeler = s.member("mo", "artist", &["modeling"]).await;
        let other = s.member("oz", "artist", &[]).await;
        let (status, body) = s
            .post("/projects/main/assets/rig/lock", &other, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let data = noise(1 << 20, 5);
        let (content, ranges) = describe_content(&data, s.repo.chunking());
        let mut upload = Vec::new();
        for (id, range) in content.chunks.iter().zip(&ranges) {
            record(&mut upload, id, &data[range.clone()]);
        }
        let before = pack_count(&s).await;
        for (who, token, status, expected) in [
            ("a vendor", &vendor, StatusCode::FORBIDDEN, "forbidden"),
            (
                "another department",
                &animator,
                StatusCode::FORBIDDEN,
                "forbidden",
            ),
            (
                "not the lock holder",
                &modeler,
                StatusCode::CONFLICT,
                "locked",
            ),
        ] {
            let (got, body) = s
                .post(
                    "/projects/main/chunks/missing",
                    token,
                    json!({ "asset": "rig", "chunks": content.chunks }),
                )
                .await;
            assert_eq!((got, code(&body)), (status, expected), "{who}: {body}");
            let response = s.upload_for(token, "rig", upload.clone()).await;
            assert_eq!(response.status(), status, "{who}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(code(&body), expected, "{who}: {body}");
            assert_eq!(pack_count(&s).await, before, "{who}'s upload stored bytes");
        }
        // Once the lock is gone, the modeler's upload goes through.
        let (status, body) = s
            .call(
                reqwest::Method::DELETE,
                "/projects/main/assets/rig/lock",
                Some(&other),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body, _) = publish(&s, &modeler, "main", "rig", &data, Bytes::Upload).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_ne!(pack_count(&s).await, before);
        s.stop().await;
    })
    .await;
}
