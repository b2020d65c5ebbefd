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

use std::collections::HashMap;
use std::sync::Arc;

use ballista_core::extension::SessionConfigExt;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::SessionState;
use datafusion::execution::registry::FunctionRegistry;
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::SessionConfig;

use crate::parts::Parts;
use codec::{MediaLogicalCodec, MediaPhysicalCodec};
use nodes::CodecContext;

/// gRPC messages (plans, task definitions) up to this size: Ballista's 16 MiB default is
/// too small for the file lists of large tables.
pub const MAX_MESSAGE_BYTES: u32 = 256 * 1024 * 1024;

/// Partitions of a query on a cluster unless configured (`target_partitions`): the server
/// does not know how many slots the executors have; Ballista's own default.
pub const DEFAULT_PARTITIONS: usize = 16;

/// Our settings plus Ballista's, with the adaptive planner off (see the module docs), and
/// the client polling for its job's status (every 50 ms): that way it knows the job's id
/// from the start, to cancel it (pushed statuses give it only when the job ends).
pub fn cluster_config(config: SessionConfig) -> SessionConfig {
    config
        .upgrade_for_ballista()
        .with_ballista_adaptive_query_planner(false)
        .with_ballista_grpc_client_max_message_size(MAX_MESSAGE_BYTES as usize)
        .set_bool("ballista.client.pull", true)
}

/// What a scheduler or an executor shares with the servers it serves, made from an engine
/// like theirs (`cli`).
pub struct ServerParts {
    /// Stores, models, our functions.
    pub parts: Parts,
    /// Every function the servers plan with (ours, the PostgreSQL catalog's and
    /// compatibility functions, DataFusion's), which plans name.
    pub functions: SessionState,
    /// The servers' settings on a cluster (`cluster_config`), before a query's own.
    pub settings: SessionConfig,
}

impl ServerParts {
    /// The codecs our tables, plan nodes and functions travel with.
    fn codecs(&self) -> (Arc<MediaLogicalCodec>, Arc<MediaPhysicalCodec>) {
        let context = codec_context(&self.parts, &self.functions);
        (
            Arc::new(MediaLogicalCodec::new(context.clone())),
            Arc::new(MediaPhysicalCodec::new(context)),
        )
    }
}

/// Registers in `state` the functions of `from` it lacks.
fn add_functions(state: &mut SessionState, from: &SessionState) -> Result<()> {
    for udf in from.scalar_functions().values() {
        if !state.scalar_functions().contains_key(udf.name()) {
            state.register_udf(Arc::clone(udf))?;
        }
    }
    for udaf in from.aggregate_functions().values() {
        if !state.aggregate_functions().contains_key(udaf.name()) {
            state.register_udaf(Arc::clone(udaf))?;
        }
    }
    for udwf in from.window_functions().values() {
        if !state.window_functions().contains_key(udwf.name()) {
            state.register_udwf(Arc::clone(udwf))?;
        }
    }
    Ok(())
}

/// `functions` without the aliases still naming a function that another replaced by name
/// (DataFusion's `inner_product` stays behind as `dot_product` after ours takes its name).
/// Ballista's executors register every entry of the map again, in its random order, so such
/// an alias brought the replaced function back under its name on some runs: `inner_product`
/// then met our vectors as DataFusion's. Plans name functions by their own names, so the
/// cluster's processes need no alias.
pub fn without_shadowed_aliases(mut functions: SessionState) -> Result<SessionState> {
    let map = functions.scalar_functions();
    let shadowed: Vec<String> = map
        .iter()
        .filter(|(key, udf)| {
            key.as_str() != udf.name()
                && map
                    .get(udf.name())
                    .is_some_and(|owner| !Arc::ptr_eq(owner, udf))
        })
        .map(|(key, _)| key.clone())
        .collect();
    for key in shadowed {
        functions.deregister_udf(&key)?;
    }
    Ok(functions)
}

fn codec_context(parts: &Parts, functions: &SessionState) -> CodecContext {
    let by_name: HashMap<String, Arc<ScalarUDF>> = functions.scalar_functions().clone();
    CodecContext {
        stores: Arc::clone(&parts.stores),
        functions: Arc::new(by_name),
    }
}

fn logical_codec(parts: &Parts, functions: &SessionState) -> Arc<MediaLogicalCodec> {
    Arc::new(MediaLogicalCodec::new(codec_context(parts, functions)))
}

/// `df://HOST:PORT` (or `HOST:PORT`) as host and port.
pub fn parse_address(url: &str) -> Result<(String, u16)> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.trim_end_matches('/');
    let bad = || {
        DataFusionError::Configuration(format!("cluster address '{url}': expected df://HOST:PORT"))
    };
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    let port = port.parse::<u16>().map_err(|_| bad())?;
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_string(), port))
}

/// A Ballista error as ours.
fn ballista_error(e: ballista_core::error::BallistaError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
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
        assert_eq!(parse_address("sched:7").unwrap(), ("sched".to_string(), 7));
        assert!(parse_address("df://nohost").is_err());
        assert!(parse_address("df://h:port").is_err());
    }

    #[test]
    fn every_function_left_is_found_under_its_own_name() {
        let mut state = datafusion::execution::SessionStateBuilder::new()
            .with_default_features()
            .build();
        let ours = Arc::new(mediasql_udfs::vector::inner_product::udf());
        state.register_udf(Arc::clone(&ours)).unwrap();
        assert!(state.scalar_functions().contains_key("dot_product"));
        let state = without_shadowed_aliases(state).unwrap();
        let map = state.scalar_functions();
        assert!(
            !map.contains_key("dot_product"),
            "DataFusion's alias is gone"
        );
        assert!(Arc::ptr_eq(&map["inner_product"], &ours));
        for udf in map.values() {
            assert!(
                Arc::ptr_eq(&map[udf.name()], udf),
                "{} shadowed",
                udf.name()
            );
        }
    }
}
