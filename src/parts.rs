//! [`Parts`]: what every process of a deployment builds alike from its configuration: the
//! server, and a cluster's scheduler and executors.

use std::collections::{HashMap, HashSet};
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

/// `state` rebuilt by `change`, every function still under each name and alias it had.
/// Every rebuild of a state goes through here.
pub fn rebuilt(
    state: &SessionState,
    change: impl FnOnce(SessionStateBuilder) -> SessionStateBuilder,
) -> SessionState {
    let mut rebuilt = change(SessionStateBuilder::new_from_existing(state.clone())).build();
    keep_functions(state, &mut rebuilt);
    rebuilt
}

/// Gives each name of `before` its function back where a rebuild since then put another of
/// `before`'s functions under it. Functions registered since then keep the names they took.
///
/// DataFusion's builder registers every function anew, name and aliases, in its map's random
/// order. Where one function's name is another's alias, either can come out on top: our
/// `inner_product` replaced DataFusion's, which its alias `dot_product` keeps in the map, and
/// `length` is ours and DataFusion's alias of `character_length`. Rebuilds we do not own
/// (datafusion-pg-catalog's setup) are repaired with this too.
pub fn keep_functions(before: &SessionState, after: &mut SessionState) {
    // Registering a function also sets its aliases, which may be another's names: a few
    // rounds settle every name (one does for DataFusion's functions and ours).
    for _ in 0..4 {
        let scalars = misplaced(before.scalar_functions(), after.scalar_functions(), |f| {
            f.name()
        });
        let aggregates = misplaced(
            before.aggregate_functions(),
            after.aggregate_functions(),
            |f| f.name(),
        );
        let windows = misplaced(before.window_functions(), after.window_functions(), |f| {
            f.name()
        });
        if scalars.is_empty() && aggregates.is_empty() && windows.is_empty() {
            return;
        }
        // A session state's registration cannot fail; it returns the function it replaced.
        for udf in scalars {
            let _ = after.register_udf(udf);
        }
        for udaf in aggregates {
            let _ = after.register_udaf(udaf);
        }
        for udwf in windows {
            let _ = after.register_udwf(udwf);
        }
    }
}

/// The functions of `want` that `have` lists under a name of theirs with another function
/// of `want`; those found by an alias first, so that a function under its own name,
/// registered after, keeps it.
fn misplaced<F>(
    want: &HashMap<String, Arc<F>>,
    have: &HashMap<String, Arc<F>>,
    name: impl Fn(&F) -> &str,
) -> Vec<Arc<F>> {
    let known: HashSet<*const F> = want.values().map(Arc::as_ptr).collect();
    let mut wrong: Vec<(bool, Arc<F>)> = want
        .iter()
        .filter(|(key, f)| {
            have.get(*key)
                .is_some_and(|now| !Arc::ptr_eq(now, f) && known.contains(&Arc::as_ptr(now)))
        })
        .map(|(key, f)| (key.as_str() == name(f), Arc::clone(f)))
        .collect();
    wrong.sort_by_key(|(own_name, _)| *own_name);
    wrong.into_iter().map(|(_, f)| f).collect()
}

/// The machine's cores (DataFusion's partitions of a query).
pub fn default_partitions() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `b` has each function of `a` under each of its names. (Functions that read
    /// settings, such as `to_timestamp_millis`, are made anew by a build: names are compared.)
    fn same_functions(a: &SessionState, b: &SessionState) -> Result<(), String> {
        for (key, udf) in a.scalar_functions() {
            let now = b.scalar_functions().get(key).map(|f| f.name());
            if now != Some(udf.name()) {
                return Err(format!("{key}: {now:?}"));
            }
        }
        for (key, udaf) in a.aggregate_functions() {
            let now = b.aggregate_functions().get(key).map(|f| f.name());
            if now != Some(udaf.name()) {
                return Err(format!("aggregate {key}: {now:?}"));
            }
        }
        Ok(())
    }

    /// Our `inner_product` over DataFusion's, `length` over its alias of `character_length`:
    /// without the repair about half the rebuilds gave DataFusion's back.
    #[test]
    fn a_rebuilt_state_keeps_every_function_under_its_names() {
        let mut state = SessionStateBuilder::new().with_default_features().build();
        let inner_product = Arc::new(mediasql_udfs::vector::inner_product::udf());
        state.register_udf(Arc::clone(&inner_product)).unwrap();
        state
            .register_udf(Arc::new(crate::pgcompat::length::length()))
            .unwrap();
        assert!(state.scalar_functions().contains_key("dot_product"));
        for _ in 0..30 {
            let again = rebuilt(&state, |builder| builder);
            same_functions(&state, &again).unwrap();
            assert!(Arc::ptr_eq(
                &again.scalar_functions()["inner_product"],
                &inner_product
            ));
        }
    }
}
