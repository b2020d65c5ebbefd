//! `SELECT embed_text(s) FROM sentences` against the model alone (the same loaded model called
//! directly on the same sentences, pre-sorted by length, batch 64), in one run: cold, warm and
//! with the inference operator off.
//!
//! N mixed-length sentences (`MEDIASQL_BENCH_SENTENCES`, default 1024).
//! `cargo bench --profile dev --bench embed_text`. The model-only side includes tokenization,
//! which fastembed does inside its call.

// A bench is a harness: failing fast on setup errors is what we want.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::{RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use mediasql::Engine;
use mediasql::config::Config;
use mediasql_udfs::models::{ModelRegistry, default_models_dir};

const WORDS: &[&str] = &[
    "the",
    "harbor",
    "kites",
    "purple",
    "quiet",
    "dawn",
    "revenue",
    "rose",
    "percent",
    "cat",
    "sofa",
    "kitten",
    "couch",
    "market",
    "ships",
    "fog",
    "lighthouse",
    "keeper",
    "counted",
    "seven",
    "over",
    "flew",
    "model",
    "engine",
    "query",
    "table",
    "photo",
    "sound",
    "page",
];

/// Deterministic sentences of 4 to 80 words.
fn sentences(n: usize) -> Vec<String> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|_| {
            let len = 4 + (next() % 77) as usize;
            (0..len)
                .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn main() {
    let count: usize = std::env::var("MEDIASQL_BENCH_SENTENCES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1024);
    let texts = sentences(count);

    let registry = ModelRegistry::new(default_models_dir()).expect("registry");
    let model = registry.text_model("all_minilm_l6_v2").expect("model");
    let mut sorted: Vec<&str> = texts.iter().map(String::as_str).collect();
    sorted.sort_by_key(|s| s.len());
    model.embed(&sorted[..64.min(count)]).expect("warm-up");
    let start = Instant::now();
    model.embed(&sorted).expect("embed");
    let model_only = start.elapsed().as_secs_f64();

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8, false)]));
    let column = Arc::new(StringArray::from(texts.clone()));
    let batch = RecordBatch::try_new(schema, vec![column]).expect("batch");
    let engine = || {
        let engine = Engine::new(&Config::default()).expect("engine");
        engine
            .context()
            .register_batch("sentences", batch.clone())
            .expect("register");
        engine
    };
    let sql = "SELECT embed_text(s) FROM sentences";
    let timings = common::time_pipeline(&runtime, engine, sql, count);
    println!(
        "embed_text bench: {count} sentences of 4-80 words, model alone on all of them sorted by length, batch 64"
    );
    common::report("sentences", count, model_only, &timings);
}
