//! [`ClusterJobExec`]: a query running on the cluster, as the server's plan sees it.
//!
//! It runs Ballista's `DistributedQueryExec` (submit the logical plan, wait for the job,
//! fetch the results from the executors by Arrow Flight) and adds what a server needs: when
//! its output is dropped before the end (cancel, `statement_timeout`, a client gone, LIMIT
//! reached), the job is cancelled on the scheduler, which stops its tasks on the executors.
//!
//! - Ordering and partitioning: one partition, the job's rows in the order the final stage
//!   gives them.
//! - Memory: the batch being received.
//! - Errors: the job's, as text (the scheduler reports a failed task's error as a string).

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use ballista_core::execution_plans::DistributedQueryExec;
use ballista_core::serde::protobuf::CancelJobParams;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use datafusion::arrow::array::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result, internal_err};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PhysicalExpr, PlanProperties,
};
use datafusion_proto::protobuf::LogicalPlanNode;
use futures::{Stream, StreamExt};

type Job = DistributedQueryExec<LogicalPlanNode>;

/// A query running on the cluster (see the module docs).
#[derive(Debug)]
pub struct ClusterJobExec {
    job: Arc<Job>,
    scheduler: String,
}

impl ClusterJobExec {
    pub fn new(job: Arc<Job>, scheduler: String) -> Self {
        Self { job, scheduler }
    }
}

impl DisplayAs for ClusterJobExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "ClusterJobExec: scheduler={}", self.scheduler)
    }
}

impl ExecutionPlan for ClusterJobExec {
    fn name(&self) -> &str {
        "ClusterJobExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.job.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match children.is_empty() {
            true => Ok(self),
            false => internal_err!("ClusterJobExec has no children"),
        }
    }

    fn metrics(&self) -> Option<MetricsSet> {
        self.job.metrics()
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let rows = self.job.execute(partition, context)?;
        let schema = rows.schema();
        let guarded = Guarded {
            rows,
            finished: false,
            job: Arc::clone(&self.job),
            scheduler: self.scheduler.clone(),
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, guarded)))
    }
}

/// The job's rows; cancels the job when dropped before their end.
struct Guarded {
    rows: SendableRecordBatchStream,
    finished: bool,
    job: Arc<Job>,
    scheduler: String,
}

impl Stream for Guarded {
    type Item = Result<RecordBatch>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Self::Item>> {
        match self.rows.poll_next_unpin(cx) {
            Poll::Ready(None) => {
                self.finished = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => {
                self.finished = true;
                Poll::Ready(Some(Err(readable(e))))
            }
            other => other,
        }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let (job, scheduler) = (Arc::clone(&self.job), self.scheduler.clone());
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            log::warn!("a cluster job was dropped outside a runtime: not cancelled");
            return;
        };
        runtime.spawn(cancel(job, scheduler));
    }
}

/// A failed job's error as the statement's: the task's error, without the layers Ballista
/// wraps around it ("Job X failed: Job failed due to stage 1 failed: Task failed due to
/// runtime execution error: DataFusionError(Shared(External(...)))", the task's error in its
/// debug form), and the job named after it. Other errors unchanged.
fn readable(e: DataFusionError) -> DataFusionError {
    let DataFusionError::Execution(message) = &e else {
        return e;
    };
    match task_error(message) {
        Some(readable) => DataFusionError::Execution(readable),
        None => e,
    }
}

fn task_error(message: &str) -> Option<String> {
    let (head, cause) = message.split_once("runtime execution error: ")?;
    let mut cause = cause.trim();
    let job = head.strip_prefix("Job ")?.split_whitespace().next()?;
    const LAYERS: [&str; 6] = [
        "DataFusionError(",
        "Shared(",
        "External(",
        "Execution(",
        "Context(",
        "ArrowError(",
    ];
    while let Some(inner) = LAYERS
        .iter()
        .find_map(|layer| cause.strip_prefix(layer)?.strip_suffix(')'))
    {
        cause = inner.trim();
    }
    let cause = match cause.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => cause.to_string(),
    };
    Some(format!("{cause} (cluster job {job})"))
}

/// Cancels `job` on the scheduler; waits a few seconds for its id when it is still being
/// submitted.
async fn cancel(job: Arc<Job>, scheduler: String) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let id = loop {
        if let Some(id) = job.job_id() {
            break id;
        }
        if Instant::now() > deadline {
            log::warn!("a dropped cluster job never got an id: not cancelled");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let params = CancelJobParams {
        job_id: id.as_str().to_string(),
    };
    let cancelled = async {
        let mut client = SchedulerGrpcClient::connect(scheduler).await?;
        client.cancel_job(params).await?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    };
    match cancelled.await {
        Ok(()) => log::info!("cancelled cluster job {}", id.as_str()),
        Err(e) => log::warn!("cancelling cluster job {}: {e}", id.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_task_reads_as_its_error() {
        let row = "Job 038JGPVSGC000 failed: Job failed due to stage 1 failed: Task failed due \
                   to runtime execution error: DataFusionError(Shared(External(DataFusionError(\
                   External(classify: photos/broken.jpg: truncated JPEG)))))\n";
        assert_eq!(
            task_error(row).unwrap(),
            "classify: photos/broken.jpg: truncated JPEG (cluster job 038JGPVSGC000)"
        );
        let frames = "Job 038JGTRN10000 failed: Job failed due to stage 1 failed: Task failed \
                      due to runtime execution error: DataFusionError(Shared(External(\
                      DataFusionError(Execution(\"video_frames: a \\\"b\\\".mp4: packet 51 is corrupt\")))))";
        assert_eq!(
            task_error(frames).unwrap(),
            "video_frames: a \"b\".mp4: packet 51 is corrupt (cluster job 038JGTRN10000)"
        );
        assert_eq!(task_error("Resources exhausted"), None);
    }
}
