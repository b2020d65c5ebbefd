//! Scale-out on Apache DataFusion Ballista: the same SQL, functions and operators on a
//! scheduler and N executors (`docs/scale-out.md` says how it works and what runs where).
//!
//! - [`scheduler`]: `mediasql scheduler`, Ballista's scheduler planning with our rules.
//! - [`executor`]: `mediasql executor`, Ballista's executor with our functions and models.
//! - [`client`]: the server's side (`serve --cluster`): queries that read media tables go
//!   to the scheduler as logical plans; the rest (catalog queries, `SELECT 1`) stay local.
//! - [`job`]: a query running on the cluster, cancelled there when its output is dropped.
//! - [`codec`] / [`nodes`]: how our tables, plan nodes and functions travel.
//!
//! Ballista's adaptive planner is off: it replaces the session's physical optimizer rules
//! with its own list, and `LiftModelCalls` (which makes `InferenceExec`) is one of ours.

pub mod client;
pub mod codec;
pub mod executor;
pub mod job;
mod nodes;
pub mod scheduler;

pub use executor::ExecutorArgs;
pub use scheduler::SchedulerArgs;

use std::sync::Arc;

use ballista_core::extension::SessionConfigExt;
use datafusion::common::{DataFusionError, Result};
use datafusion::prelude::SessionConfig;

use crate::engine::Parts;
use codec::{CodecContext, MediaLogicalCodec, MediaPhysicalCodec};

/// gRPC messages (plans, task definitions) up to this size: Ballista's 16 MiB default is
/// too small for the file lists of large tables.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

/// Our settings plus Ballista's, with the adaptive planner off (see the module docs).
pub fn cluster_config(config: SessionConfig) -> SessionConfig {
    config
        .upgrade_for_ballista()
        .with_ballista_adaptive_query_planner(false)
        .with_ballista_grpc_client_max_message_size(MAX_MESSAGE_BYTES)
}

fn codec_context(parts: &Parts) -> CodecContext {
    CodecContext {
        stores: Arc::clone(&parts.stores),
        functions: Arc::clone(&parts.functions),
    }
}

fn logical_codec(parts: &Parts) -> Arc<MediaLogicalCodec> {
    Arc::new(MediaLogicalCodec::new(codec_context(parts)))
}

fn physical_codec(parts: &Parts) -> Arc<MediaPhysicalCodec> {
    Arc::new(MediaPhysicalCodec::new(codec_context(parts)))
}

/// `df://HOST:PORT` (or `HOST:PORT`) as host and port.
pub fn parse_address(url: &str) -> Result<(String, u16)> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.trim_end_matches('/');
    let bad = || {
        DataFusionError::Configuration(format!(
            "cluster address '{url}': expected df://HOST:PORT"
        ))
    };
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    let port = port.parse::<u16>().map_err(|_| bad())?;
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_with_or_without_a_scheme() {
        assert_eq!(
            parse_address("df://127.0.0.1:50050").unwrap(),
            ("127.0.0.1".to_string(), 50050)
        );
        assert_eq!(
            parse_address("sched:7").unwrap(),
            ("sched".to_string(), 7)
        );
        assert!(parse_address("df://nohost").is_err());
        assert!(parse_address("df://h:port").is_err());
    }
}

/// A Ballista error as ours.
fn ballista_error(e: ballista_core::error::BallistaError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}
