//! `EXISTS (subquery)` and `x IN (subquery)` in a select list, as PostgreSQL allows them.
//!
//! DataFusion turns these predicates into joins only inside filters; in a projection they
//! reach the physical planner, which refuses them ("does not support logical expression
//! Exists"). pgAdmin asks this way for a table's replication trigger (`EXISTS(... WHERE
//! tgrelid = rel.oid) AS isrepl`) and a column's foreign keys (`EXISTS(... AND
//! att.attnum = ANY(conkey)) AS is_fk`).
//!
//! This optimizer rule gives each such subquery of a projection a left mark join, the join
//! DataFusion uses for the same predicates under `OR` in a filter: every input row once, with
//! a boolean `mark` that says whether a subquery row matched. Correlated conditions (equal or
//! not) become the join's filter; the projection reads `mark` (or `NOT mark`) in place of the
//! subquery and keeps its output names. A subquery whose correlation cannot be pulled up is
//! left as it was, and planning fails as before.
//!
//! `x IN (subquery)` yields true or false, not NULL, when nothing matches and `x` or a
//! subquery value is NULL.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, Result};
use datafusion::logical_expr::expr::{Exists, InSubquery};
use datafusion::logical_expr::expr_rewriter::{NamePreserver, replace_col};
use datafusion::logical_expr::utils::{conjunction, expr_to_columns};
use datafusion::logical_expr::{
    Expr, JoinType, LogicalPlan, LogicalPlanBuilder, Projection, Subquery,
};
use datafusion::optimizer::decorrelate::PullUpCorrelatedExpr;
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

/// The optimizer rule.
#[derive(Debug, Default)]
pub struct SelectListSubqueries;

impl OptimizerRule for SelectListSubqueries {
    fn name(&self) -> &str {
        "mediasql_select_list_subqueries"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::TopDown)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Projection(projection) = plan else {
            return Ok(Transformed::no(plan));
        };
        if !projection.expr.iter().any(has_predicate_subquery) {
            return Ok(Transformed::no(LogicalPlan::Projection(projection)));
        }
        let mut input = Arc::unwrap_or_clone(projection.input);
        let mut changed = false;
        let mut exprs = Vec::with_capacity(projection.expr.len());
        for expr in projection.expr {
            let name = NamePreserver::new_for_projection().save(&expr);
            let rewritten = expr.transform_up(|e| {
                let Some((subquery, in_predicate, negated)) = predicate_subquery(&e) else {
                    return Ok(Transformed::no(e));
                };
                let alias = config.alias_generator().next("__select_list_sq");
                match mark_join(&input, &subquery, in_predicate, &alias)? {
                    Some(joined) => {
                        input = joined;
                        let mark = Expr::Column(Column::new(Some(alias), "mark"));
                        Ok(Transformed::yes(if negated { !mark } else { mark }))
                    }
                    None => Ok(Transformed::no(e)),
                }
            })?;
            changed |= rewritten.transformed;
            exprs.push(name.restore(rewritten.data));
        }
        let projection = Projection::try_new(exprs, Arc::new(input))?;
        Ok(Transformed::new_transformed(
            LogicalPlan::Projection(projection),
            changed,
        ))
    }
}

fn has_predicate_subquery(expr: &Expr) -> bool {
    expr.exists(|e| Ok(matches!(e, Expr::Exists(_) | Expr::InSubquery(_))))
        .unwrap_or(false)
}

/// The subquery of `e`, the `x = output` condition of an IN, and whether `e` is negated.
fn predicate_subquery(e: &Expr) -> Option<(Arc<LogicalPlan>, Option<Expr>, bool)> {
    match e {
        Expr::Exists(Exists { subquery, negated }) => {
            Some((Arc::clone(&subquery.subquery), None, *negated))
        }
        Expr::InSubquery(InSubquery {
            expr,
            subquery: Subquery { subquery, .. },
            negated,
        }) => {
            let output = subquery.head_output_expr().ok().flatten()?;
            Some((
                Arc::clone(subquery),
                Some(expr.as_ref().clone().eq(output)),
                *negated,
            ))
        }
        _ => None,
    }
}

/// `left` left-mark-joined with `subquery` (aliased `alias`) on its correlated conditions
/// and `in_predicate`; `None` when the correlation cannot be pulled out of the subquery.
fn mark_join(
    left: &LogicalPlan,
    subquery: &LogicalPlan,
    in_predicate: Option<Expr>,
    alias: &str,
) -> Result<Option<LogicalPlan>> {
    let mut pull_up = PullUpCorrelatedExpr::new()
        .with_exists_sub_query(in_predicate.is_none())
        .with_in_predicate_opt(in_predicate.clone());
    let decorrelated = subquery.clone().rewrite(&mut pull_up)?.data;
    if !pull_up.can_pull_up {
        return Ok(None);
    }
    let right = LogicalPlanBuilder::from(decorrelated)
        .alias(alias)?
        .build()?;
    let inner: BTreeSet<Column> = pull_up
        .correlated_subquery_cols_map
        .values()
        .flatten()
        .cloned()
        .collect();
    let mut conditions = pull_up.join_filters;
    if let Some(Expr::BinaryExpr(binary)) = in_predicate {
        // The subquery's output column, now under the alias.
        let output = right.schema().field(0).name();
        conditions.push(
            binary
                .left
                .as_ref()
                .clone()
                .eq(Expr::Column(Column::new(Some(alias), output))),
        );
    }
    let condition = match conjunction(conditions) {
        Some(condition) => requalify(condition, &inner, alias)?,
        None => datafusion::logical_expr::lit(true),
    };
    let right = only_columns_of(right, &condition)?;
    let joined = LogicalPlanBuilder::from(left.clone())
        .join_on(right, JoinType::LeftMark, Some(condition))?
        .build()?;
    Ok(Some(joined))
}

/// `condition` with the subquery's own columns named under `alias`.
fn requalify(condition: Expr, inner: &BTreeSet<Column>, alias: &str) -> Result<Expr> {
    let renamed: Vec<Column> = inner
        .iter()
        .map(|c| Column::new(Some(alias), &c.name))
        .collect();
    let map: HashMap<&Column, &Column> = inner.iter().zip(renamed.iter()).collect();
    replace_col(condition, &map)
}

/// `right` projected to the columns `condition` reads from it (all of it when none).
fn only_columns_of(right: LogicalPlan, condition: &Expr) -> Result<LogicalPlan> {
    let mut needed = std::collections::HashSet::new();
    expr_to_columns(condition, &mut needed)?;
    let schema = Arc::clone(right.schema());
    let mut columns: Vec<(usize, Column)> = needed
        .into_iter()
        .filter_map(|c| schema.index_of_column(&c).ok().map(|i| (i, c)))
        .collect();
    if columns.is_empty() {
        return Ok(right);
    }
    columns.sort_by_key(|(i, _)| *i);
    LogicalPlanBuilder::from(right)
        .project(columns.into_iter().map(|(_, c)| Expr::Column(c)))?
        .build()
}
