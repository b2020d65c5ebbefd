//! [`DeferContentReads`]: when the inference cache may answer a model pass over a media
//! table's `content`, the scan leaves `content` NULL and the `InferenceExec` reads the
//! bodies of the rows the cache misses; a rerun over an unchanged folder reads no bodies.
//!
//! Applies to `ProjectionExec | FilterExec (projecting) → InferenceExec → ... →
//! MediaScanExec` where the pass's input is the scan's `content` (its rows' paths given),
//! every call can be cached, nothing else (the node above, filters below) uses `content`,
//! and what lies between passes rows on (filters, round-robin repartitions, our passes). Off unless
//! `mediasql.inference_cache` is `on` when the query is planned. The bodies are still
//! read by the operator when the cache is off or unavailable at run time.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::Partitioning;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::expressions::Column;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{ExecutionPlan, PhysicalExpr};

use super::inference::InferenceExec;
use super::options::MediasqlOptions;
use super::pass::PassExec;
use crate::cache::CacheMode;
use crate::catalog::deferred_bodies::DeferredBodies;
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
        if options.cache_mode() != CacheMode::On {
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

/// The `InferenceExec` below `node` and the expressions `node` evaluates over its rows, when
/// `node` passes on only what those expressions make: a projection, or a filter that
/// projects.
fn consumer(node: &Arc<dyn ExecutionPlan>) -> Option<(Vec<Arc<dyn PhysicalExpr>>, &InferenceExec)> {
    if let Some(projection) = node.downcast_ref::<ProjectionExec>() {
        let inference = projection.input().downcast_ref::<InferenceExec>()?;
        let exprs = projection
            .expr()
            .iter()
            .map(|p| Arc::clone(&p.expr))
            .collect();
        return Some((exprs, inference));
    }
    let filter = node.downcast_ref::<FilterExec>()?;
    let inference = filter.input().downcast_ref::<InferenceExec>()?;
    let projection = filter.projection().as_ref()?;
    let schema = inference.schema();
    let mut exprs: Vec<Arc<dyn PhysicalExpr>> = vec![Arc::clone(filter.predicate())];
    for &i in projection.iter() {
        let field = schema.fields().get(i)?;
        exprs.push(Arc::new(Column::new(field.name(), i)));
    }
    Some((exprs, inference))
}

/// `node` with its scan's content deferred, when the pattern applies.
fn deferred(node: &Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some((above, inference)) = consumer(node) else {
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
    let used_above = above.iter().any(|e| {
        collect_columns(e)
            .iter()
            .any(|c| c.index() == argument.index())
    });
    if used_above {
        return Ok(None);
    }
    let Some((below, source)) = deferred_below(inference.input(), argument.index(), paths.index())?
    else {
        return Ok(None);
    };
    let inference = Arc::new(inference.with_deferred_input(below, Arc::new(source))?);
    Ok(Some(replace_children_if_necessary(
        Arc::clone(node),
        vec![inference],
    )?))
}

/// `plan` with the scan at its bottom deferring `content`, when column `content` of `plan`
/// is the scan's `content` and column `path` its `path`, and nothing on the way reads
/// `content`: filters (not on it), round-robin repartitions, batch coalescing, our passes.
fn deferred_below(
    plan: &Arc<dyn ExecutionPlan>,
    content: usize,
    path: usize,
) -> Result<Option<(Arc<dyn ExecutionPlan>, DeferredBodies)>> {
    if let Some(scan) = plan.downcast_ref::<MediaScanExec>() {
        let columns = scan.projection();
        let fits = scan.reads() == ReadLevel::Body
            && !scan.content_deferred()
            && columns.get(content) == Some(&col::CONTENT)
            && columns.get(path) == Some(&col::PATH);
        if !fits {
            return Ok(None);
        }
        let deferred: Arc<dyn ExecutionPlan> = Arc::new(scan.with_content_deferred()?);
        return Ok(Some((deferred, scan.deferred_bodies()?)));
    }
    let Some((child, content, path)) = passed_through(plan, content, path) else {
        return Ok(None);
    };
    let Some((below, source)) = deferred_below(child, content, path)? else {
        return Ok(None);
    };
    Ok(Some((
        replace_children_if_necessary(Arc::clone(plan), vec![below])?,
        source,
    )))
}

/// The child of `plan` and where columns `content` and `path` of `plan` come from in it,
/// when `plan` passes them on without reading `content`.
fn passed_through(
    plan: &Arc<dyn ExecutionPlan>,
    content: usize,
    path: usize,
) -> Option<(&Arc<dyn ExecutionPlan>, usize, usize)> {
    if let Some(filter) = plan.downcast_ref::<FilterExec>() {
        let source = |i: usize| match filter.projection().as_ref() {
            Some(p) => p.get(i).copied(),
            None => Some(i),
        };
        let (content, path) = (source(content)?, source(path)?);
        let reads_content = collect_columns(filter.predicate())
            .iter()
            .any(|c| c.index() == content);
        return (!reads_content).then_some((filter.input(), content, path));
    }
    let passes = match plan.downcast_ref::<RepartitionExec>() {
        Some(r) => matches!(r.partitioning(), Partitioning::RoundRobinBatch(_)),
        None => plan.downcast_ref::<PassExec>().is_some(),
    };
    let children = plan.children();
    let [child] = children.as_slice() else {
        return None;
    };
    passes.then_some((*child, content, path))
}
