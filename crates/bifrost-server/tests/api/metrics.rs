//! Who may read `/metrics`: by default a token of a user whose role allows `audit` (401
//! without a valid token, 403 for other roles), anyone with `MetricsAccess::Public`, nobody
//! (404) with `MetricsAccess::Off`.

use bifrost_server::MetricsAccess;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

/// GETs `/metrics` with an optional bearer token: status and body.
async fn scrape(s: &Server, token: Option<&str>) -> (StatusCode, String) {
    let mut request = s.http.get(format!("{}/metrics", s.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// Makes one API request, so that the exposition has a series to show.
async fn traffic(s: &Server) {
    let (status, _) = s.get("/projects", &s.admin).await;
    assert_eq!(status, StatusCode::OK);
}

fn error_code(body: &str) -> String {
    serde_json::from_str::<Value>(body).unwrap_or(Value::Null)["error"]["code"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

fn is_exposition(body: &str) -> bool {
    body.contains("bifrost_http_requests_total") && body.contains("route=\"/api/v1/projects\"")
}

#[tokio::test]
async fn metrics_need_an_audit_token_by_default() {
    each_backend(|backend| async move {
        let s = Server::start(backend).await;
        traffic(&s).await;

        let (status, body) = scrape(&s, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{backend}: {body}");
        assert_eq!(error_code(&body), "unauthorized", "{backend}: {body}");
        assert!(!body.contains("bifrost_http"), "{backend}: {body}");
        let (status, body) = scrape(&s, Some("bft_nope_notasecret")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{backend}: {body}");

        // Roles without `audit` are refused, even with a valid token.
        for role in ["artist", "vendor"] {
            let token = s.member(&format!("{role}1"), role, &[]).await;
            let (status, body) = scrape(&s, Some(&token)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{backend} {role}: {body}");
            assert_eq!(error_code(&body), "forbidden", "{backend} {role}: {body}");
            assert!(body.contains("audit"), "{backend} {role}: {body}");
            assert!(!is_exposition(&body), "{backend} {role}: {body}");
        }

        // An admin may; so may a role made for scraping that allows only `audit`.
        let (status, body) = scrape(&s, Some(&s.admin)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert!(is_exposition(&body), "{backend}: {body}");
        let (status, role) = s
            .call(
                reqwest::Method::PUT,
                "/roles/metrics",
                Some(&s.admin),
                Some(json!({ "permissions": ["audit"] })),
            )
            .await;
        assert!(status.is_success(), "{backend}: {status} {role}");
        let scraper = s.member("prometheus", "metrics", &[]).await;
        let (status, body) = scrape(&s, Some(&scraper)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert!(is_exposition(&body), "{backend}: {body}");
        let supervisor = s.member("sup", "supervisor", &[]).await;
        assert_eq!(scrape(&s, Some(&supervisor)).await.0, StatusCode::OK);
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn public_metrics_need_no_token() {
    each_backend(|backend| async move {
        let s =
            Server::start_with(backend, |state| state.with_metrics(MetricsAccess::Public)).await;
        traffic(&s).await;
        let (status, body) = scrape(&s, None).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert!(is_exposition(&body), "{backend}: {body}");
        // A token does not hurt, whatever its role.
        let vendor = s.member("v", "vendor", &[]).await;
        assert_eq!(scrape(&s, Some(&vendor)).await.0, StatusCode::OK);
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn metrics_off_is_not_found() {
    each_backend(|backend| async move {
        let s = Server::start_with(backend, |state| state.with_metrics(MetricsAccess::Off)).await;
        traffic(&s).await;
        for token in [None, Some(s.admin.as_str())] {
            let (status, body) = scrape(&s, token).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{backend}: {body}");
            assert_eq!(error_code(&body), "no_route", "{backend}: {body}");
            assert!(!body.contains("bifrost_http"), "{backend}: {body}");
        }
        // The rest of the server is unaffected.
        let health = s
            .http
            .get(format!("{}/healthz", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), StatusCode::OK);
        s.stop().await;
    })
    .await;
}
