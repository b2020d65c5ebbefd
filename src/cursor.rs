//! SQL cursors: `DECLARE name CURSOR [WITH HOLD] FOR query`, `FETCH [FORWARD] n | ALL | NEXT
//! FROM name`, `CLOSE name | ALL` (psycopg's server-side cursors, Tableau and psqlODBC).
//!
//! A cursor holds its query's running stream and the rows of a batch not yet fetched; each
//! FETCH pulls only what it returns, so a cursor over many files reads them as it is
//! fetched. Cursors are forward-only (NO SCROLL). Those without HOLD close when the
//! transaction block ends.

use std::collections::HashMap;
use std::sync::Mutex;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::{DataFusionError, Result, plan_err};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::memory::MemoryStream;
use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{self, FetchDirection, Value};
use futures::StreamExt;
use mediasql_udfs::error::{SqlState, sql_error};

struct Cursor {
    rows: SendableRecordBatchStream,
    /// Rows of the last batch read that FETCH has not returned yet.
    pending: Option<RecordBatch>,
    hold: bool,
}

/// A session's open cursors.
#[derive(Default)]
pub struct Cursors(Mutex<HashMap<String, Cursor>>);

impl Cursors {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Cursor>>> {
        self.0
            .lock()
            .map_err(|_| DataFusionError::Internal("cursor lock poisoned".into()))
    }

    pub fn declare(&self, name: &str, rows: SendableRecordBatchStream, hold: bool) -> Result<()> {
        let mut cursors = self.lock()?;
        if cursors.contains_key(name) {
            return Err(sql_error(
                SqlState::DuplicateCursor,
                format!("cursor \"{name}\" already exists"),
            ));
        }
        let cursor = Cursor {
            rows,
            pending: None,
            hold,
        };
        cursors.insert(name.to_string(), cursor);
        Ok(())
    }

    /// The columns `name` returns.
    pub fn schema(&self, name: &str) -> Result<SchemaRef> {
        let cursors = self.lock()?;
        let cursor = cursors.get(name).ok_or_else(|| missing(name))?;
        Ok(cursor.rows.schema())
    }

    /// The next `count` rows of `name` (all that are left for None).
    pub async fn fetch(
        &self,
        name: &str,
        count: Option<usize>,
    ) -> Result<SendableRecordBatchStream> {
        // Taken out while it reads, so that the lock is not held across awaits.
        let mut cursor = self.lock()?.remove(name).ok_or_else(|| missing(name))?;
        let fetched = cursor.take(count).await;
        self.lock()?.insert(name.to_string(), cursor);
        let (schema, batches) = fetched?;
        Ok(Box::pin(MemoryStream::try_new(batches, schema, None)?))
    }

    pub fn close(&self, name: &str) -> Result<()> {
        self.lock()?
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| missing(name))
    }

    pub fn close_all(&self) -> Result<()> {
        self.lock()?.clear();
        Ok(())
    }

    /// COMMIT or ROLLBACK: cursors without HOLD end with the transaction.
    pub fn end_transaction(&self) -> Result<()> {
        self.lock()?.retain(|_, cursor| cursor.hold);
        Ok(())
    }
}

impl Cursor {
    async fn take(&mut self, count: Option<usize>) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        let schema = self.rows.schema();
        let mut left = count.unwrap_or(usize::MAX);
        let mut batches = Vec::new();
        while left > 0 {
            let batch = match self.pending.take() {
                Some(batch) => batch,
                None => match self.rows.next().await {
                    Some(batch) => batch?,
                    None => break,
                },
            };
            if batch.num_rows() > left {
                self.pending = Some(batch.slice(left, batch.num_rows() - left));
                batches.push(batch.slice(0, left));
                break;
            }
            left -= batch.num_rows();
            batches.push(batch);
        }
        Ok((schema, batches))
    }
}

/// How many rows a FETCH direction asks for (None: all); backward moves are refused.
pub fn fetch_count(direction: &FetchDirection) -> Result<Option<usize>> {
    let number = |value: &Value| -> Result<usize> {
        match value {
            Value::Number(n, _) => n
                .parse::<usize>()
                .map_err(|_| DataFusionError::Plan(format!("FETCH count {n} is not a row count"))),
            other => Err(DataFusionError::Plan(format!(
                "FETCH count {other} is not a number"
            ))),
        }
    };
    match direction {
        FetchDirection::Next | FetchDirection::Forward { limit: None } => Ok(Some(1)),
        FetchDirection::Count { limit } | FetchDirection::Forward { limit: Some(limit) } => {
            number(&limit.value).map(Some)
        }
        FetchDirection::All | FetchDirection::ForwardAll => Ok(None),
        other => Err(DataFusionError::NotImplemented(format!(
            "FETCH {other}: cursors are forward-only (NO SCROLL)"
        ))),
    }
}

fn missing(name: &str) -> DataFusionError {
    sql_error(
        SqlState::InvalidCursorName,
        format!("cursor \"{name}\" does not exist"),
    )
}

impl std::fmt::Debug for Cursors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cursors").finish_non_exhaustive()
    }
}

/// A cursor statement, parsed.
pub enum CursorStatement {
    Declare {
        name: String,
        hold: bool,
        query: SqlStatement,
    },
    Fetch {
        name: String,
        count: Option<usize>,
    },
    /// `CLOSE name`, or `CLOSE ALL` (None).
    Close(Option<String>),
}

/// The cursor statement `statement` is, None when it is not one.
pub fn cursor_statement(statement: &SqlStatement) -> Option<Result<CursorStatement>> {
    let SqlStatement::Statement(statement) = statement else {
        return None;
    };
    match statement.as_ref() {
        ast::Statement::Declare { stmts } => {
            let [declare] = stmts.as_slice() else {
                return Some(plan_err!("DECLARE one cursor at a time"));
            };
            let query = declare.for_query.as_ref()?;
            let name = declare.names.first()?.value.clone();
            let query = ast::Statement::Query(query.clone());
            Some(Ok(CursorStatement::Declare {
                name,
                hold: declare.hold.unwrap_or(false),
                query: SqlStatement::Statement(Box::new(query)),
            }))
        }
        ast::Statement::Fetch {
            name, direction, ..
        } => Some(fetch_count(direction).map(|count| CursorStatement::Fetch {
            name: name.value.clone(),
            count,
        })),
        ast::Statement::Close { cursor } => Some(Ok(CursorStatement::Close(match cursor {
            ast::CloseCursor::All => None,
            ast::CloseCursor::Specific { name } => Some(name.value.clone()),
        }))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use datafusion::arrow::array::Int32Array;

    fn numbers(n: i32) -> SendableRecordBatchStream {
        let batch =
            RecordBatch::try_from_iter([("n", Arc::new(Int32Array::from_iter_values(0..n)) as _)])
                .unwrap();
        let schema = batch.schema();
        Box::pin(MemoryStream::try_new(vec![batch.clone(), batch], schema, None).unwrap())
    }

    async fn rows(stream: SendableRecordBatchStream) -> usize {
        let batches: Vec<RecordBatch> = stream.map(|b| b.unwrap()).collect().await;
        batches.iter().map(RecordBatch::num_rows).sum()
    }

    #[tokio::test]
    async fn fetches_across_batches_then_closes() {
        let cursors = Cursors::default();
        cursors.declare("c", numbers(3), false).unwrap();
        assert!(cursors.declare("c", numbers(1), false).is_err());
        assert_eq!(rows(cursors.fetch("c", Some(2)).await.unwrap()).await, 2);
        assert_eq!(rows(cursors.fetch("c", Some(2)).await.unwrap()).await, 2);
        assert_eq!(rows(cursors.fetch("c", None).await.unwrap()).await, 2);
        assert_eq!(rows(cursors.fetch("c", None).await.unwrap()).await, 0);
        cursors.end_transaction().unwrap();
        let error = cursors.fetch("c", Some(1)).await.err().unwrap();
        assert!(error.to_string().contains("cursor \"c\" does not exist"));
    }
}
