//! How many SQL statements a request sends to the catalog.
//!
//! How they are counted: sqlx logs every statement it executes, on both backends, as one
//! `tracing` event with target `sqlx::query` when the statement has run (its `QueryLogger`),
//! below every catalog function: whatever reaches the database through sqlx is seen, and the
//! catalog needs no hook of its own. The event is emitted inside the span that was current when
//! the statement was sent (SQLite's worker thread enters the caller's span), and the server wraps
//! each request in a `request` span carrying its `x-request-id`, so a subscriber installed for
//! this test binary counts the statements under a request span whose id a test chose. Other
//! tests running meanwhile, and background work (the webhook dispatcher), are not counted.
//!
//! What this cannot see: SQLite's own `BEGIN`/`COMMIT`, which sqlx's worker runs without
//! logging; PostgreSQL's are logged like any statement, and both backends run the same SQL, so
//! a transaction would show there. Nor the pool's connection checks: those are protocol
//! round trips (PostgreSQL `Sync`), not statements; the catalog pings a connection before
//! handing it out only when it sat idle (see `connect.rs`), and sqlx pings it when it returns to
//! the pool, off the request's path.

use std::collections::HashMap;
use std::sync::{Mutex, Once};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

use crate::support::*;

/// The statements of each request a test asked to count, by request id.
static COUNTED: Mutex<Option<HashMap<String, Vec<String>>>> = Mutex::new(None);

/// The request id a `request` span carries.
struct RequestId(String);

struct StatementCounter;

fn is_request_span(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && metadata.name() == "request" && metadata.target() == "bifrost_server"
}

/// sqlx's statement events, and the `enabled!` hint it asks before building one.
fn is_statement(metadata: &Metadata<'_>) -> bool {
    !metadata.is_span() && metadata.target() == "sqlx::query"
}

#[derive(Default)]
struct Fields {
    request_id: Option<String>,
    summary: String,
    statement: String,
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        match field.name() {
            "request_id" => self.request_id = Some(value.to_owned()),
            "summary" => self.summary = value.to_owned(),
            "db.statement" => self.statement = value.to_owned(),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for StatementCounter {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if is_request_span(metadata) || is_statement(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        is_request_span(metadata) || is_statement(metadata)
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let (Some(request_id), Some(span)) = (fields.request_id, ctx.span(id)) {
            span.extensions_mut().insert(RequestId(request_id));
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        if !event.metadata().is_event() || !is_statement(event.metadata()) {
            return;
        }
        let Some(request_id) = ctx.event_scope(event).and_then(|scope| {
            scope
                .into_iter()
                .find_map(|span| span.extensions().get::<RequestId>().map(|r| r.0.clone()))
        }) else {
            return;
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        // sqlx logs a short statement as its summary, a longer one in `db.statement` too.
        let sql = if fields.statement.trim().is_empty() {
            fields.summary
        } else {
            fields.statement.trim().to_owned()
        };
        if let Some(statements) = COUNTED
            .lock()
            .unwrap()
            .as_mut()
            .and_then(|all| all.get_mut(&request_id))
        {
            statements.push(sql);
        }
    }
}

fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        *COUNTED.lock().unwrap() = Some(HashMap::new());
        tracing::subscriber::set_global_default(
            tracing_subscriber::registry().with(StatementCounter),
        )
        .expect("no other subscriber in the API tests");
    });
}

/// GETs `path` with `token` as a request whose statements are counted; the answer and the
/// statements it ran.
async fn counted_get(s: &Server, path: &str, token: &str) -> (StatusCode, Value, Vec<String>) {
    install();
    let request_id = format!("count-{}", hex::encode(rand::random::<[u8; 8]>()));
    COUNTED
        .lock()
        .unwrap()
        .as_mut()
        .unwrap()
        .insert(request_id.clone(), Vec::new());
    let response = s
        .http
        .get(s.api(path))
        .bearer_auth(token)
        .header("x-request-id", &request_id)
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(response.headers()["x-request-id"], request_id.as_str());
    let body: Value = response.json().await.unwrap();
    let statements = COUNTED
        .lock()
        .unwrap()
        .as_mut()
        .unwrap()
        .remove(&request_id)
        .unwrap();
    (status, body, statements)
}

#[tokio::test]
async fn a_get_of_one_asset_runs_at_most_two_statements() {
    each_backend(|backend| async move {
        let s = Server::start(backend).await;
        let (status, body) = s
            .post(
                "/projects/main/assets",
                &s.admin,
                json!({ "name": "barrel", "type": "prop", "tags": ["wood", "clutter"],
                        "metadata": { "lod": 2 } }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let artist = s.member("ana", "artist", &[]).await;
        let restricted = s.member("rita", "artist", &["fx"]).await;
        for (who, token) in [
            ("an admin", &s.admin),
            ("a member", &artist),
            ("a member restricted to a department", &restricted),
        ] {
            // The first GET prepares the statements on its connection; both must count alike.
            for round in 0..2 {
                let (status, body, statements) =
                    counted_get(&s, "/projects/main/assets/barrel", token).await;
                assert_eq!(status, StatusCode::OK, "{body}");
                assert_eq!(body["name"], "barrel");
                assert_eq!(body["project"], "main");
                assert_eq!(body["type"], "prop");
                assert_eq!(body["tags"], json!(["clutter", "wood"]));
                assert_eq!(body["metadata"], json!({ "lod": 2 }));
                assert_eq!(body["status"], "wtg");
                eprintln!(
                    "{backend}: GET one asset as {who} (round {round}): {} statements\n  {}",
                    statements.len(),
                    statements.join("\n  ")
                );
                assert!(
                    !statements.is_empty(),
                    "{backend}: no statement was counted: the counter sees nothing"
                );
                assert!(
                    statements.len() <= 2,
                    "{backend}: a GET of one asset as {who} ran {} statements:\n{}",
                    statements.len(),
                    statements.join("\n")
                );
            }
        }
        // Refusals cost no more: a missing asset, and a project the caller is not a member of.
        for (path, token) in [
            ("/projects/main/assets/ghost", &s.admin),
            ("/projects/main/assets/ghost", &artist),
            ("/projects/nowhere/assets/barrel", &artist),
            ("/projects/nowhere/assets/barrel", &s.admin),
        ] {
            let (status, body, statements) = counted_get(&s, path, token).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
            assert!(
                !statements.is_empty() && statements.len() <= 2,
                "{backend}: GET {path} ran {} statements:\n{}",
                statements.len(),
                statements.join("\n")
            );
        }
        s.stop().await;
    })
    .await;
}
