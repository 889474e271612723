//! Integration tests of the `bifrost` command-line tool: every test runs the real binary in a
//! temporary sandbox with a clean environment.

mod access;
mod bad_input;
mod catalog_damage;
mod concurrency;
mod corruption;
mod crash;
mod custody;
mod discovery;
mod escapes;
mod extremes;
mod full_disk;
mod gc;
mod happy;
mod ingest;
mod integrity;
mod journal_crash;
mod packages;
mod postgres;
mod production;
mod remote;
mod s3;
mod serve_limits;
mod serve_metrics;
mod support;
mod workspace;
