//! Nobody grants more than they hold: a supervisor who may manage members cannot make anyone
//! (themselves included) an admin, nor change or remove a member whose role exceeds theirs.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Server, code, each_backend};

async fn set(s: &Server, token: &str, user: &str, role: &str) -> (StatusCode, Value) {
    s.call(
        Method::PUT,
        &format!("/projects/main/members/{user}"),
        Some(token),
        Some(json!({ "role": role, "departments": [] })),
    )
    .await
}

async fn role_of(s: &Server, user: &str) -> String {
    let (status, body) = s.get("/projects/main/members", &s.admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"] == user)
        .map(|m| m["role"].as_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_supervisor_grants_no_more_than_they_hold() {
    each_backend(|backend| async move {
        let s = Server::start(backend).await;
        let sue = s.member("sue", "supervisor", &[]).await;
        s.member("bob", "artist", &[]).await;
        s.member("al", "admin", &[]).await;

        for (user, role) in [("bob", "admin"), ("sue", "admin"), ("al", "vendor")] {
            let (status, body) = set(&s, &sue, user, role).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{backend} {user}->{role}: {body}"
            );
            assert_eq!(code(&body), "forbidden");
        }
        assert_eq!(role_of(&s, "bob").await, "artist");
        assert_eq!(role_of(&s, "sue").await, "supervisor");
        assert_eq!(role_of(&s, "al").await, "admin");
        let (status, body) = s
            .call(
                Method::DELETE,
                "/projects/main/members/al",
                Some(&sue),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}: {body}");
        assert_eq!(role_of(&s, "al").await, "admin");

        // Within her own rights she manages members as before.
        let (status, body) = set(&s, &sue, "bob", "supervisor").await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(role_of(&s, "bob").await, "supervisor");
        let (status, body) = set(&s, &s.admin, "bob", "admin").await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        s.stop().await;
    })
    .await;
}
