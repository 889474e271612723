//! The REST API end to end: a real server on a loopback port over a real repository (SQLite,
//! and PostgreSQL at `BIFROST_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`), driven with a real HTTP client.
//! Each security rule of the API has a test that would fail if the rule broke.

mod support;

mod basics;
mod custody;
mod departments;
mod extremes;
mod limits;
mod metrics;
mod roles;
mod server_limits;
mod signin;
mod statements;
