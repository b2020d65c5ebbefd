//! `mediasql executor`: Ballista's executor with our functions, models and codecs.
//!
//! It registers with the scheduler, runs the tasks it is handed (each a slice of a stage's
//! partitions: for a media scan, a run of files) and serves their output by Arrow Flight.
//! Models load on the first task that needs them and stay loaded. `--threads` bounds the
//! tasks it runs at once and the threads of its models, decoders and pools.
//!
//! Local media directories must exist at the same path on every executor (and on the
//! scheduler, which lists them); S3 and HTTP locations need nothing more.

use std::sync::Arc;

use ballista_core::config::TaskSchedulingPolicy;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use clap::Args;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::SessionConfig;

/// `mediasql executor`'s flags.
#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// The scheduler's address.
    #[arg(long, value_name = "df://HOST:PORT")]
    scheduler: String,
    /// Address for the scheduler's task calls; results are served on the next port (Arrow
    /// Flight).
    #[arg(long, default_value = "127.0.0.1:50052")]
    listen: String,
    /// The host the scheduler and the server reach this executor at (default: the --listen
    /// host).
    #[arg(long)]
    external_host: Option<String>,
    /// Tasks run at once, and the threads of models and decoders (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Where shuffle output is written (default: a directory under the system's temp dir).
    #[arg(long)]
    work_dir: Option<std::path::PathBuf>,
}

impl ExecutorArgs {
    /// Applies `--threads` to this process (before anything sized itself by the cores).
    pub fn limit_cores(&self) {
        if let Some(threads) = self.threads {
            mediasql_udfs::limit_cores(threads);
        }
    }
}

/// Runs the executor until the process is stopped or the scheduler is gone.
pub async fn run(args: &ExecutorArgs, server: super::ServerParts) -> Result<()> {
    let (scheduler_host, scheduler_port) = super::parse_address(&args.scheduler)?;
    let (host, grpc_port) = super::parse_address(&args.listen)?;
    let flight_port = grpc_port.checked_add(1).ok_or_else(|| {
        DataFusionError::Configuration(format!("--listen '{}': no port after it", args.listen))
    })?;
    let work_dir = match &args.work_dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("mediasql-executor-{grpc_port}")),
    };
    std::fs::create_dir_all(&work_dir)?;
    let work_dir = work_dir.to_string_lossy().to_string();
    let registry = BallistaFunctionRegistry::from(&server.functions);
    let temp_dir = work_dir.clone();
    let runtime_producer = move |_: &SessionConfig| -> Result<Arc<RuntimeEnv>> {
        RuntimeEnvBuilder::new()
            .with_temp_file_path(&temp_dir)
            .build_arc()
    };
    let message_bytes = super::MAX_MESSAGE_BYTES;
    let (logical_codec, physical_codec) = server.codecs();
    let executor = ExecutorProcessConfig {
        bind_host: host.clone(),
        external_host: Some(args.external_host.clone().unwrap_or(host)),
        port: flight_port,
        grpc_port,
        scheduler_host,
        scheduler_port,
        scheduler_connect_timeout_seconds: 30,
        vcores: mediasql_udfs::cores(),
        task_scheduling_policy: TaskSchedulingPolicy::PushStaged,
        work_dir: Some(work_dir),
        executor_heartbeat_interval_seconds: 2,
        grpc_max_decoding_message_size: message_bytes,
        grpc_max_encoding_message_size: message_bytes,
        override_function_registry: Some(Arc::new(registry)),
        override_runtime_producer: Some(Arc::new(runtime_producer)),
        override_config_producer: Some(Arc::new(move || server.settings.clone())),
        override_logical_codec: Some(logical_codec),
        override_physical_codec: Some(physical_codec),
        ..ExecutorProcessConfig::default()
    };
    log::warn!(
        "mediasql executor: tasks on port {grpc_port}, results on port {flight_port}, {} cores",
        mediasql_udfs::cores()
    );
    start_executor_process(Arc::new(executor))
        .await
        .map_err(super::ballista_error)
}
