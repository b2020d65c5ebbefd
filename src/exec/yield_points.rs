//! Yield points above the operators that make many batches from one: joins and unnest.
//!
//! A plan's task gives its thread back to the runtime only when a stream below it returns
//! `Pending`. DataFusion's own yield points (its `EnsureCooperative` rule) sit at the leaves
//! and exchanges: they spend the task's budget once per batch they pass. A cross join makes
//! millions of batches out of one input batch without passing a leaf, so a
//! `count(*)` over it never yields: no other plan on its threads runs, and dropping it (a
//! cancel, a lost client) takes effect only when it ends. A [`CooperativeExec`] above each such
//! operator spends budget per batch it makes, so the task yields every 128 batches or so.
//!
//! This rule runs last, after every rule that looks at operators' children.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::joins::{
    CrossJoinExec, HashJoinExec, NestedLoopJoinExec, SortMergeJoinExec, SymmetricHashJoinExec,
};
use datafusion::physical_plan::unnest::UnnestExec;

/// Puts a [`CooperativeExec`] above every join and unnest (see the module docs).
#[derive(Debug, Default)]
pub struct YieldPoints;

impl PhysicalOptimizerRule for YieldPoints {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            Ok(if makes_many_from_one(node.as_ref()) {
                Transformed::yes(Arc::new(CooperativeExec::new(node)) as Arc<dyn ExecutionPlan>)
            } else {
                Transformed::no(node)
            })
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "yield_points"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

fn makes_many_from_one(plan: &dyn ExecutionPlan) -> bool {
    plan.downcast_ref::<CrossJoinExec>().is_some()
        || plan.downcast_ref::<NestedLoopJoinExec>().is_some()
        || plan.downcast_ref::<HashJoinExec>().is_some()
        || plan.downcast_ref::<SortMergeJoinExec>().is_some()
        || plan.downcast_ref::<SymmetricHashJoinExec>().is_some()
        || plan.downcast_ref::<UnnestExec>().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::SessionContext;

    #[tokio::test]
    async fn a_cross_join_gets_a_yield_point_above_it() {
        let ctx = SessionContext::new();
        let sql = "SELECT count(*) FROM generate_series(1, 10) a \
                   CROSS JOIN generate_series(1, 10) b";
        let plan = ctx
            .sql(sql)
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        let plan = YieldPoints
            .optimize(plan, &ConfigOptions::default())
            .unwrap();
        let text = displayable(plan.as_ref()).indent(false).to_string();
        let cooperative = text.find("CooperativeExec").expect(&text);
        let join = text.find("CrossJoinExec").expect(&text);
        assert!(cooperative < join, "{text}");
    }
}
