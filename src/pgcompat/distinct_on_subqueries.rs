//! Subqueries in the select list of `SELECT DISTINCT ON (...)`.
//!
//! DataFusion plans `DISTINCT ON` as one node that both picks a row per key and computes the
//! select list, and its analyzer refuses correlated subqueries in any node but a projection,
//! filter or aggregate. pgAdmin's column list (`SELECT DISTINCT ON (att.attnum) ...,
//! (SELECT nspname FROM pg_namespace WHERE oid = ty.typnamespace) ...`) stopped there.
//!
//! This analyzer rule, run before DataFusion's, splits such a node: `DISTINCT ON` picks the
//! rows with all input columns, and a projection above it computes the select list. Picking
//! first and computing after gives the same rows, since the select list is computed from the
//! picked row alone. The node's ORDER BY is applied again above the projection, whose
//! subqueries may become joins that do not keep the order (the columns it needs ride along
//! and are projected away after).

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::{
    Distinct, DistinctOn, Expr, LogicalPlan, LogicalPlanBuilder, Projection,
};
use datafusion::optimizer::AnalyzerRule;

/// The analyzer rule.
#[derive(Debug, Default)]
pub struct DistinctOnSubqueries;

impl AnalyzerRule for DistinctOnSubqueries {
    fn name(&self) -> &str {
        "mediasql_distinct_on_subqueries"
    }

    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(split).map(|t| t.data)
    }
}

fn split(plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    let LogicalPlan::Distinct(Distinct::On(on)) = plan else {
        return Ok(Transformed::no(plan));
    };
    if !on.select_expr.iter().any(has_subquery) {
        return Ok(Transformed::no(LogicalPlan::Distinct(Distinct::On(on))));
    }
    let DistinctOn {
        on_expr,
        select_expr,
        sort_expr,
        input,
        ..
    } = on;
    let columns = input.schema().columns().into_iter().map(Expr::Column);
    let picked = DistinctOn::try_new(on_expr, columns.collect(), sort_expr.clone(), input)?;
    let picked = LogicalPlan::Distinct(Distinct::On(picked));
    let Some(sort_expr) = sort_expr else {
        let projection = Projection::try_new(select_expr, Arc::new(picked))?;
        return Ok(Transformed::yes(LogicalPlan::Projection(projection)));
    };
    let width = select_expr.len();
    let mut exprs = select_expr;
    let computed = Projection::try_new(exprs.clone(), Arc::new(picked.clone()))?;
    for column in sort_expr.iter().flat_map(|s| s.expr.column_refs()) {
        if !computed.schema.has_column(column) {
            exprs.push(Expr::Column(column.clone()));
        }
    }
    let plan = LogicalPlanBuilder::from(picked)
        .project(exprs)?
        .sort(sort_expr)?
        .build()?;
    let names: Vec<Expr> = plan
        .schema()
        .columns()
        .into_iter()
        .take(width)
        .map(Expr::Column)
        .collect();
    Ok(Transformed::yes(
        LogicalPlanBuilder::from(plan).project(names)?.build()?,
    ))
}

fn has_subquery(expr: &Expr) -> bool {
    expr.exists(|e| {
        Ok(matches!(
            e,
            Expr::ScalarSubquery(_) | Expr::Exists(_) | Expr::InSubquery(_)
        ))
    })
    .unwrap_or(false)
}
