//! The event stream: every change, in journal order, as JSON pages or Server-Sent Events.
//! A client resumes from the last id it saw (`after`, or SSE's `Last-Event-ID`) and gets every
//! later event it may see, without gaps: ids are assigned in commit order.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use bifrost::core::access::EventFilter;
use futures::Stream;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Global};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream_events))
}

/// Where to start.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventQuery {
    /// Only events after this id (default: from the beginning; the stream: from now).
    #[serde(default)]
    after: Option<i64>,
    /// Only events of this project.
    #[serde(default)]
    project: Option<String>,
    /// Only actions starting with this.
    #[serde(default)]
    action: Option<String>,
    /// At most this many (default 100, at most 1000).
    #[serde(default)]
    limit: Option<u64>,
}

impl EventQuery {
    fn filter(&self, after: Option<i64>) -> EventFilter {
        EventFilter {
            after_id: after,
            projects: self.project.clone().map(|p| vec![p]),
            action_prefix: self.action.clone(),
            limit: self.limit.unwrap_or(100).clamp(1, 1000),
            ..EventFilter::default()
        }
    }
}

/// Follows events as Server-Sent Events (`id:` is the event id; reconnect with
/// `Last-Event-ID` or `?after=` to resume without gaps).
#[utoipa::path(get, path = "/events/stream", tag = "events", params(EventQuery),
    responses((status = 200, description = "text/event-stream of events", content_type = "text/event-stream"),
        (status = "4XX", description = "refused; `error.code` says why", body = ErrorBody)))]
async fn stream_events(
    State(state): State<AppState>,
    Global(repo): Global,
    ApiQuery(query): ApiQuery<EventQuery>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let start = match resume.or(query.after) {
        Some(id) => id,
        None => repo.last_event_id().await?,
    };
    let notify = state.events.clone();
    let stopping = state.stopping.clone();
    let stream = futures::stream::unfold(
        (repo, query, start, std::collections::VecDeque::new()),
        move |(repo, query, mut cursor, mut queue)| {
            let notify = notify.clone();
            let stopping = stopping.clone();
            async move {
                loop {
                    if *stopping.borrow() {
                        return None;
                    }
                    if let Some(event) = queue.pop_front() {
                        return Some((Ok(event), (repo, query, cursor, queue)));
                    }
                    match repo.events(&query.filter(Some(cursor))).await {
                        Ok(events) if !events.is_empty() => {
                            for e in events {
                                cursor = e.id;
                                let data = serde_json::to_string(&e).unwrap_or_default();
                                queue.push_back(
                                    SseEvent::default()
                                        .id(e.id.to_string())
                                        .event(e.action.clone())
                                        .data(data),
                                );
                            }
                        }
                        Ok(_) => {
                            // Changes made through this server wake the stream at once; those
                            // made elsewhere (other servers, the local CLI) within 250 ms.
                            let _ =
                                tokio::time::timeout(Duration::from_millis(250), notify.notified())
                                    .await;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "event stream ends");
                            return None;
                        }
                    }
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
