//! `mediasql scheduler`: Ballista's scheduler, planning with our rules and codecs.
//!
//! Per query it builds a session from the server's settings (ours registered, so that
//! `mediasql.*` settings reach the executors), decodes the logical plan (media tables are
//! listed again here: the scheduler must reach the same locations as the executors),
//! plans it with our optimizer rules (so `InferenceExec` sits in the scan's stage, and
//! decoded media never crosses a shuffle), splits it into stages and hands out tasks.

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_core::config::TaskSchedulingPolicy;
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::{SchedulerConfig, TaskDistributionPolicy};
use ballista_scheduler::scheduler_process::start_server;
use clap::Args;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::SessionConfig;

/// `mediasql scheduler`'s flags.
#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// Address to listen on for the server and the executors.
    #[arg(long, default_value = "127.0.0.1:50050")]
    listen: String,
    /// The host executors and clients reach this scheduler at (default: the --listen host).
    #[arg(long)]
    external_host: Option<String>,
    /// Seconds without a heartbeat after which an executor is taken for dead and its tasks
    /// run elsewhere.
    #[arg(long, default_value_t = 30)]
    executor_timeout_s: u64,
}

/// Runs the scheduler until the process is stopped.
pub async fn run(args: &SchedulerArgs, server: super::ServerParts) -> Result<()> {
    let address: SocketAddr = args
        .listen
        .parse()
        .map_err(|e| DataFusionError::Configuration(format!("--listen '{}': {e}", args.listen)))?;
    let runtime = RuntimeEnvBuilder::new().build_arc()?;
    let (parts, functions) = (server.parts.clone(), Arc::new(server.functions.clone()));
    let session_builder = move |session: SessionConfig| {
        let mut state = parts.state(session, Arc::clone(&runtime))?;
        super::add_functions(&mut state, &functions)?;
        Ok(state)
    };
    let settings = server.settings.clone();
    let config_producer = move || settings.clone();
    let message_bytes = super::MAX_MESSAGE_BYTES;
    let (logical_codec, physical_codec) = server.codecs();
    let scheduler = SchedulerConfig {
        bind_host: address.ip().to_string(),
        external_host: args
            .external_host
            .clone()
            .unwrap_or_else(|| address.ip().to_string()),
        bind_port: address.port(),
        scheduling_policy: TaskSchedulingPolicy::PushStaged,
        // Spread tasks over executors rather than filling one first.
        task_distribution: TaskDistributionPolicy::RoundRobin,
        executor_timeout_seconds: args.executor_timeout_s,
        expire_dead_executor_interval_seconds: 1,
        no_executors_grace_period_seconds: args.executor_timeout_s,
        grpc_server_max_decoding_message_size: message_bytes,
        grpc_server_max_encoding_message_size: message_bytes,
        grpc_client_max_message_size: message_bytes,
        override_session_builder: Some(Arc::new(session_builder)),
        override_config_producer: Some(Arc::new(config_producer)),
        override_logical_codec: Some(logical_codec),
        override_physical_codec: Some(physical_codec),
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&scheduler)
        .await
        .map_err(super::ballista_error)?;
    log::warn!("mediasql scheduler listening on {address}");
    start_server(cluster, address, Arc::new(scheduler))
        .await
        .map_err(super::ballista_error)
}
