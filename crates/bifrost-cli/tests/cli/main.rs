//! Integration tests of the `bifrost` command-line tool: every test runs the real binary in a
//! temporary sandbox with a clean environment.

mod access;
mod bad_input;
mod concurrency;
mod corruption;
mod crash;
mod discovery;
mod gc;
mod happy;
mod ingest;
mod packages;
mod postgres;
mod production;
mod remote;
mod s3;
mod support;
mod workspace;
