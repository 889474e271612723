//! The production model end to end: sequences, shots, statuses, tasks, links, history, search,
//! reports — on the embedded catalog and on PostgreSQL.

use serde_json::Value;

use crate::support::{Repo, write_file};

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a JSON list")
        .iter()
        .map(|h| h["name"].as_str().expect("name").to_owned())
        .collect()
}

/// A small production used by several tests.
fn production(repo: &Repo) {
    repo.ok(&["seq", "create", "SQ010"]);
    repo.ok(&[
        "shot",
        "create",
        "SQ010/SH010",
        "--frames",
        "1001-1096",
        "--fps",
        "24",
    ]);
    repo.ok(&[
        "shot",
        "create",
        "SQ010/SH020",
        "--frames",
        "1001-1050",
        "--meta",
        "cam=A",
    ]);
    repo.ok(&[
        "asset",
        "create",
        "barrel",
        "--type",
        "prop",
        "--tag",
        "hero",
        "--meta",
        "poly=9000",
        "--meta",
        "color=red",
    ]);
    repo.ok(&[
        "asset",
        "create",
        "crate",
        "--type",
        "prop",
        "--meta",
        "poly=20000",
    ]);
    repo.ok(&[
        "asset", "create", "hero_rig", "--type", "rig", "--tag", "hero",
    ]);
    let src = repo.work("barrel.usd");
    write_file(&src, b"red barrel v1", 0o644);
    repo.ok(&[
        "publish",
        "barrel",
        src.to_str().unwrap(),
        "-m",
        "red barrel blockout",
    ]);
    write_file(&src, b"red barrel v2 with more detail", 0o644);
    repo.ok(&[
        "publish",
        "barrel",
        src.to_str().unwrap(),
        "-m",
        "detail pass",
    ]);
}

fn full_scenario(repo: &Repo) {
    production(repo);
    // Shots.
    let shots = repo.json(&["shot", "list", "--seq", "SQ010"]);
    assert_eq!(names(&shots), ["SH010", "SH020"]);
    let shot = repo.json(&["shot", "show", "SQ010/SH010"]);
    assert_eq!(shot["shot"]["frame_start"], 1001);
    assert_eq!(shot["shot"]["status"], "wtg");
    let updated = repo.json(&[
        "shot",
        "update",
        "SQ010/SH010",
        "--frames",
        "1001-1100",
        "--meta",
        "lens=35",
    ]);
    assert_eq!(updated["frame_end"], 1100);
    assert_eq!(updated["metadata"]["lens"], 35);

    // Workflow is enforced and history kept.
    repo.fails(
        &["status", "SQ010/SH010", "approved"],
        &["wtg → approved", "allowed next"],
    );
    repo.fails(&["status", "SQ010/SH010", "bogus"], &["bogus"]);
    repo.ok(&["status", "SQ010/SH010", "ip"]);
    repo.ok(&["status", "SQ010/SH010", "review"]);
    let status = repo.json(&["status", "SQ010/SH010"]);
    assert_eq!(status["status"], "review");
    let history = repo.json(&["history", "SQ010/SH010"]);
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[0]["new"], "review");

    // Tasks.
    repo.ok(&[
        "task",
        "create",
        "SQ010/SH010",
        "--dept",
        "animation",
        "--assignee",
        "ana",
    ]);
    repo.fails(
        &["task", "create", "SQ010/SH010", "--dept", "basket-weaving"],
        &["basket-weaving"],
    );
    repo.ok(&[
        "task",
        "update",
        "SQ010/SH010",
        "--dept",
        "animation",
        "--status",
        "ip",
    ]);
    let tasks = repo.json(&["task", "list", "--assignee", "ana"]);
    assert_eq!(tasks[0]["status"], "ip");

    // Links, dependencies and cycles.
    repo.ok(&[
        "link",
        "SQ010/SH010",
        "barrel",
        "--kind",
        "reference",
        "--pin",
        "v1",
    ]);
    repo.ok(&["link", "barrel", "hero_rig", "--kind", "derived-from"]);
    repo.fails(&["link", "hero_rig", "SQ010/SH010"], &["cycle"]);
    repo.fails(&["link", "barrel", "nope"], &["nope"]);
    repo.fails(
        &[
            "link",
            "barrel",
            "hero_rig",
            "--kind",
            "derived-from",
            "--pin",
            "v9",
        ],
        &["v9"],
    );
    let used = repo.json(&["used-by", "hero_rig", "--transitive"]);
    let users: Vec<&str> = used
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["entity"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["barrel", "SQ010/SH010"]);
    let deps = repo.json(&["deps", "SQ010/SH010"]);
    assert_eq!(deps[0]["entity"], "barrel");
    assert_eq!(deps[0]["pin"], 1);
    let refused = repo.fails(&["asset", "delete", "hero_rig"], &["barrel"]);
    assert!(!refused.is_empty());

    // Version history: diff, rollback, review, comments.
    let diff = repo.json(&["diff", "barrel@v1", "barrel@v2"]);
    assert_eq!(diff["changed"].as_array().unwrap().len(), 1);
    assert!(diff["bytes_differing"].as_u64().unwrap() > 0);
    let rolled = repo.json(&["rollback", "barrel", "v1"]);
    assert_eq!(rolled["number"], 3);
    let same = repo.json(&["diff", "barrel@v1", "barrel@v3"]);
    assert_eq!(same["changed"].as_array().unwrap().len(), 0);
    assert_eq!(same["unchanged"], 1);
    repo.ok(&["review", "barrel@v2", "approved"]);
    let usage = repo.run(&["review", "barrel@v2", "maybe"]);
    assert_eq!(
        usage.status.code(),
        Some(2),
        "a bad keyword is a usage error"
    );
    assert!(
        String::from_utf8_lossy(&usage.stderr).contains("pending, approved, changes-requested")
    );
    repo.ok(&["comment", "barrel@v2", "the rim is too shiny"]);
    let comments = repo.json(&["comment", "barrel@v2"]);
    assert_eq!(comments[0]["body"], "the rim is too shiny");

    // Search.
    let hits = repo.json(&[
        "search",
        r#"type:prop tag:hero meta.poly<10000 "red barrel""#,
    ]);
    assert_eq!(names(&hits), ["barrel"]);
    let hits = repo.json(&["search", "type:prop meta.poly>=10000"]);
    assert_eq!(names(&hits), ["crate"]);
    let hits = repo.json(&["search", "shiny"]);
    assert!(
        names(&hits).iter().any(|n| n.starts_with("barrel")),
        "{hits}"
    );
    let hits = repo.json(&["search", "kind:shot -meta.cam:A"]);
    assert_eq!(names(&hits), ["SQ010/SH010"]);
    for injection in [
        r#""'; DROP TABLE assets; --""#,
        r#"name:"x' OR '1'='1""#,
        r#"meta.color:"red' OR 1=1 --""#,
    ] {
        let hits = repo.json(&["search", injection]);
        assert!(hits.as_array().unwrap().is_empty(), "{injection}: {hits}");
    }
    assert_eq!(
        repo.asset_names().len(),
        3,
        "injection text changed nothing"
    );
    let err = repo.fails(
        &["search", "type:prop colour:red"],
        &["unknown field `colour`", "^^^^^^"],
    );
    assert!(err.contains("type:prop colour:red"), "{err}");
    repo.ok(&["search", "tag:hero", "--save", "heroes"]);
    let saved = repo.json(&["search", "--saved", "heroes"]);
    assert_eq!(names(&saved), ["barrel", "hero_rig"]);

    // Collections and favourites.
    repo.ok(&["collection", "create", "review-today"]);
    repo.ok(&["collection", "add", "review-today", "barrel", "SQ010/SH020"]);
    let members = repo.json(&["collection", "show", "review-today"]);
    assert_eq!(members.as_array().unwrap().len(), 2);
    repo.ok(&["fav", "add", "hero_rig"]);
    assert_eq!(repo.json(&["fav", "list"])[0], "hero_rig");

    // Reports.
    let report = repo.json(&["report", "status"]);
    let shots_by_status: Vec<(String, u64)> =
        serde_json::from_value(report["shots_by_status"].clone()).unwrap();
    assert_eq!(
        shots_by_status,
        [("wtg".to_owned(), 1), ("review".to_owned(), 1)],
        "statuses in workflow order"
    );
    let csv = repo.ok(&["report", "status", "--csv"]);
    assert!(csv.starts_with("section,key,status,count\n"), "{csv}");
    assert!(csv.contains("assets_by_type,prop,,2"), "{csv}");

    // Forced delete removes the asset and its links.
    repo.ok(&["asset", "delete", "hero_rig", "--force"]);
    assert_eq!(repo.json(&["deps", "barrel"]).as_array().unwrap().len(), 0);
}

#[test]
fn production_model_on_sqlite() {
    full_scenario(&Repo::new());
}

#[test]
fn production_model_on_postgres() {
    let db = format!("bifrost_cli_prod_{}", std::process::id());
    let url = format!("postgres://postgres@127.0.0.1:5432/{db}");
    let repo = Repo::init_with(&["--catalog", &url]);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| full_scenario(&repo)));
    let _ = std::process::Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-c",
            &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
        ])
        .output();
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

#[test]
fn bad_production_input_is_refused_clearly() {
    let repo = Repo::new();
    repo.ok(&["seq", "create", "SQ010"]);
    repo.fails(
        &["shot", "create", "SQ010/SH010", "--frames", "1096-1001"],
        &["reversed"],
    );
    repo.fails(
        &["shot", "create", "SQ010/SH010", "--frames", "abc"],
        &["not a frame range"],
    );
    repo.fails(
        &["shot", "create", "SQ999/SH010", "--frames", "1-2"],
        &["SQ999"],
    );
    repo.fails(
        &["shot", "create", "SH010", "--frames", "1-2"],
        &["SEQ/SHOT"],
    );
    repo.ok(&["shot", "create", "SQ010/SH010", "--frames", "1-2"]);
    repo.fails(
        &["shot", "create", "SQ010/SH010", "--frames", "1-2"],
        &["SH010"],
    );
    // Long and non-ASCII names work end to end.
    repo.ok(&["seq", "create", "シーン"]);
    repo.ok(&["shot", "create", "シーン/カット010", "--frames", "1-10"]);
    let long = "a".repeat(200);
    repo.ok(&["asset", "create", &long, "--type", "prop"]);
    repo.ok(&["link", "シーン/カット010", &long]);
    let used = repo.json(&["used-by", &long]);
    assert_eq!(used[0]["entity"], "シーン/カット010");
    let hits = repo.json(&["search", "カット010"]);
    assert_eq!(names(&hits), ["シーン/カット010"]);
    repo.fails(&["link", "SQ010/SH010", "SQ010/SH010"], &["itself"]);
    repo.fails(&["status", "ghost", "ip"], &["ghost"]);
    repo.fails(&["rollback", "ghost", "v1"], &["ghost"]);
    repo.fails(&["diff", "x@v1", "x@v2"], &["x"]);
}

#[test]
fn sequences_and_shots_are_renamed_and_deleted() {
    let repo = Repo::new();
    production(&repo);
    repo.ok(&["link", "SQ010/SH010", "barrel"]);
    repo.ok(&["link", "SQ010/SH020", "SQ010/SH010"]);
    repo.ok(&["task", "create", "SQ010/SH010", "--dept", "animation"]);

    // Renaming a sequence: its shots follow, in the search too.
    let renamed = repo.json(&["seq", "rename", "SQ010", "SQ015"]);
    assert_eq!(renamed["name"], "SQ015");
    let hits = repo.json(&["search", "seq:SQ015 kind:shot"]);
    assert_eq!(names(&hits), ["SQ015/SH010", "SQ015/SH020"]);
    assert!(
        repo.json(&["search", "SQ010"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    repo.fails(
        &["seq", "rename", "SQ015", "SQ/016"],
        &["invalid sequence name `SQ/016`", "`/` is not allowed"],
    );
    repo.ok(&["seq", "create", "SQ020"]);
    repo.fails(
        &["seq", "rename", "SQ015", "SQ020"],
        &["sequence `SQ020` already exists"],
    );
    repo.fails(
        &["seq", "rename", "SQ999", "SQ030"],
        &["`SQ999` does not exist"],
    );

    // Renaming a shot within its sequence, with history.
    let shot = repo.json(&["shot", "rename", "SQ015/SH010", "SH011", "--author", "ana"]);
    assert_eq!(shot["sequence"], "SQ015");
    assert_eq!(shot["name"], "SH011");
    let history = repo.json(&["history", "SQ015/SH011"]);
    assert_eq!(history[0]["field"], "name");
    assert_eq!(history[0]["old"], "SH010");
    assert_eq!(history[0]["new"], "SH011");
    assert_eq!(history[0]["author"], "ana");
    let text = repo.ok(&["shot", "rename", "SQ015/SH011", "SH012"]);
    assert!(
        text.contains("renamed shot SQ015/SH011 to SQ015/SH012"),
        "{text}"
    );
    repo.fails(
        &["shot", "rename", "SQ015/SH012", "SH020"],
        &["shot `SQ015/SH020` already exists"],
    );
    repo.fails(
        &["shot", "rename", "SQ015/SH012", "SQ020/SH012"],
        &["only the new shot name", "bifrost seq rename"],
    );
    assert_eq!(
        repo.json(&["deps", "SQ015/SH012"])[0]["entity"],
        "barrel",
        "links follow the renames"
    );

    // Deleting a shot that another uses: refused, naming it; then forced.
    repo.fails(
        &["shot", "delete", "SQ015/SH012"],
        &["shot `SQ015/SH012` is used by SQ015/SH020", "--force"],
    );
    assert_eq!(repo.json(&["shot", "list"]).as_array().unwrap().len(), 2);
    let deleted = repo.json(&["shot", "delete", "SQ015/SH012", "--force"]);
    assert_eq!(deleted["shot"], "SQ015/SH012");
    assert_eq!(deleted["links"], 2);
    assert_eq!(deleted["tasks"], 1);
    assert_eq!(deleted["dependants"], serde_json::json!(["SQ015/SH020"]));
    assert_eq!(names(&repo.json(&["shot", "list"])), ["SH020"]);
    assert!(
        repo.json(&["used-by", "barrel"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(repo.json(&["task", "list"]).as_array().unwrap().is_empty());
    repo.fails(
        &["shot", "delete", "SQ015/SH012"],
        &["`SQ015/SH012` does not exist"],
    );

    // Deleting a sequence that has shots: refused, then forced.
    repo.fails(
        &["seq", "delete", "SQ015"],
        &["still has 1 shot(s) (SH020)", "--force"],
    );
    let deleted = repo.json(&["seq", "delete", "SQ015", "--force"]);
    assert_eq!(deleted["sequence"], "SQ015");
    assert_eq!(deleted["shots"], serde_json::json!(["SH020"]));
    assert_eq!(names(&repo.json(&["seq", "list"])), ["SQ020"]);
    assert!(repo.json(&["shot", "list"]).as_array().unwrap().is_empty());
    let text = repo.ok(&["seq", "delete", "SQ020"]);
    assert!(text.contains("deleted sequence SQ020: 0 shots"), "{text}");
}

#[test]
fn workflow_statuses_are_removed_and_moved() {
    let repo = Repo::new();
    let wf = repo.json(&["workflow", "status", "add", "client"]);
    assert_eq!(wf["statuses"].as_array().unwrap().last().unwrap(), "client");
    repo.ok(&["workflow", "allow", "*", "client"]);
    repo.ok(&["workflow", "allow", "client", "ip"]);
    repo.ok(&["seq", "create", "SQ"]);
    repo.ok(&["shot", "create", "SQ/SH", "--frames", "1-2"]);
    repo.ok(&["status", "SQ/SH", "client"]);

    // In use: refused, saying by what.
    repo.fails(
        &["workflow", "status", "remove", "client"],
        &["status `client`", "still used by 1 shot(s)"],
    );
    repo.ok(&["status", "SQ/SH", "ip"]);
    let wf = repo.json(&["workflow", "status", "remove", "client"]);
    let statuses: Vec<&str> = wf["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "wtg", "ip", "review", "approved", "final", "on-hold", "omit"
        ]
    );
    assert!(
        !wf["transitions"].to_string().contains("client"),
        "transitions to and from it are gone: {wf}"
    );
    repo.fails(
        &["workflow", "status", "remove", "client"],
        &["`client` is not in the workflow", "known statuses"],
    );

    // Moving.
    let wf = repo.json(&["workflow", "status", "move", "omit", "--position", "1"]);
    assert_eq!(wf["statuses"][0], "omit");
    assert_eq!(wf["statuses"][1], "wtg");
    let text = repo.ok(&["workflow", "status", "move", "omit", "--position", "7"]);
    assert!(
        text.lines().last().unwrap().starts_with("omit"),
        "the workflow is shown in its new order: {text}"
    );
    repo.fails(
        &["workflow", "status", "move", "omit", "--position", "8"],
        &["has 7 statuses", "give a position from 1"],
    );
    let usage = repo.run(&["workflow", "status", "move", "omit", "--position", "0"]);
    assert_eq!(usage.status.code(), Some(2), "position 0 is a usage error");
    let help = repo.ok(&["workflow", "status", "move", "--help"]);
    assert!(help.contains("Positions count from 1"), "{help}");
}

/// `seq show` and `seq update`, and dotted `--meta` keys: they nest, so that search's
/// `meta.cam.lens` finds them; a key both a value and an object is refused.
#[test]
fn sequence_metadata_nests_dotted_keys() {
    let repo = Repo::new();
    repo.ok(&["seq", "create", "SQ010", "--meta", "location=forest"]);
    repo.ok(&["shot", "create", "SQ010/SH010", "--frames", "1-10"]);
    let updated = repo.json(&[
        "seq",
        "update",
        "SQ010",
        "--meta",
        "cam.lens=35",
        "--meta",
        "cam.body=alexa",
    ]);
    assert_eq!(updated["metadata"]["cam"]["lens"], 35);
    assert_eq!(updated["metadata"]["location"], "forest");
    assert_eq!(
        names(&repo.json(&["search", "meta.cam.lens<=50"])),
        ["SQ010"]
    );

    // A nested key removed by a merge leaves its siblings.
    let updated = repo.json(&["seq", "update", "SQ010", "--meta", "cam.lens=null"]);
    assert_eq!(
        updated["metadata"]["cam"],
        serde_json::json!({"body": "alexa"})
    );
    assert!(
        repo.json(&["search", "meta.cam.lens<=50"])
            .as_array()
            .unwrap()
            .is_empty()
    );

    let shown = repo.json(&["seq", "show", "SQ010"]);
    assert_eq!(shown["sequence"]["name"], "SQ010");
    assert_eq!(shown["shots"][0]["name"], "SH010");
    assert!(repo.ok(&["seq", "show", "SQ010"]).contains("SH010"));

    // Shots take dotted keys the same way.
    repo.ok(&["shot", "update", "SQ010/SH010", "--meta", "cam.lens=50"]);
    assert_eq!(
        repo.json(&["shot", "show", "SQ010/SH010"])["shot"]["metadata"]["cam"]["lens"],
        50
    );

    repo.fails(
        &[
            "seq",
            "update",
            "SQ010",
            "--meta",
            "cam=1",
            "--meta",
            "cam.lens=2",
        ],
        &["`cam` is already given a value"],
    );
    repo.fails(
        &["seq", "update", "SQ010", "--meta", "a..b=1"],
        &["empty part"],
    );
    repo.fails(&["seq", "show", "SQ999"], &["SQ999"]);
    // Nothing of the refused updates was applied.
    assert_eq!(
        repo.json(&["seq", "show", "SQ010"])["sequence"]["metadata"],
        serde_json::json!({"cam": {"body": "alexa"}, "location": "forest"})
    );
}
