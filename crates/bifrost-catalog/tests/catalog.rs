//! Catalog behaviour, run against both backends: SQLite in a temporary directory and PostgreSQL
//! on a fresh database per test (`bifrost_test_<random>` on the server named by
//! `BIFROST_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`).
//! PostgreSQL tests fail, never skip, when the server cannot be reached.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bifrost_catalog::{Catalog, CatalogError, Journal};
use bifrost_core::{
    AssetFilter, ChunkId, ContentId, FileEntry, NameKind, NewAsset, NewContent, PackId,
    VersionSelector,
};
use chrono::Utc;
use rand::Rng;
use sqlx::Connection;

#[macro_use]
mod common;

use common::*;

both_backends!(
    projects,
    assets,
    tokens_in_projects,
    asset_filters,
    versions,
    version_errors,
    content_locations,
    many_content_locations,
    store_index,
    missing_chunks_commit_nothing,
    bad_paths_commit_nothing,
    concurrent_commits,
    stats,
    gc_dead_and_live_packs,
    gc_replace_pack,
    fsck,
    reconnect,
);

// ---------------------------------------------------------------------------------------------
// Scenarios

async fn projects(ctx: &Ctx) {
    let cat = &ctx.cat;
    assert!(cat.list_projects().await.unwrap().is_empty());
    let film = cat
        .create_project("film", &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(film.name, "film");
    cat.create_project("Ad_2025", &mut Journal::none())
        .await
        .unwrap();
    let long = "é".repeat(200);
    cat.create_project(&long, &mut Journal::none())
        .await
        .unwrap();
    cat.create_project("バレル", &mut Journal::none())
        .await
        .unwrap();

    let names: Vec<String> = cat
        .list_projects()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    // Byte-wise order on both backends.
    assert_eq!(
        names,
        vec![
            "Ad_2025".to_owned(),
            "film".into(),
            long.clone(),
            "バレル".into()
        ]
    );
    assert_eq!(cat.get_project("film").await.unwrap(), film);
    assert_eq!(cat.get_project(&long).await.unwrap().name, long);

    let err = cat
        .create_project("film", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::ProjectExists { name } if name == "film"),
        "{err}"
    );
    assert!(err.to_string().contains("already exists"), "{err}");

    for bad in ["", "-x", "a b", "a/b", "a@v1", &"a".repeat(201)] {
        let err = cat
            .create_project(bad, &mut Journal::none())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CatalogError::InvalidName(e) if e.kind == NameKind::Project),
            "{bad}: {err}"
        );
    }
    let err = cat.get_project("nope").await.unwrap_err();
    assert!(
        matches!(&err, CatalogError::ProjectNotFound { name } if name == "nope"),
        "{err}"
    );
    assert_eq!(cat.list_projects().await.unwrap().len(), 4);
}

async fn assets(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    cat.create_project("other", &mut Journal::none())
        .await
        .unwrap();

    let mut metadata = BTreeMap::new();
    metadata.insert("fps".to_owned(), serde_json::json!(24));
    metadata.insert(
        "shots".to_owned(),
        serde_json::json!([{"id": "sh010", "frames": [1001, 1100]}, null, true, 1.5, "ü"]),
    );
    let asset = cat
        .create_asset(
            "film",
            &NewAsset {
                name: "hero".to_owned(),
                asset_type: "character".to_owned(),
                tags: vec!["dept:anim".into(), "main".into(), "dept:anim".into()],
                metadata: metadata.clone(),
                department: None,
            },
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(asset.project, "film");
    assert_eq!(asset.tags, vec!["dept:anim".to_owned(), "main".into()]);
    assert_eq!(asset.latest_version, None);

    let got = cat.get_asset("film", "hero").await.unwrap();
    assert_eq!(got, asset);
    assert_eq!(got.metadata, metadata);

    // Same name in another project is fine.
    cat.create_asset(
        "other",
        &new_asset("hero", "prop", &[]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    // Long and non-ASCII names.
    let long = "ß".repeat(200);
    cat.create_asset(
        "film",
        &new_asset(&long, "prop", &["ヒーロー"]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    assert_eq!(
        cat.get_asset("film", &long).await.unwrap().tags,
        vec!["ヒーロー"]
    );

    let err = cat
        .create_asset(
            "film",
            &new_asset("hero", "prop", &[]),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::AssetExists { project, name } if project == "film" && name == "hero"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "asset `hero` already exists in project `film`; pick another name or publish a new version of it"
    );
    let err = cat
        .create_asset("nope", &new_asset("x", "prop", &[]), &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::ProjectNotFound { .. }), "{err}");
    for (asset, kind) in [
        (new_asset("bad name", "prop", &[]), NameKind::Asset),
        (new_asset(&"a".repeat(201), "prop", &[]), NameKind::Asset),
        (new_asset("ok", "", &[]), NameKind::AssetType),
        (new_asset("ok", "pr op", &[]), NameKind::AssetType),
    ] {
        let err = cat
            .create_asset("film", &asset, &mut Journal::none())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CatalogError::InvalidName(e) if e.kind == kind),
            "{err}"
        );
    }
    let err = cat
        .create_asset(
            "film",
            &new_asset("ok", "prop", &["bad tag"]),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::InvalidName(e) if e.to_string().contains("tag")),
        "{err}"
    );
    // Nothing half-created by the refusals.
    assert!(matches!(
        cat.get_asset("film", "ok").await.unwrap_err(),
        CatalogError::AssetNotFound { .. }
    ));

    let err = cat.get_asset("film", "villain").await.unwrap_err();
    assert!(
        matches!(&err, CatalogError::AssetNotFound { project, name } if project == "film" && name == "villain"),
        "{err}"
    );
    let err = cat.get_asset("nope", "hero").await.unwrap_err();
    assert!(matches!(err, CatalogError::ProjectNotFound { .. }), "{err}");

    // The asset with its workflow status, read in the same single statement.
    let (with_status, status) = cat.asset_with_status("film", "hero").await.unwrap();
    assert_eq!((with_status, status.as_str()), (asset.clone(), "wtg"));
    cat.set_status(
        "film",
        &bifrost_core::production::EntityRef::Asset("hero".into()),
        "ip",
        "ana",
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let (with_status, status) = cat.asset_with_status("film", "hero").await.unwrap();
    assert_eq!((with_status, status.as_str()), (asset, "ip"));
    let (untagged, _) = cat.asset_with_status("other", "hero").await.unwrap();
    assert!(untagged.tags.is_empty());
    let err = cat.asset_with_status("film", "villain").await.unwrap_err();
    assert!(
        matches!(&err, CatalogError::AssetNotFound { project, name } if project == "film" && name == "villain"),
        "{err}"
    );
    let err = cat.asset_with_status("nope", "hero").await.unwrap_err();
    assert!(matches!(err, CatalogError::ProjectNotFound { .. }), "{err}");
}

/// A token's user and their standing in a project, read in one statement: the same user and
/// role as `authenticate_token`, the same membership as `membership`, refused alike.
async fn tokens_in_projects(ctx: &Ctx) {
    use bifrost_core::access::TokenKind;
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    cat.create_project("other", &mut Journal::none())
        .await
        .unwrap();
    for (user, role) in [("root", "admin"), ("ana", "artist"), ("vic", "vendor")] {
        cat.create_user(user, user, role, None, &mut Journal::none())
            .await
            .unwrap();
        cat.create_token(
            user,
            &format!("{user}1"),
            "t",
            TokenKind::Personal,
            &format!("{user}-hash"),
            None,
            &mut Journal::none(),
        )
        .await
        .unwrap();
    }
    cat.set_member(
        "film",
        "ana",
        "artist",
        &["fx".into(), "animation".into()],
        &mut Journal::none(),
    )
    .await
    .unwrap();
    // A membership role other than the global one.
    cat.set_member("film", "vic", "supervisor", &[], &mut Journal::none())
        .await
        .unwrap();

    for (user, project, exists) in [
        ("ana", "film", true),
        ("ana", "other", true),
        ("ana", "nowhere", false),
        ("vic", "film", true),
        ("root", "film", true),
        ("root", "nowhere", false),
    ] {
        let found = cat
            .authenticate_token_in_project(&format!("{user}1"), &format!("{user}-hash"), project)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{user}'s token on {project}"));
        let (alone_user, alone_role) = cat
            .authenticate_token(&format!("{user}1"), &format!("{user}-hash"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((&found.user, &found.role), (&alone_user, &alone_role));
        assert_eq!(found.project_exists, exists, "{user} on {project}");
        assert_eq!(
            found.membership,
            cat.membership(project, user).await.unwrap(),
            "{user} on {project}"
        );
    }
    let ana = cat
        .authenticate_token_in_project("ana1", "ana-hash", "film")
        .await
        .unwrap()
        .unwrap();
    let (member, role) = ana.membership.unwrap();
    assert_eq!(member.departments, vec!["animation", "fx"]);
    assert_eq!(role, cat.get_role("artist").await.unwrap());
    let vic = cat
        .authenticate_token_in_project("vic1", "vic-hash", "film")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(vic.role.name, "vendor");
    assert_eq!(
        vic.membership.unwrap().1,
        cat.get_role("supervisor").await.unwrap()
    );

    // Refused, whatever the project: wrong secret, unknown token, revoked, expired, disabled.
    let refused = |id: &'static str, hash: &'static str| async move {
        for project in ["film", "nowhere"] {
            assert!(
                cat.authenticate_token_in_project(id, hash, project)
                    .await
                    .unwrap()
                    .is_none(),
                "{id} on {project}"
            );
        }
        assert!(
            cat.authenticate_token(id, hash).await.unwrap().is_none(),
            "{id}"
        );
    };
    refused("ana1", "vic-hash").await;
    refused("ana1", "ana-has").await;
    refused("nobody", "ana-hash").await;
    cat.create_token(
        "ana",
        "ana2",
        "t",
        TokenKind::Personal,
        "ana2-hash",
        None,
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.revoke_token("ana2", &mut Journal::none())
        .await
        .unwrap();
    refused("ana2", "ana2-hash").await;
    cat.create_token(
        "ana",
        "ana3",
        "t",
        TokenKind::Personal,
        "ana3-hash",
        Some(Utc::now() - chrono::Duration::seconds(1)),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    refused("ana3", "ana3-hash").await;
    cat.update_user("vic", None, Some(true), None, &mut Journal::none())
        .await
        .unwrap();
    refused("vic1", "vic-hash").await;
}

async fn asset_filters(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    cat.create_project("other", &mut Journal::none())
        .await
        .unwrap();
    for (name, ty, tags) in [
        ("crate", "prop", &["env", "wood"][..]),
        ("barrel", "prop", &["env"][..]),
        ("hero", "character", &["main", "env"][..]),
        ("villain", "character", &["main"][..]),
        ("sky", "texture", &[][..]),
    ] {
        cat.create_asset("film", &new_asset(name, ty, tags), &mut Journal::none())
            .await
            .unwrap();
    }
    cat.create_asset(
        "other",
        &new_asset("lamp", "prop", &["env"]),
        &mut Journal::none(),
    )
    .await
    .unwrap();

    let names = |assets: Vec<bifrost_core::Asset>| -> Vec<String> {
        assets.into_iter().map(|a| a.name).collect()
    };
    let list = |ty: Option<&str>, tags: &[&str]| AssetFilter {
        asset_type: ty.map(str::to_owned),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
    };
    assert_eq!(
        names(
            cat.list_assets("film", &AssetFilter::default())
                .await
                .unwrap()
        ),
        vec!["barrel", "crate", "hero", "sky", "villain"]
    );
    assert_eq!(
        names(
            cat.list_assets("film", &list(Some("prop"), &[]))
                .await
                .unwrap()
        ),
        vec!["barrel", "crate"]
    );
    assert_eq!(
        names(
            cat.list_assets("film", &list(None, &["env"]))
                .await
                .unwrap()
        ),
        vec!["barrel", "crate", "hero"]
    );
    assert_eq!(
        names(
            cat.list_assets("film", &list(None, &["env", "main"]))
                .await
                .unwrap()
        ),
        vec!["hero"]
    );
    assert_eq!(
        names(
            cat.list_assets("film", &list(None, &["env", "env", "wood"]))
                .await
                .unwrap()
        ),
        vec!["crate"]
    );
    assert_eq!(
        names(
            cat.list_assets("film", &list(Some("character"), &["main"]))
                .await
                .unwrap()
        ),
        vec!["hero", "villain"]
    );
    assert!(
        cat.list_assets("film", &list(Some("prop"), &["main"]))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        cat.list_assets("film", &list(Some("nothing"), &[]))
            .await
            .unwrap()
            .is_empty()
    );

    let all = cat
        .list_assets("film", &AssetFilter::default())
        .await
        .unwrap();
    let hero = all.iter().find(|a| a.name == "hero").unwrap();
    assert_eq!(hero.tags, vec!["env", "main"]);
    assert_eq!(hero.asset_type, "character");
    assert!(
        all.iter()
            .find(|a| a.name == "sky")
            .unwrap()
            .tags
            .is_empty()
    );
    assert!(matches!(
        cat.list_assets("nope", &AssetFilter::default())
            .await
            .unwrap_err(),
        CatalogError::ProjectNotFound { .. }
    ));
}

async fn versions(ctx: &Ctx) {
    let cat = &ctx.cat;
    film_hero(cat).await;
    let (a, b, c) = (chunk("a"), chunk("b"), chunk("c"));
    cat.record_pack(&pack_of("p1", &[a, b, c])).await.unwrap();
    let geo = content_of("geo", &[a, b]);
    let tex = content_of("tex", &[c]);
    let empty = content_of("empty", &[]);

    let v1 = cat
        .commit_version(
            "film",
            "hero",
            &new_version(
                vec![
                    file("tex/diffuse.exr", &tex),
                    file("geo/hero.abc", &geo),
                    file("README", &empty),
                    file("geo/copy.abc", &geo),
                ],
                vec![geo.clone(), tex.clone(), empty.clone(), geo.clone()],
            ),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(v1.number, 1);
    assert_eq!(v1.parent, None);
    assert_eq!(v1.asset, "hero");
    assert_eq!(v1.file_count, 4);
    assert_eq!(v1.total_bytes, 400 + 200 + 400);
    assert_eq!((v1.author.as_str(), v1.note.as_str()), ("ana", "wip"));

    let files = cat.version_files(v1.id).await.unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        vec!["README", "geo/copy.abc", "geo/hero.abc", "tex/diffuse.exr"]
    );
    assert_eq!(files[2], file("geo/hero.abc", &geo));
    assert!(cat.version_files(v1.id + 1000).await.unwrap().is_empty());

    // v2 reuses a known content without describing it again, and changes a mode.
    let mut exe = file("bin/tool", &tex);
    exe.mode = 0o755;
    let v2 = cat
        .commit_version(
            "film",
            "hero",
            &new_version(vec![file("geo/hero.abc", &geo), exe.clone()], vec![]),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(v2.number, 2);
    assert_eq!(v2.parent, Some(v1.id));
    assert_eq!(cat.version_files(v2.id).await.unwrap()[0], exe);

    // An empty version is allowed.
    let v3 = cat
        .commit_version(
            "film",
            "hero",
            &new_version(vec![], vec![]),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(
        (v3.number, v3.parent, v3.file_count, v3.total_bytes),
        (3, Some(v2.id), 0, 0)
    );

    let listed = cat.list_versions("film", "hero").await.unwrap();
    assert_eq!(listed, vec![v1.clone(), v2.clone(), v3.clone()]);
    assert_eq!(
        cat.get_version("film", "hero", VersionSelector::Latest)
            .await
            .unwrap(),
        v3
    );
    assert_eq!(
        cat.get_version("film", "hero", VersionSelector::Number(1))
            .await
            .unwrap(),
        v1
    );
    assert_eq!(
        cat.get_asset("film", "hero").await.unwrap().latest_version,
        Some(3)
    );
    let listed = cat
        .list_assets("film", &AssetFilter::default())
        .await
        .unwrap();
    assert_eq!(listed[0].latest_version, Some(3));
}

async fn version_errors(ctx: &Ctx) {
    let cat = &ctx.cat;
    film_hero(cat).await;
    let err = cat
        .get_version("film", "hero", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::NoVersions { asset } if asset == "hero"),
        "{err}"
    );
    let err = cat
        .get_version("film", "hero", VersionSelector::Number(1))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            CatalogError::VersionNotFound {
                number: 1,
                latest: None,
                ..
            }
        ),
        "{err}"
    );
    for _ in 0..3 {
        cat.commit_version(
            "film",
            "hero",
            &new_version(vec![], vec![]),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    }
    let err = cat
        .get_version("film", "hero", VersionSelector::Number(9))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "version v9 of `hero` does not exist (latest is v3)"
    );
    for (project, asset) in [("film", "villain"), ("nope", "hero")] {
        let err = cat.list_versions(project, asset).await.unwrap_err();
        let expected = if project == "nope" {
            matches!(err, CatalogError::ProjectNotFound { .. })
        } else {
            matches!(err, CatalogError::AssetNotFound { .. })
        };
        assert!(expected, "{err}");
        let err = cat
            .commit_version(
                project,
                asset,
                &new_version(vec![], vec![]),
                &mut Journal::none(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                CatalogError::ProjectNotFound { .. } | CatalogError::AssetNotFound { .. }
            ),
            "{err}"
        );
        assert!(
            cat.get_version(project, asset, VersionSelector::Latest)
                .await
                .is_err()
        );
    }
}

async fn content_locations(ctx: &Ctx) {
    let cat = &ctx.cat;
    film_hero(cat).await;
    let (a, b, c) = (chunk("a"), chunk("b"), chunk("c"));
    let p1 = pack_of("p1", &[a, b]);
    let p2 = pack_of("p2", &[c]);
    cat.record_packs(&[p1.clone(), p2.clone()]).await.unwrap();
    // A chunk repeated inside a file, and chunks from two packs.
    let rep = content_of("rep", &[a, b, a, c, a]);
    let empty = content_of("empty", &[]);
    commit_new(cat, "hero", &[("rep", &rep), ("empty", &empty)]).await;
    let locs = cat.content_locations(&rep.id).await.unwrap();
    let chunks: Vec<ChunkId> = locs.iter().map(|l| l.entry.chunk).collect();
    assert_eq!(chunks, rep.chunks);
    let packs: Vec<PackId> = locs.iter().map(|l| l.pack).collect();
    assert_eq!(packs, vec![p1.id, p1.id, p1.id, p2.id, p1.id]);
    assert_eq!(locs[1].entry, p1.entries[1]);
    assert_eq!(locs[3].entry, p2.entries[0]);
    assert!(cat.content_locations(&empty.id).await.unwrap().is_empty());

    let unknown = ContentId::of(b"nobody");
    let err = cat.content_locations(&unknown).await.unwrap_err();
    assert!(matches!(err, CatalogError::UnknownContent { content } if content == unknown));
    let err = cat
        .content_locations_many(&[rep.id, unknown])
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::UnknownContent { .. }));
    let many = cat
        .content_locations_many(&[rep.id, empty.id, rep.id])
        .await
        .unwrap();
    assert_eq!(many.len(), 2);
    assert_eq!(many[&rep.id], locs);
}

async fn many_content_locations(ctx: &Ctx) {
    let cat = &ctx.cat;
    film_hero(cat).await;
    // 1,200 small files: several lookup batches and several multi-row insert batches.
    let chunks: Vec<ChunkId> = (0..1200).map(|i| chunk(&format!("c{i}"))).collect();
    cat.record_pack(&pack_of("big", &chunks)).await.unwrap();
    let contents: Vec<NewContent> = (0..1200)
        .map(|i| content_of(&format!("f{i}"), &[chunks[i], chunks[(i + 1) % 1200]]))
        .collect();
    let files: Vec<FileEntry> = contents
        .iter()
        .enumerate()
        .map(|(i, c)| file(&format!("dir{}/file{i:04}", i % 7), c))
        .collect();
    let v = cat
        .commit_version(
            "film",
            "hero",
            &new_version(files.clone(), contents.clone()),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(v.file_count, 1200);
    let listed = cat.version_files(v.id).await.unwrap();
    assert_eq!(listed.len(), 1200);
    let mut sorted = files.clone();
    sorted.sort_by(|x, y| x.path.cmp(&y.path));
    assert_eq!(listed, sorted);

    let ids: Vec<ContentId> = contents.iter().map(|c| c.id).collect();
    let start = Instant::now();
    let all = cat.content_locations_many(&ids).await.unwrap();
    eprintln!(
        "{}: content_locations_many(1200) took {:?}",
        cat.backend(),
        start.elapsed()
    );
    assert_eq!(all.len(), 1200);
    for c in &contents {
        let got: Vec<ChunkId> = all[&c.id].iter().map(|l| l.entry.chunk).collect();
        assert_eq!(got, c.chunks);
    }
}

async fn store_index(ctx: &Ctx) {
    let cat = &ctx.cat;
    let chunks: Vec<ChunkId> = (0..3000).map(|i| chunk(&format!("k{i}"))).collect();
    let (stored, absent) = chunks.split_at(1300);
    let pack = pack_of("p", stored);
    cat.record_pack(&pack).await.unwrap();
    // Idempotent.
    cat.record_pack(&pack).await.unwrap();
    cat.record_packs(&[pack.clone(), pack.clone()])
        .await
        .unwrap();
    assert_eq!(cat.list_packs().await.unwrap().len(), 1);
    assert_eq!(cat.stats().await.unwrap().chunks, 1300);

    // Interleaved query order, with repeats.
    let mut query: Vec<ChunkId> = Vec::new();
    for i in 0..1700 {
        query.push(absent[i]);
        query.push(stored[i % 1300]);
    }
    query.push(stored[0]);
    let start = Instant::now();
    let known = cat.known_chunks(&query).await.unwrap();
    eprintln!(
        "{}: known_chunks({}) took {:?}",
        cat.backend(),
        query.len(),
        start.elapsed()
    );
    assert_eq!(known.len(), query.len());
    for (i, k) in known.iter().enumerate() {
        assert_eq!(*k, i % 2 == 1 || i == query.len() - 1, "index {i}");
    }
    assert!(cat.known_chunks(&[]).await.unwrap().is_empty());
    assert_eq!(cat.known_chunks(&[absent[5]]).await.unwrap(), vec![false]);

    // A second pack holding some of the same chunks: the first writer's rows stay.
    let other = pack_of("q", &[stored[0], absent[0]]);
    cat.record_pack(&other).await.unwrap();
    assert_eq!(cat.pack_entries(&pack.id).await.unwrap(), pack.entries);
    assert_eq!(
        cat.pack_entries(&other.id).await.unwrap(),
        vec![other.entries[1]]
    );
    let packs = cat.list_packs().await.unwrap();
    assert_eq!(packs.len(), 2);
    let info = packs.iter().find(|p| p.id == pack.id).unwrap();
    assert_eq!((info.size, info.chunk_count), (pack.size, 1300));
    assert!(
        cat.pack_entries(&PackId::of(b"none"))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn missing_chunks_commit_nothing(ctx: &Ctx) {
    let cat = &ctx.cat;
    film_hero(cat).await;
    let (a, ghost) = (chunk("a"), chunk("ghost"));
    cat.record_pack(&pack_of("p", &[a])).await.unwrap();
    let good = content_of("good", &[a]);
    let bad = content_of("bad", &[a, ghost, ghost]);
    let err = cat
        .commit_version(
            "film",
            "hero",
            &new_version(
                vec![file("good", &good), file("bad", &bad)],
                vec![good.clone(), bad],
            ),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    match &err {
        CatalogError::MissingChunks { missing } => assert_eq!(missing, &vec![ghost]),
        other => panic!("expected MissingChunks, got {other}"),
    }
    assert!(err.to_string().contains("publish again"), "{err}");
    assert!(cat.list_versions("film", "hero").await.unwrap().is_empty());
    let stats = cat.stats().await.unwrap();
    assert_eq!((stats.contents, stats.versions), (0, 0));
    assert!(matches!(
        cat.content_locations(&good.id).await.unwrap_err(),
        CatalogError::UnknownContent { .. }
    ));

    // A file naming a content neither known nor described.
    let err = cat
        .commit_version(
            "film",
            "hero",
            &new_version(vec![file("good", &good)], vec![]),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::UnknownContent { content } if content == good.id));
    assert_eq!(cat.stats().await.unwrap().versions, 0);

    // The same publish succeeds once the chunk is stored; numbering has no gap.
    cat.record_pack(&pack_of("p2", &[ghost])).await.unwrap();
    let bad = content_of("bad", &[a, ghost, ghost]);
    let v = cat
        .commit_version(
            "film",
            "hero",
            &new_version(
                vec![file("good", &good), file("bad", &bad)],
                vec![good, bad],
            ),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(v.number, 1);
}

async fn bad_paths_commit_nothing(ctx: &Ctx) {
    let cat = &ctx.cat;
    film_hero(cat).await;
    let a = chunk("a");
    cat.record_pack(&pack_of("p", &[a])).await.unwrap();
    let c = content_of("c", &[a]);
    for paths in [
        vec!["ok", "../escape"],
        vec!["/etc/passwd"],
        vec!["a//b"],
        vec!["a\\b"],
        vec!["./a"],
        vec![""],
        vec!["same", "other", "same"],
        vec!["dir", "dir/file"],
    ] {
        let files = paths.iter().map(|p| file(p, &c)).collect();
        let err = cat
            .commit_version(
                "film",
                "hero",
                &new_version(files, vec![c.clone()]),
                &mut Journal::none(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, CatalogError::InvalidPath { .. }),
            "{paths:?}: {err}"
        );
    }
    assert!(cat.list_versions("film", "hero").await.unwrap().is_empty());
    assert_eq!(cat.stats().await.unwrap().contents, 0);
}

async fn concurrent_commits(ctx: &Ctx) {
    film_hero(&ctx.cat).await;
    let a = chunk("a");
    ctx.cat.record_pack(&pack_of("p", &[a])).await.unwrap();
    let first = ctx.reopen().await;
    let second = ctx.reopen().await;
    let publish = |cat: Catalog, who: &'static str| {
        tokio::spawn(async move {
            let mut numbers = Vec::new();
            for i in 0..10 {
                let c = content_of(&format!("{who}{i}"), &[a]);
                let mut v = new_version(vec![file("f", &c)], vec![c]);
                v.author = who.to_owned();
                numbers.push(
                    cat.commit_version("film", "hero", &v, &mut Journal::none())
                        .await
                        .unwrap()
                        .number,
                );
            }
            numbers
        })
    };
    let (x, y) = tokio::join!(publish(first.clone(), "x"), publish(second.clone(), "y"));
    let (x, y) = (x.unwrap(), y.unwrap());
    for numbers in [&x, &y] {
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    }
    let mut all: Vec<i64> = x.iter().chain(&y).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (1..=20).collect::<Vec<i64>>());

    let versions = ctx.cat.list_versions("film", "hero").await.unwrap();
    assert_eq!(versions.len(), 20);
    for (i, v) in versions.iter().enumerate() {
        assert_eq!(v.number, i as i64 + 1);
        assert_eq!(
            v.parent,
            if i == 0 {
                None
            } else {
                Some(versions[i - 1].id)
            }
        );
    }
    assert_eq!(versions.iter().filter(|v| v.author == "x").count(), 10);
    first.close().await;
    second.close().await;
}

async fn stats(ctx: &Ctx) {
    let cat = &ctx.cat;
    assert_eq!(
        cat.stats().await.unwrap(),
        bifrost_core::RepoStats::default()
    );
    film_hero(cat).await;
    cat.create_asset(
        "film",
        &new_asset("prop", "prop", &[]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.create_project("empty", &mut Journal::none())
        .await
        .unwrap();
    let (a, b) = (chunk("a"), chunk("b"));
    let p1 = pack_of("p1", &[a]);
    let p2 = pack_of("p2", &[b]);
    cat.record_packs(&[p1.clone(), p2.clone()]).await.unwrap();
    let x = content_of("x", &[a, a]);
    let y = content_of("y", &[b]);
    commit_new(cat, "hero", &[("x", &x), ("y", &y)]).await;
    cat.commit_version(
        "film",
        "hero",
        &new_version(vec![file("x", &x)], vec![]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.commit_version(
        "film",
        "prop",
        &new_version(vec![file("x", &x), file("x2", &x)], vec![]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let s = cat.stats().await.unwrap();
    assert_eq!(s.logical_bytes, (400 + 200) + 400 + 800);
    assert_eq!(s.stored_bytes, p1.size + p2.size);
    assert_eq!((s.chunks, s.packs, s.contents), (2, 2, 2));
    assert_eq!((s.versions, s.assets, s.projects), (3, 2, 2));
}

async fn gc_dead_and_live_packs(ctx: &Ctx) {
    let cat = &ctx.cat;
    film_hero(cat).await;
    let (a, b, c) = (chunk("a"), chunk("b"), chunk("c"));
    let live = pack_of("live", &[a, b]);
    let dead = pack_of("dead", &[c]);
    cat.record_packs(&[live.clone(), dead.clone()])
        .await
        .unwrap();
    let x = content_of("x", &[a]);
    let v = commit_new(cat, "hero", &[("x", &x)]).await;

    assert!(
        cat.pack_usage(Utc::now() - chrono::Duration::hours(1))
            .await
            .unwrap()
            .is_empty()
    );
    let usage = cat
        .pack_usage(Utc::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(usage.len(), 2);
    let u_live = usage.iter().find(|u| u.id == live.id).unwrap();
    assert_eq!(u_live.total_chunks, 2);
    assert_eq!(u_live.live, vec![live.entries[0]]);
    assert_eq!(u_live.live_bytes, 100);
    assert_eq!(u_live.size, live.size);
    let u_dead = usage.iter().find(|u| u.id == dead.id).unwrap();
    assert_eq!((u_dead.total_chunks, u_dead.live_bytes), (1, 0));
    assert!(u_dead.live.is_empty());

    assert!(!cat.delete_dead_pack(&live.id).await.unwrap());
    assert!(cat.delete_dead_pack(&dead.id).await.unwrap());
    assert!(
        !cat.delete_dead_pack(&dead.id).await.unwrap(),
        "already gone"
    );
    assert_eq!(
        cat.known_chunks(&[a, b, c]).await.unwrap(),
        vec![true, true, false]
    );
    assert_eq!(cat.list_packs().await.unwrap().len(), 1);
    assert_eq!(cat.delete_unreferenced_contents().await.unwrap(), 0);

    // Once the only version naming x loses its files, x and then the pack become garbage.
    ctx.tamper("DELETE FROM version_files WHERE content_id = $1", &x.id.0)
        .await;
    assert!(cat.version_files(v.id).await.unwrap().is_empty());
    assert_eq!(cat.delete_unreferenced_contents().await.unwrap(), 1);
    assert_eq!(cat.stats().await.unwrap().contents, 0);
    assert!(cat.delete_dead_pack(&live.id).await.unwrap());
    assert!(cat.list_packs().await.unwrap().is_empty());
    assert_eq!(cat.stats().await.unwrap().chunks, 0);
}

async fn gc_replace_pack(ctx: &Ctx) {
    let cat = &ctx.cat;
    film_hero(cat).await;
    let (a, b, c) = (chunk("a"), chunk("b"), chunk("c"));
    let old = pack_of("old", &[a, b, c]);
    cat.record_pack(&old).await.unwrap();
    let x = content_of("x", &[c, a]);
    commit_new(cat, "hero", &[("x", &x)]).await;
    let usage = cat
        .pack_usage(Utc::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(usage[0].live, vec![old.entries[0], old.entries[2]]);
    assert_eq!(usage[0].live_bytes, 200);

    // A repack that forgot a live chunk is refused, leaving everything as it was.
    let partial = pack_of("partial", &[a]);
    assert!(!cat.replace_pack(&old.id, &partial).await.unwrap());
    assert_eq!(cat.list_packs().await.unwrap().len(), 1);
    assert_eq!(cat.pack_entries(&old.id).await.unwrap(), old.entries);

    // The live chunks, copied (in another order) into a new pack.
    let new = pack_of("new", &[c, a]);
    assert!(cat.replace_pack(&old.id, &new).await.unwrap());
    let packs = pack_ids(cat).await;
    assert_eq!(packs, vec![new.id]);
    assert!(cat.pack_entries(&old.id).await.unwrap().is_empty());
    assert_eq!(cat.pack_entries(&new.id).await.unwrap(), new.entries);
    let locs = cat.content_locations(&x.id).await.unwrap();
    assert!(locs.iter().all(|l| l.pack == new.id));
    assert_eq!(locs[0].entry, new.entries[0]);
    assert_eq!(locs[1].entry, new.entries[1]);
    assert_eq!(
        cat.known_chunks(&[a, b, c]).await.unwrap(),
        vec![true, false, true]
    );
    assert!(cat.chunks_in_missing_packs().await.unwrap().is_empty());
}

async fn fsck(ctx: &Ctx) {
    let cat = &ctx.cat;
    film_hero(cat).await;
    let (a, b, c) = (chunk("a"), chunk("b"), chunk("c"));
    let p1 = pack_of("p1", &[a, b]);
    let p2 = pack_of("p2", &[c]);
    cat.record_packs(&[p1.clone(), p2.clone()]).await.unwrap();
    let x = content_of("x", &[a, b, a]);
    let y = content_of("y", &[c]);
    commit_new(cat, "hero", &[("x", &x), ("dir/y", &y)]).await;
    assert!(cat.dangling_chunk_refs().await.unwrap().is_empty());
    assert!(cat.dangling_content_refs().await.unwrap().is_empty());
    assert!(cat.chunks_in_missing_packs().await.unwrap().is_empty());

    ctx.tamper("DELETE FROM chunks WHERE id = $1", &a.0).await;
    assert_eq!(cat.dangling_chunk_refs().await.unwrap(), vec![(x.id, a)]);
    let err = cat.content_locations(&x.id).await.unwrap_err();
    assert!(
        matches!(&err, CatalogError::MissingChunks { missing } if missing == &vec![a]),
        "{err}"
    );

    ctx.tamper("DELETE FROM contents WHERE id = $1", &y.id.0)
        .await;
    assert_eq!(
        cat.dangling_content_refs().await.unwrap(),
        vec![("film/hero".to_owned(), 1, "dir/y".to_owned(), y.id)]
    );

    ctx.tamper("DELETE FROM packs WHERE id = $1", &p1.id.0)
        .await;
    assert_eq!(cat.chunks_in_missing_packs().await.unwrap(), vec![b]);
    let packs = pack_ids(cat).await;
    assert_eq!(packs, vec![p2.id]);
}

async fn reconnect(ctx: &Ctx) {
    film_hero(&ctx.cat).await;
    // Migrations are idempotent; a second handle sees the same data.
    let again = ctx.reopen().await;
    assert_eq!(again.get_asset("film", "hero").await.unwrap().name, "hero");
    let clone = again.clone();
    again.close().await;
    drop(clone);
    let third = Catalog::connect(&ctx.url, true).await.unwrap();
    assert_eq!(third.list_projects().await.unwrap().len(), 1);
    third.close().await;
}

// ---------------------------------------------------------------------------------------------
// Connecting

#[tokio::test]
async fn sqlite_accepts_numbered_placeholders() {
    let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .unwrap();
    let (sum, first): (i64, i64) = sqlx::query_as("SELECT $1 + $2, $1")
        .bind(40i64)
        .bind(2i64)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!((sum, first), (42, 40));
}

#[tokio::test]
async fn missing_sqlite_file_without_create_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nothing.db");
    for url in [
        path.display().to_string(),
        format!("sqlite:{}", path.display()),
        format!("sqlite://{}", path.display()),
    ] {
        let err = Catalog::connect(&url, false).await.unwrap_err();
        assert!(matches!(err, CatalogError::NotFound { .. }), "{url}: {err}");
    }
    assert!(!path.exists());
    // A bare path with create works, and reopening without create then finds it.
    let cat = Catalog::connect(&path.display().to_string(), true)
        .await
        .unwrap();
    cat.close().await;
    let cat = Catalog::connect(&format!("sqlite://{}", path.display()), false)
        .await
        .unwrap();
    assert_eq!(cat.backend(), "sqlite");
    cat.close().await;
}

#[tokio::test]
async fn refused_connection_fails_fast() {
    let start = Instant::now();
    let err = Catalog::connect("postgres://postgres:hunter2@127.0.0.1:1/x", true)
        .await
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(matches!(err, CatalogError::Unreachable { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("server is running"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(
        message.contains("postgres://postgres:***@127.0.0.1:1/x"),
        "{message}"
    );
}

#[tokio::test]
async fn silent_server_times_out() {
    // Accepts TCP connections but never says a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let start = Instant::now();
    let err = Catalog::connect(&format!("postgres://postgres@127.0.0.1:{port}/x"), false)
        .await
        .unwrap_err();
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    assert!(matches!(err, CatalogError::Unreachable { .. }), "{err}");
    drop(listener);
}

#[tokio::test]
async fn missing_postgres_database_without_create_is_not_found() {
    let name = format!("bifrost_test_{:016x}", rand::rng().random::<u64>());
    let url = pg_url(&pg_base(), &name);
    match Catalog::connect(&url, false).await {
        Err(CatalogError::NotFound { .. }) => {}
        Err(e @ CatalogError::Unreachable { .. }) => {
            panic!("these tests need PostgreSQL at {} : {e}", pg_base())
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    let err = Catalog::connect("mysql://root@localhost/x", true)
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::InvalidUrl { .. }), "{err}");
}

#[tokio::test]
async fn postgres_refuses_nul_as_invalid_text_not_a_database_failure() {
    let ctx = Ctx::postgres().await;
    ctx.cat
        .create_project("film", &mut Journal::none())
        .await
        .unwrap();
    let mut asset = new_asset("hero", "prop", &[]);
    asset
        .metadata
        .insert("note".into(), serde_json::json!("a\u{0}b"));
    let err = ctx
        .cat
        .create_asset("film", &asset, &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::InvalidValue { .. }), "{err:?}");
    assert!(err.to_string().contains("U+0000"), "{err}");
    assert!(ctx.cat.get_asset("film", "hero").await.is_err());
}
