//! Numbers from clients are range-checked: a lifetime too long to represent (or absurdly long)
//! is a 400 that names the limit, never a panic, and creates nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Server, code, each_backend};

/// Ten years: the longest token lifetime.
const MAX_TOKEN_SECONDS: u64 = 3650 * 24 * 3600;

async fn token_count(s: &Server) -> usize {
    let (status, body) = s.get("/tokens?user=root", &s.admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().expect("tokens are a list").len()
}

#[tokio::test]
async fn token_lifetimes_are_range_checked() {
    each_backend(|backend| async move {
        let s = Server::start(backend).await;
        let artist = s.member("ana", "artist", &[]).await;
        for (seconds, want) in [
            (json!(8_640_000_000_000u64), StatusCode::BAD_REQUEST),
            (json!(u64::MAX), StatusCode::BAD_REQUEST),
            (json!(i64::MAX as u64 / 1000), StatusCode::BAD_REQUEST),
            (json!(MAX_TOKEN_SECONDS + 1), StatusCode::BAD_REQUEST),
            (json!(0), StatusCode::BAD_REQUEST),
            (json!(-1), StatusCode::BAD_REQUEST),
            (json!(1.5), StatusCode::BAD_REQUEST),
            (json!(MAX_TOKEN_SECONDS), StatusCode::CREATED),
            (json!(1), StatusCode::CREATED),
            (Value::Null, StatusCode::CREATED),
        ] {
            for token in [&s.admin, &artist] {
                let before = token_count(&s).await;
                let (status, body) = s
                    .post(
                        "/tokens",
                        token,
                        json!({ "name": "ci", "user": "root", "expires_in_seconds": seconds }),
                    )
                    .await;
                let own = token == &s.admin;
                if !own {
                    // An artist may not create the admin's tokens: the range check must not
                    // come first and tell them more, nor may it panic.
                    assert!(
                        status == StatusCode::FORBIDDEN || status == StatusCode::BAD_REQUEST,
                        "{backend} {seconds}: {status} {body}"
                    );
                    assert_eq!(token_count(&s).await, before);
                    continue;
                }
                assert_eq!(status, want, "{backend} {seconds}: {body}");
                if want == StatusCode::CREATED {
                    assert_eq!(token_count(&s).await, before + 1);
                    let expires = body["expires_at"].as_str().map(|t| {
                        chrono::DateTime::parse_from_rfc3339(t).expect("an RFC 3339 time")
                    });
                    match seconds.as_u64() {
                        Some(secs) => {
                            let expires = expires.expect("an expiry");
                            let lifetime = expires.signed_duration_since(chrono::Utc::now());
                            assert!(
                                (lifetime.num_seconds() - secs as i64).abs() < 60,
                                "{backend} {seconds}: expires {expires}"
                            );
                        }
                        None => assert!(expires.is_none(), "{body}"),
                    }
                    continue;
                }
                assert_eq!(token_count(&s).await, before, "{backend} {seconds}");
                if seconds.is_u64() {
                    // In range for JSON, out of range for a lifetime: the facade's message.
                    assert_eq!(code(&body), "bad_duration", "{body}");
                    let message = body["error"]["message"].as_str().unwrap();
                    assert!(message.contains("3650 days"), "{message}");
                } else {
                    assert_eq!(code(&body), "bad_json", "{body}");
                    assert!(
                        body["error"]["message"]
                            .as_str()
                            .unwrap()
                            .contains("expires_in_seconds"),
                        "{body}"
                    );
                }
            }
        }
        // The caller's own tokens take the same check.
        let (status, body) = s
            .post(
                "/tokens",
                &artist,
                json!({ "name": "forever", "expires_in_seconds": 8_640_000_000_000u64 }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(code(&body), "bad_duration", "{body}");
        // Lock leases are bounded the same way (by the API's own, shorter limit).
        s.post(
            "/projects/main/assets",
            &s.admin,
            json!({ "name": "rig", "type": "rig" }),
        )
        .await;
        for ttl in [8_640_000_000_000u64, u64::MAX, 0] {
            let (status, body) = s
                .post(
                    "/projects/main/assets/rig/lock",
                    &artist,
                    json!({ "ttl_seconds": ttl }),
                )
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{backend} {ttl}: {body}");
        }
        let (_, lock) = s.get("/projects/main/assets/rig/lock", &s.admin).await;
        assert_eq!(lock, Value::Null);
        s.stop().await;
    })
    .await;
}
