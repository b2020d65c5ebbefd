//! mediasql: a SQL engine for media tables, on Apache DataFusion, served over the Postgres
//! wire protocol.
//!
//! - [`catalog`]: media tables (listing, probing, the scan operator, table functions).
//! - [`engine`] / [`session`]: the shared engine and per-connection sessions.
//! - [`server`]: the pgwire front end.
//! - [`cli`] / [`config`]: the command line and `mediasql.toml`.

pub mod catalog;
pub mod cli;
pub mod config;
pub mod engine;
pub mod model_ddl;
pub mod server;
pub mod session;

pub use engine::Engine;
pub use session::{Output, Session};
