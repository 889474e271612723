//! The webhook dispatcher: POSTs each journal entry a webhook wants to its URL, in journal
//! order, signed with `X-Bifrost-Signature: sha256=HEX(HMAC-SHA256(secret, body))`. A failed
//! delivery is retried with exponential backoff ([`Retry`]: by default 1 s, 2 s, 4 s, 8 s apart, five tries); after
//! the last it goes to the webhook's dead-letter list and the webhook moves on. The webhook's
//! cursor is stored, so a restarted server resumes where it stopped.

use std::time::Duration;

use bifrost::core::access::{Event, EventFilter, Webhook};
use hmac::{KeyInit, Mac};

use crate::AppState;

/// How failed deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Delivery attempts per event before it is dead-lettered.
    pub attempts: u32,
    /// Delay before the first retry; doubled for each later one.
    pub first_delay: Duration,
}

impl Default for Retry {
    /// Five attempts, 1 s, 2 s, 4 s and 8 s apart.
    fn default() -> Self {
        Retry {
            attempts: 5,
            first_delay: Duration::from_secs(1),
        }
    }
}
const POLL: Duration = Duration::from_millis(500);
const TIMEOUT: Duration = Duration::from_secs(10);

/// The signature header's value for `body`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Runs until `stop` turns true.
pub async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let client = match reqwest::Client::builder().timeout(TIMEOUT).build() {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "webhooks disabled: cannot build an HTTP client");
            return;
        }
    };
    loop {
        if *stop.borrow() {
            return;
        }
        let delivered = match deliver_pending(&state, &client, &mut stop).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "webhook dispatch failed; retrying");
                0
            }
        };
        if delivered == 0 {
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = state.events.notified() => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// One pass over every webhook; returns how many events were handled.
async fn deliver_pending(
    state: &AppState,
    client: &reqwest::Client,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) -> bifrost::Result<usize> {
    let mut handled = 0;
    for (hook, secret) in state.repo.webhooks_with_secrets().await? {
        let events = state
            .repo
            .events(&EventFilter {
                after_id: Some(hook.cursor),
                limit: 100,
                ..EventFilter::default()
            })
            .await?;
        for event in events {
            if *stop.borrow() {
                return Ok(handled);
            }
            let failure = if hook.wants(&event) {
                deliver(client, &hook, &secret, &event, state.webhook_retry, stop)
                    .await
                    .err()
            } else {
                None
            };
            if failure.is_some() && *stop.borrow() {
                // Interrupted by shutdown, not failed: the next start delivers it again.
                return Ok(handled);
            }
            state
                .repo
                .advance_webhook(
                    hook.id,
                    event.id,
                    failure
                        .as_ref()
                        .map(|e| (state.webhook_retry.attempts, e.as_str())),
                )
                .await?;
            handled += 1;
        }
    }
    Ok(handled)
}

/// Delivers one event with retries; the last error if every attempt failed.
async fn deliver(
    client: &reqwest::Client,
    hook: &Webhook,
    secret: &str,
    event: &Event,
    retry: Retry,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) -> Result<(), String> {
    let body = serde_json::to_vec(event).map_err(|e| e.to_string())?;
    let signature = signature(secret, &body);
    let mut delay = retry.first_delay;
    let mut last = String::new();
    for attempt in 1..=retry.attempts.max(1) {
        let result = client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header("x-bifrost-event", &event.action)
            .header("x-bifrost-event-id", event.id.to_string())
            .header("x-bifrost-signature", &signature)
            .body(body.clone())
            .send()
            .await;
        match result {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) => last = format!("HTTP {}", response.status()),
            Err(e) => last = e.to_string(),
        }
        tracing::debug!(webhook = hook.id, event = event.id, attempt, error = %last, "delivery failed");
        if attempt < retry.attempts {
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = stop.changed() => return Err(format!("server stopping; last error: {last}")),
            }
            delay *= 2;
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        let sig = super::signature("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
