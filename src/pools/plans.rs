//! The plan runtime: every query's operators run here, never on the runtime that serves the
//! wire (DataFusion's `thread_pools` example, InfluxDB 3's DedicatedExecutor).
//!
//! The server's own runtime keeps the accept loop, the connections, cancel requests and
//! timeouts: while every core runs a join, a sort or a model, a new client still logs in,
//! `SELECT 1` is answered and a CancelRequest is heard. This runtime has one thread per core
//! at nice 19 ([`Priority::Idle`]): plans take the cycles the server and the models leave.
//!
//! A plan's stream is driven by one task here; its batches reach the caller through a channel
//! of one batch. Dropping the caller's stream aborts the task, which drops the plan at its next
//! yield (DataFusion operators yield at least once per batch), and with it every task the plan
//! spawned: a cancelled query, a reached LIMIT or a lost client stops its work within a batch.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::{FutureExt, StreamExt};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::task::JoinHandle;

use super::admission::{Admission, Slot};
use super::{Priority, cores};

static PLANS: LazyLock<std::io::Result<Runtime>> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores())
        .thread_name("mediasql-plan")
        .on_thread_start(|| Priority::Idle.apply("mediasql-plan"))
        .enable_all()
        .build()
});

fn plans() -> Result<&'static Runtime> {
    PLANS.as_ref().map_err(|e| {
        DataFusionError::Execution(format!("starting the plan runtime's threads: {e}"))
    })
}

/// Whether `plan` is light: it reads no table but the catalog's (`pg_catalog`,
/// `information_schema`) and unnests nothing. Light plans (`SELECT 1`, a driver's catalog
/// queries, `SET`, `SHOW`, small DDL) run where they are asked, on the server's runtime, in
/// microseconds, and need no slot: a new client is answered even while every slot and core is
/// taken.
pub fn is_light(plan: &LogicalPlan) -> bool {
    let mut heavy = false;
    let visited = plan.apply_with_subqueries(|node| {
        heavy = match node {
            LogicalPlan::TableScan(scan) => !matches!(
                scan.table_name.schema(),
                Some("pg_catalog" | "information_schema")
            ),
            LogicalPlan::Unnest(_) | LogicalPlan::RecursiveQuery(_) => true,
            _ => false,
        };
        Ok(match heavy {
            true => TreeNodeRecursion::Stop,
            false => TreeNodeRecursion::Continue,
        })
    });
    visited.is_ok() && !heavy
}

/// Aborts its task when dropped.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Where a heavy plan takes its slot ([`Admission`]), and whom it tells, with the number of
/// plans running, when it has to wait. Light plans come without one.
pub struct Admit {
    pub admission: Arc<Admission>,
    pub waiting: Box<dyn FnOnce(usize) + Send>,
}

impl Admit {
    async fn slot(self) -> Result<(Arc<Admission>, Slot)> {
        let slot = self.admission.admit(self.waiting).await?;
        Ok((self.admission, slot))
    }
}

/// Runs `work` (which may plan, read and execute) on the plan runtime, in a slot of `admit`
/// if given; dropping the returned future leaves the queue or aborts the work.
pub async fn run<T: Send + 'static>(
    work: impl Future<Output = Result<T>> + Send + 'static,
    admit: Option<Admit>,
) -> Result<T> {
    let work = async move {
        let _slot = match admit {
            Some(admit) => Some(admit.slot().await?),
            None => None,
        };
        work.await
    };
    let mut task = AbortOnDrop(plans()?.spawn(AssertUnwindSafe(work).catch_unwind()));
    match (&mut task.0).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(DataFusionError::Internal("a plan panicked".into())),
        Err(e) => Err(DataFusionError::Internal(format!(
            "a plan's task ended: {e}"
        ))),
    }
}

/// The stream `make` builds (physical planning included), driven on the plan runtime in a
/// slot of `admit` if given. Batches, errors and the end come through in order; a panic in
/// the plan is an error, never a silently short result. Dropping the returned stream stops
/// the plan within a batch.
pub fn stream(
    schema: SchemaRef,
    make: impl Future<Output = Result<SendableRecordBatchStream>> + Send + 'static,
    admit: Option<Admit>,
) -> SendableRecordBatchStream {
    let (sender, receiver) = mpsc::channel(1);
    let task = match plans() {
        Ok(runtime) => Some(AbortOnDrop(runtime.spawn(drive(make, sender, admit)))),
        Err(e) => {
            // The receiver sees the error, then the end.
            let _ = sender.try_send(Err(e));
            None
        }
    };
    let batches = futures::stream::unfold((receiver, task), |(mut receiver, task)| async move {
        receiver.recv().await.map(|batch| (batch, (receiver, task)))
    });
    Box::pin(RecordBatchStreamAdapter::new(schema, batches))
}

type Batches = mpsc::Sender<Result<RecordBatch>>;

async fn drive(
    make: impl Future<Output = Result<SendableRecordBatchStream>> + Send + 'static,
    sender: Batches,
    admit: Option<Admit>,
) {
    let error = match AssertUnwindSafe(forward(make, &sender, admit))
        .catch_unwind()
        .await
    {
        Ok(Ok(())) => return,
        Ok(Err(e)) => e,
        Err(_) => DataFusionError::Internal("a plan panicked".into()),
    };
    let _ = sender.send(Err(error)).await;
}

/// Sends the plan's batches on. The slot is held while the plan computes and given back
/// while the reader has not taken the last batch: a reader that stops reading (a cursor, a
/// slow client) never keeps other plans out.
async fn forward(
    make: impl Future<Output = Result<SendableRecordBatchStream>>,
    sender: &Batches,
    admit: Option<Admit>,
) -> Result<()> {
    let (admission, mut slot) = match admit {
        Some(admit) => {
            let (admission, slot) = admit.slot().await?;
            (Some(admission), Some(slot))
        }
        None => (None, None),
    };
    let mut stream = make.await?;
    while let Some(batch) = stream.next().await {
        let batch = match sender.try_send(batch) {
            Ok(()) => continue,
            Err(TrySendError::Closed(_)) => break, // nobody reads any more
            Err(TrySendError::Full(batch)) => batch,
        };
        drop(slot.take());
        if sender.send(batch).await.is_err() {
            break;
        }
        if let Some(admission) = &admission {
            slot = Some(admission.enter().await?);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]))
    }

    /// An endless stream counting the batches it made, one per poll, on whatever thread.
    fn endless(made: Arc<AtomicUsize>) -> SendableRecordBatchStream {
        let batches = futures::stream::repeat_with(move || {
            made.fetch_add(1, Ordering::SeqCst);
            let column = Arc::new(Int64Array::from(vec![1, 2, 3]));
            RecordBatch::try_new(schema(), vec![column]).map_err(Into::into)
        })
        .then(|batch| async {
            tokio::task::yield_now().await;
            batch
        });
        Box::pin(RecordBatchStreamAdapter::new(schema(), batches))
    }

    #[tokio::test]
    async fn batches_arrive_in_order_and_a_dropped_stream_stops_the_plan() {
        let made = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&made);
        let mut rows = stream(
            schema(),
            async move {
                // Physical planning runs here too: on a plan thread, not the caller's.
                let name = std::thread::current().name().map(str::to_string);
                assert_eq!(name.as_deref(), Some("mediasql-plan"));
                Ok(endless(counted))
            },
            None,
        );
        for _ in 0..3 {
            let batch = rows.next().await.unwrap().unwrap();
            assert_eq!(batch.num_rows(), 3);
        }
        drop(rows);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let after_drop = made.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(made.load(Ordering::SeqCst), after_drop, "the plan went on");
        // One batch in the channel and one being sent at most beyond those read.
        assert!(after_drop <= 3 + 2, "{after_drop} batches made for 3 read");
    }

    #[tokio::test]
    async fn errors_and_panics_reach_the_reader() {
        let mut rows = stream(
            schema(),
            async { Err(DataFusionError::Execution("no such file".into())) },
            None,
        );
        let err = rows.next().await.unwrap().unwrap_err();
        assert!(err.to_string().contains("no such file"), "{err}");
        assert!(rows.next().await.is_none());

        let mut rows = stream(
            schema(),
            async {
                let panics = futures::stream::once(async {
                    if schema().fields().len() == 1 {
                        panic!("an operator's bug");
                    }
                    Ok(RecordBatch::new_empty(schema()))
                });
                Ok(Box::pin(RecordBatchStreamAdapter::new(schema(), panics))
                    as SendableRecordBatchStream)
            },
            None,
        );
        let err = rows.next().await.unwrap().unwrap_err();
        assert!(err.to_string().contains("panicked"), "{err}");

        assert_eq!(run(async { Ok(6 * 7) }, None).await.unwrap(), 42);
    }
}
