//! [`PassExec`]: an operator that passes its input's batches through unchanged, doing one
//! thing on the way, its [`Pass`]:
//!
//! - [`Pass::YieldEvery`] (EXPLAIN: `YieldExec`): yields to the runtime whenever its task has
//!   run a slice since it last waited ([`super::yield_points`]);
//! - [`Pass::Ungathered`] (EXPLAIN: `WideRowsExec`): declares its input unbounded, so that the
//!   repartition above sends each batch as it comes instead of gathering them outside the
//!   memory pool ([`super::wide_rows`]).
//!
//! Ordering and partitioning: its input's, unchanged. Memory: none of its own. Errors: its
//! input's, passed on.

use std::fmt;
use std::sync::Arc;

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, internal_err};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::execution_plan::Boundedness;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};

use super::slices::{SLICE, slices};

/// What a [`PassExec`] does to the batches it passes (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    YieldEvery,
    Ungathered,
}

/// Passes its input's batches through (see the module docs).
#[derive(Debug)]
pub struct PassExec {
    input: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
    pass: Pass,
}

impl PassExec {
    pub fn new(input: Arc<dyn ExecutionPlan>, pass: Pass) -> Self {
        let properties = match pass {
            Pass::YieldEvery => Arc::clone(input.properties()),
            Pass::Ungathered => Arc::new(input.properties().as_ref().clone().with_boundedness(
                Boundedness::Unbounded {
                    requires_infinite_memory: false,
                },
            )),
        };
        Self {
            input,
            properties,
            pass,
        }
    }

    /// What it does to the batches.
    pub fn pass(&self) -> Pass {
        self.pass
    }
}

impl DisplayAs for PassExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pass {
            Pass::YieldEvery => write!(f, "YieldExec: slice={}ms", SLICE.as_millis()),
            Pass::Ungathered => write!(f, "WideRowsExec"),
        }
    }
}

impl ExecutionPlan for PassExec {
    fn name(&self) -> &str {
        match self.pass {
            Pass::YieldEvery => "YieldExec",
            Pass::Ungathered => "WideRowsExec",
        }
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
            return internal_err!("{} has one child, got {}", self.name(), children.len());
        }
        Ok(Arc::new(Self::new(children.swap_remove(0), self.pass)))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        Ok(match self.pass {
            Pass::YieldEvery => slices(input),
            Pass::Ungathered => input,
        })
    }
}
