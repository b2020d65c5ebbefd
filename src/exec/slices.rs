//! The stream of a `YieldExec`: its input, with a yield to the runtime whenever its task has
//! run a slice since it last waited (why: [`super::yield_points`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::Result;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream};
use futures::Stream;

/// The longest a plan's task runs between yields, where a `YieldExec` sits.
pub const SLICE: Duration = Duration::from_millis(10);

/// `input`, yielding whenever its task has run a [`SLICE`] since it last waited.
pub fn slices(input: SendableRecordBatchStream) -> SendableRecordBatchStream {
    Box::pin(Slices {
        schema: input.schema(),
        input,
        since: Instant::now(),
        yielding: None,
    })
}

/// The stream of a `YieldExec`.
struct Slices {
    schema: SchemaRef,
    input: SendableRecordBatchStream,
    /// When the task last waited (or this stream started).
    since: Instant,
    /// A yield under way: tokio's, which lets the runtime check its timers and sockets before
    /// the task runs again (a plain wake would not, for 61 turns).
    yielding: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl Stream for Slices {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.yielding.is_none() && self.since.elapsed() >= SLICE {
            self.yielding = Some(Box::pin(tokio::task::yield_now()));
        }
        if let Some(yielding) = self.yielding.as_mut() {
            ready!(yielding.as_mut().poll(cx));
            self.yielding = None;
            self.since = Instant::now();
        }
        let next = self.input.as_mut().poll_next(cx);
        if next.is_pending() {
            self.since = Instant::now();
        }
        next
    }
}

impl RecordBatchStream for Slices {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}
