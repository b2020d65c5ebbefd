//! Select-list subqueries DataFusion cannot decorrelate answer NULL.
//!
//! Before, datafusion-pg-catalog's parser replaced every correlated select-list subquery with
//! NULL, including the many DataFusion plans. Now they are planned ([`super::pg_rewrites`]),
//! and only the correlated ones DataFusion's optimizer leaves in a projection (correlation it cannot pull
//! up: non-equality conditions under an aggregate, correlated derived tables or recursive
//! CTEs) become a NULL of their type, so that the client catalog queries carrying them still
//! run: pgcli's foreign-key list, SQLAlchemy's identity options, pgAdmin's role check. The
//! rewrite is logged. Subqueries elsewhere (filters, joins) are left, and fail to plan, since
//! NULL there would drop rows.
//!
//! DataFusion's decorrelation rules run wrapped in [`Lenient`]: one that errors on a
//! subquery (rather than declining it) leaves the plan as it was, for this rule, instead of
//! failing the statement.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::expr::{Exists, InSubquery};
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlan, Projection};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

/// An optimizer rule whose errors leave the plan unchanged (logged).
#[derive(Debug)]
pub struct Lenient(pub Arc<dyn OptimizerRule + Send + Sync>);

impl Lenient {
    /// DataFusion's rules that decorrelate subqueries.
    pub const DECORRELATING: [&str; 3] = [
        "decorrelate_predicate_subquery",
        "scalar_subquery_to_join",
        "decorrelate_lateral_join",
    ];
}

impl OptimizerRule for Lenient {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        self.0.apply_order()
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        match self.0.rewrite(plan.clone(), config) {
            Ok(rewritten) => Ok(rewritten),
            Err(e) => {
                log::warn!("{} left a subquery as it was: {e}", self.0.name());
                Ok(Transformed::no(plan))
            }
        }
    }
}

/// The optimizer rule, last of all.
#[derive(Debug, Default)]
pub struct UnplannedSubqueries;

impl OptimizerRule for UnplannedSubqueries {
    fn name(&self) -> &str {
        "mediasql_unplanned_subqueries"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Projection(projection) = plan else {
            return Ok(Transformed::no(plan));
        };
        let schema = Arc::clone(projection.input.schema());
        let mut changed = false;
        let mut exprs = Vec::with_capacity(projection.expr.len());
        for expr in projection.expr {
            let rewritten = expr.transform_up(|e| match correlated(&e) {
                Some(subquery) => {
                    let null = ScalarValue::try_from(e.get_type(&schema)?)?;
                    let plan = subquery.display_indent().to_string().replace('\n', " / ");
                    log::warn!(
                        "a select-list subquery DataFusion cannot plan answers NULL: {plan}"
                    );
                    Ok(Transformed::yes(Expr::Literal(null, None)))
                }
                None => Ok(Transformed::no(e)),
            })?;
            changed |= rewritten.transformed;
            exprs.push(rewritten.data);
        }
        let projection =
            Projection::try_new_with_schema(exprs, projection.input, projection.schema)?;
        Ok(Transformed::new_transformed(
            LogicalPlan::Projection(projection),
            changed,
        ))
    }
}

/// The plan of `e` when it is a subquery with outer references, its own or its subqueries'
/// (DataFusion runs uncorrelated ones as they are).
fn correlated(e: &Expr) -> Option<&LogicalPlan> {
    let subquery = match e {
        Expr::ScalarSubquery(subquery)
        | Expr::Exists(Exists { subquery, .. })
        | Expr::InSubquery(InSubquery { subquery, .. }) => subquery,
        _ => return None,
    };
    let plan = subquery.subquery.as_ref();
    let mut outer = !subquery.outer_ref_columns.is_empty();
    if !outer {
        let _ = plan.apply_with_subqueries(|node| {
            outer = node.contains_outer_reference();
            Ok(match outer {
                true => TreeNodeRecursion::Stop,
                false => TreeNodeRecursion::Continue,
            })
        });
    }
    outer.then_some(plan)
}
