//! The production model (workflow, sequences and shots, statuses, tasks, links, deletion,
//! review, comments, history, search, saved searches, collections, reports, bulk import), run
//! against both backends with the harness of `common/`. A few tests compare the two backends
//! directly, check migrating an existing catalog, and check that lookups use indexes.

use std::collections::BTreeMap;
use std::time::Instant;

use bifrost_catalog::{Catalog, CatalogError, Journal};
use bifrost_core::production::{
    BatchVersion, Dependency, EntityRef, FIELD_NAME, FIELD_REVIEW_STATUS, FIELD_STATUS,
    FIELD_TASK_ASSIGNEE, FIELD_TASK_STATUS, Link, LinkKind, Metadata, MetadataUpdate, NewShot,
    ProductionBatch, ProductionNameKind, ReviewStatus, SearchHit, ShotUpdate, StatusReport, Target,
    TaskFilter, TaskUpdate, Workflow, iso_week_label,
};
use bifrost_core::query::{self, Query};
use bifrost_core::{NewAsset, NewVersion, VersionSelector};
use chrono::{Duration, TimeZone, Utc};
use rand::Rng;
use sqlx::{AssertSqlSafe, Connection};

#[macro_use]
mod common;

use common::*;

both_backends!(
    workflow_and_departments,
    sequences_and_shots,
    statuses_follow_the_workflow,
    tasks,
    links_and_dependencies,
    dependency_cycles,
    deleting_assets,
    renaming_sequences_and_shots,
    deleting_shots,
    deleting_sequences,
    removing_and_moving_statuses,
    review_metadata_comments_history,
    search_filters,
    search_text,
    search_refuses_and_survives_injection,
    saved_searches_and_collections,
    reports,
    bulk_import,
    bulk_import_refusals,
    names_long_and_non_ascii,
    reindex_matches_incremental_documents,
);

// ---------------------------------------------------------------------------------------------
// Fixtures

fn meta(json: serde_json::Value) -> Metadata {
    serde_json::from_value(json).unwrap()
}

fn asset(name: &str) -> EntityRef {
    EntityRef::asset(name)
}

fn shot(sequence: &str, name: &str) -> EntityRef {
    EntityRef::shot(sequence, name)
}

fn link(src: &EntityRef, dst: &EntityRef, kind: LinkKind, pin: Option<i64>) -> Link {
    Link {
        src: src.clone(),
        dst: dst.clone(),
        kind,
        pin,
    }
}

/// A version with no files (the production model does not care about bytes).
fn note_version(author: &str, note: &str) -> NewVersion {
    NewVersion {
        author: author.to_owned(),
        note: note.to_owned(),
        files: Vec::new(),
        contents: Vec::new(),
    }
}

fn asset_with(name: &str, asset_type: &str, tags: &[&str], metadata: Metadata) -> NewAsset {
    NewAsset {
        metadata,
        ..new_asset(name, asset_type, tags)
    }
}

fn parse(text: &str) -> Query {
    query::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// `kind:name` for each hit (`kind:project/name` when searching every project).
async fn find(cat: &Catalog, project: Option<&str>, text: &str) -> Vec<String> {
    cat.search(project, &parse(text), 1000, 0)
        .await
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .into_iter()
        .map(|h| match project {
            Some(_) => format!("{}:{}", h.kind, h.name),
            None => format!("{}:{}/{}", h.kind, h.project, h.name),
        })
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// What `entity` of project `film` links to directly (`deps`, one level).
async fn deps_of(cat: &Catalog, entity: &EntityRef) -> Vec<Dependency> {
    cat.deps("film", entity, false).await.unwrap()
}

/// What links to `entity` of project `film` directly (`used_by`, one level).
async fn users_of(cat: &Catalog, entity: &EntityRef) -> Vec<Dependency> {
    cat.used_by("film", entity, false).await.unwrap()
}

/// Creates `prop` assets `names` in `project`.
async fn create_props(cat: &Catalog, project: &str, names: &[&str]) {
    for name in names {
        cat.create_asset(project, &new_asset(name, "prop", &[]), &mut Journal::none())
            .await
            .unwrap();
    }
}

/// Creates `sequence` (no metadata) in `project` with `shots`, each over frames `frames`.
async fn sequence_with_shots(
    cat: &Catalog,
    project: &str,
    sequence: &str,
    shots: &[&str],
    frames: (i64, i64),
) {
    cat.create_sequence(project, sequence, &Metadata::new(), &mut Journal::none())
        .await
        .unwrap();
    for name in shots {
        cat.create_shot(
            project,
            &NewShot::new(sequence, *name, frames.0, frames.1),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    }
}

/// Projects `film` and `ad` with a small production: assets with versions, sequences, shots
/// (one with a non-ASCII name), links, tasks and comments.
async fn production_fixture(cat: &Catalog) {
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    cat.create_project("ad", &mut Journal::none())
        .await
        .unwrap();
    let assets = [
        asset_with(
            "hero",
            "character",
            &["main", "dept:anim"],
            meta(serde_json::json!({
                "fps": 24, "poly": 12000, "rig": {"approved": true}, "code": "42",
                "notes": ["ok", null]
            })),
        ),
        asset_with(
            "hero_rig",
            "rig",
            &["main"],
            meta(serde_json::json!({"poly": 800})),
        ),
        asset_with(
            "heroXrig",
            "prop",
            &[],
            meta(serde_json::json!({"poly": "many"})),
        ),
        asset_with(
            "barrel",
            "prop",
            &["wip"],
            meta(serde_json::json!({"poly": 500.5, "colour": "red"})),
        ),
        asset_with("シーン資産", "prop", &[], Metadata::new()),
    ];
    for a in &assets {
        cat.create_asset("film", a, &mut Journal::none())
            .await
            .unwrap();
    }
    cat.create_asset("ad", &new_asset("hero", "prop", &[]), &mut Journal::none())
        .await
        .unwrap();
    cat.commit_version(
        "film",
        "hero",
        &note_version("ana", "first blockout"),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.commit_version_with_meta(
        "film",
        "hero",
        &note_version("bob", "Big explosion fix"),
        &meta(serde_json::json!({"frames": 240, "renderer": "arnold"})),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.commit_version(
        "film",
        "hero_rig",
        &note_version("ana", "rig build"),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.set_status("film", &asset("hero"), "ip", "ana", &mut Journal::none())
        .await
        .unwrap();

    cat.create_sequence(
        "film",
        "SQ010",
        &meta(serde_json::json!({"location": "forest"})),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.create_sequence("film", "シーン", &Metadata::new(), &mut Journal::none())
        .await
        .unwrap();
    let mut sh010 = NewShot::new("SQ010", "SH010", 1001, 1100);
    sh010.metadata = meta(serde_json::json!({"cam": {"lens": 35}}));
    cat.create_shot("film", &sh010, &mut Journal::none())
        .await
        .unwrap();
    let mut sh020 = NewShot::new("SQ010", "SH020", 1001, 1050);
    sh020.metadata = meta(serde_json::json!({"cam": {"lens": 50}}));
    sh020.fps = Some(25.0);
    cat.create_shot("film", &sh020, &mut Journal::none())
        .await
        .unwrap();
    cat.create_shot(
        "film",
        &NewShot::new("シーン", "カット010", 0, 10),
        &mut Journal::none(),
    )
    .await
    .unwrap();

    cat.link(
        "film",
        &link(
            &shot("SQ010", "SH010"),
            &asset("hero"),
            LinkKind::Reference,
            Some(2),
        ),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.link(
        "film",
        &link(
            &shot("SQ010", "SH020"),
            &asset("barrel"),
            LinkKind::Reference,
            None,
        ),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.create_task(
        "film",
        &shot("SQ010", "SH010"),
        "animation",
        Some("alice"),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.create_task(
        "film",
        &asset("hero"),
        "lighting",
        Some("bob"),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.add_comment(
        "film",
        &Target::Entity(shot("SQ010", "SH010")),
        "dave",
        "camera shake too strong",
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.add_comment(
        "film",
        &Target::Entity(asset("barrel")),
        "carol",
        "looks like a red barrel",
        &mut Journal::none(),
    )
    .await
    .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Scenarios

async fn workflow_and_departments(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    let workflow = cat.workflow("film").await.unwrap();
    assert_eq!(workflow, Workflow::default());
    assert_eq!(
        workflow.statuses,
        strings(&[
            "wtg", "ip", "review", "approved", "final", "on-hold", "omit"
        ])
    );
    assert_eq!(
        cat.departments("film").await.unwrap(),
        strings(&["layout", "animation", "fx", "lighting", "comp"])
    );

    // Statuses and transitions.
    let wf = cat
        .add_status("film", "client-review", &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(wf.statuses.last().unwrap(), "client-review");
    let err = cat
        .add_status("film", "ip", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::StatusExists { .. }), "{err}");
    let err = cat
        .add_status("film", "bad status", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::InvalidProductionName(e) if e.kind == ProductionNameKind::Status),
        "{err}"
    );
    let wf = cat
        .add_transition("film", "review", "client-review", &mut Journal::none())
        .await
        .unwrap();
    assert!(wf.allows("review", "client-review"));
    cat.add_transition("film", "client-review", "approved", &mut Journal::none())
        .await
        .unwrap();
    let err = cat
        .add_transition("film", "review", "client-review", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::TransitionExists { .. }),
        "{err}"
    );
    let err = cat
        .add_transition("film", "ip", "nope", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::UnknownStatus { status, known, .. } if status == "nope" && known.len() == 8),
        "{err}"
    );
    assert!(
        err.to_string().contains("known statuses: wtg, ip, review"),
        "{err}"
    );
    let err = cat
        .add_transition("film", "ip", "ip", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::InvalidValue { .. }), "{err}");
    let err = cat
        .add_transition("film", "ip", "*", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::UnknownStatus { .. }), "{err}");
    cat.add_transition("film", "*", "client-review", &mut Journal::none())
        .await
        .unwrap();
    let wf = cat
        .remove_transition("film", "*", "client-review", &mut Journal::none())
        .await
        .unwrap();
    assert!(!wf.allows("wtg", "client-review"));
    let err = cat
        .remove_transition("film", "wtg", "final", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::TransitionNotFound { .. }),
        "{err}"
    );

    // Departments.
    let departments = cat
        .add_department("film", "matte-painting", &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(departments.last().unwrap(), "matte-painting");
    let err = cat
        .add_department("film", "fx", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::DepartmentExists { .. }),
        "{err}"
    );
    let departments = cat
        .remove_department("film", "fx", &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(
        departments,
        strings(&["layout", "animation", "lighting", "comp", "matte-painting"])
    );
    let err = cat
        .remove_department("film", "fx", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::DepartmentNotFound { .. }),
        "{err}"
    );
    cat.add_department("film", "fx", &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(cat.departments("film").await.unwrap().last().unwrap(), "fx");

    // Another project keeps its own defaults; unknown projects are refused.
    cat.create_project("other", &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(cat.workflow("other").await.unwrap(), Workflow::default());
    assert_eq!(cat.departments("other").await.unwrap().len(), 5);
    assert!(matches!(
        cat.workflow("nope").await.unwrap_err(),
        CatalogError::ProjectNotFound { .. }
    ));
}

async fn sequences_and_shots(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    let seq = cat
        .create_sequence(
            "film",
            "SQ020",
            &meta(serde_json::json!({"act": 1})),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(seq.name, "SQ020");
    cat.create_sequence("film", "SQ010", &Metadata::new(), &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(cat.get_sequence("film", "SQ020").await.unwrap(), seq);
    let names: Vec<String> = cat
        .list_sequences("film")
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, strings(&["SQ010", "SQ020"]));
    let err = cat
        .create_sequence("film", "SQ010", &Metadata::new(), &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::SequenceExists { .. }), "{err}");
    let err = cat.get_sequence("film", "SQ999").await.unwrap_err();
    assert!(
        matches!(err, CatalogError::SequenceNotFound { .. }),
        "{err}"
    );

    // Sequence metadata: merged (nested objects too) or replaced, and searchable at once.
    let updated = cat
        .update_sequence_metadata(
            "film",
            "SQ020",
            &MetadataUpdate::Merge(meta(serde_json::json!({"cam": {"lens": 35}}))),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&updated.metadata).unwrap(),
        serde_json::json!({"act": 1, "cam": {"lens": 35}})
    );
    assert_eq!(cat.get_sequence("film", "SQ020").await.unwrap(), updated);
    assert_eq!(
        find(cat, Some("film"), "meta.cam.lens:35").await,
        strings(&["sequence:SQ020"])
    );
    let replaced = cat
        .update_sequence_metadata(
            "film",
            "SQ020",
            &MetadataUpdate::Replace(Metadata::new()),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert!(replaced.metadata.is_empty());
    assert!(find(cat, Some("film"), "meta.cam.lens:35").await.is_empty());
    let err = cat
        .update_sequence_metadata(
            "film",
            "SQ999",
            &MetadataUpdate::Replace(Metadata::new()),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::SequenceNotFound { .. }),
        "{err}"
    );

    let sh = cat
        .create_shot(
            "film",
            &NewShot::new("SQ010", "SH020", 1001, 1100),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(sh.fps, 24.0);
    assert_eq!(sh.status, "wtg");
    assert_eq!(sh.frame_count(), 100);
    assert_eq!(sh.reference(), shot("SQ010", "SH020"));
    let mut sh010 = NewShot::new("SQ010", "SH010", 0, 0);
    sh010.fps = Some(23.976);
    sh010.metadata = meta(serde_json::json!({"cam": {"lens": 35, "body": "alexa"}, "x": 1}));
    cat.create_shot("film", &sh010, &mut Journal::none())
        .await
        .unwrap();
    cat.create_shot(
        "film",
        &NewShot::new("SQ020", "SH010", 5, 6),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    assert_eq!(cat.get_shot("film", "SQ010", "SH020").await.unwrap(), sh);
    let all: Vec<String> = cat
        .list_shots("film", None)
        .await
        .unwrap()
        .iter()
        .map(|s| s.reference().to_string())
        .collect();
    assert_eq!(all, strings(&["SQ010/SH010", "SQ010/SH020", "SQ020/SH010"]));
    let in_seq = cat.list_shots("film", Some("SQ020")).await.unwrap();
    assert_eq!(in_seq.len(), 1);
    assert!(matches!(
        cat.list_shots("film", Some("SQ999")).await.unwrap_err(),
        CatalogError::SequenceNotFound { .. }
    ));

    // Bad input.
    for (start, end) in [(1100, 1001), (-1, 10), (-5, -1)] {
        let err = cat
            .create_shot(
                "film",
                &NewShot::new("SQ010", "SH030", start, end),
                &mut Journal::none(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CatalogError::InvalidFrameRange { start: s, end: e, .. } if *s == start && *e == end),
            "{err}"
        );
        assert!(err.to_string().contains("SQ010/SH030"), "{err}");
    }
    for fps in [0.0, -24.0, f64::NAN, f64::INFINITY] {
        let mut bad = NewShot::new("SQ010", "SH030", 1, 2);
        bad.fps = Some(fps);
        let err = cat
            .create_shot("film", &bad, &mut Journal::none())
            .await
            .unwrap_err();
        assert!(matches!(err, CatalogError::InvalidFps { .. }), "{err}");
    }
    let err = cat
        .create_shot(
            "film",
            &NewShot::new("SQ999", "SH010", 1, 2),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::SequenceNotFound { .. }),
        "{err}"
    );
    let err = cat
        .create_shot(
            "film",
            &NewShot::new("SQ010", "SH010", 1, 2),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::ShotExists { shot, .. } if shot == "SQ010/SH010"),
        "{err}"
    );
    for (seq, name, kind) in [
        ("SQ010", "a b", ProductionNameKind::Shot),
        ("SQ010", "a/b", ProductionNameKind::Shot),
        ("", "SH1", ProductionNameKind::Sequence),
    ] {
        let err = cat
            .create_shot("film", &NewShot::new(seq, name, 1, 2), &mut Journal::none())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CatalogError::InvalidProductionName(e) if e.kind == kind),
            "{err}"
        );
    }
    let err = cat.get_shot("film", "SQ010", "SH999").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "shot `SQ010/SH999` does not exist in project `film`"
    );
    assert_eq!(cat.list_shots("film", None).await.unwrap().len(), 3);

    // Updates: frames, rate, metadata merged or replaced.
    let updated = cat
        .update_shot(
            "film",
            "SQ010",
            "SH010",
            &ShotUpdate {
                frame_end: Some(48),
                fps: Some(25.0),
                metadata: Some(MetadataUpdate::Merge(meta(
                    serde_json::json!({"cam": {"lens": 50}, "x": null, "y": "new"}),
                ))),
                ..ShotUpdate::default()
            },
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!((updated.frame_start, updated.frame_end), (0, 48));
    assert_eq!(updated.fps, 25.0);
    assert_eq!(
        updated.metadata,
        meta(serde_json::json!({"cam": {"lens": 50, "body": "alexa"}, "y": "new"}))
    );
    assert_eq!(
        cat.get_shot("film", "SQ010", "SH010").await.unwrap(),
        updated
    );
    let replaced = cat
        .update_shot(
            "film",
            "SQ010",
            "SH010",
            &ShotUpdate {
                metadata: Some(MetadataUpdate::Replace(meta(serde_json::json!({"z": 1})))),
                ..ShotUpdate::default()
            },
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(replaced.metadata, meta(serde_json::json!({"z": 1})));
    let err = cat
        .update_shot(
            "film",
            "SQ010",
            "SH010",
            &ShotUpdate {
                frame_start: Some(100),
                ..ShotUpdate::default()
            },
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CatalogError::InvalidFrameRange {
                start: 100,
                end: 48,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        cat.get_shot("film", "SQ010", "SH010").await.unwrap(),
        replaced
    );

    // Asset metadata updates.
    cat.create_asset(
        "film",
        &asset_with(
            "hero",
            "character",
            &[],
            meta(serde_json::json!({"a": 1, "b": 2})),
        ),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let m = cat
        .update_asset_metadata(
            "film",
            "hero",
            &MetadataUpdate::Merge(meta(serde_json::json!({"a": null, "c": 3}))),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(m, meta(serde_json::json!({"b": 2, "c": 3})));
    assert_eq!(cat.get_asset("film", "hero").await.unwrap().metadata, m);
}

async fn statuses_follow_the_workflow(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    sequence_with_shots(cat, "film", "SQ010", &["SH010"], (1001, 1100)).await;
    cat.create_asset(
        "film",
        &new_asset("hero", "character", &[]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let sh = shot("SQ010", "SH010");
    assert_eq!(cat.entity_status("film", &sh).await.unwrap(), "wtg");
    assert_eq!(
        cat.entity_status("film", &asset("hero")).await.unwrap(),
        "wtg"
    );

    let err = cat
        .set_status("film", &sh, "approved", "ana", &mut Journal::none())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "illegal status change `wtg → approved` for SQ010/SH010; allowed next: ip, on-hold, omit"
    );
    assert!(
        matches!(&err, CatalogError::IllegalTransition { allowed, .. } if allowed == &strings(&["ip", "on-hold", "omit"]))
    );
    let err = cat
        .set_status("film", &sh, "done", "ana", &mut Journal::none())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "status `done` is not in the workflow of project `film`; known statuses: wtg, ip, review, approved, final, on-hold, omit"
    );
    let err = cat
        .set_status("film", &sh, "wtg", "ana", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::IllegalTransition { .. }),
        "{err}"
    );
    let err = cat
        .set_status("film", &sh, "ip", " ", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::InvalidValue { .. }), "{err}");
    let err = cat
        .set_status(
            "film",
            &shot("SQ010", "SH999"),
            "ip",
            "ana",
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::ShotNotFound { .. }), "{err}");
    let err = cat
        .set_status("film", &asset("nope"), "ip", "ana", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::AssetNotFound { .. }), "{err}");

    for (status, who) in [
        ("ip", "ana"),
        ("review", "bob"),
        ("ip", "sup"),
        ("review", "bob"),
        ("approved", "sup"),
        ("on-hold", "prod"),
        ("review", "prod"),
        ("omit", "prod"),
        ("wtg", "prod"),
    ] {
        let entry = cat
            .set_status("film", &sh, status, who, &mut Journal::none())
            .await
            .unwrap();
        assert_eq!(entry.new.as_deref(), Some(status));
        assert_eq!(entry.author, who);
        assert_eq!(entry.field, FIELD_STATUS);
    }
    let err = cat
        .set_status("film", &sh, "final", "ana", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::IllegalTransition { .. }),
        "{err}"
    );
    assert_eq!(
        cat.get_shot("film", "SQ010", "SH010").await.unwrap().status,
        "wtg"
    );

    let history = cat
        .history("film", &Target::Entity(sh.clone()))
        .await
        .unwrap();
    assert_eq!(history.len(), 9);
    assert_eq!(history[0].old.as_deref(), Some("omit"));
    assert_eq!(history[0].new.as_deref(), Some("wtg"));
    assert_eq!(history[8].old.as_deref(), Some("wtg"));
    assert_eq!(history[8].new.as_deref(), Some("ip"));
    assert!(
        history
            .windows(2)
            .all(|w| w[0].id > w[1].id && w[0].at >= w[1].at)
    );
    assert!(
        history
            .iter()
            .all(|h| h.target == Target::Entity(sh.clone()))
    );

    // Asset statuses; a custom status reachable by a new transition.
    cat.add_status("film", "client", &mut Journal::none())
        .await
        .unwrap();
    cat.add_transition("film", "ip", "client", &mut Journal::none())
        .await
        .unwrap();
    cat.set_status("film", &asset("hero"), "ip", "ana", &mut Journal::none())
        .await
        .unwrap();
    cat.set_status(
        "film",
        &asset("hero"),
        "client",
        "ana",
        &mut Journal::none(),
    )
    .await
    .unwrap();
    assert_eq!(
        cat.entity_status("film", &asset("hero")).await.unwrap(),
        "client"
    );
    let err = cat
        .set_status("film", &asset("hero"), "ip", "ana", &mut Journal::none())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "illegal status change `client → ip` for hero; allowed next: on-hold, omit"
    );
    // New shots and assets start in the first status.
    cat.create_asset(
        "film",
        &new_asset("prop", "prop", &[]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    assert_eq!(
        cat.entity_status("film", &asset("prop")).await.unwrap(),
        "wtg"
    );
}

async fn tasks(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    sequence_with_shots(cat, "film", "SQ010", &["SH010", "SH020"], (1, 10)).await;
    cat.create_asset(
        "film",
        &new_asset("hero", "character", &[]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let sh1 = shot("SQ010", "SH010");
    let sh2 = shot("SQ010", "SH020");
    let t = cat
        .create_task(
            "film",
            &sh1,
            "animation",
            Some("alice"),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(t.status, "wtg");
    assert_eq!(t.assignee.as_deref(), Some("alice"));
    assert_eq!(t.entity, sh1);
    cat.create_task("film", &sh1, "layout", None, &mut Journal::none())
        .await
        .unwrap();
    cat.create_task("film", &sh2, "animation", Some("bob"), &mut Journal::none())
        .await
        .unwrap();
    cat.create_task(
        "film",
        &asset("hero"),
        "lighting",
        Some("alice"),
        &mut Journal::none(),
    )
    .await
    .unwrap();

    let err = cat
        .create_task("film", &sh1, "animation", None, &mut Journal::none())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "SQ010/SH010 already has a task in department `animation`; update it instead"
    );
    let err = cat
        .create_task("film", &sh1, "catering", None, &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::DepartmentNotFound { known, .. } if known.len() == 5),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("known departments: layout, animation"),
        "{err}"
    );
    let err = cat
        .create_task(
            "film",
            &shot("SQ010", "SH999"),
            "layout",
            None,
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::ShotNotFound { .. }), "{err}");
    let err = cat
        .create_task(
            "film",
            &sh2,
            "layout",
            Some("not a user"),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::InvalidProductionName(_)),
        "{err}"
    );

    let describe = |tasks: Vec<bifrost_core::production::Task>| -> Vec<String> {
        tasks
            .into_iter()
            .map(|t| format!("{} {}", t.entity, t.department))
            .collect()
    };
    let all = cat
        .list_tasks("film", &TaskFilter::default())
        .await
        .unwrap();
    assert_eq!(
        describe(all),
        strings(&[
            "hero lighting",
            "SQ010/SH010 layout",
            "SQ010/SH010 animation",
            "SQ010/SH020 animation"
        ])
    );
    let by_entity = TaskFilter {
        entity: Some(sh1.clone()),
        ..TaskFilter::default()
    };
    assert_eq!(cat.list_tasks("film", &by_entity).await.unwrap().len(), 2);
    let by_assignee = TaskFilter {
        assignee: Some("alice".into()),
        ..TaskFilter::default()
    };
    assert_eq!(
        describe(cat.list_tasks("film", &by_assignee).await.unwrap()),
        strings(&["hero lighting", "SQ010/SH010 animation"])
    );
    let by_department = TaskFilter {
        department: Some("animation".into()),
        assignee: Some("bob".into()),
        ..TaskFilter::default()
    };
    assert_eq!(
        describe(cat.list_tasks("film", &by_department).await.unwrap()),
        strings(&["SQ010/SH020 animation"])
    );

    // Updates follow the workflow and are recorded.
    let t = cat
        .update_task(
            "film",
            &sh1,
            "animation",
            &TaskUpdate {
                status: Some("ip".into()),
                assignee: Some(Some("bob".into())),
            },
            "sup",
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(
        (t.status.as_str(), t.assignee.as_deref()),
        ("ip", Some("bob"))
    );
    assert!(t.updated_at >= t.created_at);
    let err = cat
        .update_task(
            "film",
            &sh1,
            "animation",
            &TaskUpdate {
                status: Some("final".into()),
                assignee: None,
            },
            "sup",
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "illegal status change `ip → final` for SQ010/SH010 [animation]; allowed next: review, on-hold, omit"
    );
    let t = cat
        .update_task(
            "film",
            &sh1,
            "animation",
            &TaskUpdate {
                status: None,
                assignee: Some(None),
            },
            "sup",
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(t.assignee, None);
    let err = cat
        .update_task(
            "film",
            &sh2,
            "fx",
            &TaskUpdate::default(),
            "sup",
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::TaskNotFound { .. }), "{err}");
    let history = cat
        .history("film", &Target::Entity(sh1.clone()))
        .await
        .unwrap();
    let fields: Vec<(&str, Option<&str>, Option<&str>)> = history
        .iter()
        .map(|h| (h.field.as_str(), h.old.as_deref(), h.new.as_deref()))
        .collect();
    assert_eq!(
        fields,
        vec![
            (FIELD_TASK_ASSIGNEE, Some("bob"), None),
            (FIELD_TASK_ASSIGNEE, Some("alice"), Some("bob")),
            (FIELD_TASK_STATUS, Some("wtg"), Some("ip")),
        ]
    );
    assert!(
        history
            .iter()
            .all(|h| h.department.as_deref() == Some("animation"))
    );

    // A department in use cannot be removed.
    let err = cat
        .remove_department("film", "animation", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::DepartmentInUse { tasks: 2, .. }),
        "{err}"
    );
    cat.delete_task("film", &sh1, "layout", &mut Journal::none())
        .await
        .unwrap();
    cat.remove_department("film", "layout", &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(
        cat.list_tasks("film", &TaskFilter::default())
            .await
            .unwrap()
            .len(),
        3
    );
}

async fn links_and_dependencies(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    create_props(
        cat,
        "film",
        &["hero", "hero_rig", "hero_tex", "barrel", "set"],
    )
    .await;
    for _ in 0..3 {
        cat.commit_version(
            "film",
            "hero_rig",
            &note_version("ana", "wip"),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    }
    sequence_with_shots(cat, "film", "SQ010", &["SH010"], (1, 2)).await;
    let sh = shot("SQ010", "SH010");
    let l = |s: &EntityRef, d: &EntityRef, k, p| link(s, d, k, p);
    cat.link(
        "film",
        &l(&sh, &asset("hero"), LinkKind::Reference, None),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.link(
        "film",
        &l(&sh, &asset("set"), LinkKind::Reference, None),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.link(
        "film",
        &l(
            &asset("hero"),
            &asset("hero_rig"),
            LinkKind::Reference,
            Some(2),
        ),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.link(
        "film",
        &l(
            &asset("hero"),
            &asset("hero_tex"),
            LinkKind::Reference,
            None,
        ),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.link(
        "film",
        &l(&asset("set"), &asset("barrel"), LinkKind::Member, None),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    // Same pair, another kind: a different link.
    cat.link(
        "film",
        &l(
            &asset("hero_rig"),
            &asset("hero_tex"),
            LinkKind::DerivedFrom,
            None,
        ),
        &mut Journal::none(),
    )
    .await
    .unwrap();

    let dep = |depth, e: EntityRef, kind, pin| Dependency {
        depth,
        entity: e,
        kind,
        pin,
    };
    assert_eq!(
        deps_of(cat, &sh).await,
        vec![
            dep(1, asset("hero"), LinkKind::Reference, None),
            dep(1, asset("set"), LinkKind::Reference, None),
        ]
    );
    assert_eq!(
        cat.deps("film", &sh, true).await.unwrap(),
        vec![
            dep(1, asset("hero"), LinkKind::Reference, None),
            dep(1, asset("set"), LinkKind::Reference, None),
            dep(2, asset("barrel"), LinkKind::Member, None),
            dep(2, asset("hero_rig"), LinkKind::Reference, Some(2)),
            dep(2, asset("hero_tex"), LinkKind::Reference, None),
            dep(3, asset("hero_tex"), LinkKind::DerivedFrom, None),
        ]
    );
    assert_eq!(
        users_of(cat, &asset("hero_tex")).await,
        vec![
            dep(1, asset("hero"), LinkKind::Reference, None),
            dep(1, asset("hero_rig"), LinkKind::DerivedFrom, None),
        ]
    );
    assert_eq!(
        cat.used_by("film", &asset("hero_tex"), true).await.unwrap(),
        vec![
            dep(1, asset("hero"), LinkKind::Reference, None),
            dep(1, asset("hero_rig"), LinkKind::DerivedFrom, None),
            dep(2, asset("hero"), LinkKind::Reference, Some(2)),
            dep(2, sh.clone(), LinkKind::Reference, None),
        ]
    );
    assert!(
        cat.deps("film", &asset("barrel"), true)
            .await
            .unwrap()
            .is_empty()
    );

    // Refusals.
    let err = cat
        .link(
            "film",
            &l(&asset("hero"), &asset("hero"), LinkKind::Reference, None),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "cannot link hero to itself");
    let err = cat
        .link(
            "film",
            &l(&sh, &asset("hero"), LinkKind::Reference, None),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::LinkExists { .. }), "{err}");
    let err = cat
        .link(
            "film",
            &l(&sh, &asset("ghost"), LinkKind::Reference, None),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::AssetNotFound { name, .. } if name == "ghost"),
        "{err}"
    );
    let err = cat
        .link(
            "film",
            &l(
                &shot("SQ010", "SH404"),
                &asset("hero"),
                LinkKind::Reference,
                None,
            ),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::ShotNotFound { .. }), "{err}");
    let err = cat
        .link(
            "film",
            &l(
                &asset("barrel"),
                &asset("hero_rig"),
                LinkKind::Reference,
                Some(4),
            ),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CatalogError::VersionNotFound {
                number: 4,
                latest: Some(3),
                ..
            }
        ),
        "{err}"
    );
    let err = cat
        .link(
            "film",
            &l(
                &asset("barrel"),
                &asset("hero_tex"),
                LinkKind::Reference,
                Some(1),
            ),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::VersionNotFound { latest: None, .. }),
        "{err}"
    );
    let err = cat
        .link(
            "film",
            &l(&asset("barrel"), &sh, LinkKind::Reference, Some(1)),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::InvalidPin { .. }), "{err}");
    let err = cat
        .link(
            "nope",
            &l(&asset("barrel"), &sh, LinkKind::Reference, None),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::ProjectNotFound { .. }), "{err}");

    // Unlinking.
    cat.unlink(
        "film",
        &asset("set"),
        &asset("barrel"),
        LinkKind::Member,
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let err = cat
        .unlink(
            "film",
            &asset("set"),
            &asset("barrel"),
            LinkKind::Member,
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::LinkNotFound { .. }), "{err}");
    assert!(
        cat.used_by("film", &asset("barrel"), true)
            .await
            .unwrap()
            .is_empty()
    );

    // An asset used by thousands: impact stays one indexed walk.
    let batch = ProductionBatch {
        assets: (0..2000)
            .map(|i| new_asset(&format!("user{i:04}"), "prop", &[]))
            .collect(),
        links: (0..2000)
            .map(|i| {
                link(
                    &asset(&format!("user{i:04}")),
                    &asset("barrel"),
                    LinkKind::Reference,
                    None,
                )
            })
            .collect(),
        ..ProductionBatch::default()
    };
    cat.bulk_import("film", &batch, &mut Journal::none())
        .await
        .unwrap();
    let started = Instant::now();
    let users = cat.used_by("film", &asset("barrel"), true).await.unwrap();
    assert_eq!(users.len(), 2000);
    assert!(
        started.elapsed().as_secs_f64() < 2.0,
        "{:?}",
        started.elapsed()
    );
}

async fn dependency_cycles(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    create_props(cat, "film", &["a", "b", "c", "d"]).await;
    sequence_with_shots(cat, "film", "SQ", &["SH"], (1, 2)).await;
    let l = |s: &str, d: &str, k| link(&asset(s), &asset(d), k, None);
    cat.link(
        "film",
        &l("a", "b", LinkKind::Reference),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    // Direct cycle.
    let err = cat
        .link(
            "film",
            &l("b", "a", LinkKind::Reference),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot link: it would create a cycle b → a → b; remove one of these links first"
    );
    // Across kinds too.
    let err = cat
        .link("film", &l("b", "a", LinkKind::Member), &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::LinkCycle { .. }), "{err}");
    // Three steps.
    cat.link(
        "film",
        &l("b", "c", LinkKind::DerivedFrom),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let err = cat
        .link("film", &l("c", "a", LinkKind::Member), &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::LinkCycle { cycle } if cycle == &strings(&["c", "a", "b", "c"])),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("cannot link: it would create a cycle c → a → b → c"),
        "{err}"
    );
    // Through a shot.
    cat.link(
        "film",
        &link(&asset("c"), &shot("SQ", "SH"), LinkKind::Reference, None),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let err = cat
        .link(
            "film",
            &link(&shot("SQ", "SH"), &asset("a"), LinkKind::Reference, None),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("cycle SQ/SH → a → b → c → SQ/SH"),
        "{err}"
    );
    // Diamonds are fine.
    cat.link(
        "film",
        &l("a", "d", LinkKind::Reference),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.link(
        "film",
        &l("d", "c", LinkKind::Reference),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let deps = cat.deps("film", &asset("a"), true).await.unwrap();
    let c = deps
        .iter()
        .filter(|d| d.entity == asset("c"))
        .map(|d| d.depth)
        .min();
    assert_eq!(c, Some(2));
    // Nothing of the refused links was recorded.
    assert!(deps_of(cat, &asset("c")).await.len() == 1);
}

async fn deleting_assets(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    film_hero_with_bytes(cat).await;
    create_props(cat, "film", &["rig", "set"]).await;
    sequence_with_shots(cat, "film", "SQ", &["SH"], (1, 2)).await;
    cat.link(
        "film",
        &link(&asset("set"), &asset("hero"), LinkKind::Member, Some(1)),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.link(
        "film",
        &link(&shot("SQ", "SH"), &asset("hero"), LinkKind::Reference, None),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.link(
        "film",
        &link(&asset("hero"), &asset("rig"), LinkKind::Reference, None),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.create_task(
        "film",
        &asset("hero"),
        "fx",
        Some("ana"),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.set_status("film", &asset("hero"), "ip", "ana", &mut Journal::none())
        .await
        .unwrap();
    cat.set_review_status(
        "film",
        "hero",
        1,
        ReviewStatus::Approved,
        "sup",
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.add_comment(
        "film",
        &Target::version("hero", 1),
        "sup",
        "zorblax",
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.add_comment(
        "film",
        &Target::Entity(asset("hero")),
        "sup",
        "quuxly",
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.add_favourite("film", "ana", &asset("hero"), &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(find(cat, Some("film"), "zorblax").await.len(), 2);

    let err = cat
        .delete_asset("film", "hero", false, &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::HasDependants { dependants, .. } if dependants == &strings(&["SQ/SH", "set"])),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "asset `hero` is used by SQ/SH, set; unlink them first, or force the deletion (which removes those links too)"
    );
    assert!(cat.get_asset("film", "hero").await.is_ok());
    // An asset nothing uses goes without force.
    cat.create_asset(
        "film",
        &new_asset("spare", "prop", &[]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.delete_asset("film", "spare", false, &mut Journal::none())
        .await
        .unwrap();

    let before = cat.stats().await.unwrap();
    let deleted = cat
        .delete_asset("film", "hero", true, &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(deleted.versions, 2);
    assert_eq!(deleted.links, 3);
    assert!(matches!(
        cat.get_asset("film", "hero").await.unwrap_err(),
        CatalogError::AssetNotFound { .. }
    ));
    assert!(deps_of(cat, &asset("set")).await.is_empty());
    assert!(deps_of(cat, &shot("SQ", "SH")).await.is_empty());
    assert!(users_of(cat, &asset("rig")).await.is_empty());
    assert!(cat.favourites("film", "ana").await.unwrap().is_empty());
    assert!(
        cat.list_tasks("film", &TaskFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        find(cat, Some("film"), "zorblax OR quuxly OR hero")
            .await
            .is_empty()
    );
    let after = cat.stats().await.unwrap();
    assert_eq!(after.versions, before.versions - 2);
    assert_eq!(after.assets, before.assets - 1);
    // Its contents are now garbage.
    assert_eq!(cat.delete_unreferenced_contents().await.unwrap(), 2);
    // The name can be used again, with a clean history.
    cat.create_asset(
        "film",
        &new_asset("hero", "prop", &[]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    assert!(
        cat.history("film", &Target::Entity(asset("hero")))
            .await
            .unwrap()
            .is_empty()
    );
    let err = cat
        .delete_asset("film", "ghost", true, &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::AssetNotFound { .. }), "{err}");
}

/// Asset `hero` of `film` with two versions that have real files.
async fn film_hero_with_bytes(cat: &Catalog) {
    cat.create_asset(
        "film",
        &new_asset("hero", "character", &[]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let chunks = [chunk("c1"), chunk("c2")];
    cat.record_pack(&pack_of("p1", &chunks)).await.unwrap();
    for (i, name) in ["one", "two"].iter().enumerate() {
        let content = content_of(name, &chunks[i..=i]);
        commit_new(cat, "hero", &[("f.bin", &content)]).await;
    }
}

/// The positions of a project's statuses as stored, in order (they must be 0, 1, 2…).
async fn stored_positions(ctx: &Ctx, project: &str) -> Vec<i64> {
    let sql = "SELECT w.position FROM workflow_statuses w JOIN projects p ON p.id = w.project_id \
               WHERE p.name = $1 ORDER BY w.position";
    match &ctx.backing {
        Backing::Sqlite { path, .. } => {
            let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .unwrap();
            let positions = sqlx::query_scalar::<_, i64>(sql)
                .bind(project)
                .fetch_all(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
            positions
        }
        Backing::Postgres { url, .. } => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let positions = sqlx::query_scalar::<_, i64>(sql)
                .bind(project)
                .fetch_all(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
            positions
        }
    }
}

/// `kind:name` hits of a search in `film`, sorted.
async fn found(cat: &Catalog, text: &str) -> Vec<String> {
    let mut hits = find(cat, Some("film"), text).await;
    hits.sort();
    hits
}

async fn renaming_sequences_and_shots(ctx: &Ctx) {
    let cat = &ctx.cat;
    production_fixture(cat).await;
    assert_eq!(
        found(cat, "SQ010").await,
        strings(&["sequence:SQ010", "shot:SQ010/SH010", "shot:SQ010/SH020"])
    );

    // A sequence: its shots follow, in the catalog and in the search.
    let renamed = cat
        .rename_sequence("film", "SQ010", "SQ015", &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(renamed.name, "SQ015");
    assert_eq!(
        renamed.metadata,
        meta(serde_json::json!({"location": "forest"}))
    );
    assert_eq!(
        found(cat, "SQ015").await,
        strings(&["sequence:SQ015", "shot:SQ015/SH010", "shot:SQ015/SH020"])
    );
    assert!(found(cat, "SQ010").await.is_empty());
    assert_eq!(
        found(cat, "seq:SQ015 kind:shot").await,
        strings(&["shot:SQ015/SH010", "shot:SQ015/SH020"])
    );
    assert!(found(cat, "seq:SQ010").await.is_empty());
    // A comment's text still finds its shot, under the new name.
    assert_eq!(found(cat, "shake").await, strings(&["shot:SQ015/SH010"]));
    assert!(matches!(
        cat.get_sequence("film", "SQ010").await.unwrap_err(),
        CatalogError::SequenceNotFound { .. }
    ));
    let shots = cat.list_shots("film", Some("SQ015")).await.unwrap();
    assert_eq!(shots.len(), 2);
    assert!(shots.iter().all(|s| s.sequence == "SQ015"));
    // Tasks, links and comments stay attached (they name the shot's row, not its name).
    let sh010 = shot("SQ015", "SH010");
    assert_eq!(deps_of(cat, &sh010).await[0].entity, asset("hero"));
    assert_eq!(users_of(cat, &asset("hero")).await[0].entity, sh010);
    let tasks = cat
        .list_tasks(
            "film",
            &TaskFilter {
                entity: Some(sh010.clone()),
                ..TaskFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].entity, sh010);
    // The same name changes nothing.
    let same = cat
        .rename_sequence("film", "SQ015", "SQ015", &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(same.name, "SQ015");

    // Refusals change nothing.
    cat.create_sequence("film", "SQ020", &Metadata::new(), &mut Journal::none())
        .await
        .unwrap();
    let err = cat
        .rename_sequence("film", "SQ015", "SQ020", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::SequenceExists { name, .. } if name == "SQ020"),
        "{err}"
    );
    assert!(err.to_string().contains("`SQ020` already exists"), "{err}");
    let err = cat
        .rename_sequence("film", "SQ015", "SQ/020", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::InvalidProductionName(e) if e.kind == ProductionNameKind::Sequence),
        "{err}"
    );
    let err = cat
        .rename_sequence("film", "ghost", "SQ030", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::SequenceNotFound { .. }),
        "{err}"
    );
    assert_eq!(
        cat.list_shots("film", Some("SQ015")).await.unwrap().len(),
        2
    );
    assert_eq!(
        found(cat, "seq:SQ015 kind:shot").await,
        strings(&["shot:SQ015/SH010", "shot:SQ015/SH020"])
    );

    // A shot: renamed within its sequence, with a history entry.
    let renamed = cat
        .rename_shot(
            "film",
            "SQ015",
            "SH010",
            "SH011",
            "ana",
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(
        (renamed.sequence.as_str(), renamed.name.as_str()),
        ("SQ015", "SH011")
    );
    assert_eq!(renamed.frame_end, 1100);
    let sh011 = shot("SQ015", "SH011");
    assert_eq!(found(cat, "SH011").await, strings(&["shot:SQ015/SH011"]));
    assert!(found(cat, "SH010").await.is_empty());
    assert_eq!(found(cat, "shake").await, strings(&["shot:SQ015/SH011"]));
    let history = cat
        .history("film", &Target::Entity(sh011.clone()))
        .await
        .unwrap();
    assert_eq!(history[0].field, FIELD_NAME);
    assert_eq!(history[0].old.as_deref(), Some("SH010"));
    assert_eq!(history[0].new.as_deref(), Some("SH011"));
    assert_eq!(history[0].author, "ana");
    assert_eq!(history[0].target, Target::Entity(sh011.clone()));
    assert_eq!(deps_of(cat, &sh011).await[0].entity, asset("hero"));
    assert!(matches!(
        cat.get_shot("film", "SQ015", "SH010").await.unwrap_err(),
        CatalogError::ShotNotFound { .. }
    ));

    let err = cat
        .rename_shot(
            "film",
            "SQ015",
            "SH011",
            "SH020",
            "ana",
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::ShotExists { shot, .. } if shot == "SQ015/SH020"),
        "{err}"
    );
    // Another sequence's shot of that name is no clash.
    cat.create_shot(
        "film",
        &NewShot::new("SQ020", "SH030", 1, 2),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.rename_shot(
        "film",
        "SQ015",
        "SH011",
        "SH030",
        "ana",
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let err = cat
        .rename_shot(
            "film",
            "SQ015",
            "SH030",
            "SQ020/SH031",
            "ana",
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::InvalidProductionName(e) if e.kind == ProductionNameKind::Shot),
        "{err}"
    );
    let err = cat
        .rename_shot("film", "SQ015", "SH030", "SH031", " ", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::InvalidValue { .. }), "{err}");
    let err = cat
        .rename_shot(
            "film",
            "SQ015",
            "ghost",
            "SH031",
            "ana",
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::ShotNotFound { .. }), "{err}");
    assert_eq!(
        cat.history("film", &Target::Entity(shot("SQ015", "SH030")))
            .await
            .unwrap()
            .len(),
        2,
        "refused renames record nothing"
    );

    // The documents written along the way are those a full rebuild writes.
    let queries = [
        "",
        "SQ015",
        "SH030",
        "seq:SQ015",
        "seq:SQ020 kind:shot",
        "shake",
    ];
    let mut before = Vec::new();
    for q in queries {
        before.push(found(cat, q).await);
    }
    cat.reindex_search(Some("film")).await.unwrap();
    for (q, expected) in queries.iter().zip(&before) {
        assert_eq!(&found(cat, q).await, expected, "{q}");
    }
}

async fn deleting_shots(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    create_props(cat, "film", &["hero", "rig"]).await;
    // SH1 last, so that SQLite would give a shot created after its deletion the same row id:
    // rows left behind would then show up on the new shot.
    sequence_with_shots(cat, "film", "SQ", &["SH2", "SH3", "SH1"], (1, 10)).await;
    let sh1 = shot("SQ", "SH1");
    let sh2 = shot("SQ", "SH2");
    cat.link(
        "film",
        &link(&sh1, &asset("hero"), LinkKind::Reference, None),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.link(
        "film",
        &link(&sh2, &sh1, LinkKind::DerivedFrom, None),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.link(
        "film",
        &link(&asset("rig"), &sh1, LinkKind::Reference, None),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.create_task("film", &sh1, "animation", Some("ana"), &mut Journal::none())
        .await
        .unwrap();
    cat.create_task("film", &sh2, "animation", Some("bob"), &mut Journal::none())
        .await
        .unwrap();
    cat.set_status("film", &sh1, "ip", "ana", &mut Journal::none())
        .await
        .unwrap();
    cat.add_comment(
        "film",
        &Target::Entity(sh1.clone()),
        "sup",
        "zorblax",
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.create_collection("film", "dailies", &mut Journal::none())
        .await
        .unwrap();
    cat.add_to_collection("film", "dailies", &sh1, &mut Journal::none())
        .await
        .unwrap();
    cat.add_favourite("film", "ana", &sh1, &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(found(cat, "zorblax").await, strings(&["shot:SQ/SH1"]));

    // Refused while something uses it, naming what; nothing changes.
    let err = cat
        .delete_shot("film", "SQ", "SH1", false, &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::ShotHasDependants { shot, dependants } if shot == "SQ/SH1" && dependants == &strings(&["SQ/SH2", "rig"])),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "shot `SQ/SH1` is used by SQ/SH2, rig; unlink them first, or force the deletion (which removes those links too)"
    );
    assert!(cat.get_shot("film", "SQ", "SH1").await.is_ok());
    assert_eq!(users_of(cat, &sh1).await.len(), 2);
    assert_eq!(found(cat, "zorblax").await.len(), 1);

    // A shot nothing uses goes without force.
    let deleted = cat
        .delete_shot("film", "SQ", "SH3", false, &mut Journal::none())
        .await
        .unwrap();
    assert_eq!((deleted.links, deleted.tasks), (0, 0));
    assert!(deleted.dependants.is_empty());

    // Forced: everything that names the shot goes with it, in one go.
    let deleted = cat
        .delete_shot("film", "SQ", "SH1", true, &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(deleted.links, 3);
    assert_eq!(deleted.tasks, 1);
    assert_eq!(deleted.dependants, strings(&["SQ/SH2", "rig"]));
    assert!(matches!(
        cat.get_shot("film", "SQ", "SH1").await.unwrap_err(),
        CatalogError::ShotNotFound { .. }
    ));
    let names: Vec<String> = cat
        .list_shots("film", Some("SQ"))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, strings(&["SH2"]));
    assert!(deps_of(cat, &sh2).await.is_empty());
    assert!(deps_of(cat, &asset("rig")).await.is_empty());
    assert!(users_of(cat, &asset("hero")).await.is_empty());
    let tasks = cat
        .list_tasks("film", &TaskFilter::default())
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].entity, sh2);
    assert!(
        cat.collection_members("film", "dailies")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(cat.favourites("film", "ana").await.unwrap().is_empty());
    assert!(found(cat, "zorblax").await.is_empty());
    assert_eq!(found(cat, "kind:shot").await, strings(&["shot:SQ/SH2"]));
    let report = cat.report_status("film").await.unwrap();
    assert_eq!(report.shots_by_status, vec![("wtg".to_owned(), 1)]);

    // A new shot of the same name starts clean.
    cat.create_shot(
        "film",
        &NewShot::new("SQ", "SH1", 1, 10),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    assert!(
        cat.history("film", &Target::Entity(sh1.clone()))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        cat.list_comments("film", &Target::Entity(sh1.clone()))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(deps_of(cat, &sh1).await.is_empty());
    assert!(users_of(cat, &sh1).await.is_empty());
    assert!(
        cat.collection_members("film", "dailies")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        cat.list_tasks("film", &TaskFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );

    let err = cat
        .delete_shot("film", "SQ", "ghost", true, &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::ShotNotFound { .. }), "{err}");
}

async fn deleting_sequences(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    cat.create_asset(
        "film",
        &new_asset("hero", "prop", &[]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    for (seq, shots) in [("SQA", &["A1", "A2"][..]), ("SQB", &["B1"][..])] {
        sequence_with_shots(cat, "film", seq, shots, (1, 10)).await;
    }
    let (a1, a2, b1) = (shot("SQA", "A1"), shot("SQA", "A2"), shot("SQB", "B1"));
    cat.link(
        "film",
        &link(&a1, &asset("hero"), LinkKind::Reference, None),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.link(
        "film",
        &link(&a2, &a1, LinkKind::DerivedFrom, None),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.link(
        "film",
        &link(&b1, &a1, LinkKind::Reference, None),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.create_task("film", &a2, "fx", None, &mut Journal::none())
        .await
        .unwrap();
    cat.create_task("film", &b1, "fx", None, &mut Journal::none())
        .await
        .unwrap();
    cat.add_comment(
        "film",
        &Target::Entity(a1.clone()),
        "sup",
        "zorblax",
        &mut Journal::none(),
    )
    .await
    .unwrap();

    // Refused while it has shots, naming them; nothing changes.
    let err = cat
        .delete_sequence("film", "SQA", false, &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::SequenceHasShots { sequence, shots, .. } if sequence == "SQA" && shots == &strings(&["A1", "A2"])),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("sequence `SQA` of project `film` still has 2 shot(s) (A1, A2);"),
        "{err}"
    );
    assert_eq!(cat.list_shots("film", Some("SQA")).await.unwrap().len(), 2);

    // An empty sequence goes without force.
    cat.create_sequence("film", "SQE", &Metadata::new(), &mut Journal::none())
        .await
        .unwrap();
    let deleted = cat
        .delete_sequence("film", "SQE", false, &mut Journal::none())
        .await
        .unwrap();
    assert!(deleted.shots.is_empty());
    assert!(found(cat, "SQE").await.is_empty());
    assert!(matches!(
        cat.get_sequence("film", "SQE").await.unwrap_err(),
        CatalogError::SequenceNotFound { .. }
    ));

    // Forced: the shots go as a forced shot delete would take them.
    let deleted = cat
        .delete_sequence("film", "SQA", true, &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(deleted.shots, strings(&["A1", "A2"]));
    assert_eq!(deleted.links, 3);
    assert_eq!(deleted.tasks, 1);
    assert_eq!(deleted.dependants, strings(&["SQB/B1"]));
    assert!(matches!(
        cat.get_sequence("film", "SQA").await.unwrap_err(),
        CatalogError::SequenceNotFound { .. }
    ));
    let left: Vec<String> = cat
        .list_shots("film", None)
        .await
        .unwrap()
        .iter()
        .map(|s| s.reference().to_string())
        .collect();
    assert_eq!(left, strings(&["SQB/B1"]));
    assert!(deps_of(cat, &b1).await.is_empty());
    assert!(users_of(cat, &asset("hero")).await.is_empty());
    let tasks = cat
        .list_tasks("film", &TaskFilter::default())
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].entity, b1);
    assert!(found(cat, "SQA OR zorblax OR A1 OR A2").await.is_empty());
    assert_eq!(
        found(cat, "kind:sequence OR kind:shot").await,
        strings(&["sequence:SQB", "shot:SQB/B1"])
    );

    // The name is free again, and the new sequence starts empty.
    cat.create_sequence("film", "SQA", &Metadata::new(), &mut Journal::none())
        .await
        .unwrap();
    assert!(
        cat.list_shots("film", Some("SQA"))
            .await
            .unwrap()
            .is_empty()
    );
    let err = cat
        .delete_sequence("film", "ghost", true, &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::SequenceNotFound { .. }),
        "{err}"
    );
}

async fn removing_and_moving_statuses(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    cat.create_asset(
        "film",
        &new_asset("hero", "prop", &[]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    sequence_with_shots(cat, "film", "SQ", &["SH"], (1, 10)).await;
    let sh = shot("SQ", "SH");
    cat.create_task("film", &sh, "fx", None, &mut Journal::none())
        .await
        .unwrap();
    cat.add_status("film", "client", &mut Journal::none())
        .await
        .unwrap();
    cat.add_transition("film", "*", "client", &mut Journal::none())
        .await
        .unwrap();
    cat.add_transition("film", "client", "ip", &mut Journal::none())
        .await
        .unwrap();

    // In use: refused, saying by how many of what.
    cat.set_status(
        "film",
        &asset("hero"),
        "client",
        "ana",
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let err = cat
        .remove_status("film", "client", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CatalogError::StatusInUse {
                assets: 1,
                shots: 0,
                tasks: 0,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().starts_with(
            "status `client` of project `film` is still used by 1 asset(s); move them"
        ),
        "{err}"
    );
    cat.set_status("film", &sh, "client", "ana", &mut Journal::none())
        .await
        .unwrap();
    let to_client = TaskUpdate {
        status: Some("client".to_owned()),
        ..TaskUpdate::default()
    };
    cat.update_task("film", &sh, "fx", &to_client, "ana", &mut Journal::none())
        .await
        .unwrap();
    let err = cat
        .remove_status("film", "client", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CatalogError::StatusInUse {
                assets: 1,
                shots: 1,
                tasks: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("used by 1 asset(s), 1 shot(s) and 1 task(s)"),
        "{err}"
    );
    assert!(cat.workflow("film").await.unwrap().has("client"));
    // Another project's use does not count.
    cat.create_project("other", &mut Journal::none())
        .await
        .unwrap();

    // Unused: removed with its transitions, positions renumbered.
    cat.set_status("film", &asset("hero"), "ip", "ana", &mut Journal::none())
        .await
        .unwrap();
    cat.set_status("film", &sh, "ip", "ana", &mut Journal::none())
        .await
        .unwrap();
    let to_ip = TaskUpdate {
        status: Some("ip".to_owned()),
        ..TaskUpdate::default()
    };
    cat.update_task("film", &sh, "fx", &to_ip, "ana", &mut Journal::none())
        .await
        .unwrap();
    let wf = cat
        .remove_status("film", "client", &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(wf, Workflow::default());
    assert_eq!(cat.workflow("film").await.unwrap(), Workflow::default());
    assert_eq!(
        stored_positions(ctx, "film").await,
        (0..7).collect::<Vec<i64>>()
    );
    // History keeps the old status.
    let history = cat
        .history("film", &Target::Entity(asset("hero")))
        .await
        .unwrap();
    assert_eq!(history[0].old.as_deref(), Some("client"));
    let err = cat
        .remove_status("film", "client", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::UnknownStatus { status, .. } if status == "client"),
        "{err}"
    );
    // The name can come back, at the end, without its old transitions.
    let wf = cat
        .add_status("film", "client", &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(wf.statuses.last().unwrap(), "client");
    assert!(
        wf.transitions
            .iter()
            .all(|t| t.from != "client" && t.to != "client")
    );
    cat.remove_status("film", "client", &mut Journal::none())
        .await
        .unwrap();

    // Removing a status in the middle keeps the others in order, densely numbered.
    let wf = cat
        .remove_status("film", "final", &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(
        wf.statuses,
        strings(&["wtg", "ip", "review", "approved", "on-hold", "omit"])
    );
    assert!(!wf.allows("approved", "final"));
    assert_eq!(
        stored_positions(ctx, "film").await,
        (0..6).collect::<Vec<i64>>()
    );

    // Moving.
    let wf = cat
        .move_status("film", "omit", 1, &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(
        wf.statuses,
        strings(&["omit", "wtg", "ip", "review", "approved", "on-hold"])
    );
    assert_eq!(
        stored_positions(ctx, "film").await,
        (0..6).collect::<Vec<i64>>()
    );
    // The first status is where new entities start.
    let created = cat
        .create_shot(
            "film",
            &NewShot::new("SQ", "SH2", 1, 10),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(created.status, "omit");
    let wf = cat
        .move_status("film", "omit", 6, &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(
        wf.statuses,
        strings(&["wtg", "ip", "review", "approved", "on-hold", "omit"])
    );
    let wf = cat
        .move_status("film", "review", 2, &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(
        wf.statuses,
        strings(&["wtg", "review", "ip", "approved", "on-hold", "omit"])
    );
    // Transitions are untouched by moves.
    assert!(wf.allows("ip", "review") && wf.allows("review", "approved"));
    let wf = cat
        .move_status("film", "review", 2, &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(wf.statuses[1], "review");
    assert_eq!(
        stored_positions(ctx, "film").await,
        (0..6).collect::<Vec<i64>>()
    );
    for bad in [0, 7] {
        let err = cat
            .move_status("film", "review", bad, &mut Journal::none())
            .await
            .unwrap_err();
        assert!(
            matches!(err, CatalogError::InvalidValue { .. }),
            "{bad}: {err}"
        );
        assert!(
            err.to_string()
                .contains("give a position from 1 (the initial status) to 6"),
            "{err}"
        );
    }
    let err = cat
        .move_status("film", "ghost", 1, &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::UnknownStatus { .. }), "{err}");
    assert_eq!(cat.workflow("other").await.unwrap(), Workflow::default());
    assert_eq!(
        stored_positions(ctx, "other").await,
        (0..7).collect::<Vec<i64>>()
    );

    // A workflow keeps at least one status.
    let mut statuses = cat.workflow("other").await.unwrap().statuses;
    let last = statuses.pop().unwrap();
    for status in &statuses {
        cat.remove_status("other", status, &mut Journal::none())
            .await
            .unwrap();
    }
    let err = cat
        .remove_status("other", &last, &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::InvalidValue { .. }), "{err}");
    assert!(err.to_string().contains("only status"), "{err}");
    assert_eq!(cat.workflow("other").await.unwrap().statuses, vec![last]);
    assert_eq!(stored_positions(ctx, "other").await, vec![0]);
}

async fn review_metadata_comments_history(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    cat.create_asset(
        "film",
        &new_asset("hero", "character", &[]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let v1 = cat
        .commit_version(
            "film",
            "hero",
            &note_version("ana", "one"),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    let metadata = meta(serde_json::json!({"frames": [1, 2], "renderer": "arnold"}));
    let v2 = cat
        .commit_version_with_meta(
            "film",
            "hero",
            &note_version("ana", "two"),
            &metadata,
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(v2.number, 2);
    assert_eq!(cat.version_metadata(v2.id).await.unwrap(), metadata);
    assert!(cat.version_metadata(v1.id).await.unwrap().is_empty());
    assert!(cat.version_metadata(-1).await.unwrap().is_empty());
    let details = cat
        .version_details("film", "hero", VersionSelector::Latest)
        .await
        .unwrap();
    assert_eq!(details.version, v2);
    assert_eq!(details.review_status, ReviewStatus::Pending);
    assert_eq!(details.metadata, metadata);
    assert!(cat.version_files(v2.id).await.unwrap().is_empty());

    let entry = cat
        .set_review_status(
            "film",
            "hero",
            1,
            ReviewStatus::ChangesRequested,
            "sup",
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(entry.target, Target::version("hero", 1));
    assert_eq!(entry.field, FIELD_REVIEW_STATUS);
    assert_eq!(
        (entry.old.as_deref(), entry.new.as_deref()),
        (Some("pending"), Some("changes-requested"))
    );
    cat.set_review_status(
        "film",
        "hero",
        2,
        ReviewStatus::Approved,
        "sup",
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let err = cat
        .set_review_status(
            "film",
            "hero",
            3,
            ReviewStatus::Approved,
            "sup",
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CatalogError::VersionNotFound {
                number: 3,
                latest: Some(2),
                ..
            }
        ),
        "{err}"
    );
    let all = cat.list_version_details("film", "hero").await.unwrap();
    let reviews: Vec<ReviewStatus> = all.iter().map(|d| d.review_status).collect();
    assert_eq!(
        reviews,
        vec![ReviewStatus::ChangesRequested, ReviewStatus::Approved]
    );
    cat.set_status("film", &asset("hero"), "ip", "ana", &mut Journal::none())
        .await
        .unwrap();

    let history = cat
        .history("film", &Target::Entity(asset("hero")))
        .await
        .unwrap();
    let seen: Vec<(String, String)> = history
        .iter()
        .map(|h| (h.target.to_string(), h.field.clone()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("hero".to_owned(), FIELD_STATUS.to_owned()),
            ("hero@v2".to_owned(), FIELD_REVIEW_STATUS.to_owned()),
            ("hero@v1".to_owned(), FIELD_REVIEW_STATUS.to_owned()),
        ]
    );
    let of_v1 = cat
        .history("film", &Target::version("hero", 1))
        .await
        .unwrap();
    assert_eq!(of_v1.len(), 1);
    assert_eq!(of_v1[0].author, "sup");

    // Comments.
    sequence_with_shots(cat, "film", "SQ", &["SH"], (1, 2)).await;
    let targets = [
        Target::version("hero", 2),
        Target::Entity(asset("hero")),
        Target::Entity(shot("SQ", "SH")),
    ];
    for target in &targets {
        let a = cat
            .add_comment(
                "film",
                target,
                "ana",
                &format!("first on {target}"),
                &mut Journal::none(),
            )
            .await
            .unwrap();
        let b = cat
            .add_comment(
                "film",
                target,
                "bob",
                "second ✓\nwith a new line",
                &mut Journal::none(),
            )
            .await
            .unwrap();
        assert_eq!(&a.target, target);
        assert!(b.id > a.id);
        let listed = cat.list_comments("film", target).await.unwrap();
        assert_eq!(listed, vec![a, b]);
    }
    assert!(
        cat.list_comments("film", &Target::version("hero", 1))
            .await
            .unwrap()
            .is_empty()
    );
    let err = cat
        .add_comment(
            "film",
            &Target::version("hero", 9),
            "ana",
            "x",
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::VersionNotFound { .. }), "{err}");
    let err = cat
        .add_comment(
            "film",
            &Target::Entity(shot("SQ", "NOPE")),
            "ana",
            "x",
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::ShotNotFound { .. }), "{err}");
    let err = cat
        .add_comment(
            "film",
            &Target::Entity(asset("hero")),
            "ana",
            "  ",
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::InvalidValue { .. }), "{err}");
    // Comments are searchable: on the version (and so its asset) and the shot.
    assert_eq!(
        find(cat, Some("film"), "\"first on hero@v2\"").await,
        strings(&["asset:hero", "version:hero@v2"])
    );
    assert_eq!(
        find(cat, Some("film"), "author:bob").await,
        strings(&["asset:hero", "shot:SQ/SH", "version:hero@v2"])
    );
}

async fn search_filters(ctx: &Ctx) {
    let cat = &ctx.cat;
    production_fixture(cat).await;
    let today = Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            "type:prop".into(),
            vec!["asset:barrel", "asset:heroXrig", "asset:シーン資産"],
        ),
        ("type!=prop".into(), vec!["asset:hero", "asset:hero_rig"]),
        ("tag:main".into(), vec!["asset:hero", "asset:hero_rig"]),
        ("tag:dept:anim".into(), vec!["asset:hero"]),
        (
            "-tag:main kind:asset".into(),
            vec!["asset:barrel", "asset:heroXrig", "asset:シーン資産"],
        ),
        (
            "tag!=main".into(),
            vec!["asset:barrel", "asset:heroXrig", "asset:シーン資産"],
        ),
        ("status:ip".into(), vec!["asset:hero"]),
        (
            "status:wtg kind:shot".into(),
            vec![
                "shot:SQ010/SH010",
                "shot:SQ010/SH020",
                "shot:シーン/カット010",
            ],
        ),
        (
            "status:pending".into(),
            vec!["version:hero@v1", "version:hero@v2", "version:hero_rig@v1"],
        ),
        (
            "name:hero_*".into(),
            vec!["asset:hero_rig", "version:hero_rig@v1"],
        ),
        (
            "name:HERO".into(),
            vec!["asset:hero", "version:hero@v1", "version:hero@v2"],
        ),
        ("name:*xrig kind:asset".into(), vec!["asset:heroXrig"]),
        ("name:シーン* kind:asset".into(), vec!["asset:シーン資産"]),
        (
            "name:SH0*".into(),
            vec!["shot:SQ010/SH010", "shot:SQ010/SH020"],
        ),
        (
            "kind:sequence".into(),
            vec!["sequence:SQ010", "sequence:シーン"],
        ),
        (
            "kind:version".into(),
            vec!["version:hero@v1", "version:hero@v2", "version:hero_rig@v1"],
        ),
        (
            "kind:version author:ana".into(),
            vec!["version:hero@v1", "version:hero_rig@v1"],
        ),
        ("author:carol".into(), vec!["asset:barrel"]),
        ("author:dave".into(), vec!["shot:SQ010/SH010"]),
        ("project:ad".into(), vec![]),
        (
            "project:film kind:sequence".into(),
            vec!["sequence:SQ010", "sequence:シーン"],
        ),
        (
            "seq:SQ010".into(),
            vec![
                "asset:barrel",
                "asset:hero",
                "sequence:SQ010",
                "shot:SQ010/SH010",
                "shot:SQ010/SH020",
            ],
        ),
        (
            "seq:SQ010 kind:shot OR kind:sequence".into(),
            vec!["sequence:SQ010", "shot:SQ010/SH010", "shot:SQ010/SH020"],
        ),
        ("seq!=SQ010 kind:shot".into(), vec!["shot:シーン/カット010"]),
        ("dept:animation".into(), vec!["shot:SQ010/SH010"]),
        ("assignee:bob".into(), vec!["asset:hero"]),
        ("dept:lighting assignee:alice".into(), vec![]),
        ("meta.poly>1000".into(), vec!["asset:hero"]),
        (
            "meta.poly<1000".into(),
            vec!["asset:barrel", "asset:hero_rig"],
        ),
        ("meta.poly<=500.5".into(), vec!["asset:barrel"]),
        ("meta.poly:many".into(), vec!["asset:heroXrig"]),
        ("meta.poly!=800".into(), vec!["asset:barrel", "asset:hero"]),
        (
            "-meta.poly:800 kind:asset".into(),
            vec![
                "asset:barrel",
                "asset:hero",
                "asset:heroXrig",
                "asset:シーン資産",
            ],
        ),
        ("meta.rig.approved:true".into(), vec!["asset:hero"]),
        ("meta.rig.approved:false".into(), vec![]),
        ("meta.code:\"42\"".into(), vec!["asset:hero"]),
        ("meta.code:42".into(), vec![]),
        ("meta.fps:24".into(), vec!["asset:hero"]),
        ("meta.fps>=24.0".into(), vec!["asset:hero"]),
        ("meta.cam.lens>=50".into(), vec!["shot:SQ010/SH020"]),
        (
            "meta.cam.lens>10".into(),
            vec!["shot:SQ010/SH010", "shot:SQ010/SH020"],
        ),
        ("meta.location:forest".into(), vec!["sequence:SQ010"]),
        ("meta.frames>100".into(), vec!["version:hero@v2"]),
        ("meta.missing>1".into(), vec![]),
        ("version>1".into(), vec!["asset:hero", "version:hero@v2"]),
        (
            "version:1".into(),
            vec!["asset:hero_rig", "version:hero@v1", "version:hero_rig@v1"],
        ),
        ("version>=v2 kind:asset".into(), vec!["asset:hero"]),
        (format!("created<{today} kind:asset"), vec![]),
        (format!("created>{today}"), vec![]),
        (
            format!("created:{today} kind:asset"),
            vec![
                "asset:barrel",
                "asset:hero",
                "asset:heroXrig",
                "asset:hero_rig",
                "asset:シーン資産",
            ],
        ),
        (
            format!("created<{tomorrow} kind:sequence"),
            vec!["sequence:SQ010", "sequence:シーン"],
        ),
        (format!("created!={today}"), vec![]),
        (
            "status:ip OR status:pending".into(),
            vec![
                "asset:hero",
                "version:hero@v1",
                "version:hero@v2",
                "version:hero_rig@v1",
            ],
        ),
        (
            "-kind:version -kind:asset".into(),
            vec![
                "sequence:SQ010",
                "sequence:シーン",
                "shot:SQ010/SH010",
                "shot:SQ010/SH020",
                "shot:シーン/カット010",
            ],
        ),
    ];
    for (text, expected) in &cases {
        assert_eq!(
            &find(cat, Some("film"), text).await,
            &strings(expected),
            "query {text}"
        );
    }
    // Every project; hits carry their project, status and type.
    assert_eq!(
        find(cat, None, "project:ad").await,
        strings(&["asset:ad/hero"])
    );
    assert_eq!(
        find(cat, None, "project!=film").await,
        strings(&["asset:ad/hero"])
    );
    assert_eq!(
        find(cat, None, "kind:asset name:hero").await,
        strings(&["asset:ad/hero", "asset:film/hero"])
    );
    let hits = cat.search(None, &parse("name:hero"), 10, 0).await.unwrap();
    assert_eq!(
        hits[1],
        SearchHit {
            kind: bifrost_core::production::EntityKind::Asset,
            project: "film".into(),
            name: "hero".into(),
            status: Some("ip".into()),
            asset_type: Some("character".into()),
            snippet: None,
        }
    );
    assert_eq!(hits[2].status.as_deref(), Some("pending"));
    assert_eq!(hits[2].asset_type.as_deref(), Some("character"));
    // The empty query matches everything; limit and offset page through the same order.
    let everything = find(cat, Some("film"), "").await;
    assert_eq!(everything.len(), 5 + 3 + 2 + 3);
    let mut paged = Vec::new();
    for page in 0..5 {
        let hits = cat
            .search(Some("film"), &Query::default(), 3, page * 3)
            .await
            .unwrap();
        paged.extend(hits.into_iter().map(|h| format!("{}:{}", h.kind, h.name)));
    }
    assert_eq!(paged, everything);
    // Refusals.
    let err = cat
        .search(Some("nope"), &Query::default(), 10, 0)
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::ProjectNotFound { .. }), "{err}");
    let bad = Query {
        clauses: vec![query::Clause {
            alternatives: vec![query::Term {
                negated: false,
                kind: query::TermKind::Filter {
                    field: query::Field::Type,
                    op: query::CmpOp::Gt,
                    value: query::Value::Text("prop".into()),
                },
            }],
        }],
    };
    let err = cat.search(None, &bad, 10, 0).await.unwrap_err();
    assert!(matches!(err, CatalogError::InvalidQuery { .. }), "{err}");
}

async fn search_text(ctx: &Ctx) {
    let cat = &ctx.cat;
    production_fixture(cat).await;
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("hero", vec!["asset:hero", "asset:hero_rig"]),
        ("HERO", vec!["asset:hero", "asset:hero_rig"]),
        (
            "hero*",
            vec!["asset:hero", "asset:heroXrig", "asset:hero_rig"],
        ),
        ("\"big explosion\"", vec!["asset:hero", "version:hero@v2"]),
        ("\"explosion big\"", vec![]),
        ("explosion big", vec!["asset:hero", "version:hero@v2"]),
        ("expl*", vec!["asset:hero", "version:hero@v2"]),
        ("blockout -kind:asset", vec!["version:hero@v1"]),
        ("red", vec!["asset:barrel"]),
        (
            "barrel OR blockout",
            vec!["asset:barrel", "asset:hero", "version:hero@v1"],
        ),
        (
            "-hero kind:asset",
            vec!["asset:barrel", "asset:heroXrig", "asset:シーン資産"],
        ),
        ("shake", vec!["shot:SQ010/SH010"]),
        ("forest", vec!["sequence:SQ010"]),
        (
            "SQ010 kind:shot",
            vec!["shot:SQ010/SH010", "shot:SQ010/SH020"],
        ),
        ("カット*", vec!["shot:シーン/カット010"]),
        ("カット010", vec!["shot:シーン/カット010"]),
        ("シーン", vec!["sequence:シーン", "shot:シーン/カット010"]),
        ("12000", vec!["asset:hero"]),
        ("arnold", vec!["version:hero@v2"]),
        ("anim", vec!["asset:hero"]),
        ("nothing-like-this", vec![]),
        ("\"-\"", vec![]),
    ];
    for (text, expected) in &cases {
        assert_eq!(
            &find(cat, Some("film"), text).await,
            &strings(expected),
            "query {text}"
        );
    }
    // Snippets show the text that matched.
    let hits = cat
        .search(Some("film"), &parse("explosion"), 10, 0)
        .await
        .unwrap();
    assert_eq!(hits[0].snippet.as_deref(), Some("Big explosion fix"));
    assert_eq!(hits[1].snippet.as_deref(), Some("Big explosion fix"));
    let hits = cat
        .search(Some("film"), &parse("kind:shot"), 10, 0)
        .await
        .unwrap();
    assert!(hits.iter().all(|h| h.snippet.is_none()));
    // Documents follow changes: metadata updates, new versions, new comments.
    cat.update_shot(
        "film",
        "SQ010",
        "SH020",
        &ShotUpdate {
            metadata: Some(MetadataUpdate::Merge(meta(
                serde_json::json!({"weather": "thunderstorm"}),
            ))),
            ..ShotUpdate::default()
        },
        &mut Journal::none(),
    )
    .await
    .unwrap();
    assert_eq!(
        find(cat, Some("film"), "thunder*").await,
        strings(&["shot:SQ010/SH020"])
    );
    cat.commit_version(
        "film",
        "barrel",
        &note_version("eve", "dented lid"),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    assert_eq!(
        find(cat, Some("film"), "dented").await,
        strings(&["asset:barrel", "version:barrel@v1"])
    );
    cat.update_asset_metadata(
        "film",
        "barrel",
        &MetadataUpdate::Replace(meta(serde_json::json!({"colour": "blue"}))),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    assert_eq!(
        find(cat, Some("film"), "blue").await,
        strings(&["asset:barrel"])
    );
    // The comment still matches, the old metadata no longer does.
    assert_eq!(
        find(cat, Some("film"), "red").await,
        strings(&["asset:barrel"])
    );
    assert!(find(cat, Some("film"), "500").await.is_empty());
}

async fn search_refuses_and_survives_injection(ctx: &Ctx) {
    let cat = &ctx.cat;
    production_fixture(cat).await;
    let attacks = [
        "'; DROP TABLE assets; --",
        "\"'; DROP TABLE assets; --\"",
        "\"x\" OR 1=1",
        "\"x\" OR \"1=1\"",
        "name:\"'; DROP TABLE assets; --\"",
        "name:\"x' OR '1'='1\"",
        "type:\"prop' OR 1=1 --\"",
        "tag:\"main'--\"",
        "meta.poly:\"1 OR 1=1\"",
        "meta.a-b:\"') OR 1=1 --\"",
        "seq:\"SQ010\\\" OR 1=1\"",
        "\"* OR *\"",
        "\"NEAR(a b)\"",
        "\"a\" AND \"b\"",
        "\"; SELECT * FROM projects; --\"",
        "\"\\\\x00\"",
        "%",
        "name:%",
        "name:_",
        "name:[a]*",
        "name:?*",
    ];
    for text in attacks {
        match query::parse(text) {
            // Refused by the parser: equally fine.
            Err(_) => {}
            Ok(q) => {
                let hits = cat
                    .search(Some("film"), &q, 100, 0)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("{text}: {e}");
                    });
                assert!(hits.is_empty(), "{text}: {hits:?}");
                cat.search(None, &q, 100, 0).await.unwrap();
            }
        }
    }
    // Nothing was broken.
    assert_eq!(
        cat.list_assets("film", &Default::default())
            .await
            .unwrap()
            .len(),
        5
    );
    assert_eq!(cat.list_projects().await.unwrap().len(), 2);
    assert_eq!(
        find(cat, Some("film"), "hero").await,
        strings(&["asset:hero", "asset:hero_rig"])
    );
}

async fn saved_searches_and_collections(ctx: &Ctx) {
    let cat = &ctx.cat;
    production_fixture(cat).await;
    let saved = cat
        .save_search(
            "film",
            "heroes",
            "type:character OR type:rig",
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(saved.query, "type:character OR type:rig");
    cat.save_search("film", "wip", "tag:wip", &mut Journal::none())
        .await
        .unwrap();
    cat.save_search("film", "wip", "tag:wip kind:asset", &mut Journal::none())
        .await
        .unwrap();
    let names: Vec<String> = cat
        .saved_searches("film")
        .await
        .unwrap()
        .into_iter()
        .map(|s| format!("{}={}", s.name, s.query))
        .collect();
    assert_eq!(
        names,
        strings(&[
            "heroes=type:character OR type:rig",
            "wip=tag:wip kind:asset"
        ])
    );
    let hits: Vec<String> = cat
        .run_saved_search("film", "heroes", 10, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.name)
        .collect();
    assert_eq!(hits, strings(&["hero", "hero_rig"]));
    assert_eq!(
        cat.get_saved_search("film", "wip").await.unwrap().query,
        "tag:wip kind:asset"
    );
    let err = cat
        .save_search("film", "bad", "type:(x", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::InvalidQuery { .. }), "{err}");
    let err = cat
        .save_search("film", "bad", "type>x", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::InvalidQuery { .. }), "{err}");
    cat.delete_saved_search("film", "wip", &mut Journal::none())
        .await
        .unwrap();
    let err = cat.get_saved_search("film", "wip").await.unwrap_err();
    assert!(
        matches!(err, CatalogError::SavedSearchNotFound { .. }),
        "{err}"
    );
    let err = cat
        .delete_saved_search("film", "wip", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::SavedSearchNotFound { .. }),
        "{err}"
    );
    assert!(cat.saved_searches("ad").await.unwrap().is_empty());

    // Collections.
    let c = cat
        .create_collection("film", "hero-kit", &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(c.size, 0);
    let err = cat
        .create_collection("film", "hero-kit", &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::CollectionExists { .. }),
        "{err}"
    );
    assert!(
        cat.add_to_collection(
            "film",
            "hero-kit",
            &shot("SQ010", "SH010"),
            &mut Journal::none()
        )
        .await
        .unwrap()
    );
    assert!(
        cat.add_to_collection("film", "hero-kit", &asset("hero_rig"), &mut Journal::none())
            .await
            .unwrap()
    );
    assert!(
        cat.add_to_collection("film", "hero-kit", &asset("hero"), &mut Journal::none())
            .await
            .unwrap()
    );
    assert!(
        !cat.add_to_collection("film", "hero-kit", &asset("hero"), &mut Journal::none())
            .await
            .unwrap()
    );
    assert_eq!(
        cat.collection_members("film", "hero-kit").await.unwrap(),
        vec![asset("hero"), asset("hero_rig"), shot("SQ010", "SH010")]
    );
    let err = cat
        .add_to_collection("film", "nope", &asset("hero"), &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::CollectionNotFound { .. }),
        "{err}"
    );
    let err = cat
        .add_to_collection("film", "hero-kit", &asset("ghost"), &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::AssetNotFound { .. }), "{err}");
    assert!(
        cat.remove_from_collection("film", "hero-kit", &asset("hero_rig"), &mut Journal::none())
            .await
            .unwrap()
    );
    assert!(
        !cat.remove_from_collection("film", "hero-kit", &asset("hero_rig"), &mut Journal::none())
            .await
            .unwrap()
    );

    // Favourites are the collection `favourites:USER`.
    assert!(cat.favourites("film", "ana").await.unwrap().is_empty());
    assert!(
        cat.add_favourite("film", "ana", &asset("barrel"), &mut Journal::none())
            .await
            .unwrap()
    );
    assert!(
        cat.add_favourite(
            "film",
            "ana",
            &shot("シーン", "カット010"),
            &mut Journal::none()
        )
        .await
        .unwrap()
    );
    assert!(
        !cat.add_favourite("film", "ana", &asset("barrel"), &mut Journal::none())
            .await
            .unwrap()
    );
    cat.add_favourite("film", "bob", &asset("hero"), &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(
        cat.favourites("film", "ana").await.unwrap(),
        vec![asset("barrel"), shot("シーン", "カット010")]
    );
    assert!(
        cat.remove_favourite("film", "ana", &asset("barrel"), &mut Journal::none())
            .await
            .unwrap()
    );
    assert!(
        !cat.remove_favourite("film", "zed", &asset("barrel"), &mut Journal::none())
            .await
            .unwrap()
    );
    let err = cat
        .add_favourite("film", "bad user", &asset("hero"), &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::InvalidProductionName(_)),
        "{err}"
    );
    let sizes: Vec<(String, u64)> = cat
        .collections("film")
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.size))
        .collect();
    assert_eq!(
        sizes,
        vec![
            ("favourites:ana".to_owned(), 1),
            ("favourites:bob".to_owned(), 1),
            ("hero-kit".to_owned(), 2),
        ]
    );
    cat.delete_collection("film", "hero-kit", &mut Journal::none())
        .await
        .unwrap();
    let err = cat
        .collection_members("film", "hero-kit")
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::CollectionNotFound { .. }),
        "{err}"
    );
    assert_eq!(cat.collections("film").await.unwrap().len(), 2);
}

async fn reports(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    cat.create_sequence("film", "SQ", &Metadata::new(), &mut Journal::none())
        .await
        .unwrap();
    for i in 0..6 {
        cat.create_shot(
            "film",
            &NewShot::new("SQ", format!("SH{i}"), 1, 2),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    }
    for i in 0..3 {
        cat.set_status(
            "film",
            &shot("SQ", &format!("SH{i}")),
            "ip",
            "ana",
            &mut Journal::none(),
        )
        .await
        .unwrap();
    }
    cat.set_status(
        "film",
        &shot("SQ", "SH0"),
        "omit",
        "ana",
        &mut Journal::none(),
    )
    .await
    .unwrap();
    for i in 0..4 {
        for dept in ["comp", "animation"] {
            cat.create_task(
                "film",
                &shot("SQ", &format!("SH{i}")),
                dept,
                None,
                &mut Journal::none(),
            )
            .await
            .unwrap();
        }
    }
    cat.update_task(
        "film",
        &shot("SQ", "SH1"),
        "animation",
        &TaskUpdate {
            status: Some("ip".into()),
            assignee: None,
        },
        "ana",
        &mut Journal::none(),
    )
    .await
    .unwrap();
    for (name, t) in [
        ("a", "prop"),
        ("b", "prop"),
        ("c", "character"),
        ("d", "set"),
    ] {
        cat.create_asset("film", &new_asset(name, t, &[]), &mut Journal::none())
            .await
            .unwrap();
    }
    // Versions dated across two ISO weeks, through a bulk import (which takes dates).
    let monday = Utc.with_ymd_and_hms(2024, 12, 30, 10, 0, 0).unwrap(); // 2025-W01
    let sunday = Utc.with_ymd_and_hms(2024, 12, 29, 23, 59, 59).unwrap(); // 2024-W52
    let versions = (1..=5)
        .map(|n| BatchVersion {
            asset: "a".into(),
            number: n,
            author: "ana".into(),
            note: format!("v{n}"),
            created_at: if n <= 2 {
                sunday
            } else {
                monday + Duration::days(n)
            },
            file_count: 0,
            total_bytes: 0,
        })
        .collect();
    cat.bulk_import(
        "film",
        &ProductionBatch {
            versions,
            ..ProductionBatch::default()
        },
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.commit_version(
        "film",
        "b",
        &note_version("ana", "now"),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let this_week = iso_week_label(Utc::now().date_naive());

    let report = cat.report_status("film").await.unwrap();
    let own = |items: &[(&str, u64)]| -> Vec<(String, u64)> {
        items.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect()
    };
    assert_eq!(
        report,
        StatusReport {
            shots_by_status: own(&[("wtg", 3), ("ip", 2), ("omit", 1)]),
            tasks_by_department_status: vec![
                ("animation".into(), "wtg".into(), 3),
                ("animation".into(), "ip".into(), 1),
                ("comp".into(), "wtg".into(), 4),
            ],
            assets_by_type: own(&[("character", 1), ("prop", 2), ("set", 1)]),
            versions_by_week: {
                let mut weeks = own(&[("2024-W52", 2), ("2025-W01", 3)]);
                weeks.push((this_week, 1));
                weeks
            },
        }
    );
    cat.create_project("empty", &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(
        cat.report_status("empty").await.unwrap(),
        StatusReport::default()
    );
}

async fn bulk_import(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    // Something already there, that the batch extends and links to.
    cat.create_asset(
        "film",
        &new_asset("old", "prop", &["legacy"]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.commit_version(
        "film",
        "old",
        &note_version("ana", "ancient"),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    sequence_with_shots(cat, "film", "SQ010", &["SH010"], (1, 10)).await;

    let when = Utc.with_ymd_and_hms(2025, 3, 3, 12, 0, 0).unwrap();
    let batch = ProductionBatch {
        assets: (0..50)
            .map(|i| {
                asset_with(
                    &format!("asset{i:03}"),
                    if i % 2 == 0 { "prop" } else { "character" },
                    &["bulk"],
                    meta(serde_json::json!({"index": i})),
                )
            })
            .collect(),
        shots: (0..10)
            .map(|i| NewShot::new(format!("SQ{:03}", 20 + i % 2), format!("SH{i:03}"), 1, 100))
            .chain([NewShot::new("SQ010", "SH020", 5, 6)])
            .collect(),
        versions: (0..50)
            .flat_map(|i| {
                (1..=3).map(move |n| BatchVersion {
                    asset: format!("asset{i:03}"),
                    number: n,
                    author: "bulk".into(),
                    note: format!("imported take {n}"),
                    created_at: when,
                    file_count: 2,
                    total_bytes: 100,
                })
            })
            .chain([BatchVersion {
                asset: "old".into(),
                number: 2,
                author: "bulk".into(),
                note: "modernised".into(),
                created_at: when,
                file_count: 0,
                total_bytes: 0,
            }])
            .collect(),
        links: (0..10)
            .map(|i| {
                link(
                    &shot(&format!("SQ{:03}", 20 + i % 2), &format!("SH{i:03}")),
                    &asset(&format!("asset{i:03}")),
                    LinkKind::Reference,
                    Some(3),
                )
            })
            .chain((1..50).map(|i| {
                link(
                    &asset(&format!("asset{i:03}")),
                    &asset(&format!("asset{:03}", i - 1)),
                    LinkKind::DerivedFrom,
                    None,
                )
            }))
            .chain([
                link(
                    &asset("asset000"),
                    &asset("old"),
                    LinkKind::Reference,
                    Some(2),
                ),
                link(
                    &shot("SQ010", "SH010"),
                    &asset("asset049"),
                    LinkKind::Member,
                    None,
                ),
            ])
            .collect(),
    };
    let summary = cat
        .bulk_import("film", &batch, &mut Journal::none())
        .await
        .unwrap();
    assert_eq!(
        (
            summary.assets,
            summary.sequences,
            summary.shots,
            summary.versions,
            summary.links
        ),
        (50, 2, 11, 151, 61)
    );
    let a = cat.get_asset("film", "asset007").await.unwrap();
    assert_eq!(a.latest_version, Some(3));
    assert_eq!(a.tags, strings(&["bulk"]));
    assert_eq!(
        cat.entity_status("film", &asset("asset007")).await.unwrap(),
        "wtg"
    );
    let versions = cat.list_versions("film", "asset007").await.unwrap();
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[0].parent, None);
    assert_eq!(versions[1].parent, Some(versions[0].id));
    assert_eq!(versions[2].parent, Some(versions[1].id));
    assert_eq!(versions[2].created_at, when);
    let old = cat.list_versions("film", "old").await.unwrap();
    assert_eq!(old.len(), 2);
    assert_eq!(old[1].parent, Some(old[0].id));
    assert_eq!(
        cat.list_shots("film", Some("SQ021")).await.unwrap().len(),
        5
    );
    // Ids handed out afterwards do not collide with the reserved ones.
    cat.create_asset(
        "film",
        &new_asset("after", "prop", &[]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.commit_version(
        "film",
        "after",
        &note_version("ana", "x"),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.create_shot(
        "film",
        &NewShot::new("SQ020", "SH999", 1, 2),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    // Links and documents are there.
    let chain = cat
        .deps("film", &shot("SQ010", "SH010"), true)
        .await
        .unwrap();
    assert_eq!(chain.len(), 51);
    assert_eq!(chain.last().unwrap().entity, asset("old"));
    assert_eq!(chain.last().unwrap().pin, Some(2));
    assert_eq!(
        cat.used_by("film", &asset("asset000"), true)
            .await
            .unwrap()
            .len(),
        49 + 10 + 1
    );
    assert_eq!(
        find(cat, Some("film"), "modernised").await,
        strings(&["asset:old", "version:old@v2"])
    );
    assert_eq!(find(cat, Some("film"), "ancient").await.len(), 2);
    assert_eq!(
        find(cat, Some("film"), "\"take 3\" kind:version")
            .await
            .len(),
        50
    );
    assert_eq!(
        find(cat, Some("film"), "tag:bulk version:3").await.len(),
        50
    );
    assert_eq!(find(cat, Some("film"), "meta.index>=45").await.len(), 5);
    assert_eq!(find(cat, Some("film"), "kind:sequence").await.len(), 3);
    assert_eq!(
        find(cat, Some("film"), "seq:SQ020 kind:shot").await.len(),
        6
    );
}

async fn bulk_import_refusals(ctx: &Ctx) {
    let cat = &ctx.cat;
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    cat.create_asset("film", &new_asset("old", "prop", &[]), &mut Journal::none())
        .await
        .unwrap();
    cat.create_asset(
        "film",
        &new_asset("old2", "prop", &[]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.link(
        "film",
        &link(&asset("old"), &asset("old2"), LinkKind::Reference, None),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let assets = |names: &[&str]| -> Vec<NewAsset> {
        names.iter().map(|n| new_asset(n, "prop", &[])).collect()
    };
    let version = |asset: &str, number| BatchVersion {
        asset: asset.into(),
        number,
        author: "a".into(),
        note: String::new(),
        created_at: Utc::now(),
        file_count: 0,
        total_bytes: 0,
    };
    let cases: Vec<(ProductionBatch, &str)> = vec![
        (
            ProductionBatch {
                assets: assets(&["a", "a"]),
                ..Default::default()
            },
            "listed twice",
        ),
        (
            ProductionBatch {
                assets: assets(&["old"]),
                ..Default::default()
            },
            "already exists",
        ),
        (
            ProductionBatch {
                assets: assets(&["bad name"]),
                ..Default::default()
            },
            "invalid asset name",
        ),
        (
            ProductionBatch {
                shots: vec![NewShot::new("SQ", "SH", 10, 1)],
                ..Default::default()
            },
            "frame range 10-1",
        ),
        (
            ProductionBatch {
                assets: assets(&["a"]),
                versions: vec![version("a", 1), version("a", 3)],
                ..Default::default()
            },
            "without gaps",
        ),
        (
            ProductionBatch {
                versions: vec![version("old", 2)],
                ..Default::default()
            },
            "numbered v1",
        ),
        (
            ProductionBatch {
                versions: vec![version("ghost", 1)],
                ..Default::default()
            },
            "asset `ghost` does not exist",
        ),
        (
            ProductionBatch {
                assets: assets(&["a", "b", "c"]),
                links: vec![
                    link(&asset("a"), &asset("b"), LinkKind::Reference, None),
                    link(&asset("b"), &asset("c"), LinkKind::Member, None),
                    link(&asset("c"), &asset("a"), LinkKind::DerivedFrom, None),
                ],
                ..Default::default()
            },
            "cycle a → b → c → a",
        ),
        (
            ProductionBatch {
                links: vec![link(&asset("old2"), &asset("old"), LinkKind::Member, None)],
                ..Default::default()
            },
            "cycle old → old2 → old",
        ),
        (
            ProductionBatch {
                links: vec![link(
                    &asset("old"),
                    &asset("old2"),
                    LinkKind::Reference,
                    None,
                )],
                ..Default::default()
            },
            "already has a reference link",
        ),
        (
            ProductionBatch {
                assets: assets(&["a"]),
                links: vec![link(&asset("a"), &asset("a"), LinkKind::Reference, None)],
                ..Default::default()
            },
            "to itself",
        ),
        (
            ProductionBatch {
                assets: assets(&["a"]),
                links: vec![link(
                    &asset("a"),
                    &asset("old"),
                    LinkKind::Reference,
                    Some(1),
                )],
                ..Default::default()
            },
            "version v1 of `old` does not exist",
        ),
        (
            ProductionBatch {
                links: vec![link(
                    &shot("SQ", "SH"),
                    &asset("old"),
                    LinkKind::Reference,
                    None,
                )],
                ..Default::default()
            },
            "shot `SQ/SH` does not exist",
        ),
    ];
    for (batch, expected) in cases {
        let err = cat
            .bulk_import("film", &batch, &mut Journal::none())
            .await
            .unwrap_err();
        assert!(err.to_string().contains(expected), "{expected}: {err}");
    }
    // Nothing of the refused batches remains.
    assert_eq!(
        cat.list_assets("film", &Default::default())
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(cat.list_sequences("film").await.unwrap().is_empty());
    assert_eq!(find(cat, Some("film"), "").await.len(), 2);
    let err = cat
        .bulk_import("nope", &ProductionBatch::default(), &mut Journal::none())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::ProjectNotFound { .. }), "{err}");
}

async fn names_long_and_non_ascii(ctx: &Ctx) {
    let cat = &ctx.cat;
    let project = "映画";
    cat.create_project(project, &mut Journal::none())
        .await
        .unwrap();
    let long_seq = "Ω".repeat(200);
    let long_shot = "ß".repeat(200);
    cat.create_sequence(project, "シーン", &Metadata::new(), &mut Journal::none())
        .await
        .unwrap();
    cat.create_sequence(project, &long_seq, &Metadata::new(), &mut Journal::none())
        .await
        .unwrap();
    let sh = cat
        .create_shot(
            project,
            &NewShot::new("シーン", "カット010", 1, 2),
            &mut Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(sh.reference().to_string(), "シーン/カット010");
    assert_eq!(
        "シーン/カット010".parse::<EntityRef>().unwrap(),
        sh.reference()
    );
    cat.create_shot(
        project,
        &NewShot::new(&long_seq, &long_shot, 1, 2),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let long_asset = "é".repeat(200);
    cat.create_asset(
        project,
        &new_asset(&long_asset, "プロップ", &["タグ"]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let long_ref = shot(&long_seq, &long_shot);
    cat.link(
        project,
        &link(&long_ref, &asset(&long_asset), LinkKind::Reference, None),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.create_task(
        project,
        &sh.reference(),
        "animation",
        Some("山田"),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.set_status(project, &sh.reference(), "ip", "山田", &mut Journal::none())
        .await
        .unwrap();
    cat.add_comment(
        project,
        &Target::Entity(long_ref.clone()),
        "山田",
        "ショットのコメント",
        &mut Journal::none(),
    )
    .await
    .unwrap();
    assert_eq!(
        cat.used_by(project, &asset(&long_asset), false)
            .await
            .unwrap()[0]
            .entity,
        long_ref
    );
    assert_eq!(
        find(cat, Some(project), "assignee:山田").await,
        strings(&["shot:シーン/カット010"])
    );
    assert_eq!(
        find(cat, Some(project), &format!("kind:shot seq:{long_seq}")).await,
        vec![format!("shot:{long_seq}/{long_shot}")]
    );
    assert_eq!(
        find(cat, Some(project), "type:プロップ tag:タグ").await,
        vec![format!("asset:{long_asset}")]
    );
    assert_eq!(
        find(cat, Some(project), "ショットのコメント").await,
        vec![format!("shot:{long_seq}/{long_shot}")]
    );
    assert_eq!(
        find(cat, Some(project), &format!("name:{}* kind:shot", "ßß")).await,
        vec![format!("shot:{long_seq}/{long_shot}")]
    );
    let too_long = "a".repeat(201);
    let err = cat
        .create_shot(
            project,
            &NewShot::new("シーン", &too_long, 1, 2),
            &mut Journal::none(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::InvalidProductionName(_)),
        "{err}"
    );
    let err = cat
        .create_sequence(project, &too_long, &Metadata::new(), &mut Journal::none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::InvalidProductionName(_)),
        "{err}"
    );
}

async fn reindex_matches_incremental_documents(ctx: &Ctx) {
    let cat = &ctx.cat;
    production_fixture(cat).await;
    cat.add_comment(
        "film",
        &Target::version("hero", 1),
        "eve",
        "needs more smoke",
        &mut Journal::none(),
    )
    .await
    .unwrap();
    let queries = [
        "",
        "smoke",
        "hero*",
        "shake",
        "red",
        "kind:version explosion",
    ];
    let mut before = Vec::new();
    for q in queries {
        before.push(cat.search(None, &parse(q), 1000, 0).await.unwrap());
    }
    let written = cat.reindex_search(None).await.unwrap();
    assert_eq!(written, 6 + 3 + 2 + 3);
    assert_eq!(cat.reindex_search(Some("ad")).await.unwrap(), 1);
    for (q, expected) in queries.iter().zip(&before) {
        assert_eq!(
            &cat.search(None, &parse(q), 1000, 0).await.unwrap(),
            expected,
            "{q}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Across backends

/// The queries whose results must be identical on SQLite and PostgreSQL.
const SAME_ON_BOTH: &[&str] = &[
    "",
    "hero",
    "hero*",
    "\"big explosion\"",
    "expl* OR shake",
    "-hero -kind:version",
    "type:prop",
    "tag:main OR tag:wip",
    "status:ip OR status:wtg",
    "name:hero_*",
    "name:シーン*",
    "kind:version author:ana",
    "seq:SQ010",
    "dept:animation OR assignee:bob",
    "meta.poly>700",
    "meta.poly:many",
    "meta.cam.lens<=35",
    "meta.rig.approved:true",
    "version>=2",
    "カット*",
    "\"'; DROP TABLE assets; --\"",
    "name:\"x' OR '1'='1\"",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_results_are_identical_on_both_backends() {
    let sqlite = Ctx::sqlite().await;
    let postgres = Ctx::postgres().await;
    production_fixture(&sqlite.cat).await;
    production_fixture(&postgres.cat).await;
    for text in SAME_ON_BOTH {
        let q = parse(text);
        let a = sqlite.cat.search(None, &q, 1000, 0).await.unwrap();
        let b = postgres.cat.search(None, &q, 1000, 0).await.unwrap();
        assert_eq!(a, b, "{text}");
    }
    // Random data too: names, notes and metadata from a seeded generator.
    let words = [
        "red",
        "barrel",
        "rig",
        "hero",
        "fx",
        "smoke",
        "Ünïcode",
        "カット",
        "v1.2",
        "x_y",
        "a-b",
        "Straße",
        "ΣΊΣΥΦΟΣ",
        "42",
        "3.5",
    ];
    let mut rng = rand::rng();
    let mut batch = ProductionBatch::default();
    for i in 0..60 {
        let pick = |rng: &mut rand::rngs::ThreadRng| words[rng.random_range(0..words.len())];
        let note = format!("{} {} {}", pick(&mut rng), pick(&mut rng), pick(&mut rng));
        batch.assets.push(asset_with(
            &format!("gen{i:02}"),
            pick(&mut rng)
                .to_lowercase()
                .replace(['.', ' '], "-")
                .as_str(),
            &[],
            meta(serde_json::json!({"n": rng.random_range(0..100), "w": pick(&mut rng)})),
        ));
        batch.versions.push(BatchVersion {
            asset: format!("gen{i:02}"),
            number: 1,
            author: pick(&mut rng).to_owned(),
            note,
            created_at: Utc::now(),
            file_count: 0,
            total_bytes: 0,
        });
    }
    sqlite
        .cat
        .bulk_import("film", &batch, &mut Journal::none())
        .await
        .unwrap();
    postgres
        .cat
        .bulk_import("film", &batch, &mut Journal::none())
        .await
        .unwrap();
    let mut queries: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
    queries.extend(
        words
            .iter()
            .map(|w| format!("{}*", w.chars().take(3).collect::<String>())),
    );
    queries.extend(
        [
            "meta.n>50",
            "meta.n<=10 OR meta.w:smoke",
            "-meta.n>=50 kind:asset",
        ]
        .map(String::from),
    );
    for text in &queries {
        let q = parse(text);
        let a = sqlite.cat.search(Some("film"), &q, 1000, 0).await.unwrap();
        let b = postgres
            .cat
            .search(Some("film"), &q, 1000, 0)
            .await
            .unwrap();
        assert_eq!(a, b, "{text}");
    }
    sqlite.cat.close().await;
    postgres.cat.close().await;
}

/// Queries whose clauses can drive a search (see search.rs), alone and combined with others.
const DRIVEN: &[&str] = &[
    "type:prop tag:wip",
    "tag:main type:character meta.poly<100000",
    "status:approved",
    "status:approved kind:version",
    "status:changes-requested OR status:ip",
    "status:pending kind:version",
    "seq:SQ010 kind:asset",
    "seq:SQ010 status:wtg",
    "name:hero dept:animation",
    "assignee:bob",
    "hero type:prop",
    "hero OR tag:wip",
    "explosion -kind:shot",
    "tag:nope",
    "type:prop -tag:hero",
];

/// A search driven by its most selective clause finds exactly what the walk over every
/// document finds, in the same order, on both backends (and pages the same way).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driven_searches_match_the_walk() {
    for ctx in [Ctx::sqlite().await, Ctx::postgres().await] {
        let cat = &ctx.cat;
        production_fixture(cat).await;
        cat.set_review_status(
            "film",
            "hero",
            1,
            ReviewStatus::Approved,
            "sup",
            &mut Journal::none(),
        )
        .await
        .unwrap();
        for text in SAME_ON_BOTH.iter().chain(DRIVEN) {
            let q = parse(text);
            for project in [None, Some("film")] {
                let driven = cat.search(project, &q, 1000, 0).await.unwrap();
                let walked = cat.search_walking(project, &q, 1000, 0).await.unwrap();
                assert_eq!(driven, walked, "{text} in {project:?} on {}", cat.backend());
                for (offset, limit) in [(0, 1), (1, 2), (2, 100)] {
                    let page = cat.search(project, &q, limit, offset).await.unwrap();
                    let expected: Vec<_> = walked
                        .iter()
                        .skip(offset as usize)
                        .take(limit as usize)
                        .cloned()
                        .collect();
                    assert_eq!(page, expected, "{text} page {offset}+{limit}");
                }
            }
        }
        // The fixture really exercises the drivers: these find something.
        for text in [
            "type:prop tag:wip",
            "status:approved",
            "seq:SQ010 kind:asset",
        ] {
            let hits = cat
                .search(Some("film"), &parse(text), 100, 0)
                .await
                .unwrap();
            assert!(!hits.is_empty(), "{text} finds nothing in the fixture");
        }
        ctx.cat.close().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Migrating an existing catalog

/// Opens a catalog built with only the first migration and filled by [`OLD_DATA`]: the
/// catalog runs the production migration and builds the search documents.
async fn check_migrated(url: &str) {
    let cat = Catalog::connect(url, false).await.unwrap();
    assert_eq!(cat.workflow("old").await.unwrap(), Workflow::default());
    assert_eq!(cat.departments("old").await.unwrap().len(), 5);
    assert_eq!(
        cat.entity_status("old", &asset("hero")).await.unwrap(),
        "wtg"
    );
    assert_eq!(
        find(&cat, Some("old"), "hero").await,
        strings(&["asset:hero"])
    );
    assert_eq!(
        find(&cat, Some("old"), "vintage").await,
        strings(&["asset:hero", "version:hero@v1"])
    );
    assert_eq!(
        find(
            &cat,
            Some("old"),
            "tag:classic status:pending OR type:character"
        )
        .await,
        strings(&["asset:hero"])
    );
    let details = cat
        .version_details("old", "hero", VersionSelector::Latest)
        .await
        .unwrap();
    assert_eq!(details.review_status, ReviewStatus::Pending);
    assert!(details.metadata.is_empty());
    // Everything works on the migrated project.
    cat.set_status("old", &asset("hero"), "ip", "ana", &mut Journal::none())
        .await
        .unwrap();
    cat.create_sequence("old", "SQ", &Metadata::new(), &mut Journal::none())
        .await
        .unwrap();
    cat.create_asset("old", &new_asset("new", "prop", &[]), &mut Journal::none())
        .await
        .unwrap();
    cat.commit_version(
        "old",
        "hero",
        &note_version("ana", "second"),
        &mut Journal::none(),
    )
    .await
    .unwrap();
    cat.close().await;
    // Reopening does not rebuild anything (the job is done) and changes nothing.
    let cat = Catalog::connect(url, false).await.unwrap();
    assert_eq!(find(&cat, Some("old"), "").await.len(), 5);
    cat.close().await;
}

const OLD_DATA: &[&str] = &[
    "INSERT INTO projects (id, name, created_at) VALUES (1, 'old', '2024-01-02T03:04:05+00:00')",
    "INSERT INTO assets (id, project_id, name, asset_type, metadata, created_at) \
     VALUES (1, 1, 'hero', 'character', '{\"a\": 1}', '2024-01-02T03:04:05+00:00')",
    "INSERT INTO asset_tags (asset_id, tag) VALUES (1, 'classic')",
    "INSERT INTO versions (id, asset_id, number, author, note, created_at, parent_id, file_count, \
     total_bytes) VALUES (1, 1, 1, 'ana', 'vintage look', '2024-01-02T03:04:05+00:00', NULL, 0, 0)",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_equips_existing_sqlite_catalogs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let url = format!("sqlite:{}", path.display());
    let migrations = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let migrator = sqlx::migrate::Migrator::new(std::path::Path::new(migrations))
        .await
        .unwrap();
    migrator.run_to(1, &pool).await.unwrap();
    for sql in OLD_DATA {
        sqlx::query(AssertSqlSafe(*sql))
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
    check_migrated(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_equips_existing_postgres_catalogs() {
    let base = pg_base();
    let name = format!("bifrost_test_{:016x}", rand::rng().random::<u64>());
    let _db = PgDatabase {
        base: base.clone(),
        name: name.clone(),
    };
    let url = pg_url(&base, &name);
    let migrations = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");
    let mut admin = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let migrator = sqlx::migrate::Migrator::new(std::path::Path::new(migrations))
        .await
        .unwrap();
    migrator.run_to(1, &pool).await.unwrap();
    for sql in OLD_DATA {
        sqlx::query(AssertSqlSafe(*sql))
            .execute(&pool)
            .await
            .unwrap();
    }
    // Identity columns continue after the explicit ids.
    for table in ["projects", "assets", "versions"] {
        sqlx::raw_sql(AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
        )))
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
    check_migrated(&url).await;
}

// ---------------------------------------------------------------------------------------------
// Indexes

/// Lookups by name or id, as the catalog runs them: SQLite must answer each with an index
/// search, never a table scan.
const LOOKUPS: &[&str] = &[
    "SELECT a.id FROM assets a WHERE a.project_id = 1 AND a.name = 'x'",
    "SELECT s.id FROM sequences q JOIN shots s ON s.sequence_id = q.id \
     WHERE q.project_id = 1 AND q.name = 'SQ' AND s.name = 'SH'",
    "SELECT id FROM sequences WHERE project_id = 1 AND name = 'SQ'",
    "SELECT id FROM versions WHERE asset_id = 1 AND number = 2",
    "SELECT id, assignee, status FROM tasks WHERE entity_kind = 'shot' AND entity_id = 1 \
     AND department = 'fx'",
    "SELECT id FROM tasks WHERE project_id = 1 AND assignee = 'ana'",
    "SELECT id FROM tasks WHERE project_id = 1 AND department = 'fx'",
    "SELECT dst_kind, dst_id FROM links WHERE src_kind = 'asset' AND src_id = 1",
    "SELECT src_kind, src_id FROM links WHERE dst_kind = 'asset' AND dst_id = 1",
    "SELECT 1 FROM links WHERE src_kind = 'asset' AND src_id = 1 AND dst_kind = 'asset' \
     AND dst_id = 2 AND kind = 'member'",
    "SELECT id FROM history WHERE entity_kind = 'asset' AND entity_id = 1 ORDER BY id DESC",
    "SELECT id FROM history WHERE version_id = 1",
    "SELECT id FROM comments WHERE target_kind = 'asset' AND target_id = 1 ORDER BY id",
    "SELECT id FROM collections WHERE project_id = 1 AND name = 'c'",
    "SELECT entity_id FROM collection_members WHERE collection_id = 1",
    "SELECT collection_id FROM collection_members WHERE entity_kind = 'asset' AND entity_id = 1",
    "SELECT id FROM search_docs WHERE kind = 'asset' AND entity_id = 1",
    "SELECT id FROM search_docs WHERE name_key = 'hero'",
    "SELECT id FROM search_docs WHERE project_id = 1 ORDER BY kind, name LIMIT 10",
    "SELECT name FROM workflow_statuses WHERE project_id = 1 ORDER BY position LIMIT 1",
    "SELECT name FROM departments WHERE project_id = 1 ORDER BY position",
    "SELECT query FROM saved_searches WHERE project_id = 1 AND name = 's'",
    "SELECT status, COUNT(*) FROM shots WHERE project_id = 1 GROUP BY status",
    "WITH RECURSIVE r (kind, id, depth) AS (SELECT src_kind, src_id, 1 FROM links \
     WHERE dst_kind = 'asset' AND dst_id = 1 UNION SELECT l.src_kind, l.src_id, r.depth + 1 \
     FROM r CROSS JOIN links l WHERE l.dst_kind = r.kind AND l.dst_id = r.id) SELECT * FROM r",
];

#[tokio::test]
async fn sqlite_lookups_use_indexes() {
    let ctx = Ctx::sqlite().await;
    production_fixture(&ctx.cat).await;
    let Backing::Sqlite { path, .. } = &ctx.backing else {
        unreachable!()
    };
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    sqlx::raw_sql("ANALYZE").execute(&mut conn).await.unwrap();
    for sql in LOOKUPS {
        let plan: Vec<String> = sqlx::query(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|row| sqlx::Row::get::<String, _>(row, "detail"))
            .collect();
        let scans: Vec<&String> = plan
            .iter()
            .filter(|d| d.starts_with("SCAN ") && !d.starts_with("SCAN r"))
            .collect();
        assert!(scans.is_empty(), "{sql}\n{plan:#?}");
    }
    conn.close().await.unwrap();
    ctx.cat.close().await;
}

#[tokio::test]
async fn postgres_lookups_can_use_indexes() {
    let ctx = Ctx::postgres().await;
    production_fixture(&ctx.cat).await;
    let mut conn = sqlx::PgConnection::connect(&ctx.url).await.unwrap();
    // With sequential scans priced out, a lookup that still scans has no usable index.
    sqlx::raw_sql("SET enable_seqscan = off")
        .execute(&mut conn)
        .await
        .unwrap();
    for sql in LOOKUPS {
        let plan: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!("EXPLAIN {sql}")))
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let text = plan.join("\n");
        let scans = plan
            .iter()
            .filter(|l| l.contains("Seq Scan") && !l.contains("Seq Scan on r"))
            .count();
        assert_eq!(scans, 0, "{sql}\n{text}");
    }
    conn.close().await.unwrap();
    ctx.cat.close().await;
}

// ---------------------------------------------------------------------------------------------
// Bulk import speed

/// A production of `assets` assets, `assets / 5` shots in 20 sequences, `versions_per_asset`
/// versions each and `links_per_asset` links per asset (to earlier assets and from shots).
fn synthetic_batch(assets: usize, versions_per_asset: usize, links: usize) -> ProductionBatch {
    let when = Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0).unwrap();
    let shots = assets / 5;
    let mut batch = ProductionBatch {
        assets: (0..assets)
            .map(|i| NewAsset {
                name: format!("asset{i:06}"),
                asset_type: ["prop", "character", "set", "fx"][i % 4].to_owned(),
                tags: vec![format!("group{}", i % 10)],
                metadata: BTreeMap::from([("poly".to_owned(), serde_json::json!(i * 10))]),
                department: None,
            })
            .collect(),
        shots: (0..shots)
            .map(|i| NewShot::new(format!("SQ{:03}", i % 20), format!("SH{i:06}"), 1001, 1100))
            .collect(),
        versions: Vec::with_capacity(assets * versions_per_asset),
        links: Vec::with_capacity(links),
    };
    for i in 0..assets {
        for n in 1..=versions_per_asset {
            batch.versions.push(BatchVersion {
                asset: format!("asset{i:06}"),
                number: n as i64,
                author: ["ana", "bob", "carol"][n % 3].to_owned(),
                note: format!("take {n} of asset {i}: lighting and smoke pass"),
                created_at: when + Duration::hours((i * versions_per_asset + n) as i64 % 5000),
                file_count: 3,
                total_bytes: 1 << 20,
            });
        }
    }
    // Asset i uses assets i-1..i-k (a DAG), shots use assets.
    let mut i = 1;
    let mut k = 1;
    let mut j = 0;
    let mut seen = std::collections::HashSet::new();
    while batch.links.len() < links {
        if k <= i.min(4) {
            batch.links.push(link(
                &asset(&format!("asset{i:06}")),
                &asset(&format!("asset{:06}", i - k)),
                LinkKind::Reference,
                None,
            ));
            k += 1;
        } else if i < assets - 1 {
            i += 1;
            k = 1;
        } else {
            // For a given shot s, j = s + k * shots gives assets k + 13 s: all distinct.
            let (s, a) = (j % shots, (j / shots + (j % shots) * 13) % assets);
            j += 1;
            if seen.insert((s, a)) {
                batch.links.push(link(
                    &shot(&format!("SQ{:03}", s % 20), &format!("SH{s:06}")),
                    &asset(&format!("asset{a:06}")),
                    LinkKind::Member,
                    Some(1),
                ));
            }
        }
    }
    batch
}

/// A tenth of the benchmark production (10k assets, 2k shots, 100k versions, 50k links) on
/// SQLite; prints how long the import took (its speed is measured by bench/production.sh, not
/// asserted here: a debug build on a busy machine says nothing about it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_import_tenth_of_benchmark_on_sqlite() {
    let ctx = Ctx::sqlite().await;
    ctx.cat
        .create_project("bench", &mut Journal::none())
        .await
        .unwrap();
    let batch = synthetic_batch(10_000, 10, 50_000);
    let started = Instant::now();
    let summary = ctx
        .cat
        .bulk_import("bench", &batch, &mut Journal::none())
        .await
        .unwrap();
    let took = started.elapsed();
    eprintln!("bulk import of {summary:?} on SQLite took {took:.2?}");
    assert_eq!(summary.versions, 100_000);
    assert_eq!(summary.links, 50_000);
    let hits = ctx
        .cat
        .search(Some("bench"), &parse("smoke kind:asset type:set"), 5, 0)
        .await
        .unwrap();
    assert_eq!(hits.len(), 5);
    ctx.cat.close().await;
}
