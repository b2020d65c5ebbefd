//! [`DeferContentReads`]: when the inference cache may answer a model pass over a media
//! table's `content`, the scan leaves `content` NULL and the `InferenceExec` reads the
//! bodies of the rows the cache misses; a rerun over an unchanged folder reads no bodies.
//!
//! Applies to `ProjectionExec → InferenceExec → [FilterExec →] MediaScanExec` where the
//! pass's input is the scan's `content` (its rows' paths given), every call can be cached,
//! and nothing else (the projection above, the filter) uses `content`. Off unless
//! `mediasql.inference_cache` is `on` when the query is planned. The bodies are still
//! read by the operator when the cache is off or unavailable at run time.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::expressions::Column;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;

use super::{InferenceExec, MediasqlOptions};
use crate::cache::CacheMode;
use crate::catalog::scan::{MediaScanExec, ReadLevel};
use crate::catalog::schema::col;

/// See the module documentation.
#[derive(Debug, Default)]
pub struct DeferContentReads;

impl PhysicalOptimizerRule for DeferContentReads {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let options = MediasqlOptions::from_config(config);
        if CacheMode::parse(&options.inference_cache) != Some(CacheMode::On) {
            return Ok(plan);
        }
        plan.transform_down(|node| match deferred(&node)? {
            Some(new) => Ok(Transformed::yes(new)),
            None => Ok(Transformed::no(node)),
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "defer_content_reads"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `node` with its scan's content deferred, when the pattern applies.
fn deferred(node: &Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some(projection) = node.downcast_ref::<ProjectionExec>() else {
        return Ok(None);
    };
    let Some(inference) = projection.input().downcast_ref::<InferenceExec>() else {
        return Ok(None);
    };
    if inference.reads_bodies() || inference.calls().iter().any(|c| c.cache.is_none()) {
        return Ok(None);
    }
    let (Some(argument), Some(paths)) = (
        inference.argument().downcast_ref::<Column>(),
        inference.paths().and_then(|p| p.downcast_ref::<Column>()),
    ) else {
        return Ok(None);
    };
    let used_above = projection.expr().iter().any(|p| {
        collect_columns(&p.expr)
            .iter()
            .any(|c| c.index() == argument.index())
    });
    if used_above {
        return Ok(None);
    }
    let input = inference.input();
    let (scan, filter) = match input.downcast_ref::<FilterExec>() {
        Some(filter) => (filter.input().downcast_ref::<MediaScanExec>(), Some(filter)),
        None => (input.downcast_ref::<MediaScanExec>(), None),
    };
    let Some(scan) = scan.filter(|s| s.reads() == ReadLevel::Body && !s.content_deferred()) else {
        return Ok(None);
    };
    // The scan's column behind an index of the operator's input.
    let scan_column = |i: usize| -> Option<usize> {
        let i = match filter.and_then(|f| f.projection().as_ref()) {
            Some(p) => *p.get(i)?,
            None => i,
        };
        scan.projection().get(i).copied()
    };
    if scan_column(argument.index()) != Some(col::CONTENT)
        || scan_column(paths.index()) != Some(col::PATH)
    {
        return Ok(None);
    }
    if let Some(filter) = filter {
        let content = scan.projection().iter().position(|&c| c == col::CONTENT);
        let reads_content = collect_columns(filter.predicate())
            .iter()
            .any(|c| Some(c.index()) == content);
        if reads_content {
            return Ok(None);
        }
    }
    let source = Arc::new(scan.deferred_bodies()?);
    let mut below: Arc<dyn ExecutionPlan> = Arc::new(scan.with_content_deferred()?);
    if let Some(filter) = filter {
        below = replace_children_if_necessary(Arc::new(filter.clone()), vec![below])?;
    }
    let inference = Arc::new(inference.with_deferred_input(below, source)?);
    Ok(Some(replace_children_if_necessary(
        Arc::clone(node),
        vec![inference],
    )?))
}
