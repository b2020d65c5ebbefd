//! The PostgreSQL version mediasql answers as: in the startup parameters, `version()`,
//! `SHOW server_version` and `server_version_num`. Clients choose their catalog queries by it.

/// PostgreSQL's version string.
pub const SERVER_VERSION: &str = "16.6";
/// The same as a number (`server_version_num`).
pub const SERVER_VERSION_NUM: &str = "160006";
