//! mediasql: a SQL engine for media tables, on Apache DataFusion, served over the Postgres
//! wire protocol.
//!
//! - [`catalog`]: media tables (listing, probing, the scan operator, table functions).
//! - [`engine`] / [`session`]: the shared engine and per-connection sessions; a session's
//!   [`cursor`]s, [`copy_out`] (`COPY ... TO STDOUT`) and [`file_access`] (media roots).
//! - [`statement`]: the one way a statement goes: parse once, classify, the ordered rewrites,
//!   plan with typed errors ([`version`]: the PostgreSQL version we answer as).
//! - [`exec`]: model inference as a physical operator (`InferenceExec`) and its planning;
//!   [`cache`]: the inference cache it reads and writes.
//! - [`interrupt`]: ending a running statement (CancelRequest, `statement_timeout`).
//! - [`pools`]: where plans run (the plan runtime, admission control) and the CPU and
//!   inference thread pools, beside the server's tokio runtime; [`memory`]: the server's
//!   memory pool and each session's share.
//! - [`server`]: the pgwire front end; [`pgcompat`]: what PostgreSQL clients expect of the
//!   catalog (our functions in `pg_proc`, `version()`, `current_setting`).
//! - [`cluster`]: scale-out on Apache Ballista (scheduler, executors, the server's side,
//!   the codecs our tables and operators travel with).
//! - [`cli`] / [`config`]: the command line and `mediasql.toml`.

pub mod cache;
pub mod catalog;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod console;
pub mod copy_out;
pub mod cursor;
pub mod engine;
pub mod exec;
pub mod file_access;
pub mod interrupt;
pub mod memory;
pub mod named_args;
pub mod parts;
pub mod pgcompat;
pub mod pools;
pub mod rebuild;
pub mod server;
pub mod session;
pub mod statement;
pub mod version;

pub use engine::Engine;
pub use session::{Output, Session};
