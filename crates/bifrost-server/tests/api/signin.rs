//! Password sign-in under attack, on both backends: failures make each next attempt wait
//! longer, then lock the user's (or the address's) password sign-in, in the catalog, so that
//! another server process on the same catalog refuses too; an admin lifts it; every attempt is
//! journaled with its address and never its password; and a burst of wrong passwords leaves
//! everyone else served promptly.

use std::time::{Duration, Instant};

use bifrost::SignInPolicy;
use bifrost::api::ErrorCode;
use bifrost::api::ops::Login;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Server, code, each_backend};

async fn serve(backend: &str, policy: SignInPolicy) -> Server {
    Server::start_with(backend, move |mut state| {
        state.repo = state.repo.clone().with_sign_in_policy(policy);
        state
    })
    .await
}

/// A sign-in attempt: status, body and `Retry-After`.
async fn login(s: &Server, user: &str, password: &str) -> (StatusCode, Value, Option<u64>) {
    let response = s
        .http
        .post(s.api("/auth/login"))
        .json(&json!({ "user": user, "password": password }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let wait = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, response.json().await.unwrap(), wait)
}

const RIGHT: &str = "a long password";
const WRONG: &str = "not the password";

/// The journal's sign-in entries (and unlocks), oldest first.
async fn sign_in_journal(s: &Server) -> Vec<Value> {
    let (status, signins) = s.get("/audit?action=signin.&limit=1000", &s.admin).await;
    assert_eq!(status, StatusCode::OK, "{signins}");
    let (_, unlocks) = s.get("/audit?action=user.unlocked", &s.admin).await;
    let mut all = signins.as_array().unwrap().clone();
    all.extend(unlocks.as_array().unwrap().iter().cloned());
    all
}

#[tokio::test]
async fn failed_sign_ins_wait_longer_then_lock_until_an_admin_unlocks() {
    each_backend(|backend| async move {
        let s = serve(
            backend,
            SignInPolicy {
                user_free_failures: 2,
                first_delay_secs: 1,
                user_lockout_failures: 5,
                lockout_secs: 3600,
                address_free_failures: 1000,
                address_lockout_failures: 0,
                ..SignInPolicy::default()
            },
        )
        .await;
        let ana = s.member("ana", "artist", &[]).await;

        // Two free failures, then a third that makes the next attempt wait a second.
        for _ in 0..3 {
            let (status, body, _) = login(&s, "ana", WRONG).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{backend}: {body}");
        }
        // Too soon: refused without looking at the password, even the right one.
        let (status, body, wait) = login(&s, "ana", RIGHT).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{backend}: {body}");
        assert_eq!(code(&body), "rate_limited");
        assert_eq!(body["error"]["retryable"], true);
        assert_eq!(wait, Some(1), "{backend}");
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        // The fourth failure doubles the wait.
        assert_eq!(login(&s, "ana", WRONG).await.0, StatusCode::UNAUTHORIZED);
        let (status, _, wait) = login(&s, "ana", RIGHT).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{backend}");
        assert_eq!(wait, Some(2), "{backend}");
        tokio::time::sleep(Duration::from_millis(2_100)).await;
        // The fifth locks password sign-in for an hour.
        assert_eq!(login(&s, "ana", WRONG).await.0, StatusCode::UNAUTHORIZED);
        let (status, body, wait) = login(&s, "ana", RIGHT).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{backend}: {body}");
        assert_eq!(code(&body), "sign_in_locked", "{backend}: {body}");
        assert_eq!(body["error"]["retryable"], false);
        assert!(
            wait.is_some_and(|w| (3590..=3600).contains(&w)),
            "{backend}: {wait:?}"
        );

        // The lock is in the catalog: another process on it (a restart, or a second server
        // on the same PostgreSQL) refuses too.
        let other = bifrost::Repository::open(s.repo.root())
            .await
            .unwrap()
            .acting_as(bifrost::Actor {
                user: String::new(),
                origin: "10.0.0.9".into(),
                request_id: None,
            });
        let refused = bifrost::Hub::call(
            &other,
            Login {
                user: "ana".into(),
                password: RIGHT.into(),
                token_name: None,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(
            bifrost::api::ApiError::from(refused).code,
            ErrorCode::SignInLocked,
            "{backend}"
        );
        other.close().await;

        // Her tokens keep working; she cannot lift her own lock; an admin can.
        assert_eq!(s.get("/me", &ana).await.0, StatusCode::OK);
        let (status, _) = s.post("/users/ana/unlock", &ana, json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}");
        let (status, body) = s.post("/users/ana/unlock", &s.admin, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(body["name"], "ana");
        let (status, body) = s.post("/users/nobody/unlock", &s.admin, json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{backend}: {body}");
        let (status, body, _) = login(&s, "ana", RIGHT).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");

        // Every attempt is journaled with its address and outcome, never with a password.
        let journal = sign_in_journal(&s).await;
        let text = serde_json::to_string(&journal).unwrap();
        assert!(!text.contains(RIGHT) && !text.contains(WRONG), "{text}");
        let outcomes: Vec<(&str, &str, &str)> = journal
            .iter()
            .filter(|e| e["entity"] == "ana")
            .map(|e| {
                (
                    e["action"].as_str().unwrap(),
                    e["after"]["outcome"].as_str().unwrap_or(""),
                    e["origin"].as_str().unwrap(),
                )
            })
            .collect();
        let local = "127.0.0.1";
        assert_eq!(
            outcomes,
            [
                ("signin.succeeded", "succeeded", local), // member() signs her in
                ("signin.failed", "failed", local),
                ("signin.failed", "failed", local),
                ("signin.failed", "failed", local),
                ("signin.refused", "delayed", local),
                ("signin.failed", "failed", local),
                ("signin.refused", "delayed", local),
                ("signin.failed", "failed", local),
                ("signin.refused", "locked", local),
                ("signin.refused", "locked", "10.0.0.9"),
                ("signin.succeeded", "succeeded", local),
                ("user.unlocked", "", local),
            ],
            "{backend}"
        );
        let fifth = journal
            .iter()
            .filter(|e| e["action"] == "signin.failed")
            .nth(4)
            .unwrap();
        assert_eq!(fifth["after"]["user_failures"], 5, "{fifth}");
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn failures_from_one_address_lock_it_for_every_name() {
    each_backend(|backend| async move {
        let s = serve(
            backend,
            SignInPolicy {
                address_free_failures: 2,
                address_lockout_failures: 4,
                user_free_failures: 100,
                ..SignInPolicy::default()
            },
        )
        .await;
        s.member("ana", "artist", &[]).await;
        // Guessing across names: the address is counted, whatever the names.
        for name in ["a1", "a2", "a3", "a4"] {
            let (status, body, _) = login(&s, name, WRONG).await;
            // The third and fourth wait a second each after the one before.
            if status == StatusCode::TOO_MANY_REQUESTS {
                tokio::time::sleep(Duration::from_millis(1_100)).await;
                assert_eq!(
                    login(&s, name, WRONG).await.0,
                    StatusCode::UNAUTHORIZED,
                    "{backend}"
                );
            } else {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{backend}: {body}");
            }
        }
        let (status, body, _) = login(&s, "ana", RIGHT).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{backend}: {body}");
        assert_eq!(code(&body), "sign_in_locked", "{backend}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("from this address"),
            "{body}"
        );
        s.stop().await;
    })
    .await;
}

/// Latencies of `n` authenticated GETs of `/projects/main/assets`, one after the other.
async fn timed_reads(s: &Server, token: &str, n: usize) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let (status, body) = tokio::time::timeout(
            Duration::from_secs(20),
            s.get("/projects/main/assets", token),
        )
        .await
        .expect("a normal request was not answered within 20 s");
        assert_eq!(status, StatusCode::OK, "{body}");
        samples.push(started.elapsed());
    }
    samples.sort();
    samples
}

const BURST: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_wrong_passwords_leaves_others_served() {
    each_backend(|backend| async move {
        let s = serve(backend, SignInPolicy::default()).await;
        let ana = s.member("ana", "artist", &[]).await;
        timed_reads(&s, &ana, 10).await;
        let usual = timed_reads(&s, &ana, 50).await[48];

        // 200 wrong passwords at once, for root, from one address (no request-rate limit in
        // the way: the harness turns it off), while ana keeps reading.
        let attack = {
            let http = s.http.clone();
            let url = s.api("/auth/login");
            tokio::spawn(async move {
                let attempts = (0..BURST).map(|i| {
                    let http = http.clone();
                    let url = url.clone();
                    async move {
                        let response = http
                            .post(url)
                            .json(&json!({ "user": "root", "password": format!("guess {i}") }))
                            .send()
                            .await
                            .unwrap();
                        let status = response.status();
                        let body: Value = response.json().await.unwrap();
                        (status, code(&body).to_owned())
                    }
                });
                futures::future::join_all(attempts).await
            })
        };
        let during = timed_reads(&s, &ana, 50).await;
        let answers = attack.await.unwrap();
        let attacked = during[48];
        let margin = usual * 5 + Duration::from_millis(500);
        eprintln!("{backend}: p98 of reads {usual:?} usually, {attacked:?} during the burst");
        assert!(
            attacked <= margin,
            "{backend}: during {BURST} wrong sign-ins the p98 of reads rose from {usual:?} to \
             {attacked:?} (allowed {margin:?})"
        );

        // Some were checked (401), the rest refused at once: delayed, locked, or not queued.
        let count = |c: &str| answers.iter().filter(|(_, code)| code == c).count();
        let (checked, delayed, locked, busy) = (
            count("bad_credentials"),
            count("rate_limited"),
            count("sign_in_locked"),
            count("busy"),
        );
        assert_eq!(
            checked + delayed + locked + busy,
            BURST,
            "{backend}: {answers:?}"
        );
        let policy = SignInPolicy::default();
        assert!(checked >= 1, "{backend}: {answers:?}");
        // Argon2 ran for at most the attempts let into the queue (and a few that came
        // after it drained, before the first failures were counted).
        assert!(
            checked <= 2 * (policy.parallel_checks + policy.queued_checks),
            "{backend}: {checked} passwords checked, {busy} refused as busy"
        );
        for (status, code) in &answers {
            let want = match code.as_str() {
                "bad_credentials" => StatusCode::UNAUTHORIZED,
                "busy" => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::TOO_MANY_REQUESTS,
            };
            assert_eq!(*status, want, "{backend}: {code}");
        }
        // Each attempt is journaled.
        let (_, journal) = s
            .get("/audit?action=signin.&user=root&limit=1000", &s.admin)
            .await;
        assert_eq!(journal.as_array().unwrap().len(), BURST, "{backend}");
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn password_checks_beyond_the_queue_are_refused_at_once() {
    each_backend(|backend| async move {
        let s = Server::start(backend).await;
        // One check at a time and none waiting: whatever comes while one runs is refused.
        let repo = s.repo.clone().with_sign_in_policy(SignInPolicy {
            parallel_checks: 1,
            queued_checks: 0,
            ..SignInPolicy::default()
        });
        let attempts = (0..20).map(|i| {
            let repo = repo.clone().acting_as(bifrost::Actor {
                user: String::new(),
                origin: format!("10.0.1.{i}"),
                request_id: None,
            });
            async move {
                let started = Instant::now();
                let outcome = repo.verify_password(&format!("user{i}"), WRONG).await;
                (outcome.map(|_| ()).unwrap_err(), started.elapsed())
            }
        });
        let outcomes = futures::future::join_all(attempts).await;
        let busy: Vec<Duration> = outcomes
            .iter()
            .filter(|(e, _)| matches!(e, bifrost::Error::SignInBusy))
            .map(|(_, took)| *took)
            .collect();
        assert!(!busy.is_empty(), "{backend}: {outcomes:?}");
        for (e, _) in &outcomes {
            assert!(
                matches!(
                    e,
                    bifrost::Error::SignInBusy | bifrost::Error::BadCredentials
                ),
                "{backend}: {e}"
            );
        }
        let api = bifrost::api::ApiError::from(bifrost::Error::SignInBusy);
        assert_eq!((api.code, api.retry_after), (ErrorCode::Busy, Some(1)));
        s.stop().await;
    })
    .await;
}
