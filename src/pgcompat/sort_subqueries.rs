//! Scalar subqueries in `ORDER BY` become columns of a projection below the sort, where
//! DataFusion's `scalar_subquery_to_join` turns them into joins:
//!
//! ```sql
//! SELECT path FROM images
//! ORDER BY cosine_distance(embed_image(content), (SELECT embed_image(content) FROM images
//!                                                  WHERE path LIKE '%cat%')) LIMIT 2
//! ```
//!
//! Only when uncorrelated scalar subqueries are not planned physically
//! (`datafusion.optimizer.enable_physical_uncorrelated_scalar_subquery = false`, as on a
//! cluster, where such a plan cannot be split into stages): DataFusion rewrites the
//! subqueries of filters and projections into joins then, but not those of a sort, which
//! were left unplannable. Elsewhere the rule does nothing.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, Result};
use datafusion::logical_expr::{Expr, LogicalPlan, Projection, Sort, SortExpr};
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

/// The optimizer rule (see the module docs).
#[derive(Debug, Default)]
pub struct SortSubqueries;

impl OptimizerRule for SortSubqueries {
    fn name(&self) -> &str {
        "mediasql_sort_subqueries"
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let options = &config.options().optimizer;
        if options.enable_physical_uncorrelated_scalar_subquery {
            return Ok(Transformed::no(plan));
        }
        plan.transform_up(|node| match node {
            LogicalPlan::Sort(sort) if sort.expr.iter().any(|s| has_subquery(&s.expr)) => {
                project_below(sort).map(Transformed::yes)
            }
            other => Ok(Transformed::no(other)),
        })
    }
}

fn has_subquery(expr: &Expr) -> bool {
    expr.exists(|e| Ok(matches!(e, Expr::ScalarSubquery(_))))
        .unwrap_or(false)
}

/// `Sort(e)` over `input` as `Projection(input's columns)` over `Sort(column k)` over
/// `Projection(input's columns, e AS k)`.
fn project_below(sort: Sort) -> Result<LogicalPlan> {
    let columns: Vec<Expr> = sort
        .input
        .schema()
        .iter()
        .map(|(qualifier, field)| Expr::Column(Column::new(qualifier.cloned(), field.name())))
        .collect();
    let mut below = columns.clone();
    let mut order = Vec::with_capacity(sort.expr.len());
    for (i, sort_expr) in sort.expr.into_iter().enumerate() {
        if !has_subquery(&sort_expr.expr) {
            order.push(sort_expr);
            continue;
        }
        let name = format!("__mediasql_sort_{i}");
        below.push(sort_expr.expr.alias(&name));
        order.push(SortExpr {
            expr: Expr::Column(Column::from_name(name)),
            ..sort_expr
        });
    }
    let below = LogicalPlan::Projection(Projection::try_new(below, sort.input)?);
    let sorted = LogicalPlan::Sort(Sort {
        expr: order,
        input: Arc::new(below),
        fetch: sort.fetch,
    });
    Ok(LogicalPlan::Projection(Projection::try_new(
        columns,
        Arc::new(sorted),
    )?))
}
