//! Builds the engine: one shared `SessionContext` holding the media tables, the functions,
//! `pg_catalog` and the memory pool; each connection gets its own [`Session`] over it.

use std::sync::Arc;

use datafusion::common::{DataFusionError, Result};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::SessionContext;
use mediasql_udfs::io::MediaRoots;
use mediasql_udfs::models::ModelRegistry;

use crate::cache::InferenceCache;
use crate::cache::table::CacheTable;
use crate::catalog::factory::media_table;
use crate::catalog::pdf_pages::PdfPages;
use crate::catalog::read_media::ReadMedia;
use crate::catalog::video_frames::VideoFrames;
use crate::config::Config;
use crate::memory::{ServerMemory, with_runtime};
use crate::pgcompat::roles::ConfiguredRoles;
use crate::pools::admission::Admission;
use crate::session::Session;
use crate::statement::parse::Parser;
use crate::statement::rewrites::Rewrites;

pub use crate::parts::{CATALOG, Parts, SCHEMA};

/// The engine shared by every connection.
#[derive(Clone)]
pub struct Engine {
    ctx: SessionContext,
    parts: Parts,
    parser: Arc<Parser>,
    rewrites: Arc<Rewrites>,
    roles: ConfiguredRoles,
    admission: Arc<Admission>,
    memory: ServerMemory,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine with the tables of `config` registered.
    pub fn new(config: &Config) -> Result<Self> {
        let parts = Parts::new(config)?;
        let (stores, functions) = (Arc::clone(&parts.stores), Arc::clone(&parts.functions));
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
                    session_config = session_config.with_target_partitions(
                        crate::cluster::DEFAULT_PARTITIONS.max(crate::parts::default_partitions()),
                    );
                }
                session_config = crate::cluster::cluster_config(session_config);
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
        let cache = ctx.state().config().get_extension::<InferenceCache>();
        ctx.register_udtf("inference_cache", Arc::new(CacheTable(cache)));
        let rewrites = Arc::new(Rewrites::new(&functions));
        let roles = ConfiguredRoles::new(config.security.users.keys().cloned());
        let before = ctx.state();
        datafusion_pg_catalog::setup_pg_catalog(&ctx, CATALOG, roles.clone()).map_err(|e| *e)?;
        // Its setup rebuilds the state, which can give DataFusion's functions back our names.
        crate::rebuild::keep_functions(&before, &mut ctx.state_ref().write());
        crate::pgcompat::install(&ctx, CATALOG, &functions)?;
        for table in &config.tables {
            let provider = media_table(&table.location, &table.options, &stores)?;
            ctx.register_table(table.name.as_str(), Arc::new(provider))
                .map_err(|e| DataFusionError::Plan(format!("table {}: {e}", table.name)))?;
        }
        Ok(Self {
            ctx,
            parts,
            parser: Arc::new(Parser::default()),
            rewrites,
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
            Arc::clone(&self.parts.models),
            self.parts.roots.clone(),
            Arc::clone(&self.admission),
            memory,
        )
    }

    /// Where clients may read and write; None: anywhere the process can.
    pub fn media_roots(&self) -> Option<&Arc<MediaRoots>> {
        self.parts.roots.as_ref()
    }

    /// mediasql's own SQL functions (DataFusion's are not among them).
    pub fn media_functions(&self) -> &[ScalarUDF] {
        &self.parts.functions
    }

    /// The engine's models (defaults and user models, sessions loaded once).
    pub fn models(&self) -> &Arc<ModelRegistry> {
        &self.parts.models
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
