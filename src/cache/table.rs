//! `inference_cache()`: `SHOW CACHE` as a table function, for queries over it (`SELECT
//! model, entries FROM inference_cache() WHERE ...`).

use std::sync::Arc;

use datafusion::catalog::{TableFunctionImpl, TableProvider};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::Expr;

use super::InferenceCache;
use crate::statement::commands::{cache_batch, show_cache_schema};

/// The table function; holds the engine's cache (None: the engine keeps none).
#[derive(Debug)]
pub struct CacheTable(pub Option<Arc<InferenceCache>>);

impl TableFunctionImpl for CacheTable {
    fn call(&self, args: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        if !args.is_empty() {
            return plan_err!("inference_cache() takes no arguments");
        }
        let lines = match &self.0 {
            Some(cache) => cache.lines(),
            None => Vec::new(),
        };
        let batch = cache_batch(&lines)?;
        Ok(Arc::new(MemTable::try_new(
            show_cache_schema(),
            vec![vec![batch]],
        )?))
    }
}
