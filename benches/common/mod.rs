//! What the benches share: running SQL on an engine and timing it.

// Not every bench times model pipelines (scan does not).
#![allow(dead_code)]

use std::time::Instant;

use futures::TryStreamExt;
use mediasql::{Engine, Output};

/// Rows `sql` (one or more statements) returns on a new session of `engine`.
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

/// Seconds a pipeline takes, three ways.
pub struct Timings {
    /// On a new engine: the model loads inside the time.
    pub cold: f64,
    /// The best of two later runs on that engine, with the inference operator.
    pub warm: f64,
    /// The same, with the operator off (`mediasql.inference_exec = false`).
    pub operator_off: f64,
}

/// Times `sql` on engines made by `engine`; every run must return `rows` rows.
pub fn time_pipeline(
    runtime: &tokio::runtime::Runtime,
    engine: impl Fn() -> Engine,
    sql: &str,
    rows: usize,
) -> Timings {
    let timed = |engine: &Engine, sql: &str| {
        let start = Instant::now();
        assert_eq!(runtime.block_on(count_rows(engine, sql)), rows);
        start.elapsed().as_secs_f64()
    };
    let start = Instant::now();
    let fresh = engine();
    let cold = start.elapsed().as_secs_f64() + timed(&fresh, sql);
    // Warm runs alternate, operator off and on, and keep the best of two each: what one
    // run leaves warm (ONNX Runtime's buffers for the shapes it saw) helps both alike.
    let off = format!("SET mediasql.inference_exec = false; {sql}");
    let mut warm = f64::MAX;
    let mut operator_off = f64::MAX;
    for _ in 0..2 {
        operator_off = operator_off.min(timed(&fresh, &off));
        warm = warm.min(timed(&fresh, sql));
    }
    Timings {
        cold,
        warm,
        operator_off,
    }
}

/// Prints the pipeline's rates and its ratios to the model alone (`model_only` seconds for
/// the same `count` items).
pub fn report(what: &str, count: usize, model_only: f64, t: &Timings) {
    let rate = |secs: f64| count as f64 / secs;
    println!(
        "  model alone:                     {:.2} {what}/s",
        rate(model_only)
    );
    for (name, secs) in [
        ("SQL, cold (model load included)", t.cold),
        ("SQL, warm", t.warm),
        ("SQL, warm, operator off", t.operator_off),
    ] {
        println!(
            "  {name:<32} {:.2} {what}/s, ratio to the model alone {:.2}",
            rate(secs),
            model_only / secs
        );
    }
}
