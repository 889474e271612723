//! Department restrictions: every mutating operation on work of a department (here
//! `modeling`: an asset of that department, its versions, lock and links, the department's
//! tasks), and on work of no department (a shot itself, membership), performed by every kind
//! of member. A refusal is a 403 that changes nothing; an allowed call changes what it says.

use bifrost::Actor;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Server, code, each_backend};

/// Who performs an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// An artist restricted to `animation`.
    AnimationArtist,
    /// A member restricted to `modeling` with the role the operation needs.
    Modeling,
    /// An unrestricted member with the role the operation needs.
    Unrestricted,
    /// A vendor (read-only).
    Vendor,
    /// A supervisor restricted to `animation`.
    AnimationSupervisor,
}

const EVERYONE: [Who; 5] = [
    Who::AnimationArtist,
    Who::Modeling,
    Who::Unrestricted,
    Who::Vendor,
    Who::AnimationSupervisor,
];

/// The role an operation needs (for `Who::Modeling` and `Who::Unrestricted`).
#[derive(Debug, Clone, Copy)]
enum Needs {
    Artist,
    Supervisor,
}

/// Whose work the operation changes.
#[derive(Debug, Clone, Copy)]
enum Work {
    /// `modeling`'s: members restricted to it and unrestricted members may change it.
    Modeling,
    /// No department's (a shot itself, membership): unrestricted members only.
    NoDepartment,
    /// Comments: any member whose role allows commenting, whatever their departments.
    AnyDepartment,
}

/// What the fixture holds besides the common entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lock {
    None,
    /// `m{n}` is locked by the user performing the operation.
    ByCaller,
    /// `m{n}` is locked by someone else (the admin).
    ByOther,
}

#[derive(Debug, Clone, Copy)]
enum Call {
    /// Method, path and JSON body; `{n}` stands for the fixture's number.
    Http(&'static str, &'static str, Option<&'static str>),
    /// A remote publish of a new version of `m{n}` (chunk negotiation, upload, commit).
    Publish,
}

struct Op {
    name: &'static str,
    call: Call,
    /// The status of success.
    ok: StatusCode,
    needs: Needs,
    work: Work,
    lock: Lock,
}

const fn op(name: &'static str, call: Call, ok: StatusCode, needs: Needs, work: Work) -> Op {
    Op {
        name,
        call,
        ok,
        needs,
        work,
        lock: Lock::None,
    }
}

const OK: StatusCode = StatusCode::OK;
const CREATED: StatusCode = StatusCode::CREATED;

/// The fixture of number `n`: asset `m{n}` of `modeling` with versions 1 and 2 and a
/// reference link to `d{n}` (no department); shot `sq/sh{n}` with a `modeling` task; member
/// `u{n}` restricted to `modeling`.
const OPS: &[Op] = &[
    // Work of `modeling`, for artists.
    op(
        "asset status",
        Call::Http(
            "PUT",
            "/projects/main/status",
            Some(r#"{"entity": "m{n}", "status": "ip"}"#),
        ),
        OK,
        Needs::Artist,
        Work::Modeling,
    ),
    op(
        "asset metadata",
        Call::Http(
            "PATCH",
            "/projects/main/assets/m{n}",
            Some(r#"{"metadata": {"poly": 12000}}"#),
        ),
        OK,
        Needs::Artist,
        Work::Modeling,
    ),
    op(
        "asset metadata replaced",
        Call::Http(
            "PATCH",
            "/projects/main/assets/m{n}",
            Some(r#"{"metadata": {"lod": 0}, "replace": true}"#),
        ),
        OK,
        Needs::Artist,
        Work::Modeling,
    ),
    op(
        "link from asset",
        Call::Http(
            "POST",
            "/projects/main/links",
            Some(r#"{"src": "m{n}", "dst": "d{n}", "kind": "derived-from"}"#),
        ),
        CREATED,
        Needs::Artist,
        Work::Modeling,
    ),
    op(
        "link removed from asset",
        Call::Http("DELETE", "/projects/main/links?src=m{n}&dst=d{n}", None),
        OK,
        Needs::Artist,
        Work::Modeling,
    ),
    op(
        "publish",
        Call::Publish,
        CREATED,
        Needs::Artist,
        Work::Modeling,
    ),
    op(
        "rollback",
        Call::Http(
            "POST",
            "/projects/main/assets/m{n}/rollback",
            Some(r#"{"version": 1}"#),
        ),
        CREATED,
        Needs::Artist,
        Work::Modeling,
    ),
    op(
        "lock",
        Call::Http(
            "POST",
            "/projects/main/assets/m{n}/lock",
            Some(r#"{"ttl_seconds": 600}"#),
        ),
        OK,
        Needs::Artist,
        Work::Modeling,
    ),
    Op {
        lock: Lock::ByCaller,
        ..op(
            "lock heartbeat",
            Call::Http(
                "POST",
                "/projects/main/assets/m{n}/lock/heartbeat",
                Some(r#"{"ttl_seconds": 7200}"#),
            ),
            OK,
            Needs::Artist,
            Work::Modeling,
        )
    },
    Op {
        lock: Lock::ByCaller,
        ..op(
            "unlock",
            Call::Http("DELETE", "/projects/main/assets/m{n}/lock", None),
            OK,
            Needs::Artist,
            Work::Modeling,
        )
    },
    op(
        "task created",
        Call::Http(
            "POST",
            "/projects/main/tasks",
            Some(r#"{"entity": "m{n}", "department": "modeling"}"#),
        ),
        CREATED,
        Needs::Artist,
        Work::Modeling,
    ),
    op(
        "shot task updated",
        Call::Http(
            "PATCH",
            "/projects/main/tasks",
            Some(r#"{"entity": "sq/sh{n}", "department": "modeling", "status": "ip"}"#),
        ),
        OK,
        Needs::Artist,
        Work::Modeling,
    ),
    op(
        "shot task assigned",
        Call::Http(
            "PATCH",
            "/projects/main/tasks",
            Some(r#"{"entity": "sq/sh{n}", "department": "modeling", "assignee": "u{n}"}"#),
        ),
        OK,
        Needs::Artist,
        Work::Modeling,
    ),
    op(
        "shot task deleted",
        Call::Http(
            "DELETE",
            "/projects/main/tasks?entity=sq/sh{n}&department=modeling",
            None,
        ),
        OK,
        Needs::Artist,
        Work::Modeling,
    ),
    op(
        "asset created in modeling",
        Call::Http(
            "POST",
            "/projects/main/assets",
            Some(r#"{"name": "new{n}", "department": "modeling"}"#),
        ),
        CREATED,
        Needs::Artist,
        Work::Modeling,
    ),
    // Work of `modeling`, for supervisors.
    op(
        "review",
        Call::Http(
            "PUT",
            "/projects/main/assets/m{n}/versions/1/review",
            Some(r#"{"status": "approved"}"#),
        ),
        OK,
        Needs::Supervisor,
        Work::Modeling,
    ),
    Op {
        lock: Lock::ByOther,
        ..op(
            "lock broken",
            Call::Http("DELETE", "/projects/main/assets/m{n}/lock?force=true", None),
            OK,
            Needs::Supervisor,
            Work::Modeling,
        )
    },
    op(
        "asset deleted",
        Call::Http("DELETE", "/projects/main/assets/m{n}?force=true", None),
        OK,
        Needs::Supervisor,
        Work::Modeling,
    ),
    // Work of no department.
    op(
        "shot status",
        Call::Http(
            "PUT",
            "/projects/main/status",
            Some(r#"{"entity": "sq/sh{n}", "status": "ip"}"#),
        ),
        OK,
        Needs::Artist,
        Work::NoDepartment,
    ),
    op(
        "shot updated",
        Call::Http(
            "PATCH",
            "/projects/main/shots/sq/sh{n}",
            Some(r#"{"frame_end": 1100, "metadata": {"cut": 2}}"#),
        ),
        OK,
        Needs::Artist,
        Work::NoDepartment,
    ),
    op(
        "link from shot",
        Call::Http(
            "POST",
            "/projects/main/links",
            Some(r#"{"src": "sq/sh{n}", "dst": "m{n}"}"#),
        ),
        CREATED,
        Needs::Artist,
        Work::NoDepartment,
    ),
    op(
        "asset created in no department",
        Call::Http(
            "POST",
            "/projects/main/assets",
            Some(r#"{"name": "new{n}"}"#),
        ),
        CREATED,
        Needs::Artist,
        Work::NoDepartment,
    ),
    op(
        "shot deleted",
        Call::Http("DELETE", "/projects/main/shots/sq/sh{n}?force=true", None),
        OK,
        Needs::Supervisor,
        Work::NoDepartment,
    ),
    op(
        "member's departments lifted",
        Call::Http(
            "PUT",
            "/projects/main/members/u{n}",
            Some(r#"{"role": "artist", "departments": []}"#),
        ),
        OK,
        Needs::Supervisor,
        Work::NoDepartment,
    ),
    op(
        "member removed",
        Call::Http("DELETE", "/projects/main/members/u{n}", None),
        OK,
        Needs::Supervisor,
        Work::NoDepartment,
    ),
    // Comments are not any department's work.
    op(
        "comment on asset",
        Call::Http(
            "POST",
            "/projects/main/comments",
            Some(r#"{"target": "m{n}", "body": "the silhouette reads well"}"#),
        ),
        CREATED,
        Needs::Artist,
        Work::AnyDepartment,
    ),
    op(
        "comment on version",
        Call::Http(
            "POST",
            "/projects/main/comments",
            Some(r#"{"target": "m{n}@v1", "body": "normals are flipped"}"#),
        ),
        CREATED,
        Needs::Artist,
        Work::AnyDepartment,
    ),
];

/// Whether `who` may perform `op`.
fn allowed(op: &Op, who: Who) -> bool {
    match (op.work, who) {
        (_, Who::Vendor) => false,
        (Work::AnyDepartment, _) | (_, Who::Unrestricted) => true,
        (Work::Modeling, Who::Modeling) => true,
        (Work::Modeling | Work::NoDepartment, _) => false,
    }
}

struct Members {
    /// (user, token) by kind of member and role needed.
    tokens: Vec<(Who, Option<&'static str>, String, String)>,
}

impl Members {
    async fn create(s: &Server) -> Self {
        let mut tokens = Vec::new();
        for (who, needs, name, role, departments) in [
            (
                Who::AnimationArtist,
                None,
                "anim_artist",
                "artist",
                &["animation"][..],
            ),
            (
                Who::Modeling,
                Some("artist"),
                "model_artist",
                "artist",
                &["modeling"][..],
            ),
            (
                Who::Unrestricted,
                Some("artist"),
                "free_artist",
                "artist",
                &[][..],
            ),
            (Who::Vendor, None, "vendor", "vendor", &[][..]),
            (
                Who::AnimationSupervisor,
                None,
                "anim_super",
                "supervisor",
                &["animation"][..],
            ),
            (
                Who::Modeling,
                Some("supervisor"),
                "model_super",
                "supervisor",
                &["modeling"][..],
            ),
            (
                Who::Unrestricted,
                Some("supervisor"),
                "free_super",
                "supervisor",
                &[][..],
            ),
        ] {
            let token = s.member(name, role, departments).await;
            tokens.push((who, needs, name.to_owned(), token));
        }
        Members { tokens }
    }

    /// The user and token of `who` for an operation needing `needs`.
    fn get(&self, who: Who, needs: Needs) -> (&str, &str) {
        let role = match needs {
            Needs::Artist => "artist",
            Needs::Supervisor => "supervisor",
        };
        let (_, _, user, token) = self
            .tokens
            .iter()
            .find(|(w, r, _, _)| *w == who && r.is_none_or(|r| r == role))
            .expect("every kind of member exists");
        (user, token)
    }
}

fn fill(text: &str, n: usize) -> String {
    text.replace("{n}", &n.to_string())
}

async fn expect(s: &Server, method: Method, path: String, body: Option<Value>, want: StatusCode) {
    let (status, answer) = s.call(method.clone(), &path, Some(&s.admin), body).await;
    assert_eq!(status, want, "fixture {method} {path}: {answer}");
}

/// Creates fixture `n` (see [`OPS`]); `caller` holds the lock when the operation needs it.
async fn fixture(s: &Server, n: usize, op: &Op, caller: &str) {
    let post =
        |path: &str, body: Value| expect(s, Method::POST, path.to_owned(), Some(body), CREATED);
    post(
        "/projects/main/assets",
        json!({
            "name": format!("m{n}"),
            "type": "prop",
            "department": "modeling",
            "metadata": { "poly": 9000 },
        }),
    )
    .await;
    post(
        "/projects/main/assets",
        json!({ "name": format!("d{n}"), "type": "prop" }),
    )
    .await;
    // Versions 1 and 2, published directly (the remote publish is an operation under test).
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("m.abc");
    for v in 1..=2 {
        std::fs::write(&file, format!("model {n} v{v}")).unwrap();
        s.repo
            .clone()
            .acting_as(bifrost::Actor {
                user: "root".into(),
                origin: "local".into(),
                request_id: None,
            })
            .publish(
                &format!("m{n}"),
                std::slice::from_ref(&file),
                "fixture",
                std::sync::Arc::new(bifrost::NoProgress),
            )
            .await
            .unwrap();
    }
    post(
        "/projects/main/links",
        json!({ "src": format!("m{n}"), "dst": format!("d{n}") }),
    )
    .await;
    post(
        "/projects/main/shots",
        json!({ "sequence": "sq", "name": format!("sh{n}"), "frame_start": 1001, "frame_end": 1050 }),
    )
    .await;
    post(
        "/projects/main/tasks",
        json!({ "entity": format!("sq/sh{n}"), "department": "modeling" }),
    )
    .await;
    let user = format!("u{n}");
    s.repo.add_user(&user, None, "artist", None).await.unwrap();
    s.repo
        .set_member(&user, "artist", &["modeling".to_owned()])
        .await
        .unwrap();
    let holder = match op.lock {
        Lock::None => return,
        Lock::ByCaller => caller,
        Lock::ByOther => "root",
    };
    s.repo
        .clone()
        .acting_as(Actor {
            user: holder.to_owned(),
            origin: "test".to_owned(),
            request_id: None,
        })
        .lock(&format!("m{n}"), std::time::Duration::from_secs(600), None)
        .await
        .unwrap();
}

/// Everything the operations could change about fixture `n`, as the admin sees it.
async fn snapshot(s: &Server, n: usize) -> Value {
    let mut state = serde_json::Map::new();
    for path in [
        "/projects/main/assets/m{n}",
        "/projects/main/assets/m{n}/versions",
        "/projects/main/assets/m{n}/lock",
        "/projects/main/assets/new{n}",
        "/projects/main/deps?entity=m{n}",
        "/projects/main/deps?entity=sq/sh{n}",
        "/projects/main/tasks?entity=m{n}",
        "/projects/main/tasks?entity=sq/sh{n}",
        "/projects/main/shots/sq/sh{n}",
        "/projects/main/history?target=m{n}",
        "/projects/main/history?target=m{n}@v1",
        "/projects/main/history?target=sq/sh{n}",
        "/projects/main/comments?target=m{n}",
        "/projects/main/comments?target=m{n}@v1",
    ] {
        let path = fill(path, n);
        let (status, body) = s.get(&path, &s.admin).await;
        state.insert(path, json!([status.as_u16(), body]));
    }
    let (_, members) = s.get("/projects/main/members", &s.admin).await;
    let user = format!("u{n}");
    let member: Vec<&Value> = members
        .as_array()
        .expect("members are a list")
        .iter()
        .filter(|m| m["user"] == user.as_str())
        .collect();
    state.insert("member".into(), json!(member));
    Value::Object(state)
}

async fn perform(s: &Server, op: &Op, n: usize, token: &str) -> (StatusCode, Value) {
    match op.call {
        Call::Http(method, path, body) => {
            let body = body.map(|b| serde_json::from_str(&fill(b, n)).unwrap());
            s.call(method.parse().unwrap(), &fill(path, n), Some(token), body)
                .await
        }
        Call::Publish => {
            let (_, status, body) = s
                .publish(
                    token,
                    &format!("m{n}"),
                    "m.abc",
                    format!("model {n} v3").as_bytes(),
                )
                .await;
            (status, body)
        }
    }
}

#[tokio::test]
async fn every_mutation_checks_the_department() {
    each_backend(|backend| async move {
        let s = Server::start(backend).await;
        let (status, body) = s
            .post(
                "/projects/main/departments",
                &s.admin,
                json!({ "name": "modeling" }),
            )
            .await;
        assert_eq!(status, CREATED, "{body}");
        let (status, body) = s
            .post(
                "/projects/main/sequences",
                &s.admin,
                json!({ "name": "sq" }),
            )
            .await;
        assert_eq!(status, CREATED, "{body}");
        let members = Members::create(&s).await;
        let mut failures = Vec::new();
        let mut n = 0;
        for op in OPS {
            for who in EVERYONE {
                n += 1;
                let (user, token) = members.get(who, op.needs);
                fixture(&s, n, op, user).await;
                let before = snapshot(&s, n).await;
                let (status, body) = perform(&s, op, n, token).await;
                let after = snapshot(&s, n).await;
                let row = format!("{backend}: {} by {who:?} ({user})", op.name);
                if allowed(op, who) {
                    if status != op.ok {
                        failures.push(format!("{row}: expected {}, got {status} {body}", op.ok));
                    } else if before == after {
                        failures.push(format!("{row}: succeeded but changed nothing"));
                    }
                } else {
                    if status != StatusCode::FORBIDDEN || code(&body) != "forbidden" {
                        failures.push(format!(
                            "{row}: expected 403 forbidden, got {status} {body}"
                        ));
                    }
                    if before != after {
                        failures.push(format!(
                            "{row}: a refused call changed\n  before {before}\n  after  {after}"
                        ));
                    }
                }
            }
        }
        s.stop().await;
        assert!(
            failures.is_empty(),
            "{} of {} calls went wrong:\n{}",
            failures.len(),
            OPS.len() * EVERYONE.len(),
            failures.join("\n")
        );
    })
    .await;
}
