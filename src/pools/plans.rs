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
use std::time::Duration;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::{LogicalPlan, Statement};
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::{FutureExt, StreamExt};
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};
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
            // EXECUTE runs a prepared plan this one does not show.
            LogicalPlan::Unnest(_)
            | LogicalPlan::RecursiveQuery(_)
            | LogicalPlan::Statement(Statement::Execute(_)) => true,
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

/// How long a plan waits for its reader to take a batch before it gives its slot back.
const IDLE_READER: Duration = Duration::from_millis(100);

/// A plan's rows, driven on the plan runtime. `plan` runs there at once and gives the rows'
/// schema and how to start them (physical planning: the schema clients are told is the one
/// of the batches that come). The rows start when the returned stream is first polled, as a
/// lazy stream would, and then in a slot of `admit` if given; statements of one query string
/// do not run ahead of the one before. Batches, errors and the end come through in order; a
/// panic in the plan is an error, never a silently short result. Dropping the stream stops
/// the plan within a yield.
pub async fn stream<S>(
    plan: impl Future<Output = Result<(SchemaRef, S)>> + Send + 'static,
    admit: Option<Admit>,
) -> Result<SendableRecordBatchStream>
where
    S: FnOnce() -> Result<SendableRecordBatchStream> + Send + 'static,
{
    let (schema_sender, schema) = oneshot::channel();
    let (go, started) = oneshot::channel();
    let (sender, receiver) = mpsc::channel(1);
    let driven = async move {
        let start = match plan.await {
            Ok((schema, start)) => {
                let _ = schema_sender.send(Ok(schema));
                start
            }
            Err(e) => {
                let _ = schema_sender.send(Err(e));
                return;
            }
        };
        if started.await.is_ok() {
            drive(start, sender, admit).await;
        }
    };
    let task = AbortOnDrop(plans()?.spawn(AssertUnwindSafe(driven).catch_unwind()));
    let schema = match schema.await {
        Ok(schema) => schema?,
        Err(_) => return Err(DataFusionError::Internal("a plan panicked".into())),
    };
    let state = (receiver, Some(go), task);
    let batches = futures::stream::unfold(state, |(mut receiver, go, task)| async move {
        if let Some(go) = go {
            let _ = go.send(());
        }
        receiver
            .recv()
            .await
            .map(|batch| (batch, (receiver, None, task)))
    });
    Ok(Box::pin(RecordBatchStreamAdapter::new(schema, batches)))
}

type Batches = mpsc::Sender<Result<RecordBatch>>;

async fn drive(
    start: impl FnOnce() -> Result<SendableRecordBatchStream>,
    sender: Batches,
    admit: Option<Admit>,
) {
    let error = match AssertUnwindSafe(forward(start, &sender, admit))
        .catch_unwind()
        .await
    {
        Ok(Ok(())) => return,
        Ok(Err(e)) => e,
        Err(_) => DataFusionError::Internal("a plan panicked".into()),
    };
    let _ = sender.send(Err(error)).await;
}

/// Sends the plan's batches on. The slot is held while the plan computes and while its reader
/// keeps up; a reader that takes no batch for [`IDLE_READER`] (a cursor between FETCHes, a
/// slow client) gets the slot back taken from it until it reads again, so it never keeps
/// other plans out.
async fn forward(
    start: impl FnOnce() -> Result<SendableRecordBatchStream>,
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
    let mut stream = start()?;
    while let Some(batch) = stream.next().await {
        let room = match tokio::time::timeout(IDLE_READER, sender.reserve()).await {
            Ok(room) => room,
            Err(_) => {
                drop(slot.take());
                sender.reserve().await
            }
        };
        let Ok(room) = room else {
            break; // nobody reads any more
        };
        room.send(batch);
        if let (None, Some(admission)) = (&slot, &admission) {
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
    async fn rows_start_when_read_arrive_in_order_and_a_dropped_stream_stops_the_plan() {
        let made = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&made);
        let plan = async move {
            // Physical planning runs here too: on a plan thread, not the caller's.
            let name = std::thread::current().name().map(str::to_string);
            assert_eq!(name.as_deref(), Some("mediasql-plan"));
            Ok((schema(), move || Ok(endless(counted))))
        };
        let mut rows = stream(plan, None).await.unwrap();
        assert_eq!(rows.schema(), schema());
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            made.load(Ordering::SeqCst),
            0,
            "the rows started before a read"
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

    /// A reader that stops reading gives its slot to the next plan.
    #[tokio::test]
    async fn an_idle_reader_gives_its_slot_back() {
        let admission = Arc::new(Admission::new(1));
        let admit = || Admit {
            admission: Arc::clone(&admission),
            waiting: Box::new(|_| {}),
        };
        let counted = Arc::new(AtomicUsize::new(0));
        let plan = async move { Ok((schema(), move || Ok(endless(counted)))) };
        let mut idle = stream(plan, Some(admit())).await.unwrap();
        idle.next().await.unwrap().unwrap();
        let counted = Arc::new(AtomicUsize::new(0));
        let plan = async move { Ok((schema(), move || Ok(endless(counted)))) };
        let mut next = stream(plan, Some(admit())).await.unwrap();
        let batch = tokio::time::timeout(Duration::from_secs(2), next.next()).await;
        assert!(batch.is_ok(), "the second plan never got the slot");
        drop(next);
        idle.next().await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn errors_and_panics_reach_the_reader() {
        type Start = fn() -> Result<SendableRecordBatchStream>;
        let planned = stream(
            async { Err::<(SchemaRef, Start), _>(DataFusionError::Plan("no such table".into())) },
            None,
        );
        let err = planned.await.err().unwrap();
        assert!(err.to_string().contains("no such table"), "{err}");

        let start = || Err(DataFusionError::Execution("no such file".into()));
        let mut rows = stream(async move { Ok((schema(), start)) }, None)
            .await
            .unwrap();
        let err = rows.next().await.unwrap().unwrap_err();
        assert!(err.to_string().contains("no such file"), "{err}");
        assert!(rows.next().await.is_none());

        let start = || {
            let panics = futures::stream::once(async {
                if schema().fields().len() == 1 {
                    panic!("an operator's bug");
                }
                Ok(RecordBatch::new_empty(schema()))
            });
            Ok(Box::pin(RecordBatchStreamAdapter::new(schema(), panics))
                as SendableRecordBatchStream)
        };
        let mut rows = stream(async move { Ok((schema(), start)) }, None)
            .await
            .unwrap();
        let err = rows.next().await.unwrap().unwrap_err();
        assert!(err.to_string().contains("panicked"), "{err}");

        assert_eq!(run(async { Ok(6 * 7) }, None).await.unwrap(), 42);
    }
}
