//! Wide rows cross a repartition batch by batch, each reserved in the memory pool.
//!
//! A `RepartitionExec` over a bounded input gathers small batches into batches of
//! `batch_size` rows before it sends them on, and holds what it gathers outside the memory
//! pool. For rows of a few bytes that is a few hundred kilobytes; for the partial states of
//! `array_agg(content)` it is everything: a partial aggregate under memory pressure emits its
//! groups early, a few rows of whole lists of media files at a time, and the repartition
//! held every one of them unreserved until its input ended. Under a 64 MB limit
//! `SELECT a.path, array_agg(b.content) FROM media a CROSS JOIN media b CROSS JOIN
//! generate_series(1, 300) GROUP BY a.path` reached 8 GB before anything failed.
//!
//! DataFusion 55 gathers only over inputs it knows to be bounded, and offers no other switch.
//! A `WideRowsExec` ([`PassExec`] with [`Pass::Ungathered`]) passes its input through unchanged and declares it unbounded (with bounded
//! memory), so the repartition above sends each batch as it comes: the channel reserves it, or
//! spills it, and the aggregate above reserves it again. The rule puts one under each
//! repartition whose rows hold lists or binaries (their size is not bounded by their type). It runs after DataFusion's own rules, which have already checked the plan's
//! boundedness, so nothing else reads the declaration.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::repartition::RepartitionExec;

use super::pass::{Pass, PassExec};

/// Puts a `WideRowsExec` ([`PassExec`]) under every repartition of wide rows (see the module
/// docs).
#[derive(Debug, Default)]
pub struct UngatheredWideRows;

impl PhysicalOptimizerRule for UngatheredWideRows {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let Some(repartition) = node.downcast_ref::<RepartitionExec>() else {
                return Ok(Transformed::no(node));
            };
            let input = repartition.input();
            let passed = input.downcast_ref::<PassExec>().map(PassExec::pass);
            if passed == Some(Pass::Ungathered) || !has_wide_rows(&input.schema()) {
                return Ok(Transformed::no(node));
            }
            let input: Arc<dyn ExecutionPlan> =
                Arc::new(PassExec::new(Arc::clone(input), Pass::Ungathered));
            Ok(Transformed::yes(replace_children_if_necessary(
                Arc::clone(&node),
                vec![input],
            )?))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "ungathered_wide_rows"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Whether a row of `schema` can be of any size: lists and binaries (media bodies). Strings
/// are left to gather: Parquet's are views, and their batches would come through small.
fn has_wide_rows(schema: &Schema) -> bool {
    schema.fields().iter().any(|f| is_wide(f.data_type()))
}

fn is_wide(data_type: &DataType) -> bool {
    match data_type {
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::List(_)
        | DataType::LargeList(_)
        | DataType::ListView(_)
        | DataType::LargeListView(_)
        | DataType::Map(_, _) => true,
        DataType::Struct(fields) => fields.iter().any(|f| is_wide(f.data_type())),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::SessionContext;

    fn plan_text(plan: &Arc<dyn ExecutionPlan>) -> String {
        let plan = UngatheredWideRows
            .optimize(Arc::clone(plan), &ConfigOptions::default())
            .unwrap();
        displayable(plan.as_ref()).indent(false).to_string()
    }

    #[tokio::test]
    async fn only_repartitions_of_wide_rows_get_one() {
        let ctx = SessionContext::new_with_config(
            datafusion::prelude::SessionConfig::new().with_target_partitions(2),
        );
        let wide = "SELECT v % 3, array_agg(v) FROM generate_series(1, 100) t(v) GROUP BY v % 3";
        let plan = ctx
            .sql(wide)
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        let text = plan_text(&plan);
        let repartition = text
            .find("RepartitionExec: partitioning=Hash")
            .expect(&text);
        let below = text[repartition..].find("WideRowsExec").expect(&text);
        assert!(below > 0, "{text}");

        let narrow = "SELECT v % 3, count(*) FROM generate_series(1, 100) t(v) GROUP BY v % 3";
        let plan = ctx
            .sql(narrow)
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        assert!(!plan_text(&plan).contains("WideRowsExec"));
    }
}
