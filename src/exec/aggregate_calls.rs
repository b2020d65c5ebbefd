//! [`ProjectAggregateModelCalls`]: model calls in an aggregate's grouping and aggregate
//! arguments move into a projection below the aggregate, where [`super::lift::LiftModelCalls`]
//! lifts them into an `InferenceExec`.
//!
//! `SELECT classify(content)['label'], count(*) FROM images GROUP BY 1` and
//! `SELECT count(classify(content)) ...` would otherwise run the model inside the
//! aggregate's scalar calls: no batching across input batches, no read-ahead, nothing in
//! `EXPLAIN ANALYZE`. The projected column is named as the call is (its schema name), so the
//! aggregate's output names, and every plan above it, stay as they were.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, Result};
use datafusion::logical_expr::{Aggregate, Expr, LogicalPlan, Projection};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};
use mediasql_udfs::model_udf::as_model_udf;

use super::options::MediasqlOptions;

/// The logical optimizer rule (see the module docs).
#[derive(Debug, Default)]
pub struct ProjectAggregateModelCalls;

impl OptimizerRule for ProjectAggregateModelCalls {
    fn name(&self) -> &str {
        "project_aggregate_model_calls"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Aggregate(aggregate) = plan else {
            return Ok(Transformed::no(plan));
        };
        if !MediasqlOptions::from_config(&config.options()).inference_exec {
            return Ok(Transformed::no(LogicalPlan::Aggregate(aggregate)));
        }
        let calls = model_calls(&aggregate)?;
        if calls.is_empty() {
            return Ok(Transformed::no(LogicalPlan::Aggregate(aggregate)));
        }
        let Aggregate {
            input,
            group_expr,
            aggr_expr,
            ..
        } = aggregate;
        let mut projected: Vec<Expr> = input
            .schema()
            .columns()
            .into_iter()
            .map(Expr::Column)
            .collect();
        projected.extend(calls.iter().map(|(call, name)| call.clone().alias(name)));
        let input = LogicalPlan::Projection(Projection::try_new(projected, input)?);
        let replace = |exprs: Vec<Expr>| -> Result<Vec<Expr>> {
            exprs
                .into_iter()
                .map(|e| replace_calls(e, &calls))
                .collect()
        };
        let aggregate =
            Aggregate::try_new(Arc::new(input), replace(group_expr)?, replace(aggr_expr)?)?;
        Ok(Transformed::yes(LogicalPlan::Aggregate(aggregate)))
    }
}

/// The distinct model calls of `aggregate`'s expressions, each with the name of its column:
/// its schema name. A call whose name an input column has already is left in place.
fn model_calls(aggregate: &Aggregate) -> Result<Vec<(Expr, String)>> {
    let schema = aggregate.input.schema();
    let mut calls: Vec<(Expr, String)> = Vec::new();
    for expr in aggregate.group_expr.iter().chain(&aggregate.aggr_expr) {
        expr.apply(|e| {
            if !is_model_call(e) {
                return Ok(TreeNodeRecursion::Continue);
            }
            let name = e.schema_name().to_string();
            let taken = schema.fields().iter().any(|f| f.name() == &name);
            if !taken && !calls.iter().any(|(c, _)| c == e) {
                calls.push((e.clone(), name));
            }
            Ok(TreeNodeRecursion::Jump)
        })?;
    }
    Ok(calls)
}

/// A call of a model function.
fn is_model_call(expr: &Expr) -> bool {
    matches!(expr, Expr::ScalarFunction(call) if as_model_udf(&call.func).is_some())
}

/// `expr` with each of `calls` replaced by its projected column.
fn replace_calls(expr: Expr, calls: &[(Expr, String)]) -> Result<Expr> {
    expr.transform_down(|e| match calls.iter().find(|(c, _)| *c == e) {
        Some((_, name)) => Ok(Transformed::new(
            Expr::Column(Column::new_unqualified(name)),
            true,
            TreeNodeRecursion::Jump,
        )),
        None => Ok(Transformed::no(e)),
    })
    .map(|t| t.data)
}
