//! Progress NOTICEs: a simple-protocol statement that runs models reports how far it has got
//! every `mediasql.progress_interval` seconds (psql prints them as `NOTICE:  ...`), and a
//! statement waiting for a slot to run says so at once.
//!
//! pgwire writes a `QueryResponse`'s rows itself and offers no way to put a notice between
//! them, so such a statement's rows are written here instead: RowDescription, DataRows with
//! NoticeResponses among them, and the CommandComplete left to pgwire (as an execution tag
//! with the row count). `SET client_min_messages = warning` turns the notices off, as in
//! PostgreSQL.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::execution::SendableRecordBatchStream;
use futures::{Sink, SinkExt, StreamExt};
use pgwire::api::results::{FieldInfo, Response, Tag};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::RowDescription;

use super::encode::encode_batch;
use super::sqlstate::error_info;
use crate::exec::progress::Progress;

/// Writes `rows` to `client` with a progress NOTICE `every` so often while models run. An
/// error in the rows becomes the statement's ErrorResponse after the rows before it, as in
/// PostgreSQL.
pub async fn send_rows_with_progress<C>(
    client: &mut C,
    fields: Arc<Vec<FieldInfo>>,
    mut rows: SendableRecordBatchStream,
    progress: &Progress,
    every: Duration,
) -> PgWireResult<Response>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let description = RowDescription::new(fields.iter().map(Into::into).collect());
    client
        .feed(PgWireBackendMessage::RowDescription(description))
        .await?;
    let started = Instant::now();
    let mut ticks = tokio::time::interval_at((started + every).into(), every);
    // A client slow to read holds the loop up; it gets one notice then, not a burst.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sent = 0;
    loop {
        tokio::select! {
            batch = rows.next() => {
                let encoded = match batch {
                    None => break,
                    Some(batch) => batch.and_then(|b| encode_batch(&b, &fields)),
                };
                match encoded {
                    Ok(data) => {
                        sent += data.len();
                        for row in data {
                            client.feed(PgWireBackendMessage::DataRow(row)).await?;
                        }
                    }
                    Err(e) => return Ok(Response::Error(Box::new(error_info(&e)))),
                }
            }
            text = progress.next_notice() => {
                let notice = ErrorInfo::new("NOTICE".into(), "00000".into(), text);
                client.send(PgWireBackendMessage::NoticeResponse(notice.into())).await?;
            }
            _ = ticks.tick() => {
                let (done, listed) = progress.snapshot();
                if let Some(text) = progress_text(done, listed, started.elapsed()) {
                    let notice = ErrorInfo::new("NOTICE".into(), "00000".into(), text);
                    client.send(PgWireBackendMessage::NoticeResponse(notice.into())).await?;
                }
            }
        }
    }
    Ok(Response::Execution(Tag::new("SELECT").with_rows(sent)))
}

/// "models: 320 of 2000 rows (16%), 64 rows/s, about 26 s left"; `None` before any model
/// batch is done. Without a known total (rows not from a media scan): count and rate only.
fn progress_text(done: u64, listed: u64, elapsed: Duration) -> Option<String> {
    if done == 0 {
        return None;
    }
    let rate = done as f64 / elapsed.as_secs_f64().max(1e-3);
    if listed < done {
        return Some(format!("models: {done} rows done, {rate:.1} rows/s"));
    }
    let left = (listed - done) as f64 / rate;
    Some(format!(
        "models: {done} of {listed} rows ({}%), {rate:.1} rows/s, about {left:.0} s left",
        done * 100 / listed.max(1)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_with_and_without_a_total() {
        assert_eq!(progress_text(0, 100, Duration::from_secs(5)), None);
        assert_eq!(
            progress_text(20, 100, Duration::from_secs(10)).as_deref(),
            Some("models: 20 of 100 rows (20%), 2.0 rows/s, about 40 s left")
        );
        assert_eq!(
            progress_text(30, 0, Duration::from_secs(10)).as_deref(),
            Some("models: 30 rows done, 3.0 rows/s")
        );
    }
}
