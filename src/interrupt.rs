//! Ending a running statement: a CancelRequest or `statement_timeout`.
//!
//! A statement's rows come from a lazy stream, computed while they are sent, so interrupting
//! it means ending the stream, wherever it is: [`Interruptible`] races every poll of the
//! rows against the session's cancel signal and the statement's deadline. When either fires
//! it answers SQLSTATE 57014 and drops the rows' stream, which stops every operator below it
//! (the inference operator's queued work included).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream};
use futures::future::BoxFuture;
use futures::{FutureExt, Stream};
use mediasql_udfs::error::{SqlState, sql_error};
use tokio::sync::watch;

/// The message of a statement cancelled by its client (PostgreSQL's words).
pub const CANCELED_BY_USER: &str = "canceling statement due to user request";
/// The message of a statement that ran past `statement_timeout`.
pub const CANCELED_BY_TIMEOUT: &str = "canceling statement due to statement timeout";

/// The error of a statement ended for `reason` (57014).
fn canceled(reason: &str) -> DataFusionError {
    sql_error(SqlState::QueryCanceled, reason)
}

/// A session's cancel signal: each cancel bumps a counter that running statements watch.
#[derive(Debug)]
pub struct Canceller(watch::Sender<u64>);

impl Default for Canceller {
    fn default() -> Self {
        Self(watch::channel(0).0)
    }
}

impl Canceller {
    /// Cancels the statement running now, if any.
    pub fn cancel(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Fires on the next cancel (not on earlier ones) or at the deadline.
    fn interrupt(&self, timeout: Option<Duration>) -> BoxFuture<'static, &'static str> {
        let mut cancels = self.0.subscribe();
        cancels.borrow_and_update();
        async move {
            let cancelled = async {
                // An error means the session is gone: then nothing can cancel any more.
                if cancels.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            match timeout {
                Some(timeout) => tokio::select! {
                    () = cancelled => CANCELED_BY_USER,
                    () = tokio::time::sleep(timeout) => CANCELED_BY_TIMEOUT,
                },
                None => {
                    cancelled.await;
                    CANCELED_BY_USER
                }
            }
        }
        .boxed()
    }

    /// `work`'s result, or a 57014 error at the next cancel or after `timeout` (dropping
    /// `work` stops it): statements that run a plan to its end before answering (`CREATE
    /// TABLE AS`, `INSERT ... SELECT`).
    pub async fn interruptible<T>(
        &self,
        work: impl Future<Output = Result<T>>,
        timeout: Option<Duration>,
    ) -> Result<T> {
        tokio::select! {
            result = work => result,
            reason = self.interrupt(timeout) => Err(canceled(reason)),
        }
    }

    /// `rows` ending with a 57014 error at the next cancel or after `timeout`.
    pub fn guard(
        &self,
        rows: SendableRecordBatchStream,
        timeout: Option<Duration>,
    ) -> SendableRecordBatchStream {
        Box::pin(Interruptible {
            schema: rows.schema(),
            rows: Some(rows),
            interrupt: self.interrupt(timeout),
        })
    }
}

/// A statement's rows, ended early by an interrupt (see the module docs).
pub struct Interruptible {
    schema: SchemaRef,
    /// None once ended.
    rows: Option<SendableRecordBatchStream>,
    interrupt: BoxFuture<'static, &'static str>,
}

impl Stream for Interruptible {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.rows.is_none() {
            return Poll::Ready(None);
        }
        if let Poll::Ready(reason) = self.interrupt.poll_unpin(cx) {
            // Dropping the rows stops the plan below them now.
            self.rows = None;
            return Poll::Ready(Some(Err(canceled(reason))));
        }
        let Some(rows) = self.rows.as_mut() else {
            return Poll::Ready(None);
        };
        let next = rows.as_mut().poll_next(cx);
        if let Poll::Ready(None) = next {
            self.rows = None;
        }
        next
    }
}

impl RecordBatchStream for Interruptible {
    fn schema(&self) -> SchemaRef {
        std::sync::Arc::clone(&self.schema)
    }
}

/// `statement_timeout` as PostgreSQL reads it: a number of milliseconds, or a number with a
/// unit (`ms`, `s`, `min`, `h`, `d`); 0 means none.
pub fn parse_timeout(value: &str) -> Result<Option<Duration>> {
    let value = value.trim().trim_matches('\'').trim();
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().map_err(|_| invalid_timeout(value))?;
    let millis = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" => number,
        "s" => number * 1e3,
        "min" => number * 60e3,
        "h" => number * 3600e3,
        "d" => number * 86_400e3,
        _ => return Err(invalid_timeout(value)),
    };
    if millis <= 0.0 {
        return Ok(None);
    }
    Ok(Some(Duration::from_secs_f64(millis / 1e3)))
}

fn invalid_timeout(value: &str) -> DataFusionError {
    DataFusionError::Configuration(format!(
        "invalid value for parameter \"statement_timeout\": \"{value}\""
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
    use futures::StreamExt;
    use std::sync::Arc;

    #[test]
    fn reads_timeouts_as_postgres_does() {
        assert_eq!(parse_timeout("0").unwrap(), None);
        assert_eq!(
            parse_timeout("1500").unwrap(),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_timeout("2s").unwrap(), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_timeout("'1min'").unwrap(),
            Some(Duration::from_secs(60))
        );
        assert!(parse_timeout("soon").is_err());
    }

    fn endless() -> SendableRecordBatchStream {
        let schema = Arc::new(datafusion::arrow::datatypes::Schema::empty());
        Box::pin(RecordBatchStreamAdapter::new(
            schema,
            futures::stream::pending(),
        ))
    }

    #[tokio::test]
    async fn cancel_and_timeout_end_the_rows() {
        let canceller = Canceller::default();
        canceller.cancel(); // An earlier cancel does not end a later statement.
        let mut rows = canceller.guard(endless(), Some(Duration::from_millis(50)));
        let err = rows.next().await.unwrap().unwrap_err();
        assert!(err.to_string().contains(CANCELED_BY_TIMEOUT), "{err}");
        assert!(rows.next().await.is_none());

        let mut rows = canceller.guard(endless(), None);
        let cancel = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            canceller.cancel();
        };
        let (next, ()) = tokio::join!(rows.next(), cancel);
        let err = next.unwrap().unwrap_err();
        assert!(err.to_string().contains(CANCELED_BY_USER), "{err}");
    }
}
