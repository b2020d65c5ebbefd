//! What the benches share: running SQL on an engine and timing it.

use std::time::Instant;

use futures::TryStreamExt;
use mediasql::{Engine, Output};

/// Rows `sql` returns on a new session of `engine`.
pub async fn count_rows(engine: &Engine, sql: &str) -> usize {
    let session = engine.session();
    let mut rows = 0;
    for output in session.execute_sql(sql).await.expect("query") {
        if let Output::Rows(stream) = output {
            let batches: Vec<_> = stream.try_collect().await.expect("rows");
            rows += batches.iter().map(|b| b.num_rows()).sum::<usize>();
        }
    }
    rows
}

/// Seconds `sql` takes on `engine`, after a warm-up run (which loads the models into the
/// engine's registry); both runs must return `rows` rows.
#[allow(dead_code)] // not every bench times a single query
pub fn timed_query(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    sql: &str,
    rows: usize,
) -> f64 {
    assert_eq!(runtime.block_on(count_rows(engine, sql)), rows);
    let start = Instant::now();
    assert_eq!(runtime.block_on(count_rows(engine, sql)), rows);
    start.elapsed().as_secs_f64()
}
