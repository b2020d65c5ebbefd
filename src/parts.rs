//! [`Parts`]: what every process of a deployment builds alike from its configuration: the
//! server, and a cluster's scheduler and executors.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::execution::registry::FunctionRegistry;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::SessionConfig;
use mediasql_udfs::io::{MediaRoots, StoreRegistry};
use mediasql_udfs::models::ModelRegistry;

use crate::cache::InferenceCache;
use crate::catalog::factory::MediaTableFactory;
use crate::config::Config;
use crate::exec::MediasqlOptions;
use crate::statement::rewrites;

/// The catalog name clients see as their database.
pub const CATALOG: &str = "mediasql";
/// The default schema.
pub const SCHEMA: &str = "public";

/// What every process of a deployment builds alike from its configuration (the server, and a
/// cluster's scheduler and executors): stores, models, functions, and the session state that
/// plans with our rules.
#[derive(Clone)]
pub struct Parts {
    pub roots: Option<Arc<MediaRoots>>,
    pub stores: Arc<StoreRegistry>,
    pub models: Arc<ModelRegistry>,
    pub functions: Arc<Vec<ScalarUDF>>,
}

impl Parts {
    pub fn new(config: &Config) -> Result<Self> {
        let roots = config
            .media_roots
            .as_ref()
            .map(|roots| MediaRoots::new(roots, config.allow_writes).map(Arc::new))
            .transpose()?;
        // S3 and HTTP requests run on the runtime that builds the engine (the server's), not
        // on the plan runtime (crate::pools::plans).
        let io = tokio::runtime::Handle::try_current().ok();
        let stores = Arc::new(
            StoreRegistry::new(config.s3.clone())
                .with_roots(roots.clone())
                .with_io_runtime(io),
        );
        let user_models = config
            .user_models_dir
            .clone()
            .unwrap_or_else(|| config.models_dir.join("user"));
        let models = Arc::new(
            ModelRegistry::with_user_dir(config.models_dir.clone(), user_models)?
                .on_device(config.device),
        );
        let functions = mediasql_udfs::all_functions(Arc::clone(&stores), Arc::clone(&models));
        Ok(Self {
            roots,
            stores,
            models,
            functions: Arc::new(functions),
        })
    }

    /// The session settings of `config`.
    pub fn session_config(config: &Config) -> SessionConfig {
        let mut session_config = SessionConfig::new()
            // Off: ours (pgcompat::information_schema), in the catalog, answers instead.
            .with_information_schema(false)
            .with_default_catalog_and_schema(CATALOG, SCHEMA)
            .with_target_partitions(config.target_partitions.unwrap_or_else(default_partitions))
            .with_option_extension(MediasqlOptions {
                device: config.device.to_string(),
                // Without a cache directory there is nothing to look up: plan as without one.
                inference_cache: match config.cache_dir {
                    Some(_) => "on".into(),
                    None => "off".into(),
                },
                ..MediasqlOptions::default()
            });
        // `timestamptz` is a timestamp in UTC, as sessions see time (their TimeZone is UTC);
        // without a zone DataFusion would plan it as a plain timestamp.
        session_config.options_mut().execution.time_zone = Some("UTC".into());
        match &config.cache_dir {
            Some(dir) => session_config.with_extension(InferenceCache::new(dir, config.cache_size)),
            None => session_config,
        }
    }

    /// A session state planning with our functions and rules.
    pub fn state(&self, config: SessionConfig, runtime: Arc<RuntimeEnv>) -> Result<SessionState> {
        // The plan rules we add and remove are listed with the statement rewrites.
        let builder = SessionStateBuilder::new()
            .with_default_features()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_analyzer_rules(rewrites::analyzer_rules(&self.functions))
            .with_optimizer_rules(rewrites::logical_rules());
        let mut state = rewrites::physical_rules()
            .into_iter()
            .fold(builder, |b, rule| b.with_physical_optimizer_rule(rule))
            .build();
        for udf in self.functions.iter() {
            state.register_udf(Arc::new(udf.clone()))?;
        }
        state.table_factories_mut().insert(
            "MEDIA".to_string(),
            Arc::new(MediaTableFactory::new(Arc::clone(&self.stores))),
        );
        Ok(state)
    }
}

/// The machine's cores (DataFusion's partitions of a query).
pub fn default_partitions() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
