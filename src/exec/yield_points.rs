//! Yield points above the operators that make many batches from one: joins and unnest.
//!
//! A plan's task gives its thread back to the runtime only when a stream below it returns
//! `Pending`. DataFusion's own yield points (its `EnsureCooperative` rule) sit at the leaves
//! and exchanges: they spend the task's budget once per batch they pass. A cross join makes
//! millions of batches out of one input batch without passing a leaf, so a
//! `count(*)` over it never yields: no other plan on its threads runs, and dropping it (a
//! cancel, a lost client) takes effect only when it ends.
//!
//! A `YieldExec` ([`PassExec`] with [`Pass::YieldEvery`]) above each such operator yields once its task has run [`SLICE`](super::slices::SLICE) since it
//! last waited: other plans on the same threads wait at most a slice for their turn (a small
//! scan beside a heavy join), and a dropped plan stops within one. Counting batches instead
//! (tokio's budget of 128, DataFusion's `CooperativeExec`) let a debug-build cross join run
//! 128 batches, about 300 ms, between yields.
//!
//! This rule runs last, after every rule that looks at operators' children.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::joins::{
    CrossJoinExec, HashJoinExec, NestedLoopJoinExec, SortMergeJoinExec, SymmetricHashJoinExec,
};
use datafusion::physical_plan::unnest::UnnestExec;

use super::pass::{Pass, PassExec};
#[cfg(test)]
use super::slices::SLICE;

/// Puts a `YieldExec` ([`PassExec`]) above every join and unnest (see the module docs).
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
                Transformed::yes(
                    Arc::new(PassExec::new(node, Pass::YieldEvery)) as Arc<dyn ExecutionPlan>
                )
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
    use std::time::{Duration, Instant};

    /// `sql`'s physical plan with the rule applied.
    async fn planned(ctx: &SessionContext, sql: &str) -> Arc<dyn ExecutionPlan> {
        let plan = ctx.sql(sql).await.unwrap();
        let plan = plan.create_physical_plan().await.unwrap();
        YieldPoints
            .optimize(plan, &ConfigOptions::default())
            .unwrap()
    }

    #[tokio::test]
    async fn a_cross_join_gets_a_yield_point_above_it() {
        let sql = "SELECT count(*) FROM generate_series(1, 10) a \
                   CROSS JOIN generate_series(1, 10) b";
        let plan = planned(&SessionContext::new(), sql).await;
        let text = displayable(plan.as_ref()).indent(false).to_string();
        let yields = text.find("YieldExec").expect(&text);
        let join = text.find("CrossJoinExec").expect(&text);
        assert!(yields < join, "{text}");
    }

    /// On one thread, a task asleep for 20 ms beside a heavy join wakes within a slice or
    /// two of its time (without the yield point: when the join ends, seconds later).
    #[tokio::test(flavor = "current_thread")]
    async fn another_task_runs_within_a_slice() {
        let ctx = SessionContext::new();
        let sql = "SELECT count(*) FROM generate_series(1, 10000) a \
                   CROSS JOIN generate_series(1, 100000) b";
        let plan = planned(&ctx, sql).await;
        let stream = datafusion::physical_plan::execute_stream(plan, ctx.task_ctx()).unwrap();
        let heavy = tokio::spawn(futures::StreamExt::collect::<Vec<_>>(stream));
        for _ in 0..5 {
            let asleep = Instant::now();
            tokio::time::sleep(Duration::from_millis(20)).await;
            let late = asleep.elapsed().saturating_sub(Duration::from_millis(20));
            assert!(late < 5 * SLICE, "woke {late:?} late");
        }
        assert!(
            !heavy.is_finished(),
            "the join ended before the test could tell"
        );
        heavy.abort();
    }
}
