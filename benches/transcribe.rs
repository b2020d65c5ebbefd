//! `SELECT transcribe(content) FROM read_media(...)` against whisper-rs called directly on the
//! same files and model (whisper tiny.en, greedy, every core), in one run.
//!
//! N copies of the fixture clips, WAV and MP3 (`MEDIASQL_BENCH_CLIPS`, default 8).
//! `cargo bench --profile dev --bench transcribe`. The direct side decodes with the same
//! decoder, then transcribes file after file with one state using every core, as
//! whisper.cpp's CLI does.

// A bench is a harness: failing fast on setup errors is what we want.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::Instant;

use mediasql::Engine;
use mediasql::config::Config;
use mediasql_udfs::audio::decode::{SPEECH_RATE, decode_mono};
use mediasql_udfs::models::default_models_dir;
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

fn main() {
    let count: usize = std::env::var("MEDIASQL_BENCH_CLIPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql-tests/fixtures/audio");
    let dir = std::env::temp_dir().join(format!("mediasql-bench-audio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let mut files = Vec::new();
    for i in 0..count {
        let name = if i % 2 == 0 {
            "harbor.wav"
        } else {
            "harbor.mp3"
        };
        let target = dir.join(format!("{i:03}-{name}"));
        std::fs::copy(fixtures.join(name), &target).expect("copy clip");
        files.push(target);
    }

    // whisper-rs directly: one context, one state, every core.
    whisper_rs::install_logging_hooks();
    let model = default_models_dir().join("whisper-tiny.en/ggml-tiny.en.bin");
    let context = WhisperContext::new_with_params(&model, WhisperContextParameters::default())
        .expect("model");
    let mut state = context.create_state().expect("state");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    for file in &files {
        let samples =
            decode_mono(&std::fs::read(file).expect("read"), SPEECH_RATE).expect("decode");
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(cores as i32);
        params.set_language(Some("en"));
        params.set_print_progress(false);
        params.set_print_realtime(false);
        state.full(params, &samples.samples).expect("transcribe");
    }
    let direct = start.elapsed().as_secs_f64();

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let engine = Engine::new(&Config::default()).expect("engine");
    let sql = format!(
        "SELECT transcribe(content) FROM read_media('{}', 'audio')",
        dir.display()
    );
    let pipeline = common::timed_query(&runtime, &engine, &sql, count);

    let rate = |secs: f64| count as f64 / secs;
    println!("transcribe bench: {count} clips of 3.3 s (WAV and MP3), whisper tiny.en");
    println!("  whisper-rs directly:         {:.2} clips/s", rate(direct));
    println!(
        "  SELECT transcribe(content):  {:.2} clips/s",
        rate(pipeline)
    );
    println!("  ratio (pipeline / direct):   {:.2}", direct / pipeline);
    let _ = std::fs::remove_dir_all(&dir);
}
