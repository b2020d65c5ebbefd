//! Correlated scalar subqueries that are not aggregates, as PostgreSQL runs them.
//!
//! PostgreSQL takes `(SELECT nspname FROM pg_namespace WHERE oid = t.typnamespace)` as the
//! one row's value (NULL for none, an error for more). DataFusion decorrelates a correlated
//! scalar subquery only when it aggregates, and refused these ("must be aggregated to return
//! at most one row"); clients' catalog queries are full of them (DBeaver, pgAdmin, pgcli).
//!
//! This analyzer rule, run before DataFusion's, aggregates such subqueries:
//! - `SELECT e ... ORDER BY o LIMIT 1` → `SELECT first_value(e ORDER BY o) ...` (pgAdmin's
//!   sequence lookup), and without ORDER BY, `first_value(e)`;
//! - otherwise `SELECT e ...` → `SELECT first_value(e) ...`. Where PostgreSQL would fail
//!   with "more than one row returned by a subquery", one of the rows is taken: the
//!   aggregate runs per correlated key, for keys no outer row asks about too, so failing there
//!   would fail queries PostgreSQL runs.
//!
//! An aggregate under a `LIMIT` that keeps its one row loses the limit instead (a `count`
//! of no rows is then 0, as in PostgreSQL, not NULL).
//!
//! DataFusion's decorrelation then applies: correlated conditions must be equalities to reach
//! above the aggregate; others still fail to plan.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, Result, ScalarValue};
use datafusion::functions_aggregate::expr_fn::first_value;
use datafusion::logical_expr::{
    Expr, FetchType, LogicalPlan, LogicalPlanBuilder, SkipType, SortExpr, Subquery, lit,
};
use datafusion::optimizer::AnalyzerRule;

/// The analyzer rule.
#[derive(Debug, Default)]
pub struct ScalarSubqueries;

impl AnalyzerRule for ScalarSubqueries {
    fn name(&self) -> &str {
        "mediasql_scalar_subqueries"
    }

    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            node.map_expressions(|expr| expr.transform_up(aggregate_subquery))
        })
        .map(|t| t.data)
    }
}

fn aggregate_subquery(expr: Expr) -> Result<Transformed<Expr>> {
    let Expr::ScalarSubquery(subquery) = expr else {
        return Ok(Transformed::no(expr));
    };
    if subquery.outer_ref_columns.is_empty() {
        return Ok(Transformed::no(Expr::ScalarSubquery(subquery)));
    }
    if let Some(plan) = without_limit(&subquery.subquery)? {
        return Ok(Transformed::yes(Expr::ScalarSubquery(Subquery {
            subquery: Arc::new(plan),
            ..subquery
        })));
    }
    if aggregated(&subquery.subquery) {
        return Ok(Transformed::no(Expr::ScalarSubquery(subquery)));
    }
    let Some(plan) = one_value(subquery.subquery.as_ref().clone())? else {
        return Ok(Transformed::no(Expr::ScalarSubquery(subquery)));
    };
    Ok(Transformed::yes(Expr::ScalarSubquery(Subquery {
        subquery: Arc::new(plan),
        ..subquery
    })))
}

/// The aggregate under `plan` where `plan` is a `LIMIT n` (n at least 1, no OFFSET) over an
/// aggregate of at most one row (pgAdmin's `(SELECT count(1) FROM pg_inherits WHERE
/// inhrelid = rel.oid LIMIT 1)`): the limit changes nothing, but it hid the aggregate, so
/// that `count` of no rows was NULL (taken as `first_value`) where PostgreSQL gives 0, and
/// DataFusion's decorrelation would keep it above the aggregate it groups by the correlated
/// columns, keeping one group only.
fn without_limit(plan: &LogicalPlan) -> Result<Option<LogicalPlan>> {
    let LogicalPlan::Limit(limit) = plan else {
        return Ok(None);
    };
    let keeps_one_row = matches!(limit.get_skip_type()?, SkipType::Literal(0))
        && matches!(limit.get_fetch_type()?, FetchType::Literal(Some(n)) if n >= 1);
    let one_row = aggregated(&limit.input) && limit.input.max_rows().is_some_and(|n| n <= 1);
    Ok((keeps_one_row && one_row).then(|| limit.input.as_ref().clone()))
}

/// Whether DataFusion takes `plan` as aggregated (its own test, `strip_inner_query`).
fn aggregated(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Projection(p) => aggregated(&p.input),
        LogicalPlan::SubqueryAlias(a) => aggregated(&a.input),
        LogicalPlan::Aggregate(_) => true,
        LogicalPlan::Filter(f) => matches!(f.input.as_ref(), LogicalPlan::Aggregate(_)),
        _ => false,
    }
}

/// `plan`'s one column, aggregated to one value; `None` for shapes left to DataFusion.
fn one_value(plan: LogicalPlan) -> Result<Option<LogicalPlan>> {
    let (input, value) = match plan {
        LogicalPlan::Limit(limit) if is_first_row(&limit)? => {
            let (input, value, order) = ordered(Arc::unwrap_or_clone(limit.input))?;
            (input, first_value(value, order))
        }
        plan => {
            let value = Expr::Column(Column::from(plan.schema().qualified_field(0)));
            (plan, first_value(value, vec![]))
        }
    };
    let plan = LogicalPlanBuilder::from(input)
        .aggregate(Vec::<Expr>::new(), vec![value])?
        .build()?;
    Ok(Some(plan))
}

fn is_first_row(limit: &datafusion::logical_expr::Limit) -> Result<bool> {
    Ok(matches!(limit.get_skip_type()?, SkipType::Literal(0))
        && matches!(limit.get_fetch_type()?, FetchType::Literal(Some(1))))
}

/// The rows under a LIMIT, the value to take and the order to take it in: a sort on top, or
/// a one-column projection over a sort, gives its order.
fn ordered(plan: LogicalPlan) -> Result<(LogicalPlan, Expr, Vec<SortExpr>)> {
    let first_column =
        |plan: &LogicalPlan| Expr::Column(Column::from(plan.schema().qualified_field(0)));
    match plan {
        LogicalPlan::Sort(sort) => {
            let input = Arc::unwrap_or_clone(sort.input);
            let value = first_column(&input);
            Ok((input, value, sort.expr))
        }
        LogicalPlan::Projection(p) if p.expr.len() == 1 => {
            let value = p.expr.into_iter().map(Expr::unalias).collect::<Vec<_>>();
            match Arc::unwrap_or_clone(p.input) {
                LogicalPlan::Sort(sort) => {
                    let value = value
                        .into_iter()
                        .next()
                        .unwrap_or_else(|| lit(ScalarValue::Null));
                    Ok((Arc::unwrap_or_clone(sort.input), value, sort.expr))
                }
                input => {
                    let plan = LogicalPlanBuilder::from(input).project(value)?.build()?;
                    let value = first_column(&plan);
                    Ok((plan, value, vec![]))
                }
            }
        }
        plan => {
            let value = first_column(&plan);
            Ok((plan, value, vec![]))
        }
    }
}
