//! Builds the engine: one shared `SessionContext` holding the media tables, the functions,
//! `pg_catalog` and the memory pool; each connection gets its own [`Session`] over it.

use std::sync::Arc;

use datafusion::common::{DataFusionError, Result};
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::registry::FunctionRegistry;
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::{SessionConfig, SessionContext};
use mediasql_udfs::io::{MediaRoots, StoreRegistry};
use mediasql_udfs::models::ModelRegistry;

use crate::catalog::factory::{MediaTableFactory, media_table};
use crate::catalog::pdf_pages::PdfPages;
use crate::catalog::read_media::ReadMedia;
use crate::catalog::video_frames::VideoFrames;
use crate::config::Config;
use crate::exec::MediasqlOptions;
use crate::memory::{ServerMemory, with_runtime};
use crate::pgcompat::roles::ConfiguredRoles;
use crate::pools::admission::Admission;
use crate::session::Session;
use crate::statement::parse::Parser;
use crate::statement::rewrites::{self, Rewrites};

/// The catalog name clients see as their database.
pub const CATALOG: &str = "mediasql";
/// The default schema.
pub const SCHEMA: &str = "public";

/// The engine shared by every connection.
#[derive(Clone)]
pub struct Engine {
    ctx: SessionContext,
    parts: Parts,
    parser: Arc<Parser>,
    rewrites: Arc<Rewrites>,
    functions: Arc<Vec<ScalarUDF>>,
    models: Arc<ModelRegistry>,
    roots: Option<Arc<MediaRoots>>,
    roles: ConfiguredRoles,
    admission: Arc<Admission>,
    memory: ServerMemory,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

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
                ..MediasqlOptions::default()
            });
        // `timestamptz` is a timestamp in UTC, as sessions see time (their TimeZone is UTC);
        // without a zone DataFusion would plan it as a plain timestamp.
        session_config.options_mut().execution.time_zone = Some("UTC".into());
        session_config
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

impl Engine {
    /// An engine with the tables of `config` registered.
    pub fn new(config: &Config) -> Result<Self> {
        let parts = Parts::new(config)?;
        let Parts {
            roots,
            stores,
            models,
            functions,
        } = parts.clone();
        let memory = ServerMemory::new(config.memory_limit, config.query_memory_limit);
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::clone(&memory.pool))
            .build_arc()?;
        let mut session_config = Parts::session_config(config);
        let state = match &config.cluster {
            None => parts.state(session_config, runtime)?,
            Some(url) => {
                if config.target_partitions.is_none() {
                    // The server does not know the executors' slots: Ballista's default.
                    session_config = session_config
                        .with_target_partitions(crate::cluster::DEFAULT_PARTITIONS.max(default_partitions()));
                }
                session_config = crate::cluster::client::session_config(session_config);
                let state = parts.state(session_config, runtime)?;
                crate::cluster::client::state(url, state, &parts)?
            }
        };
        let ctx = SessionContext::new_with_state(state);
        ctx.register_udtf("read_media", Arc::new(ReadMedia::new(Arc::clone(&stores))));
        ctx.register_udtf("pdf_pages", Arc::new(PdfPages::new(Arc::clone(&stores))));
        let frames =
            |keyframes_only| Arc::new(VideoFrames::new(Arc::clone(&stores), keyframes_only));
        ctx.register_udtf("video_frames", frames(false));
        ctx.register_udtf("video_keyframes", frames(true));
        let rewrites = Arc::new(Rewrites::new(&functions));
        let roles = ConfiguredRoles::new(config.security.users.keys().cloned());
        datafusion_pg_catalog::setup_pg_catalog(&ctx, CATALOG, roles.clone()).map_err(|e| *e)?;
        crate::pgcompat::install(&ctx, CATALOG, &functions)?;
        for table in &config.tables {
            let provider = media_table(&table.location, &table.options, &stores)?;
            ctx.register_table(table.name.as_str(), Arc::new(provider))
                .map_err(|e| DataFusionError::Plan(format!("table {}: {e}", table.name)))?;
        }
        Ok(Self {
            ctx,
            parts: parts.clone(),
            parser: Arc::new(Parser::default()),
            rewrites,
            functions,
            models,
            roots,
            roles,
            admission: Arc::new(Admission::new(config.max_running_queries)),
            memory,
        })
    }

    /// Records that `user` has logged in: it is a role in `pg_roles` from now on.
    pub fn admit_role(&self, user: &str) {
        self.roles.admit(user);
    }

    /// A new session (one per connection): its own settings, the engine's tables.
    pub fn session(&self) -> Session {
        let memory = self.memory.session();
        let shared = self.ctx.runtime_env();
        // Its own share of the server's memory; failing that (the runtime's caches could not
        // be rebuilt), the server's pool itself, which still bounds all queries together.
        let runtime = memory.runtime(&shared, None).unwrap_or_else(|e| {
            log::error!("a session's memory pool: {e}; the session uses the server's pool");
            shared
        });
        let ctx = SessionContext::new_with_state(with_runtime(&self.ctx.state(), runtime));
        Session::new(
            ctx,
            Arc::clone(&self.parser),
            Arc::clone(&self.rewrites),
            Arc::clone(&self.models),
            self.roots.clone(),
            Arc::clone(&self.admission),
            memory,
        )
    }

    /// Where clients may read and write; None: anywhere the process can.
    pub fn media_roots(&self) -> Option<&Arc<MediaRoots>> {
        self.roots.as_ref()
    }

    /// mediasql's own SQL functions (DataFusion's are not among them).
    pub fn media_functions(&self) -> &[ScalarUDF] {
        &self.functions
    }

    /// The engine's models (defaults and user models, sessions loaded once).
    pub fn models(&self) -> &Arc<ModelRegistry> {
        &self.models
    }

    /// How many query strings the engine's sessions have parsed (each once).
    pub fn statements_parsed(&self) -> u64 {
        self.parser.tokenized()
    }

    /// Its stores, models and functions.
    pub fn parts(&self) -> &Parts {
        &self.parts
    }

    /// The shared context (tables registered here are seen by every session).
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }
}

fn default_partitions() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
