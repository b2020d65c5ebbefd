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
//! [`WideRowsExec`] passes its input through unchanged and declares it unbounded (with bounded
//! memory), so the repartition above sends each batch as it comes: the channel reserves it, or
//! spills it, and the aggregate above reserves it again. The rule puts one under each
//! repartition whose rows hold lists, binaries or views (their size is not bounded by their
//! type). It runs after DataFusion's own rules, which have already checked the plan's
//! boundedness, so nothing else reads the declaration.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, internal_err};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::execution_plan::{Boundedness, replace_children_if_necessary};
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};

/// Puts a [`WideRowsExec`] under every repartition of wide rows (see the module docs).
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
            if input.downcast_ref::<WideRowsExec>().is_some() || !has_wide_rows(&input.schema()) {
                return Ok(Transformed::no(node));
            }
            let input: Arc<dyn ExecutionPlan> = Arc::new(WideRowsExec::new(Arc::clone(input)));
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

/// Whether a row of `schema` can be of any size: lists, binaries, strings in views.
fn has_wide_rows(schema: &Schema) -> bool {
    schema.fields().iter().any(|f| is_wide(f.data_type()))
}

fn is_wide(data_type: &DataType) -> bool {
    match data_type {
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::Utf8View
        | DataType::List(_)
        | DataType::LargeList(_)
        | DataType::ListView(_)
        | DataType::LargeListView(_)
        | DataType::Map(_, _) => true,
        DataType::Struct(fields) => fields.iter().any(|f| is_wide(f.data_type())),
        _ => false,
    }
}

/// Passes its input's batches through unchanged, declaring them unbounded so that the
/// repartition above sends each one as it comes (see the module docs).
///
/// - Ordering and partitioning: its input's, unchanged.
/// - Memory: none of its own; batches pass through.
/// - Errors: its input's, passed on.
#[derive(Debug)]
pub struct WideRowsExec {
    input: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
}

impl WideRowsExec {
    fn new(input: Arc<dyn ExecutionPlan>) -> Self {
        let properties =
            input
                .properties()
                .as_ref()
                .clone()
                .with_boundedness(Boundedness::Unbounded {
                    requires_infinite_memory: false,
                });
        Self {
            input,
            properties: Arc::new(properties),
        }
    }
}

impl DisplayAs for WideRowsExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WideRowsExec")
    }
}

impl ExecutionPlan for WideRowsExec {
    fn name(&self) -> &str {
        "WideRowsExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.len() != 1 {
            return internal_err!("WideRowsExec has one child, got {}", children.len());
        }
        Ok(Arc::new(Self::new(children.swap_remove(0))))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        self.input.execute(partition, context)
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
