//! mediasql's one integration-test binary (one link): modules inside.
//!
//! - `slt`: every `sql-tests/*.slt`, run in-process and over the Postgres wire.
//! - `user_models`: CREATE MODEL across engine restarts.
//! - `wire`: what only a real client shows (extended protocol, binary results, sessions).

// Tests stop at the first failure: unwrap and panic are the point here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod slt;
mod user_models;
mod wire;
