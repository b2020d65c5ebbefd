//! mediasql's one integration-test binary (one link): modules inside.
//!
//! - `cancel`: cancel, statement_timeout, disconnects and LIMIT stop model work.
//! - `cluster`: a scheduler and two executors (processes): the media .slt files give the
//!   same results there; a query survives a killed executor.
//! - `statements`: a statement is parsed once; EXPLAIN VERBOSE names the rewrites.
//! - `slt`: every `sql-tests/*.slt`, run in-process and over the Postgres wire (simple
//!   protocol with text results; `extended`: extended protocol with binary results).
//! - `layout`: no import circles between source files, no file over 500 lines.
//! - `inference_cache`: the cache across runs, processes and faults (SIGKILL, damage).
//! - `install_models`: the models from their public homes, through a local mirror.
//! - `models`: what the model registry keeps across queries and restarts.
//! - `security`: passwords, TLS, the connection limit, the media roots.
//! - `wire`: what only a real client shows (extended protocol, binary results, sessions).

// Tests stop at the first failure: unwrap and panic are the point here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cancel;
mod cluster;
mod common;
mod console;
mod demo;
mod extended;
mod inference_cache;
mod install_models;
mod layout;
mod models;
mod security;
mod slt;
mod statements;
mod wire;
